//! Submitting relay messages: proofs from one height, the client update in front, batches
//! bounded by the chain's `max_msg_num` and `max_tx_size`, several txs in flight.

use std::collections::HashSet;

use futures::stream::{self, StreamExt};
use ibc_proto::google::protobuf::Any;
use prost::Message;
use stateset_channels::packet::batches;
use tracing::{debug, warn};

use super::error::RelayError;
use crate::chain::tx::{TxError, MEMO};
use crate::chain::{ChainEndpoint, ChainError};
use crate::store::{JournalStep, Store};

/// Txs of one relay step in flight at once (signed in sequence order, included in parallel).
const MAX_IN_FLIGHT: usize = 8;

/// What became of the messages of one relay step.
#[derive(Debug, Default)]
pub(super) struct SubmitOutcome {
    /// Sequences whose message took effect.
    pub landed: Vec<u64>,
    /// Sequences whose tx the chain refused as redundant: another relayer was faster;
    /// nothing of ours took effect.
    pub redundant: Vec<u64>,
    /// Sequences whose message failed in a tx of its own: the failure is theirs.
    pub failed_alone: Vec<(u64, String)>,
    /// Sequences in a batch that failed with several messages: one of them may be at fault;
    /// they are sent alone next time.
    pub suspects: Vec<u64>,
    /// The first failure, if any.
    pub error: Option<ChainError>,
    /// Sequences whose event data did not match the chain's commitment: dropped from the
    /// ledger for clearing to fetch again.
    pub refetch: Vec<u64>,
    /// Whether the tx that carried the MsgUpdateClient was included.
    pub update_landed: bool,
    /// The txs sent or tried (whatever became of them).
    pub txs_sent: usize,
}

impl SubmitOutcome {
    /// Whether the step failed before any tx went out: its proofs could not be read, or
    /// its txs not journalled. Nothing of it can have taken effect.
    pub fn nothing_sent_for_an_error(&self) -> bool {
        self.txs_sent == 0 && self.error.is_some()
    }
}

/// One tx of a relay step.
struct PlannedTx {
    journal: u64,
    seqs: Vec<u64>,
    msgs: Vec<Any>,
    carries_update: bool,
}

/// Whether a failure can be the fault of a message in the tx (rather than of the node, the
/// account or the fee settings).
fn blames_messages(e: &ChainError) -> bool {
    match e {
        ChainError::Tx { source, .. } => matches!(source, TxError::Rejected { .. }),
        // The relayer's own key or link failed: no message is at fault.
        ChainError::Key { .. }
        | ChainError::Signer { .. }
        | ChainError::GrpcConnect { .. }
        | ChainError::Timeout { .. } => false,
        other => !other.is_transient(),
    }
}

/// Sends one planned tx. When it fails because the tx that carried the client update was
/// refused (e.g. as redundant), it is sent once more with the update in front.
async fn send_planned(
    chain: &ChainEndpoint,
    store: &Store,
    what: &str,
    mut tx: PlannedTx,
    update: &[Any],
) -> (PlannedTx, Result<crate::chain::TxResult, ChainError>) {
    let journal = tx.journal;
    // Each signed version's hash and sequence go to the journal, and to disk, before it is
    // broadcast: a kill right after the broadcast must not lose them (sled by itself writes
    // out every 200 ms), or a restart would relay the tx's packets again while it lands.
    let noted = move |hash: &str, sequence: u64| -> futures::future::BoxFuture<'static, ()> {
        let store = store.clone();
        let hash = hash.to_string();
        Box::pin(async move {
            let durable = match store.journal_signed(journal, &hash, sequence) {
                Ok(()) => store.flush_async().await.map(drop),
                Err(e) => Err(e),
            };
            if let Err(e) = durable {
                warn!(error = %e, hash, "could not journal a signed tx");
            }
        })
    };
    let mut result = chain.send_msgs_noting(tx.msgs.clone(), MEMO, &noted).await;
    if !tx.carries_update && !update.is_empty() && lacks_update(&result) {
        debug!(chain = %chain.id(), what, "the client update did not land; sending it again with this batch");
        tx.msgs.splice(0..0, update.iter().cloned());
        tx.carries_update = true;
        result = chain.send_msgs_noting(tx.msgs.clone(), MEMO, &noted).await;
    }
    (tx, result)
}

/// Whether a tx was refused because the client is not at the proof height yet: the tx that
/// carried the MsgUpdateClient did not land.
fn lacks_update(result: &Result<crate::chain::TxResult, ChainError>) -> bool {
    matches!(result, Err(ChainError::Tx { source: TxError::Rejected { log, .. }, .. })
        if log.contains("client state height < proof height"))
}

/// A relay step's chunk on its way to the chain: the txs planned from its messages, or why
/// it has none.
enum ChunkTxs {
    /// A planned tx, journalled.
    Tx(PlannedTx),
    /// The chunk could not be proven: its items wait for the next cycle.
    Unproven(ChainError),
    /// The chunk's txs could not be journalled, so they were not sent.
    Unjournalled(RelayError),
}

/// What a [`ChunkTxs`] came to.
enum ChunkResult {
    Sent(PlannedTx, Result<crate::chain::TxResult, ChainError>),
    Unproven(ChainError),
    Unjournalled(RelayError),
}

/// Submits a relay step's messages on `chain` as their chunks arrive from `chunks` (in
/// order): each chunk in batches bounded by `max_msg_num` and `max_tx_size`, the sequences
/// in `alone` each in a tx of its own; `update` rides in the first tx (in a tx of its own
/// when the first chunk holds only sequences sent alone). Up to [`MAX_IN_FLIGHT`] txs are
/// in flight: signed and broadcast in order (the submitter's sequence lock is fair), then
/// included in parallel. A tx that fails after the update's tx failed is not held against
/// its messages.
pub(super) async fn send_chunks(
    chain: &ChainEndpoint,
    store: &Store,
    what: &str,
    update: Vec<Any>,
    chunks: impl futures::Stream<Item = Result<Vec<(u64, Any)>, ChainError>>,
    alone: &HashSet<u64>,
) -> Result<SubmitOutcome, RelayError> {
    let mut pending_update = Some(update.clone());
    let txs = chunks.flat_map(|chunk| {
        let items = match chunk {
            Err(e) => vec![ChunkTxs::Unproven(e)],
            Ok(msgs) if msgs.is_empty() => Vec::new(),
            Ok(msgs) => {
                let update = pending_update.take().unwrap_or_default();
                match plan_txs(chain, store, what, update, msgs, alone) {
                    Ok(txs) => txs.into_iter().map(ChunkTxs::Tx).collect(),
                    Err(e) => vec![ChunkTxs::Unjournalled(e)],
                }
            }
        };
        stream::iter(items)
    });
    let update = &update;
    let results = txs
        .map(|item| async move {
            match item {
                ChunkTxs::Tx(tx) => {
                    let (tx, result) = send_planned(chain, store, what, tx, update).await;
                    ChunkResult::Sent(tx, result)
                }
                ChunkTxs::Unproven(e) => ChunkResult::Unproven(e),
                ChunkTxs::Unjournalled(e) => ChunkResult::Unjournalled(e),
            }
        })
        .buffered(MAX_IN_FLIGHT);
    futures::pin_mut!(results);
    let mut tally = Tally::default();
    let mut unjournalled = None;
    while let Some(result) = results.next().await {
        match result {
            ChunkResult::Sent(tx, result) => {
                store.journal_done(tx.journal)?;
                tally.absorb(chain, what, update.len(), tx, result);
            }
            ChunkResult::Unproven(e) => {
                warn!(chain = %chain.id(), what, error = %e, "a chunk of the step could not be proven; its packets wait for the next cycle");
                tally.outcome.error.get_or_insert(e);
            }
            ChunkResult::Unjournalled(e) => {
                unjournalled.get_or_insert(e);
            }
        }
    }
    if let Some(e) = unjournalled {
        return Err(e);
    }
    let outcome = tally.outcome;
    if let Some(e) = &outcome.error {
        warn!(chain = %chain.id(), what, landed = outcome.landed.len(), error = %e,
            "a batch failed; the rest is retried next cycle");
    }
    Ok(outcome)
}

/// The outcome of a relay step's txs so far.
#[derive(Default)]
struct Tally {
    outcome: SubmitOutcome,
    /// Whether the tx that carried the client update failed.
    update_failed: bool,
}

impl Tally {
    /// Adds the result of `tx` (whose first `update_len` messages are the client update
    /// when it carries it).
    fn absorb(
        &mut self,
        chain: &ChainEndpoint,
        what: &str,
        update_len: usize,
        tx: PlannedTx,
        result: Result<crate::chain::TxResult, ChainError>,
    ) {
        count_tx(chain, what, &result);
        let outcome = &mut self.outcome;
        outcome.txs_sent += 1;
        match result {
            Ok(included) => {
                debug!(chain = %chain.id(), tx = %included.hash, what, count = tx.seqs.len(),
                    gas = included.gas_used, "batch included");
                outcome.update_landed |= tx.carries_update;
                let skip = if tx.carries_update { update_len } else { 0 };
                let noop = noop_sequences(chain, &included, &tx.seqs, skip);
                let (noop, landed): (Vec<u64>, Vec<u64>) =
                    tx.seqs.iter().partition(|s| noop.contains(s));
                outcome.landed.extend(landed);
                outcome.redundant.extend(noop);
            }
            Err(ChainError::Tx {
                source: TxError::RedundantPacket { .. },
                ..
            }) => {
                self.update_failed |= tx.carries_update;
                outcome.redundant.extend(tx.seqs);
            }
            Err(e) => {
                let blamed = blames_messages(&e) && (tx.carries_update || !self.update_failed);
                self.update_failed |= tx.carries_update;
                match tx.seqs.as_slice() {
                    [seq] if blamed => outcome.failed_alone.push((*seq, e.to_string())),
                    seqs if blamed => outcome.suspects.extend_from_slice(seqs),
                    _ => {}
                }
                outcome.error.get_or_insert(e);
            }
        }
    }
}

/// The sequences among `seqs` (the packet messages of `included`, after `skip` messages of
/// client update) whose message the chain answered NOOP: another relayer delivered it
/// first, and this one took no effect. Unreadable result data is logged and counted as
/// malformed, and every message counts as having taken effect.
fn noop_sequences(
    chain: &ChainEndpoint,
    included: &crate::chain::TxResult,
    seqs: &[u64],
    skip: usize,
) -> Vec<u64> {
    match stateset_channels::responses::noop_messages(&included.data) {
        Ok(noop) => seqs
            .iter()
            .zip(noop.iter().skip(skip))
            .filter(|(_, noop)| **noop)
            .map(|(seq, _)| *seq)
            .collect(),
        Err(e) => {
            warn!(chain = %chain.id(), tx = %included.hash, error = %e,
                "the tx's message responses are unreadable; NOOP answers not counted");
            stateset_monitoring::global()
                .malformed_events
                .with_label_values(&[chain.id()])
                .inc();
            Vec::new()
        }
    }
}

/// Splits a relay step into txs and journals each before it is sent.
fn plan_txs(
    chain: &ChainEndpoint,
    store: &Store,
    what: &str,
    update: Vec<Any>,
    msgs: Vec<(u64, Any)>,
    alone: &HashSet<u64>,
) -> Result<Vec<PlannedTx>, RelayError> {
    let (solo, batched): (Vec<_>, Vec<_>) =
        msgs.into_iter().partition(|(seq, _)| alone.contains(seq));
    let max_msgs = chain
        .config()
        .max_msg_num
        .saturating_sub(update.len())
        .max(1);
    let sizes: Vec<usize> = batched.iter().map(|(_, m)| m.encoded_len()).collect();
    let mut groups: Vec<Vec<(u64, Any)>> = Vec::new();
    let mut rest = batched.into_iter();
    for range in batches(&sizes, max_msgs, chain.config().max_tx_size) {
        groups.push(rest.by_ref().take(range.len()).collect());
    }
    if groups.is_empty() && !update.is_empty() {
        groups.push(Vec::new());
    }
    groups.extend(solo.into_iter().map(|m| vec![m]));
    let mut update = Some(update).filter(|u| !u.is_empty());
    let mut txs = Vec::with_capacity(groups.len());
    for group in groups {
        let carries_update = update.is_some();
        let mut batch: Vec<Any> = update.take().unwrap_or_default();
        let seqs: Vec<u64> = group.iter().map(|(s, _)| *s).collect();
        batch.extend(group.into_iter().map(|(_, m)| m));
        let journal = store.journal_add(&JournalStep::new(chain.id(), what, seqs.clone()))?;
        txs.push(PlannedTx {
            journal,
            seqs,
            msgs: batch,
            carries_update,
        });
    }
    Ok(txs)
}

/// Counts a tx's outcome in the metrics.
fn count_tx(
    chain: &ChainEndpoint,
    what: &str,
    result: &Result<crate::chain::TxResult, ChainError>,
) {
    let m = stateset_monitoring::global();
    m.txs_submitted.with_label_values(&[chain.id(), what]).inc();
    match result {
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
}

#[cfg(test)]
mod tests {
    use super::super::prove::tests::grpc;
    use super::*;

    #[test]
    fn a_refusal_for_a_missing_client_update_is_recognised() {
        let rejected = |log: &str| {
            Err(ChainError::Tx {
                chain: "c".into(),
                source: TxError::Rejected {
                    phase: crate::chain::tx::TxPhase::Simulate,
                    codespace: String::new(),
                    code: 2,
                    log: log.into(),
                },
            })
        };
        let log = "receive packet verification failed: couldn't verify counterparty packet \
                   commitment: failed packet commitment verification for client \
                   (07-tendermint-0): client state height < proof height ({1 289} < {1 290})";
        assert!(lacks_update(&rejected(log)));
        assert!(!lacks_update(&rejected("packet receipt already written")));
        assert!(!lacks_update(&Err(grpc(
            tonic::Code::Unknown,
            "transport error"
        ))));
    }

    #[test]
    fn transport_failures_are_never_held_against_messages() {
        assert!(!blames_messages(&grpc(
            tonic::Code::Unknown,
            "transport error"
        )));
        assert!(!blames_messages(&grpc(tonic::Code::Cancelled, "")));
        let rejected = ChainError::Tx {
            chain: "c".into(),
            source: TxError::Rejected {
                phase: crate::chain::tx::TxPhase::Simulate,
                codespace: String::new(),
                code: 2,
                log: "packet receipt already written".into(),
            },
        };
        assert!(blames_messages(&rejected));
    }

    /// A step at a shared client height falls back to the latest height only when it
    /// failed before any tx went out: then nothing of it can have taken effect.
    #[test]
    fn only_a_step_that_sent_nothing_for_an_error_is_proven_again() {
        let unproven = SubmitOutcome {
            error: Some(grpc(tonic::Code::InvalidArgument, "version does not exist")),
            ..SubmitOutcome::default()
        };
        assert!(unproven.nothing_sent_for_an_error());
        // Nothing to send is no failure: nothing to prove again.
        assert!(!SubmitOutcome::default().nothing_sent_for_an_error());
        let sent = SubmitOutcome {
            txs_sent: 1,
            ..unproven
        };
        assert!(!sent.nothing_sent_for_an_error(), "a tx went out");
    }
}
