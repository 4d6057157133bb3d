//! Settling the relay steps a previous run left in flight (the store's journal): before
//! anything is submitted to a chain again, each tx that was signed for it and may have been
//! broadcast is looked for by hash. Found, its messages took effect and the workers see so;
//! not found once the account's sequence has passed it (or stood still for
//! [`SETTLE_BLOCKS`] blocks), it was dropped and its packets are relayed again. Either way nothing that was in flight is sent a second time while it can still
//! land, which would cost a fee for a message the chain answers as redundant.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::chain::ChainEndpoint;
use crate::store::{JournalStep, Store, StoreError};

/// Blocks a journalled tx that is not found is waited for while the account's sequence does
/// not move: a tx still in a mempool lands within a block or two.
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
                hashes = ?step.tx_hashes, max_sequence = ?step.max_sequence,
                "a tx in flight at the last stop was not included; its packets are relayed again"),
        }
        store.journal_done(id)?;
    }
    Ok(found)
}

/// The hash and height of the version of `step`'s tx that is in a block, if one is found
/// before it is known that none can land: the account's sequence on chain has passed every
/// version's (and a block more went by, for the node's tx index), or it has not moved for
/// [`SETTLE_BLOCKS`] blocks (the tx is not in a mempool). An entry without sequences (an
/// older version's) is given [`SETTLE_BLOCKS`] blocks.
async fn landed_height(chain: &ChainEndpoint, step: &JournalStep) -> Option<(String, u64)> {
    let hashes: Vec<(String, tendermint::Hash)> = step
        .tx_hashes
        .iter()
        .filter_map(|h| h.parse().ok().map(|parsed| (h.clone(), parsed)))
        .collect();
    if hashes.is_empty() {
        return None;
    }
    let mut settling = Settling::new(step.max_sequence);
    loop {
        for (text, hash) in &hashes {
            if let Ok(Some(tx)) = chain.rpc().tx(*hash).await {
                return Some((text.clone(), tx.height.value()));
            }
        }
        if let Ok(latest) = chain.rpc().latest_height().await {
            let sequence = account_sequence(chain).await;
            if settling.gone(latest.value(), sequence) {
                return None;
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The relayer's account sequence on `chain`, when it can be read.
async fn account_sequence(chain: &ChainEndpoint) -> Option<u64> {
    let address = chain.signer_address()?;
    chain.grpc().account(address).await.ok().map(|a| a.sequence)
}

/// What settling a journalled tx has seen of its chain: decides when no version of the tx
/// can be in a block or a mempool any more.
#[derive(Debug)]
struct Settling {
    /// The highest account sequence a version was signed with (`None`: not journalled).
    max_sequence: Option<u64>,
    /// The height from which the blocks are counted: the first look, then the last height
    /// at which the account's sequence moved.
    since: Option<u64>,
    /// The account sequence last seen.
    last_sequence: Option<u64>,
    /// The height at which the account's sequence was first seen past `max_sequence`.
    passed_at: Option<u64>,
}

impl Settling {
    fn new(max_sequence: Option<u64>) -> Self {
        Self {
            max_sequence,
            since: None,
            last_sequence: None,
            passed_at: None,
        }
    }

    /// Whether, at height `latest` with the account at `sequence` (if read), the tx's hashes
    /// not being found means that it was dropped.
    fn gone(&mut self, latest: u64, sequence: Option<u64>) -> bool {
        if let (Some(max), Some(sequence)) = (self.max_sequence, sequence) {
            if sequence > max {
                // Another tx took the sequence, or this one landed: one more block lets the
                // node's tx index catch up with the state the account was read from.
                let passed_at = *self.passed_at.get_or_insert(latest);
                return latest > passed_at;
            }
            if self.last_sequence != Some(sequence) {
                // The account is still moving: the txs before this one are landing.
                self.last_sequence = Some(sequence);
                self.since = Some(latest);
            }
        }
        let since = *self.since.get_or_insert(latest);
        latest >= since.saturating_add(SETTLE_BLOCKS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passed_sequence_settles_one_block_later() {
        let mut s = Settling::new(Some(10));
        assert!(!s.gone(100, Some(11)), "the tx index may lag the account");
        assert!(!s.gone(100, Some(11)));
        assert!(s.gone(101, Some(11)));
    }

    #[test]
    fn a_moving_account_keeps_the_wait_going() {
        let mut s = Settling::new(Some(10));
        assert!(!s.gone(100, Some(7)));
        assert!(!s.gone(102, Some(8)));
        assert!(!s.gone(104, Some(9)), "the account moved at 102 and 104");
        assert!(!s.gone(106, Some(9)));
        assert!(s.gone(107, Some(9)), "stalled for SETTLE_BLOCKS blocks");
    }

    #[test]
    fn without_sequences_the_wait_is_settle_blocks() {
        let mut s = Settling::new(None);
        assert!(!s.gone(50, Some(3)));
        assert!(!s.gone(52, Some(4)));
        assert!(s.gone(53, Some(5)));
        let mut unread = Settling::new(Some(10));
        assert!(!unread.gone(50, None));
        assert!(
            unread.gone(53, None),
            "an account that cannot be read: blocks only"
        );
    }
}
