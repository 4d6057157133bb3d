//! [`Results`] of a run and `results.md` with its PNG plots ([`write`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::backlog::Backlog;
use super::ceiling::Ceiling;
use super::environment::{Machine, Versions};
use super::idle_paths::IdlePaths;
use super::latency::Latency;
use super::lines::{fraction, one_line};
use super::notes::{HERMES_FINDINGS, METHOD, SETTINGS};
use super::plot::{self, Line};
use super::procstat::mib;
use super::restart::Restart;
use super::{BenchConfig, RelayerKind};

/// A measurement's result, or its error as text.
pub type Outcome<T> = Result<T, String>;

/// Everything one run measured.
#[derive(Default)]
pub struct Results {
    /// The chain's ceiling, when run.
    pub ceiling: Option<Outcome<Ceiling>>,
    /// Backlogs: relayer, size, result.
    pub backlogs: Vec<(RelayerKind, usize, Outcome<Backlog>)>,
    /// Steady loads: relayer, rate, result.
    pub latencies: Vec<(RelayerKind, usize, Outcome<Latency>)>,
    /// Our daemon's restart, when run.
    pub restart: Option<Outcome<Restart>>,
    /// Idle with many paths: relayer, result.
    pub idle_paths: Vec<(RelayerKind, Outcome<IdlePaths>)>,
}

impl Results {
    /// The ceiling in transfers per second, when it was measured.
    pub fn ceiling_rate(&self) -> Option<f64> {
        match &self.ceiling {
            Some(Ok(c)) => Some(c.transfers_per_second),
            _ => None,
        }
    }
}

/// What the report says about where it ran.
pub struct RunInfo<'a> {
    /// The settings of the run.
    pub config: &'a BenchConfig,
    /// The command line, as given.
    pub command: String,
    /// The machine (or why it could not be read).
    pub machine: Result<Machine, String>,
    /// The software.
    pub versions: Versions,
}

/// Writes `<out>/results.md` and its plots; returns the file. A plot that fails is
/// named in the report with its error instead.
pub fn write(ctx: &RunInfo<'_>, results: &Results) -> Result<PathBuf> {
    let out = &ctx.config.out;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut md = String::new();
    header(&mut md, ctx, results);
    ceiling_section(&mut md, results);
    backlog_section(&mut md, out, ctx.config, results);
    latency_section(&mut md, out, ctx.config, results);
    resources_section(&mut md, ctx.config, results);
    restart_section(&mut md, results);
    idle_paths_section(&mut md, results);
    let _ = write!(
        md,
        "\n## How it is measured\n\n{METHOD}\n\n## Relayer settings\n\n{SETTINGS}\n\n\
         ## Hermes's warnings on these chains\n\n{HERMES_FINDINGS}\n"
    );
    errors_section(&mut md, results);
    let file = out.join("results.md");
    std::fs::write(&file, md).with_context(|| format!("writing {}", file.display()))?;
    Ok(file)
}

fn header(md: &mut String, ctx: &RunInfo<'_>, results: &Results) {
    let machine = match &ctx.machine {
        Ok(m) => format!(
            "{} logical CPUs, {:.1} GiB memory, {}",
            m.cores, m.memory_gib, m.cpu_model
        ),
        Err(e) => format!("unavailable: {e}"),
    };
    let v = &ctx.versions;
    let idle_block = match &results.ceiling {
        Some(Ok(c)) => format!(
            "{:.3} s idle (over 10 blocks before the ceiling run)",
            c.idle_block_seconds
        ),
        _ => "not measured (no ceiling run); see each run's block interval".into(),
    };
    let _ = write!(
        md,
        "# Relayer benchmark\n\n`{}`\n\n| | |\n|---|---|\n| machine | {machine} |\n\
         | simd | {} |\n| ibc-go | {} |\n| our relayer | {} |\n| Hermes | {} |\n\
         | block interval | {idle_block} |\n| senders | {} accounts ({} in the ceiling run), {} transfers per tx |\n",
        ctx.command,
        v.simd,
        v.ibc_go,
        v.ours,
        v.hermes.as_deref().unwrap_or("not run"),
        ctx.config.senders,
        ctx.config.ceiling_senders,
        ctx.config.per_tx
    );
}

fn ceiling_section(md: &mut String, results: &Results) {
    let Some(outcome) = &results.ceiling else {
        return;
    };
    md.push_str("\n## The chain's ceiling (no relayer)\n\n");
    match outcome {
        Ok(c) => {
            let _ = writeln!(
                md,
                "{:.1} transfers per second included ({:.1} per block, a block every {:.3} s \
                 under the load) from {} senders over {:.1} s.",
                c.transfers_per_second,
                c.transfers_per_block,
                c.block_seconds,
                c.senders,
                c.seconds
            );
            let _ = writeln!(
                md,
                "\nA sender had a tx in {:.0} % of the blocks. This is what the benchmark's own \
                 way of sending gets included, a lower bound of what the chain could carry: near \
                 100 % the senders set it (raise `ceiling_senders`); below, each sender's round \
                 trip (sign, broadcast, wait for the block) holds it back as well.",
                100.0 * c.tx_share()
            );
        }
        Err(e) => {
            let _ = writeln!(md, "Failed: {}", one_line(e));
        }
    }
}

fn backlog_section(md: &mut String, out: &Path, config: &BenchConfig, results: &Results) {
    if results.backlogs.is_empty() {
        return;
    }
    md.push_str(
        "\n## Backlog\n\n| transfers | relayer | clear time (s) | blocks | packets/s | of ceiling \
         | RSS peak (MiB) | CPU s / 1,000 packets | chains' nodes (cores) | machine busy (cores) \
         | chains' block execution (ms / packet) | client updates (source / destination) \
         |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let ceiling = results.ceiling_rate();
    for (kind, size, outcome) in &results.backlogs {
        let row = match outcome {
            Ok(b) => {
                let rate = (b.size as u64).saturating_sub(b.remaining) as f64 / b.seconds;
                let time = match b.remaining {
                    0 => format!("{:.1}", b.seconds),
                    left => format!("> {:.0} ({left} left)", b.seconds),
                };
                format!(
                    "{time} | {} | {:.0} | {} | {:.1} | {:.2} | {:.2} | {:.2} of {} | {:.2} | {}",
                    b.blocks,
                    rate,
                    fraction(rate, ceiling),
                    mib(b.usage.rss_peak_kib),
                    b.usage.cpu_per_1000(),
                    b.load.chains_cores,
                    b.load.machine_busy_cores,
                    b.load.cores,
                    b.exec_ms_per_packet().iter().sum::<f64>(),
                    b.client_update_txs
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(" / ")
                )
            }
            Err(_) => "failed (see Errors) | | | | | | | | | |".into(),
        };
        let _ = writeln!(md, "| {size} | {} | {row} |", kind.name());
    }
    for &size in &config.sizes {
        let lines: Vec<Line<'_>> = results
            .backlogs
            .iter()
            .filter(|(_, s, _)| *s == size)
            .filter_map(|(kind, _, o)| o.as_ref().ok().map(|b| (kind, b)))
            .map(|(kind, b)| Line {
                name: kind.name(),
                points: b.pending.iter().map(|&(t, n)| (t, n as f64)).collect(),
            })
            .collect();
        let name = format!("backlog-{size}.png");
        embed(
            md,
            &name,
            (!lines.is_empty()).then(|| plot::backlog_png(&out.join(&name), size, &lines)),
        );
    }
}

fn latency_section(md: &mut String, out: &Path, config: &BenchConfig, results: &Results) {
    if results.latencies.is_empty() {
        return;
    }
    md.push_str(
        "\n## Steady load\n\n| offered/s | relayer | sent/s | of ceiling | p50 s | p99 s | p50 blocks \
         | p99 blocks | max s | acked/s | backlog at end | drain s | kept up \
         | CPU s / 1,000 |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n",
    );
    let ceiling = results.ceiling_rate();
    for (kind, rate, outcome) in &results.latencies {
        let row = match outcome {
            Ok(l) => format!(
                "{:.1} | {} | {:.2} | {:.2} | {:.1} | {:.1} | {:.2} | {:.1} | {} | {:.1} | {} | {:.2}",
                l.sent_rate,
                fraction(l.sent_rate, ceiling),
                l.seconds_at(50.0),
                l.seconds_at(99.0),
                l.blocks_at(50.0),
                l.blocks_at(99.0),
                l.seconds.last().copied().unwrap_or(f64::NAN),
                l.acked_rate,
                l.backlog_at_end,
                l.drain_seconds,
                if l.kept_up() { "yes" } else { "no" },
                l.usage.cpu_per_1000()
            ),
            Err(_) => "failed (see Errors) | | | | | | | | | | | |".into(),
        };
        let _ = writeln!(md, "| {rate} | {} | {row} |", kind.name());
    }
    for (kind, rate, outcome) in &results.latencies {
        if let Ok(Latency {
            rss_first_last_minute: Some((first, last)),
            ..
        }) = outcome
        {
            let _ = writeln!(
                md,
                "\n{} at {rate}/s for {:.0} s: mean RSS {:.1} MiB over the load's first minute, \
                 {:.1} MiB over its last.",
                kind.name(),
                outcome.as_ref().map_or(0.0, |l| l.load_seconds),
                mib(*first),
                mib(*last)
            );
        }
    }
    for &rate in &config.rates {
        let series: Vec<(&str, &[f64])> = results
            .latencies
            .iter()
            .filter(|(_, r, _)| *r == rate)
            .filter_map(|(kind, _, o)| o.as_ref().ok().map(|l| (kind.name(), &l.seconds[..])))
            .filter(|(_, s)| !s.is_empty())
            .collect();
        let name = format!("latency-{rate}.png");
        embed(
            md,
            &name,
            (!series.is_empty()).then(|| plot::latency_png(&out.join(&name), rate, &series)),
        );
    }
}

/// Links a plot, or says why it is missing (`None`: no data).
fn embed(md: &mut String, name: &str, drawn: Option<Result<()>>) {
    let _ = match drawn {
        Some(Ok(())) => writeln!(md, "\n![{name}]({name})"),
        Some(Err(e)) => writeln!(md, "\n{name}: not drawn: {}", one_line(&format!("{e:#}"))),
        None => Ok(()),
    };
}

fn resources_section(md: &mut String, config: &BenchConfig, results: &Results) {
    md.push_str(
        "\n## Memory and CPU of the relayer process\n\n| relayer | RSS idle (MiB) | CPU idle (% of a \
         core) | RSS peak (MiB) | VmHWM (MiB) |\n|---|---:|---:|---:|---:|\n",
    );
    for &kind in &config.relayers {
        let loads: Vec<&Latency> = results
            .latencies
            .iter()
            .filter(|(k, _, _)| *k == kind)
            .filter_map(|(_, _, o)| o.as_ref().ok())
            .collect();
        let backlogs = results
            .backlogs
            .iter()
            .filter(|(k, _, _)| *k == kind)
            .filter_map(|(_, _, o)| o.as_ref().ok().map(|b| b.usage));
        let usages: Vec<_> = loads.iter().map(|l| l.usage).chain(backlogs).collect();
        let idle = loads.first().map_or("- | -".to_string(), |l| {
            format!("{:.1} | {:.2}", mib(l.idle.rss_kib), l.idle.cpu_percent)
        });
        let peak = usages.iter().map(|u| u.rss_peak_kib).max();
        let hwm = usages.iter().map(|u| u.rss_hwm_kib).max();
        let show = |v: Option<u64>| v.map_or("-".to_string(), |k| format!("{:.1}", mib(k)));
        let _ = writeln!(
            md,
            "| {} | {idle} | {} | {} |",
            kind.name(),
            show(peak),
            show(hwm)
        );
    }
    md.push_str("\nIdle: after the warm-up transfer, over the idle window of the first steady load. Peak: the largest over all its runs.\n");
}

fn restart_section(md: &mut String, results: &Results) {
    let Some(outcome) = &results.restart else {
        return;
    };
    md.push_str("\n## Restart with packets pending in the ledger (ours)\n\n");
    let _ =
        match outcome {
            Ok(r) => writeln!(
            md,
            "{} transfers pending: the first MsgRecvPacket was in a block {:.2} s ({} destination \
             blocks) after the daemon was spawned again. Sending them took {:.1} s; the daemon \
             had recorded them {:.1} s after sending ended; it stopped in {:.1} s ({}). RSS peak \
             until the first receive: {:.1} MiB, CPU {:.2} s. Its backlog gauge then: {}.",
            r.pending,
            r.first_recv_seconds,
            r.first_recv_blocks,
            r.send_seconds,
            r.record_seconds,
            r.stop_seconds,
            if r.stopped_cleanly { "cleanly" } else { "killed after the grace period" },
            mib(r.usage.rss_peak_kib),
            r.usage.cpu_seconds,
            r.ledger_backlog.map_or("not reported yet".to_string(), |n| n.to_string())
        ),
            Err(e) => writeln!(md, "Failed: {}", one_line(e)),
        };
}

fn idle_paths_section(md: &mut String, results: &Results) {
    if results.idle_paths.is_empty() {
        return;
    }
    md.push_str(
        "\n## Idle with many paths\n\n| relayer | paths (served) | idle window s | RSS idle (MiB) \
         | RSS peak (MiB) | CPU idle (% of a core) |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for (kind, outcome) in &results.idle_paths {
        let row = match outcome {
            Ok(i) => format!(
                "{} ({}) | {:.0} | {:.1} | {:.1} | {:.2}",
                i.paths,
                i.served.map_or("-".to_string(), |n| n.to_string()),
                i.window.as_secs_f64(),
                mib(i.idle.rss_kib),
                mib(i.rss_peak_kib),
                i.idle.cpu_percent
            ),
            Err(e) => format!("failed: {} | | | | ", one_line(e)),
        };
        let _ = writeln!(md, "| {} | {row} |", kind.name());
    }
}

fn errors_section(md: &mut String, results: &Results) {
    let mut errors = Vec::new();
    if let Some(Err(e)) = &results.ceiling {
        errors.push(format!("ceiling: {e}"));
    }
    for (kind, size, o) in &results.backlogs {
        if let Err(e) = o {
            errors.push(format!("{} backlog {size}: {e}", kind.name()));
        }
    }
    for (kind, rate, o) in &results.latencies {
        if let Err(e) = o {
            errors.push(format!("{} at {rate}/s: {e}", kind.name()));
        }
    }
    if let Some(Err(e)) = &results.restart {
        errors.push(format!("restart: {e}"));
    }
    for (kind, o) in &results.idle_paths {
        if let Err(e) = o {
            errors.push(format!("{} idle with many paths: {e}", kind.name()));
        }
    }
    if errors.is_empty() {
        return;
    }
    md.push_str("\n## Errors\n\n");
    for e in errors {
        let _ = writeln!(md, "- {}", one_line(&e));
    }
}
