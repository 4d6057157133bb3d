//! Submitting relay messages: proofs from one height, the client update in front, batches
//! bounded by the chain's `max_msg_num` and `max_tx_size`, several txs in flight.

use std::collections::HashSet;

use futures::stream::{self, StreamExt, TryStreamExt};
use ibc_proto::google::protobuf::Any;
use prost::Message;
use stateset_channels::packet::batches;
use tracing::{debug, warn};

use super::worker::RelayError;
use crate::chain::tx::TxError;
use crate::chain::{ChainEndpoint, ChainError, ProvenValue};
use crate::client::ops::signer;
use crate::handshake::proofs::{client_update, ibc_height};
use crate::store::Store;

/// At most this many proofs are queried at once.
const PROOF_CONCURRENCY: usize = 16;
/// Txs of one relay step in flight at once (signed in sequence order, included in parallel).
const MAX_IN_FLIGHT: usize = 8;
const MEMO: &str = "stateset-relayer";

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
        ChainError::Key { .. } | ChainError::GrpcConnect { .. } | ChainError::Timeout { .. } => {
            false
        }
        other => !other.is_transient(),
    }
}

/// Submits `msgs` (one per sequence of `seqs`) on `chain`: the ones in `alone` each in a tx
/// of its own, the rest in batches bounded by its `max_msg_num` and `max_tx_size`; `update`
/// rides in the first tx (in a tx of its own when there is no batch). A tx that fails after
/// the update's tx failed is not held against its messages.
async fn send_batched(
    chain: &ChainEndpoint,
    store: &Store,
    what: &str,
    update: Vec<Any>,
    msgs: Vec<(u64, Any)>,
    alone: &HashSet<u64>,
) -> Result<SubmitOutcome, RelayError> {
    let txs = plan_txs(chain, store, what, update, msgs, alone)?;
    // The txs are signed and broadcast in order (the submitter's sequence lock is fair),
    // then included in parallel: the first carries the client update the others need.
    let results: Vec<(PlannedTx, Result<_, ChainError>)> = stream::iter(txs)
        .map(|tx| async move {
            let result = chain.send_msgs(tx.msgs.clone(), MEMO).await;
            (tx, result)
        })
        .buffered(MAX_IN_FLIGHT)
        .collect()
        .await;
    let mut outcome = SubmitOutcome::default();
    let mut update_failed = false;
    for (tx, result) in results {
        store.journal_done(tx.journal)?;
        count_tx(chain, what, &result);
        match result {
            Ok(included) => {
                debug!(chain = %chain.id(), tx = %included.hash, what, count = tx.seqs.len(),
                    gas = included.gas_used, "batch included");
                outcome.landed.extend(tx.seqs);
            }
            Err(ChainError::Tx {
                source: TxError::RedundantPacket { .. },
                ..
            }) => {
                update_failed |= tx.carries_update;
                outcome.redundant.extend(tx.seqs);
            }
            Err(e) => {
                let blamed = blames_messages(&e) && (tx.carries_update || !update_failed);
                update_failed |= tx.carries_update;
                match tx.seqs.as_slice() {
                    [seq] if blamed => outcome.failed_alone.push((*seq, e.to_string())),
                    seqs if blamed => outcome.suspects.extend_from_slice(seqs),
                    _ => {}
                }
                outcome.error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = &outcome.error {
        warn!(chain = %chain.id(), what, landed = outcome.landed.len(), error = %e,
            "a batch failed; the rest is retried next cycle");
    }
    Ok(outcome)
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
        let journal = store.journal_add(chain.id(), &format!("{what} {seqs:?}"))?;
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

/// What a relay message is built from: the proof of its own key, the proof of the shared
/// key (if any) at the same height, the proof height and the signer.
pub(super) struct Proven<'a> {
    /// The proof of the item's key.
    pub own: &'a ProvenValue,
    /// The proof of the shared key (e.g. the closed channel end for MsgTimeoutOnClose).
    pub shared: Option<&'a ProvenValue>,
    /// The height both proofs are from.
    pub height: stateset_channels::Height,
    /// The submitter's address.
    pub signer: &'a str,
}

/// Proves `keys` (and `shared`, once) on `prover` at one height, builds one message per
/// proof with `build` (`None`: skip that one), puts the MsgUpdateClient that `submitter`'s
/// `client` (of `prover`) needs in front, and submits; the sequences in `alone` each in a
/// tx of its own. Returns what became of each sequence.
#[allow(clippy::too_many_arguments)]
pub(super) async fn prove_and_submit(
    prover: &ChainEndpoint,
    submitter: &ChainEndpoint,
    client: &str,
    store: &Store,
    what: &str,
    items: Vec<(u64, Vec<u8>)>,
    shared: Option<Vec<u8>>,
    alone: &HashSet<u64>,
    build: impl Fn(usize, Proven<'_>) -> Option<Any>,
) -> Result<SubmitOutcome, RelayError> {
    let (seqs, mut keys): (Vec<u64>, Vec<Vec<u8>>) = items.into_iter().unzip();
    if keys.is_empty() {
        return Ok(SubmitOutcome::default());
    }
    let has_shared = shared.is_some();
    keys.extend(shared);
    let mut proofs = prove_many(prover, keys).await?;
    let shared_proof = if has_shared { proofs.pop() } else { None };
    let Some(first) = proofs.first() else {
        return Ok(SubmitOutcome::default());
    };
    let proof_block = first.proof_height;
    let proof_height = ibc_height(prover.id(), proof_block);
    let signer = signer(submitter)?;
    let mut msgs = Vec::new();
    for (i, (proof, seq)) in proofs.iter().zip(&seqs).enumerate() {
        let proven = Proven {
            own: proof,
            shared: shared_proof.as_ref(),
            height: proof_height,
            signer: &signer,
        };
        if let Some(msg) = build(i, proven) {
            msgs.push((*seq, msg));
        }
    }
    if msgs.is_empty() {
        return Ok(SubmitOutcome::default());
    }
    let update = client_update(submitter, prover, client, proof_block).await?;
    send_batched(submitter, store, what, update, msgs, alone).await
}
