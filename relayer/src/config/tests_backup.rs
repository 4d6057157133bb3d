//! `backup_nodes` and `max_node_lag`: defaults, parsing, and refused values.

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

#[test]
fn no_backups_by_default() {
    let c = Config::from_toml_str(CHAIN, "relayer.toml").unwrap();
    assert!(c.chains[0].backup_nodes.is_empty());
    assert_eq!(c.chains[0].max_node_lag, 5);
    assert_eq!(c.chains[0].max_node_cooloff, Duration::from_secs(300));
}

#[test]
fn backups_parse_with_an_optional_websocket() {
    let text = format!(
        "{CHAIN}max_node_lag = 3\nbackup_nodes = [\n  {{ rpc_addr = \"http://10.0.0.2:26657\", grpc_addr = \"http://10.0.0.2:9090\" }},\n  {{ rpc_addr = \"https://rpc.example.com\", grpc_addr = \"https://grpc.example.com:443\", websocket_addr = \"wss://rpc.example.com/websocket\" }},\n]\n"
    );
    let c = Config::from_toml_str(&text, "relayer.toml").unwrap();
    let chain = &c.chains[0];
    assert_eq!(chain.max_node_lag, 3);
    assert_eq!(chain.backup_nodes.len(), 2);
    assert_eq!(
        chain.backup_nodes[0].websocket_url(),
        "ws://10.0.0.2:26657/websocket"
    );
    assert_eq!(
        chain.backup_nodes[1].websocket_url(),
        "wss://rpc.example.com/websocket"
    );
}

#[test]
fn bad_backups_are_refused_with_the_key_and_an_example() {
    let node = |fields: &str| format!("{CHAIN}backup_nodes = [{{ {fields} }}]\n");
    refused(
        &node("rpc_addr = \"10.0.0.2:26657\", grpc_addr = \"http://10.0.0.2:9090\""),
        "chains[0].backup_nodes[0].rpc_addr",
        "http://10.0.0.2:26657",
    );
    refused(
        &node("rpc_addr = \"http://10.0.0.2:26657\", grpc_addr = \"http://10.0.0.2\""),
        "chains[0].backup_nodes[0].grpc_addr",
        "grpc_addr = ",
    );
    refused(
        &node("rpc_addr = \"http://10.0.0.2:26657\""),
        "chains[0].backup_nodes[0].grpc_addr",
        "grpc_addr = \"http://10.0.0.2:9090\"",
    );
    refused(
        &node("rpc_addr = \"http://10.0.0.2:26657\", grpc_addr = \"http://10.0.0.2:9090\", websocket_addr = \"http://10.0.0.2:26657\""),
        "chains[0].backup_nodes[0].websocket_addr",
        "websocket_addr = \"ws://",
    );
    refused(
        &node("rpc_addr = \"http://127.0.0.1:26657\", grpc_addr = \"http://10.0.0.2:9090\""),
        "chains[0].backup_nodes[0].rpc_addr",
        "backup_nodes = [{ rpc_addr",
    );
    refused(
        &node("rpc_adr = \"http://10.0.0.2:26657\", grpc_addr = \"http://10.0.0.2:9090\""),
        "chains[0].backup_nodes[0].rpc_adr",
        "did you mean `rpc_addr`",
    );
}

#[test]
fn max_node_lag_is_bounded() {
    for bad in ["0", "10001"] {
        refused(
            &format!("{CHAIN}max_node_lag = {bad}\n"),
            "chains[0].max_node_lag",
            "max_node_lag = 5",
        );
    }
    refused(
        &format!("{CHAIN}max_node_lag = \"five\"\n"),
        "chains[0].max_node_lag",
        "max_node_lag = 5",
    );
}

#[test]
fn max_node_cooloff_is_a_bounded_duration() {
    let c = Config::from_toml_str(
        &format!("{CHAIN}max_node_cooloff = \"20s\"\n"),
        "relayer.toml",
    )
    .unwrap();
    assert_eq!(c.chains[0].max_node_cooloff, Duration::from_secs(20));
    for bad in ["\"1s\"", "\"2days\"", "\"soon\"", "300"] {
        refused(
            &format!("{CHAIN}max_node_cooloff = {bad}\n"),
            "chains[0].max_node_cooloff",
            "max_node_cooloff = \"5m\"",
        );
    }
}
