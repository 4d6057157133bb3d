use super::*;
use stateset_channels::ids::{ChannelId, Height, PortId};

/// A transfer packet with sequence `seq` on transfer/channel-0 → channel-3 (the fixture of
/// the store's tests, and of the worker's tests that need a ledger).
pub(crate) fn packet(seq: u64) -> Packet {
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
        let store = super::reopen(dir.path());
        store.set_last_height("a-1", 42).unwrap();
        let ledger = store.ledger("a-1", "transfer", "channel-0").unwrap();
        assert!(ledger.record_sent(&packet(1), Some(12)).unwrap());
        assert!(
            !ledger.record_sent(&packet(1), Some(14)).unwrap(),
            "known already"
        );
        ledger.record_sent(&packet(2), Some(13)).unwrap();
        ledger
            .record_ack(&packet(2), b"{\"result\":\"AQ==\"}", Some(30))
            .unwrap();
        ledger.mark(1, PacketState::RecvSubmitted).unwrap();
        let id = store
            .journal_add(&super::JournalStep::new("b-1", "recv_packet", vec![1]))
            .unwrap();
        assert_ne!(id, u64::MAX);
        store.flush().unwrap();
    }
    let store = super::reopen(dir.path());
    assert_eq!(store.last_height("a-1").unwrap(), Some(42));
    assert_eq!(store.last_height("b-1").unwrap(), None);
    assert_eq!(store.journal_steps().unwrap().len(), 1);
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
    // The send's block, kept through a mark and a second sighting; then the ack's block.
    assert_eq!(records[0].written_at, Some(12));
    assert_eq!(records[1].written_at, Some(30));
    // An acknowledged packet is not moved back by a late mark.
    ledger.mark(2, PacketState::Received).unwrap();
    assert_eq!(ledger.records().unwrap()[1].state, PacketState::AckWritten);
    ledger.finish(1).unwrap();
    ledger.finish(2).unwrap();
    assert!(ledger.is_empty());
}

#[test]
fn records_decoded_before_follow_every_change_made_through_any_handle() {
    let store = Store::temporary().unwrap();
    let reader = store.ledger("a-1", "transfer", "channel-0").unwrap();
    let writer = store.ledger("a-1", "transfer", "channel-0").unwrap();
    for seq in 1..=3 {
        writer.record_sent(&packet(seq), None).unwrap();
    }
    let states = |l: &Ledger| -> Vec<(u64, PacketState)> {
        l.records()
            .unwrap()
            .iter()
            .map(|r| (r.packet.sequence, r.state))
            .collect()
    };
    use PacketState::*;
    assert_eq!(states(&reader), [(1, Sent), (2, Sent), (3, Sent)]);
    // Changed through another handle: the reader decodes the changed record again.
    writer.mark(2, RecvSubmitted).unwrap();
    writer.record_ack(&packet(3), b"ack", None).unwrap();
    assert_eq!(
        states(&reader),
        [(1, Sent), (2, RecvSubmitted), (3, AckWritten)]
    );
    assert_eq!(
        reader.records().unwrap()[2].ack.as_deref(),
        Some(&b"ack"[..])
    );
    // Changed through the reader itself, and a finished record drops out.
    reader.mark(1, Received).unwrap();
    writer.finish(2).unwrap();
    assert_eq!(states(&reader), [(1, Received), (3, AckWritten)]);
    // A record finished and recorded again (same sequence, new bytes) is read afresh.
    writer.finish(1).unwrap();
    writer.record_sent(&packet(1), None).unwrap();
    assert_eq!(states(&reader), [(1, Sent), (3, AckWritten)]);
}

/// sled's own `flush_async`, polled many times at once, could wait for ever (sled issues
/// 1241 and 1308); the store's must finish every flush, and what each one covered must be
/// readable after a reopen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_flushes_at_once_all_finish() {
    let dir = tempfile::tempdir().unwrap();
    let store = super::reopen(dir.path());
    let flushes = (0..64u64).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store.set_last_height(&format!("chain-{i}"), i).unwrap();
            store.flush_async().await
        })
    });
    let all = futures::future::join_all(flushes);
    let results = tokio::time::timeout(std::time::Duration::from_secs(60), all)
        .await
        .expect("64 concurrent flushes did not all finish within 60 s");
    for result in results {
        result.expect("flush task").expect("flush");
    }
    drop(store);
    let store = super::reopen(dir.path());
    assert_eq!(store.last_height("chain-63").unwrap(), Some(63));
}

/// A record written before records kept the block that wrote them decodes with none (its
/// packet is then proven at the latest height), and a record keeps its block through an
/// encoding.
#[test]
fn a_record_without_its_block_decodes_as_not_known() {
    let record = PacketRecord {
        packet: packet(7),
        state: PacketState::Sent,
        ack: None,
        updated: 5,
        seen: 5.5,
        written_at: Some(99),
    };
    let bytes = record.encode();
    assert_eq!(PacketRecord::decode("k", &bytes).unwrap(), record);
    let mut older: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    older
        .as_object_mut()
        .unwrap()
        .remove("written_at")
        .expect("the field is written");
    let older = serde_json::to_vec(&older).unwrap();
    let decoded = PacketRecord::decode("k", &older).unwrap();
    assert_eq!(decoded.written_at, None);
    assert_eq!(decoded.packet, packet(7));
}
