//! Typed IBC events, parsed from the events CometBFT reports for a tx or a block.
//!
//! Event kinds and attribute keys are ibc-go v8's. Attribute keys and values arrive as
//! plain strings from CometBFT ≥ 0.37 and base64-encoded from 0.34 chains; both are
//! accepted (see [`parse_abci_event`]).
//!
//! IBC v2 packet events (ibc-go v10/v11) parse into the same packet variants, the v2 packet
//! carried in a classic [`Packet`] as [`crate::v2::relay`] describes.

mod parse;

pub(crate) use parse::Attrs;
pub use parse::{parse_abci_event, parse_ibc_event, KINDS};

use crate::ids::{ChannelId, ClientId, ConnectionId, Height, IdError, PortId};
use crate::state::Ordering;

pub use crate::error::EventError;

/// What connection events carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionAttributes {
    /// The connection the event is about.
    pub connection_id: ConnectionId,
    /// Its client.
    pub client_id: ClientId,
    /// The counterparty's client.
    pub counterparty_client_id: ClientId,
    /// The counterparty connection, once known.
    pub counterparty_connection_id: Option<ConnectionId>,
}

/// What channel handshake events carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelAttributes {
    /// The port.
    pub port_id: PortId,
    /// The channel.
    pub channel_id: ChannelId,
    /// The counterparty port.
    pub counterparty_port_id: PortId,
    /// The counterparty channel, once known.
    pub counterparty_channel_id: Option<ChannelId>,
    /// The connection it runs over.
    pub connection_id: ConnectionId,
    /// Its version, when the event carries it (open init and try).
    pub version: Option<String>,
}

/// A packet as send/recv/write-ack events carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// Sequence on the source channel.
    pub sequence: u64,
    /// Source port.
    pub source_port: PortId,
    /// Source channel.
    pub source_channel: ChannelId,
    /// Destination port.
    pub destination_port: PortId,
    /// Destination channel.
    pub destination_channel: ChannelId,
    /// Application data.
    pub data: Vec<u8>,
    /// Timeout height on the destination (zero: none).
    pub timeout_height: Height,
    /// Timeout timestamp in ns on the destination (0: none).
    pub timeout_timestamp: u64,
    /// The channel's ordering, when the event says.
    pub ordering: Option<Ordering>,
}

/// The packet fields acknowledge and timeout events carry (no data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketHeader {
    /// Sequence.
    pub sequence: u64,
    /// Source port.
    pub source_port: PortId,
    /// Source channel.
    pub source_channel: ChannelId,
    /// Destination port.
    pub destination_port: PortId,
    /// Destination channel.
    pub destination_channel: ChannelId,
    /// Timeout height.
    pub timeout_height: Height,
    /// Timeout timestamp (ns).
    pub timeout_timestamp: u64,
}

/// An IBC event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IbcEvent {
    /// A client was created.
    CreateClient {
        /// The new client.
        client_id: ClientId,
        /// Its type, e.g. `07-tendermint`.
        client_type: String,
        /// Its first consensus height.
        consensus_height: Height,
    },
    /// A client was updated.
    UpdateClient {
        /// The client.
        client_id: ClientId,
        /// Its type.
        client_type: String,
        /// The heights added.
        consensus_heights: Vec<Height>,
    },
    /// Misbehaviour was submitted and the client frozen.
    ClientMisbehaviour {
        /// The client.
        client_id: ClientId,
        /// Its type.
        client_type: String,
    },
    /// ConnOpenInit.
    OpenInitConnection(ConnectionAttributes),
    /// ConnOpenTry.
    OpenTryConnection(ConnectionAttributes),
    /// ConnOpenAck.
    OpenAckConnection(ConnectionAttributes),
    /// ConnOpenConfirm.
    OpenConfirmConnection(ConnectionAttributes),
    /// ChanOpenInit.
    OpenInitChannel(ChannelAttributes),
    /// ChanOpenTry.
    OpenTryChannel(ChannelAttributes),
    /// ChanOpenAck.
    OpenAckChannel(ChannelAttributes),
    /// ChanOpenConfirm.
    OpenConfirmChannel(ChannelAttributes),
    /// ChanCloseInit.
    CloseInitChannel(ChannelAttributes),
    /// ChanCloseConfirm.
    CloseConfirmChannel(ChannelAttributes),
    /// An ordered channel closed by a timeout (`channel_close`).
    ChannelClosed(ChannelAttributes),
    /// A packet was sent.
    SendPacket(Packet),
    /// A packet was received.
    RecvPacket(Packet),
    /// A packet's acknowledgement was written.
    WriteAcknowledgement {
        /// The packet.
        packet: Packet,
        /// The acknowledgement bytes.
        ack: Vec<u8>,
    },
    /// An acknowledgement was processed on the source.
    AcknowledgePacket(PacketHeader),
    /// A packet timed out on the source. ibc-go v8 emits this (`timeout_packet`) for
    /// MsgTimeout and for MsgTimeoutOnClose alike.
    TimeoutPacket(PacketHeader),
    /// A packet timed out on close (`timeout_on_close_packet`, the kind ibc-go ≤ v7
    /// declared; ibc-go v8 emits `timeout_packet` instead, see
    /// [`IbcEvent::TimeoutPacket`]).
    TimeoutOnClose(PacketHeader),
}

impl IbcEvent {
    /// ibc-go's event kind.
    pub fn kind_str(&self) -> &'static str {
        match self {
            IbcEvent::CreateClient { .. } => "create_client",
            IbcEvent::UpdateClient { .. } => "update_client",
            IbcEvent::ClientMisbehaviour { .. } => "client_misbehaviour",
            IbcEvent::OpenInitConnection(_) => "connection_open_init",
            IbcEvent::OpenTryConnection(_) => "connection_open_try",
            IbcEvent::OpenAckConnection(_) => "connection_open_ack",
            IbcEvent::OpenConfirmConnection(_) => "connection_open_confirm",
            IbcEvent::OpenInitChannel(_) => "channel_open_init",
            IbcEvent::OpenTryChannel(_) => "channel_open_try",
            IbcEvent::OpenAckChannel(_) => "channel_open_ack",
            IbcEvent::OpenConfirmChannel(_) => "channel_open_confirm",
            IbcEvent::CloseInitChannel(_) => "channel_close_init",
            IbcEvent::CloseConfirmChannel(_) => "channel_close_confirm",
            IbcEvent::ChannelClosed(_) => "channel_close",
            IbcEvent::SendPacket(_) => "send_packet",
            IbcEvent::RecvPacket(_) => "recv_packet",
            IbcEvent::WriteAcknowledgement { .. } => "write_acknowledgement",
            IbcEvent::AcknowledgePacket(_) => "acknowledge_packet",
            IbcEvent::TimeoutPacket(_) => "timeout_packet",
            IbcEvent::TimeoutOnClose(_) => "timeout_on_close_packet",
        }
    }

    /// The channel the event is about: the end that emitted a channel event, and the
    /// source end (`source_port`, `source_channel`) of a packet event, even for the events
    /// the destination chain emits (`recv_packet`, `write_acknowledgement`).
    pub fn channel_key(&self) -> Option<(PortId, ChannelId)> {
        if let Some(c) = self.channel_attributes() {
            return Some((c.port_id.clone(), c.channel_id.clone()));
        }
        self.packet_header()
            .map(|h| (h.source_port, h.source_channel))
    }

    /// The attributes of a connection handshake event.
    pub fn connection_attributes(&self) -> Option<&ConnectionAttributes> {
        match self {
            IbcEvent::OpenInitConnection(c)
            | IbcEvent::OpenTryConnection(c)
            | IbcEvent::OpenAckConnection(c)
            | IbcEvent::OpenConfirmConnection(c) => Some(c),
            _ => None,
        }
    }

    /// The attributes of a channel handshake or close event.
    pub fn channel_attributes(&self) -> Option<&ChannelAttributes> {
        match self {
            IbcEvent::OpenInitChannel(c)
            | IbcEvent::OpenTryChannel(c)
            | IbcEvent::OpenAckChannel(c)
            | IbcEvent::OpenConfirmChannel(c)
            | IbcEvent::CloseInitChannel(c)
            | IbcEvent::CloseConfirmChannel(c)
            | IbcEvent::ChannelClosed(c) => Some(c),
            _ => None,
        }
    }

    /// The packet of a `send_packet`, `recv_packet` or `write_acknowledgement` event.
    pub fn packet(&self) -> Option<&Packet> {
        match self {
            IbcEvent::SendPacket(p)
            | IbcEvent::RecvPacket(p)
            | IbcEvent::WriteAcknowledgement { packet: p, .. } => Some(p),
            _ => None,
        }
    }

    /// The packet fields of any packet event.
    pub fn packet_header(&self) -> Option<PacketHeader> {
        match self {
            IbcEvent::AcknowledgePacket(h)
            | IbcEvent::TimeoutPacket(h)
            | IbcEvent::TimeoutOnClose(h) => Some(h.clone()),
            _ => self.packet().map(Packet::header),
        }
    }
}

impl Packet {
    /// The packet's fields other than data and ordering.
    pub fn header(&self) -> PacketHeader {
        PacketHeader::from(self)
    }
}

impl From<&Packet> for PacketHeader {
    fn from(p: &Packet) -> Self {
        PacketHeader {
            sequence: p.sequence,
            source_port: p.source_port.clone(),
            source_channel: p.source_channel.clone(),
            destination_port: p.destination_port.clone(),
            destination_channel: p.destination_channel.clone(),
            timeout_height: p.timeout_height,
            timeout_timestamp: p.timeout_timestamp,
        }
    }
}

impl From<&Packet> for ibc_proto::ibc::core::channel::v1::Packet {
    fn from(p: &Packet) -> Self {
        Self {
            sequence: p.sequence,
            source_port: p.source_port.to_string(),
            source_channel: p.source_channel.to_string(),
            destination_port: p.destination_port.to_string(),
            destination_channel: p.destination_channel.to_string(),
            data: p.data.clone(),
            timeout_height: Some(p.timeout_height.into()),
            timeout_timestamp: p.timeout_timestamp,
        }
    }
}

impl TryFrom<ibc_proto::ibc::core::channel::v1::Packet> for Packet {
    type Error = IdError;

    /// From the wire packet (a missing timeout height is zero; the ordering is unknown).
    fn try_from(p: ibc_proto::ibc::core::channel::v1::Packet) -> Result<Self, IdError> {
        Ok(Packet {
            sequence: p.sequence,
            source_port: p.source_port.parse()?,
            source_channel: p.source_channel.parse()?,
            destination_port: p.destination_port.parse()?,
            destination_channel: p.destination_channel.parse()?,
            data: p.data,
            timeout_height: p.timeout_height.map(Height::from).unwrap_or_default(),
            timeout_timestamp: p.timeout_timestamp,
            ordering: None,
        })
    }
}

#[cfg(test)]
mod tests;
