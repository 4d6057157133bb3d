//! Bounded label values. A label value that comes from chain data or from users (an
//! ICS-27 message type, the id of any client on a chain) could otherwise create a new
//! time series per value and grow the exporter without bound. [`bounded_label`] checks
//! that a value looks like what it claims to be and keeps at most a fixed number of
//! distinct values per family; the rest are reported as [`OTHER`], malformed ones as
//! [`INVALID`].
//!
//! Values are admitted first come, first served, for the life of the process: once a
//! family is full, a new value is [`OTHER`] until the process restarts, while values
//! already admitted keep their own series.

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

/// The label value of a well-formed value that did not fit in its family's budget.
pub const OTHER: &str = "other";
/// The label value of a malformed value (wrong shape, charset or length).
pub const INVALID: &str = "invalid";

/// Longest accepted message type (`/cosmos.bank.v1beta1.MsgSend`), in bytes.
pub const MAX_MSG_TYPE_LEN: usize = 128;
/// Longest accepted identifier (client, connection, channel or port id), in bytes.
pub const MAX_IDENTIFIER_LEN: usize = 64;
/// Distinct values kept per family by [`bounded_label`].
pub const DEFAULT_CAPACITY: usize = 64;

/// What a label value must look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelShape {
    /// A protobuf `Any` type URL as ibc-go reports messages: starts with `/`, then
    /// `[A-Za-z0-9._/]`, at most [`MAX_MSG_TYPE_LEN`] bytes.
    MsgType,
    /// An ICS-24 identifier: `[A-Za-z0-9._+\-#\[\]<>]`, 1 to [`MAX_IDENTIFIER_LEN`] bytes.
    Identifier,
}

impl LabelShape {
    /// Whether `value` has this shape. The reserved values [`OTHER`] and [`INVALID`]
    /// never do, so they cannot be confused with an admitted value.
    pub fn accepts(self, value: &str) -> bool {
        if value == OTHER || value == INVALID {
            return false;
        }
        match self {
            LabelShape::MsgType => {
                value.len() > 1
                    && value.len() <= MAX_MSG_TYPE_LEN
                    && value.starts_with('/')
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/'))
            }
            LabelShape::Identifier => {
                !value.is_empty()
                    && value.len() <= MAX_IDENTIFIER_LEN
                    && value.bytes().all(|b| {
                        b.is_ascii_alphanumeric()
                            || matches!(
                                b,
                                b'.' | b'_' | b'+' | b'-' | b'#' | b'[' | b']' | b'<' | b'>'
                            )
                    })
            }
        }
    }
}

/// A family of label values from outside: the values it admitted so far, up to a
/// capacity. Usable in a `static` (its constructor is `const`).
#[derive(Debug)]
pub struct LabelBudget {
    shape: LabelShape,
    capacity: usize,
    kept: Mutex<BTreeSet<String>>,
}

impl LabelBudget {
    /// A budget of at most `capacity` distinct values of `shape`.
    pub const fn new(shape: LabelShape, capacity: usize) -> Self {
        Self {
            shape,
            capacity,
            kept: Mutex::new(BTreeSet::new()),
        }
    }

    /// The label to report for `value`: `value` itself when well-formed and admitted
    /// (already, or now because the budget has room), [`OTHER`] when well-formed but the
    /// budget is full, [`INVALID`] when malformed.
    pub fn label(&self, value: &str) -> String {
        if !self.shape.accepts(value) {
            return INVALID.to_string();
        }
        // A panic elsewhere while holding the lock leaves the set consistent (every
        // mutation is a single insert), so a poisoned lock is still usable.
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.contains(value) {
            return value.to_string();
        }
        if kept.len() < self.capacity {
            kept.insert(value.to_string());
            return value.to_string();
        }
        OTHER.to_string()
    }

    /// How many distinct values were admitted.
    pub fn len(&self) -> usize {
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no value was admitted yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The label families whose values come from outside, each with its own process-wide
/// budget of [`DEFAULT_CAPACITY`] values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelFamily {
    /// `msg_type` of `ica_messages_total`: ICS-27 message type URLs from packet data.
    IcaMsgType,
    /// `client` of `client_trusting_period_left_seconds`, `client_updates_total` and
    /// `client_updates_shared_total`: ids of any client on a host chain. One budget for
    /// all three, so a client has the same label in each.
    ClientId,
}

static ICA_MSG_TYPES: LabelBudget = LabelBudget::new(LabelShape::MsgType, DEFAULT_CAPACITY);
static CLIENT_IDS: LabelBudget = LabelBudget::new(LabelShape::Identifier, DEFAULT_CAPACITY);

impl LabelFamily {
    /// The process-wide budget of this family.
    pub fn budget(self) -> &'static LabelBudget {
        match self {
            LabelFamily::IcaMsgType => &ICA_MSG_TYPES,
            LabelFamily::ClientId => &CLIENT_IDS,
        }
    }
}

/// The label to report for `value` in `family` (see [`LabelBudget::label`]):
/// `value`, [`OTHER`] or [`INVALID`].
pub fn bounded_label(family: LabelFamily, value: &str) -> String {
    family.budget().label(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msg_types_must_look_like_type_urls() {
        let s = LabelShape::MsgType;
        assert!(s.accepts("/cosmos.bank.v1beta1.MsgSend"));
        assert!(s.accepts("/ibc.applications.transfer.v1.MsgTransfer"));
        for bad in [
            "",
            "/",
            "cosmos.bank.v1beta1.MsgSend",
            "/cosmos bank",
            "/cosmos\"}evil",
            "/a\nb",
            "/é",
        ] {
            assert!(!s.accepts(bad), "{bad:?}");
        }
        let long = format!("/{}", "a".repeat(MAX_MSG_TYPE_LEN - 1));
        assert!(s.accepts(&long));
        assert!(!s.accepts(&format!("{long}a")));
    }

    #[test]
    fn identifiers_use_the_ics24_charset() {
        let s = LabelShape::Identifier;
        for ok in [
            "07-tendermint-0",
            "connection-12",
            "channel-3",
            "icacontroller-a.b_c+d#[x]<y>",
        ] {
            assert!(s.accepts(ok), "{ok}");
        }
        for bad in [
            "",
            "client/0",
            "a b",
            "07-tendermint-0\"",
            "ü",
            OTHER,
            INVALID,
        ] {
            assert!(!s.accepts(bad), "{bad:?}");
        }
        assert!(s.accepts(&"a".repeat(MAX_IDENTIFIER_LEN)));
        assert!(!s.accepts(&"a".repeat(MAX_IDENTIFIER_LEN + 1)));
    }

    #[test]
    fn a_budget_keeps_at_most_capacity_values() {
        let b = LabelBudget::new(LabelShape::Identifier, 3);
        assert!(b.is_empty());
        assert_eq!(b.label("07-tendermint-0"), "07-tendermint-0");
        assert_eq!(b.label("07-tendermint-1"), "07-tendermint-1");
        assert_eq!(b.label("07-tendermint-0"), "07-tendermint-0");
        assert_eq!(b.label("07-tendermint-2"), "07-tendermint-2");
        assert_eq!(b.label("07-tendermint-3"), OTHER);
        assert_eq!(b.label("bad id"), INVALID);
        // Admitted values keep their label once the budget is full.
        assert_eq!(b.label("07-tendermint-1"), "07-tendermint-1");
        assert_eq!(b.len(), 3);
    }

    #[test]
    fn a_flood_of_values_stays_bounded() {
        let b = LabelBudget::new(LabelShape::MsgType, DEFAULT_CAPACITY);
        let labels: BTreeSet<String> = (0..10_000)
            .map(|i| b.label(&format!("/spam.v1.Msg{i}")))
            .collect();
        assert_eq!(
            labels.len(),
            DEFAULT_CAPACITY + 1,
            "kept values plus `other`"
        );
        assert!(labels.contains(OTHER));
        assert_eq!(b.len(), DEFAULT_CAPACITY);
    }

    #[test]
    fn families_have_their_own_budgets() {
        assert_eq!(
            bounded_label(LabelFamily::IcaMsgType, "/cosmos.bank.v1beta1.MsgSend"),
            "/cosmos.bank.v1beta1.MsgSend"
        );
        assert_eq!(
            bounded_label(LabelFamily::IcaMsgType, "07-tendermint-0"),
            INVALID
        );
        assert_eq!(
            bounded_label(LabelFamily::ClientId, "07-tendermint-0"),
            "07-tendermint-0"
        );
        assert_eq!(
            bounded_label(LabelFamily::ClientId, "/cosmos.bank.v1beta1.MsgSend"),
            INVALID
        );
    }
}
