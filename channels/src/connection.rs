//! The connection handshake: the next step from what both chains show ([`next_connection_step`])
//! and pure builders of the messages (`build_conn_*`).

mod msgs;

pub use msgs::{
    build_conn_open_ack, build_conn_open_confirm, build_conn_open_init, build_conn_open_try,
    default_version, ConnOpenAckInput, ConnOpenConfirmInput, ConnOpenInitInput, ConnOpenTryInput,
};

use crate::handshake::{crossing_hellos, expect, next_step, End, Step};
use crate::ids::{ClientId, ConnectionId};
use crate::state::{HandshakeState, Side};

pub use crate::error::HandshakeError;

/// A connection end as the decision sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionEndView {
    /// Its id on its chain.
    pub id: ConnectionId,
    /// Its state.
    pub state: HandshakeState,
    /// The client it uses on its chain.
    pub client_id: ClientId,
    /// The client the counterparty end uses.
    pub counterparty_client_id: ClientId,
    /// The counterparty end, once known.
    pub counterparty_connection_id: Option<ConnectionId>,
}

/// The connection asked for: which clients it joins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionSpec {
    /// The client (of B) on chain A.
    pub a_client: ClientId,
    /// The client (of A) on chain B.
    pub b_client: ClientId,
}

impl ConnectionSpec {
    /// The spec of the connection an end (typically someone else's INIT end) belongs to,
    /// with that end's chain as A: its client and its counterparty client.
    pub fn from_end(end: &ConnectionEndView) -> Self {
        ConnectionSpec {
            a_client: end.client_id.clone(),
            b_client: end.counterparty_client_id.clone(),
        }
    }

    /// The same spec seen from the other chain (A and B swapped).
    pub fn swapped(&self) -> Self {
        ConnectionSpec {
            a_client: self.b_client.clone(),
            b_client: self.a_client.clone(),
        }
    }
}

/// [`ConnectionSpec::from_end`] for an INIT end found on a chain (that chain is A).
pub fn connection_spec_from_init(end: &ConnectionEndView) -> ConnectionSpec {
    ConnectionSpec::from_end(end)
}

/// The next step of a connection handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionStep {
    /// Send MsgConnectionOpenInit on `on`.
    OpenInit {
        /// Where.
        on: Side,
    },
    /// Send MsgConnectionOpenTry on `on` for the INIT end `counterparty_connection`.
    OpenTry {
        /// Where.
        on: Side,
        /// The INIT end on the other chain.
        counterparty_connection: ConnectionId,
    },
    /// Send MsgConnectionOpenAck on `on` for its INIT end `connection`.
    OpenAck {
        /// Where.
        on: Side,
        /// The INIT end.
        connection: ConnectionId,
        /// The TRYOPEN end on the other chain.
        counterparty_connection: ConnectionId,
    },
    /// Send MsgConnectionOpenConfirm on `on` for its TRYOPEN end `connection`.
    OpenConfirm {
        /// Where.
        on: Side,
        /// The TRYOPEN end.
        connection: ConnectionId,
        /// The OPEN end on the other chain.
        counterparty_connection: ConnectionId,
    },
    /// Both ends are OPEN.
    Open {
        /// The end on A.
        a: ConnectionId,
        /// The end on B.
        b: ConnectionId,
    },
}

fn check(spec: &ConnectionSpec, side: Side, end: &ConnectionEndView) -> Result<(), HandshakeError> {
    let (own, other) = match side {
        Side::A => (&spec.a_client, &spec.b_client),
        Side::B => (&spec.b_client, &spec.a_client),
    };
    expect(side, format!("client of {}", end.id), own, &end.client_id)?;
    expect(
        side,
        format!("counterparty client of {}", end.id),
        other,
        &end.counterparty_client_id,
    )
}

fn end(view: &ConnectionEndView) -> End<'_, ConnectionId> {
    End {
        state: view.state,
        id: &view.id,
        counterparty: view.counterparty_connection_id.as_ref(),
    }
}

/// The next step of the connection handshake of `spec`, given the end on A the relayer
/// follows and the end on B (either may be `None`: not created yet).
///
/// * none / none: OpenInit on A; an INIT end alone: OpenTry on the other chain (so with
///   only B's end, the steps mirror with `on: Side::B`).
/// * INIT / INIT (crossing hellos): ibc-go ≥ v4 cannot join two INIT ends (OpenTry always
///   creates a new end), so A's end is continued with an OpenTry on B and B's unrelated
///   INIT end is ignored (not even compared with `spec`).
/// * INIT / TRYOPEN naming it: OpenAck on the INIT side; OPEN / TRYOPEN: OpenConfirm on the
///   TRYOPEN side; OPEN / OPEN naming each other: [`ConnectionStep::Open`].
///
/// Errors, never guesses: an end joining other clients than `spec`, an end naming another
/// counterparty (or a TRYOPEN/OPEN end naming none), a CLOSED end, and impossible pairs
/// (OPEN / INIT, TRYOPEN / TRYOPEN, a TRYOPEN or OPEN end without its counterparty end).
pub fn next_connection_step(
    spec: &ConnectionSpec,
    a: Option<&ConnectionEndView>,
    b: Option<&ConnectionEndView>,
) -> Result<ConnectionStep, HandshakeError> {
    let crossing = crossing_hellos(a.map(|e| e.state), b.map(|e| e.state));
    if let Some(a) = a.filter(|e| e.state.exists()) {
        check(spec, Side::A, a)?;
    }
    if let Some(b) = b.filter(|e| e.state.exists() && !crossing) {
        check(spec, Side::B, b)?;
    }
    Ok(
        match next_step("connection", false, a.map(end), b.map(end))? {
            Step::Init { on } => ConnectionStep::OpenInit { on },
            Step::Try { on, counterparty } => ConnectionStep::OpenTry {
                on,
                counterparty_connection: counterparty,
            },
            Step::Ack {
                on,
                id,
                counterparty,
            } => ConnectionStep::OpenAck {
                on,
                connection: id,
                counterparty_connection: counterparty,
            },
            Step::Confirm {
                on,
                id,
                counterparty,
            } => ConnectionStep::OpenConfirm {
                on,
                connection: id,
                counterparty_connection: counterparty,
            },
            Step::Open { a, b } => ConnectionStep::Open { a, b },
            // `next_step` returns `HandshakeError::Closed` for connections before these.
            Step::CloseConfirm { on, id, .. } => {
                return Err(HandshakeError::Closed {
                    side: on.other(),
                    what: format!("counterparty of connection {id}"),
                })
            }
            Step::Closed { a, .. } => {
                return Err(HandshakeError::Closed {
                    side: Side::A,
                    what: format!("connection {a}"),
                })
            }
        },
    )
}

#[cfg(test)]
mod tests;
