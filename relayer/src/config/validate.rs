//! Checks of values that parse but make no sense: each failure names the key, the expected
//! form and an example. The bounds (documented in config.toml) are:
//!
//! | key | bounds |
//! |---|---|
//! | `rpc_timeout`, `tx_confirmation_timeout`, `max_block_time` | 1 ms to 1 hour |
//! | `daemon.scan_interval`, pull `event_source.interval` | 1 ms to 1 hour |
//! | push `event_source.batch_delay`, `clock_drift` | 0 to 1 minute, 0 to 1 hour |
//! | `trusting_period` (if given) | 1 second to 365 days |
//! | `daemon.max_backoff` | 1 second to 1 hour |
//! | `gas_multiplier` | finite, 1.0 to 10.0 |
//! | `gas_price.price` | finite, not negative |
//! | `gas_price.dynamic.multiplier`, `.max`, `.refresh` | finite, 1.0 or more; finite, above 0; 1 second to 1 hour |
//! | `fee_granter` | a bech32 account address with the chain's `account_prefix` |
//! | `daemon.refresh_fraction` | finite, strictly between 0 and 1 |
//! | `max_msg_num`, `max_tx_size`, `max_gas`, `default_gas` | positive (`max_gas >= default_gas`) |
//! | `daemon.clear_interval` | 1 to 1,000,000 blocks |
//! | `daemon.quarantine_after` | at least 1 |
//! | `daemon.pipeline_depth` | 1 to 16 |
//! | `max_node_lag` | 1 to 10,000 blocks |
//! | `max_node_cooloff` | 5 s to 24 hours |
//! | `history.retention` | 1 minute to 365 days |
//! | `history.max_packets` | 1 to 100,000,000 packets |
//! | `backup_nodes[].rpc_addr` | not the primary's nor another backup's |

use std::collections::HashSet;
use std::time::Duration;

use super::{
    ChainConfig, Config, DaemonConfig, DynamicGasConfig, EventSourceConfig, GlobalConfig,
    HistoryConfig,
};

/// `Err((key, message))`.
pub(super) type Check = Result<(), (String, String)>;

const MS: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const YEAR: Duration = Duration::from_secs(365 * 86400);

fn bad(key: &str, message: String) -> Check {
    Err((key.to_string(), message))
}

/// `key` (whose last segment is written in the example) lies in `min..=max`.
fn duration(key: &str, value: Duration, (min, max): (Duration, Duration), example: &str) -> Check {
    if value >= min && value <= max {
        return Ok(());
    }
    let name = key.rsplit('.').next().unwrap_or(key);
    let show = |d: Duration| humantime::format_duration(d).to_string();
    bad(
        key,
        format!(
            "\"{}\" is out of range; expected a duration from {} to {}, e.g. {name} = \"{example}\"",
            show(value),
            show(min),
            show(max)
        ),
    )
}

fn positive(key: &str, value: u64, example: u64) -> Check {
    if value > 0 {
        return Ok(());
    }
    let name = key.rsplit('.').next().unwrap_or(key);
    bad(
        key,
        format!("0 makes no sense; expected a positive number, e.g. {name} = {example}"),
    )
}

/// The whole configuration.
pub(super) fn config(c: &Config) -> Check {
    global(&c.global)?;
    daemon(&c.daemon)?;
    history(&c.history)?;
    c.signer.check()?;
    if c.store.path.as_os_str().is_empty() {
        return bad(
            "store.path",
            "is empty; expected a directory, e.g. path = \".stateset-relayer/store\"".into(),
        );
    }
    if !(1..=4096).contains(&c.store.cache_mib) {
        return bad(
            "store.cache_mib",
            format!(
                "is {}; expected MiB of sled's page cache from 1 to 4096, e.g. cache_mib = 4",
                c.store.cache_mib
            ),
        );
    }
    if c.telemetry.host.trim().is_empty() {
        return bad(
            "telemetry.host",
            "is empty; expected a listen address, e.g. host = \"127.0.0.1\"".into(),
        );
    }
    telemetry_access(&c.telemetry)?;
    if c.chains.is_empty() {
        return bad(
            "chains",
            "no chains are configured; add one [[chains]] section per chain, e.g.\n[[chains]]\nid = \"stateset-1\"\nrpc_addr = \"http://127.0.0.1:26657\"\ngrpc_addr = \"http://127.0.0.1:9090\"\naccount_prefix = \"cosmos\"\nkey_name = \"relayer\"\ngas_price = { price = 0.001, denom = \"stake\" }".into(),
        );
    }
    let mut seen = HashSet::new();
    for (i, chain) in c.chains.iter().enumerate() {
        if !seen.insert(chain.id.as_str()) {
            return bad(
                &format!("chains[{i}].id"),
                format!("chain `{}` is configured twice; keep one entry (each id once, e.g. id = \"stateset-1\")", chain.id),
            );
        }
        self::chain(chain).map_err(|(k, m)| (format!("chains[{i}].{k}"), m))?;
    }
    Ok(())
}

fn global(g: &GlobalConfig) -> Check {
    const LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];
    if !LEVELS.contains(&g.log_level.to_ascii_lowercase().as_str()) {
        return bad(
            "global.log_level",
            format!(
                "`{}` is not a log level; expected one of {}, e.g. log_level = \"info\"",
                g.log_level,
                LEVELS.join(", ")
            ),
        );
    }
    if g.key_dir.as_os_str().is_empty() {
        return bad(
            "global.key_dir",
            "is empty; expected a directory, e.g. key_dir = \".stateset-relayer/keys\"".into(),
        );
    }
    Ok(())
}

fn daemon(d: &DaemonConfig) -> Check {
    let f = d.refresh_fraction;
    if !(f.is_finite() && f > 0.0 && f < 1.0) {
        return bad(
            "daemon.refresh_fraction",
            format!("{f} is not between 0 and 1; expected a number strictly between 0 and 1, e.g. refresh_fraction = 0.333 refreshes after a third of the trusting period"),
        );
    }
    duration("daemon.scan_interval", d.scan_interval, (MS, HOUR), "2s")?;
    duration("daemon.max_backoff", d.max_backoff, (SECOND, HOUR), "5m")?;
    if !(1..=1_000_000).contains(&d.clear_interval) {
        return bad(
            "daemon.clear_interval",
            format!("{} is out of range; expected a number of blocks from 1 to 1000000, e.g. clear_interval = 100", d.clear_interval),
        );
    }
    if d.quarantine_after == 0 {
        return bad(
            "daemon.quarantine_after",
            "0 would quarantine packets before their first submission; expected at least 1, e.g. quarantine_after = 3".into(),
        );
    }
    if !(1..=16).contains(&d.pipeline_depth) {
        return bad(
            "daemon.pipeline_depth",
            format!("{} is out of range; expected 1 to 16 passes in flight per direction, e.g. pipeline_depth = 3", d.pipeline_depth),
        );
    }
    Ok(())
}

/// `[telemetry]` tokens: given once each (inline or by variable), and a read token when
/// the endpoint listens on a non-loopback address.
fn telemetry_access(t: &super::TelemetryConfig) -> Check {
    for (inline, env, key) in [
        (&t.token, &t.token_env, "telemetry.token"),
        (&t.admin_token, &t.admin_token_env, "telemetry.admin_token"),
    ] {
        if inline.as_deref().is_some_and(|v| v.trim().is_empty()) {
            let name = key.rsplit('.').next().unwrap_or(key);
            return bad(
                key,
                format!("is empty; expected a secret string, e.g. {name} = \"9f86d081884c7d65\""),
            );
        }
        if inline.is_some() && env.is_some() {
            let name = key.rsplit('.').next().unwrap_or(key);
            return bad(key, format!("is given twice (inline and as {name}_env); keep one, e.g. {name}_env = \"STATESET_API_TOKEN\""));
        }
    }
    let has_token = t.token.is_some() || t.token_env.is_some();
    if t.enabled && !crate::telemetry::auth::is_loopback(&t.host) && !has_token {
        return bad(
            "telemetry.token",
            format!("is missing: host \"{}\" is not a loopback address, so /graphql and the console need a bearer token; expected a secret string or the variable holding it, e.g. token_env = \"STATESET_API_TOKEN\" (or host = \"127.0.0.1\")", t.host),
        );
    }
    Ok(())
}

/// Most packets `history.max_packets` allows.
const MAX_HISTORY_PACKETS: usize = 100_000_000;

fn history(h: &HistoryConfig) -> Check {
    // Not `duration`: humantime writes 365 days as "11months 30days 3h 50m 24s".
    if !(MINUTE..=YEAR).contains(&h.retention) {
        return bad(
            "history.retention",
            format!("\"{}\" is out of range; expected a duration from 1m to 365days, e.g. retention = \"7d\"", humantime::format_duration(h.retention)),
        );
    }
    if !(1..=MAX_HISTORY_PACKETS).contains(&h.max_packets) {
        return bad(
            "history.max_packets",
            format!("{} is out of range; expected a number of packets from 1 to {MAX_HISTORY_PACKETS}, e.g. max_packets = 1000000 (to keep no history, write enabled = false)", h.max_packets),
        );
    }
    Ok(())
}

fn chain(c: &ChainConfig) -> Check {
    duration("rpc_timeout", c.rpc_timeout, (MS, HOUR), "10s")?;
    duration(
        "tx_confirmation_timeout",
        c.tx_confirmation_timeout,
        (MS, HOUR),
        "30s",
    )?;
    duration("max_block_time", c.max_block_time, (MS, HOUR), "30s")?;
    duration("clock_drift", c.clock_drift, (Duration::ZERO, HOUR), "5s")?;
    if let Some(t) = c.trusting_period {
        duration("trusting_period", t, (SECOND, YEAR), "14days")?;
    }
    match &c.event_source {
        EventSourceConfig::Push { batch_delay, .. } => duration(
            "event_source.batch_delay",
            *batch_delay,
            (Duration::ZERO, MINUTE),
            "500ms",
        )?,
        EventSourceConfig::Pull { interval } => {
            duration("event_source.interval", *interval, (MS, HOUR), "1s")?
        }
    }
    account_prefix(&c.account_prefix).map_err(|m| ("account_prefix".to_string(), m))?;
    key_name(&c.key_name)?;
    if let Err(e) = c.hd_path.parse::<bip32::DerivationPath>() {
        return bad(
            "hd_path",
            format!(
                "`{}` is not a BIP-32 path ({e}); expected e.g. hd_path = \"m/44'/118'/0'/0/0\"",
                c.hd_path
            ),
        );
    }
    if c.store_prefix.is_empty() || !c.store_prefix.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return bad("store_prefix", format!("`{}` is not a store name; expected letters and digits, e.g. store_prefix = \"ibc\"", c.store_prefix));
    }
    gas(c)?;
    fee_granter(c)?;
    nodes(c)?;
    positive("max_msg_num", c.max_msg_num as u64, 30)?;
    positive("max_tx_size", c.max_tx_size as u64, 180_000)?;
    c.packet_policy
        .check()
        .map_err(|(k, m)| (format!("packet_policy.{k}"), m))?;
    c.serve.check().map_err(|(k, m)| (format!("serve.{k}"), m))
}

fn gas(c: &ChainConfig) -> Check {
    let m = c.gas_multiplier;
    if !(m.is_finite() && (1.0..=10.0).contains(&m)) {
        return bad("gas_multiplier", format!("{m} is not allowed; expected a finite number from 1.0 to 10.0, e.g. gas_multiplier = 1.3"));
    }
    let p = c.gas_price.price;
    if !(p.is_finite() && p >= 0.0) {
        return bad("gas_price.price", format!("{p} is not a price; expected a finite number, 0 or more, e.g. gas_price = {{ price = 0.001, denom = \"stake\" }}"));
    }
    if !is_denom(&c.gas_price.denom) {
        return bad("gas_price.denom", format!("`{}` is not a denom; expected 3 to 128 characters starting with a letter, e.g. gas_price = {{ price = 0.001, denom = \"stake\" }}", c.gas_price.denom));
    }
    if let Some(d) = &c.gas_price.dynamic {
        dynamic_gas(d)?;
    }
    positive("default_gas", c.default_gas, 300_000)?;
    positive("max_gas", c.max_gas, 4_000_000)?;
    if c.max_gas < c.default_gas {
        return bad("max_gas", format!("{} is below default_gas ({}); expected at least default_gas, e.g. max_gas = 4000000", c.max_gas, c.default_gas));
    }
    Ok(())
}

/// `gas_price.dynamic`: a multiplier of at least 1, a positive cap, a sane refresh.
fn dynamic_gas(d: &DynamicGasConfig) -> Check {
    const EXAMPLE: &str =
        "dynamic = { source = \"feemarket\", multiplier = 1.1, max = 0.1, refresh = \"30s\" }";
    let m = d.multiplier;
    if !(m.is_finite() && m >= 1.0) {
        return bad("gas_price.dynamic.multiplier", format!("{m} is not allowed; expected a finite number, 1.0 or more (the chain's price is multiplied by it), e.g. {EXAMPLE}"));
    }
    let max = d.max;
    if !(max.is_finite() && max > 0.0) {
        return bad("gas_price.dynamic.max", format!("{max} is not a price cap; expected a finite number above 0 (the most paid per unit of gas), e.g. {EXAMPLE}"));
    }
    duration(
        "gas_price.dynamic.refresh",
        d.refresh,
        (SECOND, HOUR),
        "30s",
    )
}

/// `fee_granter`: an account address of this chain.
fn fee_granter(c: &ChainConfig) -> Check {
    let Some(granter) = &c.fee_granter else {
        return Ok(());
    };
    let prefix = c.account_prefix.as_str();
    match bech32::decode(granter) {
        Ok((hrp, data)) if hrp.as_str() == prefix && matches!(data.len(), 20 | 32) => Ok(()),
        Ok((hrp, _)) if hrp.as_str() != prefix => bad("fee_granter", format!("`{granter}` is an address of another chain (prefix `{hrp}`, this chain's account_prefix is `{prefix}`); expected the granter's address on this chain, e.g. fee_granter = \"{prefix}1...\"")),
        _ => bad("fee_granter", format!("`{granter}` is not an account address; expected the bech32 address of the account that granted the relayer's key an allowance, e.g. fee_granter = \"{prefix}1...\"")),
    }
}

/// `max_node_lag` and `backup_nodes`: every node once.
fn nodes(c: &ChainConfig) -> Check {
    if !(1..=10_000).contains(&c.max_node_lag) {
        return bad("max_node_lag", format!("{} is out of range; expected a number of blocks from 1 to 10000, e.g. max_node_lag = 5", c.max_node_lag));
    }
    let min = crate::chain::nodes::MIN_COOLOFF;
    duration(
        "max_node_cooloff",
        c.max_node_cooloff,
        (min, 24 * HOUR),
        "5m",
    )?;
    let mut seen = vec![c.rpc_addr.to_string()];
    for (i, node) in c.backup_nodes.iter().enumerate() {
        let rpc = node.rpc_addr.to_string();
        if seen.contains(&rpc) {
            return bad(
                &format!("backup_nodes[{i}].rpc_addr"),
                format!("`{rpc}` is already a node of this chain (rpc_addr or an earlier backup); list each node once, e.g. backup_nodes = [{{ rpc_addr = \"http://10.0.0.2:26657\", grpc_addr = \"http://10.0.0.2:9090\" }}]"),
            );
        }
        seen.push(rpc);
    }
    Ok(())
}

/// A Cosmos SDK denom: `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
fn is_denom(d: &str) -> bool {
    let mut chars = d.chars();
    (3..=128).contains(&d.len())
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "/:._-".contains(c))
}

fn key_name(name: &str) -> Check {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control);
    if ok {
        return Ok(());
    }
    bad("key_name", format!("`{name}` cannot name a key file; expected a name without slashes, e.g. key_name = \"relayer\""))
}

/// Checks a bech32 human-readable part as BIP-173 defines it, lowercase: 1 to 83 ASCII
/// characters from 33 to 126. The message names the problem and gives an example.
pub(super) fn account_prefix(prefix: &str) -> Result<(), String> {
    let example = "expected a lowercase bech32 prefix of 1 to 83 characters, e.g. account_prefix = \"cosmos\"";
    let problem = if prefix.is_empty() {
        Some("is empty".to_string())
    } else if prefix.len() > 83 {
        Some(format!("is {} characters long", prefix.len()))
    } else if let Some(c) = prefix.chars().find(|c| !('!'..='~').contains(c)) {
        Some(format!("has {c:?}, which bech32 does not allow"))
    } else if prefix.chars().any(|c| c.is_ascii_uppercase()) {
        Some(format!(
            "has uppercase letters (write {:?})",
            prefix.to_ascii_lowercase()
        ))
    } else {
        None
    };
    match problem {
        Some(p) => Err(format!("`{prefix}` {p}; {example}")),
        None => Ok(()),
    }
}
