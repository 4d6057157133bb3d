//! Typed IBC events, parsed from the events CometBFT reports for a tx or a block.
//!
//! Attribute keys and values arrive as plain strings from CometBFT ≥ 0.37 and
//! base64-encoded from 0.34 chains; both are accepted.

use std::collections::HashMap;

use base64::Engine;

use crate::ids::{ChannelId, ClientId, ConnectionId, Height, PortId};
use crate::state::Ordering;

/// An IBC event that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// A required attribute is missing.
    #[error("`{kind}` event without the `{attribute}` attribute")]
    Missing {
        /// The event kind.
        kind: String,
        /// The attribute.
        attribute: &'static str,
    },
    /// An attribute's value is malformed.
    #[error("`{kind}` event: attribute `{attribute}` = `{value}` is malformed: {detail}")]
    Malformed {
        /// The event kind.
        kind: String,
        /// The attribute.
        attribute: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        detail: String,
    },
}

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
    /// A packet timed out (or timed out on close) on the source.
    TimeoutPacket(PacketHeader),
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

/// Every event kind this module parses.
const KINDS: &[&str] = &[
    "create_client",
    "update_client",
    "client_misbehaviour",
    "connection_open_init",
    "connection_open_try",
    "connection_open_ack",
    "connection_open_confirm",
    "channel_open_init",
    "channel_open_try",
    "channel_open_ack",
    "channel_open_confirm",
    "channel_close_init",
    "channel_close_confirm",
    "channel_close",
    "send_packet",
    "recv_packet",
    "write_acknowledgement",
    "acknowledge_packet",
    "timeout_packet",
];

/// Parses a CometBFT event (from a tx result, block results or a websocket message).
pub fn parse_abci_event(event: &tendermint::abci::Event) -> Result<Option<IbcEvent>, EventError> {
    if !KINDS.contains(&event.kind.as_str()) {
        return Ok(None);
    }
    let attributes: Vec<(String, String)> = event
        .attributes
        .iter()
        .map(|a| {
            (
                String::from_utf8_lossy(a.key_bytes()).into_owned(),
                String::from_utf8_lossy(a.value_bytes()).into_owned(),
            )
        })
        .collect();
    parse_ibc_event(&event.kind, &attributes)
}

/// Attributes by key, decoded from base64 where a 0.34 chain encoded them.
struct Attrs<'a> {
    kind: &'a str,
    map: HashMap<String, String>,
}

impl<'a> Attrs<'a> {
    fn new(kind: &'a str, attributes: &[(String, String)]) -> Self {
        let b64 = base64::engine::general_purpose::STANDARD;
        let known = |k: &str| k.contains('_') || ["header", "version", "ordering"].contains(&k);
        let mut map = HashMap::new();
        for (k, v) in attributes {
            if known(k) {
                map.insert(k.clone(), v.clone());
                continue;
            }
            let decoded = b64.decode(k).ok().and_then(|k| String::from_utf8(k).ok());
            match decoded {
                Some(key) if known(&key) => {
                    let value = b64
                        .decode(v)
                        .ok()
                        .and_then(|v| String::from_utf8(v).ok())
                        .unwrap_or_default();
                    map.insert(key, value);
                }
                _ => {
                    map.insert(k.clone(), v.clone());
                }
            }
        }
        Attrs { kind, map }
    }

    fn opt(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    fn str(&self, key: &'static str) -> Result<&str, EventError> {
        self.opt(key).ok_or_else(|| EventError::Missing {
            kind: self.kind.into(),
            attribute: key,
        })
    }

    fn parse<T: std::str::FromStr>(&self, key: &'static str) -> Result<T, EventError>
    where
        T::Err: std::fmt::Display,
    {
        let value = self.str(key)?;
        value
            .parse()
            .map_err(|e: T::Err| self.malformed(key, value, e.to_string()))
    }

    fn malformed(&self, attribute: &'static str, value: &str, detail: String) -> EventError {
        EventError::Malformed {
            kind: self.kind.into(),
            attribute,
            value: value.into(),
            detail,
        }
    }

    /// An optional id: absent or empty is `None`.
    fn opt_id<T: std::str::FromStr>(&self, key: &'static str) -> Result<Option<T>, EventError>
    where
        T::Err: std::fmt::Display,
    {
        match self.opt(key) {
            None | Some("") => Ok(None),
            Some(_) => self.parse(key).map(Some),
        }
    }

    fn hex(&self, key: &'static str) -> Result<Vec<u8>, EventError> {
        let value = self.str(key)?;
        hex_decode(value).ok_or_else(|| self.malformed(key, value, "not hex".into()))
    }

    fn connection(&self) -> Result<ConnectionAttributes, EventError> {
        Ok(ConnectionAttributes {
            connection_id: self.parse("connection_id")?,
            client_id: self.parse("client_id")?,
            counterparty_client_id: self.parse("counterparty_client_id")?,
            counterparty_connection_id: self.opt_id("counterparty_connection_id")?,
        })
    }

    fn channel(&self) -> Result<ChannelAttributes, EventError> {
        Ok(ChannelAttributes {
            port_id: self.parse("port_id")?,
            channel_id: self.parse("channel_id")?,
            counterparty_port_id: self.parse("counterparty_port_id")?,
            counterparty_channel_id: self.opt_id("counterparty_channel_id")?,
            connection_id: self.parse("connection_id")?,
            version: self.opt("version").map(str::to_string),
        })
    }

    fn header(&self) -> Result<PacketHeader, EventError> {
        let timeout = self.str("packet_timeout_height")?;
        Ok(PacketHeader {
            sequence: self.parse("packet_sequence")?,
            source_port: self.parse("packet_src_port")?,
            source_channel: self.parse("packet_src_channel")?,
            destination_port: self.parse("packet_dst_port")?,
            destination_channel: self.parse("packet_dst_channel")?,
            timeout_height: timeout.parse().map_err(|e: crate::ids::IdError| {
                self.malformed("packet_timeout_height", timeout, e.to_string())
            })?,
            timeout_timestamp: self.parse("packet_timeout_timestamp")?,
        })
    }

    fn packet(&self) -> Result<Packet, EventError> {
        let h = self.header()?;
        let data = match self.opt("packet_data_hex") {
            Some(_) => self.hex("packet_data_hex")?,
            None => self.str("packet_data")?.as_bytes().to_vec(),
        };
        Ok(Packet {
            sequence: h.sequence,
            source_port: h.source_port,
            source_channel: h.source_channel,
            destination_port: h.destination_port,
            destination_channel: h.destination_channel,
            data,
            timeout_height: h.timeout_height,
            timeout_timestamp: h.timeout_timestamp,
            ordering: self
                .opt("packet_channel_ordering")
                .and_then(Ordering::from_event_value),
        })
    }
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Parses an event from its kind and (key, value) attributes. `Ok(None)` for events that
/// are not IBC events this relayer models (e.g. `transfer`, `message`).
pub fn parse_ibc_event(
    kind: &str,
    attributes: &[(String, String)],
) -> Result<Option<IbcEvent>, EventError> {
    if !KINDS.contains(&kind) {
        return Ok(None);
    }
    let a = Attrs::new(kind, attributes);
    let event = match kind {
        "create_client" => IbcEvent::CreateClient {
            client_id: a.parse("client_id")?,
            client_type: a.str("client_type")?.to_string(),
            consensus_height: a.parse("consensus_height")?,
        },
        "update_client" => {
            let (key, list) = match a.opt("consensus_heights") {
                Some(list) => ("consensus_heights", list),
                None => ("consensus_height", a.str("consensus_height")?),
            };
            let consensus_heights = list
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|h| {
                    h.parse()
                        .map_err(|e: crate::ids::IdError| a.malformed(key, list, e.to_string()))
                })
                .collect::<Result<_, _>>()?;
            IbcEvent::UpdateClient {
                client_id: a.parse("client_id")?,
                client_type: a.str("client_type")?.to_string(),
                consensus_heights,
            }
        }
        "client_misbehaviour" => IbcEvent::ClientMisbehaviour {
            client_id: a.parse("client_id")?,
            client_type: a.str("client_type")?.to_string(),
        },
        "connection_open_init" => IbcEvent::OpenInitConnection(a.connection()?),
        "connection_open_try" => IbcEvent::OpenTryConnection(a.connection()?),
        "connection_open_ack" => IbcEvent::OpenAckConnection(a.connection()?),
        "connection_open_confirm" => IbcEvent::OpenConfirmConnection(a.connection()?),
        "channel_open_init" => IbcEvent::OpenInitChannel(a.channel()?),
        "channel_open_try" => IbcEvent::OpenTryChannel(a.channel()?),
        "channel_open_ack" => IbcEvent::OpenAckChannel(a.channel()?),
        "channel_open_confirm" => IbcEvent::OpenConfirmChannel(a.channel()?),
        "channel_close_init" => IbcEvent::CloseInitChannel(a.channel()?),
        "channel_close_confirm" => IbcEvent::CloseConfirmChannel(a.channel()?),
        "channel_close" => IbcEvent::ChannelClosed(a.channel()?),
        "send_packet" => IbcEvent::SendPacket(a.packet()?),
        "recv_packet" => IbcEvent::RecvPacket(a.packet()?),
        "write_acknowledgement" => IbcEvent::WriteAcknowledgement {
            packet: a.packet()?,
            ack: match a.opt("packet_ack_hex") {
                Some(_) => a.hex("packet_ack_hex")?,
                None => a.str("packet_ack")?.as_bytes().to_vec(),
            },
        },
        "acknowledge_packet" => IbcEvent::AcknowledgePacket(a.header()?),
        "timeout_packet" => IbcEvent::TimeoutPacket(a.header()?),
        _ => return Ok(None),
    };
    Ok(Some(event))
}

#[cfg(test)]
mod tests;
