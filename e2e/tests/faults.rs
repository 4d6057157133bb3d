//! The relayer behind a fault-injecting proxy in front of live chains
//! (`stateset_e2e::proxy`). Each test starts its own chains.
//!
//! - `proxy_passes_rewrites_and_breaks_what_it_is_told_to`: the proxy itself against one
//!   live node: clean pass-through (HTTP, websocket, gRPC), each rewriting mode, and each
//!   Chaos fault forced to probability 1.
//! - `forged_headers_are_never_submitted`: with B's RPC behind the proxy forging commit
//!   signatures, swapping the validator set or altering the app hash, `update client` of
//!   A's client of B fails with a verification error and the client does not move; clean,
//!   the same command updates it.
//! - `two_relayers_lose_nothing`: two daemons with their own keys and stores relay the same
//!   path; 500 transfers are each received exactly once and all acknowledged; the redundant
//!   messages both counted are printed.
//!
//! `E2E_FAULTS_SEED` (default 1) seeds the proxies' RNGs. The chaos test is in
//! `tests/chaos.rs`; the helpers both use are in `stateset_e2e::faults`.

use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

use stateset_e2e::accounts::{USER1, USER2, VALIDATOR};
use stateset_e2e::faults::*;
use stateset_e2e::ibc::{metric_in, wait_until};
use stateset_e2e::ports::free_port;
use stateset_e2e::proxy::{self, ChainProxies, Mode};
use stateset_e2e::raw_http::{
    parse_answer, raw_exchange, rpc_call, rpc_result, websocket_new_block,
};
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};

// ---------------------------------------------------------------------------------------

#[test]
fn proxy_passes_rewrites_and_breaks_what_it_is_told_to() {
    let _one_at_a_time = serial();
    let (a, b) = two_chains("proxy-a-1", "proxy-b-1");
    let px = ChainProxies::start(&a, seed());
    let (p, direct) = (px.rpc.port(), a.ports().rpc);

    // Blocks with a previous commit to forge.
    a.wait_for_height(5, Duration::from_secs(30))
        .expect("A reaches height 5");
    // Clean: the same answers as the node.
    let status = rpc_result(p, "status", serde_json::json!({}));
    assert_eq!(status["node_info"]["network"], a.chain_id());
    let h = as_u64(&status["sync_info"]["latest_block_height"], "height") - 1;
    let hs = h.to_string();
    let via = rpc_result(p, "commit", serde_json::json!({ "height": hs }));
    let node = rpc_result(direct, "commit", serde_json::json!({ "height": hs }));
    assert_eq!(via, node);
    // A URI (GET) request, as curl would send it.
    let get = raw_exchange(
        p,
        format!("GET /validators?height={h} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes(),
    )
    .expect("GET through the proxy");
    let get = parse_answer(&get);
    assert_eq!(get.status, 200);
    let real_validators = rpc_result(direct, "validators", serde_json::json!({ "height": hs }));
    websocket_new_block(px.rpc.port()).expect("a websocket through the clean proxy");
    assert_eq!(px.rpc.counters().websockets, 1);

    // The rewriting modes.
    px.rpc.set_mode(Mode::ForgeCommitSignatures);
    let forged = rpc_result(p, "commit", serde_json::json!({ "height": hs }));
    let sig = "/signed_header/commit/signatures/0/signature";
    assert!(node.pointer(sig).is_some(), "a commit signature in {node}");
    assert_ne!(forged.pointer(sig), node.pointer(sig));
    assert_eq!(
        forged.pointer("/signed_header/header"),
        node.pointer("/signed_header/header")
    );
    let block = rpc_result(p, "block", serde_json::json!({ "height": hs }));
    let real_block = rpc_result(direct, "block", serde_json::json!({ "height": hs }));
    let last = "/block/last_commit/signatures/0/signature";
    assert!(
        real_block.pointer(last).is_some(),
        "a last-commit signature"
    );
    assert_ne!(block.pointer(last), real_block.pointer(last));

    px.rpc.set_mode(Mode::SwapValidators);
    let swapped = rpc_result(p, "validators", serde_json::json!({ "height": hs }));
    let impostor = &swapped["validators"][0];
    let real = &real_validators["validators"][0];
    assert_eq!(swapped["validators"].as_array().unwrap().len(), 1);
    assert_ne!(impostor["pub_key"], real["pub_key"]);
    assert_eq!(impostor["voting_power"], real["voting_power"]);
    let key = base64_decode(impostor["pub_key"]["value"].as_str().unwrap());
    assert_eq!(key.len(), 32);
    assert_eq!(
        impostor["address"].as_str().unwrap(),
        hex::encode_upper(&Sha256::digest(&key)[..20])
    );

    px.rpc.set_mode(Mode::AlterAppHash);
    let altered = rpc_result(p, "commit", serde_json::json!({ "height": hs }));
    let app = "/signed_header/header/app_hash";
    assert!(node.pointer(app).is_some());
    assert_ne!(altered.pointer(app), node.pointer(app));
    assert_eq!(
        altered.pointer("/signed_header/commit"),
        node.pointer("/signed_header/commit")
    );

    px.rpc.set_mode(Mode::StaleHeight);
    let frozen = as_u64(
        &rpc_result(p, "status", serde_json::json!({}))["sync_info"]["latest_block_height"],
        "height",
    );
    a.wait_for_height(frozen + 3, Duration::from_secs(30))
        .expect("A advances");
    let later = as_u64(
        &rpc_result(p, "status", serde_json::json!({}))["sync_info"]["latest_block_height"],
        "height",
    );
    assert_eq!(later, frozen, "the proxy reports a stuck node");
    assert!(height(&a) >= frozen + 3);

    px.rpc.set_mode(Mode::Truncate);
    let cut = rpc_call(p, "status", serde_json::json!({})).expect("an answer");
    assert_eq!(cut.status, 200);
    assert_eq!(cut.content_length, Some(cut.body.len()));
    assert!(serde_json::from_slice::<Value>(&cut.body).is_err());

    // Chaos, one fault at a time with probability 1.
    let chaos = |drop: f64, http_500: f64, reset: f64, delay: Duration| Mode::Chaos {
        drop,
        http_500,
        reset,
        delay: delay..delay,
    };
    px.rpc.set_mode(chaos(0.0, 1.0, 0.0, Duration::ZERO));
    assert_eq!(
        rpc_call(p, "status", serde_json::json!({}))
            .expect("an answer")
            .status,
        500
    );
    px.rpc.set_mode(chaos(1.0, 0.0, 0.0, Duration::ZERO));
    for _ in 0..4 {
        match raw_exchange(
            p,
            b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ) {
            Ok(answer) => assert!(answer.is_empty(), "a dropped request got an answer"),
            Err(e) => panic!("a drop closes, it does not fail: {e}"),
        }
    }
    px.rpc.set_mode(chaos(0.0, 0.0, 1.0, Duration::ZERO));
    for _ in 0..4 {
        match raw_exchange(
            p,
            b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ) {
            Ok(answer) => assert!(answer.is_empty(), "a reset request got an answer"),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        }
    }
    px.rpc
        .set_mode(chaos(0.0, 0.0, 0.0, Duration::from_millis(400)));
    let started = Instant::now();
    rpc_result(p, "status", serde_json::json!({}));
    assert!(started.elapsed() >= Duration::from_millis(400));
    let c = px.rpc.counters();
    println!("RPC proxy: {c}");
    assert!(c.http_500 >= 1 && c.dropped >= 4 && c.resets >= 4 && c.delayed >= 1);
    assert!(c.rewritten >= 5 && c.truncated >= 1, "{c}");

    // gRPC through its proxy: the relayer's `query status` connects over both proxies.
    px.rpc.set_mode(Mode::Clean);
    let home = RelayerHome::new(&[&a, &b], DaemonSettings::default());
    proxy::route_through(home.config(), &px);
    let out = home.run_with_timeout(["query", "status"], Duration::from_secs(60));
    assert!(
        out.status.success(),
        "query status through clean proxies: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let grpc_requests = px.grpc.counters().requests;
    assert!(grpc_requests > 0, "gRPC went through the proxy");
    px.grpc.set_mode(chaos(1.0, 0.0, 0.0, Duration::ZERO));
    let out = home.run_with_timeout(["query", "status"], Duration::from_secs(120));
    let code = out.status.code();
    println!(
        "query status with every gRPC call dropped: exit {code:?}: {}{}",
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    assert!(
        !out.status.success(),
        "a chain whose gRPC drops every call cannot be queried"
    );
    assert_ne!(code, Some(101), "the relayer panicked");
    assert!(px.grpc.counters().dropped > 0);
    println!("gRPC proxy: {}", px.grpc.counters());
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap_or_else(|e| panic!("not base64 ({e}): {text}"))
}

// ---------------------------------------------------------------------------------------

#[test]
fn forged_headers_are_never_submitted() {
    let _one_at_a_time = serial();
    let (a, b) = two_chains("forge-a-1", "forge-b-1");
    let home = RelayerHome::new(&[&a, &b], DaemonSettings::default());
    home.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
    let client = client_of(&a, b.chain_id());
    let px = ChainProxies::start(&b, seed());
    proxy::route_through(home.config(), &px);

    let update = |what: &str| {
        let started = Instant::now();
        let out = home.run_with_timeout(
            [
                "update",
                "client",
                "--host-chain",
                a.chain_id(),
                "--client",
                &client,
            ],
            Duration::from_secs(180),
        );
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        println!(
            "{what}: exit {:?} after {:.1}s: {}",
            out.status.code(),
            started.elapsed().as_secs_f64(),
            text.trim()
        );
        (out.status, text)
    };

    for mode in [
        Mode::ForgeCommitSignatures,
        Mode::SwapValidators,
        Mode::AlterAppHash,
    ] {
        let before = client_height(&a, &client);
        // The tracked chain is ahead of the client, so an update is due.
        b.wait_for_height(before + 3, Duration::from_secs(60))
            .expect("B advances");
        px.rpc.set_mode(mode.clone());
        let rewritten = px.rpc.counters().rewritten;
        let (status, text) = update(&format!("{mode:?}"));
        let code = status.code();
        assert!(
            matches!(code, Some(c) if c != 0 && c != 101),
            "{mode:?}: `update client` must fail cleanly (not succeed, not panic): {code:?}\n{text}"
        );
        let lower = text.to_lowercase();
        assert!(
            ["does not verify", "verif", "mismatch", "does not match"]
                .iter()
                .any(|w| lower.contains(w)),
            "{mode:?}: the error must say the header does not verify:\n{text}"
        );
        assert!(
            px.rpc.counters().rewritten > rewritten,
            "{mode:?}: the proxy forged nothing, so the test proves nothing"
        );
        // Nothing landed, even late.
        let a_now = height(&a);
        a.wait_for_height(a_now + 3, Duration::from_secs(30))
            .expect("A advances");
        assert_eq!(
            client_height(&a, &client),
            before,
            "{mode:?}: the client moved on forged data"
        );
    }

    px.rpc.set_mode(Mode::Clean);
    let before = client_height(&a, &client);
    b.wait_for_height(before + 3, Duration::from_secs(60))
        .expect("B advances");
    let (status, text) = update("Clean");
    assert!(status.success(), "a clean update must succeed:\n{text}");
    let after = client_height(&a, &client);
    assert!(after > before, "client height {before} -> {after}");
    println!("proxy: {}", px.rpc.counters());
}

// ---------------------------------------------------------------------------------------

fn relayed(metrics: &str, name: &str) -> f64 {
    metric_in(metrics, name, &[])
}

#[test]
fn two_relayers_lose_nothing() {
    let _one_at_a_time = serial();
    let (a, b) = two_chains("twin-a-1", "twin-b-1");
    let (p1, p2) = (
        free_port().expect("a free port"),
        free_port().expect("a free port"),
    );
    let settings = |port| DaemonSettings {
        telemetry_port: Some(port),
        ..DaemonSettings::default()
    };
    let home1 = RelayerHome::new(&[&a, &b], settings(p1));
    let home2 = RelayerHome::new(&[&a, &b], settings(p2));
    for c in [&a, &b] {
        home1.import_key(c, &USER1);
        // The second relayer signs with user2's funded key, so the two never compete
        // for one account's sequence.
        home2.import_key(c, &USER2);
        proxy::set_chain_value(home2.config(), c.chain_id(), "key_name", "user2".into());
    }
    home1.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
    // The clients are relayer 1's; relayer 2 serves them as a second operator would, by
    // listing them (it serves only its own clients otherwise).
    for (host, tracked) in [(&a, &b), (&b, &a)] {
        let client = client_of(host, tracked.chain_id());
        let mut serve = toml::Table::new();
        serve.insert("clients".into(), vec![toml::Value::from(client)].into());
        proxy::set_chain_value(home2.config(), host.chain_id(), "serve", serve.into());
    }
    let mut d1 = home1.start_daemon();
    let mut d2 = home2.start_daemon();
    wait_ready(p1);
    wait_ready(p2);
    for (name, d) in [("relayer 1", &d1), ("relayer 2", &d2)] {
        wait_until(
            &format!("{name} serves the path"),
            Duration::from_secs(60),
            || d.log().contains("serving path"),
        );
    }

    let started = Instant::now();
    send(&home1, &a, "stake", VALIDATOR.address, 500, 50);
    let sent = started.elapsed();
    let denom = voucher("stake");
    let took = poll_until(Duration::from_secs(300), || {
        balance(&b, VALIDATOR.address, &denom) == 500 && commitments(&a, "channel-0") == 0
    });
    let Some(took) = took else {
        let (received, left) = (
            balance(&b, VALIDATOR.address, &denom),
            commitments(&a, "channel-0"),
        );
        for (name, port, d) in [("relayer 1", p1, &mut d1), ("relayer 2", p2, &mut d2)] {
            println!("{name}:");
            print_metrics(&scrape(port));
            d.kill();
            print_log_summary(name, &d.log());
        }
        panic!("500 transfers with two relayers: {received} received, {left} commitments left after 300 s");
    };
    println!(
        "500 transfers sent in {:.1}s, all received and acknowledged {:.1}s after the first send",
        sent.as_secs_f64(),
        sent.as_secs_f64() + took.as_secs_f64()
    );
    // A few more blocks: nothing arrives twice (a second receipt would show as 501+).
    let now = height(&b);
    b.wait_for_height(now + 5, Duration::from_secs(30))
        .expect("B advances");
    assert_eq!(
        balance(&b, VALIDATOR.address, &denom),
        500,
        "each packet received exactly once"
    );
    assert_eq!(commitments(&a, "channel-0"), 0);

    let (m1, m2) = (scrape(p1), scrape(p2));
    let redundant = |m: &str| relayed(m, "stateset_relayer_redundant_messages_total");
    let (r1, r2) = (redundant(&m1), redundant(&m2));
    let recv = |m: &str| relayed(m, "stateset_relayer_packets_relayed_total");
    let acked = |m: &str| relayed(m, "stateset_relayer_packets_acked_total");
    let failed = |m: &str| relayed(m, "stateset_relayer_txs_failed_total");
    println!(
        "relayer 1: relayed {} acked {} redundant {r1} failed txs {}",
        recv(&m1),
        acked(&m1),
        failed(&m1)
    );
    println!(
        "relayer 2: relayed {} acked {} redundant {r2} failed txs {}",
        recv(&m2),
        acked(&m2),
        failed(&m2)
    );
    for (n, m) in [(1, &m1), (2, &m2)] {
        for line in m.lines().filter(|l| {
            l.starts_with("stateset_relayer_redundant_messages_total{")
                || l.starts_with("stateset_relayer_txs_failed_total{")
        }) {
            println!("  relayer {n}: {line}");
        }
    }
    println!("redundant_messages_total, both relayers: {}", r1 + r2);
    // A message the chain answered NOOP (the other relayer was first) counts as redundant,
    // never as relayed: between them the two relayed and acknowledged each packet once.
    assert_eq!(
        recv(&m1) + recv(&m2),
        500.0,
        "packets relayed, both relayers"
    );
    assert_eq!(
        acked(&m1) + acked(&m2),
        500.0,
        "packets acknowledged, both relayers"
    );
    let (s1, s2) = (
        d1.stop(Duration::from_secs(15)),
        d2.stop(Duration::from_secs(15)),
    );
    for (name, d) in [("relayer 1", &d1), ("relayer 2", &d2)] {
        let log = d.log();
        print_log_summary(name, &log);
        assert_no_panic(name, &log);
    }
    assert!(s1.success() && s2.success(), "exits: {s1}, {s2}");
}
