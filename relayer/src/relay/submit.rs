//! Submitting relay messages: proofs from one height, the client update in front, batches
//! bounded by the chain's `max_msg_num` and `max_tx_size`, several txs in flight.

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
/// `client` (of `prover`) needs in front, and submits in batches. Returns the sequences
/// that landed.
#[allow(clippy::too_many_arguments)]
pub(super) async fn prove_and_submit(
    prover: &ChainEndpoint,
    submitter: &ChainEndpoint,
    client: &str,
    store: &Store,
    what: &str,
    items: Vec<(u64, Vec<u8>)>,
    shared: Option<Vec<u8>>,
    build: impl Fn(usize, Proven<'_>) -> Option<Any>,
) -> Result<Vec<u64>, RelayError> {
    let (seqs, mut keys): (Vec<u64>, Vec<Vec<u8>>) = items.into_iter().unzip();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let has_shared = shared.is_some();
    keys.extend(shared);
    let mut proofs = prove_many(prover, keys).await?;
    let shared_proof = if has_shared { proofs.pop() } else { None };
    let Some(first) = proofs.first() else {
        return Ok(Vec::new());
    };
    let proof_block = first.proof_height;
    let proof_height = ibc_height(prover.id(), proof_block);
    let signer = signer(submitter)?;
    let mut msgs = Vec::new();
    let mut landed_seqs = Vec::new();
    for (i, proof) in proofs.iter().enumerate() {
        let proven = Proven {
            own: proof,
            shared: shared_proof.as_ref(),
            height: proof_height,
            signer: &signer,
        };
        if let Some(msg) = build(i, proven) {
            msgs.push(msg);
            landed_seqs.push(seqs[i]);
        }
    }
    let update = client_update(submitter, prover, client, proof_block).await?;
    let landed = send_batched(submitter, store, what, update, msgs).await?;
    landed_seqs.truncate(landed);
    Ok(landed_seqs)
}
