//! Header verification before any MsgUpdateClient: skipping verification from the client's
//! trusted height to the target, bisecting through intermediate heights when the validator
//! set changed too much for one step.

use std::collections::HashMap;
use std::time::Duration;

use tendermint::block::Height as TmHeight;
use tendermint::Time;
use tendermint_light_client_verifier::options::Options;
use tendermint_light_client_verifier::types::{LightBlock, TrustThreshold};
use tendermint_light_client_verifier::{ProdVerifier, Verdict, Verifier};

use stateset_channels::bisection::{Bisection, BisectionStep};

use super::light_block::LightBlockSource;
use super::ClientError;

/// The most verifications one update may ask for (bisection steps included).
const MAX_VERIFICATIONS: usize = 64;

/// Verification parameters of one client.
#[derive(Clone, Copy, Debug)]
pub struct VerifyOptions {
    /// The client's trust threshold.
    pub trust_threshold: TrustThreshold,
    /// The client's trusting period.
    pub trusting_period: Duration,
    /// The client's max clock drift.
    pub clock_drift: Duration,
    /// The time verification is judged at: the host chain's latest block time.
    pub now: Time,
}

/// Verifies the light block at `target` starting from `trusted`, and returns the light blocks
/// to submit in order (each verified from the previous one; the last is `target`'s).
///
/// Which height to verify next is [`Bisection`]'s decision (sans-IO, in `channels`); this
/// function fetches each block it names once, verifies it and reports the verdict. A block
/// whose verification fails is never returned: the error says which height failed against
/// which trusted height and why.
pub async fn verify_to_target<S: LightBlockSource>(
    source: &S,
    chain_id: &str,
    trusted: LightBlock,
    target: TmHeight,
    options: &VerifyOptions,
) -> Result<Vec<LightBlock>, ClientError> {
    let verifier = ProdVerifier::default();
    let opts = Options {
        trust_threshold: options.trust_threshold,
        trusting_period: options.trusting_period,
        clock_drift: options.clock_drift,
    };
    let fail = |height: u64, trusted: u64, detail: String| ClientError::Verification {
        chain: chain_id.to_string(),
        height,
        trusted,
        detail,
    };
    let mut schedule = Bisection::new(trusted.height().value(), target.value(), MAX_VERIFICATIONS);
    let mut trusted = trusted;
    let mut verified = Vec::new();
    // Blocks that did not verify yet, kept while their height is still to be reached: the
    // target is fetched once however many midpoints are tried before it.
    let mut fetched: HashMap<u64, LightBlock> = HashMap::new();
    loop {
        let height = match schedule.next_step() {
            Ok(BisectionStep::Done) => return Ok(verified),
            Ok(BisectionStep::Verify(height)) => height,
            Err(e) => return Err(fail(target.value(), schedule.trusted(), e.to_string())),
        };
        let block = match fetched.remove(&height) {
            Some(block) => block,
            None => fetch_checked(source, chain_id, height).await?,
        };
        let verdict = verifier.verify_update_header(
            block.as_untrusted_state(),
            trusted.as_trusted_state(),
            &opts,
            options.now,
        );
        match verdict {
            Verdict::Success => {
                trusted = block.clone();
                verified.push(block);
                schedule
                    .verified(height)
                    .map_err(|e| fail(height, schedule.trusted(), e.to_string()))?;
            }
            Verdict::NotEnoughTrust(tally) => {
                fetched.insert(height, block);
                schedule
                    .not_enough_trust(height)
                    .map_err(|e| fail(height, schedule.trusted(), format!("{e}: {tally}")))?;
            }
            Verdict::Invalid(detail) => {
                return Err(fail(height, trusted.height().value(), detail.to_string()))
            }
        }
    }
}

/// The light block at `height`, checked to be of the chain and height asked for.
async fn fetch_checked<S: LightBlockSource>(
    source: &S,
    chain_id: &str,
    height: u64,
) -> Result<LightBlock, ClientError> {
    let height = TmHeight::try_from(height).map_err(|e| ClientError::Verification {
        chain: chain_id.to_string(),
        height,
        trusted: 0,
        detail: format!("height {height}: {e}"),
    })?;
    let block = source.light_block(height).await?;
    check_fetched(chain_id, &block, height)?;
    Ok(block)
}

/// Checks a light block on its own (no trusted state): its validator sets hash to the
/// header's, its commit is for this header, and more than 2/3 of the validators' power
/// signed it with valid signatures. What a client is created from must pass this.
pub fn check_self_consistent(chain_id: &str, block: &LightBlock) -> Result<(), ClientError> {
    let verifier = ProdVerifier::default();
    let untrusted = block.as_untrusted_state();
    let height = block.height().value();
    let fail = |detail: String| ClientError::Verification {
        chain: chain_id.to_string(),
        height,
        trusted: 0,
        detail,
    };
    if block.signed_header.header.chain_id.as_str() != chain_id {
        return Err(fail(format!(
            "the header is of chain {}",
            block.signed_header.header.chain_id
        )));
    }
    if block.signed_header.commit.block_id.hash != block.signed_header.header.hash() {
        return Err(fail("the commit is for another block".into()));
    }
    for verdict in [
        verifier.verify_validator_sets(&untrusted),
        verifier.verify_commit(&untrusted),
    ] {
        match verdict {
            Verdict::Success => {}
            Verdict::NotEnoughTrust(tally) => {
                return Err(fail(format!("not enough signatures: {tally}")))
            }
            Verdict::Invalid(detail) => return Err(fail(detail.to_string())),
        }
    }
    Ok(())
}

/// A light block must be of the chain and height asked for.
pub(crate) fn check_fetched(
    chain_id: &str,
    block: &LightBlock,
    height: TmHeight,
) -> Result<(), ClientError> {
    let header = &block.signed_header.header;
    if header.chain_id.as_str() != chain_id || header.height != height {
        return Err(ClientError::Verification {
            chain: chain_id.to_string(),
            height: height.value(),
            trusted: 0,
            detail: format!(
                "the source served block {} of {} instead",
                header.height, header.chain_id
            ),
        });
    }
    Ok(())
}
