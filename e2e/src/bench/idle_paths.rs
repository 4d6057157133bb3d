//! [`idle_paths`]: what a relayer uses idle while it serves many paths.
//!
//! Fresh chains; `transfer/channel-0` and `paths - 1` more channels over the same
//! connection (our CLI's `create channel`), so the relayer serves `paths` paths, each both
//! ways. The relayer starts, relays one warm-up transfer on channel-0, and then idles for
//! `max(idle, 30 s)`: its VmRSS at the end of that window, the peak before it, and its CPU
//! during it. For our daemon the log must show every path served (one `serving path` line
//! per channel), or the measurement fails: an idle figure for fewer paths would flatter it.

use std::time::Duration;

use anyhow::{ensure, Context, Result};

use super::latency::{idle, Idle};
use super::procstat::{self, Sampler};
use super::setup::{checked, Env, Relayer};
use super::{BenchConfig, RelayerKind};
use crate::relayer::DaemonSettings;

/// The shortest idle window: long enough for start-up allocations to settle.
const MIN_WINDOW: Duration = Duration::from_secs(30);

/// A relayer idle with many paths.
#[derive(Clone, Copy, Debug)]
pub struct IdlePaths {
    /// Paths (channels) between the two chains.
    pub paths: usize,
    /// Paths our daemon's log shows it serving (`None` for Hermes).
    pub served: Option<usize>,
    /// The idle window.
    pub window: Duration,
    /// VmRSS at its end and CPU during it.
    pub idle: Idle,
    /// The largest VmRSS sampled from the relayer's start to the window's end, KiB.
    pub rss_peak_kib: u64,
}

/// Runs the steps of the module's description.
pub fn idle_paths(config: &BenchConfig, kind: RelayerKind, paths: usize) -> Result<IdlePaths> {
    let env = Env::new(config, DaemonSettings::default())?;
    let (a, b) = (env.source().chain_id(), env.destination().chain_id());
    for _ in 1..paths {
        checked(
            env.home
                .run(["create", "channel", "--a-chain", a, "--b-chain", b, "--new"]),
            "create channel",
        )?;
    }
    let label = format!("idle-{paths}-paths");
    let mut relayer = Relayer::prepare(config, kind, &env, &label, config.hermes_clear_limit)?;
    relayer.start()?;
    let pid = relayer.pid()?;
    let sampler = Sampler::start(pid)?;
    let started = procstat::read(pid)?;
    env.warm_up(&mut relayer, config.poll_interval, config.timeout)?;
    let window = config.idle.max(MIN_WINDOW);
    let idle = idle(&mut relayer, pid, window)?;
    let rss_peak_kib = sampler.peak_rss_since(started.at)?.max(idle.rss_kib);
    sampler.finish()?;
    let served = match kind {
        RelayerKind::Ours => Some(served_paths(&relayer)?),
        RelayerKind::Hermes => None,
    };
    relayer.stop()?;
    if let Some(served) = served {
        ensure!(
            served >= paths,
            "our daemon served {served} of {paths} paths (log {})",
            relayer.log().display()
        );
    }
    Ok(IdlePaths {
        paths,
        served,
        window,
        idle,
        rss_peak_kib,
    })
}

/// The distinct paths our daemon's log says it serves.
fn served_paths(relayer: &Relayer) -> Result<usize> {
    let log = std::fs::read_to_string(relayer.log())
        .with_context(|| format!("reading {}", relayer.log().display()))?;
    let paths: std::collections::BTreeSet<&str> = log
        .lines()
        .filter(|l| l.contains("serving path"))
        .filter_map(|l| l.split(" path=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    Ok(paths.len())
}
