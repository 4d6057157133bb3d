//! The connection handshake: the next step from what both chains show, and the messages.

use ibc_proto::google::protobuf::Any;
use ibc_proto::ibc::core::commitment::v1::MerklePrefix;
use ibc_proto::ibc::core::connection::v1::{
    Counterparty, MsgConnectionOpenAck, MsgConnectionOpenConfirm, MsgConnectionOpenInit,
    MsgConnectionOpenTry, Version,
};

use crate::handshake::{expect, next_step, End, Step};
use crate::ids::{ClientId, ConnectionId, Height};
use crate::state::{HandshakeError, HandshakeState, Side};

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
    /// The spec of the connection an end belongs to, seen from that end's chain as A.
    pub fn from_end(end: &ConnectionEndView) -> Self {
        ConnectionSpec {
            a_client: end.client_id.clone(),
            b_client: end.counterparty_client_id.clone(),
        }
    }
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
/// follows and the end on B (either may not exist yet). Crossing hellos (an unrelated INIT
/// end on B) continue A's end. An end that joins other clients than `spec`, or names
/// another counterparty, is an error, never a guess.
pub fn next_connection_step(
    spec: &ConnectionSpec,
    a: Option<&ConnectionEndView>,
    b: Option<&ConnectionEndView>,
) -> Result<ConnectionStep, HandshakeError> {
    if let Some(a) = a {
        check(spec, Side::A, a)?;
    }
    if let Some(b) = b {
        check(spec, Side::B, b)?;
    }
    Ok(match next_step("connection", a.map(end), b.map(end))? {
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
        Step::CloseConfirm { .. } | Step::Closed { .. } => {
            return Err(HandshakeError::Impossible {
                a: "a closed connection".into(),
                b: String::new(),
            })
        }
    })
}

/// ibc-go's default connection version: identifier "1" with both orderings.
pub fn default_version() -> Version {
    Version {
        identifier: "1".into(),
        features: vec!["ORDER_ORDERED".into(), "ORDER_UNORDERED".into()],
    }
}

/// Inputs of MsgConnectionOpenInit.
#[derive(Clone, Debug)]
pub struct ConnOpenInitInput {
    /// The client on the chain the message goes to.
    pub client_id: ClientId,
    /// The client on the other chain.
    pub counterparty_client_id: ClientId,
    /// The other chain's IBC store prefix (`ibc`).
    pub counterparty_prefix: Vec<u8>,
    /// Delay period in nanoseconds.
    pub delay_period_ns: u64,
    /// The relayer's address.
    pub signer: String,
}

/// MsgConnectionOpenInit.
pub fn build_conn_open_init(i: ConnOpenInitInput) -> MsgConnectionOpenInit {
    MsgConnectionOpenInit {
        client_id: i.client_id.to_string(),
        counterparty: Some(Counterparty {
            client_id: i.counterparty_client_id.to_string(),
            connection_id: String::new(),
            prefix: Some(MerklePrefix {
                key_prefix: i.counterparty_prefix,
            }),
        }),
        version: Some(default_version()),
        delay_period: i.delay_period_ns,
        signer: i.signer,
    }
}

/// Inputs of MsgConnectionOpenTry (proofs from the INIT chain at `proof_height`).
#[derive(Clone, Debug)]
pub struct ConnOpenTryInput {
    /// The client on the chain the message goes to.
    pub client_id: ClientId,
    /// The client on the INIT chain.
    pub counterparty_client_id: ClientId,
    /// The INIT end.
    pub counterparty_connection_id: ConnectionId,
    /// The INIT chain's store prefix.
    pub counterparty_prefix: Vec<u8>,
    /// Delay period in nanoseconds.
    pub delay_period_ns: u64,
    /// The INIT chain's client of this chain.
    pub client_state: Any,
    /// Proof of the INIT end.
    pub proof_init: Vec<u8>,
    /// Proof of `client_state`.
    pub proof_client: Vec<u8>,
    /// Proof of the INIT chain's consensus state of this chain at `consensus_height`.
    pub proof_consensus: Vec<u8>,
    /// The height of the proofs.
    pub proof_height: Height,
    /// The latest height of `client_state`.
    pub consensus_height: Height,
    /// The relayer's address.
    pub signer: String,
}

/// MsgConnectionOpenTry (ibc-go v8 fields; `previous_connection_id` and the host
/// consensus state proof stay empty).
pub fn build_conn_open_try(i: ConnOpenTryInput) -> MsgConnectionOpenTry {
    MsgConnectionOpenTry {
        client_id: i.client_id.to_string(),
        client_state: Some(i.client_state),
        counterparty: Some(Counterparty {
            client_id: i.counterparty_client_id.to_string(),
            connection_id: i.counterparty_connection_id.to_string(),
            prefix: Some(MerklePrefix {
                key_prefix: i.counterparty_prefix,
            }),
        }),
        delay_period: i.delay_period_ns,
        counterparty_versions: vec![default_version()],
        proof_height: Some(i.proof_height.into()),
        proof_init: i.proof_init,
        proof_client: i.proof_client,
        proof_consensus: i.proof_consensus,
        consensus_height: Some(i.consensus_height.into()),
        signer: i.signer,
        host_consensus_state_proof: Vec::new(),
        ..Default::default()
    }
}

/// Inputs of MsgConnectionOpenAck (proofs from the TRYOPEN chain).
#[derive(Clone, Debug)]
pub struct ConnOpenAckInput {
    /// The INIT end (on the chain the message goes to).
    pub connection_id: ConnectionId,
    /// The TRYOPEN end.
    pub counterparty_connection_id: ConnectionId,
    /// The version the TRYOPEN end chose.
    pub version: Version,
    /// The TRYOPEN chain's client of this chain.
    pub client_state: Any,
    /// Proof of the TRYOPEN end.
    pub proof_try: Vec<u8>,
    /// Proof of `client_state`.
    pub proof_client: Vec<u8>,
    /// Proof of the consensus state at `consensus_height`.
    pub proof_consensus: Vec<u8>,
    /// The height of the proofs.
    pub proof_height: Height,
    /// The latest height of `client_state`.
    pub consensus_height: Height,
    /// The relayer's address.
    pub signer: String,
}

/// MsgConnectionOpenAck.
pub fn build_conn_open_ack(i: ConnOpenAckInput) -> MsgConnectionOpenAck {
    MsgConnectionOpenAck {
        connection_id: i.connection_id.to_string(),
        counterparty_connection_id: i.counterparty_connection_id.to_string(),
        version: Some(i.version),
        client_state: Some(i.client_state),
        proof_height: Some(i.proof_height.into()),
        proof_try: i.proof_try,
        proof_client: i.proof_client,
        proof_consensus: i.proof_consensus,
        consensus_height: Some(i.consensus_height.into()),
        signer: i.signer,
        host_consensus_state_proof: Vec::new(),
    }
}

/// Inputs of MsgConnectionOpenConfirm (proof from the OPEN chain).
#[derive(Clone, Debug)]
pub struct ConnOpenConfirmInput {
    /// The TRYOPEN end (on the chain the message goes to).
    pub connection_id: ConnectionId,
    /// Proof of the OPEN end.
    pub proof_ack: Vec<u8>,
    /// The height of the proof.
    pub proof_height: Height,
    /// The relayer's address.
    pub signer: String,
}

/// MsgConnectionOpenConfirm.
pub fn build_conn_open_confirm(i: ConnOpenConfirmInput) -> MsgConnectionOpenConfirm {
    MsgConnectionOpenConfirm {
        connection_id: i.connection_id.to_string(),
        proof_ack: i.proof_ack,
        proof_height: Some(i.proof_height.into()),
        signer: i.signer,
    }
}

#[cfg(test)]
mod tests;
