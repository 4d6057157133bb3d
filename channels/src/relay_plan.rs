//! What one relay cycle takes up from a channel end's pending packets, decided without I/O.
//!
//! The relayer's ledger holds every packet sent on a channel end that the source has not
//! yet seen acknowledged or timed out, each in a [`PacketState`]. Each cycle the worker
//! hands a view of it to [`plan_cycle`], which says which packets to receive (or time
//! out), which are only to be timed out (filtered or quarantined ones), and which
//! acknowledgements to relay, within the per-cycle bounds; what the destination already
//! has is sorted out afterwards by [`crate::packet::plan_recv`] and
//! [`crate::packet::plan_acks`] from one query each. Everything is keyed by sequence.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::events::Packet;
use crate::Ordering;

/// Where a packet is in its lifecycle (as far as the relayer knows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PacketState {
    /// Sent on the source; not yet known to be received.
    Sent,
    /// A MsgRecvPacket for it is being submitted.
    RecvSubmitted,
    /// Received on the destination; waiting for its acknowledgement.
    Received,
    /// The destination wrote its acknowledgement (kept in the record).
    AckWritten,
    /// Not relayed by policy (e.g. an oversized memo); still timed out when it expires.
    Filtered,
    /// Its MsgRecvPacket kept failing; set aside so that the packets behind it flow. Still
    /// timed out when it expires.
    Quarantined,
}

impl PacketState {
    /// Whether a packet in this state still has to reach the destination (or time out).
    pub fn awaits_receipt(self) -> bool {
        matches!(
            self,
            PacketState::Sent
                | PacketState::RecvSubmitted
                | PacketState::Filtered
                | PacketState::Quarantined
        )
    }

    /// Whether a packet in this state is only ever timed out, never received.
    pub fn only_times_out(self) -> bool {
        matches!(self, PacketState::Filtered | PacketState::Quarantined)
    }
}

/// One pending packet as the ledger shows it.
#[derive(Clone, Copy, Debug)]
pub struct PendingPacket<'a> {
    /// The packet.
    pub packet: &'a Packet,
    /// Where it stands.
    pub state: PacketState,
    /// The acknowledgement the destination wrote, once known.
    pub ack: Option<&'a [u8]>,
}

/// How much one cycle takes up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CycleLimits {
    /// Packets to receive or time out, and acknowledgements, at most per cycle (each).
    pub max_per_cycle: usize,
    /// Of `max_per_cycle`, on unordered channels, this many are the newest packets: a
    /// backlog never holds new packets up.
    pub newest_per_cycle: usize,
}

impl Default for CycleLimits {
    fn default() -> Self {
        Self {
            max_per_cycle: 500,
            newest_per_cycle: 100,
        }
    }
}

/// What one cycle takes up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CyclePlan {
    /// Packets to receive or time out, ascending by sequence.
    pub sends: Vec<Packet>,
    /// Of `sends`, those only to be timed out (filtered or quarantined).
    pub held: HashSet<u64>,
    /// Acknowledgements to relay: (sequence, (packet, acknowledgement)), ascending.
    pub acks: Vec<(u64, (Packet, Vec<u8>))>,
}

/// The plan of one cycle over `pending`: packets `excluded` by configuration are left out
/// entirely; acknowledgements of `quarantined` packets are not relayed.
pub fn plan_cycle(
    pending: &[PendingPacket<'_>],
    ordering: Ordering,
    limits: CycleLimits,
    excluded: impl Fn(u64) -> bool,
    quarantined: impl Fn(u64) -> bool,
) -> CyclePlan {
    let mut sends = Vec::new();
    let mut held = HashSet::new();
    let mut acks = Vec::new();
    for p in pending {
        let seq = p.packet.sequence;
        if excluded(seq) {
            continue;
        }
        if p.state.awaits_receipt() {
            sends.push(p.packet.clone());
            if p.state.only_times_out() {
                held.insert(seq);
            }
        } else if let (PacketState::AckWritten, Some(ack)) = (p.state, p.ack) {
            if !quarantined(seq) {
                acks.push((seq, (p.packet.clone(), ack.to_vec())));
            }
        }
    }
    acks.sort_by_key(|(seq, _)| *seq);
    acks.truncate(limits.max_per_cycle);
    let sends = bounded(sends, ordering, limits);
    held.retain(|seq| sends.iter().any(|p| p.sequence == *seq));
    CyclePlan { sends, held, acks }
}

/// At most `limits.max_per_cycle` packets (ascending): on ordered channels the oldest; on
/// unordered ones the oldest and the `newest_per_cycle` newest, so that new packets go
/// out in the next cycle however long the backlog is.
pub fn bounded(mut packets: Vec<Packet>, ordering: Ordering, limits: CycleLimits) -> Vec<Packet> {
    packets.sort_by_key(|p| p.sequence);
    let max = limits.max_per_cycle;
    if packets.len() <= max {
        return packets;
    }
    if ordering == Ordering::Ordered {
        packets.truncate(max);
        return packets;
    }
    let newest_count = limits.newest_per_cycle.min(max);
    let newest = packets.split_off(packets.len() - newest_count);
    packets.truncate(max - newest_count);
    packets.extend(newest);
    packets
}

#[cfg(test)]
#[path = "relay_plan_tests.rs"]
mod tests;
