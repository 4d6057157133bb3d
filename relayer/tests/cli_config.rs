//! The binary's `config validate` and `keys` commands, run as an operator would.

use std::process::Command;

fn relayer(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stateset-relayer"))
        .args(args)
        .env_remove("STATESET_RELAYER_CONFIG")
        .output()
        .expect("binary runs")
}

const CHAIN: &str = r#"
[global]
key_dir = "keys"

[[chains]]
id = "stateset-1"
rpc_addr = "http://127.0.0.1:26657"
grpc_addr = "http://127.0.0.1:9090"
account_prefix = "cosmos"
key_name = "relayer"
gas_price = { price = 0.001, denom = "stake" }
"#;

#[test]
fn config_errors_name_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "unknown.toml",
            format!("{CHAIN}colour = \"red\"\n"),
            "chains[0].colour",
        ),
        (
            "address.toml",
            CHAIN.replace("http://127.0.0.1:26657", "127.0.0.1::26657"),
            "chains[0].rpc_addr",
        ),
    ];
    for (name, text, key) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = relayer(&["config", "validate", "--config", path.to_str().unwrap()]);
        assert!(!out.status.success(), "{name} must be rejected");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(name), "names the file: {stderr}");
        assert!(stderr.contains(key), "names the key `{key}`: {stderr}");
    }
    let good = dir.path().join("good.toml");
    std::fs::write(&good, CHAIN).unwrap();
    let out = relayer(&["config", "validate", "--config", good.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn keys_add_list_delete_never_print_the_mnemonic() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, CHAIN).unwrap();
    let mnemonic = dir.path().join("m.txt");
    let words = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    std::fs::write(&mnemonic, words).unwrap();
    let cfg = config.to_str().unwrap();

    let out = relayer(&[
        "--config",
        cfg,
        "keys",
        "add",
        "--chain",
        "stateset-1",
        "--mnemonic-file",
        mnemonic.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("abandon") && !String::from_utf8_lossy(&out.stderr).contains("abandon")
    );

    let out = relayer(&["--config", cfg, "keys", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        list[0]["address"],
        "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"
    );

    let out = relayer(&["--config", cfg, "keys", "delete", "--chain", "stateset-1"]);
    assert!(out.status.success());
    let out = relayer(&["--config", cfg, "keys", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list, serde_json::json!([]));
}
