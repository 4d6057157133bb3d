//! The chain endpoint against live simd chains: signed txs, proofs, sequence recovery,
//! and the websocket event source.

use std::time::Duration;

use ibc_proto::cosmos::bank::v1beta1::MsgSend;
use ibc_proto::cosmos::base::v1beta1::Coin;
use ibc_proto::ibc::core::commitment::v1::MerkleProof;
use ics23::commitment_proof::Proof;
use stateset_e2e::accounts;
use stateset_e2e::chain::{ChainSpec, TestChain};
use stateset_relayer::chain::events::{run_event_source, ChainEvent, EventSourceSettings};
use stateset_relayer::chain::proof::{sdk_proof_specs, verify_merkle_proof};
use stateset_relayer::chain::tx::encode_any;
use stateset_relayer::chain::ChainEndpoint;
use stateset_relayer::config::Config;
use stateset_relayer::keys::KeyRing;

/// A relayer config for `chain`, with the relayer's key imported into a temp key dir.
struct Relayer {
    endpoint: ChainEndpoint,
    _keys: tempfile::TempDir,
}

async fn relayer_for(chain: &TestChain) -> Relayer {
    let keys = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
[global]
key_dir = "{keys}"

[[chains]]
id = "{id}"
rpc_addr = "{rpc}"
grpc_addr = "{grpc}"
event_source = {{ mode = "push", url = "{ws}" }}
account_prefix = "cosmos"
key_name = "relayer"
gas_price = {{ price = 0.001, denom = "stake" }}
"#,
        keys = keys.path().display(),
        id = chain.chain_id(),
        rpc = chain.rpc_url(),
        grpc = chain.grpc_url(),
        ws = chain.ws_url(),
    );
    let config = Config::from_toml_str(&text, "e2e.toml").expect("config parses");
    let ring = KeyRing::new(keys.path());
    ring.add(
        chain.chain_id(),
        "relayer",
        accounts::RELAYER.mnemonic,
        "m/44'/118'/0'/0/0",
        "cosmos",
        false,
    )
    .expect("key imported");
    let endpoint = ChainEndpoint::connect(&config.chains[0], Some(&ring))
        .await
        .expect("endpoint connects");
    assert_eq!(endpoint.signer_address(), Some(accounts::RELAYER.address));
    Relayer {
        endpoint,
        _keys: keys,
    }
}

fn send_msg(from: &str, to: &str, amount: u128) -> ibc_proto::google::protobuf::Any {
    encode_any(&MsgSend {
        from_address: from.to_string(),
        to_address: to.to_string(),
        amount: vec![Coin {
            denom: "stake".into(),
            amount: amount.to_string(),
        }],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_send_is_included_and_balances_move_by_amount_and_fee() {
    let chain = TestChain::start(ChainSpec::new("endpoint-send-1")).expect("chain starts");
    let relayer = relayer_for(&chain).await;
    let grpc = relayer.endpoint.grpc();
    let (from, to) = (accounts::RELAYER.address, accounts::USER2.address);
    let from_before = grpc.balance(from, "stake").await.unwrap();
    let to_before = grpc.balance(to, "stake").await.unwrap();

    let amount = 12_345;
    let result = relayer
        .endpoint
        .send_msgs(vec![send_msg(from, to, amount)], "e2e bank send")
        .await
        .expect("tx included");
    assert!(result.height > 0);
    assert!(result.gas_used > 0 && result.gas_used <= result.gas_wanted);
    let fee: u128 = result
        .fee
        .iter()
        .map(|c| c.amount.parse::<u128>().unwrap())
        .sum();
    assert!(
        fee > 0,
        "the devnet charges a fee (minimum gas price 0.001stake)"
    );

    let from_after = grpc.balance(from, "stake").await.unwrap();
    let to_after = grpc.balance(to, "stake").await.unwrap();
    assert_eq!(
        from_before - from_after,
        amount + fee,
        "sender pays amount and fee"
    );
    assert_eq!(to_after - to_before, amount, "receiver gets the amount");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ibc_store_proof_verifies_against_next_header_and_tampering_fails() {
    let chain = TestChain::start(ChainSpec::new("endpoint-proof-1")).expect("chain starts");
    let relayer = relayer_for(&chain).await;
    let endpoint = &relayer.endpoint;

    // A key ibc-go writes at genesis: present, with its proof verified by query_proven.
    let key = b"nextConnectionSequence";
    let proven = endpoint
        .query_proven(key, None)
        .await
        .expect("proof verifies");
    let value = proven.value.clone().expect("key exists");
    assert_eq!(value.len(), 8, "a big-endian u64");
    assert_eq!(proven.proof_height.value(), proven.query_height.value() + 1);

    let header = endpoint.wait_for_header(proven.proof_height).await.unwrap();
    let app_hash = header.app_hash.as_bytes().to_vec();
    let specs = sdk_proof_specs();
    verify_merkle_proof(&proven.proof, &specs, &app_hash, "ibc", key, Some(&value))
        .expect("verifies");

    // The header of the query height itself commits to the previous state: wrong root.
    let older = endpoint.wait_for_header(proven.query_height).await.unwrap();
    assert!(verify_merkle_proof(
        &proven.proof,
        &specs,
        older.app_hash.as_bytes(),
        "ibc",
        key,
        Some(&value)
    )
    .is_err());

    // One byte changed anywhere that matters makes it fail.
    let mut wrong_value = value.clone();
    wrong_value[7] ^= 1;
    assert!(verify_merkle_proof(
        &proven.proof,
        &specs,
        &app_hash,
        "ibc",
        key,
        Some(&wrong_value)
    )
    .is_err());
    for tampered in tampered_copies(&proven.proof) {
        assert!(
            verify_merkle_proof(&tampered, &specs, &app_hash, "ibc", key, Some(&value)).is_err(),
            "a proof with one byte changed must not verify"
        );
    }
    let mut wrong_root = app_hash.clone();
    wrong_root[0] ^= 0x80;
    assert!(
        verify_merkle_proof(&proven.proof, &specs, &wrong_root, "ibc", key, Some(&value)).is_err()
    );

    // Absence is proven too, and an absence proof does not prove presence.
    let missing = b"clients/07-tendermint-999/clientState";
    let absent = endpoint
        .query_proven(missing, None)
        .await
        .expect("absence proof verifies");
    assert!(absent.value.is_none());
    let header = endpoint.wait_for_header(absent.proof_height).await.unwrap();
    assert!(verify_merkle_proof(
        &absent.proof,
        &specs,
        header.app_hash.as_bytes(),
        "ibc",
        missing,
        Some(b"x")
    )
    .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbonding_time_is_proven_and_headers_below_the_trust_root_verify_by_links() {
    let chain = TestChain::start(ChainSpec::new("endpoint-trust-1")).expect("chain starts");
    let relayer = relayer_for(&chain).await;
    let endpoint = &relayer.endpoint;

    // The staking params are where the relayer reads them, proven, and agree with gRPC.
    let proven = endpoint
        .query_proven_in("staking", &[0x51], None)
        .await
        .expect("staking params proof verifies");
    assert!(proven.value.is_some(), "staking params under key 0x51");
    let unbonding = endpoint.proven_unbonding_time().await.expect("proven");
    let unproven = endpoint.grpc().unbonding_time().await.expect("gRPC");
    assert_eq!(unbonding, unproven);
    assert!(unbonding.as_secs() > 0);

    // The first header verified becomes the trust root; older ones verify by hash links
    // and are the very headers the node serves.
    let ten = tendermint::block::Height::from(10u32);
    endpoint
        .wait_for_height(ten, Duration::from_secs(60))
        .await
        .expect("chain reaches height 10");
    let latest = endpoint.rpc().latest_height().await.expect("height");
    let top = endpoint.wait_for_header(latest).await.expect("root");
    let below = tendermint::block::Height::try_from(latest.value() - 5).expect("height");
    let header = endpoint
        .wait_for_header(below)
        .await
        .expect("verified by links");
    let served = endpoint.rpc().signed_header(below).await.expect("commit");
    assert_eq!(header.hash(), served.header.hash());
    assert_eq!(top.height, latest);
    // A later header verifies forward from the root.
    let next = tendermint::block::Height::try_from(latest.value() + 3).expect("height");
    let ahead = endpoint
        .wait_for_header(next)
        .await
        .expect("verified forward");
    assert_eq!(ahead.height, next);
}

/// Copies of `proof` with one byte flipped: in the leaf value, in an inner node of
/// the substore proof, and in the multistore proof.
fn tampered_copies(proof: &MerkleProof) -> Vec<MerkleProof> {
    let mut out = Vec::new();
    for which in 0..3 {
        let mut p = proof.clone();
        let store = match which {
            0 | 1 => &mut p.proofs[0],
            _ => &mut p.proofs[1],
        };
        let Some(Proof::Exist(exist)) = store.proof.as_mut() else {
            panic!("existence proof expected");
        };
        match which {
            0 => exist.value[0] ^= 1,
            1 => {
                let inner = exist.path.last_mut().expect("an inner node");
                let i = inner.prefix.len() - 1;
                inner.prefix[i] ^= 1;
            }
            _ => exist.value[0] ^= 1,
        }
        out.push(p);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn txs_land_while_the_cli_uses_the_same_key() {
    let chain = TestChain::start(ChainSpec::new("endpoint-seq-1")).expect("chain starts");
    let relayer = relayer_for(&chain).await;
    let grpc = relayer.endpoint.grpc().clone();
    let to = accounts::USER1.address;
    let to_before = grpc.balance(to, "stake").await.unwrap();

    // The simd CLI sends with the relayer's key as fast as it can, in the background.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let cli = {
        let stop = stop.clone();
        let accepted = accepted.clone();
        let chain_cli = chain.cli_handle();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if chain_cli
                    .bank_send(accounts::RELAYER.name, accounts::USER2.address, "1stake")
                    .is_ok()
                {
                    accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        })
    };

    // The CLI is competing before the endpoint starts: one of its txs has passed CheckTx.
    // (A loaded machine can take seconds per CLI call; reading the count only after the
    // endpoint's txs landed made the test depend on which was faster.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while accepted.load(std::sync::atomic::Ordering::Relaxed) == 0
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        accepted.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "no CLI tx passed CheckTx within 60 s"
    );

    // Meanwhile the endpoint sends 15 txs from 3 concurrent tasks.
    let per_task = 5u128;
    let mut tasks = Vec::new();
    for task in 0..3u128 {
        let endpoint = relayer.endpoint.clone();
        tasks.push(tokio::spawn(async move {
            let mut landed = Vec::new();
            for i in 0..per_task {
                let amount = 1000 + task * 10 + i;
                let r = endpoint
                    .send_msgs(vec![send_msg(accounts::RELAYER.address, to, amount)], "")
                    .await
                    .unwrap_or_else(|e| panic!("endpoint tx {task}/{i} failed: {e}"));
                landed.push((amount, r.sequence));
            }
            landed
        }));
    }
    let mut landed = Vec::new();
    for t in tasks {
        landed.extend(t.await.unwrap());
    }
    // Under load the CLI's later txs may all have lost the race for their sequences; keep
    // it sending (with a deadline) until the account has passed the endpoint's 15 txs.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while grpc
        .account(accounts::RELAYER.address)
        .await
        .unwrap()
        .sequence
        <= 15
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    cli.join().unwrap();
    let cli_accepted = accepted.load(std::sync::atomic::Ordering::Relaxed);

    assert_eq!(landed.len(), 15);
    let mut sequences: Vec<u64> = landed.iter().map(|(_, s)| *s).collect();
    sequences.sort_unstable();
    sequences.dedup();
    assert_eq!(
        sequences.len(),
        15,
        "every endpoint tx used its own sequence"
    );
    let sent: u128 = landed.iter().map(|(a, _)| *a).sum();
    let to_after = grpc.balance(to, "stake").await.unwrap();
    assert_eq!(
        to_after - to_before,
        sent,
        "every endpoint tx executed exactly once"
    );
    assert!(
        cli_accepted > 0,
        "the CLI competed for the key ({cli_accepted} txs passed CheckTx)"
    );
    // The relayer's account started at sequence 0: more than 15 txs means the CLI's landed too.
    let account = grpc.account(accounts::RELAYER.address).await.unwrap();
    assert!(
        account.sequence > 15,
        "sequence {}: no CLI tx was included",
        account.sequence
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_source_streams_blocks_and_txs() {
    let chain = TestChain::start(ChainSpec::new("endpoint-events-1")).expect("chain starts");
    let relayer = relayer_for(&chain).await;
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let shutdown = tokio_util::sync::CancellationToken::new();
    let settings = EventSourceSettings {
        chain_id: chain.chain_id().to_string(),
        url: chain.ws_url().parse().unwrap(),
        compat: tendermint_rpc::client::CompatMode::V0_38,
        min_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(2),
        pool: None,
    };
    let source = tokio::spawn(run_event_source(settings, tx, shutdown.clone()));

    let first = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        first,
        ChainEvent::Resubscribed { last_height: None }
    ));
    let sent = relayer
        .endpoint
        .send_msgs(
            vec![send_msg(
                accounts::RELAYER.address,
                accounts::USER1.address,
                7,
            )],
            "",
        )
        .await
        .unwrap();
    let mut heights = Vec::new();
    let mut saw_tx = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !(saw_tx && heights.len() >= 3) {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("events keep coming")
            .expect("source alive");
        match ev {
            ChainEvent::NewBlock { height, .. } => heights.push(height),
            ChainEvent::Tx { height, events } => {
                if height == sent.height && events.iter().any(|e| e.kind == "transfer") {
                    saw_tx = true;
                }
            }
            ChainEvent::Resubscribed { .. } | ChainEvent::Down => {}
        }
    }
    assert!(
        heights.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive blocks: {heights:?}"
    );
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), source)
        .await
        .unwrap()
        .unwrap();
}
