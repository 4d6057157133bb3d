//! What one relay cycle reads of a ledger: through the index, the few records
//! `stateset_channels::relay_plan::plan_cycle` can take up (the first packets awaiting
//! receipt, the newest of them, the first acknowledgements) and the backlog's counts, at a
//! cost of the window's size, not the ledger's.
//!
//! Planning from the window gives the plan that planning from every record would, given
//! the same exclusion and quarantine predicates (tested in `ledger_index_tests.rs`).

use std::collections::HashMap;

use stateset_channels::relay_plan::{CycleLimits, PendingPacket};
use stateset_channels::Ordering;

use super::ledger_index::{entry_seq, state_byte, StateCounts, ALL_STATES};
use super::{Ledger, PacketRecord, PacketState, StoreError};

/// The states of packets still to reach the destination (see
/// [`PacketState::awaits_receipt`]).
const AWAITING: [PacketState; 4] = [
    PacketState::Sent,
    PacketState::RecvSubmitted,
    PacketState::Filtered,
    PacketState::Quarantined,
];

/// What a cycle asks of the ledger.
pub struct WindowQuery<'a> {
    /// The cycle's bounds, as given to `plan_cycle`.
    pub limits: CycleLimits,
    /// The channel's ordering (unordered: the newest packets are read too).
    pub ordering: Ordering,
    /// Read the packets awaiting receipt.
    pub sends: bool,
    /// Read the written acknowledgements.
    pub acks: bool,
    /// Sequences left out entirely (`plan_cycle`'s `excluded`).
    pub excluded: &'a dyn Fn(u64) -> bool,
    /// Sequences whose acknowledgements are not relayed (`plan_cycle`'s `quarantined`).
    pub quarantined: &'a dyn Fn(u64) -> bool,
}

/// The backlog of a ledger: its counts per state and its lowest sequence.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Backlog {
    /// Records per state.
    pub counts: StateCounts,
    /// The lowest sequence in the ledger and when it was first seen (Unix seconds).
    pub oldest: Option<(u64, f64)>,
}

/// The records one cycle can take up, ascending by sequence, and the backlog.
#[derive(Clone, Debug, Default)]
pub struct LedgerWindow {
    /// Packets awaiting receipt: the first `max_per_cycle` and (unordered) the newest
    /// `newest_per_cycle`, not excluded.
    pub sends: Vec<PacketRecord>,
    /// Written acknowledgements: the first `max_per_cycle`, not excluded nor quarantined.
    pub acks: Vec<PacketRecord>,
    /// The ledger's backlog.
    pub backlog: Backlog,
}

impl LedgerWindow {
    /// Whether the window holds nothing to relay.
    pub fn is_empty(&self) -> bool {
        self.sends.is_empty() && self.acks.is_empty()
    }

    /// The window as `plan_cycle`'s view.
    pub fn pending(&self) -> Vec<PendingPacket<'_>> {
        self.sends
            .iter()
            .chain(&self.acks)
            .map(|r| PendingPacket {
                packet: &r.packet,
                state: r.state,
                ack: r.ack.as_deref(),
            })
            .collect()
    }

    /// When each packet of the window was first seen (for latency metrics).
    pub fn seen(&self) -> HashMap<u64, f64> {
        self.sends
            .iter()
            .chain(&self.acks)
            .map(|r| (r.packet.sequence, r.seen))
            .collect()
    }

    /// The block that wrote what each packet's next message proves (see
    /// [`PacketRecord::written_at`]), for choosing the proof height.
    pub fn written_at(&self) -> HashMap<u64, Option<u64>> {
        self.sends
            .iter()
            .chain(&self.acks)
            .map(|r| (r.packet.sequence, r.written_at))
            .collect()
    }
}

impl Ledger {
    /// The records a cycle bounded by `query.limits` can take up, read through the index.
    pub fn window(&self, query: &WindowQuery<'_>) -> Result<LedgerWindow, StoreError> {
        let max = query.limits.max_per_cycle;
        let mut window = LedgerWindow::default();
        if query.sends {
            let wanted = |r: &PacketRecord| r.state.awaits_receipt();
            let excluded = query.excluded;
            window.sends = self.take(&AWAITING, false, max, None, excluded, &wanted)?;
            let newest = query.limits.newest_per_cycle.min(max);
            let floor = window.sends.last().map(|r| r.packet.sequence);
            // Fewer than `max`: every packet awaiting receipt is in already.
            if query.ordering != Ordering::Ordered && window.sends.len() == max && newest > 0 {
                let back = self.take(&AWAITING, true, newest, floor, excluded, &wanted)?;
                window.sends.extend(back.into_iter().rev());
            }
        }
        if query.acks {
            let wanted = |r: &PacketRecord| r.state == PacketState::AckWritten && r.ack.is_some();
            let left_out = |seq| (query.excluded)(seq) || (query.quarantined)(seq);
            let states = [PacketState::AckWritten];
            window.acks = self.take(&states, false, max, None, &left_out, &wanted)?;
        }
        window.backlog = self.backlog()?;
        Ok(window)
    }

    /// The counts per state and the lowest sequence, from the index.
    pub fn backlog(&self) -> Result<Backlog, StoreError> {
        let counts = self.counts()?;
        let mut oldest: Option<(u64, f64)> = None;
        for state in ALL_STATES {
            if let Some((seq, seen)) = self.oldest(state)? {
                if oldest.is_none_or(|(o, _)| seq < o) {
                    oldest = Some((seq, seen));
                }
            }
        }
        Ok(Backlog { counts, oldest })
    }

    /// Up to `n` records in `states`, by sequence (from the highest when `backward`, stopping
    /// at `floor`), skipping the sequences `left_out` and records not `wanted` (a record whose
    /// state changed since its index entry was read), and corrupt ones (logged).
    fn take(
        &self,
        states: &[PacketState],
        backward: bool,
        n: usize,
        floor: Option<u64>,
        left_out: &dyn Fn(u64) -> bool,
        wanted: &dyn Fn(&PacketRecord) -> bool,
    ) -> Result<Vec<PacketRecord>, StoreError> {
        let mut out = Vec::with_capacity(n.min(1024));
        let mut merge = Merge::new(&self.index, states, backward).map_err(self.err())?;
        let mut last: Option<u64> = None;
        while out.len() < n {
            let Some(seq) = merge.next().map_err(self.err())? else {
                break;
            };
            if floor.is_some_and(|f| seq <= f) {
                break;
            }
            // A record that moved to another state while the states are read may come up
            // twice: each sequence is taken once.
            let repeated = last.is_some_and(|l| if backward { seq >= l } else { seq <= l });
            if repeated || left_out(seq) {
                continue;
            }
            last = Some(seq);
            let Some(bytes) = self.tree.get(seq.to_be_bytes()).map_err(self.err())? else {
                continue;
            };
            match PacketRecord::decode(&self.key(seq), &bytes) {
                Ok(r) if wanted(&r) => out.push(r),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "skipping a corrupt ledger record"),
            }
        }
        Ok(out)
    }
}

/// The sequences of several states' index entries, merged in sequence order.
struct Merge {
    /// Per state: its entries and the next sequence taken from them.
    heads: Vec<(sled::Iter, Option<u64>)>,
    backward: bool,
}

impl Merge {
    fn new(index: &sled::Tree, states: &[PacketState], backward: bool) -> sled::Result<Self> {
        let mut heads = Vec::with_capacity(states.len());
        for state in states {
            let mut iter = index.scan_prefix([state_byte(*state)]);
            let head = Self::pull(&mut iter, backward)?;
            heads.push((iter, head));
        }
        Ok(Self { heads, backward })
    }

    fn pull(iter: &mut sled::Iter, backward: bool) -> sled::Result<Option<u64>> {
        loop {
            let item = match backward {
                true => iter.next_back(),
                false => iter.next(),
            };
            match item.transpose()? {
                None => return Ok(None),
                Some((key, _)) => {
                    if let Some(seq) = entry_seq(&key) {
                        return Ok(Some(seq));
                    }
                }
            }
        }
    }

    /// The next sequence (lowest, or highest when backward) of all states.
    fn next(&mut self) -> sled::Result<Option<u64>> {
        let backward = self.backward;
        let best = self
            .heads
            .iter_mut()
            .filter_map(|(iter, head)| head.map(|seq| (iter, head, seq)))
            .reduce(|a, b| match (b.2 < a.2) != backward {
                true => b,
                false => a,
            });
        let Some((iter, head, seq)) = best else {
            return Ok(None);
        };
        *head = Self::pull(iter, backward)?;
        Ok(Some(seq))
    }
}
