//! Parsing events from their kind and attributes.

use std::collections::HashMap;

use base64::Engine;

use super::{ChannelAttributes, ConnectionAttributes, EventError, IbcEvent, Packet, PacketHeader};
use crate::ids::IdError;
use crate::state::Ordering;
use crate::v2::events as v2;

/// Every event kind [`parse_ibc_event`] turns into an [`IbcEvent`] (ibc-go's names).
pub const KINDS: &[&str] = &[
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
    "timeout_on_close_packet",
];

/// The attribute keys ibc-go v8 puts on the events above (client, connection, channel and
/// packet events), used to recognise base64-encoded keys.
const KNOWN_KEYS: &[&str] = &[
    "client_id",
    "client_type",
    "consensus_height",
    "consensus_heights",
    "header",
    "connection_id",
    "counterparty_client_id",
    "counterparty_connection_id",
    "port_id",
    "channel_id",
    "counterparty_port_id",
    "counterparty_channel_id",
    "version",
    "packet_data",
    "packet_data_hex",
    "packet_ack",
    "packet_ack_hex",
    "packet_timeout_height",
    "packet_timeout_timestamp",
    "packet_sequence",
    "packet_src_port",
    "packet_src_channel",
    "packet_dst_port",
    "packet_dst_channel",
    "packet_channel_ordering",
    "packet_connection",
    // IBC v2 packet events (ibc-go v10/v11, see `crate::v2::events`).
    v2::SOURCE_CLIENT,
    v2::DEST_CLIENT,
    v2::ENCODED_PACKET,
    v2::ENCODED_ACK,
];

/// Parses a CometBFT event (from a tx result, block results or a websocket message).
///
/// Keys and values are taken as bytes (lossy UTF-8), so both the 0.37+ string attributes
/// and 0.34 byte attributes work; attributes whose key arrives base64-encoded (0.34 JSON)
/// are decoded as in [`parse_ibc_event`].
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

/// Parses an event from its kind and (key, value) attributes. `Ok(None)` for events that
/// are not IBC events this crate models (e.g. `transfer`, `message`).
///
/// A key that is not a known ibc-go attribute key but whose base64 decoding is one (as
/// CometBFT 0.34 chains report them) is decoded, and its value with it. Unknown extra
/// attributes are ignored; when a key repeats, the first one counts. A missing or
/// malformed required attribute is an [`EventError`] naming the kind and the attribute.
/// Bytes come from `packet_data_hex` / `packet_ack_hex`, falling back to the deprecated
/// `packet_data` / `packet_ack`.
///
/// IBC v2 packet events (ibc-go v10/v11: a packet kind with an `encoded_packet_hex` or
/// `packet_source_client` attribute) give the same variants, with the v2 packet carried as
/// a classic [`Packet`] as [`crate::v2::relay`] describes.
pub fn parse_ibc_event(
    kind: &str,
    attributes: &[(String, String)],
) -> Result<Option<IbcEvent>, EventError> {
    if !KINDS.contains(&kind) {
        return Ok(None);
    }
    let a = Attrs::new(kind, attributes);
    if v2::is_v2_packet_event(&a) {
        return v2::parse_v2_packet_event(&a);
    }
    let event = match kind {
        "create_client" => IbcEvent::CreateClient {
            client_id: a.parse("client_id")?,
            client_type: a.str("client_type")?.to_string(),
            consensus_height: a.parse("consensus_height")?,
        },
        "update_client" => IbcEvent::UpdateClient {
            client_id: a.parse("client_id")?,
            client_type: a.str("client_type")?.to_string(),
            consensus_heights: a.consensus_heights()?,
        },
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
            ack: a.bytes("packet_ack_hex", "packet_ack")?,
        },
        "acknowledge_packet" => IbcEvent::AcknowledgePacket(a.header()?),
        "timeout_packet" => IbcEvent::TimeoutPacket(a.header()?),
        "timeout_on_close_packet" => IbcEvent::TimeoutOnClose(a.header()?),
        _ => return Ok(None),
    };
    Ok(Some(event))
}

/// Attributes by key, decoded from base64 where a 0.34 chain encoded them.
pub(crate) struct Attrs<'a> {
    kind: &'a str,
    map: HashMap<String, String>,
}

fn decode_b64(s: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    String::from_utf8(bytes).ok()
}

impl<'a> Attrs<'a> {
    fn new(kind: &'a str, attributes: &[(String, String)]) -> Self {
        let known = |k: &str| KNOWN_KEYS.contains(&k);
        let mut map = HashMap::new();
        for (k, v) in attributes {
            let (key, value) = if known(k) {
                (k.clone(), v.clone())
            } else {
                match decode_b64(k).filter(|k| known(k)) {
                    // A value that is not base64 is kept as it came (and fails to parse
                    // if it is required).
                    Some(key) => (key, decode_b64(v).unwrap_or_else(|| v.clone())),
                    None => (k.clone(), v.clone()),
                }
            };
            map.entry(key).or_insert(value);
        }
        Attrs { kind, map }
    }

    /// The event kind.
    pub(crate) fn kind(&self) -> &str {
        self.kind
    }

    /// The value of `key`, if present.
    pub(crate) fn opt(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    fn str(&self, key: &'static str) -> Result<&str, EventError> {
        self.opt(key).ok_or_else(|| EventError::Missing {
            kind: self.kind.into(),
            attribute: key,
        })
    }

    /// The value of `key`, parsed (missing or malformed: an error naming it).
    pub(crate) fn parse<T: std::str::FromStr>(&self, key: &'static str) -> Result<T, EventError>
    where
        T::Err: std::fmt::Display,
    {
        let value = self.str(key)?;
        value
            .parse()
            .map_err(|e: T::Err| self.malformed(key, value, e.to_string()))
    }

    /// The error for a malformed `attribute` of value `value`.
    pub(crate) fn malformed(
        &self,
        attribute: &'static str,
        value: &str,
        detail: String,
    ) -> EventError {
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

    /// Bytes from the hex attribute `hex_key`, else the raw string attribute `raw_key`.
    fn bytes(&self, hex_key: &'static str, raw_key: &'static str) -> Result<Vec<u8>, EventError> {
        match self.opt(hex_key) {
            Some(_) => self.hex(hex_key),
            None => Ok(self.str(raw_key)?.as_bytes().to_vec()),
        }
    }

    /// Bytes from the (required) hex attribute `key`.
    pub(crate) fn hex(&self, key: &'static str) -> Result<Vec<u8>, EventError> {
        let value = self.str(key)?;
        hex_decode(value).ok_or_else(|| self.malformed(key, value, "not hex".into()))
    }

    /// `consensus_heights` (comma-separated, ibc-go ≥ v7.3), else the deprecated single
    /// `consensus_height`.
    fn consensus_heights(&self) -> Result<Vec<crate::ids::Height>, EventError> {
        let (key, list) = match self.opt("consensus_heights") {
            Some(list) => ("consensus_heights", list),
            None => ("consensus_height", self.str("consensus_height")?),
        };
        list.split(',')
            .filter(|s| !s.is_empty())
            .map(|h| {
                h.parse()
                    .map_err(|e: IdError| self.malformed(key, list, e.to_string()))
            })
            .collect()
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
        Ok(PacketHeader {
            sequence: self.parse("packet_sequence")?,
            source_port: self.parse("packet_src_port")?,
            source_channel: self.parse("packet_src_channel")?,
            destination_port: self.parse("packet_dst_port")?,
            destination_channel: self.parse("packet_dst_channel")?,
            timeout_height: self.parse("packet_timeout_height")?,
            timeout_timestamp: self.parse("packet_timeout_timestamp")?,
        })
    }

    fn packet(&self) -> Result<Packet, EventError> {
        let h = self.header()?;
        Ok(Packet {
            sequence: h.sequence,
            source_port: h.source_port,
            source_channel: h.source_channel,
            destination_port: h.destination_port,
            destination_channel: h.destination_channel,
            data: self.bytes("packet_data_hex", "packet_data")?,
            timeout_height: h.timeout_height,
            timeout_timestamp: h.timeout_timestamp,
            // Optional: an unknown value (none in ibc-go v8) is treated as absent.
            ordering: self
                .opt("packet_channel_ordering")
                .and_then(Ordering::from_event_value),
        })
    }
}

/// Decodes lower- or upper-case hex (`None` for an odd length or a non-hex character).
fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let pairs = s.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    pairs
        .map(|pair| match pair {
            [hi, lo] => Some(nibble(*hi)? << 4 | nibble(*lo)?),
            _ => None,
        })
        .collect()
}

/// The value of one hex digit.
fn nibble(digit: u8) -> Option<u8> {
    // A hex digit's value is below 16, so it fits a u8.
    char::from(digit)
        .to_digit(16)
        .and_then(|v| u8::try_from(v).ok())
}
