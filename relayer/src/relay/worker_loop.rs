//! The worker's loops. One worker serves one path direction with two loops over the same
//! ledger: one receives (or times out) what the source sent, the other acknowledges what
//! the destination acknowledged. Each waits only for its own txs' inclusion, so packets
//! sent while acknowledgements are landing go out at once (and the other way round).

use std::sync::Mutex;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::error::RelayError;
use super::worker::{CycleParts, SharedMemory, Steps, WorkerMemory, WorkerSettings, WorkerSignals};
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

/// One loop: cycles taking `steps` until `shutdown`.
async fn run_steps(
    parts: &CycleParts<'_>,
    steps: Steps,
    memory: &SharedMemory<'_>,
    signals: &WorkerSignals,
    shutdown: &CancellationToken,
) {
    let name = parts.path.name();
    let wake = &signals.wake;
    let mut backoff = Backoff::relay_cycle();
    loop {
        // Registered before the cycle, so that a block recorded while it runs is not missed:
        // `notify_waiters` wakes only futures already enabled (or polled).
        let (woken_a, woken_b) = (wake[0].notified(), wake[1].notified());
        tokio::pin!(woken_a, woken_b);
        woken_a.as_mut().enable();
        woken_b.as_mut().enable();
        let outcome = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = parts.run(steps, memory) => r,
        };
        let report = match outcome {
            Ok(report) => report,
            Err(e) => {
                let transient = e.is_transient();
                let wait = match transient {
                    true => backoff.next_wait_up_to(RELAY_CYCLE_TRANSIENT_CAP),
                    false => backoff.next_wait(),
                };
                warn!(path = %name, ?steps, error = %e, retry_in = ?wait, "relay cycle failed");
                // After a transport failure the link is back as soon as a scanner reads a
                // new block through it: that ends the wait. Any other failure waits it out
                // (new blocks do not make a refused message or a lying node any better).
                let [a, b] = [wake[0].notified(), wake[1].notified()];
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(wait) => {}
                    _ = a, if transient => {}
                    _ = b, if transient => {}
                }
                continue;
            }
        };
        backoff.reset();
        if report.refetch > 0 {
            // Records whose event data the chain contradicts: clearing fetches them.
            signals.clear_now.notify_waiters();
        }
        if !report.is_empty() {
            info!(path = %name, received = report.received, acked = report.acked,
                timed_out = report.timed_out, redundant = report.redundant,
                quarantined = report.quarantined, "relayed");
            continue;
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = woken_a => {}
            _ = woken_b => {}
            _ = tokio::time::sleep(IDLE_WAKE) => {}
        }
    }
}
