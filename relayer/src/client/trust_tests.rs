//! Unit tests of the relayer's own light client, on chains signed by tendermint-testgen.
use std::collections::HashMap;

use tendermint_testgen::light_block::LightBlock as GenBlock;
use tendermint_testgen::{Generator, Header as GenHeader, Validator};

use super::*;
use crate::chain::ChainError;

const CHAIN: &str = "test-chain";

/// Light blocks served by height, like a node.
struct Blocks(HashMap<u64, LightBlock>);

impl LightBlockSource for Blocks {
    async fn light_block(&self, height: TmHeight) -> Result<LightBlock, ChainError> {
        self.0
            .get(&height.value())
            .cloned()
            .ok_or_else(|| ChainError::Decode {
                chain: CHAIN.into(),
                method: "light_block",
                detail: format!("no block {height}"),
            })
    }
}

fn convert(block: &GenBlock) -> LightBlock {
    let b = block.generate().unwrap();
    LightBlock::new(b.signed_header, b.validators, b.next_validators, b.provider)
}

/// An honest chain of `n` blocks from height 1, one second apart from t = 1 s.
fn honest(n: u64) -> HashMap<u64, LightBlock> {
    let mut blocks = HashMap::new();
    let mut block = GenBlock::new_default(1);
    for h in 1..=n {
        blocks.insert(h, convert(&block));
        block = block.next();
    }
    blocks
}

/// A block at `height` signed by validators the chain never had.
fn forged(height: u64) -> LightBlock {
    let validators = [
        Validator::new("mallory-1").voting_power(50),
        Validator::new("mallory-2").voting_power(50),
    ];
    let header = GenHeader::new(&validators)
        .height(height)
        .chain_id(CHAIN)
        .next_validators(&validators)
        .time(Time::from_unix_timestamp(height as i64, 0).unwrap());
    convert(&GenBlock::new_default_with_header(header))
}

fn at(seconds: i64) -> Time {
    Time::from_unix_timestamp(seconds, 0).unwrap()
}

fn height(h: u64) -> TmHeight {
    TmHeight::try_from(h).unwrap()
}

fn trust() -> HeaderTrust {
    HeaderTrust::new(CHAIN, Duration::from_secs(1000), Duration::from_secs(5))
}

#[tokio::test]
async fn the_first_header_becomes_the_root_and_later_ones_verify_from_it() {
    let source = Blocks(honest(40));
    let mut trust = trust();
    let h10 = trust
        .verified_header(&source, height(10), at(50))
        .await
        .unwrap();
    assert_eq!(h10.height.value(), 10);
    assert_eq!(trust.root_height(), Some(10));
    let h30 = trust
        .verified_header(&source, height(30), at(50))
        .await
        .unwrap();
    assert_eq!(h30.hash(), source.0[&30].signed_header.header.hash());
    assert_eq!(trust.root_height(), Some(10), "a young root stays");
}

#[tokio::test]
async fn a_self_consistent_header_from_other_validators_is_refused() {
    let mut blocks = honest(40);
    let fake = forged(30);
    // The forgery is signed by its own validator set: it would pass a commit check alone.
    check_self_consistent(CHAIN, &fake).unwrap();
    blocks.insert(30, fake);
    let source = Blocks(blocks);
    let mut trust = trust();
    trust
        .verified_header(&source, height(10), at(50))
        .await
        .unwrap();
    let err = trust
        .verified_header(&source, height(30), at(50))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Verification { height: 30, .. }),
        "{err}"
    );
    assert!(trust.cached(height(30)).is_none());
}

#[tokio::test]
async fn a_header_below_the_root_is_verified_by_hash_links() {
    let source = Blocks(honest(40));
    let mut trust = trust();
    trust
        .verified_header(&source, height(20), at(50))
        .await
        .unwrap();
    let h15 = trust
        .verified_header(&source, height(15), at(50))
        .await
        .unwrap();
    assert_eq!(h15.hash(), source.0[&15].signed_header.header.hash());
    // The links walked down are remembered.
    assert!(trust.cached(height(17)).is_some());
}

#[tokio::test]
async fn a_header_below_the_root_that_does_not_link_is_refused() {
    let mut blocks = honest(40);
    blocks.insert(18, forged(18));
    let source = Blocks(blocks);
    let mut trust = trust();
    trust
        .verified_header(&source, height(20), at(50))
        .await
        .unwrap();
    let err = trust
        .verified_header(&source, height(15), at(50))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("hash link"), "{err}");
}

#[tokio::test]
async fn far_below_every_verified_header_is_an_error_not_a_long_walk() {
    let source = Blocks(honest(200));
    let mut trust = trust();
    trust
        .verified_header(&source, height(150), at(300))
        .await
        .unwrap();
    let far = 150 - MAX_BACKWARD - 1;
    let err = trust
        .verified_header(&source, height(far), at(300))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("below the trust root"), "{err}");
}

#[tokio::test]
async fn an_expired_root_is_taken_again_and_an_old_one_moves_up() {
    let source = Blocks(honest(60));
    let mut trust = HeaderTrust::new(CHAIN, Duration::from_secs(20), Duration::from_secs(5));
    trust
        .verified_header(&source, height(5), at(10))
        .await
        .unwrap();
    assert_eq!(trust.root_height(), Some(5));
    // Older than half the trusting period at block 20: the root moves up to it.
    trust
        .verified_header(&source, height(20), at(22))
        .await
        .unwrap();
    assert_eq!(trust.root_height(), Some(20));
    // After the root's trusting period: a new root is taken.
    trust
        .verified_header(&source, height(55), at(60))
        .await
        .unwrap();
    assert_eq!(trust.root_height(), Some(55));
}

#[tokio::test]
async fn a_header_older_than_the_trusting_period_is_no_root() {
    let source = Blocks(honest(40));
    let mut trust = HeaderTrust::new(CHAIN, Duration::from_secs(20), Duration::from_secs(5));
    let err = trust
        .verified_header(&source, height(10), at(100))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("older than the trusting period"),
        "{err}"
    );
    assert_eq!(trust.root_height(), None);
}
