//! A stranger on the chains: a funded account that is not the relayer's key, creating
//! 07-tendermint clients with the simd CLI (`simd tx ibc client create`) from client and
//! consensus states the test shapes, e.g. a client whose latest height is `2^63 − 1`, or
//! valid clients with a short trusting period that nobody but their creator should touch.

use std::time::Duration;

use serde_json::{json, Value};

use crate::accounts::{self, Account};
use crate::chain::TestChain;
use crate::probe::{at, query_json, u64_at};
use crate::rpc;

/// The stranger: user2, funded at genesis on every harness chain, never the relayer.
pub const STRANGER: Account = accounts::USER2;

/// The largest height a `u64` revision height can hold in a Go `int64`: 2^63 − 1.
pub const MAX_HEIGHT: u64 = i64::MAX as u64;

/// A signed header's fields a 07-tendermint consensus state is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderFields {
    /// The header's height.
    pub height: u64,
    /// Its time, RFC 3339 as CometBFT prints it.
    pub time: String,
    /// Its app hash, upper-case hex.
    pub app_hash: String,
    /// Its next validators hash, upper-case hex.
    pub next_validators_hash: String,
}

/// The latest committed header of `chain` (CometBFT `/commit`); panics when unreadable.
pub fn latest_header(chain: &TestChain) -> HeaderFields {
    let commit = rpc::get_result(chain.ports().rpc, "/commit")
        .unwrap_or_else(|e| panic!("chain {}: /commit: {e}", chain.chain_id()));
    let header = at(&commit, "/signed_header/header", "/commit");
    let text = |key: &str| {
        at(header, &format!("/{key}"), "/commit header")
            .as_str()
            .unwrap_or_else(|| panic!("/commit header: {key} is not a string: {header}"))
            .to_string()
    };
    HeaderFields {
        height: u64_at(header, "/height", "/commit header"),
        time: text("time"),
        app_hash: text("app_hash"),
        next_validators_hash: text("next_validators_hash"),
    }
}

/// A 07-tendermint client state and consensus state, as the simd CLI reads them (the
/// protobuf JSON of their `Any`, `@type` included).
#[derive(Clone, Debug)]
pub struct ClientStates {
    /// `/ibc.lightclients.tendermint.v1.ClientState`.
    pub client_state: Value,
    /// `/ibc.lightclients.tendermint.v1.ConsensusState`.
    pub consensus_state: Value,
}

impl ClientStates {
    /// Valid states of a client of the chain whose header is `header`: the parameters
    /// of `template` (a client state of a client tracking that chain, e.g. the
    /// relayer's, from [`crate::probe::client_state`]) with `trusting_period`, latest
    /// height = the header's height, and the header's consensus state.
    pub fn from_header(template: &Value, header: &HeaderFields, trusting_period: Duration) -> Self {
        let mut client_state = template.clone();
        assert_eq!(
            client_state["@type"], "/ibc.lightclients.tendermint.v1.ClientState",
            "template: {template}"
        );
        client_state["trusting_period"] = json!(format!("{}s", trusting_period.as_secs()));
        client_state["latest_height"]["revision_height"] = json!(header.height.to_string());
        client_state["frozen_height"] = json!({"revision_number": "0", "revision_height": "0"});
        let consensus_state = json!({
            "@type": "/ibc.lightclients.tendermint.v1.ConsensusState",
            "timestamp": header.time,
            "root": { "hash": base64(&hex_bytes(&header.app_hash)) },
            "next_validators_hash": header.next_validators_hash.to_ascii_uppercase(),
        });
        ClientStates {
            client_state,
            consensus_state,
        }
    }

    /// The same states with the client's latest revision height set to `height` (the
    /// consensus state is stored at that height).
    pub fn at_height(mut self, height: u64) -> Self {
        self.client_state["latest_height"]["revision_height"] = json!(height.to_string());
        self
    }
}

/// Creates a client on `host` from `states`, signed by `from` (a key in the chain's
/// test keyring) with the simd CLI; waits for the tx and returns the new client's id.
/// Panics with the CLI's output if anything fails.
pub fn create_client(host: &TestChain, from: &Account, states: &ClientStates) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let cs = dir.path().join("client_state.json");
    let cons = dir.path().join("consensus_state.json");
    std::fs::write(&cs, states.client_state.to_string()).expect("client state written");
    std::fs::write(&cons, states.consensus_state.to_string()).expect("consensus state written");
    let (cs, cons) = (cs.to_str().unwrap(), cons.to_str().unwrap());
    let hash = broadcast(host, from, &["ibc", "client", "create", cs, cons]);
    let events = tx_events(host, &hash);
    let ids: Vec<&String> = events
        .iter()
        .filter(|(kind, _)| kind == "create_client")
        .filter_map(|(_, attrs)| attrs.iter().find(|(k, _)| k == "client_id").map(|(_, v)| v))
        .collect();
    match ids.as_slice() {
        [id] => id.to_string(),
        _ => panic!("tx {hash}: expected one create_client event, got {events:?}"),
    }
}

/// Runs `simd tx ARGS` signed by `from` (broadcast sync, fixed gas and fee) and returns
/// CheckTx's answer: (code, codespace, tx hash). Panics when the CLI itself fails.
pub fn submit(chain: &TestChain, from: &Account, args: &[&str]) -> (u32, String, String) {
    let mut full = vec!["tx"];
    full.extend_from_slice(args);
    full.extend_from_slice(&[
        "--from",
        from.name,
        "--keyring-backend",
        "test",
        "--chain-id",
        chain.chain_id(),
        "--gas",
        "600000",
        "--fees",
        "600stake",
        "--broadcast-mode",
        "sync",
        "--yes",
        "-o",
        "json",
    ]);
    let out = chain
        .cli(&full)
        .unwrap_or_else(|e| panic!("chain {}: {e}", chain.chain_id()));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "`simd {}` printed no JSON ({e}): {}{}",
            full.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let code = json
        .get("code")
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("`simd {}`: no code in {json}", full.join(" ")));
    let text = |key: &str| json[key].as_str().unwrap_or_default().to_string();
    (code as u32, text("codespace"), text("txhash"))
}

/// [`submit`], then checks CheckTx accepted it, waits (30 s) for it to succeed in a
/// block and returns its hash; panics otherwise.
pub fn broadcast(chain: &TestChain, from: &Account, args: &[&str]) -> String {
    let (code, codespace, hash) = submit(chain, from, args);
    assert!(
        code == 0 && !hash.is_empty(),
        "`simd tx {}` refused by CheckTx: code {code} ({codespace}), tx {hash}",
        args.join(" ")
    );
    chain
        .wait_for_tx(&hash, Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("`simd tx {}`: {e}", args.join(" ")));
    hash
}

/// The events of the included tx `hash`: (type, [(key, value)]), from `q tx`.
pub fn tx_events(chain: &TestChain, hash: &str) -> Vec<(String, Vec<(String, String)>)> {
    let json = query_json(chain, &["tx", hash]);
    crate::probe::list_at(&json, "/events", &format!("tx {hash}"))
        .iter()
        .map(|e| {
            let text = |json: &Value, pointer: &str| {
                at(json, pointer, &format!("tx {hash} event"))
                    .as_str()
                    .unwrap_or_else(|| panic!("tx {hash}: {pointer} is not a string in {json}"))
                    .to_string()
            };
            let kind = text(e, "/type");
            let attrs = crate::probe::list_at(e, "/attributes", "event")
                .iter()
                .map(|a| (text(a, "/key"), text(a, "/value")))
                .collect();
            (kind, attrs)
        })
        .collect()
}

/// Decodes hex (either case); panics on anything else.
fn hex_bytes(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap_or_else(|e| panic!("not hex ({e}): {text:?}"))
}

/// Standard base64 with padding (how protobuf JSON writes `bytes`).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want);
        }
    }

    #[test]
    fn states_from_a_header_keep_the_template_and_take_the_header() {
        let template = json!({
            "@type": "/ibc.lightclients.tendermint.v1.ClientState",
            "chain_id": "b-1",
            "trusting_period": "1209600s",
            "latest_height": {"revision_number": "1", "revision_height": "40"},
            "frozen_height": {"revision_number": "0", "revision_height": "0"},
            "proof_specs": [1, 2],
        });
        let header = HeaderFields {
            height: 77,
            time: "2025-01-01T00:00:00.5Z".into(),
            app_hash: "00ff".into(),
            next_validators_hash: "abcd".into(),
        };
        let s = ClientStates::from_header(&template, &header, Duration::from_secs(40));
        assert_eq!(s.client_state["trusting_period"], "40s");
        assert_eq!(s.client_state["latest_height"]["revision_height"], "77");
        assert_eq!(s.client_state["latest_height"]["revision_number"], "1");
        assert_eq!(s.client_state["proof_specs"], json!([1, 2]));
        assert_eq!(s.consensus_state["root"]["hash"], "AP8=");
        assert_eq!(s.consensus_state["next_validators_hash"], "ABCD");
        let max = s.at_height(MAX_HEIGHT);
        assert_eq!(
            max.client_state["latest_height"]["revision_height"],
            "9223372036854775807"
        );
    }
}
