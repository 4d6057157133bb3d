//! Reading a ledger a page at a time (the API's pending packets), without decoding the rest.

use std::ops::Bound;

use super::{Ledger, PacketRecord, StoreError};

impl Ledger {
    /// Up to `limit` records after sequence `after` (from the first when `None`), by
    /// sequence. Corrupt records are skipped (and logged), as [`Ledger::records`] does.
    pub fn page(&self, after: Option<u64>, limit: usize) -> Result<Vec<PacketRecord>, StoreError> {
        let lower = match after {
            Some(seq) => Bound::Excluded(seq.to_be_bytes()),
            None => Bound::Unbounded,
        };
        let mut out = Vec::with_capacity(limit.min(1024));
        for item in self.tree.range::<[u8; 8], _>((lower, Bound::Unbounded)) {
            if out.len() >= limit {
                break;
            }
            let (k, v) = item.map_err(self.err())?;
            let seq = <[u8; 8]>::try_from(k.as_ref())
                .map(u64::from_be_bytes)
                .unwrap_or(0);
            match PacketRecord::decode(&self.key(seq), &v) {
                Ok(r) => out.push(r),
                Err(e) => tracing::warn!(error = %e, "skipping a corrupt ledger record"),
            }
        }
        Ok(out)
    }

    /// The record of `seq`, if it is in the ledger.
    pub fn get(&self, seq: u64) -> Result<Option<PacketRecord>, StoreError> {
        match self.tree.get(seq.to_be_bytes()).map_err(self.err())? {
            Some(v) => PacketRecord::decode(&self.key(seq), &v).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::store::tests::packet;
    use crate::store::Store;

    #[test]
    fn pages_follow_the_sequence_order() {
        let store = Store::temporary().unwrap();
        let ledger = store.ledger("a-1", "transfer", "channel-0").unwrap();
        for seq in [5, 1, 3, 2, 4] {
            ledger.record_sent(&packet(seq), None).unwrap();
        }
        let seqs = |page: Vec<crate::store::PacketRecord>| {
            page.iter().map(|r| r.packet.sequence).collect::<Vec<_>>()
        };
        assert_eq!(seqs(ledger.page(None, 2).unwrap()), [1, 2]);
        assert_eq!(seqs(ledger.page(Some(2), 2).unwrap()), [3, 4]);
        assert_eq!(seqs(ledger.page(Some(4), 10).unwrap()), [5]);
        assert!(ledger.page(Some(5), 10).unwrap().is_empty());
    }
}
