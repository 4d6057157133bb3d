//! IBC v2 packet events, as ibc-go v10/v11 emit them
//! (`modules/core/04-channel/v2/keeper/events.go`), parsed into the classic
//! [`IbcEvent`] packet variants with the v2 packet carried in a classic
//! [`Packet`] (see [`relay`](super::relay)).
//!
//! Every v2 packet event (`send_packet`, `recv_packet`, `write_acknowledgement`,
//! `acknowledge_packet`, `timeout_packet`) has `packet_source_client`, `packet_dest_client`,
//! `packet_sequence`, `packet_timeout_timestamp` (seconds) and `encoded_packet_hex` (the
//! protobuf-encoded packet); `write_acknowledgement` also has `encoded_acknowledgement_hex`
//! (the protobuf-encoded acknowledgement). [`crate::events::parse_ibc_event`] sends a
//! packet event here when it has `encoded_packet_hex` or `packet_source_client`.

use prost::Message;

use super::channel;
use super::relay::{carry_encoded, decode_ack};
use crate::events::{Attrs, EventError, IbcEvent, Packet};
use crate::ids::ChannelId;

/// The kinds of IBC v2 packet events (the same strings as the classic events').
pub const PACKET_KINDS: &[&str] = &[
    "send_packet",
    "recv_packet",
    "write_acknowledgement",
    "acknowledge_packet",
    "timeout_packet",
];

/// The attribute key of the source client (ibc-go `AttributeKeySrcClient`).
pub const SOURCE_CLIENT: &str = "packet_source_client";
/// The attribute key of the destination client (`AttributeKeyDstClient`).
pub const DEST_CLIENT: &str = "packet_dest_client";
/// The attribute key of the sequence, in decimal (`AttributeKeySequence`).
pub const SEQUENCE: &str = "packet_sequence";
/// The attribute key of the timeout, in decimal seconds (`AttributeKeyTimeoutTimestamp`).
pub const TIMEOUT: &str = "packet_timeout_timestamp";
/// The attribute key of the hex of the protobuf-encoded packet
/// (`AttributeKeyEncodedPacketHex`).
pub const ENCODED_PACKET: &str = "encoded_packet_hex";
/// The attribute key of the hex of the protobuf-encoded acknowledgement
/// (`AttributeKeyEncodedAckHex`, on `write_acknowledgement` only).
pub const ENCODED_ACK: &str = "encoded_acknowledgement_hex";

/// Whether the attributes are those of an IBC v2 packet event: a packet kind with an
/// `encoded_packet_hex` or `packet_source_client` attribute (classic events have neither).
pub(crate) fn is_v2_packet_event(a: &Attrs) -> bool {
    PACKET_KINDS.contains(&a.kind())
        && (a.opt(ENCODED_PACKET).is_some() || a.opt(SOURCE_CLIENT).is_some())
}

/// Parses an IBC v2 packet event (one [`is_v2_packet_event`] accepts; `Ok(None)` for other
/// kinds). The packet is decoded from `encoded_packet_hex` and must agree with the plain
/// attributes; a missing or malformed attribute, a disagreement, a client id that is not
/// a valid [`ChannelId`], a sequence 0 or a packet without payloads is an [`EventError`].
pub(crate) fn parse_v2_packet_event(a: &Attrs) -> Result<Option<IbcEvent>, EventError> {
    let event = match a.kind() {
        "send_packet" => IbcEvent::SendPacket(carried_packet(a)?),
        "recv_packet" => IbcEvent::RecvPacket(carried_packet(a)?),
        "write_acknowledgement" => IbcEvent::WriteAcknowledgement {
            packet: carried_packet(a)?,
            ack: acknowledgement(a)?,
        },
        "acknowledge_packet" => IbcEvent::AcknowledgePacket(carried_packet(a)?.header()),
        "timeout_packet" => IbcEvent::TimeoutPacket(carried_packet(a)?.header()),
        _ => return Ok(None),
    };
    Ok(Some(event))
}

/// The event's packet, carried as a classic packet whose `data` is the exact bytes of
/// `encoded_packet_hex`.
fn carried_packet(a: &Attrs) -> Result<Packet, EventError> {
    let source: ChannelId = a.parse(SOURCE_CLIENT)?;
    let destination: ChannelId = a.parse(DEST_CLIENT)?;
    let sequence: u64 = a.parse(SEQUENCE)?;
    let timeout: u64 = a.parse(TIMEOUT)?;
    let data = a.hex(ENCODED_PACKET)?;
    let encoded = a.opt(ENCODED_PACKET).unwrap_or_default();
    let packet = channel::Packet::decode(data.as_slice()).map_err(|e| {
        let detail = format!("not a protobuf-encoded IBC v2 packet: {e}");
        a.malformed(ENCODED_PACKET, encoded, detail)
    })?;
    agree(
        a,
        SOURCE_CLIENT,
        source.as_str(),
        packet.source_client.as_str(),
    )?;
    agree(
        a,
        DEST_CLIENT,
        destination.as_str(),
        packet.destination_client.as_str(),
    )?;
    agree(a, SEQUENCE, &sequence, &packet.sequence)?;
    agree(a, TIMEOUT, &timeout, &packet.timeout_timestamp)?;
    if sequence == 0 {
        return Err(a.malformed(SEQUENCE, "0", "IBC v2 sequences start at 1".into()));
    }
    carry_encoded(&packet, data).map_err(|e| a.malformed(ENCODED_PACKET, encoded, e.to_string()))
}

/// `Ok` when the plain attribute `key` (`plain`) equals the encoded packet's field.
fn agree<T: PartialEq + std::fmt::Display + ?Sized>(
    a: &Attrs,
    key: &'static str,
    plain: &T,
    encoded: &T,
) -> Result<(), EventError> {
    if plain == encoded {
        return Ok(());
    }
    let value = a.opt(key).unwrap_or_default();
    let detail = format!("the encoded packet (`{ENCODED_PACKET}`) says `{encoded}`");
    Err(a.malformed(key, value, detail))
}

/// The event's acknowledgement: the exact bytes of `encoded_acknowledgement_hex`, which
/// must decode as a v2 acknowledgement.
fn acknowledgement(a: &Attrs) -> Result<Vec<u8>, EventError> {
    let ack = a.hex(ENCODED_ACK)?;
    match decode_ack(&ack) {
        Ok(_) => Ok(ack),
        Err(e) => {
            let value = a.opt(ENCODED_ACK).unwrap_or_default();
            Err(a.malformed(ENCODED_ACK, value, e.to_string()))
        }
    }
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
