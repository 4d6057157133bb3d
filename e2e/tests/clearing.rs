//! Clearing's two ways to a backlog of sent packets, on live chains: reading the blocks the
//! sends are in, and searching the node's tx index by sequence range. Each records every
//! pending packet, with the same data, in a fresh ledger; sends far apart are searched,
//! and so are sends on a node that keeps no block results.

use std::time::Duration;

use stateset_e2e::accounts::USER1;
use stateset_e2e::chain::{start_chains, start_many, ChainSpec, TestChain};
use stateset_e2e::probe;
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};
use stateset_e2e::transfer::Transfer;
use stateset_relayer::chain::ChainEndpoint;
use stateset_relayer::config::Config;
use stateset_relayer::relay::clear::{clear_with_span, ClearReport};
use stateset_relayer::relay::{ChannelEnd, Path};
use stateset_relayer::store::{PacketRecord, Store};

/// Transfers in each of the two groups (two txs of 60 and 40).
const GROUP: usize = 100;
/// Blocks between the two groups.
const GAP_BLOCKS: u64 = 6;

/// The transfer channel-0 end on `chain` (the path `create path` makes on fresh chains).
fn end(chain: &TestChain) -> ChannelEnd {
    ChannelEnd {
        chain: chain.chain_id().to_string(),
        port: "transfer".parse().unwrap(),
        channel: "channel-0".parse().unwrap(),
        connection: "connection-0".parse().unwrap(),
        client: "07-tendermint-0".to_string(),
    }
}

/// A relayer home for A and B with user1's key on A and the transfer path created.
fn with_path(a: &TestChain, b: &TestChain) -> RelayerHome {
    let home = RelayerHome::new(&[a, b], DaemonSettings::default());
    home.import_key(a, &USER1);
    home.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
    home
}

/// Endpoints for A and B (read only: no key ring) from `home`'s config, and the A → B path.
async fn connect(
    home: &RelayerHome,
    a: &TestChain,
    b: &TestChain,
) -> (ChainEndpoint, ChainEndpoint, Path) {
    let config = Config::load(home.config()).expect("the e2e config loads");
    let endpoint = |id: &str| {
        let chain = config
            .chains
            .iter()
            .find(|c| c.id.as_str() == id)
            .expect("in config");
        ChainEndpoint::connect(chain, None)
    };
    let ea = endpoint(a.chain_id()).await.expect("A connects");
    let eb = endpoint(b.chain_id()).await.expect("B connects");
    let path = Path {
        a: end(a),
        b: end(b),
        ordering: stateset_channels::Ordering::Unordered,
    };
    (ea, eb, path)
}

/// Clears A → B into a fresh store with `max_block_span`; returns the report and the ledger.
async fn clear_fresh(
    a: &ChainEndpoint,
    b: &ChainEndpoint,
    path: &Path,
    max_block_span: u64,
) -> (ClearReport, Vec<PacketRecord>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).expect("store opens");
    let report = clear_with_span(a, b, path, &store, max_block_span)
        .await
        .expect("clearing succeeds");
    let ledger = store
        .ledger(&path.a.chain, "transfer", "channel-0")
        .expect("ledger");
    let mut records = ledger.records().expect("records");
    records.sort_by_key(|r| r.packet.sequence);
    (report, records)
}

/// The parts of a record both ways must agree on (not the clock of the sighting).
fn packets(records: &[PacketRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| format!("{:?} {:?}", r.packet, r.state))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_is_found_the_same_by_its_blocks_and_by_range_search() {
    let mut chains = start_chains(2).expect("chains start");
    let (b, a) = (chains.pop().unwrap(), chains.pop().unwrap());
    let home = with_path(&a, &b);
    let send = || {
        home.run_ok(
            Transfer::new(a.chain_id(), "stake", GROUP)
                .per_tx(60)
                .args(),
        )
    };
    send();
    let after_first = a.latest_height().expect("height");
    a.wait_for_height(after_first + GAP_BLOCKS, Duration::from_secs(60))
        .expect("the gap's blocks");
    send();
    let all: Vec<u64> = (1..=2 * GROUP as u64).collect();
    assert_eq!(
        probe::commitment_sequences(&a, "transfer", "channel-0"),
        all
    );

    let (ea, eb, path) = connect(&home, &a, &b).await;

    let (by_blocks, from_blocks) = clear_fresh(&ea, &eb, &path, 500).await;
    assert_eq!(by_blocks.sends_added, all.len(), "{by_blocks:?}");
    assert_eq!(by_blocks.pages, 0, "no range search: {by_blocks:?}");
    assert!(
        by_blocks.blocks as u64 > GAP_BLOCKS,
        "the blocks from the first send to the last, gap included: {by_blocks:?}"
    );
    let (by_search, from_search) = clear_fresh(&ea, &eb, &path, 0).await;
    assert_eq!(by_search.sends_added, all.len(), "{by_search:?}");
    assert_eq!(by_search.blocks, 0, "no block read: {by_search:?}");
    assert!(by_search.pages > 0, "{by_search:?}");
    let seqs: Vec<u64> = from_blocks.iter().map(|r| r.packet.sequence).collect();
    assert_eq!(seqs, all, "every pending packet recorded, once");
    assert_eq!(packets(&from_blocks), packets(&from_search));
    // Sends further apart than the span allows are searched.
    let (too_far, far_records) = clear_fresh(&ea, &eb, &path, GAP_BLOCKS).await;
    assert_eq!(
        (too_far.blocks, too_far.sends_added),
        (0, all.len()),
        "{too_far:?}"
    );
    assert_eq!(packets(&far_records), packets(&from_search));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_on_a_node_without_block_results_are_searched_instead() {
    // CometBFT's `discard_abci_responses`: `block_results` fails at every height, while
    // the tx index (and so `tx_search`) still works.
    let a_spec =
        ChainSpec::new("noresults-a-1").with_config_toml("storage.discard_abci_responses", "true");
    let mut chains = start_many(vec![a_spec, ChainSpec::new("noresults-b-2")]).expect("start");
    let (b, a) = (chains.pop().unwrap(), chains.pop().unwrap());
    let home = with_path(&a, &b);
    home.run_ok(
        Transfer::new(a.chain_id(), "stake", GROUP)
            .per_tx(60)
            .args(),
    );
    let all: Vec<u64> = (1..=GROUP as u64).collect();
    assert_eq!(
        probe::commitment_sequences(&a, "transfer", "channel-0"),
        all
    );

    let (ea, eb, path) = connect(&home, &a, &b).await;
    let (report, records) = clear_fresh(&ea, &eb, &path, 500).await;
    assert_eq!(report.sends_added, all.len(), "{report:?}");
    assert_eq!(report.blocks, 0, "no block could be read: {report:?}");
    assert!(report.pages > 0, "searched instead: {report:?}");
    let seqs: Vec<u64> = records.iter().map(|r| r.packet.sequence).collect();
    assert_eq!(seqs, all);
}
