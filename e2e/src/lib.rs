//! Real-chain test harness for the Stateset relayer.
//!
//! It builds ibc-go's `simd` from the Go modules under `e2e/chains/` ([`simd`]) and runs
//! single-validator chains on 127.0.0.1 ([`chain::TestChain`]) with a fixed set of
//! funded test accounts ([`accounts`]). Chains are fast (a block every ~250 ms), charge
//! real fees (minimum gas price `0.001stake`), index txs, and keep every state version
//! so that proofs can be queried at any height.
//!
//! # Lifecycle and clean-up
//!
//! Each `simd start` runs in its own process group with `PR_SET_PDEATHSIG(SIGKILL)`,
//! spawned from a process-wide spawner thread that lives as long as the process, so a
//! chain dies with the process that started it however that process ends (panic,
//! `SIGKILL`, Ctrl-C). Dropping a [`TestChain`] stops it; a temporary home is deleted,
//! unless the thread is panicking, in which case the home and `simd.log` are kept and
//! their paths printed to stderr.
//!
//! # Blocking
//!
//! The API is synchronous: every call blocks the calling thread (starting a chain takes
//! a few seconds, stopping one up to ~6 s, CLI calls ~0.2 s). From async code call it
//! from a multi-threaded tokio runtime (`#[tokio::test(flavor = "multi_thread")]`) or use
//! the async wrappers such as [`TestChain::start_async`].
//!
//! ```no_run
//! use stateset_e2e::{accounts, ChainSpec, TestChain};
//!
//! let chain = TestChain::start(ChainSpec::new("demo-1"))?;
//! let hash = chain.bank_send(accounts::USER1.name, accounts::USER2.address, "5stake")?;
//! chain.wait_for_tx(&hash, std::time::Duration::from_secs(10))?;
//! assert!(chain.balance(accounts::USER2.address, "stake")? > 0);
//! # Ok::<(), stateset_e2e::Error>(())
//! ```

#![warn(missing_docs)]

pub mod accounts;
pub mod answers;
pub mod bench;
pub mod chain;
pub mod chromedriver;
mod error;
pub mod faults;
pub mod fork;
pub mod graphql;
pub mod ibc;
pub mod ports;
pub mod probe;
mod process;
pub mod proxy;
pub mod raw_http;
pub mod relayer;
mod rpc;
pub mod simd;
pub mod stranger;
pub mod transfer;
pub mod v2;

pub use chain::{start_chains, start_many, ChainCli, ChainSpec, TestChain, TxResult};
pub use error::{Error, LogTail, Result};
pub use ports::Ports;

use std::path::{Path, PathBuf};

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the e2e crate lives one level below the workspace root")
        .to_path_buf()
}

/// Cargo's target directory: `CARGO_TARGET_DIR` if set (relative paths are taken
/// relative to the workspace root, as `e2e/scripts/build-simd.sh` does), else
/// `<workspace root>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace_root().join(dir),
        _ => workspace_root().join("target"),
    }
}
