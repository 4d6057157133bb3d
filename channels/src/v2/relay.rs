//! Relaying IBC v2 packets through the classic packet machinery.
//!
//! The relayer plans, batches and times out IBC v2 packets with the same code as classic
//! (IBC v1) packets, by carrying each v2 packet inside a classic [`events::Packet`]:
//!
//! * `sequence`: the v2 packet's sequence;
//! * `source_port` and `destination_port`: [`V2_PORT`] (`ibc-v2`);
//! * `source_channel`: the v2 packet's `source_client` as a [`ChannelId`] (e.g.
//!   `07-tendermint-0`), `destination_channel`: its `destination_client`;
//! * `data`: the protobuf encoding of the whole [`channel::Packet`] (for a packet from an
//!   event, exactly the bytes of the event's `encoded_packet_hex`);
//! * `timeout_height`: zero (none);
//! * `timeout_timestamp`: the v2 timeout (**seconds**) × 1 000 000 000, saturating at
//!   `u64::MAX`, so that the nanosecond timeout logic of classic packets applies unchanged;
//! * `ordering`: `Some(Ordering::Unordered)`.
//!
//! A v2 acknowledgement (the `ack` of [`IbcEvent::WriteAcknowledgement`]) is carried as the
//! protobuf encoding of a [`channel::Acknowledgement`] (for an event, exactly the bytes of
//! its `encoded_acknowledgement_hex`).
//!
//! The functions here turn a carried packet back into the v2 packet, its commitment and
//! the v2 messages that relay it.
//!
//! [`IbcEvent::WriteAcknowledgement`]: crate::events::IbcEvent::WriteAcknowledgement

use prost::Message;

use super::channel;
use super::commitment::{commit_acknowledgement, commit_packet};
use crate::events;
use crate::ids::{ChannelId, Height, IdError, PortId};
use crate::state::Ordering;

/// The port id of both ends of an IBC v2 packet carried as a classic [`events::Packet`].
pub const V2_PORT: &str = "ibc-v2";

/// Nanoseconds per second: the carried timeout is the v2 timeout (seconds) times this.
const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// Why a packet or acknowledgement is not a usable carried IBC v2 one.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum V2PacketError {
    /// The packet is a classic one: its source port is not [`V2_PORT`].
    #[error("not an IBC v2 packet: source port `{0}` is not `{V2_PORT}`")]
    NotV2(String),
    /// The packet's `data` is not a protobuf-encoded v2 packet.
    #[error("the data of the carried packet is not a protobuf-encoded IBC v2 packet: {0}")]
    Data(String),
    /// The acknowledgement is not a protobuf-encoded v2 acknowledgement.
    #[error("not a protobuf-encoded IBC v2 acknowledgement: {0}")]
    Ack(String),
    /// A field of the carried packet disagrees with the v2 packet in its `data`.
    #[error("the carried packet's {field} is `{carried}` but its IBC v2 packet's is `{encoded}`")]
    Mismatch {
        /// The field of [`events::Packet`], e.g. `source_channel`.
        field: &'static str,
        /// Its value in the carried packet.
        carried: String,
        /// The value the v2 packet in `data` gives it.
        encoded: String,
    },
    /// A client id of the v2 packet is not a valid [`ChannelId`].
    #[error("the IBC v2 packet's {field} is not a valid channel id: {error}")]
    Client {
        /// `source_client` or `destination_client`.
        field: &'static str,
        /// Why it is not valid.
        error: IdError,
    },
    /// The v2 packet's sequence is 0 (ibc-go's sequences start at 1).
    #[error("the IBC v2 packet's sequence is 0")]
    ZeroSequence,
    /// The v2 packet has no payloads.
    #[error("the IBC v2 packet has no payloads")]
    NoPayloads,
}

/// Whether `packet` carries an IBC v2 packet: its source port is [`V2_PORT`].
pub fn is_v2(packet: &events::Packet) -> bool {
    packet.source_port.as_str() == V2_PORT
}

/// The classic packet carrying `packet` (see the [module docs](self)), with `data` the
/// protobuf encoding of `packet`. Errors for a sequence 0, no payloads, or a client id
/// that is not a valid [`ChannelId`].
pub fn carry(packet: &channel::Packet) -> Result<events::Packet, V2PacketError> {
    carry_encoded(packet, packet.encode_to_vec())
}

/// As [`carry`], with `data` the given encoding of `packet` (an event's exact bytes).
pub(crate) fn carry_encoded(
    packet: &channel::Packet,
    data: Vec<u8>,
) -> Result<events::Packet, V2PacketError> {
    if packet.sequence == 0 {
        return Err(V2PacketError::ZeroSequence);
    }
    if packet.payloads.is_empty() {
        return Err(V2PacketError::NoPayloads);
    }
    Ok(events::Packet {
        sequence: packet.sequence,
        source_port: PortId::v2(),
        source_channel: client_channel("source_client", &packet.source_client)?,
        destination_port: PortId::v2(),
        destination_channel: client_channel("destination_client", &packet.destination_client)?,
        data,
        timeout_height: Height::default(),
        timeout_timestamp: packet.timeout_timestamp.saturating_mul(NANOS_PER_SECOND),
        ordering: Some(Ordering::Unordered),
    })
}

/// A v2 client id as the channel id of a carried packet.
fn client_channel(field: &'static str, client_id: &str) -> Result<ChannelId, V2PacketError> {
    client_id
        .parse()
        .map_err(|error| V2PacketError::Client { field, error })
}

/// The IBC v2 packet `packet` carries: its `data` decoded, after checking that the carried
/// sequence, ports, channels (clients) and timeouts are the ones [`carry`] gives it.
pub fn v2_packet(packet: &events::Packet) -> Result<channel::Packet, V2PacketError> {
    if !is_v2(packet) {
        return Err(V2PacketError::NotV2(packet.source_port.to_string()));
    }
    let decoded = channel::Packet::decode(packet.data.as_slice())
        .map_err(|e| V2PacketError::Data(e.to_string()))?;
    let expected = carry_encoded(&decoded, Vec::new())?;
    agree(packet, &expected)?;
    Ok(decoded)
}

/// `Ok` when `carried` has the header fields of `expected`.
fn agree(carried: &events::Packet, expected: &events::Packet) -> Result<(), V2PacketError> {
    let (c, e) = (carried.header(), expected.header());
    let fields: [(&'static str, String, String); 6] = [
        ("sequence", c.sequence.to_string(), e.sequence.to_string()),
        (
            "destination_port",
            c.destination_port.to_string(),
            e.destination_port.to_string(),
        ),
        (
            "source_channel",
            c.source_channel.to_string(),
            e.source_channel.to_string(),
        ),
        (
            "destination_channel",
            c.destination_channel.to_string(),
            e.destination_channel.to_string(),
        ),
        (
            "timeout_height",
            c.timeout_height.to_string(),
            e.timeout_height.to_string(),
        ),
        (
            "timeout_timestamp",
            c.timeout_timestamp.to_string(),
            e.timeout_timestamp.to_string(),
        ),
    ];
    match fields.into_iter().find(|(_, c, e)| c != e) {
        Some((field, carried, encoded)) => Err(V2PacketError::Mismatch {
            field,
            carried,
            encoded,
        }),
        None => Ok(()),
    }
}

/// The v2 acknowledgement a carried `ack` encodes.
pub(crate) fn decode_ack(ack: &[u8]) -> Result<channel::Acknowledgement, V2PacketError> {
    channel::Acknowledgement::decode(ack).map_err(|e| V2PacketError::Ack(e.to_string()))
}

/// The commitment the source chain stores for the carried packet
/// ([`commit_packet`] of [`v2_packet`]).
pub fn v2_packet_commitment(packet: &events::Packet) -> Result<[u8; 32], V2PacketError> {
    Ok(commit_packet(&v2_packet(packet)?))
}

/// The commitment the destination chain stores for a carried acknowledgement
/// ([`commit_acknowledgement`] of the decoded `ack`).
pub fn v2_ack_commitment(ack: &[u8]) -> Result<[u8; 32], V2PacketError> {
    Ok(commit_acknowledgement(&decode_ack(ack)?))
}

/// The payloads of the carried packet.
pub fn payloads(packet: &events::Packet) -> Result<Vec<channel::Payload>, V2PacketError> {
    Ok(v2_packet(packet)?.payloads)
}

/// The v2 `MsgRecvPacket` of the carried packet, with the proof of its commitment on the
/// source chain at `proof_height`.
pub fn build_v2_recv_packet(
    packet: &events::Packet,
    proof_commitment: Vec<u8>,
    proof_height: Height,
    signer: &str,
) -> Result<channel::MsgRecvPacket, V2PacketError> {
    Ok(channel::MsgRecvPacket {
        packet: Some(v2_packet(packet)?),
        proof_commitment,
        proof_height: Some(proof_height.into()),
        signer: signer.to_string(),
    })
}

/// The v2 `MsgAcknowledgement` of the carried packet and carried acknowledgement `ack`, with
/// the proof of the acknowledgement commitment on the destination chain at `proof_height`.
pub fn build_v2_acknowledgement(
    packet: &events::Packet,
    ack: &[u8],
    proof_acked: Vec<u8>,
    proof_height: Height,
    signer: &str,
) -> Result<channel::MsgAcknowledgement, V2PacketError> {
    Ok(channel::MsgAcknowledgement {
        packet: Some(v2_packet(packet)?),
        acknowledgement: Some(decode_ack(ack)?),
        proof_acked,
        proof_height: Some(proof_height.into()),
        signer: signer.to_string(),
    })
}

/// The v2 `MsgTimeout` of the carried packet, with the proof that the destination chain
/// has no receipt for it at `proof_height`.
pub fn build_v2_timeout(
    packet: &events::Packet,
    proof_unreceived: Vec<u8>,
    proof_height: Height,
    signer: &str,
) -> Result<channel::MsgTimeout, V2PacketError> {
    Ok(channel::MsgTimeout {
        packet: Some(v2_packet(packet)?),
        proof_unreceived,
        proof_height: Some(proof_height.into()),
        signer: signer.to_string(),
    })
}

#[cfg(test)]
#[path = "relay_tests.rs"]
mod tests;
