//! Hermes (informalsystems' `ibc-relayer-cli`) as the benchmark's other relayer: a
//! config for the test chains with the same batching and fee settings as ours, and the
//! relayer's key imported on each.
//!
//! Everything Hermes writes (config, key store, `HOME`) lives in a temporary directory.
//! It relays the channels that already exist (the path is opened with our CLI first);
//! connection and channel handshakes are off.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use super::packets::{CHANNEL, PORT};
use crate::{accounts, TestChain};

/// A Hermes home for some test chains.
pub struct HermesHome {
    dir: tempfile::TempDir,
    bin: PathBuf,
    config: PathBuf,
}

impl HermesHome {
    /// Writes the config for `chains` (see [`config_text`]: packet clearing on start and
    /// every 100 blocks, at most `clear_limit` packets per clear) and imports the relayer
    /// key on each.
    pub fn new(bin: &Path, chains: &[&TestChain], clear_limit: usize) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("stateset-bench-hermes-")
            .tempdir()
            .context("creating Hermes's home")?;
        let config = dir.path().join("config.toml");
        std::fs::write(&config, config_text(dir.path(), chains, clear_limit))
            .context("writing Hermes's config")?;
        let mnemonic = dir.path().join("relayer.mnemonic");
        std::fs::write(&mnemonic, accounts::RELAYER.mnemonic).context("writing the mnemonic")?;
        let home = HermesHome {
            dir,
            bin: bin.to_path_buf(),
            config,
        };
        for chain in chains {
            let out = home
                .command([
                    "keys",
                    "add",
                    "--chain",
                    chain.chain_id(),
                    "--mnemonic-file",
                    &mnemonic.to_string_lossy(),
                ])
                .output()
                .with_context(|| format!("running {}", bin.display()))?;
            if !out.status.success() {
                bail!(
                    "hermes keys add --chain {}: {}\n{}",
                    chain.chain_id(),
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        Ok(home)
    }

    /// The config file.
    pub fn config(&self) -> &Path {
        &self.config
    }

    /// `hermes --config CONFIG ARGS`, with `HOME` set to this home.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = Command::new(&self.bin);
        command
            .env("HOME", self.dir.path())
            .env("NO_COLOR", "1")
            .arg("--config")
            .arg(&self.config)
            .args(args);
        command
    }
}

/// The version `bin` reports (`hermes version`), e.g. `hermes 1.11.0`.
pub fn version(bin: &Path) -> Result<String> {
    let out = Command::new(bin)
        .arg("version")
        .output()
        .with_context(|| format!("running {} version", bin.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.contains("hermes") || l.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .unwrap_or_default();
    Ok(line.trim().to_string())
}

/// The config: global and mode sections, then one `[[chains]]` entry per chain with the
/// same gas, batching and light-client settings as the harness gives our relayer. What
/// Hermes's guide (v1.11.0, `guide/src/documentation/configuration/`) advises for this
/// load, and why each value:
///
/// - `clear_on_start = true`: a backlog sent while no relayer ran is found only by
///   clearing (packet-clearing.md);
/// - `clear_limit = clear_limit` (the caller passes the backlog's size): Hermes clears at
///   most `clear_limit` packets per clearing (default 50), the next ones only
///   `clear_interval` blocks later, where ours clears everything at its start;
/// - `clear_interval = 100`: Hermes's default, the same as ours;
/// - `tx_confirmation = false`: its default; `true` only adds `/tx_search` polling for
///   telemetry (config.toml comments);
/// - `event_source` push with `batch_delay = '500ms'`: its default, "a good balance"
///   (performance.md), and the same as ours;
/// - a `packet_filter` allow list of the one channel, so its start does not scan every
///   channel (performance.md, "Slow start");
/// - `max_msg_num = 30`, `max_tx_size = 180000`, `gas_multiplier = 1.3`, `max_gas =
///   4000000`: our relayer's defaults (Hermes's own max_tx_size default is 2 MiB), so both
///   batch alike;
/// - `default_gas = 1000000`: the gas Hermes gives a tx whose simulation failed. With
///   several txs in flight its simulation fails with "account sequence mismatch" (its
///   cached sequence is ahead of the node's), and with 300,000 every such 30-message tx ran
///   out of gas (about 390,000 used) and was lost: Hermes's own diagnostic then says to
///   raise `default_gas`, which is what an operator would do;
/// - `max_block_time = '30s'`: it must equal the genesis `max_expected_time_per_block`
///   (cross-comp-config.md), 30 s on these chains;
/// - `sequential_batch_tx`, `query_packets_chunk_size`, `trusted_node`: defaults (false,
///   50, false).
fn config_text(dir: &Path, chains: &[&TestChain], clear_limit: usize) -> String {
    let mut text = format!(
        "[global]\nlog_level = 'info'\n\n\
         [mode.clients]\nenabled = true\nrefresh = true\nmisbehaviour = false\n\n\
         [mode.connections]\nenabled = false\n\n\
         [mode.channels]\nenabled = false\n\n\
         [mode.packets]\nenabled = true\nclear_interval = 100\nclear_on_start = true\n\
         clear_limit = {clear_limit}\ntx_confirmation = false\n\n\
         [rest]\nenabled = false\nhost = '127.0.0.1'\nport = 3000\n\n\
         [telemetry]\nenabled = false\nhost = '127.0.0.1'\nport = 3001\n"
    );
    for chain in chains {
        text += &format!(
            "\n[[chains]]\n\
             id = '{id}'\n\
             type = 'CosmosSdk'\n\
             rpc_addr = '{rpc}'\n\
             grpc_addr = '{grpc}'\n\
             event_source = {{ mode = 'push', url = '{ws}', batch_delay = '500ms' }}\n\
             rpc_timeout = '10s'\n\
             account_prefix = 'cosmos'\n\
             key_name = '{key}'\n\
             key_store_folder = '{keys}'\n\
             store_prefix = 'ibc'\n\
             default_gas = 1000000\n\
             max_gas = 4000000\n\
             gas_price = {{ price = 0.001, denom = 'stake' }}\n\
             gas_multiplier = 1.3\n\
             max_msg_num = 30\n\
             max_tx_size = 180000\n\
             clock_drift = '5s'\n\
             max_block_time = '30s'\n\
             trusting_period = '14days'\n\
             trust_threshold = {{ numerator = '1', denominator = '3' }}\n\
             packet_filter = {{ policy = 'allow', list = [['{port}', '{channel}']] }}\n",
            id = chain.chain_id(),
            rpc = chain.rpc_url(),
            grpc = chain.grpc_url(),
            ws = chain.ws_url(),
            key = accounts::RELAYER.name,
            keys = dir.join("keys").display(),
            port = PORT,
            channel = CHANNEL,
        );
    }
    text
}
