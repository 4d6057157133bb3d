//! `[chains.serve]`, `packet_policy.excluded_sequences`, `daemon.quarantine_after` and
//! `daemon.max_backoff`: defaults, the API other modules use, and refused values.

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

fn load(text: &str) -> Config {
    Config::from_toml_str(text, "relayer.toml").unwrap()
}

fn refused(text: &str, key: &str, example: &str) -> String {
    match Config::from_toml_str(text, "relayer.toml") {
        Err(ConfigError::Key {
            key: k, message, ..
        }) => {
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
fn defaults_keep_existing_configs_loading() {
    let c = load(CHAIN);
    assert_eq!(c.daemon.quarantine_after, 3);
    assert_eq!(c.daemon.max_backoff, Duration::from_secs(300));
    let chain = &c.chains[0];
    assert_eq!(chain.serve, ServeConfig::default());
    assert!(chain.serve.clients.is_empty());
    assert_eq!(
        chain.serve.ports,
        ["transfer", "icahost", "icacontroller-*"]
    );
    assert!(chain.packet_policy.excluded_sequences.is_empty());
    assert!(!chain.packet_policy.is_excluded("channel-0", 1));
}

#[test]
fn serve_ports_and_clients() {
    let s = ServeConfig::default();
    assert!(s.allows_port("transfer"));
    assert!(s.allows_port("icahost"));
    assert!(s.allows_port("icacontroller-cosmos1abc"));
    assert!(s.allows_port("icacontroller-"));
    assert!(!s.allows_port("transfer2"));
    assert!(!s.allows_port("icacontroller"));
    assert!(!s.allows_port("wasm.cosmos1xyz"));
    assert!(!s.lists_client("07-tendermint-0"));

    let text = format!(
        "{CHAIN}[chains.serve]\nclients = [\"07-tendermint-3\", \"09-localhost-1\"]\nports = [\"wasm.*\", \"transfer\"]\n"
    );
    let c = load(&text);
    let s = &c.chains[0].serve;
    assert!(s.lists_client("07-tendermint-3"));
    assert!(!s.lists_client("07-tendermint-30"));
    assert!(s.allows_port("wasm.cosmos1xyz"));
    assert!(s.allows_port("transfer"));
    assert!(!s.allows_port("icahost"));
    // Only clients given: the default ports stay.
    let c = load(&format!(
        "{CHAIN}serve = {{ clients = [\"07-tendermint-0\"] }}\n"
    ));
    assert!(c.chains[0].serve.allows_port("icahost"));
    // No ports at all: nobody else's handshakes are completed.
    let c = load(&format!("{CHAIN}serve = {{ ports = [] }}\n"));
    assert!(!c.chains[0].serve.allows_port("transfer"));
    let c = load(&format!("{CHAIN}serve = {{ ports = [\"*\"] }}\n"));
    assert!(c.chains[0].serve.allows_port("anything"));
}

#[test]
fn serve_refuses_bad_entries() {
    for (i, bad) in [
        "tendermint",
        "07-tendermint-",
        "07-tendermint-x",
        "-3",
        "07 tendermint-3",
        "07-tendermint-3 ",
    ]
    .iter()
    .enumerate()
    {
        let text = format!("{CHAIN}serve = {{ clients = [\"07-tendermint-0\", {bad:?}] }}\n");
        let msg = refused(
            &text,
            "chains[0].serve.clients[1]",
            "clients = [\"07-tendermint-3\"]",
        );
        assert!(msg.contains(bad.trim()), "{i}: {msg}");
    }
    for bad in ["", "ica*host", "**", "a", "trans fer", "x/y*"] {
        let text = format!("{CHAIN}serve = {{ ports = [{bad:?}] }}\n");
        refused(
            &text,
            "chains[0].serve.ports[0]",
            "ports = [\"transfer\", \"icacontroller-*\"]",
        );
    }
    refused(
        &format!("{CHAIN}serve = {{ port = [\"transfer\"] }}\n"),
        "chains[0].serve.port",
        "ports = [",
    );
    refused(
        &format!("{CHAIN}serve = {{ clients = \"07-tendermint-3\" }}\n"),
        "chains[0].serve.clients",
        "clients = [\"07-tendermint-3\"]",
    );
}

#[test]
fn excluded_sequences_singles_and_ranges() {
    let text = format!(
        "{CHAIN}[chains.packet_policy]\nexcluded_sequences = {{ \"channel-0\" = [5, \"10..20\", \"30-32\", \"7\"], \"channel-12\" = [] }}\n"
    );
    let c = load(&text);
    let p = &c.chains[0].packet_policy;
    for seq in [5, 7, 10, 15, 20, 30, 31, 32] {
        assert!(p.is_excluded("channel-0", seq), "{seq}");
    }
    for seq in [1, 4, 6, 9, 21, 29, 33, u64::MAX] {
        assert!(!p.is_excluded("channel-0", seq), "{seq}");
    }
    assert!(!p.is_excluded("channel-1", 5));
    assert!(!p.is_excluded("channel-12", 5));
    assert_eq!(
        p.excluded_sequences.get("channel-0").map(|r| r.len()),
        Some(4)
    );
    let big = format!("{CHAIN}packet_policy = {{ excluded_sequences = {{ \"channel-0\" = [\"1..18446744073709551615\"] }} }}\n");
    assert!(load(&big).chains[0]
        .packet_policy
        .is_excluded("channel-0", u64::MAX));
}

#[test]
fn excluded_sequences_refuses_nonsense() {
    let example = "excluded_sequences = { \"channel-0\" = [5, \"10..20\"] }";
    let key = "chains[0].packet_policy.excluded_sequences.channel-0[0]";
    for (item, says) in [
        ("0", "sequence 0"),
        ("-3", "negative"),
        ("\"20..10\"", "reversed"),
        ("\"20-10\"", "reversed"),
        ("\"0..5\"", "sequence 0"),
        ("\"ten\"", "not a sequence"),
        ("\"10..\"", "not a sequence"),
        ("\"10..=20\"", "not a sequence"),
        ("\"99999999999999999999\"", "not a sequence"),
        ("1.5", "found a float"),
        ("true", "found a boolean"),
        ("[1, 2]", "found an array"),
    ] {
        let text = format!(
            "{CHAIN}packet_policy = {{ excluded_sequences = {{ \"channel-0\" = [{item}] }} }}\n"
        );
        let msg = refused(&text, key, example);
        assert!(msg.contains(says), "{item}: {msg}");
    }
    for channel in [
        "chan-0",
        "channel-",
        "channel-x",
        "channel 0",
        "07-tendermint-0",
    ] {
        let text =
            format!("{CHAIN}packet_policy = {{ excluded_sequences = {{ {channel:?} = [1] }} }}\n");
        let msg = refused(
            &text,
            &format!("chains[0].packet_policy.excluded_sequences.{channel}"),
            example,
        );
        assert!(msg.contains("channel-N"), "{msg}");
    }
    refused(
        &format!("{CHAIN}packet_policy = {{ excluded_sequences = {{ \"channel-0\" = 5 }} }}\n"),
        "chains[0].packet_policy.excluded_sequences.channel-0",
        example,
    );
    refused(
        &format!("{CHAIN}packet_policy = {{ excluded_sequences = [5] }}\n"),
        "chains[0].packet_policy.excluded_sequences",
        example,
    );
    refused(
        &format!("{CHAIN}packet_policy = {{ deny_channels = [\"channel-1\", \"transfer/channel-0\"] }}\n"),
        "chains[0].packet_policy.deny_channels[1]",
        "deny_channels = [\"channel-0\"]",
    );
}

#[test]
fn daemon_quarantine_and_backoff() {
    let c = load(&format!(
        "[daemon]\nquarantine_after = 1\nmax_backoff = \"1h\"\n{CHAIN}"
    ));
    assert_eq!(c.daemon.quarantine_after, 1);
    assert_eq!(c.daemon.max_backoff, Duration::from_secs(3600));
    let c = load(&format!("[daemon]\nmax_backoff = \"1s\"\n{CHAIN}"));
    assert_eq!(c.daemon.max_backoff, Duration::from_secs(1));
    let msg = refused(
        &format!("[daemon]\nquarantine_after = 0\n{CHAIN}"),
        "daemon.quarantine_after",
        "quarantine_after = 3",
    );
    assert!(msg.contains("at least 1"), "{msg}");
    refused(
        &format!("[daemon]\nquarantine_after = -1\n{CHAIN}"),
        "daemon.quarantine_after",
        "quarantine_after = 3",
    );
    refused(
        &format!("[daemon]\nquarantine_after = 4294967296\n{CHAIN}"),
        "daemon.quarantine_after",
        "quarantine_after = 3",
    );
    refused(
        &format!("[daemon]\nmax_backoff = 300\n{CHAIN}"),
        "daemon.max_backoff",
        "max_backoff = \"5m\"",
    );
}

#[test]
fn daemon_pipeline_depth() {
    assert_eq!(load(CHAIN).daemon.pipeline_depth, 3);
    let c = load(&format!("[daemon]\npipeline_depth = 1\n{CHAIN}"));
    assert_eq!(c.daemon.pipeline_depth, 1);
    for bad in ["0", "17"] {
        let msg = refused(
            &format!("[daemon]\npipeline_depth = {bad}\n{CHAIN}"),
            "daemon.pipeline_depth",
            "pipeline_depth = 3",
        );
        assert!(msg.contains("1 to 16"), "{msg}");
    }
    refused(
        &format!("[daemon]\npipeline_depth = \"3\"\n{CHAIN}"),
        "daemon.pipeline_depth",
        "pipeline_depth = 3",
    );
}

#[test]
fn the_devnet_config_shows_the_defaults() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../config.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let file = load(&text);
    let defaults = load(CHAIN);
    assert_eq!(
        file.daemon.quarantine_after,
        defaults.daemon.quarantine_after
    );
    assert_eq!(file.daemon.max_backoff, defaults.daemon.max_backoff);
    assert_eq!(file.daemon.pipeline_depth, defaults.daemon.pipeline_depth);
    assert_eq!(file.chains[0].serve, ServeConfig::default());
    assert_eq!(file.chains[0].packet_policy, PacketPolicy::default());
    for key in [
        "quarantine_after",
        "pipeline_depth",
        "max_backoff",
        "[chains.serve]",
        "excluded_sequences",
    ] {
        assert!(text.contains(key), "config.toml documents {key}");
    }
}

#[test]
fn fee_granter_is_an_address_of_the_chain() {
    assert_eq!(load(CHAIN).chains[0].fee_granter, None);
    let granter = "cosmos1334zx8uq9vggqdjaqdtyt4vgwdk2aah0anv9hm";
    let ok = load(&format!("{CHAIN}fee_granter = \"{granter}\"\n"));
    assert_eq!(ok.chains[0].fee_granter.as_deref(), Some(granter));
    let (_, bytes) = bech32::decode(granter).unwrap();
    let osmo =
        bech32::encode::<bech32::Bech32>(bech32::Hrp::parse("osmo").unwrap(), &bytes).unwrap();
    let m = refused(
        &format!("{CHAIN}fee_granter = \"{osmo}\"\n"),
        "chains[0].fee_granter",
        "fee_granter = \"cosmos1...\"",
    );
    assert!(m.contains("another chain (prefix `osmo`"), "{m}");
    let m = refused(
        &format!("{CHAIN}fee_granter = \"the-granter\"\n"),
        "chains[0].fee_granter",
        "fee_granter = \"cosmos1...\"",
    );
    assert!(m.contains("not an account address"), "{m}");
}
