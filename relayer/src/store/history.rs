//! The packet history: for each packet the relayer saw, what it is (path, sequence, the
//! ICS-20 transfer or ICS-27 messages it carries) and each step of its life (sent, received,
//! acknowledged, timed out, filtered, quarantined) with height, time and tx hash. It answers
//! "where is my transfer?": by tx hash, by address, by sequence on a path, by denom and by
//! time, newest first, a page at a time. Pure storage: the relaying code records into it.
//!
//! # Layout
//!
//! The history lives in SQLite, `history.sqlite3` in the store's directory, not in sled with
//! the relayer's progress: it grows with every packet, and sled's memory grew with it
//! (`kv.rs`). Its tables (rows `(t, k, v)` of one SQLite table, ordered by key) are
//! the sled trees an older version kept, moved over when such a store is opened.
//!
//! Keys use the order-preserving encoding of `keys.rs` (`enc(s)`: a string's bytes with NUL
//! escaped, then a terminator; numbers as 8 big-endian bytes). `id` is
//! `enc(chain) enc(port) enc(channel) sequence`, the key of a packet.
//!
//! | table | key | value |
//! |---|---|---|
//! | `packets` | `id` | JSON [`PacketHistory`]: the summary **and its steps** |
//! | `by_tx` | `enc(tx hash, lowercase, no 0x) id` | `id` |
//! | `by_address` | `enc(address, lowercase) first_seen id` | `id` |
//! | `by_time` | `first_seen id` | `id` |
//! | `by_denom` | `enc(denom) first_seen id` | `id` |
//! | `by_path` | `enc(chain) enc(port) enc(channel) first_seen id` | `id` |
//! | `meta` | `count` | the number of packets (8 bytes, big-endian) |
//!
//! Steps live inside the packet's record: a packet has a handful of steps (at most
//! [`MAX_STEPS`]), and one record per packet makes a step and its packet one write. The
//! addresses indexed are an ICS-20 sender and receiver and an ICS-27 owner; the denoms,
//! an ICS-20 denom as the packet carries it and, for a denom with a trace, its `ibc/…`
//! hash on the sending chain. Every write (record, step, removal) changes the packet and
//! its index entries in one SQLite transaction, so the indexes never disagree with the
//! packets, even after a crash.

mod keys;
mod kv;
mod migrate;
mod query;
mod summary;
mod write;

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::StoreError;

#[cfg(test)]
pub(crate) use keys::{decode_id, id_key};
pub use keys::{Cursor, InvalidCursor};
pub use kv::{CACHE_KIB, FILE_NAME};
pub use summary::{summarize_packet, MAX_MEMO_BYTES};
pub use write::StepWrite;

use kv::{Kv, Table};

/// Most steps kept per packet; beyond them the oldest but the first are dropped.
pub const MAX_STEPS: usize = 64;
/// Most items in one page (a larger `limit` is lowered to this; 0 is raised to 1).
pub const MAX_PAGE: usize = 1000;

const COUNT: &[u8] = b"count";
/// How many packets one pass of [`History::prune`] reads before removing them.
const PRUNE_BATCH: usize = 256;

/// A packet: the chain that sent it, its source port and channel, its sequence. An IBC v2
/// packet has port `ibc-v2` and its source client as channel.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PacketId {
    /// The source chain's id.
    pub chain: String,
    /// The source port.
    pub port: String,
    /// The source channel (IBC v2: the source client).
    pub channel: String,
    /// The sequence.
    pub sequence: u64,
}

/// What a packet is: where it goes and what it carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketSummary {
    /// The packet.
    pub id: PacketId,
    /// The destination chain's id.
    pub counterparty_chain: String,
    /// The destination port.
    pub destination_port: String,
    /// The destination channel (IBC v2: the destination client).
    pub destination_channel: String,
    /// What the application data says.
    pub app: App,
    /// When the relayer first saw the packet (Unix seconds): the time the time filters,
    /// the order of pages and retention use.
    pub first_seen: u64,
}

/// The application data of a packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum App {
    /// An ICS-20 transfer.
    Transfer {
        /// The sender on the source chain.
        sender: String,
        /// The receiver on the destination chain.
        receiver: String,
        /// The denom as the packet carries it (trace path and base denom).
        denom: String,
        /// The amount (a decimal integer).
        amount: String,
        /// The memo (at most [`MAX_MEMO_BYTES`]).
        memo: String,
    },
    /// An ICS-27 interchain-account tx.
    InterchainAccount {
        /// The owner named by the controller port `icacontroller-<owner>`.
        owner: Option<String>,
        /// The type URL of each message, in order.
        messages: Vec<String>,
    },
    /// Anything else, or data that does not decode.
    Other {
        /// The source port (IBC v2: of the first payload).
        port: String,
    },
}

/// One step of a packet's life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// What happened.
    pub kind: StepKind,
    /// The chain it happened on (or, for filtered and quarantined, the chain whose packet
    /// it is).
    pub chain: String,
    /// The block height.
    pub height: u64,
    /// The block time (Unix seconds).
    pub time: u64,
    /// The tx, when there is one (stored trimmed and lowercase).
    pub tx_hash: Option<String>,
}

/// What happened to a packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StepKind {
    /// Sent on the source chain.
    Sent,
    /// Received on the destination chain.
    Received,
    /// Acknowledged on the source chain.
    Acknowledged {
        /// Whether the acknowledgement is a success.
        success: bool,
        /// The error of an error acknowledgement.
        error: Option<String>,
    },
    /// Timed out on the source chain.
    TimedOut,
    /// Not relayed by policy.
    Filtered {
        /// Why.
        reason: String,
    },
    /// Set aside after failing repeatedly.
    Quarantined {
        /// Why.
        reason: String,
    },
}

/// A packet and its steps, oldest first (by time, then the order of a packet's life, then
/// height: heights of two chains cannot be compared).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketHistory {
    /// What the packet is.
    pub summary: PacketSummary,
    /// What happened to it.
    pub steps: Vec<Step>,
}

/// What [`History::search`] looks for; every field given must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    /// The source chain.
    pub chain: Option<String>,
    /// The source port.
    pub port: Option<String>,
    /// The source channel.
    pub channel: Option<String>,
    /// The sequence.
    pub sequence: Option<u64>,
    /// The ICS-20 denom as the packet carries it, or its `ibc/…` hash on the sending chain.
    pub denom: Option<String>,
    /// First seen at or after this (Unix seconds).
    pub from_time: Option<u64>,
    /// First seen at or before this (Unix seconds).
    pub to_time: Option<u64>,
}

/// A page of results, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The packets.
    pub items: Vec<PacketHistory>,
    /// Where the next page starts (`None`: this is the last one).
    pub next: Option<Cursor>,
}

/// The indexes of the history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Index {
    /// `by_tx`.
    Tx,
    /// `by_address`.
    Address,
    /// `by_time`.
    Time,
    /// `by_denom`.
    Denom,
    /// `by_path`.
    Path,
}

impl Index {
    /// The table the index lives in.
    pub(crate) fn table(self) -> Table {
        match self {
            Index::Tx => Table::Tx,
            Index::Address => Table::Address,
            Index::Time => Table::Time,
            Index::Denom => Table::Denom,
            Index::Path => Table::Path,
        }
    }
}

use kv::Tx;

/// The packet history in the store (see the [module docs](self)). Clones share the
/// database.
#[derive(Clone, Debug)]
pub struct History {
    kv: Kv,
}

impl History {
    /// Opens (or creates) the history in the store directory `dir` (`None`: in memory),
    /// moving into it what an older version kept in sled's `history/…` trees of `db`.
    pub(crate) fn open(db: &sled::Db, dir: Option<&Path>) -> Result<Self, StoreError> {
        let kv = match dir {
            Some(dir) => kv::open_or_set_aside(dir)?,
            None => Kv::in_memory()?,
        };
        migrate::from_sled(db, &kv)?;
        Ok(History { kv })
    }

    /// Bytes the history's files take on disk (0 in memory).
    pub(crate) fn size_on_disk(&self) -> u64 {
        let base = Path::new(self.kv.path());
        ["", "-wal", "-shm"]
            .iter()
            .filter_map(|suffix| {
                let mut name = base.as_os_str().to_owned();
                name.push(suffix);
                std::fs::metadata(name).ok()
            })
            .map(|m| m.len())
            .sum()
    }

    /// Runs `f` in one transaction over the history's tables.
    fn txn<R>(&self, f: impl FnOnce(&Tx<'_>) -> Result<R, StoreError>) -> Result<R, StoreError> {
        self.kv.txn(f)
    }

    /// The packets' table, to read in tests.
    #[cfg(test)]
    pub(crate) fn packet_tree(&self) -> kv::TableView<'_> {
        kv::TableView::new(&self.kv, Table::Packets)
    }

    /// An index's table, to read in tests.
    #[cfg(test)]
    pub(crate) fn index_tree(&self, index: Index) -> kv::TableView<'_> {
        kv::TableView::new(&self.kv, index.table())
    }

    /// The history of `id`.
    pub fn get(&self, id: &PacketId) -> Result<Option<PacketHistory>, StoreError> {
        self.load(&keys::id_key(id))
    }

    /// The record under packet key `key`.
    fn load(&self, key: &[u8]) -> Result<Option<PacketHistory>, StoreError> {
        match self.kv.reader().get(Table::Packets, key)? {
            Some(bytes) => decode(key, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// The number of packets in the history.
    pub fn count(&self) -> Result<u64, StoreError> {
        let bytes = self.kv.reader().get(Table::Meta, COUNT)?;
        read_count(bytes.as_deref())
    }
}

/// The addresses an application's packet is indexed under.
fn addresses(app: &App) -> Vec<&str> {
    match app {
        App::Transfer {
            sender, receiver, ..
        } => vec![sender.as_str(), receiver.as_str()],
        App::InterchainAccount { owner, .. } => owner.iter().map(String::as_str).collect(),
        App::Other { .. } => Vec::new(),
    }
}

/// The denoms an application's packet is indexed under: an ICS-20 denom as carried and,
/// when it has a trace, its `ibc/…` hash.
fn denoms(app: &App) -> Vec<String> {
    let App::Transfer { denom, .. } = app else {
        return Vec::new();
    };
    let hashed = stateset_packet_handlers::ics20::DenomTrace::parse(denom).ibc_denom();
    if hashed == *denom {
        vec![denom.clone()]
    } else {
        vec![denom.clone(), hashed]
    }
}

/// Every index entry of `record`, whose packet key is `id`: (index, key), sorted, once.
pub(crate) fn entries(record: &PacketHistory, id: &[u8]) -> Vec<(Index, Vec<u8>)> {
    let s = &record.summary;
    let t = s.first_seen;
    let mut out = vec![
        (Index::Time, keys::timed(&[], t, id)),
        (
            Index::Path,
            keys::timed(
                &keys::path_prefix(&s.id.chain, &s.id.port, &s.id.channel),
                t,
                id,
            ),
        ),
    ];
    for a in addresses(&s.app)
        .into_iter()
        .filter(|a| !a.trim().is_empty())
    {
        out.push((Index::Address, keys::timed(&keys::address_prefix(a), t, id)));
    }
    for d in denoms(&s.app).iter().filter(|d| !d.is_empty()) {
        out.push((Index::Denom, keys::timed(&keys::denom_prefix(d), t, id)));
    }
    for h in record.steps.iter().filter_map(|s| s.tx_hash.as_deref()) {
        if !keys::normalize_tx_hash(h).is_empty() {
            out.push((Index::Tx, [keys::tx_prefix(h).as_slice(), id].concat()));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A readable name of the packet key `key`, for errors.
fn key_name(key: &[u8]) -> String {
    match keys::decode_id(key) {
        Some(id) => format!(
            "history/packets/{}/{}/{}/{}",
            id.chain, id.port, id.channel, id.sequence
        ),
        None => format!("history/packets/{}", hex::encode(key)),
    }
}

fn corrupt_index(index: Index, key: &[u8]) -> StoreError {
    StoreError::Corrupt {
        key: format!("history/{index:?}/{}", hex::encode(key)),
        detail: "the index entry does not name a packet".into(),
    }
}

fn decode(key: &[u8], bytes: &[u8]) -> Result<PacketHistory, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: key_name(key),
        detail: e.to_string(),
    })
}

fn encode(key: &[u8], record: &PacketHistory) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(record).map_err(|e| StoreError::Corrupt {
        key: key_name(key),
        detail: format!("cannot encode: {e}"),
    })
}

fn read_count(bytes: Option<&[u8]>) -> Result<u64, StoreError> {
    match bytes {
        None => Ok(0),
        Some(b) => {
            <[u8; 8]>::try_from(b)
                .map(u64::from_be_bytes)
                .map_err(|_| StoreError::Corrupt {
                    key: "history/meta/count".into(),
                    detail: format!("{} bytes, expected 8", b.len()),
                })
        }
    }
}
