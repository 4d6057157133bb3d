//! Pure builders of the connection handshake messages (ibc-proto 0.52, ibc-go v8 fields).
//! The relayer supplies proofs (prost-encoded `MerkleProof` bytes) and heights.

use ibc_proto::google::protobuf::Any;
use ibc_proto::ibc::core::commitment::v1::MerklePrefix;
use ibc_proto::ibc::core::connection::v1::{
    Counterparty, MsgConnectionOpenAck, MsgConnectionOpenConfirm, MsgConnectionOpenInit,
    MsgConnectionOpenTry, Version,
};

use crate::ids::{ClientId, ConnectionId, Height};

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

/// MsgConnectionOpenInit, proposing ibc-go's [`default_version`], with an empty
/// counterparty connection id.
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

/// MsgConnectionOpenTry (ibc-go v8 fields). `counterparty_versions` is ibc-go's
/// [`default_version`] (what every ibc-go INIT end proposes); `previous_connection_id`
/// and `host_consensus_state_proof` stay empty.
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

/// MsgConnectionOpenAck (`host_consensus_state_proof` empty).
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
