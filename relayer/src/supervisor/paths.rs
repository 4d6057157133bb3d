//! Path discovery and the tasks of one path: its two workers and its clearing.

use std::sync::Arc;
use std::time::Duration;

use stateset_channels::ids::{ChannelId, ConnectionId, PortId};
use stateset_channels::{HandshakeState, Ordering};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{info, info_span, warn, Instrument};

use crate::chain::ChainEndpoint;
use crate::client::scope::ClientScope;
use crate::handshake::DriveError;
use crate::relay::clear::clear;
use crate::relay::worker::{run_worker, WorkerSettings, WorkerSignals};
use crate::relay::{ChannelEnd, Path};
use crate::store::Store;
use crate::supervisor::tasks::Supervisor;

/// Every OPEN (or CLOSED) channel on `host` whose connection runs over a client of `source`
/// that the relayer serves (it created it, or the config lists it).
pub async fn discover_paths(
    host: &ChainEndpoint,
    source: &ChainEndpoint,
    scope: &ClientScope,
) -> Result<Vec<Path>, DriveError> {
    let clients = scope.clients_tracking(host, source.id()).await?.served;
    if clients.is_empty() {
        return Ok(Vec::new());
    }
    let mut connections = std::collections::HashMap::new();
    for c in host.grpc().connections().await? {
        let cp = c.counterparty.clone().unwrap_or_default();
        if clients.contains(&c.client_id)
            && HandshakeState::from_connection_state(c.state) == HandshakeState::Open
        {
            connections.insert(
                c.id.clone(),
                (c.client_id.clone(), cp.client_id, cp.connection_id),
            );
        }
    }
    let mut paths = Vec::new();
    for ch in host.grpc().channels().await? {
        // Closed channels stay served: packets sent before the close still need their
        // acknowledgements or a timeout on close.
        if !matches!(
            HandshakeState::from_channel_state(ch.state),
            HandshakeState::Open | HandshakeState::Closed
        ) {
            continue;
        }
        let Some(hop) = ch.connection_hops.first() else {
            continue;
        };
        let Some((client, cp_client, cp_conn)) = connections.get(hop) else {
            continue;
        };
        let cp = ch.counterparty.clone().unwrap_or_default();
        let parsed = (|| -> Option<Path> {
            Some(Path {
                a: ChannelEnd {
                    chain: host.id().to_string(),
                    port: ch.port_id.parse::<PortId>().ok()?,
                    channel: ch.channel_id.parse::<ChannelId>().ok()?,
                    connection: hop.parse::<ConnectionId>().ok()?,
                    client: client.clone(),
                },
                b: ChannelEnd {
                    chain: source.id().to_string(),
                    port: cp.port_id.parse::<PortId>().ok()?,
                    channel: cp.channel_id.parse::<ChannelId>().ok()?,
                    connection: cp_conn.parse::<ConnectionId>().ok()?,
                    client: cp_client.clone(),
                },
                ordering: Ordering::from_proto(ch.ordering)?,
            })
        })();
        if let Some(p) = parsed {
            paths.push(p);
        }
    }
    Ok(paths)
}

/// What the tasks of one path share: both chains, the store, and each chain's signals.
#[derive(Clone)]
pub struct PathContext {
    /// Chain A's endpoint and signals.
    pub a: ChainHandle,
    /// Chain B's endpoint and signals.
    pub b: ChainHandle,
    /// The store.
    pub store: Store,
    /// Clear every this many blocks of chain A.
    pub clear_every: u64,
    /// Failures of one packet's message before it is quarantined.
    pub quarantine_after: u32,
}

/// A connected chain as path tasks use it.
#[derive(Clone)]
pub struct ChainHandle {
    /// The endpoint.
    pub endpoint: ChainEndpoint,
    /// Notified after the chain's scanner recorded new blocks.
    pub wake: Arc<Notify>,
    /// Notified when the scanner handed a range of blocks to clearing.
    pub clear_now: Arc<Notify>,
}

/// Starts the supervised tasks of `path`: a worker per direction and a clearing task that
/// clears both directions on start, every `clear_every` blocks of chain A, and whenever a
/// scanner hands it a range it could not read.
pub fn spawn_path(supervisor: &Supervisor, ctx: PathContext, path: Path) {
    let name = path.name();
    info!(path = %name, ordering = ?path.ordering, "serving path");
    for (src, dst, p) in [
        (ctx.a.clone(), ctx.b.clone(), path.clone()),
        (ctx.b.clone(), ctx.a.clone(), path.reversed()),
    ] {
        let (store, shutdown) = (ctx.store.clone(), supervisor.shutdown().clone());
        let settings = WorkerSettings {
            quarantine_after: ctx.quarantine_after,
            honour_exclusions: true,
        };
        supervisor.spawn(format!("worker {}", p.name()), move || {
            let (src, dst, p, store, shutdown) = (
                src.clone(),
                dst.clone(),
                p.clone(),
                store.clone(),
                shutdown.clone(),
            );
            let span = info_span!("path", path = %p.name());
            async move {
                let signals = WorkerSignals {
                    wake: [src.wake.clone(), dst.wake.clone()],
                    clear_now: src.clear_now.clone(),
                };
                run_worker(
                    src.endpoint,
                    dst.endpoint,
                    p,
                    store,
                    signals,
                    settings,
                    shutdown,
                )
                .await?;
                Ok(())
            }
            .instrument(span)
        });
    }
    let shutdown = supervisor.shutdown().clone();
    supervisor.spawn(format!("clear {name}"), move || {
        let (ctx, path, shutdown) = (ctx.clone(), path.clone(), shutdown.clone());
        let span = info_span!("clear", path = %path.name());
        async move {
            run_clearing(ctx, path, shutdown).await;
            Ok(())
        }
        .instrument(span)
    });
}

/// Clears both directions of `path` now, then every `clear_every` blocks of chain A or
/// when either scanner asks, until shutdown.
async fn run_clearing(ctx: PathContext, path: Path, shutdown: CancellationToken) {
    let (a, b) = (&ctx.a.endpoint, &ctx.b.endpoint);
    let reversed = path.reversed();
    loop {
        for (src, dst, p) in [(a, b, &path), (b, a, &reversed)] {
            let outcome = tokio::select! {
                _ = shutdown.cancelled() => return,
                r = clear(src, dst, p, &ctx.store) => r,
            };
            match outcome {
                Ok(_) => {
                    ctx.a.wake.notify_waiters();
                    ctx.b.wake.notify_waiters();
                }
                Err(e) => {
                    warn!(path = %p.name(), error = %e, "clearing failed; retrying next round")
                }
            }
        }
        // Wait until chain A has produced `clear_every` more blocks, or a scanner asks.
        let start = a.rpc().latest_height().await.map(|h| h.value()).ok();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = ctx.a.clear_now.notified() => break,
                _ = ctx.b.clear_now.notified() => break,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            let now = a.rpc().latest_height().await.map(|h| h.value());
            match (start, now) {
                (Some(s), Ok(h)) if h >= s.saturating_add(ctx.clear_every) => break,
                // The first read failed: clear again once the chain answers.
                (None, Ok(_)) => break,
                _ => {}
            }
        }
    }
}
