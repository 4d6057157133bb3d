//! A fee below the chain's minimum, corrected from the chain's own answer: the relayer's
//! gas price is set to a tenth of what the chains charge (0.0001 against their minimum of
//! 0.001stake), so CheckTx refuses each tx first with "insufficient fees; … required: N".
//! The submitter sends it once more with the fee the chain asked for: `create path`, the
//! users' transfers and the daemon's relaying all go through, every correction is logged
//! and counted (`tx_fee_adjustments_total{reason="insufficient_fee"}`), and nothing is left
//! unrelayed.

use std::time::Duration;

use stateset_e2e::accounts::{USER1, USER2};
use stateset_e2e::chain::{start_chains, TestChain};
use stateset_e2e::ports::free_port;
use stateset_e2e::probe;
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};
use stateset_e2e::transfer::Transfer;

/// What the harness writes for every chain, and the tenth of it this test uses.
const CHAIN_PRICE: &str = "gas_price = { price = 0.001, denom = \"stake\" }";
const LOW_PRICE: &str = "gas_price = { price = 0.0001, denom = \"stake\" }";

fn low_priced_home(chains: &[&TestChain], port: u16) -> RelayerHome {
    let settings = DaemonSettings {
        telemetry_port: Some(port),
        ..DaemonSettings::default()
    };
    let home = RelayerHome::new(chains, settings);
    let text = std::fs::read_to_string(home.config()).expect("config read");
    assert_eq!(
        text.matches(CHAIN_PRICE).count(),
        chains.len(),
        "the harness's gas price line"
    );
    std::fs::write(home.config(), text.replace(CHAIN_PRICE, LOW_PRICE)).expect("config written");
    for c in chains {
        home.import_key(c, &USER1);
    }
    home
}

#[test]
fn a_gas_price_below_the_chains_minimum_is_corrected_from_their_answer() {
    let chains = start_chains(2).expect("chains start");
    let (a, b) = (&chains[0], &chains[1]);
    let port = free_port().expect("a free port");
    let home = low_priced_home(&[a, b], port);
    let out = home.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
    assert!(out.contains("channel-0"), "create path went through: {out}");
    let mut daemon = home.start_daemon();
    home.run_ok(Transfer::new(a.chain_id(), "stake", 20).args());
    home.run_ok(Transfer::new(b.chain_id(), "ufoo", 20).args());
    probe::wait_transfers_relayed(a, b, "channel-0", 20, Duration::from_secs(120));
    probe::wait_transfers_relayed(b, a, "channel-0", 20, Duration::from_secs(120));
    let metrics = probe::scrape(port);
    let adjusted = probe::sample_sum(
        &metrics,
        "stateset_relayer_tx_fee_adjustments_total",
        &[("reason", "insufficient_fee")],
    )
    .unwrap_or(0.0);
    assert!(daemon.stop(Duration::from_secs(10)).success());
    let log = daemon.log();
    let logged = log.matches("the chain asked for more gas or fee").count();
    println!("the daemon's fee corrections: {adjusted} counted, {logged} logged");
    assert!(
        adjusted >= 2.0,
        "recv and ack txs on both chains corrected: {metrics}"
    );
    assert_eq!(
        adjusted as usize, logged,
        "each correction counted and logged once"
    );
    let received = USER2.address;
    assert_eq!(
        b.balance(
            received,
            &stateset_e2e::ibc::ibc_denom("transfer/channel-0/stake")
        )
        .unwrap(),
        20
    );
}
