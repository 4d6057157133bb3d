//! The highest height at which each client the relayer submits to is known to hold a
//! consensus state, learnt from the relay steps themselves: a step whose messages landed
//! proved at a height the client held, and a client found past a step's proof height said
//! where it was. A later step whose items were all written below that height proves there
//! and sends no MsgUpdateClient ([`super::step_submit`]), without a query of its own.
//!
//! Heights only rise. The map holds one entry per (host chain, client) served, so it stays
//! as small as the configuration.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use stateset_channels::Height;

/// The known heights, by host chain id and client id.
fn heights() -> &'static Mutex<HashMap<(String, String), Height>> {
    static HEIGHTS: OnceLock<Mutex<HashMap<(String, String), Height>>> = OnceLock::new();
    HEIGHTS.get_or_init(Default::default)
}

/// The highest height `client` on `host` is known to hold a consensus state at.
pub(super) fn known(host: &str, client: &str) -> Option<Height> {
    let all = heights()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    all.get(&(host.to_string(), client.to_string())).copied()
}

/// Notes that `client` on `host` holds a consensus state at `height` (kept only when it is
/// above what was known, or of a newer revision).
pub(super) fn note(host: &str, client: &str, height: Height) {
    let mut all = heights()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let key = (host.to_string(), client.to_string());
    let higher = |old: &Height| {
        (height.revision_number, height.revision_height)
            > (old.revision_number, old.revision_height)
    };
    if all.get(&key).is_none_or(higher) {
        all.insert(key, height);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(revision_number: u64, revision_height: u64) -> Height {
        Height {
            revision_number,
            revision_height,
        }
    }

    #[test]
    fn heights_only_rise_per_host_and_client() {
        let (host, client) = ("client-heights-test-1", "07-tendermint-0");
        assert_eq!(known(host, client), None);
        note(host, client, at(1, 50));
        note(host, client, at(1, 40));
        assert_eq!(known(host, client), Some(at(1, 50)));
        note(host, client, at(2, 3));
        assert_eq!(known(host, client), Some(at(2, 3)));
        assert_eq!(known(host, "07-tendermint-1"), None);
        assert_eq!(known("client-heights-test-2", client), None);
    }
}
