//! Writing the history: recording packets and steps, and pruning. Each change of a packet
//! and its index entries is one transaction.

use std::time::Duration;

use std::ops::Bound;

use super::{
    decode, encode, entries, key_name, keys, read_count, History, Index, PacketHistory, PacketId,
    PacketSummary, Step, StepKind, Table, Tx, COUNT, MAX_STEPS, PRUNE_BATCH,
};
use crate::store::StoreError;

impl History {
    /// Records `summary` with no steps (a packet already recorded is kept as it is).
    /// Returns whether it was new.
    pub fn record(&self, summary: &PacketSummary) -> Result<bool, StoreError> {
        let id = keys::id_key(&summary.id);
        self.txn(|tx| {
            if tx.contains(Table::Packets, &id)? {
                return Ok(false);
            }
            insert_new(tx, &id, summary)?;
            Ok(true)
        })
    }

    /// Adds `step` to the packet `id` (recorded before: else [`StoreError::Missing`]), in
    /// order of time, then of a packet's life (sent, filtered or quarantined, received,
    /// acknowledged or timed out), then height; a step equal to one it has is not added again. Beyond
    /// [`MAX_STEPS`] the oldest step but the first is dropped.
    pub fn add_step(&self, id: &PacketId, step: Step) -> Result<(), StoreError> {
        let key = keys::id_key(id);
        let step = normalized(step);
        self.txn(|tx| {
            if !tx.contains(Table::Packets, &key)? {
                return Err(StoreError::Missing {
                    key: key_name(&key),
                });
            }
            step_in(tx, &key, &step).map(|_| ())
        })
    }

    /// Records a block's worth of steps in one transaction: for each write, the packet is
    /// recorded first when it is new and a summary is given (else a write for an unknown
    /// packet is skipped), then its step is added as [`History::add_step`] does. Returns
    /// each packet changed, as it is after its step, with that step (in the order given).
    pub fn apply(&self, writes: &[StepWrite]) -> Result<Vec<(PacketHistory, Step)>, StoreError> {
        let prepared: Vec<(Vec<u8>, &StepWrite, Step)> = writes
            .iter()
            .map(|w| (keys::id_key(&w.id), w, normalized(w.step.clone())))
            .collect();
        self.txn(|tx| {
            let mut changed = Vec::new();
            for (key, write, step) in &prepared {
                if !tx.contains(Table::Packets, key)? {
                    let Some(summary) = &write.summary else {
                        continue;
                    };
                    insert_new(tx, key, summary)?;
                }
                if let Some(record) = step_in(tx, key, step)? {
                    changed.push((record, step.clone()));
                }
            }
            Ok(changed)
        })
    }

    /// Removes the packets first seen before `now - retention`, then the oldest beyond
    /// `max_packets`, each with its index entries. Returns how many were removed.
    pub fn prune(
        &self,
        now: u64,
        retention: Duration,
        max_packets: usize,
    ) -> Result<usize, StoreError> {
        let cutoff = now.saturating_sub(retention.as_secs());
        let mut removed = self.remove_oldest(Some(cutoff), u64::MAX)?;
        let cap = u64::try_from(max_packets).unwrap_or(u64::MAX);
        let excess = self.count()?.saturating_sub(cap);
        removed = removed.saturating_add(self.remove_oldest(None, excess)?);
        Ok(removed)
    }

    /// Removes up to `budget` of the oldest packets, only those first seen before `cutoff`
    /// when given. Returns how many were removed.
    fn remove_oldest(&self, cutoff: Option<u64>, mut budget: u64) -> Result<usize, StoreError> {
        let mut removed = 0usize;
        while budget > 0 {
            let upper = cutoff.map(u64::to_be_bytes);
            let take = usize::try_from(budget).map_or(PRUNE_BATCH, |b| b.min(PRUNE_BATCH));
            let upper = match &upper {
                Some(u) => Bound::Excluded(u.as_slice()),
                None => Bound::Unbounded,
            };
            let batch = self
                .kv
                .reader()
                .entries(Table::Time, (Bound::Unbounded, upper), take)?;
            if batch.is_empty() {
                break;
            }
            for (time_key, id) in batch {
                if self.remove(&time_key, &id)? {
                    removed = removed.saturating_add(1);
                    budget -= 1;
                }
            }
        }
        Ok(removed)
    }

    /// Removes the packet `id` found under `time_key` in the time index, with its index
    /// entries; an entry naming a packet that is not there (or that has another time) is
    /// removed alone. Returns whether a packet was removed.
    fn remove(&self, time_key: &[u8], id: &[u8]) -> Result<bool, StoreError> {
        self.txn(|tx| {
            let Some(bytes) = tx.get(Table::Packets, id)? else {
                tx.remove(Table::Time, time_key)?;
                return Ok(false);
            };
            match decode(id, &bytes) {
                Ok(record) => {
                    let index = entries(&record, id);
                    if !index.contains(&(Index::Time, time_key.to_vec())) {
                        tx.remove(Table::Time, time_key)?;
                        return Ok(false);
                    }
                    for (which, key) in &index {
                        tx.remove(which.table(), key)?;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "removing a corrupt packet history record; its index entries other than time may remain");
                    tx.remove(Table::Time, time_key)?;
                }
            }
            tx.remove(Table::Packets, id)?;
            add_count(tx, -1)?;
            Ok(true)
        })
    }
}

/// One step to record with [`History::apply`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepWrite {
    /// The packet.
    pub id: PacketId,
    /// What it is, to record it when it is new (`None`: only a known packet gets the step).
    pub summary: Option<PacketSummary>,
    /// What happened.
    pub step: Step,
}

/// `step` with its tx hash trimmed and lowercase (none when empty).
fn normalized(step: Step) -> Step {
    Step {
        tx_hash: step
            .tx_hash
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty()),
        ..step
    }
}

/// Where a kind of step comes in a packet's life: steps of one second on two chains (whose
/// heights cannot be compared) are ordered by it before their heights.
fn life_order(kind: &StepKind) -> u8 {
    match kind {
        StepKind::Sent => 0,
        StepKind::Filtered { .. } | StepKind::Quarantined { .. } => 1,
        StepKind::Received => 2,
        StepKind::Acknowledged { .. } | StepKind::TimedOut => 3,
    }
}

/// Inserts the new packet `summary` under `id` with no steps, with its index entries.
fn insert_new(tx: &Tx<'_>, id: &[u8], summary: &PacketSummary) -> Result<(), StoreError> {
    let record = PacketHistory {
        summary: summary.clone(),
        steps: Vec::new(),
    };
    tx.insert(Table::Packets, id, &encode(id, &record)?)?;
    for (which, key) in entries(&record, id) {
        tx.insert(which.table(), &key, id)?;
    }
    add_count(tx, 1)
}

/// Adds `step` to the packet under `key`, if it is there and does not have the step yet;
/// returns the changed record.
fn step_in(tx: &Tx<'_>, key: &[u8], step: &Step) -> Result<Option<PacketHistory>, StoreError> {
    let Some(bytes) = tx.get(Table::Packets, key)? else {
        return Ok(None);
    };
    let mut record = decode(key, &bytes)?;
    if record.steps.contains(step) {
        return Ok(None);
    }
    let before = entries(&record, key);
    let place = |s: &Step| (s.time, life_order(&s.kind), s.height);
    let at = record.steps.partition_point(|s| place(s) <= place(step));
    record.steps.insert(at, step.clone());
    while record.steps.len() > MAX_STEPS {
        record.steps.remove(1);
    }
    let after = entries(&record, key);
    tx.insert(Table::Packets, key, &encode(key, &record)?)?;
    reindex(tx, key, &before, &after)?;
    Ok(Some(record))
}

/// Moves the index entries of packet `id` from `before` to `after`.
fn reindex(
    tx: &Tx<'_>,
    id: &[u8],
    before: &[(Index, Vec<u8>)],
    after: &[(Index, Vec<u8>)],
) -> Result<(), StoreError> {
    for gone in before.iter().filter(|e| !after.contains(e)) {
        tx.remove(gone.0.table(), &gone.1)?;
    }
    for new in after.iter().filter(|e| !before.contains(e)) {
        tx.insert(new.0.table(), &new.1, id)?;
    }
    Ok(())
}

/// Adds `delta` to the packet count.
fn add_count(tx: &Tx<'_>, delta: i64) -> Result<(), StoreError> {
    let old = tx.get(Table::Meta, COUNT)?;
    let count = read_count(old.as_deref())?;
    let count = if delta < 0 {
        count.saturating_sub(delta.unsigned_abs())
    } else {
        count.saturating_add(delta.unsigned_abs())
    };
    tx.insert(Table::Meta, COUNT, &count.to_be_bytes())
}
