//! Proving a relay step's items: proofs of many keys from one height, read a tx's worth at a
//! time so that the first tx can be signed while the later ones are still being proven.

use std::ops::Range;

use futures::stream::{self, StreamExt};
use ibc_proto::google::protobuf::Any;
use tendermint::block::Height as TmHeight;
use tracing::debug;

use super::error::RelayError;
use crate::chain::{ChainEndpoint, ChainError, ProvenValue};
use crate::client::ops::signer;
use crate::handshake::proofs::ibc_height;

/// At most this many proofs of one chunk are queried at once.
const PROOF_CONCURRENCY: usize = 32;

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

/// Proves `keys` on `chain` at `height`, else its latest height (at most
/// [`PROOF_CONCURRENCY`] at a time). A key whose proof could not be read for a transport
/// failure is `None`: its item waits for the next cycle while the others go on (see
/// [`keep_proven`]).
pub(super) async fn prove_many(
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

/// The index ranges of `len` items proven a chunk at a time: one tx's worth each
/// (`max_msgs`), the first one message shorter, for the MsgUpdateClient in front of it.
pub(super) fn chunk_ranges(len: usize, max_msgs: usize) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut size = max_msgs.saturating_sub(1).max(1);
    while start < len {
        let end = start.saturating_add(size).min(len);
        ranges.push(start..end);
        start = end;
        size = max_msgs.max(1);
    }
    ranges
}

/// The items of one relay step and what their messages are built with: proofs from one
/// query height, the shared proof, the signer.
pub(super) struct StepProofs<'a, B> {
    /// The chain the proofs come from.
    pub prover: &'a ChainEndpoint,
    /// Each item's sequence.
    pub seqs: &'a [u64],
    /// Each item's key, in the same order.
    pub keys: &'a [Vec<u8>],
    /// The proof of the shared key, when the step has one.
    pub shared: Option<&'a ProvenValue>,
    /// The height the proofs are queried at (they prove against the next header).
    pub height: TmHeight,
    /// The submitter's address.
    pub signer: &'a str,
    /// Builds an item's message from its index and proofs (`None`: skip that one).
    pub build: &'a B,
}

impl<B: Fn(usize, Proven<'_>) -> Option<Any>> StepProofs<'_, B> {
    /// Proves the items of `range` and builds their messages, keyed by sequence; an item
    /// whose proof a transport failure kept back is left out (it waits for the next cycle).
    pub async fn chunk(&self, range: Range<usize>) -> Result<Vec<(u64, Any)>, ChainError> {
        let (Some(keys), Some(seqs)) = (self.keys.get(range.clone()), self.seqs.get(range.clone()))
        else {
            return Ok(Vec::new());
        };
        let proofs = prove_many(self.prover, keys.to_vec(), Some(self.height)).await?;
        let mut msgs = Vec::with_capacity(proofs.len());
        for ((i, proof), seq) in range.zip(&proofs).zip(seqs) {
            let Some(proof) = proof else { continue };
            let proven = Proven {
                own: proof,
                shared: self.shared,
                height: ibc_height(self.prover.id(), proof.proof_height),
                signer: self.signer,
            };
            if let Some(msg) = (self.build)(i, proven) {
                msgs.push((*seq, msg));
            }
        }
        Ok(msgs)
    }
}

/// The keys of one relay step (the shared key last, when there is one), all proven before
/// any is submitted: the way a step is proven again at the client's own height.
pub(super) struct ProofRequest<'a> {
    pub prover: &'a ChainEndpoint,
    pub submitter: &'a ChainEndpoint,
    pub seqs: &'a [u64],
    pub keys: &'a [Vec<u8>],
    pub has_shared: bool,
}

/// The messages of one relay step, built from proofs at one height.
pub(super) struct BuiltStep {
    pub msgs: Vec<(u64, Any)>,
    pub proof_block: TmHeight,
}

impl ProofRequest<'_> {
    /// Proves the keys at `height` (the latest when `None`) and builds the messages;
    /// `None` when nothing can be built this cycle.
    pub async fn build_at(
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A gRPC failure of `abci_query` with `code` (shared with `submit`'s tests).
    pub(in crate::relay) fn grpc(code: tonic::Code, message: &str) -> ChainError {
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
    fn chunks_are_a_tx_each_the_first_leaving_room_for_the_update() {
        assert_eq!(chunk_ranges(0, 30), Vec::<Range<usize>>::new());
        assert_eq!(chunk_ranges(10, 30), vec![0..10]);
        assert_eq!(chunk_ranges(70, 30), vec![0..29, 29..59, 59..70]);
        // One message per tx: the update gets a tx of its own.
        assert_eq!(chunk_ranges(2, 1), vec![0..1, 1..2]);
        assert_eq!(chunk_ranges(3, 0), vec![0..1, 1..2, 2..3]);
    }
}
