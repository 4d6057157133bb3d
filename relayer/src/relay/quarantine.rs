//! Poison packets: a packet whose message keeps failing is set aside so that the packets
//! behind it flow. A message that failed inside a batch of several makes its batch's packets
//! suspects, sent alone next time so that the failure is pinned on the right one; a packet
//! whose message failed alone `quarantine_after` times in a row is quarantined (recorded in
//! its ledger, logged with the chain's error, counted). A quarantined packet is still timed
//! out when it expires, so its sender gets a refund.

use std::collections::{HashMap, HashSet};

use tracing::{info, warn};

use super::submit::SubmitOutcome;
use super::Path;
use crate::store::{Ledger, PacketState, StoreError};

/// Failures of the packets of one path direction, in memory (the quarantine itself is in
/// the ledger).
#[derive(Debug, Default)]
pub struct QuarantineBook {
    /// Packets to send alone.
    suspects: HashSet<u64>,
    /// Failures in a row of packets sent alone, with the last error.
    failures: HashMap<u64, (u32, String)>,
    /// Packets quarantined since the worker started (receives are also marked in the
    /// ledger, so they stay quarantined across restarts).
    quarantined: HashSet<u64>,
}

impl QuarantineBook {
    /// The packets to send each in a tx of its own.
    pub fn alone(&self) -> &HashSet<u64> {
        &self.suspects
    }

    /// The sequences quarantined by this worker.
    pub fn quarantined(&self) -> HashSet<u64> {
        self.quarantined.clone()
    }

    /// Learns from one relay step; quarantines the packets that failed alone
    /// `quarantine_after` times in a row. Returns the sequences quarantined now.
    pub fn learn(
        &mut self,
        path: &Path,
        ledger: &Ledger,
        outcome: &SubmitOutcome,
        quarantine_after: u32,
    ) -> Result<Vec<u64>, StoreError> {
        for seq in outcome.landed.iter().chain(&outcome.redundant) {
            self.suspects.remove(seq);
            self.failures.remove(seq);
        }
        for seq in &outcome.suspects {
            if self.suspects.insert(*seq) {
                info!(path = %path.name(), sequence = seq,
                    "packet in a failing batch; it is sent alone next time");
            }
        }
        let mut quarantined = Vec::new();
        for (seq, error) in &outcome.failed_alone {
            self.suspects.insert(*seq);
            let entry = self.failures.entry(*seq).or_insert((0, String::new()));
            entry.0 = entry.0.saturating_add(1);
            entry.1.clone_from(error);
            if entry.0 >= quarantine_after.max(1) {
                warn!(path = %path.name(), sequence = seq, failures = entry.0, error = %error,
                    "packet quarantined: its message keeps failing; the packets behind it go on");
                ledger.mark(*seq, PacketState::Quarantined)?;
                if let Some(record) = ledger.get(*seq)? {
                    let kind = crate::store::StepKind::Quarantined {
                        reason: error.clone(),
                    };
                    super::history_feed::policy_step(&record.packet, path, kind);
                }
                quarantined.push(*seq);
            }
        }
        for seq in &quarantined {
            self.suspects.remove(seq);
            self.failures.remove(seq);
            self.quarantined.insert(*seq);
        }
        Ok(quarantined)
    }

    /// Every sequence the book remembers.
    pub fn sequences(&self) -> HashSet<u64> {
        let mut all = self.suspects.clone();
        all.extend(self.failures.keys());
        all.extend(&self.quarantined);
        all
    }

    /// Forgets packets no longer in the ledger.
    pub fn retain(&mut self, pending: impl Fn(u64) -> bool) {
        self.suspects.retain(|s| pending(*s));
        self.failures.retain(|s, _| pending(*s));
        self.quarantined.retain(|s| pending(*s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relay::ChannelEnd;
    use stateset_channels::Ordering;

    fn path() -> Path {
        let end = |chain: &str| ChannelEnd {
            chain: chain.into(),
            port: "transfer".parse().unwrap(),
            channel: "channel-0".parse().unwrap(),
            connection: "connection-0".parse().unwrap(),
            client: "07-tendermint-0".into(),
        };
        Path {
            a: end("a-1"),
            b: end("b-1"),
            ordering: Ordering::Unordered,
        }
    }

    fn ledger() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(dir.path()).unwrap();
        let ledger = store.ledger("a-1", "transfer", "channel-0").unwrap();
        (dir, ledger)
    }

    #[test]
    fn a_failing_batch_makes_suspects_and_a_lone_failure_quarantines_after_n() {
        let (_dir, ledger) = ledger();
        let mut book = QuarantineBook::default();
        let batch_failed = SubmitOutcome {
            suspects: vec![1, 2, 3],
            ..Default::default()
        };
        assert!(book
            .learn(&path(), &ledger, &batch_failed, 3)
            .unwrap()
            .is_empty());
        assert_eq!(book.alone().len(), 3);
        // Sent alone: 1 and 3 land, 2 fails.
        let alone = |failed: Vec<(u64, String)>, landed: Vec<u64>| SubmitOutcome {
            landed,
            failed_alone: failed,
            ..Default::default()
        };
        let err = || vec![(2, "tx too large".to_string())];
        assert!(book
            .learn(&path(), &ledger, &alone(err(), vec![1, 3]), 3)
            .unwrap()
            .is_empty());
        assert_eq!(book.alone(), &HashSet::from([2]));
        assert!(book
            .learn(&path(), &ledger, &alone(err(), vec![]), 3)
            .unwrap()
            .is_empty());
        assert_eq!(
            book.learn(&path(), &ledger, &alone(err(), vec![]), 3)
                .unwrap(),
            vec![2]
        );
        assert!(book.alone().is_empty());
    }

    #[test]
    fn a_success_resets_the_count() {
        let (_dir, ledger) = ledger();
        let mut book = QuarantineBook::default();
        let fail = SubmitOutcome {
            failed_alone: vec![(7, "boom".into())],
            ..Default::default()
        };
        let ok = SubmitOutcome {
            landed: vec![7],
            ..Default::default()
        };
        book.learn(&path(), &ledger, &fail, 2).unwrap();
        book.learn(&path(), &ledger, &ok, 2).unwrap();
        assert!(book.learn(&path(), &ledger, &fail, 2).unwrap().is_empty());
        assert_eq!(book.learn(&path(), &ledger, &fail, 2).unwrap(), vec![7]);
    }
}
