//! Values that parse but make no sense: NaN, infinities, zero and huge durations, empty
//! configs, duplicate chains, bad bech32 prefixes. Each is refused with the key and an
//! example.

use super::*;

const CHAIN: &str = r#"
[[chains]]
id = "stateset-1"
rpc_addr = "http://127.0.0.1:26657"
grpc_addr = "http://127.0.0.1:9090"
account_prefix = "cosmos"
key_name = "relayer"
gas_price = { price = 0.001, denom = "stake" }
"#;

fn refused(text: &str, key: &str, example: &str) -> String {
    match Config::from_toml_str(text, "relayer.toml") {
        Err(ConfigError::Key {
            key: k,
            message,
            file,
        }) => {
            assert_eq!(file, "relayer.toml");
            assert_eq!(k, key, "{message}");
            assert!(
                message.contains("e.g.") || message.contains(" like "),
                "gives an example: {message}"
            );
            assert!(message.contains(example), "shows `{example}`: {message}");
            message
        }
        other => panic!("expected a key error at {key}, got {other:?}"),
    }
}

fn chain_with(extra: &str) -> String {
    format!("{CHAIN}{extra}\n")
}

#[test]
fn gas_multiplier_must_be_finite_and_at_least_one() {
    for v in ["nan", "inf", "-inf", "-1.0", "0.0", "0.99", "10.5", "1e308"] {
        refused(
            &chain_with(&format!("gas_multiplier = {v}")),
            "chains[0].gas_multiplier",
            "gas_multiplier = 1.3",
        );
    }
    for v in ["1.0", "1.3", "10.0"] {
        assert!(Config::from_toml_str(&chain_with(&format!("gas_multiplier = {v}")), "f").is_ok());
    }
}

#[test]
fn gas_price_must_be_finite_and_not_negative() {
    for v in ["nan", "inf", "-inf", "-0.001", "+nan"] {
        let text = CHAIN.replace("price = 0.001", &format!("price = {v}"));
        refused(&text, "chains[0].gas_price.price", "price = 0.001");
    }
    let free = CHAIN.replace("price = 0.001", "price = 0.0");
    assert!(Config::from_toml_str(&free, "f").is_ok());
    for denom in ["", "s", "1stake", "st ake"] {
        let text = CHAIN.replace("denom = \"stake\"", &format!("denom = \"{denom}\""));
        refused(&text, "chains[0].gas_price.denom", "denom = \"stake\"");
    }
}

#[test]
fn refresh_fraction_must_be_between_zero_and_one() {
    for v in ["nan", "inf", "-inf", "0.0", "1.0", "-0.5", "1.5"] {
        refused(
            &format!("[daemon]\nrefresh_fraction = {v}\n{CHAIN}"),
            "daemon.refresh_fraction",
            "refresh_fraction = 0.333",
        );
    }
}

#[test]
fn zero_durations_are_refused_where_they_make_no_sense() {
    for (key, line) in [
        ("chains[0].rpc_timeout", "rpc_timeout = \"0s\""),
        (
            "chains[0].tx_confirmation_timeout",
            "tx_confirmation_timeout = \"0s\"",
        ),
        ("chains[0].max_block_time", "max_block_time = \"0ms\""),
        ("chains[0].trusting_period", "trusting_period = \"0s\""),
        (
            "chains[0].event_source.interval",
            "event_source = { mode = \"pull\", interval = \"0s\" }",
        ),
    ] {
        let msg = refused(&chain_with(line), key, "= \"");
        assert!(msg.contains("out of range"), "{msg}");
    }
    refused(
        &format!("[daemon]\nscan_interval = \"0s\"\n{CHAIN}"),
        "daemon.scan_interval",
        "scan_interval = \"2s\"",
    );
    // Zero is meaningful here: no clock drift, no batching delay.
    let text = chain_with(
        "clock_drift = \"0s\"\nevent_source = { mode = \"push\", batch_delay = \"0s\" }",
    );
    assert!(Config::from_toml_str(&text, "f").is_ok());
}

#[test]
fn huge_durations_are_refused() {
    for (key, line) in [
        ("chains[0].rpc_timeout", "rpc_timeout = \"2h\""),
        (
            "chains[0].tx_confirmation_timeout",
            "tx_confirmation_timeout = \"1000years\"",
        ),
        ("chains[0].max_block_time", "max_block_time = \"2h\""),
        ("chains[0].clock_drift", "clock_drift = \"61m\""),
        ("chains[0].trusting_period", "trusting_period = \"366days\""),
        (
            "chains[0].event_source.batch_delay",
            "event_source = { mode = \"push\", batch_delay = \"2m\" }",
        ),
        (
            "chains[0].event_source.interval",
            "event_source = { mode = \"pull\", interval = \"2h\" }",
        ),
    ] {
        refused(&chain_with(line), key, "= \"");
    }
    for (line, key) in [
        ("scan_interval = \"2h\"", "daemon.scan_interval"),
        ("max_backoff = \"2h\"", "daemon.max_backoff"),
        ("max_backoff = \"500ms\"", "daemon.max_backoff"),
        ("max_backoff = \"0s\"", "daemon.max_backoff"),
    ] {
        refused(&format!("[daemon]\n{line}\n{CHAIN}"), key, "= \"");
    }
    // A duration too large for humantime is a key error too, not a panic.
    refused(
        &chain_with("rpc_timeout = \"99999999999999999999999years\""),
        "chains[0].rpc_timeout",
        "rpc_timeout = \"10s\"",
    );
}

#[test]
fn zero_counts_are_refused() {
    for (key, example) in [
        ("max_msg_num", "max_msg_num = 30"),
        ("max_tx_size", "max_tx_size = 180000"),
        ("max_gas", "max_gas = 4000000"),
        ("default_gas", "default_gas = 300000"),
    ] {
        let msg = refused(
            &chain_with(&format!("{key} = 0")),
            &format!("chains[0].{key}"),
            example,
        );
        assert!(msg.contains("positive"), "{msg}");
    }
    refused(
        &chain_with("max_gas = 1000"),
        "chains[0].max_gas",
        "max_gas = 4000000",
    );
    refused(
        &format!("[daemon]\nclear_interval = 0\n{CHAIN}"),
        "daemon.clear_interval",
        "clear_interval = 100",
    );
    refused(
        &format!("[daemon]\nclear_interval = 9223372036854775807\n{CHAIN}"),
        "daemon.clear_interval",
        "clear_interval = 100",
    );
}

#[test]
fn a_config_without_chains_is_refused() {
    for text in ["", "[global]\nlog_level = \"info\"\n", "chains = []\n"] {
        let msg = refused(text, "chains", "[[chains]]");
        assert!(msg.contains("no chains"), "{msg}");
    }
}

#[test]
fn duplicate_chain_ids_are_refused() {
    let other = CHAIN.replace("stateset-1", "partner-1");
    let msg = refused(&format!("{CHAIN}{other}{CHAIN}"), "chains[2].id", "id = ");
    assert!(msg.contains("twice"), "{msg}");
}

#[test]
fn account_prefix_follows_bip173() {
    let long = "a".repeat(84);
    for bad in [
        "",
        "Cosmos",
        "COSMOS",
        "cos mos",
        "cosmos\u{e9}",
        "tab\t",
        long.as_str(),
    ] {
        let text = CHAIN.replace("\"cosmos\"", &format!("{bad:?}"));
        refused(
            &text,
            "chains[0].account_prefix",
            "account_prefix = \"cosmos\"",
        );
    }
    let longest = "a".repeat(83);
    for good in ["cosmos", "stateset", "osmo", "a", "x!~#", longest.as_str()] {
        let text = CHAIN.replace("\"cosmos\"", &format!("{good:?}"));
        assert!(Config::from_toml_str(&text, "f").is_ok(), "{good}");
    }
}

#[test]
fn a_bad_prefix_no_longer_becomes_cosmos() {
    let abandon = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    let key = crate::keys::KeyPair::from_mnemonic(abandon, crate::keys::DEFAULT_HD_PATH).unwrap();
    assert_eq!(
        key.try_address("cosmos").unwrap(),
        "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"
    );
    for bad in ["", "cos mos", "é"] {
        let err = key.try_address(bad).unwrap_err();
        assert!(
            matches!(err, crate::keys::KeyError::AccountPrefix { .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("account_prefix = \"cosmos\""),
            "{err}"
        );
        assert_eq!(key.address(bad), "", "never another chain's address");
    }
    let dir = tempfile::tempdir().unwrap();
    let ring = crate::keys::KeyRing::new(dir.path());
    let added = ring.add(
        "stateset-1",
        "relayer",
        abandon,
        crate::keys::DEFAULT_HD_PATH,
        "bad prefix",
        false,
    );
    assert!(matches!(
        added,
        Err(crate::keys::KeyError::AccountPrefix { .. })
    ));
}

#[test]
fn other_fields_that_would_misbehave() {
    refused(
        &format!("[global]\nlog_level = \"loud\"\n{CHAIN}"),
        "global.log_level",
        "log_level = \"info\"",
    );
    refused(
        &format!("[telemetry]\nhost = \"\"\n{CHAIN}"),
        "telemetry.host",
        "host = \"127.0.0.1\"",
    );
    for name in ["", "../x", "a/b", "."] {
        let text = CHAIN.replace("key_name = \"relayer\"", &format!("key_name = {name:?}"));
        refused(&text, "chains[0].key_name", "key_name = \"relayer\"");
    }
    refused(
        &chain_with("hd_path = \"m/x\""),
        "chains[0].hd_path",
        "hd_path = \"m/44'/118'/0'/0/0\"",
    );
    refused(
        &chain_with("store_prefix = \"\""),
        "chains[0].store_prefix",
        "store_prefix = \"ibc\"",
    );
    refused(
        &CHAIN.replace("\"stateset-1\"", "\"../etc\""),
        "chains[0].id",
        "id = \"stateset-1\"",
    );
    refused(
        &chain_with("trust_threshold = \"99999999999999999999/3\""),
        "chains[0].trust_threshold",
        "trust_threshold = \"1/3\"",
    );
    // Near u64::MAX: computed without overflow (exactly 1/3 is accepted, just below is not).
    let third = u64::MAX / 3;
    refused(
        &chain_with(&format!("trust_threshold = \"{}/{}\"", third - 1, u64::MAX)),
        "chains[0].trust_threshold",
        "trust_threshold = \"1/3\"",
    );
    let text = chain_with(&format!("trust_threshold = \"{third}/{}\"", u64::MAX));
    assert!(Config::from_toml_str(&text, "f").is_ok());
}

#[test]
fn the_store_cache_is_between_1_and_4096_mib() {
    for v in ["0", "4097", "1000000"] {
        let message = refused(
            &format!("[store]\ncache_mib = {v}\n{CHAIN}"),
            "store.cache_mib",
            "cache_mib = 4",
        );
        assert!(message.contains(&format!("is {v}")), "{message}");
    }
    for v in [1u64, 4, 4096] {
        let config = Config::from_toml_str(&format!("[store]\ncache_mib = {v}\n{CHAIN}"), "r.toml")
            .expect("a cache within bounds is accepted");
        assert_eq!(config.store.cache_mib, v);
    }
    let config = Config::from_toml_str(CHAIN, "r.toml").expect("no [store] section");
    assert_eq!(config.store.cache_mib, 4, "the default");
}
