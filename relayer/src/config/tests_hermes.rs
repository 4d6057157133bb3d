//! The mistakes a Hermes operator makes when writing this relayer's config: each error
//! names the exact key and shows an example of the right form.

use super::*;

/// A valid chain whose `key = value` lines can be replaced one by one.
const CHAIN: &str = r#"
[[chains]]
id = "stateset-1"
rpc_addr = "http://127.0.0.1:26657"
grpc_addr = "http://127.0.0.1:9090"
account_prefix = "cosmos"
key_name = "relayer"
gas_price = { price = 0.001, denom = "stake" }
"#;

fn key_error(text: &str) -> (String, String) {
    match Config::from_toml_str(text, "relayer.toml") {
        Err(e @ ConfigError::Key { .. }) => {
            let shown = e.to_string();
            let ConfigError::Key { key, message, file } = e else {
                unreachable!()
            };
            assert_eq!(file, "relayer.toml");
            assert!(shown.starts_with("relayer.toml: `"), "{shown}");
            (key, message)
        }
        other => panic!("expected a key error, got {other:?}"),
    }
}

/// `CHAIN` with the line starting `key =` replaced by `line` (or removed when empty).
fn with_line(key: &str, line: &str) -> String {
    let prefix = format!("{key} =");
    CHAIN
        .lines()
        .map(|l| if l.starts_with(&prefix) { line } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_teaches(text: &str, key: &str, example: &str) -> String {
    let (k, msg) = key_error(text);
    assert_eq!(k, key, "{msg}");
    assert!(
        msg.contains("e.g.") || msg.contains(" like "),
        "gives an example: {msg}"
    );
    assert!(msg.contains(example), "shows `{example}`: {msg}");
    msg
}

#[test]
fn gas_price_as_a_number() {
    let msg = assert_teaches(
        &with_line("gas_price", "gas_price = 0.001"),
        "chains[0].gas_price",
        "gas_price = { price = 0.001, denom = \"stake\" }",
    );
    assert!(msg.starts_with("expected a table like"), "{msg}");
    assert!(msg.ends_with("found a float (0.001)"), "{msg}");
}

#[test]
fn rpc_addr_without_scheme() {
    let msg = assert_teaches(
        &with_line("rpc_addr", "rpc_addr = \"127.0.0.1:26657\""),
        "chains[0].rpc_addr",
        "rpc_addr = \"http://127.0.0.1:26657\"",
    );
    assert!(msg.contains("no scheme"), "{msg}");
}

#[test]
fn grpc_addr_without_scheme() {
    let msg = assert_teaches(
        &with_line("grpc_addr", "grpc_addr = \"127.0.0.1:9090\""),
        "chains[0].grpc_addr",
        "grpc_addr = \"http://127.0.0.1:9090\"",
    );
    assert!(msg.contains("no scheme"), "{msg}");
}

#[test]
fn clock_drift_as_an_integer() {
    let msg = assert_teaches(
        &format!("{CHAIN}clock_drift = 5\n"),
        "chains[0].clock_drift",
        "clock_drift = \"5s\"",
    );
    assert!(msg.contains("found an integer (5)"), "{msg}");
}

#[test]
fn trusting_period_in_hermes_form_is_accepted() {
    for form in ["14days", "14 days", "14d", "336h"] {
        let text = format!("{CHAIN}trusting_period = \"{form}\"\n");
        let c = Config::from_toml_str(&text, "relayer.toml").unwrap();
        assert_eq!(
            c.chains[0].trusting_period,
            Some(std::time::Duration::from_secs(14 * 86400))
        );
    }
    assert_teaches(
        &format!("{CHAIN}trusting_period = \"14dayz\"\n"),
        "chains[0].trusting_period",
        "trusting_period = \"14days\"",
    );
    assert_teaches(
        &format!("{CHAIN}trusting_period = 14\n"),
        "chains[0].trusting_period",
        "trusting_period = \"14days\"",
    );
}

#[test]
fn key_name_missing() {
    let msg = assert_teaches(
        &with_line("key_name", ""),
        "chains[0].key_name",
        "key_name = \"relayer\"",
    );
    assert!(msg.contains("missing"), "{msg}");
}

#[test]
fn every_required_key_missing_is_named() {
    for (key, example) in [
        ("id", "id = \"stateset-1\""),
        ("rpc_addr", "rpc_addr = \"http://127.0.0.1:26657\""),
        ("grpc_addr", "grpc_addr = \"http://127.0.0.1:9090\""),
        ("account_prefix", "account_prefix = \"cosmos\""),
        (
            "gas_price",
            "gas_price = { price = 0.001, denom = \"stake\" }",
        ),
    ] {
        assert_teaches(&with_line(key, ""), &format!("chains[0].{key}"), example);
    }
}

#[test]
fn hermes_chain_type() {
    let msg = assert_teaches(
        &format!("{CHAIN}type = \"CosmosSdk\"\n"),
        "chains[0].type",
        "type = \"CosmosSdk\"",
    );
    assert!(msg.contains("delete the line"), "{msg}");
}

#[test]
fn hermes_trust_threshold_table_is_accepted() {
    for table in [
        "{ numerator = \"1\", denominator = \"3\" }",
        "{ numerator = 2, denominator = 3 }",
    ] {
        let text = format!("{CHAIN}trust_threshold = {table}\n");
        let c = Config::from_toml_str(&text, "relayer.toml").unwrap();
        assert!(c.chains[0].trust_threshold.numerator >= 1);
        assert_eq!(c.chains[0].trust_threshold.denominator, 3);
    }
    assert_teaches(
        &format!("{CHAIN}trust_threshold = {{ numerator = \"1\", denominator = \"4\" }}\n"),
        "chains[0].trust_threshold",
        "trust_threshold = \"1/3\"",
    );
    assert_teaches(
        &format!("{CHAIN}trust_threshold = {{ numerator = \"one\", denominator = \"3\" }}\n"),
        "chains[0].trust_threshold",
        "trust_threshold = { numerator = \"1\", denominator = \"3\" }",
    );
    assert_teaches(
        &format!("{CHAIN}trust_threshold = 0.33\n"),
        "chains[0].trust_threshold",
        "trust_threshold = \"1/3\"",
    );
}

#[test]
fn hermes_event_source_passes() {
    let text = format!(
        "{CHAIN}event_source = {{ mode = \"push\", url = \"ws://127.0.0.1:26657/websocket\", batch_delay = \"500ms\" }}\n"
    );
    let c = Config::from_toml_str(&text, "relayer.toml").unwrap();
    assert_eq!(
        c.chains[0].event_source,
        EventSourceConfig::Push {
            url: Some("ws://127.0.0.1:26657/websocket".parse().unwrap()),
            batch_delay: std::time::Duration::from_millis(500),
        }
    );
    let text = format!("{CHAIN}event_source = {{ mode = \"pull\", interval = \"1s\" }}\n");
    assert!(Config::from_toml_str(&text, "relayer.toml").is_ok());
}

#[test]
fn hermes_event_source_mistakes() {
    let (key, msg) = key_error(&format!(
        "{CHAIN}event_source = {{ mode = \"websocket\" }}\n"
    ));
    assert!(key.starts_with("chains[0].event_source"), "{key}");
    assert!(msg.contains("mode = \"push\""), "{msg}");
    assert_teaches(
        &format!("{CHAIN}event_source = {{ url = \"ws://127.0.0.1:26657/websocket\" }}\n"),
        "chains[0].event_source.mode",
        "mode = \"push\"",
    );
    assert_teaches(
        &format!("{CHAIN}event_source = {{ mode = \"push\", url = \"http://127.0.0.1:26657/websocket\" }}\n"),
        "chains[0].event_source.url",
        "url = \"ws://127.0.0.1:26657/websocket\"",
    );
    assert_teaches(
        &format!("{CHAIN}event_source = {{ mode = \"push\", interval = \"1s\" }}\n"),
        "chains[0].event_source",
        "mode = \"pull\"",
    );
    assert_teaches(
        &format!("{CHAIN}event_source = {{ mode = \"pull\", interval = 1 }}\n"),
        "chains[0].event_source.interval",
        "interval = \"1s\"",
    );
}

#[test]
fn hermes_packet_filter() {
    let text = format!(
        "{CHAIN}[chains.packet_filter]\npolicy = \"allow\"\nlist = [[\"transfer\", \"channel-0\"]]\n"
    );
    let msg = assert_teaches(
        &text,
        "chains[0].packet_filter",
        "packet_policy = { allow_channels = [\"channel-0\"] }",
    );
    assert!(msg.contains("[chains.packet_policy]"), "{msg}");
}

#[test]
fn hermes_sections_and_keys() {
    let msg = assert_teaches(
        &format!("[mode.clients]\nenabled = true\n{CHAIN}"),
        "mode",
        "[daemon]",
    );
    assert!(msg.contains("refresh_clients"), "{msg}");
    assert_teaches(
        &format!("{CHAIN}websocket_addr = \"ws://127.0.0.1:26657/websocket\"\n"),
        "chains[0].websocket_addr",
        "event_source = { mode = \"push\"",
    );
    assert_teaches(
        &format!("{CHAIN}gas_adjustment = 0.1\n"),
        "chains[0].gas_adjustment",
        "gas_multiplier = 1.3",
    );
}

#[test]
fn a_misspelt_key_gets_a_suggestion() {
    let msg = assert_teaches(
        &format!("{CHAIN}gas_multipler = 1.2\n"),
        "chains[0].gas_multipler",
        "gas_multiplier = 1.3",
    );
    assert!(msg.contains("did you mean `gas_multiplier`"), "{msg}");
}

#[test]
fn gas_price_fields_are_named() {
    let msg = assert_teaches(
        &with_line(
            "gas_price",
            "gas_price = { price = \"0.001\", denom = \"stake\" }",
        ),
        "chains[0].gas_price.price",
        "price = 0.001",
    );
    assert!(msg.contains("found a string"), "{msg}");
    assert_teaches(
        &with_line("gas_price", "gas_price = { price = 0.001 }"),
        "chains[0].gas_price.denom",
        "denom = \"stake\"",
    );
}

#[test]
fn wrong_types_elsewhere_are_named() {
    for (text, key, example) in [
        (
            "[telemetry]\nport = \"3001\"\n",
            "telemetry.port",
            "port = 3001",
        ),
        (
            "[telemetry]\nport = 70000\n",
            "telemetry.port",
            "port = 3001",
        ),
        (
            "[daemon]\nscan_interval = 2\n",
            "daemon.scan_interval",
            "scan_interval = \"2s\"",
        ),
        (
            "[daemon]\nclear_interval = -1\n",
            "daemon.clear_interval",
            "clear_interval = 100",
        ),
        (
            "[daemon]\nquarantine_after = \"3\"\n",
            "daemon.quarantine_after",
            "quarantine_after = 3",
        ),
        (
            "[global]\nlog_level = 3\n",
            "global.log_level",
            "log_level = \"info\"",
        ),
    ] {
        assert_teaches(&format!("{text}{CHAIN}"), key, example);
    }
    assert_teaches("chains = 1\n", "chains", "[[chains]]");
}
