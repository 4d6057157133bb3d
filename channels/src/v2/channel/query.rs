//! `ibc/core/channel/v2/query.proto`: the queries of packet state (gRPC service
//! `ibc.core.channel.v2.Query`; method paths `/ibc.core.channel.v2.Query/<Method>`).
//!
//! Response heights that ibc-go declares `(gogoproto.nullable) = false` are `Option` here;
//! the chain always sets them.

use ibc_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use ibc_proto::ibc::core::client::v1::Height;

use super::packet::PacketState;

/// Request of `Query/NextSequenceSend` (`ibc.core.channel.v2.QueryNextSequenceSendRequest`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryNextSequenceSendRequest {
    /// The client id.
    #[prost(string, tag = "1")]
    pub client_id: ::prost::alloc::string::String,
}

/// Response of `Query/NextSequenceSend` (`ibc.core.channel.v2.QueryNextSequenceSendResponse`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryNextSequenceSendResponse {
    /// The next send sequence.
    #[prost(uint64, tag = "1")]
    pub next_sequence_send: u64,
    /// Merkle proof of existence.
    #[prost(bytes = "vec", tag = "2")]
    pub proof: ::prost::alloc::vec::Vec<u8>,
    /// The height the proof was retrieved at (always set by the chain).
    #[prost(message, optional, tag = "3")]
    pub proof_height: ::core::option::Option<Height>,
}

/// Request of `Query/PacketCommitment` (`ibc.core.channel.v2.QueryPacketCommitmentRequest`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryPacketCommitmentRequest {
    /// The client id.
    #[prost(string, tag = "1")]
    pub client_id: ::prost::alloc::string::String,
    /// The packet sequence.
    #[prost(uint64, tag = "2")]
    pub sequence: u64,
}

/// Response of `Query/PacketCommitment` (`ibc.core.channel.v2.QueryPacketCommitmentResponse`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryPacketCommitmentResponse {
    /// The packet commitment hash.
    #[prost(bytes = "vec", tag = "1")]
    pub commitment: ::prost::alloc::vec::Vec<u8>,
    /// Merkle proof of existence.
    #[prost(bytes = "vec", tag = "2")]
    pub proof: ::prost::alloc::vec::Vec<u8>,
    /// The height the proof was retrieved at (always set by the chain).
    #[prost(message, optional, tag = "3")]
    pub proof_height: ::core::option::Option<Height>,
}

/// Request of `Query/PacketCommitments` (`ibc.core.channel.v2.QueryPacketCommitmentsRequest`):
/// the stored packet commitments of a client, paginated.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryPacketCommitmentsRequest {
    /// The client id.
    #[prost(string, tag = "1")]
    pub client_id: ::prost::alloc::string::String,
    /// Pagination.
    #[prost(message, optional, tag = "2")]
    pub pagination: ::core::option::Option<PageRequest>,
}

/// Response of `Query/PacketCommitments` (`ibc.core.channel.v2.QueryPacketCommitmentsResponse`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryPacketCommitmentsResponse {
    /// The commitments (client id, sequence, commitment hash).
    #[prost(message, repeated, tag = "1")]
    pub commitments: ::prost::alloc::vec::Vec<PacketState>,
    /// Pagination.
    #[prost(message, optional, tag = "2")]
    pub pagination: ::core::option::Option<PageResponse>,
    /// The height queried (always set by the chain).
    #[prost(message, optional, tag = "3")]
    pub height: ::core::option::Option<Height>,
}

/// Request of `Query/PacketAcknowledgement`
/// (`ibc.core.channel.v2.QueryPacketAcknowledgementRequest`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryPacketAcknowledgementRequest {
    /// The client id.
    #[prost(string, tag = "1")]
    pub client_id: ::prost::alloc::string::String,
    /// The packet sequence.
    #[prost(uint64, tag = "2")]
    pub sequence: u64,
}

/// Response of `Query/PacketAcknowledgement`
/// (`ibc.core.channel.v2.QueryPacketAcknowledgementResponse`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryPacketAcknowledgementResponse {
    /// The acknowledgement commitment hash (not the acknowledgement itself).
    #[prost(bytes = "vec", tag = "1")]
    pub acknowledgement: ::prost::alloc::vec::Vec<u8>,
    /// Merkle proof of existence.
    #[prost(bytes = "vec", tag = "2")]
    pub proof: ::prost::alloc::vec::Vec<u8>,
    /// The height the proof was retrieved at (always set by the chain).
    #[prost(message, optional, tag = "3")]
    pub proof_height: ::core::option::Option<Height>,
}

/// Request of `Query/PacketAcknowledgements`
/// (`ibc.core.channel.v2.QueryPacketAcknowledgementsRequest`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryPacketAcknowledgementsRequest {
    /// The client id.
    #[prost(string, tag = "1")]
    pub client_id: ::prost::alloc::string::String,
    /// Pagination.
    #[prost(message, optional, tag = "2")]
    pub pagination: ::core::option::Option<PageRequest>,
    /// Only these sequences (all if empty).
    #[prost(uint64, repeated, tag = "3")]
    pub packet_commitment_sequences: ::prost::alloc::vec::Vec<u64>,
}

/// Response of `Query/PacketAcknowledgements`
/// (`ibc.core.channel.v2.QueryPacketAcknowledgementsResponse`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryPacketAcknowledgementsResponse {
    /// The acknowledgement commitments (client id, sequence, hash).
    #[prost(message, repeated, tag = "1")]
    pub acknowledgements: ::prost::alloc::vec::Vec<PacketState>,
    /// Pagination.
    #[prost(message, optional, tag = "2")]
    pub pagination: ::core::option::Option<PageResponse>,
    /// The height queried (always set by the chain).
    #[prost(message, optional, tag = "3")]
    pub height: ::core::option::Option<Height>,
}

/// Request of `Query/PacketReceipt` (`ibc.core.channel.v2.QueryPacketReceiptRequest`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryPacketReceiptRequest {
    /// The client id.
    #[prost(string, tag = "1")]
    pub client_id: ::prost::alloc::string::String,
    /// The packet sequence.
    #[prost(uint64, tag = "2")]
    pub sequence: u64,
}

/// Response of `Query/PacketReceipt` (`ibc.core.channel.v2.QueryPacketReceiptResponse`).
/// Note the tags: 2, 3 and 4 (there is no field 1).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryPacketReceiptResponse {
    /// Whether a receipt exists.
    #[prost(bool, tag = "2")]
    pub received: bool,
    /// Merkle proof of existence or absence.
    #[prost(bytes = "vec", tag = "3")]
    pub proof: ::prost::alloc::vec::Vec<u8>,
    /// The height the proof was retrieved at (always set by the chain).
    #[prost(message, optional, tag = "4")]
    pub proof_height: ::core::option::Option<Height>,
}

/// Request of `Query/UnreceivedPackets` (`ibc.core.channel.v2.QueryUnreceivedPacketsRequest`),
/// asked of the destination chain: which of these sequences have no receipt.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryUnreceivedPacketsRequest {
    /// The client id on the queried (destination) chain, i.e. the packets'
    /// `destination_client`.
    #[prost(string, tag = "1")]
    pub client_id: ::prost::alloc::string::String,
    /// The sequences to check.
    #[prost(uint64, repeated, tag = "2")]
    pub sequences: ::prost::alloc::vec::Vec<u64>,
}

/// Response of `Query/UnreceivedPackets` (`ibc.core.channel.v2.QueryUnreceivedPacketsResponse`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryUnreceivedPacketsResponse {
    /// The sequences not yet received.
    #[prost(uint64, repeated, tag = "1")]
    pub sequences: ::prost::alloc::vec::Vec<u64>,
    /// The height queried (always set by the chain).
    #[prost(message, optional, tag = "2")]
    pub height: ::core::option::Option<Height>,
}

/// Request of `Query/UnreceivedAcks` (`ibc.core.channel.v2.QueryUnreceivedAcksRequest`),
/// asked of the source chain: which of these sequences still have a packet commitment.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryUnreceivedAcksRequest {
    /// The client id on the queried (source) chain, i.e. the packets' `source_client`.
    #[prost(string, tag = "1")]
    pub client_id: ::prost::alloc::string::String,
    /// The sequences of acknowledgements to check.
    #[prost(uint64, repeated, tag = "2")]
    pub packet_ack_sequences: ::prost::alloc::vec::Vec<u64>,
}

/// Response of `Query/UnreceivedAcks` (`ibc.core.channel.v2.QueryUnreceivedAcksResponse`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryUnreceivedAcksResponse {
    /// The sequences whose acknowledgement the source chain has not yet received.
    #[prost(uint64, repeated, tag = "1")]
    pub sequences: ::prost::alloc::vec::Vec<u64>,
    /// The height queried (always set by the chain).
    #[prost(message, optional, tag = "2")]
    pub height: ::core::option::Option<Height>,
}

proto_name!(
    "ibc.core.channel.v2": QueryNextSequenceSendRequest,
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
    QueryUnreceivedPacketsRequest,
    QueryUnreceivedPacketsResponse,
    QueryUnreceivedAcksRequest,
    QueryUnreceivedAcksResponse,
);
