//! The relay steps of a worker: prove what the source (or destination) shows and submit
//! MsgRecvPacket, MsgAcknowledgement, MsgTimeout or MsgTimeoutOnClose. Each returns what
//! became of every sequence, and the ledger is updated from that.

use prost::Message;
use stateset_channels::events::Packet;
use stateset_channels::packet::{
    build_acknowledgement, build_recv_packet, build_timeout, build_timeout_on_close,
};
use stateset_channels::proof_height::written_by;
use stateset_channels::{paths, v2, Ordering};
use tracing::warn;

use stateset_channels::commitment::{ack_commitment, packet_commitment};

use super::error::RelayError;
use super::step_submit::{prove_and_submit, StepRoute};
use super::submit::SubmitOutcome;
use super::Path;
use crate::chain::tx::encode_any;
use crate::chain::ChainEndpoint;
use crate::store::{Ledger, PacketState, Store};

/// The chains, path, store and ledger one step works with.
pub(super) struct StepContext<'a> {
    /// The chain the packets were sent on.
    pub src: &'a ChainEndpoint,
    /// The chain they go to.
    pub dst: &'a ChainEndpoint,
    /// The path direction.
    pub path: &'a Path,
    /// The store (journal).
    pub store: &'a Store,
    /// The source end's ledger.
    pub ledger: &'a Ledger,
    /// Sequences to send each in a tx of its own.
    pub alone: &'a std::collections::HashSet<u64>,
    /// The block that wrote what each packet's next message proves (`None`: not known).
    pub written: &'a super::worker::Written,
}

impl<'a> StepContext<'a> {
    /// A step proving on the source and submitting to the destination (receives).
    fn route_to_destination(&self, what: &'a str, written_by: Option<u64>) -> StepRoute<'a> {
        StepRoute {
            prover: self.src,
            submitter: self.dst,
            client: &self.path.b.client,
            store: self.store,
            what,
            alone: self.alone,
            written_by,
        }
    }

    /// A step proving on the destination and submitting to the source (acknowledgements,
    /// timeouts).
    fn route_to_source(&self, what: &'a str, written_by: Option<u64>) -> StepRoute<'a> {
        StepRoute {
            prover: self.dst,
            submitter: self.src,
            client: &self.path.a.client,
            store: self.store,
            what,
            alone: self.alone,
            written_by,
        }
    }

    /// The highest block that wrote what `seqs`' messages prove (`None` when one of them
    /// is not known): the step can share a client height past it.
    fn written_by(&self, seqs: impl IntoIterator<Item = u64>) -> Option<u64> {
        written_by(
            seqs.into_iter()
                .map(|seq| self.written.get(&seq).copied().flatten()),
        )
    }
}

/// MsgRecvPacket for `packets` on the destination.
pub(super) async fn relay_recv(
    cx: &StepContext<'_>,
    packets: &[Packet],
) -> Result<SubmitOutcome, RelayError> {
    let (path, ledger) = (cx.path, cx.ledger);
    let v2 = path.is_v2();
    let items = packets
        .iter()
        .map(|p| {
            let key = match v2 {
                true => v2::packet_commitment_key(p.source_channel.as_str(), p.sequence),
                false => paths::key(&paths::packet_commitment(
                    &p.source_port,
                    &p.source_channel,
                    p.sequence,
                )),
            };
            (p.sequence, key)
        })
        .collect();
    for p in packets {
        ledger.mark(p.sequence, PacketState::RecvSubmitted)?;
    }
    let mismatched = std::sync::Mutex::new(Vec::new());
    let written_by = cx.written_by(packets.iter().map(|p| p.sequence));
    let route = cx.route_to_destination("recv_packet", written_by);
    let mut outcome = prove_and_submit(&route, items, None, |i, p| {
        // No commitment: acknowledged or timed out meanwhile.
        let proven = p.own.value.as_deref()?;
        let packet = packets.get(i)?;
        let expected = match v2 {
            true => v2::v2_packet_commitment(packet).ok(),
            false => Some(packet_commitment(packet)),
        };
        if expected.as_ref().map(|c| c.as_slice()) != Some(proven) {
            if let Ok(mut m) = mismatched.lock() {
                m.push(packet.sequence);
            }
            return None;
        }
        let proof = p.own.proof.encode_to_vec();
        match v2 {
            true => v2::build_v2_recv_packet(packet, proof, p.height, p.signer)
                .ok()
                .map(|m| encode_any(&m)),
            false => Some(encode_any(&build_recv_packet(
                packet, proof, p.height, p.signer,
            ))),
        }
    })
    .await?;
    for seq in outcome.landed.iter().chain(&outcome.redundant) {
        ledger.mark(*seq, PacketState::Received)?;
    }
    forget_mismatched(
        cx,
        "packet data",
        mismatched.into_inner().unwrap_or_default(),
        &mut outcome,
    )?;
    Ok(outcome)
}

/// MsgAcknowledgement for `acks` on the source.
pub(super) async fn relay_acks(
    cx: &StepContext<'_>,
    acks: &[(u64, (Packet, Vec<u8>))],
) -> Result<SubmitOutcome, RelayError> {
    let (path, ledger) = (cx.path, cx.ledger);
    let v2 = path.is_v2();
    let items = acks
        .iter()
        .map(|(seq, (p, _))| {
            let key = match v2 {
                true => v2::packet_acknowledgement_key(p.destination_channel.as_str(), p.sequence),
                false => paths::key(&paths::packet_ack(
                    &p.destination_port,
                    &p.destination_channel,
                    p.sequence,
                )),
            };
            (*seq, key)
        })
        .collect();
    let mismatched = std::sync::Mutex::new(Vec::new());
    let written_by = cx.written_by(acks.iter().map(|(seq, _)| *seq));
    let route = cx.route_to_source("acknowledgement", written_by);
    let mut outcome = prove_and_submit(&route, items, None, |i, proven| {
        let stored = proven.own.value.as_deref()?;
        let (p, ack) = &acks.get(i)?.1;
        let expected = match v2 {
            true => v2::v2_ack_commitment(ack).ok(),
            false => Some(ack_commitment(ack)),
        };
        if expected.as_ref().map(|c| c.as_slice()) != Some(stored) {
            if let Ok(mut m) = mismatched.lock() {
                m.push(p.sequence);
            }
            return None;
        }
        let proof = proven.own.proof.encode_to_vec();
        match v2 {
            true => v2::build_v2_acknowledgement(p, ack, proof, proven.height, proven.signer)
                .ok()
                .map(|m| encode_any(&m)),
            false => Some(encode_any(&build_acknowledgement(
                p,
                ack.clone(),
                proof,
                proven.height,
                proven.signer,
            ))),
        }
    })
    .await?;
    for seq in outcome.landed.iter().chain(&outcome.redundant) {
        ledger.finish(*seq)?;
    }
    forget_mismatched(
        cx,
        "acknowledgement",
        mismatched.into_inner().unwrap_or_default(),
        &mut outcome,
    )?;
    Ok(outcome)
}

/// Drops from the ledger the records whose event data did not match what the chain proves
/// (a node served a wrong event): clearing fetches them again from the chain.
fn forget_mismatched(
    cx: &StepContext<'_>,
    what: &str,
    seqs: Vec<u64>,
    outcome: &mut SubmitOutcome,
) -> Result<(), RelayError> {
    for seq in &seqs {
        warn!(path = %cx.path.name(), sequence = seq, what,
            "event data does not match the commitment the chain proves; fetching it again");
        cx.ledger.finish(*seq)?;
        stateset_monitoring::global()
            .malformed_events
            .with_label_values(&[cx.src.id()])
            .inc();
    }
    outcome.refetch.extend(seqs);
    Ok(())
}

/// MsgTimeout (or MsgTimeoutOnClose when the destination end is closed) for `packets` on
/// the source.
pub(super) async fn relay_timeouts(
    cx: &StepContext<'_>,
    packets: &[Packet],
    dst_closed: bool,
) -> Result<SubmitOutcome, RelayError> {
    let (dst, path, ledger) = (cx.dst, cx.path, cx.ledger);
    let ordered = path.ordering == Ordering::Ordered;
    let v2 = path.is_v2();
    let items = packets
        .iter()
        .map(|p| {
            let (port, channel) = (&p.destination_port, &p.destination_channel);
            let key = if v2 {
                v2::packet_receipt_key(channel.as_str(), p.sequence)
            } else if ordered {
                paths::key(&paths::next_sequence_recv(port, channel))
            } else {
                paths::key(&paths::packet_receipt(port, channel, p.sequence))
            };
            (p.sequence, key)
        })
        .collect();
    // A closed destination end: MsgTimeoutOnClose, proving the end closed at the same height.
    let closed_end =
        dst_closed.then(|| paths::key(&paths::channel_end(&path.b.port, &path.b.channel)));
    let what = if dst_closed {
        "timeout_on_close"
    } else {
        "timeout"
    };
    let name = path.name();
    // A timeout proves an absence, which holds only from the timeout on: at the latest
    // height, never at an older one the client happens to hold.
    let route = cx.route_to_source(what, None);
    let outcome = prove_and_submit(&route, items, closed_end, |i, proven| {
        let p = packets.get(i)?;
        let next_recv = if ordered {
            match next_sequence_recv(proven.own.value.as_deref()) {
                Some(n) => n,
                None => {
                    warn!(path = %name, sequence = p.sequence, value = ?proven.own.value,
                            "next sequence receive is missing or malformed; no timeout built");
                    stateset_monitoring::global()
                        .malformed_events
                        .with_label_values(&[dst.id()])
                        .inc();
                    return None;
                }
            }
        } else if proven.own.value.is_some() {
            return None; // received after all
        } else {
            p.sequence
        };
        let proof = proven.own.proof.encode_to_vec();
        if v2 {
            return v2::build_v2_timeout(p, proof, proven.height, proven.signer)
                .ok()
                .map(|m| encode_any(&m));
        }
        Some(match proven.shared {
            Some(closed) => {
                closed.value.as_ref()?;
                encode_any(&build_timeout_on_close(
                    p,
                    proof,
                    closed.proof.encode_to_vec(),
                    proven.height,
                    next_recv,
                    proven.signer,
                ))
            }
            None => encode_any(&build_timeout(
                p,
                proof,
                proven.height,
                next_recv,
                proven.signer,
            )),
        })
    })
    .await?;
    for seq in outcome.landed.iter().chain(&outcome.redundant) {
        ledger.finish(*seq)?;
    }
    Ok(outcome)
}

/// A next-sequence-receive value as the chain stores it: 8 bytes, big-endian.
fn next_sequence_recv(value: Option<&[u8]>) -> Option<u64> {
    let bytes: [u8; 8] = value?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_sequence_recv_is_eight_big_endian_bytes_or_nothing() {
        use super::next_sequence_recv as n;
        assert_eq!(n(Some(&[0, 0, 0, 0, 0, 0, 1, 2])), Some(258));
        assert_eq!(n(Some(&[1, 2])), None);
        assert_eq!(n(Some(&[])), None);
        assert_eq!(n(None), None);
    }
}
