//! Chain objects (connections, channels) read from a chain that cannot be used: a required
//! field is missing or an identifier does not parse. Path discovery
//! (`supervisor/paths.rs`) and handshake completion (`handshake/complete.rs`) skip such an
//! object and go on with the others; [`MalformedObject::report`] logs it, naming the chain,
//! the object and the [`Malformation`], and counts it in
//! `skipped_chain_objects_total{chain, kind}`.
//!
//! An object that is well-formed but not the relayer's business (over a client it does not
//! serve, on a port it does not relay, in a state with nothing to do) is not malformed: the
//! callers skip it without a word.

use std::collections::HashSet;
use std::fmt::Display;
use std::str::FromStr;
use std::sync::{Mutex, OnceLock};

use tracing::{debug, warn};

/// The kind of a chain object: the `kind` label of `skipped_chain_objects_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// A connection end.
    Connection,
    /// A channel end.
    Channel,
}

impl ObjectKind {
    /// The metric label value: `connection` or `channel`.
    pub fn as_label(self) -> &'static str {
        match self {
            ObjectKind::Connection => "connection",
            ObjectKind::Channel => "channel",
        }
    }
}

impl Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_label())
    }
}

/// What is wrong with a chain object.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Malformation {
    /// A field the object must have is absent or empty.
    #[error("{0} missing")]
    Missing(&'static str),
    /// A field's value is not valid.
    #[error("{field} `{value}` is invalid: {detail}")]
    Invalid {
        /// The field, e.g. `counterparty port id`.
        field: &'static str,
        /// Its value, as the chain gave it.
        value: String,
        /// Why it is invalid.
        detail: String,
    },
}

impl Malformation {
    /// `value` of `field`, parsed.
    pub fn parse<T>(field: &'static str, value: &str) -> Result<T, Malformation>
    where
        T: FromStr,
        T::Err: Display,
    {
        value.parse().map_err(|e: T::Err| Malformation::Invalid {
            field,
            value: value.to_string(),
            detail: e.to_string(),
        })
    }
}

/// A chain object that cannot be used, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{chain}: {kind} {object}: {reason}")]
pub struct MalformedObject {
    /// The chain it was read from.
    pub chain: String,
    /// Connection or channel.
    pub kind: ObjectKind,
    /// The object as the chain names it: `connection-0`, or `port/channel-0`.
    pub object: String,
    /// What is wrong with it.
    pub reason: Malformation,
}

impl MalformedObject {
    /// Connection `id` on `chain` is malformed.
    pub fn connection(chain: &str, id: impl Display, reason: Malformation) -> Self {
        Self {
            chain: chain.to_string(),
            kind: ObjectKind::Connection,
            object: id.to_string(),
            reason,
        }
    }

    /// Channel `port`/`id` on `chain` is malformed.
    pub fn channel(
        chain: &str,
        port: impl Display,
        id: impl Display,
        reason: Malformation,
    ) -> Self {
        Self {
            chain: chain.to_string(),
            kind: ObjectKind::Channel,
            object: format!("{port}/{id}"),
            reason,
        }
    }

    /// Logs that the object is skipped (a warning the first time this process sees it,
    /// debug level after that: the scans read every object again each pass) and counts the
    /// skip in `skipped_chain_objects_total{chain, kind}`.
    pub fn report(&self) {
        stateset_monitoring::global()
            .skipped_chain_objects
            .with_label_values(&[self.chain.as_str(), self.kind.as_label()])
            .inc();
        let first = REPORTED
            .get_or_init(Mutex::default)
            .lock()
            .map(|mut seen| first_report(&mut seen, self.to_string()))
            .unwrap_or(true);
        if first {
            warn!(chain = %self.chain, kind = %self.kind, object = %self.object,
                reason = %self.reason, "skipping a malformed chain object");
        } else {
            debug!(chain = %self.chain, kind = %self.kind, object = %self.object,
                reason = %self.reason, "skipping a malformed chain object again");
        }
    }
}

/// The malformed objects already reported as a warning, by their text.
static REPORTED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
/// The most objects remembered in [`REPORTED`]; past that, every new one is a warning.
const MAX_REMEMBERED: usize = 4096;

/// Whether `text` is reported for the first time (remembering it while there is room).
fn first_report(seen: &mut HashSet<String>, text: String) -> bool {
    if seen.len() < MAX_REMEMBERED {
        seen.insert(text)
    } else {
        !seen.contains(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateset_channels::ids::PortId;

    #[test]
    fn names_the_chain_the_object_and_the_reason() {
        let m = MalformedObject::channel(
            "chain-a",
            "transfer",
            "channel-0",
            Malformation::Missing("counterparty"),
        );
        assert_eq!(
            m.to_string(),
            "chain-a: channel transfer/channel-0: counterparty missing"
        );
        let bad = Malformation::parse::<PortId>("counterparty port id", "a").unwrap_err();
        let m = MalformedObject::connection("chain-b", "connection-3", bad);
        assert_eq!(m.kind.as_label(), "connection");
        assert!(
            m.to_string().starts_with(
                "chain-b: connection connection-3: counterparty port id `a` is invalid: "
            ),
            "{m}"
        );
    }

    #[test]
    fn each_object_is_a_warning_once() {
        let mut seen = HashSet::new();
        assert!(first_report(&mut seen, "x".into()));
        assert!(!first_report(&mut seen, "x".into()));
        for i in 0..MAX_REMEMBERED {
            first_report(&mut seen, i.to_string());
        }
        assert_eq!(seen.len(), MAX_REMEMBERED);
        assert!(first_report(&mut seen, "new".into()));
        assert!(
            first_report(&mut seen, "new".into()),
            "no room: warned every time"
        );
        assert!(!first_report(&mut seen, "x".into()));
    }

    #[test]
    fn reporting_counts_the_skip() {
        let m = MalformedObject::connection(
            "malformed-test-chain",
            "connection-9",
            Malformation::Missing("counterparty"),
        );
        let counter = stateset_monitoring::global()
            .skipped_chain_objects
            .with_label_values(&["malformed-test-chain", "connection"]);
        let before = counter.get();
        m.report();
        m.report();
        assert_eq!(counter.get(), before + 2);
    }
}
