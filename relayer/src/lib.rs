//! The Stateset relayer: chain I/O (CometBFT RPC, gRPC, signed transactions, keys),
//! configuration, 07-tendermint light clients, handshakes, and the daemon's supervisor.
//!
//! This is the only crate of the workspace that talks to a network. The IBC decisions
//! live in `stateset-channels` and `stateset-packet-handlers`, which are sans-IO.
//!
//! No panic may be reachable from chain data, node answers or config: outside tests,
//! `unwrap`, `expect`, `panic!` and unchecked indexing are denied.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod api;
pub mod backoff;
pub mod chain;
pub mod cli;
pub mod client;
pub mod config;
pub mod handshake;
pub mod keys;
pub mod relay;
pub mod store;
pub mod supervisor;
pub mod telemetry;
