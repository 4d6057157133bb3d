//! IBC v2 on two ibc-go v10 chains: `create path --ibc-version 2` creates a client on each
//! chain and registers each with the other (`MsgRegisterCounterparty`, merkle prefix
//! `["ibc", ""]`); the chains show the registration, `query client --json` shows it, and a
//! second run sends nothing.

use serde_json::Value;
use stateset_e2e::accounts::RELAYER;
use stateset_e2e::chain::TestChain;
use stateset_e2e::probe;
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};
use stateset_e2e::v2::{create_v2_path, field, v10_chains};

/// What `simd q ibc client counterparty-info` says `client` is registered with.
fn registered_with(chain: &TestChain, client: &str) -> (String, Vec<String>) {
    let json = probe::query_json(chain, &["ibc", "client", "counterparty-info", client]);
    let info = probe::at(&json, "/counterparty_info", "counterparty info");
    let id = info["client_id"].as_str().expect("client_id").to_string();
    let prefix = probe::list_at(info, "/merkle_prefix", "merkle prefix")
        .iter()
        .map(|p| p.as_str().expect("base64").to_string())
        .collect();
    (id, prefix)
}

#[test]
fn create_path_v2_registers_clients_with_each_other_once() {
    let (a, b) = v10_chains();
    let home = RelayerHome::new(&[&a, &b], DaemonSettings::default());
    let first = create_v2_path(&home, &a, &b);
    println!("create path --ibc-version 2: {first}");
    let (a_client, b_client) = (field(&first, "a_client"), field(&first, "b_client"));
    assert_eq!(first["created"], 2, "{first}");
    assert_eq!(first["registered"], 2, "{first}");
    // "aWJj" is base64 of "ibc": the prefix ["ibc", ""].
    let prefix = vec!["aWJj".to_string(), String::new()];
    assert_eq!(
        registered_with(&a, a_client),
        (b_client.to_string(), prefix.clone())
    );
    assert_eq!(
        registered_with(&b, b_client),
        (a_client.to_string(), prefix)
    );

    let listed = home.run_ok(["query", "client", "--chain", a.chain_id(), "--json"]);
    let listed: Value = serde_json::from_str(listed.trim()).expect("client list JSON");
    let ours = listed
        .as_array()
        .expect("a list")
        .iter()
        .find(|c| c["client_id"] == a_client)
        .unwrap_or_else(|| panic!("{a_client} listed: {listed}"));
    assert_eq!(ours["v2_counterparty"]["client_id"], b_client, "{ours}");

    let sequences = [&a, &b].map(|c| probe::account_sequence(c, RELAYER.address));
    let second = create_v2_path(&home, &a, &b);
    assert_eq!(
        (field(&second, "a_client"), field(&second, "b_client")),
        (a_client, b_client)
    );
    assert_eq!(
        (&second["created"], &second["registered"]),
        (&0.into(), &0.into())
    );
    let after = [&a, &b].map(|c| probe::account_sequence(c, RELAYER.address));
    assert_eq!(sequences, after, "the second run sent nothing");
}
