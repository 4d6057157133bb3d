//! The stage of one measurement: fresh chains and path ([`Env`]) and the relayer under
//! test as a child process ([`Relayer`]).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};

use super::hermes::HermesHome;
use super::packets::{self, CHANNEL};
use super::{BenchConfig, RelayerKind};
use crate::accounts::{USER1, USER2};
use crate::chain::{
    start_many, version_of_chain, ChainCli, ChainSpec, TestChain, CHAIN_VERSIONS_VAR,
};
use crate::process::{kill_group, log_tail, spawn_guarded, stop_group};
use crate::relayer::{self, DaemonSettings, RelayerHome};

/// Two fresh chains with `transfer/channel-0` open between them, and a relayer home
/// (our CLI's config and keys, `user1` imported on the source).
pub struct Env {
    /// The source chain (where transfers are sent) and the destination.
    pub chains: Vec<TestChain>,
    /// Our relayer's home: used to create the path and send, and as our daemon's config.
    pub home: RelayerHome,
    /// Each chain's CometBFT Prometheus port (in the order of `chains`).
    pub metrics_ports: Vec<u16>,
}

impl Env {
    /// Starts the chains, writes the home (its commands run `config.relayer_bin` when
    /// set) and creates the path.
    pub fn new(config: &BenchConfig, daemon: DaemonSettings) -> Result<Env> {
        let (specs, metrics_ports) = chain_specs()?;
        let chains = start_many(specs).context("starting the chains")?;
        let home = RelayerHome::with_binary(
            &chains.iter().collect::<Vec<_>>(),
            daemon,
            config.relayer_bin.clone(),
        );
        home.import_key(&chains[0], &USER1);
        let (a, b) = (chains[0].chain_id(), chains[1].chain_id());
        checked(
            home.run(["create", "path", "--a-chain", a, "--b-chain", b]),
            "create path",
        )?;
        Ok(Env {
            chains,
            home,
            metrics_ports,
        })
    }

    /// The source chain.
    pub fn source(&self) -> &TestChain {
        &self.chains[0]
    }

    /// The destination chain.
    pub fn destination(&self) -> &TestChain {
        &self.chains[1]
    }

    /// Sends `count` transfers of 1stake from the key `key` (of our relayer home) to user2,
    /// `per_tx` per tx, with our CLI, which waits for each tx to be in a block; returns how
    /// many it reports sent. Their timeout is 2 h away, so a slow relay is measured, not
    /// timed out.
    pub fn send(&self, key: &str, count: usize, per_tx: usize) -> Result<usize> {
        let (count, per_tx) = (count.to_string(), per_tx.to_string());
        let out = self.home.run([
            "tx",
            "transfer",
            "--src-chain",
            self.source().chain_id(),
            "--channel",
            CHANNEL,
            "--amount",
            "1",
            "--denom",
            "stake",
            "--receiver",
            USER2.address,
            "--count",
            &count,
            "--per-tx",
            &per_tx,
            "--key-name",
            key,
            "--timeout-seconds",
            "7200",
            "--json",
        ]);
        let stdout = checked(out, "tx transfer")?;
        let json: serde_json::Value = serde_json::from_str(stdout.trim())
            .with_context(|| format!("tx transfer --json printed {stdout:?}"))?;
        let sent = packets::number(&json["transfers"])
            .with_context(|| format!("tx transfer --json: no transfers count in {json}"))?;
        Ok(sent as usize)
    }

    /// Sends one transfer from user1 and waits (up to `timeout`) until no commitment is
    /// left on the source: the path is relayed both ways. Fails if `relayer` exits.
    pub fn warm_up(&self, relayer: &mut Relayer, poll: Duration, timeout: Duration) -> Result<()> {
        let cli = self.source().cli_handle();
        self.send(USER1.name, 1, 1)?;
        let deadline = Instant::now() + timeout;
        while packets::count(&cli)?.total > 0 {
            relayer.check_running()?;
            ensure!(
                Instant::now() < deadline,
                "the warm-up transfer was not relayed within {timeout:?} (log {})",
                relayer.log().display()
            );
            std::thread::sleep(poll);
        }
        Ok(())
    }

    /// A CLI handle on the source chain.
    pub fn source_cli(&self) -> ChainCli {
        self.source().cli_handle()
    }
}

/// The specs [`crate::chain::start_chains`] would use for two chains (ids, the ibc-go
/// majors of [`CHAIN_VERSIONS_VAR`]), without its printing: stdout carries result lines.
/// Each node serves CometBFT's Prometheus metrics on a port of its own (returned), read
/// for the chains' own execution time ([`super::chain_exec`]).
fn chain_specs() -> Result<(Vec<ChainSpec>, Vec<u16>)> {
    let versions = std::env::var(CHAIN_VERSIONS_VAR).unwrap_or_default();
    let mut specs = Vec::new();
    let mut ports = Vec::new();
    for (i, id) in ["stateset-e2e-1", "partner-e2e-2"].iter().enumerate() {
        let port = crate::ports::free_port().context("a port for the node's metrics")?;
        let spec = ChainSpec::new(*id)
            .with_simd_version(version_of_chain(&versions, i))
            .with_config_toml("instrumentation.prometheus", "true")
            .with_config_toml(
                "instrumentation.prometheus_listen_addr",
                format!("\"127.0.0.1:{port}\""),
            );
        specs.push(spec);
        ports.push(port);
    }
    Ok((specs, ports))
}

/// The stdout of a successful command, else an error with both streams.
pub(crate) fn checked(out: Output, what: &str) -> Result<String> {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(stdout)
}

/// The relayer under test as a child process in its own process group (killed with the
/// benchmark), its output in `<out>/<relayer>-<label>.log` and a copy of its config in
/// `<out>/<relayer>-<label>.toml`.
pub struct Relayer {
    kind: RelayerKind,
    command: Option<Command>,
    child: Option<Child>,
    log: PathBuf,
    _hermes: Option<HermesHome>,
}

impl Relayer {
    /// Writes the relayer's config (for Hermes, with `clear_limit` = `hermes_clear_limit`,
    /// and imports its key) without starting it.
    pub fn prepare(
        config: &BenchConfig,
        kind: RelayerKind,
        env: &Env,
        label: &str,
        hermes_clear_limit: usize,
    ) -> Result<Self> {
        let dir = &config.out;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let name = format!("{}-{label}", kind.name());
        let log = dir.join(format!("{name}.log"));
        let (mut command, hermes, config_file) = match kind {
            RelayerKind::Ours => {
                let bin = config.relayer_bin.clone().unwrap_or_else(relayer::binary);
                let mut command = Command::new(bin);
                command
                    .arg("--config")
                    .arg(env.home.config())
                    .arg("start")
                    .env("NO_COLOR", "1");
                (command, None, env.home.config().to_path_buf())
            }
            RelayerKind::Hermes => {
                let chains: Vec<&TestChain> = env.chains.iter().collect();
                let home = HermesHome::new(&config.hermes_bin, &chains, hermes_clear_limit)?;
                let file = home.config().to_path_buf();
                (home.command(["start"]), Some(home), file)
            }
        };
        let copy = dir.join(format!("{name}.toml"));
        std::fs::copy(&config_file, &copy)
            .with_context(|| format!("copying {} to {}", config_file.display(), copy.display()))?;
        let file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        // Both relayers build errors with backtrace-capturing libraries (flex-error, eyre):
        // a RUST_BACKTRACE inherited from the shell would make them capture a backtrace for
        // every error and weigh on their CPU and memory. Neither runs with it.
        command
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file);
        Ok(Relayer {
            kind,
            command: Some(command),
            child: None,
            log,
            _hermes: hermes,
        })
    }

    /// Starts it.
    pub fn start(&mut self) -> Result<()> {
        let command = self
            .command
            .take()
            .context("the relayer was started already")?;
        self.child = Some(spawn_guarded(command).context("spawning the relayer")?);
        Ok(())
    }

    /// Its process id while it runs.
    pub fn pid(&self) -> Result<u32> {
        self.child
            .as_ref()
            .map(Child::id)
            .context("the relayer is not running")
    }

    /// An error with the log's tail if it exited.
    pub fn check_running(&mut self) -> Result<()> {
        if let Some(child) = self.child.as_mut() {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "{} exited ({status}); {}:\n{}",
                    self.kind.name(),
                    self.log.display(),
                    log_tail(&self.log, 30)
                );
            }
        }
        Ok(())
    }

    /// Where its output goes.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Stops it: `SIGTERM`, then `SIGKILL` after 10 s. Returns its exit status (`None`
    /// when it was not running).
    pub fn stop(&mut self) -> Result<Option<ExitStatus>> {
        match self.child.take() {
            Some(mut child) => Ok(Some(
                stop_group(&mut child, Duration::from_secs(10)).context("stopping the relayer")?,
            )),
            None => Ok(None),
        }
    }
}

impl Drop for Relayer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = kill_group(&mut child);
        }
    }
}
