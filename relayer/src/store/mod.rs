//! The relayer's progress, kept in sled so that a crash or restart loses nothing and rescans
//! nothing: per chain the last height whose events are fully recorded, per channel end a
//! ledger of the packets it sent that are not finished yet, and a journal of submitted txs.
//!
//! Everything the relayer saw is recorded here before it acts on it; the relaying workers
//! read their work from the ledgers. The [`history`] keeps what became of each packet, for
//! the API's "where is my transfer?".

pub mod history;
mod journal;
mod ledger_index;
mod ledger_page;
mod ledger_window;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use prost::Message;
use serde::{Deserialize, Serialize};
use stateset_channels::events::Packet;

pub use ledger_index::{StateCounts, ALL_STATES};
pub use ledger_window::{Backlog, LedgerWindow, WindowQuery};

pub use history::{
    summarize_packet, App, Cursor, History, HistoryFilter, InvalidCursor, PacketHistory, PacketId,
    PacketSummary, Page, Step, StepKind, StepWrite,
};

/// sled's page cache, in bytes, unless `[store] cache_mib` says otherwise. sled counts the
/// cached pages' size on disk and holds several times that in memory. With its default,
/// 1 GiB, the daemon's memory grew with the history it writes (33 MiB over a 15-minute
/// soak at 10 transfers/s). In the `store_memory` benchmark the RSS is 128 MiB after 60,000
/// packets with 32 MiB; after 100,000 it is 54 MiB with 8 MiB and 38 MiB with 4 MiB. The
/// working set (the ledgers' recent pages, the history's newest) fits within this, and
/// older pages are read back through the OS's file cache.
pub const DEFAULT_CACHE_BYTES: u64 = 4 * 1024 * 1024;

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed.
    #[error("store {path}: {source}")]
    Sled {
        /// The store directory.
        path: String,
        /// The sled error.
        #[source]
        source: sled::Error,
    },
    /// SQLite failed (the packet history).
    #[error("history {path}: {source}")]
    Sqlite {
        /// The database file.
        path: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// A record that should be there is not.
    #[error("store: no record under {key}")]
    Missing {
        /// The key.
        key: String,
    },
    /// A record could not be decoded.
    #[error("store: corrupt record under {key}: {detail}")]
    Corrupt {
        /// The key.
        key: String,
        /// What is wrong.
        detail: String,
    },
}

/// Where a packet is in its lifecycle (as far as the relayer knows); the relay planner's
/// type, stored as its variant name.
pub use journal::JournalStep;
pub use stateset_channels::relay_plan::PacketState;

/// One packet in a channel end's ledger.
#[derive(Clone, Debug, PartialEq)]
pub struct PacketRecord {
    /// The packet.
    pub packet: Packet,
    /// Its state.
    pub state: PacketState,
    /// The acknowledgement, once written on the destination.
    pub ack: Option<Vec<u8>>,
    /// When the record last changed (Unix seconds).
    pub updated: u64,
    /// When the relayer first saw the packet (Unix seconds, with a fraction).
    pub seen: f64,
    /// The block that wrote what the packet's next message proves: the send's block on the
    /// source until the destination writes an acknowledgement, then the acknowledgement's
    /// block on the destination. `None` when not known (a record of an older version).
    pub written_at: Option<u64>,
}

#[derive(Serialize, Deserialize)]
struct StoredRecord {
    packet: String,
    ordering: Option<stateset_channels::Ordering>,
    state: PacketState,
    ack: Option<String>,
    updated: u64,
    #[serde(default)]
    seen: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    written_at: Option<u64>,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Records a store write's latency.
fn observe_write(op: &str, start: std::time::Instant) {
    stateset_monitoring::global()
        .store_write_seconds
        .with_label_values(&[op])
        .observe(start.elapsed().as_secs_f64());
}

/// Now, in Unix seconds (0 before 1970).
pub fn now_secs() -> u64 {
    now()
}

/// Now, in Unix seconds with a fraction.
pub fn now_f64() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl PacketRecord {
    fn encode(&self) -> Vec<u8> {
        let proto = ibc_proto::ibc::core::channel::v1::Packet::from(&self.packet);
        // A struct of strings, numbers and a unit enum always serializes.
        #[allow(clippy::expect_used)]
        serde_json::to_vec(&StoredRecord {
            packet: hex::encode(proto.encode_to_vec()),
            ordering: self.packet.ordering,
            state: self.state,
            ack: self.ack.as_ref().map(hex::encode),
            updated: self.updated,
            seen: self.seen,
            written_at: self.written_at,
        })
        .expect("records serialize")
    }

    fn decode(key: &str, bytes: &[u8]) -> Result<Self, StoreError> {
        let corrupt = |detail: String| StoreError::Corrupt {
            key: key.to_string(),
            detail,
        };
        let stored: StoredRecord =
            serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
        let raw = hex::decode(&stored.packet).map_err(|e| corrupt(e.to_string()))?;
        let proto = ibc_proto::ibc::core::channel::v1::Packet::decode(raw.as_slice())
            .map_err(|e| corrupt(e.to_string()))?;
        let mut packet = Packet::try_from(proto).map_err(|e| corrupt(e.to_string()))?;
        packet.ordering = stored.ordering;
        let ack = match stored.ack {
            Some(h) => Some(hex::decode(h).map_err(|e| corrupt(e.to_string()))?),
            None => None,
        };
        Ok(PacketRecord {
            packet,
            state: stored.state,
            ack,
            updated: stored.updated,
            seen: stored.seen,
            written_at: stored.written_at,
        })
    }
}

/// The relayer's store.
#[derive(Clone, Debug)]
pub struct Store {
    db: sled::Db,
    path: String,
    history: History,
    /// Held for writing while the events of one block are recorded, for reading while a
    /// worker reads its ledger: a worker never plans from half a block.
    blocks: Arc<std::sync::RwLock<()>>,
    /// Held while a ledger written before its index existed is indexed, so that no handle
    /// of it is handed out meanwhile.
    indexing: Arc<Mutex<()>>,
}

impl Store {
    /// A store that lives in memory and a temporary directory, gone when dropped (for
    /// one-shot commands that must not touch the daemon's store).
    pub fn temporary() -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .temporary(true)
            .open()
            .map_err(|source| StoreError::Sled {
                path: "(temporary)".into(),
                source,
            })?;
        let path = "(temporary)".to_string();
        let history = History::open(&db, None)?;
        Ok(Store {
            db,
            path,
            history,
            blocks: Arc::default(),
            indexing: Default::default(),
        })
    }

    /// Opens (or creates) the store at `path`, with the default page cache.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with_cache(path, DEFAULT_CACHE_BYTES)
    }

    /// Opens (or creates) the store at `path`, with sled's page cache at `cache_bytes`
    /// (counted as sled counts it: the cached pages' size on disk).
    pub fn open_with_cache(path: &Path, cache_bytes: u64) -> Result<Self, StoreError> {
        let p = path.display().to_string();
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(cache_bytes)
            .flush_every_ms(Some(200))
            .open()
            .map_err(|source| StoreError::Sled {
                path: p.clone(),
                source,
            })?;
        let history = History::open(&db, Some(path))?;
        Ok(Store {
            db,
            path: p,
            history,
            blocks: Arc::default(),
            indexing: Default::default(),
        })
    }

    fn err(&self) -> impl Fn(sled::Error) -> StoreError + '_ {
        move |source| StoreError::Sled {
            path: self.path.clone(),
            source,
        }
    }

    /// The last height of `chain` whose events are fully recorded.
    pub fn last_height(&self, chain: &str) -> Result<Option<u64>, StoreError> {
        let tree = self.db.open_tree("heights").map_err(self.err())?;
        Ok(tree
            .get(chain.as_bytes())
            .map_err(self.err())?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(u64::from_be_bytes))
    }

    /// Records that `chain`'s events up to `height` are recorded.
    pub fn set_last_height(&self, chain: &str, height: u64) -> Result<(), StoreError> {
        let start = std::time::Instant::now();
        let tree = self.db.open_tree("heights").map_err(self.err())?;
        tree.insert(chain.as_bytes(), &height.to_be_bytes())
            .map_err(self.err())?;
        observe_write("height", start);
        Ok(())
    }

    /// The ledger of the packets sent on `chain` through `port`/`channel`. A ledger written
    /// before its index existed is indexed first (once).
    pub fn ledger(&self, chain: &str, port: &str, channel: &str) -> Result<Ledger, StoreError> {
        let name = format!("packets/{chain}/{port}/{channel}");
        let tree = self.db.open_tree(&name).map_err(self.err())?;
        let index_name = format!("ledger-index/{chain}/{port}/{channel}");
        let index = self.db.open_tree(index_name).map_err(self.err())?;
        if !ledger_index::is_indexed(&index).map_err(self.err())? {
            let _indexing = self
                .indexing
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            ledger_index::ensure_indexed(&tree, &index, &name).map_err(self.err())?;
        }
        Ok(Ledger {
            tree,
            index,
            name,
            path: self.path.clone(),
            decoded: Default::default(),
        })
    }

    /// Held while one block's events are written to the ledgers: readers holding
    /// [`Store::whole_blocks`] see all of that block's records or none of them.
    pub fn recording_block(&self) -> std::sync::RwLockWriteGuard<'_, ()> {
        self.blocks
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Held while a worker reads a ledger to plan a cycle: no block is half recorded
    /// meanwhile (a cycle that saw 3 of a block's 10 packets would relay them in two
    /// rounds).
    pub fn whole_blocks(&self) -> std::sync::RwLockReadGuard<'_, ()> {
        self.blocks
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The packet history (a handle sharing the store's trees).
    pub fn history(&self) -> History {
        self.history.clone()
    }

    /// Writes everything to disk.
    pub fn flush(&self) -> Result<usize, StoreError> {
        self.db.flush().map_err(self.err())
    }

    /// [`Store::flush`] on tokio's blocking pool, for async tasks: what was written so far
    /// survives a kill once this returns (by itself sled writes out every 200 ms). Not
    /// sled's own `flush_async`: several of those polled at once can wait for ever (sled
    /// issues 1241 and 1308), which held a tx's account lock and stopped relaying in a
    /// benchmark at 100 transfers/s.
    pub async fn flush_async(&self) -> Result<usize, StoreError> {
        let db = self.db.clone();
        match tokio::task::spawn_blocking(move || db.flush()).await {
            Ok(flushed) => flushed.map_err(self.err()),
            Err(e) => Err(StoreError::Sled {
                path: self.path.clone(),
                source: sled::Error::ReportableBug(format!("the flush task ended: {e}")),
            }),
        }
    }

    /// Bytes on disk: sled's and the history's.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        let sled = self.db.size_on_disk().map_err(self.err())?;
        Ok(sled.saturating_add(self.history.size_on_disk()))
    }
}

/// The ledger of one channel end: packets it sent that are not finished (acked or timed out).
#[derive(Clone, Debug)]
pub struct Ledger {
    tree: sled::Tree,
    /// The index by state and sequence, with the counts per state (`ledger_index.rs`).
    index: sled::Tree,
    name: String,
    path: String,
    /// Records decoded before, with the bytes they were decoded from (shared by clones of
    /// this handle): a cycle decodes only what changed since the last one.
    decoded: Arc<Mutex<HashMap<u64, (sled::IVec, PacketRecord)>>>,
}

impl Ledger {
    fn err(&self) -> impl Fn(sled::Error) -> StoreError + '_ {
        move |source| StoreError::Sled {
            path: self.path.clone(),
            source,
        }
    }

    fn key(&self, seq: u64) -> String {
        format!("{}/{seq}", self.name)
    }

    /// Records a packet sent in block `height` of the source (`None`: not known); kept as it
    /// is when already known. Returns whether it was new.
    pub fn record_sent(&self, packet: &Packet, height: Option<u64>) -> Result<bool, StoreError> {
        self.update(packet.sequence, |old| match old {
            Some(r) => Some(r),
            None => Some(PacketRecord {
                packet: packet.clone(),
                state: PacketState::Sent,
                ack: None,
                updated: now(),
                seen: now_f64(),
                written_at: height,
            }),
        })
    }

    /// Records the acknowledgement of `packet` the destination wrote in block `height`
    /// (`None`: not known).
    pub fn record_ack(
        &self,
        packet: &Packet,
        ack: &[u8],
        height: Option<u64>,
    ) -> Result<(), StoreError> {
        self.update(packet.sequence, |old| {
            let (packet, seen) = old
                .map(|r| (r.packet, r.seen))
                .unwrap_or_else(|| (packet.clone(), now_f64()));
            Some(PacketRecord {
                packet,
                state: PacketState::AckWritten,
                ack: Some(ack.to_vec()),
                updated: now(),
                seen,
                written_at: height,
            })
        })
        .map(drop)
    }

    /// Moves `seq` to `state` (unless it already has an acknowledgement or is gone).
    pub fn mark(&self, seq: u64, state: PacketState) -> Result<(), StoreError> {
        self.update(seq, |old| {
            old.map(|mut r| {
                if r.state != PacketState::AckWritten {
                    r.state = state;
                    r.updated = now();
                }
                r
            })
        })
        .map(drop)
    }

    /// Forgets `seq`: acknowledged or timed out on the source.
    pub fn finish(&self, seq: u64) -> Result<(), StoreError> {
        if self.contains(seq)? {
            self.update(seq, |_| None)?;
        }
        Ok(())
    }

    /// Every record, by sequence. Records whose bytes did not change since the last call
    /// (on this handle or a clone) are not decoded again.
    pub fn records(&self) -> Result<Vec<PacketRecord>, StoreError> {
        let mut out = Vec::new();
        let mut decoded = self
            .decoded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut seen = HashSet::with_capacity(decoded.len());
        for item in self.tree.iter() {
            let (k, v) = item.map_err(self.err())?;
            let seq = <[u8; 8]>::try_from(k.as_ref())
                .map(u64::from_be_bytes)
                .unwrap_or(0);
            seen.insert(seq);
            if let Some((bytes, record)) = decoded.get(&seq) {
                if *bytes == v {
                    out.push(record.clone());
                    continue;
                }
            }
            match PacketRecord::decode(&self.key(seq), &v) {
                Ok(r) => {
                    decoded.insert(seq, (v, r.clone()));
                    out.push(r);
                }
                Err(e) => tracing::warn!(error = %e, "skipping a corrupt ledger record"),
            }
        }
        decoded.retain(|seq, _| seen.contains(seq));
        Ok(out)
    }

    /// Whether `seq` is in the ledger.
    pub fn contains(&self, seq: u64) -> Result<bool, StoreError> {
        self.tree
            .contains_key(seq.to_be_bytes())
            .map_err(self.err())
    }

    /// The number of unfinished packets (from the index's counts; a walk over the ledger
    /// only when they cannot be read).
    pub fn len(&self) -> usize {
        match self.counts() {
            Ok(counts) => usize::try_from(counts.total()).unwrap_or(usize::MAX),
            Err(_) => self.tree.len(),
        }
    }

    /// Whether no packet is unfinished.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }
}

/// Opens the store at `path` in a test that opened it before in the same process: sled's
/// background threads may hold the closed store's file lock for a moment after its last
/// handle is dropped (more so with every test running at once), so the open is retried
/// for up to 10 s, then the last error fails the test.
#[cfg(test)]
pub(crate) fn reopen(path: &Path) -> Store {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match Store::open(path) {
            Ok(store) => return store,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("the store at {} does not reopen: {e}", path.display()),
        }
    }
}

#[cfg(test)]
mod history_tests;
#[cfg(test)]
mod history_tests_query;
#[cfg(test)]
mod ledger_index_tests;
#[cfg(test)]
pub(crate) mod tests;
