use base64::Engine;

use super::*;

mod errors_and_wire;

type Attrs = Vec<(String, String)>;

fn attrs(pairs: &[(&str, &str)]) -> Attrs {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The same attributes as a CometBFT 0.34 chain reports them: key and value base64.
fn b64(attributes: &Attrs) -> Attrs {
    let e = base64::engine::general_purpose::STANDARD;
    attributes
        .iter()
        .map(|(k, v)| (e.encode(k), e.encode(v)))
        .collect()
}

fn port(s: &str) -> PortId {
    s.parse().unwrap()
}

fn client(s: &str) -> ClientId {
    s.parse().unwrap()
}

/// Parses the event plain and base64-encoded, checks both agree and `kind_str`.
fn parse(kind: &str, attributes: &Attrs) -> IbcEvent {
    let plain = parse_ibc_event(kind, attributes).unwrap().unwrap();
    assert_eq!(plain.kind_str(), kind);
    let encoded = parse_ibc_event(kind, &b64(attributes)).unwrap().unwrap();
    assert_eq!(plain, encoded, "base64 attributes of {kind}");
    plain
}

#[test]
fn create_client() {
    let a = attrs(&[
        ("client_id", "07-tendermint-0"),
        ("client_type", "07-tendermint"),
        ("consensus_height", "1-10"),
        ("msg_index", "0"),
    ]);
    assert_eq!(
        parse("create_client", &a),
        IbcEvent::CreateClient {
            client_id: client("07-tendermint-0"),
            client_type: "07-tendermint".into(),
            consensus_height: Height::new(1, 10),
        }
    );
}

#[test]
fn update_client() {
    let v8 = attrs(&[
        ("client_id", "07-tendermint-0"),
        ("client_type", "07-tendermint"),
        ("consensus_height", "1-20"),
        ("consensus_heights", "1-20,1-21"),
        ("header", "0a262f6962632e6c69676874636c69656e7473"),
        ("msg_index", "0"),
    ]);
    let want = |heights: Vec<Height>| IbcEvent::UpdateClient {
        client_id: client("07-tendermint-0"),
        client_type: "07-tendermint".into(),
        consensus_heights: heights,
    };
    assert_eq!(
        parse("update_client", &v8),
        want(vec![Height::new(1, 20), Height::new(1, 21)])
    );
    // Only the deprecated single height (older ibc-go).
    let old: Attrs = v8
        .iter()
        .filter(|(k, _)| k != "consensus_heights")
        .cloned()
        .collect();
    assert_eq!(parse("update_client", &old), want(vec![Height::new(1, 20)]));
}

#[test]
fn client_misbehaviour() {
    let a = attrs(&[
        ("client_id", "07-tendermint-3"),
        ("client_type", "07-tendermint"),
    ]);
    assert_eq!(
        parse("client_misbehaviour", &a),
        IbcEvent::ClientMisbehaviour {
            client_id: client("07-tendermint-3"),
            client_type: "07-tendermint".into(),
        }
    );
}

#[test]
fn connection_events() {
    let init = attrs(&[
        ("connection_id", "connection-0"),
        ("client_id", "07-tendermint-0"),
        ("counterparty_client_id", "07-tendermint-1"),
        ("msg_index", "0"),
    ]);
    let want = |cp: Option<u64>| ConnectionAttributes {
        connection_id: ConnectionId::new(0),
        client_id: client("07-tendermint-0"),
        counterparty_client_id: client("07-tendermint-1"),
        counterparty_connection_id: cp.map(ConnectionId::new),
    };
    assert_eq!(
        parse("connection_open_init", &init),
        IbcEvent::OpenInitConnection(want(None))
    );
    let mut later = init.clone();
    later.push(("counterparty_connection_id".into(), "connection-4".into()));
    assert_eq!(
        parse("connection_open_try", &later),
        IbcEvent::OpenTryConnection(want(Some(4)))
    );
    assert_eq!(
        parse("connection_open_ack", &later),
        IbcEvent::OpenAckConnection(want(Some(4)))
    );
    assert_eq!(
        parse("connection_open_confirm", &later),
        IbcEvent::OpenConfirmConnection(want(Some(4)))
    );
    // An empty counterparty connection is none.
    let mut empty = init;
    empty.push(("counterparty_connection_id".into(), String::new()));
    assert_eq!(
        parse("connection_open_init", &empty),
        IbcEvent::OpenInitConnection(want(None))
    );
}

fn channel_attrs(counterparty: bool, version: bool) -> Attrs {
    let mut a = attrs(&[
        ("port_id", "transfer"),
        ("channel_id", "channel-0"),
        ("counterparty_port_id", "transfer"),
    ]);
    if counterparty {
        a.push(("counterparty_channel_id".into(), "channel-7".into()));
    }
    a.push(("connection_id".into(), "connection-0".into()));
    if version {
        a.push(("version".into(), "ics20-1".into()));
    }
    a.push(("msg_index".into(), "0".into()));
    a
}

fn want_channel(counterparty: bool, version: bool) -> ChannelAttributes {
    ChannelAttributes {
        port_id: port("transfer"),
        channel_id: ChannelId::new(0),
        counterparty_port_id: port("transfer"),
        counterparty_channel_id: counterparty.then(|| ChannelId::new(7)),
        connection_id: ConnectionId::new(0),
        version: version.then(|| "ics20-1".to_string()),
    }
}

#[test]
fn channel_events() {
    assert_eq!(
        parse("channel_open_init", &channel_attrs(false, true)),
        IbcEvent::OpenInitChannel(want_channel(false, true))
    );
    assert_eq!(
        parse("channel_open_try", &channel_attrs(true, true)),
        IbcEvent::OpenTryChannel(want_channel(true, true))
    );
    let a = channel_attrs(true, false);
    let w = want_channel(true, false);
    assert_eq!(
        parse("channel_open_ack", &a),
        IbcEvent::OpenAckChannel(w.clone())
    );
    assert_eq!(
        parse("channel_open_confirm", &a),
        IbcEvent::OpenConfirmChannel(w.clone())
    );
    assert_eq!(
        parse("channel_close_init", &a),
        IbcEvent::CloseInitChannel(w.clone())
    );
    assert_eq!(
        parse("channel_close_confirm", &a),
        IbcEvent::CloseConfirmChannel(w.clone())
    );
    // Emitted when a timeout closes an ordered channel.
    let mut closed = a;
    closed.push(("packet_channel_ordering".into(), "ORDER_ORDERED".into()));
    let event = parse("channel_close", &closed);
    assert_eq!(event, IbcEvent::ChannelClosed(w));
    assert_eq!(
        event.channel_key(),
        Some((port("transfer"), ChannelId::new(0)))
    );
}

/// A `send_packet` as ibc-go v8 emits it (data `{"amount":"1"}`).
fn packet_attrs() -> Attrs {
    attrs(&[
        ("packet_data", "{\"amount\":\"1\"}"),
        ("packet_data_hex", "7b22616d6f756e74223a2231227d"),
        ("packet_timeout_height", "1-1000"),
        ("packet_timeout_timestamp", "1700000000000000000"),
        ("packet_sequence", "12"),
        ("packet_src_port", "transfer"),
        ("packet_src_channel", "channel-0"),
        ("packet_dst_port", "transfer"),
        ("packet_dst_channel", "channel-7"),
        ("packet_channel_ordering", "ORDER_UNORDERED"),
        ("packet_connection", "connection-0"),
        ("connection_id", "connection-0"),
        ("msg_index", "0"),
    ])
}

fn want_packet() -> Packet {
    Packet {
        sequence: 12,
        source_port: port("transfer"),
        source_channel: ChannelId::new(0),
        destination_port: port("transfer"),
        destination_channel: ChannelId::new(7),
        data: br#"{"amount":"1"}"#.to_vec(),
        timeout_height: Height::new(1, 1000),
        timeout_timestamp: 1_700_000_000_000_000_000,
        ordering: Some(Ordering::Unordered),
    }
}

#[test]
fn packet_events() {
    let send = parse("send_packet", &packet_attrs());
    assert_eq!(send, IbcEvent::SendPacket(want_packet()));
    assert_eq!(send.packet(), Some(&want_packet()));
    assert_eq!(
        send.channel_key(),
        Some((port("transfer"), ChannelId::new(0)))
    );
    assert_eq!(
        parse("recv_packet", &packet_attrs()),
        IbcEvent::RecvPacket(want_packet())
    );
    let mut ack = packet_attrs();
    ack.push(("packet_ack".into(), "{\"result\":\"AQ==\"}".into()));
    ack.push((
        "packet_ack_hex".into(),
        "7b22726573756c74223a2241513d3d227d".into(),
    ));
    let event = parse("write_acknowledgement", &ack);
    assert_eq!(
        event,
        IbcEvent::WriteAcknowledgement {
            packet: want_packet(),
            ack: br#"{"result":"AQ=="}"#.to_vec(),
        }
    );
    assert_eq!(event.packet_header(), Some(want_packet().header()));
}

#[test]
fn acknowledge_and_timeout_events() {
    let mut a = packet_attrs();
    a.retain(|(k, _)| k != "packet_data" && k != "packet_data_hex");
    let header = want_packet().header();
    let acked = parse("acknowledge_packet", &a);
    assert_eq!(acked, IbcEvent::AcknowledgePacket(header.clone()));
    assert_eq!(acked.packet(), None);
    assert_eq!(
        acked.channel_key(),
        Some((port("transfer"), ChannelId::new(0)))
    );
    a.retain(|(k, _)| k != "packet_connection");
    assert_eq!(
        parse("timeout_packet", &a),
        IbcEvent::TimeoutPacket(header.clone())
    );
    assert_eq!(
        parse("timeout_on_close_packet", &a),
        IbcEvent::TimeoutOnClose(header)
    );
}

#[test]
fn hex_bytes_win_and_the_deprecated_strings_are_a_fallback() {
    let mut a = packet_attrs();
    for (k, v) in a.iter_mut() {
        if k == "packet_data_hex" {
            *v = "ff00".into();
        }
    }
    let IbcEvent::SendPacket(p) = parse("send_packet", &a) else {
        panic!("not a send_packet");
    };
    assert_eq!(p.data, [0xff, 0x00]);
    a.retain(|(k, _)| k != "packet_data_hex");
    let IbcEvent::SendPacket(p) = parse("send_packet", &a) else {
        panic!("not a send_packet");
    };
    assert_eq!(p.data, br#"{"amount":"1"}"#);
}

#[test]
fn no_timeout_height_is_zero() {
    let mut a = packet_attrs();
    for (k, v) in a.iter_mut() {
        if k == "packet_timeout_height" {
            *v = "0-0".into();
        }
    }
    let event = parse("send_packet", &a);
    assert!(event.packet().unwrap().timeout_height.is_zero());
}
