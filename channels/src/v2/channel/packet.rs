//! `ibc/core/channel/v2/packet.proto` (and `PacketState` from `genesis.proto`, which the
//! commitment and acknowledgement queries return).

/// A packet of IBC v2 (`ibc.core.channel.v2.Packet`): one or more application payloads sent
/// from a client on the source chain to a client on the destination chain.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Packet {
    /// The order of sends from `source_client`: a packet with an earlier sequence is sent
    /// (and, per client pair, received) before one with a later sequence.
    #[prost(uint64, tag = "1")]
    pub sequence: u64,
    /// The sending client on the sending chain.
    #[prost(string, tag = "2")]
    pub source_client: ::prost::alloc::string::String,
    /// The receiving client on the receiving chain.
    #[prost(string, tag = "3")]
    pub destination_client: ::prost::alloc::string::String,
    /// Timeout as a UNIX timestamp in **seconds** (destination chain block time), after
    /// which the packet can no longer be received and times out.
    #[prost(uint64, tag = "4")]
    pub timeout_timestamp: u64,
    /// The payloads, each for one application (ibc-go v10 accepts exactly one).
    #[prost(message, repeated, tag = "5")]
    pub payloads: ::prost::alloc::vec::Vec<Payload>,
}

/// One application's part of a packet (`ibc.core.channel.v2.Payload`): source and
/// destination ports, application version, encoding and the raw bytes.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Payload {
    /// The source port (application) of the payload, e.g. `transfer`.
    #[prost(string, tag = "1")]
    pub source_port: ::prost::alloc::string::String,
    /// The destination port (application) of the payload.
    #[prost(string, tag = "2")]
    pub destination_port: ::prost::alloc::string::String,
    /// The application version, e.g. `ics20-1`.
    #[prost(string, tag = "3")]
    pub version: ::prost::alloc::string::String,
    /// The encoding of `value`, e.g. `application/json`.
    #[prost(string, tag = "4")]
    pub encoding: ::prost::alloc::string::String,
    /// The application's raw bytes.
    #[prost(bytes = "vec", tag = "5")]
    pub value: ::prost::alloc::vec::Vec<u8>,
}

/// The acknowledgement of a packet (`ibc.core.channel.v2.Acknowledgement`): after a
/// successful receive, one app acknowledgement per payload, in payload order; after a
/// failed one, the single universal error acknowledgement
/// ([`ERROR_ACKNOWLEDGEMENT`](crate::v2::ERROR_ACKNOWLEDGEMENT)).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Acknowledgement {
    /// The applications' acknowledgements.
    #[prost(bytes = "vec", repeated, tag = "1")]
    pub app_acknowledgements: ::prost::alloc::vec::Vec<::prost::alloc::vec::Vec<u8>>,
}

/// The status of a [`RecvPacketResult`] (`ibc.core.channel.v2.PacketStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]
#[repr(i32)]
pub enum PacketStatus {
    /// `PACKET_STATUS_UNSPECIFIED`: unknown status.
    Unspecified = 0,
    /// `PACKET_STATUS_SUCCESS`: the packet was received successfully.
    Success = 1,
    /// `PACKET_STATUS_FAILURE`: the application failed to receive the packet.
    Failure = 2,
    /// `PACKET_STATUS_ASYNC`: the application will acknowledge asynchronously.
    Async = 3,
}

impl PacketStatus {
    /// The protobuf name of the value, e.g. `PACKET_STATUS_SUCCESS`.
    pub fn as_str_name(&self) -> &'static str {
        match self {
            Self::Unspecified => "PACKET_STATUS_UNSPECIFIED",
            Self::Success => "PACKET_STATUS_SUCCESS",
            Self::Failure => "PACKET_STATUS_FAILURE",
            Self::Async => "PACKET_STATUS_ASYNC",
        }
    }

    /// The value of a protobuf name, e.g. `PACKET_STATUS_SUCCESS`.
    pub fn from_str_name(value: &str) -> Option<Self> {
        match value {
            "PACKET_STATUS_UNSPECIFIED" => Some(Self::Unspecified),
            "PACKET_STATUS_SUCCESS" => Some(Self::Success),
            "PACKET_STATUS_FAILURE" => Some(Self::Failure),
            "PACKET_STATUS_ASYNC" => Some(Self::Async),
            _ => None,
        }
    }
}

/// What an application returns for a received payload (`ibc.core.channel.v2.RecvPacketResult`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct RecvPacketResult {
    /// The status of the receive.
    #[prost(enumeration = "PacketStatus", tag = "1")]
    pub status: i32,
    /// The application's acknowledgement bytes.
    #[prost(bytes = "vec", tag = "2")]
    pub acknowledgement: ::prost::alloc::vec::Vec<u8>,
}

/// A stored packet datum (`ibc.core.channel.v2.PacketState`, from `genesis.proto`): a
/// commitment, receipt or acknowledgement hash under a client id and sequence.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct PacketState {
    /// The client id the datum is stored under.
    #[prost(string, tag = "1")]
    pub client_id: ::prost::alloc::string::String,
    /// The packet sequence.
    #[prost(uint64, tag = "2")]
    pub sequence: u64,
    /// The stored bytes (e.g. the packet commitment hash).
    #[prost(bytes = "vec", tag = "3")]
    pub data: ::prost::alloc::vec::Vec<u8>,
}

proto_name!("ibc.core.channel.v2": Packet, Payload, Acknowledgement, RecvPacketResult, PacketState);
