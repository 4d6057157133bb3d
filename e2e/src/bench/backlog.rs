//! [`backlog`]: how long a relayer takes to clear transfers sent while none ran.

use std::time::Instant;

use anyhow::{ensure, Result};

use super::procstat::{self, Load, LoadMeter, Sampler, Usage};
use super::senders::Senders;
use super::setup::{Env, Relayer};
use super::{chain_exec, client_updates, packets, BenchConfig, RelayerKind};
use crate::relayer::DaemonSettings;

/// How a backlog was cleared.
#[derive(Clone, Debug)]
pub struct Backlog {
    /// Transfers in the backlog.
    pub size: usize,
    /// How long sending them took (no relayer running), seconds.
    pub send_seconds: f64,
    /// From the relayer's start until no commitment was left (or the timeout passed).
    pub seconds: f64,
    /// The source chain's blocks meanwhile.
    pub blocks: u64,
    /// Commitments left when the timeout passed (0: cleared).
    pub remaining: u64,
    /// Commitments left on the source over time: (seconds since the relayer's start,
    /// count), one point per poll.
    pub pending: Vec<(f64, u64)>,
    /// The relayer's memory and CPU from its start until the backlog was cleared.
    pub usage: Usage,
    /// The machine's and the chains' CPU meanwhile: how much of the machine the chains
    /// took, and whether it had any left.
    pub load: Load,
    /// Seconds each chain's application (source, destination) spent executing and
    /// committing blocks meanwhile ([`chain_exec`]): what the backlog cost the chains
    /// themselves. The source executes the acknowledgements, the destination the receives.
    pub chains_exec_seconds: Vec<f64>,
    /// Txs holding a MsgUpdateClient each chain (source, destination) included meanwhile
    /// ([`client_updates`]): the source's for the acknowledgements, the destination's for
    /// the receives.
    pub client_update_txs: Vec<u64>,
}

/// Sends `size` transfers (split over `config.senders` accounts) with no relayer running,
/// then starts the relayer and polls the source's commitments until none is left, or
/// `config.timeout` passed (then the result says how many were left).
pub fn backlog(config: &BenchConfig, kind: RelayerKind, size: usize) -> Result<Backlog> {
    let env = Env::new(config, DaemonSettings::default())?;
    let cli = env.source_cli();
    let senders = Senders::prepare(&env, config.senders)?;
    let clear_limit = config.hermes_clear_limit_for(size);
    let mut relayer =
        Relayer::prepare(config, kind, &env, &format!("backlog-{size}"), clear_limit)?;
    let send_start = Instant::now();
    let sent = senders.send_split(&env, size, config.per_tx)?;
    let send_seconds = send_start.elapsed().as_secs_f64();
    let pending = packets::count(&cli)?.total;
    ensure!(
        sent == size && pending == size as u64,
        "sent {sent} of {size}; {pending} pending"
    );
    let start_height = env.source().latest_height()?;
    let heights_before = chain_heights(&env)?;
    let started = Instant::now();
    let chain_pids: Vec<u32> = env.chains.iter().filter_map(|c| c.pid()).collect();
    let load = LoadMeter::start(&chain_pids)?;
    let exec_before = chain_exec::exec_seconds(&env.metrics_ports)?;
    relayer.start()?;
    let pid = relayer.pid()?;
    let first = procstat::read(pid)?;
    let sampler = Sampler::start(pid)?;
    let mut series = Vec::new();
    let last = loop {
        let tick = Instant::now();
        let snap = packets::count(&cli)?;
        series.push(((snap.at - started).as_secs_f64(), snap.total));
        if snap.total == 0 || started.elapsed() > config.timeout {
            break snap;
        }
        relayer.check_running()?;
        std::thread::sleep(config.poll_interval.saturating_sub(tick.elapsed()));
    };
    if last.total > 0 {
        eprintln!(
            "bench: {} of {size} still pending after {:?}; log {}",
            last.total,
            config.timeout,
            relayer.log().display()
        );
    }
    let end = procstat::read(pid)?;
    let load = load.finish()?;
    let chains_exec_seconds =
        chain_exec::since(&exec_before, &chain_exec::exec_seconds(&env.metrics_ports)?);
    let client_update_txs = count_client_updates(&env, &heights_before)?;
    let cleared = size.saturating_sub(last.total as usize);
    let usage = Usage::between(&sampler, &first, &end, cleared)?;
    sampler.finish()?;
    relayer.stop()?;
    Ok(Backlog {
        size,
        send_seconds,
        seconds: (last.at - started).as_secs_f64(),
        blocks: last.height.saturating_sub(start_height),
        remaining: last.total,
        pending: series,
        usage,
        load,
        chains_exec_seconds,
        client_update_txs,
    })
}

/// Each chain's latest height (source, destination).
fn chain_heights(env: &Env) -> Result<Vec<u64>> {
    env.chains
        .iter()
        .map(|c| c.latest_height().map_err(anyhow::Error::from))
        .collect()
}

/// The txs holding a MsgUpdateClient each chain included since `before` (its heights).
fn count_client_updates(env: &Env, before: &[u64]) -> Result<Vec<u64>> {
    let now = chain_heights(env)?;
    env.chains
        .iter()
        .zip(before.iter().zip(&now))
        .map(|(chain, (&from, &to))| client_updates::count(chain.ports().rpc, from, to))
        .collect()
}

impl Backlog {
    /// Milliseconds of each chain's execution (source, destination) per packet cleared.
    pub fn exec_ms_per_packet(&self) -> Vec<f64> {
        let cleared = (self.size as u64).saturating_sub(self.remaining).max(1) as f64;
        self.chains_exec_seconds
            .iter()
            .map(|s| s * 1000.0 / cleared)
            .collect()
    }
}
