//! IBC core logic for the Stateset relayer, with no I/O: ICS-24 identifiers and paths,
//! typed IBC events parsed from CometBFT events, and the client/connection/channel
//! handshake decisions (given what both chains show, which message to build next) with
//! pure builders for those messages. The relayer crate does the reading and the sending.

pub mod channel;
pub mod connection;
pub mod events;
mod handshake;
pub mod ids;
pub mod paths;
mod state;

pub use events::{IbcEvent, Packet, PacketHeader};
pub use ids::{ChannelId, ClientId, ConnectionId, Height, PortId};
pub use state::{HandshakeError, HandshakeState, Ordering, Side};
