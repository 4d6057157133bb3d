//! Recording what a block says about the served channels in their ledgers.

use stateset_channels::events::{parse_abci_event, IbcEvent};
use tendermint_rpc::endpoint::block_results;
use tracing::warn;

use super::sightings::{sighting, BlockSightings};
use super::Routes;
use crate::store::{PacketState, Store, StoreError};

/// Records the packet events of block `height` of `chain` (its txs' events, then the
/// block's own); a malformed IBC event is logged and skipped. With `sightings`, also
/// collects what the packet history needs (each with its tx's index in the block).
pub(super) fn record_block(
    chain: &str,
    store: &Store,
    routes: &Routes,
    results: &block_results::Response,
    mut sightings: Option<&mut BlockSightings>,
) -> Result<(), StoreError> {
    let height = results.height.value();
    for (tx_index, event) in block_events(results) {
        match parse_abci_event(event) {
            Ok(Some(ibc)) => {
                if let Some(seen) = sightings.as_deref_mut() {
                    if let Some(s) = sighting(chain, store, routes, &ibc) {
                        seen.items.push((tx_index, s));
                    }
                }
                record(chain, store, routes, &ibc, Some(height))?;
            }
            Ok(None) => {}
            Err(e) => warn!(chain, height, error = %e, "skipping a malformed IBC event"),
        }
    }
    Ok(())
}

/// Every event of a block: its txs' (with the tx's index in the block), then the block's
/// own (begin, end and finalize block; `None`).
pub(super) fn block_events(
    results: &block_results::Response,
) -> impl Iterator<Item = (Option<usize>, &tendermint::abci::Event)> {
    let tx_events = results
        .txs_results
        .iter()
        .flatten()
        .enumerate()
        .flat_map(|(i, r)| r.events.iter().map(move |e| (Some(i), e)));
    let own = results
        .begin_block_events
        .iter()
        .flatten()
        .chain(results.end_block_events.iter().flatten())
        .chain(results.finalize_block_events.iter())
        .map(|e| (None, e));
    tx_events.chain(own)
}

/// Records one event of `chain`, emitted in block `height` (`None`: not known), in the
/// ledger it belongs to (events of channels the relayer does not serve are ignored).
pub fn record(
    chain: &str,
    store: &Store,
    routes: &Routes,
    event: &IbcEvent,
    height: Option<u64>,
) -> Result<(), StoreError> {
    match event {
        IbcEvent::SendPacket(p) => {
            if let Some(path) = routes.get(chain, p.source_port.as_str(), p.source_channel.as_str())
            {
                let new = store
                    .ledger(chain, p.source_port.as_str(), p.source_channel.as_str())?
                    .record_sent(p, height)?;
                if new {
                    let labels = path.labels();
                    stateset_monitoring::global()
                        .packets_seen
                        .with_label_values(&[&labels[0], &labels[1], &labels[2], &labels[3]])
                        .inc();
                }
            }
        }
        IbcEvent::RecvPacket(p) => {
            if let Some(path) = routes.get(
                chain,
                p.destination_port.as_str(),
                p.destination_channel.as_str(),
            ) {
                store
                    .ledger(
                        &path.b.chain,
                        p.source_port.as_str(),
                        p.source_channel.as_str(),
                    )?
                    .mark(p.sequence, PacketState::Received)?;
            }
        }
        IbcEvent::WriteAcknowledgement { packet, ack } => {
            let (port, channel) = (
                packet.destination_port.as_str(),
                packet.destination_channel.as_str(),
            );
            if let Some(path) = routes.get(chain, port, channel) {
                store
                    .ledger(
                        &path.b.chain,
                        packet.source_port.as_str(),
                        packet.source_channel.as_str(),
                    )?
                    .record_ack(packet, ack, height)?;
            }
        }
        IbcEvent::AcknowledgePacket(h)
        | IbcEvent::TimeoutPacket(h)
        | IbcEvent::TimeoutOnClose(h)
            if routes
                .get(chain, h.source_port.as_str(), h.source_channel.as_str())
                .is_some() =>
        {
            store
                .ledger(chain, h.source_port.as_str(), h.source_channel.as_str())?
                .finish(h.sequence)?;
        }
        _ => {}
    }
    Ok(())
}
