//! Hostile-world properties of `stateset-packet-handlers`: every decoder that reads chain
//! data (packet data, acknowledgements, channel versions, fee records, coins) returns a
//! value or an error for any input — random bytes and strings, arbitrary JSON, and valid
//! inputs with random edits — and never panics; where an encoder exists, decoding what it
//! wrote gives back the value.

mod ack;
mod ics20;
mod ics27;
mod ics29;
mod support;
