//! Golden-byte tests: our prost encodings of fixed examples equal, byte for byte, what
//! ibc-go v10.7.0's own Go types encode (`gogoproto.Marshal`), and decoding those bytes gives
//! the examples back.
//!
//! The hex constants were printed by a throwaway Go program (kept, not built, as
//! `channels/tests/golden/ibc_go_v10_v2.go.txt`) run in a scratch module requiring
//! `github.com/cosmos/ibc-go/v10 v10.7.0` (`GOFLAGS=-mod=mod GOPROXY=off go run .`), which
//! builds the same examples with ibc-go's types and prints `hex(proto.Marshal(msg))` and
//! `"/" + proto.MessageName(msg)`.

use ibc_proto::ibc::core::client::v1::Height;
use prost::{Message, Name};

use super::channel::*;
use super::client::*;

const SIGNER: &str = "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu";

/// The example payload: an ICS-20 transfer, JSON-encoded.
pub(crate) fn example_payload() -> Payload {
    Payload {
        source_port: "transfer".into(),
        destination_port: "transfer".into(),
        version: "ics20-1".into(),
        encoding: "application/json".into(),
        value: br#"{"denom":"uatom","amount":"1000","sender":"a","receiver":"b","memo":""}"#
            .to_vec(),
    }
}

/// The example packet: sequence 300 (a two-byte varint), timeout 1760000000 s.
pub(crate) fn example_packet() -> Packet {
    Packet {
        sequence: 300,
        source_client: "07-tendermint-0".into(),
        destination_client: "07-tendermint-1".into(),
        timeout_timestamp: 1_760_000_000,
        payloads: vec![example_payload()],
    }
}

/// The example acknowledgement: the ICS-20 success acknowledgement.
pub(crate) fn example_ack() -> Acknowledgement {
    Acknowledgement {
        app_acknowledgements: vec![br#"{"result":"AQ=="}"#.to_vec()],
    }
}

fn height() -> Option<Height> {
    Some(Height {
        revision_number: 1,
        revision_height: 12345,
    })
}

const PROOF: [u8; 6] = [0xde, 0xad, 0xbe, 0xef, 0x00, 0x01];

/// ibc-go v10.7.0 `clientv2.MsgRegisterCounterparty{ClientId: "07-tendermint-0",
/// CounterpartyMerklePrefix: {"ibc", ""}, CounterpartyClientId: "07-tendermint-1", Signer}`.
const MSG_REGISTER_COUNTERPARTY: &str = "0a0f30372d74656e6465726d696e742d30120369626312001a0f30372d74656e6465726d696e742d31222d636f736d6f7331717970717870713971637273737a673270767871367273307a716733797963356c7a76377875";

/// ibc-go v10.7.0 `chanv2.MsgSendPacket{SourceClient: "07-tendermint-0", TimeoutTimestamp:
/// 1760000000, Payloads: {payload}, Signer}`.
const MSG_SEND_PACKET: &str = "0a0f30372d74656e6465726d696e742d301080f09dc7061a780a087472616e7366657212087472616e736665721a0769637332302d3122106170706c69636174696f6e2f6a736f6e2a477b2264656e6f6d223a227561746f6d222c22616d6f756e74223a2231303030222c2273656e646572223a2261222c227265636569766572223a2262222c226d656d6f223a22227d222d636f736d6f7331717970717870713971637273737a673270767871367273307a716733797963356c7a76377875";

/// ibc-go v10.7.0 `chanv2.MsgRecvPacket{Packet: packet, ProofCommitment: de ad be ef 00 01,
/// ProofHeight: 1-12345, Signer}`.
const MSG_RECV_PACKET: &str = "0aa50108ac02120f30372d74656e6465726d696e742d301a0f30372d74656e6465726d696e742d312080f09dc7062a780a087472616e7366657212087472616e736665721a0769637332302d3122106170706c69636174696f6e2f6a736f6e2a477b2264656e6f6d223a227561746f6d222c22616d6f756e74223a2231303030222c2273656e646572223a2261222c227265636569766572223a2262222c226d656d6f223a22227d1206deadbeef00011a05080110b960222d636f736d6f7331717970717870713971637273737a673270767871367273307a716733797963356c7a76377875";

/// ibc-go v10.7.0 `chanv2.MsgAcknowledgement{Packet: packet, Acknowledgement: ack,
/// ProofAcked: de ad be ef 00 01, ProofHeight: 1-12345, Signer}`.
const MSG_ACKNOWLEDGEMENT: &str = "0aa50108ac02120f30372d74656e6465726d696e742d301a0f30372d74656e6465726d696e742d312080f09dc7062a780a087472616e7366657212087472616e736665721a0769637332302d3122106170706c69636174696f6e2f6a736f6e2a477b2264656e6f6d223a227561746f6d222c22616d6f756e74223a2231303030222c2273656e646572223a2261222c227265636569766572223a2262222c226d656d6f223a22227d12130a117b22726573756c74223a2241513d3d227d1a06deadbeef00012205080110b9602a2d636f736d6f7331717970717870713971637273737a673270767871367273307a716733797963356c7a76377875";

/// ibc-go v10.7.0 `chanv2.MsgTimeout{Packet: packet, ProofUnreceived: de ad be ef 00 01,
/// ProofHeight: 1-12345, Signer}` (signer under tag 5: `2a`).
const MSG_TIMEOUT: &str = "0aa50108ac02120f30372d74656e6465726d696e742d301a0f30372d74656e6465726d696e742d312080f09dc7062a780a087472616e7366657212087472616e736665721a0769637332302d3122106170706c69636174696f6e2f6a736f6e2a477b2264656e6f6d223a227561746f6d222c22616d6f756e74223a2231303030222c2273656e646572223a2261222c227265636569766572223a2262222c226d656d6f223a22227d1206deadbeef00011a05080110b9602a2d636f736d6f7331717970717870713971637273737a673270767871367273307a716733797963356c7a76377875";

/// ibc-go v10.7.0 `chanv2.MsgTimeout{}`: the non-nullable packet and height are encoded even
/// when zero (`0a00`, `1a00`).
const MSG_TIMEOUT_ZERO: &str = "0a001a00";

/// ibc-go v10.7.0 `chanv2.QueryUnreceivedPacketsRequest{ClientId: "07-tendermint-1",
/// Sequences: {1, 2, 300}}` (packed).
const QUERY_UNRECEIVED_PACKETS_REQUEST: &str = "0a0f30372d74656e6465726d696e742d3112040102ac02";

/// ibc-go v10.7.0 `chanv2.QueryUnreceivedPacketsResponse{Sequences: {2, 300}, Height: 1-12345}`.
const QUERY_UNRECEIVED_PACKETS_RESPONSE: &str = "0a0302ac021205080110b960";

/// ibc-go v10.7.0 `clientv2.QueryCounterpartyInfoResponse{CounterpartyInfo:
/// {MerklePrefix: {"ibc", ""}, ClientId: "07-tendermint-1"}}`.
const QUERY_COUNTERPARTY_INFO_RESPONSE: &str =
    "0a180a036962630a00120f30372d74656e6465726d696e742d31";

/// Encodes `msg`, compares with `golden`, decodes `golden` and compares with `msg`, and
/// checks the type URL.
fn check<M: Message + Name + Default + PartialEq + std::fmt::Debug>(
    msg: &M,
    golden: &str,
    type_url: &str,
) {
    assert_eq!(
        hex::encode(msg.encode_to_vec()),
        golden,
        "encoding of {type_url}"
    );
    let decoded = M::decode(hex::decode(golden).unwrap().as_slice()).unwrap();
    assert_eq!(&decoded, msg, "decoding of {type_url}");
    assert_eq!(M::type_url(), type_url);
    assert_eq!(format!("/{}", M::full_name()), type_url);
    assert_eq!(format!("{}.{}", M::PACKAGE, M::NAME), M::full_name());
}

#[test]
fn msg_register_counterparty_matches_ibc_go() {
    let msg = MsgRegisterCounterparty {
        client_id: "07-tendermint-0".into(),
        counterparty_merkle_prefix: vec![b"ibc".to_vec(), Vec::new()],
        counterparty_client_id: "07-tendermint-1".into(),
        signer: SIGNER.into(),
    };
    check(
        &msg,
        MSG_REGISTER_COUNTERPARTY,
        "/ibc.core.client.v2.MsgRegisterCounterparty",
    );
}

#[test]
fn msg_send_packet_matches_ibc_go() {
    let msg = MsgSendPacket {
        source_client: "07-tendermint-0".into(),
        timeout_timestamp: 1_760_000_000,
        payloads: vec![example_payload()],
        signer: SIGNER.into(),
    };
    check(&msg, MSG_SEND_PACKET, "/ibc.core.channel.v2.MsgSendPacket");
}

#[test]
fn msg_recv_packet_matches_ibc_go() {
    let msg = MsgRecvPacket {
        packet: Some(example_packet()),
        proof_commitment: PROOF.to_vec(),
        proof_height: height(),
        signer: SIGNER.into(),
    };
    check(&msg, MSG_RECV_PACKET, "/ibc.core.channel.v2.MsgRecvPacket");
}

#[test]
fn msg_acknowledgement_matches_ibc_go() {
    let msg = MsgAcknowledgement {
        packet: Some(example_packet()),
        acknowledgement: Some(example_ack()),
        proof_acked: PROOF.to_vec(),
        proof_height: height(),
        signer: SIGNER.into(),
    };
    check(
        &msg,
        MSG_ACKNOWLEDGEMENT,
        "/ibc.core.channel.v2.MsgAcknowledgement",
    );
}

#[test]
fn msg_timeout_matches_ibc_go() {
    let msg = MsgTimeout {
        packet: Some(example_packet()),
        proof_unreceived: PROOF.to_vec(),
        proof_height: height(),
        signer: SIGNER.into(),
    };
    check(&msg, MSG_TIMEOUT, "/ibc.core.channel.v2.MsgTimeout");
}

/// The non-nullable fields: `Some(default)` encodes as ibc-go does; `None` does not (which
/// is why they must always be set).
#[test]
fn required_fields_set_to_zero_match_ibc_go_and_none_does_not() {
    let msg = MsgTimeout {
        packet: Some(Packet::default()),
        proof_height: Some(Height::default()),
        ..Default::default()
    };
    check(&msg, MSG_TIMEOUT_ZERO, "/ibc.core.channel.v2.MsgTimeout");
    assert!(MsgTimeout::default().encode_to_vec().is_empty());
}

#[test]
fn queries_match_ibc_go() {
    check(
        &QueryUnreceivedPacketsRequest {
            client_id: "07-tendermint-1".into(),
            sequences: vec![1, 2, 300],
        },
        QUERY_UNRECEIVED_PACKETS_REQUEST,
        "/ibc.core.channel.v2.QueryUnreceivedPacketsRequest",
    );
    check(
        &QueryUnreceivedPacketsResponse {
            sequences: vec![2, 300],
            height: height(),
        },
        QUERY_UNRECEIVED_PACKETS_RESPONSE,
        "/ibc.core.channel.v2.QueryUnreceivedPacketsResponse",
    );
    check(
        &QueryCounterpartyInfoResponse {
            counterparty_info: Some(CounterpartyInfo {
                merkle_prefix: vec![b"ibc".to_vec(), Vec::new()],
                client_id: "07-tendermint-1".into(),
            }),
        },
        QUERY_COUNTERPARTY_INFO_RESPONSE,
        "/ibc.core.client.v2.QueryCounterpartyInfoResponse",
    );
}

#[test]
fn enums_decode_by_number() {
    let resp = MsgRecvPacketResponse::decode([0x08, 0x01].as_slice()).unwrap();
    assert_eq!(resp.result(), ResponseResultType::Noop);
    assert_eq!(
        ResponseResultType::from_str_name("RESPONSE_RESULT_TYPE_FAILURE"),
        Some(ResponseResultType::Failure)
    );
    assert_eq!(
        ResponseResultType::Success.as_str_name(),
        "RESPONSE_RESULT_TYPE_SUCCESS"
    );
    let result = RecvPacketResult {
        status: PacketStatus::Async as i32,
        acknowledgement: Vec::new(),
    };
    assert_eq!(result.encode_to_vec(), [0x08, 0x03]);
    assert_eq!(result.status(), PacketStatus::Async);
    assert_eq!(
        PacketStatus::from_str_name(PacketStatus::Failure.as_str_name()),
        Some(PacketStatus::Failure)
    );
}

/// Each type's package (the literal URLs of the messages are checked above).
#[test]
fn every_type_url_is_its_package_and_name() {
    macro_rules! assert_urls {
        ($package:literal: $($ty:ident),+ $(,)?) => {
            $(assert_eq!(
                <$ty as Name>::type_url(),
                format!("/{}.{}", $package, stringify!($ty))
            );)+
        };
    }
    assert_urls!(
        "ibc.core.channel.v2": Packet,
        Payload,
        Acknowledgement,
        RecvPacketResult,
        PacketState,
        MsgSendPacketResponse,
        MsgRecvPacketResponse,
        MsgTimeoutResponse,
        MsgAcknowledgementResponse,
        QueryNextSequenceSendRequest,
        QueryNextSequenceSendResponse,
        QueryPacketCommitmentRequest,
        QueryPacketCommitmentResponse,
        QueryPacketCommitmentsRequest,
        QueryPacketCommitmentsResponse,
        QueryPacketAcknowledgementRequest,
        QueryPacketAcknowledgementResponse,
        QueryPacketAcknowledgementsRequest,
        QueryPacketAcknowledgementsResponse,
        QueryPacketReceiptRequest,
        QueryPacketReceiptResponse,
        QueryUnreceivedAcksRequest,
        QueryUnreceivedAcksResponse,
    );
    assert_urls!(
        "ibc.core.client.v2": MsgRegisterCounterpartyResponse,
        CounterpartyInfo,
        QueryCounterpartyInfoRequest,
    );
}

/// Tags that are easy to get wrong: `QueryPacketReceiptResponse` starts at 2, and the
/// unreceived-acks request's sequences are field 2 (packed).
#[test]
fn unusual_tags() {
    let receipt = QueryPacketReceiptResponse {
        received: true,
        proof: vec![7],
        proof_height: Some(Height::default()),
    };
    assert_eq!(hex::encode(receipt.encode_to_vec()), "10011a01072200");
    let acks = QueryUnreceivedAcksRequest {
        client_id: "c".into(),
        packet_ack_sequences: vec![5],
    };
    assert_eq!(hex::encode(acks.encode_to_vec()), "0a0163120105");
}
