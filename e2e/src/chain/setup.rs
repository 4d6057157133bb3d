//! Creating a chain's home: `simd init`, keys, genesis accounts and gentx, and the
//! edits to config.toml, app.toml, client.toml and genesis.json.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::ChainSpec;
use crate::accounts::{self, FOO_DENOM, GENESIS_BALANCE, STAKE_DENOM, VALIDATOR_SELF_DELEGATION};
use crate::error::{Error, Result};
use crate::ports::Ports;

/// The minimum gas price every harness chain enforces (so fees are real).
pub const MIN_GAS_PRICE: &str = "0.001stake";

/// Creates a fresh home for `spec` at `home` (which must be empty or absent).
pub(crate) fn init_home(binary: &Path, home: &Path, spec: &ChainSpec, ports: &Ports) -> Result<()> {
    let home_arg = home.to_string_lossy();
    let id = spec.chain_id.as_str();
    let home_flags = ["--home", &home_arg];
    run(
        binary,
        &["init", id, "--chain-id", id, "--default-denom", STAKE_DENOM],
        &home_flags,
        None,
    )?;

    for account in accounts::ALL {
        let out = run(
            binary,
            &[
                "keys",
                "add",
                account.name,
                "--recover",
                "--keyring-backend",
                "test",
                "--output",
                "json",
            ],
            &home_flags,
            Some(&format!("{}\n", account.mnemonic)),
        )?;
        // The key must derive the documented address; anything else means the
        // accounts table and the chain disagree, which would fail far less clearly later.
        let json: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
            let stdout = String::from_utf8_lossy(&out.stdout);
            Error::parse("`simd keys add` output", format!("{e}: {stdout}"))
        })?;
        let address = json
            .get("address")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if address != account.address {
            return Err(Error::parse(
                format!("address of key {}", account.name),
                format!(
                    "simd derived {address:?}, the accounts table says {}",
                    account.address
                ),
            ));
        }
        let coins = format!("{GENESIS_BALANCE}{STAKE_DENOM},{GENESIS_BALANCE}{FOO_DENOM}");
        run(
            binary,
            &["genesis", "add-genesis-account", account.address, &coins],
            &home_flags,
            None,
        )?;
    }

    let self_delegation = format!("{VALIDATOR_SELF_DELEGATION}{STAKE_DENOM}");
    run(
        binary,
        &[
            "genesis",
            "gentx",
            accounts::VALIDATOR.name,
            &self_delegation,
            "--chain-id",
            id,
            "--keyring-backend",
            "test",
        ],
        &home_flags,
        None,
    )?;
    run(binary, &["genesis", "collect-gentxs"], &home_flags, None)?;
    edit_genesis(&home.join("config/genesis.json"), spec)?;
    run(binary, &["genesis", "validate"], &home_flags, None)?;
    write_config(home, spec, ports)
}

/// Writes the node's listen addresses, timeouts and app settings. Idempotent: called
/// again with new ports when a port turned out to be taken.
pub(crate) fn write_config(home: &Path, spec: &ChainSpec, ports: &Ports) -> Result<()> {
    let config = home.join("config");
    let extra = spec.config_toml_values()?;
    edit_toml(&config.join("config.toml"), |t| {
        set(
            t,
            &["rpc", "laddr"],
            format!("tcp://127.0.0.1:{}", ports.rpc).into(),
        );
        set(
            t,
            &["rpc", "pprof_laddr"],
            format!("127.0.0.1:{}", ports.pprof).into(),
        );
        set(
            t,
            &["p2p", "laddr"],
            format!("tcp://127.0.0.1:{}", ports.p2p).into(),
        );
        set(t, &["p2p", "allow_duplicate_ip"], true.into());
        set(t, &["p2p", "addr_book_strict"], false.into());
        set(
            t,
            &["consensus", "timeout_commit"],
            go_duration(spec.block_time).into(),
        );
        set(t, &["consensus", "timeout_propose"], "1s".into());
        set(t, &["tx_index", "indexer"], "kv".into());
        set(t, &["instrumentation", "prometheus"], false.into());
        for (path, value) in extra {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            set(t, &path, value);
        }
    })?;
    edit_toml(&config.join("app.toml"), |t| {
        set(t, &["minimum-gas-prices"], MIN_GAS_PRICE.into());
        set(t, &["pruning"], "nothing".into());
        set(t, &["api", "enable"], false.into());
        set(t, &["grpc", "enable"], true.into());
        set(
            t,
            &["grpc", "address"],
            format!("127.0.0.1:{}", ports.grpc).into(),
        );
        set(t, &["grpc-web", "enable"], false.into());
        set(t, &["telemetry", "enabled"], false.into());
    })?;
    // So that `simd --home H q ...` by hand talks to this node. (ibc-go v8's simd
    // honours `node` here but ignores `keyring-backend` and `chain-id`: pass those.)
    edit_toml(&config.join("client.toml"), |t| {
        set(t, &["chain-id"], spec.chain_id.clone().into());
        set(t, &["keyring-backend"], "test".into());
        set(
            t,
            &["node"],
            format!("tcp://127.0.0.1:{}", ports.rpc).into(),
        );
        set(t, &["broadcast-mode"], "sync".into());
    })
}

/// Sets the unbonding time and short governance periods.
fn edit_genesis(path: &Path, spec: &ChainSpec) -> Result<()> {
    let config_err = |message: String| Error::Config {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    let mut genesis: Value = serde_json::from_str(&text).map_err(|e| config_err(e.to_string()))?;
    let mut put = |pointer: &str, value: String| -> Result<()> {
        let slot = genesis
            .pointer_mut(pointer)
            .ok_or_else(|| config_err(format!("no {pointer}")))?;
        *slot = Value::String(value);
        Ok(())
    };
    put(
        "/app_state/staking/params/unbonding_time",
        proto_duration(spec.unbonding_time),
    )?;
    put(
        "/app_state/gov/params/voting_period",
        proto_duration(spec.voting_period),
    )?;
    put(
        "/app_state/gov/params/max_deposit_period",
        proto_duration(spec.voting_period),
    )?;
    // Must be strictly shorter than the voting period.
    put(
        "/app_state/gov/params/expedited_voting_period",
        proto_duration(spec.voting_period / 2),
    )?;
    let text = serde_json::to_string_pretty(&genesis).map_err(|e| config_err(e.to_string()))?;
    std::fs::write(path, text).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

/// Reads a TOML file, applies `edit` and writes it back (comments are not kept).
fn edit_toml(path: &Path, edit: impl FnOnce(&mut toml::Table)) -> Result<()> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| Error::Config {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    edit(&mut table);
    let text = toml::to_string(&table).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    std::fs::write(path, text).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

/// Sets `table[path[0]][path[1]]...` to `value`, creating tables on the way.
fn set(table: &mut toml::Table, path: &[&str], value: toml::Value) {
    let (last, parents) = path.split_last().expect("a non-empty key path");
    let mut current = table;
    for key in parents {
        let entry = current
            .entry(key.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        current = entry.as_table_mut().expect("just made a table");
    }
    current.insert(last.to_string(), value);
}

/// A Go duration string (`time.ParseDuration`), e.g. `250ms`.
fn go_duration(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

/// A protobuf JSON duration, e.g. `1814400s` or `0.500s`.
fn proto_duration(d: Duration) -> String {
    match d.subsec_millis() {
        0 => format!("{}s", d.as_secs()),
        ms => format!("{}.{ms:03}s", d.as_secs()),
    }
}

/// Runs `simd args... extra...` to completion, failing on a non-zero exit.
pub(crate) fn run(
    binary: &Path,
    args: &[&str],
    extra: &[&str],
    stdin: Option<&str>,
) -> Result<Output> {
    let mut command = Command::new(binary);
    command
        .args(args)
        .args(extra)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let all: Vec<&str> = args.iter().chain(extra).copied().collect();
    if let Some(home) = all.windows(2).find(|w| w[0] == "--home").map(|w| w[1]) {
        crate::process::tmp_in_home(&mut command, Path::new(home));
    }
    let rendered = || {
        args.iter()
            .chain(extra)
            .map(|a| {
                if a.contains(' ') {
                    format!("'{a}'")
                } else {
                    a.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut child = command
        .spawn()
        .map_err(|e| Error::io(format!("spawning {} {}", binary.display(), rendered()), e))?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        match pipe.write_all(input.as_bytes()) {
            // It exited without reading: its exit status and stderr say why.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => {
                other.map_err(|e| Error::io(format!("writing stdin of simd {}", rendered()), e))?
            }
        }
    }
    let output = child
        .wait_with_output()
        .map_err(|e| Error::io(format!("waiting for simd {}", rendered()), e))?;
    if !output.status.success() {
        return Err(Error::Cli {
            args: rendered(),
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_render_for_go_and_protobuf() {
        assert_eq!(go_duration(Duration::from_millis(200)), "200ms");
        assert_eq!(
            proto_duration(Duration::from_secs(21 * 24 * 3600)),
            "1814400s"
        );
        assert_eq!(proto_duration(Duration::from_millis(10_500)), "10.500s");
    }

    #[test]
    fn set_creates_nested_tables() {
        let mut t: toml::Table = "[rpc]\nladdr = \"x\"\nother = 1\n".parse().unwrap();
        set(&mut t, &["rpc", "laddr"], "tcp://127.0.0.1:1".into());
        set(&mut t, &["grpc-web", "enable"], false.into());
        set(&mut t, &["top"], 3.into());
        assert_eq!(t["rpc"]["laddr"].as_str(), Some("tcp://127.0.0.1:1"));
        assert_eq!(t["rpc"]["other"].as_integer(), Some(1));
        assert_eq!(t["grpc-web"]["enable"].as_bool(), Some(false));
        assert_eq!(t["top"].as_integer(), Some(3));
    }
}
