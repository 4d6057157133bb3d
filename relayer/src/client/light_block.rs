//! Where light blocks (signed header + validator sets) of a tracked chain come from.

use std::future::Future;

use tendermint::block::Height as TmHeight;
use tendermint::validator;
use tendermint_light_client_verifier::types::{LightBlock, PeerId};

use tracing::{error, warn};

use crate::chain::{ChainError, RpcClient};

/// How long a witness that is behind is waited for before a header is submitted without
/// its word.
const WITNESS_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// A source of light blocks of one chain. The relayer reads them over RPC; tests wrap that
/// source to serve tampered blocks to the verifier.
pub trait LightBlockSource: Send + Sync {
    /// The light block at `height`: its signed header, its validator set (with the
    /// header's proposer) and the next height's validator set.
    fn light_block(
        &self,
        height: TmHeight,
    ) -> impl Future<Output = Result<LightBlock, ChainError>> + Send;

    /// Checks verified blocks with the chain's witnesses before they are submitted: a block
    /// a witness contradicts is an error (and evidence of an attack on this source). A
    /// source without witnesses confirms everything.
    fn confirm(
        &self,
        blocks: &[LightBlock],
    ) -> impl Future<Output = Result<(), ChainError>> + Send {
        let _ = blocks;
        std::future::ready(Ok(()))
    }
}

impl LightBlockSource for RpcClient {
    async fn light_block(&self, height: TmHeight) -> Result<LightBlock, ChainError> {
        // Three RPC calls: the commit, this height's validators and the next height's.
        let next = next_height(height).ok_or_else(|| ChainError::Decode {
            chain: self.chain_id().to_string(),
            method: "light_block",
            detail: format!("height {height} has no successor"),
        })?;
        // From one node, so that a failover cannot mix answers of different nodes.
        let (signed_header, validators, next_validators) =
            self.light_block_parts(height, next).await?;
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

    async fn confirm(&self, blocks: &[LightBlock]) -> Result<(), ChainError> {
        for witness in self.witnesses() {
            for block in blocks {
                let height = block.height();
                let ours = block.signed_header.header.hash();
                // A witness a few blocks behind is given a moment to reach the height.
                let deadline = tokio::time::Instant::now() + WITNESS_WAIT;
                while witness.latest_height().await.is_ok_and(|h| h < height)
                    && tokio::time::Instant::now() < deadline
                {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                match witness.signed_header(height).await {
                    Ok(theirs) if theirs.header.hash() == ours => {}
                    Ok(theirs) => {
                        error!(chain = self.chain_id(), %height, witness = %witness.url(),
                            ours = %ours, theirs = %theirs.header.hash(),
                            "a witness contradicts the header: not submitted (evidence of a fork or a lying node)");
                        return Err(ChainError::Decode {
                            chain: self.chain_id().to_string(),
                            method: "witness",
                            detail: format!(
                                "witness {} has block {height} as {}, the primary node as {ours}: the header is not submitted",
                                witness.url(),
                                theirs.header.hash()
                            ),
                        });
                    }
                    // A witness that is down or behind cannot contradict; say so and go on.
                    Err(e) => warn!(chain = self.chain_id(), %height, witness = %witness.url(),
                        error = %e, "witness could not confirm a header"),
                }
            }
        }
        Ok(())
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
