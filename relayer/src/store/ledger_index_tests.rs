//! The ledger's index: kept in step with the records by every write, built for ledgers
//! written before it, and a cycle's window planned as every record would be.

use std::collections::BTreeMap;

use proptest::prelude::*;
use stateset_channels::relay_plan::{plan_cycle, CycleLimits, PendingPacket};
use stateset_channels::Ordering;

use super::ledger_index::{entry_key, entry_seen, entry_seq, state_byte};
use super::*;

use super::tests::packet;

fn open(store: &Store) -> Ledger {
    store.ledger("a-1", "transfer", "channel-0").unwrap()
}

/// The counts and lowest sequence computed from every record.
fn brute_backlog(ledger: &Ledger) -> Backlog {
    let records = ledger.records().unwrap();
    let mut counts = StateCounts::default();
    for r in &records {
        counts.add(r.state);
    }
    let oldest = records.first().map(|r| (r.packet.sequence, r.seen));
    Backlog { counts, oldest }
}

/// Asserts that the index holds exactly one entry per record, under its state and with its
/// `seen`, and that the counts and the backlog match the records.
fn assert_consistent(ledger: &Ledger) {
    let records = ledger.records().unwrap();
    let expected: BTreeMap<[u8; 9], f64> = records
        .iter()
        .map(|r| (entry_key(r.state, r.packet.sequence), r.seen))
        .collect();
    let mut entries = BTreeMap::new();
    for item in ledger.index.iter() {
        let (k, v) = item.unwrap();
        if k.len() == 9 {
            assert!(k[0] < 6, "an entry of an unknown state: {k:?}");
            assert!(entry_seq(&k).is_some());
            entries.insert(<[u8; 9]>::try_from(k.as_ref()).unwrap(), entry_seen(&v));
        }
    }
    assert_eq!(entries, expected);
    assert_eq!(ledger.backlog().unwrap(), brute_backlog(ledger));
    assert_eq!(ledger.len(), records.len());
    for state in ALL_STATES {
        let first = records.iter().find(|r| r.state == state);
        assert_eq!(
            ledger.oldest(state).unwrap(),
            first.map(|r| (r.packet.sequence, r.seen))
        );
    }
}

#[derive(Clone, Debug)]
enum Op {
    Sent(u64),
    Ack(u64),
    Mark(u64, PacketState),
    Finish(u64),
}

fn state() -> impl Strategy<Value = PacketState> {
    prop::sample::select(ALL_STATES.to_vec())
}

fn op() -> impl Strategy<Value = Op> {
    let seq = 1u64..30;
    prop_oneof![
        3 => seq.clone().prop_map(Op::Sent),
        1 => seq.clone().prop_map(Op::Ack),
        2 => (seq.clone(), state()).prop_map(|(s, st)| Op::Mark(s, st)),
        1 => seq.prop_map(Op::Finish),
    ]
}

fn apply(ledger: &Ledger, op: &Op) {
    match op {
        Op::Sent(seq) => drop(ledger.record_sent(&packet(*seq), None).unwrap()),
        Op::Ack(seq) => ledger.record_ack(&packet(*seq), b"ack", None).unwrap(),
        Op::Mark(seq, state) => ledger.mark(*seq, *state).unwrap(),
        Op::Finish(seq) => ledger.finish(*seq).unwrap(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_write_keeps_the_index_in_step(ops in prop::collection::vec(op(), 0..60)) {
        let store = Store::temporary().unwrap();
        let ledger = open(&store);
        for (i, op) in ops.iter().enumerate() {
            apply(&ledger, op);
            if i % 7 == 0 {
                assert_consistent(&ledger);
            }
        }
        assert_consistent(&ledger);
        // Reopened, the ledger is not indexed again and stays consistent.
        assert_consistent(&store.ledger("a-1", "transfer", "channel-0").unwrap());
    }

    #[test]
    fn planning_from_the_window_is_planning_from_every_record(
        states in prop::collection::btree_map(1u64..60, state(), 0..50),
        excluded in prop::collection::hash_set(1u64..60, 0..6),
        quarantined in prop::collection::hash_set(1u64..60, 0..6),
        ordered in any::<bool>(),
        max in 0usize..12,
        newest in 0usize..6,
    ) {
        let store = Store::temporary().unwrap();
        let ledger = open(&store);
        for (seq, state) in &states {
            ledger.record_sent(&packet(*seq), None).unwrap();
            match state {
                PacketState::AckWritten => ledger.record_ack(&packet(*seq), b"ack", None).unwrap(),
                other => ledger.mark(*seq, *other).unwrap(),
            }
        }
        let ordering = if ordered { Ordering::Ordered } else { Ordering::Unordered };
        let limits = CycleLimits { max_per_cycle: max, newest_per_cycle: newest };
        let is_excluded = |seq: u64| excluded.contains(&seq);
        let is_quarantined = |seq: u64| quarantined.contains(&seq);
        let records = ledger.records().unwrap();
        let all: Vec<PendingPacket<'_>> = records
            .iter()
            .map(|r| PendingPacket { packet: &r.packet, state: r.state, ack: r.ack.as_deref() })
            .collect();
        let expected = plan_cycle(&all, ordering, limits, is_excluded, is_quarantined);
        let window = ledger
            .window(&WindowQuery {
                limits,
                ordering,
                sends: true,
                acks: true,
                excluded: &is_excluded,
                quarantined: &is_quarantined,
            })
            .unwrap();
        prop_assert!(window.sends.len() <= max + newest.min(max));
        prop_assert!(window.acks.len() <= max);
        let planned = plan_cycle(&window.pending(), ordering, limits, is_excluded, is_quarantined);
        prop_assert_eq!(planned, expected);
        prop_assert_eq!(window.backlog, brute_backlog(&ledger));
        // Each half alone reads only its half.
        let sends_only = ledger
            .window(&WindowQuery {
                limits, ordering, sends: true, acks: false,
                excluded: &is_excluded, quarantined: &is_quarantined,
            })
            .unwrap();
        prop_assert!(sends_only.acks.is_empty());
        prop_assert_eq!(seqs(&sends_only.sends), seqs(&window.sends));
    }
}

fn seqs(records: &[PacketRecord]) -> Vec<u64> {
    records.iter().map(|r| r.packet.sequence).collect()
}

#[test]
fn the_window_takes_the_oldest_and_newest_awaiting_receipt_in_sequence_order() {
    let store = Store::temporary().unwrap();
    let ledger = open(&store);
    for seq in 1..=20 {
        ledger.record_sent(&packet(seq), None).unwrap();
    }
    ledger.mark(2, PacketState::Quarantined).unwrap();
    ledger.mark(3, PacketState::Received).unwrap();
    ledger.mark(19, PacketState::Filtered).unwrap();
    ledger.record_ack(&packet(4), b"ack", None).unwrap();
    ledger.record_ack(&packet(5), b"ack", None).unwrap();
    let limits = CycleLimits {
        max_per_cycle: 4,
        newest_per_cycle: 2,
    };
    let query = |ordering| WindowQuery {
        limits,
        ordering,
        sends: true,
        acks: true,
        excluded: &|seq| seq == 6,
        quarantined: &|seq| seq == 4,
    };
    let window = ledger.window(&query(Ordering::Unordered)).unwrap();
    assert_eq!(seqs(&window.sends), [1, 2, 7, 8, 19, 20]);
    assert_eq!(seqs(&window.acks), [5]);
    assert_eq!(window.backlog.counts.total(), 20);
    assert_eq!(window.backlog.counts.get(PacketState::Sent), 15);
    assert_eq!(window.backlog.oldest.map(|(seq, _)| seq), Some(1));
    let window = ledger.window(&query(Ordering::Ordered)).unwrap();
    assert_eq!(seqs(&window.sends), [1, 2, 7, 8]);
}

#[test]
fn a_ledger_written_before_the_index_is_indexed_when_opened() {
    let store = Store::temporary().unwrap();
    let old = open(&store);
    for seq in 1..=50 {
        old.record_sent(&packet(seq), None).unwrap();
    }
    old.mark(7, PacketState::Quarantined).unwrap();
    old.record_ack(&packet(9), b"ack", None).unwrap();
    old.finish(1).unwrap();
    // As an older relayer left it: records, no index.
    store
        .db
        .drop_tree("ledger-index/a-1/transfer/channel-0")
        .unwrap();
    let ledger = open(&store);
    assert_consistent(&ledger);
    assert_eq!(ledger.len(), 49);
    assert_eq!(ledger.counts().unwrap().get(PacketState::Quarantined), 1);
    assert_eq!(
        ledger.oldest(PacketState::Sent).unwrap().map(|o| o.0),
        Some(2)
    );
    // An indexing that stopped half-way (no marker) is done again from scratch.
    let index = store
        .db
        .open_tree("ledger-index/a-1/transfer/channel-0")
        .unwrap();
    index.remove([0xFE]).unwrap();
    index.remove(entry_key(PacketState::Sent, 2)).unwrap();
    index
        .insert(entry_key(PacketState::Received, 2), &[0u8; 8])
        .unwrap();
    assert_consistent(&open(&store));
    // A new, empty ledger is indexed at once (and costs nothing to open again).
    let empty = store.ledger("a-1", "transfer", "channel-7").unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.len(), 0);
    assert!(super::ledger_index::is_indexed(&empty.index).unwrap());
}

#[test]
fn a_corrupt_record_is_replaced_and_its_stale_entry_dropped() {
    let store = Store::temporary().unwrap();
    let ledger = open(&store);
    for seq in 1..=3 {
        ledger.record_sent(&packet(seq), None).unwrap();
    }
    ledger.mark(2, PacketState::RecvSubmitted).unwrap();
    let corrupt = || {
        ledger
            .tree
            .insert(2u64.to_be_bytes(), &b"not json"[..])
            .unwrap()
    };
    corrupt();
    // The window skips it (its entry is stale until the next write to it).
    let window = ledger
        .window(&WindowQuery {
            limits: CycleLimits::default(),
            ordering: Ordering::Unordered,
            sends: true,
            acks: true,
            excluded: &|_| false,
            quarantined: &|_| false,
        })
        .unwrap();
    assert_eq!(seqs(&window.sends), [1, 3]);
    // Each write path replaces it and drops the stale entry, whatever its state was.
    assert!(
        ledger.record_sent(&packet(2), None).unwrap(),
        "a corrupt record is replaced"
    );
    assert_consistent(&ledger);
    corrupt();
    ledger.record_ack(&packet(2), b"ack", None).unwrap();
    assert_consistent(&ledger);
    corrupt();
    ledger.mark(2, PacketState::Received).unwrap();
    assert_consistent(&ledger);
    assert_eq!(
        ledger.get(2).unwrap(),
        None,
        "mark does not invent a record"
    );
    ledger.record_sent(&packet(2), None).unwrap();
    corrupt();
    ledger.finish(2).unwrap();
    assert_consistent(&ledger);
    assert_eq!(ledger.counts().unwrap().total(), 2);
    let first = ledger
        .index
        .scan_prefix([state_byte(PacketState::Sent)])
        .count();
    assert_eq!(first, 2);
}
