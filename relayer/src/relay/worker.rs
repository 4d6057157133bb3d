//! The worker of one path direction (packets sent on `path.a`, received on `path.b`): reads
//! the ledger of `a`'s channel end and relays what it holds: MsgRecvPacket to `b`,
//! MsgAcknowledgement and MsgTimeout back to `a`. Every batch carries proofs from one height
//! behind a single MsgUpdateClient; what the destination already has is dropped first.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use prost::Message;
use stateset_channels::events::Packet;
use stateset_channels::packet::{
    build_acknowledgement, build_recv_packet, build_timeout, build_timeout_on_close, plan_acks,
    plan_recv, DestinationClock,
};
use stateset_channels::{paths, Ordering};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::Path;
use crate::chain::tx::encode_any;
use crate::chain::{ChainEndpoint, ChainError};
use crate::client::ClientError;
use crate::handshake::proofs::ibc_height;
use crate::handshake::DriveError;
use crate::store::{Ledger, PacketState, Store, StoreError};

/// At most this many packets are handled per kind in one cycle.
const MAX_PER_CYCLE: usize = 500;
/// Of those, on unordered channels, this many are the newest ones: a backlog never holds
/// new packets up.
const NEWEST_PER_CYCLE: usize = 100;

/// What went wrong in a relay cycle.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// A chain could not be read or a tx failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A client could not be updated.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something else on the way.
    #[error(transparent)]
    Drive(#[from] DriveError),
}

/// What one cycle did.
#[derive(Debug, Default, Clone, Copy)]
pub struct CycleReport {
    /// MsgRecvPacket submitted.
    pub received: usize,
    /// MsgAcknowledgement submitted.
    pub acked: usize,
    /// MsgTimeout submitted.
    pub timed_out: usize,
    /// Messages dropped because the destination already had them.
    pub redundant: usize,
}

impl CycleReport {
    fn is_empty(&self) -> bool {
        self.received + self.acked + self.timed_out + self.redundant == 0
    }
}

/// Runs the worker for packets sent on `path.a` until `shutdown`; it wakes when either
/// chain's scanner recorded new blocks, and at least every 2 s.
pub async fn run_worker(
    src: ChainEndpoint,
    dst: ChainEndpoint,
    path: Path,
    store: Store,
    wake: [Arc<Notify>; 2],
    shutdown: CancellationToken,
) {
    let name = path.name();
    let ledger = match store.ledger(&path.a.chain, path.a.port.as_str(), path.a.channel.as_str()) {
        Ok(l) => l,
        Err(e) => {
            warn!(path = %name, error = %e, "worker cannot open its ledger");
            return;
        }
    };
    info!(path = %name, pending = ledger.len(), "worker started");
    // Packets already reported as unpaid (below `min_fees`), so each is counted once.
    let mut unpaid = std::collections::HashSet::new();
    let mut backoff = Duration::from_millis(500);
    loop {
        let outcome = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = cycle(&src, &dst, &path, &store, &ledger, &mut unpaid) => r,
        };
        let wait = match outcome {
            Ok(report) => {
                backoff = Duration::from_millis(500);
                if !report.is_empty() {
                    info!(path = %name, received = report.received, acked = report.acked,
                        timed_out = report.timed_out, redundant = report.redundant, "relayed");
                    continue;
                }
                Duration::from_secs(2)
            }
            Err(e) => {
                warn!(path = %name, error = %e, retry_in = ?backoff, "relay cycle failed");
                backoff = (backoff * 2).min(Duration::from_secs(30));
                backoff
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = wake[0].notified() => {}
            _ = wake[1].notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
    debug!(path = %name, "worker stopped");
}

/// One pass over the ledger.
pub async fn cycle(
    src: &ChainEndpoint,
    dst: &ChainEndpoint,
    path: &Path,
    store: &Store,
    ledger: &Ledger,
    unpaid: &mut std::collections::HashSet<u64>,
) -> Result<CycleReport, RelayError> {
    let mut report = CycleReport::default();
    let records = ledger.records()?;
    let m = stateset_monitoring::global();
    let labels = path.labels();
    let labels: [&str; 4] = [&labels[0], &labels[1], &labels[2], &labels[3]];
    // The backlog, every cycle (at least every 2 s).
    m.backlog
        .with_label_values(&labels)
        .set(records.len() as i64);
    let oldest = records.iter().min_by_key(|r| r.packet.sequence);
    m.backlog_oldest_sequence
        .with_label_values(&labels)
        .set(oldest.map_or(0, |r| r.packet.sequence as i64));
    m.backlog_oldest_age_seconds
        .with_label_values(&labels)
        .set(oldest.map_or(0.0, |r| (crate::store::now_f64() - r.seen).max(0.0)));
    if records.is_empty() {
        return Ok(report);
    }
    let seen: std::collections::HashMap<u64, f64> = records
        .iter()
        .map(|r| (r.packet.sequence, r.seen))
        .collect();
    let sends: Vec<Packet> = records
        .iter()
        .filter(|r| {
            matches!(
                r.state,
                PacketState::Sent | PacketState::RecvSubmitted | PacketState::Filtered
            )
        })
        .map(|r| r.packet.clone())
        .collect();
    let filtered: std::collections::HashSet<u64> = records
        .iter()
        .filter(|r| r.state == PacketState::Filtered)
        .map(|r| r.packet.sequence)
        .collect();
    let sends = bounded(sends, path.ordering);
    let acks: Vec<(u64, (Packet, Vec<u8>))> = records
        .iter()
        .filter_map(|r| match (&r.state, &r.ack) {
            (PacketState::AckWritten, Some(ack)) => {
                Some((r.packet.sequence, (r.packet.clone(), ack.clone())))
            }
            _ => None,
        })
        .take(MAX_PER_CYCLE)
        .collect();
    if !sends.is_empty() {
        let seqs: Vec<u64> = sends.iter().map(|p| p.sequence).collect();
        let (unreceived, status, dst_end) = tokio::try_join!(
            dst.grpc()
                .unreceived_packets(path.b.port.as_str(), path.b.channel.as_str(), &seqs),
            dst.rpc().status(),
            dst.grpc()
                .channel(path.b.port.as_str(), path.b.channel.as_str(), None),
        )?;
        let dst_closed = dst_end.is_some_and(|end| {
            stateset_channels::HandshakeState::from_channel_state(end.state)
                == stateset_channels::HandshakeState::Closed
        });
        let unreceived: BTreeSet<u64> = unreceived.into_iter().collect();
        let clock = DestinationClock {
            height: ibc_height(dst.id(), status.sync_info.latest_block_height),
            time_ns: status
                .sync_info
                .latest_block_time
                .unix_timestamp_nanos()
                .max(0) as u64,
        };
        let ordered = path.ordering == Ordering::Ordered;
        let mut plan = plan_recv(&sends, &unreceived, clock, dst_closed, ordered);
        if !plan.held.is_empty() {
            debug!(path = %path.name(), held = plan.held.len(),
                "ordered channel: packets after a timeout wait for the destination end to close");
        }
        // Policy (ICS-20 limits): not received, counted once, still timed out later.
        let policy = src.config().packet_policy.transfer();
        plan.recv.retain(|p| {
            if filtered.contains(&p.sequence) {
                return false;
            }
            match filter_reason(&policy, p) {
                None => true,
                Some(reason) => {
                    warn!(path = %path.name(), sequence = p.sequence, reason, "packet filtered; it will not be relayed");
                    let mut l = labels.to_vec();
                    l.push(reason);
                    m.packets_filtered.with_label_values(&l).inc();
                    if let Err(e) = ledger.mark(p.sequence, PacketState::Filtered) {
                        warn!(error = %e, "could not record a filtered packet");
                    }
                    false
                }
            }
        });
        unpaid.retain(|seq| seen.contains_key(seq));
        let min_fees = src.config().packet_policy.min_fees();
        if min_fees.is_active() && !plan.recv.is_empty() {
            let fees = src
                .grpc()
                .incentivized_packets(path.a.port.as_str(), path.a.channel.as_str())
                .await?;
            plan.recv.retain(|p| {
                if min_fees.is_met(fees.get(&p.sequence)) {
                    unpaid.remove(&p.sequence);
                    return true;
                }
                if unpaid.insert(p.sequence) {
                    info!(path = %path.name(), sequence = p.sequence,
                        escrowed = ?fees.get(&p.sequence).map(|f| f.relay_reward()),
                        "packet left alone: its escrowed recv + ack fees are below min_fees");
                    let mut l = labels.to_vec();
                    l.push("insufficient_fees");
                    m.packets_filtered.with_label_values(&l).inc();
                }
                false
            });
        }
        for seq in &plan.already_received {
            ledger.mark(*seq, PacketState::Received)?;
        }
        let mut redundant = labels.to_vec();
        redundant.push("recv_packet");
        m.redundant_messages
            .with_label_values(&redundant)
            .inc_by(plan.already_received.len() as u64);
        report.redundant += plan.already_received.len();
        if !plan.recv.is_empty() {
            let landed = relay_recv(src, dst, path, store, ledger, &plan.recv).await?;
            report.received += landed.len();
            observe(&m.recv_latency_seconds, &labels, &seen, &landed);
            m.packets_relayed
                .with_label_values(&labels)
                .inc_by(landed.len() as u64);
        }
        if !plan.timeout.is_empty() {
            let landed =
                relay_timeouts(src, dst, path, store, ledger, &plan.timeout, dst_closed).await?;
            report.timed_out += landed.len();
            m.packets_timed_out
                .with_label_values(&labels)
                .inc_by(landed.len() as u64);
        }
    }
    if !acks.is_empty() {
        let seqs: Vec<u64> = acks.iter().map(|(s, _)| *s).collect();
        let unreceived: BTreeSet<u64> = src
            .grpc()
            .unreceived_acks(path.a.port.as_str(), path.a.channel.as_str(), &seqs)
            .await?
            .into_iter()
            .collect();
        let (relay, redundant) = plan_acks(&acks, &unreceived);
        for seq in &redundant {
            ledger.finish(*seq)?;
        }
        let mut kind = labels.to_vec();
        kind.push("acknowledgement");
        m.redundant_messages
            .with_label_values(&kind)
            .inc_by(redundant.len() as u64);
        report.redundant += redundant.len();
        if !relay.is_empty() {
            let landed = relay_acks(src, dst, path, store, ledger, &relay).await?;
            super::app_acks::report(path, &labels, &relay, &landed);
            report.acked += landed.len();
            observe(&m.ack_latency_seconds, &labels, &seen, &landed);
            m.packets_acked
                .with_label_values(&labels)
                .inc_by(landed.len() as u64);
        }
    }
    Ok(report)
}

/// Why the source chain's transfer policy refuses `packet`, if it does: ICS-20 packets on
/// `transfer` ports with a memo or receiver over the limits, on a channel not allowed, or
/// with data that is not ICS-20.
fn filter_reason(
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
fn observe(
    histogram: &prometheus::HistogramVec,
    labels: &[&str],
    seen: &std::collections::HashMap<u64, f64>,
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
fn bounded(mut packets: Vec<Packet>, ordering: Ordering) -> Vec<Packet> {
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

async fn relay_recv(
    src: &ChainEndpoint,
    dst: &ChainEndpoint,
    path: &Path,
    store: &Store,
    ledger: &Ledger,
    packets: &[Packet],
) -> Result<Vec<u64>, RelayError> {
    let items = packets
        .iter()
        .map(|p| {
            let key = paths::packet_commitment(&p.source_port, &p.source_channel, p.sequence);
            (p.sequence, paths::key(&key))
        })
        .collect();
    for p in packets {
        ledger.mark(p.sequence, PacketState::RecvSubmitted)?;
    }
    let landed = super::submit::prove_and_submit(
        src,
        dst,
        &path.b.client,
        store,
        "recv_packet",
        items,
        None,
        |i, p| {
            // No commitment: acknowledged or timed out meanwhile.
            p.own.value.as_ref()?;
            Some(encode_any(&build_recv_packet(
                &packets[i],
                p.own.proof.encode_to_vec(),
                p.height,
                p.signer,
            )))
        },
    )
    .await?;
    for seq in &landed {
        ledger.mark(*seq, PacketState::Received)?;
    }
    Ok(landed)
}

async fn relay_acks(
    src: &ChainEndpoint,
    dst: &ChainEndpoint,
    path: &Path,
    store: &Store,
    ledger: &Ledger,
    acks: &[(u64, (Packet, Vec<u8>))],
) -> Result<Vec<u64>, RelayError> {
    let items = acks
        .iter()
        .map(|(seq, (p, _))| {
            let key = paths::packet_ack(&p.destination_port, &p.destination_channel, p.sequence);
            (*seq, paths::key(&key))
        })
        .collect();
    let landed = super::submit::prove_and_submit(
        dst,
        src,
        &path.a.client,
        store,
        "acknowledgement",
        items,
        None,
        |i, proven| {
            proven.own.value.as_ref()?;
            let (p, ack) = &acks[i].1;
            Some(encode_any(&build_acknowledgement(
                p,
                ack.clone(),
                proven.own.proof.encode_to_vec(),
                proven.height,
                proven.signer,
            )))
        },
    )
    .await?;
    for seq in &landed {
        ledger.finish(*seq)?;
    }
    Ok(landed)
}

async fn relay_timeouts(
    src: &ChainEndpoint,
    dst: &ChainEndpoint,
    path: &Path,
    store: &Store,
    ledger: &Ledger,
    packets: &[Packet],
    dst_closed: bool,
) -> Result<Vec<u64>, RelayError> {
    let ordered = path.ordering == Ordering::Ordered;
    let items = packets
        .iter()
        .map(|p| {
            let (port, channel) = (&p.destination_port, &p.destination_channel);
            let key = if ordered {
                paths::next_sequence_recv(port, channel)
            } else {
                paths::packet_receipt(port, channel, p.sequence)
            };
            (p.sequence, paths::key(&key))
        })
        .collect();
    // A closed destination end: MsgTimeoutOnClose, proving the end closed at the same height.
    let closed_end =
        dst_closed.then(|| paths::key(&paths::channel_end(&path.b.port, &path.b.channel)));
    let what = if dst_closed {
        "timeout_on_close"
    } else {
        "timeout"
    };
    let landed = super::submit::prove_and_submit(
        dst,
        src,
        &path.a.client,
        store,
        what,
        items,
        closed_end,
        |i, proven| {
            let p = &packets[i];
            let next_recv = if ordered {
                let bytes = proven.own.value.clone().unwrap_or_default();
                u64::from_be_bytes(bytes.try_into().unwrap_or([0; 8]))
            } else if proven.own.value.is_some() {
                return None; // received after all
            } else {
                p.sequence
            };
            let proof = proven.own.proof.encode_to_vec();
            Some(match proven.shared {
                Some(closed) => {
                    closed.value.as_ref()?;
                    encode_any(&build_timeout_on_close(
                        p,
                        proof,
                        closed.proof.encode_to_vec(),
                        proven.height,
                        next_recv,
                        proven.signer,
                    ))
                }
                None => encode_any(&build_timeout(
                    p,
                    proof,
                    proven.height,
                    next_recv,
                    proven.signer,
                )),
            })
        },
    )
    .await?;
    for seq in &landed {
        ledger.finish(*seq)?;
    }
    Ok(landed)
}
