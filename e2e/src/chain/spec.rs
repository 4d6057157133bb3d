//! [`ChainSpec`]: what chain to run.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::ports::Ports;
use crate::simd;

/// What chain to run. Build one with [`ChainSpec::new`] and the `with_*` methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSpec {
    /// The chain id (also the moniker); letters, digits, `-`, `_` and `.` only.
    pub chain_id: String,
    /// CometBFT `timeout_commit`: the pause between blocks (default 200 ms, giving a
    /// block every ~250-300 ms).
    pub block_time: Duration,
    /// The staking unbonding time (default 21 days); light clients' trusting periods
    /// derive from it.
    pub unbonding_time: Duration,
    /// Governance voting and max-deposit periods (default 20 s; expedited is half).
    pub voting_period: Duration,
    /// Fixed ports; `None` allocates free ones on 127.0.0.1.
    pub ports: Option<Ports>,
    /// The node's home, which must be empty or absent; `None` uses a temporary
    /// directory that is deleted on drop (unless the thread is panicking).
    pub home: Option<PathBuf>,
    /// The ibc-go major whose simd runs the chain (default [`simd::DEFAULT_VERSION`]).
    pub simd_version: String,
    /// How long [`TestChain::start`] and [`TestChain::restart`] wait for blocks.
    pub startup_timeout: Duration,
    /// Extra CometBFT `config.toml` settings, applied after the harness's own: a dotted
    /// key (e.g. `mempool.max_tx_bytes`) and a TOML value literal (e.g. `16384`,
    /// `"10s"`). Empty by default.
    pub config_toml: Vec<(String, String)>,
}

impl ChainSpec {
    /// A spec with the defaults described on each field.
    pub fn new(chain_id: impl Into<String>) -> Self {
        ChainSpec {
            chain_id: chain_id.into(),
            block_time: Duration::from_millis(200),
            unbonding_time: Duration::from_secs(21 * 24 * 3600),
            voting_period: Duration::from_secs(20),
            ports: None,
            home: None,
            simd_version: simd::DEFAULT_VERSION.to_string(),
            startup_timeout: Duration::from_secs(60),
            config_toml: Vec::new(),
        }
    }

    /// Sets [`ChainSpec::block_time`].
    pub fn with_block_time(mut self, block_time: Duration) -> Self {
        self.block_time = block_time;
        self
    }

    /// Sets [`ChainSpec::unbonding_time`].
    pub fn with_unbonding_time(mut self, unbonding_time: Duration) -> Self {
        self.unbonding_time = unbonding_time;
        self
    }

    /// Sets [`ChainSpec::voting_period`].
    pub fn with_voting_period(mut self, voting_period: Duration) -> Self {
        self.voting_period = voting_period;
        self
    }

    /// Sets fixed [`ChainSpec::ports`].
    pub fn with_ports(mut self, ports: Ports) -> Self {
        self.ports = Some(ports);
        self
    }

    /// Sets a fixed [`ChainSpec::home`].
    pub fn with_home(mut self, home: impl Into<PathBuf>) -> Self {
        self.home = Some(home.into());
        self
    }

    /// Sets [`ChainSpec::simd_version`].
    pub fn with_simd_version(mut self, version: impl Into<String>) -> Self {
        self.simd_version = version.into();
        self
    }

    /// Sets [`ChainSpec::startup_timeout`].
    pub fn with_startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Adds a CometBFT `config.toml` setting ([`ChainSpec::config_toml`]), e.g.
    /// `.with_config_toml("mempool.max_tx_bytes", "16384")`.
    pub fn with_config_toml(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config_toml.push((key.into(), value.into()));
        self
    }

    /// The [`ChainSpec::config_toml`] settings parsed: key path and value.
    pub(crate) fn config_toml_values(&self) -> Result<Vec<(Vec<String>, toml::Value)>> {
        self.config_toml
            .iter()
            .map(|(key, literal)| {
                let path: Vec<String> = key.split('.').map(str::to_string).collect();
                if path.iter().any(String::is_empty) {
                    return Err(Error::Spec(format!("config.toml key {key:?}")));
                }
                let table: toml::Table = format!("v = {literal}").parse().map_err(|e| {
                    Error::Spec(format!("config.toml value {literal:?} for {key}: {e}"))
                })?;
                let value = table.get("v").cloned().expect("parsed `v = ...`");
                Ok((path, value))
            })
            .collect()
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let id_ok = !self.chain_id.is_empty()
            && self
                .chain_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !id_ok {
            return Err(Error::Spec(format!("chain id {:?}", self.chain_id)));
        }
        if self.block_time.is_zero() || self.voting_period < Duration::from_secs(2) {
            return Err(Error::Spec(
                "block_time must be > 0 and voting_period >= 2s".into(),
            ));
        }
        self.config_toml_values().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_toml_settings_parse_to_paths_and_values() {
        let spec = ChainSpec::new("x-1")
            .with_config_toml("mempool.max_tx_bytes", "16384")
            .with_config_toml("consensus.timeout_commit", "\"1s\"");
        let values = spec.config_toml_values().unwrap();
        assert_eq!(values[0].0, ["mempool", "max_tx_bytes"]);
        assert_eq!(values[0].1.as_integer(), Some(16384));
        assert_eq!(values[1].1.as_str(), Some("1s"));
        assert!(spec.validate().is_ok());
        let bad_value = ChainSpec::new("x-1").with_config_toml("mempool.max_tx_bytes", "16 KiB");
        assert!(bad_value.validate().is_err());
        let bad_key = ChainSpec::new("x-1").with_config_toml("mempool..size", "1");
        assert!(bad_key.validate().is_err());
    }
}
