//! The relayer's one exponential backoff: a wait that starts at `first`, doubles on every
//! further failure up to `cap`, and goes back to `first` on [`Backoff::reset`]. No jitter:
//! the tasks that back off are per chain, pair or handshake, few enough that they do not
//! stampede a node together, and fixed waits keep the supervisor's tests exact.
//!
//! Every policy of the daemon is one constructor here, so they can be compared at a glance:
//!
//! | use | first wait | cap |
//! |---|---|---|
//! | event source resubscription (`chain/events.rs`) | `min_backoff` (200 ms) | `max_backoff` (10 s) |
//! | connecting to a chain that is down (`supervisor/mod.rs`) | 500 ms | 30 s |
//! | scanner pass that failed (`relay/scanner.rs`) | 200 ms | 10 s (2 s for transport failures) |
//! | supervised task restart (`supervisor/tasks.rs`) | 1 s | `daemon.max_backoff` |
//! | pair pass that failed (`supervisor/pair.rs`) | 2 × `daemon.scan_interval` | `daemon.max_backoff`, at least the scan interval |
//! | handshake completion retry, per handshake (`handshake/complete.rs`) | 5 s | `daemon.max_backoff` |
//! | relay cycle that failed, per worker loop (`relay/worker_loop.rs`) | 500 ms | 30 s (4 s for transport failures, which a new block also ends) |
//!
//! (`chain/retry.rs` retries single RPC calls with `backon` and jitter: a different job,
//! bounded in attempts rather than running for the life of a task.)

use std::time::Duration;

/// The first wait of a scanner after a failed pass.
const SCANNER_FIRST: Duration = Duration::from_millis(200);
/// The longest wait of a scanner after failed passes.
const SCANNER_CAP: Duration = Duration::from_secs(10);
/// The first wait before the daemon tries again to reach a chain that is down.
const CHAIN_CONNECT_FIRST: Duration = Duration::from_millis(500);
/// The longest wait before the daemon tries again to reach a chain that is down.
const CHAIN_CONNECT_CAP: Duration = Duration::from_secs(30);
/// The first wait before a supervised task is restarted.
const TASK_RESTART_FIRST: Duration = Duration::from_secs(1);
/// The first wait after a handshake failed to complete.
const HANDSHAKE_RETRY_FIRST: Duration = Duration::from_secs(5);
/// The first wait after a relay cycle failed.
const RELAY_CYCLE_FIRST: Duration = Duration::from_millis(500);
/// The longest wait after relay cycles failed.
const RELAY_CYCLE_CAP: Duration = Duration::from_secs(30);
/// The longest wait after a relay cycle failed for the transport.
pub const RELAY_CYCLE_TRANSIENT_CAP: Duration = Duration::from_secs(4);

/// An exponential backoff: waits `first`, `2 × first`, `4 × first`, … up to `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    first: Duration,
    cap: Duration,
    current: Duration,
}

impl Backoff {
    /// Waits `first`, doubling up to `cap`. A `cap` below `first` wins: every wait is then
    /// `cap` (a configured maximum is a maximum).
    pub fn new(first: Duration, cap: Duration) -> Self {
        let first = first.min(cap);
        Self {
            first,
            cap,
            current: first,
        }
    }

    /// A scanner's pauses after failed passes: 200 ms doubling up to 10 s (the scanner
    /// caps transport failures lower with [`Backoff::next_wait_up_to`]).
    pub fn scanner() -> Self {
        Self::new(SCANNER_FIRST, SCANNER_CAP)
    }

    /// The waits between attempts to reach a chain that is down at start: 500 ms doubling
    /// up to 30 s.
    pub fn chain_connect() -> Self {
        Self::new(CHAIN_CONNECT_FIRST, CHAIN_CONNECT_CAP)
    }

    /// The waits before a supervised task is restarted: 1 s doubling up to `max_backoff`
    /// (at least 1 s).
    pub fn task_restart(max_backoff: Duration) -> Self {
        Self::new(TASK_RESTART_FIRST, max_backoff.max(TASK_RESTART_FIRST))
    }

    /// The waits after a pair pass (discovery, refresh, handshakes) failed: twice the scan
    /// interval, doubling up to `max_backoff`. A failing pass never runs more often than a
    /// succeeding one: the cap is at least `scan_interval`.
    pub fn work_pass(scan_interval: Duration, max_backoff: Duration) -> Self {
        Self::new(
            scan_interval.saturating_mul(2),
            max_backoff.max(scan_interval),
        )
    }

    /// The waits before a handshake that failed to complete is tried again: 5 s doubling up
    /// to `max_backoff`.
    pub fn handshake_retry(max_backoff: Duration) -> Self {
        Self::new(HANDSHAKE_RETRY_FIRST, max_backoff)
    }

    /// The waits after a relay cycle failed: 500 ms doubling up to 30 s; the worker caps
    /// transport failures at [`RELAY_CYCLE_TRANSIENT_CAP`] with [`Backoff::next_wait_up_to`].
    pub fn relay_cycle() -> Self {
        Self::new(RELAY_CYCLE_FIRST, RELAY_CYCLE_CAP)
    }

    /// The wait before the next try; the one after it is twice as long (up to the cap).
    pub fn next_wait(&mut self) -> Duration {
        self.next_wait_up_to(self.cap)
    }

    /// Like [`Backoff::next_wait`], with a lower cap for this failure: the wait is at most
    /// `limit`, and the one after it doubles from there, at most `limit` too (a later call
    /// with a higher limit doubles on from it).
    pub fn next_wait_up_to(&mut self, limit: Duration) -> Duration {
        let wait = self.current.min(limit);
        self.current = wait.saturating_mul(2).min(limit).min(self.cap);
        wait
    }

    /// The wait [`Backoff::next_wait`] would return now.
    pub fn peek(&self) -> Duration {
        self.current
    }

    /// Back to the first wait (the work succeeded, or ran long enough to count as healthy).
    pub fn reset(&mut self) {
        self.current = self.first;
    }

    /// The first wait.
    pub fn first(&self) -> Duration {
        self.first
    }

    /// The longest wait.
    pub fn cap(&self) -> Duration {
        self.cap
    }
}

#[cfg(test)]
mod tests {
    use super::Backoff;
    use std::time::Duration;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn waits(b: &mut Backoff, n: usize) -> Vec<Duration> {
        (0..n).map(|_| b.next_wait()).collect()
    }

    #[test]
    fn doubles_up_to_the_cap_and_resets_to_the_first_wait() {
        let mut b = Backoff::new(ms(100), ms(700));
        assert_eq!(b.peek(), ms(100));
        assert_eq!(
            waits(&mut b, 6),
            [ms(100), ms(200), ms(400), ms(700), ms(700), ms(700)]
        );
        b.reset();
        assert_eq!(waits(&mut b, 2), [ms(100), ms(200)]);
        assert_eq!((b.first(), b.cap()), (ms(100), ms(700)));
    }

    #[test]
    fn a_cap_below_the_first_wait_wins() {
        let mut b = Backoff::new(ms(500), ms(200));
        assert_eq!(waits(&mut b, 3), [ms(200); 3]);
    }

    #[test]
    fn never_overflows() {
        let mut b = Backoff::new(Duration::from_secs(u64::MAX / 2), Duration::MAX);
        for _ in 0..200 {
            b.next_wait();
        }
        assert_eq!(b.next_wait(), Duration::MAX);
    }

    #[test]
    fn a_lower_limit_caps_this_wait_and_the_next() {
        let mut b = Backoff::new(ms(200), ms(10_000));
        assert_eq!(waits(&mut b, 6).last(), Some(&ms(6_400)));
        // After long waits, a failure with a limit waits at most the limit...
        assert_eq!(b.next_wait_up_to(ms(2_000)), ms(2_000));
        assert_eq!(b.next_wait_up_to(ms(2_000)), ms(2_000));
        // ...and an unlimited one doubles on from there.
        assert_eq!(waits(&mut b, 3), [ms(2_000), ms(4_000), ms(8_000)]);
    }

    #[test]
    fn the_daemons_policies() {
        let s = Duration::from_secs;
        assert_eq!(
            waits(&mut Backoff::scanner(), 8),
            [
                ms(200),
                ms(400),
                ms(800),
                ms(1_600),
                ms(3_200),
                ms(6_400),
                s(10),
                s(10)
            ]
        );
        assert_eq!(
            waits(&mut Backoff::chain_connect(), 8),
            [ms(500), s(1), s(2), s(4), s(8), s(16), s(30), s(30)]
        );
        assert_eq!(
            waits(&mut Backoff::task_restart(s(8)), 6),
            [s(1), s(2), s(4), s(8), s(8), s(8)]
        );
        // A max_backoff below the first restart wait does not make restarts faster.
        assert_eq!(waits(&mut Backoff::task_restart(ms(10)), 2), [s(1), s(1)]);
        assert_eq!(
            waits(&mut Backoff::work_pass(s(2), s(20)), 5),
            [s(4), s(8), s(16), s(20), s(20)]
        );
        // A failing pass never waits less than the scan interval.
        assert_eq!(
            waits(&mut Backoff::work_pass(s(600), s(300)), 2),
            [s(600), s(600)]
        );
        assert_eq!(
            waits(&mut Backoff::handshake_retry(s(300)), 8),
            [s(5), s(10), s(20), s(40), s(80), s(160), s(300), s(300)]
        );
        assert_eq!(waits(&mut Backoff::handshake_retry(s(1)), 2), [s(1), s(1)]);
    }
}
