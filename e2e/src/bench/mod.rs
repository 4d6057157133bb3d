//! Relayer benchmarks on live simd chains, for the `bench` binary (`scripts/bench`).
//!
//! Each measurement starts two fresh chains, opens `transfer/channel-0` between them with
//! our CLI (`create path`), and sends ICS-20 transfers with our CLI (`tx transfer`) from
//! several accounts at once ([`senders`]). The relayer under test, ours or Hermes, runs as
//! a child process ([`setup::Relayer`]) with its log and a copy of its config in the output
//! directory; its memory and CPU are read from `/proc` ([`procstat`]). Progress is read
//! from the source chain alone: a packet is done when its commitment is gone, i.e. its
//! acknowledgement was delivered back to the source.
//!
//! - [`ceiling::ceiling`]: no relayer; the transfers per second the source chain includes
//!   when every sender sends as fast as it can.
//! - [`backlog::backlog`]: N transfers sent while no relayer runs; the time and blocks from
//!   the relayer's start until no commitment is left.
//! - [`latency::latency`]: a steady load; each packet's time from its commitment appearing
//!   to it disappearing, both seen by the same polling of the commitments, so the polling
//!   delay cancels out on average; whether the relayer kept up.
//! - [`idle_paths::idle_paths`]: the relayer idle while it serves many paths (channels).
//! - [`restart::restart`]: our daemon restarted with many packets pending in its ledger;
//!   the time to its first receive on the destination.
//!
//! [`report::write`] puts it all in `results.md` with PNG plots ([`plot`]).

pub mod backlog;
pub mod ceiling;
pub mod chain_exec;
pub mod client_updates;
pub mod config;
pub mod environment;
pub mod hermes;
pub mod idle_paths;
pub mod latency;
pub mod lines;
pub mod notes;
pub mod packets;
pub mod plot;
pub mod procstat;
pub mod report;
pub mod restart;
pub mod senders;
pub mod setup;

pub use config::{BenchConfig, RelayerKind};
