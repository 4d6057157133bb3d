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

/// A node this many blocks behind the scanned height is taken as a reset chain.
const RESET_MARGIN: u64 = 5;

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

impl ScannerSettings {
    /// The settings of `chain`: in pull mode it polls every `interval`; in push mode the
    /// websocket's announcements trigger reads and polling every `batch_delay` is the
    /// fallback (the longest a block waits when the subscription misses it).
    pub fn from_config(chain: &crate::config::ChainConfig, max_catchup: u64) -> Self {
        let poll = match &chain.event_source {
            crate::config::EventSourceConfig::Pull { interval } => *interval,
            crate::config::EventSourceConfig::Push { batch_delay, .. } => *batch_delay,
        };
        Self { max_catchup, poll }
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
        Some(h) if h > latest => (
            latest,
            "stored height is ahead of the chain (was the chain reset?); scanning from its latest block, clearing covers the rest",
        ),
        Some(h) if latest.saturating_sub(h) <= max_catchup => {
            (h.saturating_add(1), "resuming from the stored height")
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
    signals: (Arc<Notify>, Arc<Notify>),
    settings: ScannerSettings,
    mut triggers: Option<tokio::sync::mpsc::Receiver<crate::chain::events::ChainEvent>>,
    shutdown: CancellationToken,
) {
    let (wake, clear_now) = signals;
    let id = chain.id().to_string();
    let mut next = None;
    // The stored height found above the chain's at start (a reset chain), while it lasts.
    let mut ahead_of: Option<u64> = None;
    let mut backoff = Duration::from_millis(200);
    loop {
        let step = async {
            let latest = chain.rpc().latest_height().await?.value();
            let from = match next {
                // The chain went back while we ran (reset, or a node far behind): say so and
                // read on from where it is; clearing covers the rest.
                Some(n) if n > latest.saturating_add(RESET_MARGIN) => {
                    warn!(chain = %id, scanned = n - 1, latest,
                        "scanner: stored height is ahead of the chain (was the chain reset?); scanning from its latest block");
                    ahead_of = Some(n - 1);
                    clear_now.notify_waiters();
                    latest
                }
                Some(n) => n,
                None => {
                    let stored = store.last_height(&id)?;
                    let (h, why) = start_height(stored, latest, settings.max_catchup);
                    match stored {
                        Some(s) if s > latest => {
                            warn!(chain = %id, stored = s, latest, start = h, "scanner: {why}");
                            ahead_of = Some(s);
                            clear_now.notify_waiters();
                        }
                        _ => {
                            info!(chain = %id, stored = ?stored, latest, start = h, "scanner: {why}")
                        }
                    }
                    h
                }
            };
            report_ahead(&id, &mut ahead_of, latest);
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
                    Err(ScanError::Chain(e)) if pruned(&e).is_some() => {
                        let lowest = pruned(&e).flatten().unwrap_or(latest).clamp(h, latest);
                        warn!(chain = %id, from = h, to = lowest, error = %e,
                            "scanner: blocks no longer served by the node (pruned); clearing covers them");
                        stateset_monitoring::global()
                            .blocks_unavailable
                            .with_label_values(&[&id])
                            .inc_by(lowest.saturating_sub(h).max(1));
                        clear_now.notify_waiters();
                        h = lowest.max(h.saturating_add(1));
                        continue;
                    }
                    Err(e) => return Err(e),
                }
                store.set_last_height(&id, h)?;
                h = h.saturating_add(1);
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

/// Keeps the `scanner_ahead_of_chain` gauge: 1 while the chain is below the height the
/// store had recorded for it.
fn report_ahead(chain: &str, ahead_of: &mut Option<u64>, latest: u64) {
    if ahead_of.is_some_and(|stored| latest > stored) {
        info!(
            chain,
            latest, "the chain is past the height stored before its reset"
        );
        *ahead_of = None;
    }
    stateset_monitoring::global()
        .scanner_ahead_of_chain
        .with_label_values(&[chain])
        .set(i64::from(ahead_of.is_some()));
}

/// Whether `e` says the block is no longer served (pruned): `Some(lowest available height)`
/// when the node names it.
fn pruned(e: &ChainError) -> Option<Option<u64>> {
    let text = e.to_string();
    if !(text.contains("is not available") || text.contains("lowest height is")) {
        return None;
    }
    let lowest = text.split("lowest height is").nth(1).and_then(|rest| {
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    });
    Some(lowest)
}

/// Records the packet events of block `height` of `chain`.
async fn scan_block(
    chain: &ChainEndpoint,
    store: &Store,
    routes: &Routes,
    height: u64,
) -> Result<(), ScanError> {
    let tm_height = TmHeight::try_from(height).map_err(|e| ChainError::Decode {
        chain: chain.id().to_string(),
        method: "block_results",
        detail: format!("height {height}: {e}"),
    })?;
    let results = chain.rpc().block_results(tm_height).await?;
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

    #[test]
    fn a_stored_height_above_the_chain_starts_at_its_latest_block() {
        let (h, why) = start_height(Some(500), 20, 300);
        assert_eq!(h, 20);
        assert!(why.contains("ahead of the chain"));
        assert_eq!(start_height(Some(u64::MAX), 20, 300).0, 20);
    }

    #[test]
    fn pruned_blocks_are_recognised_with_the_lowest_height() {
        use crate::chain::ChainError;
        let e = |msg: &str| ChainError::Decode {
            chain: "c".into(),
            method: "block_results",
            detail: msg.into(),
        };
        assert_eq!(
            super::pruned(&e("height 5 is not available, lowest height is 1200")),
            Some(Some(1200))
        );
        assert_eq!(super::pruned(&e("height 5 is not available")), Some(None));
        assert_eq!(super::pruned(&e("connection refused")), None);
    }
}
