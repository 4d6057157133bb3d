//! ICS-27 interchain accounts: the packet data a controller sends (a CosmosTx of `Any`
//! messages), the channel version metadata, and the host's acknowledgement (the response of
//! every message, or the error).

use base64::Engine;
use ibc_proto::google::protobuf::Any;
use ibc_proto::ibc::applications::interchain_accounts::v1::CosmosTx;
use prost::Message;
use serde::{Deserialize, Serialize};

use crate::ack::Acknowledgement;

/// The ICS-27 version.
pub const VERSION: &str = "ics27-1";
/// The packet type that executes a tx on the host.
pub const TYPE_EXECUTE_TX: &str = "TYPE_EXECUTE_TX";

/// Why ICS-27 data cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ics27Error {
    /// Not the JSON of an ICS-27 structure.
    #[error("not ICS-27 JSON: {0}")]
    Json(String),
    /// Bytes that are not the expected protobuf.
    #[error("not a {what}: {message}")]
    Proto {
        /// What was expected.
        what: &'static str,
        /// The decoder's message.
        message: String,
    },
}

/// The packet data of an ICS-27 packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterchainAccountPacketData {
    /// `TYPE_EXECUTE_TX` (the only type ibc-go defines).
    pub kind: String,
    /// The protobuf-encoded CosmosTx.
    pub data: Vec<u8>,
    /// Memo (up to 256 characters).
    pub memo: String,
}

/// ibc-go writes the proto JSON with every field, keys sorted.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PacketDataJson {
    data: String,
    #[serde(default)]
    memo: String,
    #[serde(rename = "type")]
    kind: String,
}

impl crate::json::InfallibleJson for PacketDataJson {}

impl InterchainAccountPacketData {
    /// A packet executing `messages` on the host.
    pub fn execute(messages: Vec<Any>, memo: &str) -> Self {
        InterchainAccountPacketData {
            kind: TYPE_EXECUTE_TX.into(),
            data: CosmosTx { messages }.encode_to_vec(),
            memo: memo.into(),
        }
    }

    /// Decodes the packet data bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, Ics27Error> {
        let j: PacketDataJson =
            serde_json::from_slice(bytes).map_err(|e| Ics27Error::Json(e.to_string()))?;
        let data = base64::engine::general_purpose::STANDARD
            .decode(&j.data)
            .map_err(|e| Ics27Error::Json(format!("data: {e}")))?;
        Ok(InterchainAccountPacketData {
            kind: j.kind,
            data,
            memo: j.memo,
        })
    }

    /// The bytes ibc-go v8 writes (keys sorted). ibc-go v10 writes the fields in proto
    /// order (`type`, `data`, `memo`); [`InterchainAccountPacketData::decode`] reads both.
    pub fn encode(&self) -> Vec<u8> {
        crate::json::to_vec(&PacketDataJson {
            data: base64::engine::general_purpose::STANDARD.encode(&self.data),
            memo: self.memo.clone(),
            kind: self.kind.clone(),
        })
    }

    /// The messages of the CosmosTx.
    pub fn messages(&self) -> Result<Vec<Any>, Ics27Error> {
        CosmosTx::decode(self.data.as_slice())
            .map(|tx| tx.messages)
            .map_err(|e| Ics27Error::Proto {
                what: "CosmosTx",
                message: e.to_string(),
            })
    }

    /// The type URL of every message, in order.
    pub fn message_types(&self) -> Result<Vec<String>, Ics27Error> {
        Ok(self.messages()?.into_iter().map(|m| m.type_url).collect())
    }
}

/// The version metadata of an ICS-27 channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// `ics27-1`.
    pub version: String,
    /// The connection on the controller chain.
    pub controller_connection_id: String,
    /// The connection on the host chain.
    pub host_connection_id: String,
    /// The interchain account's address (empty until the host sets it in TRY).
    #[serde(default)]
    pub address: String,
    /// `proto3` or `proto3json`.
    pub encoding: String,
    /// `sdk_multi_msg`.
    pub tx_type: String,
}

impl crate::json::InfallibleJson for Metadata {}

impl Metadata {
    /// The metadata a controller proposes for a new channel.
    pub fn new(controller_connection_id: &str, host_connection_id: &str) -> Self {
        Metadata {
            version: VERSION.into(),
            controller_connection_id: controller_connection_id.into(),
            host_connection_id: host_connection_id.into(),
            address: String::new(),
            encoding: "proto3".into(),
            tx_type: "sdk_multi_msg".into(),
        }
    }

    /// Reads a channel version (`None` when it is not ICS-27 metadata).
    pub fn parse(version: &str) -> Option<Self> {
        serde_json::from_str::<Self>(version)
            .ok()
            .filter(|m| m.version == VERSION)
    }

    /// The version string ibc-go writes (proto field order, every field).
    pub fn encode(&self) -> String {
        crate::json::to_string(self)
    }
}

/// What the host did with an ICS-27 packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IcaAck {
    /// Every message executed; the response of each (type URL and bytes), in order.
    Executed(Vec<Any>),
    /// The tx failed; ibc-go's deterministic error string (e.g. `ABCI code: 5: …`).
    Failed(String),
}

/// `cosmos.base.abci.v1beta1.TxMsgData`, with only the field ibc-go fills.
#[derive(Clone, PartialEq, Message)]
struct TxMsgData {
    #[prost(message, repeated, tag = "2")]
    msg_responses: Vec<Any>,
}

impl IcaAck {
    /// Decodes an ICS-27 acknowledgement.
    pub fn decode(bytes: &[u8]) -> Result<Self, Ics27Error> {
        match Acknowledgement::decode(bytes).map_err(|e| Ics27Error::Json(e.0))? {
            Acknowledgement::Error(e) => Ok(IcaAck::Failed(e)),
            Acknowledgement::Result(r) => TxMsgData::decode(r.as_slice())
                .map(|d| IcaAck::Executed(d.msg_responses))
                .map_err(|e| Ics27Error::Proto {
                    what: "TxMsgData",
                    message: e.to_string(),
                }),
        }
    }

    /// The bytes ibc-go writes for this result.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            IcaAck::Executed(responses) => Acknowledgement::Result(
                TxMsgData {
                    msg_responses: responses.clone(),
                }
                .encode_to_vec(),
            ),
            IcaAck::Failed(e) => Acknowledgement::Error(e.clone()),
        }
        .encode()
    }
}

/// One message of a relayed ICS-27 packet and what became of it on the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageOutcome {
    /// The message's type URL, e.g. `/cosmos.bank.v1beta1.MsgSend`.
    pub msg_type: String,
    /// Whether the host executed it, with the response type or the host's error.
    pub result: MessageResult,
}

/// What the host made of one message of an ICS-27 packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageResult {
    /// The message executed.
    Success {
        /// The response's type URL, e.g. `/cosmos.bank.v1beta1.MsgSendResponse` (empty when
        /// the acknowledgement holds fewer responses than the packet has messages).
        response_type: String,
    },
    /// The tx failed: a failed tx fails every message in it.
    Error {
        /// The host's deterministic error string (e.g. `ABCI code: 5: …`).
        message: String,
    },
}

impl MessageResult {
    /// The value of the `result` label of the relayer's `ica_messages_total` metric:
    /// `success` or `error`.
    pub fn as_label(&self) -> &'static str {
        match self {
            MessageResult::Success { .. } => "success",
            MessageResult::Error { .. } => "error",
        }
    }

    /// Whether the message executed.
    pub fn is_success(&self) -> bool {
        matches!(self, MessageResult::Success { .. })
    }
}

/// Pairs the messages of `packet_data` with the acknowledgement `ack` (already unwrapped
/// from any fee middleware), for logs and metrics.
pub fn outcomes(packet_data: &[u8], ack: &[u8]) -> Result<Vec<MessageOutcome>, Ics27Error> {
    let types = InterchainAccountPacketData::decode(packet_data)?.message_types()?;
    Ok(match IcaAck::decode(ack)? {
        IcaAck::Executed(responses) => types
            .into_iter()
            .enumerate()
            .map(|(i, msg_type)| MessageOutcome {
                msg_type,
                result: MessageResult::Success {
                    response_type: responses
                        .get(i)
                        .map(|r| r.type_url.clone())
                        .unwrap_or_default(),
                },
            })
            .collect(),
        IcaAck::Failed(e) => types
            .into_iter()
            .map(|msg_type| MessageOutcome {
                msg_type,
                result: MessageResult::Error { message: e.clone() },
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests;
