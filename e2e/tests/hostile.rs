//! The relayer in a hostile world, against live chains (each test starts its own).
//!
//! - `stranger_client_at_max_height_stops_nothing`: a stranger (user2, not the relayer's
//!   key) creates on A a 07-tendermint client of B whose latest height is 2^63 − 1. The
//!   daemon keeps relaying (100 transfers each way, all received and acknowledged), never
//!   updates that client (its height is unchanged, no `client_updates_total` names it),
//!   restarts no task, never panics; `update client` on it exits non-zero but not 101.
//! - `stranger_clients_and_handshakes_cost_the_relayer_nothing`: the stranger creates five
//!   valid clients of B on A with a 40 s trusting period and opens a connection in INIT
//!   over one of them (towards the relayer's client on B). For `E2E_STRANGER_WATCH_SECS`
//!   (default 300) the relayer signs nothing on either chain, the connection stays INIT
//!   with no TRYOPEN on B, and `clients_ignored` reports the five clients.
//! - `poison_packet_is_quarantined_and_the_rest_flow`: B's mempool takes txs up to 16 KiB
//!   and the relayer batches up to 12 kB for B; a transfer with a 20 kB memo can never be
//!   received on B. The 200 transfers sent after it are received within 30 s; the poison
//!   packet stays committed on A, unreceived, and is logged and counted as quarantined.
//! - `store_ahead_of_a_reset_chain_is_reported`: after relaying, A is replaced by a fresh
//!   chain with the same id and ports (a reset testnet); the restarted daemon, whose store
//!   holds a height A has not reached, says so in its log, sets
//!   `scanner_ahead_of_chain{chain=A}` to 1 and is not ready, within 10 s.

#[path = "hostile/conn_init.rs"]
mod conn_init;

use std::time::{Duration, Instant};

use stateset_e2e::accounts::{RELAYER, USER1, USER2, VALIDATOR};
use stateset_e2e::chain::{start_many, ChainSpec, TestChain};
use stateset_e2e::ibc::{ibc_denom, wait_until};
use stateset_e2e::ports::free_port;
use stateset_e2e::probe::{self, sample_sum, samples, scrape};
use stateset_e2e::relayer::{http_get, DaemonSettings, RelayerHome};
use stateset_e2e::stranger::{self, latest_header, ClientStates, MAX_HEIGHT, STRANGER};
use stateset_e2e::transfer::Transfer;

/// Two live chains with a transfer path (channel-0 on both) opened by the relayer, whose
/// home serves telemetry on `port`; user1's key is imported on both.
struct World {
    a: TestChain,
    b: TestChain,
    home: RelayerHome,
    port: u16,
    /// The relayer's client of B on A, and of A on B.
    own_a: String,
    own_b: String,
}

fn world(a: ChainSpec, b: ChainSpec, configure: impl FnOnce(&RelayerHome)) -> World {
    let started = Instant::now();
    let mut chains = start_many(vec![a, b]).expect("chains start");
    let (b, a) = (chains.pop().unwrap(), chains.pop().unwrap());
    let port = free_port().expect("a free port");
    let settings = DaemonSettings {
        telemetry_port: Some(port),
        ..DaemonSettings::default()
    };
    let home = RelayerHome::new(&[&a, &b], settings);
    for c in [&a, &b] {
        home.import_key(c, &USER1);
    }
    configure(&home);
    home.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
    let only_client = |c: &TestChain| match probe::tendermint_client_ids(c).as_slice() {
        [id] => id.clone(),
        other => panic!(
            "{}: expected the relayer's client only: {other:?}",
            c.chain_id()
        ),
    };
    let (own_a, own_b) = (only_client(&a), only_client(&b));
    println!(
        "chains, relayer home and path ready in {:?}",
        started.elapsed()
    );
    World {
        a,
        b,
        home,
        port,
        own_a,
        own_b,
    }
}

fn wait_ready(port: u16) {
    wait_until("/readyz answers 200", Duration::from_secs(60), || {
        http_get(port, "/readyz").is_some_and(|(s, _)| s == 200)
    });
}

/// Sends `count` transfers of 1 `denom` from user1 on `src` over channel-0.
fn send(home: &RelayerHome, src: &TestChain, denom: &str, to: &str, count: usize, memo: &str) {
    let transfer = Transfer::new(src.chain_id(), denom, count)
        .to(to)
        .per_tx(50)
        .memo(memo);
    home.run_ok(transfer.args());
}

fn voucher(base: &str) -> String {
    ibc_denom(&format!("transfer/channel-0/{base}"))
}

fn balance(chain: &TestChain, address: &str, denom: &str) -> u128 {
    chain
        .balance(address, denom)
        .unwrap_or_else(|e| panic!("balance on {}: {e}", chain.chain_id()))
}

#[test]
fn stranger_client_at_max_height_stops_nothing() {
    let w = world(
        ChainSpec::new("maxh-a-1"),
        ChainSpec::new("maxh-b-1"),
        |_| {},
    );
    let (a, b, home) = (&w.a, &w.b, &w.home);
    let mut daemon = home.start_daemon();
    wait_ready(w.port);

    let template = probe::client_state(a, &w.own_a);
    let own_before = probe::latest_height(&template);
    let states = ClientStates::from_header(&template, &latest_header(b), Duration::from_secs(3600))
        .at_height(MAX_HEIGHT);
    let poisoned = stranger::create_client(a, &STRANGER, &states);
    let height = probe::latest_height(&probe::client_state(a, &poisoned));
    assert_eq!(height.1, MAX_HEIGHT, "the stranger's client as created");
    println!("stranger's client {poisoned} on A at height {height:?}");

    let started = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| send(home, a, "stake", USER2.address, 100, ""));
        s.spawn(|| send(home, b, "ufoo", USER2.address, 100, ""));
    });
    let ((), took) = probe::wait_for(
        "100 transfers each way received and acknowledged",
        Duration::from_secs(120),
        || {
            let seen = (
                balance(b, USER2.address, &voucher("stake")),
                balance(a, USER2.address, &voucher("ufoo")),
                probe::commitments(a, "transfer", "channel-0"),
                probe::commitments(b, "transfer", "channel-0"),
            );
            (seen == (100, 100, 0, 0)).then_some(()).ok_or(format!(
                "received on B, on A; commitments left on A, on B: {seen:?}"
            ))
        },
    );
    println!(
        "200 transfers relayed {took:?} after sending ({:?} since the first send)",
        started.elapsed()
    );

    let after = probe::latest_height(&probe::client_state(a, &poisoned));
    assert_eq!(after, height, "the stranger's client must not be touched");
    // The relayer did update its own client on A (B→A packets need it); never the stranger's.
    let own_now = probe::latest_height(&probe::client_state(a, &w.own_a));
    assert!(
        own_now.1 > own_before.1,
        "own client {own_before:?} -> {own_now:?}"
    );
    let body = scrape(w.port);
    let updates = samples(&body, "stateset_relayer_client_updates_total");
    let naming_it: Vec<_> = updates
        .iter()
        .filter(|(labels, _)| labels.contains(&format!("\"{poisoned}\"")))
        .collect();
    assert!(
        naming_it.is_empty(),
        "updates of the stranger's client: {naming_it:?}"
    );
    println!("client_updates_total: {updates:?}");
    let restarts: Vec<_> = samples(&body, "stateset_relayer_task_restarts_total")
        .into_iter()
        .filter(|(_, v)| *v != 0.0)
        .collect();
    assert!(restarts.is_empty(), "tasks restarted: {restarts:?}");
    let log = daemon.log();
    assert!(!log.contains("panicked"), "the daemon panicked:\n{log}");

    let out = home.run_with_timeout(
        [
            "update",
            "client",
            "--host-chain",
            a.chain_id(),
            "--client",
            &poisoned,
        ],
        Duration::from_secs(60),
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    println!("update client {poisoned}: {}\n{stdout}{stderr}", out.status);
    let code = out.status.code();
    assert!(
        code.is_some_and(|c| c != 0 && c != 101),
        "update client on the stranger's client must fail without a panic (101), got {code:?}:\n{stdout}{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !(stdout.trim().is_empty() && stderr.trim().is_empty()),
        "a message says why"
    );
    assert!(daemon.stop(Duration::from_secs(10)).success());
}

#[test]
fn stranger_clients_and_handshakes_cost_the_relayer_nothing() {
    let window = Duration::from_secs(
        std::env::var("E2E_STRANGER_WATCH_SECS")
            .ok()
            .map(|s| {
                s.parse()
                    .expect("E2E_STRANGER_WATCH_SECS is a number of seconds")
            })
            .unwrap_or(300),
    );
    let w = world(
        ChainSpec::new("strg-a-1"),
        ChainSpec::new("strg-b-1"),
        |_| {},
    );
    let (a, b, home) = (&w.a, &w.b, &w.home);
    let sequences = || {
        (
            probe::account_sequence(a, RELAYER.address),
            probe::account_sequence(b, RELAYER.address),
        )
    };
    let before = sequences();
    let mut daemon = home.start_daemon();
    wait_ready(w.port);

    // Five valid clients of B, each from B's header of the moment, 40 s trusting period:
    // a relayer refreshing every client would update each within ~13 s.
    let template = probe::client_state(a, &w.own_a);
    let clients: Vec<(String, (u64, u64))> = (0..5)
        .map(|_| {
            let states =
                ClientStates::from_header(&template, &latest_header(b), Duration::from_secs(40));
            let id = stranger::create_client(a, &STRANGER, &states);
            let height = probe::latest_height(&probe::client_state(a, &id));
            (id, height)
        })
        .collect();
    conn_init::open_init(a, &STRANGER, &clients[0].0, &w.own_b);
    let theirs: Vec<_> = probe::connections(a)
        .into_iter()
        .filter(|c| c["client_id"] == clients[0].0.as_str())
        .collect();
    let conn = match theirs.as_slice() {
        [c] if c["state"] == "STATE_INIT" => c["id"].as_str().unwrap().to_string(),
        other => panic!("one INIT connection over {}: {other:?}", clients[0].0),
    };
    println!("stranger: clients {clients:?}, {conn} in INIT on A; watching {window:?}");

    probe::holds_for(
        "the relayer leaves the stranger's clients and handshake alone",
        window,
        Duration::from_secs(3),
        || {
            let now = sequences();
            if now != before {
                return Err(format!("relayer sequences (A, B) {before:?} -> {now:?}"));
            }
            let state = probe::connections(a)
                .into_iter()
                .find(|c| c["id"] == conn.as_str())
                .map(|c| c["state"].clone());
            if state != Some("STATE_INIT".into()) {
                return Err(format!("{conn} on A is {state:?}"));
            }
            let on_b: Vec<_> = probe::connections(b)
                .into_iter()
                .filter(|c| {
                    c["counterparty"]["connection_id"] == conn.as_str()
                        || c["state"] != "STATE_OPEN"
                })
                .collect();
            if !on_b.is_empty() {
                return Err(format!("a counterpart on B: {on_b:?}"));
            }
            Ok(())
        },
    );
    for (id, height) in &clients {
        let now = probe::latest_height(&probe::client_state(a, id));
        assert_eq!(&now, height, "stranger's client {id} was updated");
    }
    let ignored = sample_sum(
        &scrape(w.port),
        "stateset_relayer_clients_ignored",
        &[("chain", a.chain_id())],
    );
    assert_eq!(ignored, Some(5.0), "clients_ignored on A");
    assert!(!daemon.log().contains("panicked"), "{}", daemon.log());
    assert!(daemon.stop(Duration::from_secs(10)).success());
}

#[test]
fn poison_packet_is_quarantined_and_the_rest_flow() {
    let b_spec = ChainSpec::new("poison-b-1").with_config_toml("mempool.max_tx_bytes", "16384");
    let w = world(ChainSpec::new("poison-a-1"), b_spec, |home| {
        home.set_chain_option("poison-b-1", "max_tx_size", "12000");
    });
    let (a, b, home) = (&w.a, &w.b, &w.home);
    // B's mempool refuses a 20 kB tx before its app sees it (code 21, tx too large); A's
    // app sees it (and refuses its 20 kB tx note for another reason).
    let big_tx_code = |chain: &TestChain| {
        let note = "n".repeat(20_000);
        let args = [
            "bank",
            "send",
            STRANGER.name,
            USER1.address,
            "1stake",
            "--note",
            &note,
        ];
        let (code, codespace, _) = stranger::submit(chain, &STRANGER, &args);
        (code, codespace)
    };
    assert_eq!(
        big_tx_code(b),
        (21, "sdk".to_string()),
        "B's mempool refuses 20 kB txs"
    );
    assert_ne!(big_tx_code(a).0, 21, "A's mempool takes 20 kB txs");

    let mut daemon = home.start_daemon();
    wait_ready(w.port);
    let memo = "m".repeat(20_000);
    send(home, a, "stake", VALIDATOR.address, 1, &memo);
    let poison = 1;
    assert!(probe::has_commitment(a, "transfer", "channel-0", poison));
    send(home, a, "stake", USER2.address, 200, "");
    let sent = Instant::now();
    let (_, took) = probe::wait_for(
        "the 200 transfers behind the poison packet received on B",
        Duration::from_secs(30),
        || match balance(b, USER2.address, &voucher("stake")) {
            200 => Ok(()),
            n => Err(format!("{n} received")),
        },
    );
    println!(
        "200 transfers received {took:?} after sending ({:?})",
        sent.elapsed()
    );
    assert!(
        probe::has_commitment(a, "transfer", "channel-0", poison),
        "the poison packet is still committed on A"
    );
    assert!(!probe::received(b, "transfer", "channel-0", poison));
    assert_eq!(balance(b, VALIDATOR.address, &voucher("stake")), 0);
    let (line, took) = probe::wait_for(
        "the poison packet quarantined (log line and gauge)",
        Duration::from_secs(10),
        || {
            let log = daemon.log();
            let lines = probe::lines_naming_sequence(&log, "packet quarantined", poison);
            let gauge = sample_sum(
                &scrape(w.port),
                "stateset_relayer_packets_quarantined",
                &[("port", "transfer"), ("channel", "channel-0")],
            );
            match (lines.first(), gauge) {
                (Some(line), Some(1.0)) => Ok(line.to_string()),
                (line, _) => Err(format!(
                    "log line {line:?}, packets_quarantined {gauge:?}, \
                     `quarantine` in the log {} times, `panicked` {} times",
                    log.matches("quarantine").count(),
                    log.matches("panicked").count()
                )),
            }
        },
    );
    println!("quarantined ({took:?} after the 200 arrived): {line}");
    assert!(!probe::received(b, "transfer", "channel-0", poison));
    assert!(probe::has_commitment(a, "transfer", "channel-0", poison));
    assert!(!daemon.log().contains("panicked"), "{}", daemon.log());
    assert!(daemon.stop(Duration::from_secs(10)).success());
}

#[test]
fn store_ahead_of_a_reset_chain_is_reported() {
    let w = world(
        ChainSpec::new("reset-a-1"),
        ChainSpec::new("reset-b-1"),
        |_| {},
    );
    let World {
        a, b, home, port, ..
    } = w;
    let mut daemon = home.start_daemon();
    wait_ready(port);
    std::thread::scope(|s| {
        s.spawn(|| send(&home, &a, "stake", USER2.address, 10, ""));
        s.spawn(|| send(&home, &b, "ufoo", USER2.address, 10, ""));
    });
    wait_until("20 transfers relayed", Duration::from_secs(60), || {
        balance(&b, USER2.address, &voucher("stake")) == 10
            && balance(&a, USER2.address, &voucher("ufoo")) == 10
            && probe::commitments(&a, "transfer", "channel-0") == 0
    });
    // Far enough ahead that the fresh chain cannot catch up while the test looks.
    a.wait_for_height(150, Duration::from_secs(90))
        .expect("A at 150");
    let scanned = |body: &str| {
        sample_sum(
            body,
            "stateset_relayer_chain_scanned_height",
            &[("chain", a.chain_id())],
        )
    };
    wait_until("A scanned up to 150", Duration::from_secs(30), || {
        scanned(&scrape(port)).is_some_and(|h| h >= 150.0)
    });
    let stored = scanned(&scrape(port)).expect("A's scanned height");
    assert!(daemon.stop(Duration::from_secs(10)).success());

    // The reset: same id and ports, new home and genesis.
    let spec = a.spec().clone().with_ports(a.ports());
    drop(a);
    let fresh = TestChain::start(spec).expect("fresh A starts");
    let fresh_height = fresh.latest_height().expect("fresh A height");
    assert!(
        (fresh_height as f64) < stored,
        "fresh A at {fresh_height}, stored {stored}"
    );

    let mut daemon = home.start_daemon();
    let (seen, took) = probe::wait_for(
        "the reset chain reported (log line, scanner_ahead_of_chain 1, /readyz not 200)",
        Duration::from_secs(10),
        || {
            let logged = daemon.log().contains("stored height is ahead of the chain");
            let gauge = http_get(port, "/metrics").and_then(|(_, body)| {
                let name = "stateset_relayer_scanner_ahead_of_chain";
                sample_sum(&body, name, &[("chain", fresh.chain_id())])
            });
            let ready = http_get(port, "/readyz").map(|(s, _)| s);
            let seen = format!("logged {logged}, gauge {gauge:?}, /readyz {ready:?}");
            let reported = logged && gauge == Some(1.0) && ready.is_some_and(|s| s != 200);
            if reported {
                Ok(seen)
            } else {
                Err(seen)
            }
        },
    );
    println!(
        "stored height {stored}, fresh A at {fresh_height}: reported {took:?} after the restart ({seen})"
    );
    assert!(!daemon.log().contains("panicked"), "{}", daemon.log());
    assert!(daemon.stop(Duration::from_secs(10)).success());
}
