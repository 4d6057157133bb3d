//! ICS-29 relayer fees on a fee-enabled ICS-20 channel between live chains: with
//! `min_fees` set, an unpaid transfer is left alone (counted in `packets_filtered_total`
//! with reason `insufficient_fees`); once fees are escrowed for it (`fee pay-packet`) the
//! daemon relays it, and the relayer's payee receives exactly the recv and ack fees; a
//! transfer that escrows its fees in the same tx relays at once. The live incentivized
//! acknowledgements decode and re-encode byte for byte.

use std::time::Duration;

use serde_json::Value;
use stateset_e2e::accounts::{USER1, USER2};
use stateset_e2e::chain::start_chains;
use stateset_e2e::ibc::{
    commitments, ibc_denom, metric, transfer, tx_events, wait_metric, wait_until, Transfer,
};
use stateset_e2e::ports::free_port;
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};
use stateset_packet_handlers::ics29::IncentivizedAck;

const MINUTE: Duration = Duration::from_secs(60);
/// Recv 100, ack 50, timeout 25: the relayer earns 150 per packet it relays and acknowledges.
const FEES: [&str; 6] = [
    "--recv-fee",
    "100stake",
    "--ack-fee",
    "50stake",
    "--timeout-fee",
    "25stake",
];
const FEE_VERSION: &str = r#"{"fee_version":"ics29-1","app_version":"ics20-1"}"#;

#[test]
fn unpaid_packets_wait_below_min_fees_and_paid_ones_pay_the_relayers_payee() {
    let chains = start_chains(2).expect("chains start");
    let (a, b) = (&chains[0], &chains[1]);
    let port = free_port().unwrap();
    let home = RelayerHome::new(
        &[a, b],
        DaemonSettings {
            telemetry_port: Some(port),
            ..DaemonSettings::default()
        },
    );
    home.import_key(a, &USER1);
    let (ca, cb) = (a.chain_id(), b.chain_id());
    home.run_ok(["create", "connection", "--a-chain", ca, "--b-chain", cb]);
    home.run_ok([
        "create",
        "channel",
        "--a-chain",
        ca,
        "--b-chain",
        cb,
        "--version",
        FEE_VERSION,
    ]);
    let end: Value = serde_json::from_str(
        home.run_ok([
            "query",
            "channel",
            "--chain",
            cb,
            "--channel",
            "channel-0",
            "--json",
        ])
        .trim(),
    )
    .unwrap();
    assert_eq!(
        end["version"], FEE_VERSION,
        "the channel is fee-enabled on B"
    );

    // The relayer's fees go to USER2 on A: ack fees (payee on A), recv fees (counterparty
    // payee registered on B for the relayer's address there).
    home.run_ok([
        "fee",
        "register-payee",
        "--chain",
        ca,
        "--channel",
        "channel-0",
        "--payee",
        USER2.address,
    ]);
    home.run_ok([
        "fee",
        "register-counterparty-payee",
        "--chain",
        cb,
        "--channel",
        "channel-0",
        "--counterparty-payee",
        USER2.address,
    ]);
    home.set_packet_policy(ca, r#"{ min_fees = ["100stake"] }"#);
    let mut daemon = home.start_daemon();

    // Unpaid: left alone and counted once.
    let t = Transfer {
        channel: "channel-0",
        amount: 5,
        denom: "stake",
        receiver: USER2.address,
        key: "user1",
        memo: "",
    };
    transfer(&home, a, &t);
    let unpaid = [("chain", ca), ("reason", "insufficient_fees")];
    wait_metric(
        port,
        "stateset_relayer_packets_filtered_total",
        &unpaid,
        1.0,
        MINUTE,
    );
    // A few more worker cycles: still not relayed, still counted once.
    let h = b.latest_height().unwrap();
    b.wait_for_height(h + 10, MINUTE).unwrap();
    let on_b = ibc_denom("transfer/channel-0/stake");
    assert_eq!(b.balance(USER2.address, &on_b).unwrap(), 0);
    assert_eq!(commitments(a, "transfer", "channel-0"), 1);
    assert_eq!(
        metric(port, "stateset_relayer_packets_filtered_total", &unpaid),
        Ok(1.0)
    );

    // Fees escrowed: recv 100 + ack 50 meet min_fees; the daemon relays it.
    let payee_before = a.balance(USER2.address, "stake").unwrap();
    let pay = [
        "fee",
        "pay-packet",
        "--chain",
        ca,
        "--channel",
        "channel-0",
        "--sequence",
        "1",
        "--key-name",
        "user1",
    ]
    .into_iter()
    .chain(FEES);
    home.run_ok(pay);
    wait_until("the paid packet received and acknowledged", MINUTE, || {
        b.balance(USER2.address, &on_b).unwrap() == 5
            && commitments(a, "transfer", "channel-0") == 0
    });
    wait_until("the payee paid recv + ack fees", MINUTE, || {
        a.balance(USER2.address, "stake").unwrap() == payee_before + 150
    });
    // A transfer that pays as it goes (MsgPayPacketFee in the same tx) relays at once.
    let before = a.balance(USER2.address, "stake").unwrap();
    let prepaid = [
        "tx",
        "transfer",
        "--src-chain",
        ca,
        "--channel",
        "channel-0",
        "--amount",
        "3",
        "--denom",
        "stake",
        "--receiver",
        USER2.address,
        "--key-name",
        "user1",
    ]
    .into_iter()
    .chain(FEES);
    home.run_ok(prepaid);
    wait_until(
        "the prepaid transfer received, acknowledged and paid",
        MINUTE,
        || {
            b.balance(USER2.address, &on_b).unwrap() == 8
                && commitments(a, "transfer", "channel-0") == 0
                && a.balance(USER2.address, "stake").unwrap() == before + 150
        },
    );
    assert_eq!(
        metric(port, "stateset_relayer_packets_filtered_total", &unpaid),
        Ok(1.0)
    );

    // B's live incentivized acknowledgements: they name the payee as forward relayer, wrap
    // ICS-20 success acks, and decode and re-encode byte for byte.
    let acks = tx_events(
        b,
        "write_acknowledgement.packet_dst_channel='channel-0'",
        "write_acknowledgement",
    );
    assert_eq!(acks.len(), 2);
    for event in &acks {
        let bytes = hex::decode(&event["packet_ack_hex"]).unwrap();
        let ack = IncentivizedAck::decode(&bytes).unwrap();
        assert_eq!(ack.encode(), bytes, "re-encodes byte for byte");
        assert_eq!(ack.forward_relayer_address, USER2.address);
        assert!(ack.underlying_app_success);
        assert_eq!(ack.app_acknowledgement, br#"{"result":"AQ=="}"#);
        eprintln!("live incentivized ack: {}", String::from_utf8_lossy(&bytes));
    }

    let escrowed = home.run_ok(["fee", "escrowed", "--chain", ca, "--channel", "channel-0"]);
    assert!(escrowed.contains("no fees escrowed"), "{escrowed}");
    assert!(
        daemon.log().contains("below min_fees"),
        "the unpaid packet is logged"
    );
    assert!(daemon.stop(Duration::from_secs(10)).success());
}
