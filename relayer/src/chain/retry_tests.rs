//! Tests of `retry.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

fn transient(chain: &str) -> ChainError {
    ChainError::Timeout {
        chain: chain.into(),
        what: "an answer".into(),
        after: Duration::from_secs(1),
    }
}

fn not_found(chain: &str) -> ChainError {
    ChainError::NotFound {
        chain: chain.into(),
        what: "a thing".into(),
    }
}

/// A call whose first copy hangs: `calls` counts copies; the second answers 7.
async fn hanging_then_fast(chain: &str, calls: &AtomicUsize) -> Result<u32, ChainError> {
    hanging_then_fast_on(chain, "rpc", calls).await
}

/// [`hanging_then_fast`] on `endpoint` (`rpc` or `grpc`).
async fn hanging_then_fast_on(
    chain: &str,
    endpoint: &'static str,
    calls: &AtomicUsize,
) -> Result<u32, ChainError> {
    with_retry(RetryPolicy::QUERY, chain, endpoint, "hang", || async {
        match calls.fetch_add(1, Ordering::SeqCst) {
            0 => std::future::pending().await,
            _ => Ok(7),
        }
    })
    .await
}

/// A quick successful call on the same link.
async fn quick(chain: &str) {
    let r = with_retry(RetryPolicy::QUERY, chain, "rpc", "quick", || async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        Ok::<_, ChainError>(())
    })
    .await;
    assert!(r.is_ok());
}

#[tokio::test(start_paused = true)]
async fn an_overtaken_call_gets_a_second_copy_and_its_answer() {
    let calls = AtomicUsize::new(0);
    let chain = "hedge-1";
    let start = Instant::now();
    let (answer, ()) = tokio::join!(hanging_then_fast(chain, &calls), async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        quick(chain).await;
    });
    assert_eq!(answer.unwrap(), 7);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // Hedged once the attempt was MIN_AGE_TO_HEDGE old, not after a timeout.
    assert!(
        start.elapsed() < Duration::from_millis(150),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_third_copy_goes_when_the_hedge_is_stuck_too() {
    // The first copy and the hedge both went out on the bad link and hang; a call made
    // after the hedge answers, so a third copy goes and answers.
    let calls = AtomicUsize::new(0);
    let chain = "hedge-11";
    let start = Instant::now();
    let (answer, (), ()) = tokio::join!(
        with_retry(RetryPolicy::QUERY, chain, "rpc", "hang", || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => std::future::pending().await,
                _ => Ok::<_, ChainError>(7),
            }
        }),
        async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            quick(chain).await;
        },
        async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            quick(chain).await;
        }
    );
    assert_eq!(answer.unwrap(), 7);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert!(
        start.elapsed() < Duration::from_millis(450),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_overtaking_answer_is_superseded_by_a_fast_one() {
    // The first call to overtake the stuck one took 1 s (the link was slow): 4 s would
    // be the hedge age. A 5 ms answer right after sets it back to the 100 ms floor.
    let calls = AtomicUsize::new(0);
    let chain = "hedge-10";
    let start = Instant::now();
    let later = |delay_ms: u64, took_ms: u64| async move {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        with_retry(RetryPolicy::QUERY, chain, "rpc", "other", || async {
            tokio::time::sleep(Duration::from_millis(took_ms)).await;
            Ok::<_, ChainError>(())
        })
        .await
        .unwrap();
    };
    let (answer, (), ()) = tokio::join!(
        hanging_then_fast(chain, &calls),
        later(10, 1000),
        later(1100, 5)
    );
    assert_eq!(answer.unwrap(), 7);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let took = start.elapsed();
    assert!(
        took < Duration::from_millis(1200),
        "hedged at {took:?}, not at 4 s"
    );
}

/// A gRPC call to `chain` that hangs until a second copy answers 7, and an RPC call that
/// answers 20 ms after it starts; returns when the copy answered, after checking that it
/// did and that exactly one copy was sent.
async fn stuck_grpc_call_overtaken_by_rpc(chain: &str) -> Duration {
    let calls = AtomicUsize::new(0);
    let start = Instant::now();
    let (answer, ()) = tokio::join!(hanging_then_fast_on(chain, "grpc", &calls), async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        quick(chain).await;
    });
    assert_eq!(answer.unwrap(), 7);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    start.elapsed()
}

#[tokio::test(start_paused = true)]
async fn a_grpc_call_is_overtaken_by_an_rpc_answer_of_the_same_chain() {
    // gRPC calls share one connection: while it is held up, only RPC can show the node
    // answers again. At the sibling floor, not after a timeout.
    let took = stuck_grpc_call_overtaken_by_rpc("hedge-8").await;
    assert!(took >= MIN_AGE_TO_HEDGE_ON_SIBLING, "{took:?}");
    assert!(took < Duration::from_millis(350), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn an_rpc_call_is_not_overtaken_by_a_grpc_answer() {
    // RPC calls have connections of their own: a gRPC answer says nothing about them.
    let calls = AtomicUsize::new(0);
    let chain = "hedge-9";
    let (r, ()) = tokio::join!(
        with_retry(RetryPolicy::QUERY, chain, "rpc", "slow", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok::<_, ChainError>(1)
        }),
        async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            with_retry(RetryPolicy::QUERY, chain, "grpc", "fast", || async {
                Ok::<_, ChainError>(())
            })
            .await
            .unwrap();
        }
    );
    assert_eq!(r.unwrap(), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn only_the_second_copy_runs_as_a_hedge_copy() {
    let seen = Mutex::new(Vec::new());
    let chain = "hedge-7";
    let (answer, ()) = tokio::join!(
        with_retry(RetryPolicy::QUERY, chain, "rpc", "hang", || async {
            let copy = is_hedge_copy();
            seen.lock().unwrap().push(copy);
            if !copy {
                std::future::pending::<()>().await;
            }
            Ok::<_, ChainError>(copy)
        }),
        async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            quick(chain).await;
        }
    );
    assert!(answer.unwrap(), "the hedge copy answered");
    assert_eq!(*seen.lock().unwrap(), [false, true]);
    assert!(!is_hedge_copy(), "outside any copy");
}

#[tokio::test(start_paused = true)]
async fn a_slow_call_alone_is_not_copied() {
    let calls = AtomicUsize::new(0);
    let r = with_retry(RetryPolicy::QUERY, "hedge-2", "rpc", "slow", || async {
        calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(3)).await;
        Ok::<_, ChainError>(1)
    })
    .await;
    assert_eq!(r.unwrap(), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_slow_kind_of_call_is_not_copied_for_being_slower_than_a_fast_one() {
    // Overtaken by a 100 ms call, a 300 ms call is younger than 4 × 100 ms: no copy.
    let calls = AtomicUsize::new(0);
    let chain = "hedge-3";
    let (r, ()) = tokio::join!(
        with_retry(RetryPolicy::QUERY, chain, "rpc", "slow", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok::<_, ChainError>(1)
        }),
        async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            with_retry(RetryPolicy::QUERY, chain, "rpc", "fast", || async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Ok::<_, ChainError>(())
            })
            .await
            .unwrap();
        }
    );
    assert_eq!(r.unwrap(), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

fn stale(chain: &str) -> ChainError {
    ChainError::Rpc {
        chain: chain.into(),
        method: "block_results",
        source: Box::new(tendermint_rpc::Error::client_internal(
            "error sending request: connection closed before message completed".into(),
        )),
    }
}

/// A call that fails with `failures` in turn, then answers with the number of calls.
async fn failing_then_ok(
    policy: RetryPolicy,
    chain: &str,
    failures: Vec<ChainError>,
) -> (Result<usize, ChainError>, Duration) {
    let failures = Mutex::new(failures.into_iter());
    let calls = AtomicUsize::new(0);
    let start = Instant::now();
    let r = with_retry(policy, chain, "rpc", "stale", || async {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        match failures.lock().unwrap().next() {
            Some(e) => Err(e),
            None => Ok(n),
        }
    })
    .await;
    (r, start.elapsed())
}

const SLOW_BACKOFF: RetryPolicy = RetryPolicy {
    first_delay: Duration::from_secs(30),
    max_delay: Duration::from_secs(30),
    max_retries: 3,
    hedge: false,
};

#[tokio::test(start_paused = true)]
async fn every_dead_pooled_connection_is_retried_at_once() {
    // Three dead kept-alive connections in a row: three quick retries, no backoff.
    let c = "stale-1";
    let (r, took) = failing_then_ok(SLOW_BACKOFF, c, vec![stale(c), stale(c), stale(c)]).await;
    assert_eq!(r.unwrap(), 4);
    assert!(took < Duration::from_secs(1), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn dead_pooled_connections_use_up_the_retry_budget() {
    let c = "stale-2";
    let (r, took) = failing_then_ok(SLOW_BACKOFF, c, (0..4).map(|_| stale(c)).collect()).await;
    assert!(r.unwrap_err().is_stale_connection());
    assert!(took < Duration::from_secs(1), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn another_transient_failure_after_a_dead_connection_waits_out_the_backoff() {
    let c = "stale-3";
    let (r, took) = failing_then_ok(SLOW_BACKOFF, c, vec![stale(c), transient(c)]).await;
    assert_eq!(r.unwrap(), 3);
    assert!(took >= Duration::from_secs(15), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn a_backoff_ends_when_the_link_answers_again() {
    let calls = AtomicUsize::new(0);
    let chain = "hedge-4";
    let policy = RetryPolicy {
        first_delay: Duration::from_secs(30),
        max_delay: Duration::from_secs(30),
        max_retries: 1,
        hedge: true,
    };
    let start = Instant::now();
    let (r, ()) = tokio::join!(
        with_retry(policy, chain, "rpc", "flaky", || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(transient("hedge-4")),
                _ => Ok(2),
            }
        }),
        async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            quick(chain).await;
        }
    );
    assert_eq!(r.unwrap(), 2);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn an_attempt_that_fails_after_a_newer_call_answered_is_retried_at_once() {
    // The attempt was held up (a delayed exchange) and failed late; a call started
    // after it answered meanwhile, so the link works: no 30 s backoff.
    let calls = AtomicUsize::new(0);
    let chain = "hedge-4b";
    let policy = RetryPolicy {
        first_delay: Duration::from_secs(30),
        max_delay: Duration::from_secs(30),
        max_retries: 1,
        hedge: false,
    };
    let start = Instant::now();
    let (r, ()) = tokio::join!(
        with_retry(
            RetryPolicy {
                hedge: true,
                ..policy
            },
            chain,
            "rpc",
            "late",
            || async {
                match calls.fetch_add(1, Ordering::SeqCst) {
                    0 => {
                        tokio::time::sleep(Duration::from_millis(80)).await;
                        Err(transient("hedge-4b"))
                    }
                    _ => Ok(3),
                }
            }
        ),
        async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            quick(chain).await;
        }
    );
    assert_eq!(r.unwrap(), 3);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(start.elapsed(), Duration::from_millis(80) + MIN_RETRY_WAIT);
}

#[tokio::test(start_paused = true)]
async fn an_answer_from_the_chain_is_not_retried() {
    let calls = AtomicUsize::new(0);
    let r: Result<(), _> = with_retry(RetryPolicy::QUERY, "hedge-5", "rpc", "nf", || async {
        calls.fetch_add(1, Ordering::SeqCst);
        Err(not_found("hedge-5"))
    })
    .await;
    assert!(matches!(r, Err(ChainError::NotFound { .. })));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn transient_failures_are_retried_until_the_policy_ends() {
    let calls = AtomicUsize::new(0);
    let r: Result<(), _> = with_retry(RetryPolicy::PART, "hedge-6", "rpc", "down", || async {
        calls.fetch_add(1, Ordering::SeqCst);
        Err(transient("hedge-6"))
    })
    .await;
    assert!(r.unwrap_err().is_transient());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1 + RetryPolicy::PART.max_retries
    );
}

#[tokio::test(start_paused = true)]
async fn after_a_transport_failure_a_grpc_call_is_overtaken_by_rpc_sooner() {
    // A link that just failed leaves delayed frames on the gRPC connection: an RPC answer
    // overtakes a stuck gRPC call at the 100 ms floor, not the 300 ms one.
    crate::chain::seen::note_transport_failure("hedge-12");
    let took = stuck_grpc_call_overtaken_by_rpc("hedge-12").await;
    assert!(took >= MIN_AGE_TO_HEDGE, "{took:?}");
    assert!(took < MIN_AGE_TO_HEDGE_ON_SIBLING, "{took:?}");
}
