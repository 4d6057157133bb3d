//! The worker of one path direction (packets sent on `path.a`, received on `path.b`): reads
//! the ledger of `a`'s channel end and relays what it holds: MsgRecvPacket to `b`,
//! MsgAcknowledgement and MsgTimeout back to `a`. Every batch carries proofs from one height
//! behind a single MsgUpdateClient; what the destination already has is dropped first.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use stateset_channels::events::Packet;
use stateset_channels::packet::{plan_acks, plan_recv, DestinationClock};
use stateset_channels::relay_plan::{plan_cycle, CycleLimits, CyclePlan};
use stateset_channels::Ordering;
use tokio::sync::Notify;
use tracing::{debug, info, warn};

use super::cycle_parts::{filter_reason, forget_finished, observe, report_backlog};
use super::quarantine::QuarantineBook;
use super::steps::{relay_acks, relay_recv, relay_timeouts, StepContext};
use super::submit::SubmitOutcome;
use super::Path;
use crate::chain::ChainEndpoint;
use crate::handshake::proofs::ibc_height;
use crate::store::{Ledger, PacketState, Store, WindowQuery};

pub use super::error::RelayError;
pub use super::worker_loop::run_worker;

/// What one cycle did.
#[derive(Debug, Default, Clone, Copy)]
pub struct CycleReport {
    /// MsgRecvPacket submitted.
    pub received: usize,
    /// MsgAcknowledgement submitted.
    pub acked: usize,
    /// MsgTimeout submitted.
    pub timed_out: usize,
    /// Messages dropped because the destination already had them, or refused as redundant.
    pub redundant: usize,
    /// Packets quarantined in this cycle.
    pub quarantined: usize,
    /// Records dropped because their event data did not match the chain's commitment.
    pub refetch: usize,
}

impl CycleReport {
    /// Whether the cycle did nothing.
    pub fn is_empty(&self) -> bool {
        self.received + self.acked + self.timed_out + self.redundant + self.quarantined == 0
    }

    /// Adds what another step of the same cycle did.
    fn add(&mut self, other: CycleReport) {
        self.received += other.received;
        self.acked += other.acked;
        self.timed_out += other.timed_out;
        self.redundant += other.redundant;
        self.quarantined += other.quarantined;
        self.refetch += other.refetch;
    }
}

/// How a worker runs.
#[derive(Clone, Copy, Debug)]
pub struct WorkerSettings {
    /// Failures of one packet's message (sent alone) before it is quarantined.
    pub quarantine_after: u32,
    /// Relay passes in flight at once per loop on an unordered channel (at least 1).
    pub pipeline_depth: usize,
    /// Leave alone the sequences the config excludes (`excluded_sequences`); `clear packets`
    /// does not, since the operator names the sequences there.
    pub honour_exclusions: bool,
}

/// The signals a worker waits on and gives.
pub struct WorkerSignals {
    /// Notified when either chain's scanner recorded new blocks.
    pub wake: [Arc<Notify>; 2],
    /// Notified by the worker when clearing should fetch records again.
    pub clear_now: Arc<Notify>,
}

/// What a worker keeps between cycles.
#[derive(Debug, Default)]
pub struct WorkerMemory {
    /// Packets already reported as unpaid (below `min_fees`), so each is counted once.
    pub(super) unpaid: std::collections::HashSet<u64>,
    /// Failing packets and the quarantine.
    pub(super) book: QuarantineBook,
    /// Sequences a running pass is receiving (or timing out): other passes leave them be.
    claimed_sends: HashSet<u64>,
    /// Sequences whose acknowledgement a running pass is relaying.
    claimed_acks: HashSet<u64>,
}

/// The sequences one pass works on, claimed in the worker's memory until it ends (or is
/// dropped): passes that run at once never relay the same packet.
struct Claim<'a, 'm> {
    memory: &'a SharedMemory<'m>,
    sends: Vec<u64>,
    acks: Vec<u64>,
}

impl<'a, 'm> Claim<'a, 'm> {
    fn new(memory: &'a SharedMemory<'m>, plan: &CyclePlan) -> Self {
        let sends: Vec<u64> = plan.sends.iter().map(|p| p.sequence).collect();
        let acks: Vec<u64> = plan.acks.iter().map(|(seq, _)| *seq).collect();
        let mut m = lock(memory);
        m.claimed_sends.extend(&sends);
        m.claimed_acks.extend(&acks);
        drop(m);
        Claim {
            memory,
            sends,
            acks,
        }
    }
}

impl Drop for Claim<'_, '_> {
    fn drop(&mut self) {
        let mut m = lock(self.memory);
        for seq in &self.sends {
            m.claimed_sends.remove(seq);
        }
        for seq in &self.acks {
            m.claimed_acks.remove(seq);
        }
    }
}

/// Which steps a cycle takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Steps {
    /// Receive (or time out) what the source sent: txs on the destination.
    Sends,
    /// Acknowledge on the source what the destination acknowledged.
    Acks,
    /// Both at once.
    Both,
}

/// One pass over the ledger, both steps at once.
pub async fn cycle(
    src: &ChainEndpoint,
    dst: &ChainEndpoint,
    path: &Path,
    store: &Store,
    ledger: &Ledger,
    memory: &mut WorkerMemory,
    settings: WorkerSettings,
) -> Result<CycleReport, RelayError> {
    let parts = CycleParts {
        src,
        dst,
        path,
        store,
        ledger,
        settings,
    };
    parts.run(Steps::Both, &Mutex::new(memory)).await
}

/// What every cycle of one worker works with.
pub(super) struct CycleParts<'a> {
    pub src: &'a ChainEndpoint,
    pub dst: &'a ChainEndpoint,
    pub path: &'a Path,
    pub store: &'a Store,
    pub ledger: &'a Ledger,
    pub settings: WorkerSettings,
}

impl CycleParts<'_> {
    /// One pass over the ledger taking `steps`; `memory` may be shared with a concurrent
    /// pass taking the other steps.
    pub(super) async fn run(
        &self,
        steps: Steps,
        memory: &SharedMemory<'_>,
    ) -> Result<CycleReport, RelayError> {
        let CycleParts {
            src,
            dst,
            path,
            store,
            ledger,
            settings,
        } = *self;
        let labels = path.labels();
        let labels: [&str; 4] = [&labels[0], &labels[1], &labels[2], &labels[3]];
        let Some((plan, seen, written)) = self.plan(steps, memory, &labels)? else {
            return Ok(CycleReport::default());
        };
        let _claim = Claim::new(memory, &plan);
        let CyclePlan { sends, held, acks } = plan;
        let cx = CycleContext {
            src,
            dst,
            path,
            store,
            ledger,
            labels,
            seen: &seen,
            written: &written,
            settings,
        };
        // The receive step (txs on the destination) and the acknowledgement step (txs on the
        // source) run at once: neither waits for the other's inclusion, and a failure of one
        // does not hold the other up.
        let mut report = CycleReport::default();
        let (mut recv_report, mut ack_report) = (CycleReport::default(), CycleReport::default());
        let (sent, acked) = tokio::join!(
            async {
                match sends.is_empty() {
                    true => Ok(()),
                    false => {
                        cx.relay_sends(&sends, &held, memory, &mut recv_report)
                            .await
                    }
                }
            },
            async {
                match acks.is_empty() {
                    true => Ok(()),
                    false => cx.relay_ack_step(&acks, memory, &mut ack_report).await,
                }
            },
        );
        report.add(recv_report);
        report.add(ack_report);
        sent.and(acked).map(|()| report)
    }

    /// What a cycle taking `steps` takes up, when each of its packets was first seen and
    /// which block wrote what its next message proves; None when the ledger holds nothing
    /// for it. Sets the backlog gauges on the way.
    fn plan(
        &self,
        steps: Steps,
        memory: &SharedMemory<'_>,
        labels: &[&str; 4],
    ) -> Result<Option<(CyclePlan, Seen, Written)>, RelayError> {
        let (path, ledger, settings) = (self.path, self.ledger, self.settings);
        forget_finished(memory, ledger)?;
        let policy = &self.src.config().packet_policy;
        let channel = path.a.channel.as_str();
        // Sequences another pass of this loop has claimed are left to it.
        let claimed = {
            let m = lock(memory);
            match steps {
                Steps::Sends => m.claimed_sends.clone(),
                Steps::Acks => m.claimed_acks.clone(),
                Steps::Both => m.claimed_sends.union(&m.claimed_acks).copied().collect(),
            }
        };
        let excluded = |seq: u64| {
            claimed.contains(&seq)
                || (settings.honour_exclusions && policy.is_excluded(channel, seq))
        };
        let quarantined = lock(memory).book.quarantined();
        let is_quarantined = |seq: u64| quarantined.contains(&seq);
        let limits = CycleLimits::default();
        // Only what this cycle can take up is read (through the ledger's index), not the
        // whole ledger: planning from it gives the plan of planning from every record.
        // Under the store's block lock: never half a block's records.
        let whole = self.store.whole_blocks();
        let window = ledger.window(&WindowQuery {
            limits,
            ordering: path.ordering,
            sends: steps != Steps::Acks,
            acks: steps != Steps::Sends,
            excluded: &excluded,
            quarantined: &is_quarantined,
        })?;
        drop(whole);
        report_backlog(labels, &window.backlog);
        if window.is_empty() {
            return Ok(None);
        }
        let plan = plan_cycle(
            &window.pending(),
            path.ordering,
            limits,
            excluded,
            is_quarantined,
        );
        if !plan.sends.is_empty() || !plan.acks.is_empty() {
            debug!(path = %path.name(), ?steps, sends = plan.sends.len(),
                first = plan.sends.first().map(|p| p.sequence), acks = plan.acks.len(),
                claimed = claimed.len(), "cycle planned");
        }
        Ok(Some((plan, window.seen(), window.written_at())))
    }
}

/// When each packet of a cycle was first seen (Unix seconds), for the latency metrics.
type Seen = HashMap<u64, f64>;

/// The block that wrote what each packet's next message proves (`None`: not known).
pub(super) type Written = HashMap<u64, Option<u64>>;

/// The worker's memory, shared by the two steps of a cycle (locked only between awaits).
pub(super) type SharedMemory<'a> = Mutex<&'a mut WorkerMemory>;

pub(super) fn lock<'a, 'm>(memory: &'a SharedMemory<'m>) -> MutexGuard<'a, &'m mut WorkerMemory> {
    memory
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What the steps of one cycle share.
struct CycleContext<'a> {
    src: &'a ChainEndpoint,
    dst: &'a ChainEndpoint,
    path: &'a Path,
    store: &'a Store,
    ledger: &'a Ledger,
    labels: [&'a str; 4],
    seen: &'a Seen,
    written: &'a Written,
    settings: WorkerSettings,
}

impl CycleContext<'_> {
    fn step<'b>(&'b self, alone: &'b HashSet<u64>) -> StepContext<'b> {
        StepContext {
            src: self.src,
            dst: self.dst,
            path: self.path,
            store: self.store,
            ledger: self.ledger,
            alone,
            written: self.written,
        }
    }

    fn labels_with<'b>(&'b self, last: &'b str) -> Vec<&'b str> {
        let mut l = self.labels.to_vec();
        l.push(last);
        l
    }

    /// Learns from a step's outcome (quarantine) and counts its redundant messages.
    fn learn(
        &self,
        memory: &SharedMemory<'_>,
        outcome: &SubmitOutcome,
        kind: &str,
        report: &mut CycleReport,
    ) -> Result<(), RelayError> {
        let quarantined = lock(memory).book.learn(
            self.path,
            self.ledger,
            outcome,
            self.settings.quarantine_after,
        )?;
        report.quarantined += quarantined.len();
        report.refetch += outcome.refetch.len();
        report.redundant += outcome.redundant.len();
        stateset_monitoring::global()
            .redundant_messages
            .with_label_values(&self.labels_with(kind))
            .inc_by(outcome.redundant.len() as u64);
        Ok(())
    }

    /// Receives (or times out) the packets in `sends`; `held` are filtered or quarantined
    /// packets, only timed out.
    async fn relay_sends(
        &self,
        sends: &[Packet],
        held: &HashSet<u64>,
        memory: &SharedMemory<'_>,
        report: &mut CycleReport,
    ) -> Result<(), RelayError> {
        let (dst, path) = (self.dst, self.path);
        let m = stateset_monitoring::global();
        let seqs: Vec<u64> = sends.iter().map(|p| p.sequence).collect();
        let (unreceived, status, dst_end) = tokio::try_join!(
            dst.grpc()
                .unreceived_packets(path.b.port.as_str(), path.b.channel.as_str(), &seqs),
            dst.rpc().status(),
            async {
                // IBC v2 has no channel ends to close.
                match path.is_v2() {
                    true => Ok(None),
                    false => {
                        dst.grpc()
                            .channel(path.b.port.as_str(), path.b.channel.as_str(), None)
                            .await
                    }
                }
            },
        )?;
        let dst_closed = dst_end.is_some_and(|end| {
            stateset_channels::HandshakeState::from_channel_state(end.state)
                == stateset_channels::HandshakeState::Closed
        });
        let unreceived: BTreeSet<u64> = unreceived.into_iter().collect();
        let clock = DestinationClock {
            height: ibc_height(dst.id(), status.sync_info.latest_block_height),
            time_ns: u64::try_from(status.sync_info.latest_block_time.unix_timestamp_nanos())
                .unwrap_or(0),
        };
        let ordered = path.ordering == Ordering::Ordered;
        let mut plan = plan_recv(sends, &unreceived, clock, dst_closed, ordered);
        if !plan.held.is_empty() {
            debug!(path = %path.name(), held = plan.held.len(),
                "ordered channel: packets after a timeout wait for the destination end to close");
        }
        plan.recv
            .retain(|p| !held.contains(&p.sequence) && self.allowed(p));
        debug!(path = %path.name(), unreceived = unreceived.len(), recv = plan.recv.len(),
            timeout = plan.timeout.len(), "receive step planned");
        self.keep_paid(&mut plan.recv, memory).await?;
        for seq in &plan.already_received {
            self.ledger.mark(*seq, PacketState::Received)?;
        }
        m.redundant_messages
            .with_label_values(&self.labels_with("recv_packet"))
            .inc_by(plan.already_received.len() as u64);
        report.redundant += plan.already_received.len();
        if !plan.recv.is_empty() {
            let alone = lock(memory).book.alone().clone();
            let outcome = relay_recv(&self.step(&alone), &plan.recv).await?;
            self.learn(memory, &outcome, "recv_packet", report)?;
            report.received += outcome.landed.len();
            observe(
                &m.recv_latency_seconds,
                &self.labels,
                self.seen,
                &outcome.landed,
            );
            m.packets_relayed
                .with_label_values(&self.labels)
                .inc_by(outcome.landed.len() as u64);
            fail_if_nothing_landed(outcome)?;
        }
        if !plan.timeout.is_empty() {
            let alone = lock(memory).book.alone().clone();
            let step = self.step(&alone);
            let outcome = relay_timeouts(&step, &plan.timeout, dst_closed).await?;
            self.learn(memory, &outcome, "timeout", report)?;
            report.timed_out += outcome.landed.len();
            m.packets_timed_out
                .with_label_values(&self.labels)
                .inc_by(outcome.landed.len() as u64);
            fail_if_nothing_landed(outcome)?;
        }
        Ok(())
    }

    /// Whether the source chain's policy lets `p` be relayed; a refused packet is logged,
    /// counted once and marked Filtered.
    fn allowed(&self, p: &Packet) -> bool {
        let policy = self.src.config().packet_policy.transfer();
        let Some(reason) = filter_reason(&policy, p) else {
            return true;
        };
        warn!(path = %self.path.name(), sequence = p.sequence, reason, "packet filtered; it will not be relayed");
        stateset_monitoring::global()
            .packets_filtered
            .with_label_values(&self.labels_with(reason))
            .inc();
        if let Err(e) = self.ledger.mark(p.sequence, PacketState::Filtered) {
            warn!(error = %e, "could not record a filtered packet");
        }
        let kind = crate::store::StepKind::Filtered {
            reason: reason.to_string(),
        };
        super::history_feed::policy_step(p, self.path, kind);
        false
    }

    /// ICS-29: keeps only the packets whose escrowed fees meet `min_fees` (one query for all);
    /// each unpaid one is reported once.
    async fn keep_paid(
        &self,
        recv: &mut Vec<Packet>,
        memory: &SharedMemory<'_>,
    ) -> Result<(), RelayError> {
        let min_fees = self.src.config().packet_policy.min_fees();
        if !min_fees.is_active() || recv.is_empty() {
            return Ok(());
        }
        let a = &self.path.a;
        let fees = self
            .src
            .grpc()
            .incentivized_packets(a.port.as_str(), a.channel.as_str())
            .await?;
        let mut memory = lock(memory);
        let unpaid = &mut memory.unpaid;
        recv.retain(|p| {
            if min_fees.is_met(fees.get(&p.sequence)) {
                unpaid.remove(&p.sequence);
                return true;
            }
            if unpaid.insert(p.sequence) {
                info!(path = %self.path.name(), sequence = p.sequence,
                    escrowed = ?fees.get(&p.sequence).map(|f| f.relay_reward()),
                    "packet left alone: its escrowed recv + ack fees are below min_fees");
                stateset_monitoring::global()
                    .packets_filtered
                    .with_label_values(&self.labels_with("insufficient_fees"))
                    .inc();
            }
            false
        });
        Ok(())
    }

    /// Acknowledges the packets whose acks the destination wrote.
    async fn relay_ack_step(
        &self,
        acks: &[(u64, (Packet, Vec<u8>))],
        memory: &SharedMemory<'_>,
        report: &mut CycleReport,
    ) -> Result<(), RelayError> {
        let (src, path, ledger) = (self.src, self.path, self.ledger);
        let m = stateset_monitoring::global();
        let seqs: Vec<u64> = acks.iter().map(|(s, _)| *s).collect();
        let unreceived: BTreeSet<u64> = src
            .grpc()
            .unreceived_acks(path.a.port.as_str(), path.a.channel.as_str(), &seqs)
            .await?
            .into_iter()
            .collect();
        let (relay, redundant) = plan_acks(acks, &unreceived);
        for seq in &redundant {
            ledger.finish(*seq)?;
        }
        m.redundant_messages
            .with_label_values(&self.labels_with("acknowledgement"))
            .inc_by(redundant.len() as u64);
        report.redundant += redundant.len();
        if relay.is_empty() {
            return Ok(());
        }
        let alone = lock(memory).book.alone().clone();
        let outcome = relay_acks(&self.step(&alone), &relay).await?;
        self.learn(memory, &outcome, "acknowledgement", report)?;
        super::app_acks::report(path, &self.labels, &relay, &outcome.landed);
        report.acked += outcome.landed.len();
        observe(
            &m.ack_latency_seconds,
            &self.labels,
            self.seen,
            &outcome.landed,
        );
        m.packets_acked
            .with_label_values(&self.labels)
            .inc_by(outcome.landed.len() as u64);
        fail_if_nothing_landed(outcome)
    }
}

/// A step that failed without anything taking effect fails the cycle (so the worker backs
/// off); a partial success does not.
fn fail_if_nothing_landed(outcome: SubmitOutcome) -> Result<(), RelayError> {
    match outcome.error {
        Some(e) if outcome.landed.is_empty() && outcome.redundant.is_empty() => Err(e.into()),
        _ => Ok(()),
    }
}
