//! The per-chain scanner: reads each new block's results once, records the packet events of
//! served channels in the ledgers, then stores the height as handled. On start it resumes
//! after the stored height; a gap longer than `max_catchup` blocks is left to clearing, so
//! that new packets are not held up behind a rescan.

use std::sync::Arc;
use std::time::Duration;

use stateset_channels::events::{parse_abci_event, IbcEvent};
use tendermint::block::Height as TmHeight;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::Routes;
use crate::chain::{ChainEndpoint, ChainError};
use crate::store::{PacketState, Store, StoreError};

/// How a scanner runs.
#[derive(Clone, Copy, Debug)]
pub struct ScannerSettings {
    /// The longest gap (in blocks) replayed block by block after a restart.
    pub max_catchup: u64,
    /// How often the chain is asked for its latest height when idle.
    pub poll: Duration,
}

impl Default for ScannerSettings {
    fn default() -> Self {
        Self {
            max_catchup: 300,
            poll: Duration::from_millis(100),
        }
    }
}

/// What went wrong while scanning.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The chain could not be read.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a scanner starts: after the stored height, or at the chain's latest height when
/// nothing is stored or the gap is longer than `max_catchup`.
pub fn start_height(stored: Option<u64>, latest: u64, max_catchup: u64) -> (u64, &'static str) {
    match stored {
        Some(h) if latest.saturating_sub(h) <= max_catchup => {
            (h + 1, "resuming from the stored height")
        }
        Some(_) => (
            latest,
            "stored height too far behind; clearing covers the gap",
        ),
        None => (latest, "no stored height; starting at the latest block"),
    }
}

/// Runs the scanner of `chain` until `shutdown`; `wake` is notified after each batch of
/// blocks so that the path workers look at their ledgers. With `triggers` (the websocket
/// event source), a new block is read as soon as the node announces it; polling every
/// `settings.poll` stays as the fallback, and block results are read per height, so no
/// height is skipped when the subscription drops.
pub async fn run_scanner(
    chain: ChainEndpoint,
    store: Store,
    routes: Routes,
    wake: Arc<Notify>,
    settings: ScannerSettings,
    mut triggers: Option<tokio::sync::mpsc::Receiver<crate::chain::events::ChainEvent>>,
    shutdown: CancellationToken,
) {
    let id = chain.id().to_string();
    let mut next = None;
    let mut backoff = Duration::from_millis(200);
    loop {
        let step = async {
            let latest = chain.rpc().latest_height().await?.value();
            let from = match next {
                Some(n) => n,
                None => {
                    let stored = store.last_height(&id)?;
                    let (h, why) = start_height(stored, latest, settings.max_catchup);
                    info!(chain = %id, stored = ?stored, latest, start = h, "scanner: {why}");
                    h
                }
            };
            let mut h = from;
            while h <= latest && !shutdown.is_cancelled() {
                match scan_block(&chain, &store, &routes, h).await {
                    Ok(()) => {}
                    // The node reports a height a moment before its block results are
                    // saved: try that block again on the next poll.
                    Err(ScanError::Chain(e)) if h == latest => {
                        debug!(chain = %id, height = h, error = %e, "block results not ready yet");
                        break;
                    }
                    Err(e) => return Err(e),
                }
                store.set_last_height(&id, h)?;
                h += 1;
            }
            Ok::<_, ScanError>((h, h > from))
        };
        let outcome = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = step => r,
        };
        match outcome {
            Ok((n, progressed)) => {
                let m = stateset_monitoring::global();
                m.chain_up.with_label_values(&[&id]).set(1);
                m.chain_scanned_height
                    .with_label_values(&[&id])
                    .set(n.saturating_sub(1) as i64);
                next = Some(n);
                backoff = Duration::from_millis(200);
                if progressed {
                    wake.notify_waiters();
                }
                let pushed = async {
                    match triggers.as_mut() {
                        Some(rx) => {
                            if rx.recv().await.is_none() {
                                std::future::pending::<()>().await;
                            }
                            // One read covers every announcement so far.
                            while rx.try_recv().is_ok() {}
                        }
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(settings.poll) => {}
                    _ = pushed => {}
                }
            }
            Err(e) => {
                stateset_monitoring::global()
                    .chain_up
                    .with_label_values(&[&id])
                    .set(0);
                warn!(chain = %id, error = %e, retry_in = ?backoff, "scanner: chain unreadable");
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
    debug!(chain = %id, "scanner stopped");
}

/// Records the packet events of block `height` of `chain`.
async fn scan_block(
    chain: &ChainEndpoint,
    store: &Store,
    routes: &Routes,
    height: u64,
) -> Result<(), ScanError> {
    let results = chain
        .rpc()
        .block_results(TmHeight::try_from(height).expect("height fits"))
        .await?;
    let tx_events = results
        .txs_results
        .iter()
        .flatten()
        .flat_map(|r| r.events.iter());
    let block_events = results
        .begin_block_events
        .iter()
        .flatten()
        .chain(results.end_block_events.iter().flatten())
        .chain(results.finalize_block_events.iter());
    for event in tx_events.chain(block_events) {
        match parse_abci_event(event) {
            Ok(Some(ibc)) => record(chain.id(), store, routes, &ibc)?,
            Ok(None) => {}
            Err(e) => {
                warn!(chain = %chain.id(), height, error = %e, "skipping a malformed IBC event")
            }
        }
    }
    Ok(())
}

/// Records one event of `chain` in the ledger it belongs to (events of channels the relayer
/// does not serve are ignored).
pub fn record(
    chain: &str,
    store: &Store,
    routes: &Routes,
    event: &IbcEvent,
) -> Result<(), StoreError> {
    match event {
        IbcEvent::SendPacket(p) => {
            if let Some(path) = routes.get(chain, p.source_port.as_str(), p.source_channel.as_str())
            {
                let new = store
                    .ledger(chain, p.source_port.as_str(), p.source_channel.as_str())?
                    .record_sent(p)?;
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
                    .record_ack(packet, ack)?;
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

#[cfg(test)]
mod tests {
    use super::start_height;

    #[test]
    fn resumes_after_the_stored_height_unless_the_gap_is_too_long() {
        assert_eq!(start_height(Some(100), 150, 300).0, 101);
        assert_eq!(start_height(Some(100), 1000, 300).0, 1000);
        assert_eq!(start_height(None, 1000, 300).0, 1000);
        assert_eq!(start_height(Some(100), 100, 300).0, 101);
    }
}
