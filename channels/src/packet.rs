//! Packet lifecycle decisions: which pending packets need a MsgRecvPacket, which have timed
//! out, which acknowledgements still need relaying; the messages; and batching.

use std::collections::BTreeSet;

use ibc_proto::ibc::core::channel::v1::{
    MsgAcknowledgement, MsgRecvPacket, MsgTimeout, MsgTimeoutOnClose, Packet as ProtoPacket,
};

use crate::events::Packet;
use crate::ids::Height;

/// What the destination chain shows, as far as timeouts are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DestinationClock {
    /// The destination's latest height (in its revision).
    pub height: Height,
    /// The destination's latest block time in ns since the Unix epoch.
    pub time_ns: u64,
}

/// Whether `packet` can no longer be received on the destination: its timeout height or
/// timestamp has been reached there (ibc-go: `height >= timeout_height` or
/// `time >= timeout_timestamp`, each when set).
pub fn is_timed_out(packet: &Packet, dst: DestinationClock) -> bool {
    let th = packet.timeout_height;
    let by_height = !th.is_zero()
        && (dst.height.revision_number > th.revision_number
            || (dst.height.revision_number == th.revision_number
                && dst.height.revision_height >= th.revision_height));
    let by_time = packet.timeout_timestamp != 0 && dst.time_ns >= packet.timeout_timestamp;
    by_height || by_time
}

/// The decision for packets sent on the source and pending on the destination.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecvPlan {
    /// Relay with MsgRecvPacket (in sequence order).
    pub recv: Vec<Packet>,
    /// Time out on the source with MsgTimeout (or MsgTimeoutOnClose).
    pub timeout: Vec<Packet>,
    /// Already received on the destination: nothing to send (redundant).
    pub already_received: Vec<u64>,
    /// Ordered channels: packets after one that timed out. The destination can never
    /// receive them (the timeout closes the channel); they wait for the destination end to
    /// close and are then timed out on close.
    pub held: Vec<u64>,
}

/// Sorts `pending` packets into receive, timeout and already-received, given the sequences
/// the destination has not received (`unreceived`, from one query) and its clock.
/// When `channel_closed` is set, every unreceived packet times out (on close). On an
/// `ordered` channel nothing after a timed-out packet is received (see [`RecvPlan::held`]).
pub fn plan_recv(
    pending: &[Packet],
    unreceived: &BTreeSet<u64>,
    dst: DestinationClock,
    channel_closed: bool,
    ordered: bool,
) -> RecvPlan {
    let mut plan = RecvPlan::default();
    let mut sorted: Vec<&Packet> = pending.iter().collect();
    sorted.sort_by_key(|p| p.sequence);
    let mut blocked = false;
    for p in sorted {
        if !unreceived.contains(&p.sequence) {
            plan.already_received.push(p.sequence);
        } else if channel_closed || is_timed_out(p, dst) {
            plan.timeout.push(p.clone());
            blocked |= ordered;
        } else if blocked {
            plan.held.push(p.sequence);
        } else {
            plan.recv.push(p.clone());
        }
    }
    plan
}

/// Acknowledgements to relay: those whose packet commitment is still on the source
/// (`unreceived_acks` from one query); the others are redundant.
pub fn plan_acks<T: Clone>(
    pending: &[(u64, T)],
    unreceived_acks: &BTreeSet<u64>,
) -> (Vec<(u64, T)>, Vec<u64>) {
    let mut relay = Vec::new();
    let mut redundant = Vec::new();
    for (seq, item) in pending {
        if unreceived_acks.contains(seq) {
            relay.push((*seq, item.clone()));
        } else {
            redundant.push(*seq);
        }
    }
    relay.sort_by_key(|(s, _)| *s);
    (relay, redundant)
}

/// MsgRecvPacket with the commitment proof from the source at `proof_height`.
pub fn build_recv_packet(
    packet: &Packet,
    proof_commitment: Vec<u8>,
    proof_height: Height,
    signer: &str,
) -> MsgRecvPacket {
    MsgRecvPacket {
        packet: Some(ProtoPacket::from(packet)),
        proof_commitment,
        proof_height: Some(proof_height.into()),
        signer: signer.to_string(),
    }
}

/// MsgAcknowledgement with the ack proof from the destination at `proof_height`.
pub fn build_acknowledgement(
    packet: &Packet,
    acknowledgement: Vec<u8>,
    proof_acked: Vec<u8>,
    proof_height: Height,
    signer: &str,
) -> MsgAcknowledgement {
    MsgAcknowledgement {
        packet: Some(ProtoPacket::from(packet)),
        acknowledgement,
        proof_acked,
        proof_height: Some(proof_height.into()),
        signer: signer.to_string(),
    }
}

/// MsgTimeout with the proof that the destination did not receive the packet (receipt
/// absence on unordered channels, next sequence receive on ordered ones).
pub fn build_timeout(
    packet: &Packet,
    proof_unreceived: Vec<u8>,
    proof_height: Height,
    next_sequence_recv: u64,
    signer: &str,
) -> MsgTimeout {
    MsgTimeout {
        packet: Some(ProtoPacket::from(packet)),
        proof_unreceived,
        proof_height: Some(proof_height.into()),
        next_sequence_recv,
        signer: signer.to_string(),
    }
}

/// MsgTimeoutOnClose: as MsgTimeout, plus the proof that the destination channel is closed.
pub fn build_timeout_on_close(
    packet: &Packet,
    proof_unreceived: Vec<u8>,
    proof_close: Vec<u8>,
    proof_height: Height,
    next_sequence_recv: u64,
    signer: &str,
) -> MsgTimeoutOnClose {
    MsgTimeoutOnClose {
        packet: Some(ProtoPacket::from(packet)),
        proof_unreceived,
        proof_close,
        proof_height: Some(proof_height.into()),
        next_sequence_recv,
        signer: signer.to_string(),
        counterparty_upgrade_sequence: 0,
    }
}

/// Splits items of the given encoded sizes into batches of at most `max_msgs` items and
/// `max_bytes` bytes (an item larger than `max_bytes` goes alone). Returns index ranges.
/// Byte sums saturate at `usize::MAX` (which is over any `max_bytes` that matters).
pub fn batches(sizes: &[usize], max_msgs: usize, max_bytes: usize) -> Vec<std::ops::Range<usize>> {
    let max_msgs = max_msgs.max(1);
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0usize);
    for (i, &size) in sizes.iter().enumerate() {
        // `start <= i` always: it only ever takes a past value of `i`.
        let count = i.saturating_sub(start);
        if count > 0 && (count >= max_msgs || bytes.saturating_add(size) > max_bytes) {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes = bytes.saturating_add(size);
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

#[cfg(test)]
mod tests;
