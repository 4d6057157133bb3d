//! The history's tables: ordered byte keys and values in one SQLite database,
//! `history.sqlite3` in the store's directory (in memory for a temporary store).
//!
//! The history grows with every packet and is kept for days; the relayer's progress (heights,
//! ledgers, journal) is small and stays in sled. In sled, the history made the daemon's
//! memory grow with it (32 → 45 MiB over a 30-minute soak at 10 transfers/s, flat only once
//! the history was capped): sled keeps in memory a record of every page it has ever written.
//! SQLite holds a bounded page cache ([`CACHE_KIB`]) whatever the file's size, and reads the
//! rest back through the OS's file cache.
//!
//! One table, `kv(t, k, v)`, ordered by `(t, k)`, holds every [`Table`]: the history's
//! layout of keys is the one it had in sled's trees, so its ranges and cursors are unchanged.
//! Writes go through one connection in immediate transactions (the WAL makes a commit
//! survive a crash of the process); reads through another, which never waits for a writer.

use std::ops::{Bound, ControlFlow, Deref};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::store::StoreError;

/// The file of the history in the store's directory.
pub const FILE_NAME: &str = "history.sqlite3";
/// SQLite's page cache per connection (KiB).
pub const CACHE_KIB: u32 = 2048;
/// How long a connection waits for another's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS kv (
    t INTEGER NOT NULL,
    k BLOB NOT NULL,
    v BLOB NOT NULL,
    PRIMARY KEY (t, k)
) WITHOUT ROWID;";

/// One of the history's tables (each was a sled tree, `history/<name>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Table {
    /// `packets`: packet key → JSON record.
    Packets,
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
    /// `meta`: the count.
    Meta,
}

impl Table {
    /// Every table.
    pub(crate) const ALL: [Table; 7] = [
        Table::Packets,
        Table::Tx,
        Table::Address,
        Table::Time,
        Table::Denom,
        Table::Path,
        Table::Meta,
    ];

    /// Its number in column `t` (never change one: it is on disk).
    fn code(self) -> i64 {
        match self {
            Table::Packets => 0,
            Table::Tx => 1,
            Table::Address => 2,
            Table::Time => 3,
            Table::Denom => 4,
            Table::Path => 5,
            Table::Meta => 6,
        }
    }

    /// Its name: the sled tree was `history/<name>`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Table::Packets => "packets",
            Table::Tx => "by_tx",
            Table::Address => "by_address",
            Table::Time => "by_time",
            Table::Denom => "by_denom",
            Table::Path => "by_path",
            Table::Meta => "meta",
        }
    }
}

/// The history's database: a writing and a reading connection (the same one in memory).
#[derive(Clone, Debug)]
pub(crate) struct Kv {
    write: Arc<Mutex<Connection>>,
    read: Arc<Mutex<Connection>>,
    path: String,
}

impl Kv {
    /// Opens (or creates) the history in the store directory `dir`.
    pub(crate) fn open(dir: &Path) -> Result<Self, StoreError> {
        let file = dir.join(FILE_NAME);
        let path = file.display().to_string();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let write = Connection::open(&file).map_err(err)?;
        write
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .and_then(|_| write.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|()| write.execute_batch(SCHEMA))
            .map_err(err)?;
        configure(&write).map_err(err)?;
        let read = Connection::open(&file).map_err(err)?;
        configure(&read).map_err(err)?;
        Ok(Kv {
            write: Arc::new(Mutex::new(write)),
            read: Arc::new(Mutex::new(read)),
            path,
        })
    }

    /// A history in memory, gone when the last clone is dropped.
    pub(crate) fn in_memory() -> Result<Self, StoreError> {
        let path = "(temporary history)".to_string();
        let conn = Connection::open_in_memory()
            .and_then(|c| c.execute_batch(SCHEMA).map(|()| c))
            .map_err(|source| StoreError::Sqlite {
                path: path.clone(),
                source,
            })?;
        let shared = Arc::new(Mutex::new(conn));
        Ok(Kv {
            write: shared.clone(),
            read: shared,
            path,
        })
    }

    /// The database file (or a name for one in memory), for errors.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Runs `f` in one immediate transaction, committed when it returns `Ok`, rolled back
    /// otherwise.
    pub(crate) fn txn<R>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut conn = lock(&self.write);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.err())?;
        let out = f(&Tables {
            conn: &*tx,
            path: &self.path,
        })?;
        tx.commit().map_err(self.err())?;
        Ok(out)
    }

    /// The reading connection, for one read or several in a row (each sees every
    /// transaction committed before it began).
    pub(crate) fn reader(&self) -> Tables<'_, MutexGuard<'_, Connection>> {
        Tables {
            conn: lock(&self.read),
            path: &self.path,
        }
    }
}

/// A key and its value.
pub(crate) type Entry = (Vec<u8>, Vec<u8>);

/// The tables as one transaction sees them.
pub(crate) type Tx<'a> = Tables<'a, &'a Connection>;

/// The tables, read and written through one connection (in a transaction or not).
pub(crate) struct Tables<'a, C: Deref<Target = Connection>> {
    conn: C,
    path: &'a str,
}

impl<C: Deref<Target = Connection>> Tables<'_, C> {
    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite {
            path: self.path.to_string(),
            source,
        }
    }

    /// The value under `key` in `table`.
    pub(crate) fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .prepare_cached("SELECT v FROM kv WHERE t = ?1 AND k = ?2")
            .and_then(|mut s| {
                s.query_row(params![table.code(), key], |r| r.get(0))
                    .optional()
            })
            .map_err(self.err())
    }

    /// Whether `table` has `key`.
    pub(crate) fn contains(&self, table: Table, key: &[u8]) -> Result<bool, StoreError> {
        self.conn
            .prepare_cached("SELECT 1 FROM kv WHERE t = ?1 AND k = ?2")
            .and_then(|mut s| s.exists(params![table.code(), key]))
            .map_err(self.err())
    }

    /// Sets `key` in `table` to `value`.
    pub(crate) fn insert(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO kv (t, k, v) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![table.code(), key, value]))
            .map(|_| ())
            .map_err(self.err())
    }

    /// Removes `key` from `table` (nothing when it is not there).
    pub(crate) fn remove(&self, table: Table, key: &[u8]) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("DELETE FROM kv WHERE t = ?1 AND k = ?2")
            .and_then(|mut s| s.execute(params![table.code(), key]))
            .map(|_| ())
            .map_err(self.err())
    }

    /// The number of entries in `table`.
    #[cfg(test)]
    pub(crate) fn len(&self, table: Table) -> Result<u64, StoreError> {
        self.conn
            .prepare_cached("SELECT COUNT(*) FROM kv WHERE t = ?1")
            .and_then(|mut s| s.query_row(params![table.code()], |r| r.get::<_, i64>(0)))
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(self.err())
    }

    /// Calls `visit` with each entry of `table` whose key is within `range`, in key order
    /// (`descending`: the other way), until it says to stop.
    pub(crate) fn scan(
        &self,
        table: Table,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        descending: bool,
        mut visit: impl FnMut(&[u8], &[u8]) -> Result<ControlFlow<()>, StoreError>,
    ) -> Result<(), StoreError> {
        let (lower, upper) = range;
        let sql = scan_sql(&lower, &upper, descending);
        let mut stmt = self.conn.prepare_cached(&sql).map_err(self.err())?;
        let bound = |b: Bound<&[u8]>| match b {
            Bound::Included(k) | Bound::Excluded(k) => k.to_vec(),
            Bound::Unbounded => Vec::new(),
        };
        let mut rows = stmt
            .query(params![table.code(), bound(lower), bound(upper)])
            .map_err(self.err())?;
        while let Some(row) = rows.next().map_err(self.err())? {
            let key: Vec<u8> = row.get(0).map_err(self.err())?;
            let value: Vec<u8> = row.get(1).map_err(self.err())?;
            if visit(&key, &value)?.is_break() {
                break;
            }
        }
        Ok(())
    }

    /// The first `limit` entries of `table` within `range`, in key order.
    pub(crate) fn entries(
        &self,
        table: Table,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        self.scan(table, range, false, |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            Ok(match out.len() < limit {
                true => ControlFlow::Continue(()),
                false => ControlFlow::Break(()),
            })
        })?;
        Ok(out)
    }
}

/// The query of [`Tables::scan`]: `?2` is the lower bound, `?3` the upper, each compared
/// only when bounded.
fn scan_sql(lower: &Bound<&[u8]>, upper: &Bound<&[u8]>, descending: bool) -> String {
    let mut sql = String::from("SELECT k, v FROM kv WHERE t = ?1");
    match lower {
        Bound::Included(_) => sql.push_str(" AND k >= ?2"),
        Bound::Excluded(_) => sql.push_str(" AND k > ?2"),
        Bound::Unbounded => sql.push_str(" AND ?2 IS NOT NULL"),
    }
    match upper {
        Bound::Included(_) => sql.push_str(" AND k <= ?3"),
        Bound::Excluded(_) => sql.push_str(" AND k < ?3"),
        Bound::Unbounded => sql.push_str(" AND ?3 IS NOT NULL"),
    }
    sql.push_str(if descending {
        " ORDER BY k DESC"
    } else {
        " ORDER BY k"
    });
    sql
}

/// Opens the history in `dir`; a file SQLite cannot open as a database (corrupt, or not
/// SQLite) is renamed `history.sqlite3.broken-<unix seconds>` (with its `-wal` and `-shm`),
/// logged, and a new history started: the history is a record for the operator, not the
/// relayer's progress, and must not keep the daemon from relaying.
pub(crate) fn open_or_set_aside(dir: &Path) -> Result<Kv, StoreError> {
    let e = match Kv::open(dir) {
        Ok(kv) => return Ok(kv),
        Err(e) => e,
    };
    let StoreError::Sqlite { source, .. } = &e else {
        return Err(e);
    };
    let unreadable = matches!(
        source.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    );
    if !unreadable {
        return Err(e);
    }
    let suffix = format!("broken-{}", crate::store::now_secs());
    for part in ["", "-wal", "-shm"] {
        let from = dir.join(format!("{FILE_NAME}{part}"));
        let to = dir.join(format!("{FILE_NAME}{part}.{suffix}"));
        if from.exists() {
            std::fs::rename(&from, &to).map_err(|io| StoreError::Corrupt {
                key: from.display().to_string(),
                detail: format!("unreadable ({e}); setting it aside failed: {io}"),
            })?;
        }
    }
    tracing::error!(error = %e, set_aside = %format!("{FILE_NAME}.{suffix}"),
        "the packet history could not be opened; it was set aside and a new one started");
    Kv::open(dir)
}

/// The settings of every file connection.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "cache_size", -i64::from(CACHE_KIB))?;
    conn.pragma_update(None, "temp_store", "MEMORY")
}

/// Locks `conn`; a connection whose holder panicked is still usable (SQLite rolled back
/// the transaction it had open when the `Transaction` was dropped).
fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One table read whole, for tests (the calls of the sled tree it was).
#[cfg(test)]
pub(crate) struct TableView<'a> {
    kv: &'a Kv,
    table: Table,
}

#[cfg(test)]
impl<'a> TableView<'a> {
    pub(crate) fn new(kv: &'a Kv, table: Table) -> Self {
        TableView { kv, table }
    }

    /// Every entry, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Result<Entry, StoreError>> {
        let all =
            self.kv
                .reader()
                .entries(self.table, (Bound::Unbounded, Bound::Unbounded), usize::MAX);
        match all {
            Ok(all) => all.into_iter().map(Ok).collect::<Vec<_>>(),
            Err(e) => vec![Err(e)],
        }
        .into_iter()
    }

    pub(crate) fn len(&self) -> usize {
        usize::try_from(self.kv.reader().len(self.table).unwrap()).unwrap()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn insert(&self, key: Vec<u8>, value: &[u8]) -> Result<(), StoreError> {
        self.kv.txn(|t| t.insert(self.table, &key, value))
    }
}
