//! The byte keys of the history trees, and the page [`Cursor`].
//!
//! A string is written as its UTF-8 bytes with every `0x00` escaped as `0x00 0xFF`, then the
//! terminator `0x00 0x01`; a number as 8 big-endian bytes. Concatenations of such fields
//! sort like the tuples they encode, and the encoding of one string is never a prefix of
//! the encoding of another, so a prefix scan over `enc(address)` finds that address only.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::PacketId;

/// Appends the order-preserving encoding of `s`.
fn push_str(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        if b == 0 {
            out.extend_from_slice(&[0, 0xFF]);
        } else {
            out.push(b);
        }
    }
    out.extend_from_slice(&[0, 1]);
}

/// Reads one string written by [`push_str`]; returns it and the rest.
fn read_str(bytes: &[u8]) -> Option<(String, &[u8])> {
    let mut out = Vec::new();
    let mut rest = bytes;
    loop {
        match rest {
            [0, 1, tail @ ..] => return String::from_utf8(out).ok().map(|s| (s, tail)),
            [0, 0xFF, tail @ ..] => {
                out.push(0);
                rest = tail;
            }
            [0, ..] | [] => return None,
            [b, tail @ ..] => {
                out.push(*b);
                rest = tail;
            }
        }
    }
}

/// The key of a packet: chain, port, channel, sequence.
pub(crate) fn id_key(id: &PacketId) -> Vec<u8> {
    let mut out = path_prefix(&id.chain, &id.port, &id.channel);
    out.extend_from_slice(&id.sequence.to_be_bytes());
    out
}

/// The packet id of a key written by [`id_key`] (`None` when it is not one).
pub(crate) fn decode_id(bytes: &[u8]) -> Option<PacketId> {
    let (chain, rest) = read_str(bytes)?;
    let (port, rest) = read_str(rest)?;
    let (channel, rest) = read_str(rest)?;
    let sequence = u64::from_be_bytes(<[u8; 8]>::try_from(rest).ok()?);
    Some(PacketId {
        chain,
        port,
        channel,
        sequence,
    })
}

/// The prefix of every packet of one channel end.
pub(crate) fn path_prefix(chain: &str, port: &str, channel: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(chain.len() + port.len() + channel.len() + 14);
    for s in [chain, port, channel] {
        push_str(&mut out, s);
    }
    out
}

/// A tx hash as indexed: trimmed, without `0x`, lowercase.
pub(crate) fn normalize_tx_hash(hash: &str) -> String {
    let h = hash.trim();
    let h = h
        .strip_prefix("0x")
        .or_else(|| h.strip_prefix("0X"))
        .unwrap_or(h);
    h.to_ascii_lowercase()
}

/// The prefix of the tx index entries of `hash` (any case, with or without `0x`).
pub(crate) fn tx_prefix(hash: &str) -> Vec<u8> {
    let mut out = Vec::new();
    push_str(&mut out, &normalize_tx_hash(hash));
    out
}

/// The prefix of the address index entries of `address` (compared case-insensitively).
pub(crate) fn address_prefix(address: &str) -> Vec<u8> {
    let mut out = Vec::new();
    push_str(&mut out, &address.trim().to_lowercase());
    out
}

/// The prefix of the denom index entries of `denom` (compared exactly).
pub(crate) fn denom_prefix(denom: &str) -> Vec<u8> {
    let mut out = Vec::new();
    push_str(&mut out, denom);
    out
}

/// `prefix`, then `time` (8 bytes, big-endian), then `rest`.
pub(crate) fn timed(prefix: &[u8], time: u64, rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(prefix.len() + 8 + rest.len());
    out.extend_from_slice(prefix);
    out.extend_from_slice(&time.to_be_bytes());
    out.extend_from_slice(rest);
    out
}

/// The smallest key greater than every key that starts with `prefix` (`None`: no bound).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Where a page of results stopped: the next page starts after it. Opaque; it is written
/// and read as a string (hex), e.g. in a GraphQL API. A cursor is the position of an item
/// in time order (its first-seen time and id), so it stays valid while packets are added.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cursor(Vec<u8>);

impl Cursor {
    /// The cursor of the item with `time` and packet key `id_key`.
    pub(crate) fn at(time: u64, id_key: &[u8]) -> Self {
        Cursor(timed(&[], time, id_key))
    }

    /// The cursor of the index entry whose key is its index prefix followed by `suffix`.
    pub(crate) fn from_suffix(suffix: &[u8]) -> Self {
        Cursor(suffix.to_vec())
    }

    /// The cursor's bytes: first-seen time and packet key, the suffix of an index key.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A string that is not a [`Cursor`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a history cursor (pass back the `next` of a page unchanged)")]
pub struct InvalidCursor(pub String);

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl FromStr for Cursor {
    type Err = InvalidCursor;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidCursor(s.to_string());
        let bytes = hex::decode(s).map_err(|_| bad())?;
        match bytes.split_at_checked(8) {
            Some((_, id)) if decode_id(id).is_some() => Ok(Cursor(bytes)),
            _ => Err(bad()),
        }
    }
}

impl Serialize for Cursor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
