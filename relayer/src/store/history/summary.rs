//! What a packet is, read from its data: [`summarize_packet`].

use stateset_channels::events::Packet;
use stateset_packet_handlers::ics20::FungibleTokenPacketData;
use stateset_packet_handlers::ics27::InterchainAccountPacketData;

use super::{App, PacketId, PacketSummary};

/// Longest memo kept in the history (bytes); a longer one is cut at a character boundary
/// and ends in `…`.
pub const MAX_MEMO_BYTES: usize = 2048;

/// The port prefix of an interchain-account controller; the rest is the owner.
const ICA_CONTROLLER_PREFIX: &str = "icacontroller-";

/// The summary of `packet`, sent on `chain` to `counterparty_chain`, first seen now.
///
/// The application is read from the data: ICS-27 on an `icacontroller-<owner>` port (the
/// type URLs of the CosmosTx's messages, protobuf or proto3json); ICS-20 JSON on any other
/// classic port; for an IBC v2 packet, the first payload from port `transfer` encoded as
/// `application/json`. Anything else, including data that does not decode, is
/// [`App::Other`] with the source port (of the first payload for IBC v2). Never fails.
pub fn summarize_packet(packet: &Packet, chain: &str, counterparty_chain: &str) -> PacketSummary {
    PacketSummary {
        id: PacketId {
            chain: chain.to_string(),
            port: packet.source_port.to_string(),
            channel: packet.source_channel.to_string(),
            sequence: packet.sequence,
        },
        counterparty_chain: counterparty_chain.to_string(),
        destination_port: packet.destination_port.to_string(),
        destination_channel: packet.destination_channel.to_string(),
        app: app_of(packet),
        first_seen: super::super::now(),
    }
}

fn app_of(packet: &Packet) -> App {
    let port = packet.source_port.as_str();
    if stateset_channels::v2::is_v2(packet) {
        return v2_app(packet);
    }
    let app = match port.strip_prefix(ICA_CONTROLLER_PREFIX) {
        Some(owner) => ica(owner, &packet.data),
        None => transfer(&packet.data),
    };
    app.unwrap_or_else(|| App::Other {
        port: port.to_string(),
    })
}

/// An IBC v2 packet: its first JSON ICS-20 payload, else the first payload's port.
fn v2_app(packet: &Packet) -> App {
    let Ok(payloads) = stateset_channels::v2::payloads(packet) else {
        return App::Other {
            port: packet.source_port.to_string(),
        };
    };
    payloads
        .iter()
        .filter(|p| p.source_port == "transfer" && p.encoding == "application/json")
        .find_map(|p| transfer(&p.value))
        .unwrap_or_else(|| App::Other {
            port: payloads
                .first()
                .map_or_else(|| packet.source_port.to_string(), |p| p.source_port.clone()),
        })
}

/// ICS-20 packet data (JSON).
fn transfer(data: &[u8]) -> Option<App> {
    let d = FungibleTokenPacketData::decode(data).ok()?;
    Some(App::Transfer {
        sender: d.sender,
        receiver: d.receiver,
        denom: d.denom,
        amount: d.amount,
        memo: cut(d.memo, MAX_MEMO_BYTES),
    })
}

/// ICS-27 packet data of a controller whose port names `owner`.
fn ica(owner: &str, data: &[u8]) -> Option<App> {
    let d = InterchainAccountPacketData::decode(data).ok()?;
    let messages = d
        .message_types()
        .ok()
        .or_else(|| json_message_types(&d.data))?;
    Some(App::InterchainAccount {
        owner: (!owner.is_empty()).then(|| owner.to_string()),
        messages,
    })
}

/// The `@type` of each message of a proto3json CosmosTx (`{"messages":[{"@type":…}]}`).
fn json_message_types(data: &[u8]) -> Option<Vec<String>> {
    let tx: serde_json::Value = serde_json::from_slice(data).ok()?;
    tx.get("messages")?
        .as_array()?
        .iter()
        .map(|m| m.get("@type")?.as_str().map(str::to_string))
        .collect()
}

/// `s` cut to at most `max` bytes (at a character boundary, then `…`).
fn cut(mut s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push('…');
    s
}
