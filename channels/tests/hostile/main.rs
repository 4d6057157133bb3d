//! Hostile-world properties of `stateset-channels`: every decoder of chain data (CometBFT
//! events with plain or base64 attributes, IBC v2 packet events, wire packets, carried v2
//! packets, identifiers, heights, revision numbers, states and orderings) and every decision
//! taken on it (timeouts, receive and ack plans, batching, handshake steps) returns a value
//! or an error for any input and never panics; what the chain would write decodes to what
//! it was written from.

mod events;
mod gen;
mod ids;
mod packets;
mod support;
mod v2;
