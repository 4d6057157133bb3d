//! 07-tendermint clients against live chains: a long update in one go, tampered headers
//! refused before submission, and the daemon's refresh of a short-trusting-period client.

use std::time::{Duration, Instant};

use stateset_e2e::chain::{start_chains, TestChain};
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};
use stateset_relayer::chain::{ChainEndpoint, ChainError, RpcClient};
use stateset_relayer::client::{self, ClientError, ClientStatus, LightBlockSource};
use stateset_relayer::config::Config;
use stateset_relayer::keys::KeyRing;
use tendermint::block::Height;
use tendermint_light_client_verifier::types::LightBlock;

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

async fn wait_for(chain: &TestChain, height: u64) {
    let handle = chain.cli_handle();
    tokio::task::spawn_blocking(move || handle.wait_for_height(height, Duration::from_secs(120)))
        .await
        .unwrap()
        .expect("height reached");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_is_updated_across_200_blocks_in_one_go() {
    let chains = start_chains(2).expect("chains start");
    let home = RelayerHome::new(&[&chains[0], &chains[1]], DaemonSettings::default());
    let eps = endpoints(&home).await;
    let (host, source) = (&eps[0], &eps[1]);
    let (client_id, _) = client::create_client(host, source, None)
        .await
        .expect("client created");
    let before = client::summarize(host, &client_id)
        .await
        .unwrap()
        .latest_height
        .revision_height;
    wait_for(&chains[1], before + 205).await;
    let target = source.rpc().latest_height().await.unwrap();
    let (plan, tx) = client::update_client(host, source.rpc(), source.id(), &client_id, target)
        .await
        .expect("update")
        .expect("an update was needed");
    let after = client::summarize(host, &client_id).await.unwrap();
    println!(
        "updated {client_id} from {} to {} ({} blocks) with {} header(s), gas {}",
        plan.trusted_height,
        plan.target_height,
        plan.target_height - plan.trusted_height,
        plan.msgs.len(),
        tx.gas_used
    );
    assert!(
        after.latest_height.revision_height >= before + 200,
        "{after:?}"
    );
    assert_eq!(after.latest_height.revision_height, target.value());
    assert_eq!(plan.msgs.len(), 1, "same validator set: one skipping step");
    assert_eq!(after.status, ClientStatus::Active);
}

/// A light block source that tampers with what the RPC serves for one height.
struct Tampering<F: Fn(&mut LightBlock) + Send + Sync> {
    inner: RpcClient,
    height: Height,
    tamper: F,
}

impl<F: Fn(&mut LightBlock) + Send + Sync> LightBlockSource for Tampering<F> {
    async fn light_block(&self, height: Height) -> Result<LightBlock, ChainError> {
        let mut block = self.inner.light_block(height).await?;
        if height == self.height {
            (self.tamper)(&mut block);
        }
        Ok(block)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_headers_are_refused_before_submission() {
    let chains = start_chains(2).expect("chains start");
    let home = RelayerHome::new(&[&chains[0], &chains[1]], DaemonSettings::default());
    let eps = endpoints(&home).await;
    let (host, source) = (&eps[0], &eps[1]);
    let (client_id, _) = client::create_client(host, source, None)
        .await
        .expect("client created");
    let before = client::summarize(host, &client_id)
        .await
        .unwrap()
        .latest_height;
    wait_for(&chains[1], before.revision_height + 5).await;
    let target = source.rpc().latest_height().await.unwrap();

    // A commit signature with one flipped byte.
    let corrupt_signature = Tampering {
        inner: source.rpc().clone(),
        height: target,
        tamper: |b: &mut LightBlock| {
            let sig = b
                .signed_header
                .commit
                .signatures
                .iter_mut()
                .find_map(|s| match s {
                    tendermint::block::CommitSig::BlockIdFlagCommit {
                        signature: Some(sig),
                        ..
                    } => Some(sig),
                    _ => None,
                });
            let sig = sig.expect("a signature");
            let mut bytes = sig.as_bytes().to_vec();
            bytes[0] ^= 0xff;
            *sig = tendermint::Signature::try_from(bytes).unwrap();
        },
    };
    let err = client::update_msgs(host, &corrupt_signature, source.id(), &client_id, target)
        .await
        .expect_err("a corrupted signature must not verify");
    println!("corrupted signature: {err}");
    assert!(matches!(err, ClientError::Verification { .. }), "{err}");

    // A validator set that is not the one the header commits to (another key, same power).
    let wrong_validators = Tampering {
        inner: source.rpc().clone(),
        height: target,
        tamper: |b: &mut LightBlock| {
            let key = tendermint::PublicKey::from_raw_ed25519(&[9u8; 32]).expect("ed25519 key");
            let power = b.validators.validators()[0].power;
            let impostor = tendermint::validator::Info::new(key, power);
            b.validators = tendermint::validator::Set::new(vec![impostor.clone()], Some(impostor));
        },
    };
    let err = client::update_msgs(host, &wrong_validators, source.id(), &client_id, target)
        .await
        .expect_err("a wrong validator set must not verify");
    println!("wrong validator set: {err}");
    assert!(matches!(err, ClientError::Verification { .. }), "{err}");

    // Nothing was submitted: the client has not moved.
    let after = client::summarize(host, &client_id)
        .await
        .unwrap()
        .latest_height;
    assert_eq!(after, before);
    // The untampered source verifies and updates.
    client::update_client(host, source.rpc(), source.id(), &client_id, target)
        .await
        .expect("the real header verifies")
        .expect("updated");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_60s_client_stays_active_for_5_minutes_while_refreshed_and_expires_when_not() {
    let chains = start_chains(2).expect("chains start");
    let home = RelayerHome::new(&[&chains[0], &chains[1]], DaemonSettings::default());
    let eps = endpoints(&home).await;
    let (host, source) = (&eps[0], &eps[1]);
    let (client_id, _) = client::create_client(host, source, Some(Duration::from_secs(60)))
        .await
        .expect("client created");
    let first = client::summarize(host, &client_id).await.unwrap();
    assert_eq!(first.trusting_period, Duration::from_secs(60));

    let mut daemon = home.start_daemon();
    let started = Instant::now();
    let mut min_left = Duration::MAX;
    let mut last = first.clone();
    while started.elapsed() < Duration::from_secs(300) {
        let s = client::summarize(host, &client_id).await.unwrap();
        assert_eq!(
            s.status,
            ClientStatus::Active,
            "after {:?}: {s:?}\n{}",
            started.elapsed(),
            daemon.log()
        );
        min_left = min_left.min(s.time_left);
        last = s;
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    println!(
        "5 min refreshed: height {} -> {}, least time left seen {:?}",
        first.latest_height, last.latest_height, min_left
    );
    assert!(last.latest_height > first.latest_height);
    let status = tokio::task::spawn_blocking(move || {
        let status = daemon.stop(Duration::from_secs(10));
        (status, daemon)
    })
    .await
    .unwrap();
    assert!(status.0.success());

    // Without the daemon it expires, judged by the host chain's clock.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let s = client::summarize(host, &client_id).await.unwrap();
        if s.status == ClientStatus::Expired {
            break;
        }
        assert!(Instant::now() < deadline, "still {s:?}");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let err = client::update_client(
        host,
        source.rpc(),
        source.id(),
        &client_id,
        source.rpc().latest_height().await.unwrap(),
    )
    .await
    .expect_err("an expired client cannot be updated");
    assert!(
        matches!(
            err,
            ClientError::NotActive {
                status: ClientStatus::Expired,
                ..
            }
        ),
        "{err}"
    );
}
