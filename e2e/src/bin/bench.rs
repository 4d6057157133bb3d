//! `bench`: what the source chain carries, how fast a relayer clears a backlog of ICS-20
//! transfers, how long transfers wait for their acknowledgement under steady loads, what
//! the relayer process uses, and how soon our daemon relays after a restart with many
//! packets pending; on local simd chains, for our relayer and, to compare, Hermes.
//! `bench --help` lists the settings; `scripts/bench` builds what is needed and runs both
//! relayers.
//!
//! It prints one line per measurement on stdout (progress goes to stderr), e.g.
//!
//! ```text
//! ceiling senders=8 per_tx=50 transfers_per_second=812.3 ...
//! relayer=ours backlog=1000 clear_seconds=12.3 clear_blocks=58 ...
//! relayer=ours rate=10/s p50_seconds=1.52 p99_seconds=2.40 p50_blocks=6.1 ...
//! relayer=ours restart_pending=100000 first_recv_seconds=3.21 ...
//! ```
//!
//! and writes `results.md` with PNG plots into the output directory (`--out`). A
//! measurement that fails prints `<what> error="..."` and the others go on; the exit
//! status is then 1.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

use anyhow::Result;
use stateset_e2e::bench::report::{self, Outcome, Results, RunInfo};
use stateset_e2e::bench::{backlog, ceiling, environment, idle_paths, latency, lines, restart};
use stateset_e2e::bench::{BenchConfig, RelayerKind};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match BenchConfig::from_args(args.clone()) {
        Ok(Some(config)) => config,
        Ok(None) => return,
        Err(e) => {
            eprintln!("bench: {e:#}");
            std::process::exit(2);
        }
    };
    let info = RunInfo {
        config: &config,
        command: format!("bench {}", args.join(" ")),
        machine: environment::machine().map_err(|e| format!("{e:#}")),
        versions: environment::versions(&config),
    };
    if let Some(hermes) = &info.versions.hermes {
        emit(&format!(
            "relayer=hermes version=\"{}\"",
            lines::one_line(hermes)
        ));
    }
    let mut results = Results::default();
    if !config.ceiling.is_zero() {
        eprintln!(
            "bench: the chain's ceiling ({:?}, no relayer) ...",
            config.ceiling
        );
        let outcome = measure(|| ceiling::ceiling(&config));
        emit(&match &outcome {
            Ok(c) => lines::ceiling(c),
            Err(e) => lines::error("ceiling", e),
        });
        results.ceiling = Some(outcome);
    }
    for &kind in &config.relayers {
        run_relayer(&config, kind, &mut results);
    }
    if config.restart_pending > 0 && config.relayers.contains(&RelayerKind::Ours) {
        eprintln!(
            "bench: ours: restart with {} pending ...",
            config.restart_pending
        );
        let outcome = measure(|| restart::restart(&config));
        emit(&match &outcome {
            Ok(r) => lines::restart(r),
            Err(e) => lines::error(
                &format!("relayer=ours restart_pending={}", config.restart_pending),
                e,
            ),
        });
        results.restart = Some(outcome);
    }
    if config.idle_paths > 0 {
        for &kind in &config.relayers {
            if kind == RelayerKind::Hermes && !config.hermes_bin.is_file() {
                continue;
            }
            let paths = config.idle_paths;
            eprintln!("bench: {}: idle with {paths} paths ...", kind.name());
            let outcome = measure(|| idle_paths::idle_paths(&config, kind, paths));
            emit(&match &outcome {
                Ok(i) => lines::idle_paths(kind.name(), i),
                Err(e) => lines::error(&format!("relayer={} idle_paths={paths}", kind.name()), e),
            });
            results.idle_paths.push((kind, outcome));
        }
    }
    let failed = finish(&info, &results);
    if failed {
        std::process::exit(1);
    }
}

/// The backlogs and steady loads of one relayer.
fn run_relayer(config: &BenchConfig, kind: RelayerKind, results: &mut Results) {
    let name = kind.name();
    if kind == RelayerKind::Hermes && !config.hermes_bin.is_file() {
        let e = format!(
            "{} is not installed (scripts/install-hermes.sh)",
            config.hermes_bin.display()
        );
        emit(&lines::error("relayer=hermes", &e));
        results
            .backlogs
            .extend(config.sizes.iter().map(|&s| (kind, s, Err(e.clone()))));
        results
            .latencies
            .extend(config.rates.iter().map(|&r| (kind, r, Err(e.clone()))));
        return;
    }
    for &size in &config.sizes {
        eprintln!("bench: {name}: backlog of {size} ...");
        let outcome = measure(|| backlog::backlog(config, kind, size));
        emit(&match &outcome {
            Ok(b) => lines::backlog(name, b, results.ceiling_rate()),
            Err(e) => lines::error(&format!("relayer={name} backlog={size}"), e),
        });
        results.backlogs.push((kind, size, outcome));
    }
    for &rate in &config.rates {
        eprintln!("bench: {name}: {rate}/s for {:?} ...", config.duration);
        let outcome = measure(|| latency::latency(config, kind, rate));
        emit(&match &outcome {
            Ok(l) => lines::latency(name, l, results.ceiling_rate()),
            Err(e) => lines::error(&format!("relayer={name} rate={rate}/s"), e),
        });
        results.latencies.push((kind, rate, outcome));
    }
}

/// Writes the report; returns whether anything failed.
fn finish(info: &RunInfo<'_>, results: &Results) -> bool {
    let mut failed = matches!(results.ceiling, Some(Err(_)))
        || matches!(results.restart, Some(Err(_)))
        || results.idle_paths.iter().any(|(_, o)| o.is_err())
        || results.backlogs.iter().any(|(_, _, o)| o.is_err())
        || results.latencies.iter().any(|(_, _, o)| o.is_err());
    match report::write(info, results) {
        Ok(file) => eprintln!("bench: wrote {}", file.display()),
        Err(e) => {
            eprintln!("bench: writing the report: {e:#}");
            failed = true;
        }
    }
    failed
}

/// Runs one measurement; a panic in the harness (which asserts on setup failures) is an
/// error like any other.
fn measure<T>(f: impl FnOnce() -> Result<T>) -> Outcome<T> {
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
