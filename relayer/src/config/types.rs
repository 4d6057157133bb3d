//! The sections and values of the configuration.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::policy::PacketPolicy;
use super::serve::ServeConfig;
use super::values::{BackupNode, EventSourceConfig, GasPrice, TrustThreshold};

/// `[global]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GlobalConfig {
    /// Log level filter (`error`, `warn`, `info`, `debug`, `trace`).
    pub log_level: String,
    /// Where keys are stored (relative paths resolve against the config file's directory).
    pub key_dir: PathBuf,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        Self {
            log_level: "info".into(),
            key_dir: ".stateset-relayer/keys".into(),
        }
    }
}

/// `[daemon]`: what `start` does besides relaying packets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonConfig {
    /// Keep the clients of configured chains alive.
    pub refresh_clients: bool,
    /// Update a client once this fraction of its trusting period has passed (0 < f < 1).
    pub refresh_fraction: f64,
    /// Finish connection and channel handshakes that others started.
    pub complete_handshakes: bool,
    /// How often clients and handshakes are checked (1 ms to 1 hour).
    #[serde(with = "humantime_serde")]
    pub scan_interval: Duration,
    /// Clear packets (compare commitments with the ledger) every this many blocks
    /// (1 to 1,000,000).
    pub clear_interval: u64,
    /// After a restart, replay at most this many blocks one by one; a longer gap is left
    /// to clearing so that new packets are not held up.
    pub max_catchup: u64,
    /// How many failed submissions of one packet's message before the packet is
    /// quarantined (default 3; at least 1).
    pub quarantine_after: u32,
    /// Relay passes per path direction in flight at once on an unordered channel: the next
    /// batch is proven and broadcast while earlier ones await inclusion (default 3; 1 to
    /// 16; 1 turns pipelining off). Ordered channels always take one at a time.
    pub pipeline_depth: usize,
    /// The longest wait between retries of work that keeps failing (default 5 minutes;
    /// 1 second to 1 hour).
    #[serde(with = "humantime_serde")]
    pub max_backoff: Duration,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        Self {
            refresh_clients: true,
            refresh_fraction: 1.0 / 3.0,
            complete_handshakes: true,
            scan_interval: Duration::from_secs(2),
            clear_interval: 100,
            max_catchup: 300,
            quarantine_after: 3,
            pipeline_depth: 3,
            max_backoff: Duration::from_secs(5 * 60),
        }
    }
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// The sled database directory.
    pub path: PathBuf,
    /// sled's page cache in MiB (1 to 4,096; default 4), counted as sled counts it: the
    /// cached pages' size on disk. The daemon's memory holds several times this.
    pub cache_mib: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            path: ".stateset-relayer/store".into(),
            cache_mib: crate::store::DEFAULT_CACHE_BYTES >> 20,
        }
    }
}

/// `[history]`: the packet history kept in the store, for the API and web console.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HistoryConfig {
    /// Keep a history of the packets the relayer sees.
    pub enabled: bool,
    /// How long a packet is kept after it was first seen (1 minute to 365 days; default
    /// 7 days).
    #[serde(with = "humantime_serde")]
    pub retention: Duration,
    /// Most packets kept; beyond them the oldest are removed (1 to 100,000,000; default
    /// 1,000,000).
    pub max_packets: usize,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            retention: Duration::from_secs(7 * 86400),
            max_packets: 1_000_000,
        }
    }
}

/// `[telemetry]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// Serve metrics and status.
    pub enabled: bool,
    /// Listen address.
    pub host: String,
    /// Listen port.
    pub port: u16,
    /// The bearer token `/graphql` and the console need when `host` is not a loopback
    /// address (never logged).
    pub token: Option<String>,
    /// The environment variable holding `token` instead.
    pub token_env: Option<String>,
    /// The bearer token of mutations (`clearPackets`); without it they are refused.
    pub admin_token: Option<String>,
    /// The environment variable holding `admin_token` instead.
    pub admin_token_env: Option<String>,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            host: "127.0.0.1".into(),
            port: 3001,
            token: None,
            token_env: None,
            admin_token: None,
            admin_token_env: None,
        }
    }
}

impl TelemetryConfig {
    /// The read token: `token`, else the value of `token_env` (an unset or empty variable
    /// is an error naming it).
    pub fn read_token(&self) -> Result<Option<String>, String> {
        resolve_token(
            self.token.as_deref(),
            self.token_env.as_deref(),
            "token_env",
        )
    }

    /// The admin token: `admin_token`, else the value of `admin_token_env`.
    pub fn admin_token(&self) -> Result<Option<String>, String> {
        resolve_token(
            self.admin_token.as_deref(),
            self.admin_token_env.as_deref(),
            "admin_token_env",
        )
    }
}

/// A token given inline or by the environment variable `env` (named by `key`).
fn resolve_token(
    inline: Option<&str>,
    env: Option<&str>,
    key: &str,
) -> Result<Option<String>, String> {
    if let Some(t) = inline.map(str::trim).filter(|t| !t.is_empty()) {
        return Ok(Some(t.to_string()));
    }
    let Some(var) = env else {
        return Ok(None);
    };
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(Some(v.trim().to_string())),
        _ => Err(format!(
            "telemetry.{key}: the environment variable `{var}` is not set or empty; export it (e.g. {var}=$(openssl rand -hex 32)) or write the token in the config"
        )),
    }
}

/// One `[[chains]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// Chain id.
    #[serde(deserialize_with = "super::values::chain_id")]
    pub id: tendermint::chain::Id,
    /// CometBFT RPC address.
    #[serde(deserialize_with = "super::values::http_url")]
    pub rpc_addr: tendermint_rpc::Url,
    /// gRPC address, `http(s)://host:port`.
    #[serde(deserialize_with = "super::values::grpc_url")]
    pub grpc_addr: String,
    /// Other nodes of the chain (CometBFT RPC) that every header is checked with before it
    /// goes into a MsgUpdateClient: a header a witness contradicts is never submitted.
    #[serde(default, deserialize_with = "super::values::http_urls")]
    pub witness_rpc_addrs: Vec<tendermint_rpc::Url>,
    /// Other full nodes of the chain used when the primary (`rpc_addr`/`grpc_addr`) errors,
    /// lags or answers for another chain id; node 0 is the primary, these are 1, 2, ...
    #[serde(default)]
    pub backup_nodes: Vec<BackupNode>,
    /// A node whose latest height is more than this many blocks below the best node's is
    /// taken out of rotation (1 to 10,000; default 5).
    #[serde(default = "d_max_node_lag")]
    pub max_node_lag: u64,
    /// The longest a node taken out of rotation stays out: its cool-off starts at 5 s and
    /// doubles with each removal in a row up to this (5 s to 24 hours; default 5 minutes).
    #[serde(default = "d_max_node_cooloff", with = "humantime_serde")]
    pub max_node_cooloff: Duration,
    /// Event source.
    #[serde(default)]
    pub event_source: EventSourceConfig,
    /// Timeout of one RPC or gRPC call (1 ms to 1 hour).
    #[serde(default = "d_rpc_timeout", with = "humantime_serde")]
    pub rpc_timeout: Duration,
    /// Bech32 prefix of account addresses (a BIP-173 human-readable part, lowercase).
    pub account_prefix: String,
    /// Name of the relayer's key for this chain.
    pub key_name: String,
    /// HD path of the key.
    #[serde(default = "d_hd_path")]
    pub hd_path: String,
    /// The IBC store's name in the multistore.
    #[serde(default = "d_store_prefix")]
    pub store_prefix: String,
    /// Gas price.
    pub gas_price: GasPrice,
    /// An account whose x/feegrant allowance to the relayer's key pays this chain's txs
    /// (`fee_granter = "cosmos1..."`, the chain's `account_prefix`); by default the
    /// relayer's own account pays.
    #[serde(default)]
    pub fee_granter: Option<String>,
    /// Simulated gas is multiplied by this (finite, 1.0 to 10.0).
    #[serde(default = "d_gas_multiplier")]
    pub gas_multiplier: f64,
    /// Gas limit cap (positive, at least `default_gas`).
    #[serde(default = "d_max_gas")]
    pub max_gas: u64,
    /// Sign txs of packet messages (MsgRecvPacket or MsgAcknowledgement only) with the gas
    /// learned from simulated txs of the same kind instead of simulating each one
    /// (`chain::tx::GasModel`); `false` simulates every tx.
    #[serde(default = "d_learn_gas")]
    pub learn_gas: bool,
    /// Gas used when simulation is not possible (positive).
    #[serde(default = "d_default_gas")]
    pub default_gas: u64,
    /// Most messages in one tx (positive).
    #[serde(default = "d_max_msg_num")]
    pub max_msg_num: usize,
    /// Largest tx in bytes (positive).
    #[serde(default = "d_max_tx_size")]
    pub max_tx_size: usize,
    /// Allowed clock drift for light clients (0 to 1 hour).
    #[serde(default = "d_clock_drift", with = "humantime_serde")]
    pub clock_drift: Duration,
    /// Longest expected block interval (1 ms to 1 hour).
    #[serde(default = "d_max_block_time", with = "humantime_serde")]
    pub max_block_time: Duration,
    /// Trusting period of clients of this chain (default: 2/3 of its unbonding time; if
    /// given, 1 second to 365 days).
    #[serde(default, with = "humantime_serde")]
    pub trusting_period: Option<Duration>,
    /// Trust threshold of clients of this chain.
    #[serde(default)]
    pub trust_threshold: TrustThreshold,
    /// Prefix of every tx memo.
    #[serde(default)]
    pub memo_prefix: String,
    /// How long to wait for a tx to be included (1 ms to 1 hour).
    #[serde(default = "d_tx_timeout", with = "humantime_serde")]
    pub tx_confirmation_timeout: Duration,
    /// Which packets sent from this chain are relayed (`[chains.packet_policy]`).
    #[serde(default)]
    pub packet_policy: PacketPolicy,
    /// Clients and ports served besides the relayer's own clients (`[chains.serve]`).
    #[serde(default)]
    pub serve: ServeConfig,
}

impl ChainConfig {
    /// The websocket URL of the push event source.
    pub fn websocket_url(&self) -> String {
        match &self.event_source {
            EventSourceConfig::Push { url: Some(u), .. } => u.to_string(),
            _ => derived_websocket_url(&self.rpc_addr),
        }
    }
}

/// `ws(s)://host:port/websocket` of a CometBFT RPC address.
pub fn derived_websocket_url(rpc_addr: &tendermint_rpc::Url) -> String {
    let rpc = rpc_addr.to_string();
    let ws = rpc
        .replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1);
    format!("{}/websocket", ws.trim_end_matches('/'))
}

fn d_max_node_lag() -> u64 {
    5
}
fn d_max_node_cooloff() -> Duration {
    crate::chain::nodes::MAX_COOLOFF
}
fn d_rpc_timeout() -> Duration {
    Duration::from_secs(10)
}
fn d_hd_path() -> String {
    crate::keys::DEFAULT_HD_PATH.into()
}
fn d_store_prefix() -> String {
    "ibc".into()
}
fn d_gas_multiplier() -> f64 {
    1.3
}
fn d_learn_gas() -> bool {
    true
}
fn d_max_gas() -> u64 {
    4_000_000
}
fn d_default_gas() -> u64 {
    300_000
}
fn d_max_msg_num() -> usize {
    30
}
fn d_max_tx_size() -> usize {
    180_000
}
fn d_clock_drift() -> Duration {
    Duration::from_secs(5)
}
fn d_max_block_time() -> Duration {
    Duration::from_secs(30)
}
fn d_tx_timeout() -> Duration {
    Duration::from_secs(30)
}
