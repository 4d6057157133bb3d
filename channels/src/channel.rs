//! The channel handshake (and close): the next step from what both chains show, and the
//! messages.

use ibc_proto::ibc::core::channel::v1::{
    Channel, Counterparty, MsgChannelCloseConfirm, MsgChannelCloseInit, MsgChannelOpenAck,
    MsgChannelOpenConfirm, MsgChannelOpenInit, MsgChannelOpenTry,
};

use crate::handshake::{expect, next_step, End, Step};
use crate::ids::{ChannelId, ConnectionId, Height, PortId};
use crate::state::{HandshakeError, HandshakeState, Ordering, Side};

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
    /// The spec of the channel an INIT (or any) end belongs to, with that end's chain as A:
    /// ports and ordering from the end, `counterparty_connection` from its connection, and
    /// an empty version (the applications negotiate it).
    pub fn from_end(end: &ChannelEndView, counterparty_connection: &ConnectionId) -> Self {
        ChannelSpec {
            a_port: end.port_id.clone(),
            b_port: end.counterparty_port_id.clone(),
            a_connection: end.connection_id.clone(),
            b_connection: counterparty_connection.clone(),
            ordering: end.ordering,
            version: String::new(),
        }
    }
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
            &spec.version,
            &end.version,
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

/// The next step for the channel of `spec`, given its end on A and on B (either may not
/// exist yet). A CLOSED end with an OPEN counterparty gives CloseConfirm.
pub fn next_channel_step(
    spec: &ChannelSpec,
    a: Option<&ChannelEndView>,
    b: Option<&ChannelEndView>,
) -> Result<ChannelStep, HandshakeError> {
    if let Some(a) = a {
        check(spec, Side::A, a)?;
    }
    if let Some(b) = b {
        check(spec, Side::B, b)?;
    }
    Ok(match next_step("channel", a.map(end), b.map(end))? {
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

/// Inputs of MsgChannelOpenInit.
#[derive(Clone, Debug)]
pub struct ChanOpenInitInput {
    /// Port on the chain the message goes to.
    pub port_id: PortId,
    /// Port on the other chain.
    pub counterparty_port_id: PortId,
    /// Connection on the chain the message goes to.
    pub connection_id: ConnectionId,
    /// Ordering.
    pub ordering: Ordering,
    /// Proposed version.
    pub version: String,
    /// The relayer's address.
    pub signer: String,
}

/// MsgChannelOpenInit.
pub fn build_chan_open_init(i: ChanOpenInitInput) -> MsgChannelOpenInit {
    MsgChannelOpenInit {
        port_id: i.port_id.to_string(),
        channel: Some(Channel {
            state: 1,
            ordering: i.ordering.as_proto(),
            counterparty: Some(Counterparty {
                port_id: i.counterparty_port_id.to_string(),
                channel_id: String::new(),
            }),
            connection_hops: vec![i.connection_id.to_string()],
            version: i.version,
            upgrade_sequence: 0,
        }),
        signer: i.signer,
    }
}

/// Inputs of MsgChannelOpenTry (proof of the INIT end).
#[derive(Clone, Debug)]
pub struct ChanOpenTryInput {
    /// Port on the chain the message goes to.
    pub port_id: PortId,
    /// The INIT end's port.
    pub counterparty_port_id: PortId,
    /// The INIT end.
    pub counterparty_channel_id: ChannelId,
    /// Connection on the chain the message goes to.
    pub connection_id: ConnectionId,
    /// Ordering.
    pub ordering: Ordering,
    /// The INIT end's version.
    pub counterparty_version: String,
    /// Proof of the INIT end.
    pub proof_init: Vec<u8>,
    /// The height of the proof.
    pub proof_height: Height,
    /// The relayer's address.
    pub signer: String,
}

/// MsgChannelOpenTry (the application picks the version from `counterparty_version`).
pub fn build_chan_open_try(i: ChanOpenTryInput) -> MsgChannelOpenTry {
    MsgChannelOpenTry {
        port_id: i.port_id.to_string(),
        channel: Some(Channel {
            state: 2,
            ordering: i.ordering.as_proto(),
            counterparty: Some(Counterparty {
                port_id: i.counterparty_port_id.to_string(),
                channel_id: i.counterparty_channel_id.to_string(),
            }),
            connection_hops: vec![i.connection_id.to_string()],
            version: i.counterparty_version.clone(),
            upgrade_sequence: 0,
        }),
        counterparty_version: i.counterparty_version,
        proof_init: i.proof_init,
        proof_height: Some(i.proof_height.into()),
        signer: i.signer,
        ..Default::default()
    }
}

/// Inputs of MsgChannelOpenAck (proof of the TRYOPEN end).
#[derive(Clone, Debug)]
pub struct ChanOpenAckInput {
    /// Port of the INIT end.
    pub port_id: PortId,
    /// The INIT end.
    pub channel_id: ChannelId,
    /// The TRYOPEN end.
    pub counterparty_channel_id: ChannelId,
    /// The TRYOPEN end's version.
    pub counterparty_version: String,
    /// Proof of the TRYOPEN end.
    pub proof_try: Vec<u8>,
    /// The height of the proof.
    pub proof_height: Height,
    /// The relayer's address.
    pub signer: String,
}

/// MsgChannelOpenAck.
pub fn build_chan_open_ack(i: ChanOpenAckInput) -> MsgChannelOpenAck {
    MsgChannelOpenAck {
        port_id: i.port_id.to_string(),
        channel_id: i.channel_id.to_string(),
        counterparty_channel_id: i.counterparty_channel_id.to_string(),
        counterparty_version: i.counterparty_version,
        proof_try: i.proof_try,
        proof_height: Some(i.proof_height.into()),
        signer: i.signer,
    }
}

/// Inputs of MsgChannelOpenConfirm (proof of the OPEN end).
#[derive(Clone, Debug)]
pub struct ChanOpenConfirmInput {
    /// Port of the TRYOPEN end.
    pub port_id: PortId,
    /// The TRYOPEN end.
    pub channel_id: ChannelId,
    /// Proof of the OPEN end.
    pub proof_ack: Vec<u8>,
    /// The height of the proof.
    pub proof_height: Height,
    /// The relayer's address.
    pub signer: String,
}

/// MsgChannelOpenConfirm.
pub fn build_chan_open_confirm(i: ChanOpenConfirmInput) -> MsgChannelOpenConfirm {
    MsgChannelOpenConfirm {
        port_id: i.port_id.to_string(),
        channel_id: i.channel_id.to_string(),
        proof_ack: i.proof_ack,
        proof_height: Some(i.proof_height.into()),
        signer: i.signer,
    }
}

/// MsgChannelCloseInit (closing is the application's choice; ICS-20 refuses it).
pub fn build_chan_close_init(
    port_id: &PortId,
    channel_id: &ChannelId,
    signer: String,
) -> MsgChannelCloseInit {
    MsgChannelCloseInit {
        port_id: port_id.to_string(),
        channel_id: channel_id.to_string(),
        signer,
    }
}

/// Inputs of MsgChannelCloseConfirm (proof of the CLOSED end).
#[derive(Clone, Debug)]
pub struct ChanCloseConfirmInput {
    /// Port of the OPEN end.
    pub port_id: PortId,
    /// The OPEN end.
    pub channel_id: ChannelId,
    /// Proof of the CLOSED end.
    pub proof_init: Vec<u8>,
    /// The height of the proof.
    pub proof_height: Height,
    /// The relayer's address.
    pub signer: String,
}

/// MsgChannelCloseConfirm.
pub fn build_chan_close_confirm(i: ChanCloseConfirmInput) -> MsgChannelCloseConfirm {
    MsgChannelCloseConfirm {
        port_id: i.port_id.to_string(),
        channel_id: i.channel_id.to_string(),
        proof_init: i.proof_init,
        proof_height: Some(i.proof_height.into()),
        signer: i.signer,
        counterparty_upgrade_sequence: 0,
    }
}

#[cfg(test)]
mod tests;
