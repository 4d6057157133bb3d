//! The relayer's TOML configuration: `[global]`, `[store]`, `[history]`, `[telemetry]`,
//! `[daemon]` and `[[chains]]` (with `[chains.packet_policy]` and `[chains.serve]`),
//! familiar to Hermes operators. Every error names the file, the key path (e.g.
//! `chains[1].gas_multiplier`), the expected form and an example; values that parse but
//! make no sense (NaN, zero or huge durations, zero batch limits, bad bech32 prefixes, ...)
//! are refused the same way (the bounds are in `validate.rs` and config.toml).

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod hints;
mod policy;
mod serve;
mod signer;
mod types;
mod validate;
mod values;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use policy::{PacketPolicy, SequenceRange};
pub use serve::ServeConfig;
pub use signer::{SignerConfig, SignerKind};
pub use types::derived_websocket_url;
pub use types::{
    ChainConfig, DaemonConfig, GlobalConfig, HistoryConfig, StoreConfig, TelemetryConfig,
};
pub use values::{
    BackupNode, DynamicGasConfig, EventSourceConfig, GasPrice, GasPriceSource, TrustThreshold,
};

/// A configuration error: the file, the key, the problem and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{file}: cannot read: {source}")]
    Read {
        /// The file.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{file}: not valid TOML: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// Parser message (with line and column).
        message: String,
    },
    /// A key is unknown or has a bad value.
    #[error("{file}: `{key}`: {message}")]
    Key {
        /// The file.
        file: String,
        /// The key path, e.g. `chains[0].rpc_addr`.
        key: String,
        /// The problem and what is expected.
        message: String,
    },
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Global settings.
    #[serde(default)]
    pub global: GlobalConfig,
    /// Where progress is kept.
    #[serde(default)]
    pub store: StoreConfig,
    /// The packet history kept in the store.
    #[serde(default)]
    pub history: HistoryConfig,
    /// The metrics and status server.
    #[serde(default)]
    pub telemetry: TelemetryConfig,
    /// What the daemon does besides relaying packets.
    #[serde(default)]
    pub daemon: DaemonConfig,
    /// The chains the relayer serves (at least one, each id once).
    #[serde(default)]
    pub chains: Vec<ChainConfig>,
    /// Where the relayer's keys live: the file key ring or a PKCS#11 token (`[signer]`).
    #[serde(default)]
    pub signer: SignerConfig,
}

impl Config {
    /// Reads and validates `path`. Relative paths in it resolve against its directory.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: path.display().to_string(),
            source,
        })?;
        let mut config = Self::from_toml_str(&text, &path.display().to_string())?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        config.global.key_dir = resolve(&base, &config.global.key_dir);
        config.store.path = resolve(&base, &config.store.path);
        Ok(config)
    }

    /// Parses and validates TOML `text`; `file` names it in errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Config, ConfigError> {
        let de = toml::Deserializer::new(text);
        let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            let inner_message = e.inner().message().trim().to_string();
            let (key, message) = hints::explain(e.path(), &inner_message);
            if key.is_empty() {
                ConfigError::Syntax {
                    file: file.to_string(),
                    message: e.into_inner().to_string().trim().to_string(),
                }
            } else {
                ConfigError::Key {
                    file: file.to_string(),
                    key,
                    message,
                }
            }
        })?;
        validate::config(&config).map_err(|(key, message)| ConfigError::Key {
            file: file.to_string(),
            key,
            message,
        })?;
        Ok(config)
    }

    /// The chain with `id`.
    pub fn chain(&self, id: &str) -> Option<&ChainConfig> {
        self.chains.iter().find(|c| c.id.as_str() == id)
    }
}

fn resolve(base: &Path, p: &Path) -> PathBuf {
    if let Ok(rest) = p.strip_prefix("~") {
        if let Some(home) = std::env::var_os("HOME") {
            return PathBuf::from(home).join(rest);
        }
    }
    if p.is_relative() {
        base.join(p)
    } else {
        p.to_path_buf()
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_backup;
#[cfg(test)]
mod tests_bounds;
#[cfg(test)]
mod tests_dynamic_gas;
#[cfg(test)]
mod tests_hermes;
#[cfg(test)]
mod tests_history;
#[cfg(test)]
mod tests_new_keys;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_telemetry;
