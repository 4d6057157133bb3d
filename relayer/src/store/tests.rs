use super::*;
use stateset_channels::ids::{ChannelId, Height, PortId};

fn packet(seq: u64) -> Packet {
    Packet {
        sequence: seq,
        source_port: "transfer".parse::<PortId>().unwrap(),
        source_channel: ChannelId::new(0),
        destination_port: "transfer".parse::<PortId>().unwrap(),
        destination_channel: ChannelId::new(3),
        data: br#"{"amount":"1"}"#.to_vec(),
        timeout_height: Height::new(1, 500),
        timeout_timestamp: 99,
        ordering: Some(stateset_channels::Ordering::Unordered),
    }
}

#[test]
fn the_ledger_and_heights_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        store.set_last_height("a-1", 42).unwrap();
        let ledger = store.ledger("a-1", "transfer", "channel-0").unwrap();
        assert!(ledger.record_sent(&packet(1)).unwrap());
        assert!(!ledger.record_sent(&packet(1)).unwrap(), "known already");
        ledger.record_sent(&packet(2)).unwrap();
        ledger
            .record_ack(&packet(2), b"{\"result\":\"AQ==\"}")
            .unwrap();
        ledger.mark(1, PacketState::RecvSubmitted).unwrap();
        let id = store.journal_add("b-1", "recv 1").unwrap();
        assert_ne!(id, u64::MAX);
        store.flush().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.last_height("a-1").unwrap(), Some(42));
    assert_eq!(store.last_height("b-1").unwrap(), None);
    assert_eq!(store.journal_entries().unwrap().len(), 1);
    let ledger = store.ledger("a-1", "transfer", "channel-0").unwrap();
    let records = ledger.records().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].packet, packet(1));
    assert_eq!(records[0].state, PacketState::RecvSubmitted);
    assert_eq!(records[1].state, PacketState::AckWritten);
    assert_eq!(
        records[1].ack.as_deref(),
        Some(&b"{\"result\":\"AQ==\"}"[..])
    );
    // An acknowledged packet is not moved back by a late mark.
    ledger.mark(2, PacketState::Received).unwrap();
    assert_eq!(ledger.records().unwrap()[1].state, PacketState::AckWritten);
    ledger.finish(1).unwrap();
    ledger.finish(2).unwrap();
    assert!(ledger.is_empty());
}
