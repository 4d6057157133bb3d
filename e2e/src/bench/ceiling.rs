//! [`ceiling`]: how many of the benchmark's transfers the source chain includes per second
//! when nobody relays, so that every relay figure can be read as a fraction of it.

use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};

use super::packets::{self, Snapshot};
use super::senders::Senders;
use super::setup::Env;
use super::{chain_exec, BenchConfig};
use crate::relayer::DaemonSettings;

/// Blocks over which the idle block interval is measured.
const IDLE_BLOCKS: u64 = 10;

/// What the source chain carried.
#[derive(Clone, Debug)]
pub struct Ceiling {
    /// Accounts sending at once.
    pub senders: usize,
    /// Transfers per tx.
    pub per_tx: usize,
    /// The measured window (the load's run less its ramp-up), seconds.
    pub seconds: f64,
    /// Transfers included in the window.
    pub transfers: u64,
    /// Transfers included per second.
    pub transfers_per_second: f64,
    /// Blocks in the window.
    pub blocks: u64,
    /// Transfers per block.
    pub transfers_per_block: f64,
    /// Mean block interval under the load, seconds.
    pub block_seconds: f64,
    /// Mean block interval before the load, seconds.
    pub idle_block_seconds: f64,
    /// Milliseconds the source chain's application spent executing and committing blocks
    /// per transfer included in the window ([`chain_exec`]).
    pub exec_ms_per_transfer: f64,
}

impl Ceiling {
    /// The share of blocks that held a tx of a given sender (each sender puts at most one
    /// tx in a block): near 1, the senders set the figure and the chain may carry more;
    /// well below 1, a sender's round trip (sign, broadcast, wait for the block) or the
    /// chain's inclusion of the txs waiting in its mempool holds them back.
    pub fn tx_share(&self) -> f64 {
        self.transfers_per_block / (self.senders * self.per_tx) as f64
    }
}

/// Fresh chains and no relayer: measures the idle block interval, then
/// `config.ceiling_senders` accounts send as fast as they can for `config.ceiling`; the commitments that appeared on the source
/// after a ramp-up (a fifth of the run, at most 5 s) give the rate.
pub fn ceiling(config: &BenchConfig) -> Result<Ceiling> {
    let env = Env::new(config, DaemonSettings::default())?;
    let senders = Senders::prepare(&env, config.ceiling_senders)?;
    let idle_block_seconds = idle_block_seconds(&env)?;
    let cli = env.source_cli();
    let start = Instant::now();
    let until = start + config.ceiling;
    let ramp = (config.ceiling / 5).min(Duration::from_secs(5));
    let sent = AtomicUsize::new(0);
    let readings = std::thread::scope(|s| -> Result<((Snapshot, f64), (Snapshot, f64))> {
        let flood = s.spawn(|| senders.flood(&env, config.per_tx, until, &sent));
        // The window's ends: the first reading after the ramp, the last before `until`.
        let mut first = None;
        let mut last = None;
        while Instant::now() < until && !flood.is_finished() {
            let tick = Instant::now();
            let snap = packets::count(&cli)?;
            let exec = chain_exec::exec_seconds(&env.metrics_ports[..1])?[0];
            if snap.at >= start + ramp && snap.at <= until {
                first.get_or_insert_with(|| (snap.clone(), exec));
                last = Some((snap, exec));
            }
            // Counting walks every commitment in the chain's store: once a second at most.
            let every = config.poll_interval.max(Duration::from_secs(1));
            std::thread::sleep(every.saturating_sub(tick.elapsed()));
        }
        flood
            .join()
            .map_err(|_| anyhow::anyhow!("the flood thread panicked"))??;
        first
            .zip(last)
            .context("no reading of the commitments inside the window")
    })?;
    let ((first, exec_first), (last, exec_last)) = readings;
    let seconds = (last.at - first.at).as_secs_f64();
    let blocks = last.height.saturating_sub(first.height);
    ensure!(
        seconds > 0.0 && blocks > 0,
        "the window held no block ({seconds:.1} s); run the ceiling for longer"
    );
    let transfers = last.total.saturating_sub(first.total);
    let exec_ms_per_transfer = (exec_last - exec_first) * 1000.0 / transfers.max(1) as f64;
    Ok(Ceiling {
        senders: senders.keys().len(),
        per_tx: config.per_tx,
        seconds,
        transfers,
        transfers_per_second: transfers as f64 / seconds,
        blocks,
        transfers_per_block: transfers as f64 / blocks as f64,
        block_seconds: seconds / blocks as f64,
        idle_block_seconds,
        exec_ms_per_transfer,
    })
}

/// The source's mean block interval over [`IDLE_BLOCKS`] blocks with nothing sent.
fn idle_block_seconds(env: &Env) -> Result<f64> {
    let source = env.source();
    let timeout = Duration::from_secs(60);
    let h0 = source.wait_for_height(source.latest_height()? + 1, timeout)?;
    let t0 = Instant::now();
    source.wait_for_height(h0 + IDLE_BLOCKS, timeout)?;
    Ok(t0.elapsed().as_secs_f64() / IDLE_BLOCKS as f64)
}
