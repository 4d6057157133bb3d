//! The stage of one measurement: fresh chains and path ([`Env`]) and the relayer under
//! test as a child process ([`Relayer`]).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::hermes::HermesHome;
use super::packets::{self, CHANNEL};
use super::{BenchConfig, RelayerKind};
use crate::accounts::{USER1, USER2};
use crate::chain::{start_chains, TestChain};
use crate::process::{kill_group, log_tail, spawn_guarded, stop_group};
use crate::relayer::{self, DaemonSettings, RelayerHome};
use crate::target_dir;

/// Two fresh chains with `transfer/channel-0` open between them, and a relayer home
/// (our CLI's config and keys, `user1` imported on the source).
pub struct Env {
    /// The source chain (where transfers are sent) and the destination.
    pub chains: Vec<TestChain>,
    /// Our relayer's home: used to create the path and send, and as our daemon's config.
    pub home: RelayerHome,
}

impl Env {
    /// Starts the chains, writes the home and creates the path.
    pub fn new() -> Result<Env> {
        let chains = start_chains(2).context("starting the chains")?;
        let home = RelayerHome::new(
            &chains.iter().collect::<Vec<_>>(),
            DaemonSettings::default(),
        );
        home.import_key(&chains[0], &USER1);
        let (a, b) = (chains[0].chain_id(), chains[1].chain_id());
        checked(
            home.run(["create", "path", "--a-chain", a, "--b-chain", b]),
            "create path",
        )?;
        Ok(Env { chains, home })
    }

    /// The source chain.
    pub fn source(&self) -> &TestChain {
        &self.chains[0]
    }

    /// Sends `count` transfers of 1stake from user1 to user2, `per_tx` per tx, with our
    /// CLI; returns how many it reports sent. Their timeout is 2 h away, so a slow relay
    /// is measured, not timed out.
    pub fn send(&self, count: usize, per_tx: usize) -> Result<usize> {
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
            USER1.name,
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
}

/// The stdout of a successful command, else an error with both streams.
fn checked(out: Output, what: &str) -> Result<String> {
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
/// benchmark), its output in `target/bench/<relayer>-<label>.log`.
pub struct Relayer {
    kind: RelayerKind,
    command: Option<Command>,
    child: Option<Child>,
    log: PathBuf,
    _hermes: Option<HermesHome>,
}

impl Relayer {
    /// Writes the relayer's config (for Hermes, also imports its key) without starting it.
    pub fn prepare(
        config: &BenchConfig,
        kind: RelayerKind,
        env: &Env,
        label: &str,
    ) -> Result<Self> {
        let dir = target_dir().join("bench");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let log = dir.join(format!("{}-{label}.log", kind.name()));
        let (mut command, hermes) = match kind {
            RelayerKind::Ours => {
                let bin = config.relayer_bin.clone().unwrap_or_else(relayer::binary);
                let mut command = Command::new(bin);
                command
                    .arg("--config")
                    .arg(env.home.config())
                    .arg("start")
                    .env("NO_COLOR", "1");
                (command, None)
            }
            RelayerKind::Hermes => {
                let chains: Vec<&TestChain> = env.chains.iter().collect();
                let home = HermesHome::new(&config.hermes_bin, &chains, config.hermes_clear_limit)?;
                (home.command(["start"]), Some(home))
            }
        };
        let file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        command
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

    /// Stops it: `SIGTERM`, then `SIGKILL` after 10 s.
    pub fn stop(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            stop_group(&mut child, Duration::from_secs(10)).context("stopping the relayer")?;
        }
        Ok(())
    }
}

impl Drop for Relayer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = kill_group(&mut child);
        }
    }
}
