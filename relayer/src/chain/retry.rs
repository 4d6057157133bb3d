//! Retrying chain calls with exponential backoff, and hedging calls a link left behind.
//!
//! Only transient failures ([`ChainError::is_transient`]) are retried; an answer
//! from the chain (not found, a rejected tx) is returned at once.
//!
//! A flaky link holds calls up (a delayed answer, a reset after seconds) long after it
//! works again. So each chain endpoint (`rpc`, `grpc` of one chain) keeps a [`Link`]: the
//! start time of the latest call that succeeded. A call still out when a call started
//! after it has already answered is overtaken: a second copy is sent (at most
//! [`MAX_COPIES`] in flight, counted in `rpc_hedges_total`) and the first answer wins. A
//! retry waiting out its backoff goes at once when a call started after its failure
//! answers (the link works again). Only idempotent calls (queries, simulation) go through
//! here; a broadcast has its own attempts.
//!
//! A copy runs with [`is_hedge_copy`] set, so a transport whose calls share one connection
//! (gRPC multiplexes them over one HTTP/2 connection, where a delayed frame holds up every
//! stream behind it) can send the copy over a connection of its own.
//!
//! On that one connection a delayed frame holds up every later gRPC call too, so no later
//! gRPC call can answer and overtake a stuck one until the delay passes. A gRPC call is
//! therefore also overtaken by a later RPC call to the same chain that answered: the node
//! is reachable, and the gRPC connection is what holds the call up.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::chain::error::ChainError;

/// How often and how patiently a call is retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Delay before the first retry.
    pub first_delay: Duration,
    /// Upper bound of one delay.
    pub max_delay: Duration,
    /// Number of retries after the first attempt.
    pub max_retries: usize,
    /// Whether an overtaken attempt gets a second copy (see the module docs).
    pub hedge: bool,
}

impl RetryPolicy {
    /// For queries: a handful of quick retries (about 6 s in all).
    pub const QUERY: RetryPolicy = RetryPolicy {
        first_delay: Duration::from_millis(200),
        max_delay: Duration::from_secs(2),
        max_retries: 5,
        hedge: true,
    };

    /// [`RetryPolicy::QUERY`] without hedging: for a call made of parts that hedge
    /// themselves.
    pub const QUERY_OF_PARTS: RetryPolicy = RetryPolicy {
        hedge: false,
        ..RetryPolicy::QUERY
    };

    /// For one part of a composite answer, on the same node: two quick retries (the caller
    /// retries the whole with [`RetryPolicy::QUERY`], on the next node).
    pub const PART: RetryPolicy = RetryPolicy {
        first_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(400),
        max_retries: 2,
        hedge: true,
    };

    /// No retries at all.
    pub const NONE: RetryPolicy = RetryPolicy {
        first_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
        max_retries: 0,
        hedge: false,
    };

    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.first_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
            .with_jitter()
    }
}

/// Copies of one attempt in flight at most: the first and up to two hedges (a hedge sent
/// while the link was still bad can be stuck as well; each further copy needs a call made
/// after the newest one to have answered).
pub const MAX_COPIES: usize = 3;
/// An attempt younger than this is never hedged: a later call answering first within a
/// few milliseconds says nothing about the link.
const MIN_AGE_TO_HEDGE: Duration = Duration::from_millis(100);
/// A gRPC attempt overtaken only by an RPC answer is never hedged younger than this...
const MIN_AGE_TO_HEDGE_ON_SIBLING: Duration = Duration::from_millis(300);
/// ...unless a call to the chain failed on the transport this recently: then a slow gRPC
/// call is more likely held up on its connection than slow, and waits only
/// [`MIN_AGE_TO_HEDGE`] (a link that just went clean leaves frames it delayed ahead of new
/// calls on that connection).
const RECENT_TRANSPORT_FAILURE: Duration = Duration::from_secs(30);
/// The shortest wait before a retry, even when the link has answered since the attempt.
const MIN_RETRY_WAIT: Duration = Duration::from_millis(20);

/// An overtaken attempt is hedged once it is this many times older than the latency of the
/// call that overtook it (a slow kind of call is not hedged for being slow).
const HEDGE_FACTOR: u32 = 4;

tokio::task_local! {
    /// Set while a hedge copy (or a call made inside one) runs.
    static HEDGE_COPY: bool;
}

/// Whether the calling code runs inside a hedge copy: a transport that shares one
/// connection between calls should send this one over a fresh connection, since the
/// shared one is what held the first copy up.
pub fn is_hedge_copy() -> bool {
    HEDGE_COPY.try_with(|copy| *copy).unwrap_or(false)
}

/// The latest successful call to one chain endpoint: when it started and how long it took.
type Answered = (Instant, Duration);

/// What the calls to one chain endpoint have shown: the latest call that succeeded.
#[derive(Clone)]
struct Link(Arc<watch::Sender<Answered>>);

impl Link {
    /// The link of `chain`'s `endpoint`, shared by every call to it.
    fn of(chain: &str, endpoint: &'static str) -> Link {
        static LINKS: OnceLock<Mutex<HashMap<(String, &'static str), Link>>> = OnceLock::new();
        let links = LINKS.get_or_init(Default::default);
        let mut links = links
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        links
            .entry((chain.to_string(), endpoint))
            .or_insert_with(|| {
                let first = (Instant::now(), Duration::ZERO);
                Link(Arc::new(watch::channel(first).0))
            })
            .clone()
    }

    /// Notes that a call started at `started` succeeded after `took`.
    fn succeeded(&self, started: Instant, took: Duration) {
        self.0.send_if_modified(|latest| {
            let newer = started > latest.0;
            if newer {
                *latest = (started, took);
            }
            newer
        });
    }

    /// Resolves once a call started after `t` has succeeded; with that call's latency.
    async fn answered_since(&self, t: Instant) -> Duration {
        let mut rx = self.0.subscribe();
        let took = rx
            .wait_for(|latest| latest.0 > t)
            .await
            .map(|latest| latest.1);
        match took {
            Ok(took) => took,
            Err(_) => std::future::pending().await,
        }
    }

    /// Resolves when an attempt started at `t` is overtaken: a call started after it has
    /// succeeded, and the attempt is older than [`MIN_AGE_TO_HEDGE`] and than
    /// [`HEDGE_FACTOR`] times that call's latency.
    async fn overtaken(&self, t: Instant) {
        self.overtaken_after(t, MIN_AGE_TO_HEDGE).await;
    }

    /// [`Link::overtaken`] with `floor` in place of [`MIN_AGE_TO_HEDGE`]. The age is set by
    /// the fastest call that overtook the attempt so far, and shortens when a faster one
    /// answers: on a link that was slow a moment ago, the first overtaking call may itself
    /// have been held up for seconds.
    async fn overtaken_after(&self, t: Instant, floor: Duration) {
        let mut rx = self.0.subscribe();
        let mut fastest: Option<Duration> = None;
        loop {
            let (started, took) = *rx.borrow_and_update();
            if started > t {
                fastest = Some(fastest.map_or(took, |f| f.min(took)));
            }
            let deadline = fastest.map(|f| t + floor.max(f.saturating_mul(HEDGE_FACTOR)));
            let changed = tokio::select! {
                () = sleep_until_or_never(deadline) => return,
                changed = rx.changed() => changed,
            };
            if changed.is_err() {
                // No more answers can come: the deadline known so far is all there is.
                sleep_until_or_never(deadline).await;
                return;
            }
        }
    }
}

/// Sleeps until `deadline`, or for ever without one.
async fn sleep_until_or_never(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Resolves when an attempt started at `t` is overtaken on `own`, or on `sibling` once it
/// is also `sibling_floor` old (calls of another transport are no measure of how long
/// this kind of call takes).
async fn overtaken_on(own: &Link, sibling: Option<&Link>, sibling_floor: Duration, t: Instant) {
    match sibling {
        Some(other) => tokio::select! {
            () = own.overtaken(t) => {}
            () = other.overtaken_after(t, sibling_floor) => {}
        },
        None => own.overtaken(t).await,
    }
}

/// Resolves once a call to `chain`'s `endpoint` (`rpc` or `grpc`) started after `t` has
/// succeeded: the link works again. For waits that should end when it does (a backoff after
/// a transport failure).
pub async fn link_answered_since(chain: &str, endpoint: &'static str, t: Instant) {
    Link::of(chain, endpoint).answered_since(t).await;
}

/// Runs `op` until it succeeds, fails for good, or runs out of retries. Every attempt is
/// timed (`rpc_latency_seconds`) and every failed one counted (`rpc_errors_total`), by
/// chain, endpoint (`rpc` or `grpc`) and method. With `policy.hedge`, an attempt that a
/// later call to the same endpoint overtook gets a second copy; a backoff ends early when
/// the link answers again (see the module docs).
pub async fn with_retry<T, F, Fut>(
    policy: RetryPolicy,
    chain: &str,
    endpoint: &'static str,
    what: &str,
    mut op: F,
) -> Result<T, ChainError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ChainError>>,
{
    let link = Link::of(chain, endpoint);
    let labels = [chain, endpoint, what];
    let mut delays = policy.backoff().build();
    let mut retries = 0;
    loop {
        let tried_at = Instant::now();
        let err = match attempt(&policy, &link, &labels, &mut op, &mut 0).await {
            Ok(v) => return Ok(v),
            Err(e) if !e.is_transient() => return Err(e),
            Err(e) => e,
        };
        let failed_at = Instant::now();
        if retries >= policy.max_retries {
            return Err(err);
        }
        retries += 1;
        // A dead kept-alive connection is not a dead link: the pool may hold several
        // (a proxy or node that reset them all at once), and each retry takes the next.
        // Each goes again at once, within the retry budget, without moving the backoff on.
        let delay = if err.is_stale_connection() {
            MIN_RETRY_WAIT
        } else {
            match delays.next() {
                Some(delay) => delay,
                None => return Err(err),
            }
        };
        tracing::debug!(%err, ?delay, call = what, "retrying chain call");
        // The link works again once a call started after this attempt has answered: the
        // attempt met a fault of the moment it was sent (or of a delay it was held in),
        // and the retry need not wait out a backoff meant for a link that is down.
        let back = async {
            link.answered_since(tried_at).await;
            tokio::time::sleep_until(failed_at + MIN_RETRY_WAIT).await;
        };
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = back, if policy.hedge => {}
        }
    }
}

/// `op` once, with a second copy when a later call to the same endpoint overtakes it (see
/// the module docs), and no retries: for a call that must not be repeated blindly but may
/// be sent twice, such as broadcasting the same signed bytes. Also returns how many
/// copies were sent.
pub async fn hedged<T, F, Fut>(
    chain: &str,
    endpoint: &'static str,
    what: &str,
    mut op: F,
) -> (Result<T, ChainError>, usize)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ChainError>>,
{
    let link = Link::of(chain, endpoint);
    let policy = RetryPolicy {
        hedge: true,
        ..RetryPolicy::NONE
    };
    let mut copies = 0;
    let result = attempt(
        &policy,
        &link,
        &[chain, endpoint, what],
        &mut op,
        &mut copies,
    )
    .await;
    (result, copies)
}

/// One attempt: `op`, with a second copy when a later call overtakes it (`policy.hedge`).
/// The first success wins; a non-transient failure ends it; a transient one waits for
/// the other copy, if any. `sent` counts the copies.
async fn attempt<T, F, Fut>(
    policy: &RetryPolicy,
    link: &Link,
    labels: &[&str; 3],
    op: &mut F,
    sent: &mut usize,
) -> Result<T, ChainError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ChainError>>,
{
    let timed = |call: tokio::task::futures::TaskLocalFuture<bool, Fut>| async move {
        let started = Instant::now();
        (started, call.await)
    };
    // A gRPC call is also overtaken by an answer of the chain's RPC (see the module docs).
    let sibling = (labels[1] == "grpc").then(|| Link::of(labels[0], "rpc"));
    let sibling_floor = sibling_hedge_floor(labels[0]);
    let mut copies = FuturesUnordered::new();
    copies.push(timed(HEDGE_COPY.scope(is_hedge_copy(), op())));
    *sent = 1;
    let mut last_start = Instant::now();
    loop {
        let hedge_ready = policy.hedge && copies.len() < MAX_COPIES;
        tokio::select! {
            Some((started, result)) = copies.next() => {
                match observe(labels, started, result, link) {
                    Ok(v) => return Ok(v),
                    Err(e) if !e.is_transient() || copies.is_empty() => return Err(e),
                    // The other copy may still answer.
                    Err(_) => {}
                }
            }
            () = overtaken_on(link, sibling.as_ref(), sibling_floor, last_start), if hedge_ready => {
                stateset_monitoring::global().rpc_hedges.with_label_values(labels).inc();
                last_start = Instant::now();
                copies.push(timed(HEDGE_COPY.scope(true, op())));
                *sent += 1;
            }
        }
    }
}

/// How old a gRPC call to `chain` must be before an RPC answer can overtake it.
fn sibling_hedge_floor(chain: &str) -> Duration {
    if crate::chain::seen::transport_failed_within(chain, RECENT_TRANSPORT_FAILURE) {
        MIN_AGE_TO_HEDGE
    } else {
        MIN_AGE_TO_HEDGE_ON_SIBLING
    }
}

/// Records one finished call in the metrics and, when it succeeded, in the link.
fn observe<T>(
    labels: &[&str; 3],
    started: Instant,
    result: Result<T, ChainError>,
    link: &Link,
) -> Result<T, ChainError> {
    let m = stateset_monitoring::global();
    match &result {
        Ok(_) => {
            let took = started.elapsed();
            link.succeeded(started, took);
            m.rpc_latency_seconds
                .with_label_values(labels)
                .observe(took.as_secs_f64());
        }
        Err(e) => {
            m.rpc_errors.with_label_values(labels).inc();
            if e.is_transient() {
                crate::chain::seen::note_transport_failure(labels[0]);
            }
        }
    }
    result
}

#[cfg(test)]
#[path = "retry_tests.rs"]
mod tests;
