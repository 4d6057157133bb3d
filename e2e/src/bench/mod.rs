//! Relayer benchmarks on live simd chains, for the `bench` binary (`scripts/bench`).
//!
//! Each measurement starts two fresh chains, opens `transfer/channel-0` between them with
//! our CLI (`create path`), and imports `user1`, who sends the ICS-20 transfers with our
//! CLI (`tx transfer`). The relayer under test, ours or Hermes, runs as a child process
//! ([`setup::Relayer`]) with its log under `target/bench/`. Progress is read from
//! the source chain alone: a packet is done when its commitment is gone, i.e. its
//! acknowledgement was delivered back to the source.
//!
//! - [`run::backlog`]: N transfers sent while no relayer runs; the time and blocks from
//!   the relayer's start until no commitment is left.
//! - [`run::latency`]: a steady load (one tx of `rate` transfers per second); each
//!   packet's time from its commitment appearing to it disappearing, both seen by the
//!   same polling of the commitments, so the polling delay cancels out on average.

pub mod config;
pub mod hermes;
pub mod packets;
pub mod run;
pub mod setup;

pub use config::{BenchConfig, RelayerKind};
