use super::*;

fn msg_send_any() -> Any {
    Any {
        type_url: "/cosmos.bank.v1beta1.MsgSend".into(),
        value: vec![0x0a, 0x03, b'a', b'b', b'c'],
    }
}

#[test]
fn packet_data_round_trips_in_ibc_go_layout() {
    let data = InterchainAccountPacketData::execute(vec![msg_send_any()], "");
    let bytes = data.encode();
    let text = String::from_utf8(bytes.clone()).unwrap();
    // Sorted keys, every field present (proto JSON with defaults, then MustSortJSON).
    assert!(text.starts_with(r#"{"data":""#), "{text}");
    assert!(
        text.ends_with(r#"","memo":"","type":"TYPE_EXECUTE_TX"}"#),
        "{text}"
    );
    let back = InterchainAccountPacketData::decode(&bytes).unwrap();
    assert_eq!(back, data);
    assert_eq!(
        back.message_types().unwrap(),
        ["/cosmos.bank.v1beta1.MsgSend"]
    );
    assert!(InterchainAccountPacketData::decode(br#"{"amount":"1"}"#).is_err());
    let not_a_tx = InterchainAccountPacketData {
        kind: TYPE_EXECUTE_TX.into(),
        data: vec![0xff, 0xff],
        memo: String::new(),
    };
    assert!(not_a_tx.messages().is_err());
}

#[test]
fn version_metadata_matches_ibc_go() {
    let v = r#"{"version":"ics27-1","controller_connection_id":"connection-0","host_connection_id":"connection-0","address":"","encoding":"proto3","tx_type":"sdk_multi_msg"}"#;
    let m = Metadata::parse(v).expect("metadata");
    assert_eq!(m, Metadata::new("connection-0", "connection-0"));
    assert_eq!(m.encode(), v);
    assert!(Metadata::parse("ics20-1").is_none());
}

#[test]
fn acks_give_per_message_outcomes() {
    let data = InterchainAccountPacketData::execute(vec![msg_send_any(), msg_send_any()], "m");
    let ok = IcaAck::Executed(vec![
        Any {
            type_url: "/cosmos.bank.v1beta1.MsgSendResponse".into(),
            value: vec![],
        };
        2
    ]);
    let out = outcomes(&data.encode(), &ok.encode()).unwrap();
    assert_eq!(out.len(), 2);
    assert!(out
        .iter()
        .all(|o| o.msg_type == "/cosmos.bank.v1beta1.MsgSend"
            && o.result
                == MessageResult::Success {
                    response_type: "/cosmos.bank.v1beta1.MsgSendResponse".into()
                }));
    assert!(out
        .iter()
        .all(|o| o.result.is_success() && o.result.as_label() == "success"));
    assert_eq!(IcaAck::decode(&ok.encode()).unwrap(), ok);

    let err = br#"{"error":"ABCI code: 5: error handling packet: see events for details"}"#;
    let out = outcomes(&data.encode(), err).unwrap();
    assert!(out.iter().all(|o| !o.result.is_success()
        && o.result.as_label() == "error"
        && matches!(&o.result, MessageResult::Error { message } if message.starts_with("ABCI code: 5"))));
    assert_eq!(IcaAck::decode(err).unwrap().encode(), err.to_vec());
}

/// Captured from ibc-go v8.8 simd chains (e2e `ica_messages`): an ICA MsgSend of 40 stake.
const LIVE_PACKET_DATA: &str = r#"{"data":"Cp8BChwvY29zbW9zLmJhbmsudjFiZXRhMS5Nc2dTZW5kEn8KQWNvc21vczE4NzIwZmN1cnA2Nndtajh2eGM0dWp2NDZ3d3cyODZmcXhkcmc2bTZ1ZjR2aHNkdGhnaHNxM3lmaGFmEi1jb3Ntb3MxMzM0eng4dXE5dmdncWRqYXFkdHl0NHZnd2RrMmFhaDBhbnY5aG0aCwoFc3Rha2USAjQw","memo":"","type":"TYPE_EXECUTE_TX"}"#;
/// The host's acknowledgements of that packet and of a MsgSend it could not execute.
const LIVE_ACK_OK: &str =
    r#"{"result":"EiYKJC9jb3Ntb3MuYmFuay52MWJldGExLk1zZ1NlbmRSZXNwb25zZQ=="}"#;
const LIVE_ACK_ERR: &str =
    r#"{"error":"ABCI code: 5: error handling packet: see events for details"}"#;

#[test]
fn live_packet_data_and_acks_decode_and_reencode_byte_for_byte() {
    let data = InterchainAccountPacketData::decode(LIVE_PACKET_DATA.as_bytes()).unwrap();
    assert_eq!(data.encode(), LIVE_PACKET_DATA.as_bytes());
    assert_eq!(data.kind, TYPE_EXECUTE_TX);
    let msgs = data.messages().unwrap();
    assert_eq!(msgs.len(), 1);
    let send = ibc_proto::cosmos::bank::v1beta1::MsgSend::decode(msgs[0].value.as_slice()).unwrap();
    assert_eq!(send.amount[0].denom, "stake");
    assert_eq!(send.amount[0].amount, "40");
    assert!(send.from_address.starts_with("cosmos1") && send.from_address.len() == 65);

    let ok = IcaAck::decode(LIVE_ACK_OK.as_bytes()).unwrap();
    assert_eq!(ok.encode(), LIVE_ACK_OK.as_bytes());
    let IcaAck::Executed(responses) = &ok else {
        panic!("expected a success ack")
    };
    assert_eq!(
        responses[0].type_url,
        "/cosmos.bank.v1beta1.MsgSendResponse"
    );
    let err = IcaAck::decode(LIVE_ACK_ERR.as_bytes()).unwrap();
    assert_eq!(err.encode(), LIVE_ACK_ERR.as_bytes());

    let out = outcomes(LIVE_PACKET_DATA.as_bytes(), LIVE_ACK_OK.as_bytes()).unwrap();
    assert_eq!(out[0].msg_type, "/cosmos.bank.v1beta1.MsgSend");
    assert_eq!(out[0].result.as_label(), "success");
    let out = outcomes(LIVE_PACKET_DATA.as_bytes(), LIVE_ACK_ERR.as_bytes()).unwrap();
    assert_eq!(out[0].result.as_label(), "error");
}
