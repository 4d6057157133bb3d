//! Application packet semantics for the Stateset relayer, with no I/O: ICS-20 transfers
//! ([`ics20`]: packet data, denom traces, relay policy), ICS-27 interchain accounts
//! ([`ics27`]: packet data, version metadata, per-message acknowledgements), ICS-29 relayer
//! fees ([`ics29`]: fee versions, incentivized acknowledgements, escrowed fees, the
//! minimum-fee policy) and the acknowledgement envelope ([`ack`]).

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

pub mod ack;
pub mod ics20;
pub mod ics27;
pub mod ics29;
mod json;
