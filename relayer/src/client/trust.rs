//! The relayer's own light client of each chain it reads proofs from.
//!
//! Every proof the relayer uses is checked against the app hash of a header verified here,
//! never against a header a node merely served:
//!
//! - the **trust root** is a header whose commit carries more than 2/3 of its validators'
//!   power (validator sets hashing to the header's) and that every reachable witness agrees
//!   with; it is taken when the relayer first needs a header of the chain, and taken again
//!   when it is older than the trusting period;
//! - a header **above** the root is verified from it by skipping verification (a third of the
//!   root's validators, two thirds of its own), bisecting when the set changed too much;
//! - a header **below** the root is verified by hash links down from a verified header above
//!   it (each header's `last_block_id` names the one below), at most [`MAX_BACKWARD`] blocks.
//!
//! The root moves up to newer verified headers as it ages, so forward verification is
//! always one step from a recent, well-trusted header.

use std::collections::BTreeMap;
use std::time::Duration;

use tendermint::block::{Header, Height as TmHeight};
use tendermint::Time;
use tendermint_light_client_verifier::types::{LightBlock, TrustThreshold};
use tracing::info;

use super::light_block::LightBlockSource;
use super::verify::{check_fetched, check_self_consistent, verify_to_target, VerifyOptions};
use super::ClientError;

/// Verified headers kept per chain (proofs are read at recent heights).
const VERIFIED_KEPT: usize = 128;

/// The most blocks a header below the root is verified back through.
pub const MAX_BACKWARD: u64 = 64;

/// How old the root may grow before a newer verified header replaces it.
const ROOT_REFRESH: Duration = Duration::from_secs(3600);

/// Verified headers of one chain, and the root they were verified from.
#[derive(Debug)]
pub struct HeaderTrust {
    chain_id: String,
    root: Option<LightBlock>,
    verified: BTreeMap<u64, Header>,
    trusting_period: Duration,
    clock_drift: Duration,
}

impl HeaderTrust {
    /// No root yet; roots live for `trusting_period`; headers may be `clock_drift` ahead.
    pub fn new(chain_id: &str, trusting_period: Duration, clock_drift: Duration) -> Self {
        Self {
            chain_id: chain_id.to_string(),
            root: None,
            verified: BTreeMap::new(),
            trusting_period,
            clock_drift,
        }
    }

    /// The height of the current trust root.
    pub fn root_height(&self) -> Option<u64> {
        self.root.as_ref().map(|r| r.height().value())
    }

    /// A header verified earlier, without fetching anything.
    pub fn cached(&self, height: TmHeight) -> Option<Header> {
        self.verified.get(&height.value()).cloned()
    }

    /// The header at `height`, verified (see the module docs); `now` is the local time
    /// verification is judged at.
    pub async fn verified_header<S: LightBlockSource>(
        &mut self,
        source: &S,
        height: TmHeight,
        now: Time,
    ) -> Result<Header, ClientError> {
        if let Some(header) = self.cached(height) {
            return Ok(header);
        }
        let Some(root) = self.usable_root(now) else {
            return self.take_root(source, height, now).await;
        };
        if height > root.height() {
            self.forward(source, root, height, now).await
        } else {
            self.backward(source, height).await
        }
    }

    /// The root, while it is within the trusting period.
    fn usable_root(&self, now: Time) -> Option<LightBlock> {
        let root = self.root.as_ref()?;
        let expires = (root.signed_header.header.time + self.trusting_period).ok()?;
        (expires > now).then(|| root.clone())
    }

    /// Takes the header at `height` as the root: recent, its commit checked on its own, and
    /// confirmed by the chain's witnesses.
    async fn take_root<S: LightBlockSource>(
        &mut self,
        source: &S,
        height: TmHeight,
        now: Time,
    ) -> Result<Header, ClientError> {
        let block = source.light_block(height).await?;
        check_fetched(&self.chain_id, &block, height)?;
        check_self_consistent(&self.chain_id, &block)?;
        // An old header is no root: its validators may have unbonded since (long-range forks).
        let time = block.signed_header.header.time;
        if (time + self.trusting_period).is_ok_and(|expires| expires <= now) {
            return Err(ClientError::Verification {
                chain: self.chain_id.clone(),
                height: height.value(),
                trusted: 0,
                detail: format!(
                    "the header's time {time} is older than the trusting period: not a trust root"
                ),
            });
        }
        source.confirm(std::slice::from_ref(&block)).await?;
        let header = block.signed_header.header.clone();
        info!(chain = %self.chain_id, height = %height, hash = %header.hash(),
            "trust root for proofs: a header signed by more than 2/3 of the validators and confirmed by the witnesses");
        self.root = Some(block);
        self.remember(&header);
        Ok(header)
    }

    /// Verifies `height` above the root; the root moves up to it once it is old.
    async fn forward<S: LightBlockSource>(
        &mut self,
        source: &S,
        root: LightBlock,
        height: TmHeight,
        now: Time,
    ) -> Result<Header, ClientError> {
        let options = VerifyOptions {
            trust_threshold: TrustThreshold::ONE_THIRD,
            trusting_period: self.trusting_period,
            clock_drift: self.clock_drift,
            now,
        };
        let blocks =
            verify_to_target(source, &self.chain_id, root.clone(), height, &options).await?;
        let target = blocks
            .last()
            .cloned()
            .ok_or_else(|| ClientError::Verification {
                chain: self.chain_id.clone(),
                height: height.value(),
                trusted: root.height().value(),
                detail: "verification returned no header".into(),
            })?;
        for block in &blocks {
            self.remember(&block.signed_header.header);
        }
        let refresh_after = ROOT_REFRESH.min(self.trusting_period / 2);
        let root_time = root.signed_header.header.time;
        if (root_time + refresh_after).is_ok_and(|t| t < target.signed_header.header.time) {
            self.root = Some(target.clone());
        }
        Ok(target.signed_header.header)
    }

    /// Verifies `height` below the root by hash links from the nearest verified header above.
    async fn backward<S: LightBlockSource>(
        &mut self,
        source: &S,
        height: TmHeight,
    ) -> Result<Header, ClientError> {
        let wanted = height.value();
        let above = self
            .verified
            .range(wanted.saturating_add(1)..)
            .next()
            .map(|(_, h)| h.clone())
            .filter(|h| h.height.value() - wanted <= MAX_BACKWARD)
            .ok_or_else(|| ClientError::Verification {
                chain: self.chain_id.clone(),
                height: wanted,
                trusted: self.root_height().unwrap_or(0),
                detail: format!(
                    "the height is below the trust root and more than {MAX_BACKWARD} blocks below any verified header"
                ),
            })?;
        let mut upper = above;
        while upper.height.value() > wanted {
            let below = upper.height.value() - 1;
            let below_height = TmHeight::try_from(below).map_err(|e| self.link_error(below, e))?;
            let block = source.light_block(below_height).await?;
            check_fetched(&self.chain_id, &block, below_height)?;
            let header = block.signed_header.header;
            let linked = upper.last_block_id.map(|id| id.hash);
            if linked != Some(header.hash()) {
                return Err(self.link_error(below, "the header above does not link to it"));
            }
            self.remember(&header);
            upper = header;
        }
        Ok(upper)
    }

    fn link_error(&self, height: u64, detail: impl std::fmt::Display) -> ClientError {
        ClientError::Verification {
            chain: self.chain_id.clone(),
            height,
            trusted: self.root_height().unwrap_or(0),
            detail: format!("hash link: {detail}"),
        }
    }

    fn remember(&mut self, header: &Header) {
        self.verified.insert(header.height.value(), header.clone());
        while self.verified.len() > VERIFIED_KEPT {
            self.verified.pop_first();
        }
    }
}

#[cfg(test)]
#[path = "trust_tests.rs"]
mod tests;
