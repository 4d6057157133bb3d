//! What to benchmark: [`BenchConfig`], read from a TOML file (`--config`) and then
//! command-line flags, which win. A TOML key is the flag's name without the leading
//! dashes and with `_` for `-` (`--hermes-bin` is `hermes_bin`); lists are TOML arrays
//! or comma-separated strings.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::{target_dir, workspace_root};

/// The command-line help.
pub const USAGE: &str = "\
usage: bench [--config FILE] [--relayer ours,hermes] [--sizes 1000,5000,20000]
             [--rates 10,50,100,200] [--duration 60s] [--idle 10s] [--ceiling 30s]
             [--restart-pending 100000] [--idle-paths 10] [--per-tx 50] [--senders 8]
             [--ceiling-senders 16] [--timeout 900s]
             [--poll-interval 200ms] [--relayer-bin PATH] [--hermes-bin PATH]
             [--hermes-clear-limit 0] [--out DIR]

Benchmarks IBC relayers on two local simd chains (fresh chains for each measurement),
prints one line per measurement and writes DIR/results.md with PNG plots:
  ceiling transfers_per_second=..
      no relayer: --ceiling-senders accounts send transfers as fast as they can for
      --ceiling; the transfers the source chain included per second (what the chain
      carries of the benchmark's txs; a lower bound of what it could carry).
  relayer=R backlog=N clear_seconds=S clear_blocks=B ..
      N transfers are sent while no relayer runs; the time and the source chain's blocks
      from the relayer's start until no packet commitment is left on the source (every
      packet received and acknowledged); chains_exec_ms_per_packet: the time both chains'
      applications spent executing and committing blocks meanwhile (CometBFT's ABCI
      timings), per packet: what a packet costs the chains themselves.
  relayer=R rate=X/s p50_seconds=.. p99_seconds=.. p50_blocks=.. p99_blocks=.. ..
      X transfers per second for --duration while the relayer runs (after --idle with
      nothing to do); each packet's latency from its commitment appearing to it
      disappearing (acknowledged), both seen by polling the source every
      --poll-interval; blocks = seconds / the mean block interval measured meanwhile.
  relayer=ours restart_pending=N first_recv_seconds=..
      our daemon records N sends while the destination is down, is stopped, the
      destination comes back, and the daemon starts again: the time from its start to
      the first MsgRecvPacket in a block of the destination.
  relayer=R idle_paths=N rss_idle_mib=..
      N channels (paths) over one connection; the relayer relays a warm-up transfer and
      idles for max(--idle, 30s): its VmRSS at the end and its CPU meanwhile.
Each relayer line also carries the relayer process's memory (VmRSS) and CPU seconds
(utime+stime) read from /proc.

  --relayer       ours (stateset-relayer) and/or hermes (default: ours)
  --sizes         backlog sizes; empty skips the backlog runs (default: 1000,5000,20000)
  --rates         transfers per second of the steady loads; empty skips them
                  (default: 10,50,100,200; --rate is the same)
  --duration      length of each steady load (default: 60s)
  --idle          how long the relayer idles (memory and CPU sampled) before a steady
                  load (default: 10s)
  --ceiling       length of the chain's ceiling run; 0 skips it (default: 30s)
  --restart-pending  transfers pending in our daemon's ledger when it restarts; 0 skips
                  the restart run (default: 100000)
  --idle-paths    paths (channels) the relayer serves in the idle-memory run; 0 skips
                  it (default: 10)
  --per-tx        transfers per tx (default: 50; 100 run out of the 4M max_gas our CLI
                  gives a tx)
  --senders       accounts sending at once (user1 and keys derived from its mnemonic),
                  so that more than one tx goes into a block (default: 8)
  --ceiling-senders  accounts sending at once in the ceiling run (default: 16)
  --timeout       how long a backlog or a steady load's tail may take (default: 900s)
  --poll-interval how often the source chain's packet commitments are read (default: 200ms)
  --relayer-bin   our relayer binary (default: the debug build the harness makes)
  --hermes-bin    Hermes (default: target/hermes/bin/hermes, see scripts/install-hermes.sh)
  --hermes-clear-limit  Hermes's [mode.packets] clear_limit; 0: each backlog's size, so
                  that Hermes clears the whole backlog at its start as ours does (Hermes's
                  own default, 50, clears 50 packets per clear_interval) (default: 0)
  --out           where results.md, the plots and the relayers' configs and logs go
                  (default: target/bench)";

/// A relayer under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayerKind {
    /// `stateset-relayer start`, configured by [`crate::relayer::RelayerHome`].
    Ours,
    /// `hermes start`, configured by [`crate::bench::hermes::HermesHome`].
    Hermes,
}

impl RelayerKind {
    /// The name used on the command line and in the output.
    pub fn name(self) -> &'static str {
        match self {
            RelayerKind::Ours => "ours",
            RelayerKind::Hermes => "hermes",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        match text.trim() {
            "ours" | "stateset" | "stateset-relayer" => Ok(RelayerKind::Ours),
            "hermes" => Ok(RelayerKind::Hermes),
            other => bail!("unknown relayer {other:?} (ours or hermes)"),
        }
    }
}

/// The benchmark's settings; see [`USAGE`] for each one.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// The relayers to run, in order.
    pub relayers: Vec<RelayerKind>,
    /// Backlog sizes.
    pub sizes: Vec<usize>,
    /// Transfers per second of the steady loads, one run each.
    pub rates: Vec<usize>,
    /// Length of each steady load.
    pub duration: Duration,
    /// How long the relayer idles before a steady load.
    pub idle: Duration,
    /// Length of the ceiling run (zero: skip it).
    pub ceiling: Duration,
    /// Transfers pending in our daemon's ledger when it restarts (zero: skip it).
    pub restart_pending: usize,
    /// Paths (channels) served in the idle-memory run (zero: skip it).
    pub idle_paths: usize,
    /// Transfers per tx.
    pub per_tx: usize,
    /// Accounts sending at once.
    pub senders: usize,
    /// Accounts sending at once in the ceiling run.
    pub ceiling_senders: usize,
    /// Limit for clearing a backlog, and for a steady load's tail to be acknowledged.
    pub timeout: Duration,
    /// How often the source chain's packet commitments are read.
    pub poll_interval: Duration,
    /// Our relayer's binary (`None`: [`crate::relayer::binary`]).
    pub relayer_bin: Option<PathBuf>,
    /// The Hermes binary.
    pub hermes_bin: PathBuf,
    /// Hermes's `clear_limit` (zero: each backlog's size).
    pub hermes_clear_limit: usize,
    /// Where results, plots, configs and logs go.
    pub out: PathBuf,
}

impl Default for BenchConfig {
    fn default() -> Self {
        BenchConfig {
            relayers: vec![RelayerKind::Ours],
            sizes: vec![1000, 5000, 20_000],
            rates: vec![10, 50, 100, 200],
            duration: Duration::from_secs(60),
            idle: Duration::from_secs(10),
            ceiling: Duration::from_secs(30),
            restart_pending: 100_000,
            idle_paths: 10,
            per_tx: 50,
            senders: 8,
            ceiling_senders: 16,
            timeout: Duration::from_secs(900),
            poll_interval: Duration::from_millis(200),
            relayer_bin: None,
            hermes_bin: workspace_root().join("target/hermes/bin/hermes"),
            hermes_clear_limit: 0,
            out: target_dir().join("bench"),
        }
    }
}

impl BenchConfig {
    /// Hermes's `clear_limit` for a run whose backlog is `backlog` packets: the configured
    /// value, or when that is 0 the backlog's size (at least Hermes's default, 50).
    pub fn hermes_clear_limit_for(&self, backlog: usize) -> usize {
        match self.hermes_clear_limit {
            0 => backlog.max(50),
            limit => limit,
        }
    }

    /// Parses the arguments (without the program name); `None` when `--help` was asked
    /// for (the usage is printed).
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Option<Self>> {
        let args: Vec<String> = args.into_iter().collect();
        let mut pairs = Vec::new();
        let mut config_file = None;
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if arg == "-h" || arg == "--help" {
                println!("{USAGE}");
                return Ok(None);
            }
            let Some(flag) = arg.strip_prefix("--") else {
                bail!("unexpected argument {arg:?}\n\n{USAGE}");
            };
            let (key, value) = match flag.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => {
                    let v = iter
                        .next()
                        .with_context(|| format!("--{flag} needs a value"))?;
                    (flag.to_string(), v.clone())
                }
            };
            if key == "config" {
                config_file = Some(PathBuf::from(value));
            } else {
                pairs.push((key.replace('-', "_"), value));
            }
        }
        let mut config = BenchConfig::default();
        if let Some(file) = config_file {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            config
                .apply_toml(&text)
                .with_context(|| format!("in {}", file.display()))?;
        }
        for (key, value) in pairs {
            config
                .set(&key, &value)
                .with_context(|| format!("--{}", key.replace('_', "-")))?;
        }
        Ok(Some(config))
    }

    /// Applies the keys of a TOML document.
    pub fn apply_toml(&mut self, text: &str) -> Result<()> {
        let table: toml::Table = text.parse().context("parsing TOML")?;
        for (key, value) in table {
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Array(items) => items
                    .iter()
                    .map(|v| match v {
                        toml::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            self.set(&key, &text)
                .with_context(|| format!("key {key}"))?;
        }
        Ok(())
    }

    /// Sets one setting from its text form.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let int = |v: &str| -> Result<usize> {
            v.trim()
                .parse()
                .with_context(|| format!("{v:?} is not a count"))
        };
        match key {
            "relayer" | "relayers" => {
                self.relayers = list(value).map(RelayerKind::parse).collect::<Result<_>>()?
            }
            "sizes" => self.sizes = list(value).map(int).collect::<Result<_>>()?,
            "rates" | "rate" => self.rates = list(value).map(int).collect::<Result<_>>()?,
            "duration" => self.duration = parse_duration(value)?,
            "idle" => self.idle = parse_duration(value)?,
            "ceiling" => self.ceiling = parse_duration(value)?,
            "restart_pending" => self.restart_pending = int(value)?,
            "idle_paths" => self.idle_paths = int(value)?,
            "per_tx" => self.per_tx = int(value)?.max(1),
            "senders" => self.senders = int(value)?.max(1),
            "ceiling_senders" => self.ceiling_senders = int(value)?.max(1),
            "timeout" => self.timeout = parse_duration(value)?,
            "poll_interval" => self.poll_interval = parse_duration(value)?,
            "relayer_bin" => self.relayer_bin = Some(PathBuf::from(value)),
            "hermes_bin" => self.hermes_bin = PathBuf::from(value),
            "hermes_clear_limit" => self.hermes_clear_limit = int(value)?,
            "out" => self.out = PathBuf::from(value),
            other => bail!("unknown setting {other:?}\n\n{USAGE}"),
        }
        Ok(())
    }
}

/// The non-empty items of a comma-separated list.
fn list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// `"60s"`, `"200ms"`, `"2m"`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .with_context(|| format!("{text:?} is not a duration"))?;
    let seconds = match unit.trim() {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" | "min" => number * 60.0,
        other => bail!("unknown unit {other:?} in {text:?} (ms, s or m)"),
    };
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_and_parse() {
        let mut config = BenchConfig::default();
        config
            .apply_toml("relayer = [\"ours\", \"hermes\"]\nsizes = [10, 20]\nduration = \"2m\"\n")
            .unwrap();
        assert_eq!(config.relayers, [RelayerKind::Ours, RelayerKind::Hermes]);
        assert_eq!(config.sizes, [10, 20]);
        assert_eq!(config.duration, Duration::from_secs(120));
        config.set("sizes", "").unwrap();
        assert!(config.sizes.is_empty());
        config.set("rate", "10, 200").unwrap();
        assert_eq!(config.rates, [10, 200]);
        config.set("restart_pending", "2000").unwrap();
        assert_eq!(config.restart_pending, 2000);
        assert_eq!(config.hermes_clear_limit_for(20_000), 20_000);
        assert_eq!(config.hermes_clear_limit_for(0), 50);
        config.set("hermes_clear_limit", "100").unwrap();
        assert_eq!(config.hermes_clear_limit_for(20_000), 100);
        assert_eq!(parse_duration("200ms").unwrap(), Duration::from_millis(200));
        assert_eq!(parse_duration("7").unwrap(), Duration::from_secs(7));
        assert!(parse_duration("7h").is_err());
        assert!(config.set("nope", "1").is_err());
    }
}
