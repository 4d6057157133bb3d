//! Values with a form of their own: gas prices, trust thresholds, event sources, URLs
//! and chain ids. Each deserializer says what it expected and gives an example.

use std::time::Duration;

use serde::{de, Deserialize, Deserializer};

/// `gas_price = { price = 0.001, denom = "stake" }`, optionally with a `dynamic` table:
/// `gas_price = { price = 0.0025, denom = "uatom", dynamic = { source = "feemarket", max = 0.1 } }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GasPrice {
    /// Price per unit of gas (finite, not negative); with `dynamic`, the price used while
    /// the chain's current price cannot be read (a chain without the module).
    pub price: f64,
    /// Fee denom.
    pub denom: String,
    /// Read the chain's current minimum gas price instead of using `price`.
    #[serde(default)]
    pub dynamic: Option<DynamicGasConfig>,
}

/// `gas_price.dynamic = { source = "feemarket", multiplier = 1.1, max = 0.1, refresh = "30s" }`:
/// the price paid is the chain's current minimum × `multiplier`, at most `max`, read again at
/// most every `refresh`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamicGasConfig {
    /// Where the chain's current price is read.
    pub source: GasPriceSource,
    /// The chain's price is multiplied by this (finite, at least 1; default 1.1).
    #[serde(default = "default_dynamic_multiplier")]
    pub multiplier: f64,
    /// The highest price paid per unit of gas (finite, positive).
    pub max: f64,
    /// How long a price read is used before it is read again (1 second to 1 hour;
    /// default 30 seconds).
    #[serde(default = "default_dynamic_refresh", with = "humantime_serde")]
    pub refresh: Duration,
}

/// The module a dynamic gas price is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GasPriceSource {
    /// x/feemarket (skip-mev/feemarket: Cosmos Hub and others):
    /// `/feemarket.feemarket.v1.Query/GasPrice` in `gas_price.denom`.
    Feemarket,
    /// Osmosis' EIP-1559 txfees module: `/osmosis.txfees.v1beta1.Query/GetEipBaseFee`,
    /// the base fee in the chain's base denom (uosmo).
    Osmosis,
}

impl GasPriceSource {
    /// The query's name in messages, e.g. "x/feemarket GasPrice".
    pub fn query_name(self) -> &'static str {
        match self {
            GasPriceSource::Feemarket => "x/feemarket GasPrice",
            GasPriceSource::Osmosis => "Osmosis txfees GetEipBaseFee",
        }
    }
}

fn default_dynamic_multiplier() -> f64 {
    1.1
}
fn default_dynamic_refresh() -> Duration {
    Duration::from_secs(30)
}

/// A trust threshold `n/d` in [1/3, 1]: `"1/3"`, or Hermes' table
/// `{ numerator = "1", denominator = "3" }` (strings or integers).
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

const TRUST_FORM: &str = "expected a fraction between 1/3 and 1, e.g. trust_threshold = \"1/3\" \
     (or Hermes' form trust_threshold = { numerator = \"1\", denominator = \"3\" })";

impl TrustThreshold {
    fn new(n: u64, d: u64) -> Option<Self> {
        // 1/3 <= n/d <= 1, computed without overflow.
        let ok = d != 0 && n <= d && 3 * u128::from(n) >= u128::from(d);
        ok.then_some(Self {
            numerator: n,
            denominator: d,
        })
    }
}

fn threshold_part(v: Option<&toml::Value>, name: &str) -> Result<u64, String> {
    match v {
        Some(toml::Value::Integer(i)) => u64::try_from(*i).map_err(|_| format!("`{name}` = {i}")),
        Some(toml::Value::String(s)) => s.trim().parse().map_err(|_| format!("`{name}` = {s:?}")),
        Some(other) => Err(format!("`{name}` = {other}")),
        None => Err(format!("`{name}` is missing")),
    }
}

impl<'de> Deserialize<'de> for TrustThreshold {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = toml::Value::deserialize(d)?;
        let (n, dd) = match &value {
            toml::Value::String(s) => {
                let parts = s
                    .split_once('/')
                    .and_then(|(n, d)| Some((n.trim().parse().ok()?, d.trim().parse().ok()?)));
                parts.ok_or_else(|| {
                    de::Error::custom(format!("`{s}` is not a fraction; {TRUST_FORM}"))
                })?
            }
            toml::Value::Table(t) => {
                if let Some(k) = t.keys().find(|k| *k != "numerator" && *k != "denominator") {
                    return Err(de::Error::custom(format!(
                        "unknown key `{k}`; {TRUST_FORM}"
                    )));
                }
                let n = threshold_part(t.get("numerator"), "numerator");
                let d = threshold_part(t.get("denominator"), "denominator");
                match (n, d) {
                    (Ok(n), Ok(d)) => (n, d),
                    (Err(e), _) | (_, Err(e)) => {
                        return Err(de::Error::custom(format!(
                            "{e} is not a whole number; {TRUST_FORM}"
                        )))
                    }
                }
            }
            other => {
                return Err(de::Error::custom(format!(
                    "found {}; {TRUST_FORM}",
                    super::hints::describe_value(other)
                )))
            }
        };
        Self::new(n, dd).ok_or_else(|| {
            de::Error::custom(format!("{n}/{dd} is not between 1/3 and 1; {TRUST_FORM}"))
        })
    }
}

/// One `backup_nodes` entry: another full node of the chain.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupNode {
    /// CometBFT RPC address.
    #[serde(deserialize_with = "http_url")]
    pub rpc_addr: tendermint_rpc::Url,
    /// gRPC address, `http(s)://host:port`.
    #[serde(deserialize_with = "grpc_url")]
    pub grpc_addr: String,
    /// Websocket of the push event source; derived from `rpc_addr` when omitted.
    #[serde(default, deserialize_with = "opt_ws_addr")]
    pub websocket_addr: Option<tendermint_rpc::Url>,
}

impl BackupNode {
    /// The websocket URL of this node's event source.
    pub fn websocket_url(&self) -> String {
        match &self.websocket_addr {
            Some(u) => u.to_string(),
            None => super::types::derived_websocket_url(&self.rpc_addr),
        }
    }
}

/// Where chain events come from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawEventSource")]
pub enum EventSourceConfig {
    /// A websocket subscription.
    Push {
        /// `ws://host:port/websocket`; derived from rpc_addr when omitted.
        url: Option<tendermint_rpc::Url>,
        /// How long to gather events before handling them (0 to 1 minute).
        batch_delay: Duration,
    },
    /// Polling `block_results` per height.
    Pull {
        /// Poll interval (1 ms to 1 hour).
        interval: Duration,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Mode {
    Push,
    Pull,
}

/// `event_source` as written: parsed field by field (so errors name e.g.
/// `event_source.url`), then checked as a whole.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEventSource {
    mode: Mode,
    #[serde(default, deserialize_with = "opt_ws_url")]
    url: Option<tendermint_rpc::Url>,
    #[serde(default, with = "humantime_serde")]
    batch_delay: Option<Duration>,
    #[serde(default, with = "humantime_serde")]
    interval: Option<Duration>,
}

impl TryFrom<RawEventSource> for EventSourceConfig {
    type Error = String;
    fn try_from(raw: RawEventSource) -> Result<Self, String> {
        match raw.mode {
            Mode::Push if raw.interval.is_some() => Err("`interval` is for mode = \"pull\"; \
                 expected e.g. event_source = { mode = \"push\", url = \"ws://127.0.0.1:26657/websocket\", batch_delay = \"500ms\" }"
                .into()),
            Mode::Pull if raw.url.is_some() || raw.batch_delay.is_some() => Err(
                "`url` and `batch_delay` are for mode = \"push\"; expected e.g. event_source = { mode = \"pull\", interval = \"1s\" }"
                    .into(),
            ),
            Mode::Push => Ok(EventSourceConfig::Push {
                url: raw.url,
                batch_delay: raw.batch_delay.unwrap_or_else(default_batch_delay),
            }),
            Mode::Pull => Ok(EventSourceConfig::Pull {
                interval: raw.interval.unwrap_or_else(default_pull_interval),
            }),
        }
    }
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

/// Deserializes a chain id (`id = "stateset-1"`).
pub(super) fn chain_id<'de, D: Deserializer<'de>>(d: D) -> Result<tendermint::chain::Id, D::Error> {
    let s = String::deserialize(d)?;
    let example = "expected a chain id like id = \"stateset-1\"";
    if s.trim().is_empty() {
        return Err(de::Error::custom(format!("must not be empty; {example}")));
    }
    if s.contains(['/', '\\']) || s == "." || s == ".." || s.chars().any(char::is_control) {
        return Err(de::Error::custom(format!(
            "`{s}` cannot name a key directory; {example}"
        )));
    }
    s.parse()
        .map_err(|e| de::Error::custom(format!("`{s}` is not a chain id ({e}); {example}")))
}

fn parse_url<E: de::Error>(
    s: &str,
    schemes: &[&str],
    key: &str,
    example: &str,
) -> Result<tendermint_rpc::Url, E> {
    let form = format!("expected a URL like {key} = \"{example}\"");
    if !s.contains("://") {
        let scheme = schemes.first().copied().unwrap_or("http");
        let fixed = format!("{scheme}://{s}");
        let fixed_is_url = fixed
            .parse::<tendermint_rpc::Url>()
            .is_ok_and(|u| !u.host().is_empty());
        let suggestion = if fixed_is_url {
            fixed.as_str()
        } else {
            example
        };
        return Err(E::custom(format!(
            "`{s}` has no scheme; expected a URL like {key} = \"{suggestion}\""
        )));
    }
    let url: tendermint_rpc::Url = s
        .parse()
        .map_err(|_| E::custom(format!("`{s}` is not a URL; {form}")))?;
    let scheme = url.scheme().to_string();
    if !schemes.contains(&scheme.as_str()) {
        return Err(E::custom(format!(
            "`{s}` has scheme `{scheme}` but {} is needed; {form}",
            schemes.join(" or ")
        )));
    }
    if url.host().is_empty() {
        return Err(E::custom(format!("`{s}` has no host; {form}")));
    }
    Ok(url)
}

/// Deserializes the CometBFT RPC address.
pub(super) fn http_url<'de, D: Deserializer<'de>>(d: D) -> Result<tendermint_rpc::Url, D::Error> {
    let s = String::deserialize(d)?;
    parse_url(&s, &["http", "https"], "rpc_addr", "http://127.0.0.1:26657")
}

pub(super) fn http_urls<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<tendermint_rpc::Url>, D::Error> {
    let list = Vec::<String>::deserialize(d)?;
    list.iter()
        .map(|s| {
            parse_url(
                s,
                &["http", "https"],
                "witness_rpc_addrs",
                "http://10.0.0.2:26657",
            )
        })
        .collect()
}

fn opt_ws_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<tendermint_rpc::Url>, D::Error> {
    let s = String::deserialize(d)?;
    parse_url(&s, &["ws", "wss"], "url", "ws://127.0.0.1:26657/websocket").map(Some)
}

fn opt_ws_addr<'de, D: Deserializer<'de>>(d: D) -> Result<Option<tendermint_rpc::Url>, D::Error> {
    let s = String::deserialize(d)?;
    parse_url(
        &s,
        &["ws", "wss"],
        "websocket_addr",
        "ws://10.0.0.2:26657/websocket",
    )
    .map(Some)
}

/// Deserializes the gRPC address: `http(s)://host:port`.
pub(super) fn grpc_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    let example = "http://127.0.0.1:9090";
    parse_url::<D::Error>(&s, &["http", "https"], "grpc_addr", example)?;
    let authority_ok = s
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
        .and_then(|hp| hp.rsplit_once(':'))
        .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
    if !authority_ok {
        return Err(de::Error::custom(format!(
            "`{s}` has no port; expected a URL like grpc_addr = \"{example}\""
        )));
    }
    Ok(s)
}
