//! Clearing's cheaper way to a backlog of sent packets: read the blocks they are in.
//!
//! A channel's send sequences rise with height, so every missing send lies between the
//! blocks of the lowest and the highest missing sequence. Two `tx_search`es for one exact
//! sequence each (a lookup of one value in the node's index) find those blocks; when they
//! are close together, their `block_results` are read instead of searching the index by
//! sequence range. A range search makes CometBFT's kv indexer walk every index entry of
//! the channel and of `packet_sequence` for each chunk, and load every matching tx for
//! each page: for a fresh backlog of thousands, seconds of work during which the node's
//! blocks came 0.7–1.4 s apart instead of 0.2 s. Reading 30 blocks costs it almost nothing.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use futures::stream::{self, StreamExt};
use stateset_channels::events::{parse_abci_event, IbcEvent};
use tendermint_rpc::query::Query;
use tracing::debug;

use super::error::RelayError;
use super::record::block_events;
use super::scanner::fetch_block;
use crate::chain::ChainEndpoint;
use crate::store::StoreError;

/// Blocks read at once. One: the node that serves them is also including the backlog's
/// acknowledgements, and relaying keeps pace with one block at a time. Measured with
/// `bench` (5,000 / 20,000 backlogs): 4 at once took 22.7–24.1 s / 114 s, 1 at a time
/// 19.1–20.1 s / 91–96 s.
const BLOCKS_AT_ONCE: usize = 1;
/// Results per exact-sequence lookup page (one tx per channel that sent that sequence).
const LOOKUP_PER_PAGE: u8 = 100;
/// Pages of one exact-sequence lookup at most (a chain with hundreds of channels).
const LOOKUP_MAX_PAGES: u32 = 5;

/// The most blocks a pass reads rather than search the index: beyond that (a packet stuck
/// for days beside new ones), the range search reads less.
pub const MAX_BLOCK_SPAN: u64 = 500;

/// Whether the blocks `first..=last` are few enough (at most `max_span`) to read one by
/// one.
pub fn worth_reading(first: u64, last: u64, max_span: u64) -> bool {
    last >= first && last - first < max_span
}

/// The height of the block whose tx emitted the `send_packet` event of `sequence` that
/// `is_ours` accepts, looked up by that one sequence. `None` when no node answer has it
/// (not indexed, pruned): the caller then searches by range.
pub async fn send_height(
    chain: &ChainEndpoint,
    sequence: u64,
    is_ours: impl Fn(&IbcEvent) -> bool,
) -> Result<Option<u64>, RelayError> {
    let query = Query::eq("send_packet.packet_sequence", sequence);
    for page in 1..=LOOKUP_MAX_PAGES {
        let response = chain
            .rpc()
            .tx_search(query.clone(), page, LOOKUP_PER_PAGE)
            .await?;
        for tx in &response.txs {
            let mut events = tx.tx_result.events.iter();
            let ours = events.any(|e| match parse_abci_event(e) {
                Ok(Some(ibc)) => {
                    matches!(&ibc, IbcEvent::SendPacket(p) if p.sequence == sequence)
                        && is_ours(&ibc)
                }
                _ => false,
            });
            if ours {
                return Ok(Some(tx.height.value()));
            }
        }
        let read = page as usize * LOOKUP_PER_PAGE as usize;
        if response.txs.is_empty() || read >= response.total_count as usize {
            break;
        }
    }
    Ok(None)
}

/// The blocks to read for `wanted` send sequences, when both ends are found and at most
/// `max_span` blocks apart (see [`worth_reading`]); 0 never reads blocks.
pub async fn send_blocks(
    chain: &ChainEndpoint,
    wanted: &BTreeSet<u64>,
    is_ours: impl Fn(&IbcEvent) -> bool + Copy,
    max_span: u64,
) -> Result<Option<RangeInclusive<u64>>, RelayError> {
    let (Some(&low), Some(&high)) = (wanted.first(), wanted.last()) else {
        return Ok(None);
    };
    if max_span == 0 {
        return Ok(None);
    }
    let Some(first) = send_height(chain, low, is_ours).await? else {
        return Ok(None);
    };
    let Some(last) = send_height(chain, high, is_ours).await? else {
        return Ok(None);
    };
    debug!(chain = %chain.id(), low, high, first, last, "clearing: blocks of the missing sends");
    Ok(worth_reading(first, last, max_span).then_some(first..=last))
}

/// Reads the results of `blocks` ([`BLOCKS_AT_ONCE`] at a time) in height order, giving
/// every IBC event of their txs and of the blocks themselves to `found` with its block's
/// height (a malformed one is skipped: the range search would skip it too). Returns the
/// blocks read.
pub async fn read_blocks(
    chain: &ChainEndpoint,
    blocks: RangeInclusive<u64>,
    mut found: impl FnMut(&IbcEvent, u64) -> Result<(), StoreError>,
) -> Result<usize, RelayError> {
    let mut reads = stream::iter(blocks)
        .map(|height| fetch_block(chain, height))
        .buffered(BLOCKS_AT_ONCE);
    let mut read = 0;
    while let Some(results) = reads.next().await {
        let results = results?;
        let height = results.height.value();
        read += 1;
        // The txs' events, then the block's own (a module may send from its end blocker).
        for (_, event) in block_events(&results) {
            if let Ok(Some(ibc)) = parse_abci_event(event) {
                found(&ibc, height)?;
            }
        }
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_close_together_are_read_and_far_apart_are_searched() {
        assert!(worth_reading(10, 10, MAX_BLOCK_SPAN));
        assert!(worth_reading(10, 10 + MAX_BLOCK_SPAN - 1, MAX_BLOCK_SPAN));
        assert!(!worth_reading(10, 10 + MAX_BLOCK_SPAN, MAX_BLOCK_SPAN));
        // A last block below the first (the node answered something odd) is never read.
        assert!(!worth_reading(11, 10, MAX_BLOCK_SPAN));
        // A span of 0 reads nothing.
        assert!(!worth_reading(10, 10, 0));
    }
}
