//! IBC v2 (ibc-go v10 "Eureka"): wire types and pure helpers, with no I/O.
//!
//! ibc-proto 0.52 has no IBC v2 messages, so the types here are written by hand as prost
//! messages, every field name and tag taken from ibc-go v10.7.0's proto files:
//!
//! * [`channel`]: package `ibc.core.channel.v2` (`packet.proto`, `tx.proto`, `query.proto`):
//!   [`channel::Packet`], [`channel::MsgRecvPacket`], [`channel::MsgAcknowledgement`],
//!   [`channel::MsgTimeout`], … and the queries a relayer needs;
//! * [`client`]: package `ibc.core.client.v2` (`tx.proto`, `counterparty.proto`,
//!   `query.proto`): [`client::MsgRegisterCounterparty`], [`client::CounterpartyInfo`], …;
//! * [`keys`]: the store keys of packet commitments, receipts and acknowledgements
//!   (ibc-go `modules/core/24-host/v2`);
//! * [`path`]: what `create path --ibc-version 2` still has to do (a pure plan);
//! * [`commitment`]: the packet and acknowledgement commitment hashes
//!   (ibc-go `modules/core/04-channel/v2/types/commitment.go`);
//! * [`relay`]: how a v2 packet is carried through the classic packet machinery (as an
//!   [`events::Packet`](crate::events::Packet) on port [`V2_PORT`]), and the v2 messages
//!   and commitments of a carried packet;
//! * [`events`]: the v2 packet events of ibc-go v10/v11, which
//!   [`parse_ibc_event`](crate::events::parse_ibc_event) parses into the classic packet
//!   variants of [`IbcEvent`](crate::events::IbcEvent), the packet carried as [`relay`]
//!   describes.
//!
//! In IBC v2 a packet is addressed by client ids (each chain's light client of the other,
//! paired with `MsgRegisterCounterparty`) instead of port and channel ids, and its timeout
//! is a timestamp in **seconds** (IBC v1: nanoseconds, plus an optional height).
//!
//! Fields that ibc-go marks `(gogoproto.nullable) = false` are still proto3 message fields,
//! so they are `Option<T>` here; ibc-go's Go types have no "absent" for them and always
//! encode them (an empty one as tag + length 0). Set them to `Some`: `None` encodes nothing,
//! which the chain reads as the zero value (and then refuses, e.g. a packet without
//! sequence). With `Some(Default::default())` our bytes equal ibc-go's even for zero values.
//!
//! The encodings are checked byte for byte against ibc-go v10.7.0's own Go types
//! (golden vectors in this module's tests; the Go program that produced them is
//! `channels/tests/golden/ibc_go_v10_v2.go.txt`).

/// `impl prost::Name` as ibc-proto generates it (literal `full_name` and `type_url`), for
/// each type listed, in the given protobuf package.
macro_rules! proto_name {
    ($package:literal: $($ty:ident),+ $(,)?) => {
        $(
            impl ::prost::Name for $ty {
                const NAME: &'static str = stringify!($ty);
                const PACKAGE: &'static str = $package;
                fn full_name() -> ::prost::alloc::string::String {
                    concat!($package, ".", stringify!($ty)).into()
                }
                fn type_url() -> ::prost::alloc::string::String {
                    concat!("/", $package, ".", stringify!($ty)).into()
                }
            }
        )+
    };
}

pub mod channel;
pub mod client;
pub mod commitment;
pub mod events;
pub mod keys;
pub mod path;
pub mod relay;

#[cfg(test)]
mod golden_tests;

pub use commitment::{commit_acknowledgement, commit_packet, ERROR_ACKNOWLEDGEMENT};
pub use keys::{
    next_sequence_send_key, packet_acknowledgement_key, packet_commitment_key, packet_receipt_key,
    PACKET_RECEIPT_SUCCESSFUL,
};
pub use relay::{
    build_v2_acknowledgement, build_v2_recv_packet, build_v2_timeout, carry, is_v2, payloads,
    v2_ack_commitment, v2_packet, v2_packet_commitment, V2PacketError, V2_PORT,
};
