//! Monitoring against live chains: scraped counters and histograms match what was relayed,
//! the backlog gauge follows a stalled path, `/readyz` follows a chain's RPC, the
//! trusting-period gauge falls and jumps back after a refresh, and promtool accepts the
//! live metrics.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use stateset_e2e::accounts::{USER1, USER2};
use stateset_e2e::chain::start_chains;
use stateset_e2e::ibc::wait_until;
use stateset_e2e::ports::free_port;
use stateset_e2e::probe::{sample_sum as metric, scrape as scrape_metrics};
use stateset_e2e::relayer::{http_get, DaemonSettings, RelayerHome};

#[test]
fn metrics_readiness_and_gauges_follow_what_the_relayer_does() {
    let mut chains = start_chains(2).expect("chains start");
    let port = free_port().expect("a free port");
    let home = RelayerHome::new(
        &[&chains[0], &chains[1]],
        DaemonSettings {
            telemetry_port: Some(port),
            ..DaemonSettings::default()
        },
    );
    let (a_id, b_id) = (
        chains[0].chain_id().to_string(),
        chains[1].chain_id().to_string(),
    );
    for c in &chains {
        home.import_key(c, &USER1);
    }
    home.run_ok(["create", "path", "--a-chain", &a_id, "--b-chain", &b_id]);
    // A client with a 60 s trusting period, to watch its gauge.
    let out = home.run_ok([
        "create",
        "client",
        "--host-chain",
        &a_id,
        "--reference-chain",
        &b_id,
        "--trusting-period",
        "60s",
        "--new",
        "--json",
    ]);
    let short: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let short = short["client_id"].as_str().unwrap().to_string();
    let mut daemon = home.start_daemon();
    // Panics unless /metrics answers 200; a metric absent from it reads None.
    let scrape = || scrape_metrics(port);
    wait_until("ready", Duration::from_secs(30), || {
        http_get(port, "/readyz").is_some_and(|(s, _)| s == 200)
    });

    // N transfers: the counters and the latency histograms count exactly N.
    let n = 30;
    home.run_ok([
        "tx",
        "transfer",
        "--src-chain",
        &a_id,
        "--channel",
        "channel-0",
        "--amount",
        "1",
        "--denom",
        "stake",
        "--receiver",
        USER2.address,
        "--count",
        &n.to_string(),
        "--per-tx",
        "30",
        "--key-name",
        "user1",
    ]);
    let ch = [
        ("chain", a_id.as_str()),
        ("port", "transfer"),
        ("channel", "channel-0"),
    ];
    wait_until("N acks counted", Duration::from_secs(60), || {
        metric(&scrape(), "stateset_relayer_packets_acked_total", &ch) >= Some(n as f64)
    });
    let body = scrape();
    assert_eq!(
        metric(&body, "stateset_relayer_packets_seen_total", &ch),
        Some(n as f64)
    );
    assert_eq!(
        metric(&body, "stateset_relayer_packets_relayed_total", &ch),
        Some(n as f64)
    );
    assert_eq!(
        metric(&body, "stateset_relayer_packets_acked_total", &ch),
        Some(n as f64)
    );
    assert_eq!(
        metric(
            &body,
            "stateset_relayer_send_to_recv_latency_seconds_count",
            &ch
        ),
        Some(n as f64)
    );
    assert_eq!(
        metric(
            &body,
            "stateset_relayer_send_to_ack_latency_seconds_count",
            &ch
        ),
        Some(n as f64)
    );
    assert!(
        metric(
            &body,
            "stateset_relayer_txs_confirmed_total",
            &[("chain", &b_id)]
        ) >= Some(1.0)
    );
    assert!(
        metric(
            &body,
            "stateset_relayer_gas_used_total",
            &[("chain", &b_id)]
        ) > Some(0.0)
    );

    // promtool accepts the live metrics.
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs");
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    // B's node goes down: not ready within 10 s (alive all along); packets to B pile up in
    // the backlog gauge; when B is back, ready again and the backlog falls to 0.
    chains[1].kill().expect("B killed");
    let took = wait_until("not ready", Duration::from_secs(10), || {
        http_get(port, "/readyz").is_some_and(|(s, _)| s == 503)
    });
    println!("/readyz turned not-ready {took:?} after B's RPC died");
    assert_eq!(http_get(port, "/healthz").map(|(s, _)| s), Some(200));
    let b_errors = [("chain", b_id.as_str()), ("endpoint", "rpc")];
    assert!(
        metric(&scrape(), "stateset_relayer_rpc_errors_total", &b_errors) > Some(0.0),
        "B's RPC errors are counted"
    );
    home.run_ok([
        "tx",
        "transfer",
        "--src-chain",
        &a_id,
        "--channel",
        "channel-0",
        "--amount",
        "1",
        "--denom",
        "stake",
        "--receiver",
        USER2.address,
        "--count",
        "12",
        "--per-tx",
        "12",
        "--key-name",
        "user1",
    ]);
    wait_until("backlog rises", Duration::from_secs(30), || {
        metric(&scrape(), "stateset_relayer_backlog_packets", &ch) >= Some(12.0)
    });
    let sick = home.run(["health-check"]);
    assert!(
        !sick.status.success(),
        "health-check must fail while B is down"
    );
    let status = http_get(port, "/status").unwrap().1;
    assert!(status.contains("\"backlog\":12"), "{status}");
    chains[1].restart().expect("B back");
    wait_until("ready again", Duration::from_secs(60), || {
        http_get(port, "/readyz").is_some_and(|(s, _)| s == 200)
    });
    wait_until("backlog back to 0", Duration::from_secs(90), || {
        let body = scrape();
        metric(&body, "stateset_relayer_backlog_packets", &ch) == Some(0.0)
            && metric(&body, "stateset_relayer_packets_acked_total", &ch) >= Some((n + 12) as f64)
    });

    let healthy = home.run_ok(["health-check"]);
    assert!(healthy.contains("healthy"), "{healthy}");
    let pending: serde_json::Value = serde_json::from_str(
        home.run_ok([
            "query",
            "packet",
            "pending",
            "--chain",
            &a_id,
            "--channel",
            "channel-0",
            "--json",
        ])
        .trim(),
    )
    .unwrap();
    let directions = pending
        .as_array()
        .expect("query packet pending prints a list");
    assert_eq!(
        directions.len(),
        2,
        "both directions of channel-0: {pending}"
    );
    for direction in directions {
        assert_eq!(
            direction["unreceived"].as_array().unwrap().len(),
            0,
            "{pending}"
        );
        assert_eq!(
            direction["unacknowledged"].as_array().unwrap().len(),
            0,
            "{pending}"
        );
    }

    // The 60 s client: its time left falls, then jumps back when the daemon refreshes it.
    let left = |body: &str| {
        metric(
            body,
            "stateset_relayer_client_trusting_period_left_seconds",
            &[("client", &short), ("chain", &a_id)],
        )
    };
    let mut seen = Vec::new();
    wait_until(
        "a fall and a jump in the trusting-period gauge",
        Duration::from_secs(90),
        || {
            // Absent until the daemon first reads the client: not a reading.
            if let Some(v) = left(&scrape()).filter(|v| *v > 0.0 && seen.last() != Some(v)) {
                seen.push(v);
            }
            let fell = seen.windows(2).any(|w| w[1] < w[0]);
            let jumped = seen.windows(2).any(|w| w[1] > w[0] + 5.0);
            fell && jumped
        },
    );
    println!("trusting period left of {short}: {seen:?}");
    assert!(daemon.stop(Duration::from_secs(10)).success());
}
