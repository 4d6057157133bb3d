use super::*;

/// One minimal chain: the base the config tests add their tables to.
pub(super) const CHAIN: &str = r#"
[[chains]]
id = "stateset-1"
rpc_addr = "http://127.0.0.1:26657"
grpc_addr = "http://127.0.0.1:9090"
account_prefix = "cosmos"
key_name = "relayer"
gas_price = { price = 0.001, denom = "stake" }
"#;

/// The key and message of the key error `text` must give (in `relayer.toml`).
pub(super) fn key_error(text: &str) -> (String, String) {
    match Config::from_toml_str(text, "relayer.toml") {
        Err(ConfigError::Key { key, message, file }) => {
            assert_eq!(file, "relayer.toml");
            (key, message)
        }
        other => panic!("expected a key error, got {other:?}"),
    }
}

#[test]
fn minimal_config_gets_defaults() {
    let c = Config::from_toml_str(CHAIN, "relayer.toml").unwrap();
    let chain = c.chain("stateset-1").unwrap();
    assert_eq!(chain.gas_multiplier, 1.3);
    assert_eq!(chain.max_gas, 4_000_000);
    assert_eq!(chain.hd_path, "m/44'/118'/0'/0/0");
    assert_eq!(chain.trust_threshold, TrustThreshold::default());
    assert_eq!(chain.websocket_url(), "ws://127.0.0.1:26657/websocket");
    assert_eq!(c.telemetry.port, 3001);
}

#[test]
fn full_config_parses() {
    let text = format!(
        "[global]\nlog_level = \"debug\"\nkey_dir = \"/tmp/k\"\n[store]\npath = \"/tmp/s\"\n[telemetry]\nenabled = false\nhost = \"0.0.0.0\"\nport = 3002\n{CHAIN}\
         event_source = {{ mode = \"pull\", interval = \"2s\" }}\nrpc_timeout = \"3s\"\ntrusting_period = \"14days\"\ntrust_threshold = \"2/3\"\nmemo_prefix = \"x\"\n"
    );
    let c = Config::from_toml_str(&text, "f.toml").unwrap();
    let chain = &c.chains[0];
    assert_eq!(
        chain.trust_threshold,
        TrustThreshold {
            numerator: 2,
            denominator: 3
        }
    );
    assert_eq!(
        chain.trusting_period,
        Some(std::time::Duration::from_secs(14 * 86400))
    );
    assert!(matches!(chain.event_source, EventSourceConfig::Pull { .. }));
}

#[test]
fn unknown_keys_are_named() {
    let (key, msg) = key_error(&format!("colour = \"red\"\n{CHAIN}"));
    assert_eq!(key, "colour");
    assert!(msg.contains("unknown key `colour`"), "{msg}");
    assert!(msg.contains("daemon, chains"), "lists the sections: {msg}");
    let (key, _) = key_error(&format!("{CHAIN}rpc_adr = \"http://x:1\"\n"));
    assert_eq!(key, "chains[0].rpc_adr");
}

#[test]
fn malformed_addresses_are_named() {
    let (key, msg) = key_error(&CHAIN.replace("http://127.0.0.1:26657", "not a url"));
    assert_eq!(key, "chains[0].rpc_addr");
    assert!(
        msg.contains("http://127.0.0.1:26657"),
        "says what is expected: {msg}"
    );
    let (key, _) = key_error(&CHAIN.replace("http://127.0.0.1:9090", "127.0.0.1"));
    assert_eq!(key, "chains[0].grpc_addr");
    let (key, _) = key_error(&CHAIN.replace("http://127.0.0.1:9090", "http://127.0.0.1"));
    assert_eq!(key, "chains[0].grpc_addr");
}

#[test]
fn bad_values_are_named() {
    let (key, _) = key_error(&format!("{CHAIN}rpc_timeout = \"soon\"\n"));
    assert_eq!(key, "chains[0].rpc_timeout");
    let (key, msg) = key_error(&format!("{CHAIN}trust_threshold = \"1/4\"\n"));
    assert_eq!(key, "chains[0].trust_threshold");
    assert!(msg.contains("1/3"), "{msg}");
    let (key, _) = key_error(&format!("{CHAIN}gas_multiplier = 0.5\n"));
    assert_eq!(key, "chains[0].gas_multiplier");
    let (key, msg) = key_error(&format!("{CHAIN}{CHAIN}"));
    assert_eq!(key, "chains[1].id");
    assert!(msg.contains("twice"));
}

#[test]
fn the_devnet_config_is_valid() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../config.toml");
    let c = Config::load(path).unwrap();
    assert_eq!(c.chains.len(), 2);
    assert!(c.global.key_dir.is_absolute());
}

#[test]
fn packet_policy_defaults_and_overrides() {
    let c = Config::from_toml_str(CHAIN, "relayer.toml").unwrap();
    let p = &c.chain("stateset-1").unwrap().packet_policy;
    assert_eq!(
        (p.max_memo_bytes, p.max_receiver_bytes),
        (32 * 1024, 2 * 1024)
    );
    assert!(!p.min_fees().is_active());
    let text = format!(
        "{CHAIN}packet_policy = {{ max_memo_bytes = 1024, deny_channels = [\"channel-9\"], min_fees = [\"100stake\"] }}\n"
    );
    let c = Config::from_toml_str(&text, "relayer.toml").unwrap();
    let p = &c.chain("stateset-1").unwrap().packet_policy;
    assert_eq!(p.transfer().max_memo_bytes, 1024);
    assert_eq!(p.transfer().deny_channels, ["channel-9"]);
    assert_eq!(p.min_fees().0[0].to_string(), "100stake");
}

#[test]
fn a_bad_min_fee_names_the_key_and_the_fix() {
    let (key, msg) = key_error(&format!(
        "{CHAIN}packet_policy = {{ min_fees = [\"stake\"] }}\n"
    ));
    assert!(key.starts_with("chains[0].packet_policy.min_fees"), "{key}");
    assert!(msg.contains("100stake"), "{msg}");
}
