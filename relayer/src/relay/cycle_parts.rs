//! Small pieces of a worker's cycle: the backlog gauges, latency observations, the
//! source's transfer policy and the backoff after a failed cycle. What a cycle takes up is
//! decided by `stateset_channels::relay_plan`.

use std::collections::HashMap;

use stateset_channels::events::Packet;

use crate::store::PacketState;

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
    if stateset_channels::v2::is_v2(packet) {
        return v2_filter_reason(policy, packet);
    }
    if packet.source_port.as_str() != "transfer" {
        return None;
    }
    policy
        .check(packet.source_channel.as_str(), &packet.data)
        .err()
        .map(|r| r.as_str())
}

/// [`filter_reason`] of an IBC v2 packet: each JSON-encoded payload from a `transfer` port
/// is checked as an ICS-20 packet on the source client (other encodings are not checked).
fn v2_filter_reason(
    policy: &stateset_packet_handlers::ics20::TransferPolicy,
    packet: &Packet,
) -> Option<&'static str> {
    let payloads = match stateset_channels::v2::payloads(packet) {
        Ok(p) => p,
        Err(_) => return Some("malformed_v2_packet"),
    };
    payloads
        .iter()
        .filter(|p| p.source_port == "transfer" && p.encoding == "application/json")
        .find_map(|p| {
            policy
                .check(packet.source_channel.as_str(), &p.value)
                .err()
                .map(|r| r.as_str())
        })
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
