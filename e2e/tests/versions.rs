//! Chains of different ibc-go majors: `query status` names each chain's CometBFT, Cosmos
//! SDK and ibc-go versions, and a channel with an ICS-29 fee version toward an ibc-go v10
//! chain (which has no fee middleware) is refused before anything is submitted. v11 runs
//! in the long mode (`scripts/test --all`): its simd takes about 10 minutes to build cold.

use std::time::Duration;

use serde_json::Value;
use stateset_e2e::accounts::RELAYER;
use stateset_e2e::chain::{start_many, ChainSpec, TestChain};
use stateset_e2e::probe;
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};

const FEE_VERSION: &str = r#"{"fee_version":"ics29-1","app_version":"ics20-1"}"#;

/// One chain per ibc-go major in `versions`, ids `stateset-e2e-1`, `partner-e2e-2`, ...
fn chains_on(versions: &[&str]) -> Vec<TestChain> {
    let specs = versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let name = if i == 0 { "stateset" } else { "partner" };
            ChainSpec::new(format!("{name}-e2e-{}", i + 1)).with_simd_version(*v)
        })
        .collect();
    start_many(specs).expect("chains start")
}

/// `query status --chain C --json` of the relayer.
fn status(home: &RelayerHome, chain: &TestChain) -> Value {
    let out = home.run_ok(["query", "status", "--chain", chain.chain_id(), "--json"]);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("status JSON ({e}): {out}"))
}

/// Checks that `query status` names `ibc_go` (a prefix such as `v10.`; `None`: not
/// reported), `cometbft`, an SDK version and whether the chain has IBC v2 for `chain`, and
/// prints the line an operator sees.
fn names_its_versions(home: &RelayerHome, chain: &TestChain, ibc_go: Option<&str>, cometbft: &str) {
    let s = status(home, chain);
    let field = |k: &str| s[k].as_str().unwrap_or_default().to_string();
    match ibc_go {
        Some(v) => assert!(
            field("ibc_go").starts_with(v),
            "ibc-go of {}: {s}",
            chain.chain_id()
        ),
        None => assert!(s["ibc_go"].is_null(), "{s}"),
    }
    assert_eq!(
        s["ibc_v2"],
        ibc_go.is_some(),
        "IBC v2 of {}: {s}",
        chain.chain_id()
    );
    assert!(
        field("cometbft").starts_with(cometbft),
        "CometBFT of {}: {s}",
        chain.chain_id()
    );
    assert!(
        field("cosmos_sdk").starts_with("v0.5"),
        "SDK of {}: {s}",
        chain.chain_id()
    );
    assert_eq!(field("rpc_dialect"), "v0.38", "{s}");
    let line = home.run_ok(["query", "status", "--chain", chain.chain_id()]);
    println!("{}", line.trim());
}

#[test]
fn status_names_versions_and_a_fee_channel_toward_v10_is_refused() {
    let chains = chains_on(&["v8", "v10"]);
    let (a, b) = (&chains[0], &chains[1]);
    let home = RelayerHome::new(&[a, b], DaemonSettings::default());
    // ibc-go v8's simd is built from ibc-go's own module, so its build dependencies (what
    // the node reports) do not list ibc-go: the version is unknown, and IBC v2 absent.
    // A chain's own binary (gaiad, stateset) lists ibc-go as a dependency, as v10's does.
    names_its_versions(&home, a, None, "0.38.");
    names_its_versions(&home, b, Some("v10."), "0.38.");

    let sequences = [a, b].map(|c| probe::account_sequence(c, RELAYER.address));
    let out = home.run_with_timeout(
        [
            "create",
            "channel",
            "--a-chain",
            a.chain_id(),
            "--b-chain",
            b.chain_id(),
            "--a-port",
            "transfer",
            "--b-port",
            "transfer",
            "--version",
            FEE_VERSION,
        ],
        Duration::from_secs(60),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "refused: {stderr}");
    for words in [
        b.chain_id(),
        "no ICS-29 fee middleware",
        "--version ics20-1",
    ] {
        assert!(
            stderr.contains(words),
            "the error names `{words}`: {stderr}"
        );
    }
    let after = [a, b].map(|c| probe::account_sequence(c, RELAYER.address));
    assert_eq!(sequences, after, "nothing was submitted");
    println!("refused: {}", stderr.trim());
}

#[test]
#[ignore = "long mode: builds ibc-go v11's simd (about 10 minutes cold)"]
fn status_names_the_versions_of_a_v11_chain() {
    let chains = chains_on(&["v11"]);
    let home = RelayerHome::new(&[&chains[0]], DaemonSettings::default());
    names_its_versions(&home, &chains[0], Some("v11."), "0.39.");
}
