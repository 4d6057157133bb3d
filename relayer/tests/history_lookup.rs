//! A benchmark, not a test of correctness (those are `relayer/src/store/history_tests*.rs`):
//! the packet history with 100,000 packets, and the time of 100 lookups by tx hash.
//!
//! `cargo test -p stateset-relayer --release --test history_lookup -- --ignored --nocapture`

use std::time::Instant;

use stateset_relayer::store::{App, PacketId, PacketSummary, Step, StepKind, Store};

fn tx_hash(i: u64) -> String {
    format!("{:064X}", i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

fn summary(i: u64) -> PacketSummary {
    PacketSummary {
        id: PacketId {
            chain: "a-1".into(),
            port: "transfer".into(),
            channel: format!("channel-{}", i % 7),
            sequence: i,
        },
        counterparty_chain: "b-1".into(),
        destination_port: "transfer".into(),
        destination_channel: "channel-9".into(),
        app: App::Transfer {
            sender: format!("cosmos1s{}", i % 1000),
            receiver: "osmo1r".into(),
            denom: "uatom".into(),
            amount: "100".into(),
            memo: String::new(),
        },
        first_seen: i,
    }
}

#[test]
#[ignore = "a benchmark: inserts 100,000 packets"]
fn history_lookup_by_tx_hash_with_100k_packets() {
    const N: u64 = 100_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let h = Store::open(dir.path()).expect("store").history();
    let start = Instant::now();
    for i in 0..N {
        let s = summary(i);
        h.record(&s).expect("recorded");
        let step = Step {
            kind: StepKind::Sent,
            chain: "a-1".into(),
            height: i,
            time: i,
            tx_hash: Some(tx_hash(i)),
        };
        h.add_step(&s.id, step).expect("step added");
    }
    println!(
        "inserted {N} packets with a step each in {:?}",
        start.elapsed()
    );
    let start = Instant::now();
    for k in 0..100u64 {
        let i = (k * 997) % N;
        assert_eq!(h.by_tx_hash(&tx_hash(i)).expect("lookup").len(), 1);
    }
    let took = start.elapsed();
    println!("100 by_tx_hash lookups: {took:?} ({:?} each)", took / 100);
}
