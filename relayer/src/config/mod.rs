//! The relayer's TOML configuration: `[global]`, `[store]`, `[telemetry]` and
//! `[[chains]]`, familiar to Hermes operators. Every error names the file, the key and
//! what is expected.

mod types;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use types::{
    ChainConfig, DaemonConfig, EventSourceConfig, GasPrice, GlobalConfig, PacketPolicy,
    StoreConfig, TelemetryConfig, TrustThreshold,
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
    /// The metrics and status server.
    #[serde(default)]
    pub telemetry: TelemetryConfig,
    /// What the daemon does besides relaying packets.
    #[serde(default)]
    pub daemon: DaemonConfig,
    /// The chains the relayer serves.
    #[serde(default)]
    pub chains: Vec<ChainConfig>,
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
            let key = e.path().to_string();
            let inner = e.into_inner();
            let message = inner.message().to_string();
            if key.is_empty() || key == "." {
                ConfigError::Syntax {
                    file: file.to_string(),
                    message: inner.to_string().trim().to_string(),
                }
            } else {
                ConfigError::Key {
                    file: file.to_string(),
                    key,
                    message: message.trim().to_string(),
                }
            }
        })?;
        config.validate(file)?;
        Ok(config)
    }

    /// The chain with `id`.
    pub fn chain(&self, id: &str) -> Option<&ChainConfig> {
        self.chains.iter().find(|c| c.id.as_str() == id)
    }

    fn validate(&self, file: &str) -> Result<(), ConfigError> {
        let err = |key: String, message: String| ConfigError::Key {
            file: file.to_string(),
            key,
            message,
        };
        let f = self.daemon.refresh_fraction;
        if !(f > 0.0 && f < 1.0) {
            return Err(err(
                "daemon.refresh_fraction".into(),
                format!("{f} is not between 0 and 1; e.g. 0.333 refreshes after a third of the trusting period"),
            ));
        }
        if self.daemon.scan_interval.is_zero() {
            return Err(err(
                "daemon.scan_interval".into(),
                "must be positive (e.g. \"2s\")".into(),
            ));
        }
        let mut seen = HashSet::new();
        for (i, c) in self.chains.iter().enumerate() {
            let key = |k: &str| format!("chains[{i}].{k}");
            if !seen.insert(c.id.as_str()) {
                return Err(err(
                    key("id"),
                    format!("chain `{}` is configured twice; keep one entry", c.id),
                ));
            }
            if c.gas_multiplier < 1.0 {
                return Err(err(
                    key("gas_multiplier"),
                    "must be at least 1.0 (e.g. 1.3)".into(),
                ));
            }
            if !(c.gas_price.price.is_finite() && c.gas_price.price >= 0.0) {
                return Err(err(
                    key("gas_price.price"),
                    "must be a non-negative number".into(),
                ));
            }
            if c.max_gas < c.default_gas {
                return Err(err(
                    key("max_gas"),
                    format!("must be at least default_gas ({})", c.default_gas),
                ));
            }
            if c.trusting_period.is_some_and(|t| t.is_zero()) {
                return Err(err(
                    key("trusting_period"),
                    "must be positive (e.g. \"14days\")".into(),
                ));
            }
        }
        Ok(())
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
