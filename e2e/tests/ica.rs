//! An ordered channel (ICS-27, registered by the controller on-chain): packets delivered in
//! order; a timed-out packet closes the channel and the relayer's MsgTimeout (and then
//! ChanCloseConfirm on the host) closes it cleanly, and the packet queued behind it is
//! timed out on close (MsgTimeoutOnClose): both seen as successful txs on the controller
//! carrying that message for that sequence; a new registration opens a fresh channel for
//! the same account.

use std::time::Duration;

use serde_json::Value;
use stateset_e2e::accounts::{USER1, USER2};
use stateset_e2e::chain::{start_chains, TestChain};
use stateset_e2e::ibc::{channels, channels_in_state, msg_send_file, wait_until};
use stateset_e2e::probe::{
    at, commitment_sequences, list_at, next_sequence, txs, u64_at, wait_for,
};
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};

fn ica_channels(chain: &TestChain, port_prefix: &str, state: &str) -> Vec<String> {
    channels_in_state(chain, port_prefix, state)
}

const MSG_TIMEOUT: &str = "/ibc.core.channel.v1.MsgTimeout";
const MSG_TIMEOUT_ON_CLOSE: &str = "/ibc.core.channel.v1.MsgTimeoutOnClose";

/// The hash of the successful tx on `chain` whose message of type `msg_type` timed out
/// packet `sequence` sent on `port/channel` (and emitted its `timeout_packet` event);
/// an error saying what the chain holds otherwise.
fn timed_out_by(
    chain: &TestChain,
    port: &str,
    channel: &str,
    sequence: u64,
    msg_type: &str,
) -> Result<String, String> {
    let query = format!(
        "timeout_packet.packet_src_port='{port}' AND timeout_packet.packet_src_channel='{channel}' \
         AND timeout_packet.packet_sequence='{sequence}'"
    );
    let txs = txs(chain, &query);
    let found = txs.iter().find(|tx| {
        u64_at(tx, "/code", "tx") == 0
            && list_at(tx, "/tx/body/messages", "tx messages")
                .iter()
                .any(|m| m["@type"] == msg_type && times_out(m, port, channel, sequence))
    });
    match found {
        Some(tx) => Ok(at(tx, "/txhash", "tx").as_str().unwrap().to_string()),
        None => Err(format!(
            "no successful {msg_type} for {port}/{channel} #{sequence}; txs with its timeout_packet event: {txs:?}"
        )),
    }
}

/// Whether the timeout message `msg` (MsgTimeout or MsgTimeoutOnClose) is for packet
/// `sequence` of `port/channel`.
fn times_out(msg: &Value, port: &str, channel: &str, sequence: u64) -> bool {
    let packet = at(msg, "/packet", "timeout message");
    packet["source_port"] == port
        && packet["source_channel"] == channel
        && u64_at(packet, "/sequence", "timed-out packet") == sequence
}

fn send_file(home_dir: &std::path::Path, from: &str, amount: u32) -> std::path::PathBuf {
    msg_send_file(home_dir, from, USER2.address, amount.into())
}

#[test]
fn an_ordered_ica_channel_delivers_in_order_and_a_timeout_closes_it_cleanly() {
    let chains = start_chains(2).expect("chains start");
    let (a, b) = (&chains[0], &chains[1]);
    let home = RelayerHome::new(&[a, b], DaemonSettings::default());
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
    let register = [
        "ica",
        "register",
        "--controller-chain",
        a.chain_id(),
        "--connection",
        "connection-0",
        "--owner-key",
        "user1",
        "--ordering",
        "ordered",
    ];
    home.run_ok(register);
    wait_until(
        "ICA channel open on both chains",
        Duration::from_secs(60),
        || {
            ica_channels(a, "icacontroller-", "STATE_OPEN").len() == 1
                && ica_channels(b, "icahost", "STATE_OPEN").len() == 1
        },
    );
    let host = channels(b)
        .into_iter()
        .find(|c| c["port_id"] == "icahost")
        .unwrap();
    assert_eq!(host["ordering"], "ORDER_ORDERED");
    let address = home
        .run_ok([
            "ica",
            "address",
            "--controller-chain",
            a.chain_id(),
            "--connection",
            "connection-0",
            "--owner",
            USER1.address,
        ])
        .trim()
        .to_string();
    assert!(address.starts_with("cosmos1"), "{address}");
    let fund = b.bank_send(USER1.name, &address, "1000stake").unwrap();
    b.wait_for_tx(&fund, Duration::from_secs(20)).unwrap();

    // Three packets in a row on the ordered channel: all executed on B.
    let before = b.balance(USER2.address, "stake").unwrap();
    let dir = tempfile::tempdir().unwrap();
    for amount in [1, 2, 3] {
        let file = send_file(dir.path(), &address, amount);
        home.run_ok([
            "ica",
            "send",
            "--controller-chain",
            a.chain_id(),
            "--connection",
            "connection-0",
            "--owner-key",
            "user1",
            "--msgs-file",
            file.to_str().unwrap(),
        ]);
    }
    wait_until(
        "the three ICA txs executed on B",
        Duration::from_secs(60),
        || b.balance(USER2.address, "stake").unwrap() == before + 6,
    );

    let open = ica_channels(a, "icacontroller-", "STATE_OPEN").remove(0);
    let host_channel = host["channel_id"].as_str().unwrap().to_string();
    let controller_port = format!("icacontroller-{}", USER1.address);
    wait_for(
        "the three packets acknowledged on A",
        Duration::from_secs(60),
        || match commitment_sequences(a, &controller_port, &open) {
            left if left.is_empty() => Ok(()),
            left => Err(format!("commitments left: {left:?}")),
        },
    );

    // A packet that times out while no relayer runs: the channel closes on both ends.
    assert!(daemon.stop(Duration::from_secs(10)).success());
    let timing_out = next_sequence(a, "send", &controller_port, &open);
    let file = send_file(dir.path(), &address, 50);
    home.run_ok([
        "ica",
        "send",
        "--controller-chain",
        a.chain_id(),
        "--connection",
        "connection-0",
        "--owner-key",
        "user1",
        "--msgs-file",
        file.to_str().unwrap(),
        "--timeout-seconds",
        "2",
    ]);
    // A second packet behind it, far from its own timeout: the host can never receive it
    // once the first times out, so the daemon times it out on close.
    let file = send_file(dir.path(), &address, 60);
    home.run_ok([
        "ica",
        "send",
        "--controller-chain",
        a.chain_id(),
        "--connection",
        "connection-0",
        "--owner-key",
        "user1",
        "--msgs-file",
        file.to_str().unwrap(),
        "--timeout-seconds",
        "600",
    ]);
    let queued = timing_out + 1;
    assert_eq!(
        commitment_sequences(a, &controller_port, &open),
        [timing_out, queued],
        "both packets sent on {controller_port}/{open}"
    );
    let past = b.latest_height().unwrap() + 20;
    b.wait_for_height(past, Duration::from_secs(30)).unwrap();
    let mut daemon = home.start_daemon();
    wait_until(
        "the timed-out ordered channel closed on both ends",
        Duration::from_secs(90),
        || {
            ica_channels(a, "icacontroller-", "STATE_CLOSED") == [open.as_str()]
                && ica_channels(b, "icahost", "STATE_CLOSED") == [host_channel.as_str()]
        },
    );
    // Positive evidence of each timeout: a successful tx on A carrying the message for
    // that very packet and the timeout_packet event it emitted.
    let (tx, took) = wait_for(
        "MsgTimeout of the expired packet on A",
        Duration::from_secs(60),
        || timed_out_by(a, &controller_port, &open, timing_out, MSG_TIMEOUT),
    );
    println!("packet {timing_out} timed out by tx {tx} ({took:?})");
    let (tx, took) = wait_for(
        "MsgTimeoutOnClose of the packet queued behind it on A",
        Duration::from_secs(60),
        || timed_out_by(a, &controller_port, &open, queued, MSG_TIMEOUT_ON_CLOSE),
    );
    println!("packet {queued} timed out on close by tx {tx} ({took:?})");
    assert_eq!(
        commitment_sequences(a, &controller_port, &open),
        Vec::<u64>::new(),
        "no commitment left once both timed out"
    );
    assert_eq!(
        next_sequence(b, "receive", "icahost", &host_channel),
        timing_out,
        "the host received neither packet"
    );
    assert_eq!(
        b.balance(USER2.address, "stake").unwrap(),
        before + 6,
        "neither timed-out tx executed"
    );

    // Registering again opens a fresh channel for the same account, and it works.
    home.run_ok(register);
    wait_until(
        "a fresh ICA channel open on both chains",
        Duration::from_secs(60),
        || {
            ica_channels(a, "icacontroller-", "STATE_OPEN").len() == 1
                && ica_channels(b, "icahost", "STATE_OPEN").len() == 1
        },
    );
    let again = home
        .run_ok([
            "ica",
            "address",
            "--controller-chain",
            a.chain_id(),
            "--connection",
            "connection-0",
            "--owner",
            USER1.address,
        ])
        .trim()
        .to_string();
    assert_eq!(again, address, "the same interchain account");
    let file = send_file(dir.path(), &address, 4);
    home.run_ok([
        "ica",
        "send",
        "--controller-chain",
        a.chain_id(),
        "--connection",
        "connection-0",
        "--owner-key",
        "user1",
        "--msgs-file",
        file.to_str().unwrap(),
    ]);
    wait_until(
        "the account works over the new channel",
        Duration::from_secs(60),
        || b.balance(USER2.address, "stake").unwrap() == before + 10,
    );
    assert!(daemon.stop(Duration::from_secs(10)).success());
}
