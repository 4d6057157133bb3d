//! A benchmark, not a test of correctness (those are in `relayer/src/api/tests.rs`): a page of
//! `pendingPackets` (100 packets, with the ledger's total) from a ledger of 100,000 packets,
//! through the GraphQL schema. Issue 15 asks for under 100 ms; this prints the times and
//! asserts nothing about them.
//!
//! `cargo test -p stateset-relayer --release --test pending_page -- --ignored --nocapture`

use std::time::Instant;

use stateset_channels::events::Packet;
use stateset_relayer::api::{Api, ApiContext, Caller};
use stateset_relayer::relay::{ChannelEnd, Path};
use stateset_relayer::store::Store;

fn packet(seq: u64) -> Packet {
    let data = format!(
        r#"{{"denom":"uatom","amount":"100","sender":"cosmos1s{}","receiver":"osmo1r","memo":""}}"#,
        seq % 1000
    );
    Packet {
        sequence: seq,
        source_port: "transfer".parse().expect("port"),
        source_channel: "channel-0".parse().expect("channel"),
        destination_port: "transfer".parse().expect("port"),
        destination_channel: "channel-9".parse().expect("channel"),
        data: data.into_bytes(),
        timeout_height: Default::default(),
        timeout_timestamp: 0,
        ordering: None,
    }
}

#[tokio::test]
#[ignore = "a benchmark: records 100,000 packets"]
async fn a_page_of_pending_packets_with_a_100k_ledger() {
    const N: u64 = 100_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    let ledger = store
        .ledger("a-1", "transfer", "channel-0")
        .expect("ledger");
    let start = Instant::now();
    for seq in 1..=N {
        ledger.record_sent(&packet(seq), None).expect("recorded");
    }
    println!("{N} packets recorded in {:?}", start.elapsed());
    let context = ApiContext::new(vec!["a-1".into()], store);
    let daemon = ApiContext::new(vec!["a-1".into()], context.store.clone());
    // As in the daemon: the path is served and its worker keeps the backlog gauge.
    daemon.routes.add(&path());
    stateset_monitoring::global()
        .backlog
        .with_label_values(&["a-1", "b-1", "transfer", "channel-0"])
        .set(N as i64);
    for (name, context) in [
        ("no worker (total counted now)", context),
        ("served path (total from its worker)", daemon),
    ] {
        println!("{name}:");
        page_times(&Api::new(context), N).await;
    }
    let t = Instant::now();
    let total = ledger.len();
    println!("the ledger's count alone ({total}): {:?}", t.elapsed());
}

fn path() -> Path {
    let end = |chain: &str, channel: &str| ChannelEnd {
        chain: chain.into(),
        port: "transfer".parse().expect("port"),
        channel: channel.parse().expect("channel"),
        connection: "connection-0".parse().expect("connection"),
        client: "07-tendermint-0".into(),
    };
    Path {
        a: end("a-1", "channel-0"),
        b: end("b-1", "channel-9"),
        ordering: stateset_channels::Ordering::Unordered,
    }
}

async fn page_times(api: &Api, n: u64) {
    let query = |after: &str| {
        format!(
            r#"{{ pendingPackets(chain: "a-1", port: "transfer", channel: "channel-0", first: 100{after}) {{ total next items {{ sequence state sentHeight ageSeconds app {{ kind sender }} }} }} }}"#
        )
    };
    for (name, after) in [
        ("first page", String::new()),
        ("a page in the middle", ", after: \"50000\"".into()),
    ] {
        let mut times = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            let r = api
                .schema
                .execute(async_graphql::Request::new(query(&after)).data(Caller::default()))
                .await;
            times.push(t.elapsed());
            assert!(r.errors.is_empty(), "{:?}", r.errors);
        }
        times.sort();
        println!(
            "  pendingPackets, {name}, 100 items of {n}: median {:?}, max {:?}",
            times[5], times[9]
        );
    }
}
