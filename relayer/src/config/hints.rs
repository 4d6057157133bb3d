//! Turns serde's messages into ones that teach the fix: the key path, the expected form
//! with an example, what was found, and for keys that Hermes has but this relayer does
//! not, what to write instead.

use serde_path_to_error::{Path, Segment};

/// The key path as written in messages (`chains[1].gas_price`) and in its normalized form
/// (`chains[].gas_price`, map keys of `excluded_sequences` as `*`).
fn key_paths(path: &Path) -> (String, String) {
    let (mut shown, mut norm) = (String::new(), String::new());
    let mut in_excluded = false;
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                shown.push_str(&format!("[{index}]"));
                norm.push_str("[]");
            }
            Segment::Map { key } | Segment::Enum { variant: key } => {
                let sep = if shown.is_empty() { "" } else { "." };
                shown.push_str(&format!("{sep}{key}"));
                let k = if in_excluded { "*" } else { key.as_str() };
                norm.push_str(&format!("{sep}{k}"));
                in_excluded = key == "excluded_sequences";
            }
            Segment::Unknown => {}
        }
    }
    (shown, norm)
}

fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// The text between the first pair of backticks after `prefix`.
fn quoted_after<'a>(raw: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = raw.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split_once('`').map(|(name, _)| name)
}

/// The key and the message of a deserialization error at `path` with serde's text `raw`.
pub(super) fn explain(path: &Path, raw: &str) -> (String, String) {
    let (shown, norm) = key_paths(path);
    let raw = raw.trim();
    if let Some(field) = quoted_after(raw, "missing field ") {
        let (key, norm) = (join(&shown, field), join(&norm, field));
        let form = expected_form(&norm).unwrap_or("a value for it");
        return (
            key,
            format!("this required key is missing; expected {form}"),
        );
    }
    if let Some(field) = quoted_after(raw, "unknown field ") {
        let (key, norm) = if shown == field || shown.ends_with(&format!(".{field}")) {
            (shown, norm)
        } else {
            (join(&shown, field), join(&norm, field))
        };
        return (key, unknown_key(&norm, field, raw));
    }
    if let Some(variant) = quoted_after(raw, "unknown variant ") {
        let form = expected_form(&norm).unwrap_or("one of the listed values");
        return (shown, format!("unknown value `{variant}`; expected {form}"));
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some((found, expected)) = raw
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once(", expected "))
        {
            let form = expected_form(&norm).map_or_else(|| expected.to_string(), str::to_string);
            return (
                shown,
                format!("expected {form}, found {}", describe_unexpected(found)),
            );
        }
    }
    let message = match expected_form(&norm) {
        Some(form) if !(raw.contains("e.g.") || raw.contains(" like ")) => {
            format!("{raw}; expected {form}")
        }
        _ => raw.to_string(),
    };
    (shown, message)
}

fn unknown_key(norm: &str, field: &str, raw: &str) -> String {
    if let Some(advice) = hermes_advice(norm) {
        return format!("unknown key `{field}`: {advice}");
    }
    let valid: Vec<&str> = raw
        .split_once("expected ")
        .map(|(_, list)| list.split('`').skip(1).step_by(2).collect())
        .unwrap_or_default();
    let closest = valid
        .iter()
        .map(|v| (edit_distance(field, v), *v))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d);
    match closest {
        Some((_, name)) => {
            let parent = norm.rsplit_once('.').map_or("", |(p, _)| p);
            let example = expected_form(&join(parent, name))
                .map_or_else(String::new, |form| format!(" (expected {form})"));
            format!("unknown key `{field}`; did you mean `{name}`{example}?")
        }
        None => format!(
            "unknown key `{field}`; delete it or use one of: {}",
            valid.join(", ")
        ),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row.first().copied().unwrap_or(0);
        let mut next = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let up = row.get(j + 1).copied().unwrap_or(usize::MAX - 1);
            let left = next.last().copied().unwrap_or(usize::MAX - 1);
            let cost = prev + usize::from(ca != *cb);
            next.push(cost.min(up + 1).min(left + 1));
            prev = up;
        }
        row = next;
    }
    row.last().copied().unwrap_or(0)
}

/// serde's description of what was found (`floating point \`0.001\``) in words.
fn describe_unexpected(found: &str) -> String {
    let value = found
        .split_once(' ')
        .map(|(_, v)| v.trim_matches('`'))
        .unwrap_or(found);
    let (kind, show) = match found.split_once(' ').map_or(found, |(k, _)| k) {
        "floating" => (
            "a float",
            value
                .strip_prefix("point ")
                .unwrap_or(value)
                .trim_matches('`'),
        ),
        "integer" => ("an integer", value),
        "boolean" => ("a boolean", value),
        "string" => ("a string", value),
        "sequence" => return "an array".into(),
        "map" => return "a table".into(),
        _ => return found.to_string(),
    };
    format!("{kind} ({show})")
}

/// A TOML value in words, for messages.
pub(super) fn describe_value(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("a string ({s:?})"),
        toml::Value::Integer(i) => format!("an integer ({i})"),
        toml::Value::Float(f) => format!("a float ({f})"),
        toml::Value::Boolean(b) => format!("a boolean ({b})"),
        toml::Value::Datetime(d) => format!("a date-time ({d})"),
        toml::Value::Array(_) => "an array".into(),
        toml::Value::Table(_) => "a table".into(),
    }
}

/// What a key Hermes has means here.
fn hermes_advice(norm: &str) -> Option<&'static str> {
    Some(match norm {
        "mode" => "Hermes' [mode] is [daemon] here, e.g. [daemon] refresh_clients = true, complete_handshakes = true, clear_interval = 100",
        "rest" | "tracing_server" => "this relayer has no such server; delete the section (metrics and status are under [telemetry], e.g. port = 3001)",
        "chains[].type" => "Hermes' chain type: this relayer speaks only to Cosmos SDK chains, so delete the line (e.g. remove `type = \"CosmosSdk\"`)",
        "chains[].packet_filter" => "Hermes' packet_filter is [chains.packet_policy] here, e.g. packet_policy = { allow_channels = [\"channel-0\"] } relays only transfers sent on channel-0 (deny_channels = [\"channel-1\"] refuses one); the ports whose handshakes are completed are [chains.serve] ports, e.g. serve = { ports = [\"transfer\"] }",
        "chains[].websocket_addr" => "the websocket is part of the event source here, e.g. event_source = { mode = \"push\", url = \"ws://127.0.0.1:26657/websocket\" }",
        "chains[].gas_adjustment" => "use gas_multiplier, e.g. gas_multiplier = 1.3",
        "chains[].dynamic_gas_price" => "Hermes' dynamic_gas_price is the `dynamic` table of gas_price here (price stays, as the fallback), e.g. gas_price = { price = 0.0025, denom = \"uatom\", dynamic = { source = \"feemarket\", multiplier = 1.1, max = 0.1 } }",
        "chains[].address_type" => "addresses are Cosmos secp256k1 ones; delete the line and set the bech32 prefix, e.g. account_prefix = \"cosmos\"",
        "chains[].key_store_type" | "chains[].key_store_folder" => "keys are files under [global] key_dir; delete the line, e.g. [global] key_dir = \".stateset-relayer/keys\"",
        "chains[].client_refresh_rate" => "clients are refreshed by [daemon] refresh_fraction, e.g. refresh_fraction = 0.333",
        "chains[].ccv_consumer_chain" | "chains[].sequential_batch_tx" | "chains[].compat_mode"
        | "chains[].query_packets_chunk_size"
        | "chains[].proof_specs" | "chains[].max_grpc_decoding_size" | "chains[].trusted_node"
        | "chains[].ics20_max_memo_size" | "chains[].ics20_max_receiver_size" | "chains[].excluded_sequences" => {
            "a Hermes key this relayer does not read; delete it (ICS-20 limits and excluded sequences go in [chains.packet_policy], e.g. packet_policy = { max_memo_bytes = 32768, excluded_sequences = { \"channel-0\" = [5, \"10..20\"] } })"
        }
        _ => return None,
    })
}

/// The expected form of a key, with an example.
fn expected_form(norm: &str) -> Option<&'static str> {
    let chain_key = norm.strip_prefix("chains[].");
    if let Some(key) = chain_key {
        return chain_form(key);
    }
    Some(match norm {
        "global" => "a table like [global] log_level = \"info\"",
        "global.log_level" => "one of \"error\", \"warn\", \"info\", \"debug\", \"trace\", e.g. log_level = \"info\"",
        "global.key_dir" => "a directory path, e.g. key_dir = \".stateset-relayer/keys\"",
        "store" => "a table like [store] path = \".stateset-relayer/store\"",
        "store.path" => "a directory path, e.g. path = \".stateset-relayer/store\"",
        "history" => "a table like [history] enabled = true, retention = \"7d\", max_packets = 1000000",
        "history.enabled" => "true or false, e.g. enabled = true",
        "history.retention" => "a duration from 1m to 365days, e.g. retention = \"7d\"",
        "history.max_packets" => "a number of packets from 1 to 100000000, e.g. max_packets = 1000000",
        "telemetry" => "a table like [telemetry] enabled = true, host = \"127.0.0.1\", port = 3001",
        "telemetry.enabled" => "true or false, e.g. enabled = true",
        "telemetry.host" => "a listen address, e.g. host = \"127.0.0.1\"",
        "telemetry.port" => "a port number from 0 to 65535, e.g. port = 3001",
        "telemetry.token" => "a secret string (required when host is not a loopback address), e.g. token = \"9f86d081884c7d65\"",
        "telemetry.token_env" => "the name of an environment variable holding the token, e.g. token_env = \"STATESET_API_TOKEN\"",
        "telemetry.admin_token" => "a secret string enabling mutations, e.g. admin_token = \"c0ffee5e1f2a9b7d\"",
        "telemetry.admin_token_env" => "the name of an environment variable holding the admin token, e.g. admin_token_env = \"STATESET_API_ADMIN_TOKEN\"",
        "daemon" => "a table like [daemon] scan_interval = \"2s\"",
        "daemon.refresh_clients" => "true or false, e.g. refresh_clients = true",
        "daemon.complete_handshakes" => "true or false, e.g. complete_handshakes = true",
        "daemon.refresh_fraction" => "a number between 0 and 1, e.g. refresh_fraction = 0.333",
        "daemon.scan_interval" => "a duration from 1ms to 1h, e.g. scan_interval = \"2s\"",
        "daemon.clear_interval" => "a number of blocks from 1 to 1000000, e.g. clear_interval = 100",
        "daemon.max_catchup" => "a number of blocks, e.g. max_catchup = 300",
        "daemon.quarantine_after" => "a number of failed submissions, at least 1, e.g. quarantine_after = 3",
        "daemon.pipeline_depth" => "a number of relay passes in flight, 1 to 16, e.g. pipeline_depth = 3",
        "daemon.max_backoff" => "a duration from 1s to 1h, e.g. max_backoff = \"5m\"",
        "chains" => "one [[chains]] section per chain, e.g. [[chains]] id = \"stateset-1\"",
        "chains[]" => "a [[chains]] table with id, rpc_addr, grpc_addr, account_prefix, key_name and gas_price, e.g. [[chains]] id = \"stateset-1\"",
        _ => return None,
    })
}

fn chain_form(key: &str) -> Option<&'static str> {
    Some(match key {
        "id" => "a chain id, e.g. id = \"stateset-1\"",
        "rpc_addr" => "an http(s) URL, e.g. rpc_addr = \"http://127.0.0.1:26657\"",
        "witness_rpc_addrs" => "a list of http(s) URLs of other nodes of the chain, e.g. witness_rpc_addrs = [\"http://10.0.0.2:26657\"]",
        "grpc_addr" => "an http(s) URL with a port, e.g. grpc_addr = \"http://127.0.0.1:9090\"",
        "backup_nodes" => "a list of other nodes of the chain, e.g. backup_nodes = [{ rpc_addr = \"http://10.0.0.2:26657\", grpc_addr = \"http://10.0.0.2:9090\" }]",
        "backup_nodes[]" => "a table with rpc_addr, grpc_addr and optionally websocket_addr, e.g. backup_nodes = [{ rpc_addr = \"http://10.0.0.2:26657\", grpc_addr = \"http://10.0.0.2:9090\" }]",
        "backup_nodes[].rpc_addr" => "an http(s) URL, e.g. rpc_addr = \"http://10.0.0.2:26657\"",
        "backup_nodes[].grpc_addr" => "an http(s) URL with a port, e.g. grpc_addr = \"http://10.0.0.2:9090\"",
        "backup_nodes[].websocket_addr" => "a ws(s) URL, e.g. websocket_addr = \"ws://10.0.0.2:26657/websocket\"",
        "max_node_lag" => "a number of blocks from 1 to 10000, e.g. max_node_lag = 5",
        "max_node_cooloff" => "a duration from 5s to 24h, e.g. max_node_cooloff = \"5m\"",
        "event_source.mode" => "\"push\" or \"pull\", e.g. event_source = { mode = \"push\", url = \"ws://127.0.0.1:26657/websocket\", batch_delay = \"500ms\" } or event_source = { mode = \"pull\", interval = \"1s\" }",
        "event_source" => "a table like event_source = { mode = \"push\", url = \"ws://127.0.0.1:26657/websocket\", batch_delay = \"500ms\" } or event_source = { mode = \"pull\", interval = \"1s\" }",
        "event_source.url" => "a ws(s) URL, e.g. url = \"ws://127.0.0.1:26657/websocket\"",
        "event_source.batch_delay" => "a duration from 0s to 1m, e.g. batch_delay = \"500ms\"",
        "event_source.interval" => "a duration from 1ms to 1h, e.g. interval = \"1s\"",
        "rpc_timeout" => "a duration from 1ms to 1h, e.g. rpc_timeout = \"10s\"",
        "account_prefix" => "a lowercase bech32 prefix, e.g. account_prefix = \"cosmos\"",
        "key_name" => "the name of the relayer's key, e.g. key_name = \"relayer\"",
        "hd_path" => "a BIP-32 path, e.g. hd_path = \"m/44'/118'/0'/0/0\"",
        "store_prefix" => "the IBC store's name, e.g. store_prefix = \"ibc\"",
        "gas_price" => "a table like gas_price = { price = 0.001, denom = \"stake\" }",
        "gas_price.price" => "a number, e.g. gas_price = { price = 0.001, denom = \"stake\" }",
        "gas_price.denom" => "a denom, e.g. gas_price = { price = 0.001, denom = \"stake\" }",
        "gas_price.dynamic" => "a table like dynamic = { source = \"feemarket\", multiplier = 1.1, max = 0.1, refresh = \"30s\" }, e.g. gas_price = { price = 0.0025, denom = \"uatom\", dynamic = { source = \"feemarket\", max = 0.1 } }",
        "gas_price.dynamic.source" => "\"feemarket\" (x/feemarket, e.g. the Cosmos Hub) or \"osmosis\" (Osmosis' EIP-1559 base fee), e.g. dynamic = { source = \"feemarket\", max = 0.1 }",
        "gas_price.dynamic.multiplier" => "a number, 1.0 or more, e.g. dynamic = { source = \"feemarket\", multiplier = 1.1, max = 0.1 }",
        "gas_price.dynamic.max" => "the highest price per unit of gas, a number above 0, e.g. dynamic = { source = \"feemarket\", max = 0.1 }",
        "gas_price.dynamic.refresh" => "a duration from 1s to 1h, e.g. dynamic = { source = \"feemarket\", max = 0.1, refresh = \"30s\" }",
        "gas_multiplier" => "a number from 1.0 to 10.0, e.g. gas_multiplier = 1.3",
        "max_gas" => "a positive amount of gas, e.g. max_gas = 4000000",
        "default_gas" => "a positive amount of gas, e.g. default_gas = 300000",
        "max_msg_num" => "a positive number of messages, e.g. max_msg_num = 30",
        "max_tx_size" => "a positive number of bytes, e.g. max_tx_size = 180000",
        "clock_drift" => "a duration from 0s to 1h, e.g. clock_drift = \"5s\"",
        "max_block_time" => "a duration from 1ms to 1h, e.g. max_block_time = \"30s\"",
        "trusting_period" => "a duration from 1s to 365days, e.g. trusting_period = \"14days\"",
        "trust_threshold" => "a fraction between 1/3 and 1, e.g. trust_threshold = \"1/3\" (or trust_threshold = { numerator = \"1\", denominator = \"3\" })",
        "memo_prefix" => "a string, e.g. memo_prefix = \"relayed by stateset\"",
        "fee_granter" => "an account address, e.g. fee_granter = \"cosmos1...\"",
        "tx_confirmation_timeout" => "a duration from 1ms to 1h, e.g. tx_confirmation_timeout = \"30s\"",
        "packet_policy" => "a table like packet_policy = { max_memo_bytes = 32768, allow_channels = [\"channel-0\"] }",
        "packet_policy.max_memo_bytes" => "a number of bytes, e.g. max_memo_bytes = 32768",
        "packet_policy.max_receiver_bytes" => "a number of bytes, e.g. max_receiver_bytes = 2048",
        "packet_policy.allow_channels" | "packet_policy.allow_channels[]" => "a list of channel ids, e.g. allow_channels = [\"channel-0\"]",
        "packet_policy.deny_channels" | "packet_policy.deny_channels[]" => "a list of channel ids, e.g. deny_channels = [\"channel-1\"]",
        "packet_policy.min_fees" | "packet_policy.min_fees[]" => "a list of coins, e.g. min_fees = [\"100stake\"]",
        "packet_policy.excluded_sequences" => "a table from channel id to sequences, e.g. excluded_sequences = { \"channel-0\" = [5, \"10..20\"] }",
        "packet_policy.excluded_sequences.*" => "a list of sequences and inclusive ranges, e.g. excluded_sequences = { \"channel-0\" = [5, \"10..20\"] }",
        "packet_policy.excluded_sequences.*[]" => "a sequence like 5 or an inclusive range like \"10..20\", e.g. excluded_sequences = { \"channel-0\" = [5, \"10..20\"] }",
        "serve" => "a table like serve = { clients = [\"07-tendermint-3\"], ports = [\"transfer\", \"icahost\", \"icacontroller-*\"] }",
        "serve.clients" | "serve.clients[]" => "a list of client ids, e.g. clients = [\"07-tendermint-3\"]",
        "serve.ports" | "serve.ports[]" => "a list of port ids, a trailing * matching any suffix, e.g. ports = [\"transfer\", \"icacontroller-*\"]",
        _ => return None,
    })
}
