//! Forking a running single-validator chain: [`Fork::start`] stops the chain's node, copies
//! its home, restarts the node, and starts the copy as a second node on fresh ports with no
//! peers. Both then produce blocks at the same heights signed by the same validator key (a
//! double-signing validator): after a block or two they differ, so a light client that
//! accepts a header from the copy has been fooled.
//!
//! ```no_run
//! use stateset_e2e::{fork::Fork, ChainSpec, TestChain};
//! use std::time::Duration;
//!
//! let mut chain = TestChain::start(ChainSpec::new("demo-1"))?;
//! let fork = Fork::start(&mut chain)?;
//! let split = fork.wait_for_divergence(&chain, Duration::from_secs(30))?;
//! assert_ne!(split.chain_hash, split.fork_hash);
//! # Ok::<(), stateset_e2e::Error>(())
//! ```

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::chain::{ChainCli, TestChain};
use crate::error::{Error, LogTail, Result};
use crate::ports::Ports;
use crate::process::{self, log_tail};
use crate::rpc;

/// How long the copy gets to produce blocks.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the copy gets to exit after `SIGTERM` before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// How often conditions are polled.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// A second node of a chain, started from a copy of its home: same chain id, same validator
/// key, its own ports and no peers. Dropping it stops the node and deletes its home (kept,
/// with its path printed, while the thread is panicking).
#[derive(Debug)]
pub struct Fork {
    cli: ChainCli,
    ports: Ports,
    temp: Option<tempfile::TempDir>,
    home: PathBuf,
    child: Option<Child>,
    stopped_at: u64,
}

/// The first height at which the chain and its fork have different blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// The first height with different blocks.
    pub height: u64,
    /// The chain's block hash there (upper-case hex).
    pub chain_hash: String,
    /// The fork's block hash there.
    pub fork_hash: String,
}

impl Fork {
    /// Stops `chain`'s node, copies its home, restarts the node (same home and ports), and
    /// starts the copy on fresh ports with no peers; returns once the copy produced a block
    /// above the height the chain had when it was stopped.
    pub fn start(chain: &mut TestChain) -> Result<Fork> {
        let stopped_at = chain.latest_height()?;
        chain.stop()?;
        let temp = tempfile::Builder::new()
            .prefix(&format!("stateset-e2e-fork-{}-", chain.chain_id()))
            .tempdir()
            .map_err(|e| Error::io("creating the fork's home", e))?;
        let home = temp.path().to_path_buf();
        copy_dir(chain.home(), &home)?;
        chain.restart()?;
        let ports = Ports::allocate()?;
        rewrite_config(&home, chain.chain_id(), &ports)?;
        let source = chain.cli_handle();
        let mut fork = Fork {
            cli: ChainCli {
                binary: source.binary().to_path_buf(),
                home: home.clone(),
                chain_id: chain.chain_id().to_string(),
                rpc_port: ports.rpc,
            },
            ports,
            temp: Some(temp),
            home,
            child: None,
            stopped_at,
        };
        fork.launch()?;
        fork.wait_ready(stopped_at + 1)?;
        Ok(fork)
    }

    /// Spawns `simd start` on the copy, output appended to its `simd.log`.
    fn launch(&mut self) -> Result<()> {
        let log_path = self.log_path();
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| Error::io(format!("opening {}", log_path.display()), e))?;
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
            .map_err(|e| Error::io("spawning the fork's simd start", e))?;
        self.child = Some(child);
        Ok(())
    }

    /// Polls until the copy's RPC reports `min_height` and its gRPC accepts connections.
    fn wait_ready(&mut self, min_height: u64) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait().map_err(|e| Error::io("polling simd", e))? {
                    self.child = None;
                    return Err(Error::Exited {
                        chain_id: self.cli.chain_id.clone(),
                        status,
                        log: LogTail::read(self.log_path(), 40),
                    });
                }
            }
            let last = match rpc::latest_height(self.ports.rpc) {
                Ok(h) if h >= min_height && rpc::accepts_tcp(self.ports.grpc) => return Ok(()),
                Ok(h) => format!("height {h}"),
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(Error::Timeout {
                    chain_id: format!("{} (fork)", self.cli.chain_id),
                    what: format!("height >= {min_height} with gRPC up"),
                    timeout: START_TIMEOUT,
                    last,
                    log: LogTail::read(self.log_path(), 40),
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Waits until both nodes have a block at the same height with different hashes, and
    /// returns the first such height (the blocks before it are the same on both).
    pub fn wait_for_divergence(&self, chain: &TestChain, timeout: Duration) -> Result<Divergence> {
        let chain_port = chain.ports().rpc;
        let top = self
            .cli
            .poll("the chain and its fork differ", timeout, || {
                let h = chain.latest_height()?.min(self.latest_height()?);
                let (ours, theirs) = (block_hash(chain_port, h)?, block_hash(self.ports.rpc, h)?);
                Ok(if ours == theirs {
                    Err(format!("same block {ours} at {h}"))
                } else {
                    Ok(h)
                })
            })?;
        let mut first = Divergence {
            height: top,
            chain_hash: block_hash(chain_port, top)?,
            fork_hash: block_hash(self.ports.rpc, top)?,
        };
        // Walk down to the first different block (a few heights: the fork is fresh).
        while first.height > self.stopped_at.saturating_sub(1).max(1) {
            let h = first.height - 1;
            let (ours, theirs) = (block_hash(chain_port, h)?, block_hash(self.ports.rpc, h)?);
            if ours == theirs {
                break;
            }
            first = Divergence {
                height: h,
                chain_hash: ours,
                fork_hash: theirs,
            };
        }
        Ok(first)
    }

    /// The chain's height when it was stopped to be copied (the blocks up to it are shared).
    pub fn stopped_at(&self) -> u64 {
        self.stopped_at
    }

    /// The copy's ports (all on 127.0.0.1).
    pub fn ports(&self) -> Ports {
        self.ports
    }

    /// The copy's CometBFT RPC, e.g. `http://127.0.0.1:26657`.
    pub fn rpc_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.rpc)
    }

    /// The copy's CometBFT websocket.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/websocket", self.ports.rpc)
    }

    /// The copy's Cosmos SDK gRPC.
    pub fn grpc_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.grpc)
    }

    /// The copy's home.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The copy's log.
    pub fn log_path(&self) -> PathBuf {
        self.home.join("simd.log")
    }

    /// A CLI handle bound to the copy (its home and RPC).
    pub fn cli_handle(&self) -> ChainCli {
        self.cli.clone()
    }

    /// The copy's latest height.
    pub fn latest_height(&self) -> Result<u64> {
        self.cli.latest_height()
    }

    /// Stops the copy (`SIGTERM`, then `SIGKILL` after 5 s). A no-op when stopped.
    pub fn stop(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            process::stop_group(&mut child, STOP_GRACE)
                .map_err(|e| Error::io("stopping the fork's simd", e))?;
        }
        Ok(())
    }
}

impl Drop for Fork {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("fork of {}: {e}", self.cli.chain_id);
        }
        if std::thread::panicking() {
            self.temp.take().map(tempfile::TempDir::keep);
            eprintln!(
                "fork of {}: home kept at {}, log tail:\n{}",
                self.cli.chain_id,
                self.home.display(),
                log_tail(&self.log_path(), 20)
            );
        }
    }
}

/// The hash of the block at `height` (upper-case hex) from the RPC on `port`.
pub fn block_hash(port: u16, height: u64) -> Result<String> {
    let result = rpc::get_result(port, &format!("/block?height={height}"))?;
    result
        .pointer("/block_id/hash")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
        .ok_or_else(|| Error::parse("/block response", format!("no block_id.hash at {height}")))
}

/// Copies the directory `from` into `to` recursively (the node's log is left behind).
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io(format!("creating {}", to.display()), e))?;
    let entries =
        std::fs::read_dir(from).map_err(|e| Error::io(format!("reading {}", from.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("reading {}", from.display()), e))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry
            .file_type()
            .map_err(|e| Error::io(format!("inspecting {}", src.display()), e))?;
        if kind.is_dir() {
            copy_dir(&src, &dst)?;
        } else if entry.file_name() != "simd.log" {
            std::fs::copy(&src, &dst)
                .map_err(|e| Error::io(format!("copying {}", src.display()), e))?;
        }
    }
    Ok(())
}

/// Points the copy's listen addresses at `ports`, and removes every way to find a peer.
fn rewrite_config(home: &Path, chain_id: &str, ports: &Ports) -> Result<()> {
    let config = home.join("config");
    edit_toml(&config.join("config.toml"), |t| {
        set(t, "rpc", "laddr", format!("tcp://127.0.0.1:{}", ports.rpc));
        set(
            t,
            "rpc",
            "pprof_laddr",
            format!("127.0.0.1:{}", ports.pprof),
        );
        set(t, "p2p", "laddr", format!("tcp://127.0.0.1:{}", ports.p2p));
        set(t, "p2p", "persistent_peers", String::new());
        set(t, "p2p", "seeds", String::new());
        set(t, "p2p", "pex", false);
    })?;
    edit_toml(&config.join("app.toml"), |t| {
        set(t, "grpc", "address", format!("127.0.0.1:{}", ports.grpc));
    })?;
    edit_toml(&config.join("client.toml"), |t| {
        t.insert("chain-id".into(), chain_id.into());
        t.insert(
            "node".into(),
            format!("tcp://127.0.0.1:{}", ports.rpc).into(),
        );
    })?;
    // The copied address book must not lead the copy back to the original.
    let book = config.join("addrbook.json");
    if book.exists() {
        std::fs::remove_file(&book)
            .map_err(|e| Error::io(format!("removing {}", book.display()), e))?;
    }
    Ok(())
}

/// Reads a TOML file, applies `edit`, writes it back.
fn edit_toml(path: &Path, edit: impl FnOnce(&mut toml::Table)) -> Result<()> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| Error::Config {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    edit(&mut table);
    let text = toml::to_string(&table).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    std::fs::write(path, text).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

/// Sets `table[section][key]`, creating the section if needed.
fn set(table: &mut toml::Table, section: &str, key: &str, value: impl Into<toml::Value>) {
    let entry = table
        .entry(section.to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if !entry.is_table() {
        *entry = toml::Value::Table(toml::Table::new());
    }
    if let Some(section) = entry.as_table_mut() {
        section.insert(key.to_string(), value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copied_home_listens_on_new_ports_without_peers() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("a");
        std::fs::create_dir_all(from.join("config")).unwrap();
        std::fs::create_dir_all(from.join("data/app.db")).unwrap();
        std::fs::write(
            from.join("config/config.toml"),
            "[rpc]\nladdr = \"tcp://127.0.0.1:1\"\n[p2p]\nladdr = \"tcp://127.0.0.1:2\"\npersistent_peers = \"x@127.0.0.1:3\"\n",
        )
        .unwrap();
        std::fs::write(
            from.join("config/app.toml"),
            "[grpc]\naddress = \"127.0.0.1:4\"\n",
        )
        .unwrap();
        std::fs::write(
            from.join("config/client.toml"),
            "node = \"tcp://127.0.0.1:1\"\n",
        )
        .unwrap();
        std::fs::write(from.join("config/addrbook.json"), "{}").unwrap();
        std::fs::write(from.join("data/app.db/000001.log"), "state").unwrap();
        std::fs::write(from.join("simd.log"), "old log").unwrap();
        let to = dir.path().join("b");
        copy_dir(&from, &to).unwrap();
        let ports = Ports {
            rpc: 11,
            p2p: 12,
            grpc: 13,
            pprof: 14,
        };
        rewrite_config(&to, "demo-1", &ports).unwrap();

        let read = |p: &str| -> toml::Table {
            std::fs::read_to_string(to.join(p))
                .unwrap()
                .parse()
                .unwrap()
        };
        let config = read("config/config.toml");
        assert_eq!(config["rpc"]["laddr"].as_str(), Some("tcp://127.0.0.1:11"));
        assert_eq!(config["p2p"]["laddr"].as_str(), Some("tcp://127.0.0.1:12"));
        assert_eq!(config["p2p"]["persistent_peers"].as_str(), Some(""));
        assert_eq!(config["p2p"]["pex"].as_bool(), Some(false));
        assert_eq!(
            read("config/app.toml")["grpc"]["address"].as_str(),
            Some("127.0.0.1:13")
        );
        assert_eq!(
            read("config/client.toml")["node"].as_str(),
            Some("tcp://127.0.0.1:11")
        );
        assert!(!to.join("config/addrbook.json").exists());
        assert!(!to.join("simd.log").exists());
        assert_eq!(
            std::fs::read_to_string(to.join("data/app.db/000001.log")).unwrap(),
            "state"
        );
        // The original is untouched.
        assert!(std::fs::read_to_string(from.join("config/config.toml"))
            .unwrap()
            .contains(":1\""));
    }
}
