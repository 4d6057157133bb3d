//! How far the misbehaviour watch has read each served client's updates, kept in the store
//! so that a restarted daemon goes on where it stopped instead of skipping what happened
//! while it was down.

use std::collections::HashMap;

use tracing::warn;

use crate::store::Store;

/// The most host blocks a restarted daemon reads back; further back is skipped with a
/// warning (tx_search over a long history is slow, and old source blocks may be pruned).
pub const MAX_RESUME_GAP: u64 = 20_000;

/// Per (host, client), the last host height whose client updates were checked.
#[derive(Debug, Default)]
pub struct MisbehaviourWatch {
    checked: HashMap<(String, String), u64>,
    store: Option<Store>,
}

impl MisbehaviourWatch {
    /// A watch whose progress is kept in `store` and resumed from it.
    pub fn persisted(store: Store) -> Self {
        Self {
            checked: HashMap::new(),
            store: Some(store),
        }
    }

    /// The last host height checked for `client_id` on `host`; `None` before the first pass.
    pub fn checked_height(&self, host: &str, client_id: &str) -> Option<u64> {
        self.checked
            .get(&(host.to_string(), client_id.to_string()))
            .copied()
    }

    /// Where to read `client_id`'s updates from: the height checked last (in memory, else in
    /// the store). A client seen for the first time is watched from `latest` on (`None`).
    pub fn start(&mut self, host: &str, client_id: &str, latest: u64) -> Option<u64> {
        if let Some(from) = self.checked_height(host, client_id) {
            return Some(from);
        }
        let stored = self.stored(host, client_id);
        let from = stored.map(|h| resume_from(h, latest));
        if let (Some(h), Some(f)) = (stored, from) {
            if f > h {
                warn!(host, client = client_id, stored = h, from = f,
                    "misbehaviour watch: updates between the stored height and this one are not checked (too far back)");
            }
        }
        self.record(host, client_id, from.unwrap_or(latest));
        from
    }

    /// Records that `client_id`'s updates up to `height` were checked.
    pub fn record(&mut self, host: &str, client_id: &str, height: u64) {
        self.checked
            .insert((host.to_string(), client_id.to_string()), height);
        if let Some(store) = &self.store {
            if let Err(e) = store.set_last_height(&store_key(host, client_id), height) {
                warn!(host, client = client_id, error = %e, "misbehaviour watch height not stored");
            }
        }
    }

    fn stored(&self, host: &str, client_id: &str) -> Option<u64> {
        let store = self.store.as_ref()?;
        match store.last_height(&store_key(host, client_id)) {
            Ok(h) => h,
            Err(e) => {
                warn!(host, client = client_id, error = %e, "misbehaviour watch height unreadable");
                None
            }
        }
    }
}

/// The store key of a watched client (beside the scanners' chain ids, which hold no `/`).
fn store_key(host: &str, client_id: &str) -> String {
    format!("misbehaviour-watch/{host}/{client_id}")
}

/// Where a restarted watch resumes: the stored height, at most [`MAX_RESUME_GAP`] back,
/// never above the latest height (a reset chain).
pub fn resume_from(stored: u64, latest: u64) -> u64 {
    stored
        .max(latest.saturating_sub(MAX_RESUME_GAP))
        .min(latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restarted_watch_resumes_where_the_last_one_stopped() {
        let store = Store::temporary().unwrap();
        let mut first = MisbehaviourWatch::persisted(store.clone());
        assert_eq!(first.start("a", "07-tendermint-0", 100), None);
        first.record("a", "07-tendermint-0", 150);
        let mut second = MisbehaviourWatch::persisted(store);
        assert_eq!(second.start("a", "07-tendermint-0", 400), Some(150));
        assert_eq!(second.start("a", "07-tendermint-1", 400), None);
        assert_eq!(second.checked_height("a", "07-tendermint-1"), Some(400));
    }

    #[test]
    fn resume_is_bounded_and_never_above_the_chain() {
        assert_eq!(resume_from(10, 100), 10);
        assert_eq!(resume_from(10, 100_000), 100_000 - MAX_RESUME_GAP);
        assert_eq!(resume_from(500, 100), 100);
    }

    #[test]
    fn an_unpersisted_watch_starts_at_the_latest_height() {
        let mut watch = MisbehaviourWatch::default();
        assert_eq!(watch.start("a", "c", 7), None);
        assert_eq!(watch.start("a", "c", 9), Some(7));
    }
}
