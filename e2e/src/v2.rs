//! IBC v2 in the harness: two ibc-go v10 chains, `create path --ibc-version 2`, and what
//! the chains show of v2 packets (commitments by client, `ibc/…` denoms by client).

use serde_json::Value;

use crate::chain::{start_many, ChainSpec, TestChain};
use crate::probe;
use crate::relayer::RelayerHome;

/// Two ibc-go v10 chains (`stateset-e2e-1`, `partner-e2e-2`).
pub fn v10_chains() -> (TestChain, TestChain) {
    let mut chains = start_many(vec![
        ChainSpec::new("stateset-e2e-1").with_simd_version("v10"),
        ChainSpec::new("partner-e2e-2").with_simd_version("v10"),
    ])
    .expect("chains start");
    let b = chains.pop().expect("b");
    (chains.pop().expect("a"), b)
}

/// `create path --ibc-version 2 --json` between `a` and `b`, parsed.
pub fn create_v2_path(home: &RelayerHome, a: &TestChain, b: &TestChain) -> Value {
    let out = home.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
        "--ibc-version",
        "2",
        "--json",
    ]);
    let last = out.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("create path JSON ({e}): {out}"))
}

/// A string field of `json`; panics naming it when missing.
pub fn field<'a>(json: &'a Value, key: &str) -> &'a str {
    json[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {json}"))
}

/// The sequences of the IBC v2 packet commitments of source client `client` on `chain`
/// (`q ibc channelv2 packet-commitments`), ascending; panics when the CLI cannot say.
pub fn v2_commitments(chain: &TestChain, client: &str) -> Vec<u64> {
    let json = probe::query_json(
        chain,
        &[
            "ibc",
            "channelv2",
            "packet-commitments",
            client,
            "--limit",
            "100000",
        ],
    );
    // Protobuf JSON omits an empty list.
    let mut sequences: Vec<u64> = match json.get("commitments") {
        None | Some(Value::Null) => Vec::new(),
        Some(_) => probe::list_at(&json, "/commitments", "v2 packet commitments")
            .iter()
            .map(|c| probe::u64_at(c, "/sequence", "v2 packet commitment"))
            .collect(),
    };
    sequences.sort_unstable();
    sequences
}

/// The `ibc/…` denom of `base` received over IBC v2 by destination client `client` (ICS-20
/// v1 payloads: the trace hop is `transfer/<destination client>`).
pub fn v2_denom(client: &str, base: &str) -> String {
    crate::ibc::ibc_denom(&format!("transfer/{client}/{base}"))
}
