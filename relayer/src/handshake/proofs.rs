//! Proven reads on the source chain at one height, and the client update the destination
//! needs before it can check them.

use ibc_proto::google::protobuf::Any;
use prost::Message;
use stateset_channels::ids::{parse_revision_number, Height};
use tendermint::block::Height as TmHeight;

use super::DriveError;
use crate::chain::{ChainEndpoint, ProvenValue};
use crate::client;

/// Values read at one height of the source chain, each with its encoded proof.
#[derive(Debug)]
pub struct ProvenSet {
    /// The values, in the order of the keys asked for.
    pub values: Vec<ProvenValue>,
    /// The proof height (the height whose header commits to them), as IBC messages carry it.
    pub proof_height: Height,
    /// The same as a CometBFT height.
    pub proof_block: TmHeight,
}

impl ProvenSet {
    /// The encoded proof of the `i`-th value (empty past the keys proven, which the chain
    /// refuses; callers ask only for the keys they passed to [`prove`]).
    pub fn proof(&self, i: usize) -> Vec<u8> {
        self.values
            .get(i)
            .map(|v| v.proof.encode_to_vec())
            .unwrap_or_default()
    }

    /// The `i`-th value, which must exist.
    pub fn value(&self, chain: &str, i: usize, what: &str) -> Result<&[u8], DriveError> {
        self.values
            .get(i)
            .and_then(|v| v.value.as_deref())
            .ok_or_else(|| DriveError::unexpected(chain, format!("{what} is absent")))
    }
}

/// Reads `keys` from `src`'s IBC store at its latest height (so that what the previous
/// step wrote is there), proofs verified against the next block's header.
pub async fn prove(src: &ChainEndpoint, keys: &[Vec<u8>]) -> Result<ProvenSet, DriveError> {
    let height = src.rpc().latest_height().await?;
    let values =
        futures::future::try_join_all(keys.iter().map(|k| src.query_proven(k, Some(height))))
            .await?;
    let proof_block = values
        .first()
        .map(|v| v.proof_height)
        .ok_or_else(|| DriveError::unexpected(src.id(), "nothing to prove".to_string()))?;
    Ok(ProvenSet {
        values,
        proof_height: ibc_height(src.id(), proof_block),
        proof_block,
    })
}

/// The IBC height of block `h` of `chain_id`.
pub fn ibc_height(chain_id: &str, h: TmHeight) -> Height {
    Height {
        revision_number: parse_revision_number(chain_id),
        revision_height: h.value(),
    }
}

/// The MsgUpdateClient messages that give `dst_client` on `dst` a consensus state of `src`
/// at `height` (none when it has one).
pub async fn client_update(
    dst: &ChainEndpoint,
    src: &ChainEndpoint,
    dst_client: &str,
    height: TmHeight,
) -> Result<Vec<Any>, DriveError> {
    let plan = client::update_msgs(dst, src.rpc(), src.id(), dst_client, height).await?;
    Ok(plan.map(|p| p.msgs).unwrap_or_default())
}

/// Decodes an `Any` stored in the IBC store (client states are stored that way).
pub fn decode_any(chain: &str, bytes: &[u8]) -> Result<Any, DriveError> {
    Any::decode(bytes).map_err(|e| DriveError::unexpected(chain, format!("stored Any: {e}")))
}
