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
use crate::chain::{ChainEndpoint, ChainError, ProvenValue};
use crate::client::ops::signer;
use crate::client::ClientError;
use crate::handshake::proofs::{client_update, ibc_height};
use crate::handshake::DriveError;
use crate::store::{JournalStep, Store};
use tendermint::block::Height as TmHeight;

/// At most this many proofs are queried at once.
const PROOF_CONCURRENCY: usize = 32;
/// Txs of one relay step in flight at once (signed in sequence order, included in parallel).
const MAX_IN_FLIGHT: usize = 8;

/// Proves `keys` on `chain` at `height`, else its latest height (at most
/// [`PROOF_CONCURRENCY`] at a time). A key whose proof could not be read for a transport
/// failure is `None`: its item waits for the next cycle while the others go on (see
/// [`keep_proven`]).
async fn prove_many(
    chain: &ChainEndpoint,
    keys: Vec<Vec<u8>>,
    height: Option<TmHeight>,
) -> Result<Vec<Option<ProvenValue>>, ChainError> {
    let height = match height {
        Some(h) => h,
        None => chain.rpc().latest_height().await?,
    };
    let results: Vec<Result<ProvenValue, ChainError>> = stream::iter(keys)
        .map(|k| async move { chain.query_proven(&k, Some(height)).await })
        .buffered(PROOF_CONCURRENCY)
        .collect()
        .await;
    let wanted = results.len();
    let kept = keep_proven(results)?;
    let missing = kept.iter().filter(|p| p.is_none()).count();
    if missing > 0 {
        debug!(chain = %chain.id(), missing, wanted, "some proofs could not be read; those items wait for the next cycle");
    }
    Ok(kept)
}

/// The proofs read, with `None` for those a transport failure kept from the relayer. Any
/// other failure (e.g. a proof that does not verify), or no proof read at all, is the error.
fn keep_proven<T>(results: Vec<Result<T, ChainError>>) -> Result<Vec<Option<T>>, ChainError> {
    let mut kept = Vec::with_capacity(results.len());
    let mut first_error = None;
    for result in results {
        match result {
            Ok(v) => kept.push(Some(v)),
            Err(e) if e.is_transient() => {
                first_error.get_or_insert(e);
                kept.push(None);
            }
            Err(e) => return Err(e),
        }
    }
    match first_error {
        Some(e) if kept.iter().all(Option::is_none) => Err(e),
        _ => Ok(kept),
    }
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
    /// Whether the tx that carried the MsgUpdateClient was included.
    pub update_landed: bool,
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
    let txs = plan_txs(chain, store, what, update.clone(), msgs, alone)?;
    let update = &update;
    // The txs are signed and broadcast in order (the submitter's sequence lock is fair),
    // then included in parallel: the first carries the client update the others need.
    let results: Vec<(PlannedTx, Result<_, ChainError>)> = stream::iter(txs)
        .map(|tx| send_planned(chain, store, what, tx, update))
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
                outcome.update_landed |= tx.carries_update;
                let skip = if tx.carries_update { update.len() } else { 0 };
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
    let request = ProofRequest {
        prover,
        submitter,
        seqs: &seqs,
        keys: &keys,
        has_shared,
    };
    let started = std::time::Instant::now();
    let Some(mut built) = request.build_at(None, &build).await? else {
        return Ok(SubmitOutcome::default());
    };
    let proven = started.elapsed();
    let update = match client_update(submitter, prover, client, built.proof_block).await {
        Ok(update) => update,
        // The client moved past the proof height meanwhile (the other direction's worker or
        // another relayer updated it): prove again at the client's own height, which needs
        // no update, instead of failing the step and proving everything again next cycle.
        Err(DriveError::Client(ClientError::Ahead { client_height, .. })) => {
            let at = TmHeight::try_from(client_height.saturating_sub(1)).ok();
            debug!(
                client,
                client_height, "client moved past the proof height; proving at its height"
            );
            let Some(again) = request.build_at(at, &build).await? else {
                return Ok(SubmitOutcome::default());
            };
            built = again;
            client_update(submitter, prover, client, built.proof_block).await?
        }
        Err(e) => return Err(e.into()),
    };
    let updated = started.elapsed();
    let outcome = send_batched(submitter, store, what, update, built.msgs, alone).await?;
    debug!(
        what,
        proven_ms = proven.as_millis(),
        updated_ms = updated.as_millis(),
        included_ms = started.elapsed().as_millis(),
        "relay step timings"
    );
    if outcome.update_landed {
        count_client_update(submitter, client, prover);
    }
    Ok(outcome)
}

/// The keys of one relay step (the shared key last, when there is one).
struct ProofRequest<'a> {
    prover: &'a ChainEndpoint,
    submitter: &'a ChainEndpoint,
    seqs: &'a [u64],
    keys: &'a [Vec<u8>],
    has_shared: bool,
}

/// The messages of one relay step, built from proofs at one height.
struct BuiltStep {
    msgs: Vec<(u64, Any)>,
    proof_block: TmHeight,
}

impl ProofRequest<'_> {
    /// Proves the keys at `height` (the latest when `None`) and builds the messages;
    /// `None` when nothing can be built this cycle.
    async fn build_at(
        &self,
        height: Option<TmHeight>,
        build: &impl Fn(usize, Proven<'_>) -> Option<Any>,
    ) -> Result<Option<BuiltStep>, RelayError> {
        let mut proofs = prove_many(self.prover, self.keys.to_vec(), height).await?;
        let shared_proof = self.has_shared.then(|| proofs.pop().flatten()).flatten();
        // Without the shared proof (when one is needed) no message can be built: next cycle.
        let missing_shared = self.has_shared && shared_proof.is_none();
        let (Some(first), false) = (proofs.iter().flatten().next(), missing_shared) else {
            return Ok(None);
        };
        let proof_block = first.proof_height;
        let proof_height = ibc_height(self.prover.id(), proof_block);
        let signer = signer(self.submitter)?;
        let mut msgs = Vec::new();
        for (i, (proof, seq)) in proofs.iter().zip(self.seqs).enumerate() {
            let Some(proof) = proof else { continue };
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
        Ok((!msgs.is_empty()).then_some(BuiltStep { msgs, proof_block }))
    }
}

/// Counts a MsgUpdateClient of `client` (on `host`, tracking `tracked`) that was included.
fn count_client_update(host: &ChainEndpoint, client: &str, tracked: &ChainEndpoint) {
    let label =
        stateset_monitoring::bounded_label(stateset_monitoring::LabelFamily::ClientId, client);
    stateset_monitoring::global()
        .client_updates
        .with_label_values(&[host.id(), &label, tracked.id()])
        .inc();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grpc(code: tonic::Code, message: &str) -> ChainError {
        ChainError::Grpc {
            chain: "c".into(),
            method: "abci_query",
            code,
            message: message.into(),
        }
    }

    #[test]
    fn proofs_lost_in_transit_wait_while_the_others_go_on() {
        let lost = || Err(grpc(tonic::Code::Unavailable, "connection reset"));
        let kept = keep_proven(vec![Ok(1), lost(), Ok(3)]).unwrap();
        assert_eq!(kept, vec![Some(1), None, Some(3)]);
        assert!(keep_proven::<u8>(vec![lost(), lost()]).is_err());
        assert_eq!(keep_proven::<u8>(vec![]).unwrap(), vec![]);
    }

    #[test]
    fn a_proof_that_fails_for_good_fails_the_step() {
        let bad = Err(grpc(tonic::Code::InvalidArgument, "bad key"));
        assert!(keep_proven(vec![Ok(1), bad]).is_err());
    }

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
}
