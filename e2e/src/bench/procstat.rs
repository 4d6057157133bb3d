//! The relayer process's memory and CPU, read from `/proc/<pid>/status` (VmRSS, VmHWM)
//! and `/proc/<pid>/stat` (utime + stime, in clock ticks of `getconf CLK_TCK`), the same
//! way for our relayer and Hermes. A [`Sampler`] thread reads them every
//! [`SAMPLE_EVERY`] for the peak; CPU time over a phase is the difference of two reads.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// How often a [`Sampler`] reads.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(500);

/// One reading of a process.
#[derive(Clone, Copy, Debug)]
pub struct ProcSample {
    /// When it was read.
    pub at: Instant,
    /// Resident memory now (VmRSS), KiB.
    pub rss_kib: u64,
    /// The most resident memory so far (VmHWM), KiB.
    pub hwm_kib: u64,
    /// CPU time used so far (utime + stime), clock ticks.
    pub cpu_ticks: u64,
}

impl ProcSample {
    /// CPU seconds from `earlier` to this reading.
    pub fn cpu_seconds_since(&self, earlier: &ProcSample) -> Result<f64> {
        let ticks = self.cpu_ticks.saturating_sub(earlier.cpu_ticks);
        Ok(ticks as f64 / clock_ticks()? as f64)
    }
}

/// Reads `pid`'s VmRSS, VmHWM and utime + stime; fails if it is gone or a field is
/// missing.
pub fn read(pid: u32) -> Result<ProcSample> {
    let status_path = format!("/proc/{pid}/status");
    let status =
        std::fs::read_to_string(&status_path).with_context(|| format!("reading {status_path}"))?;
    let kib = |field: &str| -> Result<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("{status_path}: no {field} in kB"))
    };
    let (rss_kib, hwm_kib) = (kib("VmRSS:")?, kib("VmHWM:")?);
    let stat_path = format!("/proc/{pid}/stat");
    let stat =
        std::fs::read_to_string(&stat_path).with_context(|| format!("reading {stat_path}"))?;
    Ok(ProcSample {
        at: Instant::now(),
        rss_kib,
        hwm_kib,
        cpu_ticks: cpu_ticks(&stat).with_context(|| format!("{stat_path}: {stat:?}"))?,
    })
}

/// utime + stime of a `/proc/<pid>/stat` line (fields 14 and 15; the command name in
/// field 2 may hold spaces and parentheses, so fields are counted after its last `)`).
fn cpu_ticks(stat: &str) -> Result<u64> {
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("no `)` after the command name")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state): utime is field 14, stime 15.
    let field = |n: usize| -> Result<u64> {
        fields
            .get(n - 3)
            .and_then(|f| f.parse().ok())
            .with_context(|| format!("no field {n}"))
    };
    Ok(field(14)? + field(15)?)
}

/// Clock ticks per second, from `getconf CLK_TCK` (asked once).
pub fn clock_ticks() -> Result<u64> {
    static TICKS: OnceLock<Result<u64, String>> = OnceLock::new();
    TICKS
        .get_or_init(|| {
            let out = Command::new("getconf")
                .arg("CLK_TCK")
                .output()
                .map_err(|e| format!("running getconf CLK_TCK: {e}"))?;
            let text = String::from_utf8_lossy(&out.stdout);
            match text.trim().parse::<u64>() {
                Ok(t) if out.status.success() && t > 0 => Ok(t),
                _ => Err(format!("getconf CLK_TCK printed {text:?} ({})", out.status)),
            }
        })
        .clone()
        .map_err(anyhow::Error::msg)
}

/// Reads a process every [`SAMPLE_EVERY`] on its own thread until stopped or the process
/// is gone.
pub struct Sampler {
    samples: Arc<Mutex<Vec<ProcSample>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Option<String>>>,
}

impl Sampler {
    /// Starts sampling `pid` (the first reading is taken before this returns).
    pub fn start(pid: u32) -> Result<Sampler> {
        let first = read(pid)?;
        let samples = Arc::new(Mutex::new(vec![first]));
        let stop = Arc::new(AtomicBool::new(false));
        let (shared, stopped) = (samples.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name(format!("sampler-{pid}"))
            .spawn(move || {
                while !stopped.load(Ordering::SeqCst) {
                    std::thread::sleep(SAMPLE_EVERY);
                    match read(pid) {
                        Ok(s) => shared.lock().unwrap_or_else(|e| e.into_inner()).push(s),
                        Err(e) => return Some(format!("{e:#}")),
                    }
                }
                None
            })
            .context("spawning the sampler")?;
        Ok(Sampler {
            samples,
            stop,
            thread: Some(thread),
        })
    }

    /// The readings so far.
    pub fn samples(&self) -> Vec<ProcSample> {
        self.samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The largest VmRSS read at or after `since`, KiB; an error when there is none.
    pub fn peak_rss_since(&self, since: Instant) -> Result<u64> {
        match self
            .samples()
            .iter()
            .filter(|s| s.at >= since)
            .map(|s| s.rss_kib)
            .max()
        {
            Some(kib) => Ok(kib),
            None => bail!("no memory reading of the relayer since the phase began"),
        }
    }

    /// Stops sampling; an error if the thread stopped early because a read failed.
    pub fn finish(mut self) -> Result<Vec<ProcSample>> {
        self.stop.store(true, Ordering::SeqCst);
        let failed = match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| anyhow::anyhow!("the sampler panicked"))?,
            None => None,
        };
        if let Some(e) = failed {
            bail!("sampling the relayer stopped early: {e}");
        }
        Ok(self.samples())
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// What a relayer used during one measured phase.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    /// The largest VmRSS sampled during the phase, KiB.
    pub rss_peak_kib: u64,
    /// VmHWM at the phase's end (the kernel's peak since the process began), KiB.
    pub rss_hwm_kib: u64,
    /// CPU seconds used during the phase.
    pub cpu_seconds: f64,
    /// Packets relayed during the phase.
    pub packets: usize,
}

impl Usage {
    /// The usage between two readings, with the sampler's peak over the same phase.
    pub fn between(
        sampler: &Sampler,
        start: &ProcSample,
        end: &ProcSample,
        packets: usize,
    ) -> Result<Usage> {
        Ok(Usage {
            rss_peak_kib: sampler.peak_rss_since(start.at)?.max(end.rss_kib),
            rss_hwm_kib: end.hwm_kib,
            cpu_seconds: end.cpu_seconds_since(start)?,
            packets,
        })
    }

    /// CPU seconds per 1,000 packets relayed.
    pub fn cpu_per_1000(&self) -> f64 {
        self.cpu_seconds * 1000.0 / self.packets as f64
    }
}

/// The mean VmRSS (KiB) of `samples` over the first and over the last minute of the phase
/// from `start` to `end`: whether memory grew through a long run. `None` when the phase is
/// shorter than three minutes (too short to tell growth from a burst).
pub fn rss_first_and_last_minute(
    samples: &[ProcSample],
    start: Instant,
    end: Instant,
) -> Option<(u64, u64)> {
    let minute = std::time::Duration::from_secs(60);
    if end.saturating_duration_since(start) < 3 * minute {
        return None;
    }
    let mean = |from: Instant, to: Instant| {
        let rss: Vec<u64> = samples
            .iter()
            .filter(|s| s.at >= from && s.at <= to)
            .map(|s| s.rss_kib)
            .collect();
        (!rss.is_empty()).then(|| rss.iter().sum::<u64>() / rss.len() as u64)
    };
    Some((mean(start, start + minute)?, mean(end - minute, end)?))
}

/// MiB of KiB.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The whole machine's CPU ticks so far, from the first line of `/proc/stat`: (all,
/// idle + iowait), summed over every core.
pub fn machine_ticks() -> Result<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
    let line = stat.lines().next().context("/proc/stat is empty")?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().with_context(|| format!("/proc/stat: {line:?}")))
        .collect::<Result<_>>()?;
    let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
    Ok((ticks.iter().sum(), idle))
}

/// How busy the machine and the chains' nodes were over a phase, in cores (1.0: one core
/// busy the whole time): where the CPU went while a relayer worked.
#[derive(Clone, Copy, Debug, Default)]
pub struct Load {
    /// The whole machine.
    pub machine_busy_cores: f64,
    /// The machine's cores.
    pub cores: usize,
    /// The chains' nodes together.
    pub chains_cores: f64,
}

/// Starts measuring a [`Load`]: the machine's ticks and the chains' nodes' CPU now.
pub struct LoadMeter {
    machine: (u64, u64),
    chains: Vec<(u32, ProcSample)>,
    at: Instant,
}

impl LoadMeter {
    /// Reads the machine and the nodes `chain_pids` now.
    pub fn start(chain_pids: &[u32]) -> Result<LoadMeter> {
        let chains = chain_pids
            .iter()
            .map(|&pid| read(pid).map(|s| (pid, s)))
            .collect::<Result<_>>()?;
        Ok(LoadMeter {
            machine: machine_ticks()?,
            chains,
            at: Instant::now(),
        })
    }

    /// The load from the start until now.
    pub fn finish(&self) -> Result<Load> {
        let seconds = self.at.elapsed().as_secs_f64().max(1e-3);
        let (all, idle) = machine_ticks()?;
        let all = all.saturating_sub(self.machine.0).max(1) as f64;
        let idle = idle.saturating_sub(self.machine.1) as f64;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut chains_seconds = 0.0;
        for (pid, first) in &self.chains {
            chains_seconds += read(*pid)?.cpu_seconds_since(first)?;
        }
        Ok(Load {
            machine_busy_cores: (all - idle) / all * cores as f64,
            cores,
            chains_cores: chains_seconds / seconds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let stat = "42 (a (weird) name) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16";
        // Fields after `)`: state=3 … utime=14 → "11", stime=15 → "12".
        assert_eq!(cpu_ticks(stat).unwrap(), 23);
        assert!(cpu_ticks("no parenthesis").is_err());
        let me = read(std::process::id()).unwrap();
        assert!(me.rss_kib > 0 && me.hwm_kib >= me.rss_kib);
        assert!(clock_ticks().unwrap() > 0);
    }

    #[test]
    fn measures_the_machine_and_a_process() {
        let (all, idle) = machine_ticks().unwrap();
        assert!(all > 0 && idle <= all, "{all} {idle}");
        let meter = LoadMeter::start(&[std::process::id()]).unwrap();
        let spin = Instant::now();
        while spin.elapsed() < Duration::from_millis(300) {
            std::hint::black_box(spin.elapsed());
        }
        let load = meter.finish().unwrap();
        assert!(load.cores >= 1);
        assert!(
            load.machine_busy_cores <= load.cores as f64 + 1e-9,
            "{load:?}"
        );
        // This process spun the whole time (clock ticks are 10 ms, so allow for rounding).
        assert!(load.chains_cores > 0.5, "{load:?}");
    }
}
