//! Retrying chain calls with exponential backoff.
//!
//! Only transient failures ([`ChainError::is_transient`]) are retried; an answer
//! from the chain (not found, a rejected tx) is returned at once.

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

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
}

impl RetryPolicy {
    /// For queries: a handful of quick retries (about 6 s in all).
    pub const QUERY: RetryPolicy = RetryPolicy {
        first_delay: Duration::from_millis(200),
        max_delay: Duration::from_secs(2),
        max_retries: 5,
    };

    /// For one part of a composite answer, on the same node: two quick retries (the caller
    /// retries the whole with [`RetryPolicy::QUERY`], on the next node).
    pub const PART: RetryPolicy = RetryPolicy {
        first_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(400),
        max_retries: 2,
    };

    /// No retries at all.
    pub const NONE: RetryPolicy = RetryPolicy {
        first_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
        max_retries: 0,
    };

    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.first_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
            .with_jitter()
    }
}

/// Runs `op` until it succeeds, fails for good, or runs out of retries. Every attempt is
/// timed (`rpc_latency_seconds`) and every failed one counted (`rpc_errors_total`), by
/// chain, endpoint (`rpc` or `grpc`) and method.
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
    let attempt = || {
        let call = op();
        async move {
            let start = std::time::Instant::now();
            let result = call.await;
            let m = stateset_monitoring::global();
            let labels = [chain, endpoint, what];
            match &result {
                Ok(_) => m
                    .rpc_latency_seconds
                    .with_label_values(&labels)
                    .observe(start.elapsed().as_secs_f64()),
                Err(_) => m.rpc_errors.with_label_values(&labels).inc(),
            }
            result
        }
    };
    attempt
        .retry(policy.backoff())
        .when(ChainError::is_transient)
        .notify(|err, delay| {
            tracing::debug!(%err, ?delay, call = what, "retrying chain call");
        })
        .await
}
