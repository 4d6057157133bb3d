//! ICS-23 proofs of IBC store keys.
//!
//! `abci_query("store/<prefix>/key", key, height H, prove)` answers with two proof ops:
//! an IAVL proof of the key in the IBC substore, and a "simple" proof of the substore's
//! root in the multistore. Together they are an IBC `MerkleProof`, verified here
//! against the app hash in the header of height H+1, which commits to the state after H.

use ibc_proto::ibc::core::commitment::v1::MerkleProof;
use ics23::commitment_proof::Proof;
use ics23::{CommitmentProof, HostFunctionsManager, ProofSpec};
use prost::Message;
use tendermint::merkle::proof::ProofOps;

/// Why a proof could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    /// The node answered the query with an error code.
    #[error("abci_query {path} failed with code {code}: {log}")]
    Query {
        /// The query path.
        path: String,
        /// ABCI code.
        code: u32,
        /// The node's log.
        log: String,
    },
    /// The answer carried no proof.
    #[error("abci_query {path} at height {height} returned no proof")]
    Missing {
        /// The query path.
        path: String,
        /// The queried height.
        height: u64,
    },
    /// The proof does not have the expected shape.
    #[error("malformed proof: {0}")]
    Malformed(String),
    /// The proof does not verify against the root.
    #[error("proof of key {key} does not verify against app hash {root}: {step}")]
    Invalid {
        /// The key, hex.
        key: String,
        /// The root, hex.
        root: String,
        /// Which step failed.
        step: String,
    },
}

/// The ICS-23 specs of a Cosmos SDK chain, in proof order: IAVL substore, then multistore.
pub fn sdk_proof_specs() -> Vec<ProofSpec> {
    vec![ics23::iavl_spec(), ics23::tendermint_spec()]
}

/// Turns the proof ops of an ABCI query into an IBC `MerkleProof`.
pub fn merkle_proof_from_ops(ops: &ProofOps) -> Result<MerkleProof, ProofError> {
    let proofs = ops
        .ops
        .iter()
        .enumerate()
        .map(|(i, op)| {
            CommitmentProof::decode(op.data.as_slice()).map_err(|e| {
                ProofError::Malformed(format!("proof op {i} ({}): {e}", op.field_type))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MerkleProof { proofs })
}

/// Verifies that `store_prefix`/`key` holds `value` (membership) or holds nothing
/// (`value == None`, non-membership) under the multistore root `app_hash`.
pub fn verify_merkle_proof(
    proof: &MerkleProof,
    specs: &[ProofSpec],
    app_hash: &[u8],
    store_prefix: &str,
    key: &[u8],
    value: Option<&[u8]>,
) -> Result<(), ProofError> {
    let ([store_proof, root_proof], [store_spec, root_spec]) = (proof.proofs.as_slice(), specs)
    else {
        return Err(ProofError::Malformed(format!(
            "{} proofs for {} specs (two of each expected: substore and multistore)",
            proof.proofs.len(),
            specs.len()
        )));
    };
    let invalid = |step: &str| ProofError::Invalid {
        key: hex::encode(key),
        root: hex::encode(app_hash),
        step: step.to_string(),
    };
    // The root the substore proof computes; the multistore proof must commit to it.
    let subroot =
        subroot_of(store_proof).ok_or_else(|| invalid("substore proof computes no root"))?;
    let ok = match value {
        Some(v) => ics23::verify_membership::<HostFunctionsManager>(
            store_proof,
            store_spec,
            &subroot,
            key,
            v,
        ),
        None => ics23::verify_non_membership::<HostFunctionsManager>(
            store_proof,
            store_spec,
            &subroot,
            key,
        ),
    };
    if !ok {
        return Err(invalid(if value.is_some() {
            "key/value not proven in the substore"
        } else {
            "key absence not proven in the substore"
        }));
    }
    let app_hash = app_hash.to_vec();
    if !ics23::verify_membership::<HostFunctionsManager>(
        root_proof,
        root_spec,
        &app_hash,
        store_prefix.as_bytes(),
        &subroot,
    ) {
        return Err(invalid("substore root not proven in the app hash"));
    }
    Ok(())
}

/// The root an existence or non-existence proof computes.
fn subroot_of(proof: &CommitmentProof) -> Option<Vec<u8>> {
    let exist = match proof.proof.as_ref()? {
        Proof::Exist(e) => e,
        Proof::Nonexist(n) => n.left.as_ref().or(n.right.as_ref())?,
        _ => return None,
    };
    ics23::calculate_existence_root::<HostFunctionsManager>(exist).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_mismatch_is_malformed() {
        let proof = MerkleProof { proofs: vec![] };
        let err = verify_merkle_proof(&proof, &sdk_proof_specs(), b"root", "ibc", b"k", Some(b"v"))
            .unwrap_err();
        assert!(matches!(err, ProofError::Malformed(_)), "{err}");
    }

    #[test]
    fn empty_proofs_do_not_verify() {
        let proof = MerkleProof {
            proofs: vec![CommitmentProof::default(), CommitmentProof::default()],
        };
        let err = verify_merkle_proof(&proof, &sdk_proof_specs(), b"root", "ibc", b"k", Some(b"v"))
            .unwrap_err();
        assert!(matches!(err, ProofError::Invalid { .. }), "{err}");
    }
}
