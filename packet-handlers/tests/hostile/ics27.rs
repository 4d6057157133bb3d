//! ICS-27: packet data and its CosmosTx, channel version metadata, host acknowledgements
//! (TxMsgData) and their pairing with the messages.

use base64::Engine;
use ibc_proto::google::protobuf::Any;
use proptest::collection::vec;
use proptest::prelude::*;
use prost::Message;
use stateset_packet_handlers::ack::Acknowledgement;
use stateset_packet_handlers::ics27::{
    outcomes, IcaAck, InterchainAccountPacketData, Metadata, TYPE_EXECUTE_TX, VERSION,
};

use crate::support::{config, hostile, hostile_text, mutated};

/// Any `Any`: a type URL and value bytes.
fn any_msg() -> impl Strategy<Value = Any> {
    (
        prop_oneof![
            "/[a-z]{1,8}(\\.[a-z0-9]{1,8}){0,3}\\.Msg[A-Z][a-z]{0,8}",
            any::<String>()
        ],
        vec(any::<u8>(), 0..48),
    )
        .prop_map(|(type_url, value)| Any { type_url, value })
}

fn packet_data() -> impl Strategy<Value = InterchainAccountPacketData> {
    (vec(any_msg(), 0..5), any::<String>())
        .prop_map(|(msgs, memo)| InterchainAccountPacketData::execute(msgs, &memo))
}

fn valid_packet_data() -> impl Strategy<Value = Vec<u8>> {
    packet_data().prop_map(|d| d.encode())
}

fn metadata() -> impl Strategy<Value = Metadata> {
    (
        any::<String>(),
        any::<String>(),
        any::<String>(),
        any::<String>(),
        any::<String>(),
    )
        .prop_map(|(controller, host, address, encoding, tx_type)| Metadata {
            version: VERSION.into(),
            controller_connection_id: controller,
            host_connection_id: host,
            address,
            encoding,
            tx_type,
        })
}

fn ica_ack() -> impl Strategy<Value = IcaAck> {
    prop_oneof![
        vec(any_msg(), 0..5).prop_map(IcaAck::Executed),
        any::<String>().prop_map(IcaAck::Failed),
    ]
}

fn valid_ica_ack() -> impl Strategy<Value = Vec<u8>> {
    ica_ack().prop_map(|a| a.encode())
}

/// A success envelope around TxMsgData bytes that are random or edited.
fn hostile_tx_msg_data_ack() -> impl Strategy<Value = Vec<u8>> {
    let valid = vec(any_msg(), 0..4).prop_map(|msg_responses| {
        // TxMsgData: field 2, repeated Any.
        let mut bytes = Vec::new();
        for m in msg_responses {
            prost::encoding::message::encode(2, &m, &mut bytes);
        }
        bytes
    });
    prop_oneof![vec(any::<u8>(), 0..128), mutated(valid)]
        .prop_map(|payload| Acknowledgement::Result(payload).encode())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn packet_data_round_trips_with_its_messages(msgs in vec(any_msg(), 0..5), memo in any::<String>()) {
        let data = InterchainAccountPacketData::execute(msgs.clone(), &memo);
        let decoded = InterchainAccountPacketData::decode(&data.encode());
        prop_assert_eq!(decoded.as_ref(), Ok(&data));
        prop_assert_eq!(data.kind.as_str(), TYPE_EXECUTE_TX);
        prop_assert_eq!(data.messages(), Ok(msgs.clone()));
        let types: Vec<String> = msgs.into_iter().map(|m| m.type_url).collect();
        prop_assert_eq!(data.message_types(), Ok(types));
    }

    #[test]
    fn hostile_packet_data_never_panics(bytes in hostile(valid_packet_data())) {
        if let Ok(data) = InterchainAccountPacketData::decode(&bytes) {
            prop_assert_eq!(InterchainAccountPacketData::decode(&data.encode()), Ok(data.clone()));
            // The CosmosTx inside is as hostile as the rest.
            if let Ok(msgs) = data.messages() {
                prop_assert_eq!(data.message_types().map(|t| t.len()), Ok(msgs.len()));
            }
        }
    }

    #[test]
    fn hostile_cosmos_txs_never_panic(
        data in prop_oneof![
            vec(any::<u8>(), 0..128),
            mutated(vec(any_msg(), 1..4).prop_map(|m| ibc_proto::ibc::applications::interchain_accounts::v1::CosmosTx { messages: m }.encode_to_vec())),
        ],
        memo in any::<String>(),
    ) {
        let packet = InterchainAccountPacketData { kind: TYPE_EXECUTE_TX.into(), data: data.clone(), memo };
        match packet.messages() {
            Ok(msgs) => prop_assert_eq!(packet.message_types().map(|t| t.len()), Ok(msgs.len())),
            Err(_) => prop_assert!(packet.message_types().is_err()),
        }
        // The packet data carries any bytes, in base64.
        let json = String::from_utf8(packet.encode()).unwrap_or_default();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
        prop_assert!(json.contains(&b64));
    }

    #[test]
    fn metadata_round_trips(m in metadata()) {
        prop_assert_eq!(Metadata::parse(&m.encode()), Some(m));
    }

    #[test]
    fn hostile_versions_never_panic(v in hostile_text(metadata().prop_map(|m| m.encode().into_bytes()))) {
        if let Some(m) = Metadata::parse(&v) {
            prop_assert_eq!(m.version.as_str(), VERSION);
            prop_assert_eq!(Metadata::parse(&m.encode()), Some(m));
        }
    }

    #[test]
    fn host_acks_round_trip(ack in ica_ack()) {
        prop_assert_eq!(IcaAck::decode(&ack.encode()), Ok(ack));
    }

    #[test]
    fn hostile_host_acks_never_panic(bytes in prop_oneof![hostile(valid_ica_ack()), hostile_tx_msg_data_ack()]) {
        if let Ok(ack) = IcaAck::decode(&bytes) {
            prop_assert_eq!(IcaAck::decode(&ack.encode()), Ok(ack));
        }
    }

    #[test]
    fn outcomes_pair_every_message(
        data in prop_oneof![valid_packet_data(), hostile(valid_packet_data())],
        ack in prop_oneof![valid_ica_ack(), hostile(valid_ica_ack()), hostile_tx_msg_data_ack()],
    ) {
        let Ok(out) = outcomes(&data, &ack) else { return Ok(()) };
        let types = InterchainAccountPacketData::decode(&data).and_then(|d| d.message_types());
        prop_assert_eq!(Ok(out.len()), types.map(|t| t.len()));
        let failed = matches!(IcaAck::decode(&ack), Ok(IcaAck::Failed(_)));
        let result = if failed { "error" } else { "success" };
        prop_assert!(out.iter().all(|o| o.result.as_label() == result && o.result.is_success() != failed));
    }
}
