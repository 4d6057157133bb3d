//! Single-validator simd chains on 127.0.0.1: [`ChainSpec`] says what to run,
//! [`TestChain`] runs it and cleans up after it.

mod cli;
mod setup;
mod spec;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub use cli::{ChainCli, TxResult, CLI_FEES, CLI_GAS};
pub use setup::MIN_GAS_PRICE;
pub use spec::ChainSpec;

use crate::error::{Error, LogTail, Result};
use crate::ports::Ports;
use crate::process::{self, log_tail};
use crate::{rpc, simd};

/// How long `simd` gets to exit after `SIGTERM` before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// How often readiness is polled.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// A running single-validator simd chain.
///
/// Dropping it stops the node (`SIGTERM`, then `SIGKILL` after 5 s) and deletes a
/// temporary home, except while the thread is panicking: then the home and log are
/// kept and their paths printed. All methods block.
#[derive(Debug)]
pub struct TestChain {
    spec: ChainSpec,
    ports: Ports,
    cli: ChainCli,
    home: PathBuf,
    temp: Option<tempfile::TempDir>,
    child: Option<Child>,
}

impl TestChain {
    /// Creates the home (init, keys, funded genesis accounts, gentx), starts
    /// `simd start`, and returns once the RPC reports height 2 and gRPC accepts
    /// connections. Retries with new ports (up to 3 times) if allocated ones were taken.
    ///
    /// If the node exits or does not get there within [`ChainSpec::startup_timeout`],
    /// the error carries the log's tail and a temporary home is kept for inspection.
    pub fn start(spec: ChainSpec) -> Result<TestChain> {
        spec.validate()?;
        let binary = simd::binary(&spec.simd_version)?;
        let (home, temp) = prepare_home(&spec)?;
        let ports = match spec.ports {
            Some(ports) => ports,
            None => Ports::allocate()?,
        };
        let mut chain = TestChain {
            cli: ChainCli {
                binary,
                home: home.clone(),
                chain_id: spec.chain_id.clone(),
                rpc_port: ports.rpc,
            },
            spec,
            ports,
            home,
            temp,
            child: None,
        };
        let result = chain.start_fresh();
        if let Err(Error::Timeout { .. } | Error::Exited { .. }) = &result {
            // The error names the log inside the home: keep it for debugging.
            chain.temp.take().map(tempfile::TempDir::keep);
        }
        result.map(|()| chain)
    }

    /// [`TestChain::start`] on tokio's blocking pool, for async tests.
    pub async fn start_async(spec: ChainSpec) -> Result<TestChain> {
        match tokio::task::spawn_blocking(move || TestChain::start(spec)).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(Error::io(
                "starting a chain on the blocking pool",
                std::io::Error::other(e),
            )),
        }
    }

    fn start_fresh(&mut self) -> Result<()> {
        setup::init_home(&self.cli.binary, &self.home, &self.spec, &self.ports)?;
        let mut attempt = 1;
        loop {
            let result = self.launch().and_then(|()| self.wait_ready(2));
            match result {
                Err(e) if self.spec.ports.is_none() && attempt < 3 && self.port_was_taken() => {
                    eprintln!(
                        "chain {}: a port was taken ({e}); retrying with new ports",
                        self.chain_id()
                    );
                    self.stop()?;
                    self.ports = Ports::allocate()?;
                    self.cli.rpc_port = self.ports.rpc;
                    setup::write_config(&self.home, &self.spec, &self.ports)?;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Whether the last run's log says a listen address was in use.
    fn port_was_taken(&self) -> bool {
        log_tail(&self.log_path(), 200).contains("address already in use")
    }

    /// Spawns `simd start` with output appended to `simd.log`.
    fn launch(&mut self) -> Result<()> {
        let log_path = self.log_path();
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| Error::io(format!("opening {}", log_path.display()), e))?;
        let _ = writeln!(
            log,
            "==== stateset-e2e: simd start (ports {:?}) ====",
            self.ports
        );
        let stderr = log
            .try_clone()
            .map_err(|e| Error::io(format!("duplicating {}", log_path.display()), e))?;
        let mut command = Command::new(&self.cli.binary);
        command
            .arg("start")
            .arg("--home")
            .arg(&self.home)
            .arg("--log_no_color")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr);
        process::tmp_in_home(&mut command, &self.home);
        let child = process::spawn_guarded(command)
            .map_err(|e| Error::io(format!("spawning {} start", self.cli.binary.display()), e))?;
        self.child = Some(child);
        Ok(())
    }

    /// Polls until the RPC reports `min_height` and gRPC accepts connections, failing
    /// early if simd exits.
    fn wait_ready(&mut self, min_height: u64) -> Result<()> {
        let timeout = self.spec.startup_timeout;
        let deadline = Instant::now() + timeout;
        loop {
            let child = self
                .child
                .as_mut()
                .ok_or_else(|| Error::NotRunning(self.spec.chain_id.clone()))?;
            if let Some(status) = child.try_wait().map_err(|e| Error::io("polling simd", e))? {
                self.child = None;
                return Err(self.exited(status));
            }
            let last = match rpc::latest_height(self.ports.rpc) {
                Ok(h) if h >= min_height && rpc::accepts_tcp(self.ports.grpc) => return Ok(()),
                Ok(h) if h >= min_height => {
                    format!("height {h}, gRPC port {} closed", self.ports.grpc)
                }
                Ok(h) => format!("height {h}"),
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(Error::Timeout {
                    chain_id: self.spec.chain_id.clone(),
                    what: format!("height >= {min_height} with gRPC up"),
                    timeout,
                    last,
                    log: LogTail::read(self.log_path(), 40),
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    fn exited(&self, status: ExitStatus) -> Error {
        Error::Exited {
            chain_id: self.spec.chain_id.clone(),
            status,
            log: LogTail::read(self.log_path(), 40),
        }
    }

    /// Stops the node: `SIGTERM` to its process group, up to 5 s grace, then
    /// `SIGKILL`. A no-op when it is not running. The home is kept, so
    /// [`TestChain::restart`] can bring the chain back.
    pub fn stop(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            process::stop_group(&mut child, STOP_GRACE)
                .map_err(|e| Error::io("stopping simd", e))?;
        }
        Ok(())
    }

    /// Kills the node with `SIGKILL` at once, as a crash would. A no-op when it is not
    /// running.
    pub fn kill(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            process::kill_group(&mut child).map_err(|e| Error::io("killing simd", e))?;
        }
        Ok(())
    }

    /// Stops the node if it runs, starts it again on the same home and ports, and
    /// returns once it produced a new block (above any height seen before the stop).
    pub fn restart(&mut self) -> Result<()> {
        let before = self.latest_height().ok();
        self.stop()?;
        self.launch()?;
        // The RPC answers with the stored height before consensus resumes, so wait
        // for it, then for one block more than anything seen.
        self.wait_ready(2)?;
        let now = self.latest_height()?;
        self.wait_ready(now.max(before.unwrap_or(0)) + 1)
    }

    /// Whether the node process is alive (reaps it if it exited).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(None)) => true,
            Some(_) => {
                self.child = None;
                false
            }
            None => false,
        }
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        &self.spec.chain_id
    }

    /// The spec the chain was started from.
    pub fn spec(&self) -> &ChainSpec {
        &self.spec
    }

    /// The ports the node listens on (all on 127.0.0.1).
    pub fn ports(&self) -> Ports {
        self.ports
    }

    /// CometBFT RPC, e.g. `http://127.0.0.1:26657`.
    pub fn rpc_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.rpc)
    }

    /// CometBFT websocket, e.g. `ws://127.0.0.1:26657/websocket`.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/websocket", self.ports.rpc)
    }

    /// Cosmos SDK gRPC, e.g. `http://127.0.0.1:9090`.
    pub fn grpc_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.grpc)
    }

    /// The node's home directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The node's log (`<home>/simd.log`; each start appends to it).
    pub fn log_path(&self) -> PathBuf {
        self.home.join("simd.log")
    }

    /// The node's process id (also its process group id), `None` when stopped.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// A cloneable, `Send` handle to this chain's CLI and RPC helpers.
    pub fn cli_handle(&self) -> ChainCli {
        self.cli.clone()
    }

    /// See [`ChainCli::cli`].
    pub fn cli<I, S>(&self, args: I) -> Result<std::process::Output>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cli.cli(args)
    }

    /// See [`ChainCli::bank_send`].
    pub fn bank_send(&self, from_key: &str, to_address: &str, amount: &str) -> Result<String> {
        self.cli.bank_send(from_key, to_address, amount)
    }

    /// See [`ChainCli::tx`].
    pub fn tx(&self, from_key: &str, args: &[&str]) -> Result<String> {
        self.cli.tx(from_key, args)
    }

    /// See [`ChainCli::balance`].
    pub fn balance(&self, address: &str, denom: &str) -> Result<u128> {
        self.cli.balance(address, denom)
    }

    /// See [`ChainCli::latest_height`].
    pub fn latest_height(&self) -> Result<u64> {
        self.cli.latest_height()
    }

    /// See [`ChainCli::block_time`].
    pub fn block_time(&self, height: u64) -> Result<f64> {
        self.cli.block_time(height)
    }

    /// See [`ChainCli::wait_for_height`].
    pub fn wait_for_height(&self, height: u64, timeout: Duration) -> Result<u64> {
        self.cli.wait_for_height(height, timeout)
    }

    /// See [`ChainCli::wait_for_tx`].
    pub fn wait_for_tx(&self, hash: &str, timeout: Duration) -> Result<TxResult> {
        self.cli.wait_for_tx(hash, timeout)
    }
}

impl Drop for TestChain {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("chain {}: {e}", self.spec.chain_id);
        }
        if std::thread::panicking() {
            self.temp.take().map(tempfile::TempDir::keep);
            eprintln!(
                "chain {}: home kept at {}, log at {}",
                self.spec.chain_id,
                self.home.display(),
                self.log_path().display()
            );
        }
        // Otherwise `temp` (if any) deletes the home when it drops.
    }
}

/// Creates (or checks) the home: a fresh temp dir, or the spec's dir if empty/absent.
fn prepare_home(spec: &ChainSpec) -> Result<(PathBuf, Option<tempfile::TempDir>)> {
    match &spec.home {
        Some(home) => {
            let non_empty =
                std::fs::read_dir(home).is_ok_and(|mut entries| entries.next().is_some());
            if non_empty {
                return Err(Error::Spec(format!("home {} is not empty", home.display())));
            }
            std::fs::create_dir_all(home)
                .map_err(|e| Error::io(format!("creating {}", home.display()), e))?;
            Ok((home.clone(), None))
        }
        None => {
            let temp = tempfile::Builder::new()
                .prefix(&format!("stateset-e2e-{}-", spec.chain_id))
                .tempdir()
                .map_err(|e| Error::io("creating a temp home", e))?;
            Ok((temp.path().to_path_buf(), Some(temp)))
        }
    }
}

/// The environment variable that says which ibc-go majors [`start_chains`] runs: a comma
/// list such as `v10` (every chain on v10) or `v8,v10` (the first chain on v8, the others
/// on v10: the last entry repeats). Unset or empty: [`crate::simd::DEFAULT_VERSION`].
pub const CHAIN_VERSIONS_VAR: &str = "E2E_CHAIN_VERSIONS";

/// The ibc-go major of the `i`-th chain (0-based) of `versions`, a [`CHAIN_VERSIONS_VAR`]
/// value.
pub fn version_of_chain(versions: &str, i: usize) -> String {
    let list: Vec<&str> = versions
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    list.get(i)
        .or(list.last())
        .map_or(crate::simd::DEFAULT_VERSION, |v| v)
        .to_string()
}

/// Starts `n` chains concurrently with ids `stateset-e2e-1`, `partner-e2e-2`,
/// `partner-e2e-3`, ... and default specs, on the ibc-go majors [`CHAIN_VERSIONS_VAR`]
/// names (each chain's version is printed).
pub fn start_chains(n: usize) -> Result<Vec<TestChain>> {
    let versions = std::env::var(CHAIN_VERSIONS_VAR).unwrap_or_default();
    let specs = (1..=n)
        .map(|i| {
            let name = if i == 1 { "stateset" } else { "partner" };
            let version = version_of_chain(&versions, i - 1);
            println!("chain {name}-e2e-{i}: ibc-go {version}");
            ChainSpec::new(format!("{name}-e2e-{i}")).with_simd_version(version)
        })
        .collect();
    start_many(specs)
}

/// Starts one chain per spec concurrently (one thread each) and returns them in the
/// specs' order; if any fails, the others are stopped and the first error returned.
///
/// Nodes are forked by the harness's process-wide spawner thread, so their
/// `PR_SET_PDEATHSIG` is unaffected by these short-lived threads ending.
pub fn start_many(specs: Vec<ChainSpec>) -> Result<Vec<TestChain>> {
    let results: Vec<Result<TestChain>> = std::thread::scope(|scope| {
        let handles: Vec<_> = specs
            .into_iter()
            .map(|spec| scope.spawn(move || TestChain::start(spec)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    results.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::version_of_chain;

    #[test]
    fn each_chain_takes_its_entry_and_the_last_one_repeats() {
        assert_eq!(version_of_chain("", 0), "v8");
        assert_eq!(version_of_chain("v10", 0), "v10");
        assert_eq!(version_of_chain("v10", 2), "v10");
        assert_eq!(version_of_chain("v8, v10", 0), "v8");
        assert_eq!(version_of_chain("v8, v10", 1), "v10");
        assert_eq!(version_of_chain("v8,v10,", 3), "v10");
    }
}
