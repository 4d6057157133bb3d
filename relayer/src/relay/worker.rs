//! The worker of one path direction (packets sent on `path.a`, received on `path.b`): reads
//! the ledger of `a`'s channel end and relays what it holds: MsgRecvPacket to `b`,
//! MsgAcknowledgement and MsgTimeout back to `a`. Every batch carries proofs from one height
//! behind a single MsgUpdateClient; what the destination already has is dropped first.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, StreamExt, TryStreamExt};
use ibc_proto::google::protobuf::Any;
use prost::Message;
use stateset_channels::events::Packet;
use stateset_channels::packet::{
    batches, build_acknowledgement, build_recv_packet, build_timeout, plan_acks, plan_recv,
    DestinationClock,
};
use stateset_channels::{paths, Ordering};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::Path;
use crate::chain::tx::{encode_any, TxError};
use crate::chain::{ChainEndpoint, ChainError, ProvenValue};
use crate::client::ops::signer;
use crate::client::ClientError;
use crate::handshake::proofs::{client_update, ibc_height};
use crate::handshake::DriveError;
use crate::store::{Ledger, PacketState, Store, StoreError};

/// At most this many proofs are queried at once.
const PROOF_CONCURRENCY: usize = 16;
/// At most this many packets are handled per kind in one cycle.
const MAX_PER_CYCLE: usize = 500;
/// Of those, on unordered channels, this many are the newest ones: a backlog never holds
/// new packets up.
const NEWEST_PER_CYCLE: usize = 100;
/// Txs of one relay step in flight at once (signed in sequence order, included in parallel).
const MAX_IN_FLIGHT: usize = 8;
const MEMO: &str = "stateset-relayer";

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
    let mut backoff = Duration::from_millis(500);
    loop {
        let outcome = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = cycle(&src, &dst, &path, &store, &ledger) => r,
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
        let (unreceived, status) = tokio::try_join!(
            dst.grpc()
                .unreceived_packets(path.b.port.as_str(), path.b.channel.as_str(), &seqs),
            dst.rpc().status(),
        )?;
        let unreceived: BTreeSet<u64> = unreceived.into_iter().collect();
        let clock = DestinationClock {
            height: ibc_height(dst.id(), status.sync_info.latest_block_height),
            time_ns: status
                .sync_info
                .latest_block_time
                .unix_timestamp_nanos()
                .max(0) as u64,
        };
        let mut plan = plan_recv(&sends, &unreceived, clock, false);
        // Policy (ICS-20 limits): not received, counted once, still timed out later.
        plan.recv.retain(|p| {
            if filtered.contains(&p.sequence) {
                return false;
            }
            match filter_reason(p) {
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
            let landed = relay_timeouts(src, dst, path, store, ledger, &plan.timeout).await?;
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
            report.acked += landed.len();
            observe(&m.ack_latency_seconds, &labels, &seen, &landed);
            m.packets_acked
                .with_label_values(&labels)
                .inc_by(landed.len() as u64);
        }
    }
    Ok(report)
}

/// Why the relay policy refuses `packet`, if it does: ICS-20 packets on `transfer` ports
/// with a memo over 32 KiB, a receiver over 2 KiB, or data that is not ICS-20.
fn filter_reason(packet: &Packet) -> Option<&'static str> {
    if packet.source_port.as_str() != "transfer" {
        return None;
    }
    stateset_packet_handlers::ics20::TransferPolicy::default()
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

/// Proves `keys` on `chain` at its latest height (at most [`PROOF_CONCURRENCY`] at a time).
async fn prove_many(
    chain: &ChainEndpoint,
    keys: Vec<Vec<u8>>,
) -> Result<Vec<ProvenValue>, ChainError> {
    let height = chain.rpc().latest_height().await?;
    stream::iter(keys)
        .map(|k| async move { chain.query_proven(&k, Some(height)).await })
        .buffered(PROOF_CONCURRENCY)
        .try_collect()
        .await
}

/// Submits `msgs` on `chain` in batches bounded by its `max_msg_num` and `max_tx_size`,
/// the first batch behind `update`. Returns how many messages landed (a batch the chain
/// refuses as redundant counts as landed: another relayer was faster).
async fn send_batched(
    chain: &ChainEndpoint,
    store: &Store,
    what: &str,
    update: Vec<Any>,
    msgs: Vec<Any>,
) -> Result<usize, RelayError> {
    let max_msgs = chain
        .config()
        .max_msg_num
        .saturating_sub(update.len())
        .max(1);
    let sizes: Vec<usize> = msgs.iter().map(|m| m.encoded_len()).collect();
    let mut update = Some(update);
    let mut msgs = msgs.into_iter();
    let mut txs = Vec::new();
    for range in batches(&sizes, max_msgs, chain.config().max_tx_size) {
        let mut batch: Vec<Any> = update.take().unwrap_or_default();
        batch.extend(msgs.by_ref().take(range.len()));
        let journal = store.journal_add(chain.id(), &format!("{what} x{}", range.len()))?;
        txs.push((journal, range.len(), batch));
    }
    // The txs are signed and broadcast in order (the submitter's sequence lock is fair),
    // then included in parallel: the first carries the client update the others need.
    let results: Vec<(u64, usize, Result<_, ChainError>)> = stream::iter(txs)
        .map(|(journal, count, batch)| async move {
            (journal, count, chain.send_msgs(batch, MEMO).await)
        })
        .buffered(MAX_IN_FLIGHT)
        .collect()
        .await;
    // Messages land in order; stop counting at the first failure.
    let mut landed = 0;
    let mut failure = None;
    let m = stateset_monitoring::global();
    for (journal, count, result) in results {
        store.journal_done(journal)?;
        m.txs_submitted.with_label_values(&[chain.id(), what]).inc();
        match &result {
            Ok(tx) => {
                m.txs_confirmed.with_label_values(&[chain.id(), what]).inc();
                m.gas_used
                    .with_label_values(&[chain.id()])
                    .inc_by(tx.gas_used);
                for coin in &tx.fee {
                    if let Ok(amount) = coin.amount.parse::<u64>() {
                        m.fees_paid
                            .with_label_values(&[chain.id(), &coin.denom])
                            .inc_by(amount);
                    }
                }
            }
            Err(ChainError::Tx { source, .. }) => {
                m.txs_failed
                    .with_label_values(&[chain.id(), what, source.reason()])
                    .inc();
            }
            Err(e) => {
                m.txs_failed
                    .with_label_values(&[chain.id(), what, e.kind()])
                    .inc();
            }
        }
        match result {
            Ok(tx) if failure.is_none() => {
                debug!(chain = %chain.id(), tx = %tx.hash, what, count, gas = tx.gas_used, "batch included");
                landed += count;
            }
            Err(ChainError::Tx {
                source: TxError::RedundantPacket { .. },
                ..
            }) if failure.is_none() => landed += count,
            Ok(_) | Err(_) if failure.is_some() => {}
            Err(e) => failure = Some(e),
            Ok(_) => {}
        }
    }
    match failure {
        Some(e) if landed == 0 => Err(e.into()),
        Some(e) => {
            warn!(chain = %chain.id(), what, landed, error = %e, "a batch failed; the rest is retried next cycle");
            Ok(landed)
        }
        None => Ok(landed),
    }
}

async fn relay_recv(
    src: &ChainEndpoint,
    dst: &ChainEndpoint,
    path: &Path,
    store: &Store,
    ledger: &Ledger,
    packets: &[Packet],
) -> Result<Vec<u64>, RelayError> {
    let keys = packets
        .iter()
        .map(|p| {
            paths::key(&paths::packet_commitment(
                &p.source_port,
                &p.source_channel,
                p.sequence,
            ))
        })
        .collect();
    let proofs = prove_many(src, keys).await?;
    let Some(first) = proofs.first() else {
        return Ok(Vec::new());
    };
    let proof_block = first.proof_height;
    let proof_height = ibc_height(src.id(), proof_block);
    let signer = signer(dst)?;
    let mut msgs = Vec::new();
    let mut seqs = Vec::new();
    for (p, proof) in packets.iter().zip(&proofs) {
        if proof.value.is_none() {
            continue; // acknowledged or timed out meanwhile
        }
        msgs.push(encode_any(&build_recv_packet(
            p,
            proof.proof.encode_to_vec(),
            proof_height,
            &signer,
        )));
        seqs.push(p.sequence);
    }
    for seq in &seqs {
        ledger.mark(*seq, PacketState::RecvSubmitted)?;
    }
    let update = client_update(dst, src, &path.b.client, proof_block).await?;
    let landed = send_batched(dst, store, "recv_packet", update, msgs).await?;
    seqs.truncate(landed);
    for seq in &seqs {
        ledger.mark(*seq, PacketState::Received)?;
    }
    Ok(seqs)
}

async fn relay_acks(
    src: &ChainEndpoint,
    dst: &ChainEndpoint,
    path: &Path,
    store: &Store,
    ledger: &Ledger,
    acks: &[(u64, (Packet, Vec<u8>))],
) -> Result<Vec<u64>, RelayError> {
    let keys = acks
        .iter()
        .map(|(_, (p, _))| {
            paths::key(&paths::packet_ack(
                &p.destination_port,
                &p.destination_channel,
                p.sequence,
            ))
        })
        .collect();
    let proofs = prove_many(dst, keys).await?;
    let Some(first) = proofs.first() else {
        return Ok(Vec::new());
    };
    let proof_block = first.proof_height;
    let proof_height = ibc_height(dst.id(), proof_block);
    let signer = signer(src)?;
    let mut msgs = Vec::new();
    let mut seqs = Vec::new();
    for ((seq, (p, ack)), proof) in acks.iter().zip(&proofs) {
        if proof.value.is_none() {
            continue;
        }
        msgs.push(encode_any(&build_acknowledgement(
            p,
            ack.clone(),
            proof.proof.encode_to_vec(),
            proof_height,
            &signer,
        )));
        seqs.push(*seq);
    }
    let update = client_update(src, dst, &path.a.client, proof_block).await?;
    let landed = send_batched(src, store, "acknowledgement", update, msgs).await?;
    seqs.truncate(landed);
    for seq in &seqs {
        ledger.finish(*seq)?;
    }
    Ok(seqs)
}

async fn relay_timeouts(
    src: &ChainEndpoint,
    dst: &ChainEndpoint,
    path: &Path,
    store: &Store,
    ledger: &Ledger,
    packets: &[Packet],
) -> Result<Vec<u64>, RelayError> {
    let ordered = path.ordering == Ordering::Ordered;
    let keys: Vec<Vec<u8>> = packets
        .iter()
        .map(|p| {
            if ordered {
                paths::key(&paths::next_sequence_recv(
                    &p.destination_port,
                    &p.destination_channel,
                ))
            } else {
                paths::key(&paths::packet_receipt(
                    &p.destination_port,
                    &p.destination_channel,
                    p.sequence,
                ))
            }
        })
        .collect();
    let proofs = prove_many(dst, keys).await?;
    let Some(first) = proofs.first() else {
        return Ok(Vec::new());
    };
    let proof_block = first.proof_height;
    let proof_height = ibc_height(dst.id(), proof_block);
    let signer = signer(src)?;
    let mut msgs = Vec::new();
    let mut seqs = Vec::new();
    for (p, proof) in packets.iter().zip(&proofs) {
        let next_recv = if ordered {
            let bytes = proof.value.clone().unwrap_or_default();
            u64::from_be_bytes(bytes.try_into().unwrap_or([0; 8]))
        } else {
            if proof.value.is_some() {
                continue; // received after all
            }
            p.sequence
        };
        msgs.push(encode_any(&build_timeout(
            p,
            proof.proof.encode_to_vec(),
            proof_height,
            next_recv,
            &signer,
        )));
        seqs.push(p.sequence);
    }
    let update = client_update(src, dst, &path.a.client, proof_block).await?;
    let landed = send_batched(src, store, "timeout", update, msgs).await?;
    seqs.truncate(landed);
    for seq in &seqs {
        ledger.finish(*seq)?;
    }
    Ok(seqs)
}
