//! Dynamic gas prices on a chain without a fee market: chain A is configured to read its
//! price from x/feemarket (`gas_price.dynamic`, multiplier 1.5, refreshed every second),
//! which `simd` does not have. The daemon falls back to the static price with one warning
//! for the whole run, however many txs it signs, and relays as usual; its txs pay exactly
//! the static price (not 1.5 times it). Decoding real feemarket and Osmosis answers is
//! unit-tested in `relayer/src/chain/gas_price_tests.rs`.

use std::time::Duration;

use stateset_e2e::accounts::{RELAYER, USER1};
use stateset_e2e::chain::start_chains;
use stateset_e2e::probe;
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};
use stateset_e2e::transfer::Transfer;

const CHAIN_PRICE: &str = "gas_price = { price = 0.001, denom = \"stake\" }";
const DYNAMIC: &str = "gas_price = { price = 0.001, denom = \"stake\", dynamic = { source = \"feemarket\", multiplier = 1.5, max = 0.5, refresh = \"1s\" } }";

#[test]
fn without_a_fee_market_the_static_price_is_used_with_one_warning() {
    let chains = start_chains(2).expect("chains start");
    let (a, b) = (&chains[0], &chains[1]);
    let home = RelayerHome::new(&[a, b], DaemonSettings::default());
    let text = std::fs::read_to_string(home.config()).expect("config read");
    // The first chain's line is chain A's.
    std::fs::write(home.config(), text.replacen(CHAIN_PRICE, DYNAMIC, 1)).expect("written");
    for c in [a, b] {
        home.import_key(c, &USER1);
    }
    home.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
    let mut daemon = home.start_daemon();
    // Three rounds more than a refresh interval apart: A signs acks (and receives) in each.
    for round in 1..=3u64 {
        home.run_ok(Transfer::new(a.chain_id(), "stake", 5).args());
        home.run_ok(Transfer::new(b.chain_id(), "ufoo", 5).args());
        probe::wait_transfers_relayed(a, b, "channel-0", 5 * round, Duration::from_secs(60));
        probe::wait_transfers_relayed(b, a, "channel-0", 5 * round, Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(1100)); // past the 1 s refresh
    }
    assert!(daemon.stop(Duration::from_secs(10)).success());
    let log = daemon.log();
    let warning = format!(
        "chain {} has no x/feemarket GasPrice query; using the static gas_price 0.001stake",
        a.chain_id()
    );
    assert_eq!(log.matches(&warning).count(), 1, "one warning:\n{log}");
    assert!(
        !log.contains(&format!("chain {} has no x/feemarket", b.chain_id())),
        "B has a static price"
    );
    // Every relayer tx on A paid the static price: ceil(gas_wanted × 0.001) stake.
    let query = format!(
        "message.action='/ibc.core.channel.v1.MsgAcknowledgement' AND message.sender='{}'",
        RELAYER.address
    );
    let txs = probe::txs(a, &query);
    assert!(!txs.is_empty(), "the relayer acknowledged on A");
    for tx in &txs {
        let gas_wanted: u64 = tx["gas_wanted"]
            .as_str()
            .and_then(|g| g.parse().ok())
            .unwrap_or_else(|| panic!("gas_wanted: {tx}"));
        let fee = &tx["tx"]["auth_info"]["fee"]["amount"][0];
        let paid: u64 = fee["amount"]
            .as_str()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("fee: {tx}"));
        assert_eq!(fee["denom"], "stake", "{tx}");
        assert_eq!(paid, gas_wanted.div_ceil(1000), "static price 0.001: {tx}");
    }
    println!(
        "{} relayer txs on {} paid the static price; the fallback was logged once",
        txs.len(),
        a.chain_id()
    );
}
