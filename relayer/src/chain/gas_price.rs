//! Dynamic gas prices (`gas_price = { ..., dynamic = { source = ..., max = ... } }`): the
//! chain's current minimum gas price, read from x/feemarket's `GasPrice` query (Cosmos Hub
//! and others) or Osmosis' EIP-1559 `GetEipBaseFee` query, times a multiplier, at most a
//! cap, read again at most every `refresh` when a fee is computed.
//!
//! Neither module's types are in ibc-proto: the calls are made with [`GrpcClient::unary`]
//! and the hand-written messages below, whose fields and tags are those of
//! skip-mev/feemarket `proto/feemarket/feemarket/v1/query.proto` and osmosis
//! `proto/osmosis/txfees/v1beta1/query.proto`. Both prices are `cosmossdk.io/math.LegacyDec`
//! custom types, which gogoproto puts on the wire as the decimal's integer × 10^18
//! (`"2500000000000000"` is 0.0025): [`parse_dec`].
//!
//! A chain without the module (the query is `Unimplemented` or `NotFound`) is paid at the
//! static `gas_price.price`, with one warning per chain for the life of the process; a
//! query that fails otherwise keeps the last price read (the static one if none): see
//! [`decide`].

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use crate::chain::error::ChainError;
use crate::chain::grpc::GrpcClient;
use crate::chain::retry::{with_retry, RetryPolicy};
use crate::config::{DynamicGasConfig, GasPrice, GasPriceSource};

/// `/feemarket.feemarket.v1.Query/GasPrice`.
pub const FEEMARKET_GAS_PRICE: &str = "/feemarket.feemarket.v1.Query/GasPrice";
/// `/osmosis.txfees.v1beta1.Query/GetEipBaseFee`.
pub const OSMOSIS_EIP_BASE_FEE: &str = "/osmosis.txfees.v1beta1.Query/GetEipBaseFee";

/// `cosmos.base.v1beta1.DecCoin` (`amount` is a `LegacyDec`: the integer × 10^18).
#[derive(Clone, PartialEq, prost::Message)]
pub struct DecCoin {
    /// The denom.
    #[prost(string, tag = "1")]
    pub denom: String,
    /// The amount, `LegacyDec` wire form.
    #[prost(string, tag = "2")]
    pub amount: String,
}

/// `feemarket.feemarket.v1.GasPriceRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GasPriceRequest {
    /// The denom the price is asked in.
    #[prost(string, tag = "1")]
    pub denom: String,
}

/// `feemarket.feemarket.v1.GasPriceResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GasPriceResponse {
    /// The current minimum gas price in the denom asked for.
    #[prost(message, optional, tag = "1")]
    pub price: Option<DecCoin>,
}

/// `osmosis.txfees.v1beta1.QueryEipBaseFeeRequest` (no fields).
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryEipBaseFeeRequest {}

/// `osmosis.txfees.v1beta1.QueryEipBaseFeeResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryEipBaseFeeResponse {
    /// The current EIP-1559 base fee per gas in the chain's base denom, `LegacyDec` wire form.
    #[prost(string, tag = "1")]
    pub base_fee: String,
}

/// The decimal places of a `LegacyDec`.
const DEC_PRECISION: usize = 18;
/// Longer strings are no `LegacyDec` (whose integer has at most 315 bits: 95 digits).
const MAX_DEC_LEN: usize = 128;

/// Parses a `LegacyDec` as the chain sends it in protobuf: the integer × 10^18, so
/// `"2500000000000000"` is 0.0025 and `"1000000000000000000"` is 1. A string with a point
/// (`"0.002500000000000000"`, the form REST answers and `String()` show) is read as the
/// decimal it shows. A sign, any other character, an empty string, more than 18 decimals
/// or a value too large for an `f64` is an error that says what is wrong.
pub fn parse_dec(s: &str) -> Result<f64, String> {
    if s.is_empty() {
        return Err("empty decimal".into());
    }
    if s.len() > MAX_DEC_LEN {
        return Err(format!(
            "{} characters long, too long for a decimal",
            s.len()
        ));
    }
    let (int, frac) = match s.split_once('.') {
        Some((int, frac)) => {
            if int.is_empty() || frac.is_empty() || frac.len() > DEC_PRECISION {
                return Err(format!(
                    "`{s}` is not a decimal (digits, a point, 1 to {DEC_PRECISION} decimals)"
                ));
            }
            (int.to_string(), frac.to_string())
        }
        None => {
            let split = s.len().saturating_sub(DEC_PRECISION);
            let (int, frac) = (s.get(..split), s.get(split..));
            let (Some(int), Some(frac)) = (int, frac) else {
                return Err(format!("`{s}` is not a decimal: not all digits"));
            };
            let int = if int.is_empty() { "0" } else { int };
            (int.to_string(), format!("{frac:0>DEC_PRECISION$}"))
        }
    };
    if !(int.bytes().chain(frac.bytes())).all(|b| b.is_ascii_digit()) {
        return Err(format!("`{s}` is not a decimal: not all digits"));
    }
    // Rust's float parser rounds the exact decimal correctly.
    let value: f64 = format!("{int}.{frac}")
        .parse()
        .map_err(|e| format!("`{s}`: {e}"))?;
    if !value.is_finite() {
        return Err(format!("`{s}` is too large"));
    }
    Ok(value)
}

/// The price in a feemarket `GasPriceResponse`, which must be in `denom`.
pub fn feemarket_price(resp: &GasPriceResponse, denom: &str) -> Result<f64, String> {
    let price = resp
        .price
        .as_ref()
        .ok_or_else(|| "no price in the answer".to_string())?;
    if price.denom != denom {
        return Err(format!(
            "a price in `{}` where `{denom}` was asked",
            price.denom
        ));
    }
    parse_dec(&price.amount).map_err(|e| format!("price amount: {e}"))
}

/// The base fee in an Osmosis `QueryEipBaseFeeResponse`.
pub fn osmosis_price(resp: &QueryEipBaseFeeResponse) -> Result<f64, String> {
    parse_dec(&resp.base_fee).map_err(|e| format!("base_fee: {e}"))
}

impl GrpcClient {
    /// The chain's current minimum gas price in `denom`, from x/feemarket's `GasPrice`
    /// query. A chain without x/feemarket answers `Unimplemented`.
    pub async fn feemarket_gas_price(&self, denom: &str) -> Result<f64, ChainError> {
        let name = "feemarket.GasPrice";
        let req = GasPriceRequest {
            denom: denom.to_string(),
        };
        let resp = with_retry(
            RetryPolicy::QUERY,
            self.chain_id(),
            "grpc",
            name,
            || async {
                self.unary::<_, GasPriceResponse>(FEEMARKET_GAS_PRICE, req.clone())
                    .await
                    .map_err(self.status_error(name))
            },
        )
        .await?;
        feemarket_price(&resp, denom).map_err(|detail| self.decode_error(name, detail))
    }

    /// The chain's current EIP-1559 base fee per gas (in its base denom), from Osmosis'
    /// txfees `GetEipBaseFee` query. A chain without it answers `Unimplemented`.
    pub async fn osmosis_eip_base_fee(&self) -> Result<f64, ChainError> {
        let name = "txfees.GetEipBaseFee";
        let resp = with_retry(
            RetryPolicy::QUERY,
            self.chain_id(),
            "grpc",
            name,
            || async {
                self.unary::<_, QueryEipBaseFeeResponse>(
                    OSMOSIS_EIP_BASE_FEE,
                    QueryEipBaseFeeRequest {},
                )
                .await
                .map_err(self.status_error(name))
            },
        )
        .await?;
        osmosis_price(&resp).map_err(|detail| self.decode_error(name, detail))
    }

    /// The chain's current minimum gas price from `source` (in `denom` for x/feemarket).
    pub async fn dynamic_gas_price(
        &self,
        source: GasPriceSource,
        denom: &str,
    ) -> Result<f64, ChainError> {
        match source {
            GasPriceSource::Feemarket => self.feemarket_gas_price(denom).await,
            GasPriceSource::Osmosis => self.osmosis_eip_base_fee().await,
        }
    }

    fn decode_error(&self, method: &'static str, detail: String) -> ChainError {
        ChainError::Decode {
            chain: self.chain_id().to_string(),
            method,
            detail,
        }
    }
}

/// What one query of the chain's gas price gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The chain's current minimum price per unit of gas.
    Price(f64),
    /// The chain has no such query (`Unimplemented`, `NotFound`): the module is absent.
    Absent,
    /// The query failed otherwise; `transient` for the link's failures (retried already),
    /// false for answers (an error the module returned, an answer that cannot be decoded).
    Failed {
        /// Whether the failure may go away by itself.
        transient: bool,
    },
}

impl Outcome {
    /// The outcome of a query's result.
    pub fn of(result: &Result<f64, ChainError>) -> Outcome {
        match result {
            Ok(price) => Outcome::Price(*price),
            Err(ChainError::Grpc {
                code: tonic::Code::Unimplemented | tonic::Code::NotFound,
                ..
            }) => Outcome::Absent,
            Err(e) => Outcome::Failed {
                transient: e.is_transient(),
            },
        }
    }
}

/// Where the price in use comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceSource {
    /// No `dynamic` table: the static `gas_price.price`.
    Static,
    /// The chain's price, read within `refresh` (times the multiplier, at most the cap).
    Chain,
    /// The last price read from the chain: the latest query failed.
    LastRead,
    /// The static `gas_price.price`: the chain has no such query, or none answered yet.
    Fallback,
}

/// What to log about a query's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Log {
    /// Nothing above debug.
    Debug,
    /// The one warning of this chain: the module is absent.
    WarnAbsent,
    /// The one warning of this chain: the query fails with an answer, not the link's fault.
    WarnFailed,
}

/// The price to use after a query, and what to remember and log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Price per unit of gas.
    pub price: f64,
    /// Where it comes from.
    pub source: PriceSource,
    /// The chain's price to keep for when a later query fails (`None`: forget it).
    pub last_read: Option<f64>,
    /// Whether the chain's price × multiplier was above the cap.
    pub capped: bool,
    /// What to log.
    pub log: Log,
}

/// The price paid for the chain's `queried` price: `queried × multiplier`, at most `max`.
pub fn scaled_price(queried: f64, config: &DynamicGasConfig) -> f64 {
    (queried * config.multiplier).min(config.max)
}

/// The price after a query with `outcome`, given the `last_read` price (already scaled),
/// the static price and whether this chain's one warning was given already.
pub fn decide(
    outcome: &Outcome,
    last_read: Option<f64>,
    static_price: f64,
    config: &DynamicGasConfig,
    warned: bool,
) -> Decision {
    let warn = |log| if warned { Log::Debug } else { log };
    match *outcome {
        Outcome::Price(queried) => {
            let price = scaled_price(queried, config);
            Decision {
                price,
                source: PriceSource::Chain,
                last_read: Some(price),
                capped: queried * config.multiplier > config.max,
                log: Log::Debug,
            }
        }
        Outcome::Absent => Decision {
            price: static_price,
            source: PriceSource::Fallback,
            last_read: None,
            capped: false,
            log: warn(Log::WarnAbsent),
        },
        Outcome::Failed { transient } => Decision {
            price: last_read.unwrap_or(static_price),
            source: if last_read.is_some() {
                PriceSource::LastRead
            } else {
                PriceSource::Fallback
            },
            last_read,
            capped: false,
            log: if transient {
                Log::Debug
            } else {
                warn(Log::WarnFailed)
            },
        },
    }
}

/// Whether a price read at `read_at` is to be read again at `now`.
pub fn is_stale(read_at: Option<Instant>, now: Instant, refresh: Duration) -> bool {
    read_at.is_none_or(|at| now.saturating_duration_since(at) >= refresh)
}

/// The fee amount an insufficient-fee answer ([`crate::chain::tx::FeeAdjust`]) that asked
/// for `min_fee` raises the fee of `gas` to, with a dynamic price capped at `max`: what it
/// asked, at most `gas × max` (rounded up like every fee).
pub fn capped_min_fee(min_fee: u128, gas: u64, max: f64) -> u128 {
    let cap = (gas as f64 * max).ceil();
    if cap.is_finite() && cap >= 0.0 && cap < u128::MAX as f64 {
        min_fee.min(cap as u128)
    } else {
        min_fee
    }
}

/// The price in use and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurrentGasPrice {
    /// Price per unit of gas in the configured denom.
    pub price: f64,
    /// Where it comes from.
    pub source: PriceSource,
}

#[derive(Debug, Default)]
struct Cache {
    read_at: Option<Instant>,
    last_read: Option<f64>,
    current: Option<CurrentGasPrice>,
    capped: bool,
}

/// The gas price of one chain's txs: the static `gas_price.price`, or with
/// `gas_price.dynamic` the chain's current price, read lazily (when a fee is computed)
/// at most every `refresh`.
#[derive(Debug)]
pub struct DynamicGasPrice {
    chain_id: String,
    config: GasPrice,
    cache: tokio::sync::Mutex<Cache>,
}

impl DynamicGasPrice {
    /// The gas price of `chain_id`'s txs as `config` says.
    pub fn new(chain_id: &str, config: &GasPrice) -> Self {
        Self {
            chain_id: chain_id.to_string(),
            config: config.clone(),
            cache: tokio::sync::Mutex::new(Cache::default()),
        }
    }

    /// The configured `gas_price`.
    pub fn config(&self) -> &GasPrice {
        &self.config
    }

    /// The cap on the fee a chain may ask for with an insufficient-fee answer: `max`
    /// with a dynamic price, none without.
    pub fn cap(&self) -> Option<f64> {
        self.config.dynamic.as_ref().map(|d| d.max)
    }

    /// The price to pay now: read from the chain through `grpc` when the last read is
    /// older than `refresh` (one query at a time: concurrent callers wait for it).
    pub async fn current(&self, grpc: &GrpcClient) -> CurrentGasPrice {
        self.current_with(
            |source, denom| async move { grpc.dynamic_gas_price(source, &denom).await },
        )
        .await
    }

    /// [`Self::current`] with the chain's price read by `query(source, denom)`.
    pub async fn current_with<F, Fut>(&self, query: F) -> CurrentGasPrice
    where
        F: FnOnce(GasPriceSource, String) -> Fut,
        Fut: std::future::Future<Output = Result<f64, ChainError>>,
    {
        let Some(dynamic) = &self.config.dynamic else {
            return CurrentGasPrice {
                price: self.config.price,
                source: PriceSource::Static,
            };
        };
        let mut cache = self.cache.lock().await;
        if let Some(current) = cache.current {
            if !is_stale(cache.read_at, Instant::now(), dynamic.refresh) {
                return current;
            }
        }
        let result = query(dynamic.source, self.config.denom.clone()).await;
        let decision = decide(
            &Outcome::of(&result),
            cache.last_read,
            self.config.price,
            dynamic,
            has_warned(&self.chain_id),
        );
        self.log(dynamic, &result, &decision, cache.capped);
        let current = CurrentGasPrice {
            price: decision.price,
            source: decision.source,
        };
        *cache = Cache {
            read_at: Some(Instant::now()),
            last_read: decision.last_read,
            current: Some(current),
            // A failed read says nothing of the price against the cap.
            capped: match decision.source {
                PriceSource::LastRead => cache.capped,
                _ => decision.capped,
            },
        };
        current
    }

    /// Reads the chain's price again at the next [`Self::current`] (after the chain
    /// refused a fee as insufficient).
    pub async fn expire(&self) {
        self.cache.lock().await.read_at = None;
    }

    fn log(
        &self,
        dynamic: &DynamicGasConfig,
        result: &Result<f64, ChainError>,
        decision: &Decision,
        was_capped: bool,
    ) {
        let chain = self.chain_id.as_str();
        let query = dynamic.source.query_name();
        let (price, denom) = (decision.price, self.config.denom.as_str());
        let fixed = self.config.price;
        match (decision.log, result) {
            (Log::WarnAbsent, Err(e)) if first_warning(chain) => tracing::warn!(
                chain, error = %e,
                "chain {chain} has no {query} query; using the static gas_price {fixed}{denom}"
            ),
            (Log::WarnFailed, Err(e)) if first_warning(chain) => tracing::warn!(
                chain, error = %e,
                "chain {chain}: the {query} query fails; using {price}{denom} (the last price read, or the static gas_price) while it does"
            ),
            (_, Err(e)) => {
                tracing::debug!(chain, error = %e, price, source = ?decision.source, "{query} query failed")
            }
            (_, Ok(queried)) if decision.capped && !was_capped => tracing::warn!(
                chain, queried, multiplier = dynamic.multiplier, max = dynamic.max,
                "chain {chain}: gas price {queried}{denom} × {} is above gas_price.dynamic.max; paying {price}{denom}, which the chain may refuse",
                dynamic.multiplier
            ),
            (_, Ok(queried)) if was_capped && !decision.capped => tracing::info!(
                chain, queried, price, "chain {chain}: gas price back under gas_price.dynamic.max"
            ),
            (_, Ok(queried)) => tracing::debug!(chain, queried, price, "{query}: gas price read"),
        }
    }
}

/// The chains whose one warning was given (for the life of the process: a chain's
/// endpoint, and so its [`DynamicGasPrice`], is made anew at each reconnection).
fn warned_chains() -> &'static Mutex<HashSet<String>> {
    static WARNED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    WARNED.get_or_init(Default::default)
}

fn has_warned(chain: &str) -> bool {
    warned_chains()
        .lock()
        .map(|w| w.contains(chain))
        .unwrap_or(true)
}

/// True the first time it is called for `chain`.
fn first_warning(chain: &str) -> bool {
    warned_chains()
        .lock()
        .map(|mut w| w.insert(chain.to_string()))
        .unwrap_or(false)
}

#[cfg(test)]
#[path = "gas_price_tests.rs"]
mod tests;
