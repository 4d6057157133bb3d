//! The two benchmarks, [`backlog`] and [`latency`], each on a fresh [`Env`].

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Result};

use super::packets::{self, Snapshot};
use super::setup::{Env, Relayer};
use super::{BenchConfig, RelayerKind};
use crate::chain::ChainCli;

/// How a backlog was cleared.
#[derive(Clone, Debug)]
pub struct Backlog {
    /// Transfers in the backlog.
    pub size: usize,
    /// From the relayer's start until no commitment was left.
    pub seconds: f64,
    /// The source chain's blocks meanwhile.
    pub blocks: u64,
}

/// Sends `size` transfers with no relayer running, then starts the relayer and measures
/// until every commitment on the source is gone.
pub fn backlog(config: &BenchConfig, kind: RelayerKind, size: usize) -> Result<Backlog> {
    let env = Env::new()?;
    let cli = env.source().cli_handle();
    let mut relayer = Relayer::prepare(config, kind, &env, &format!("backlog-{size}"))?;
    let sent = env.send(size, config.per_tx)?;
    let pending = packets::count(&cli)?.total;
    ensure!(
        sent == size && pending == size as u64,
        "sent {sent} of {size}; {pending} pending"
    );
    let start_height = env.source().latest_height()?;
    let started = Instant::now();
    relayer.start()?;
    loop {
        let tick = Instant::now();
        let snap = packets::count(&cli)?;
        if snap.total == 0 {
            relayer.stop()?;
            return Ok(Backlog {
                size,
                seconds: (snap.at - started).as_secs_f64(),
                blocks: snap.height.saturating_sub(start_height),
            });
        }
        relayer.check_running()?;
        if started.elapsed() > config.timeout {
            bail!(
                "{} of {size} still pending after {:?}; log {}",
                snap.total,
                config.timeout,
                relayer.log().display()
            );
        }
        std::thread::sleep(config.poll_interval.saturating_sub(tick.elapsed()));
    }
}

/// Send→ack latencies under a steady load.
#[derive(Clone, Debug)]
pub struct Latency {
    /// Transfers sent.
    pub sent: usize,
    /// Transfers whose commitment was seen to appear and to go.
    pub measured: usize,
    /// Transfers per second actually sent.
    pub achieved_rate: f64,
    /// The source chain's mean block interval during the run, seconds.
    pub block_seconds: f64,
    /// Latencies in seconds, ascending.
    pub seconds: Vec<f64>,
}

impl Latency {
    /// The `p`-th percentile latency in seconds.
    pub fn seconds_at(&self, p: f64) -> f64 {
        packets::percentile(&self.seconds, p).unwrap_or(f64::NAN)
    }

    /// The `p`-th percentile latency in block intervals.
    pub fn blocks_at(&self, p: f64) -> f64 {
        self.seconds_at(p) / self.block_seconds
    }
}

/// Starts the relayer, relays one warm-up transfer, then sends one tx of `rate`
/// transfers per second for `duration` while polling the source's commitments, and
/// waits (up to `timeout`) for every packet to be acknowledged.
pub fn latency(config: &BenchConfig, kind: RelayerKind) -> Result<Latency> {
    let env = Env::new()?;
    let cli = env.source().cli_handle();
    let mut relayer = Relayer::prepare(config, kind, &env, "latency")?;
    relayer.start()?;
    env.send(1, 1)?;
    let warm = Instant::now();
    while packets::count(&cli)?.total > 0 {
        relayer.check_running()?;
        ensure!(
            warm.elapsed() < config.timeout,
            "the warm-up transfer was not relayed"
        );
        std::thread::sleep(config.poll_interval);
    }

    let done_sending = AtomicBool::new(false);
    let abort = AtomicBool::new(false);
    let sent = AtomicUsize::new(0);
    let started = Instant::now();
    let (tracker, send_result, send_seconds) = std::thread::scope(|s| {
        let poller = s.spawn(|| track(&cli, config, &done_sending, &abort, &sent));
        let mut result = Ok(());
        let txs = config.duration.as_secs_f64().ceil() as u32;
        for i in 0..txs {
            std::thread::sleep(
                (started + Duration::from_secs(i.into())).saturating_duration_since(Instant::now()),
            );
            match env.send(config.rate, config.per_tx) {
                Ok(n) => _ = sent.fetch_add(n, Ordering::SeqCst),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        let send_seconds = started
            .elapsed()
            .as_secs_f64()
            .max(config.duration.as_secs_f64());
        done_sending.store(true, Ordering::SeqCst);
        while !poller.is_finished() {
            if let Err(e) = relayer.check_running() {
                abort.store(true, Ordering::SeqCst);
                result = result.and(Err(e));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        (
            poller.join().expect("the poller does not panic"),
            result,
            send_seconds,
        )
    });
    send_result?;
    let tracker = tracker?;
    relayer.stop()?;
    let sent = sent.load(Ordering::SeqCst);
    let mut seconds: Vec<f64> = tracker
        .acked
        .iter()
        .filter_map(|(seq, at)| Some((*at - *tracker.first_seen.get(seq)?).as_secs_f64()))
        .collect();
    seconds.sort_by(f64::total_cmp);
    ensure!(
        seconds.len() == sent,
        "{} of {sent} transfers acknowledged within {:?} (log {})",
        seconds.len(),
        config.timeout,
        relayer.log().display()
    );
    Ok(Latency {
        sent,
        measured: seconds.len(),
        achieved_rate: sent as f64 / send_seconds,
        block_seconds: tracker.block_seconds(),
        seconds,
    })
}

/// What the polling saw: when each sequence's commitment first appeared and was gone.
#[derive(Default)]
struct Tracker {
    first_seen: HashMap<u64, Instant>,
    acked: HashMap<u64, Instant>,
    outstanding: BTreeSet<u64>,
    heights: Vec<(Instant, u64)>,
}

impl Tracker {
    fn observe(&mut self, snap: &Snapshot) {
        for &seq in &snap.sequences {
            self.first_seen.entry(seq).or_insert_with(|| {
                self.outstanding.insert(seq);
                snap.at
            });
        }
        let present: BTreeSet<u64> = snap.sequences.iter().copied().collect();
        let gone: Vec<u64> = self.outstanding.difference(&present).copied().collect();
        for seq in gone {
            self.outstanding.remove(&seq);
            self.acked.insert(seq, snap.at);
        }
        self.heights.push((snap.at, snap.height));
    }

    /// Mean block interval between the first and the last reading.
    fn block_seconds(&self) -> f64 {
        match (self.heights.first(), self.heights.last()) {
            (Some(&(t0, h0)), Some(&(t1, h1))) if h1 > h0 => {
                (t1 - t0).as_secs_f64() / (h1 - h0) as f64
            }
            _ => f64::NAN,
        }
    }
}

/// Polls the commitments every `poll_interval` until sending is done and every sent
/// packet was seen and acknowledged, `timeout` passed after sending, or `abort`.
fn track(
    cli: &ChainCli,
    config: &BenchConfig,
    done: &AtomicBool,
    abort: &AtomicBool,
    sent: &AtomicUsize,
) -> Result<Tracker> {
    let mut tracker = Tracker::default();
    let mut failures = 0;
    let mut done_at = None;
    while !abort.load(Ordering::SeqCst) {
        let tick = Instant::now();
        match packets::list(cli) {
            Ok(snap) => {
                failures = 0;
                tracker.observe(&snap);
            }
            Err(e) if failures < 20 => {
                failures += 1;
                eprintln!("polling commitments: {e:#}");
            }
            Err(e) => return Err(e.context("20 polls in a row failed")),
        }
        if done.load(Ordering::SeqCst) {
            let done_at = *done_at.get_or_insert_with(Instant::now);
            let all_seen = tracker.first_seen.len() >= sent.load(Ordering::SeqCst);
            if (all_seen && tracker.outstanding.is_empty()) || done_at.elapsed() > config.timeout {
                break;
            }
        }
        std::thread::sleep(config.poll_interval.saturating_sub(tick.elapsed()));
    }
    Ok(tracker)
}
