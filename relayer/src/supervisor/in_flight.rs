//! Settling the relay steps a previous run left in flight (the store's journal): before
//! anything is submitted to a chain again, each tx that was signed for it and may have been
//! broadcast is looked for by hash. Found, its messages took effect and the workers see so;
//! not found within [`SETTLE_BLOCKS`] blocks, it was dropped and its packets are relayed
//! again. Either way nothing that was in flight is sent a second time while it can still
//! land, which would cost a fee for a message the chain answers as redundant.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::chain::ChainEndpoint;
use crate::store::{JournalStep, Store, StoreError};

/// Blocks a journalled tx that is not found is waited for: a tx still in a mempool lands
/// within a block or two.
const SETTLE_BLOCKS: u64 = 3;
/// How often the chain is asked while waiting.
const POLL: Duration = Duration::from_millis(200);
/// The longest wait for one chain, whatever its block time.
const MAX_WAIT: Duration = Duration::from_secs(30);

/// Settles `chain`'s journalled steps, then removes them from the journal. Returns how many
/// of their txs were found in a block.
pub async fn settle(
    chain: &ChainEndpoint,
    store: &Store,
    shutdown: &CancellationToken,
) -> Result<usize, StoreError> {
    let steps = store.journal_steps_of(chain.id())?;
    if steps.is_empty() {
        return Ok(0);
    }
    let deadline = tokio::time::Instant::now() + MAX_WAIT;
    let mut found = 0;
    for (id, step) in steps {
        let landed = tokio::select! {
            _ = shutdown.cancelled() => return Ok(found),
            landed = tokio::time::timeout_at(deadline, landed_height(chain, &step)) => landed.ok().flatten(),
        };
        match landed {
            Some((hash, height)) => {
                found += 1;
                info!(chain = %chain.id(), what = %step.what, sequences = ?step.sequences, tx = %hash, height,
                    "a tx in flight at the last stop was included; its packets are not sent again");
            }
            None if step.tx_hashes.is_empty() => {
                debug!(chain = %chain.id(), what = %step.what, "a journalled step was never signed");
            }
            None => warn!(chain = %chain.id(), what = %step.what, sequences = ?step.sequences,
                hashes = ?step.tx_hashes, blocks = SETTLE_BLOCKS,
                "a tx in flight at the last stop was not included; its packets are relayed again"),
        }
        store.journal_done(id)?;
    }
    Ok(found)
}

/// The hash and height of the version of `step`'s tx that is in a block, if one is found
/// before the chain has gone [`SETTLE_BLOCKS`] blocks on from the first look.
async fn landed_height(chain: &ChainEndpoint, step: &JournalStep) -> Option<(String, u64)> {
    let hashes: Vec<(String, tendermint::Hash)> = step
        .tx_hashes
        .iter()
        .filter_map(|h| h.parse().ok().map(|parsed| (h.clone(), parsed)))
        .collect();
    if hashes.is_empty() {
        return None;
    }
    let mut first_height = None;
    loop {
        for (text, hash) in &hashes {
            if let Ok(Some(tx)) = chain.rpc().tx(*hash).await {
                return Some((text.clone(), tx.height.value()));
            }
        }
        if let Ok(latest) = chain.rpc().latest_height().await {
            let first = *first_height.get_or_insert(latest.value());
            if latest.value() >= first.saturating_add(SETTLE_BLOCKS) {
                return None;
            }
        }
        tokio::time::sleep(POLL).await;
    }
}
