//! The per-chain scanner: reads each new block's results once, records the packet events of
//! served channels in the ledgers, then stores the height as handled. On start it resumes
//! after the stored height; a gap longer than `max_catchup` blocks is left to clearing, so
//! that new packets are not held up behind a rescan.

use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use tendermint::block::Height as TmHeight;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::history_feed::hand_over;
pub use super::record::record;
use super::record::record_block;
use super::sightings::BlockSightings;
use super::Routes;
use crate::backoff::Backoff;
use crate::chain::events::ChainEvent;
use crate::chain::{ChainEndpoint, ChainError};
use crate::store::{Store, StoreError};

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

/// Runs the scanner of `chain` until `shutdown`; `wake` is notified after each chunk of
/// [`WAKE_EVERY`] blocks and at the end of each pass, so that the path workers look at
/// their ledgers while a catch-up is still running. With `triggers` (the websocket event
/// source), a new block is read as soon as the node announces it; polling every
/// `settings.poll` stays as the fallback, and block results are read per height (up to
/// [`READ_AHEAD`] at once, recorded in order), so no height is skipped when the
/// subscription drops.
pub async fn run_scanner(
    chain: ChainEndpoint,
    store: Store,
    routes: Routes,
    signals: ScanSignals,
    settings: ScannerSettings,
    mut triggers: Option<tokio::sync::mpsc::Receiver<ChainEvent>>,
    shutdown: CancellationToken,
) {
    let ScanSignals {
        wake,
        clear_now,
        history,
    } = signals;
    let id = chain.id().to_string();
    let mut scan = Scan {
        chain: &chain,
        store: &store,
        routes: &routes,
        wake: &wake,
        clear_now: &clear_now,
        history: history.as_ref(),
        settings,
        next: None,
        ahead_of: None,
        results_not_ready: false,
    };
    let mut backoff = Backoff::scanner();
    let mut signals = BlockSignals {
        chain: id.clone(),
        source_up: true,
        heights: crate::chain::seen::heights_seen(&id),
    };
    loop {
        let outcome = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = scan.step(&shutdown) => r,
        };
        let pause = scan.after_pass(outcome, &mut backoff);
        let scanned = scan.next.unwrap_or(1).saturating_sub(1);
        let waited = match pause {
            Some((wait, transient)) => {
                pause_until_link_back(chain.id(), wait, transient, &shutdown).await
            }
            None => {
                let poll = match scan.results_not_ready {
                    true => settings.poll.min(RESULTS_NOT_READY_POLL),
                    false => settings.poll,
                };
                signals
                    .wait_for_block(&mut triggers, poll, scanned, &shutdown)
                    .await
            }
        };
        if !waited {
            break;
        }
    }
    debug!(chain = %id, "scanner stopped");
}

/// What a scanner tells others.
#[derive(Clone, Debug)]
pub struct ScanSignals {
    /// Notified after new blocks are recorded (the path workers wait on it).
    pub wake: Arc<Notify>,
    /// Notified when clearing should run (a gap the scanner will not read).
    pub clear_now: Arc<Notify>,
    /// Where the history's sightings of each block go (`None`: no history, no feeds).
    pub history: Option<tokio::sync::mpsc::Sender<BlockSightings>>,
}

/// The longest pause after a pass that failed on the transport (a dropped connection, a
/// timeout): the node is likely back soon, or another node is in rotation already.
const TRANSPORT_FAILURE_CAP: Duration = Duration::from_secs(2);
/// Heights whose block results are read at once (recorded in order): with a slow or lossy
/// node each read takes a while, and reading one at a time falls behind the chain.
const READ_AHEAD: usize = 32;
/// While catching up, the workers are woken after every this many heights recorded.
const WAKE_EVERY: u64 = 8;

/// The pause after a failed pass ([`Backoff::scanner`]: doubling up to 10 s, or up to
/// [`TRANSPORT_FAILURE_CAP`] when the failure is the transport's); back to the start when
/// the pass recorded blocks before it failed.
fn pause_after_failure(backoff: &mut Backoff, progressed: bool, transient: bool) -> Duration {
    if progressed {
        backoff.reset();
    }
    if transient {
        backoff.next_wait_up_to(TRANSPORT_FAILURE_CAP)
    } else {
        backoff.next_wait()
    }
}

fn is_transient(e: &ScanError) -> bool {
    match e {
        ScanError::Chain(e) => e.is_transient(),
        ScanError::Store(_) => false,
    }
}

/// The shortest pause after a failed pass, even when the link is back at once.
const MIN_PAUSE_AFTER_FAILURE: Duration = Duration::from_millis(100);

/// Sleeps `wait` after a failed pass; false when `shutdown` came first. After a transport
/// failure (`transient`) the pause ends early, though not before
/// [`MIN_PAUSE_AFTER_FAILURE`], once a call to the chain's RPC started after it has
/// answered: the link works again, and a block sent meanwhile should not wait out a backoff
/// that grew while it did not.
async fn pause_until_link_back(
    chain: &str,
    wait: Duration,
    transient: bool,
    shutdown: &CancellationToken,
) -> bool {
    let failed_at = tokio::time::Instant::now();
    let back = async {
        if !transient {
            return std::future::pending().await;
        }
        crate::chain::retry::link_answered_since(chain, "rpc", failed_at).await;
        tokio::time::sleep_until(failed_at + MIN_PAUSE_AFTER_FAILURE).await;
    };
    tokio::select! {
        _ = shutdown.cancelled() => false,
        _ = tokio::time::sleep(wait) => true,
        () = back => true,
    }
}

/// How often the scanner polls while the push event source is down (between its
/// [`ChainEvent::Down`] and [`ChainEvent::Resubscribed`]) or the chain's link has just
/// failed: a block should not wait for the source's reconnect backoff, nor for a stream
/// that a bad link may be holding up without the source knowing.
const POLL_WHILE_SOURCE_DOWN: Duration = Duration::from_millis(100);
/// How long after a call to the chain failed on the transport the scanner keeps polling
/// every [`POLL_WHILE_SOURCE_DOWN`].
const FAST_POLL_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// How soon the scanner reads again when the latest block's results were not saved yet:
/// the block was announced, and the txs in it (the relayer's own among them) should not
/// wait for the next block's announcement to be seen.
const RESULTS_NOT_READY_POLL: Duration = Duration::from_millis(50);

/// What tells the scanner that a new block may be there, besides its poll.
struct BlockSignals {
    chain: String,
    /// Follows the push source's Down / Resubscribed announcements.
    source_up: bool,
    /// The highest height any task's call to the chain has seen ([`crate::chain::seen`]).
    heights: tokio::sync::watch::Receiver<u64>,
}

impl BlockSignals {
    /// The poll interval now: `poll`, or at most [`POLL_WHILE_SOURCE_DOWN`] while the push
    /// source is down or the link failed within [`FAST_POLL_AFTER_FAILURE`].
    fn poll(&self, pushed: bool, poll: Duration) -> Duration {
        let source_down = pushed && !self.source_up;
        let link_failing =
            crate::chain::seen::transport_failed_within(&self.chain, FAST_POLL_AFTER_FAILURE);
        if source_down || link_failing {
            poll.min(POLL_WHILE_SOURCE_DOWN)
        } else {
            poll
        }
    }

    /// Waits for the event source to announce a block, for another task to see a height
    /// above `scanned`, or for the poll ([`BlockSignals::poll`]); false on `shutdown`.
    async fn wait_for_block(
        &mut self,
        triggers: &mut Option<tokio::sync::mpsc::Receiver<ChainEvent>>,
        poll: Duration,
        scanned: u64,
        shutdown: &CancellationToken,
    ) -> bool {
        let poll = self.poll(triggers.is_some(), poll);
        // Only what is reported from now on: the pass just made saw the rest.
        self.heights.borrow_and_update();
        let heights = &mut self.heights;
        let source_up = &mut self.source_up;
        let seen_higher = async {
            loop {
                if heights.changed().await.is_err() {
                    return std::future::pending::<()>().await;
                }
                if *heights.borrow_and_update() > scanned {
                    return;
                }
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => false,
            _ = tokio::time::sleep(poll) => true,
            () = seen_higher => true,
            () = announced(triggers, source_up) => true,
        }
    }
}

/// Resolves when the push source (if any) announces something; notes Down / Resubscribed
/// in `source_up`. One read covers every announcement so far.
async fn announced(
    triggers: &mut Option<tokio::sync::mpsc::Receiver<ChainEvent>>,
    source_up: &mut bool,
) {
    let note = |event: &ChainEvent, up: &mut bool| match event {
        ChainEvent::Down => *up = false,
        ChainEvent::Resubscribed { .. } => *up = true,
        ChainEvent::NewBlock { .. } | ChainEvent::Tx { .. } => {}
    };
    let Some(rx) = triggers.as_mut() else {
        return std::future::pending().await;
    };
    let Some(event) = rx.recv().await else {
        return std::future::pending().await;
    };
    note(&event, source_up);
    while let Ok(event) = rx.try_recv() {
        note(&event, source_up);
    }
}

/// One chain's scanner between passes.
struct Scan<'a> {
    chain: &'a ChainEndpoint,
    store: &'a Store,
    routes: &'a Routes,
    wake: &'a Notify,
    clear_now: &'a Notify,
    history: Option<&'a tokio::sync::mpsc::Sender<BlockSightings>>,
    settings: ScannerSettings,
    /// The next height to read (`None` before the first pass).
    next: Option<u64>,
    /// The stored height found above the chain's at start (a reset chain), while it lasts.
    ahead_of: Option<u64>,
    /// The last pass found the latest block's results not saved yet: read again soon.
    results_not_ready: bool,
}

impl Scan<'_> {
    /// One pass: from the next height to the chain's latest. Ok(whether blocks were
    /// recorded); on failure, also whether blocks were recorded before it (kept in `next`).
    async fn step(&mut self, shutdown: &CancellationToken) -> Result<bool, (ScanError, bool)> {
        let latest = match self.chain.rpc().latest_height().await {
            Ok(h) => h.value(),
            Err(e) => return Err((e.into(), false)),
        };
        let from = self.start(latest).map_err(|e| (e, false))?;
        report_ahead(self.chain.id(), &mut self.ahead_of, latest);
        let (next, error) = self.scan_range(from, latest, shutdown).await;
        self.next = Some(next);
        // The pass stopped short of the latest block without a failure: its results were
        // not saved yet (they are, moments after the block is announced).
        self.results_not_ready = error.is_none() && next <= latest;
        match error {
            None => Ok(next > from),
            Some(e) => Err((e, next > from)),
        }
    }

    /// Reports a pass (gauges, log), wakes the workers when it recorded blocks, and
    /// returns the pause before the next one when it failed, and whether the failure was
    /// the transport's.
    fn after_pass(
        &self,
        outcome: Result<bool, (ScanError, bool)>,
        backoff: &mut Backoff,
    ) -> Option<(Duration, bool)> {
        let id = self.chain.id();
        let m = stateset_monitoring::global();
        if let Some(n) = self.next {
            m.chain_scanned_height
                .with_label_values(&[id])
                .set(n.saturating_sub(1) as i64);
        }
        let (progressed, error) = match outcome {
            Ok(progressed) => (progressed, None),
            Err((e, progressed)) => (progressed, Some(e)),
        };
        m.chain_up
            .with_label_values(&[id])
            .set(i64::from(error.is_none()));
        if progressed {
            debug!(chain = %id, scanned = self.next.unwrap_or(1).saturating_sub(1), "blocks recorded");
            self.wake.notify_waiters();
        }
        let Some(e) = error else {
            backoff.reset();
            return None;
        };
        let transient = is_transient(&e);
        let wait = pause_after_failure(backoff, progressed, transient);
        warn!(chain = %id, error = %e, retry_in = ?wait, "scanner: chain unreadable");
        Some((wait, transient))
    }

    /// Where this pass starts.
    fn start(&mut self, latest: u64) -> Result<u64, ScanError> {
        let id = self.chain.id();
        match self.next {
            // The chain went back while we ran (reset, or a node far behind): say so and
            // read on from where it is; clearing covers the rest.
            Some(n) if n > latest.saturating_add(RESET_MARGIN) => {
                warn!(chain = %id, scanned = n - 1, latest,
                    "scanner: stored height is ahead of the chain (was the chain reset?); scanning from its latest block");
                self.ahead_of = Some(n - 1);
                self.clear_now.notify_waiters();
                Ok(latest)
            }
            Some(n) => Ok(n),
            None => {
                let stored = self.store.last_height(id)?;
                let (h, why) = start_height(stored, latest, self.settings.max_catchup);
                match stored {
                    Some(s) if s > latest => {
                        warn!(chain = %id, stored = s, latest, start = h, "scanner: {why}");
                        self.ahead_of = Some(s);
                        self.clear_now.notify_waiters();
                    }
                    _ => info!(chain = %id, stored = ?stored, latest, start = h, "scanner: {why}"),
                }
                Ok(h)
            }
        }
    }

    /// Reads `from..=latest` ([`READ_AHEAD`] at once), records each block in order and
    /// stores its height as handled. Returns the next height to read and the failure that
    /// ended the pass early, if any.
    async fn scan_range(
        &self,
        from: u64,
        latest: u64,
        shutdown: &CancellationToken,
    ) -> (u64, Option<ScanError>) {
        let chain = self.chain;
        let mut reads = stream::iter(from..=latest)
            .map(|h| async move { (h, fetch_block(chain, h).await) })
            .buffered(READ_AHEAD);
        let mut h = from;
        while let Some((height, result)) = reads.next().await {
            if shutdown.is_cancelled() {
                break;
            }
            let outcome = result.map_err(ScanError::from).and_then(|results| {
                let id = chain.id();
                let mut seen = BlockSightings {
                    height,
                    items: Vec::new(),
                };
                let sightings = self.history.is_some().then_some(&mut seen);
                {
                    let _whole = self.store.recording_block();
                    record_block(id, self.store, self.routes, &results, sightings)?;
                }
                self.store.set_last_height(id, height)?;
                self.chain.note_block(height);
                if let Some(queue) = self.history {
                    hand_over(id, queue, seen);
                }
                Ok(())
            });
            match outcome {
                Ok(()) => {
                    h = height.saturating_add(1);
                    if h.saturating_sub(from).is_multiple_of(WAKE_EVERY) {
                        self.wake.notify_waiters();
                    }
                }
                Err(e) => return self.after_failure(height, latest, e),
            }
        }
        (h, None)
    }

    /// Where to go on after block `height` could not be read or recorded (`e`): the latest
    /// block, whose results the node may not have saved yet, is read again next pass;
    /// pruned blocks are skipped (clearing covers them); anything else ends the pass there.
    fn after_failure(&self, height: u64, latest: u64, e: ScanError) -> (u64, Option<ScanError>) {
        let id = self.chain.id();
        match e {
            ScanError::Chain(e) if height == latest => {
                debug!(chain = %id, height, error = %e, "block results not ready yet");
                (height, None)
            }
            ScanError::Chain(e) if pruned(&e).is_some() => {
                let lowest = pruned(&e).flatten().unwrap_or(latest).clamp(height, latest);
                warn!(chain = %id, from = height, to = lowest, error = %e,
                    "scanner: blocks no longer served by the node (pruned); clearing covers them");
                stateset_monitoring::global()
                    .blocks_unavailable
                    .with_label_values(&[id])
                    .inc_by(lowest.saturating_sub(height).max(1));
                self.clear_now.notify_waiters();
                (lowest.max(height.saturating_add(1)), None)
            }
            e => (height, Some(e)),
        }
    }
}

/// The results of block `height` of `chain`.
pub(super) async fn fetch_block(
    chain: &ChainEndpoint,
    height: u64,
) -> Result<tendermint_rpc::endpoint::block_results::Response, ChainError> {
    let tm_height = TmHeight::try_from(height).map_err(|e| ChainError::Decode {
        chain: chain.id().to_string(),
        method: "block_results",
        detail: format!("height {height}: {e}"),
    })?;
    chain.rpc().block_results(tm_height).await
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn backoff_is_short_for_transport_failures_and_resets_after_progress() {
        use super::{pause_after_failure, Backoff};
        use std::time::Duration;
        let (ms, s) = (Duration::from_millis, Duration::from_secs);
        let mut b = Backoff::scanner();
        let mut pause = |progressed, transient| pause_after_failure(&mut b, progressed, transient);
        // Transport failures: 200 ms doubling up to 2 s.
        let transport: Vec<_> = (0..6).map(|_| pause(false, true)).collect();
        assert_eq!(
            transport,
            [ms(200), ms(400), ms(800), ms(1_600), s(2), s(2)]
        );
        // Other failures double on up to 10 s.
        let other: Vec<_> = (0..4).map(|_| pause(false, false)).collect();
        assert_eq!(other, [s(2), s(4), s(8), s(10)]);
        // A transport failure after them waits 2 s at most.
        assert_eq!(pause(false, true), s(2));
        // A pass that recorded blocks before it failed starts over.
        assert_eq!(pause(false, false), s(2));
        assert_eq!(pause(true, false), ms(200));
        assert_eq!(pause(false, false), ms(400));
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

    #[tokio::test(start_paused = true)]
    async fn a_pause_after_a_transport_failure_ends_when_the_link_answers_again() {
        use crate::chain::retry::{with_retry, RetryPolicy};
        let shutdown = CancellationToken::new();
        let chain = "scan-pause-1";
        let start = tokio::time::Instant::now();
        let answer = async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            with_retry(RetryPolicy::QUERY, chain, "rpc", "status", || async {
                Ok::<_, crate::chain::ChainError>(())
            })
            .await
            .unwrap();
        };
        let (waited, ()) = tokio::join!(
            pause_until_link_back(chain, Duration::from_secs(2), true, &shutdown),
            answer
        );
        assert!(waited);
        assert_eq!(
            start.elapsed(),
            MIN_PAUSE_AFTER_FAILURE,
            "not the 2 s backoff"
        );

        // Any other failure waits its pause out, answers or not.
        let start = tokio::time::Instant::now();
        let answer = async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            with_retry(RetryPolicy::QUERY, chain, "rpc", "status", || async {
                Ok::<_, crate::chain::ChainError>(())
            })
            .await
            .unwrap();
        };
        let (waited, ()) = tokio::join!(
            pause_until_link_back(chain, Duration::from_secs(2), false, &shutdown),
            answer
        );
        assert!(waited);
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    fn signals(chain: &str) -> BlockSignals {
        BlockSignals {
            chain: chain.to_string(),
            source_up: true,
            heights: crate::chain::seen::heights_seen(chain),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn while_the_event_source_is_down_the_scanner_polls_faster() {
        let (tx, rx) = tokio::sync::mpsc::channel(8);
        let mut triggers = Some(rx);
        let mut s = signals("scan-source-down-1");
        let shutdown = CancellationToken::new();
        let poll = Duration::from_millis(500);
        // Up: a quiet source leaves the scanner to its `poll`.
        let start = tokio::time::Instant::now();
        assert!(s.wait_for_block(&mut triggers, poll, 0, &shutdown).await);
        assert_eq!(start.elapsed(), poll);
        // Down: the announcement wakes it, and it then polls every 100 ms.
        tx.send(ChainEvent::Down).await.unwrap();
        assert!(s.wait_for_block(&mut triggers, poll, 0, &shutdown).await);
        assert!(!s.source_up);
        let start = tokio::time::Instant::now();
        assert!(s.wait_for_block(&mut triggers, poll, 0, &shutdown).await);
        assert_eq!(start.elapsed(), POLL_WHILE_SOURCE_DOWN);
        // Resubscribed: back to `poll`.
        tx.send(ChainEvent::Resubscribed {
            last_height: Some(7),
        })
        .await
        .unwrap();
        assert!(s.wait_for_block(&mut triggers, poll, 0, &shutdown).await);
        assert!(s.source_up);
        let start = tokio::time::Instant::now();
        assert!(s.wait_for_block(&mut triggers, poll, 0, &shutdown).await);
        assert_eq!(start.elapsed(), poll);
    }

    #[tokio::test(start_paused = true)]
    async fn a_height_another_task_saw_above_the_scanned_one_wakes_the_scanner() {
        let chain = "scan-seen-1";
        let (_tx, rx) = tokio::sync::mpsc::channel::<ChainEvent>(8);
        let mut triggers = Some(rx);
        let mut s = signals(chain);
        let shutdown = CancellationToken::new();
        let poll = Duration::from_millis(500);
        // Seen before the wait (the scanner's own pass): no wake, the poll ends it.
        crate::chain::seen::note_height(chain, 10);
        let start = tokio::time::Instant::now();
        assert!(s.wait_for_block(&mut triggers, poll, 9, &shutdown).await);
        assert_eq!(
            start.elapsed(),
            poll,
            "what the pass saw does not wake it again"
        );
        // Reported during the wait, but not above the scanned height: no wake.
        let start = tokio::time::Instant::now();
        let report = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            crate::chain::seen::note_height(chain, 10);
            crate::chain::seen::note_height(chain, 11);
            tokio::time::sleep(Duration::from_millis(50)).await;
            crate::chain::seen::note_height(chain, 13);
        };
        let (woke, ()) = tokio::join!(s.wait_for_block(&mut triggers, poll, 12, &shutdown), report);
        assert!(woke);
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(100),
            "woken by 13 > 12"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_transport_failure_the_scanner_polls_faster_for_a_while() {
        let chain = "scan-link-failed-1";
        let (_tx, rx) = tokio::sync::mpsc::channel::<ChainEvent>(8);
        let mut triggers = Some(rx);
        let mut s = signals(chain);
        let shutdown = CancellationToken::new();
        let poll = Duration::from_millis(500);
        crate::chain::seen::note_transport_failure(chain);
        let start = tokio::time::Instant::now();
        assert!(s.wait_for_block(&mut triggers, poll, 0, &shutdown).await);
        assert_eq!(start.elapsed(), POLL_WHILE_SOURCE_DOWN);
        tokio::time::advance(FAST_POLL_AFTER_FAILURE).await;
        let start = tokio::time::Instant::now();
        assert!(s.wait_for_block(&mut triggers, poll, 0, &shutdown).await);
        assert_eq!(
            start.elapsed(),
            poll,
            "back to the poll once the link is quiet"
        );
    }
}
