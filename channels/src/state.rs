//! Handshake states, channel ordering and the two sides of a path.

use ibc_proto::ibc::core::channel::v1::{Order as ProtoOrder, State as ProtoChannelState};
use ibc_proto::ibc::core::connection::v1::State as ProtoConnectionState;

/// One of the two chains of a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    /// Open. (A channel that is FLUSHING or FLUSHCOMPLETE during an upgrade is open too.)
    Open,
    /// Closed (channels only).
    Closed,
}

impl HandshakeState {
    /// From ibc-proto's connection `State` (0 uninitialized, 1 init, 2 tryopen, 3 open);
    /// unknown values are `Uninitialized`.
    pub fn from_connection_state(state: i32) -> Self {
        match ProtoConnectionState::try_from(state) {
            Ok(ProtoConnectionState::Init) => HandshakeState::Init,
            Ok(ProtoConnectionState::Tryopen) => HandshakeState::TryOpen,
            Ok(ProtoConnectionState::Open) => HandshakeState::Open,
            _ => HandshakeState::Uninitialized,
        }
    }

    /// From ibc-proto's channel `State` (… 4 closed, 5 flushing, 6 flushcomplete). The
    /// upgrade states FLUSHING and FLUSHCOMPLETE map to `Open`: the channel handshake is
    /// done and the channel still exists on both sides. Unknown values are
    /// `Uninitialized`.
    pub fn from_channel_state(state: i32) -> Self {
        match ProtoChannelState::try_from(state) {
            Ok(ProtoChannelState::Init) => HandshakeState::Init,
            Ok(ProtoChannelState::Tryopen) => HandshakeState::TryOpen,
            Ok(
                ProtoChannelState::Open
                | ProtoChannelState::Flushing
                | ProtoChannelState::Flushcomplete,
            ) => HandshakeState::Open,
            Ok(ProtoChannelState::Closed) => HandshakeState::Closed,
            _ => HandshakeState::Uninitialized,
        }
    }

    /// Whether an end in this state exists on its chain.
    pub fn exists(self) -> bool {
        self != HandshakeState::Uninitialized
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
    /// ibc-proto's `Order` value (1 unordered, 2 ordered).
    pub fn as_proto(self) -> i32 {
        match self {
            Ordering::Unordered => ProtoOrder::Unordered as i32,
            Ordering::Ordered => ProtoOrder::Ordered as i32,
        }
    }

    /// From ibc-proto's `Order` value (`None` for ORDER_NONE_UNSPECIFIED or unknown).
    pub fn from_proto(order: i32) -> Option<Self> {
        match ProtoOrder::try_from(order) {
            Ok(ProtoOrder::Unordered) => Some(Ordering::Unordered),
            Ok(ProtoOrder::Ordered) => Some(Ordering::Ordered),
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

    /// ibc-go's event value (`ORDER_UNORDERED` / `ORDER_ORDERED`), also the connection
    /// version feature name.
    pub fn as_event_value(self) -> &'static str {
        match self {
            Ordering::Unordered => "ORDER_UNORDERED",
            Ordering::Ordered => "ORDER_ORDERED",
        }
    }
}

impl std::fmt::Display for Ordering {
    /// ibc-go's event value, e.g. `ORDER_UNORDERED`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_event_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides() {
        assert_eq!(Side::A.other(), Side::B);
        assert_eq!(Side::B.other(), Side::A);
    }

    #[test]
    fn states_from_proto() {
        use HandshakeState::*;
        let conn: Vec<_> = (0..5).map(HandshakeState::from_connection_state).collect();
        assert_eq!(conn, [Uninitialized, Init, TryOpen, Open, Uninitialized]);
        let chan: Vec<_> = (0..8).map(HandshakeState::from_channel_state).collect();
        assert_eq!(
            chan,
            [
                Uninitialized,
                Init,
                TryOpen,
                Open,
                Closed,
                Open,
                Open,
                Uninitialized
            ]
        );
        assert!(!Uninitialized.exists());
        assert!(Closed.exists());
    }

    #[test]
    fn orderings() {
        assert_eq!(Ordering::Unordered.as_proto(), 1);
        assert_eq!(Ordering::Ordered.as_proto(), 2);
        assert_eq!(Ordering::from_proto(2), Some(Ordering::Ordered));
        assert_eq!(Ordering::from_proto(1), Some(Ordering::Unordered));
        assert_eq!(Ordering::from_proto(0), None);
        assert_eq!(
            Ordering::from_event_value("ORDER_ORDERED"),
            Some(Ordering::Ordered)
        );
        assert_eq!(
            Ordering::from_event_value("ORDER_UNORDERED"),
            Some(Ordering::Unordered)
        );
        assert_eq!(Ordering::from_event_value("ORDER_NONE_UNSPECIFIED"), None);
        for o in [Ordering::Ordered, Ordering::Unordered] {
            assert_eq!(Ordering::from_event_value(o.as_event_value()), Some(o));
            assert_eq!(o.to_string(), o.as_event_value());
        }
    }
}
