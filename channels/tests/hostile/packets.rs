//! Wire packets, timeouts, receive and ack plans, batching and handshake steps, from
//! whatever numbers and ids the chains report.

use std::collections::BTreeSet;

use ibc_proto::ibc::core::channel::v1::Packet as ProtoPacket;
use proptest::collection::{btree_set, vec};
use proptest::prelude::*;
use stateset_channels::packet::{batches, is_timed_out, plan_acks, plan_recv, DestinationClock};
use stateset_channels::{
    next_channel_step, next_connection_step, ChannelEndView, ChannelId, ChannelSpec,
    ConnectionEndView, ConnectionId, ConnectionSpec, ConnectionStep, HandshakeState, Height,
    Ordering, Packet,
};

use crate::gen::{height, packet};
use crate::support::{config, hostile_text};

/// An id that is valid or not.
fn id_text() -> impl Strategy<Value = String> {
    prop_oneof!["transfer|channel-[0-9]{1,3}", hostile_text()]
}

fn proto_packet() -> impl Strategy<Value = ProtoPacket> {
    (
        (any::<u64>(), id_text(), id_text(), id_text(), id_text()),
        (
            vec(any::<u8>(), 0..32),
            proptest::option::of(height()),
            any::<u64>(),
        ),
    )
        .prop_map(|((sequence, sp, sc, dp, dc), (data, th, tt))| ProtoPacket {
            sequence,
            source_port: sp,
            source_channel: sc,
            destination_port: dp,
            destination_channel: dc,
            data,
            timeout_height: th.map(Into::into),
            timeout_timestamp: tt,
        })
}

/// Numbers near the edges (0, small, u64::MAX) or anything.
fn edge_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0),
        Just(u64::MAX),
        Just(u64::MAX - 1),
        0..20u64,
        any::<u64>()
    ]
}

fn clock() -> impl Strategy<Value = DestinationClock> {
    (edge_u64(), edge_u64(), edge_u64()).prop_map(|(r, h, t)| DestinationClock {
        height: Height::new(r, h),
        time_ns: t,
    })
}

/// Packets on one channel with timeouts near the clock's edges.
fn pending() -> impl Strategy<Value = Vec<Packet>> {
    vec(
        (packet(), 0..20u64, edge_u64(), edge_u64(), edge_u64()).prop_map(|(mut p, s, r, h, t)| {
            p.sequence = s;
            p.timeout_height = Height::new(r, h);
            p.timeout_timestamp = t;
            p
        }),
        0..12,
    )
}

fn state() -> impl Strategy<Value = HandshakeState> {
    (-1..8i32).prop_map(HandshakeState::from_channel_state)
}

fn conn_end() -> impl Strategy<Value = ConnectionEndView> {
    (
        0..3u64,
        state(),
        0..2u8,
        0..2u8,
        proptest::option::of(0..3u64),
    )
        .prop_map(|(id, state, c, cc, cp)| {
            let client = |n: u8| format!("07-tendermint-{n}").parse().unwrap();
            ConnectionEndView {
                id: ConnectionId::new(id),
                state,
                client_id: client(c),
                counterparty_client_id: client(cc),
                counterparty_connection_id: cp.map(ConnectionId::new),
            }
        })
}

fn chan_end() -> impl Strategy<Value = ChannelEndView> {
    (
        0..3u64,
        state(),
        any::<bool>(),
        0..2u64,
        proptest::option::of(0..3u64),
        "ics20-1|x",
    )
        .prop_map(|(id, state, ordered, conn, cp, version)| ChannelEndView {
            port_id: "transfer".parse().unwrap(),
            channel_id: ChannelId::new(id),
            state,
            ordering: if ordered {
                Ordering::Ordered
            } else {
                Ordering::Unordered
            },
            connection_id: ConnectionId::new(conn),
            counterparty_port_id: "transfer".parse().unwrap(),
            counterparty_channel_id: cp.map(ChannelId::new),
            version,
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn wire_packets_convert_or_fail_without_panicking(p in proto_packet()) {
        if let Ok(typed) = Packet::try_from(p.clone()) {
            let back = ProtoPacket::from(&typed);
            let normalized = ProtoPacket { timeout_height: Some(p.timeout_height.unwrap_or_default()), ..p };
            prop_assert_eq!(back, normalized);
        }
    }

    #[test]
    fn packets_round_trip_through_the_wire(p in packet()) {
        let back = Packet::try_from(ProtoPacket::from(&p));
        prop_assert_eq!(back, Ok(Packet { ordering: None, ..p }));
    }

    #[test]
    fn timeouts_compare_without_overflow(p in pending(), dst in clock()) {
        for p in &p {
            let th = p.timeout_height;
            let expected = (!th.is_zero() && dst.height >= th)
                || (p.timeout_timestamp != 0 && dst.time_ns >= p.timeout_timestamp);
            prop_assert_eq!(is_timed_out(p, dst), expected);
        }
    }

    #[test]
    fn receive_plans_sort_every_packet_once(
        pending in pending(),
        unreceived in btree_set(0..20u64, 0..20),
        dst in clock(),
        closed in any::<bool>(),
        ordered in any::<bool>(),
    ) {
        let plan = plan_recv(&pending, &unreceived, dst, closed, ordered);
        let total = plan.recv.len() + plan.timeout.len() + plan.already_received.len() + plan.held.len();
        prop_assert_eq!(total, pending.len());
        prop_assert!(plan.recv.iter().all(|p| unreceived.contains(&p.sequence) && !is_timed_out(p, dst)));
        prop_assert!(plan.already_received.iter().all(|s| !unreceived.contains(s)));
        prop_assert!(!closed || plan.recv.is_empty());
        prop_assert!(ordered || plan.held.is_empty());
        if let (true, Some(first)) = (ordered, plan.timeout.first()) {
            prop_assert!(plan.recv.iter().all(|p| p.sequence <= first.sequence));
        }
    }

    #[test]
    fn ack_plans_split_every_ack_once(
        pending in vec((any::<u64>(), any::<u8>()), 0..16),
        unreceived in btree_set(any::<u64>(), 0..8),
    ) {
        let mut unreceived: BTreeSet<u64> = unreceived;
        unreceived.extend(pending.iter().step_by(2).map(|(s, _)| *s));
        let (relay, redundant) = plan_acks(&pending, &unreceived);
        prop_assert_eq!(relay.len() + redundant.len(), pending.len());
        prop_assert!(relay.windows(2).all(|w| w.first().map(|a| a.0) <= w.get(1).map(|b| b.0)));
        prop_assert!(relay.iter().all(|(s, _)| unreceived.contains(s)));
        prop_assert!(redundant.iter().all(|s| !unreceived.contains(s)));
    }

    #[test]
    fn batches_cover_every_item_in_bounds(
        sizes in vec(prop_oneof![0..2_000usize, Just(usize::MAX), any::<usize>()], 0..40),
        max_msgs in prop_oneof![Just(0usize), 1..10usize, Just(usize::MAX)],
        max_bytes in prop_oneof![Just(0usize), 1..5_000usize, Just(usize::MAX)],
    ) {
        let out = batches(&sizes, max_msgs, max_bytes);
        let mut next = 0;
        for range in &out {
            prop_assert_eq!(range.start, next);
            prop_assert!(range.end > range.start);
            prop_assert!(range.len() <= max_msgs.max(1));
            let batch = sizes.get(range.clone()).unwrap_or_default();
            let bytes = batch.iter().fold(0usize, |a, b| a.saturating_add(*b));
            prop_assert!(range.len() == 1 || bytes <= max_bytes);
            next = range.end;
        }
        prop_assert_eq!(next, sizes.len());
    }

    #[test]
    fn connection_steps_from_any_ends(
        a in proptest::option::of(conn_end()),
        b in proptest::option::of(conn_end()),
        swapped in any::<bool>(),
    ) {
        let spec = ConnectionSpec {
            a_client: "07-tendermint-0".parse().unwrap(),
            b_client: "07-tendermint-1".parse().unwrap(),
        };
        let spec = if swapped { spec.swapped() } else { spec };
        let step = next_connection_step(&spec, a.as_ref(), b.as_ref());
        let exists = |e: &Option<ConnectionEndView>| e.as_ref().is_some_and(|e| e.state.exists());
        if let Ok(ConnectionStep::OpenInit { .. }) = step {
            prop_assert!(!exists(&a) && !exists(&b));
        }
        if let Ok(ConnectionStep::Open { a: ai, b: bi }) = step {
            prop_assert_eq!(a.map(|e| (e.id, e.state)), Some((ai, HandshakeState::Open)));
            prop_assert_eq!(b.map(|e| (e.id, e.state)), Some((bi, HandshakeState::Open)));
        }
    }

    #[test]
    fn channel_steps_from_any_ends(
        a in proptest::option::of(chan_end()),
        b in proptest::option::of(chan_end()),
        ordered in any::<bool>(),
        version in "|ics20-1",
    ) {
        let spec = ChannelSpec {
            a_port: "transfer".parse().unwrap(),
            b_port: "transfer".parse().unwrap(),
            a_connection: ConnectionId::new(0),
            b_connection: ConnectionId::new(1),
            ordering: if ordered { Ordering::Ordered } else { Ordering::Unordered },
            version,
        };
        let step = next_channel_step(&spec, a.as_ref(), b.as_ref());
        if let Ok(stateset_channels::ChannelStep::Closed { a: ai, b: bi }) = step {
            prop_assert_eq!(a.map(|e| (e.channel_id, e.state)), Some((ai, HandshakeState::Closed)));
            prop_assert_eq!(b.map(|e| (e.channel_id, e.state)), Some((bi, HandshakeState::Closed)));
        }
    }
}
