//! Admission and lifetime of the telemetry server's connections.
//!
//! At most [`Limits::max_connections`] connections are open at once. When a new one
//! arrives at the cap, an *idle* connection (no request being answered) is closed to make
//! room: among the idle ones, one from the peer address holding the most connections,
//! the oldest first. So a client that opens many connections and sends nothing (or half a
//! header, slowly) evicts its own connections, not a scraper's. When every connection is
//! answering a request, the new connection is refused at once (a best-effort `503`, then
//! closed); nothing waits in a queue.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};
use tokio_util::sync::CancellationToken;

/// The limits of the telemetry server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once (at least 1). A connection arriving at the cap closes
    /// an idle one (no request being answered) of the peer address holding the most
    /// connections, its oldest; when every connection is answering a request, the
    /// newcomer is sent a best-effort `503` and closed at once (it never waits).
    pub max_connections: usize,
    /// Time a client has to send a complete request head, from the connection's start
    /// and again from the end of each response (so it also bounds idle keep-alive).
    pub header_read_timeout: Duration,
    /// Lifetime of a connection: then it is asked to close after its current response.
    pub connection_lifetime: Duration,
    /// Time a connection asked to close (lifetime over) has to finish its response
    /// before it is dropped.
    pub close_grace: Duration,
    /// Lifetime of a `/graphql` websocket (it is closed with code 4000; clients reconnect).
    /// A websocket counts as a busy connection while it lives.
    pub websocket_lifetime: Duration,
    /// Websockets open at once; one more is answered `503`.
    pub max_websockets: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 64,
            header_read_timeout: Duration::from_secs(5),
            connection_lifetime: Duration::from_secs(30),
            close_grace: Duration::from_secs(5),
            websocket_lifetime: Duration::from_secs(3600),
            max_websockets: 16,
        }
    }
}

/// One open connection in the table.
struct Slot {
    id: u64,
    peer: IpAddr,
    busy: Arc<AtomicUsize>,
    evict: CancellationToken,
}

#[derive(Default)]
struct Slots {
    next_id: u64,
    open: VecDeque<Slot>,
}

/// The open connections, oldest first.
pub(super) struct Table {
    cap: usize,
    slots: Mutex<Slots>,
}

/// A connection's place in the [`Table`], freed when dropped.
pub(super) struct Admitted {
    id: u64,
    table: Arc<Table>,
    /// Requests being answered on this connection.
    pub(super) busy: Arc<AtomicUsize>,
    /// Cancelled when the connection is evicted to make room for a new one.
    pub(super) evict: CancellationToken,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut slots = self.table.lock();
        slots.open.retain(|s| s.id != self.id);
    }
}

impl Table {
    /// A table of at most `cap` connections (at least 1).
    pub(super) fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            cap: cap.max(1),
            slots: Mutex::new(Slots::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        // Every mutation is a single push or removal: a poisoned table is consistent.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits a connection from `peer`, evicting an idle one at the cap; `None` when
    /// every open connection is answering a request.
    pub(super) fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<Admitted> {
        let mut slots = self.lock();
        if slots.open.len() >= self.cap {
            let victim = eviction_candidate(&slots.open)?;
            if let Some(slot) = slots.open.remove(victim) {
                slot.evict.cancel();
            }
        }
        let id = slots.next_id;
        slots.next_id = slots.next_id.wrapping_add(1);
        let busy = Arc::new(AtomicUsize::new(0));
        let evict = CancellationToken::new();
        slots.open.push_back(Slot {
            id,
            peer,
            busy: busy.clone(),
            evict: evict.clone(),
        });
        Some(Admitted {
            id,
            table: self.clone(),
            busy,
            evict,
        })
    }

    /// Connections open now.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.lock().open.len()
    }
}

/// The idle connection to close: from the peer with the most open connections, the
/// oldest of that peer's.
fn eviction_candidate(open: &VecDeque<Slot>) -> Option<usize> {
    let per_peer = |ip: IpAddr| open.iter().filter(|s| s.peer == ip).count();
    let mut best: Option<(usize, usize)> = None;
    for (i, slot) in open.iter().enumerate() {
        if slot.busy.load(Ordering::Acquire) > 0 {
            continue;
        }
        let n = per_peer(slot.peer);
        // Strictly more connections wins; on a tie the earlier (older) slot stays chosen.
        if best.is_none_or(|(_, most)| n > most) {
            best = Some((i, n));
        }
    }
    best.map(|(i, _)| i)
}

/// Marks a request as being answered until the response body is dropped (written out,
/// or the connection closed).
pub(super) struct BusyGuard(Arc<AtomicUsize>);

impl BusyGuard {
    /// Counts one more request in progress on `busy`.
    pub(super) fn new(busy: &Arc<AtomicUsize>) -> Self {
        busy.fetch_add(1, Ordering::AcqRel);
        Self(busy.clone())
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its connection marked busy while it is being written.
pub(super) struct TrackedBody {
    inner: Full<Bytes>,
    _busy: BusyGuard,
}

impl TrackedBody {
    /// `body`, holding `busy` until dropped.
    pub(super) fn new(body: impl Into<Bytes>, busy: BusyGuard) -> Self {
        Self {
            inner: Full::new(body.into()),
            _busy: busy,
        }
    }
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn at_the_cap_the_busiest_peers_oldest_idle_connection_goes() {
        let table = Table::new(3);
        let scraper = table.admit(ip(1)).unwrap();
        let a1 = table.admit(ip(2)).unwrap();
        let a2 = table.admit(ip(2)).unwrap();
        let a3 = table.admit(ip(2)).unwrap();
        assert!(
            a1.evict.is_cancelled(),
            "the flooding peer's oldest goes first"
        );
        assert!(!scraper.evict.is_cancelled());
        assert!(!a2.evict.is_cancelled() && !a3.evict.is_cancelled());
        assert_eq!(table.len(), 3);
        drop(a1);
        assert_eq!(table.len(), 3, "an evicted slot is already gone");
        drop(a3);
        assert_eq!(table.len(), 2);
    }

    #[test]
    fn busy_connections_are_never_evicted() {
        let table = Table::new(2);
        let a = table.admit(ip(1)).unwrap();
        let b = table.admit(ip(2)).unwrap();
        let guard_a = BusyGuard::new(&a.busy);
        let guard_b = BusyGuard::new(&b.busy);
        assert!(table.admit(ip(3)).is_none(), "all busy: refused");
        drop(guard_b);
        let c = table.admit(ip(3)).unwrap();
        assert!(b.evict.is_cancelled() && !a.evict.is_cancelled());
        drop((guard_a, c));
    }
}
