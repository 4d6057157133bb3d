//! The worker's loops. One worker serves one path direction with two loops over the same
//! ledger: one receives (or times out) what the source sent, the other acknowledges what
//! the destination acknowledged. Each waits only for its own txs' inclusion, so packets
//! sent while acknowledgements are landing go out at once (and the other way round).

use std::sync::Mutex;
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use stateset_channels::Ordering;
use tokio::time::Instant;

use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::error::RelayError;
use super::worker::{
    CycleParts, CycleReport, SharedMemory, Steps, WorkerMemory, WorkerSettings, WorkerSignals,
};
use super::Path;
use crate::backoff::{Backoff, RELAY_CYCLE_TRANSIENT_CAP};
use crate::chain::ChainEndpoint;
use crate::store::Store;

/// The longest an idle loop sleeps without a wake-up.
const IDLE_WAKE: Duration = Duration::from_secs(2);

/// Runs the worker for packets sent on `path.a` until `shutdown`: its two loops wake when
/// either chain's scanner recorded new blocks, and at least every 2 s. After a failed
/// cycle a loop waits out its backoff; only after a transport failure does a new block
/// recorded after the failure cut it short (the link works again).
pub async fn run_worker(
    src: ChainEndpoint,
    dst: ChainEndpoint,
    path: Path,
    store: Store,
    signals: WorkerSignals,
    settings: WorkerSettings,
    shutdown: CancellationToken,
) -> Result<(), RelayError> {
    let ledger = store.ledger(&path.a.chain, path.a.port.as_str(), path.a.channel.as_str())?;
    info!(path = %path.name(), pending = ledger.len(), "worker started");
    let parts = CycleParts {
        src: &src,
        dst: &dst,
        path: &path,
        store: &store,
        ledger: &ledger,
        settings,
    };
    let mut memory = WorkerMemory::default();
    let memory = Mutex::new(&mut memory);
    let run = |steps| run_steps(&parts, steps, &memory, &signals, &shutdown);
    tokio::join!(run(Steps::Sends), run(Steps::Acks));
    debug!(path = %path.name(), "worker stopped");
    Ok(())
}

/// When a loop starts its next pass.
#[derive(Clone, Copy, Debug)]
enum NextPass {
    /// As soon as a pass slot is free.
    Now,
    /// On the next block recorded on either chain, or at `at` (the idle wake-up).
    OnBlock { at: Instant },
    /// After a failed pass, at `at`; after a transport failure also on the next block
    /// recorded (the link works again).
    Backoff { at: Instant, transient: bool },
}

/// One loop: passes taking `steps` until `shutdown`. On an unordered channel up to
/// `pipeline_depth` run at once: the next batch is planned, proven and broadcast while
/// earlier ones await inclusion (each pass claims its sequences, so no two passes relay
/// the same packet). An ordered channel takes one pass at a time: its receives must land
/// in sequence order.
async fn run_steps(
    parts: &CycleParts<'_>,
    steps: Steps,
    memory: &SharedMemory<'_>,
    signals: &WorkerSignals,
    shutdown: &CancellationToken,
) {
    let wake = &signals.wake;
    let depth = match parts.path.ordering {
        Ordering::Ordered => 1,
        _ => parts.settings.pipeline_depth.max(1),
    };
    let mut backoff = Backoff::relay_cycle();
    let mut passes = FuturesUnordered::new();
    let mut next = NextPass::Now;
    // A block recorded while every slot was busy: the next pass starts when one frees.
    let mut block_while_busy = false;
    loop {
        // Registered before the passes start, so that a block recorded while they run is
        // not missed: `notify_waiters` wakes only futures already enabled (or polled).
        let (woken_a, woken_b) = (wake[0].notified(), wake[1].notified());
        tokio::pin!(woken_a, woken_b);
        woken_a.as_mut().enable();
        woken_b.as_mut().enable();
        while matches!(next, NextPass::Now) && passes.len() < depth {
            passes.push(parts.run(steps, memory));
            // Further passes start on the next block while these run.
            next = NextPass::OnBlock {
                at: Instant::now() + IDLE_WAKE,
            };
        }
        let free = passes.len() < depth;
        let (at, on_block) = match next {
            NextPass::Now => (None, !free),
            NextPass::OnBlock { at } => (Some(at), true),
            NextPass::Backoff { at, transient } => (Some(at), transient),
        };
        let mut block = false;
        tokio::select! {
            _ = shutdown.cancelled() => return,
            Some(outcome) = passes.next(), if !passes.is_empty() => {
                next = after_pass(parts, steps, outcome, next, &mut backoff, signals);
                if std::mem::take(&mut block_while_busy) && matches!(next, NextPass::OnBlock { .. }) {
                    next = NextPass::Now;
                }
            }
            _ = &mut woken_a, if on_block => block = true,
            _ = &mut woken_b, if on_block => block = true,
            () = sleep_until_or_never(at) => next = NextPass::Now,
        }
        if block {
            match free {
                true => next = NextPass::Now,
                false => block_while_busy = true,
            }
        }
    }
}

/// What follows a finished pass: at once after one that relayed something, on the next
/// block after an idle one (unless a backoff is pending), a backoff after a failure.
fn after_pass(
    parts: &CycleParts<'_>,
    steps: Steps,
    outcome: Result<CycleReport, RelayError>,
    next: NextPass,
    backoff: &mut Backoff,
    signals: &WorkerSignals,
) -> NextPass {
    let name = parts.path.name();
    let report = match outcome {
        Ok(report) => report,
        Err(e) => {
            let transient = e.is_transient();
            let wait = match transient {
                true => backoff.next_wait_up_to(RELAY_CYCLE_TRANSIENT_CAP),
                false => backoff.next_wait(),
            };
            warn!(path = %name, ?steps, error = %e, retry_in = ?wait, "relay cycle failed");
            // After a transport failure the link is back as soon as a scanner reads a new
            // block through it: that ends the wait. Any other failure waits it out (new
            // blocks do not make a refused message or a lying node any better).
            return NextPass::Backoff {
                at: Instant::now() + wait,
                transient,
            };
        }
    };
    backoff.reset();
    if report.refetch > 0 {
        // Records whose event data the chain contradicts: clearing fetches them.
        signals.clear_now.notify_waiters();
    }
    if report.is_empty() {
        return match next {
            NextPass::Now | NextPass::Backoff { .. } => next,
            NextPass::OnBlock { .. } => NextPass::OnBlock {
                at: Instant::now() + IDLE_WAKE,
            },
        };
    }
    info!(path = %name, received = report.received, acked = report.acked,
        timed_out = report.timed_out, redundant = report.redundant,
        quarantined = report.quarantined, "relayed");
    NextPass::Now
}

/// Sleeps until `at`, or for ever without it.
async fn sleep_until_or_never(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
