//! The Stateset relayer: chain I/O (CometBFT RPC, gRPC, signed transactions, keys),
//! configuration, and (in later milestones) light clients, the store and the supervisor.
//!
//! This is the only crate of the workspace that talks to a network. The IBC decisions
//! live in `stateset-channels` and `stateset-packet-handlers`, which are sans-IO.

pub mod chain;
pub mod cli;
pub mod config;
pub mod keys;
