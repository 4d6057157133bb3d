//! The packet history: summaries of packet data, steps, pruning, index consistency and
//! reopening (queries are in `history_tests_query.rs`).

use std::collections::BTreeSet;
use std::time::Duration;

use ibc_proto::google::protobuf::Any;
use stateset_channels::ids::{ChannelId, Height, PortId};
use stateset_channels::v2::channel as v2;
use stateset_packet_handlers::ics20::FungibleTokenPacketData;
use stateset_packet_handlers::ics27::InterchainAccountPacketData;

use super::history::{entries, Index, MAX_MEMO_BYTES, MAX_STEPS};
use super::*;

pub(super) fn id(chain: &str, channel: &str, sequence: u64) -> PacketId {
    PacketId {
        chain: chain.into(),
        port: "transfer".into(),
        channel: channel.into(),
        sequence,
    }
}

/// A transfer of `denom` from `sender` to `receiver`, first seen at `time`.
pub(super) fn transfer(
    id: PacketId,
    sender: &str,
    receiver: &str,
    denom: &str,
    time: u64,
) -> PacketSummary {
    PacketSummary {
        id,
        counterparty_chain: "b-1".into(),
        destination_port: "transfer".into(),
        destination_channel: "channel-9".into(),
        app: App::Transfer {
            sender: sender.into(),
            receiver: receiver.into(),
            denom: denom.into(),
            amount: "100".into(),
            memo: String::new(),
        },
        first_seen: time,
    }
}

pub(super) fn step(kind: StepKind, time: u64, height: u64, tx: Option<&str>) -> Step {
    Step {
        kind,
        chain: "a-1".into(),
        height,
        time,
        tx_hash: tx.map(str::to_string),
    }
}

/// Every index holds exactly the entries the packets call for, and the count is right.
pub(super) fn assert_consistent(h: &History) {
    let mut expected = BTreeSet::new();
    for item in h.packet_tree().iter() {
        let (key, value) = item.unwrap();
        let record: PacketHistory = serde_json::from_slice(&value).unwrap();
        for (index, k) in entries(&record, &key) {
            expected.insert((index, k, key.to_vec()));
        }
    }
    let mut actual = BTreeSet::new();
    for index in [
        Index::Tx,
        Index::Address,
        Index::Time,
        Index::Denom,
        Index::Path,
    ] {
        for item in h.index_tree(index).iter() {
            let (k, v) = item.unwrap();
            actual.insert((index, k.to_vec(), v.to_vec()));
        }
    }
    assert_eq!(actual, expected, "the indexes match the packets");
    assert_eq!(h.count().unwrap(), h.packet_tree().len() as u64);
}

fn packet(port: &str, channel: &str, data: Vec<u8>) -> Packet {
    Packet {
        sequence: 7,
        source_port: port.parse::<PortId>().unwrap(),
        source_channel: channel.parse::<ChannelId>().unwrap(),
        destination_port: "transfer".parse::<PortId>().unwrap(),
        destination_channel: ChannelId::new(3),
        data,
        timeout_height: Height::new(1, 500),
        timeout_timestamp: 0,
        ordering: None,
    }
}

fn ics20(memo: &str) -> Vec<u8> {
    FungibleTokenPacketData {
        amount: "250".into(),
        denom: "transfer/channel-4/uatom".into(),
        memo: memo.into(),
        receiver: "osmo1receiver".into(),
        sender: "cosmos1sender".into(),
    }
    .encode()
}

fn v2_packet(payloads: Vec<v2::Payload>) -> Packet {
    stateset_channels::v2::carry(&v2::Packet {
        sequence: 12,
        source_client: "07-tendermint-0".into(),
        destination_client: "07-tendermint-5".into(),
        timeout_timestamp: 1_900_000_000,
        payloads,
    })
    .unwrap()
}

fn payload(port: &str, encoding: &str, value: Vec<u8>) -> v2::Payload {
    v2::Payload {
        source_port: port.into(),
        destination_port: port.into(),
        version: "ics20-1".into(),
        encoding: encoding.into(),
        value,
    }
}

#[test]
fn packet_keys_sort_like_ids_and_read_back() {
    use super::history::{decode_id, id_key};
    let pid = |chain: &str, port: &str, channel: &str, sequence: u64| PacketId {
        chain: chain.into(),
        port: port.into(),
        channel: channel.into(),
        sequence,
    };
    let ids = vec![
        pid("ab", "p", "c", 1),
        pid("a\0b", "p", "c", 1),
        pid("a", "p", "c", u64::MAX),
        pid("a", "p", "c", 256),
        pid("a", "p", "c", 2),
        pid("a", "", "c", 2),
        pid("a", "p\0", "", 0),
        pid("", "p", "c", 2),
    ];
    let mut by_key = ids.clone();
    by_key.sort_by_key(id_key);
    let mut by_id = ids.clone();
    by_id.sort();
    assert_eq!(by_key, by_id);
    for i in &ids {
        assert_eq!(decode_id(&id_key(i)).as_ref(), Some(i));
    }
    assert_eq!(decode_id(b"a\0\x01"), None);
}

#[test]
fn an_ics20_packet_is_summarized_as_a_transfer() {
    let s = summarize_packet(&packet("transfer", "channel-0", ics20("hi")), "a-1", "b-1");
    assert_eq!(s.id, id("a-1", "channel-0", 7));
    assert_eq!(s.counterparty_chain, "b-1");
    assert_eq!(
        (s.destination_port.as_str(), s.destination_channel.as_str()),
        ("transfer", "channel-3")
    );
    assert!(s.first_seen > 1_600_000_000, "first seen now");
    assert_eq!(
        s.app,
        App::Transfer {
            sender: "cosmos1sender".into(),
            receiver: "osmo1receiver".into(),
            denom: "transfer/channel-4/uatom".into(),
            amount: "250".into(),
            memo: "hi".into(),
        }
    );
    let long = "é".repeat(MAX_MEMO_BYTES);
    let s = summarize_packet(&packet("transfer", "channel-0", ics20(&long)), "a-1", "b-1");
    let App::Transfer { memo, .. } = s.app else {
        panic!("a transfer")
    };
    assert!(
        memo.len() <= MAX_MEMO_BYTES && memo.ends_with('…'),
        "{}",
        memo.len()
    );
}

#[test]
fn an_ics27_packet_is_summarized_with_its_owner_and_message_types() {
    let msgs = [
        "/cosmos.bank.v1beta1.MsgSend",
        "/cosmos.staking.v1beta1.MsgDelegate",
    ];
    let any = |t: &str| Any {
        type_url: t.into(),
        value: vec![1, 2],
    };
    let data =
        InterchainAccountPacketData::execute(msgs.iter().map(|t| any(t)).collect(), "").encode();
    let s = summarize_packet(
        &packet("icacontroller-cosmos1owner", "channel-1", data),
        "a-1",
        "b-1",
    );
    assert_eq!(s.id.port, "icacontroller-cosmos1owner");
    assert_eq!(
        s.app,
        App::InterchainAccount {
            owner: Some("cosmos1owner".into()),
            messages: msgs.iter().map(|m| m.to_string()).collect(),
        }
    );
    // proto3json CosmosTx (ibc-go's other ICS-27 encoding).
    let json = InterchainAccountPacketData {
        kind: "TYPE_EXECUTE_TX".into(),
        data: br#"{"messages":[{"@type":"/cosmos.bank.v1beta1.MsgSend","amount":[]}]}"#.to_vec(),
        memo: String::new(),
    };
    let s = summarize_packet(
        &packet("icacontroller-x", "channel-1", json.encode()),
        "a-1",
        "b-1",
    );
    assert_eq!(
        s.app,
        App::InterchainAccount {
            owner: Some("x".into()),
            messages: vec!["/cosmos.bank.v1beta1.MsgSend".into()],
        }
    );
}

#[test]
fn an_ibc_v2_packet_is_summarized_from_its_payload() {
    let p = v2_packet(vec![payload("transfer", "application/json", ics20(""))]);
    let s = summarize_packet(&p, "a-1", "b-1");
    assert_eq!(
        s.id,
        PacketId {
            chain: "a-1".into(),
            port: "ibc-v2".into(),
            channel: "07-tendermint-0".into(),
            sequence: 12,
        }
    );
    assert_eq!(s.destination_channel, "07-tendermint-5");
    assert!(matches!(&s.app, App::Transfer { amount, .. } if amount == "250"));
    // Another encoding or application: its port.
    for p in [
        payload("transfer", "application/x-protobuf", vec![1, 2, 3]),
        payload("transfer", "application/json", b"{}".to_vec()),
    ] {
        let s = summarize_packet(&v2_packet(vec![p]), "a-1", "b-1");
        assert_eq!(
            s.app,
            App::Other {
                port: "transfer".into()
            }
        );
    }
    let s = summarize_packet(
        &v2_packet(vec![payload("oracle", "application/json", ics20(""))]),
        "a-1",
        "b-1",
    );
    assert_eq!(
        s.app,
        App::Other {
            port: "oracle".into()
        }
    );
}

#[test]
fn garbage_is_summarized_as_other() {
    let cases = [
        ("transfer", "channel-0", b"garbage".to_vec()),
        (
            "transfer",
            "channel-0",
            br#"{"amount":"0","denom":"x","receiver":"r","sender":"s"}"#.to_vec(),
        ),
        ("icacontroller-me", "channel-0", ics20("")),
        (
            "icacontroller-me",
            "channel-0",
            br#"{"data":"AAEC","memo":"","type":"TYPE_EXECUTE_TX"}"#.to_vec(),
        ),
        ("ibc-v2", "07-tendermint-0", b"\xff\x00garbage".to_vec()),
        ("wasm.contract", "channel-0", Vec::new()),
    ];
    for (port, channel, data) in cases {
        let s = summarize_packet(&packet(port, channel, data), "a-1", "b-1");
        assert_eq!(s.app, App::Other { port: port.into() }, "{port}");
    }
}

#[test]
fn steps_are_kept_in_order_once_each() {
    let store = Store::temporary().unwrap();
    let h = store.history();
    let pid = id("a-1", "channel-0", 1);
    let summary = transfer(pid.clone(), "cosmos1s", "osmo1r", "uatom", 100);
    assert!(h.record(&summary).unwrap());
    let mut again = summary.clone();
    again.first_seen = 999;
    assert!(!h.record(&again).unwrap(), "known already: kept as it is");
    let ack = StepKind::Acknowledged {
        success: false,
        error: Some("insufficient funds".into()),
    };
    h.add_step(&pid, step(ack.clone(), 130, 52, Some("CCCC")))
        .unwrap();
    h.add_step(&pid, step(StepKind::Sent, 100, 50, Some("AAAA")))
        .unwrap();
    h.add_step(&pid, step(StepKind::Received, 120, 9, Some("BBBB")))
        .unwrap();
    // Same time: by height.
    h.add_step(
        &pid,
        step(StepKind::Quarantined { reason: "x".into() }, 120, 8, None),
    )
    .unwrap();
    // Identical steps (the hash in another case is the same hash) are not added again.
    h.add_step(&pid, step(StepKind::Sent, 100, 50, Some(" aaaa ")))
        .unwrap();
    h.add_step(&pid, step(ack, 130, 52, Some("cccc"))).unwrap();
    let got = h.get(&pid).unwrap().unwrap();
    assert_eq!(got.summary, summary);
    let order: Vec<(u64, u64)> = got.steps.iter().map(|s| (s.time, s.height)).collect();
    assert_eq!(order, [(100, 50), (120, 8), (120, 9), (130, 52)]);
    assert_eq!(
        got.steps[0].tx_hash.as_deref(),
        Some("aaaa"),
        "stored lowercase"
    );
    assert_consistent(&h);
    // A step of an unknown packet is refused.
    let unknown = h.add_step(&id("a-1", "channel-0", 2), step(StepKind::Sent, 1, 1, None));
    assert!(
        matches!(unknown, Err(StoreError::Missing { .. })),
        "{unknown:?}"
    );
}

#[test]
fn steps_beyond_the_cap_drop_the_oldest_but_the_first_with_their_tx_entries() {
    let h = Store::temporary().unwrap().history();
    let pid = id("a-1", "channel-0", 1);
    h.record(&transfer(pid.clone(), "s1", "r1", "uatom", 10))
        .unwrap();
    for i in 0..(MAX_STEPS as u64 + 5) {
        let kind = StepKind::Filtered {
            reason: format!("r{i}"),
        };
        h.add_step(&pid, step(kind, 10 + i, i, Some(&format!("{i:04x}"))))
            .unwrap();
    }
    let steps = h.get(&pid).unwrap().unwrap().steps;
    assert_eq!(steps.len(), MAX_STEPS);
    assert_eq!(steps[0].height, 0, "the first step stays");
    assert_eq!(steps[1].height, 6);
    assert!(
        h.by_tx_hash("0001").unwrap().is_empty(),
        "a dropped step's tx"
    );
    assert_eq!(h.by_tx_hash("0000").unwrap(), [pid]);
    assert_consistent(&h);
}

/// Ten transfers on channel-0 first seen at 100..=109, each sent in its own tx.
fn ten(h: &History) -> Vec<PacketId> {
    (0..10)
        .map(|i| {
            let pid = id("a-1", "channel-0", i + 1);
            let s = transfer(pid.clone(), &format!("s{i}"), "r", "uatom", 100 + i);
            h.record(&s).unwrap();
            h.add_step(
                &pid,
                step(StepKind::Sent, 100 + i, i, Some(&format!("tx{i}"))),
            )
            .unwrap();
            pid
        })
        .collect()
}

#[test]
fn prune_removes_packets_by_age_then_by_cap_with_their_index_entries() {
    let h = Store::temporary().unwrap().history();
    let ids = ten(&h);
    assert_eq!(h.count().unwrap(), 10);
    assert_consistent(&h);
    // Cutoff 105: first seen 100..=104 go.
    let removed = h.prune(200, Duration::from_secs(95), 1_000).unwrap();
    assert_eq!(removed, 5);
    assert_eq!(h.count().unwrap(), 5);
    assert!(h.get(&ids[4]).unwrap().is_none());
    assert!(h.by_tx_hash("tx4").unwrap().is_empty());
    assert!(h.by_address("s4", None, 10).unwrap().items.is_empty());
    assert_eq!(h.by_tx_hash("TX5").unwrap(), [ids[5].clone()]);
    assert_consistent(&h);
    // Cap 2: the three oldest of the rest go.
    assert_eq!(h.prune(200, Duration::from_secs(3600), 2).unwrap(), 3);
    let left: Vec<u64> = h
        .search(HistoryFilter::default(), None, 10)
        .unwrap()
        .items
        .iter()
        .map(|p| p.summary.first_seen)
        .collect();
    assert_eq!(left, [109, 108]);
    assert!(h.by_tx_hash("tx7").unwrap().is_empty());
    assert_consistent(&h);
    assert_eq!(
        h.prune(200, Duration::from_secs(3600), 2).unwrap(),
        0,
        "nothing left to do"
    );
    assert_eq!(h.prune(10_000, Duration::from_secs(60), 1000).unwrap(), 2);
    assert_eq!(h.count().unwrap(), 0);
    assert!(h.index_tree(Index::Denom).is_empty() && h.index_tree(Index::Tx).is_empty());
}

#[test]
fn a_corrupt_record_is_reported_and_pruned() {
    let h = Store::temporary().unwrap().history();
    let ids = ten(&h);
    let key = super::history::id_key(&ids[0]);
    h.packet_tree().insert(key, &b"not json"[..]).unwrap();
    assert!(matches!(h.get(&ids[0]), Err(StoreError::Corrupt { .. })));
    assert_eq!(h.prune(100, Duration::from_secs(60), 9).unwrap(), 1);
    assert!(h.get(&ids[0]).unwrap().is_none());
    assert_eq!(h.count().unwrap(), 9);
    assert!(h.by_tx_hash("tx0").unwrap().is_empty());
    assert!(h.by_address("s0", None, 10).unwrap().items.is_empty());
}

#[test]
fn the_history_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let ids = {
        let store = crate::store::reopen(dir.path());
        let ids = ten(&store.history());
        store.flush().unwrap();
        ids
    };
    let store = crate::store::reopen(dir.path());
    let h = store.history();
    assert_eq!(h.count().unwrap(), 10);
    let got = h.get(&ids[3]).unwrap().unwrap();
    assert_eq!(got.summary.first_seen, 103);
    assert_eq!(got.steps.len(), 1);
    assert_eq!(h.by_tx_hash("tx3").unwrap(), [ids[3].clone()]);
    assert_consistent(&h);
    assert!(!h.record(&got.summary).unwrap(), "known after the reopen");
}
