use super::*;
use crate::ids::{ChannelId, PortId};

fn packet(seq: u64, timeout_height: u64, timeout_ns: u64) -> Packet {
    Packet {
        sequence: seq,
        source_port: "transfer".parse::<PortId>().unwrap(),
        source_channel: ChannelId::new(0),
        destination_port: "transfer".parse::<PortId>().unwrap(),
        destination_channel: ChannelId::new(1),
        data: b"{}".to_vec(),
        timeout_height: Height::new(if timeout_height == 0 { 0 } else { 1 }, timeout_height),
        timeout_timestamp: timeout_ns,
        ordering: None,
    }
}

fn clock(h: u64, t: u64) -> DestinationClock {
    DestinationClock {
        height: Height::new(1, h),
        time_ns: t,
    }
}

#[test]
fn timeouts_by_height_and_by_time() {
    assert!(!is_timed_out(&packet(1, 100, 0), clock(99, 5)));
    assert!(is_timed_out(&packet(1, 100, 0), clock(100, 5)));
    assert!(!is_timed_out(&packet(1, 0, 1_000), clock(10_000, 999)));
    assert!(is_timed_out(&packet(1, 0, 1_000), clock(1, 1_000)));
    assert!(
        !is_timed_out(&packet(1, 0, 0), clock(u64::MAX, u64::MAX)),
        "no timeout set"
    );
    // A later revision is past any height of an earlier one.
    let p = packet(1, 100, 0);
    assert!(is_timed_out(
        &p,
        DestinationClock {
            height: Height::new(2, 1),
            time_ns: 0
        }
    ));
}

#[test]
fn pending_packets_are_sorted_into_recv_timeout_and_redundant() {
    let pending = vec![
        packet(3, 0, 0),
        packet(1, 50, 0),
        packet(2, 500, 0),
        packet(4, 0, 0),
    ];
    let unreceived: BTreeSet<u64> = [1, 2, 3].into_iter().collect();
    let plan = plan_recv(&pending, &unreceived, clock(60, 0), false, false);
    assert_eq!(
        plan.recv.iter().map(|p| p.sequence).collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert_eq!(
        plan.timeout.iter().map(|p| p.sequence).collect::<Vec<_>>(),
        vec![1]
    );
    assert_eq!(plan.already_received, vec![4]);
    assert!(plan.held.is_empty());
    let closed = plan_recv(&pending, &unreceived, clock(60, 0), true, false);
    assert_eq!(closed.timeout.len(), 3);
    assert!(closed.recv.is_empty());
}

#[test]
fn on_ordered_channels_nothing_after_a_timeout_is_received() {
    // 1 and 3 timed out (height 50 < 60); 2 and 4 have not, but follow 1.
    let pending = vec![
        packet(1, 50, 0),
        packet(2, 500, 0),
        packet(3, 55, 0),
        packet(4, 0, 0),
    ];
    let unreceived: BTreeSet<u64> = [1, 2, 3, 4].into_iter().collect();
    let plan = plan_recv(&pending, &unreceived, clock(60, 0), false, true);
    assert!(plan.recv.is_empty());
    let timeouts: Vec<u64> = plan.timeout.iter().map(|p| p.sequence).collect();
    assert_eq!(timeouts, vec![1, 3]);
    assert_eq!(plan.held, vec![2, 4]);
    // Before any timeout, ordered packets are received as usual.
    let fresh = vec![packet(5, 500, 0), packet(6, 0, 0)];
    let unreceived: BTreeSet<u64> = [5, 6].into_iter().collect();
    let plan = plan_recv(&fresh, &unreceived, clock(60, 0), false, true);
    assert_eq!(plan.recv.len(), 2);
    // Once the destination end is closed, everything unreceived times out on close.
    let plan = plan_recv(
        &pending,
        &[1, 2, 3, 4].into_iter().collect(),
        clock(60, 0),
        true,
        true,
    );
    assert_eq!(plan.timeout.len(), 4);
}

#[test]
fn acks_whose_commitment_is_gone_are_redundant() {
    let pending = vec![(5, "a"), (2, "b"), (9, "c")];
    let unreceived: BTreeSet<u64> = [2, 5].into_iter().collect();
    let (relay, redundant) = plan_acks(&pending, &unreceived);
    assert_eq!(relay, vec![(2, "b"), (5, "a")]);
    assert_eq!(redundant, vec![9]);
}

#[test]
fn batches_respect_count_and_size() {
    assert_eq!(batches(&[10; 7], 3, 1000), vec![0..3, 3..6, 6..7]);
    assert_eq!(batches(&[400, 400, 400], 10, 1000), vec![0..2, 2..3]);
    assert_eq!(batches(&[5000, 10], 10, 1000), vec![0..1, 1..2]);
    assert!(batches(&[], 3, 10).is_empty());
}

#[test]
fn messages_carry_the_packet_and_proofs() {
    let p = packet(7, 100, 0);
    let m = build_recv_packet(&p, vec![1, 2], Height::new(1, 9), "cosmos1x");
    assert_eq!(m.packet.as_ref().unwrap().sequence, 7);
    assert_eq!(m.proof_commitment, vec![1, 2]);
    assert_eq!(m.proof_height.unwrap().revision_height, 9);
    let a = build_acknowledgement(&p, b"ack".to_vec(), vec![3], Height::new(1, 10), "s");
    assert_eq!(a.acknowledgement, b"ack".to_vec());
    let t = build_timeout(&p, vec![4], Height::new(1, 11), 7, "s");
    assert_eq!(t.next_sequence_recv, 7);
    let c = build_timeout_on_close(&p, vec![4], vec![5], Height::new(1, 11), 7, "s");
    assert_eq!(c.proof_close, vec![5]);
}
