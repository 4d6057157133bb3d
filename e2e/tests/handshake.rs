//! Handshakes against two live chains: `create path`, its resumption after being killed
//! after each step, and the daemon finishing a channel that the simd CLI started.

use std::time::{Duration, Instant};

use serde_json::Value;
use stateset_e2e::chain::{start_chains, TestChain};
use stateset_e2e::probe;
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};

/// `simd q ARGS -o json`; panics with the command's output when it fails.
fn query(chain: &TestChain, args: &[&str]) -> Value {
    probe::query_json(chain, args)
}

/// (id, state) of every connection on `chain` (but the built-in localhost one).
fn connections(chain: &TestChain) -> Vec<(String, String)> {
    let json = query(chain, &["ibc", "connection", "connections"]);
    probe::list_at(&json, "/connections", "connections")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["state"].as_str().unwrap().to_string(),
            )
        })
        .filter(|(id, _)| id != "connection-localhost")
        .collect()
}

/// Every channel on `chain` as JSON.
fn channels(chain: &TestChain) -> Vec<Value> {
    let json = query(chain, &["ibc", "channel", "channels"]);
    probe::list_at(&json, "/channels", "channels")
}

fn client_count(chain: &TestChain) -> usize {
    let json = query(chain, &["ibc", "client", "states"]);
    probe::list_at(&json, "/client_states", "client states")
        .iter()
        .filter(|c| c["client_id"] != "09-localhost")
        .count()
}

fn create_path_args<'a>(a: &'a TestChain, b: &'a TestChain) -> Vec<&'a str> {
    vec![
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]
}

fn assert_one_open_transfer_path(a: &TestChain, b: &TestChain) {
    for chain in [a, b] {
        let conns = connections(chain);
        assert_eq!(
            conns.len(),
            1,
            "{}: exactly one connection: {conns:?}",
            chain.chain_id()
        );
        assert_eq!(conns[0].1, "STATE_OPEN", "{}: {conns:?}", chain.chain_id());
        let chans = channels(chain);
        assert_eq!(
            chans.len(),
            1,
            "{}: exactly one channel: {chans:?}",
            chain.chain_id()
        );
        let c = &chans[0];
        assert_eq!(c["state"], "STATE_OPEN");
        assert_eq!(c["ordering"], "ORDER_UNORDERED");
        assert_eq!(c["version"], "ics20-1");
        assert_eq!(c["port_id"], "transfer");
        assert_eq!(
            client_count(chain),
            1,
            "{}: exactly one client",
            chain.chain_id()
        );
    }
}

#[test]
fn create_path_opens_a_transfer_channel_and_is_idempotent() {
    let chains = start_chains(2).expect("chains start");
    let (a, b) = (&chains[0], &chains[1]);
    let home = RelayerHome::new(&[a, b], DaemonSettings::default());
    let (a_start, b_start) = (a.latest_height().unwrap(), b.latest_height().unwrap());
    let started = Instant::now();
    let mut args = create_path_args(a, b);
    args.push("--json");
    let out = home.run_ok(&args);
    let seconds = started.elapsed().as_secs_f64();
    let ids: Value = serde_json::from_str(out.lines().last().unwrap()).expect("json result");
    assert_eq!(ids["a_channel"], "channel-0");
    assert_eq!(ids["b_connection"], "connection-0");
    let blocks = (a.latest_height().unwrap() - a_start).max(b.latest_height().unwrap() - b_start);
    println!(
        "create path: {seconds:.1} s, {blocks} blocks (relayer's own count: {} blocks)",
        ids["blocks"]
    );
    assert_one_open_transfer_path(a, b);

    // Again: nothing new.
    let again = home.run_ok(create_path_args(a, b));
    assert!(again.contains("path open"), "{again}");
    assert!(
        !again.contains("(tx "),
        "a second run must not send anything: {again}"
    );
    assert_one_open_transfer_path(a, b);

    // The query commands show the same, in both formats.
    let client: Value = serde_json::from_str(
        home.run_ok([
            "query",
            "client",
            "--chain",
            a.chain_id(),
            "--client",
            "07-tendermint-0",
            "--json",
        ])
        .trim(),
    )
    .unwrap();
    assert_eq!(client[0]["status"], "Active");
    assert_eq!(client[0]["tracked_chain_id"], b.chain_id());
    let conn = home.run_ok([
        "query",
        "connection",
        "--chain",
        b.chain_id(),
        "--connection",
        "connection-0",
    ]);
    assert!(conn.contains("Open"), "{conn}");
    let chan: Value = serde_json::from_str(
        home.run_ok([
            "query",
            "channel",
            "--chain",
            a.chain_id(),
            "--channel",
            "channel-0",
            "--json",
        ])
        .trim(),
    )
    .unwrap();
    assert_eq!(chan["state"], "Open");
    assert_eq!(chan["counterparty_channel_id"], "channel-0");
}

#[test]
fn create_path_killed_after_each_step_finishes_with_one_connection_and_channel() {
    let chains = start_chains(2).expect("chains start");
    let (a, b) = (&chains[0], &chains[1]);
    let home = RelayerHome::new(&[a, b], DaemonSettings::default());
    // Every step prints one line with its tx; kill the command as soon as one appears.
    let is_step = |line: &str| line.contains("(tx ") || line.contains(", tx ");
    let mut kills = 0;
    let mut steps_seen = Vec::new();
    loop {
        let (lines, exited) =
            home.run_until_line(create_path_args(a, b), is_step, Duration::from_secs(120));
        steps_seen.extend(lines.iter().filter(|l| is_step(l)).cloned());
        match exited {
            None => kills += 1,
            Some(status) => {
                assert!(
                    status.success(),
                    "create path failed after {kills} kills: {lines:?}"
                );
                break;
            }
        }
        assert!(kills <= 12, "too many steps: {steps_seen:#?}");
    }
    println!("killed {kills} times, steps: {steps_seen:#?}");
    // 2 clients + 4 connection steps + 4 channel steps, each in its own run.
    assert_eq!(kills, 10, "one kill per step: {steps_seen:#?}");
    assert_one_open_transfer_path(a, b);
}

#[test]
fn daemon_completes_an_interchain_account_channel_opened_by_the_simd_cli() {
    let chains = start_chains(2).expect("chains start");
    let (a, b) = (&chains[0], &chains[1]);
    let home = RelayerHome::new(&[a, b], DaemonSettings::default());
    home.run_ok([
        "create",
        "connection",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
    let mut daemon = home.start_daemon();

    // A user registers an interchain account on A: the controller sends ChanOpenInit.
    let version = r#"{"version":"ics27-1","controller_connection_id":"connection-0","host_connection_id":"connection-0","address":"","encoding":"proto3","tx_type":"sdk_multi_msg"}"#;
    let out = a
        .cli([
            "tx",
            "interchain-accounts",
            "controller",
            "register",
            "connection-0",
            "--version",
            version,
            "--ordering",
            "ORDER_ORDERED",
            "--from",
            "user1",
            "--keyring-backend",
            "test",
            "--chain-id",
            a.chain_id(),
            "--gas",
            "500000",
            "--fees",
            "4000stake",
            "--yes",
            "--output",
            "json",
        ])
        .expect("register");
    let hash = serde_json::from_slice::<Value>(&out.stdout).unwrap()["txhash"]
        .as_str()
        .unwrap()
        .to_string();
    let tx = a
        .wait_for_tx(&hash, Duration::from_secs(20))
        .expect("register tx included");
    assert_eq!(tx.code, 0, "register failed: {tx:?}");

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (ca, cb) = (channels(a), channels(b));
        let open = |cs: &[Value], port: &str| {
            cs.iter().any(|c| {
                c["state"] == "STATE_OPEN" && c["port_id"].as_str().unwrap().starts_with(port)
            })
        };
        if open(&ca, "icacontroller-") && open(&cb, "icahost") {
            let host = cb.iter().find(|c| c["port_id"] == "icahost").unwrap();
            assert_eq!(host["ordering"], "ORDER_ORDERED");
            assert!(
                host["version"]
                    .as_str()
                    .unwrap()
                    .contains("\"address\":\"cosmos1"),
                "{host}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the daemon did not open the ICA channel: {ca:?} {cb:?}\n{}",
            daemon.log()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let status = daemon.stop(Duration::from_secs(10));
    assert!(status.success(), "daemon exit: {status:?}");
}
