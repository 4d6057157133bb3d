//! What a block says for the packet history: the packet events of served channels and the
//! client updates of served clients, each with the index of the tx it came in. They wait
//! for the block's time and tx hashes ([`super::history_feed`]), read off the scanner's path.

use stateset_channels::events::{IbcEvent, Packet};
use stateset_packet_handlers::ack::Acknowledgement;
use stateset_packet_handlers::ics29::IncentivizedAck;

use super::Routes;
use crate::store::{summarize_packet, PacketId, PacketSummary, StepKind, Store};

/// One thing a block showed, without time and tx hash yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sighting {
    /// A step of a packet of a served channel.
    Packet {
        /// The packet.
        id: PacketId,
        /// What it is (from a send or receive event: the packet is recorded if new).
        summary: Option<Box<PacketSummary>>,
        /// What happened.
        kind: StepKind,
    },
    /// A MsgUpdateClient landed on a served client of this chain.
    ClientUpdate {
        /// The client.
        client_id: String,
    },
}

/// The sightings of one block of one chain: (index of the tx, or `None` for the block's own
/// events, sighting).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockSightings {
    /// The height.
    pub height: u64,
    /// What was seen, in block order.
    pub items: Vec<(Option<usize>, Sighting)>,
}

/// What `event`, seen on `chain`, means for the history (`None`: nothing). Must run before
/// the event is recorded in the ledger: an acknowledgement's success is read from the
/// acknowledgement the ledger holds until then.
pub fn sighting(chain: &str, store: &Store, routes: &Routes, event: &IbcEvent) -> Option<Sighting> {
    match event {
        IbcEvent::SendPacket(p) => {
            let path = routes.get(chain, p.source_port.as_str(), p.source_channel.as_str())?;
            Some(packet_step(p, chain, &path.b.chain, StepKind::Sent))
        }
        IbcEvent::RecvPacket(p) => {
            let path = routes.get(
                chain,
                p.destination_port.as_str(),
                p.destination_channel.as_str(),
            )?;
            Some(packet_step(p, &path.b.chain, chain, StepKind::Received))
        }
        IbcEvent::AcknowledgePacket(h) => {
            let (port, channel) = (h.source_port.as_str(), h.source_channel.as_str());
            routes.get(chain, port, channel)?;
            let (success, error) = ack_outcome(store, chain, port, channel, h.sequence);
            Some(header_step(
                chain,
                port,
                channel,
                h.sequence,
                StepKind::Acknowledged { success, error },
            ))
        }
        IbcEvent::TimeoutPacket(h) | IbcEvent::TimeoutOnClose(h) => {
            let (port, channel) = (h.source_port.as_str(), h.source_channel.as_str());
            routes.get(chain, port, channel)?;
            Some(header_step(
                chain,
                port,
                channel,
                h.sequence,
                StepKind::TimedOut,
            ))
        }
        IbcEvent::UpdateClient { client_id, .. } => {
            let served = routes
                .from_chain(chain)
                .iter()
                .any(|p| p.a.client == client_id.as_str());
            served.then(|| Sighting::ClientUpdate {
                client_id: client_id.to_string(),
            })
        }
        _ => None,
    }
}

fn packet_step(p: &Packet, source: &str, destination: &str, kind: StepKind) -> Sighting {
    let summary = summarize_packet(p, source, destination);
    Sighting::Packet {
        id: summary.id.clone(),
        summary: Some(Box::new(summary)),
        kind,
    }
}

fn header_step(chain: &str, port: &str, channel: &str, sequence: u64, kind: StepKind) -> Sighting {
    Sighting::Packet {
        id: PacketId {
            chain: chain.to_string(),
            port: port.to_string(),
            channel: channel.to_string(),
            sequence,
        },
        summary: None,
        kind,
    }
}

/// Whether the acknowledgement the ledger holds for the packet is a success, and its error.
/// An acknowledgement the relayer did not see, or cannot read (IBC v2, another app's
/// encoding), counts as a success: the source chain accepted it.
fn ack_outcome(
    store: &Store,
    chain: &str,
    port: &str,
    channel: &str,
    sequence: u64,
) -> (bool, Option<String>) {
    let ack = store
        .ledger(chain, port, channel)
        .and_then(|l| l.get(sequence))
        .ok()
        .flatten()
        .and_then(|r| r.ack);
    let Some(ack) = ack else {
        return (true, None);
    };
    let app_ack = IncentivizedAck::decode(&ack).map_or(ack, |f| f.app_acknowledgement);
    match Acknowledgement::decode(&app_ack) {
        Ok(Acknowledgement::Error(e)) => (false, Some(e)),
        _ => (true, None),
    }
}
