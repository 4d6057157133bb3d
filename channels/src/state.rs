//! Handshake states, channel ordering, the two sides of a path, and handshake errors.

/// One of the two chains of a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// Chain A.
    A,
    /// Chain B.
    B,
}

impl Side {
    /// The other chain.
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// The state of a connection or channel end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum HandshakeState {
    /// Not created (or unknown).
    Uninitialized,
    /// OpenInit done.
    Init,
    /// OpenTry done.
    TryOpen,
    /// Open. (A channel that is flushing or flush-complete during an upgrade is open too.)
    Open,
    /// Closed (channels only).
    Closed,
}

impl HandshakeState {
    /// From ibc-go's connection `State` (0 uninitialized, 1 init, 2 tryopen, 3 open).
    pub fn from_connection_state(state: i32) -> Self {
        match state {
            1 => HandshakeState::Init,
            2 => HandshakeState::TryOpen,
            3 => HandshakeState::Open,
            _ => HandshakeState::Uninitialized,
        }
    }

    /// From ibc-go's channel `State` (… 4 closed, 5 flushing, 6 flushcomplete; the upgrade
    /// states are open for handshake purposes).
    pub fn from_channel_state(state: i32) -> Self {
        match state {
            1 => HandshakeState::Init,
            2 => HandshakeState::TryOpen,
            3 | 5 | 6 => HandshakeState::Open,
            4 => HandshakeState::Closed,
            _ => HandshakeState::Uninitialized,
        }
    }
}

/// Channel ordering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Ordering {
    /// Packets may be received in any order.
    Unordered,
    /// Packets are received in sequence order; a timeout closes the channel.
    Ordered,
}

impl Ordering {
    /// ibc-proto's `Order` value.
    pub fn as_proto(self) -> i32 {
        match self {
            Ordering::Unordered => 1,
            Ordering::Ordered => 2,
        }
    }

    /// From ibc-proto's `Order` value (`None` for ORDER_NONE_UNSPECIFIED or unknown).
    pub fn from_proto(order: i32) -> Option<Self> {
        match order {
            1 => Some(Ordering::Unordered),
            2 => Some(Ordering::Ordered),
            _ => None,
        }
    }

    /// From ibc-go's event value (`ORDER_UNORDERED` / `ORDER_ORDERED`).
    pub fn from_event_value(value: &str) -> Option<Self> {
        match value {
            "ORDER_UNORDERED" => Some(Ordering::Unordered),
            "ORDER_ORDERED" => Some(Ordering::Ordered),
            _ => None,
        }
    }
}

/// The chains show a handshake that cannot be continued as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// An end does not match what the command or config says.
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
    /// The two ends are in states no handshake can lead to.
    #[error("impossible handshake: chain A shows {a}, chain B shows {b}")]
    Impossible {
        /// A's end.
        a: String,
        /// B's end.
        b: String,
    },
    /// The end is closed and cannot be reopened.
    #[error("{what} on chain {side:?} is CLOSED")]
    Closed {
        /// The side.
        side: Side,
        /// Which end.
        what: String,
    },
}
