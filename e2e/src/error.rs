//! The harness's error type.

use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// Everything that can go wrong while building, starting, driving or stopping chains.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O operation on a file, directory, socket or process failed.
    #[error("{context}: {source}")]
    Io {
        /// What the harness was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The simd binary could not be located or built.
    #[error("simd {version}: {message}")]
    Simd {
        /// The ibc-go major, e.g. `v8`.
        version: String,
        /// What is wrong, including the build script's output when it failed.
        message: String,
    },

    /// A simd CLI command exited unsuccessfully.
    #[error("`simd {args}` failed ({status}):\nstdout: {stdout}\nstderr: {stderr}")]
    Cli {
        /// The command line after the binary name.
        args: String,
        /// Its exit status.
        status: ExitStatus,
        /// Its standard output.
        stdout: String,
        /// Its standard error.
        stderr: String,
    },

    /// A command's output, an RPC response or a file did not have the expected shape.
    #[error("unexpected {what}: {message}")]
    Parse {
        /// What was being parsed.
        what: String,
        /// Why it did not parse.
        message: String,
    },

    /// A config file (config.toml, app.toml, genesis.json) could not be edited.
    #[error("config file {}: {message}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },

    /// The spec is unusable (bad chain id, non-empty home, ...).
    #[error("invalid chain spec: {0}")]
    Spec(String),

    /// A condition was not reached before its deadline.
    #[error("chain {chain_id}: {what} not reached within {timeout:?} (last: {last}); {log}")]
    Timeout {
        /// The chain.
        chain_id: String,
        /// The condition, e.g. "height >= 2".
        what: String,
        /// How long the harness waited.
        timeout: Duration,
        /// The last observation or error while polling.
        last: String,
        /// The end of the chain's log.
        log: Box<LogTail>,
    },

    /// The simd node exited while the harness waited for it.
    #[error("chain {chain_id}: simd exited ({status}); {log}")]
    Exited {
        /// The chain.
        chain_id: String,
        /// Its exit status.
        status: ExitStatus,
        /// The end of the chain's log.
        log: Box<LogTail>,
    },

    /// The chain is stopped, so the operation needs a running node.
    #[error("chain {0} is not running")]
    NotRunning(String),

    /// CheckTx rejected a transaction (non-zero code on `--broadcast-mode sync`), or it
    /// was included but failed (non-zero DeliverTx code).
    #[error("chain {chain_id}: tx {txhash} failed with code {code} ({codespace}): {log}")]
    TxFailed {
        /// The chain.
        chain_id: String,
        /// The tx hash (upper-case hex), empty if the CLI did not report one.
        txhash: String,
        /// The ABCI code.
        code: u32,
        /// The ABCI codespace.
        codespace: String,
        /// The raw log.
        log: String,
    },

    /// A CometBFT RPC request failed.
    #[error("RPC {url}: {message}")]
    Rpc {
        /// The requested URL.
        url: String,
        /// What went wrong.
        message: String,
    },

    /// No free TCP port could be found on 127.0.0.1.
    #[error("no free TCP port on 127.0.0.1 (tried {tried})")]
    NoFreePort {
        /// How many ports were probed.
        tried: usize,
    },
}

/// The last lines of a chain's log, for errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTail {
    /// The log file.
    pub path: PathBuf,
    /// Its last lines (or why there are none).
    pub tail: String,
}

impl LogTail {
    /// Reads the last `lines` lines of `path`.
    pub(crate) fn read(path: PathBuf, lines: usize) -> Box<LogTail> {
        let tail = crate::process::log_tail(&path, lines);
        Box::new(LogTail { path, tail })
    }
}

impl std::fmt::Display for LogTail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "log {}:\n{}", self.path.display(), self.tail)
    }
}

/// The harness's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with what the harness was doing.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// A parse error.
    pub(crate) fn parse(what: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Error::Parse {
            what: what.into(),
            message: message.to_string(),
        }
    }
}
