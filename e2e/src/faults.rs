//! Helpers of the fault suites (`tests/faults.rs`, `tests/chaos.rs`): chains, transfers,
//! reads of chain state (all fail loudly), and what a daemon's metrics and log say.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::chain::{start_many, ChainSpec, TestChain};
use crate::ibc::{ibc_denom, metric_in, wait_until};
use crate::proxy::{Counters, Mode};
use crate::relayer::{http_get, RelayerHome};
use crate::transfer::Transfer;
/// The suite's tests run one at a time (each starts two chains and a daemon and loads the
/// machine; two at once would measure the machine, not the relayer).
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The proxies' RNG seed: `E2E_FAULTS_SEED`, default 1.
pub fn seed() -> u64 {
    std::env::var("E2E_FAULTS_SEED")
        .ok()
        .map(|s| s.parse().expect("E2E_FAULTS_SEED is a number"))
        .unwrap_or(1)
}

/// The chaos of `chaos_loses_nothing`: [`Mode::chaos`] (10 % drops, 10 % HTTP 500s, 5 %
/// resets, 0–2 s delays), or `E2E_FAULTS_CHAOS=drop,http_500,reset,max_delay_ms` (e.g.
/// `0.02,0.02,0.01,500`) to explore milder weather.
pub fn chaos_mode() -> Mode {
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

/// Starts two chains with the given ids (in parallel).
pub fn two_chains(a: &str, b: &str) -> (TestChain, TestChain) {
    let mut chains = start_many(vec![ChainSpec::new(a), ChainSpec::new(b)]).expect("chains start");
    let b = chains.pop().unwrap();
    let a = chains.pop().unwrap();
    (a, b)
}

/// `simd ARGS -o json` on `chain`, parsed; panics with the output otherwise.
pub fn simd_json(chain: &TestChain, args: &[&str]) -> Value {
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

/// A number given as a JSON string or number; panics naming `what` otherwise.
pub fn as_u64(v: &Value, what: &str) -> u64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_u64())
        .unwrap_or_else(|| panic!("{what}: not a number: {v}"))
}

/// The revision height of `client`'s latest height on `chain` (simd CLI).
pub fn client_height(chain: &TestChain, client: &str) -> u64 {
    let v = simd_json(chain, &["q", "ibc", "client", "state", client]);
    let h = v
        .pointer("/client_state/latest_height/revision_height")
        .unwrap_or_else(|| panic!("no client_state.latest_height in {v}"));
    as_u64(h, "revision_height")
}

/// The one client on `chain` that tracks `tracked` (chain id).
pub fn client_of(chain: &TestChain, tracked: &str) -> String {
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

/// The balance of `address` in `denom` on `chain`; panics when it cannot be read.
pub fn balance(chain: &TestChain, address: &str, denom: &str) -> u128 {
    chain.balance(address, denom).unwrap_or_else(|e| {
        panic!(
            "balance of {address} in {denom} on {}: {e}",
            chain.chain_id()
        )
    })
}

/// Packet commitments left on `chain`'s transfer `channel`.
pub fn commitments(chain: &TestChain, channel: &str) -> usize {
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

/// The latest height of `chain`; panics when it cannot be read.
pub fn height(chain: &TestChain) -> u64 {
    chain
        .latest_height()
        .unwrap_or_else(|e| panic!("height of {}: {e}", chain.chain_id()))
}

/// The heights of the txs on `chain` matching the event `query`.
pub fn tx_heights(chain: &TestChain, query: &str) -> Vec<u64> {
    let v = simd_json(chain, &["q", "txs", "--query", query, "--limit", "100"]);
    let txs = v["txs"]
        .as_array()
        .unwrap_or_else(|| panic!("no txs in the answer to {query}: {v}"));
    txs.iter()
        .map(|t| as_u64(&t["height"], "tx height"))
        .collect()
}

/// The height at which `seq` sent over `src_channel` was received on `dst`.
pub fn recv_height(dst: &TestChain, dst_channel: &str, seq: u64) -> u64 {
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
pub fn ack_height(src: &TestChain, src_channel: &str, seq: u64) -> u64 {
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
pub fn send(
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

/// The voucher denom of `base` received over channel-0.
pub fn voucher(base: &str) -> String {
    ibc_denom(&format!("transfer/channel-0/{base}"))
}

/// The daemon's `/metrics`; panics unless it answers 200.
pub fn scrape(port: u16) -> String {
    match http_get(port, "/metrics") {
        Some((200, body)) => body,
        other => panic!("GET /metrics on port {port}: {other:?}"),
    }
}

/// Waits (up to 2 min) until the daemon's `/readyz` answers 200.
pub fn wait_ready(port: u16) {
    wait_until("/readyz answers 200", Duration::from_secs(120), || {
        http_get(port, "/readyz").is_some_and(|(s, _)| s == 200)
    });
}

/// Warnings and errors of a daemon log, grouped by their text with digits masked: (count,
/// first line) per group, most frequent first.
pub fn log_summary(log: &str) -> Vec<(usize, String)> {
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

/// Prints [`log_summary`] of `log` (the 25 largest groups).
pub fn print_log_summary(name: &str, log: &str) {
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

/// Fails when `log` shows a panic.
pub fn assert_no_panic(name: &str, log: &str) {
    let panics: Vec<&str> = log.lines().filter(|l| l.contains("panicked")).collect();
    assert!(panics.is_empty(), "{name} panicked: {panics:#?}");
}

/// Polls `done` every 250 ms; how long it took, or `None` after `timeout`.
pub fn poll_until(timeout: Duration, mut done: impl FnMut() -> bool) -> Option<Duration> {
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
pub fn print_metrics(metrics: &str) {
    for name in [
        "stateset_relayer_rpc_errors_total",
        "stateset_relayer_rpc_hedges_total",
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

/// Prints the RPC and gRPC proxies' counters of one chain.
pub fn print_counters(name: &str, (rpc, grpc): (Counters, Counters)) {
    println!("{name} RPC proxy:  {rpc}");
    println!("{name} gRPC proxy: {grpc}");
}
