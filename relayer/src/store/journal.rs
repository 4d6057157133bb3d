//! The journal of relay steps: each tx the relayer is about to submit is written here as data
//! before it is signed (what it carries: chain, kind, sequences), its hash and account
//! sequence are added once it is signed and made durable before it is broadcast, and the
//! entry is removed once the tx is included or failed. An entry left after a crash is a tx that may be in a mempool or a block already;
//! the daemon settles it on restart (waits for that tx) before anything else is submitted to
//! its chain, so that what was in flight is not relayed a second time.

use serde::{Deserialize, Serialize};

use super::{now, Store, StoreError};

/// One tx of a relay step, as journalled.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalStep {
    /// The chain the tx goes to.
    pub chain: String,
    /// What it relays (`recv_packet`, `acknowledgement`, `timeout`, …).
    pub what: String,
    /// The packets' sequences, in message order.
    #[serde(default)]
    pub sequences: Vec<u64>,
    /// The hashes (upper-case hex) of every signed version of the tx, in signing order: a tx
    /// signed again (a new account sequence, more gas) has a new hash.
    #[serde(default)]
    pub tx_hashes: Vec<String>,
    /// The highest account sequence a version of the tx was signed with: once the account's
    /// sequence on chain has passed it, no version of the tx can land any more.
    #[serde(default)]
    pub max_sequence: Option<u64>,
    /// When the step was journalled (Unix seconds).
    #[serde(default)]
    pub at: u64,
}

impl JournalStep {
    /// A step about to be submitted to `chain`.
    pub fn new(chain: &str, what: &str, sequences: Vec<u64>) -> Self {
        Self {
            chain: chain.to_string(),
            what: what.to_string(),
            sequences,
            tx_hashes: Vec::new(),
            max_sequence: None,
            at: now(),
        }
    }
}

const TREE: &str = "journal";

impl Store {
    /// Journals a relay step about to be submitted; returns its journal id.
    pub fn journal_add(&self, step: &JournalStep) -> Result<u64, StoreError> {
        let tree = self.db.open_tree(TREE).map_err(self.err())?;
        let id = self.db.generate_id().map_err(self.err())?;
        tree.insert(id.to_be_bytes(), encode(step))
            .map_err(self.err())?;
        Ok(id)
    }

    /// Adds the hash of a signed version of step `id`'s tx and the account sequence it was
    /// signed with (before it is broadcast: see [`Store::flush_async`]).
    pub fn journal_signed(&self, id: u64, tx_hash: &str, sequence: u64) -> Result<(), StoreError> {
        let tree = self.db.open_tree(TREE).map_err(self.err())?;
        tree.fetch_and_update(id.to_be_bytes(), |old| {
            let mut step = decode(old?).unwrap_or_default();
            if !step.tx_hashes.iter().any(|h| h == tx_hash) {
                step.tx_hashes.push(tx_hash.to_string());
            }
            step.max_sequence = Some(step.max_sequence.map_or(sequence, |m| m.max(sequence)));
            Some(encode(&step))
        })
        .map_err(self.err())?;
        Ok(())
    }

    /// Removes a journal entry once its tx is included or failed.
    pub fn journal_done(&self, id: u64) -> Result<(), StoreError> {
        let tree = self.db.open_tree(TREE).map_err(self.err())?;
        tree.remove(id.to_be_bytes()).map_err(self.err())?;
        Ok(())
    }

    /// The steps left by a previous run (txs in flight when it stopped), with their ids. An
    /// entry that does not decode is returned with only its text in `what`.
    pub fn journal_steps(&self) -> Result<Vec<(u64, JournalStep)>, StoreError> {
        let tree = self.db.open_tree(TREE).map_err(self.err())?;
        let mut steps = Vec::new();
        for entry in tree.iter() {
            let (key, value) = entry.map_err(self.err())?;
            let id = <[u8; 8]>::try_from(key.as_ref()).map_or(0, u64::from_be_bytes);
            let step = decode(&value).unwrap_or_else(|| JournalStep {
                what: String::from_utf8_lossy(&value).into_owned(),
                ..JournalStep::default()
            });
            steps.push((id, step));
        }
        Ok(steps)
    }

    /// The steps left by a previous run on `chain`.
    pub fn journal_steps_of(&self, chain: &str) -> Result<Vec<(u64, JournalStep)>, StoreError> {
        let mut steps = self.journal_steps()?;
        steps.retain(|(_, s)| s.chain == chain);
        Ok(steps)
    }
}

fn encode(step: &JournalStep) -> Vec<u8> {
    serde_json::to_vec(step).unwrap_or_default()
}

fn decode(bytes: &[u8]) -> Option<JournalStep> {
    serde_json::from_slice(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_keeps_its_hashes_across_a_restart_until_done() {
        let dir = tempfile::tempdir().unwrap();
        let id = {
            let store = crate::store::reopen(dir.path());
            let id = store
                .journal_add(&JournalStep::new("b-1", "recv_packet", vec![4, 5]))
                .unwrap();
            store.journal_signed(id, "AA11", 7).unwrap();
            store.journal_signed(id, "AA11", 7).unwrap();
            store.journal_signed(id, "BB22", 9).unwrap();
            store.journal_signed(id, "CC33", 8).unwrap();
            store
                .journal_add(&JournalStep::new("a-1", "acknowledgement", vec![1]))
                .unwrap();
            store.flush().unwrap();
            id
        };
        let store = crate::store::reopen(dir.path());
        let steps = store.journal_steps_of("b-1").unwrap();
        assert_eq!(steps.len(), 1);
        let (got, step) = &steps[0];
        assert_eq!(*got, id);
        assert_eq!(step.what, "recv_packet");
        assert_eq!(step.sequences, vec![4, 5]);
        assert_eq!(step.tx_hashes, ["AA11", "BB22", "CC33"]);
        assert_eq!(step.max_sequence, Some(9), "the highest sequence signed");
        store.journal_done(id).unwrap();
        assert!(store.journal_steps_of("b-1").unwrap().is_empty());
        assert_eq!(store.journal_steps().unwrap().len(), 1, "a-1's is kept");
    }

    #[test]
    fn an_entry_of_an_older_version_is_read_without_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::reopen(dir.path());
        let tree = store.db.open_tree(TREE).unwrap();
        tree.insert(
            7u64.to_be_bytes(),
            &br#"{"chain":"b-1","what":"recv_packet [1]","at":5}"#[..],
        )
        .unwrap();
        tree.insert(8u64.to_be_bytes(), &b"not json"[..]).unwrap();
        let steps = store.journal_steps().unwrap();
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].1.chain, "b-1");
        assert!(steps[0].1.tx_hashes.is_empty());
        assert_eq!(steps[0].1.max_sequence, None);
        assert_eq!(steps[1].1.what, "not json");
    }
}
