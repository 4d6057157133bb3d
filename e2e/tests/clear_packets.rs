//! `clear packets` and `excluded_sequences` on live chains: the CLI relays exactly the
//! sequences asked for (received on B and acknowledged on A), the daemon leaves alone the
//! sequences the config excludes while it relays the rest, and `clear packets` relays an
//! excluded one when the operator names it.

use std::time::Duration;

use stateset_e2e::accounts::USER1;
use stateset_e2e::chain::{start_chains, TestChain};
use stateset_e2e::probe;
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};
use stateset_e2e::transfer::Transfer;

fn send(home: &RelayerHome, src: &TestChain, count: usize) {
    home.run_ok(Transfer::new(src.chain_id(), "stake", count).args());
}

fn clear(home: &RelayerHome, a: &TestChain, sequences: Option<&str>) -> String {
    let mut args = vec![
        "clear",
        "packets",
        "--chain",
        a.chain_id(),
        "--port",
        "transfer",
        "--channel",
        "channel-0",
    ];
    if let Some(s) = sequences {
        args.extend(["--sequences", s]);
    }
    home.run_ok(args)
}

/// (received on B, still committed on A) for `seq`.
fn state(a: &TestChain, b: &TestChain, seq: u64) -> (bool, bool) {
    (
        probe::received(b, "transfer", "channel-0", seq),
        probe::has_commitment(a, "transfer", "channel-0", seq),
    )
}

#[test]
fn clear_packets_relays_what_is_asked_and_the_daemon_skips_excluded_sequences() {
    let mut chains = start_chains(2).expect("chains start");
    let (b, a) = (chains.pop().unwrap(), chains.pop().unwrap());
    let home = RelayerHome::new(&[&a, &b], DaemonSettings::default());
    home.import_key(&a, &USER1);
    home.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
    send(&home, &a, 6);
    for seq in 1..=6 {
        assert_eq!(state(&a, &b, seq), (false, true), "sequence {seq} before");
    }

    // Only 1, 2 and 4: received and acknowledged (commitment gone), the others untouched.
    let out = clear(&home, &a, Some("1..2,4"));
    println!("{out}");
    assert!(
        out.contains("3 received") && out.contains("3 acknowledged"),
        "{out}"
    );
    for seq in [1, 2, 4] {
        assert_eq!(state(&a, &b, seq), (true, false), "sequence {seq} cleared");
    }
    for seq in [3, 5, 6] {
        assert_eq!(
            state(&a, &b, seq),
            (false, true),
            "sequence {seq} left alone"
        );
    }

    // The daemon relays 3 and 6 but never 5, which the config excludes.
    home.set_packet_policy(
        a.chain_id(),
        r#"{ excluded_sequences = { "channel-0" = [5] } }"#,
    );
    let daemon = home.start_daemon();
    probe::wait_for(
        "sequences 3 and 6 relayed by the daemon",
        Duration::from_secs(60),
        || match (state(&a, &b, 3), state(&a, &b, 6)) {
            ((true, false), (true, false)) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    probe::holds_for(
        "sequence 5 left alone by the daemon",
        Duration::from_secs(8),
        Duration::from_secs(1),
        || match state(&a, &b, 5) {
            (false, true) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );

    // Named by the operator, it is relayed beside the running daemon.
    let out = clear(&home, &a, Some("5"));
    println!("{out}");
    assert_eq!(state(&a, &b, 5), (true, false), "sequence 5 cleared");
    assert_eq!(probe::commitments(&a, "transfer", "channel-0"), 0);
    assert!(!daemon.log().contains("panicked"), "{}", daemon.log());
}
