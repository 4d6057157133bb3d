//! Pure builders of the channel handshake and close messages (ibc-proto 0.52, ibc-go v8
//! fields). The relayer supplies proofs (prost-encoded `MerkleProof` bytes) and heights.

use ibc_proto::ibc::core::channel::v1::{
    Channel, Counterparty, MsgChannelCloseConfirm, MsgChannelCloseInit, MsgChannelOpenAck,
    MsgChannelOpenConfirm, MsgChannelOpenInit, MsgChannelOpenTry, State,
};

use crate::ids::{ChannelId, ConnectionId, Height, PortId};
use crate::state::Ordering;

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

/// MsgChannelOpenInit: a channel in state INIT over one connection hop, with an empty
/// counterparty channel id.
pub fn build_chan_open_init(i: ChanOpenInitInput) -> MsgChannelOpenInit {
    MsgChannelOpenInit {
        port_id: i.port_id.to_string(),
        channel: Some(Channel {
            state: State::Init as i32,
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

/// MsgChannelOpenTry: a channel in state TRYOPEN naming the INIT end; `counterparty_version`
/// and the (ignored by ibc-go v8) `channel.version` are the INIT end's version, from which
/// the application picks; `previous_channel_id` stays empty.
pub fn build_chan_open_try(i: ChanOpenTryInput) -> MsgChannelOpenTry {
    MsgChannelOpenTry {
        port_id: i.port_id.to_string(),
        channel: Some(Channel {
            state: State::Tryopen as i32,
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

/// MsgChannelCloseConfirm (`counterparty_upgrade_sequence` 0).
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
