//! `ibc/core/channel/v2/tx.proto`: the packet messages and their responses.
//!
//! Message fields that ibc-go declares `(gogoproto.nullable) = false` are `Option` here (they
//! are proto3 message fields); the chain requires them set, so always give `Some`.

use ibc_proto::ibc::core::client::v1::Height;

use super::packet::{Acknowledgement, Packet, Payload};

/// Sends a packet from the signer's chain (`ibc.core.channel.v2.MsgSendPacket`); mostly
/// sent by applications, listed here for completeness and tests.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct MsgSendPacket {
    /// The sending client on this chain.
    #[prost(string, tag = "1")]
    pub source_client: ::prost::alloc::string::String,
    /// Timeout as a UNIX timestamp in seconds (at most 24 h ahead of the chain's time).
    #[prost(uint64, tag = "2")]
    pub timeout_timestamp: u64,
    /// The payloads (ibc-go v10 accepts exactly one).
    #[prost(message, repeated, tag = "3")]
    pub payloads: ::prost::alloc::vec::Vec<Payload>,
    /// The sender's address.
    #[prost(string, tag = "4")]
    pub signer: ::prost::alloc::string::String,
}

/// The response to [`MsgSendPacket`] (`ibc.core.channel.v2.MsgSendPacketResponse`).
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct MsgSendPacketResponse {
    /// The sequence the packet was given.
    #[prost(uint64, tag = "1")]
    pub sequence: u64,
}

/// Receives a packet on its destination chain (`ibc.core.channel.v2.MsgRecvPacket`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct MsgRecvPacket {
    /// The packet. Required (gogoproto non-nullable): always `Some`.
    #[prost(message, optional, tag = "1")]
    pub packet: ::core::option::Option<Packet>,
    /// Proof of the packet commitment on the source chain (an encoded `MerkleProof`).
    #[prost(bytes = "vec", tag = "2")]
    pub proof_commitment: ::prost::alloc::vec::Vec<u8>,
    /// The source chain height the proof is for. Required (gogoproto non-nullable): always
    /// `Some`.
    #[prost(message, optional, tag = "3")]
    pub proof_height: ::core::option::Option<Height>,
    /// The relayer's address.
    #[prost(string, tag = "4")]
    pub signer: ::prost::alloc::string::String,
}

/// The outcome of a packet message (`ibc.core.channel.v2.ResponseResultType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum ResponseResultType {
    /// `RESPONSE_RESULT_TYPE_UNSPECIFIED`: default zero value.
    Unspecified = 0,
    /// `RESPONSE_RESULT_TYPE_NOOP`: the application callbacks were not called (e.g. the
    /// packet had already been relayed).
    Noop = 1,
    /// `RESPONSE_RESULT_TYPE_SUCCESS`: the message was executed successfully.
    Success = 2,
    /// `RESPONSE_RESULT_TYPE_FAILURE`: the message was executed unsuccessfully.
    Failure = 3,
}

impl ResponseResultType {
    /// The protobuf name of the value, e.g. `RESPONSE_RESULT_TYPE_NOOP`.
    pub fn as_str_name(&self) -> &'static str {
        match self {
            Self::Unspecified => "RESPONSE_RESULT_TYPE_UNSPECIFIED",
            Self::Noop => "RESPONSE_RESULT_TYPE_NOOP",
            Self::Success => "RESPONSE_RESULT_TYPE_SUCCESS",
            Self::Failure => "RESPONSE_RESULT_TYPE_FAILURE",
        }
    }

    /// The value of a protobuf name, e.g. `RESPONSE_RESULT_TYPE_NOOP`.
    pub fn from_str_name(value: &str) -> Option<Self> {
        match value {
            "RESPONSE_RESULT_TYPE_UNSPECIFIED" => Some(Self::Unspecified),
            "RESPONSE_RESULT_TYPE_NOOP" => Some(Self::Noop),
            "RESPONSE_RESULT_TYPE_SUCCESS" => Some(Self::Success),
            "RESPONSE_RESULT_TYPE_FAILURE" => Some(Self::Failure),
            _ => None,
        }
    }
}

/// The response to [`MsgRecvPacket`] (`ibc.core.channel.v2.MsgRecvPacketResponse`).
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct MsgRecvPacketResponse {
    /// The outcome.
    #[prost(enumeration = "ResponseResultType", tag = "1")]
    pub result: i32,
}

/// Times a packet out on its source chain (`ibc.core.channel.v2.MsgTimeout`). Note the
/// signer's tag: 5 (there is no field 4).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct MsgTimeout {
    /// The packet. Required (gogoproto non-nullable): always `Some`.
    #[prost(message, optional, tag = "1")]
    pub packet: ::core::option::Option<Packet>,
    /// Proof that the destination chain has no receipt for the packet (an encoded
    /// `MerkleProof` of absence).
    #[prost(bytes = "vec", tag = "2")]
    pub proof_unreceived: ::prost::alloc::vec::Vec<u8>,
    /// The destination chain height the proof is for. Required (gogoproto non-nullable):
    /// always `Some`.
    #[prost(message, optional, tag = "3")]
    pub proof_height: ::core::option::Option<Height>,
    /// The relayer's address (tag 5).
    #[prost(string, tag = "5")]
    pub signer: ::prost::alloc::string::String,
}

/// The response to [`MsgTimeout`] (`ibc.core.channel.v2.MsgTimeoutResponse`).
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct MsgTimeoutResponse {
    /// The outcome.
    #[prost(enumeration = "ResponseResultType", tag = "1")]
    pub result: i32,
}

/// Delivers a packet's acknowledgement to its source chain
/// (`ibc.core.channel.v2.MsgAcknowledgement`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct MsgAcknowledgement {
    /// The packet. Required (gogoproto non-nullable): always `Some`.
    #[prost(message, optional, tag = "1")]
    pub packet: ::core::option::Option<Packet>,
    /// The acknowledgement written on the destination chain. Required (gogoproto
    /// non-nullable): always `Some`.
    #[prost(message, optional, tag = "2")]
    pub acknowledgement: ::core::option::Option<Acknowledgement>,
    /// Proof of the acknowledgement commitment on the destination chain (an encoded
    /// `MerkleProof`).
    #[prost(bytes = "vec", tag = "3")]
    pub proof_acked: ::prost::alloc::vec::Vec<u8>,
    /// The destination chain height the proof is for. Required (gogoproto non-nullable):
    /// always `Some`.
    #[prost(message, optional, tag = "4")]
    pub proof_height: ::core::option::Option<Height>,
    /// The relayer's address.
    #[prost(string, tag = "5")]
    pub signer: ::prost::alloc::string::String,
}

/// The response to [`MsgAcknowledgement`] (`ibc.core.channel.v2.MsgAcknowledgementResponse`).
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct MsgAcknowledgementResponse {
    /// The outcome.
    #[prost(enumeration = "ResponseResultType", tag = "1")]
    pub result: i32,
}

proto_name!(
    "ibc.core.channel.v2": MsgSendPacket,
    MsgSendPacketResponse,
    MsgRecvPacket,
    MsgRecvPacketResponse,
    MsgTimeout,
    MsgTimeoutResponse,
    MsgAcknowledgement,
    MsgAcknowledgementResponse,
);
