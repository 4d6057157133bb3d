//! What the scanner hands the history: sightings from events, resolved with a block's time
//! and tx hashes, written in one transaction.

use stateset_channels::events::{IbcEvent, Packet, PacketHeader};
use stateset_channels::Ordering;

use super::history_feed::{resolve, tx_hash, HistoryFeed};
use super::sightings::{sighting, BlockSightings, Sighting};
use super::{ChannelEnd, Path, Routes};
use crate::store::{StepKind, Store};

fn routes() -> Routes {
    let end = |chain: &str, channel: &str| ChannelEnd {
        chain: chain.into(),
        port: "transfer".parse().unwrap(),
        channel: channel.parse().unwrap(),
        connection: "connection-0".parse().unwrap(),
        client: "07-tendermint-3".into(),
    };
    let routes = Routes::default();
    routes.add(&Path {
        a: end("a-1", "channel-0"),
        b: end("b-1", "channel-1"),
        ordering: Ordering::Unordered,
    });
    routes
}

fn packet(seq: u64) -> Packet {
    Packet {
        sequence: seq,
        source_port: "transfer".parse().unwrap(),
        source_channel: "channel-0".parse().unwrap(),
        destination_port: "transfer".parse().unwrap(),
        destination_channel: "channel-1".parse().unwrap(),
        data: br#"{"denom":"stake","amount":"1","sender":"s","receiver":"r"}"#.to_vec(),
        timeout_height: Default::default(),
        timeout_timestamp: 0,
        ordering: None,
    }
}

fn header(seq: u64) -> PacketHeader {
    PacketHeader::from(&packet(seq))
}

#[test]
fn sends_receives_and_timeouts_of_served_channels_are_sighted() {
    let (store, routes) = (Store::temporary().unwrap(), routes());
    let Some(Sighting::Packet { id, summary, kind }) =
        sighting("a-1", &store, &routes, &IbcEvent::SendPacket(packet(4)))
    else {
        panic!("a send on a served channel is sighted");
    };
    assert_eq!(
        (id.chain.as_str(), id.sequence, kind),
        ("a-1", 4, StepKind::Sent)
    );
    assert_eq!(summary.unwrap().counterparty_chain, "b-1");
    // The receive happens on b-1; the packet is a-1's.
    let Some(Sighting::Packet { id, kind, .. }) =
        sighting("b-1", &store, &routes, &IbcEvent::RecvPacket(packet(4)))
    else {
        panic!("a receive on the served counterparty is sighted");
    };
    assert_eq!(
        (id.chain.as_str(), id.channel.as_str(), kind),
        ("a-1", "channel-0", StepKind::Received)
    );
    let timeout = sighting("a-1", &store, &routes, &IbcEvent::TimeoutPacket(header(4)));
    assert!(matches!(
        timeout,
        Some(Sighting::Packet {
            kind: StepKind::TimedOut,
            ..
        })
    ));
    // Not served: nothing.
    assert_eq!(
        sighting("c-1", &store, &routes, &IbcEvent::SendPacket(packet(4))),
        None
    );
}

#[test]
fn an_acknowledgement_carries_the_success_the_ledger_holds() {
    let (store, routes) = (Store::temporary().unwrap(), routes());
    let ledger = store.ledger("a-1", "transfer", "channel-0").unwrap();
    ledger.record_sent(&packet(1), None).unwrap();
    ledger
        .record_ack(&packet(1), br#"{"error":"insufficient funds"}"#, None)
        .unwrap();
    ledger.record_sent(&packet(2), None).unwrap();
    ledger
        .record_ack(&packet(2), br#"{"result":"AQ=="}"#, None)
        .unwrap();
    let ack = |seq| {
        sighting(
            "a-1",
            &store,
            &routes,
            &IbcEvent::AcknowledgePacket(header(seq)),
        )
    };
    let kind = |s: Option<Sighting>| match s {
        Some(Sighting::Packet { kind, .. }) => kind,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        kind(ack(1)),
        StepKind::Acknowledged {
            success: false,
            error: Some("insufficient funds".into())
        }
    );
    assert_eq!(
        kind(ack(2)),
        StepKind::Acknowledged {
            success: true,
            error: None
        }
    );
}

#[test]
fn updates_of_served_clients_only_are_sighted() {
    let (store, routes) = (Store::temporary().unwrap(), routes());
    let update = |client: &str| IbcEvent::UpdateClient {
        client_id: client.parse().unwrap(),
        client_type: "07-tendermint".into(),
        consensus_heights: Vec::new(),
    };
    assert_eq!(
        sighting("a-1", &store, &routes, &update("07-tendermint-3")),
        Some(Sighting::ClientUpdate {
            client_id: "07-tendermint-3".into()
        })
    );
    assert_eq!(
        sighting("a-1", &store, &routes, &update("07-tendermint-9")),
        None
    );
}

#[test]
fn steps_get_their_tx_hash_by_index_and_are_written_together() {
    let (store, routes) = (Store::temporary().unwrap(), routes());
    let send = sighting("a-1", &store, &routes, &IbcEvent::SendPacket(packet(9))).unwrap();
    let update = Sighting::ClientUpdate {
        client_id: "07-tendermint-3".into(),
    };
    let block = BlockSightings {
        height: 70,
        items: vec![(Some(1), send), (None, update)],
    };
    let hashes = [tx_hash(b"tx0"), tx_hash(b"tx1")];
    assert_eq!(
        hashes[1],
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"tx1"))
    );
    let (writes, updates) = resolve("a-1", &block, 1_700_000_000, &hashes);
    assert_eq!(writes[0].step.tx_hash.as_deref(), Some(hashes[1].as_str()));
    assert_eq!(
        (writes[0].step.height, writes[0].step.time),
        (70, 1_700_000_000)
    );
    assert_eq!(updates[0].height, 70);
    let feed = HistoryFeed::new(Some(store.history()));
    let mut steps = feed.steps.subscribe();
    feed.write("a-1", &writes);
    let (packet, step) = steps.try_recv().unwrap();
    assert_eq!((packet.summary.id.sequence, step.kind), (9, StepKind::Sent));
    let found = store
        .history()
        .by_tx_hash(&hashes[1].to_uppercase())
        .unwrap();
    assert_eq!(found.len(), 1, "found by its (uppercase) tx hash");
}

#[test]
fn two_steps_of_a_new_packet_in_one_block_are_both_kept() {
    let (store, routes) = (Store::temporary().unwrap(), routes());
    let send = sighting("a-1", &store, &routes, &IbcEvent::SendPacket(packet(3))).unwrap();
    let timeout = sighting("a-1", &store, &routes, &IbcEvent::TimeoutPacket(header(3))).unwrap();
    let block = BlockSightings {
        height: 5,
        items: vec![(Some(0), send), (Some(1), timeout)],
    };
    let (writes, _) = resolve("a-1", &block, 100, &[tx_hash(b"a"), tx_hash(b"b")]);
    let changed = store.history().apply(&writes).unwrap();
    assert_eq!(changed.len(), 2);
    let id = &writes[0].id;
    let kinds: Vec<StepKind> = store
        .history()
        .get(id)
        .unwrap()
        .unwrap()
        .steps
        .into_iter()
        .map(|s| s.kind)
        .collect();
    assert_eq!(kinds, [StepKind::Sent, StepKind::TimedOut]);
    assert_eq!(store.history().count().unwrap(), 1);
}
