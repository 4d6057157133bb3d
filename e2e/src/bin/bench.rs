//! `bench`: how fast a relayer clears a backlog of ICS-20 transfers and how long
//! transfers wait for their acknowledgement under a steady load, on two local simd
//! chains; for our relayer and, to compare, Hermes. `bench --help` lists the settings;
//! `scripts/bench` builds what is needed and runs both relayers.
//!
//! It prints one line per measurement on stdout (progress goes to stderr):
//!
//! ```text
//! relayer=ours backlog=1000 clear_seconds=12.3 clear_blocks=58
//! relayer=ours rate=10/s p50_seconds=1.52 p99_seconds=2.40 p50_blocks=6.1 p99_blocks=9.6 ...
//! ```
//!
//! A measurement that fails prints `relayer=R <what> error="..."` and the others go on;
//! the exit status is then 1.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

use anyhow::Result;
use stateset_e2e::bench::hermes;
use stateset_e2e::bench::run::{self, Latency};
use stateset_e2e::bench::{BenchConfig, RelayerKind};

fn main() {
    let config = match BenchConfig::from_args(std::env::args().skip(1)) {
        Ok(Some(config)) => config,
        Ok(None) => return,
        Err(e) => {
            eprintln!("bench: {e:#}");
            std::process::exit(2);
        }
    };
    let mut failed = false;
    for &kind in &config.relayers {
        let name = kind.name();
        if kind == RelayerKind::Hermes {
            match hermes::version(&config.hermes_bin) {
                Ok(version) => emit(&format!("relayer=hermes version=\"{version}\"")),
                Err(e) => {
                    emit(&format!(
                        "relayer=hermes error=\"{}\"",
                        one_line(&format!("{e:#}"))
                    ));
                    failed = true;
                    continue;
                }
            }
        }
        for &size in &config.sizes {
            eprintln!("bench: {name}: backlog of {size} ...");
            let line = match measure(|| run::backlog(&config, kind, size)) {
                Ok(b) => format!(
                    "relayer={name} backlog={size} clear_seconds={:.1} clear_blocks={}",
                    b.seconds, b.blocks
                ),
                Err(e) => {
                    failed = true;
                    format!("relayer={name} backlog={size} error=\"{}\"", one_line(&e))
                }
            };
            emit(&line);
        }
        if !config.duration.is_zero() {
            eprintln!(
                "bench: {name}: {}/s for {:?} ...",
                config.rate, config.duration
            );
            let line = match measure(|| run::latency(&config, kind)) {
                Ok(l) => latency_line(name, config.rate, &l),
                Err(e) => {
                    failed = true;
                    format!(
                        "relayer={name} rate={}/s error=\"{}\"",
                        config.rate,
                        one_line(&e)
                    )
                }
            };
            emit(&line);
        }
    }
    if failed {
        std::process::exit(1);
    }
}

/// The result line of a latency run.
fn latency_line(name: &str, rate: usize, l: &Latency) -> String {
    format!(
        "relayer={name} rate={rate}/s p50_seconds={:.2} p99_seconds={:.2} p50_blocks={:.1} \
         p99_blocks={:.1} max_seconds={:.2} block_seconds={:.3} sent={} measured={} \
         achieved_rate={:.1}/s",
        l.seconds_at(50.0),
        l.seconds_at(99.0),
        l.blocks_at(50.0),
        l.blocks_at(99.0),
        l.seconds.last().copied().unwrap_or(f64::NAN),
        l.block_seconds,
        l.sent,
        l.measured,
        l.achieved_rate
    )
}

/// Runs one measurement; a panic in the harness (which asserts on setup failures) is an
/// error like any other.
fn measure<T>(f: impl FnOnce() -> Result<T>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(format!("{e:#}")),
        Err(panic) => Err(panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panicked".into())),
    }
}

/// Prints a result line at once.
fn emit(line: &str) {
    println!("{line}");
    std::io::stdout().flush().ok();
}

/// An error on one line, quotes escaped, cut to 400 characters.
fn one_line(text: &str) -> String {
    let flat: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('"', "'");
    flat.chars().take(400).collect()
}
