//! [`ChainCli`]: the simd CLI and RPC polling against one chain, cloneable and usable
//! from any thread.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::error::LogTail;
use crate::error::{Error, Result};
use crate::rpc;

/// Gas limit of the CLI txs the harness sends.
pub const CLI_GAS: u64 = 200_000;

/// Fee of the CLI txs the harness sends: the gas limit at the minimum gas price, doubled.
pub const CLI_FEES: &str = "400stake";

/// How often conditions are polled.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// The simd CLI bound to one chain's home, chain id and RPC port.
///
/// Cheap to clone and `Send + Sync`, so tests can drive a chain from other threads
/// while the [`crate::TestChain`] stays put. All methods block.
#[derive(Debug, Clone)]
pub struct ChainCli {
    pub(crate) binary: PathBuf,
    pub(crate) home: PathBuf,
    pub(crate) chain_id: String,
    pub(crate) rpc_port: u16,
}

/// A tx as indexed by the chain (from CometBFT's `/tx`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxResult {
    /// The tx hash, upper-case hex.
    pub hash: String,
    /// The height of the block that included it.
    pub height: u64,
    /// The DeliverTx code (0 = success).
    pub code: u32,
    /// Gas wanted.
    pub gas_wanted: u64,
    /// Gas used.
    pub gas_used: u64,
    /// The raw log.
    pub log: String,
}

impl ChainCli {
    /// The chain id.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// The node's RPC address in the form the simd CLI's `--node` takes.
    pub fn node(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.rpc_port)
    }

    /// The chain's `simd.log`.
    pub fn log_path(&self) -> PathBuf {
        self.home.join("simd.log")
    }

    /// The simd binary.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// Runs `simd ARGS --home HOME` (plus `--node` for `tx`, `query`/`q` and `status`)
    /// and returns its output; a non-zero exit is an [`Error::Cli`] carrying both
    /// streams.
    pub fn cli<I, S>(&self, args: I) -> Result<Output>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let mut command = Command::new(&self.binary);
        command.args(&args).arg("--home").arg(&self.home);
        crate::process::tmp_in_home(&mut command, &self.home);
        let first = args.first().and_then(|a| a.to_str()).unwrap_or_default();
        if matches!(first, "tx" | "query" | "q" | "status") {
            command.arg("--node").arg(self.node());
        }
        let rendered = args
            .iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ");
        let output = command
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::io(format!("running simd {rendered}"), e))?;
        if !output.status.success() {
            return Err(Error::Cli {
                args: rendered,
                status: output.status,
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            });
        }
        Ok(output)
    }

    /// Sends `amount` (e.g. `"5stake"`, `"7ufoo"`) from the keyring key `from_key` to
    /// `to_address`; see [`ChainCli::tx`].
    pub fn bank_send(&self, from_key: &str, to_address: &str, amount: &str) -> Result<String> {
        self.tx(from_key, &["bank", "send", from_key, to_address, amount])
    }

    /// Broadcasts `simd tx ARGS` signed by the keyring key `from_key` with
    /// `--broadcast-mode sync`, paying [`CLI_FEES`], and returns the tx hash once CheckTx
    /// accepted it (not once it is included: see [`ChainCli::wait_for_tx`]). A CheckTx
    /// rejection is an [`Error::TxFailed`].
    pub fn tx(&self, from_key: &str, args: &[&str]) -> Result<String> {
        let gas = CLI_GAS.to_string();
        let what = format!(
            "`simd tx {}` output",
            args.iter().take(2).copied().collect::<Vec<_>>().join(" ")
        );
        let mut full = vec!["tx"];
        full.extend_from_slice(args);
        full.extend_from_slice(&[
            "--from",
            from_key,
            "--keyring-backend",
            "test",
            "--chain-id",
            &self.chain_id,
            "--gas",
            &gas,
            "--fees",
            CLI_FEES,
            "--broadcast-mode",
            "sync",
            "--yes",
            "-o",
            "json",
        ]);
        let output = self.cli(full)?;
        let json = parse_json(&what, &output.stdout)?;
        let txhash = str_field(&json, "txhash");
        // The CLI prints every field of its TxResponse, `code` 0 included: no code is no
        // answer, not success.
        let code = json
            .get("code")
            .and_then(Value::as_u64)
            .ok_or_else(|| Error::parse(&what, format!("no code in {json}")))?;
        if code != 0 || txhash.is_empty() {
            return Err(Error::TxFailed {
                chain_id: self.chain_id.clone(),
                txhash,
                code: u32::try_from(code).unwrap_or(u32::MAX),
                codespace: str_field(&json, "codespace"),
                log: str_field(&json, "raw_log"),
            });
        }
        Ok(txhash)
    }

    /// The balance of `address` in `denom` (0 if it holds none), via `simd q bank balance`.
    pub fn balance(&self, address: &str, denom: &str) -> Result<u128> {
        let output = self.cli(["q", "bank", "balance", address, denom, "-o", "json"])?;
        let json = parse_json("`simd q bank balance` output", &output.stdout)?;
        let amount = json
            .pointer("/balance/amount")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::parse(
                    "`simd q bank balance` output",
                    format!("no balance.amount in {json}"),
                )
            })?;
        amount
            .parse()
            .map_err(|e| Error::parse("balance amount", format!("{amount:?}: {e}")))
    }

    /// The latest block height, from the RPC's `/status`.
    pub fn latest_height(&self) -> Result<u64> {
        rpc::latest_height(self.rpc_port)
    }

    /// The time of block `height`, in seconds since the Unix epoch (from the RPC's
    /// `/header`).
    pub fn block_time(&self, height: u64) -> Result<f64> {
        rpc::block_time(self.rpc_port, height)
    }

    /// Polls until the chain is at `height` or above and returns the height seen;
    /// [`Error::Timeout`] (with the log tail) after `timeout`.
    pub fn wait_for_height(&self, height: u64, timeout: Duration) -> Result<u64> {
        self.poll(&format!("height >= {height}"), timeout, || {
            let h = self.latest_height()?;
            Ok((h >= height)
                .then_some(h)
                .ok_or_else(|| format!("height {h}")))
        })
    }

    /// Polls CometBFT's tx index until the tx `hash` (hex, any case) is included.
    /// Returns it if it succeeded, [`Error::TxFailed`] if its DeliverTx code is not 0.
    pub fn wait_for_tx(&self, hash: &str, timeout: Duration) -> Result<TxResult> {
        let path = format!("/tx?hash=0x{}", hash.trim_start_matches("0x"));
        let result = self.poll(&format!("tx {hash} included"), timeout, || {
            match rpc::get_result(self.rpc_port, &path) {
                Ok(result) => Ok(Ok(result)),
                // "tx (...) not found" until it is indexed.
                Err(e) => Ok(Err(e.to_string())),
            }
        })?;
        let tx = tx_result(hash, &result)?;
        if tx.code != 0 {
            return Err(Error::TxFailed {
                chain_id: self.chain_id.clone(),
                txhash: tx.hash,
                code: tx.code,
                codespace: str_field(&result["tx_result"], "codespace"),
                log: tx.log,
            });
        }
        Ok(tx)
    }

    /// Calls `check` every [`POLL_INTERVAL`] until it returns `Ok(Ok(value))`.
    /// `Ok(Err(note))` and `Err(_)` mean "not yet" and are remembered for the timeout
    /// error.
    pub(crate) fn poll<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut() -> Result<Result<T, String>>,
    ) -> Result<T> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match check() {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(note)) => note,
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(Error::Timeout {
                    chain_id: self.chain_id.clone(),
                    what: what.to_string(),
                    timeout,
                    last,
                    log: LogTail::read(self.log_path(), 30),
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }
}

fn parse_json(what: &str, bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::parse(what, format!("{e}: {}", String::from_utf8_lossy(bytes))))
}

/// The [`TxResult`] of CometBFT's `/tx` answer `result` for `hash`. The height and the
/// `tx_result` object must be there; inside it, CometBFT omits zero-valued fields (code 0,
/// gas 0, empty log), so those read as 0 or "".
fn tx_result(hash: &str, result: &Value) -> Result<TxResult> {
    let what = format!("/tx answer for {hash}");
    let number = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| v.as_u64())
    };
    let height = number(&result["height"])
        .ok_or_else(|| Error::parse(&what, format!("no height in {result}")))?;
    let tx_result = result
        .get("tx_result")
        .filter(|r| r.is_object())
        .ok_or_else(|| Error::parse(&what, format!("no tx_result object in {result}")))?;
    let field = |key: &str| -> Result<u64> {
        match tx_result.get(key) {
            None | Some(Value::Null) => Ok(0),
            Some(v) => {
                number(v).ok_or_else(|| Error::parse(&what, format!("{key} is not a u64: {v}")))
            }
        }
    };
    Ok(TxResult {
        hash: hash.trim_start_matches("0x").to_ascii_uppercase(),
        height,
        code: u32::try_from(field("code")?).unwrap_or(u32::MAX),
        gas_wanted: field("gas_wanted")?,
        gas_used: field("gas_used")?,
        log: str_field(tx_result, "log"),
    })
}

/// The string `key` of `json`; "" when absent (protobuf JSON omits empty strings).
fn str_field(json: &Value, key: &str) -> String {
    json.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}
