//! An ordered channel (ICS-27, registered by the controller on-chain): packets delivered in
//! order; a timed-out packet closes the channel and the relayer's MsgTimeout (and then
//! ChanCloseConfirm on the host) closes it cleanly, and the packet queued behind it is
//! timed out on close (MsgTimeoutOnClose); a new registration opens a fresh channel for
//! the same account.

use std::time::Duration;

use stateset_e2e::accounts::{USER1, USER2};
use stateset_e2e::chain::{start_chains, TestChain};
use stateset_e2e::ibc::{channels, channels_in_state, commitments, msg_send_file, wait_until};
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};

fn ica_channels(chain: &TestChain, port_prefix: &str, state: &str) -> Vec<String> {
    channels_in_state(chain, port_prefix, state)
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

    // A packet that times out while no relayer runs: the channel closes on both ends.
    assert!(daemon.stop(Duration::from_secs(10)).success());
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
    let past = b.latest_height().unwrap() + 20;
    b.wait_for_height(past, Duration::from_secs(30)).unwrap();
    let mut daemon = home.start_daemon();
    wait_until(
        "the timed-out ordered channel closed on both ends",
        Duration::from_secs(90),
        || {
            ica_channels(a, "icacontroller-", "STATE_CLOSED").len() == 1
                && ica_channels(b, "icahost", "STATE_CLOSED").len() == 1
        },
    );
    let closed = ica_channels(a, "icacontroller-", "STATE_CLOSED")[0].clone();
    let controller_port = format!("icacontroller-{}", USER1.address);
    wait_until(
        "both packets timed out (the second on close)",
        Duration::from_secs(60),
        || commitments(a, &controller_port, &closed) == 0,
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
