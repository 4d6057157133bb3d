use super::*;

fn client(s: &str) -> ClientId {
    s.parse().unwrap()
}

fn any() -> Any {
    Any {
        type_url: "/ibc.lightclients.tendermint.v1.ClientState".into(),
        value: vec![1, 2, 3],
    }
}

fn h(rev: u64, height: u64) -> Option<ibc_proto::ibc::core::client::v1::Height> {
    Some(Height::new(rev, height).into())
}

#[test]
fn the_default_version_is_ibc_gos() {
    let v = default_version();
    assert_eq!(v.identifier, "1");
    assert_eq!(v.features, ["ORDER_ORDERED", "ORDER_UNORDERED"]);
}

#[test]
fn open_init() {
    let msg = build_conn_open_init(ConnOpenInitInput {
        client_id: client("07-tendermint-0"),
        counterparty_client_id: client("07-tendermint-1"),
        counterparty_prefix: b"ibc".to_vec(),
        delay_period_ns: 30_000_000_000,
        signer: "cosmos1relayer".into(),
    });
    assert_eq!(msg.client_id, "07-tendermint-0");
    let cp = msg.counterparty.unwrap();
    assert_eq!(cp.client_id, "07-tendermint-1");
    assert_eq!(cp.connection_id, "");
    assert_eq!(cp.prefix.unwrap().key_prefix, b"ibc");
    assert_eq!(msg.version, Some(default_version()));
    assert_eq!(msg.delay_period, 30_000_000_000);
    assert_eq!(msg.signer, "cosmos1relayer");
}

#[test]
#[allow(deprecated)]
fn open_try() {
    let msg = build_conn_open_try(ConnOpenTryInput {
        client_id: client("07-tendermint-1"),
        counterparty_client_id: client("07-tendermint-0"),
        counterparty_connection_id: ConnectionId::new(3),
        counterparty_prefix: b"ibc".to_vec(),
        delay_period_ns: 0,
        client_state: any(),
        proof_init: vec![10],
        proof_client: vec![11],
        proof_consensus: vec![12],
        proof_height: Height::new(1, 100),
        consensus_height: Height::new(2, 90),
        signer: "cosmos1relayer".into(),
    });
    assert_eq!(msg.client_id, "07-tendermint-1");
    assert_eq!(msg.previous_connection_id, "");
    assert_eq!(msg.client_state, Some(any()));
    let cp = msg.counterparty.unwrap();
    assert_eq!(cp.client_id, "07-tendermint-0");
    assert_eq!(cp.connection_id, "connection-3");
    assert_eq!(cp.prefix.unwrap().key_prefix, b"ibc");
    assert_eq!(msg.delay_period, 0);
    assert_eq!(msg.counterparty_versions, [default_version()]);
    assert_eq!(msg.proof_height, h(1, 100));
    assert_eq!(msg.proof_init, [10]);
    assert_eq!(msg.proof_client, [11]);
    assert_eq!(msg.proof_consensus, [12]);
    assert_eq!(msg.consensus_height, h(2, 90));
    assert_eq!(msg.signer, "cosmos1relayer");
    assert!(msg.host_consensus_state_proof.is_empty());
}

#[test]
fn open_ack() {
    let version = Version {
        identifier: "1".into(),
        features: vec!["ORDER_UNORDERED".into()],
    };
    let msg = build_conn_open_ack(ConnOpenAckInput {
        connection_id: ConnectionId::new(3),
        counterparty_connection_id: ConnectionId::new(8),
        version: version.clone(),
        client_state: any(),
        proof_try: vec![20],
        proof_client: vec![21],
        proof_consensus: vec![22],
        proof_height: Height::new(0, 55),
        consensus_height: Height::new(1, 50),
        signer: "cosmos1relayer".into(),
    });
    assert_eq!(msg.connection_id, "connection-3");
    assert_eq!(msg.counterparty_connection_id, "connection-8");
    assert_eq!(msg.version, Some(version));
    assert_eq!(msg.client_state, Some(any()));
    assert_eq!(msg.proof_height, h(0, 55));
    assert_eq!(msg.proof_try, [20]);
    assert_eq!(msg.proof_client, [21]);
    assert_eq!(msg.proof_consensus, [22]);
    assert_eq!(msg.consensus_height, h(1, 50));
    assert_eq!(msg.signer, "cosmos1relayer");
    assert!(msg.host_consensus_state_proof.is_empty());
}

#[test]
fn open_confirm() {
    let msg = build_conn_open_confirm(ConnOpenConfirmInput {
        connection_id: ConnectionId::new(8),
        proof_ack: vec![30],
        proof_height: Height::new(1, 77),
        signer: "cosmos1relayer".into(),
    });
    assert_eq!(msg.connection_id, "connection-8");
    assert_eq!(msg.proof_ack, [30]);
    assert_eq!(msg.proof_height, h(1, 77));
    assert_eq!(msg.signer, "cosmos1relayer");
}
