//! The Stateset relayer: chain I/O (CometBFT RPC, gRPC, signed transactions, keys),
//! configuration, 07-tendermint light clients, handshakes, and the daemon's supervisor.
//!
//! This is the only crate of the workspace that talks to a network. The IBC decisions
//! live in `stateset-channels` and `stateset-packet-handlers`, which are sans-IO.

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
