//! Helpers the end-to-end tests share: `ibc/…` denoms, packet commitments left on a
//! channel, waiting for a condition with a deadline, sending transfers through the relayer's
//! CLI and reading a metric from a `/metrics` scrape.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::chain::TestChain;
use crate::relayer::{http_get, RelayerHome};

/// The `ibc/…` denom of a full trace, e.g. `transfer/channel-0/stake`.
pub fn ibc_denom(full_path: &str) -> String {
    format!(
        "ibc/{}",
        hex::encode_upper(Sha256::digest(full_path.as_bytes()))
    )
}

/// Packet commitments left on `chain`'s `port/channel`.
pub fn commitments(chain: &TestChain, port: &str, channel: &str) -> usize {
    let out = chain
        .cli([
            "q",
            "ibc",
            "channel",
            "packet-commitments",
            port,
            channel,
            "--limit",
            "100000",
            "--output",
            "json",
        ])
        .expect("query commitments");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    v["commitments"].as_array().map_or(0, Vec::len)
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
/// contain every `key="value"` of `labels`; 0 when none (or nothing answers).
pub fn metric(port: u16, name: &str, labels: &[(&str, &str)]) -> f64 {
    match http_get(port, "/metrics") {
        Some((200, body)) => metric_in(&body, name, labels),
        _ => 0.0,
    }
}

/// The value of the series `name{labels…}` in a Prometheus text body (every label given
/// must match; matching series are summed); 0 when absent.
pub fn metric_in(body: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (n, rest) = series.split_once('{').unwrap_or((series, "}"));
            (n == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
            .then(|| value.parse::<f64>().ok())?
        })
        .sum()
}

/// Every channel end on `chain` (`q ibc channel channels`), as JSON.
pub fn channels(chain: &TestChain) -> Vec<serde_json::Value> {
    let out = chain
        .cli(["q", "ibc", "channel", "channels", "--output", "json"])
        .expect("query channels");
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_default()["channels"]
        .as_array()
        .cloned()
        .unwrap_or_default()
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
/// (`q txs --query`, e.g. `write_acknowledgement.packet_dst_port='icahost'`).
pub fn tx_events(
    chain: &TestChain,
    query: &str,
    kind: &str,
) -> Vec<std::collections::HashMap<String, String>> {
    let out = chain
        .cli([
            "q", "txs", "--query", query, "--limit", "100", "--output", "json",
        ])
        .expect("query txs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let mut found = Vec::new();
    for tx in v["txs"].as_array().into_iter().flatten() {
        for event in tx["events"].as_array().into_iter().flatten() {
            if event["type"] != kind {
                continue;
            }
            let attrs = event["attributes"].as_array().into_iter().flatten();
            found.push(
                attrs
                    .filter_map(|a| {
                        Some((
                            a["key"].as_str()?.to_string(),
                            a["value"].as_str()?.to_string(),
                        ))
                    })
                    .collect(),
            );
        }
    }
    found
}
