//! What the applications made of relayed packets, read from the acknowledgements the relayer
//! delivered: ICS-27 per-message results (logged and counted by message type), ICS-20 and
//! other error acknowledgements (logged). Fee-wrapped acknowledgements are unwrapped first.
//! Message types are chain data: their label values are bounded
//! ([`stateset_monitoring::bounded_label`]), so a flood of made-up types cannot grow the
//! exporter.

use std::collections::HashSet;

use stateset_channels::events::Packet;
use stateset_monitoring::{bounded_label, LabelFamily};
use stateset_packet_handlers::ack::Acknowledgement;
use stateset_packet_handlers::ics27::{self, MessageResult};
use stateset_packet_handlers::ics29::IncentivizedAck;
use tracing::{info, warn};

use super::Path;

/// Whether a port is an interchain-account controller port.
pub fn is_ica_controller(port: &str) -> bool {
    port.starts_with("icacontroller-")
}

/// Reports the acknowledgements among `acks` whose delivery landed (`landed`).
pub fn report(path: &Path, labels: &[&str], acks: &[(u64, (Packet, Vec<u8>))], landed: &[u64]) {
    let landed: HashSet<u64> = landed.iter().copied().collect();
    let m = stateset_monitoring::global();
    for (seq, (packet, ack)) in acks.iter().filter(|(s, _)| landed.contains(s)) {
        if stateset_channels::v2::is_v2(packet) {
            report_v2(path, *seq, ack);
            continue;
        }
        // Fee-wrapped acks carry the application's ack inside.
        let fee = IncentivizedAck::decode(ack).ok();
        let app_ack = fee
            .as_ref()
            .map_or_else(|| ack.clone(), |f| f.app_acknowledgement.clone());
        if is_ica_controller(packet.source_port.as_str()) {
            match ics27::outcomes(&packet.data, &app_ack) {
                Ok(outcomes) => {
                    for o in outcomes {
                        match &o.result {
                            MessageResult::Success { response_type } => {
                                info!(path = %path.name(), sequence = seq, msg_type = %o.msg_type,
                                    response = %response_type, "ICA message executed on the host");
                            }
                            MessageResult::Error { message } => {
                                warn!(path = %path.name(), sequence = seq, msg_type = %o.msg_type,
                                    error = %message, "ICA message failed on the host (error acknowledgement)");
                            }
                        }
                        // The type URL comes from packet data anyone can send: bounded.
                        let msg_type = bounded_label(LabelFamily::IcaMsgType, &o.msg_type);
                        let mut l = labels.to_vec();
                        l.push(&msg_type);
                        l.push(o.result.as_label());
                        m.ica_messages.with_label_values(&l).inc();
                    }
                }
                Err(e) => {
                    warn!(path = %path.name(), sequence = seq, error = %e, "ICA packet or acknowledgement unreadable");
                    if let Some(chain) = labels.first() {
                        m.malformed_events.with_label_values(&[chain]).inc();
                    }
                }
            }
        } else if let Ok(Acknowledgement::Error(e)) = Acknowledgement::decode(&app_ack) {
            warn!(path = %path.name(), sequence = seq, port = %packet.source_port, error = %e,
                "the destination application refused the packet (error acknowledgement)");
        }
        if let Some(fee) = fee.filter(|f| !f.forward_relayer_address.is_empty()) {
            tracing::debug!(path = %path.name(), sequence = seq,
                forward_relayer = %fee.forward_relayer_address, "incentivized acknowledgement");
        }
    }
}

/// Reports an IBC v2 acknowledgement: the universal error acknowledgement (the destination
/// refused the whole packet) or an application's error acknowledgement of one payload.
fn report_v2(path: &Path, seq: u64, ack: &[u8]) {
    use prost::Message;
    use stateset_channels::v2::{channel, ERROR_ACKNOWLEDGEMENT};
    let Ok(ack) = channel::Acknowledgement::decode(ack) else {
        return; // The commitment check already proved these bytes; nothing to add.
    };
    if ack.app_acknowledgements == [ERROR_ACKNOWLEDGEMENT.to_vec()] {
        warn!(path = %path.name(), sequence = seq,
            "the destination refused the IBC v2 packet (universal error acknowledgement)");
        return;
    }
    for (payload, app_ack) in ack.app_acknowledgements.iter().enumerate() {
        if let Ok(Acknowledgement::Error(e)) = Acknowledgement::decode(app_ack) {
            warn!(path = %path.name(), sequence = seq, payload, error = %e,
                "the destination application refused an IBC v2 payload (error acknowledgement)");
        }
    }
}
