//! Small pieces of a worker's cycle: the backlog gauges, latency observations, the
//! source's transfer policy, and the per-cycle bound on packets.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use stateset_channels::events::Packet;
use stateset_channels::Ordering;

use super::worker::RelayError;
use crate::client::ClientError;
use crate::handshake::DriveError;
use crate::store::{PacketRecord, PacketState};

/// At most this many packets are handled per kind in one cycle.
const MAX_PER_CYCLE: usize = 500;
/// Of those, on unordered channels, this many are the newest ones: a backlog never holds
/// new packets up.
const NEWEST_PER_CYCLE: usize = 100;

/// Sets the backlog gauges of a channel end.
pub(super) fn report_backlog(labels: &[&str; 4], records: &[crate::store::PacketRecord]) {
    let m = stateset_monitoring::global();
    m.backlog
        .with_label_values(labels)
        .set(i64::try_from(records.len()).unwrap_or(i64::MAX));
    let oldest = records.iter().min_by_key(|r| r.packet.sequence);
    m.backlog_oldest_sequence
        .with_label_values(labels)
        .set(oldest.map_or(0, |r| i64::try_from(r.packet.sequence).unwrap_or(i64::MAX)));
    m.backlog_oldest_age_seconds
        .with_label_values(labels)
        .set(oldest.map_or(0.0, |r| (crate::store::now_f64() - r.seen).max(0.0)));
    let quarantined = records
        .iter()
        .filter(|r| r.state == PacketState::Quarantined)
        .count();
    m.packets_quarantined
        .with_label_values(labels)
        .set(i64::try_from(quarantined).unwrap_or(i64::MAX));
}

/// Why the source chain's transfer policy refuses `packet`, if it does: ICS-20 packets on
/// `transfer` ports with a memo or receiver over the limits, on a channel not allowed, or
/// with data that is not ICS-20.
pub(super) fn filter_reason(
    policy: &stateset_packet_handlers::ics20::TransferPolicy,
    packet: &Packet,
) -> Option<&'static str> {
    if packet.source_port.as_str() != "transfer" {
        return None;
    }
    policy
        .check(packet.source_channel.as_str(), &packet.data)
        .err()
        .map(|r| r.as_str())
}

/// Observes the latency from when each of `seqs` was seen until now.
pub(super) fn observe(
    histogram: &prometheus::HistogramVec,
    labels: &[&str],
    seen: &HashMap<u64, f64>,
    seqs: &[u64],
) {
    let now = crate::store::now_f64();
    let h = histogram.with_label_values(labels);
    for seq in seqs {
        if let Some(t) = seen.get(seq) {
            h.observe((now - t).max(0.0));
        }
    }
}

/// The packets to receive or time out (not `excluded`), and of those the ones only to time
/// out (filtered or quarantined).
pub(super) fn sends_and_held(
    records: &[PacketRecord],
    excluded: impl Fn(u64) -> bool,
) -> (Vec<Packet>, HashSet<u64>) {
    let sends = records
        .iter()
        .filter(|r| {
            matches!(
                r.state,
                PacketState::Sent
                    | PacketState::RecvSubmitted
                    | PacketState::Filtered
                    | PacketState::Quarantined
            ) && !excluded(r.packet.sequence)
        })
        .map(|r| r.packet.clone())
        .collect();
    let held = records
        .iter()
        .filter(|r| matches!(r.state, PacketState::Filtered | PacketState::Quarantined))
        .map(|r| r.packet.sequence)
        .collect();
    (sends, held)
}

/// At most [`MAX_PER_CYCLE`] acknowledgements the destination wrote, except `skip`ped ones.
pub(super) fn acks_to_relay(
    records: &[PacketRecord],
    skip: impl Fn(u64) -> bool,
) -> Vec<(u64, (Packet, Vec<u8>))> {
    records
        .iter()
        .filter_map(|r| match (&r.state, &r.ack) {
            (PacketState::AckWritten, Some(ack)) if !skip(r.packet.sequence) => {
                Some((r.packet.sequence, (r.packet.clone(), ack.clone())))
            }
            _ => None,
        })
        .take(MAX_PER_CYCLE)
        .collect()
}

/// At most [`MAX_PER_CYCLE`] packets (ascending): on ordered channels the oldest; on
/// unordered ones the oldest and the [`NEWEST_PER_CYCLE`] newest, so that new packets go out
/// in the next cycle however long the backlog is.
pub(super) fn bounded(mut packets: Vec<Packet>, ordering: Ordering) -> Vec<Packet> {
    if packets.len() <= MAX_PER_CYCLE {
        return packets;
    }
    packets.sort_by_key(|p| p.sequence);
    if ordering == Ordering::Ordered {
        packets.truncate(MAX_PER_CYCLE);
        return packets;
    }
    let newest = packets.split_off(packets.len() - NEWEST_PER_CYCLE);
    packets.truncate(MAX_PER_CYCLE - NEWEST_PER_CYCLE);
    packets.extend(newest);
    packets
}

impl RelayError {
    /// True for failures of the transport or of a busy node, which a retry soon can fix.
    pub fn is_transient(&self) -> bool {
        match self {
            RelayError::Chain(e)
            | RelayError::Client(ClientError::Chain(e))
            | RelayError::Drive(DriveError::Chain(e))
            | RelayError::Drive(DriveError::Client(ClientError::Chain(e))) => e.is_transient(),
            _ => false,
        }
    }
}

/// The pause after the next failed cycle: doubled, up to 4 s after a transport failure (the
/// node answers again as soon as the connection does) and up to 30 s otherwise.
pub(super) fn next_backoff(current: Duration, transient: bool) -> Duration {
    let cap = if transient {
        Duration::from_secs(4)
    } else {
        Duration::from_secs(30)
    };
    (current * 2).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainError;

    #[test]
    fn transport_failures_back_off_briefly_others_up_to_30_s() {
        let s = Duration::from_secs;
        assert_eq!(next_backoff(s(1), true), s(2));
        assert_eq!(next_backoff(s(4), true), s(4));
        assert_eq!(next_backoff(s(16), false), s(30));
        let grpc = |message: &str| ChainError::Grpc {
            chain: "c".into(),
            method: "tx.Simulate",
            code: tonic::Code::Unknown,
            message: message.into(),
        };
        assert!(RelayError::Chain(grpc("transport error")).is_transient());
        assert!(RelayError::Client(ClientError::Chain(grpc("transport error"))).is_transient());
        assert!(!RelayError::Chain(grpc("client state height < proof height")).is_transient());
    }
}
