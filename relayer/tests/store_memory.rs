//! A benchmark, not a test of correctness: the daemon's memory as its store takes in a long
//! stream of packets, each through the writes relaying makes (the ledger's states, the
//! history's summary and steps, the scanner's height), 10 packets a block, with the
//! ledger read every block as a worker does. It prints the process's RSS and the store's
//! size on disk every 5,000 packets: what a soak's RSS owes to the store.
//!
//! `cargo test -p stateset-relayer --release --test store_memory -- --ignored --nocapture`
//! (`STORE_MEMORY_PACKETS` sets the count, 60,000 by default; `STORE_CACHE_MIB` the cache,
//! the daemon's default unless set).

use stateset_channels::{ChannelId, Height, Packet};
use stateset_relayer::store::{App, PacketId, PacketState, PacketSummary, Step, StepKind, Store};

const PER_BLOCK: u64 = 10;

fn packet(sequence: u64) -> Packet {
    Packet {
        sequence,
        source_port: "transfer".parse().expect("port"),
        source_channel: ChannelId::new(0),
        destination_port: "transfer".parse().expect("port"),
        destination_channel: ChannelId::new(0),
        data: format!(
            r#"{{"amount":"1","denom":"stake","receiver":"cosmos1{sequence:038}","sender":"cosmos1{:038}"}}"#,
            sequence % 8
        )
        .into_bytes(),
        timeout_height: Height::new(0, 0),
        timeout_timestamp: 1_900_000_000_000_000_000,
        ordering: None,
    }
}

fn summary(p: &Packet) -> PacketSummary {
    PacketSummary {
        id: PacketId {
            chain: "stateset-1".into(),
            port: "transfer".into(),
            channel: "channel-0".into(),
            sequence: p.sequence,
        },
        counterparty_chain: "partner-2".into(),
        destination_port: "transfer".into(),
        destination_channel: "channel-0".into(),
        app: App::Transfer {
            sender: format!("cosmos1{:038}", p.sequence % 8),
            receiver: format!("cosmos1{:038}", p.sequence),
            denom: "stake".into(),
            amount: "1".into(),
            memo: String::new(),
        },
        first_seen: p.sequence,
    }
}

fn step(kind: StepKind, chain: &str, height: u64) -> Step {
    Step {
        kind,
        chain: chain.into(),
        height,
        time: height,
        tx_hash: Some(format!(
            "{:064X}",
            height.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        )),
    }
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

#[test]
#[ignore = "a benchmark: streams 60,000 packets through a store"]
fn store_memory_over_a_long_stream_of_packets() {
    let total: u64 = std::env::var("STORE_MEMORY_PACKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let cache_mib: u64 = std::env::var("STORE_CACHE_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(stateset_relayer::store::DEFAULT_CACHE_BYTES >> 20);
    let store = Store::open_with_cache(dir.path(), cache_mib << 20).expect("store");
    let started = std::time::Instant::now();
    let ledger = store
        .ledger("stateset-1", "transfer", "channel-0")
        .expect("ledger");
    let history = store.history();
    println!("packets rss_mib disk_mib");
    println!("0 {:.1} -", rss_kib() as f64 / 1024.0);
    for block in 1..=total / PER_BLOCK {
        store.set_last_height("stateset-1", block).expect("height");
        let first = (block - 1) * PER_BLOCK + 1;
        let packets: Vec<Packet> = (first..first + PER_BLOCK).map(packet).collect();
        for p in &packets {
            ledger.record_sent(p, None).expect("sent");
            history.record(&summary(p)).expect("summary");
            history
                .add_step(&summary(p).id, step(StepKind::Sent, "stateset-1", block))
                .expect("step");
        }
        // The worker reads its ledger each block; the packets of two blocks ago finish.
        ledger.records().expect("records");
        for p in &packets {
            ledger
                .mark(p.sequence, PacketState::Received)
                .expect("received");
            ledger
                .record_ack(p, b"{\"result\":\"AQ==\"}", None)
                .expect("ack");
            let id = summary(p).id;
            history
                .add_step(&id, step(StepKind::Received, "partner-2", block))
                .expect("step");
            let acked = StepKind::Acknowledged {
                success: true,
                error: None,
            };
            history
                .add_step(&id, step(acked, "stateset-1", block + 1))
                .expect("step");
            ledger.finish(p.sequence).expect("finish");
        }
        let done = block * PER_BLOCK;
        if done.is_multiple_of(5_000) {
            store.flush().expect("flush");
            let disk = store.size_on_disk().expect("size") as f64 / 1_048_576.0;
            println!("{done} {:.1} {disk:.1}", rss_kib() as f64 / 1024.0);
        }
    }
    println!(
        "{total} packets in {:.1} s with a {cache_mib} MiB cache",
        started.elapsed().as_secs_f64()
    );
    assert!(ledger.is_empty(), "every packet finished");
}
