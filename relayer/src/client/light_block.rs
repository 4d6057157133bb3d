//! Where light blocks (signed header + validator sets) of a tracked chain come from.

use std::future::Future;

use tendermint::block::Height as TmHeight;
use tendermint::validator;
use tendermint_light_client_verifier::types::{LightBlock, PeerId};

use crate::chain::{ChainError, RpcClient};

/// A source of light blocks of one chain. The relayer reads them over RPC; tests wrap that
/// source to serve tampered blocks to the verifier.
pub trait LightBlockSource: Send + Sync {
    /// The light block at `height`: its signed header, its validator set (with the
    /// header's proposer) and the next height's validator set.
    fn light_block(
        &self,
        height: TmHeight,
    ) -> impl Future<Output = Result<LightBlock, ChainError>> + Send;
}

impl LightBlockSource for RpcClient {
    async fn light_block(&self, height: TmHeight) -> Result<LightBlock, ChainError> {
        // Three RPC calls: the commit, this height's validators and the next height's.
        let next = next_height(height).ok_or_else(|| ChainError::Decode {
            chain: self.chain_id().to_string(),
            method: "light_block",
            detail: format!("height {height} has no successor"),
        })?;
        let (signed_header, validators, next_validators) = tokio::try_join!(
            self.signed_header(height),
            self.validators(height),
            self.validators(next),
        )?;
        let proposer = signed_header.header.proposer_address;
        let validators = with_proposer(validators, Some(proposer));
        let next_validators = with_proposer(next_validators, None);
        Ok(LightBlock::new(
            signed_header,
            validators,
            next_validators,
            PeerId::new([0; 20]),
        ))
    }
}

/// The height after `height`, or `None` at the largest height CometBFT allows (never a panic:
/// heights come from chain data and clients anyone can create).
pub fn next_height(height: TmHeight) -> Option<TmHeight> {
    height
        .value()
        .checked_add(1)
        .and_then(|h| TmHeight::try_from(h).ok())
}

/// A validator set with a proposer: the one at `proposer` when given and present, else the
/// validator with the most voting power. (ibc-go requires a proposer in the validator sets of
/// a header; the set's hash does not include it.)
pub fn with_proposer(
    validators: Vec<validator::Info>,
    proposer: Option<tendermint::account::Id>,
) -> validator::Set {
    let chosen = proposer
        .and_then(|p| validators.iter().find(|v| v.address == p).cloned())
        .or_else(|| {
            validators
                .iter()
                .max_by(|a, b| {
                    a.power
                        .cmp(&b.power)
                        .then_with(|| b.address.cmp(&a.address))
                })
                .cloned()
        });
    validator::Set::new(validators, chosen)
}
