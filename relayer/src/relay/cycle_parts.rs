//! Small pieces of a worker's cycle: the backlog gauges, latency observations, the
//! source's transfer policy, and the per-cycle bound on packets.

use std::collections::HashMap;

use stateset_channels::events::Packet;
use stateset_channels::Ordering;

use crate::store::PacketState;

/// At most this many packets are handled per kind in one cycle.
pub(super) const MAX_PER_CYCLE: usize = 500;
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
