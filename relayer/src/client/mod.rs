//! 07-tendermint light clients: create them, update them with headers the relayer verified
//! itself, refresh them before their trusting period runs out, and judge their status.
//!
//! - [`state`]: client and consensus states, status (Active / Expired / Frozen);
//! - [`light_block`]: where signed headers and validator sets come from;
//! - [`verify`]: skipping verification with bisection (tendermint-light-client-verifier);
//! - [`trust`]: the relayer's own light client of each chain, which every proof is checked with;
//! - [`msgs`]: MsgCreateClient and MsgUpdateClient;
//! - [`ops`]: the operations on live chains (create, update, find, summarize);
//! - [`refresh`]: the daemon's refresh task;
//! - [`scope`]: which clients the relayer serves (its own, and those the config lists);
//! - [`misbehaviour`]: the watch for fork headers in served clients, and the evidence that
//!   freezes them.

pub mod light_block;
pub mod misbehaviour;
pub mod msgs;
pub mod observed;
pub mod ops;
pub mod refresh;
pub mod scope;
pub mod state;
pub mod trust;
pub mod verify;
pub mod watch;

pub use light_block::LightBlockSource;
pub use ops::{create_client, find_clients, summarize, update_client, update_msgs, UpdatePlan};
pub use state::{ClientStatus, ClientSummary};

use crate::chain::ChainError;

/// What went wrong with a light client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Talking to a chain failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The client does not exist.
    #[error("{host}: client {client_id} not found")]
    NotFound {
        /// The host chain.
        host: String,
        /// The client id.
        client_id: String,
    },
    /// The client's states cannot be used.
    #[error("client {client_id}: {detail}")]
    Decode {
        /// The client id.
        client_id: String,
        /// What is wrong.
        detail: String,
    },
    /// The client tracks another chain than the one named.
    #[error("{host}: client {client_id} tracks {tracked}, not {expected}")]
    WrongChain {
        /// The host chain.
        host: String,
        /// The client id.
        client_id: String,
        /// The chain it tracks.
        tracked: String,
        /// The chain the caller named.
        expected: String,
    },
    /// The client cannot be updated any more.
    #[error("{host}: client {client_id} is {status}; it cannot be updated (it needs a governance proposal or a new client)")]
    NotActive {
        /// The host chain.
        host: String,
        /// The client id.
        client_id: String,
        /// Its status.
        status: ClientStatus,
    },
    /// A header did not verify; nothing was submitted.
    #[error("header {height} of {chain} does not verify from trusted height {trusted}: {detail}")]
    Verification {
        /// The tracked chain.
        chain: String,
        /// The header that failed.
        height: u64,
        /// The trusted height it was verified from.
        trusted: u64,
        /// The verifier's reason.
        detail: String,
    },
    /// The tracked chain's header at the client's trusted height is not what the client stores:
    /// the RPC serves another chain's history, or the client was fooled.
    #[error("{chain}: header {height} does not match client {client_id}'s consensus state ({detail}); refusing to update")]
    TrustedMismatch {
        /// The tracked chain.
        chain: String,
        /// The client.
        client_id: String,
        /// The trusted height.
        height: u64,
        /// Which field differs.
        detail: String,
    },
    /// The client is already above the height an update was asked for.
    #[error("{host}: client {client_id} is at height {client_height}, above the height {target} wanted; it is not updated")]
    Ahead {
        /// The host chain.
        host: String,
        /// The client id.
        client_id: String,
        /// The client's latest height.
        client_height: u64,
        /// The height wanted.
        target: u64,
    },
    /// The trusting period is not below the unbonding period.
    #[error("trusting period {trusting:?} of a client of {chain} must be below its unbonding period {unbonding:?}")]
    TrustingPeriod {
        /// The tracked chain.
        chain: String,
        /// The requested trusting period.
        trusting: std::time::Duration,
        /// The chain's unbonding period.
        unbonding: std::time::Duration,
    },
}
