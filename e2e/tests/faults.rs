//! The relayer behind a fault-injecting proxy in front of live chains
//! (`stateset_e2e::proxy`). Each test starts its own chains.
//!
//! - `proxy_passes_rewrites_and_breaks_what_it_is_told_to`: the proxy itself against one
//!   live node: clean pass-through (HTTP, websocket, gRPC), each rewriting mode, and each
//!   Chaos fault forced to probability 1.
//! - `forged_headers_are_never_submitted`: with B's RPC behind the proxy forging commit
//!   signatures, swapping the validator set or altering the app hash, `update client` of
//!   A's client of B fails with a verification error and the client does not move; clean,
//!   the same command updates it.
//! - `chaos_loses_nothing`: the daemon talks to both chains only through proxies in Chaos
//!   (10 % drops, 10 % HTTP 500s, 5 % resets, 0–2 s delays, websockets cut every 2–30 s);
//!   300 transfers each way are all received and acknowledged; once the proxies are clean,
//!   10 more each way are received within a few blocks (measured and printed).
//! - `two_relayers_lose_nothing`: two daemons with their own keys and stores relay the same
//!   path; 500 transfers are each received exactly once and all acknowledged; the redundant
//!   messages both counted are printed.
//!
//! `E2E_FAULTS_SEED` (default 1) seeds the proxies' RNGs.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

use stateset_e2e::accounts::{USER1, USER2, VALIDATOR};
use stateset_e2e::chain::{start_many, ChainSpec, TestChain};
use stateset_e2e::ibc::{ibc_denom, metric_in, wait_until};
use stateset_e2e::ports::free_port;
use stateset_e2e::proxy::{self, ChainProxies, Counters, Mode};
use stateset_e2e::relayer::{http_get, DaemonSettings, RelayerHome};
use stateset_e2e::transfer::Transfer;

// ---------------------------------------------------------------------------------------
// Helpers that read chain state (all fail loudly).

/// The suite's tests run one at a time (each starts two chains and a daemon and loads the
/// machine; two at once would measure the machine, not the relayer).
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn seed() -> u64 {
    std::env::var("E2E_FAULTS_SEED")
        .ok()
        .map(|s| s.parse().expect("E2E_FAULTS_SEED is a number"))
        .unwrap_or(1)
}

/// The chaos of `chaos_loses_nothing`: [`Mode::chaos`] (10 % drops, 10 % HTTP 500s, 5 %
/// resets, 0–2 s delays), or `E2E_FAULTS_CHAOS=drop,http_500,reset,max_delay_ms` (e.g.
/// `0.02,0.02,0.01,500`) to explore milder weather.
fn chaos_mode() -> Mode {
    let Ok(text) = std::env::var("E2E_FAULTS_CHAOS") else {
        return Mode::chaos();
    };
    let v: Vec<f64> = text
        .split(',')
        .map(|x| x.trim().parse().expect("E2E_FAULTS_CHAOS: four numbers"))
        .collect();
    assert_eq!(
        v.len(),
        4,
        "E2E_FAULTS_CHAOS=drop,http_500,reset,max_delay_ms"
    );
    Mode::Chaos {
        drop: v[0],
        http_500: v[1],
        reset: v[2],
        delay: Duration::ZERO..Duration::from_millis(v[3] as u64),
    }
}

fn two_chains(a: &str, b: &str) -> (TestChain, TestChain) {
    let mut chains = start_many(vec![ChainSpec::new(a), ChainSpec::new(b)]).expect("chains start");
    let b = chains.pop().unwrap();
    let a = chains.pop().unwrap();
    (a, b)
}

/// `simd ARGS -o json` on `chain`, parsed; panics with the output otherwise.
fn simd_json(chain: &TestChain, args: &[&str]) -> Value {
    let mut full: Vec<&str> = args.to_vec();
    full.extend(["-o", "json"]);
    let out = chain
        .cli(&full)
        .unwrap_or_else(|e| panic!("{}: simd {}: {e}", chain.chain_id(), args.join(" ")));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: simd {}: not JSON ({e}): {}",
            chain.chain_id(),
            args.join(" "),
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn as_u64(v: &Value, what: &str) -> u64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_u64())
        .unwrap_or_else(|| panic!("{what}: not a number: {v}"))
}

/// The revision height of `client`'s latest height on `chain` (simd CLI).
fn client_height(chain: &TestChain, client: &str) -> u64 {
    let v = simd_json(chain, &["q", "ibc", "client", "state", client]);
    let h = v
        .pointer("/client_state/latest_height/revision_height")
        .unwrap_or_else(|| panic!("no client_state.latest_height in {v}"));
    as_u64(h, "revision_height")
}

/// The one client on `chain` that tracks `tracked` (chain id).
fn client_of(chain: &TestChain, tracked: &str) -> String {
    let v = simd_json(chain, &["q", "ibc", "client", "states"]);
    let states = v["client_states"]
        .as_array()
        .unwrap_or_else(|| panic!("no client_states in {v}"));
    let ids: Vec<String> = states
        .iter()
        .filter(|s| s.pointer("/client_state/chain_id").and_then(Value::as_str) == Some(tracked))
        .filter_map(|s| s["client_id"].as_str().map(str::to_string))
        .collect();
    match ids.as_slice() {
        [id] => id.clone(),
        other => panic!(
            "{}: expected one client of {tracked}, found {other:?}",
            chain.chain_id()
        ),
    }
}

fn balance(chain: &TestChain, address: &str, denom: &str) -> u128 {
    chain.balance(address, denom).unwrap_or_else(|e| {
        panic!(
            "balance of {address} in {denom} on {}: {e}",
            chain.chain_id()
        )
    })
}

/// Packet commitments left on `chain`'s transfer `channel`.
fn commitments(chain: &TestChain, channel: &str) -> usize {
    let v = simd_json(
        chain,
        &[
            "q",
            "ibc",
            "channel",
            "packet-commitments",
            "transfer",
            channel,
            "--limit",
            "100000",
        ],
    );
    assert!(v.get("height").is_some(), "not a commitments answer: {v}");
    match &v["commitments"] {
        Value::Null => 0,
        Value::Array(c) => c.len(),
        other => panic!("commitments: {other}"),
    }
}

fn height(chain: &TestChain) -> u64 {
    chain
        .latest_height()
        .unwrap_or_else(|e| panic!("height of {}: {e}", chain.chain_id()))
}

/// The heights of the txs on `chain` matching the event `query`.
fn tx_heights(chain: &TestChain, query: &str) -> Vec<u64> {
    let v = simd_json(chain, &["q", "txs", "--query", query, "--limit", "100"]);
    let txs = v["txs"]
        .as_array()
        .unwrap_or_else(|| panic!("no txs in the answer to {query}: {v}"));
    txs.iter()
        .map(|t| as_u64(&t["height"], "tx height"))
        .collect()
}

/// The height at which `seq` sent over `src_channel` was received on `dst`.
fn recv_height(dst: &TestChain, dst_channel: &str, seq: u64) -> u64 {
    let q = format!(
        "recv_packet.packet_sequence='{seq}' AND recv_packet.packet_dst_channel='{dst_channel}'"
    );
    let heights = tx_heights(dst, &q);
    *heights
        .iter()
        .min()
        .unwrap_or_else(|| panic!("{}: no tx received packet {seq}", dst.chain_id()))
}

/// The height at which `seq` sent over `src_channel` was acknowledged on `src`.
fn ack_height(src: &TestChain, src_channel: &str, seq: u64) -> u64 {
    let q = format!(
        "acknowledge_packet.packet_sequence='{seq}' AND acknowledge_packet.packet_src_channel='{src_channel}'"
    );
    let heights = tx_heights(src, &q);
    *heights
        .iter()
        .min()
        .unwrap_or_else(|| panic!("{}: no tx acknowledged packet {seq}", src.chain_id()))
}

/// Sends `count` transfers of 1 `denom` from user1 on `src` over channel-0 (an hour's
/// timeout, so that a slow relay shows as slow, not as a refund); returns the heights of
/// the txs that carried them.
fn send(
    home: &RelayerHome,
    src: &TestChain,
    denom: &str,
    to: &str,
    count: usize,
    per_tx: usize,
) -> Vec<u64> {
    let transfer = Transfer::new(src.chain_id(), denom, count)
        .to(to)
        .per_tx(per_tx)
        .timeout_seconds(3600);
    let out = home.run_with_timeout(transfer.args(), Duration::from_secs(300));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tx transfer on {} failed:\n{stdout}\n{}",
        src.chain_id(),
        String::from_utf8_lossy(&out.stderr)
    );
    let heights: Vec<u64> = stdout
        .lines()
        .filter_map(|l| l.rsplit_once(" at height ")?.1.trim().parse().ok())
        .collect();
    assert!(!heights.is_empty(), "no tx heights in {stdout}");
    heights
}

fn voucher(base: &str) -> String {
    ibc_denom(&format!("transfer/channel-0/{base}"))
}

fn scrape(port: u16) -> String {
    match http_get(port, "/metrics") {
        Some((200, body)) => body,
        other => panic!("GET /metrics on port {port}: {other:?}"),
    }
}

fn wait_ready(port: u16) {
    wait_until("/readyz answers 200", Duration::from_secs(120), || {
        http_get(port, "/readyz").is_some_and(|(s, _)| s == 200)
    });
}

/// Warnings and errors of a daemon log, grouped by their text with digits masked: (count,
/// first line) per group, most frequent first.
fn log_summary(log: &str) -> Vec<(usize, String)> {
    let mut groups: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for line in log.lines() {
        let mut words = line.split_whitespace();
        let _time = words.next();
        let level = words.next().unwrap_or_default();
        if !matches!(level, "WARN" | "ERROR") && !line.contains("panicked") {
            continue;
        }
        let rest: String = words.collect::<Vec<_>>().join(" ");
        let key: String = format!("{level} {rest}")
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .take(140)
            .collect();
        let entry = groups.entry(key).or_insert((0, line.to_string()));
        entry.0 += 1;
    }
    let mut out: Vec<(usize, String)> = groups.into_values().collect();
    out.sort_by_key(|b| std::cmp::Reverse(b.0));
    out
}

fn print_log_summary(name: &str, log: &str) {
    let summary = log_summary(log);
    let total: usize = summary.iter().map(|(n, _)| n).sum();
    println!(
        "{name}: {total} warning/error lines in {} groups",
        summary.len()
    );
    for (n, line) in summary.iter().take(25) {
        let line: String = line.chars().take(1200).collect();
        println!("  {n:>6} x {line}");
    }
}

fn assert_no_panic(name: &str, log: &str) {
    let panics: Vec<&str> = log.lines().filter(|l| l.contains("panicked")).collect();
    assert!(panics.is_empty(), "{name} panicked: {panics:#?}");
}

// ---------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client for checking the proxy itself.

struct HttpAnswer {
    status: u16,
    content_length: Option<usize>,
    body: Vec<u8>,
}

/// Sends `request` (a full HTTP request) to 127.0.0.1:`port` and reads the answer until
/// the server closes. `Err` when the connection fails or is reset.
fn raw_exchange(port: u16, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(request)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    Ok(answer)
}

fn parse_answer(answer: &[u8]) -> HttpAnswer {
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head in {:?}", String::from_utf8_lossy(answer)));
    let head = String::from_utf8_lossy(&answer[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head}"));
    let content_length = head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())?
    });
    HttpAnswer {
        status,
        content_length,
        body: answer[split + 4..].to_vec(),
    }
}

/// A JSON-RPC call (`POST /`) through 127.0.0.1:`port`.
fn rpc_call(port: u16, method: &str, params: Value) -> std::io::Result<HttpAnswer> {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params})
        .to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    raw_exchange(port, request.as_bytes()).map(|a| parse_answer(&a))
}

fn rpc_result(port: u16, method: &str, params: Value) -> Value {
    let answer = rpc_call(port, method, params.clone())
        .unwrap_or_else(|e| panic!("{method} {params} on port {port}: {e}"));
    assert_eq!(
        answer.status,
        200,
        "{method}: {}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.content_length, Some(answer.body.len()));
    let v: Value =
        serde_json::from_slice(&answer.body).unwrap_or_else(|e| panic!("{method}: not JSON ({e})"));
    v.get("result")
        .cloned()
        .unwrap_or_else(|| panic!("{method}: no result in {v}"))
}

/// Opens a websocket on 127.0.0.1:`port`, subscribes to new blocks and returns once an
/// event arrived (raw frames: the JSON text shows in the bytes).
fn websocket_new_block(port: u16) -> Result<(), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let upgrade = "GET /websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
                   Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                   Sec-WebSocket-Version: 13\r\n\r\n";
    stream
        .write_all(upgrade.as_bytes())
        .map_err(|e| e.to_string())?;
    // A client must wait for the 101 before sending frames (CometBFT's websocket library
    // refuses data sent before the handshake is complete).
    let mut seen = Vec::new();
    let mut chunk = [0u8; 8192];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!(
                "closed during the handshake after {:?}",
                String::from_utf8_lossy(&seen)
            ));
        }
        seen.extend_from_slice(&chunk[..n]);
    }
    let payload =
        br#"{"jsonrpc":"2.0","method":"subscribe","id":1,"params":{"query":"tm.event='NewBlock'"}}"#;
    assert!(payload.len() < 126);
    let mask = [0x12u8, 0x34, 0x56, 0x78];
    let mut frame = vec![0x81, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    stream.write_all(&frame).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        let n = stream.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("closed after {:?}", String::from_utf8_lossy(&seen)));
        }
        seen.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&seen);
        if !text.starts_with("HTTP/1.1 101") {
            return Err(format!("no upgrade: {text}"));
        }
        if text.contains("\"NewBlock\"") || text.contains("tendermint/event/NewBlock") {
            return Ok(());
        }
    }
    Err("no NewBlock event within 15 s".into())
}

// ---------------------------------------------------------------------------------------

#[test]
fn proxy_passes_rewrites_and_breaks_what_it_is_told_to() {
    let _one_at_a_time = serial();
    let (a, b) = two_chains("proxy-a-1", "proxy-b-1");
    let px = ChainProxies::start(&a, seed());
    let (p, direct) = (px.rpc.port(), a.ports().rpc);

    // Blocks with a previous commit to forge.
    a.wait_for_height(5, Duration::from_secs(30))
        .expect("A reaches height 5");
    // Clean: the same answers as the node.
    let status = rpc_result(p, "status", serde_json::json!({}));
    assert_eq!(status["node_info"]["network"], a.chain_id());
    let h = as_u64(&status["sync_info"]["latest_block_height"], "height") - 1;
    let hs = h.to_string();
    let via = rpc_result(p, "commit", serde_json::json!({ "height": hs }));
    let node = rpc_result(direct, "commit", serde_json::json!({ "height": hs }));
    assert_eq!(via, node);
    // A URI (GET) request, as curl would send it.
    let get = raw_exchange(
        p,
        format!("GET /validators?height={h} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes(),
    )
    .expect("GET through the proxy");
    let get = parse_answer(&get);
    assert_eq!(get.status, 200);
    let real_validators = rpc_result(direct, "validators", serde_json::json!({ "height": hs }));
    websocket_new_block(px.rpc.port()).expect("a websocket through the clean proxy");
    assert_eq!(px.rpc.counters().websockets, 1);

    // The rewriting modes.
    px.rpc.set_mode(Mode::ForgeCommitSignatures);
    let forged = rpc_result(p, "commit", serde_json::json!({ "height": hs }));
    let sig = "/signed_header/commit/signatures/0/signature";
    assert!(node.pointer(sig).is_some(), "a commit signature in {node}");
    assert_ne!(forged.pointer(sig), node.pointer(sig));
    assert_eq!(
        forged.pointer("/signed_header/header"),
        node.pointer("/signed_header/header")
    );
    let block = rpc_result(p, "block", serde_json::json!({ "height": hs }));
    let real_block = rpc_result(direct, "block", serde_json::json!({ "height": hs }));
    let last = "/block/last_commit/signatures/0/signature";
    assert!(
        real_block.pointer(last).is_some(),
        "a last-commit signature"
    );
    assert_ne!(block.pointer(last), real_block.pointer(last));

    px.rpc.set_mode(Mode::SwapValidators);
    let swapped = rpc_result(p, "validators", serde_json::json!({ "height": hs }));
    let impostor = &swapped["validators"][0];
    let real = &real_validators["validators"][0];
    assert_eq!(swapped["validators"].as_array().unwrap().len(), 1);
    assert_ne!(impostor["pub_key"], real["pub_key"]);
    assert_eq!(impostor["voting_power"], real["voting_power"]);
    let key = base64_decode(impostor["pub_key"]["value"].as_str().unwrap());
    assert_eq!(key.len(), 32);
    assert_eq!(
        impostor["address"].as_str().unwrap(),
        hex::encode_upper(&Sha256::digest(&key)[..20])
    );

    px.rpc.set_mode(Mode::AlterAppHash);
    let altered = rpc_result(p, "commit", serde_json::json!({ "height": hs }));
    let app = "/signed_header/header/app_hash";
    assert!(node.pointer(app).is_some());
    assert_ne!(altered.pointer(app), node.pointer(app));
    assert_eq!(
        altered.pointer("/signed_header/commit"),
        node.pointer("/signed_header/commit")
    );

    px.rpc.set_mode(Mode::StaleHeight);
    let frozen = as_u64(
        &rpc_result(p, "status", serde_json::json!({}))["sync_info"]["latest_block_height"],
        "height",
    );
    a.wait_for_height(frozen + 3, Duration::from_secs(30))
        .expect("A advances");
    let later = as_u64(
        &rpc_result(p, "status", serde_json::json!({}))["sync_info"]["latest_block_height"],
        "height",
    );
    assert_eq!(later, frozen, "the proxy reports a stuck node");
    assert!(height(&a) >= frozen + 3);

    px.rpc.set_mode(Mode::Truncate);
    let cut = rpc_call(p, "status", serde_json::json!({})).expect("an answer");
    assert_eq!(cut.status, 200);
    assert_eq!(cut.content_length, Some(cut.body.len()));
    assert!(serde_json::from_slice::<Value>(&cut.body).is_err());

    // Chaos, one fault at a time with probability 1.
    let chaos = |drop: f64, http_500: f64, reset: f64, delay: Duration| Mode::Chaos {
        drop,
        http_500,
        reset,
        delay: delay..delay,
    };
    px.rpc.set_mode(chaos(0.0, 1.0, 0.0, Duration::ZERO));
    assert_eq!(
        rpc_call(p, "status", serde_json::json!({}))
            .expect("an answer")
            .status,
        500
    );
    px.rpc.set_mode(chaos(1.0, 0.0, 0.0, Duration::ZERO));
    for _ in 0..4 {
        match raw_exchange(
            p,
            b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ) {
            Ok(answer) => assert!(answer.is_empty(), "a dropped request got an answer"),
            Err(e) => panic!("a drop closes, it does not fail: {e}"),
        }
    }
    px.rpc.set_mode(chaos(0.0, 0.0, 1.0, Duration::ZERO));
    for _ in 0..4 {
        match raw_exchange(
            p,
            b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ) {
            Ok(answer) => assert!(answer.is_empty(), "a reset request got an answer"),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        }
    }
    px.rpc
        .set_mode(chaos(0.0, 0.0, 0.0, Duration::from_millis(400)));
    let started = Instant::now();
    rpc_result(p, "status", serde_json::json!({}));
    assert!(started.elapsed() >= Duration::from_millis(400));
    let c = px.rpc.counters();
    println!("RPC proxy: {c}");
    assert!(c.http_500 >= 1 && c.dropped >= 4 && c.resets >= 4 && c.delayed >= 1);
    assert!(c.rewritten >= 5 && c.truncated >= 1, "{c}");

    // gRPC through its proxy: the relayer's `query status` connects over both proxies.
    px.rpc.set_mode(Mode::Clean);
    let home = RelayerHome::new(&[&a, &b], DaemonSettings::default());
    proxy::route_through(home.config(), &px);
    let out = home.run_with_timeout(["query", "status"], Duration::from_secs(60));
    assert!(
        out.status.success(),
        "query status through clean proxies: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let grpc_requests = px.grpc.counters().requests;
    assert!(grpc_requests > 0, "gRPC went through the proxy");
    px.grpc.set_mode(chaos(1.0, 0.0, 0.0, Duration::ZERO));
    let out = home.run_with_timeout(["query", "status"], Duration::from_secs(120));
    let code = out.status.code();
    println!(
        "query status with every gRPC call dropped: exit {code:?}: {}{}",
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    assert!(
        !out.status.success(),
        "a chain whose gRPC drops every call cannot be queried"
    );
    assert_ne!(code, Some(101), "the relayer panicked");
    assert!(px.grpc.counters().dropped > 0);
    println!("gRPC proxy: {}", px.grpc.counters());
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap_or_else(|e| panic!("not base64 ({e}): {text}"))
}

// ---------------------------------------------------------------------------------------

#[test]
fn forged_headers_are_never_submitted() {
    let _one_at_a_time = serial();
    let (a, b) = two_chains("forge-a-1", "forge-b-1");
    let home = RelayerHome::new(&[&a, &b], DaemonSettings::default());
    home.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
    let client = client_of(&a, b.chain_id());
    let px = ChainProxies::start(&b, seed());
    proxy::route_through(home.config(), &px);

    let update = |what: &str| {
        let started = Instant::now();
        let out = home.run_with_timeout(
            [
                "update",
                "client",
                "--host-chain",
                a.chain_id(),
                "--client",
                &client,
            ],
            Duration::from_secs(180),
        );
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        println!(
            "{what}: exit {:?} after {:.1}s: {}",
            out.status.code(),
            started.elapsed().as_secs_f64(),
            text.trim()
        );
        (out.status, text)
    };

    for mode in [
        Mode::ForgeCommitSignatures,
        Mode::SwapValidators,
        Mode::AlterAppHash,
    ] {
        let before = client_height(&a, &client);
        // The tracked chain is ahead of the client, so an update is due.
        b.wait_for_height(before + 3, Duration::from_secs(60))
            .expect("B advances");
        px.rpc.set_mode(mode.clone());
        let rewritten = px.rpc.counters().rewritten;
        let (status, text) = update(&format!("{mode:?}"));
        let code = status.code();
        assert!(
            matches!(code, Some(c) if c != 0 && c != 101),
            "{mode:?}: `update client` must fail cleanly (not succeed, not panic): {code:?}\n{text}"
        );
        let lower = text.to_lowercase();
        assert!(
            ["does not verify", "verif", "mismatch", "does not match"]
                .iter()
                .any(|w| lower.contains(w)),
            "{mode:?}: the error must say the header does not verify:\n{text}"
        );
        assert!(
            px.rpc.counters().rewritten > rewritten,
            "{mode:?}: the proxy forged nothing, so the test proves nothing"
        );
        // Nothing landed, even late.
        let a_now = height(&a);
        a.wait_for_height(a_now + 3, Duration::from_secs(30))
            .expect("A advances");
        assert_eq!(
            client_height(&a, &client),
            before,
            "{mode:?}: the client moved on forged data"
        );
    }

    px.rpc.set_mode(Mode::Clean);
    let before = client_height(&a, &client);
    b.wait_for_height(before + 3, Duration::from_secs(60))
        .expect("B advances");
    let (status, text) = update("Clean");
    assert!(status.success(), "a clean update must succeed:\n{text}");
    let after = client_height(&a, &client);
    assert!(after > before, "client height {before} -> {after}");
    println!("proxy: {}", px.rpc.counters());
}

// ---------------------------------------------------------------------------------------

/// Polls `done` every 250 ms; how long it took, or `None` after `timeout`.
fn poll_until(timeout: Duration, mut done: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if done() {
            return Some(start.elapsed());
        }
        if start.elapsed() >= timeout {
            return None;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The daemon's counters that tell how it coped with faults.
fn print_metrics(metrics: &str) {
    for name in [
        "stateset_relayer_rpc_errors_total",
        "stateset_relayer_txs_submitted_total",
        "stateset_relayer_txs_confirmed_total",
        "stateset_relayer_txs_failed_total",
        "stateset_relayer_event_source_reconnects_total",
        "stateset_relayer_redundant_messages_total",
        "stateset_relayer_client_updates_total",
        "stateset_relayer_packets_relayed_total",
        "stateset_relayer_packets_acked_total",
    ] {
        println!("{name} = {}", metric_in(metrics, name, &[]) + 0.0);
    }
    for line in metrics.lines().filter(|l| {
        l.starts_with("stateset_relayer_txs_failed_total{")
            || l.starts_with("stateset_relayer_chain_scanned_height{")
            || l.starts_with("stateset_relayer_backlog_packets{")
            || l.starts_with("stateset_relayer_packets_quarantined{")
    }) {
        println!("  {line}");
    }
}

fn print_counters(name: &str, (rpc, grpc): (Counters, Counters)) {
    println!("{name} RPC proxy:  {rpc}");
    println!("{name} gRPC proxy: {grpc}");
}

/// What one clean batch of 10 took.
struct Recovery {
    /// Destination blocks from the one current when the send returned (its tx included)
    /// to the one that received the last packet.
    dst_blocks: u64,
    /// Source blocks from the send's tx to the ack of the last packet.
    src_blocks_to_ack: u64,
    /// Seconds from the send's return until the destination balance showed all 10.
    seconds: f64,
}

#[test]
fn chaos_loses_nothing() {
    let _one_at_a_time = serial();
    let (a, b) = two_chains("chaos-a-1", "chaos-b-1");
    let port = free_port().expect("a free port");
    let home = RelayerHome::new(
        &[&a, &b],
        DaemonSettings {
            telemetry_port: Some(port),
            ..DaemonSettings::default()
        },
    );
    // Users send straight to the nodes, with their own home.
    let users = RelayerHome::new(&[&a, &b], DaemonSettings::default());
    for c in [&a, &b] {
        users.import_key(c, &USER1);
    }
    home.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
    let seed = seed();
    let pa = ChainProxies::start(&a, seed * 100 + 10);
    let pb = ChainProxies::start(&b, seed * 100 + 20);
    proxy::route_through(home.config(), &pa);
    proxy::route_through(home.config(), &pb);
    let chaos = chaos_mode();
    pa.set_mode(chaos.clone());
    pb.set_mode(chaos.clone());
    println!("seed {seed}; {chaos:?}");

    let mut daemon = home.start_daemon();
    let started = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| send(&users, &a, "stake", USER2.address, 300, 50));
        s.spawn(|| send(&users, &b, "ufoo", USER2.address, 300, 50));
    });
    let sent = started.elapsed();
    let (on_b, on_a) = (voucher("stake"), voucher("ufoo"));
    let mut last_print = Instant::now();
    let took = poll_until(Duration::from_secs(600), || {
        let (rb, ra) = (
            balance(&b, USER2.address, &on_b),
            balance(&a, USER2.address, &on_a),
        );
        let (ca, cb) = (commitments(&a, "channel-0"), commitments(&b, "channel-0"));
        if last_print.elapsed() > Duration::from_secs(30) {
            last_print = Instant::now();
            println!(
                "  {:>4.0}s: received A→B {rb}/300, B→A {ra}/300; commitments left A {ca}, B {cb}",
                started.elapsed().as_secs_f64()
            );
        }
        rb == 300 && ra == 300 && ca == 0 && cb == 0
    });
    let Some(took) = took else {
        let (rb, ra) = (
            balance(&b, USER2.address, &on_b),
            balance(&a, USER2.address, &on_a),
        );
        let (ca, cb) = (commitments(&a, "channel-0"), commitments(&b, "channel-0"));
        println!("TIMEOUT after 600 s: received A→B {rb}/300, B→A {ra}/300; commitments left A {ca}, B {cb}");
        print_counters("A chaos", pa.counters());
        print_counters("B chaos", pb.counters());
        print_metrics(&scrape(port));
        daemon.kill();
        print_log_summary("daemon", &daemon.log());
        panic!(
            "600 transfers through chaos: not all received and acknowledged within 600 s \
             (A→B {rb}/300, B→A {ra}/300, commitments left A {ca}, B {cb})"
        );
    };
    println!(
        "600 transfers (300 each way) sent in {:.1}s; all received and acknowledged {:.1}s after the first send",
        sent.as_secs_f64(),
        sent.as_secs_f64() + took.as_secs_f64()
    );
    assert_eq!(balance(&b, USER2.address, &on_b), 300);
    assert_eq!(balance(&a, USER2.address, &on_a), 300);
    let chaos_a = (pa.rpc.counters(), pa.grpc.counters());
    let chaos_b = (pb.rpc.counters(), pb.grpc.counters());
    print_counters("A chaos", chaos_a);
    print_counters("B chaos", chaos_b);
    // The proxies did inject every kind of fault asked for (else the test proves little).
    let Mode::Chaos {
        drop,
        http_500,
        reset,
        delay,
    } = &chaos
    else {
        unreachable!("chaos_mode is Chaos")
    };
    for (rpc, grpc) in [chaos_a, chaos_b] {
        assert!(rpc.requests > 0 && grpc.requests > 0, "{rpc}\n{grpc}");
        assert!(*drop == 0.0 || rpc.dropped > 0, "no RPC drops: {rpc}");
        assert!(*http_500 == 0.0 || rpc.http_500 > 0, "no RPC 500s: {rpc}");
        assert!(*reset == 0.0 || rpc.resets > 0, "no RPC resets: {rpc}");
        assert!(delay.is_empty() || rpc.delayed > 0, "no RPC delays: {rpc}");
        assert!(
            *drop + *reset == 0.0 || grpc.dropped + grpc.resets > 0,
            "no gRPC faults: {grpc}"
        );
    }
    print_metrics(&scrape(port));

    // Clean again: how many blocks until new packets are received?
    pa.set_mode(Mode::Clean);
    pb.set_mode(Mode::Clean);
    let measure = |src: &TestChain, dst: &TestChain, denom: &str| -> Recovery {
        let before = Instant::now();
        let heights = send(&users, src, denom, USER2.address, 10, 10);
        let dst_at_send = height(dst);
        let returned = before.elapsed();
        let voucher = voucher(denom);
        let seen = wait_until(
            "10 clean transfers received",
            Duration::from_secs(120),
            || balance(dst, USER2.address, &voucher) == 310,
        );
        let recv = recv_height(dst, "channel-0", 310);
        wait_until(
            "10 clean transfers acknowledged",
            Duration::from_secs(120),
            || commitments(src, "channel-0") == 0,
        );
        let ack = ack_height(src, "channel-0", 310);
        let src_height = heights[0];
        println!(
            "clean {}→{}: sent in {} block {src_height} (command returned after {:.1}s, {} then at {dst_at_send}); \
             received in {} block {recv}; acked in {} block {ack}; balance seen {:.1}s after the send returned",
            src.chain_id(),
            dst.chain_id(),
            src.chain_id(),
            returned.as_secs_f64(),
            dst.chain_id(),
            dst.chain_id(),
            src.chain_id(),
            seen.as_secs_f64()
        );
        Recovery {
            dst_blocks: recv.saturating_sub(dst_at_send),
            src_blocks_to_ack: ack.saturating_sub(src_height),
            seconds: seen.as_secs_f64(),
        }
    };
    let (ab, ba) = std::thread::scope(|s| {
        let ab = s.spawn(|| measure(&a, &b, "stake"));
        let ba = s.spawn(|| measure(&b, &a, "ufoo"));
        (ab.join().unwrap(), ba.join().unwrap())
    });
    for (name, r) in [("A→B", &ab), ("B→A", &ba)] {
        println!(
            "recovery {name}: received {} destination block(s) after the send was included \
             (and {:.1}s), acknowledged {} source block(s) after it",
            r.dst_blocks, r.seconds, r.src_blocks_to_ack
        );
    }
    print_counters("A total", pa.counters());
    print_counters("B total", pb.counters());
    print_metrics(&scrape(port));
    assert_eq!(balance(&b, USER2.address, &on_b), 310);
    assert_eq!(balance(&a, USER2.address, &on_a), 310);
    let status = daemon.stop(Duration::from_secs(15));
    let log = daemon.log();
    print_log_summary("daemon", &log);
    assert_no_panic("daemon", &log);
    assert!(status.success(), "daemon exit: {status}");
    // A packet included at source height H can be proven once H+1 exists (one source
    // block), the scanner reads H when the websocket (or 1 s polling) announces it, and
    // the MsgRecvPacket lands in the next destination block: 1–4 blocks when nothing is
    // wrong (1 measured with the proxies clean from the start). 10 blocks (~3 s at these
    // chains' ~0.3 s blocks) leaves room for one event source resubscription, but fails a
    // relayer still backing off from, or catching up after, the chaos.
    for (name, r) in [("A→B", &ab), ("B→A", &ba)] {
        assert!(
            r.dst_blocks <= 10,
            "{name}: {} blocks to recover after the proxies went clean (bound 10)",
            r.dst_blocks
        );
    }
}

// ---------------------------------------------------------------------------------------

fn relayed(metrics: &str, name: &str) -> f64 {
    metric_in(metrics, name, &[])
}

#[test]
fn two_relayers_lose_nothing() {
    let _one_at_a_time = serial();
    let (a, b) = two_chains("twin-a-1", "twin-b-1");
    let (p1, p2) = (
        free_port().expect("a free port"),
        free_port().expect("a free port"),
    );
    let settings = |port| DaemonSettings {
        telemetry_port: Some(port),
        ..DaemonSettings::default()
    };
    let home1 = RelayerHome::new(&[&a, &b], settings(p1));
    let home2 = RelayerHome::new(&[&a, &b], settings(p2));
    for c in [&a, &b] {
        home1.import_key(c, &USER1);
        // The second relayer signs with user2's funded key, so the two never compete
        // for one account's sequence.
        home2.import_key(c, &USER2);
        proxy::set_chain_value(home2.config(), c.chain_id(), "key_name", "user2".into());
    }
    home1.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
    // The clients are relayer 1's; relayer 2 serves them as a second operator would, by
    // listing them (it serves only its own clients otherwise).
    for (host, tracked) in [(&a, &b), (&b, &a)] {
        let client = client_of(host, tracked.chain_id());
        let mut serve = toml::Table::new();
        serve.insert("clients".into(), vec![toml::Value::from(client)].into());
        proxy::set_chain_value(home2.config(), host.chain_id(), "serve", serve.into());
    }
    let mut d1 = home1.start_daemon();
    let mut d2 = home2.start_daemon();
    wait_ready(p1);
    wait_ready(p2);
    for (name, d) in [("relayer 1", &d1), ("relayer 2", &d2)] {
        wait_until(
            &format!("{name} serves the path"),
            Duration::from_secs(60),
            || d.log().contains("serving path"),
        );
    }

    let started = Instant::now();
    send(&home1, &a, "stake", VALIDATOR.address, 500, 50);
    let sent = started.elapsed();
    let denom = voucher("stake");
    let took = poll_until(Duration::from_secs(300), || {
        balance(&b, VALIDATOR.address, &denom) == 500 && commitments(&a, "channel-0") == 0
    });
    let Some(took) = took else {
        let (received, left) = (
            balance(&b, VALIDATOR.address, &denom),
            commitments(&a, "channel-0"),
        );
        for (name, port, d) in [("relayer 1", p1, &mut d1), ("relayer 2", p2, &mut d2)] {
            println!("{name}:");
            print_metrics(&scrape(port));
            d.kill();
            print_log_summary(name, &d.log());
        }
        panic!("500 transfers with two relayers: {received} received, {left} commitments left after 300 s");
    };
    println!(
        "500 transfers sent in {:.1}s, all received and acknowledged {:.1}s after the first send",
        sent.as_secs_f64(),
        sent.as_secs_f64() + took.as_secs_f64()
    );
    // A few more blocks: nothing arrives twice (a second receipt would show as 501+).
    let now = height(&b);
    b.wait_for_height(now + 5, Duration::from_secs(30))
        .expect("B advances");
    assert_eq!(
        balance(&b, VALIDATOR.address, &denom),
        500,
        "each packet received exactly once"
    );
    assert_eq!(commitments(&a, "channel-0"), 0);

    let (m1, m2) = (scrape(p1), scrape(p2));
    let redundant = |m: &str| relayed(m, "stateset_relayer_redundant_messages_total");
    let (r1, r2) = (redundant(&m1), redundant(&m2));
    let recv = |m: &str| relayed(m, "stateset_relayer_packets_relayed_total");
    let acked = |m: &str| relayed(m, "stateset_relayer_packets_acked_total");
    let failed = |m: &str| relayed(m, "stateset_relayer_txs_failed_total");
    println!(
        "relayer 1: relayed {} acked {} redundant {r1} failed txs {}",
        recv(&m1),
        acked(&m1),
        failed(&m1)
    );
    println!(
        "relayer 2: relayed {} acked {} redundant {r2} failed txs {}",
        recv(&m2),
        acked(&m2),
        failed(&m2)
    );
    for (n, m) in [(1, &m1), (2, &m2)] {
        for line in m.lines().filter(|l| {
            l.starts_with("stateset_relayer_redundant_messages_total{")
                || l.starts_with("stateset_relayer_txs_failed_total{")
        }) {
            println!("  relayer {n}: {line}");
        }
    }
    println!("redundant_messages_total, both relayers: {}", r1 + r2);
    if r1 + r2 == 0.0 {
        if recv(&m1) == 0.0 || recv(&m2) == 0.0 {
            println!(
                "no redundant messages: one relayer relayed every packet before the other \
                 looked, so they never competed"
            );
        } else {
            println!(
                "no redundant messages although both relayed packets: each saw the other's \
                 work in its unreceived-packets query before submitting (or the chain \
                 accepted the duplicates as no-ops without the relayer counting them)"
            );
        }
    }
    assert!(
        r1 + r2 > 0.0 || recv(&m1) == 0.0 || recv(&m2) == 0.0 || recv(&m1) + recv(&m2) <= 500.0,
        "both relayers relayed more than 500 packets between them yet none was counted redundant"
    );
    let (s1, s2) = (
        d1.stop(Duration::from_secs(15)),
        d2.stop(Duration::from_secs(15)),
    );
    for (name, d) in [("relayer 1", &d1), ("relayer 2", &d2)] {
        let log = d.log();
        print_log_summary(name, &log);
        assert_no_panic(name, &log);
    }
    assert!(s1.success() && s2.success(), "exits: {s1}, {s2}");
}
