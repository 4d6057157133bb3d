//! What a chain answered to each packet message of an included tx: the tx result's data is
//! a `TxMsgData` with one response per message, in order. A MsgRecvPacket,
//! MsgAcknowledgement, MsgTimeout or MsgTimeoutOnClose response (classic or IBC v2) carries
//! a `result`; NOOP means the chain already had what the message delivered (another
//! relayer was faster) and nothing happened.

use ibc_proto::cosmos::base::abci::v1beta1::TxMsgData;
use prost::Message;

/// `ResponseResultType::NOOP`, the same number in `ibc.core.channel.v1` and `.v2`.
const NOOP: i32 = 1;

/// The type URLs of the packet message responses that carry a `result` (field 1).
const PACKET_RESPONSES: [&str; 7] = [
    "/ibc.core.channel.v1.MsgRecvPacketResponse",
    "/ibc.core.channel.v1.MsgAcknowledgementResponse",
    "/ibc.core.channel.v1.MsgTimeoutResponse",
    "/ibc.core.channel.v1.MsgTimeoutOnCloseResponse",
    "/ibc.core.channel.v2.MsgRecvPacketResponse",
    "/ibc.core.channel.v2.MsgAcknowledgementResponse",
    "/ibc.core.channel.v2.MsgTimeoutResponse",
];

/// The `result` field of a packet message response.
#[derive(Clone, PartialEq, prost::Message)]
struct PacketResponse {
    #[prost(int32, tag = "1")]
    result: i32,
}

/// The data of an included tx could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tx result data is not a TxMsgData: {0}")]
pub struct ResponsesError(String);

/// For each message of the tx whose result data is `data`, whether the chain answered
/// NOOP. Messages that are not packet messages are `false`. Empty data (a chain that does
/// not report responses) gives an empty list: nothing is known to be NOOP.
pub fn noop_messages(data: &[u8]) -> Result<Vec<bool>, ResponsesError> {
    let msg_data = TxMsgData::decode(data).map_err(|e| ResponsesError(e.to_string()))?;
    Ok(msg_data
        .msg_responses
        .iter()
        .map(|any| {
            PACKET_RESPONSES.contains(&any.type_url.as_str())
                && PacketResponse::decode(any.value.as_slice()).is_ok_and(|r| r.result == NOOP)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use ibc_proto::google::protobuf::Any;

    use super::*;

    fn response(type_url: &str, result: i32) -> Any {
        Any {
            type_url: type_url.into(),
            value: PacketResponse { result }.encode_to_vec(),
        }
    }

    #[test]
    fn noop_answers_are_found_by_position_in_v1_and_v2() {
        let data = TxMsgData {
            msg_responses: vec![
                Any {
                    type_url: "/ibc.core.client.v1.MsgUpdateClientResponse".into(),
                    value: vec![],
                },
                response("/ibc.core.channel.v1.MsgRecvPacketResponse", 2),
                response("/ibc.core.channel.v1.MsgRecvPacketResponse", 1),
                response("/ibc.core.channel.v2.MsgAcknowledgementResponse", 1),
                response("/ibc.core.channel.v2.MsgTimeoutResponse", 2),
                // Another message type with a field 1 of value 1 is not a NOOP answer.
                response("/cosmos.bank.v1beta1.MsgSendResponse", 1),
            ],
            ..Default::default()
        }
        .encode_to_vec();
        assert_eq!(
            noop_messages(&data).unwrap(),
            [false, false, true, true, false, false]
        );
    }

    #[test]
    fn empty_data_knows_nothing_and_garbage_is_an_error_not_a_panic() {
        assert_eq!(noop_messages(&[]).unwrap(), Vec::<bool>::new());
        assert!(noop_messages(&[0x12, 0xff, 0xff, 0xff]).is_err());
        // A response whose value does not decode is not NOOP.
        let data = TxMsgData {
            msg_responses: vec![Any {
                type_url: PACKET_RESPONSES[0].into(),
                value: vec![0xff],
            }],
            ..Default::default()
        }
        .encode_to_vec();
        assert_eq!(noop_messages(&data).unwrap(), [false]);
    }
}
