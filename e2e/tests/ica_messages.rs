//! Interchain-account messages on an unordered ICS-27 channel between live chains: the
//! daemon opens the channel a controller registers on-chain; a bank MsgSend from the
//! account executes on the host (balances change); a MsgSend the host cannot execute comes
//! back as an error acknowledgement that the daemon reports (log line and
//! `ica_messages_total{result="error"}`). The live packet data and acknowledgements decode
//! and re-encode byte for byte.

use std::time::Duration;

use stateset_e2e::accounts::{USER1, USER2};
use stateset_e2e::chain::{start_chains, TestChain};
use stateset_e2e::ibc::{
    channels, channels_in_state, metric, msg_send_file, tx_events, wait_metric, wait_until,
};
use stateset_e2e::ports::free_port;
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};
use stateset_packet_handlers::ics27::{IcaAck, InterchainAccountPacketData, Metadata};

const MINUTE: Duration = Duration::from_secs(60);
const MSG_SEND: &str = "/cosmos.bank.v1beta1.MsgSend";

#[test]
fn an_unordered_ica_executes_a_send_and_reports_a_failing_one() {
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
    home.run_ok([
        "create",
        "connection",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
    let mut daemon = home.start_daemon();
    let controller = [
        "--controller-chain",
        a.chain_id(),
        "--connection",
        "connection-0",
    ];
    let mut register = vec![
        "ica",
        "register",
        "--owner-key",
        "user1",
        "--ordering",
        "unordered",
    ];
    register.extend(controller);
    home.run_ok(register);
    wait_until(
        "the unordered ICA channel open on both chains",
        MINUTE,
        || {
            channels_in_state(a, "icacontroller-", "STATE_OPEN").len() == 1
                && channels_in_state(b, "icahost", "STATE_OPEN").len() == 1
        },
    );
    let host = channels(b)
        .into_iter()
        .find(|c| c["port_id"] == "icahost")
        .unwrap();
    assert_eq!(host["ordering"], "ORDER_UNORDERED");
    let metadata = Metadata::parse(host["version"].as_str().unwrap()).expect("ICS-27 metadata");
    assert_eq!(
        metadata.encode(),
        host["version"].as_str().unwrap(),
        "byte for byte"
    );

    let mut address_args = vec!["ica", "address", "--owner", USER1.address];
    address_args.extend(controller);
    let address = home.run_ok(address_args).trim().to_string();
    assert_eq!(
        metadata.address, address,
        "the host's metadata names the account"
    );
    let fund = b.bank_send(USER1.name, &address, "1000stake").unwrap();
    b.wait_for_tx(&fund, Duration::from_secs(20)).unwrap();

    // A MsgSend from the account executes on B.
    let dir = tempfile::tempdir().unwrap();
    let before = b.balance(USER2.address, "stake").unwrap();
    let send = |amount: u128| {
        let file = msg_send_file(dir.path(), &address, USER2.address, amount);
        let mut args = vec![
            "ica",
            "send",
            "--owner-key",
            "user1",
            "--msgs-file",
            file.to_str().unwrap(),
        ];
        args.extend(controller);
        home.run_ok(args);
    };
    send(40);
    wait_until("the MsgSend executed on B", MINUTE, || {
        b.balance(USER2.address, "stake").unwrap() == before + 40
    });
    let ok = [("msg_type", MSG_SEND), ("result", "success")];
    wait_metric(
        port,
        "stateset_relayer_ica_messages_total",
        &ok,
        1.0,
        MINUTE,
    );

    // More than the account holds: the host fails the tx and writes an error ack.
    send(1_000_000);
    let failed = [("msg_type", MSG_SEND), ("result", "error")];
    wait_metric(
        port,
        "stateset_relayer_ica_messages_total",
        &failed,
        1.0,
        MINUTE,
    );
    assert_eq!(
        metric(port, "stateset_relayer_ica_messages_total", &ok),
        Ok(1.0),
        "the success still counted once"
    );
    assert_eq!(
        b.balance(USER2.address, "stake").unwrap(),
        before + 40,
        "nothing moved"
    );
    assert_eq!(b.balance(&address, "stake").unwrap(), 960);
    let log = daemon.log();
    assert!(
        log.contains("ICA message failed on the host") && log.contains(MSG_SEND),
        "the error ack is logged with its message type"
    );

    // The live bytes: packet data from A's send_packet events, acks from B's
    // write_acknowledgement events; both decode, and re-encode byte for byte where the
    // chain writes ibc-go v8's JSON (sorted keys). ibc-go v10 writes the packet data's
    // fields in proto order (type, data, memo): the same packet, other bytes.
    let v8 = |chain: &TestChain| chain.spec().simd_version == "v8";
    let sent = tx_events(
        a,
        "send_packet.packet_src_channel='channel-0'",
        "send_packet",
    );
    assert_eq!(sent.len(), 2, "two ICA packets sent");
    for event in &sent {
        let bytes = hex::decode(&event["packet_data_hex"]).unwrap();
        let data = InterchainAccountPacketData::decode(&bytes).unwrap();
        let again = InterchainAccountPacketData::decode(&data.encode()).unwrap();
        assert_eq!(again, data, "packet data survives a round trip");
        if v8(a) {
            assert_eq!(data.encode(), bytes, "packet data re-encodes byte for byte");
        }
        assert_eq!(data.message_types().unwrap(), [MSG_SEND]);
        eprintln!("live ICA packet data: {}", String::from_utf8_lossy(&bytes));
    }
    let acks = tx_events(
        b,
        "write_acknowledgement.packet_dst_port='icahost'",
        "write_acknowledgement",
    );
    assert_eq!(acks.len(), 2, "two ICA acks written");
    let decoded: Vec<IcaAck> = acks
        .iter()
        .map(|event| {
            let bytes = hex::decode(&event["packet_ack_hex"]).unwrap();
            let ack = IcaAck::decode(&bytes).unwrap();
            if v8(b) {
                assert_eq!(ack.encode(), bytes, "ack re-encodes byte for byte");
            }
            eprintln!("live ICA ack: {}", String::from_utf8_lossy(&bytes));
            ack
        })
        .collect();
    assert!(decoded.iter().any(|a| matches!(a, IcaAck::Executed(r)
        if r.len() == 1 && r[0].type_url == "/cosmos.bank.v1beta1.MsgSendResponse")));
    assert!(decoded
        .iter()
        .any(|a| matches!(a, IcaAck::Failed(e) if e.starts_with("ABCI code"))));
    assert!(daemon.stop(Duration::from_secs(10)).success());
}
