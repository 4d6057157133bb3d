//! IBC core logic for the Stateset relayer, with no I/O:
//!
//! * [`ids`]: ICS-24 identifiers ([`ClientId`], [`ConnectionId`], [`ChannelId`],
//!   [`PortId`]) and IBC [`Height`]s;
//! * [`paths`]: the ICS-24 keys of the IBC store (what proofs are queried for);
//! * [`events`]: typed IBC events ([`IbcEvent`]) parsed from CometBFT events, as ibc-go v8
//!   emits them (CometBFT 0.38 plain attributes, 0.34 base64 attributes), and the IBC v2
//!   packet events of ibc-go v10/v11 (the v2 packet carried as [`v2::relay`] describes);
//! * [`bisection`]: which header heights a client update verifies, in which order;
//! * [`connection`] and [`channel`]: the handshake decisions (given what both chains show,
//!   which message to send next, and where) and pure builders of those messages.
//!
//! The relayer crate does the reading, proving and sending.

#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod bisection;
pub mod channel;
pub mod commitment;
pub mod connection;
pub mod error;
pub mod events;
mod handshake;
pub mod ids;
pub mod packet;
pub mod paths;
pub mod proof_height;
pub mod relay_plan;
pub mod responses;
mod state;
pub mod v2;

pub use channel::{next_channel_step, ChannelEndView, ChannelSpec, ChannelStep};
pub use connection::{next_connection_step, ConnectionEndView, ConnectionSpec, ConnectionStep};
pub use error::{EventError, HandshakeError, IdError};
pub use events::{
    parse_abci_event, parse_ibc_event, ChannelAttributes, ConnectionAttributes, IbcEvent, Packet,
    PacketHeader,
};
pub use ids::{parse_revision_number, ChannelId, ClientId, ConnectionId, Height, PortId};
pub use state::{HandshakeState, Ordering, Side};
