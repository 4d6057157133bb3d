//! What any call to a chain has shown lately, shared by every task that talks to it: the
//! highest block height a node reported, and when a call last failed on the transport.
//!
//! The scanner reads blocks when the event source announces them or when it polls. When the
//! source is connected but its stream is held up (a stalled link, a proxy delaying frames),
//! neither happens soon, yet other tasks (workers reading the chain's `/status` every cycle)
//! already know a new block is there. [`heights_seen`] lets the scanner wake on that, and
//! [`transport_failed_within`] lets it poll faster while the link has just been failing.
//! [`versions`] keeps what each chain's node reported at connect, for the API.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::chain::versions::ChainVersions;

/// One chain's shared observations.
#[derive(Clone)]
struct Seen {
    /// The highest latest-block height any node of the chain has reported.
    height: Arc<watch::Sender<u64>>,
    /// When a call to the chain last failed on the transport.
    transport_failure: Arc<Mutex<Option<Instant>>>,
}

impl Seen {
    fn of(chain: &str) -> Seen {
        static SEEN: OnceLock<Mutex<HashMap<String, Seen>>> = OnceLock::new();
        let all = SEEN.get_or_init(Default::default);
        let mut all = all
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        all.entry(chain.to_string())
            .or_insert_with(|| Seen {
                height: Arc::new(watch::channel(0).0),
                transport_failure: Arc::new(Mutex::new(None)),
            })
            .clone()
    }
}

/// The versions each chain's node reported when the daemon connected.
fn versions_map() -> &'static Mutex<HashMap<String, ChainVersions>> {
    static VERSIONS: OnceLock<Mutex<HashMap<String, ChainVersions>>> = OnceLock::new();
    VERSIONS.get_or_init(Default::default)
}

/// Notes the versions `chain`'s node reports (read once per connection).
pub fn note_versions(chain: &str, versions: ChainVersions) {
    versions_map()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(chain.to_string(), versions);
}

/// The versions `chain`'s node reported, once read.
pub fn versions(chain: &str) -> Option<ChainVersions> {
    versions_map()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(chain)
        .cloned()
}

/// Notes that a node of `chain` reported `height` as its latest block.
pub fn note_height(chain: &str, height: u64) {
    Seen::of(chain).height.send_if_modified(|seen| {
        let higher = height > *seen;
        if higher {
            *seen = height;
        }
        higher
    });
}

/// The highest latest-block height reported by `chain`'s nodes so far, as a watch that
/// changes whenever a higher one is reported.
pub fn heights_seen(chain: &str) -> watch::Receiver<u64> {
    Seen::of(chain).height.subscribe()
}

/// Notes that a call to `chain` failed on the transport just now.
pub fn note_transport_failure(chain: &str) {
    let seen = Seen::of(chain);
    let mut at = seen
        .transport_failure
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *at = Some(Instant::now());
}

/// Whether a call to `chain` failed on the transport within the last `window`.
pub fn transport_failed_within(chain: &str, window: Duration) -> bool {
    let seen = Seen::of(chain);
    let at = *seen
        .transport_failure
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    at.is_some_and(|t| t.elapsed() <= window)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_higher_height_wakes_a_watcher_and_a_lower_one_does_not() {
        let chain = "seen-heights-1";
        let mut rx = heights_seen(chain);
        note_height(chain, 10);
        assert!(rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), 10);
        note_height(chain, 9);
        note_height(chain, 10);
        assert!(!rx.has_changed().unwrap(), "no wake for a height not above");
        note_height(chain, 11);
        assert_eq!(*rx.borrow_and_update(), 11);
    }

    #[tokio::test(start_paused = true)]
    async fn a_transport_failure_is_recent_only_within_its_window() {
        let chain = "seen-failure-1";
        assert!(!transport_failed_within(chain, Duration::from_secs(5)));
        note_transport_failure(chain);
        assert!(transport_failed_within(chain, Duration::from_secs(5)));
        tokio::time::advance(Duration::from_secs(6)).await;
        assert!(!transport_failed_within(chain, Duration::from_secs(5)));
        assert!(
            !transport_failed_within("seen-failure-other", Duration::from_secs(5)),
            "chains are apart"
        );
    }
}
