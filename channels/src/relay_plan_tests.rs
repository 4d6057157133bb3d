use super::*;
use crate::ids::{ChannelId, Height, PortId};

fn packet(seq: u64) -> Packet {
    Packet {
        sequence: seq,
        source_port: "transfer".parse::<PortId>().unwrap(),
        source_channel: ChannelId::new(0),
        destination_port: "transfer".parse::<PortId>().unwrap(),
        destination_channel: ChannelId::new(1),
        data: b"{}".to_vec(),
        timeout_height: Height::new(0, 0),
        timeout_timestamp: 0,
        ordering: None,
    }
}

/// A ledger as (packet, state, ack) triples; the view borrows it.
fn ledger(states: &[(u64, PacketState)]) -> Vec<(Packet, PacketState, Option<Vec<u8>>)> {
    states
        .iter()
        .map(|(seq, state)| {
            let ack = (*state == PacketState::AckWritten).then(|| vec![1, 2, 3]);
            (packet(*seq), *state, ack)
        })
        .collect()
}

fn view(l: &[(Packet, PacketState, Option<Vec<u8>>)]) -> Vec<PendingPacket<'_>> {
    l.iter()
        .map(|(packet, state, ack)| PendingPacket {
            packet,
            state: *state,
            ack: ack.as_deref(),
        })
        .collect()
}

fn seqs(packets: &[Packet]) -> Vec<u64> {
    packets.iter().map(|p| p.sequence).collect()
}

const SMALL: CycleLimits = CycleLimits {
    max_per_cycle: 5,
    newest_per_cycle: 2,
};

#[test]
fn each_state_goes_where_it_belongs() {
    use PacketState::*;
    let l = ledger(&[
        (6, AckWritten),
        (1, Sent),
        (2, RecvSubmitted),
        (3, Received),
        (4, Filtered),
        (5, Quarantined),
    ]);
    let plan = plan_cycle(
        &view(&l),
        Ordering::Unordered,
        CycleLimits::default(),
        |_| false,
        |_| false,
    );
    assert_eq!(seqs(&plan.sends), [1, 2, 4, 5]);
    assert_eq!(plan.held, HashSet::from([4, 5]));
    assert_eq!(plan.acks.len(), 1);
    assert_eq!(plan.acks[0].0, 6);
    assert_eq!(plan.acks[0].1 .1, vec![1, 2, 3]);
}

#[test]
fn excluded_sequences_are_left_out_and_quarantined_acks_are_not_relayed() {
    use PacketState::*;
    let l = ledger(&[(1, Sent), (2, Sent), (3, AckWritten), (4, AckWritten)]);
    let plan = plan_cycle(
        &view(&l),
        Ordering::Unordered,
        SMALL,
        |s| s == 2,
        |s| s == 4,
    );
    assert_eq!(seqs(&plan.sends), [1]);
    assert_eq!(plan.acks.iter().map(|a| a.0).collect::<Vec<_>>(), [3]);
}

#[test]
fn an_unordered_backlog_takes_the_oldest_and_the_newest() {
    let states: Vec<(u64, PacketState)> = (1..=20).rev().map(|s| (s, PacketState::Sent)).collect();
    let l = ledger(&states);
    let plan = plan_cycle(&view(&l), Ordering::Unordered, SMALL, |_| false, |_| false);
    assert_eq!(seqs(&plan.sends), [1, 2, 3, 19, 20]);
}

#[test]
fn an_ordered_backlog_takes_the_oldest_only() {
    let states: Vec<(u64, PacketState)> = (1..=20).map(|s| (s, PacketState::Sent)).collect();
    let l = ledger(&states);
    let plan = plan_cycle(&view(&l), Ordering::Ordered, SMALL, |_| false, |_| false);
    assert_eq!(seqs(&plan.sends), [1, 2, 3, 4, 5]);
}

#[test]
fn held_packets_beyond_the_bound_are_not_reported_held() {
    let mut states: Vec<(u64, PacketState)> = (1..=10).map(|s| (s, PacketState::Sent)).collect();
    states[5].1 = PacketState::Quarantined; // sequence 6, outside the 5 taken
    states[0].1 = PacketState::Filtered; // sequence 1, inside
    let l = ledger(&states);
    let plan = plan_cycle(&view(&l), Ordering::Ordered, SMALL, |_| false, |_| false);
    assert_eq!(plan.held, HashSet::from([1]));
}

#[test]
fn acknowledgements_are_bounded_and_ascending() {
    let states: Vec<(u64, PacketState)> = (1..=9)
        .rev()
        .map(|s| (s, PacketState::AckWritten))
        .collect();
    let l = ledger(&states);
    let plan = plan_cycle(&view(&l), Ordering::Unordered, SMALL, |_| false, |_| false);
    assert_eq!(
        plan.acks.iter().map(|a| a.0).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
}

#[test]
fn limits_where_the_newest_exceed_the_maximum_do_not_underflow() {
    let states: Vec<(u64, PacketState)> = (1..=10).map(|s| (s, PacketState::Sent)).collect();
    let l = ledger(&states);
    let odd = CycleLimits {
        max_per_cycle: 3,
        newest_per_cycle: 7,
    };
    let plan = plan_cycle(&view(&l), Ordering::Unordered, odd, |_| false, |_| false);
    assert_eq!(seqs(&plan.sends), [8, 9, 10]);
}
