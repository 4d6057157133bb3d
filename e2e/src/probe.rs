//! Strict readings of chain and relayer state for the hostile-world tests: every helper
//! panics with the command's output (or the HTTP answer) when it cannot read what it was
//! asked for, instead of returning a default that could make an assertion pass.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::chain::TestChain;
use crate::relayer::http_get;

/// Runs `simd q ARGS -o json` on `chain` and parses its output; panics with the command's
/// output when it fails or does not print JSON.
pub fn query_json(chain: &TestChain, args: &[&str]) -> Value {
    let mut full = vec!["q"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["-o", "json"]);
    let out = chain
        .cli(&full)
        .unwrap_or_else(|e| panic!("chain {}: `simd {}`: {e}", chain.chain_id(), full.join(" ")));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "chain {}: `simd {}` printed no JSON ({e}):\nstdout: {}\nstderr: {}",
            chain.chain_id(),
            full.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The value at `pointer` in `json`; panics naming `what` and showing `json` when absent.
pub fn at<'a>(json: &'a Value, pointer: &str, what: &str) -> &'a Value {
    json.pointer(pointer)
        .unwrap_or_else(|| panic!("{what}: no {pointer} in {json}"))
}

/// A protobuf-JSON `uint64` (a decimal string, or a number) at `pointer`; panics otherwise.
pub fn u64_at(json: &Value, pointer: &str, what: &str) -> u64 {
    u64_from(at(json, pointer, what))
        .unwrap_or_else(|| panic!("{what}: {pointer} is not a u64 in {json}"))
}

/// A protobuf-JSON `uint64`: a decimal string or a number.
pub fn u64_from(v: &Value) -> Option<u64> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_u64())
}

/// The array at `pointer` (an absent or `null` field is an empty list, as protobuf JSON
/// omits empty repeated fields); panics when something else is there.
pub fn list_at(json: &Value, pointer: &str, what: &str) -> Vec<Value> {
    match json.pointer(pointer) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(other) => panic!("{what}: {pointer} is not a list: {other}"),
    }
}

/// The account sequence of `address` (`q auth account`), however the SDK nests it.
pub fn account_sequence(chain: &TestChain, address: &str) -> u64 {
    let json = query_json(chain, &["auth", "account", address]);
    find_key(&json, "sequence")
        .map(|v| {
            v.as_str()
                .and_then(|s| s.parse().ok())
                .or_else(|| v.as_u64())
                .unwrap_or_else(|| panic!("sequence of {address} is not a u64: {json}"))
        })
        // A fresh account's sequence 0 is omitted from protobuf JSON: only accept that
        // when the account itself is there.
        .unwrap_or_else(|| {
            assert!(
                find_key(&json, "address").is_some_and(|a| a == address),
                "no account {address} in {json}"
            );
            0
        })
}

/// The first value of `key` anywhere in `json` (depth-first).
fn find_key<'a>(json: &'a Value, key: &str) -> Option<&'a Value> {
    match json {
        Value::Object(map) => map
            .get(key)
            .or_else(|| map.values().find_map(|v| find_key(v, key))),
        Value::Array(items) => items.iter().find_map(|v| find_key(v, key)),
        _ => None,
    }
}

/// The client state (the `Any`, with `@type`) of `client_id` on `chain`.
pub fn client_state(chain: &TestChain, client_id: &str) -> Value {
    let json = query_json(chain, &["ibc", "client", "state", client_id]);
    at(&json, "/client_state", &format!("client {client_id}")).clone()
}

/// The `(revision_number, revision_height)` of a client state's `latest_height`.
pub fn latest_height(client_state: &Value) -> (u64, u64) {
    (
        u64_at(
            client_state,
            "/latest_height/revision_number",
            "client state",
        ),
        u64_at(
            client_state,
            "/latest_height/revision_height",
            "client state",
        ),
    )
}

/// The ids of the 07-tendermint clients on `chain` (not ibc-go's `09-localhost`).
pub fn tendermint_client_ids(chain: &TestChain) -> Vec<String> {
    let json = query_json(chain, &["ibc", "client", "states", "--limit", "1000"]);
    list_at(&json, "/client_states", "client states")
        .iter()
        .map(|c| at(c, "/client_id", "client").as_str().unwrap().to_string())
        .filter(|id| id.starts_with("07-tendermint-"))
        .collect()
}

/// Every connection end on `chain`, as JSON (`id`, `client_id`, `state`, `counterparty`…).
pub fn connections(chain: &TestChain) -> Vec<Value> {
    let json = query_json(
        chain,
        &["ibc", "connection", "connections", "--limit", "1000"],
    );
    list_at(&json, "/connections", "connections")
}

/// Packet commitments left on `chain`'s `port/channel`.
pub fn commitments(chain: &TestChain, port: &str, channel: &str) -> usize {
    commitment_sequences(chain, port, channel).len()
}

/// The sequences of the packet commitments left on `chain`'s `port/channel`, ascending.
pub fn commitment_sequences(chain: &TestChain, port: &str, channel: &str) -> Vec<u64> {
    let json = query_json(
        chain,
        &[
            "ibc",
            "channel",
            "packet-commitments",
            port,
            channel,
            "--limit",
            "100000",
        ],
    );
    let mut sequences: Vec<u64> = list_at(&json, "/commitments", "packet commitments")
        .iter()
        .map(|c| u64_at(c, "/sequence", "packet commitment"))
        .collect();
    sequences.sort_unstable();
    sequences
}

/// Whether the commitment of packet `sequence` sent on `port/channel` is on `chain`.
pub fn has_commitment(chain: &TestChain, port: &str, channel: &str, sequence: u64) -> bool {
    commitment_sequences(chain, port, channel).contains(&sequence)
}

/// Of `sequences` (sent to `chain`'s end `port/channel`), those `chain` has not received
/// (`q ibc channel unreceived-packets`), ascending.
pub fn unreceived_packets(
    chain: &TestChain,
    port: &str,
    channel: &str,
    sequences: &[u64],
) -> Vec<u64> {
    let list: Vec<String> = sequences.iter().map(u64::to_string).collect();
    let list = list.join(",");
    let json = query_json(
        chain,
        &[
            "ibc",
            "channel",
            "unreceived-packets",
            port,
            channel,
            "--sequences",
            &list,
        ],
    );
    let mut unreceived: Vec<u64> = list_at(&json, "/sequences", "unreceived packets")
        .iter()
        .map(|s| u64_from(s).unwrap_or_else(|| panic!("unreceived packets: {s} in {json}")))
        .collect();
    unreceived.sort_unstable();
    unreceived
}

/// The next sequence `chain`'s end `port/channel` sends (`which` = `"send"`) or expects
/// to receive (`"receive"`, ordered channels).
pub fn next_sequence(chain: &TestChain, which: &str, port: &str, channel: &str) -> u64 {
    let command = format!("next-sequence-{which}");
    let json = query_json(chain, &["ibc", "channel", &command, port, channel]);
    let field = format!("/next_sequence_{which}");
    u64_at(&json, &field, &format!("{command} {port}/{channel}"))
}

/// The txs on `chain` matching the CometBFT event `query` (`q txs --query`, at most 100;
/// panics when more match, rather than read a truncated list).
pub fn txs(chain: &TestChain, query: &str) -> Vec<Value> {
    let json = query_json(chain, &["txs", "--query", query, "--limit", "100"]);
    let what = format!("txs matching {query}");
    let total = u64_at(&json, "/total_count", &what);
    let txs = list_at(&json, "/txs", &what);
    assert_eq!(
        total,
        txs.len() as u64,
        "{what}: {total} match, {} listed (more than a page?)",
        txs.len()
    );
    txs
}

/// Whether `chain` has a receipt for packet `sequence` on its end `port/channel`.
pub fn received(chain: &TestChain, port: &str, channel: &str, sequence: u64) -> bool {
    let seq = sequence.to_string();
    let json = query_json(
        chain,
        &["ibc", "channel", "packet-receipt", port, channel, &seq],
    );
    match json.get("received") {
        Some(Value::Bool(b)) => *b,
        // Protobuf JSON omits `false`; the proof height is always there.
        None if json.get("proof_height").is_some() => false,
        _ => panic!("packet receipt {port}/{channel}/{sequence}: {json}"),
    }
}

/// `/metrics` of the daemon on `port`; panics unless it answers 200.
pub fn scrape(port: u16) -> String {
    match http_get(port, "/metrics") {
        Some((200, body)) => body,
        other => panic!("GET /metrics on port {port}: {other:?}"),
    }
}

/// Every sample of metric `name` in a Prometheus text body: (labels inside the braces,
/// value). Empty when the metric is absent.
pub fn samples(body: &str, name: &str) -> Vec<(String, f64)> {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (n, labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let value = value
                .parse()
                .unwrap_or_else(|e| panic!("metric line {l:?}: {e}"));
            (n == name).then(|| (labels.to_string(), value))
        })
        .collect()
}

/// The sum of the samples of `name` whose labels include every `key="value"` of `labels`;
/// `None` when no sample matches.
pub fn sample_sum(body: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let matching: Vec<f64> = samples(body, name)
        .into_iter()
        .filter(|(l, _)| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|(_, v)| v)
        .collect();
    (!matching.is_empty()).then(|| matching.iter().sum())
}

/// Polls `check` every 250 ms until it returns `Ok`, and returns its value and how long
/// it took; panics after `timeout` with the last `Err` note (what was observed).
pub fn wait_for<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Result<T, String>,
) -> (T, Duration) {
    let start = Instant::now();
    loop {
        match check() {
            Ok(value) => return (value, start.elapsed()),
            Err(note) if start.elapsed() >= timeout => {
                panic!("{what}: not within {timeout:?}; last observed: {note}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(250)),
        }
    }
}

/// Checks `holds` every `every` for `window`; panics with its note the first time it does
/// not hold. For "nothing happens" assertions: they fail as soon as something happens.
pub fn holds_for(
    what: &str,
    window: Duration,
    every: Duration,
    mut holds: impl FnMut() -> Result<(), String>,
) {
    let start = Instant::now();
    loop {
        if let Err(note) = holds() {
            panic!("{what}: broken after {:?}: {note}", start.elapsed());
        }
        if start.elapsed() >= window {
            return;
        }
        std::thread::sleep(every.min(window.saturating_sub(start.elapsed())));
    }
}

/// Waits until `src` has no transfer packet commitment left on `channel` and `dst` has
/// received sequences 1..=`last` (the transfers were received and acknowledged); panics
/// with what is still missing after `within`.
pub fn wait_transfers_relayed(
    src: &TestChain,
    dst: &TestChain,
    channel: &str,
    last: u64,
    within: Duration,
) {
    let what = format!(
        "{} → {}: 1..={last} received and acknowledged on {channel}",
        src.chain_id(),
        dst.chain_id()
    );
    let all: Vec<u64> = (1..=last).collect();
    wait_for(&what, within, || {
        let pending = commitment_sequences(src, "transfer", channel);
        let unreceived = unreceived_packets(dst, "transfer", channel, &all);
        match (pending.is_empty(), unreceived.is_empty()) {
            (true, true) => Ok(()),
            _ => Err(format!(
                "{} still committed, {} unreceived",
                pending.len(),
                unreceived.len()
            )),
        }
    });
}

/// The log lines containing `needle` that also name `sequence` (a token starting with
/// `seq`, e.g. `sequence=7`, `"sequence":7`, `sequences=[7]`, followed by the number).
pub fn lines_naming_sequence<'a>(log: &'a str, needle: &str, sequence: u64) -> Vec<&'a str> {
    let seq = sequence.to_string();
    log.lines()
        .filter(|l| l.contains(needle))
        .filter(|l| {
            let tokens: Vec<&str> = l
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|t| !t.is_empty())
                .collect();
            tokens.windows(2).any(|w| {
                let key = w[0].to_ascii_lowercase();
                let names_sequence =
                    key.ends_with("sequence") || key.ends_with("sequences") || key == "seq";
                names_sequence && w[1] == seq
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_and_sums_read_labels_exactly() {
        let body = "# HELP x y\nstateset_relayer_a{chain=\"c-1\",task=\"t\"} 2\n\
                    stateset_relayer_a{chain=\"c-2\",task=\"t\"} 3\nstateset_relayer_ab 9\n";
        assert_eq!(samples(body, "stateset_relayer_a").len(), 2);
        assert_eq!(
            sample_sum(body, "stateset_relayer_a", &[("task", "t")]),
            Some(5.0)
        );
        assert_eq!(
            sample_sum(body, "stateset_relayer_a", &[("chain", "c-2")]),
            Some(3.0)
        );
        assert_eq!(
            sample_sum(body, "stateset_relayer_a", &[("chain", "c")]),
            None
        );
        assert_eq!(
            samples(body, "stateset_relayer_ab"),
            vec![(String::new(), 9.0)]
        );
    }

    #[test]
    fn sequences_are_found_as_whole_tokens() {
        let log = "INFO packet quarantined sequence=12 channel=channel-0\n\
                   INFO packet quarantined sequence=1\n\
                   {\"message\":\"packet quarantined\",\"sequence\":7}\n";
        assert_eq!(lines_naming_sequence(log, "packet quarantined", 1).len(), 1);
        assert_eq!(
            lines_naming_sequence(log, "packet quarantined", 12).len(),
            1
        );
        assert_eq!(lines_naming_sequence(log, "packet quarantined", 7).len(), 1);
        assert!(lines_naming_sequence(log, "packet quarantined", 2).is_empty());
    }
}
