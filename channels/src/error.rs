//! The errors of this crate: bad identifiers, unusable IBC events, handshakes that cannot
//! be continued. Each is also re-exported from the module that produces it.

use crate::state::Side;

/// An identifier or height that breaks the ICS-24 rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Wrong length.
    #[error("{kind} `{id}` has {len} characters; expected {min} to {max}")]
    Length {
        /// Which identifier.
        kind: &'static str,
        /// The identifier.
        id: String,
        /// Its length.
        len: usize,
        /// Shortest allowed.
        min: usize,
        /// Longest allowed.
        max: usize,
    },
    /// A character outside `a-zA-Z0-9._+-#[]<>`.
    #[error("{kind} `{id}` contains `{ch}`; only a-z A-Z 0-9 . _ + - # [ ] < > are allowed")]
    Char {
        /// Which identifier.
        kind: &'static str,
        /// The identifier.
        id: String,
        /// The offending character.
        ch: char,
    },
    /// A height that is not `revision-height`.
    #[error("height `{0}` is not of the form REVISION-HEIGHT")]
    Height(String),
}

/// An IBC event that cannot be used: a required attribute is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// A required attribute is missing.
    #[error("`{kind}` event without the `{attribute}` attribute")]
    Missing {
        /// The event kind, e.g. `send_packet`.
        kind: String,
        /// The attribute, e.g. `packet_sequence`.
        attribute: &'static str,
    },
    /// An attribute's value is malformed.
    #[error("`{kind}` event: attribute `{attribute}` = `{value}` is malformed: {detail}")]
    Malformed {
        /// The event kind.
        kind: String,
        /// The attribute.
        attribute: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        detail: String,
    },
}

/// The chains show a handshake that cannot be continued as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// An end does not match what the command or config says, or does not name the
    /// other end as its counterparty.
    #[error("{what} on chain {side:?}: expected {expected}, found {found}")]
    Mismatch {
        /// The side of the end.
        side: Side,
        /// What differs (e.g. "client of connection-0").
        what: String,
        /// What was expected.
        expected: String,
        /// What the chain shows.
        found: String,
    },
    /// The two ends are in states no handshake can lead to (e.g. OPEN and INIT, or
    /// TRYOPEN and TRYOPEN, or a TRYOPEN/OPEN end whose counterparty is missing).
    #[error("impossible handshake: chain A shows {a}, chain B shows {b}")]
    Impossible {
        /// A's end.
        a: String,
        /// B's end.
        b: String,
    },
    /// The end is closed and cannot be reopened (or closed ends are not expected here).
    #[error("{what} on chain {side:?} is CLOSED")]
    Closed {
        /// The side.
        side: Side,
        /// Which end.
        what: String,
    },
}
