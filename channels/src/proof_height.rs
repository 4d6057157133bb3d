//! Which height a relay step proves its items at, decided without I/O.
//!
//! A step proves what one chain wrote (packet commitments, acknowledgements) to the other
//! chain's client of it, and the client must hold a consensus state at the proof height.
//! Proving at the prover's latest height needs a MsgUpdateClient in front of the step's
//! first tx. When the client already holds a consensus state at a height past the blocks
//! that wrote every item, the step can prove there instead and send no update: in a
//! backlog, every pass after the first proves at the height the first pass updated the
//! client to, and one MsgUpdateClient serves them all.

use crate::ids::Height;

/// How many blocks behind the prover's latest height a step may prove, to share the
/// client's height. Nodes keep far more recent state than this by default (the Cosmos
/// SDK's `default` pruning keeps 362,880 heights); a node that keeps less is caught by the
/// caller, which proves at the latest height when the older proofs cannot be read.
pub const MAX_SHARED_PROOF_AGE: u64 = 100;

/// The highest block that wrote any of a step's items, from each item's block (`None`
/// when one is not known, or there are no items: then no shared height can be chosen).
pub fn written_by(heights: impl IntoIterator<Item = Option<u64>>) -> Option<u64> {
    let mut highest: Option<u64> = None;
    for height in heights {
        let h = height?;
        highest = Some(highest.map_or(h, |x| x.max(h)));
    }
    highest
}

/// The query height at which a step whose items were all written by block `written_by`
/// can be proven against the consensus state the client already holds at `client` (a
/// proof queried at height `h` verifies against the header of `h + 1`), given the prover's
/// revision and latest height. `None` when the step must prove at the latest height with
/// a client update: the client is not past every item's block, it is of another revision,
/// it claims a height the prover has not reached, or it is more than
/// [`MAX_SHARED_PROOF_AGE`] blocks behind.
pub fn shared_query_height(
    written_by: u64,
    client: Height,
    prover_revision: u64,
    prover_latest: u64,
) -> Option<u64> {
    if client.revision_number != prover_revision {
        return None;
    }
    let query = client.revision_height.checked_sub(1)?;
    let fresh = prover_latest.checked_sub(query)? <= MAX_SHARED_PROOF_AGE;
    (query >= written_by && fresh).then_some(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u64) -> Height {
        Height {
            revision_number: 1,
            revision_height: h,
        }
    }

    #[test]
    fn the_highest_block_counts_and_an_unknown_one_rules_sharing_out() {
        assert_eq!(written_by([Some(5), Some(9), Some(7)]), Some(9));
        assert_eq!(written_by([Some(5), None, Some(7)]), None);
        assert_eq!(written_by(Vec::<Option<u64>>::new()), None);
    }

    #[test]
    fn a_client_past_every_items_block_is_proven_against_where_it_is() {
        // Items written up to block 40; the client holds 51: query 50, verified at 51.
        assert_eq!(shared_query_height(40, at(51), 1, 60), Some(50));
        // Written in the block right before the client's height: still provable there.
        assert_eq!(shared_query_height(50, at(51), 1, 60), Some(50));
    }

    #[test]
    fn a_client_not_past_the_newest_item_needs_an_update() {
        assert_eq!(shared_query_height(51, at(51), 1, 60), None);
        assert_eq!(shared_query_height(70, at(51), 1, 80), None);
    }

    #[test]
    fn another_revision_a_future_height_or_old_state_is_not_shared() {
        assert_eq!(shared_query_height(40, at(51), 2, 60), None);
        // The client claims a height the prover has not reached.
        assert_eq!(shared_query_height(40, at(70), 1, 60), None);
        assert_eq!(shared_query_height(0, at(0), 1, 60), None);
        // Exactly the oldest allowed, then one block older.
        let latest = 50 + MAX_SHARED_PROOF_AGE;
        assert_eq!(shared_query_height(40, at(51), 1, latest), Some(50));
        assert_eq!(shared_query_height(40, at(51), 1, latest + 1), None);
    }
}
