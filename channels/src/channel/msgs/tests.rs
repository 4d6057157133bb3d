use super::*;

fn port(s: &str) -> PortId {
    s.parse().unwrap()
}

fn h(rev: u64, height: u64) -> Option<ibc_proto::ibc::core::client::v1::Height> {
    Some(Height::new(rev, height).into())
}

#[test]
fn open_init() {
    let msg = build_chan_open_init(ChanOpenInitInput {
        port_id: port("transfer"),
        counterparty_port_id: port("transfer"),
        connection_id: ConnectionId::new(0),
        ordering: Ordering::Unordered,
        version: "ics20-1".into(),
        signer: "cosmos1relayer".into(),
    });
    assert_eq!(msg.port_id, "transfer");
    assert_eq!(msg.signer, "cosmos1relayer");
    let ch = msg.channel.unwrap();
    assert_eq!(ch.state, State::Init as i32);
    assert_eq!(ch.ordering, 1);
    let cp = ch.counterparty.unwrap();
    assert_eq!(cp.port_id, "transfer");
    assert_eq!(cp.channel_id, "");
    assert_eq!(ch.connection_hops, ["connection-0"]);
    assert_eq!(ch.version, "ics20-1");
    assert_eq!(ch.upgrade_sequence, 0);
}

#[test]
#[allow(deprecated)]
fn open_try() {
    let msg = build_chan_open_try(ChanOpenTryInput {
        port_id: port("icahost"),
        counterparty_port_id: port("icacontroller-cosmos1abc"),
        counterparty_channel_id: ChannelId::new(4),
        connection_id: ConnectionId::new(2),
        ordering: Ordering::Ordered,
        counterparty_version: "{\"version\":\"ics27-1\"}".into(),
        proof_init: vec![1, 2],
        proof_height: Height::new(1, 300),
        signer: "cosmos1relayer".into(),
    });
    assert_eq!(msg.port_id, "icahost");
    assert_eq!(msg.previous_channel_id, "");
    assert_eq!(msg.counterparty_version, "{\"version\":\"ics27-1\"}");
    assert_eq!(msg.proof_init, [1, 2]);
    assert_eq!(msg.proof_height, h(1, 300));
    assert_eq!(msg.signer, "cosmos1relayer");
    let ch = msg.channel.unwrap();
    assert_eq!(ch.state, State::Tryopen as i32);
    assert_eq!(ch.ordering, 2);
    let cp = ch.counterparty.unwrap();
    assert_eq!(cp.port_id, "icacontroller-cosmos1abc");
    assert_eq!(cp.channel_id, "channel-4");
    assert_eq!(ch.connection_hops, ["connection-2"]);
    assert_eq!(ch.version, "{\"version\":\"ics27-1\"}");
    assert_eq!(ch.upgrade_sequence, 0);
}

#[test]
fn open_ack() {
    let msg = build_chan_open_ack(ChanOpenAckInput {
        port_id: port("transfer"),
        channel_id: ChannelId::new(4),
        counterparty_channel_id: ChannelId::new(9),
        counterparty_version: "ics20-1".into(),
        proof_try: vec![3],
        proof_height: Height::new(0, 12),
        signer: "cosmos1relayer".into(),
    });
    assert_eq!(msg.port_id, "transfer");
    assert_eq!(msg.channel_id, "channel-4");
    assert_eq!(msg.counterparty_channel_id, "channel-9");
    assert_eq!(msg.counterparty_version, "ics20-1");
    assert_eq!(msg.proof_try, [3]);
    assert_eq!(msg.proof_height, h(0, 12));
    assert_eq!(msg.signer, "cosmos1relayer");
}

#[test]
fn open_confirm() {
    let msg = build_chan_open_confirm(ChanOpenConfirmInput {
        port_id: port("transfer"),
        channel_id: ChannelId::new(9),
        proof_ack: vec![4],
        proof_height: Height::new(2, 8),
        signer: "cosmos1relayer".into(),
    });
    assert_eq!(msg.port_id, "transfer");
    assert_eq!(msg.channel_id, "channel-9");
    assert_eq!(msg.proof_ack, [4]);
    assert_eq!(msg.proof_height, h(2, 8));
    assert_eq!(msg.signer, "cosmos1relayer");
}

#[test]
fn close_init() {
    let msg = build_chan_close_init(&port("transfer"), &ChannelId::new(1), "cosmos1x".into());
    assert_eq!(msg.port_id, "transfer");
    assert_eq!(msg.channel_id, "channel-1");
    assert_eq!(msg.signer, "cosmos1x");
}

#[test]
fn close_confirm() {
    let msg = build_chan_close_confirm(ChanCloseConfirmInput {
        port_id: port("transfer"),
        channel_id: ChannelId::new(9),
        proof_init: vec![5],
        proof_height: Height::new(1, 9),
        signer: "cosmos1relayer".into(),
    });
    assert_eq!(msg.port_id, "transfer");
    assert_eq!(msg.channel_id, "channel-9");
    assert_eq!(msg.proof_init, [5]);
    assert_eq!(msg.proof_height, h(1, 9));
    assert_eq!(msg.signer, "cosmos1relayer");
    assert_eq!(msg.counterparty_upgrade_sequence, 0);
}
