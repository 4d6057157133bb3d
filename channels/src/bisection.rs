//! Bisection scheduling for a client update, with no I/O: which height to verify next on the
//! way from a client's trusted height to a target height.
//!
//! This is the scheduler half of tendermint-rs' light client (its verifier is
//! `tendermint-light-client-verifier`, its fetching the `io` half), split the same way: the
//! relayer fetches the light block at the height [`Bisection::next_step`] names, verifies it
//! against the block at [`Bisection::trusted`], and reports the verdict back with
//! [`Bisection::verified`] or [`Bisection::not_enough_trust`]. Skipping verification goes
//! straight to the target; when the validator set changed too much for one step, the
//! schedule tries the midpoint first and comes back to the target from there.

use thiserror::Error;

/// Why a schedule can go no further.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BisectionError {
    /// Two adjacent heights do not verify: no height lies between them to bisect through.
    #[error("height {height} does not verify from the adjacent trusted height {trusted}")]
    Adjacent {
        /// The height that did not verify.
        height: u64,
        /// The trusted height it was verified against.
        trusted: u64,
    },
    /// The schedule asked for more verifications than its budget allows.
    #[error("no verifiable path from {trusted} to {target} within {budget} verifications")]
    OverBudget {
        /// The highest height trusted when the budget ran out.
        trusted: u64,
        /// The target height.
        target: u64,
        /// The budget.
        budget: usize,
    },
    /// A verdict was reported for a height the schedule did not ask for.
    #[error("a verdict for height {got} when height {expected:?} was asked for")]
    UnexpectedHeight {
        /// The height of the verdict.
        got: u64,
        /// The height the schedule had asked for, if any.
        expected: Option<u64>,
    },
}

/// What to do next in a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BisectionStep {
    /// Fetch the light block at this height and verify it against the trusted one.
    Verify(u64),
    /// The target is trusted: the verified heights ([`Bisection::path`]) are the headers to
    /// submit, in order.
    Done,
}

/// The schedule of one client update: from `trusted` to `target`, within a budget of
/// verifications.
#[derive(Clone, Debug)]
pub struct Bisection {
    trusted: u64,
    target: u64,
    /// Heights still to reach, the next to try last; each is above `trusted`.
    pending: Vec<u64>,
    /// The heights verified so far, in the order they became trusted.
    path: Vec<u64>,
    /// The height the last [`BisectionStep::Verify`] named, until its verdict comes.
    asked: Option<u64>,
    verifications: usize,
    budget: usize,
}

impl Bisection {
    /// A schedule from the trusted height to `target`, asking for at most `budget`
    /// verifications. A target at or below the trusted height is done at once.
    pub fn new(trusted: u64, target: u64, budget: usize) -> Self {
        let pending = if target > trusted {
            vec![target]
        } else {
            Vec::new()
        };
        Self {
            trusted,
            target,
            pending,
            path: Vec::new(),
            asked: None,
            verifications: 0,
            budget,
        }
    }

    /// The next step. Every [`BisectionStep::Verify`] counts against the budget and must be
    /// answered with a verdict before the next call (asking again repeats the same height
    /// without counting it twice).
    pub fn next_step(&mut self) -> Result<BisectionStep, BisectionError> {
        if let Some(height) = self.asked {
            return Ok(BisectionStep::Verify(height));
        }
        let Some(&height) = self.pending.last() else {
            return Ok(BisectionStep::Done);
        };
        if self.verifications >= self.budget {
            return Err(BisectionError::OverBudget {
                trusted: self.trusted,
                target: self.target,
                budget: self.budget,
            });
        }
        self.verifications += 1;
        self.asked = Some(height);
        Ok(BisectionStep::Verify(height))
    }

    /// The asked height verified: it is trusted from now on.
    pub fn verified(&mut self, height: u64) -> Result<(), BisectionError> {
        self.answer(height)?;
        self.pending.pop();
        self.trusted = height;
        self.path.push(height);
        Ok(())
    }

    /// The asked height did not verify for lack of trust: the midpoint between the trusted
    /// height and it is tried first. Adjacent heights cannot be bisected.
    pub fn not_enough_trust(&mut self, height: u64) -> Result<(), BisectionError> {
        self.answer(height)?;
        let mid = self.trusted + height.saturating_sub(self.trusted) / 2;
        if mid == self.trusted {
            return Err(BisectionError::Adjacent {
                height,
                trusted: self.trusted,
            });
        }
        self.pending.push(mid);
        Ok(())
    }

    /// The height verification currently starts from.
    pub fn trusted(&self) -> u64 {
        self.trusted
    }

    /// The heights verified so far, in order; at [`BisectionStep::Done`], the headers to
    /// submit.
    pub fn path(&self) -> &[u64] {
        &self.path
    }

    /// The verifications asked for so far.
    pub fn verifications(&self) -> usize {
        self.verifications
    }

    fn answer(&mut self, height: u64) -> Result<(), BisectionError> {
        if self.asked != Some(height) {
            return Err(BisectionError::UnexpectedHeight {
                got: height,
                expected: self.asked,
            });
        }
        self.asked = None;
        Ok(())
    }
}

#[cfg(test)]
#[path = "bisection_tests.rs"]
mod tests;
