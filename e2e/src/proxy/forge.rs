//! Rewriting decoded JSON-RPC answers: what a light client checks (commit signatures,
//! validator sets, app hashes) and what a relayer polls (`/status` heights).

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Mode, Shared};

/// The JSON-RPC methods of a request: `(id, method)` per call (a batch has several);
/// a URI request (`GET /commit?height=5`) has one without id.
pub(super) fn request_methods(target: &str, body: &[u8]) -> Vec<(Option<Value>, String)> {
    let path = target.split('?').next().unwrap_or_default();
    let path = path.trim_start_matches('/');
    if !path.is_empty() {
        return vec![(None, path.to_string())];
    }
    let call = |v: &Value| {
        v.get("method")
            .and_then(Value::as_str)
            .map(|m| (v.get("id").cloned(), m.to_string()))
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(calls)) => calls.iter().filter_map(call).collect(),
        Ok(v) => call(&v).into_iter().collect(),
        Err(_) => Vec::new(),
    }
}

/// Whether an answer to `method` may be rewritten (or read) under `mode`.
pub(super) fn touches(mode: &Mode, method: &str) -> bool {
    matches!(
        (mode, method),
        (_, "status")
            | (Mode::ForgeCommitSignatures, "commit" | "block")
            | (Mode::SwapValidators, "validators")
            | (Mode::AlterAppHash, "commit" | "header")
    )
}

/// The rewritten body of an answer to `methods` under `mode`, or `None` when nothing
/// changed. Under every other mode it remembers the `/status` height it passes on.
pub(super) fn rewrite_body(
    mode: &Mode,
    methods: &[(Option<Value>, String)],
    body: &[u8],
    shared: &Shared,
) -> Option<Vec<u8>> {
    let mut json: Value = serde_json::from_slice(body).ok()?;
    let mut changed = false;
    match &mut json {
        Value::Array(answers) => {
            for answer in answers {
                let id = answer.get("id").cloned();
                let method = methods
                    .iter()
                    .find(|(i, _)| i.as_ref() == id.as_ref())
                    .map(|(_, m)| m.as_str());
                if let Some(method) = method {
                    changed |= rewrite_answer(mode, method, answer, shared);
                }
            }
        }
        answer => {
            let (_, method) = methods.first()?;
            changed = rewrite_answer(mode, method, answer, shared);
        }
    }
    changed.then(|| serde_json::to_vec(&json).expect("JSON serializes"))
}

/// Rewrites one JSON-RPC answer in place; whether it changed.
fn rewrite_answer(mode: &Mode, method: &str, answer: &mut Value, shared: &Shared) -> bool {
    let Some(result) = answer.get_mut("result") else {
        return false;
    };
    match (mode, method) {
        (Mode::StaleHeight, "status") => stale_height(result, shared),
        (_, "status") => {
            if let Some(h) = height_at(result, "/sync_info/latest_block_height") {
                shared.saw_height(h);
            }
            false
        }
        (Mode::ForgeCommitSignatures, "commit") => {
            flip_signatures(result.pointer_mut("/signed_header/commit/signatures"))
        }
        (Mode::ForgeCommitSignatures, "block") => {
            flip_signatures(result.pointer_mut("/block/last_commit/signatures"))
        }
        (Mode::SwapValidators, "validators") => swap_validators(result, shared.impostor_key()),
        (Mode::AlterAppHash, "commit") => {
            alter_app_hash(result.pointer_mut("/signed_header/header/app_hash"))
        }
        (Mode::AlterAppHash, "header") => alter_app_hash(result.pointer_mut("/header/app_hash")),
        _ => false,
    }
}

fn height_at(result: &Value, pointer: &str) -> Option<u64> {
    let v = result.pointer(pointer)?;
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_u64())
}

fn stale_height(result: &mut Value, shared: &Shared) -> bool {
    let Some(actual) = height_at(result, "/sync_info/latest_block_height") else {
        return false;
    };
    let stale = shared.stale_height(actual);
    if let Some(slot) = result.pointer_mut("/sync_info/latest_block_height") {
        *slot = Value::String(stale.to_string());
    }
    stale != actual
}

/// Flips the first byte of every signature present; whether any was flipped.
fn flip_signatures(signatures: Option<&mut Value>) -> bool {
    let engine = base64::engine::general_purpose::STANDARD;
    let mut flipped = false;
    for sig in signatures
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let Some(slot) = sig.get_mut("signature") else {
            continue;
        };
        let Some(mut bytes) = slot.as_str().and_then(|s| engine.decode(s).ok()) else {
            continue;
        };
        if bytes.is_empty() {
            continue;
        }
        bytes[0] ^= 0xff;
        *slot = Value::String(engine.encode(&bytes));
        flipped = true;
    }
    flipped
}

/// Replaces the validator list with one impostor holding the whole voting power.
fn swap_validators(result: &mut Value, impostor: [u8; 32]) -> bool {
    let Some(validators) = result.get("validators").and_then(Value::as_array) else {
        return false;
    };
    let power: u64 = validators
        .iter()
        .filter_map(|v| {
            let p = v.get("voting_power")?;
            p.as_str()
                .and_then(|s| s.parse().ok())
                .or_else(|| p.as_u64())
        })
        .sum();
    if power == 0 {
        return false;
    }
    let engine = base64::engine::general_purpose::STANDARD;
    let address = hex::encode_upper(&Sha256::digest(impostor)[..20]);
    result["validators"] = serde_json::json!([{
        "address": address,
        "pub_key": { "type": "tendermint/PubKeyEd25519", "value": engine.encode(impostor) },
        "voting_power": power.to_string(),
        "proposer_priority": "0",
    }]);
    result["count"] = Value::String("1".into());
    result["total"] = Value::String("1".into());
    true
}

/// Changes an upper-case hex app hash: its first byte is flipped (an empty hash becomes
/// 32 bytes, the first 0xff).
fn alter_app_hash(slot: Option<&mut Value>) -> bool {
    let Some(slot) = slot else {
        return false;
    };
    let Some(text) = slot.as_str() else {
        return false;
    };
    let mut bytes = hex::decode(text).unwrap_or_default();
    if bytes.is_empty() {
        bytes = vec![0u8; 32];
    }
    bytes[0] ^= 0xff;
    *slot = Value::String(hex::encode_upper(bytes));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Shared {
        Shared::new(1, 7)
    }

    #[test]
    fn methods_come_from_the_body_or_the_path() {
        assert_eq!(
            request_methods(
                "/",
                br#"{"jsonrpc":"2.0","id":3,"method":"commit","params":{}}"#
            ),
            vec![(Some(Value::from(3)), "commit".to_string())]
        );
        assert_eq!(
            request_methods("/validators?height=4", b""),
            vec![(None, "validators".to_string())]
        );
        let batch = br#"[{"id":"a","method":"status"},{"id":"b","method":"block"}]"#;
        assert_eq!(request_methods("/", batch).len(), 2);
    }

    #[test]
    fn signatures_app_hash_and_validators_are_forged() {
        let s = shared();
        let commit = serde_json::json!({"jsonrpc":"2.0","id":1,"result":{"signed_header":{
            "header":{"app_hash":"AB01"},
            "commit":{"signatures":[{"signature":"AAEC"},{"signature":null}]}}}});
        let body = serde_json::to_vec(&commit).unwrap();
        let methods = [(Some(Value::from(1)), "commit".to_string())];
        let forged = rewrite_body(&Mode::ForgeCommitSignatures, &methods, &body, &s).unwrap();
        let v: Value = serde_json::from_slice(&forged).unwrap();
        assert_eq!(
            v.pointer("/result/signed_header/commit/signatures/0/signature"),
            Some(&Value::from("/wEC"))
        );
        let altered = rewrite_body(&Mode::AlterAppHash, &methods, &body, &s).unwrap();
        let v: Value = serde_json::from_slice(&altered).unwrap();
        assert_eq!(
            v.pointer("/result/signed_header/header/app_hash"),
            Some(&Value::from("5401"))
        );
        assert!(rewrite_body(&Mode::Clean, &methods, &body, &s).is_none());

        let validators = serde_json::json!({"id":1,"result":{"block_height":"9","validators":[
            {"address":"X","pub_key":{"type":"tendermint/PubKeyEd25519","value":"AA=="},
             "voting_power":"10","proposer_priority":"0"}],"count":"1","total":"1"}});
        let methods = [(Some(Value::from(1)), "validators".to_string())];
        let swapped = rewrite_body(
            &Mode::SwapValidators,
            &methods,
            &serde_json::to_vec(&validators).unwrap(),
            &s,
        )
        .unwrap();
        let v: Value = serde_json::from_slice(&swapped).unwrap();
        let impostor = &v["result"]["validators"][0];
        assert_eq!(impostor["voting_power"], "10");
        assert_ne!(impostor["address"], "X");
        assert_eq!(impostor["address"].as_str().unwrap().len(), 40);
    }

    #[test]
    fn stale_height_freezes_at_the_last_height_passed_on() {
        let s = shared();
        let status = |h: u64| {
            serde_json::to_vec(&serde_json::json!({"id":1,"result":{"sync_info":{
                "latest_block_height": h.to_string()}}}))
            .unwrap()
        };
        let methods = [(Some(Value::from(1)), "status".to_string())];
        assert!(rewrite_body(&Mode::Clean, &methods, &status(10), &s).is_none());
        assert!(rewrite_body(&Mode::StaleHeight, &methods, &status(10), &s).is_none());
        let v = rewrite_body(&Mode::StaleHeight, &methods, &status(15), &s).unwrap();
        let v: Value = serde_json::from_slice(&v).unwrap();
        assert_eq!(v["result"]["sync_info"]["latest_block_height"], "10");
    }
}
