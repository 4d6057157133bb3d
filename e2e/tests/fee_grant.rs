//! Fee grants (x/feegrant): the relayer's key holds nothing on either chain, and each
//! chain's `fee_granter` (USER2, which granted the key an allowance) pays for the clients,
//! the handshakes and 50 transfers relayed each way. Then B's allowance is replaced by
//! one too small for any tx: the failure is counted under `reason="fee_grant"` (what the
//! `RelayerFeeGrantNotPaying` alert reads), logged with the fix, and blamed on no packet;
//! once the allowance is renewed, relaying resumes by itself.

use std::time::Duration;

use stateset_e2e::accounts::{USER1, USER2};
use stateset_e2e::chain::{start_chains, TestChain};
use stateset_e2e::ports::free_port;
use stateset_e2e::probe;
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};
use stateset_e2e::transfer::Transfer;

/// A valid BIP-39 mnemonic no harness chain funds (the standard test vector).
const UNFUNDED: &str = "abandon abandon abandon abandon abandon abandon abandon abandon \
                        abandon abandon abandon about";

/// USER2 grants `grantee` an allowance (`spend_limit`, or unlimited), and waits for it.
fn grant(chain: &TestChain, grantee: &str, spend_limit: Option<&str>) {
    let mut args = vec!["feegrant", "grant", USER2.name, grantee];
    if let Some(limit) = spend_limit {
        args.extend(["--spend-limit", limit]);
    }
    let hash = chain.tx(USER2.name, &args).expect("grant accepted");
    chain
        .wait_for_tx(&hash, Duration::from_secs(30))
        .expect("grant included");
}

/// USER2 revokes its allowance to `grantee`, and waits for it.
fn revoke(chain: &TestChain, grantee: &str) {
    let args = ["feegrant", "revoke", USER2.name, grantee];
    let hash = chain.tx(USER2.name, &args).expect("revoke accepted");
    chain
        .wait_for_tx(&hash, Duration::from_secs(30))
        .expect("revoke included");
}

/// See [`probe::wait_transfers_relayed`] (transfers on channel-0).
fn wait_relayed(src: &TestChain, dst: &TestChain, last: u64, within: Duration) {
    probe::wait_transfers_relayed(src, dst, "channel-0", last, within);
}

fn stake(chain: &TestChain, address: &str) -> u128 {
    chain.balance(address, "stake").expect("balance")
}

/// The unfunded key as the relayer's key on every chain of `home`, with an unlimited
/// allowance from USER2 and `fee_granter` set; its address.
fn relayer_on_a_grant(home: &RelayerHome, chains: [&TestChain; 2]) -> String {
    let mnemonic = home.config().parent().expect("home").join("unfunded");
    std::fs::write(&mnemonic, UNFUNDED).expect("mnemonic written");
    let mut address = String::new();
    for chain in chains {
        let out = home.run_ok([
            "keys",
            "add",
            "--chain",
            chain.chain_id(),
            "--mnemonic-file",
            mnemonic.to_str().expect("utf-8 path"),
            "--overwrite",
        ]);
        address = out.split_whitespace().last().expect("address").to_string();
        assert!(address.starts_with("cosmos1"), "keys add printed: {out}");
        grant(chain, &address, None);
        home.set_chain_option(
            chain.chain_id(),
            "fee_granter",
            &format!("\"{}\"", USER2.address),
        );
        assert_eq!(stake(chain, &address), 0, "the relayer's key holds nothing");
    }
    address
}

#[test]
fn a_relayer_key_without_funds_relays_on_a_fee_grant_and_a_spent_grant_is_reported() {
    let mut chains = start_chains(2).expect("chains start");
    let (b, a) = (chains.pop().expect("b"), chains.pop().expect("a"));
    let port = free_port().expect("a free port");
    let settings = DaemonSettings {
        telemetry_port: Some(port),
        ..DaemonSettings::default()
    };
    let home = RelayerHome::new(&[&a, &b], settings);
    let relayer = relayer_on_a_grant(&home, [&a, &b]);
    let granter_before = [stake(&a, USER2.address), stake(&b, USER2.address)];
    home.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
    let sender = RelayerHome::new(&[&a, &b], DaemonSettings::default());
    sender.import_key(&a, &USER1);
    sender.import_key(&b, &USER1);
    let daemon = home.start_daemon();
    sender.run_ok(Transfer::new(a.chain_id(), "stake", 50).args());
    sender.run_ok(Transfer::new(b.chain_id(), "stake", 50).args());
    wait_relayed(&a, &b, 50, Duration::from_secs(180));
    wait_relayed(&b, &a, 50, Duration::from_secs(120));
    for (chain, before) in [(&a, granter_before[0]), (&b, granter_before[1])] {
        assert_eq!(stake(chain, &relayer), 0, "the key paid nothing");
        let after = stake(chain, USER2.address);
        assert!(after < before, "the granter paid: {before} → {after}");
        println!(
            "{}: the granter paid {} stake for the path and 50 + 50 transfers",
            chain.chain_id(),
            before - after
        );
    }

    // B's allowance now pays for nothing.
    revoke(&b, &relayer);
    grant(&b, &relayer, Some("1stake"));
    sender.run_ok(Transfer::new(a.chain_id(), "stake", 5).args());
    let failed_on_b = || {
        probe::sample_sum(
            &probe::scrape(port),
            "stateset_relayer_txs_failed_total",
            &[("chain", b.chain_id()), ("reason", "fee_grant")],
        )
    };
    probe::wait_for(
        "the spent grant counted",
        Duration::from_secs(60),
        || match failed_on_b() {
            Some(n) if n > 0.0 => Ok(()),
            other => Err(format!("txs_failed_total{{reason=fee_grant}} = {other:?}")),
        },
    );
    let unreceived = probe::unreceived_packets(&b, "transfer", "channel-0", &[51, 52, 53, 54, 55]);
    assert_eq!(
        unreceived.len(),
        5,
        "nothing lands on B without a paying grant"
    );
    let log = daemon.log();
    assert!(
        log.contains("the fee grant does not pay") && log.contains("fee_granter"),
        "the failure is logged with the fix:\n{log}"
    );
    assert!(
        !log.contains("packet quarantined"),
        "no packet is blamed for the grant:\n{log}"
    );

    // Renewed: relaying resumes by itself.
    revoke(&b, &relayer);
    grant(&b, &relayer, None);
    wait_relayed(&a, &b, 55, Duration::from_secs(120));
    assert_eq!(stake(&b, &relayer), 0, "the key still paid nothing");
    assert!(!daemon.log().contains("panicked"));
}
