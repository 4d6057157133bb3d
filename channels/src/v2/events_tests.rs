//! IBC v2 packet events → the classic packet variants, the v2 packet carried.

use base64::Engine;

use super::*;
use crate::events::parse_ibc_event;
use crate::ids::{Height, PortId};
use crate::state::Ordering;
use crate::v2::channel::{Acknowledgement, Payload};

type Attributes = Vec<(String, String)>;

/// A change to a packet.
type Change = fn(&mut channel::Packet);

/// An ICS-20 transfer as ibc-go v10 sends it over IBC v2 (JSON `FungibleTokenPacketData`).
fn ics20_packet() -> channel::Packet {
    channel::Packet {
        sequence: 42,
        source_client: "07-tendermint-0".into(),
        destination_client: "08-wasm-3".into(),
        timeout_timestamp: 1_760_003_600,
        payloads: vec![Payload {
            source_port: "transfer".into(),
            destination_port: "transfer".into(),
            version: "ics20-1".into(),
            encoding: "application/json".into(),
            value: br#"{"amount":"1000000","denom":"uatom","memo":"","receiver":"osmo1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5afv7ye","sender":"cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu"}"#.to_vec(),
        }],
    }
}

/// The ICS-20 success acknowledgement.
fn ics20_ack() -> Acknowledgement {
    Acknowledgement {
        app_acknowledgements: vec![br#"{"result":"AQ=="}"#.to_vec()],
    }
}

/// `packet` carried as the convention says, written out field by field.
fn carried(packet: &channel::Packet) -> Packet {
    let v2: PortId = "ibc-v2".parse().unwrap();
    Packet {
        sequence: packet.sequence,
        source_port: v2.clone(),
        source_channel: packet.source_client.parse().unwrap(),
        destination_port: v2,
        destination_channel: packet.destination_client.parse().unwrap(),
        data: packet.encode_to_vec(),
        timeout_height: Height::new(0, 0),
        timeout_timestamp: packet.timeout_timestamp * 1_000_000_000,
        ordering: Some(Ordering::Unordered),
    }
}

/// The attributes of a v2 packet event as ibc-go v10 writes them (plus `msg_index`).
fn packet_attrs(packet: &channel::Packet) -> Attributes {
    [
        (SOURCE_CLIENT, packet.source_client.clone()),
        (DEST_CLIENT, packet.destination_client.clone()),
        (SEQUENCE, packet.sequence.to_string()),
        (TIMEOUT, packet.timeout_timestamp.to_string()),
        (ENCODED_PACKET, hex::encode(packet.encode_to_vec())),
        ("msg_index", "0".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The attributes of a v2 `write_acknowledgement`.
fn ack_attrs(packet: &channel::Packet, ack: &Acknowledgement) -> Attributes {
    let mut a = packet_attrs(packet);
    a.insert(5, (ENCODED_ACK.into(), hex::encode(ack.encode_to_vec())));
    a
}

/// `a` with `key` set to `value`.
fn set(mut a: Attributes, key: &str, value: &str) -> Attributes {
    for (k, v) in a.iter_mut() {
        if k == key {
            *v = value.into();
        }
    }
    a
}

/// Parses the event plain and base64-encoded (CometBFT 0.34) and checks both agree.
fn parse(kind: &str, a: &Attributes) -> IbcEvent {
    let e = base64::engine::general_purpose::STANDARD;
    let plain = parse_ibc_event(kind, a).unwrap().unwrap();
    let b64: Attributes = a.iter().map(|(k, v)| (e.encode(k), e.encode(v))).collect();
    assert_eq!(
        parse_ibc_event(kind, &b64),
        Ok(Some(plain.clone())),
        "{kind}"
    );
    assert_eq!(plain.kind_str(), kind);
    plain
}

/// The attribute a malformed event's error names.
fn malformed(kind: &str, a: &Attributes) -> &'static str {
    match parse_ibc_event(kind, a) {
        Err(EventError::Malformed {
            kind: k, attribute, ..
        }) if k == kind => attribute,
        other => panic!("{kind}: {other:?}"),
    }
}

#[test]
fn packet_events_carry_the_v2_packet() {
    let packet = ics20_packet();
    let want = carried(&packet);
    let a = packet_attrs(&packet);
    let send = parse("send_packet", &a);
    assert_eq!(send, IbcEvent::SendPacket(want.clone()));
    assert_eq!(
        send.channel_key(),
        Some((
            "ibc-v2".parse().unwrap(),
            "07-tendermint-0".parse().unwrap()
        ))
    );
    assert_eq!(crate::v2::v2_packet(&want), Ok(packet));
    assert_eq!(parse("recv_packet", &a), IbcEvent::RecvPacket(want.clone()));
    assert_eq!(
        parse("acknowledge_packet", &a),
        IbcEvent::AcknowledgePacket(want.header())
    );
    assert_eq!(
        parse("timeout_packet", &a),
        IbcEvent::TimeoutPacket(want.header())
    );
}

#[test]
fn write_acknowledgement_carries_the_v2_packet_and_ack() {
    let packet = ics20_packet();
    let a = ack_attrs(&packet, &ics20_ack());
    let event = parse("write_acknowledgement", &a);
    let want_ack = ics20_ack().encode_to_vec();
    assert_eq!(
        event,
        IbcEvent::WriteAcknowledgement {
            packet: carried(&packet),
            ack: want_ack.clone(),
        }
    );
    assert_eq!(
        crate::v2::v2_ack_commitment(&want_ack),
        Ok(crate::v2::commit_acknowledgement(&ics20_ack()))
    );
}

#[test]
fn the_data_is_the_event_s_exact_bytes() {
    // An unknown field (15, varint 1) after the packet: decoded, ignored, kept in `data`.
    let packet = ics20_packet();
    let mut bytes = packet.encode_to_vec();
    bytes.extend([0x78, 0x01]);
    let a = set(packet_attrs(&packet), ENCODED_PACKET, &hex::encode(&bytes));
    let IbcEvent::SendPacket(p) = parse("send_packet", &a) else {
        panic!("not a send_packet");
    };
    assert_eq!(p.data, bytes);
    assert_eq!(crate::v2::v2_packet(&p), Ok(packet.clone()));
    let upper = set(a, ENCODED_PACKET, &hex::encode_upper(&bytes));
    assert_eq!(parse("send_packet", &upper), IbcEvent::SendPacket(p));
}

#[test]
fn the_timeout_saturates_in_nanoseconds() {
    let mut packet = ics20_packet();
    packet.timeout_timestamp = u64::MAX;
    let event = parse("recv_packet", &packet_attrs(&packet));
    assert_eq!(event.packet().unwrap().timeout_timestamp, u64::MAX);
}

#[test]
fn bad_encodings_are_malformed() {
    let a = packet_attrs(&ics20_packet());
    for kind in PACKET_KINDS {
        for bad in ["zz", "0", "ff", "0a", "78"] {
            let a = set(a.clone(), ENCODED_PACKET, bad);
            assert_eq!(malformed(kind, &a), ENCODED_PACKET, "{kind} {bad}");
        }
    }
    let ack = ack_attrs(&ics20_packet(), &ics20_ack());
    for bad in ["zz", "abc", "0a05"] {
        let a = set(ack.clone(), ENCODED_ACK, bad);
        assert_eq!(malformed("write_acknowledgement", &a), ENCODED_ACK, "{bad}");
    }
}

#[test]
fn attributes_that_disagree_with_the_encoded_packet_are_malformed() {
    let a = packet_attrs(&ics20_packet());
    for (key, value) in [
        (SOURCE_CLIENT, "07-tendermint-1"),
        (DEST_CLIENT, "07-tendermint-0"),
        (SEQUENCE, "43"),
        (SEQUENCE, "0"),
        (TIMEOUT, "1760003600000000000"),
        (TIMEOUT, "0"),
    ] {
        for kind in PACKET_KINDS {
            assert_eq!(malformed(kind, &set(a.clone(), key, value)), key, "{value}");
        }
    }
}

#[test]
fn invalid_packets_are_malformed_even_when_consistent() {
    let with = |change: Change| {
        let mut p = ics20_packet();
        change(&mut p);
        packet_attrs(&p)
    };
    let cases: [(Change, &str); 5] = [
        (|p| p.source_client = "client/0".into(), SOURCE_CLIENT),
        (|p| p.destination_client = "08-wasm".into(), DEST_CLIENT),
        (|p| p.destination_client = String::new(), DEST_CLIENT),
        (|p| p.sequence = 0, SEQUENCE),
        (|p| p.payloads.clear(), ENCODED_PACKET),
    ];
    for (change, key) in cases {
        for kind in PACKET_KINDS {
            assert_eq!(malformed(kind, &with(change)), key, "{kind}");
        }
    }
    for (key, value) in [(SEQUENCE, "-1"), (SEQUENCE, "x"), (TIMEOUT, "1.5")] {
        assert_eq!(
            malformed("send_packet", &set(with(|_| ()), key, value)),
            key
        );
    }
}

#[test]
fn missing_attributes_are_errors() {
    let full = ack_attrs(&ics20_packet(), &ics20_ack());
    for key in [SOURCE_CLIENT, DEST_CLIENT, SEQUENCE, TIMEOUT, ENCODED_ACK] {
        let mut a = full.clone();
        a.retain(|(k, _)| k != key);
        let err = parse_ibc_event("write_acknowledgement", &a).unwrap_err();
        assert!(
            matches!(err, EventError::Missing { attribute, .. } if attribute == key),
            "{key}: {err:?}"
        );
    }
    // `packet_source_client` alone makes it a v2 event, without its packet.
    let mut a = full;
    a.retain(|(k, _)| k != ENCODED_PACKET);
    let err = parse_ibc_event("send_packet", &a).unwrap_err();
    assert!(matches!(
        err,
        EventError::Missing {
            attribute: ENCODED_PACKET,
            ..
        }
    ));
}

#[test]
fn classic_events_are_unchanged() {
    let classic: Attributes = [
        ("packet_data_hex", "7b22616d6f756e74223a2231227d"),
        ("packet_timeout_height", "1-1000"),
        ("packet_timeout_timestamp", "1700000000000000000"),
        ("packet_sequence", "12"),
        ("packet_src_port", "transfer"),
        ("packet_src_channel", "channel-0"),
        ("packet_dst_port", "transfer"),
        ("packet_dst_channel", "channel-7"),
        ("packet_channel_ordering", "ORDER_UNORDERED"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let IbcEvent::SendPacket(p) = parse("send_packet", &classic) else {
        panic!("not a send_packet");
    };
    assert_eq!(p.source_port.as_str(), "transfer");
    assert_eq!(p.data, br#"{"amount":"1"}"#);
    assert_eq!(p.timeout_height, Height::new(1, 1000));
    // `timeout_on_close_packet` has no v2 form: v2 attributes are read as classic ones.
    let v2 = packet_attrs(&ics20_packet());
    assert!(matches!(
        parse_ibc_event("timeout_on_close_packet", &v2),
        Err(EventError::Missing {
            attribute: "packet_src_port",
            ..
        })
    ));
}
