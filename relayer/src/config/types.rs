//! The sections and values of the configuration.

use std::path::PathBuf;
use std::time::Duration;

use serde::{de, Deserialize, Deserializer};

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
    /// How often clients and handshakes are checked.
    #[serde(with = "humantime_serde")]
    pub scan_interval: Duration,
    /// Clear packets (compare commitments with the ledger) every this many blocks.
    pub clear_interval: u64,
    /// After a restart, replay at most this many blocks one by one; a longer gap is left
    /// to clearing so that new packets are not held up.
    pub max_catchup: u64,
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
        }
    }
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// The sled database directory.
    pub path: PathBuf,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            path: ".stateset-relayer/store".into(),
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
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            host: "127.0.0.1".into(),
            port: 3001,
        }
    }
}

/// `gas_price = { price = 0.001, denom = "stake" }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GasPrice {
    /// Price per unit of gas.
    pub price: f64,
    /// Fee denom.
    pub denom: String,
}

/// A trust threshold `n/d` in [1/3, 1].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustThreshold {
    /// Numerator.
    pub numerator: u64,
    /// Denominator.
    pub denominator: u64,
}

impl Default for TrustThreshold {
    fn default() -> Self {
        Self {
            numerator: 1,
            denominator: 3,
        }
    }
}

impl<'de> Deserialize<'de> for TrustThreshold {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || {
            de::Error::custom(format!("`{s}` is not a trust threshold; expected a fraction \"n/d\" between \"1/3\" and \"1/1\""))
        };
        let (n, dd) = s.split_once('/').ok_or_else(bad)?;
        let (n, dd): (u64, u64) = (
            n.trim().parse().map_err(|_| bad())?,
            dd.trim().parse().map_err(|_| bad())?,
        );
        if dd == 0 || n > dd || 3 * n < dd {
            return Err(bad());
        }
        Ok(Self {
            numerator: n,
            denominator: dd,
        })
    }
}

/// Where chain events come from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase", deny_unknown_fields)]
pub enum EventSourceConfig {
    /// A websocket subscription.
    Push {
        /// `ws://host:port/websocket`; derived from rpc_addr when omitted.
        #[serde(default, deserialize_with = "opt_ws_url")]
        url: Option<tendermint_rpc::Url>,
        /// How long to gather events before handling them.
        #[serde(default = "default_batch_delay", with = "humantime_serde")]
        batch_delay: Duration,
    },
    /// Polling `block_results` per height.
    Pull {
        /// Poll interval.
        #[serde(default = "default_pull_interval", with = "humantime_serde")]
        interval: Duration,
    },
}

impl Default for EventSourceConfig {
    fn default() -> Self {
        EventSourceConfig::Push {
            url: None,
            batch_delay: default_batch_delay(),
        }
    }
}

fn default_batch_delay() -> Duration {
    Duration::from_millis(500)
}
fn default_pull_interval() -> Duration {
    Duration::from_secs(1)
}

/// One `[[chains]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// Chain id.
    #[serde(deserialize_with = "chain_id")]
    pub id: tendermint::chain::Id,
    /// CometBFT RPC address.
    #[serde(deserialize_with = "http_url")]
    pub rpc_addr: tendermint_rpc::Url,
    /// gRPC address, `http(s)://host:port`.
    #[serde(deserialize_with = "grpc_url")]
    pub grpc_addr: String,
    /// Event source.
    #[serde(default)]
    pub event_source: EventSourceConfig,
    /// Timeout of one RPC or gRPC call.
    #[serde(default = "d_rpc_timeout", with = "humantime_serde")]
    pub rpc_timeout: Duration,
    /// Bech32 prefix of account addresses.
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
    /// Simulated gas is multiplied by this.
    #[serde(default = "d_gas_multiplier")]
    pub gas_multiplier: f64,
    /// Gas limit cap.
    #[serde(default = "d_max_gas")]
    pub max_gas: u64,
    /// Gas used when simulation is not possible.
    #[serde(default = "d_default_gas")]
    pub default_gas: u64,
    /// Most messages in one tx.
    #[serde(default = "d_max_msg_num")]
    pub max_msg_num: usize,
    /// Largest tx in bytes.
    #[serde(default = "d_max_tx_size")]
    pub max_tx_size: usize,
    /// Allowed clock drift for light clients.
    #[serde(default = "d_clock_drift", with = "humantime_serde")]
    pub clock_drift: Duration,
    /// Longest expected block interval.
    #[serde(default = "d_max_block_time", with = "humantime_serde")]
    pub max_block_time: Duration,
    /// Trusting period of clients of this chain (default: 2/3 of its unbonding time).
    #[serde(default, with = "humantime_serde")]
    pub trusting_period: Option<Duration>,
    /// Trust threshold of clients of this chain.
    #[serde(default)]
    pub trust_threshold: TrustThreshold,
    /// Prefix of every tx memo.
    #[serde(default)]
    pub memo_prefix: String,
    /// How long to wait for a tx to be included.
    #[serde(default = "d_tx_timeout", with = "humantime_serde")]
    pub tx_confirmation_timeout: Duration,
    /// Which packets sent from this chain are relayed (`[chains.packet_policy]`).
    #[serde(default)]
    pub packet_policy: PacketPolicy,
}

/// Which packets sent from a chain the relayer relays. Packets it refuses are logged, counted
/// in `packets_filtered_total{reason}` and left alone (still timed out when they expire).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PacketPolicy {
    /// Largest ICS-20 memo in bytes (default 32 KiB).
    #[serde(default = "d_max_memo_bytes")]
    pub max_memo_bytes: usize,
    /// Largest ICS-20 receiver in bytes (default 2 KiB).
    #[serde(default = "d_max_receiver_bytes")]
    pub max_receiver_bytes: usize,
    /// When non-empty, only transfers sent on these channels of this chain.
    #[serde(default)]
    pub allow_channels: Vec<String>,
    /// Never transfers sent on these channels of this chain.
    #[serde(default)]
    pub deny_channels: Vec<String>,
    /// ICS-29: relay a packet only when the recv + ack fees escrowed for it on this chain
    /// reach every one of these coins (e.g. `["100stake"]`); empty relays every packet.
    #[serde(default)]
    pub min_fees: Vec<stateset_packet_handlers::ics29::Coin>,
}

impl Default for PacketPolicy {
    fn default() -> Self {
        PacketPolicy {
            max_memo_bytes: d_max_memo_bytes(),
            max_receiver_bytes: d_max_receiver_bytes(),
            allow_channels: Vec::new(),
            deny_channels: Vec::new(),
            min_fees: Vec::new(),
        }
    }
}

impl PacketPolicy {
    /// The ICS-20 part of the policy.
    pub fn transfer(&self) -> stateset_packet_handlers::ics20::TransferPolicy {
        stateset_packet_handlers::ics20::TransferPolicy {
            max_memo_bytes: self.max_memo_bytes,
            max_receiver_bytes: self.max_receiver_bytes,
            allow_channels: self.allow_channels.clone(),
            deny_channels: self.deny_channels.clone(),
        }
    }

    /// The ICS-29 part of the policy.
    pub fn min_fees(&self) -> stateset_packet_handlers::ics29::MinFees {
        stateset_packet_handlers::ics29::MinFees(self.min_fees.clone())
    }
}

fn d_max_memo_bytes() -> usize {
    32 * 1024
}
fn d_max_receiver_bytes() -> usize {
    2 * 1024
}

impl ChainConfig {
    /// The websocket URL of the push event source.
    pub fn websocket_url(&self) -> String {
        match &self.event_source {
            EventSourceConfig::Push { url: Some(u), .. } => u.to_string(),
            _ => {
                let rpc = self.rpc_addr.to_string();
                let ws = rpc
                    .replacen("https://", "wss://", 1)
                    .replacen("http://", "ws://", 1);
                format!("{}/websocket", ws.trim_end_matches('/'))
            }
        }
    }
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

fn chain_id<'de, D: Deserializer<'de>>(d: D) -> Result<tendermint::chain::Id, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().is_empty() {
        return Err(de::Error::custom(
            "must not be empty; expected a chain id like \"stateset-1\"",
        ));
    }
    s.parse().map_err(|e| {
        de::Error::custom(format!(
            "`{s}` is not a chain id ({e}); expected e.g. \"stateset-1\""
        ))
    })
}

fn parse_url<E: de::Error>(
    s: &str,
    schemes: &[&str],
    example: &str,
) -> Result<tendermint_rpc::Url, E> {
    let url: tendermint_rpc::Url = s
        .parse()
        .map_err(|_| E::custom(format!("`{s}` is not a URL; expected a URL like {example}")))?;
    if !schemes.contains(&url.scheme().to_string().as_str()) || url.host().is_empty() {
        return Err(E::custom(format!("`{s}` is not a URL like {example}")));
    }
    Ok(url)
}

fn http_url<'de, D: Deserializer<'de>>(d: D) -> Result<tendermint_rpc::Url, D::Error> {
    let s = String::deserialize(d)?;
    parse_url(&s, &["http", "https"], "http://127.0.0.1:26657")
}

fn opt_ws_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<tendermint_rpc::Url>, D::Error> {
    let s = String::deserialize(d)?;
    parse_url(&s, &["ws", "wss"], "ws://127.0.0.1:26657/websocket").map(Some)
}

fn grpc_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    let url = parse_url::<D::Error>(&s, &["http", "https"], "http://127.0.0.1:9090")?;
    let _ = url;
    let authority_ok = s
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
        .and_then(|hp| hp.rsplit_once(':'))
        .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
    if !authority_ok {
        return Err(de::Error::custom(format!(
            "`{s}` has no port; expected a URL like http://127.0.0.1:9090"
        )));
    }
    Ok(s)
}
