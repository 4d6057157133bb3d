//! What the last refresh pass saw of each served client (status and latest height), kept for
//! the API: reading it costs no query.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::ClientSummary;

/// A served client as the last refresh pass saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedClient {
    /// `Active`, `Expired` or `Frozen`.
    pub status: String,
    /// The client's latest height (its revision height).
    pub latest_height: u64,
}

fn registry() -> &'static Mutex<HashMap<(String, String), ObservedClient>> {
    static CLIENTS: OnceLock<Mutex<HashMap<(String, String), ObservedClient>>> = OnceLock::new();
    CLIENTS.get_or_init(Default::default)
}

/// Notes what a refresh pass saw of `client` on `host`.
pub fn note(host: &str, client: &ClientSummary) {
    let seen = ObservedClient {
        status: client.status.to_string(),
        latest_height: client.latest_height.revision_height,
    };
    registry()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert((host.to_string(), client.client_id.clone()), seen);
}

/// What the last refresh pass saw of `client` on `host`, if any.
pub fn get(host: &str, client: &str) -> Option<ObservedClient> {
    registry()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&(host.to_string(), client.to_string()))
        .cloned()
}
