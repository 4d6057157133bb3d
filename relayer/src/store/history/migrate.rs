//! Moving the history an older version kept in sled (trees `history/<table>`) into SQLite,
//! once, when such a store is opened.

use super::kv::{Kv, Table};
use crate::store::StoreError;

/// Entries copied per SQLite transaction.
const BATCH: usize = 10_000;

/// Copies every entry of `db`'s `history/…` trees into `kv` and drops the trees. A crash
/// midway leaves the trees in place, and the next open copies them again (a copy replaces
/// what it finds under the same key).
pub(crate) fn from_sled(db: &sled::Db, kv: &Kv) -> Result<(), StoreError> {
    let names = db.tree_names();
    let sled_err = |source| StoreError::Sled {
        path: kv.path().to_string(),
        source,
    };
    let mut moved = 0usize;
    for table in Table::ALL {
        let name = format!("history/{}", table.name());
        if !names.iter().any(|n| n.as_ref() == name.as_bytes()) {
            continue;
        }
        let tree = db.open_tree(&name).map_err(sled_err)?;
        let mut batch = Vec::with_capacity(BATCH.min(tree.len()));
        for entry in tree.iter() {
            let (k, v) = entry.map_err(sled_err)?;
            batch.push((k, v));
            if batch.len() == BATCH {
                moved += copy(kv, table, &mut batch)?;
            }
        }
        moved += copy(kv, table, &mut batch)?;
        db.drop_tree(&name).map_err(sled_err)?;
    }
    if moved > 0 {
        tracing::info!(
            entries = moved,
            to = kv.path(),
            "moved the packet history out of sled"
        );
    }
    Ok(())
}

/// Writes `batch` into `table` in one transaction and empties it; returns how many.
fn copy(
    kv: &Kv,
    table: Table,
    batch: &mut Vec<(sled::IVec, sled::IVec)>,
) -> Result<usize, StoreError> {
    let n = batch.len();
    if n > 0 {
        kv.txn(|t| batch.iter().try_for_each(|(k, v)| t.insert(table, k, v)))?;
        batch.clear();
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::super::{entries, keys, PacketHistory, Step, StepKind};
    use crate::store::history_tests::{id, transfer};
    use crate::store::{reopen, HistoryFilter};

    /// A store written by a version that kept the history in sled: the packet, its index
    /// entries and the count, as that version wrote them.
    fn sled_history(dir: &std::path::Path) -> PacketHistory {
        let record = PacketHistory {
            summary: transfer(id("a-1", "channel-0", 5), "alice", "bob", "stake", 100),
            steps: vec![Step {
                kind: StepKind::Sent,
                chain: "a-1".into(),
                height: 7,
                time: 100,
                tx_hash: Some("ab12".into()),
            }],
        };
        let db = sled::open(dir).unwrap();
        let key = keys::id_key(&record.summary.id);
        let packets = db.open_tree("history/packets").unwrap();
        packets
            .insert(&key, serde_json::to_vec(&record).unwrap())
            .unwrap();
        for (index, k) in entries(&record, &key) {
            let tree = db.open_tree(format!("history/{}", index.table().name()));
            tree.unwrap().insert(k, key.as_slice()).unwrap();
        }
        let meta = db.open_tree("history/meta").unwrap();
        meta.insert("count", &1u64.to_be_bytes()).unwrap();
        db.flush().unwrap();
        record
    }

    #[test]
    fn a_history_kept_in_sled_moves_to_sqlite_once() {
        let dir = tempfile::tempdir().unwrap();
        let record = sled_history(dir.path());
        let store = reopen(dir.path());
        let h = store.history();
        assert_eq!(h.count().unwrap(), 1);
        assert_eq!(h.get(&record.summary.id).unwrap(), Some(record.clone()));
        assert_eq!(
            h.by_tx_hash("AB12").unwrap(),
            std::slice::from_ref(&record.summary.id)
        );
        let page = h.by_address("bob", None, 10).unwrap();
        assert_eq!(page.items, std::slice::from_ref(&record));
        let filter = HistoryFilter {
            denom: Some("stake".into()),
            ..HistoryFilter::default()
        };
        assert_eq!(h.search(filter, None, 10).unwrap().items.len(), 1);
        let names = store.db.tree_names();
        assert!(
            !names.iter().any(|n| n.starts_with(b"history/")),
            "the sled trees are dropped: {names:?}"
        );
        assert!(dir.path().join(super::super::FILE_NAME).is_file());
        drop((h, store));
        let h = reopen(dir.path()).history();
        assert_eq!(h.count().unwrap(), 1, "nothing copied twice after a reopen");
        assert_eq!(h.get(&record.summary.id).unwrap(), Some(record));
    }

    #[test]
    fn an_unreadable_history_file_is_set_aside_and_a_new_one_started() {
        let dir = tempfile::tempdir().unwrap();
        drop(reopen(dir.path()));
        let file = dir.path().join(super::super::FILE_NAME);
        std::fs::remove_file(dir.path().join(format!("{}-wal", super::super::FILE_NAME))).ok();
        std::fs::remove_file(dir.path().join(format!("{}-shm", super::super::FILE_NAME))).ok();
        std::fs::write(&file, vec![0x5a; 8192]).unwrap();
        let store = reopen(dir.path());
        let h = store.history();
        assert_eq!(h.count().unwrap(), 0);
        let summary = transfer(id("a-1", "channel-0", 1), "alice", "bob", "stake", 100);
        assert!(h.record(&summary).unwrap(), "the new history takes writes");
        let aside: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".broken-"))
            .collect();
        assert_eq!(
            aside.len(),
            1,
            "the unreadable file is kept aside: {aside:?}"
        );
        assert_eq!(
            std::fs::read(dir.path().join(&aside[0])).unwrap(),
            vec![0x5a; 8192]
        );
    }
}
