//! Helpers the end-to-end tests share: `ibc/…` denoms, packet commitments left on a
//! channel, waiting for a condition with a deadline, sending transfers through the relayer's
//! CLI and reading a metric from a `/metrics` scrape. Every reading of chain state panics
//! with the command's output (or returns an error saying what was seen) when it cannot
//! read what it was asked for; none returns a default.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::chain::TestChain;
use crate::probe;
use crate::relayer::{http_get, RelayerHome};

/// The `ibc/…` denom of a full trace, e.g. `transfer/channel-0/stake`.
pub fn ibc_denom(full_path: &str) -> String {
    format!(
        "ibc/{}",
        hex::encode_upper(Sha256::digest(full_path.as_bytes()))
    )
}

/// Packet commitments left on `chain`'s `port/channel`; panics with the CLI's output when
/// it cannot read them (see [`probe::commitments`]).
pub fn commitments(chain: &TestChain, port: &str, channel: &str) -> usize {
    probe::commitments(chain, port, channel)
}

/// Polls `done` every 250 ms until it holds; panics naming `what` after `timeout`.
/// Returns how long it took.
pub fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if done() {
            return start.elapsed();
        }
        assert!(start.elapsed() < timeout, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A transfer sent with `tx transfer`.
#[derive(Clone, Debug)]
pub struct Transfer<'a> {
    /// Source channel.
    pub channel: &'a str,
    /// Amount of each transfer.
    pub amount: u128,
    /// Denom on the source chain.
    pub denom: &'a str,
    /// Receiver on the destination.
    pub receiver: &'a str,
    /// The signing key in the relayer's key ring.
    pub key: &'a str,
    /// Memo.
    pub memo: &'a str,
}

/// Sends one transfer from `src`; returns the command's output.
pub fn transfer(home: &RelayerHome, src: &TestChain, t: &Transfer<'_>) -> String {
    let amount = t.amount.to_string();
    let mut args = vec![
        "tx",
        "transfer",
        "--src-chain",
        src.chain_id(),
        "--channel",
        t.channel,
        "--amount",
        &amount,
        "--denom",
        t.denom,
        "--receiver",
        t.receiver,
        "--key-name",
        t.key,
    ];
    if !t.memo.is_empty() {
        args.extend(["--memo", t.memo]);
    }
    home.run_ok(args)
}

/// The sum of the samples of `name` (full metric name) on `port`'s `/metrics` whose labels
/// contain every `key="value"` of `labels`. An error says what was seen instead: no 200
/// answer, or no matching sample (a counter is absent until it first counts).
pub fn metric(port: u16, name: &str, labels: &[(&str, &str)]) -> Result<f64, String> {
    let body = match http_get(port, "/metrics") {
        Some((200, body)) => body,
        other => return Err(format!("GET /metrics on port {port}: {other:?}")),
    };
    probe::sample_sum(&body, name, labels)
        .ok_or_else(|| format!("no sample of {name} with labels {labels:?} on port {port}"))
}

/// Waits (up to `timeout`) until [`metric`] is `want`; panics with the last reading.
pub fn wait_metric(port: u16, name: &str, labels: &[(&str, &str)], want: f64, timeout: Duration) {
    let what = format!("{name}{labels:?} = {want}");
    probe::wait_for(&what, timeout, || match metric(port, name, labels) {
        Ok(v) if v == want => Ok(()),
        other => Err(format!("{other:?}")),
    });
}

/// The value of the series `name{labels…}` in a Prometheus text body (every label given
/// must match; matching series are summed); 0 when absent (a counter not yet counted).
/// Panics on a sample line whose value does not parse. Use [`probe::sample_sum`] where
/// absence must not read as 0.
pub fn metric_in(body: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    probe::sample_sum(body, name, labels).unwrap_or(0.0)
}

/// Every channel end on `chain` (`q ibc channel channels`), as JSON; panics with the
/// CLI's output when it cannot read them.
pub fn channels(chain: &TestChain) -> Vec<serde_json::Value> {
    let json = probe::query_json(chain, &["ibc", "channel", "channels", "--limit", "1000"]);
    probe::list_at(&json, "/channels", "channels")
}

/// The ids of the channels on `chain` whose port starts with `port_prefix`, in `state`
/// (e.g. `STATE_OPEN`).
pub fn channels_in_state(chain: &TestChain, port_prefix: &str, state: &str) -> Vec<String> {
    channels(chain)
        .iter()
        .filter(|c| {
            c["port_id"]
                .as_str()
                .is_some_and(|p| p.starts_with(port_prefix))
                && c["state"] == state
        })
        .filter_map(|c| c["channel_id"].as_str().map(str::to_string))
        .collect()
}

/// Writes a JSON file with one bank MsgSend of `amount` stake from `from` to `to`, for
/// `ica send --msgs-file`.
pub fn msg_send_file(
    dir: &std::path::Path,
    from: &str,
    to: &str,
    amount: u128,
) -> std::path::PathBuf {
    let path = dir.join(format!("msgs-{amount}.json"));
    let msgs = serde_json::json!([{
        "@type": "/cosmos.bank.v1beta1.MsgSend", "from_address": from, "to_address": to,
        "amount": [{ "denom": "stake", "amount": amount.to_string() }],
    }]);
    std::fs::write(&path, msgs.to_string()).expect("messages written");
    path
}

/// The attributes (key → value) of every event of `kind` in the txs matching `query`
/// (`q txs --query`, e.g. `write_acknowledgement.packet_dst_port='icahost'`); panics when
/// the txs cannot be read in full.
pub fn tx_events(chain: &TestChain, query: &str, kind: &str) -> Vec<HashMap<String, String>> {
    probe::txs(chain, query)
        .iter()
        .flat_map(|tx| events_of(tx, kind))
        .collect()
}

/// The attributes of every event of `kind` in one tx of a `q txs` answer.
fn events_of(tx: &serde_json::Value, kind: &str) -> Vec<HashMap<String, String>> {
    probe::list_at(tx, "/events", "tx events")
        .iter()
        .filter(|e| e["type"] == kind)
        .map(|e| {
            probe::list_at(e, "/attributes", kind)
                .iter()
                .map(|a| (text_at(a, "/key", kind), text_at(a, "/value", kind)))
                .collect()
        })
        .collect()
}

fn text_at(json: &serde_json::Value, pointer: &str, what: &str) -> String {
    probe::at(json, pointer, what)
        .as_str()
        .unwrap_or_else(|| panic!("{what}: {pointer} is not a string in {json}"))
        .to_string()
}
