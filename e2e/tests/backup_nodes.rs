//! Backup nodes on live chains: chain A's primary node (RPC, websocket and gRPC) is a fault
//! proxy (`stateset_e2e::proxy`) in front of A's node, and A's node itself is its backup
//! (`backup_nodes`). With the proxy
//!
//! 1. clean: packets are relayed both ways and both nodes are in rotation;
//! 2. resetting every request: 20 transfers each way are still received and acknowledged
//!    (through the backup), and `/metrics` shows `node_in_rotation{node="0"} 0`;
//! 3. clean again: node 0 is back in rotation within its cool-off (`max_node_cooloff` =
//!    20 s here, so the wait is short and cannot grow to the default 5 minutes);
//! 4. reporting a stuck height (`Mode::StaleHeight`): node 0 is taken out for `lag`;
//! 5. resetting everything while a new daemon starts: it starts on the backup and relays.
//!
//! The measured times (failure to first relay through the backup, back in rotation, lag
//! detection) are printed.

use std::time::{Duration, Instant};

use serde_json::Value;

use stateset_e2e::accounts::{USER1, USER2};
use stateset_e2e::chain::{start_many, ChainSpec, TestChain};
use stateset_e2e::ibc::{ibc_denom, wait_until};
use stateset_e2e::ports::free_port;
use stateset_e2e::probe;
use stateset_e2e::proxy::{self, ChainProxies, Mode};
use stateset_e2e::relayer::{http_get, DaemonSettings, RelayerHome};
use stateset_e2e::transfer::Transfer;

/// `max_node_cooloff` of chain A: the longest node 0 stays out after it is clean again.
const MAX_COOLOFF: Duration = Duration::from_secs(20);
const NODE_IN_ROTATION: &str = "stateset_relayer_node_in_rotation";
const NODE_ROTATIONS: &str = "stateset_relayer_node_rotations_total";

/// Every RPC request, websocket and gRPC connection through the proxy is reset.
fn fail_everything() -> Mode {
    Mode::Chaos {
        drop: 0.0,
        http_500: 0.0,
        reset: 1.0,
        delay: Duration::ZERO..Duration::ZERO,
    }
}

fn balance(chain: &TestChain, address: &str, denom: &str) -> u128 {
    chain.balance(address, denom).unwrap_or_else(|e| {
        panic!(
            "balance of {address} in {denom} on {}: {e}",
            chain.chain_id()
        )
    })
}

/// Packet commitments left on `chain`'s transfer channel-0 (fails loudly).
fn commitments(chain: &TestChain) -> usize {
    let args = [
        "q",
        "ibc",
        "channel",
        "packet-commitments",
        "transfer",
        "channel-0",
        "--limit",
        "100000",
        "-o",
        "json",
    ];
    let out = chain
        .cli(args)
        .unwrap_or_else(|e| panic!("{}: commitments: {e}", chain.chain_id()));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: commitments: not JSON ({e}): {}",
            chain.chain_id(),
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert!(v.get("height").is_some(), "not a commitments answer: {v}");
    match &v["commitments"] {
        Value::Null => 0,
        Value::Array(c) => c.len(),
        other => panic!("commitments: {other}"),
    }
}

/// Sends `count` transfers of 1 `denom` from user1 on `src` over channel-0 in one tx.
fn send(users: &RelayerHome, src: &TestChain, denom: &str, count: usize) {
    let transfer = Transfer::new(src.chain_id(), denom, count)
        .per_tx(count)
        .timeout_seconds(3600);
    let out = users.run_with_timeout(transfer.args(), Duration::from_secs(120));
    assert!(
        out.status.success(),
        "tx transfer on {} failed:\n{}\n{}",
        src.chain_id(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The value of the one series `name{labels}`; panics when it is absent.
fn series(body: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = body
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (s, value) = l.rsplit_once(' ')?;
            let (n, rest) = s.split_once('{')?;
            let all = labels
                .iter()
                .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
            (n == name && all).then(|| value.parse::<f64>().ok())?
        })
        .collect();
    match found.as_slice() {
        [v] => *v,
        other => panic!("{name}{labels:?}: expected one series, found {other:?}"),
    }
}

/// `node_in_rotation{chain, node}`, absent series counting as an error.
fn in_rotation(port: u16, chain: &str, node: &str) -> f64 {
    series(
        &probe::scrape(port),
        NODE_IN_ROTATION,
        &[("chain", chain), ("node", node)],
    )
}

/// `node_rotations_total{chain, reason}`, 0 while no node was taken out for `reason`.
fn rotations(port: u16, chain: &str, reason: &str) -> f64 {
    stateset_e2e::ibc::metric_in(
        &probe::scrape(port),
        NODE_ROTATIONS,
        &[("chain", chain), ("reason", reason)],
    )
}

/// Waits until user2 holds `want` vouchers on both chains and no commitment is left
/// (received and acknowledged); returns when the first new voucher showed on B.
fn wait_relayed(a: &TestChain, b: &TestChain, want: u128, timeout: Duration) -> Duration {
    let (on_b, on_a) = (
        ibc_denom("transfer/channel-0/stake"),
        ibc_denom("transfer/channel-0/ufoo"),
    );
    let start = Instant::now();
    let before = balance(b, USER2.address, &on_b);
    let mut first = None;
    wait_until(
        &format!("{want} transfers each way received and acknowledged"),
        timeout,
        || {
            let (rb, ra) = (
                balance(b, USER2.address, &on_b),
                balance(a, USER2.address, &on_a),
            );
            if rb > before && first.is_none() {
                first = Some(start.elapsed());
            }
            rb == want && ra == want && commitments(a) == 0 && commitments(b) == 0
        },
    );
    first.unwrap_or_default()
}

/// Two chains with a path, user1 funded on both, and a relayer home whose chain A entry
/// points at `px` (the primary) with A's node as its backup.
struct Setup {
    a: TestChain,
    b: TestChain,
    home: RelayerHome,
    users: RelayerHome,
    px: ChainProxies,
    port: u16,
}

fn setup() -> Setup {
    let mut chains = start_many(vec![
        ChainSpec::new("backup-a-1"),
        ChainSpec::new("backup-b-1"),
    ])
    .expect("chains start");
    let (b, a) = (
        chains.pop().expect("chain B"),
        chains.pop().expect("chain A"),
    );
    let port = free_port().expect("a free port");
    let daemon = DaemonSettings {
        telemetry_port: Some(port),
        ..DaemonSettings::default()
    };
    let home = RelayerHome::new(&[&a, &b], daemon);
    let users = RelayerHome::new(&[&a, &b], DaemonSettings::default());
    for c in [&a, &b] {
        users.import_key(c, &USER1);
    }
    let (ida, idb) = (a.chain_id(), b.chain_id());
    home.run_ok(["create", "path", "--a-chain", ida, "--b-chain", idb]);
    let px = ChainProxies::start(&a, 4242);
    proxy::route_through(home.config(), &px);
    let mut backup = toml::Table::new();
    backup.insert("rpc_addr".into(), a.rpc_url().into());
    backup.insert("grpc_addr".into(), a.grpc_url().into());
    backup.insert("websocket_addr".into(), a.ws_url().into());
    let nodes = toml::Value::Array(vec![toml::Value::Table(backup)]);
    proxy::set_chain_value(home.config(), ida, "backup_nodes", nodes);
    let cooloff = format!("{}s", MAX_COOLOFF.as_secs());
    proxy::set_chain_value(home.config(), ida, "max_node_cooloff", cooloff.into());
    Setup {
        a,
        b,
        home,
        users,
        px,
        port,
    }
}

impl Setup {
    fn send_both_ways(&self, count: usize) {
        std::thread::scope(|s| {
            s.spawn(|| send(&self.users, &self.a, "stake", count));
            s.spawn(|| send(&self.users, &self.b, "ufoo", count));
        });
    }

    fn in_rotation(&self, node: &str) -> f64 {
        in_rotation(self.port, self.a.chain_id(), node)
    }

    fn rotations(&self, reason: &str) -> f64 {
        rotations(self.port, self.a.chain_id(), reason)
    }

    /// 1. Clean: relaying works, both nodes in rotation, the primary (proxy) in use.
    fn clean(&self) {
        self.send_both_ways(1);
        wait_relayed(&self.a, &self.b, 1, Duration::from_secs(60));
        assert_eq!(self.in_rotation("0"), 1.0);
        assert_eq!(self.in_rotation("1"), 1.0);
        let (rpc, grpc) = self.px.counters();
        assert!(
            rpc.forwarded > 0 && grpc.requests > 0,
            "the primary (proxy) was used: {rpc} / {grpc}"
        );
    }

    /// 2. The primary resets everything: 20 transfers each way go through the backup.
    fn primary_fails(&self) {
        let resets_before = self.px.rpc.counters().resets;
        self.px.set_mode(fail_everything());
        let failed_at = Instant::now();
        self.send_both_ways(20);
        let sent = failed_at.elapsed();
        let first = wait_relayed(&self.a, &self.b, 21, Duration::from_secs(120));
        println!(
            "primary failing: 20+20 transfers sent {:.1}s after the failure; the first received \
             via the backup {:.1}s after the failure; all received and acknowledged after {:.1}s",
            sent.as_secs_f64(),
            (sent + first).as_secs_f64(),
            failed_at.elapsed().as_secs_f64()
        );
        assert_eq!(self.in_rotation("0"), 0.0, "node 0 out of rotation");
        assert_eq!(self.in_rotation("1"), 1.0, "the backup in rotation");
        assert!(self.rotations("error") >= 1.0);
        let resets = self.px.rpc.counters().resets;
        assert!(
            resets > resets_before,
            "the proxy reset requests ({resets})"
        );
    }

    /// Step 3, clean again: node 0 is back within its cool-off (at most [`MAX_COOLOFF`])
    /// and a call to it (the pool puts a node back when a call is made after its cool-off).
    fn primary_recovers(&self) {
        self.px.set_mode(Mode::Clean);
        let limit = MAX_COOLOFF + Duration::from_secs(40);
        let back = wait_until("node 0 back in rotation", limit, || {
            self.in_rotation("0") == 1.0
        });
        println!(
            "primary clean again: back in rotation after {:.1}s",
            back.as_secs_f64()
        );
    }

    /// 4. The primary reports a stuck height: out of rotation for lag.
    fn primary_lags(&self) {
        let before = self.rotations("lag");
        self.px.set_mode(Mode::StaleHeight);
        let out = wait_until("node 0 out for lag", Duration::from_secs(60), || {
            self.rotations("lag") > before && self.in_rotation("0") == 0.0
        });
        println!(
            "primary stuck: out of rotation for lag after {:.1}s",
            out.as_secs_f64()
        );
        self.px.set_mode(Mode::Clean);
    }
}

fn wait_ready(port: u16) -> Duration {
    wait_until("/readyz answers 200", Duration::from_secs(120), || {
        http_get(port, "/readyz").is_some_and(|(code, _)| code == 200)
    })
}

/// Stops `daemon` and checks its log: no panic, transitions logged, clean exit.
fn stop_and_check(mut daemon: stateset_e2e::relayer::Daemon, transitions: &[&str]) {
    let status = daemon.stop(Duration::from_secs(15));
    let log = daemon.log();
    let panics: Vec<&str> = log.lines().filter(|l| l.contains("panicked")).collect();
    assert!(panics.is_empty(), "the daemon panicked: {panics:#?}");
    for line in log.lines().filter(|l| l.contains("rotation")).take(20) {
        println!("  {}", line.chars().take(400).collect::<String>());
    }
    for line in transitions {
        assert!(log.contains(line), "the log lacks `{line}`");
    }
    assert!(status.success(), "daemon exit: {status}");
}

#[test]
fn a_backup_node_carries_the_chain_while_the_primary_fails() {
    let s = setup();
    let daemon = s.home.start_daemon();
    wait_ready(s.port);
    s.clean();
    s.primary_fails();
    s.primary_recovers();
    s.primary_lags();
    stop_and_check(
        daemon,
        &["node taken out of rotation", "node back in rotation"],
    );
    // 5. A daemon started while the primary fails starts on the backup and relays.
    s.px.set_mode(fail_everything());
    let daemon = s.home.start_daemon();
    let ready = wait_ready(s.port);
    s.send_both_ways(1);
    wait_relayed(&s.a, &s.b, 22, Duration::from_secs(60));
    println!(
        "started with the primary failing: ready after {:.1}s",
        ready.as_secs_f64()
    );
    assert!(s.rotations("error") >= 1.0, "node 0 was taken out");
    wait_until("node 0 out of rotation", Duration::from_secs(20), || {
        s.in_rotation("0") == 0.0
    });
    stop_and_check(daemon, &["node taken out of rotation"]);
}
