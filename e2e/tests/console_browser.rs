//! The web console in a real browser (issue 15): headless Chromium (Debian's `chromium`,
//! driven through `chromedriver` over WebDriver) opens the console a live daemon serves on
//! two live chains, finds the path on the overview and opens it; a transfer sent with the
//! CLI then appears in the path's packet stream and turns `acknowledged` without the page
//! being reloaded; looking the send tx hash up shows the packet's journey with the tx
//! hashes of both chains, equal to the chains' own (send and ack on A, MsgRecvPacket on
//! B). Prints the console's first load (navigation timing, and until the path rows are
//! shown); writes screenshots to `target/console-screenshots/{overview,path,lookup}.png`.

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use stateset_e2e::accounts::USER1;
use stateset_e2e::chain::{start_chains, TestChain};
use stateset_e2e::chromedriver::{Chromedriver, CHROMIUM};
use stateset_e2e::ports::free_port;
use stateset_e2e::relayer::{http_get, DaemonSettings, RelayerHome};
use stateset_e2e::transfer::Transfer;
use stateset_e2e::{graphql, probe, workspace_root};

/// A WebDriver session on headless Chromium, used synchronously: each call blocks on
/// the session's own runtime.
struct Browser {
    rt: tokio::runtime::Runtime,
    client: Option<Client>,
    _driver: Chromedriver,
}

impl Browser {
    fn start() -> Browser {
        let driver = Chromedriver::start();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--window-size=1400,900", "--disable-dev-shm-usage"],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = rt
            .block_on(
                ClientBuilder::new(connector)
                    .capabilities(caps)
                    .connect(&driver.url()),
            )
            .unwrap_or_else(|e| {
                panic!(
                    "WebDriver session on {CHROMIUM}: {e}\n{}",
                    driver.log_tail()
                )
            });
        Browser {
            rt,
            client: Some(client),
            _driver: driver,
        }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("session open")
    }

    fn goto(&self, url: &str) {
        self.rt
            .block_on(self.client().goto(url))
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    fn exec(&self, script: &str, args: Vec<Value>) -> Value {
        self.rt
            .block_on(self.client().execute(script, args))
            .unwrap_or_else(|e| panic!("script {script}: {e}"))
    }

    /// `attribute` of every element matching the CSS `selector` (absent: empty string).
    fn attrs(&self, selector: &str, attribute: &str) -> Vec<String> {
        self.rt.block_on(async {
            let found = self
                .client()
                .find_all(Locator::Css(selector))
                .await
                .unwrap_or_else(|e| panic!("find {selector}: {e}"));
            let mut out = Vec::new();
            for el in found {
                // An element re-rendered between find and read is read again next poll.
                match el.attr(attribute).await {
                    Ok(v) => out.push(v.unwrap_or_default()),
                    Err(e) => out.push(format!("(stale: {e})")),
                }
            }
            out
        })
    }

    /// Waits (up to `timeout`) until `selector` matches an element, and returns how many.
    fn wait_for_css(&self, what: &str, selector: &str, timeout: Duration) -> usize {
        probe::wait_for(what, timeout, || {
            let n = self.attrs(selector, "data-testid").len();
            (n > 0)
                .then_some(n)
                .ok_or(format!("nothing matches {selector}"))
        })
        .0
    }

    fn click(&self, selector: &str) {
        self.rt
            .block_on(async {
                self.client()
                    .find(Locator::Css(selector))
                    .await?
                    .click()
                    .await
            })
            .unwrap_or_else(|e| panic!("click {selector}: {e}"));
    }

    fn type_into(&self, selector: &str, text: &str) {
        self.rt
            .block_on(async {
                let el = self.client().find(Locator::Css(selector)).await?;
                el.clear().await?;
                el.send_keys(text).await
            })
            .unwrap_or_else(|e| panic!("type into {selector}: {e}"));
    }

    /// Writes a PNG of the viewport to `target/console-screenshots/<name>.png`.
    fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .rt
            .block_on(self.client().screenshot())
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        let dir = workspace_root().join("target").join("console-screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("screenshot written");
        println!("screenshot: {}", path.display());
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            // Ends the session (Chromium exits); chromedriver's group is killed after.
            let _ = self.rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(10), client.close()).await
            });
        }
    }
}

/// The lower-case hash of the one tx on `chain` matching `query`; panics unless exactly
/// one matches.
fn one_tx_hash(chain: &TestChain, query: &str) -> String {
    let txs = probe::txs(chain, query);
    assert_eq!(
        txs.len(),
        1,
        "chain {}: txs matching {query}: {txs:?}",
        chain.chain_id()
    );
    probe::at(&txs[0], "/txhash", "txhash")
        .as_str()
        .expect("txhash is a string")
        .to_lowercase()
}

/// The tx hash `tx transfer` printed (`<chain>: 1 transfer(s) in tx <HASH> at height <h>`).
fn printed_tx_hash(out: &str) -> String {
    let hashes: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split(" in tx ").nth(1)?.split_whitespace().next())
        .collect();
    assert_eq!(hashes.len(), 1, "one send tx expected in: {out}");
    hashes[0].to_lowercase()
}

#[test]
fn the_console_shows_a_transfer_live_and_its_journey_in_a_real_browser() {
    let mut chains = start_chains(2).expect("chains start");
    let (b, a) = (chains.pop().unwrap(), chains.pop().unwrap());
    let port = free_port().expect("a free telemetry port");
    let settings = DaemonSettings {
        telemetry_port: Some(port),
        ..DaemonSettings::default()
    };
    let home = RelayerHome::new(&[&a, &b], settings);
    home.import_key(&a, &USER1);
    home.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
    let _daemon = home.start_daemon();
    probe::wait_for(
        "the daemon's API lists both ends of the path",
        Duration::from_secs(60),
        || {
            let d = graphql::try_query(port, "{ paths { chain channel } }")?;
            let n = d["paths"].as_array().map_or(0, Vec::len);
            (n == 2).then_some(()).ok_or(d.to_string())
        },
    );
    assert!(
        matches!(http_get(port, "/"), Some((200, ref body)) if body.contains("<div id=\"root\">")),
        "GET / on the daemon is not the built console: {:?}",
        http_get(port, "/")
    );

    let browser = Browser::start();
    let url = format!("http://127.0.0.1:{port}/");
    browser.goto(&url);
    let path_row = format!(
        r#"[data-testid="path-row"][data-chain="{}"][data-port="transfer"][data-channel="channel-0"]"#,
        a.chain_id()
    );
    // In-page time (ms since navigation start) at which the path row is first rendered.
    let rows_at = browser.exec(
        "const [sel] = arguments; return new Promise((done) => {
           const t0 = Date.now();
           const check = () => document.querySelector(sel) ? done(performance.now())
             : Date.now() - t0 > 20000 ? done(null) : setTimeout(check, 5);
           check();
         });",
        vec![json!(path_row)],
    );
    let nav = browser.exec(
        "const n = performance.getEntriesByType('navigation')[0];
         return { responseEnd: n.responseEnd, domContentLoaded: n.domContentLoadedEventEnd,
                  loadEventEnd: n.loadEventEnd };",
        vec![],
    );
    println!(
        "console first load: load event {:.0} ms (DOMContentLoaded {:.0} ms, HTML {:.0} ms); \
         the path's rows shown at {} ms",
        nav["loadEventEnd"].as_f64().unwrap_or(f64::NAN),
        nav["domContentLoaded"].as_f64().unwrap_or(f64::NAN),
        nav["responseEnd"].as_f64().unwrap_or(f64::NAN),
        rows_at
            .as_f64()
            .map_or("(not within 20 s)".into(), |t| format!("{t:.0}"))
    );
    browser.wait_for_css(
        "the path's row on the overview",
        &path_row,
        Duration::from_secs(10),
    );
    browser.wait_for_css(
        "the live link (websocket) up",
        r#"[data-testid="link-state"][data-state="live"]"#,
        Duration::from_secs(20),
    );
    browser.screenshot("overview");

    // The path's view; a marker in the page's global scope shows later that it was not reloaded.
    browser.click(&path_row);
    browser.wait_for_css(
        "the path's view",
        &format!(
            r#"[data-testid="path-header"][data-chain="{}"][data-channel="channel-0"]"#,
            a.chain_id()
        ),
        Duration::from_secs(10),
    );
    browser.exec("window.__notReloaded = true; return null;", vec![]);
    let sequence = probe::next_sequence(&a, "send", "transfer", "channel-0");
    let out = home.run_ok(Transfer::new(a.chain_id(), "stake", 1).args());
    let send_hash = printed_tx_hash(&out);
    let on_chain_send = one_tx_hash(
        &a,
        &format!(
            "send_packet.packet_src_channel='channel-0' AND send_packet.packet_sequence='{sequence}'"
        ),
    );
    assert_eq!(
        on_chain_send, send_hash,
        "the send tx of sequence {sequence} on A"
    );
    let row = format!(r#"[data-testid="packet-row"][data-sequence="{sequence}"]"#);
    let (_, took) = probe::wait_for(
        &format!("packet {sequence}'s row acknowledged in the open path view"),
        Duration::from_secs(90),
        || {
            let status = browser.attrs(&row, "data-status");
            (status == ["acknowledged"])
                .then_some(())
                .ok_or(format!("rows of sequence {sequence}: statuses {status:?}"))
        },
    );
    println!("packet {sequence} shown acknowledged {took:?} after the CLI returned");
    assert_eq!(
        browser.exec("return window.__notReloaded === true;", vec![]),
        json!(true),
        "the path view was reloaded"
    );
    browser.screenshot("path");

    // The chains' own tx hashes of the packet's receive (B) and acknowledgement (A).
    let recv_hash = one_tx_hash(
        &b,
        &format!(
            "recv_packet.packet_dst_channel='channel-0' AND recv_packet.packet_sequence='{sequence}'"
        ),
    );
    let ack_hash = one_tx_hash(
        &a,
        &format!(
            "acknowledge_packet.packet_src_channel='channel-0' AND acknowledge_packet.packet_sequence='{sequence}'"
        ),
    );

    browser.click(r#"[data-testid="nav-lookup"]"#);
    browser.wait_for_css(
        "the lookup view",
        r#"[data-testid="lookup-input"]"#,
        Duration::from_secs(10),
    );
    browser.type_into(r#"[data-testid="lookup-input"]"#, &send_hash.to_uppercase());
    browser.click(r#"[data-testid="lookup-button"]"#);
    let steps = r#"[data-testid="journey-step"]"#;
    let (kinds, _) = probe::wait_for(
        "the journey of the send tx: sent, received, acknowledged",
        Duration::from_secs(30),
        || {
            let kinds = browser.attrs(steps, "data-kind");
            (kinds == ["sent", "received", "acknowledged"])
                .then(|| kinds.clone())
                .ok_or(format!("steps shown: {kinds:?}"))
        },
    );
    let hashes = browser.attrs(steps, "data-tx-hash");
    let chains_of = browser.attrs(steps, "data-chain");
    assert_eq!(
        kinds
            .iter()
            .zip(&hashes)
            .zip(&chains_of)
            .collect::<Vec<_>>(),
        [
            ((&"sent".to_string(), &send_hash), &a.chain_id().to_string()),
            (
                (&"received".to_string(), &recv_hash),
                &b.chain_id().to_string()
            ),
            (
                (&"acknowledged".to_string(), &ack_hash),
                &a.chain_id().to_string()
            ),
        ],
        "journey steps (kind, tx hash, chain) against the chains' txs"
    );
    assert_eq!(
        browser.exec("return window.__notReloaded === true;", vec![]),
        json!(true),
        "the console was reloaded on the way to the lookup"
    );
    browser.screenshot("lookup");
    println!(
        "journey of sequence {sequence}: sent {send_hash} on {}, received {recv_hash} on {}, \
         acknowledged {ack_hash} on {}",
        a.chain_id(),
        b.chain_id(),
        a.chain_id()
    );
}
