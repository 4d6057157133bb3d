//! The GraphQL API of a live daemon on live chains: the packet history written from the
//! chains' events (tx hashes equal to the chains'), pending packets equal to what
//! `query packet pending` prints, and a `packetSteps` subscription over a websocket.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use stateset_e2e::accounts::{USER1, USER2};
use stateset_e2e::chain::{start_chains, TestChain};
use stateset_e2e::graphql;
use stateset_e2e::ports::free_port;
use stateset_e2e::probe;
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};
use stateset_e2e::transfer::Transfer;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// sequence → tx hash (uppercase, as the chain prints it) of the `kind` events of the txs
/// on `chain` matching `query`.
fn hashes_by_sequence(chain: &TestChain, query: &str, kind: &str) -> BTreeMap<u64, String> {
    let mut out = BTreeMap::new();
    for tx in probe::txs(chain, query) {
        let hash = probe::at(&tx, "/txhash", "txhash")
            .as_str()
            .unwrap()
            .to_uppercase();
        for event in probe::list_at(&tx, "/events", "events") {
            if event["type"] != kind {
                continue;
            }
            let seq = probe::list_at(&event, "/attributes", kind)
                .iter()
                .find(|a| a["key"] == "packet_sequence")
                .and_then(|a| a["value"].as_str()?.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("{kind} without packet_sequence: {event}"));
            out.insert(seq, hash.clone());
        }
    }
    out
}

fn step_hash(packet: &Value, kind: &str) -> String {
    let steps = packet["steps"].as_array().unwrap();
    let step = steps
        .iter()
        .find(|s| s["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} step in {packet}"));
    step["txHash"]
        .as_str()
        .unwrap_or_else(|| panic!("{kind} without tx hash: {packet}"))
        .to_uppercase()
}

fn pending_sequences(port: u16, chain: &str) -> Vec<u64> {
    let q = format!(
        r#"{{ pendingPackets(chain: "{chain}", port: "transfer", channel: "channel-0", first: 1000) {{ total items {{ sequence state }} }} }}"#
    );
    let data = graphql::query(port, &q);
    data["pendingPackets"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["sequence"].as_u64().unwrap())
        .collect()
}

#[test]
fn the_api_answers_history_pending_packets_and_steps_live() {
    let mut chains = start_chains(2).expect("chains start");
    let (mut b, a) = (chains.pop().unwrap(), chains.pop().unwrap());
    let port = free_port().unwrap();
    let settings = DaemonSettings {
        telemetry_port: Some(port),
        ..DaemonSettings::default()
    };
    let home = RelayerHome::new(&[&a, &b], settings);
    home.import_key(&a, &USER1);
    home.import_key(&b, &USER1);
    home.run_ok([
        "create",
        "path",
        "--a-chain",
        a.chain_id(),
        "--b-chain",
        b.chain_id(),
    ]);
    let mut daemon = home.start_daemon();
    probe::wait_for("the API answers", Duration::from_secs(60), || {
        graphql::try_query(port, "{ paths { chain channel } }").and_then(|d| {
            (d["paths"].as_array().map_or(0, Vec::len) == 2)
                .then_some(())
                .ok_or(d.to_string())
        })
    });

    // 50 transfers A→B (5 txs of 10), all acknowledged.
    home.run_ok(Transfer::new(a.chain_id(), "stake", 50).per_tx(10).args());
    probe::wait_for(
        "50 transfers acknowledged",
        Duration::from_secs(120),
        || {
            let left = probe::commitments(&a, "transfer", "channel-0");
            (left == 0)
                .then_some(())
                .ok_or(format!("{left} commitments left"))
        },
    );
    let sent = hashes_by_sequence(
        &a,
        "send_packet.packet_src_channel='channel-0'",
        "send_packet",
    );
    let recv = hashes_by_sequence(
        &b,
        "recv_packet.packet_dst_channel='channel-0'",
        "recv_packet",
    );
    let acked = hashes_by_sequence(
        &a,
        "acknowledge_packet.packet_src_channel='channel-0'",
        "acknowledge_packet",
    );
    assert_eq!(sent.len(), 50, "{sent:?}");
    // The history is written off the scanner's path: wait until the last ack is in.
    probe::wait_for("every ack in the history", Duration::from_secs(30), || {
        let q = r#"{ packets(filter: {chain: "CHAIN", port: "transfer", channel: "channel-0"}, first: 100) { items { status } } }"#
            .replace("CHAIN", a.chain_id());
        let d = graphql::query(port, &q);
        let done = d["packets"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["status"] == "acknowledged")
            .count();
        (done == 50)
            .then_some(())
            .ok_or(format!("{done} acknowledged"))
    });
    let send_txs: BTreeSet<&String> = sent.values().collect();
    for hash in send_txs {
        let q = format!(
            r#"{{ packets(filter: {{txHash: "{hash}"}}, first: 100) {{ items {{ sequence status steps {{ kind chain height time txHash }} }} }} }}"#
        );
        let items = graphql::query(port, &q)["packets"]["items"]
            .as_array()
            .unwrap()
            .clone();
        let want: BTreeSet<u64> = sent
            .iter()
            .filter(|(_, h)| *h == hash)
            .map(|(s, _)| *s)
            .collect();
        let got: BTreeSet<u64> = items
            .iter()
            .map(|p| p["sequence"].as_u64().unwrap())
            .collect();
        assert_eq!(got, want, "packets of send tx {hash}");
        for p in &items {
            let seq = p["sequence"].as_u64().unwrap();
            let kinds: Vec<&str> = p["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["kind"].as_str().unwrap())
                .collect();
            assert_eq!(
                kinds,
                ["sent", "received", "acknowledged"],
                "sequence {seq}: {p}"
            );
            assert_eq!(step_hash(p, "sent"), sent[&seq], "sent tx of {seq}");
            assert_eq!(step_hash(p, "received"), recv[&seq], "recv tx of {seq}");
            assert_eq!(step_hash(p, "acknowledged"), acked[&seq], "ack tx of {seq}");
        }
    }
    let q = format!(
        r#"{{ packets(filter: {{receiver: "{}"}}, first: 100) {{ items {{ sequence app {{ receiver amount }} }} }} }}"#,
        USER2.address
    );
    let by_receiver = graphql::query(port, &q)["packets"]["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(by_receiver, 50, "packets to {}", USER2.address);

    // B stopped: what is pending on A, read from the ledger, is what the CLI prints.
    b.stop().unwrap();
    home.run_ok(Transfer::new(a.chain_id(), "stake", 4).per_tx(1).args());
    let (api_pending, _) = probe::wait_for("4 packets pending", Duration::from_secs(60), || {
        let p = pending_sequences(port, a.chain_id());
        (p.len() == 4).then(|| p.clone()).ok_or(format!("{p:?}"))
    });
    assert!(daemon.stop(Duration::from_secs(15)).success());
    b.restart().unwrap();
    let printed = home.run_ok([
        "query",
        "packet",
        "pending",
        "--chain",
        a.chain_id(),
        "--port",
        "transfer",
        "--channel",
        "channel-0",
        "--json",
    ]);
    let json: Value =
        serde_json::from_str(printed.trim()).unwrap_or_else(|e| panic!("{e}: {printed}"));
    let a_to_b = json
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["from"].as_str().unwrap().starts_with(a.chain_id()))
        .unwrap();
    let cli: Vec<u64> = a_to_b["unreceived"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    assert_eq!(api_pending, cli, "pendingPackets vs query packet pending");

    // A subscription sees sent → received → acknowledged of a new transfer.
    let mut daemon = home.start_daemon();
    probe::wait_for("the API answers again", Duration::from_secs(60), || {
        graphql::try_query(port, "{ chains { id } }").map(|_| ())
    });
    probe::wait_for("the 4 pending relayed", Duration::from_secs(120), || {
        let left = probe::commitments(&a, "transfer", "channel-0");
        (left == 0)
            .then_some(())
            .ok_or(format!("{left} commitments left"))
    });
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ((kinds, step_at), chain_at) = std::thread::scope(|s| {
        let sub = s.spawn(|| rt.block_on(subscription(port, &home, a.chain_id())));
        // Sequence 55 (after 50 + 4): when the chain shows its ack (commitment gone).
        let (at, _) = probe::wait_for(
            "the ack of sequence 55 on chain",
            Duration::from_secs(120),
            || {
                let sent = probe::next_sequence(&a, "send", "transfer", "channel-0") > 55;
                let acked = sent && !probe::has_commitment(&a, "transfer", "channel-0", 55);
                acked.then(Instant::now).ok_or("not yet".to_string())
            },
        );
        (sub.join().unwrap(), at)
    });
    let late = step_at.saturating_duration_since(chain_at);
    assert_eq!(kinds, ["sent", "received", "acknowledged"]);
    assert!(
        late <= Duration::from_secs(5),
        "the acknowledged step came {late:?} after the ack was on chain"
    );
    assert!(daemon.stop(Duration::from_secs(15)).success());
}

/// Subscribes to the packet steps of `chain`, sends one transfer, and returns the step
/// kinds of its packet and when its acknowledged step arrived.
async fn subscription(port: u16, home: &RelayerHome, chain: &str) -> (Vec<String>, Instant) {
    let mut req = format!("ws://127.0.0.1:{port}/graphql")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let connect = tokio_tungstenite::connect_async(req);
    let (mut ws, _) = tokio::time::timeout(Duration::from_secs(10), connect)
        .await
        .unwrap()
        .unwrap();
    ws.send(Message::Text(
        r#"{"type":"connection_init","payload":{}}"#.into(),
    ))
    .await
    .unwrap();
    assert_eq!(next(&mut ws).await["type"], "connection_ack");
    let sub = format!(
        r#"{{"type":"subscribe","id":"s","payload":{{"query":"subscription {{ packetSteps(chain: \"{chain}\") {{ packet {{ sequence }} step {{ kind }} }} }}"}}}}"#
    );
    ws.send(Message::Text(sub)).await.unwrap();
    let args = Transfer::new(chain, "stake", 1).args();
    // Blocks this thread a moment: the socket buffers the steps meanwhile.
    home.run_ok(args);
    let mut kinds = Vec::new();
    loop {
        let m = next(&mut ws).await;
        assert_eq!(m["type"], "next", "{m}");
        let e = &m["payload"]["data"]["packetSteps"];
        if e["packet"]["sequence"].as_u64() != Some(55) {
            continue;
        }
        let kind = e["step"]["kind"].as_str().unwrap().to_string();
        kinds.push(kind.clone());
        if kind == "acknowledged" {
            return (kinds, Instant::now());
        }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next message of `ws` (within 60 s), as JSON.
async fn next(ws: &mut Socket) -> Value {
    let m = tokio::time::timeout(Duration::from_secs(60), ws.next())
        .await
        .expect("a message within 60 s");
    match m.expect("open").expect("readable") {
        Message::Text(t) => serde_json::from_str(&t).unwrap(),
        other => panic!("unexpected {other:?}"),
    }
}
