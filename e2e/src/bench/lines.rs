//! The result lines the `bench` binary prints on stdout, one per measurement
//! (`key=value` pairs, errors as `error="…"`).

use super::backlog::Backlog;
use super::ceiling::Ceiling;
use super::idle_paths::IdlePaths;
use super::latency::Latency;
use super::procstat::{mib, Usage};
use super::restart::Restart;

/// The ceiling's line.
pub fn ceiling(c: &Ceiling) -> String {
    format!(
        "ceiling senders={} per_tx={} transfers_per_second={:.1} transfers_per_block={:.1} \
         block_seconds={:.3} idle_block_seconds={:.3} window_seconds={:.1} tx_share={:.2} \
         exec_ms_per_transfer={:.2}",
        c.senders,
        c.per_tx,
        c.transfers_per_second,
        c.transfers_per_block,
        c.block_seconds,
        c.idle_block_seconds,
        c.seconds,
        c.tx_share(),
        c.exec_ms_per_transfer
    )
}

/// A backlog's line; `ceiling` is the chain's transfers per second, when measured.
pub fn backlog(name: &str, b: &Backlog, ceiling: Option<f64>) -> String {
    let rate = (b.size as u64).saturating_sub(b.remaining) as f64 / b.seconds;
    let exec = b.exec_ms_per_packet();
    format!(
        "relayer={name} backlog={} clear_seconds={:.1} clear_blocks={} remaining={} \
         packets_per_second={:.1} of_ceiling={} send_seconds={:.1} {} chains_cpu_cores={:.2} \
         machine_busy_cores={:.2}/{} chains_exec_ms_per_packet={:.2} \
         source_exec_ms_per_packet={:.2} destination_exec_ms_per_packet={:.2} \
         client_update_txs={}",
        b.size,
        b.seconds,
        b.blocks,
        b.remaining,
        rate,
        fraction(rate, ceiling),
        b.send_seconds,
        usage(&b.usage),
        b.load.chains_cores,
        b.load.machine_busy_cores,
        b.load.cores,
        exec.iter().sum::<f64>(),
        exec.first().copied().unwrap_or(f64::NAN),
        exec.get(1).copied().unwrap_or(f64::NAN),
        b.client_update_txs
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// A steady load's line.
pub fn latency(name: &str, l: &Latency, ceiling: Option<f64>) -> String {
    format!(
        "relayer={name} rate={}/s p50_seconds={:.2} p99_seconds={:.2} p50_blocks={:.1} \
         p99_blocks={:.1} max_seconds={:.2} block_seconds={:.3} sent={} measured={} \
         sent_rate={:.1}/s of_ceiling={} acked_rate={:.1}/s appearing_rate={:.1}/s \
         backlog_at_end={} drain_seconds={:.1} kept_up={} rss_idle_mib={:.1} \
         cpu_idle_percent={:.1}{} {}",
        l.rate,
        l.seconds_at(50.0),
        l.seconds_at(99.0),
        l.blocks_at(50.0),
        l.blocks_at(99.0),
        l.seconds.last().copied().unwrap_or(f64::NAN),
        l.block_seconds,
        l.sent,
        l.measured,
        l.sent_rate,
        fraction(l.sent_rate, ceiling),
        l.acked_rate,
        l.appearing_rate,
        l.backlog_at_end,
        l.drain_seconds,
        yes_no(l.kept_up()),
        mib(l.idle.rss_kib),
        l.idle.cpu_percent,
        match l.rss_first_last_minute {
            Some((first, last)) => format!(
                " rss_first_minute_mib={:.1} rss_last_minute_mib={:.1}",
                mib(first),
                mib(last)
            ),
            None => String::new(),
        },
        usage(&l.usage)
    )
}

/// The line of a relayer idle with many paths.
pub fn idle_paths(name: &str, i: &IdlePaths) -> String {
    format!(
        "relayer={name} idle_paths={} served={} window_seconds={:.0} rss_idle_mib={:.1} \
         rss_peak_mib={:.1} cpu_idle_percent={:.2}",
        i.paths,
        i.served.map_or("-".to_string(), |n| n.to_string()),
        i.window.as_secs_f64(),
        mib(i.idle.rss_kib),
        mib(i.rss_peak_kib),
        i.idle.cpu_percent
    )
}

/// The restart's line.
pub fn restart(r: &Restart) -> String {
    format!(
        "relayer=ours restart_pending={} first_recv_seconds={:.2} first_recv_blocks={} \
         send_seconds={:.1} record_seconds={:.1} stop_seconds={:.1} stopped_cleanly={} \
         ledger_backlog={} rss_peak_mib={:.1} cpu_seconds={:.2}",
        r.pending,
        r.first_recv_seconds,
        r.first_recv_blocks,
        r.send_seconds,
        r.record_seconds,
        r.stop_seconds,
        yes_no(r.stopped_cleanly),
        r.ledger_backlog.map_or("-".to_string(), |n| n.to_string()),
        mib(r.usage.rss_peak_kib),
        r.usage.cpu_seconds
    )
}

/// A failed measurement's line: `what` (e.g. `relayer=ours backlog=1000`) and the error.
pub fn error(what: &str, e: &str) -> String {
    format!("{what} error=\"{}\"", one_line(e))
}

/// Memory and CPU of a phase.
fn usage(u: &Usage) -> String {
    format!(
        "rss_peak_mib={:.1} rss_hwm_mib={:.1} cpu_seconds={:.2} cpu_seconds_per_1000={:.2}",
        mib(u.rss_peak_kib),
        mib(u.rss_hwm_kib),
        u.cpu_seconds,
        u.cpu_per_1000()
    )
}

/// `value / of` with two decimals, `-` when `of` is unknown.
pub fn fraction(value: f64, of: Option<f64>) -> String {
    match of {
        Some(of) if of > 0.0 => format!("{:.2}", value / of),
        _ => "-".into(),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// An error on one line, quotes escaped, cut to 400 characters.
pub fn one_line(text: &str) -> String {
    let flat: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('"', "'");
    flat.chars().take(400).collect()
}
