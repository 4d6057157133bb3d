//! The gRPC side: a TCP forwarder that follows the HTTP/2 frames the client sends, so
//! that faults are drawn per request: once for every HEADERS frame (a new gRPC call), not
//! for control frames. A chunk carrying requests waits the longest of their delays,
//! counted from its arrival; chunks keep their order, like a link with jitter (delays
//! overlap rather than add up, but a late chunk holds up those behind it). A drop closes
//! both sides and a reset resets both when the faulty chunk's turn comes, failing every
//! call in flight on the connection, as losing an HTTP/2 connection does.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{bump, Decision, Fault, Shared};

/// Counts the HEADERS frames in the client's byte stream, across chunk boundaries.
struct FrameCounter {
    /// Bytes of the connection preface still to skip.
    preface_left: usize,
    /// The frame header being read (9 bytes).
    header: Vec<u8>,
    /// Payload bytes of the current frame still to skip.
    payload_left: usize,
}

impl FrameCounter {
    fn new() -> Self {
        FrameCounter {
            preface_left: b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".len(),
            header: Vec::with_capacity(9),
            payload_left: 0,
        }
    }

    /// The number of HEADERS frames that start in `data`.
    fn headers_in(&mut self, data: &[u8]) -> usize {
        let mut at = 0;
        let mut count = 0;
        while at < data.len() {
            let left = data.len() - at;
            if self.preface_left > 0 {
                let k = self.preface_left.min(left);
                self.preface_left -= k;
                at += k;
            } else if self.payload_left > 0 {
                let k = self.payload_left.min(left);
                self.payload_left -= k;
                at += k;
            } else {
                let k = (9 - self.header.len()).min(left);
                self.header.extend_from_slice(&data[at..at + k]);
                at += k;
                if self.header.len() == 9 {
                    let h = &self.header;
                    self.payload_left =
                        (usize::from(h[0]) << 16) | (usize::from(h[1]) << 8) | usize::from(h[2]);
                    if h[3] == 0x1 {
                        count += 1;
                    }
                    self.header.clear();
                }
            }
        }
        count
    }
}

/// How the client→node direction ended.
enum End {
    Drop,
    Reset,
    Failed,
}

/// What the reading side hands to the writing side.
enum Chunk {
    Data {
        due: Instant,
        bytes: Vec<u8>,
        fault: Fault,
    },
    /// The client finished sending.
    Eof,
}

/// How long an "after" fault lets the node work on the request (its answers discarded)
/// before cutting.
const AFTER: Duration = Duration::from_millis(100);

/// Chunks read but not yet forwarded, at most.
const QUEUE: usize = 256;

pub(super) async fn serve_connection(client: TcpStream, shared: &Shared) {
    let connect = tokio::time::timeout(
        Duration::from_secs(5),
        TcpStream::connect(shared.upstream()),
    );
    let upstream = match connect.await {
        Ok(Ok(s)) => s,
        _ => {
            bump(&shared.counters.upstream_errors);
            return;
        }
    };
    let _ = upstream.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut node_read, mut node_write) = upstream.into_split();
    let (queue, mut queued) = mpsc::channel::<Chunk>(QUEUE);
    // Set when a fault lets the node see a request but loses what it answers.
    let muted = AtomicBool::new(false);
    let read = async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut frames = FrameCounter::new();
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) => {
                    let _ = queue.send(Chunk::Eof).await;
                    return;
                }
                Ok(n) => n,
                Err(_) => return,
            };
            let mode = shared.mode();
            let mut decision = Decision {
                fault: Fault::None,
                delay: Duration::ZERO,
            };
            for _ in 0..frames.headers_in(&buf[..n]) {
                bump(&shared.counters.requests);
                let d = shared.decide(&mode);
                if !d.delay.is_zero() {
                    bump(&shared.counters.delayed);
                }
                decision.delay = decision.delay.max(d.delay);
                if decision.fault == Fault::None {
                    decision.fault = d.fault;
                }
            }
            let chunk = Chunk::Data {
                due: Instant::now() + decision.delay,
                bytes: buf[..n].to_vec(),
                fault: decision.fault,
            };
            let last = matches!(decision.fault, Fault::Drop { .. } | Fault::Reset { .. });
            if queue.send(chunk).await.is_err() || last {
                return;
            }
        }
    };
    let write = async {
        while let Some(chunk) = queued.recv().await {
            let (due, bytes, fault) = match chunk {
                Chunk::Data { due, bytes, fault } => (due, bytes, fault),
                Chunk::Eof => {
                    // The client is done sending; let the answers finish.
                    let _ = node_write.shutdown().await;
                    return std::future::pending::<End>().await;
                }
            };
            tokio::time::sleep_until(due).await;
            match fault {
                Fault::Drop { after: false } => return End::Drop,
                Fault::Reset { after: false } => return End::Reset,
                _ => {}
            }
            let after = matches!(
                fault,
                Fault::Drop { after: true } | Fault::Reset { after: true }
            );
            if after {
                // The node gets the request; its answer is lost.
                muted.store(true, Ordering::Relaxed);
            }
            if node_write.write_all(&bytes).await.is_err() {
                return End::Failed;
            }
            bump(&shared.counters.forwarded);
            if after {
                tokio::time::sleep(AFTER).await;
                return match fault {
                    Fault::Reset { .. } => End::Reset,
                    _ => End::Drop,
                };
            }
        }
        End::Failed
    };
    // The writing side decides how the connection ends; the reading side may finish
    // first (client done, or a faulty chunk queued) and must not end it.
    let up = async {
        tokio::pin!(read);
        tokio::pin!(write);
        let mut reading = true;
        loop {
            tokio::select! {
                () = &mut read, if reading => reading = false,
                end = &mut write => return end,
            }
        }
    };
    let down = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match node_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if muted.load(Ordering::Relaxed) {
                continue;
            }
            if client_write.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let end = tokio::select! {
        end = up => Some(end),
        _ = down => None,
    };
    match end {
        Some(End::Drop) => bump(&shared.counters.dropped),
        Some(End::Reset) => {
            bump(&shared.counters.resets);
            let _ = client_write.as_ref().set_zero_linger();
            let _ = node_write.as_ref().set_zero_linger();
        }
        Some(End::Failed) | None => {}
    }
    // Dropping the halves closes both connections.
}

#[cfg(test)]
mod tests {
    use super::FrameCounter;

    fn frame(kind: u8, payload: usize) -> Vec<u8> {
        let mut f = vec![
            (payload >> 16) as u8,
            (payload >> 8) as u8,
            payload as u8,
            kind,
            0,
        ];
        f.extend_from_slice(&[0, 0, 0, 1]);
        f.extend(std::iter::repeat_n(7u8, payload));
        f
    }

    #[test]
    fn headers_frames_are_counted_across_chunks() {
        let mut stream = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        stream.extend(frame(0x4, 12)); // SETTINGS
        stream.extend(frame(0x1, 40)); // HEADERS
        stream.extend(frame(0x0, 300)); // DATA
        stream.extend(frame(0x8, 4)); // WINDOW_UPDATE
        stream.extend(frame(0x1, 1)); // HEADERS
        let mut whole = FrameCounter::new();
        assert_eq!(whole.headers_in(&stream), 2);
        for size in [1, 5, 9, 10, 64] {
            let mut pieces = FrameCounter::new();
            let n: usize = stream.chunks(size).map(|c| pieces.headers_in(c)).sum();
            assert_eq!(n, 2, "chunks of {size}");
        }
    }
}
