//! One relay step from proofs to inclusion. It chooses the proof height first. When the
//! submitter's client of the prover is known from earlier steps ([`client_heights`]) to be
//! past the block that wrote every item, the step proves at that height and sends no
//! MsgUpdateClient. Otherwise it proves
//! at the prover's latest height and puts an update in front. Then it proves a tx's worth
//! at a time and submits each tx as soon as its proofs are in.

use std::collections::HashSet;

use futures::stream::{self, StreamExt};
use ibc_proto::google::protobuf::Any;
use stateset_channels::parse_revision_number;
use stateset_channels::proof_height::shared_query_height;
use tendermint::block::Height as TmHeight;
use tracing::debug;

use super::client_heights;
use super::error::RelayError;
use super::prove::{chunk_ranges, prove_many, ProofRequest, Proven, StepProofs};
use super::submit::{send_chunks, SubmitOutcome};
use crate::chain::{ChainEndpoint, ChainError};
use crate::client::light_block::next_height;
use crate::client::ops::signer;
use crate::client::ClientError;
use crate::handshake::proofs::client_update;
use crate::handshake::DriveError;
use crate::store::Store;

/// Chunks of a relay step (a tx's worth each) proven at once.
const CHUNKS_AHEAD: usize = 1;

/// Where a relay step's proofs come from and its messages go.
pub(super) struct StepRoute<'a> {
    /// The chain the items are proven on.
    pub prover: &'a ChainEndpoint,
    /// The chain the messages are submitted to.
    pub submitter: &'a ChainEndpoint,
    /// The submitter's client of the prover.
    pub client: &'a str,
    /// The store (journal).
    pub store: &'a Store,
    /// The step's kind, for logs, metrics and the journal.
    pub what: &'a str,
    /// Sequences to send each in a tx of its own.
    pub alone: &'a HashSet<u64>,
    /// The highest block that wrote any item. `None` when it is not known, or when the
    /// step proves an absence (timeouts): then the step proves at the latest height.
    pub written_by: Option<u64>,
}

/// A step's items (sequences and keys in the same order) and the key proven once for all.
struct StepKeys<'a> {
    seqs: &'a [u64],
    keys: &'a [Vec<u8>],
    shared: Option<&'a Vec<u8>>,
}

/// Proves `items` (and `shared`, once) on the route's prover at one height, builds one
/// message per proof with `build` (`None`: skip that one) and submits them, the sequences
/// in `alone` each in a tx of its own. Returns what became of each sequence.
///
/// The height is one the client is known to hold when it is past every item's block
/// ([`shared_height`]): no MsgUpdateClient. Otherwise it is the prover's latest, and the
/// update the client needs rides in the first tx. When the proofs at the client's height
/// cannot be read (a node that prunes old state) and nothing was sent, the step proves at
/// the latest.
pub(super) async fn prove_and_submit(
    route: &StepRoute<'_>,
    items: Vec<(u64, Vec<u8>)>,
    shared: Option<Vec<u8>>,
    build: impl Fn(usize, Proven<'_>) -> Option<Any>,
) -> Result<SubmitOutcome, RelayError> {
    let (seqs, keys): (Vec<u64>, Vec<Vec<u8>>) = items.into_iter().unzip();
    if keys.is_empty() {
        return Ok(SubmitOutcome::default());
    }
    let step = StepKeys {
        seqs: &seqs,
        keys: &keys,
        shared: shared.as_ref(),
    };
    let latest = route.prover.rpc().latest_height().await?;
    if let Some(query) = shared_height(route, latest) {
        match submit_at(route, &step, query, false, &build).await? {
            Submitted::Done(outcome) if !outcome.nothing_sent_for_an_error() => {
                count_update_shared(route);
                return Ok(*outcome);
            }
            _ => debug!(what = route.what, client = route.client, query = %query,
                "the proofs at the client's height could not be read; proving at the latest height"),
        }
    }
    let outcome = match submit_at(route, &step, latest, true, &build).await? {
        Submitted::Done(outcome) => *outcome,
        Submitted::ClientAhead(client_height) => {
            note_client_height(route, client_height);
            let keys: Vec<Vec<u8>> = keys.iter().cloned().chain(shared.clone()).collect();
            let request = ProofRequest {
                prover: route.prover,
                submitter: route.submitter,
                seqs: &seqs,
                keys: &keys,
                has_shared: shared.is_some(),
            };
            let at = TmHeight::try_from(client_height.saturating_sub(1)).ok();
            debug!(
                client = route.client,
                client_height, "client moved past the proof height; proving at its height"
            );
            return prove_all_at(route, &request, at, &build).await;
        }
    };
    if outcome.update_landed {
        count_client_update(route);
    }
    // A message that landed was proven at a height the client held, and so did the update.
    if outcome.update_landed || !outcome.landed.is_empty() {
        note_client_height(route, latest.value().saturating_add(1));
    }
    Ok(outcome)
}

/// The query height at which the step can prove against the consensus state the client
/// is known to hold ([`client_heights`], see [`shared_query_height`]); `None` when its
/// items' blocks are not known, or the client is not known to be past them.
fn shared_height(route: &StepRoute<'_>, latest: TmHeight) -> Option<TmHeight> {
    let written_by = route.written_by?;
    let client = client_heights::known(route.submitter.id(), route.client)?;
    let revision = parse_revision_number(route.prover.id());
    let query = shared_query_height(written_by, client, revision, latest.value())?;
    TmHeight::try_from(query).ok()
}

/// Notes that the route's client holds a consensus state at block `height` of the prover.
fn note_client_height(route: &StepRoute<'_>, height: u64) {
    let height = stateset_channels::Height {
        revision_number: parse_revision_number(route.prover.id()),
        revision_height: height,
    };
    client_heights::note(route.submitter.id(), route.client, height);
}

/// How the streamed submission of a relay step ended.
enum Submitted {
    /// Its txs went out; what became of them.
    Done(Box<SubmitOutcome>),
    /// The client was past the proof height (at this height): nothing was sent.
    ClientAhead(u64),
}

/// Proves the step's items at query height `height` a chunk at a time and submits them,
/// with the MsgUpdateClient for the proof height in front when `with_update`.
async fn submit_at(
    route: &StepRoute<'_>,
    step: &StepKeys<'_>,
    height: TmHeight,
    with_update: bool,
    build: &impl Fn(usize, Proven<'_>) -> Option<Any>,
) -> Result<Submitted, RelayError> {
    let (prover, submitter) = (route.prover, route.submitter);
    let started = std::time::Instant::now();
    let shared_proof = match step.shared {
        None => None,
        // Without the shared proof no message can be built: next cycle.
        Some(key) => match prove_many(prover, vec![key.clone()], Some(height))
            .await?
            .pop()
        {
            Some(Some(proof)) => Some(proof),
            _ => return Ok(Submitted::Done(Box::default())),
        },
    };
    let proof_block = next_height(height).ok_or_else(|| ChainError::Decode {
        chain: prover.id().to_string(),
        method: "status",
        detail: format!("height {height} has no successor to prove at"),
    })?;
    let signer = signer(submitter)?;
    let proofs = StepProofs {
        prover,
        seqs: step.seqs,
        keys: step.keys,
        shared: shared_proof.as_ref(),
        height,
        signer: &signer,
        build,
    };
    let ranges = chunk_ranges(step.keys.len(), submitter.config().max_msg_num);
    // The chunks are proven eagerly, whatever the sending does: a proof future that waited
    // unpolled while holding the prover's header lock would stall every other step.
    let (proven_tx, proven_rx) = futures::channel::mpsc::unbounded();
    let prove_chunks = async move {
        let mut chunks = stream::iter(ranges)
            .map(|range| proofs.chunk(range))
            .buffered(CHUNKS_AHEAD);
        while let Some(chunk) = chunks.next().await {
            if proven_tx.unbounded_send(chunk).is_err() {
                break; // the submission ended early
            }
        }
    };
    let submit = async {
        let update = match with_update {
            false => Vec::new(),
            true => match update_for(route, proof_block).await {
                Ok(update) => update,
                // The client moved past the proof height meanwhile (the other direction's
                // worker or another relayer updated it): prove again at the client's own
                // height, which needs no update, instead of failing the step.
                Err(DriveError::Client(ClientError::Ahead { client_height, .. })) => {
                    return Ok(Submitted::ClientAhead(client_height))
                }
                Err(e) => return Err(RelayError::from(e)),
            },
        };
        let update_ready = started.elapsed();
        let (store, what, alone) = (route.store, route.what, route.alone);
        let outcome = send_chunks(submitter, store, what, update, proven_rx, alone).await?;
        debug!(
            what,
            update_ms = update_ready.as_millis(),
            included_ms = started.elapsed().as_millis(),
            "relay step timings"
        );
        Ok(Submitted::Done(Box::new(outcome)))
    };
    let ((), submitted) = tokio::join!(prove_chunks, submit);
    submitted
}

/// The MsgUpdateClient that brings the route's client to `proof_block`, once our own light
/// client of the prover has verified that block's header (meanwhile the first chunks are
/// proven).
async fn update_for(route: &StepRoute<'_>, proof_block: TmHeight) -> Result<Vec<Any>, DriveError> {
    route.prover.wait_for_header(proof_block).await?;
    client_update(route.submitter, route.prover, route.client, proof_block).await
}

/// Proves every item of `request` (and its shared key) at `at`, the client's own height, so
/// no update is needed unless the client moved again, and submits the messages.
async fn prove_all_at(
    route: &StepRoute<'_>,
    request: &ProofRequest<'_>,
    at: Option<TmHeight>,
    build: &impl Fn(usize, Proven<'_>) -> Option<Any>,
) -> Result<SubmitOutcome, RelayError> {
    let Some(built) = request.build_at(at, build).await? else {
        return Ok(SubmitOutcome::default());
    };
    let update = client_update(
        route.submitter,
        route.prover,
        route.client,
        built.proof_block,
    )
    .await?;
    let msgs = stream::iter([Ok(built.msgs)]);
    let (store, what, alone) = (route.store, route.what, route.alone);
    let outcome = send_chunks(route.submitter, store, what, update, msgs, alone).await?;
    if outcome.update_landed {
        count_client_update(route);
    }
    Ok(outcome)
}

/// Counts a MsgUpdateClient of the route's client that was included.
fn count_client_update(route: &StepRoute<'_>) {
    stateset_monitoring::global()
        .client_updates
        .with_label_values(&client_labels(route))
        .inc();
}

/// Counts a step that proved at the client's own height and sent no MsgUpdateClient.
fn count_update_shared(route: &StepRoute<'_>) {
    stateset_monitoring::global()
        .client_updates_shared
        .with_label_values(&client_labels(route))
        .inc();
}

/// The host, client and tracked chain labels of the route's client.
fn client_labels<'a>(route: &StepRoute<'a>) -> [String; 3] {
    use stateset_monitoring::{bounded_label, LabelFamily};
    [
        route.submitter.id().to_string(),
        bounded_label(LabelFamily::ClientId, route.client),
        route.prover.id().to_string(),
    ]
}
