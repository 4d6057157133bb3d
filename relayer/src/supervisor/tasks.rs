//! Supervised tasks: every task the daemon runs is started through [`Supervisor::spawn`].
//! A task that panics, fails or returns before shutdown is restarted with exponential
//! backoff while its siblings keep running; restarts are counted
//! (`task_restarts_total{task}`), a task that restarted [`CRASH_LOOP_RESTARTS`] times within
//! [`CRASH_LOOP_WINDOW`] is reported as crash-looping (`/status`, `/readyz`, the
//! `tasks_crash_looping` gauge).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};

use crate::backoff::Backoff;

/// Restarts within [`CRASH_LOOP_WINDOW`] that make a task crash-looping.
pub const CRASH_LOOP_RESTARTS: usize = 3;
/// The window in which restarts are counted for crash-loop detection.
pub const CRASH_LOOP_WINDOW: Duration = Duration::from_secs(300);
/// A task that ran this long before it ended starts its backoff afresh.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

/// What is known of one supervised task.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct TaskStatus {
    /// The task's name, e.g. `worker chain-a:transfer/channel-0->chain-b:transfer/channel-0`.
    pub name: String,
    /// `running`, `restarting` or `stopped`.
    pub state: &'static str,
    /// Restarts since the daemon started.
    pub restarts: u64,
    /// Whether it restarted [`CRASH_LOOP_RESTARTS`] times within [`CRASH_LOOP_WINDOW`].
    pub crash_looping: bool,
    /// Why it last ended (a panic message or an error), if it ever did.
    pub last_error: Option<String>,
    #[serde(skip)]
    recent: Vec<Instant>,
}

/// The daemon's supervisor, for `/status` and `/readyz`.
static CURRENT: OnceLock<Supervisor> = OnceLock::new();

/// The tasks of the running daemon (empty outside `start`).
pub fn current_tasks() -> Vec<TaskStatus> {
    CURRENT.get().map(Supervisor::snapshot).unwrap_or_default()
}

/// Owns the daemon's tasks: starts them, restarts them when they end early, reports them,
/// and waits for them on shutdown.
#[derive(Clone)]
pub struct Supervisor {
    tracker: TaskTracker,
    shutdown: CancellationToken,
    tasks: Arc<Mutex<BTreeMap<String, TaskStatus>>>,
    max_backoff: Duration,
}

impl Supervisor {
    /// A supervisor whose tasks stop when `shutdown` is cancelled; restarts wait at most
    /// `max_backoff`.
    pub fn new(shutdown: CancellationToken, max_backoff: Duration) -> Self {
        Self {
            tracker: TaskTracker::new(),
            shutdown,
            tasks: Arc::default(),
            max_backoff,
        }
    }

    /// Makes this the supervisor [`current_tasks`] reports (the first one installed stays).
    pub fn install_as_current(&self) {
        let _ = CURRENT.set(self.clone());
    }

    /// The token that stops every task.
    pub fn shutdown(&self) -> &CancellationToken {
        &self.shutdown
    }

    /// Runs the task that `make` starts until shutdown, restarting it (with backoff) whenever
    /// it panics, fails or returns early. A second task of the same name is not started.
    pub fn spawn<F, Fut>(&self, name: impl Into<String>, make: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let name = name.into();
        {
            let mut tasks = self.lock();
            if tasks.contains_key(&name) {
                return;
            }
            tasks.insert(
                name.clone(),
                TaskStatus {
                    name: name.clone(),
                    state: "running",
                    ..TaskStatus::default()
                },
            );
        }
        let this = self.clone();
        self.tracker.spawn(this.keep_running(name, make));
    }

    async fn keep_running<F, Fut>(self, name: String, mut make: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let mut backoff = Backoff::task_restart(self.max_backoff);
        loop {
            let started = Instant::now();
            let ended = run_once(make(), &self.shutdown).await;
            if self.shutdown.is_cancelled() {
                self.set_state(&name, "stopped");
                return;
            }
            if started.elapsed() >= HEALTHY_RUN {
                backoff.reset();
            }
            let why = match ended {
                Ended::Panicked(msg) => format!("panicked: {msg}"),
                Ended::Failed(e) => format!("failed: {e:#}"),
                Ended::Returned => "returned before shutdown".to_string(),
            };
            let looping = self.record_restart(&name, &why);
            let wait = backoff.next_wait();
            error!(task = %name, reason = %why, restart_in = ?wait, crash_looping = looping,
                "task ended; restarting it");
            tokio::select! {
                _ = self.shutdown.cancelled() => {
                    self.set_state(&name, "stopped");
                    return;
                }
                _ = tokio::time::sleep(wait) => {}
            }
            self.set_state(&name, "running");
            info!(task = %name, "task restarted");
        }
    }

    /// Every task and its status, by name.
    pub fn snapshot(&self) -> Vec<TaskStatus> {
        let now = Instant::now();
        self.lock()
            .values()
            .map(|t| {
                let mut t = t.clone();
                t.crash_looping = is_crash_looping(&t.recent, now);
                t
            })
            .collect()
    }

    /// Waits until every task has stopped (after shutdown), at most `grace`; returns whether
    /// they all did.
    pub async fn wait(&self, grace: Duration) -> bool {
        self.tracker.close();
        tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_ok()
    }

    fn record_restart(&self, name: &str, why: &str) -> bool {
        let now = Instant::now();
        let looping = {
            let mut tasks = self.lock();
            let Some(t) = tasks.get_mut(name) else {
                return false;
            };
            t.restarts = t.restarts.saturating_add(1);
            t.state = "restarting";
            t.last_error = Some(why.chars().take(500).collect());
            t.recent
                .retain(|at| now.duration_since(*at) < CRASH_LOOP_WINDOW);
            t.recent.push(now);
            is_crash_looping(&t.recent, now)
        };
        let m = stateset_monitoring::global();
        // Task names are bounded: configured chains and the paths the relayer serves.
        m.task_restarts.with_label_values(&[name]).inc();
        m.tasks_crash_looping
            .with_label_values(&[name])
            .set(i64::from(looping));
        looping
    }

    fn set_state(&self, name: &str, state: &'static str) {
        if let Some(t) = self.lock().get_mut(name) {
            t.state = state;
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, TaskStatus>> {
        // A panic while holding this lock cannot leave the map half-updated in a way that
        // matters (each update is one field), so a poisoned lock is used as it is.
        self.tasks.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn is_crash_looping(recent: &[Instant], now: Instant) -> bool {
    recent
        .iter()
        .filter(|at| now.duration_since(**at) < CRASH_LOOP_WINDOW)
        .count()
        >= CRASH_LOOP_RESTARTS
}

/// How one run of a task ended.
enum Ended {
    Panicked(String),
    Failed(anyhow::Error),
    Returned,
}

/// Runs `task` on its own tokio task (so that a panic ends only it) until it ends; after
/// shutdown it is given [`super::STOP_GRACE`] to stop by itself, then aborted.
async fn run_once<Fut>(task: Fut, shutdown: &CancellationToken) -> Ended
where
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let mut handle = tokio::spawn(task);
    let joined = tokio::select! {
        r = &mut handle => r,
        _ = shutdown.cancelled() => {
            match tokio::time::timeout(super::STOP_GRACE, &mut handle).await {
                Ok(r) => r,
                Err(_) => {
                    warn!("a task did not stop within the grace period; aborting it");
                    handle.abort();
                    return Ended::Returned;
                }
            }
        }
    };
    match joined {
        Ok(Ok(())) => Ended::Returned,
        Ok(Err(e)) => Ended::Failed(e),
        Err(e) if e.is_panic() => Ended::Panicked(panic_message(e.into_panic())),
        Err(e) => Ended::Failed(anyhow::anyhow!("{e}")),
    }
}

/// The text of a panic payload.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map_or_else(|| "(no message)".to_string(), |s| s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_panicking_task_is_restarted_and_its_sibling_keeps_running() {
        let shutdown = CancellationToken::new();
        let sup = Supervisor::new(shutdown.clone(), Duration::from_secs(4));
        let runs = Arc::new(AtomicUsize::new(0));
        let ticks = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        sup.spawn("test panicking", move || {
            let r = r.clone();
            async move {
                if r.fetch_add(1, Ordering::SeqCst) < 4 {
                    panic!("boom at height 9223372036854775807");
                }
                std::future::pending::<()>().await;
                Ok(())
            }
        });
        let (t, stop) = (ticks.clone(), shutdown.clone());
        sup.spawn("test sibling", move || {
            let (t, stop) = (t.clone(), stop.clone());
            async move {
                while !stop.is_cancelled() {
                    t.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Ok(())
            }
        });
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            5,
            "four panics, then a run that stays up"
        );
        assert!(
            ticks.load(Ordering::SeqCst) >= 29,
            "the sibling kept running"
        );
        let snap = sup.snapshot();
        let p = snap.iter().find(|t| t.name == "test panicking").unwrap();
        assert_eq!(p.restarts, 4);
        assert!(p.crash_looping, "4 restarts within 5 minutes");
        assert!(p.last_error.as_deref().unwrap().contains("boom"));
        let s = snap.iter().find(|t| t.name == "test sibling").unwrap();
        assert_eq!((s.restarts, s.crash_looping), (0, false));
        shutdown.cancel();
        assert!(sup.wait(Duration::from_secs(10)).await);
        assert!(sup.snapshot().iter().all(|t| t.state == "stopped"));
    }

    #[tokio::test(start_paused = true)]
    async fn failures_back_off_exponentially_up_to_the_cap() {
        let shutdown = CancellationToken::new();
        let sup = Supervisor::new(shutdown.clone(), Duration::from_secs(8));
        let starts = Arc::new(Mutex::new(Vec::new()));
        let s = starts.clone();
        let t0 = tokio::time::Instant::now();
        sup.spawn("test failing", move || {
            let s = s.clone();
            async move {
                s.lock().unwrap().push(t0.elapsed().as_secs());
                anyhow::bail!("node answered garbage")
            }
        });
        tokio::time::sleep(Duration::from_secs(40)).await;
        let starts = starts.lock().unwrap().clone();
        // 1, 2, 4, 8, 8, ... seconds apart.
        assert_eq!(&starts[..6], &[0, 1, 3, 7, 15, 23]);
        shutdown.cancel();
        assert!(sup.wait(Duration::from_secs(10)).await);
    }

    #[tokio::test]
    async fn a_task_of_the_same_name_is_started_once() {
        let shutdown = CancellationToken::new();
        let sup = Supervisor::new(shutdown.clone(), Duration::from_secs(1));
        let runs = Arc::new(AtomicUsize::new(0));
        for _ in 0..3 {
            let r = runs.clone();
            let stop = shutdown.clone();
            sup.spawn("test once", move || {
                let (r, stop) = (r.clone(), stop.clone());
                async move {
                    r.fetch_add(1, Ordering::SeqCst);
                    stop.cancelled().await;
                    Ok(())
                }
            });
        }
        tokio::task::yield_now().await;
        shutdown.cancel();
        assert!(sup.wait(Duration::from_secs(10)).await);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }
}
