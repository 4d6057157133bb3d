//! Connection and channel handshakes on live chains. `stateset-channels` decides the next
//! step from what both chains show; this module reads the chains, fetches proofs, updates
//! the clients the proofs need, and submits the message.
//!
//! - [`connection`] / [`channel`]: drive one handshake to OPEN (or a close to CLOSED);
//! - [`path`]: clients, connection and channel in one go, resuming from what the chains show;
//! - [`complete`]: the daemon's scan that finishes handshakes others started;
//! - [`proofs`]: proven reads and the client update in front of each message.

pub mod channel;
pub mod complete;
pub mod connection;
pub mod path;
pub mod path_v2;
pub mod proofs;

use stateset_channels::HandshakeError;

use crate::chain::ChainError;
use crate::client::ClientError;

/// How many steps one handshake may take before the driver gives up (a full handshake is 4).
const MAX_STEPS: usize = 8;

/// Reports progress of long operations (the CLI prints it; the daemon logs it).
pub type Progress<'a> = &'a (dyn Fn(&str) + Send + Sync);

/// What went wrong while driving a handshake.
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    /// Talking to a chain failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A client could not be created or updated.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The chains show a handshake that does not match what was asked.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// A connection or channel read from a chain is malformed.
    #[error(transparent)]
    Malformed(#[from] crate::chain::malformed::MalformedObject),
    /// A chain's answer could not be used.
    #[error("{chain}: {detail}")]
    Unexpected {
        /// The chain.
        chain: String,
        /// What is wrong.
        detail: String,
    },
    /// The handshake did not finish within the step budget.
    #[error("the handshake did not finish after {MAX_STEPS} steps; last step: {last}")]
    TooManySteps {
        /// The last step tried.
        last: String,
    },
}

impl DriveError {
    pub(crate) fn unexpected(chain: &str, detail: impl Into<String>) -> Self {
        DriveError::Unexpected {
            chain: chain.to_string(),
            detail: detail.into(),
        }
    }
}

/// The two chains of a handshake, as `Side::A` and `Side::B`.
#[derive(Clone, Copy)]
pub struct Pair<'a> {
    /// Chain A.
    pub a: &'a crate::chain::ChainEndpoint,
    /// Chain B.
    pub b: &'a crate::chain::ChainEndpoint,
}

impl<'a> Pair<'a> {
    /// The chain on `side` and the other one: (destination, source) of a message sent on `side`.
    pub fn split(
        &self,
        side: stateset_channels::Side,
    ) -> (
        &'a crate::chain::ChainEndpoint,
        &'a crate::chain::ChainEndpoint,
    ) {
        match side {
            stateset_channels::Side::A => (self.a, self.b),
            stateset_channels::Side::B => (self.b, self.a),
        }
    }
}
