//! Application packet semantics for the Stateset relayer, with no I/O: ICS-20 transfers
//! ([`ics20`]: packet data, denom traces, relay policy), the acknowledgement envelope
//! ([`ack`]). ICS-27 and ICS-29 follow with the applications milestone.

pub mod ack;
pub mod ics20;
