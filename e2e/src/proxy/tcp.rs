//! The gRPC side: a TCP forwarder. Faults are drawn per chunk of bytes the client sends
//! (for gRPC roughly one request, or an HTTP/2 control frame). A chunk's delay counts from
//! its arrival and chunks keep their order, like a link with jitter: delays overlap
//! rather than add up, but a late chunk holds up the ones behind it. A drop closes both
//! sides and a reset resets both, when the faulty chunk's turn comes.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{bump, Fault, Shared};

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

/// How long an "after" fault lets the node work on the request before cutting.
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
    let read = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) => {
                    let _ = queue.send(Chunk::Eof).await;
                    return;
                }
                Ok(n) => n,
                Err(_) => return,
            };
            bump(&shared.counters.requests);
            let mode = shared.mode();
            let decision = shared.decide(&mode);
            if !decision.delay.is_zero() {
                bump(&shared.counters.delayed);
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
            if node_write.write_all(&bytes).await.is_err() {
                return End::Failed;
            }
            match fault {
                Fault::Drop { after: true } => {
                    tokio::time::sleep(AFTER).await;
                    return End::Drop;
                }
                Fault::Reset { after: true } => {
                    tokio::time::sleep(AFTER).await;
                    return End::Reset;
                }
                _ => {}
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
    let down = tokio::io::copy(&mut node_read, &mut client_write);
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
