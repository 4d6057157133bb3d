//! Small pieces of a worker's cycle: the backlog gauges, latency observations, the
//! source's transfer policy, the backoff after a failed cycle and forgetting finished
//! packets. What a cycle takes up is decided by `stateset_channels::relay_plan`.

use std::collections::{HashMap, HashSet};

use stateset_channels::events::Packet;

use super::error::RelayError;
use super::worker::{lock, SharedMemory};
use crate::store::{Backlog, Ledger, PacketState};

/// Sets the backlog gauges of a channel end (from the ledger index's counts).
pub(super) fn report_backlog(labels: &[&str; 4], backlog: &Backlog) {
    let m = stateset_monitoring::global();
    let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    m.backlog
        .with_label_values(labels)
        .set(gauge(backlog.counts.total()));
    m.backlog_oldest_sequence
        .with_label_values(labels)
        .set(backlog.oldest.map_or(0, |(seq, _)| gauge(seq)));
    m.backlog_oldest_age_seconds.with_label_values(labels).set(
        backlog
            .oldest
            .map_or(0.0, |(_, seen)| (crate::store::now_f64() - seen).max(0.0)),
    );
    m.packets_quarantined
        .with_label_values(labels)
        .set(gauge(backlog.counts.get(PacketState::Quarantined)));
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

/// Forgets, in the worker's memory, the packets no longer in the ledger (a lookup for each
/// sequence remembered, not a walk over the ledger).
pub(super) fn forget_finished(
    memory: &SharedMemory<'_>,
    ledger: &Ledger,
) -> Result<(), RelayError> {
    let mut memory = lock(memory);
    let mut gone = HashSet::new();
    for seq in memory.unpaid.iter().chain(memory.book.sequences().iter()) {
        if !ledger.contains(*seq)? {
            gone.insert(*seq);
        }
    }
    if !gone.is_empty() {
        memory.unpaid.retain(|seq| !gone.contains(seq));
        memory.book.retain(|seq| !gone.contains(&seq));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::relay::worker::WorkerMemory;

    #[test]
    fn finished_packets_are_forgotten_by_lookups() {
        let store = crate::store::Store::temporary().unwrap();
        let ledger = store.ledger("a-1", "transfer", "channel-0").unwrap();
        ledger
            .record_sent(&crate::store::tests::packet(1), None)
            .unwrap();
        let mut memory = WorkerMemory::default();
        memory.unpaid.extend([1, 2]);
        let shared = Mutex::new(&mut memory);
        forget_finished(&shared, &ledger).unwrap();
        assert_eq!(memory.unpaid, HashSet::from([1]));
    }
}
