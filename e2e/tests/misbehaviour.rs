//! Misbehaviour against live chains: chain B is forked (its one validator signs two chains),
//! another party updates the relayer's client of B on A with a header from the fork, and the
//! relayer submits the evidence that freezes the client.

use std::time::{Duration, Instant};

use ibc_proto::cosmos::tx::v1beta1::{TxBody, TxRaw};
use ibc_proto::ibc::core::client::v1::MsgUpdateClient;
use prost::{Message, Name};
use serde_json::Value;
use stateset_e2e::accounts::{RELAYER, USER1};
use stateset_e2e::chain::{start_chains, TestChain};
use stateset_e2e::fork::{block_hash, Divergence, Fork};
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};
use stateset_relayer::chain::ChainEndpoint;
use stateset_relayer::client::misbehaviour::{check_misbehaviour, MisbehaviourWatch};
use stateset_relayer::client::{self, ClientError, ClientStatus};
use stateset_relayer::config::Config;
use stateset_relayer::keys::KeyRing;
use tendermint_rpc::query::Query;

/// Whether the daemon runs the misbehaviour watch itself. Until it does, the test runs
/// [`check_misbehaviour`] in a loop beside the daemon, as the daemon's pair task will.
const DAEMON_CALLS_WATCHER: bool = true;

/// The most blocks of A between the forged update and the client being Frozen.
const MAX_BLOCKS_TO_FREEZE: u64 = 10;

async fn endpoints(home: &RelayerHome) -> Vec<ChainEndpoint> {
    let config = Config::load(home.config()).expect("config");
    let ring = KeyRing::new(&config.global.key_dir);
    let mut out = Vec::new();
    for c in &config.chains {
        out.push(
            ChainEndpoint::connect(c, Some(&ring))
                .await
                .expect("connect"),
        );
    }
    out
}

/// Another party's relayer home: it signs on `a` with user1's key, and its chain B is the fork.
fn forger_home(a: &TestChain, b: &TestChain, fork: &Fork) -> RelayerHome {
    let home = RelayerHome::new(&[a, b], DaemonSettings::default());
    home.import_key(a, &USER1);
    let text = std::fs::read_to_string(home.config()).expect("config read");
    let a_id = format!("id = \"{}\"\n", a.chain_id());
    let sections: Vec<String> = text
        .split("[[chains]]")
        .map(|section| {
            if section.contains(&a_id) {
                section.replace("key_name = \"relayer\"", "key_name = \"user1\"")
            } else {
                section
                    .replace(&b.rpc_url(), &fork.rpc_url())
                    .replace(&b.grpc_url(), &fork.grpc_url())
                    .replace(&b.ws_url(), &fork.ws_url())
            }
        })
        .collect();
    let text = sections.join("[[chains]]");
    assert!(text.contains(&fork.rpc_url()) && text.contains("key_name = \"user1\""));
    std::fs::write(home.config(), text).expect("config written");
    home
}

fn json_line(out: &str) -> Value {
    serde_json::from_str(out.lines().last().expect("output")).expect("json result")
}

/// The host tx with a `client_misbehaviour` event for `client_id`: (height, signers).
async fn evidence_tx(host: &ChainEndpoint, client_id: &str) -> Option<(u64, Vec<String>)> {
    let query = Query::eq("client_misbehaviour.client_id", client_id);
    let found = host.rpc().tx_search(query, 1, 10).await.expect("tx_search");
    let tx = found.txs.first()?;
    let raw = TxRaw::decode(tx.tx.as_slice()).expect("tx");
    let body = TxBody::decode(raw.body_bytes.as_slice()).expect("tx body");
    let signers = body
        .messages
        .iter()
        .filter(|m| m.type_url == MsgUpdateClient::type_url())
        .map(|m| {
            MsgUpdateClient::decode(m.value.as_slice())
                .expect("msg")
                .signer
        })
        .collect();
    Some((tx.height.value(), signers))
}

/// Forks B: stops it, copies its home, restarts it, starts the copy; waits until they differ.
async fn fork_chain(b: TestChain) -> (TestChain, Fork, Divergence) {
    tokio::task::spawn_blocking(move || {
        let mut b = b;
        let fork = Fork::start(&mut b).expect("fork starts");
        let split = fork
            .wait_for_divergence(&b, Duration::from_secs(30))
            .expect("the chains differ");
        (b, fork, split)
    })
    .await
    .expect("fork task")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_update_from_a_fork_is_detected_and_the_client_frozen() {
    let mut chains = start_chains(2).expect("chains start");
    let b = chains.pop().expect("chain b");
    let a = chains.pop().expect("chain a");
    let home = RelayerHome::new(&[&a, &b], DaemonSettings::default());
    let out = home.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
        "--json",
    ]);
    let client = json_line(&out)["a_client"]
        .as_str()
        .expect("a_client")
        .to_string();
    let clients = vec![client.clone()];
    let eps = endpoints(&home).await;
    let (host, source) = (&eps[0], &eps[1]);
    let daemon = home.start_daemon();

    // The first pass only notes where to start; an honest update is checked and matches.
    let mut watch = MisbehaviourWatch::default();
    let first = check_misbehaviour(host, source, &clients, &mut watch)
        .await
        .expect("first pass");
    assert!(
        first.clients_checked.is_empty() && first.conflicts.is_empty(),
        "{first:?}"
    );
    assert!(watch.checked_height(a.chain_id(), &client).is_some());
    home.run_ok([
        "update",
        "client",
        "--host-chain",
        a.chain_id(),
        "--client",
        &client,
    ]);
    let honest = check_misbehaviour(host, source, &clients, &mut watch)
        .await
        .expect("pass");
    println!("honest update: {honest:?}");
    assert_eq!(honest.clients_checked, clients);
    assert!(honest.headers_checked >= 1, "{honest:?}");
    assert!(honest.conflicts.is_empty(), "{honest:?}");

    let (b, fork, split) = fork_chain(b).await;
    println!(
        "B forked after height {}: first different block at {} (B {}, fork {})",
        fork.stopped_at(),
        split.height,
        split.chain_hash,
        split.fork_hash
    );

    // A relayer that lists the fork as a witness of B never submits B's header: the witness
    // contradicts it. The client stays where it was.
    let before = client::summarize(host, &client).await.expect("summary");
    let witnessed = RelayerHome::new(&[&a, &b], DaemonSettings::default());
    witnessed.set_chain_option(
        b.chain_id(),
        "witness_rpc_addrs",
        &format!("[\"{}\"]", fork.rpc_url()),
    );
    let refused = witnessed.run_with_timeout(
        [
            "update",
            "client",
            "--host-chain",
            a.chain_id(),
            "--client",
            &client,
        ],
        Duration::from_secs(60),
    );
    let stderr = String::from_utf8_lossy(&refused.stderr);
    println!("with the fork as witness: {stderr}");
    assert!(!refused.status.success(), "{stderr}");
    assert_ne!(refused.status.code(), Some(101), "a panic: {stderr}");
    assert!(stderr.contains("witness"), "{stderr}");
    let after = client::summarize(host, &client).await.expect("summary");
    assert_eq!(after.latest_height, before.latest_height);

    // Another party points chain B at the fork and updates the relayer's client on A.
    let forger = forger_home(&a, &b, &fork);
    let forged = forger.run_with_timeout(
        [
            "update",
            "client",
            "--host-chain",
            a.chain_id(),
            "--client",
            &client,
            "--json",
        ],
        Duration::from_secs(60),
    );
    assert!(
        forged.status.success(),
        "{}",
        String::from_utf8_lossy(&forged.stderr)
    );
    let forged = json_line(&String::from_utf8_lossy(&forged.stdout));
    let (forged_at, fork_height) = (
        forged["height"].as_u64().unwrap(),
        forged["to"].as_u64().unwrap(),
    );
    let forged_seen = Instant::now();
    println!("forged update: {forged}");

    // The relayer notices and freezes the client.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut conflict = None;
    loop {
        if !DAEMON_CALLS_WATCHER && conflict.is_none() {
            let report = check_misbehaviour(host, source, &clients, &mut watch)
                .await
                .expect("pass");
            conflict = report.conflicts.into_iter().next();
        }
        if client::summarize(host, &client)
            .await
            .expect("summary")
            .status
            == ClientStatus::Frozen
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not frozen within 60 s:\n{}",
            daemon.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let took = forged_seen.elapsed();
    let (evidence_at, signers) = evidence_tx(host, &client)
        .await
        .expect("an evidence tx on A");
    println!(
        "frozen {took:?} after the forged update: forged tx at A {forged_at}, evidence at A {evidence_at} ({} blocks); conflict: {conflict:?}",
        evidence_at - forged_at
    );
    assert!(evidence_at > forged_at);
    assert!(
        evidence_at - forged_at <= MAX_BLOCKS_TO_FREEZE,
        "{evidence_at} - {forged_at}"
    );
    assert_eq!(
        signers,
        vec![RELAYER.address.to_string()],
        "evidence signed by the relayer"
    );

    // The forged header really is the fork's, not B's.
    let b_port = b.ports().rpc;
    let b_cli = b.cli_handle();
    tokio::task::spawn_blocking(move || {
        b_cli.wait_for_height(fork_height, Duration::from_secs(30))
    })
    .await
    .unwrap()
    .expect("B reaches the forged height");
    let (b_hash, fork_hash) = (
        block_hash(b_port, fork_height).unwrap(),
        block_hash(fork.ports().rpc, fork_height).unwrap(),
    );
    println!("at B height {fork_height}: B {b_hash}, fork {fork_hash}");
    assert_ne!(b_hash, fork_hash);
    if let Some(c) = &conflict {
        assert_eq!((c.height, c.host_height), (fork_height, forged_at));
        assert_eq!(c.submitted_hash.to_string(), fork_hash);
        assert_eq!(c.source_hash.to_string(), b_hash);
        assert_eq!(c.submitted_by, USER1.address);
        assert!(
            c.frozen && c.evidence.as_ref().is_some_and(|e| e.1 == evidence_at),
            "{c:?}"
        );
    }
    if DAEMON_CALLS_WATCHER {
        // The daemon logs once it has seen the client Frozen, a moment after the chain says so.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !daemon.log().contains("misbehaviour evidence submitted") {
            assert!(Instant::now() < deadline, "{}", daemon.log());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    // The chain says Frozen too, and the relayer refuses to update the client any more.
    let status = a
        .cli(["q", "ibc", "client", "status", &client, "-o", "json"])
        .unwrap();
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["status"], "Frozen", "{status}");
    let target = source.rpc().latest_height().await.unwrap();
    let err = client::update_client(host, source.rpc(), source.id(), &client, target)
        .await
        .expect_err("a frozen client cannot be updated");
    assert!(
        matches!(
            err,
            ClientError::NotActive {
                status: ClientStatus::Frozen,
                ..
            }
        ),
        "{err}"
    );
    drop(daemon);
}
