//! The index of a ledger: a second sled tree beside the records, keyed by (state, sequence),
//! so that a relay cycle reads the few packets it takes up, not the whole ledger.
//!
//! Keys of the index tree:
//! - `[state] ‖ sequence (big-endian)` → the record's `seen` (f64 bits, big-endian): one
//!   entry per record, so the records of one state are a prefix scan in sequence order and
//!   the oldest of a state is the prefix's first key;
//! - `[COUNT] ‖ [state]` → how many records are in that state (u64, big-endian);
//! - `[MARKER]` → the index version, written when the ledger is fully indexed.
//!
//! Every write to a ledger changes its record and its index entries (and counts) in one
//! sled transaction over both trees. A ledger written before the index existed has no
//! marker: it is indexed once, when it is opened.

use std::cell::RefCell;

use sled::transaction::{
    ConflictableTransactionError, TransactionError, Transactional, TransactionalTree,
};

use super::{Ledger, PacketRecord, PacketState, StoreError};

/// The first byte of a state's count key.
const COUNT: u8 = 0xFF;
/// The key saying the ledger is fully indexed (and in which version).
const MARKER: [u8; 1] = [0xFE];
/// The index version.
const VERSION: &[u8] = b"1";

/// Every state, in the order of their index bytes.
pub const ALL_STATES: [PacketState; 6] = [
    PacketState::Sent,
    PacketState::RecvSubmitted,
    PacketState::Received,
    PacketState::AckWritten,
    PacketState::Filtered,
    PacketState::Quarantined,
];

/// The index byte of `state`.
pub(super) fn state_byte(state: PacketState) -> u8 {
    match state {
        PacketState::Sent => 0,
        PacketState::RecvSubmitted => 1,
        PacketState::Received => 2,
        PacketState::AckWritten => 3,
        PacketState::Filtered => 4,
        PacketState::Quarantined => 5,
    }
}

/// The index key of a record of `seq` in `state`.
pub(super) fn entry_key(state: PacketState, seq: u64) -> [u8; 9] {
    let [a, b, c, d, e, f, g, h] = seq.to_be_bytes();
    [state_byte(state), a, b, c, d, e, f, g, h]
}

/// The sequence of an index entry's key (None: not an entry).
pub(super) fn entry_seq(key: &[u8]) -> Option<u64> {
    let seq = key.get(1..)?;
    <[u8; 8]>::try_from(seq).ok().map(u64::from_be_bytes)
}

/// The `seen` stored in an index entry's value.
pub(super) fn entry_seen(value: &[u8]) -> f64 {
    <[u8; 8]>::try_from(value)
        .map(|b| f64::from_bits(u64::from_be_bytes(b)))
        .unwrap_or(0.0)
}

/// `seen` as a record decodes it (serde_json's parser may be a unit in the last place off
/// the value it wrote), so that the index and the records agree exactly.
fn stored_seen(seen: f64) -> f64 {
    serde_json::to_vec(&seen)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(seen)
}

fn count_key(state: PacketState) -> [u8; 2] {
    [COUNT, state_byte(state)]
}

fn read_u64(value: Option<&[u8]>) -> u64 {
    value
        .and_then(|v| <[u8; 8]>::try_from(v).ok())
        .map_or(0, u64::from_be_bytes)
}

/// How many records a ledger holds in each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StateCounts([u64; 6]);

impl StateCounts {
    /// Records in `state`.
    pub fn get(&self, state: PacketState) -> u64 {
        self.0
            .get(usize::from(state_byte(state)))
            .copied()
            .unwrap_or(0)
    }

    /// Records in any state.
    pub fn total(&self) -> u64 {
        self.0.iter().fold(0u64, |a, n| a.saturating_add(*n))
    }

    fn slot(&mut self, state: PacketState) -> Option<&mut u64> {
        self.0.get_mut(usize::from(state_byte(state)))
    }

    /// Counts one more record in `state` (for brute-force counts and migration).
    pub fn add(&mut self, state: PacketState) {
        if let Some(n) = self.slot(state) {
            *n = n.saturating_add(1);
        }
    }
}

/// Adds `delta` (±1) to the count of `state`, inside a transaction.
fn bump(
    index: &TransactionalTree,
    state: PacketState,
    up: bool,
) -> Result<(), ConflictableTransactionError<StoreError>> {
    let key = count_key(state);
    let n = read_u64(index.get(key)?.as_deref());
    let n = match up {
        true => n.saturating_add(1),
        false => n.saturating_sub(1),
    };
    index.insert(&key[..], &n.to_be_bytes()[..])?;
    Ok(())
}

/// What a write found under the sequence it changed.
enum Old {
    Absent,
    Corrupt(String),
    Record(PacketRecord),
}

impl Ledger {
    /// Applies `f` to the record of `seq` (None: absent or corrupt) and writes what it
    /// returns (None: remove), with the index entries and counts, in one transaction over
    /// both trees. Returns whether there was no (readable) record before.
    pub(super) fn update(
        &self,
        seq: u64,
        f: impl Fn(Option<PacketRecord>) -> Option<PacketRecord>,
    ) -> Result<bool, StoreError> {
        let start = std::time::Instant::now();
        let corrupt = RefCell::new(None);
        let key = seq.to_be_bytes();
        let result = (&self.tree, &self.index).transaction(|(records, index)| {
            let bytes = records.get(key)?;
            let old = match &bytes {
                None => Old::Absent,
                Some(bytes) => match PacketRecord::decode(&self.key(seq), bytes) {
                    Ok(r) => Old::Record(r),
                    Err(e) => Old::Corrupt(e.to_string()),
                },
            };
            let (absent, new) = match &old {
                Old::Absent => (true, f(None)),
                Old::Corrupt(e) => {
                    *corrupt.borrow_mut() = Some(e.clone());
                    (true, f(None))
                }
                Old::Record(r) => (false, f(Some(r.clone()))),
            };
            let encoded = new.as_ref().map(PacketRecord::encode);
            if encoded.is_some() && encoded.as_deref() == bytes.as_deref() {
                return Ok(absent); // unchanged: nothing to write
            }
            unindex(index, seq, &old)?;
            match (new, encoded) {
                (Some(new), Some(encoded)) => {
                    records.insert(&key[..], encoded)?;
                    let value = stored_seen(new.seen).to_bits().to_be_bytes();
                    index.insert(&entry_key(new.state, seq)[..], &value[..])?;
                    bump(index, new.state, true)?;
                }
                _ if bytes.is_some() => {
                    records.remove(&key[..])?;
                }
                _ => {}
            }
            Ok(absent)
        });
        let absent = result.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(source) => self.err()(source),
        })?;
        super::observe_write("ledger", start);
        if let Some(e) = corrupt.into_inner() {
            tracing::warn!(error = e, "replaced a corrupt ledger record");
        }
        Ok(absent)
    }

    /// How many records the ledger holds in each state (read from the index's counts).
    pub fn counts(&self) -> Result<StateCounts, StoreError> {
        let mut counts = StateCounts::default();
        for state in ALL_STATES {
            let n = self.index.get(count_key(state)).map_err(self.err())?;
            if let Some(slot) = counts.slot(state) {
                *slot = read_u64(n.as_deref());
            }
        }
        Ok(counts)
    }

    /// The record of the lowest sequence in `state`: (sequence, seen).
    pub fn oldest(&self, state: PacketState) -> Result<Option<(u64, f64)>, StoreError> {
        let first = self
            .index
            .scan_prefix([state_byte(state)])
            .next()
            .transpose()
            .map_err(self.err())?;
        Ok(first.and_then(|(k, v)| Some((entry_seq(&k)?, entry_seen(&v)))))
    }
}

/// Removes the index entry of the record found under `seq` (every state's, when the record
/// was corrupt: its state is unknown), with its count.
fn unindex(
    index: &TransactionalTree,
    seq: u64,
    old: &Old,
) -> Result<(), ConflictableTransactionError<StoreError>> {
    let states: &[PacketState] = match old {
        Old::Absent => &[],
        Old::Record(r) => std::slice::from_ref(&r.state),
        Old::Corrupt(_) => &ALL_STATES,
    };
    for state in states {
        if index.remove(&entry_key(*state, seq)[..])?.is_some() {
            bump(index, *state, false)?;
        }
    }
    Ok(())
}

/// The fields of a stored record the index holds.
#[derive(serde::Deserialize)]
struct IndexedFields {
    state: PacketState,
    #[serde(default)]
    seen: f64,
}

/// Whether `index` is complete (its ledger was indexed, or created with it).
pub(super) fn is_indexed(index: &sled::Tree) -> Result<bool, sled::Error> {
    index.contains_key(MARKER)
}

/// Indexes the ledger `records` in `index` unless it is already (a ledger written before the
/// index existed, or whose indexing was interrupted). The caller makes sure no other handle
/// writes to the ledger meanwhile. Returns the records indexed now (None: indexed before).
pub(super) fn ensure_indexed(
    records: &sled::Tree,
    index: &sled::Tree,
    name: &str,
) -> Result<Option<u64>, sled::Error> {
    if is_indexed(index)? {
        return Ok(None);
    }
    let start = std::time::Instant::now();
    index.clear()?;
    let mut batch = sled::Batch::default();
    let mut counts = StateCounts::default();
    let mut corrupt = 0u64;
    for item in records.iter() {
        let (k, v) = item?;
        let seq = <[u8; 8]>::try_from(k.as_ref())
            .map(u64::from_be_bytes)
            .unwrap_or(0);
        // Only the state and `seen` are read: the packet is decoded when a cycle reads it (a
        // record whose packet is unreadable is skipped then, and dropped from the index by
        // its next write).
        match serde_json::from_slice::<IndexedFields>(&v) {
            Ok(r) => {
                batch.insert(
                    &entry_key(r.state, seq)[..],
                    &r.seen.to_bits().to_be_bytes()[..],
                );
                counts.add(r.state);
            }
            Err(_) => corrupt = corrupt.saturating_add(1),
        }
    }
    for state in ALL_STATES {
        batch.insert(&count_key(state)[..], &counts.get(state).to_be_bytes()[..]);
    }
    batch.insert(&MARKER[..], VERSION);
    index.apply_batch(batch)?;
    let indexed = counts.total();
    if indexed + corrupt > 0 {
        tracing::info!(ledger = name, records = indexed, corrupt, elapsed = ?start.elapsed(),
            "indexed a ledger written before its index existed");
    }
    Ok(Some(indexed))
}
