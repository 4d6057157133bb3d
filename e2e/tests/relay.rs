//! Packet relaying against live chains, on ICS-20 channels the relayer created: bulk
//! transfers both ways, timeouts, crashes and restarts, a backlog cleared beside new
//! packets, and a chain going down.

use std::time::{Duration, Instant};

use stateset_e2e::ibc::wait_until;
use stateset_e2e::probe;

use stateset_e2e::accounts::{self, USER1, USER2};
use stateset_e2e::answers::{effective_once, Channel};
use stateset_e2e::chain::{start_chains, TestChain};
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};

/// The `ibc/…` denom of `base` received over `channel` (transfer port).
fn ibc_denom(channel: &str, base: &str) -> String {
    stateset_e2e::ibc::ibc_denom(&format!("transfer/{channel}/{base}"))
}

/// Packet commitments left on `chain`'s transfer `channel`.
fn commitments(chain: &TestChain, channel: &str) -> usize {
    stateset_e2e::ibc::commitments(chain, "transfer", channel)
}

/// `n` chains and a relayer home with user1's key imported on each.
fn setup(n: usize) -> (Vec<TestChain>, RelayerHome) {
    setup_with(n, DaemonSettings::default())
}

/// As [`setup`], the daemon run with `settings`.
fn setup_with(n: usize, settings: DaemonSettings) -> (Vec<TestChain>, RelayerHome) {
    let chains = start_chains(n).expect("chains start");
    let refs: Vec<&TestChain> = chains.iter().collect();
    let home = RelayerHome::new(&refs, settings);
    for c in &chains {
        home.import_key(c, &USER1);
    }
    (chains, home)
}

fn create_path(home: &RelayerHome, a: &TestChain, b: &TestChain) {
    home.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
}

/// Sends `count` transfers of 1 `denom` from user1 on `src` to `receiver` over `channel`.
fn transfer(
    home: &RelayerHome,
    src: &TestChain,
    channel: &str,
    denom: &str,
    receiver: &str,
    count: usize,
    extra: &[&str],
) {
    let count = count.to_string();
    let mut args = vec![
        "tx",
        "transfer",
        "--src-chain",
        src.chain_id(),
        "--channel",
        channel,
        "--amount",
        "1",
        "--denom",
        denom,
        "--receiver",
        receiver,
        "--count",
        &count,
        "--per-tx",
        "50",
        "--key-name",
        "user1",
    ];
    args.extend_from_slice(extra);
    home.run_ok(args);
}

#[test]
fn two_hundred_transfers_each_way_are_all_received_and_acknowledged() {
    let (chains, home) = setup(2);
    let (a, b) = (&chains[0], &chains[1]);
    create_path(&home, a, b);
    let mut daemon = home.start_daemon();
    let started = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| transfer(&home, a, "channel-0", "stake", USER2.address, 200, &[]));
        s.spawn(|| transfer(&home, b, "channel-0", "ufoo", USER2.address, 200, &[]));
    });
    let (on_b, on_a) = (
        ibc_denom("channel-0", "stake"),
        ibc_denom("channel-0", "ufoo"),
    );
    let took = wait_until(
        "400 transfers relayed and acknowledged",
        Duration::from_secs(240),
        || {
            b.balance(USER2.address, &on_b).unwrap() == 200
                && a.balance(USER2.address, &on_a).unwrap() == 200
                && commitments(a, "channel-0") == 0
                && commitments(b, "channel-0") == 0
        },
    );
    println!("400 transfers (200 each way) received and acked {:.1}s after the first send ({took:?} after sending)", started.elapsed().as_secs_f64());
    assert_eq!(b.balance(USER2.address, &on_b).unwrap(), 200);
    assert_eq!(a.balance(USER2.address, &on_a).unwrap(), 200);
    assert!(daemon.stop(Duration::from_secs(10)).success());
}

#[test]
fn timed_out_transfers_are_refunded_through_the_relayer() {
    let (chains, home) = setup(2);
    let (a, b) = (&chains[0], &chains[1]);
    create_path(&home, a, b);
    // Sent while no relayer runs: one expires by height, one by time.
    transfer(
        &home,
        a,
        "channel-0",
        "stake",
        USER2.address,
        1,
        &["--timeout-height-offset", "3"],
    );
    transfer(
        &home,
        a,
        "channel-0",
        "stake",
        USER2.address,
        1,
        &["--timeout-seconds", "2"],
    );
    let escrowed = a.balance(USER1.address, "stake").unwrap();
    assert_eq!(commitments(a, "channel-0"), 2);
    let past = b.latest_height().unwrap() + 5;
    b.wait_for_height(past, Duration::from_secs(30)).unwrap();
    std::thread::sleep(Duration::from_secs(2)); // the timestamp timeout is 2 s after sending; B's blocks moved on.
    let mut daemon = home.start_daemon();
    wait_until(
        "both packets timed out on A",
        Duration::from_secs(60),
        || commitments(a, "channel-0") == 0,
    );
    assert_eq!(
        a.balance(USER1.address, "stake").unwrap(),
        escrowed + 2,
        "both refunded"
    );
    assert_eq!(
        b.balance(USER2.address, &ibc_denom("channel-0", "stake"))
            .unwrap(),
        0,
        "nothing received"
    );
    assert!(daemon.stop(Duration::from_secs(10)).success());
    assert!(
        daemon.log().contains("timed_out=2") || daemon.log().contains("timed_out=1"),
        "{}",
        daemon.log()
    );
}

#[test]
fn killed_three_times_during_500_transfers_the_daemon_resumes_from_its_store() {
    let (chains, home) = setup(2);
    let (a, b) = (&chains[0], &chains[1]);
    create_path(&home, a, b);
    let denom = ibc_denom("channel-0", "stake");
    let mut daemon = home.start_daemon();
    std::thread::scope(|s| {
        s.spawn(|| transfer(&home, a, "channel-0", "stake", USER2.address, 500, &[]));
        for delay_ms in [700u64, 1900, 1300] {
            std::thread::sleep(Duration::from_millis(delay_ms));
            daemon.kill();
            daemon = home.start_daemon();
        }
    });
    wait_until(
        "500 transfers relayed and acked after 3 crashes",
        Duration::from_secs(300),
        || b.balance(USER2.address, &denom).unwrap() == 500 && commitments(a, "channel-0") == 0,
    );
    assert_eq!(b.balance(USER2.address, &denom).unwrap(), 500);
    let log = daemon.log();
    assert!(
        log.contains("resuming from the stored height"),
        "the restart must resume from the store:\n{log}"
    );
    assert!(daemon.stop(Duration::from_secs(10)).success());
    // From the chains' own answers: each packet received and acknowledged once.
    let noops = effective_once(a, b, Channel::V1, 500);
    println!(
        "NOOP answers to the relayer's messages after 3 kills: {} MsgRecvPacket, {} MsgAcknowledgement",
        noops.recv, noops.ack
    );
    println!(
        "txs in flight at a kill found included after the restart: {}",
        log.matches("a tx in flight at the last stop was included")
            .count()
    );
    // What was in flight at a kill is settled before the restarted daemon submits again.
    assert_eq!(
        noops.recv, 0,
        "no MsgRecvPacket of ours was redundant after a restart"
    );
}

#[test]
fn a_backlog_of_1000_and_transfers_sent_while_it_clears_are_all_received_and_acked() {
    let port = stateset_e2e::ports::free_port().expect("a free port");
    let settings = DaemonSettings {
        telemetry_port: Some(port),
        ..DaemonSettings::default()
    };
    let (chains, home) = setup_with(2, settings);
    let (a, b) = (&chains[0], &chains[1]);
    create_path(&home, a, b);
    transfer(&home, a, "channel-0", "stake", USER2.address, 1000, &[]);
    let backlog: Vec<u64> = (1..=1000).collect();
    assert_eq!(
        sent_and_pending(a),
        backlog,
        "the backlog: packets 1..=1000"
    );
    let denom = ibc_denom("channel-0", "stake");
    let started = Instant::now();
    let mut daemon = home.start_daemon();
    // New transfers while the backlog is being cleared, to another receiver.
    transfer(
        &home,
        a,
        "channel-0",
        "stake",
        accounts::VALIDATOR.address,
        10,
        &[],
    );
    let all: Vec<u64> = (1..=1010).collect();
    assert_eq!(
        probe::next_sequence(a, "send", "transfer", "channel-0"),
        1011,
        "packets 1001..=1010 are the new ones"
    );
    let mut new_at = None;
    probe::wait_for(
        "every packet 1..=1010 received on B and acknowledged on A",
        Duration::from_secs(300),
        || {
            let unreceived = probe::unreceived_packets(b, "transfer", "channel-0", &all);
            if new_at.is_none() && unreceived.iter().all(|s| *s <= 1000) {
                new_at = Some((started.elapsed(), 1000 - unreceived.len()));
            }
            let pending = sent_and_pending(a);
            match (unreceived.is_empty(), pending.is_empty()) {
                (true, true) => Ok(()),
                _ => Err(format!(
                    "unreceived on B: {}; commitments left on A: {}",
                    brief(&unreceived),
                    brief(&pending)
                )),
            }
        },
    );
    // Received (B wrote a receipt for each) and no commitment left on A: each was
    // acknowledged, as a received packet cannot be timed out.
    assert_eq!(b.balance(USER2.address, &denom).unwrap(), 1000);
    assert_eq!(b.balance(accounts::VALIDATOR.address, &denom).unwrap(), 10);
    // Timing is the benchmarks' business (`scripts/bench`); here it is only reported.
    let (new_time, backlog_then) = new_at.expect("seen when everything arrived");
    println!(
        "1010 packets received and acked within {:?} of the daemon's start; the 10 new \
         ones were all received within {new_time:?}, when {backlog_then} of the backlog had been",
        started.elapsed()
    );
    assert_fewer_client_updates_than_receive_txs(port, b);
    // Each packet received and acknowledged once, and no MsgRecvPacket of ours was a NOOP:
    // proving at a shared client height sends nothing twice. (The daemon's
    // `redundant_messages_total` also counts packets found already received before any
    // message was built, e.g. ones clearing recorded again after they were finished.)
    let noops = effective_once(a, b, Channel::V1, 1010);
    assert_eq!(noops.recv, 0, "no MsgRecvPacket of ours was a NOOP");
    assert!(daemon.stop(Duration::from_secs(10)).success());
}

/// The client updates the receive steps on `b` sent: fewer than their txs. The steps that
/// proved at a height the client already held are printed, not asserted: whether a pass
/// shares depends on whether an earlier pass's update landed before it started (passes
/// overlap), so one run may have none. The benchmark measures it (`client_update_txs`).
fn assert_fewer_client_updates_than_receive_txs(port: u16, b: &TestChain) {
    let on_b = [("chain", b.chain_id())];
    let read = |name: &str, labels: &[(&str, &str)]| {
        stateset_e2e::ibc::metric(port, name, labels).unwrap_or_else(|e| panic!("{e}"))
    };
    // Absent until a step first shares (the other two reads fail loudly if /metrics is down).
    let shared =
        stateset_e2e::ibc::metric(port, "stateset_relayer_client_updates_shared_total", &on_b)
            .unwrap_or(0.0);
    let updates = read("stateset_relayer_client_updates_total", &on_b);
    let recv = [("chain", b.chain_id()), ("kind", "recv_packet")];
    let recv_txs = read("stateset_relayer_txs_confirmed_total", &recv);
    println!(
        "on B: {recv_txs} receive txs, {updates} client updates, {shared} steps that shared one"
    );
    assert!(
        updates < recv_txs,
        "{updates} client updates for {recv_txs} receive txs"
    );
}

/// The sequences of the packets sent on A's transfer channel-0 whose commitments are
/// still there (neither acknowledged nor timed out), ascending.
fn sent_and_pending(a: &TestChain) -> Vec<u64> {
    probe::commitment_sequences(a, "transfer", "channel-0")
}

/// A short rendering of a sequence list: how many, and the first few.
fn brief(sequences: &[u64]) -> String {
    let head: Vec<_> = sequences.iter().take(5).collect();
    format!(
        "{} {head:?}{}",
        sequences.len(),
        if sequences.len() > 5 { "…" } else { "" }
    )
}

#[test]
fn a_chain_going_down_stalls_only_its_own_paths() {
    let (mut chains, home) = setup(3);
    {
        let (a, b, c) = (&chains[0], &chains[1], &chains[2]);
        create_path(&home, a, b); // channel-0 on A
        create_path(&home, a, c); // channel-1 on A
    }
    let mut daemon = home.start_daemon();
    chains[2].kill().expect("C killed");
    let (a, b) = (&chains[0], &chains[1]);
    transfer(&home, a, "channel-0", "stake", USER2.address, 20, &[]);
    transfer(&home, a, "channel-1", "stake", USER2.address, 5, &[]);
    let on_b = ibc_denom("channel-0", "stake");
    wait_until(
        "A→B relayed while C is down",
        Duration::from_secs(120),
        || b.balance(USER2.address, &on_b).unwrap() == 20 && commitments(a, "channel-0") == 0,
    );
    assert_eq!(commitments(a, "channel-1"), 5, "C's packets wait for C");
    chains[2].restart().expect("C back");
    let (a, c) = (&chains[0], &chains[2]);
    wait_until(
        "A→C relayed after C came back",
        Duration::from_secs(180),
        || {
            c.balance(USER2.address, &ibc_denom("channel-0", "stake"))
                .unwrap()
                == 5
                && commitments(a, "channel-1") == 0
        },
    );
    assert!(daemon.stop(Duration::from_secs(10)).success());
}
