//! A benchmark, not a test of correctness (those are in `relayer/src/store/ledger_index_tests.rs`):
//! what a relay cycle's read of the ledger costs with 100,000 pending packets, through the
//! ledger's index (issue 13: a cycle costs O(batch), not O(ledger); after a restart with
//! 100,000 pending the first MsgRecvPacket goes out within 2 s). Prints the times, asserts
//! nothing about them.
//!
//! `cargo test -p stateset-relayer --release --test ledger_window -- --ignored --nocapture`

use std::path::Path;
use std::time::{Duration, Instant};

use stateset_channels::events::Packet;
use stateset_channels::relay_plan::{plan_cycle, CycleLimits};
use stateset_channels::Ordering;
use stateset_relayer::store::{Ledger, LedgerWindow, Store, WindowQuery};

const N: u64 = 100_000;

fn packet(seq: u64, channel: &str) -> Packet {
    let data = format!(
        r#"{{"denom":"uatom","amount":"100","sender":"cosmos1s{}","receiver":"osmo1r","memo":""}}"#,
        seq % 1000
    );
    Packet {
        sequence: seq,
        source_port: "transfer".parse().expect("port"),
        source_channel: channel.parse().expect("channel"),
        destination_port: "transfer".parse().expect("port"),
        destination_channel: "channel-9".parse().expect("channel"),
        data: data.into_bytes(),
        timeout_height: Default::default(),
        timeout_timestamp: 0,
        ordering: None,
    }
}

/// A cycle's read, as the worker makes it (both steps, default limits, nothing excluded).
fn window(ledger: &Ledger) -> LedgerWindow {
    ledger
        .window(&WindowQuery {
            limits: CycleLimits::default(),
            ordering: Ordering::Unordered,
            sends: true,
            acks: true,
            excluded: &|_| false,
            quarantined: &|_| false,
        })
        .expect("window")
}

fn fill(store: &Store, channel: &str, n: u64) -> Ledger {
    let ledger = store.ledger("a-1", "transfer", channel).expect("ledger");
    let start = Instant::now();
    for seq in 1..=n {
        ledger
            .record_sent(&packet(seq, channel), None)
            .expect("recorded");
    }
    println!("{n} packets recorded in {:?}", start.elapsed());
    ledger
}

fn median(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    let mid = times.get(times.len() / 2).copied().unwrap_or_default();
    (mid, times.last().copied().unwrap_or_default())
}

fn window_times(ledger: &Ledger, name: &str) {
    let times = (0..50)
        .map(|_| {
            let t = Instant::now();
            let w = window(ledger);
            let elapsed = t.elapsed();
            assert_eq!(w.sends.len(), 600);
            elapsed
        })
        .collect();
    let (mid, max) = median(times);
    println!("  window read, {name}: median {mid:?}, max {max:?}");
}

/// Reopens the store and times what a restarted worker does before its first
/// MsgRecvPacket's queries: open, the ledger (indexing it if need be), the first window and
/// its plan.
fn restart(dir: &Path, what: &str) -> Store {
    let start = Instant::now();
    let store = Store::open(dir).expect("store");
    let opened = start.elapsed();
    let ledger = store
        .ledger("a-1", "transfer", "channel-0")
        .expect("ledger");
    let ledger_ready = start.elapsed();
    let pending = ledger.len();
    let w = window(&ledger);
    let plan = plan_cycle(
        &w.pending(),
        Ordering::Unordered,
        CycleLimits::default(),
        |_| false,
        |_| false,
    );
    println!(
        "{what}: store open {opened:?}, ledger ready {ledger_ready:?}, first window and plan \
         ({} of {pending} pending) {:?}",
        plan.sends.len(),
        start.elapsed()
    );
    store
}

#[test]
#[ignore = "a benchmark: records 100,000 packets"]
fn a_cycle_reads_a_window_not_the_ledger() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let store = Store::open(dir.path()).expect("store");
        let big = fill(&store, "channel-0", N);
        let small = fill(&store, "channel-1", 1_000);
        println!("a cycle's read (500 + 100 newest, 500 acks, counts):");
        window_times(&small, "1,000 pending");
        window_times(&big, "100,000 pending");
        let t = Instant::now();
        let all = big.records().expect("records");
        let first = t.elapsed();
        let t = Instant::now();
        let again = big.records().expect("records").len();
        println!(
            "  for comparison, every record (the former cycle's read) of {}: {first:?} the \
             first time, {:?} decoded before ({again})",
            all.len(),
            t.elapsed()
        );
        let t = Instant::now();
        let n = big.len();
        println!("  the ledger's count ({n}): {:?}", t.elapsed());
        store.flush().expect("flushed");
    }
    drop(restart(dir.path(), "restart with 100,000 pending"));
    // As an older relayer left it: the records without their index.
    {
        let db = sled::open(dir.path()).expect("sled");
        db.drop_tree("ledger-index/a-1/transfer/channel-0")
            .expect("dropped");
        db.flush().expect("flushed");
    }
    drop(restart(
        dir.path(),
        "restart with 100,000 pending, unindexed (indexed now)",
    ));
    drop(restart(dir.path(), "and the restart after it"));
}
