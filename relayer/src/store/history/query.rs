//! Reading the history: by tx hash, by address, and by filter, a page at a time.

use std::ops::{Bound, ControlFlow};

use super::MAX_PAGE;
use super::{
    corrupt_index, decode, denoms, keys, Cursor, History, HistoryFilter, Index, PacketId, Page,
    Table,
};
use crate::store::StoreError;

impl HistoryFilter {
    fn matches_id(&self, id: &PacketId) -> bool {
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        eq(&self.chain, &id.chain)
            && eq(&self.port, &id.port)
            && eq(&self.channel, &id.channel)
            && self.sequence.is_none_or(|s| s == id.sequence)
    }
}

impl History {
    /// The packets with a step in tx `hash` (hex, any case, with or without `0x`), by id.
    pub fn by_tx_hash(&self, hash: &str) -> Result<Vec<PacketId>, StoreError> {
        let mut out = Vec::new();
        if keys::normalize_tx_hash(hash).is_empty() {
            return Ok(out);
        }
        let prefix = keys::tx_prefix(hash);
        let end = keys::prefix_end(&prefix);
        let upper = end.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
        let tables = self.kv.reader();
        let range = (Bound::Included(prefix.as_slice()), upper);
        let found = tables.entries(Table::Tx, range, usize::MAX)?;
        for (key, value) in found {
            let id = keys::decode_id(&value).ok_or_else(|| corrupt_index(Index::Tx, &key))?;
            // An entry left by a corrupt record that was pruned names no packet.
            if tables.contains(Table::Packets, &value)? {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// The packets `address` sent or received (ICS-20 sender or receiver, ICS-27 owner;
    /// compared case-insensitively), newest first, `limit` a page.
    pub fn by_address(
        &self,
        address: &str,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let scan = Scan {
            index: Index::Address,
            prefix: keys::address_prefix(address),
            from: None,
            to: None,
        };
        self.page(&scan, cursor.as_ref(), limit, |_| true)
    }

    /// The packets matching `filter`, newest first, `limit` a page. A filter with chain,
    /// port, channel and sequence reads one packet; with a denom, the denom index; with a
    /// chain, port and channel, the path index; otherwise the time index, the other fields
    /// checked on each packet.
    pub fn search(
        &self,
        filter: HistoryFilter,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let f = &filter;
        if let (Some(chain), Some(port), Some(channel), Some(sequence)) =
            (&f.chain, &f.port, &f.channel, f.sequence)
        {
            let id = PacketId {
                chain: chain.clone(),
                port: port.clone(),
                channel: channel.clone(),
                sequence,
            };
            return self.search_one(&id, f, cursor.as_ref());
        }
        let (index, prefix) = match (&f.denom, &f.chain, &f.port, &f.channel) {
            (Some(denom), ..) => (Index::Denom, keys::denom_prefix(denom)),
            (None, Some(chain), Some(port), Some(channel)) => {
                (Index::Path, keys::path_prefix(chain, port, channel))
            }
            _ => (Index::Time, Vec::new()),
        };
        let scan = Scan {
            index,
            prefix,
            from: f.from_time,
            to: f.to_time,
        };
        self.page(&scan, cursor.as_ref(), limit, |id| f.matches_id(id))
    }

    /// [`History::search`] for one packet.
    fn search_one(
        &self,
        id: &PacketId,
        f: &HistoryFilter,
        cursor: Option<&Cursor>,
    ) -> Result<Page, StoreError> {
        let key = keys::id_key(id);
        let found = self.load(&key)?.filter(|h| {
            let t = h.summary.first_seen;
            let denom_ok = f
                .denom
                .as_ref()
                .is_none_or(|d| denoms(&h.summary.app).contains(d));
            let before_cursor =
                cursor.is_none_or(|c| Cursor::at(t, &key).as_bytes() < c.as_bytes());
            denom_ok
                && f.from_time.is_none_or(|from| t >= from)
                && f.to_time.is_none_or(|to| t <= to)
                && before_cursor
        });
        Ok(Page {
            items: found.into_iter().collect(),
            next: None,
        })
    }

    /// A page of the entries of `scan`, newest first, after `cursor`, whose packet `keep`s.
    fn page(
        &self,
        scan: &Scan,
        cursor: Option<&Cursor>,
        limit: usize,
        keep: impl Fn(&PacketId) -> bool,
    ) -> Result<Page, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let mut items = Vec::new();
        let mut last: Option<Cursor> = None;
        let mut more = false;
        let Some((lower, upper)) = scan.range(cursor) else {
            return Ok(Page { items, next: None });
        };
        let tables = self.kv.reader();
        let range = (
            lower.as_ref().map(Vec::as_slice),
            upper.as_ref().map(Vec::as_slice),
        );
        tables.scan(scan.index.table(), range, true, |key, value| {
            let id = keys::decode_id(value).ok_or_else(|| corrupt_index(scan.index, key))?;
            if !keep(&id) {
                return Ok(ControlFlow::Continue(()));
            }
            let Some(bytes) = tables.get(Table::Packets, value)? else {
                return Ok(ControlFlow::Continue(()));
            };
            if items.len() == limit {
                more = true;
                return Ok(ControlFlow::Break(()));
            }
            items.push(decode(value, &bytes)?);
            last = key
                .strip_prefix(scan.prefix.as_slice())
                .map(Cursor::from_suffix);
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(Page {
            items,
            next: if more { last } else { None },
        })
    }
}

/// A range of index keys.
type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// The entries of one index under `prefix`, first seen from `from` to `to`.
struct Scan {
    index: Index,
    prefix: Vec<u8>,
    from: Option<u64>,
    to: Option<u64>,
}

impl Scan {
    /// The key range before `cursor` (`None`: empty).
    fn range(&self, cursor: Option<&Cursor>) -> Option<KeyRange> {
        let lower = keys::timed(&self.prefix, self.from.unwrap_or(0), &[]);
        let by_time = match self.to.and_then(|t| t.checked_add(1)) {
            Some(after) => Some(keys::timed(&self.prefix, after, &[])),
            None => keys::prefix_end(&self.prefix),
        };
        let by_cursor = cursor.map(|c| [self.prefix.as_slice(), c.as_bytes()].concat());
        let upper = match (by_time, by_cursor) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match upper {
            Some(u) if u <= lower => None,
            Some(u) => Some((Bound::Included(lower), Bound::Excluded(u))),
            None => Some((Bound::Included(lower), Bound::Unbounded)),
        }
    }
}
