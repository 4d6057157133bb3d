//! Errors, non-IBC events, CometBFT event types and wire packets.

use super::*;

#[test]
fn missing_and_malformed_attributes_are_errors() {
    let mut a = packet_attrs();
    a.retain(|(k, _)| k != "packet_sequence");
    let err = parse_ibc_event("send_packet", &a).unwrap_err();
    assert_eq!(
        err,
        EventError::Missing {
            kind: "send_packet".into(),
            attribute: "packet_sequence",
        }
    );
    assert_eq!(
        err.to_string(),
        "`send_packet` event without the `packet_sequence` attribute"
    );
    let with = |key: &str, value: &str| {
        let mut a = packet_attrs();
        for (k, v) in a.iter_mut() {
            if k == key {
                *v = value.into();
            }
        }
        parse_ibc_event("recv_packet", &a).unwrap_err()
    };
    for (key, value) in [
        ("packet_sequence", "twelve"),
        ("packet_sequence", "-1"),
        ("packet_data_hex", "7g"),
        ("packet_data_hex", "+1"),
        ("packet_timeout_height", "1000"),
        ("packet_timeout_timestamp", "soon"),
        ("packet_src_channel", "channel/0"),
        ("packet_dst_port", "x"),
    ] {
        match with(key, value) {
            EventError::Malformed {
                kind, attribute, ..
            } => {
                assert_eq!(kind, "recv_packet");
                assert_eq!(attribute, key);
            }
            other => panic!("{key}={value}: {other:?}"),
        }
    }
    let err = parse_ibc_event(
        "update_client",
        &attrs(&[
            ("client_id", "07-tendermint-0"),
            ("client_type", "07-tendermint"),
            ("consensus_heights", "1-20,bad"),
        ]),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        EventError::Malformed {
            attribute: "consensus_heights",
            ..
        }
    ));
    let err = parse_ibc_event("connection_open_init", &attrs(&[("client_id", "x")]));
    assert!(matches!(
        err,
        Err(EventError::Missing {
            attribute: "connection_id",
            ..
        })
    ));
}

#[test]
fn other_events_are_none() {
    let a = attrs(&[("sender", "cosmos1abc"), ("module", "ibc_channel")]);
    for kind in [
        "transfer",
        "message",
        "coin_spent",
        "channel_upgrade_init",
        "tx",
    ] {
        assert_eq!(parse_ibc_event(kind, &a), Ok(None));
    }
}

#[test]
fn abci_events_plain_base64_and_bytes() {
    use tendermint::abci::{Event, EventAttribute};
    let a = packet_attrs();
    let plain = Event::new("send_packet", a.clone());
    let want = Some(IbcEvent::SendPacket(want_packet()));
    assert_eq!(parse_abci_event(&plain), Ok(want.clone()));
    let encoded = Event::new("send_packet", b64(&a));
    assert_eq!(parse_abci_event(&encoded), Ok(want.clone()));
    // 0.34 attributes already decoded to bytes.
    let bytes = Event {
        kind: "send_packet".into(),
        attributes: a
            .iter()
            .map(|(k, v)| {
                EventAttribute::V034(tendermint::abci::v0_34::EventAttribute {
                    key: k.as_bytes().to_vec(),
                    value: v.as_bytes().to_vec(),
                    index: true,
                })
            })
            .collect(),
    };
    assert_eq!(parse_abci_event(&bytes), Ok(want));
    let message = Event::new(
        "message",
        [("action", "/ibc.core.channel.v1.MsgRecvPacket")],
    );
    assert_eq!(parse_abci_event(&message), Ok(None));
}

#[test]
fn packets_convert_to_and_from_proto() {
    use ibc_proto::ibc::core::channel::v1::Packet as ProtoPacket;
    let proto = ProtoPacket::from(&want_packet());
    assert_eq!(proto.sequence, 12);
    assert_eq!(proto.source_port, "transfer");
    assert_eq!(proto.source_channel, "channel-0");
    assert_eq!(proto.destination_port, "transfer");
    assert_eq!(proto.destination_channel, "channel-7");
    assert_eq!(proto.data, br#"{"amount":"1"}"#);
    assert_eq!(proto.timeout_height, Some(Height::new(1, 1000).into()));
    assert_eq!(proto.timeout_timestamp, 1_700_000_000_000_000_000);
    let back = Packet::try_from(proto.clone()).unwrap();
    assert_eq!(
        back,
        Packet {
            ordering: None,
            ..want_packet()
        }
    );
    let no_height = ProtoPacket {
        timeout_height: None,
        ..proto.clone()
    };
    assert!(Packet::try_from(no_height)
        .unwrap()
        .timeout_height
        .is_zero());
    let bad = ProtoPacket {
        destination_channel: "c".into(),
        ..proto
    };
    assert!(matches!(Packet::try_from(bad), Err(IdError::Length { .. })));
}

#[test]
fn kinds_cover_every_variant() {
    for kind in KINDS {
        assert!(
            matches!(parse_ibc_event(kind, &[]), Err(EventError::Missing { .. })),
            "{kind}"
        );
    }
}
