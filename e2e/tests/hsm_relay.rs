//! The daemon relaying with keys that never leave a PKCS#11 token (SoftHSM2, installed by
//! scripts/install-deps.sh): `keys add --hsm` on both chains, funds sent to the printed
//! addresses, `create path`, 200 transfers each way received and acknowledged; then the
//! token taken away while the daemon runs (its directory moved), transfers waiting without
//! a panic or a quarantined packet, and relayed once the token is back.
//!
//! SoftHSM reads `SOFTHSM2_CONF` when the relayer process starts; this file holds one test,
//! which sets it before any relayer process runs.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use stateset_e2e::accounts::USER1;
use stateset_e2e::chain::{start_chains, TestChain};
use stateset_e2e::ports::free_port;
use stateset_e2e::probe;
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};
use stateset_e2e::transfer::Transfer;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const PIN: &str = "5678";

/// A SoftHSM2 token `T` in a temporary directory, and a 0600 PIN file.
struct Token {
    dir: tempfile::TempDir,
}

impl Token {
    fn new() -> Self {
        assert!(
            Path::new(MODULE).exists(),
            "SoftHSM2 is not installed ({MODULE} is missing): run scripts/install-deps.sh"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let token = Token { dir };
        std::fs::create_dir(token.tokens()).expect("token dir");
        let conf = token.dir.path().join("softhsm2.conf");
        let text = format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            token.tokens().display()
        );
        std::fs::write(&conf, text).expect("softhsm2.conf");
        // Inherited by every relayer process this test starts.
        std::env::set_var("SOFTHSM2_CONF", &conf);
        let out = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", "T"])
            .args(["--so-pin", "1234", "--pin", PIN])
            .output()
            .expect("softhsm2-util runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pin = token.pin_file();
        std::fs::write(&pin, PIN).expect("pin file");
        std::fs::set_permissions(&pin, std::fs::Permissions::from_mode(0o600)).expect("0600");
        token
    }

    fn tokens(&self) -> PathBuf {
        self.dir.path().join("tokens")
    }

    fn away(&self) -> PathBuf {
        self.dir.path().join("tokens-away")
    }

    fn pin_file(&self) -> PathBuf {
        self.dir.path().join("pin")
    }
}

/// Points `home`'s config at the token (key `hsm-<n>` per chain, in config order) and
/// removes the key ring it was created with.
fn switch_to_token(home: &RelayerHome, token: &Token) {
    let config = home.config();
    let mut text = std::fs::read_to_string(config).expect("config read");
    for n in 0..2 {
        text = text.replacen(
            "key_name = \"relayer\"",
            &format!("key_name = \"hsm-{n}\""),
            1,
        );
    }
    text += &format!(
        "\n[signer]\nkind = \"pkcs11\"\nmodule = \"{MODULE}\"\ntoken_label = \"T\"\npin_file = \"{}\"\n",
        token.pin_file().display()
    );
    std::fs::write(config, text).expect("config written");
    let keys = config.parent().expect("home").join("keys");
    std::fs::remove_dir_all(&keys).expect("key ring removed");
}

/// `keys add --chain C --hsm`, and the address it prints.
fn add_hsm_key(home: &RelayerHome, chain: &TestChain) -> String {
    let out = home.run_ok(["keys", "add", "--chain", chain.chain_id(), "--hsm"]);
    let address = out
        .split_whitespace()
        .last()
        .expect("an address")
        .to_string();
    assert!(
        address.starts_with("cosmos1"),
        "keys add --hsm printed: {out}"
    );
    address
}

/// `count` transfers of 1stake from USER1 on `src` over channel-0, signed by `sender`'s
/// key ring (the token holds only the relayer's keys).
fn send(sender: &RelayerHome, src: &TestChain, count: usize) {
    sender.run_ok(Transfer::new(src.chain_id(), "stake", count).args());
}

/// See [`probe::wait_transfers_relayed`] (transfers on channel-0).
fn wait_relayed(src: &TestChain, dst: &TestChain, last: u64, within: Duration) {
    probe::wait_transfers_relayed(src, dst, "channel-0", last, within);
}

/// Replaces `from` with `to` in `home`'s config.
fn edit_config(home: &RelayerHome, from: &str, to: &str) {
    let text = std::fs::read_to_string(home.config()).expect("config read");
    assert!(text.contains(from), "`{from}` not in the config");
    std::fs::write(home.config(), text.replacen(from, to, 1)).expect("config written");
}

/// Runs `args` and expects a refusal (exit non-zero) whose stderr names each of `names`.
fn refused(home: &RelayerHome, args: &[&str], names: &[&str]) {
    let out = home.run_with_timeout(args, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} must fail: {stderr}");
    for name in names {
        assert!(
            stderr.contains(name),
            "{args:?}: the error names `{name}`:\n{stderr}"
        );
    }
    println!(
        "{args:?} refused: {}",
        stderr.lines().last().unwrap_or_default()
    );
}

/// A wrong PIN, a missing key label and a missing module each stop the relayer with the
/// setting to fix, before anything is submitted.
fn bad_settings_are_refused(home: &RelayerHome, token: &Token) {
    let pin = token.pin_file();
    std::fs::write(&pin, "0000").expect("wrong pin");
    refused(home, &["start"], &["pin_file"]);
    std::fs::write(&pin, PIN).expect("pin");
    // No key was added yet: the daemon names the label and the command that adds it.
    refused(home, &["start"], &["hsm-0", "keys add"]);
    let missing = "/usr/lib/softhsm/no-such-module.so";
    edit_config(home, MODULE, missing);
    refused(home, &["config", "validate"], &["module"]);
    edit_config(home, missing, MODULE);
}

#[test]
fn the_daemon_relays_with_keys_in_a_pkcs11_token_and_survives_the_token_going_away() {
    let token = Token::new();
    let mut chains = start_chains(2).expect("chains start");
    let (b, a) = (chains.pop().expect("b"), chains.pop().expect("a"));
    let port = free_port().expect("a free port");
    let settings = DaemonSettings {
        telemetry_port: Some(port),
        ..DaemonSettings::default()
    };
    let home = RelayerHome::new(&[&a, &b], settings);
    switch_to_token(&home, &token);
    bad_settings_are_refused(&home, &token);
    let sender = RelayerHome::new(&[&a, &b], DaemonSettings::default());
    sender.import_key(&a, &USER1);
    sender.import_key(&b, &USER1);

    for chain in [&a, &b] {
        let address = add_hsm_key(&home, chain);
        let hash = chain
            .bank_send(USER1.name, &address, "50000000stake")
            .expect("funded");
        chain
            .wait_for_tx(&hash, Duration::from_secs(30))
            .expect("funding included");
    }
    home.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
    let daemon = home.start_daemon();
    send(&sender, &a, 200);
    send(&sender, &b, 200);
    let started = std::time::Instant::now();
    wait_relayed(&a, &b, 200, Duration::from_secs(300));
    wait_relayed(&b, &a, 200, Duration::from_secs(120));
    println!(
        "200 + 200 transfers relayed with HSM keys in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The token goes away: transfers wait, the daemon stays up and quarantines nothing.
    std::fs::rename(token.tokens(), token.away()).expect("token taken away");
    send(&sender, &a, 10);
    probe::holds_for(
        "nothing relayed while the token is away",
        Duration::from_secs(8),
        Duration::from_secs(1),
        || match probe::commitment_sequences(&a, "transfer", "channel-0").len() {
            10 => Ok(()),
            n => Err(format!("{n} committed")),
        },
    );
    let failed = probe::sample_sum(
        &probe::scrape(port),
        "stateset_relayer_txs_failed_total",
        &[("reason", "signer")],
    );
    assert!(
        failed.is_some_and(|n| n > 0.0),
        "signing failures counted: {failed:?}"
    );
    std::fs::rename(token.away(), token.tokens()).expect("token back");
    let back = std::time::Instant::now();
    wait_relayed(&a, &b, 210, Duration::from_secs(180));
    println!(
        "relayed {:.1} s after the token came back",
        back.elapsed().as_secs_f64()
    );

    // health-check logs in to the token and signs a test digest with every chain's key.
    let health = home.run_with_timeout(["health-check"], Duration::from_secs(60));
    let report = String::from_utf8_lossy(&health.stdout);
    assert!(
        health.status.success() && report.contains("healthy"),
        "health-check: {report}"
    );

    let log = daemon.log();
    assert!(
        log.contains("signing failed"),
        "the token's absence is logged:\n{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    assert!(
        !log.contains("packet quarantined"),
        "no packet is blamed for the token:\n{log}"
    );
    let keys = home.config().parent().expect("home").join("keys");
    assert!(!keys.exists(), "no key ring under the relayer's home");
}
