//! The channel handshake and close: the next step from what both chains show
//! ([`next_channel_step`]) and pure builders of the messages (`build_chan_*`).

mod msgs;

pub use msgs::{
    build_chan_close_confirm, build_chan_close_init, build_chan_open_ack, build_chan_open_confirm,
    build_chan_open_init, build_chan_open_try, ChanCloseConfirmInput, ChanOpenAckInput,
    ChanOpenConfirmInput, ChanOpenInitInput, ChanOpenTryInput,
};

use crate::handshake::{crossing_hellos, expect, next_step, End, Step};
use crate::ids::{ChannelId, ConnectionId, PortId};
use crate::state::{HandshakeState, Ordering, Side};

pub use crate::error::HandshakeError;

/// A channel end as the decision sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelEndView {
    /// Its port.
    pub port_id: PortId,
    /// Its id.
    pub channel_id: ChannelId,
    /// Its state.
    pub state: HandshakeState,
    /// Its ordering.
    pub ordering: Ordering,
    /// The connection it runs over on its chain.
    pub connection_id: ConnectionId,
    /// The counterparty's port.
    pub counterparty_port_id: PortId,
    /// The counterparty end, once known.
    pub counterparty_channel_id: Option<ChannelId>,
    /// Its version (proposed on INIT, negotiated once open).
    pub version: String,
}

/// The channel asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelSpec {
    /// Port on A.
    pub a_port: PortId,
    /// Port on B.
    pub b_port: PortId,
    /// Connection on A.
    pub a_connection: ConnectionId,
    /// Connection on B.
    pub b_connection: ConnectionId,
    /// Ordering.
    pub ordering: Ordering,
    /// Version to propose; empty: whatever the applications negotiate (not compared).
    pub version: String,
}

impl ChannelSpec {
    /// The spec of the channel an end (typically someone else's INIT end) belongs to, with
    /// that end's chain as A: ports, connection and ordering from the end,
    /// `counterparty_connection` (the counterparty of the end's connection) as B's
    /// connection, and the end's version if it is INIT (its proposal; empty otherwise:
    /// whatever the applications negotiate).
    pub fn from_end(end: &ChannelEndView, counterparty_connection: &ConnectionId) -> Self {
        ChannelSpec {
            a_port: end.port_id.clone(),
            b_port: end.counterparty_port_id.clone(),
            a_connection: end.connection_id.clone(),
            b_connection: counterparty_connection.clone(),
            ordering: end.ordering,
            version: if end.state == HandshakeState::Init {
                end.version.clone()
            } else {
                String::new()
            },
        }
    }

    /// The same spec seen from the other chain (A and B swapped).
    pub fn swapped(&self) -> Self {
        ChannelSpec {
            a_port: self.b_port.clone(),
            b_port: self.a_port.clone(),
            a_connection: self.b_connection.clone(),
            b_connection: self.a_connection.clone(),
            ordering: self.ordering,
            version: self.version.clone(),
        }
    }
}

/// [`ChannelSpec::from_end`] for an INIT end found on a chain (that chain is A);
/// `own_connection_counterparty` is the counterparty connection id of the end's connection.
pub fn channel_spec_from_init(
    end: &ChannelEndView,
    own_connection_counterparty: &ConnectionId,
) -> ChannelSpec {
    ChannelSpec::from_end(end, own_connection_counterparty)
}

/// The next step of a channel handshake or close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelStep {
    /// Send MsgChannelOpenInit on `on`.
    OpenInit {
        /// Where.
        on: Side,
    },
    /// Send MsgChannelOpenTry on `on` for the INIT end `counterparty_channel`.
    OpenTry {
        /// Where.
        on: Side,
        /// The INIT end.
        counterparty_channel: ChannelId,
    },
    /// Send MsgChannelOpenAck on `on`.
    OpenAck {
        /// Where.
        on: Side,
        /// The INIT end on `on`.
        channel: ChannelId,
        /// The TRYOPEN end.
        counterparty_channel: ChannelId,
    },
    /// Send MsgChannelOpenConfirm on `on`.
    OpenConfirm {
        /// Where.
        on: Side,
        /// The TRYOPEN end on `on`.
        channel: ChannelId,
        /// The OPEN end.
        counterparty_channel: ChannelId,
    },
    /// Both ends are OPEN.
    Open {
        /// End on A.
        a: ChannelId,
        /// End on B.
        b: ChannelId,
    },
    /// Send MsgChannelCloseConfirm on `on` (the other end is CLOSED).
    CloseConfirm {
        /// Where.
        on: Side,
        /// The OPEN end on `on`.
        channel: ChannelId,
        /// The CLOSED end.
        counterparty_channel: ChannelId,
    },
    /// Both ends are CLOSED.
    Closed {
        /// End on A.
        a: ChannelId,
        /// End on B.
        b: ChannelId,
    },
}

fn check(spec: &ChannelSpec, side: Side, end: &ChannelEndView) -> Result<(), HandshakeError> {
    let ((port, conn), cp_port) = match side {
        Side::A => ((&spec.a_port, &spec.a_connection), &spec.b_port),
        Side::B => ((&spec.b_port, &spec.b_connection), &spec.a_port),
    };
    let id = &end.channel_id;
    expect(side, format!("port of {id}"), port, &end.port_id)?;
    expect(
        side,
        format!("connection of {id}"),
        conn,
        &end.connection_id,
    )?;
    expect(
        side,
        format!("counterparty port of {id}"),
        cp_port,
        &end.counterparty_port_id,
    )?;
    expect(
        side,
        format!("ordering of {id}"),
        &spec.ordering,
        &end.ordering,
    )?;
    if !spec.version.is_empty() && end.state == HandshakeState::Init {
        expect(
            side,
            format!("version of {id}"),
            &format!("\"{}\"", spec.version),
            &format!("\"{}\"", end.version),
        )?;
    }
    Ok(())
}

fn end(view: &ChannelEndView) -> End<'_, ChannelId> {
    End {
        state: view.state,
        id: &view.channel_id,
        counterparty: view.counterparty_channel_id.as_ref(),
    }
}

/// The next step for the channel of `spec`, given its end on A the relayer follows and
/// its end on B (either may be `None`: not created yet).
///
/// The handshake follows the same rules as [`crate::connection::next_connection_step`]
/// (INIT alone: OpenTry on the other chain, mirrored with `on: Side::B` when only B has an
/// end; INIT / INIT are crossing hellos: OpenTry on B for A's end, B's end ignored; INIT /
/// TRYOPEN: OpenAck; OPEN / TRYOPEN: OpenConfirm; OPEN / OPEN: [`ChannelStep::Open`]),
/// plus closing: CLOSED / OPEN gives CloseConfirm on the OPEN side and CLOSED / CLOSED
/// gives [`ChannelStep::Closed`]; a CLOSED end with a counterparty in any other state (or
/// none) is [`HandshakeError::Closed`].
///
/// Each end must match `spec`: port, connection, counterparty port and ordering; the
/// version only when `spec.version` is not empty, and only for an INIT end (later the
/// version is the one the applications negotiated).
pub fn next_channel_step(
    spec: &ChannelSpec,
    a: Option<&ChannelEndView>,
    b: Option<&ChannelEndView>,
) -> Result<ChannelStep, HandshakeError> {
    let crossing = crossing_hellos(a.map(|e| e.state), b.map(|e| e.state));
    if let Some(a) = a.filter(|e| e.state.exists()) {
        check(spec, Side::A, a)?;
    }
    if let Some(b) = b.filter(|e| e.state.exists() && !crossing) {
        check(spec, Side::B, b)?;
    }
    Ok(match next_step("channel", true, a.map(end), b.map(end))? {
        Step::Init { on } => ChannelStep::OpenInit { on },
        Step::Try { on, counterparty } => ChannelStep::OpenTry {
            on,
            counterparty_channel: counterparty,
        },
        Step::Ack {
            on,
            id,
            counterparty,
        } => ChannelStep::OpenAck {
            on,
            channel: id,
            counterparty_channel: counterparty,
        },
        Step::Confirm {
            on,
            id,
            counterparty,
        } => ChannelStep::OpenConfirm {
            on,
            channel: id,
            counterparty_channel: counterparty,
        },
        Step::Open { a, b } => ChannelStep::Open { a, b },
        Step::CloseConfirm {
            on,
            id,
            counterparty,
        } => ChannelStep::CloseConfirm {
            on,
            channel: id,
            counterparty_channel: counterparty,
        },
        Step::Closed { a, b } => ChannelStep::Closed { a, b },
    })
}

#[cfg(test)]
mod tests;
