//! [`latency`]: send→ack latencies of a relayer under a steady load, whether it kept up,
//! and what it used idle and under the load.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::packets::{self, Snapshot};
use super::procstat::{self, Sampler, Usage};
use super::senders::Senders;
use super::setup::{Env, Relayer};
use super::{BenchConfig, RelayerKind};
use crate::chain::ChainCli;
use crate::relayer::DaemonSettings;

/// A relayer left with nothing to do.
#[derive(Clone, Copy, Debug, Default)]
pub struct Idle {
    /// VmRSS at the end of the idle window, KiB.
    pub rss_kib: u64,
    /// CPU used during it, percent of one core.
    pub cpu_percent: f64,
}

/// Send→ack latencies under a steady load.
#[derive(Clone, Debug)]
pub struct Latency {
    /// The offered rate, transfers per second.
    pub rate: usize,
    /// Transfers sent (in blocks of the source).
    pub sent: usize,
    /// Transfers whose commitment was seen to appear and to go (fewer than `sent` when
    /// some were not acknowledged within `timeout` of the load's end; the percentiles
    /// are then of the acknowledged ones).
    pub measured: usize,
    /// Seconds from the first send to the end of sending (at least the load's duration).
    pub load_seconds: f64,
    /// `sent` per second of the load.
    pub sent_rate: f64,
    /// Commitments appearing per second during the load.
    pub appearing_rate: f64,
    /// Commitments acknowledged per second during the load's window shifted by the median
    /// latency (when the acknowledgements of the load's sends are due).
    pub acked_rate: f64,
    /// Commitments outstanding when sending ended.
    pub backlog_at_end: usize,
    /// From the end of sending until the last acknowledgement, seconds.
    pub drain_seconds: f64,
    /// The source chain's mean block interval during the run, seconds.
    pub block_seconds: f64,
    /// Latencies in seconds, ascending.
    pub seconds: Vec<f64>,
    /// The relayer idle before the load.
    pub idle: Idle,
    /// The relayer from the load's start until the last acknowledgement.
    pub usage: Usage,
    /// Its mean VmRSS (KiB) over the load's first and last minute, for loads of three
    /// minutes or more (a soak): whether memory grew through it.
    pub rss_first_last_minute: Option<(u64, u64)>,
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

    /// Whether the relayer kept up: its acknowledgements (over the load's window shifted
    /// by the median latency) came at 90 % or more of the rate at which commitments
    /// appeared during the load, and every packet was acknowledged in the end.
    pub fn kept_up(&self) -> bool {
        self.acked_rate >= 0.9 * self.appearing_rate && self.measured == self.sent
    }
}

/// Starts the relayer, relays one warm-up transfer, lets it idle for `config.idle`, then
/// sends `rate` transfers per second for `config.duration` while polling the source's
/// commitments, and waits (up to `config.timeout`) for every packet to be acknowledged.
pub fn latency(config: &BenchConfig, kind: RelayerKind, rate: usize) -> Result<Latency> {
    let env = Env::new(config, DaemonSettings::default())?;
    let senders = Senders::prepare(&env, rate.div_ceil(config.per_tx).min(config.senders))?;
    let label = format!("rate-{rate}");
    let clear_limit = config.hermes_clear_limit_for(0);
    let mut relayer = Relayer::prepare(config, kind, &env, &label, clear_limit)?;
    relayer.start()?;
    let pid = relayer.pid()?;
    let sampler = Sampler::start(pid)?;
    env.warm_up(&mut relayer, config.poll_interval, config.timeout)?;
    let idle = idle(&mut relayer, pid, config.idle)?;
    let first = procstat::read(pid)?;
    let load = Load {
        config,
        env: &env,
        senders: &senders,
        rate,
    };
    let (tracker, window) = load.run(&mut relayer)?;
    let last = procstat::read(pid)?;
    let usage = Usage::between(&sampler, &first, &last, window.sent)?;
    let rss_minutes =
        procstat::rss_first_and_last_minute(&sampler.samples(), window.start, window.end);
    sampler.finish()?;
    relayer.stop()?;
    let seconds = tracker.latencies();
    if seconds.len() < window.sent {
        eprintln!(
            "bench: {} at {rate}/s: {} of {} transfers acknowledged within {:?} of the load's \
             end (log {})",
            kind.name(),
            seconds.len(),
            window.sent,
            config.timeout,
            relayer.log().display()
        );
    }
    let mut summary = tracker.summary(rate, &window, seconds, idle, usage);
    summary.rss_first_last_minute = rss_minutes;
    Ok(summary)
}

/// Lets the relayer idle for `window` (checking that it runs); its memory at the end and
/// its CPU meanwhile.
pub fn idle(relayer: &mut Relayer, pid: u32, window: Duration) -> Result<Idle> {
    let start = procstat::read(pid)?;
    let end_at = start.at + window;
    while Instant::now() < end_at {
        relayer.check_running()?;
        // A fixed measuring window, not a wait for a condition.
        std::thread::sleep(
            Duration::from_millis(200).min(end_at.saturating_duration_since(Instant::now())),
        );
    }
    let end = procstat::read(pid)?;
    let seconds = (end.at - start.at).as_secs_f64();
    Ok(Idle {
        rss_kib: end.rss_kib,
        cpu_percent: 100.0 * end.cpu_seconds_since(&start)? / seconds.max(1e-9),
    })
}

/// One steady load: its settings and stage.
struct Load<'a> {
    config: &'a BenchConfig,
    env: &'a Env,
    senders: &'a Senders,
    rate: usize,
}

/// When the load ran and how much it sent.
struct Window {
    start: Instant,
    end: Instant,
    duration: Duration,
    sent: usize,
}

impl Load<'_> {
    /// Sends the load while a thread polls the commitments and this one watches the
    /// relayer; returns what the polling saw once every sent packet was acknowledged (or
    /// `timeout` passed after sending).
    fn run(&self, relayer: &mut Relayer) -> Result<(Tracker, Window)> {
        let cli = self.env.source_cli();
        let (done, abort, sent) = (
            AtomicBool::new(false),
            AtomicBool::new(false),
            AtomicUsize::new(0),
        );
        let start = Instant::now();
        let (tracker, sending, end) = std::thread::scope(|s| {
            let poller = s.spawn(|| track(&cli, self.config, &done, &abort, &sent));
            let sender = s.spawn(|| {
                let result = self.senders.steady(
                    self.env,
                    (self.rate, self.config.per_tx),
                    self.config.duration,
                    &sent,
                    &abort,
                );
                let end = Instant::now();
                done.store(true, Ordering::SeqCst);
                (result, end)
            });
            let mut watch = Ok(());
            while !(poller.is_finished() && sender.is_finished()) {
                if let Err(e) = relayer.check_running() {
                    abort.store(true, Ordering::SeqCst);
                    watch = watch.and(Err(e));
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            let (sending, end) = sender.join().expect("the sender thread does not panic");
            let tracker = poller.join().expect("the poller does not panic");
            (tracker.and_then(|t| watch.map(|()| t)), sending, end)
        });
        sending.context("sending the load")?;
        let window = Window {
            start,
            end,
            duration: self.config.duration,
            sent: sent.load(Ordering::SeqCst),
        };
        Ok((tracker?, window))
    }
}

/// What the polling saw: when each sequence's commitment first appeared and was gone.
#[derive(Default)]
struct Tracker {
    first_seen: HashMap<u64, Instant>,
    acked: HashMap<u64, Instant>,
    outstanding: BTreeSet<u64>,
    heights: Vec<(Instant, u64)>,
    /// Commitments outstanding at the first reading after sending ended.
    outstanding_at_end: Option<usize>,
}

impl Tracker {
    fn observe(&mut self, snap: &Snapshot, sending_done: bool) {
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
        if sending_done && self.outstanding_at_end.is_none() {
            self.outstanding_at_end = Some(self.outstanding.len());
        }
    }

    /// Each acknowledged packet's latency, seconds, ascending.
    fn latencies(&self) -> Vec<f64> {
        let mut seconds: Vec<f64> = self
            .acked
            .iter()
            .filter_map(|(seq, at)| Some((*at - *self.first_seen.get(seq)?).as_secs_f64()))
            .collect();
        seconds.sort_by(f64::total_cmp);
        seconds
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

    /// Events (`times`) per second between `from` and `to`.
    fn rate_between(times: &HashMap<u64, Instant>, from: Instant, to: Instant) -> f64 {
        let n = times.values().filter(|t| **t >= from && **t <= to).count();
        n as f64 / (to - from).as_secs_f64().max(1e-9)
    }

    fn summary(
        &self,
        rate: usize,
        w: &Window,
        seconds: Vec<f64>,
        idle: Idle,
        usage: Usage,
    ) -> Latency {
        // The load lasts its duration, or longer when the last sends ran late.
        let load_seconds = (w.end - w.start)
            .as_secs_f64()
            .max(w.duration.as_secs_f64());
        // Acknowledgements follow their sends by about the median latency: compare the
        // sends of the load's window with the acks of the same window shifted by it.
        let shift = Duration::from_secs_f64(packets::percentile(&seconds, 50.0).unwrap_or(0.0));
        let last_ack = self.acked.values().max().copied().unwrap_or(w.end);
        Latency {
            rate,
            sent: w.sent,
            measured: seconds.len(),
            load_seconds,
            sent_rate: w.sent as f64 / load_seconds.max(1e-9),
            appearing_rate: Self::rate_between(&self.first_seen, w.start, w.end),
            acked_rate: Self::rate_between(&self.acked, w.start + shift, w.end + shift),
            backlog_at_end: self.outstanding_at_end.unwrap_or(0),
            drain_seconds: last_ack.saturating_duration_since(w.end).as_secs_f64(),
            block_seconds: self.block_seconds(),
            seconds,
            idle,
            usage,
            rss_first_last_minute: None,
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
        let sending_done = done.load(Ordering::SeqCst);
        match packets::list(cli) {
            Ok(snap) => {
                failures = 0;
                tracker.observe(&snap, sending_done);
            }
            Err(e) if failures < 20 => {
                failures += 1;
                eprintln!("polling commitments: {e:#}");
            }
            Err(e) => return Err(e.context("20 polls in a row failed")),
        }
        if sending_done {
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
