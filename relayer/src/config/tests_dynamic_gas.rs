//! `gas_price.dynamic`: the defaults, old configs unchanged, and every refused value named
//! with its key and an example.

use std::time::Duration;

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

/// `CHAIN` with `gas_price = { price = 0.0025, denom = "uatom", dynamic = { <dynamic> } }`.
fn with_dynamic(dynamic: &str) -> String {
    CHAIN.replace(
        "gas_price = { price = 0.001, denom = \"stake\" }",
        &format!("gas_price = {{ price = 0.0025, denom = \"uatom\", dynamic = {{ {dynamic} }} }}"),
    )
}

fn load(text: &str) -> Config {
    Config::from_toml_str(text, "relayer.toml").unwrap()
}

fn refused(text: &str, key: &str, example: &str) -> String {
    match Config::from_toml_str(text, "relayer.toml") {
        Err(e @ ConfigError::Key { .. }) => {
            let shown = e.to_string();
            let ConfigError::Key {
                key: k,
                message,
                file,
            } = e
            else {
                unreachable!()
            };
            assert_eq!(file, "relayer.toml");
            assert!(shown.starts_with("relayer.toml: `"), "{shown}");
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

#[test]
fn old_configs_have_no_dynamic_price() {
    let c = load(CHAIN);
    let gas = &c.chains[0].gas_price;
    assert_eq!((gas.price, gas.denom.as_str()), (0.001, "stake"));
    assert_eq!(gas.dynamic, None);
}

#[test]
fn the_issue_example_parses() {
    let c = load(&with_dynamic(
        "source = \"feemarket\", multiplier = 1.1, max = 0.1, refresh = \"30s\"",
    ));
    let gas = &c.chains[0].gas_price;
    assert_eq!(
        gas.price, 0.0025,
        "the static price stays: it is the fallback"
    );
    assert_eq!(
        gas.dynamic,
        Some(DynamicGasConfig {
            source: GasPriceSource::Feemarket,
            multiplier: 1.1,
            max: 0.1,
            refresh: Duration::from_secs(30),
        })
    );
}

#[test]
fn multiplier_and_refresh_have_defaults() {
    let c = load(&with_dynamic("source = \"osmosis\", max = 1"));
    let d = c.chains[0].gas_price.dynamic.clone().unwrap();
    assert_eq!(d.source, GasPriceSource::Osmosis);
    assert_eq!(d.multiplier, 1.1);
    assert_eq!(d.max, 1.0, "an integer cap is a number too");
    assert_eq!(d.refresh, Duration::from_secs(30));
    let c = load(&with_dynamic(
        "source = \"feemarket\", multiplier = 1, max = 0.5, refresh = \"5m\"",
    ));
    let d = c.chains[0].gas_price.dynamic.clone().unwrap();
    assert_eq!((d.multiplier, d.refresh), (1.0, Duration::from_secs(300)));
}

#[test]
fn dynamic_needs_a_source_and_a_cap() {
    let msg = refused(
        &with_dynamic("max = 0.1"),
        "chains[0].gas_price.dynamic.source",
        "source = \"feemarket\"",
    );
    assert!(msg.contains("missing"), "{msg}");
    let msg = refused(
        &with_dynamic("source = \"feemarket\""),
        "chains[0].gas_price.dynamic.max",
        "max = 0.1",
    );
    assert!(msg.contains("missing"), "{msg}");
}

#[test]
fn an_unknown_source_lists_the_known_ones() {
    let msg = refused(
        &with_dynamic("source = \"eip1559\", max = 0.1"),
        "chains[0].gas_price.dynamic.source",
        "source = \"feemarket\"",
    );
    assert!(msg.contains("`eip1559`"), "{msg}");
    assert!(msg.contains("\"osmosis\""), "{msg}");
}

#[test]
fn a_multiplier_below_one_or_not_finite_is_refused() {
    for v in ["0.9", "0.0", "-1.1", "nan", "inf"] {
        refused(
            &with_dynamic(&format!(
                "source = \"feemarket\", multiplier = {v}, max = 0.1"
            )),
            "chains[0].gas_price.dynamic.multiplier",
            "multiplier = 1.1",
        );
    }
}

#[test]
fn a_cap_of_zero_or_below_or_not_finite_is_refused() {
    for v in ["0.0", "0", "-0.1", "nan", "inf", "-inf"] {
        refused(
            &with_dynamic(&format!("source = \"feemarket\", max = {v}")),
            "chains[0].gas_price.dynamic.max",
            "max = 0.1",
        );
    }
}

#[test]
fn refresh_is_a_duration_from_a_second_to_an_hour() {
    for v in ["\"0s\"", "\"500ms\"", "\"2h\""] {
        let msg = refused(
            &with_dynamic(&format!("source = \"feemarket\", max = 0.1, refresh = {v}")),
            "chains[0].gas_price.dynamic.refresh",
            "refresh = \"30s\"",
        );
        assert!(msg.contains("out of range"), "{msg}");
    }
    refused(
        &with_dynamic("source = \"feemarket\", max = 0.1, refresh = 30"),
        "chains[0].gas_price.dynamic.refresh",
        "refresh = \"30s\"",
    );
}

#[test]
fn wrong_types_and_unknown_keys_are_named() {
    let msg = refused(
        &with_dynamic("source = \"feemarket\", max = \"0.1\""),
        "chains[0].gas_price.dynamic.max",
        "max = 0.1",
    );
    assert!(msg.contains("found a string"), "{msg}");
    match Config::from_toml_str(
        &with_dynamic("source = \"feemarket\", max = 0.1, enabled = true"),
        "relayer.toml",
    ) {
        Err(ConfigError::Key { key, message, .. }) => {
            assert_eq!(key, "chains[0].gas_price.dynamic.enabled");
            assert!(message.contains("unknown key `enabled`"), "{message}");
            assert!(
                message.contains("source, multiplier, max, refresh"),
                "{message}"
            );
        }
        other => panic!("expected a key error, got {other:?}"),
    }
    let msg = refused(
        &with_dynamic("source = \"feemarket\", max = 0.1, multipler = 1.2"),
        "chains[0].gas_price.dynamic.multipler",
        "multiplier = 1.1",
    );
    assert!(msg.contains("did you mean `multiplier`"), "{msg}");
    let text = CHAIN.replace(
        "denom = \"stake\" }",
        "denom = \"stake\", dynamic = \"feemarket\" }",
    );
    refused(
        &text,
        "chains[0].gas_price.dynamic",
        "dynamic = { source = \"feemarket\"",
    );
}

#[test]
fn hermes_dynamic_gas_price_points_at_the_dynamic_table() {
    let msg = refused(
        &format!("{CHAIN}dynamic_gas_price = {{ enabled = true, multiplier = 1.1, max = 0.6 }}\n"),
        "chains[0].dynamic_gas_price",
        "dynamic = { source = \"feemarket\"",
    );
    assert!(msg.contains("gas_price"), "{msg}");
}
