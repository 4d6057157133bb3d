//! Queries of the packet history: by tx hash, by address, by path and sequence, by denom,
//! by time, and pagination with cursors.

use super::history_tests::{assert_consistent, id, step, transfer};
use super::*;

const ATOM_TRACE: &str = "transfer/channel-4/uatom";
/// `ibc/` + SHA-256 of `transfer/channel-4/uatom`.
fn atom_hash() -> String {
    stateset_packet_handlers::ics20::DenomTrace::parse(ATOM_TRACE).ibc_denom()
}

fn seqs(page: &Page) -> Vec<u64> {
    page.items.iter().map(|p| p.summary.id.sequence).collect()
}

/// Packets on two chains and channels, with addresses, denoms and txs to look for:
///
/// | seq | chain/channel | sender → receiver | denom | first seen | tx |
/// |---|---|---|---|---|---|
/// | 1 | a-1/channel-0 | alice → bob | uatom trace | 100 | T1 (sent), R1 (received) |
/// | 2 | a-1/channel-0 | carol → alice | ustake | 110 | T1 (sent) |
/// | 3 | a-1/channel-1 | bob → dave | uatom trace | 120 | T3 |
/// | 4 | b-1/channel-0 | dave → carol | ustake | 130 | T4 |
/// | 5 | a-1/channel-0 | ICA owner alice | - | 140 | - |
fn fixture() -> History {
    let h = Store::temporary().unwrap().history();
    let rows = [
        (
            id("a-1", "channel-0", 1),
            "Cosmos1Alice",
            "osmo1bob",
            ATOM_TRACE,
            100,
        ),
        (
            id("a-1", "channel-0", 2),
            "cosmos1carol",
            "osmo1alice",
            "ustake",
            110,
        ),
        (
            id("a-1", "channel-1", 3),
            "cosmos1bob",
            "osmo1dave",
            ATOM_TRACE,
            120,
        ),
        (
            id("b-1", "channel-0", 4),
            "cosmos1dave",
            "osmo1carol",
            "ustake",
            130,
        ),
    ];
    for (pid, from, to, denom, time) in rows {
        assert!(h.record(&transfer(pid, from, to, denom, time)).unwrap());
    }
    let mut ica = transfer(id("a-1", "channel-0", 5), "", "", "", 140);
    ica.id.port = "icacontroller-cosmos1alice".into();
    ica.app = App::InterchainAccount {
        owner: Some("cosmos1alice".into()),
        messages: vec!["/cosmos.bank.v1beta1.MsgSend".into()],
    };
    h.record(&ica).unwrap();
    let sent = |pid: PacketId, tx: &str| {
        let t = 100 + pid.sequence;
        h.add_step(&pid, step(StepKind::Sent, t, pid.sequence, Some(tx)))
            .unwrap();
    };
    sent(id("a-1", "channel-0", 1), "T1");
    sent(id("a-1", "channel-0", 2), "T1");
    sent(id("a-1", "channel-1", 3), "T3");
    sent(id("b-1", "channel-0", 4), "T4");
    h.add_step(
        &id("a-1", "channel-0", 1),
        step(StepKind::Received, 150, 7, Some("R1")),
    )
    .unwrap();
    assert_consistent(&h);
    h
}

#[test]
fn by_tx_hash_finds_every_packet_of_a_tx_in_any_case() {
    let h = fixture();
    let both = vec![id("a-1", "channel-0", 1), id("a-1", "channel-0", 2)];
    assert_eq!(h.by_tx_hash("T1").unwrap(), both);
    assert_eq!(h.by_tx_hash("t1").unwrap(), both);
    assert_eq!(h.by_tx_hash("0xt1").unwrap(), both);
    assert_eq!(h.by_tx_hash("r1").unwrap(), [id("a-1", "channel-0", 1)]);
    assert!(h.by_tx_hash("T").unwrap().is_empty(), "no prefix matches");
    assert!(h.by_tx_hash("T11").unwrap().is_empty());
    assert!(h.by_tx_hash("").unwrap().is_empty());
}

#[test]
fn by_address_finds_sent_and_received_packets_newest_first() {
    let h = fixture();
    assert_eq!(
        seqs(&h.by_address("cosmos1alice", None, 10).unwrap()),
        [5, 1]
    );
    assert_eq!(
        seqs(&h.by_address("COSMOS1ALICE", None, 10).unwrap()),
        [5, 1]
    );
    assert_eq!(seqs(&h.by_address("osmo1alice", None, 10).unwrap()), [2]);
    assert_eq!(seqs(&h.by_address("osmo1bob", None, 10).unwrap()), [1]);
    assert_eq!(seqs(&h.by_address("cosmos1dave", None, 10).unwrap()), [4]);
    assert!(h.by_address("cosmos1", None, 10).unwrap().items.is_empty());
    assert!(h.by_address("", None, 10).unwrap().items.is_empty());
}

#[test]
fn search_by_path_and_sequence() {
    let h = fixture();
    let one = HistoryFilter {
        chain: Some("a-1".into()),
        port: Some("transfer".into()),
        channel: Some("channel-0".into()),
        sequence: Some(2),
        ..Default::default()
    };
    let page = h.search(one.clone(), None, 10).unwrap();
    assert_eq!((seqs(&page), page.next), (vec![2], None));
    let wrong_time = HistoryFilter {
        to_time: Some(109),
        ..one.clone()
    };
    assert!(h.search(wrong_time, None, 10).unwrap().items.is_empty());
    let wrong_denom = HistoryFilter {
        denom: Some("uatom".into()),
        ..one.clone()
    };
    assert!(h.search(wrong_denom, None, 10).unwrap().items.is_empty());
    let path = HistoryFilter {
        sequence: None,
        ..one
    };
    assert_eq!(seqs(&h.search(path.clone(), None, 10).unwrap()), [2, 1]);
    let chain = HistoryFilter {
        chain: Some("a-1".into()),
        ..Default::default()
    };
    assert_eq!(seqs(&h.search(chain, None, 10).unwrap()), [5, 3, 2, 1]);
    let port = HistoryFilter {
        port: Some("transfer".into()),
        ..Default::default()
    };
    assert_eq!(seqs(&h.search(port, None, 10).unwrap()), [4, 3, 2, 1]);
    let seq = HistoryFilter {
        sequence: Some(4),
        ..Default::default()
    };
    assert_eq!(seqs(&h.search(seq, None, 10).unwrap()), [4]);
}

#[test]
fn search_by_denom_as_carried_or_hashed() {
    let h = fixture();
    let denom = |d: &str| HistoryFilter {
        denom: Some(d.into()),
        ..Default::default()
    };
    assert_eq!(
        seqs(&h.search(denom(ATOM_TRACE), None, 10).unwrap()),
        [3, 1]
    );
    assert_eq!(
        seqs(&h.search(denom(&atom_hash()), None, 10).unwrap()),
        [3, 1]
    );
    assert_eq!(seqs(&h.search(denom("ustake"), None, 10).unwrap()), [4, 2]);
    assert!(h.search(denom("uatom"), None, 10).unwrap().items.is_empty());
    let on_path = HistoryFilter {
        chain: Some("a-1".into()),
        channel: Some("channel-0".into()),
        ..denom(ATOM_TRACE)
    };
    assert_eq!(seqs(&h.search(on_path, None, 10).unwrap()), [1]);
}

#[test]
fn search_by_time_range() {
    let h = fixture();
    let range = |from: Option<u64>, to: Option<u64>| HistoryFilter {
        from_time: from,
        to_time: to,
        ..Default::default()
    };
    let all = h.search(range(None, None), None, 10).unwrap();
    assert_eq!(seqs(&all), [5, 4, 3, 2, 1]);
    assert_eq!(
        seqs(&h.search(range(Some(110), Some(130)), None, 10).unwrap()),
        [4, 3, 2]
    );
    assert_eq!(
        seqs(&h.search(range(Some(111), Some(129)), None, 10).unwrap()),
        [3]
    );
    assert_eq!(
        seqs(&h.search(range(None, Some(100)), None, 10).unwrap()),
        [1]
    );
    assert_eq!(
        seqs(
            &h.search(range(Some(140), Some(u64::MAX)), None, 10)
                .unwrap()
        ),
        [5]
    );
    assert!(h
        .search(range(Some(130), Some(120)), None, 10)
        .unwrap()
        .items
        .is_empty());
    let ustake_late = HistoryFilter {
        denom: Some("ustake".into()),
        ..range(Some(115), None)
    };
    assert_eq!(seqs(&h.search(ustake_late, None, 10).unwrap()), [4]);
}

/// 25 packets on one path, first seen at 1000 + seq / 3 (ties broken by id).
fn many() -> History {
    let h = Store::temporary().unwrap().history();
    for seq in 1..=25 {
        let s = transfer(
            id("a-1", "channel-0", seq),
            "cosmos1me",
            "osmo1you",
            "uatom",
            1000 + seq / 3,
        );
        h.record(&s).unwrap();
    }
    h
}

/// Every page of `query`, following the cursors.
fn all_pages(query: impl Fn(Option<Cursor>) -> Page) -> Vec<Vec<u64>> {
    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let page = query(cursor);
        pages.push(seqs(&page));
        // The cursor goes out as a string and comes back.
        match page.next {
            Some(c) => cursor = Some(c.to_string().parse::<Cursor>().unwrap()),
            None => return pages,
        }
    }
}

#[test]
fn pages_follow_each_other_newest_first() {
    let h = many();
    let expected: Vec<u64> = (1..=25).rev().collect();
    let queries: [Box<dyn Fn(Option<Cursor>) -> Page>; 3] = [
        Box::new(|c| h.by_address("cosmos1me", c, 10).unwrap()),
        Box::new(|c| h.search(HistoryFilter::default(), c, 10).unwrap()),
        Box::new(|c| {
            let f = HistoryFilter {
                chain: Some("a-1".into()),
                port: Some("transfer".into()),
                channel: Some("channel-0".into()),
                denom: Some("uatom".into()),
                ..Default::default()
            };
            h.search(f, c, 10).unwrap()
        }),
    ];
    for query in queries {
        let pages = all_pages(query);
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 5]);
        assert_eq!(pages.concat(), expected);
    }
    // An exact fit ends without an empty page.
    let pages = all_pages(|c| h.search(HistoryFilter::default(), c, 5).unwrap());
    assert_eq!(pages.len(), 5);
    // A limit of 0 is 1.
    assert_eq!(
        h.search(HistoryFilter::default(), None, 0)
            .unwrap()
            .items
            .len(),
        1
    );
}

#[test]
fn a_cursor_is_stable_while_packets_are_added() {
    let h = many();
    let first = h.by_address("cosmos1me", None, 10).unwrap();
    let cursor = first.next.clone().unwrap();
    // Newer packets arrive between the pages.
    for seq in 26..=30 {
        let s = transfer(
            id("a-1", "channel-0", seq),
            "cosmos1me",
            "osmo1you",
            "uatom",
            2000,
        );
        h.record(&s).unwrap();
    }
    let second = h.by_address("cosmos1me", Some(cursor.clone()), 10).unwrap();
    assert_eq!(seqs(&second), (6..=15).rev().collect::<Vec<u64>>());
    // The same cursor gives the same page again.
    assert_eq!(h.by_address("cosmos1me", Some(cursor), 10).unwrap(), second);
}

#[test]
fn cursors_are_strings_and_bad_ones_are_refused() {
    let h = many();
    let next = h
        .search(HistoryFilter::default(), None, 3)
        .unwrap()
        .next
        .unwrap();
    let json = serde_json::to_string(&next).unwrap();
    assert_eq!(json, format!("\"{next}\""));
    assert_eq!(serde_json::from_str::<Cursor>(&json).unwrap(), next);
    for bad in ["", "zz", "00", "0000000000000000ff"] {
        assert!(bad.parse::<Cursor>().is_err(), "{bad}");
    }
    assert!(serde_json::from_str::<Cursor>("\"nope\"").is_err());
}
