//! Path discovery and the tasks of one path: its two workers and its clearing.

use std::sync::Arc;
use std::time::Duration;

use stateset_channels::ids::{ChannelId, ConnectionId, PortId};
use stateset_channels::{HandshakeState, Ordering};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{info, info_span, warn, Instrument};

use crate::chain::ChainEndpoint;
use crate::client::ops::clients_tracking;
use crate::handshake::DriveError;
use crate::relay::clear::clear;
use crate::relay::worker::run_worker;
use crate::relay::{ChannelEnd, Path};
use crate::store::Store;

/// Every OPEN (or CLOSED) channel on `host` whose connection runs over a client of `source`.
pub async fn discover_paths(
    host: &ChainEndpoint,
    source: &ChainEndpoint,
) -> Result<Vec<Path>, DriveError> {
    let clients = clients_tracking(host, source.id()).await?;
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

/// Spawns the tasks of `path` into `tasks`: a worker per direction and a clearing task that
/// clears both directions on start and then every `clear_every` blocks of chain A.
pub fn spawn_path(
    tasks: &mut JoinSet<()>,
    endpoints: (ChainEndpoint, ChainEndpoint),
    path: Path,
    store: Store,
    wake: (Arc<Notify>, Arc<Notify>),
    clear_every: u64,
    shutdown: CancellationToken,
) {
    let (a, b) = endpoints;
    let name = path.name();
    info!(path = %name, ordering = ?path.ordering, "serving path");
    let reversed = path.reversed();
    tasks.spawn(
        run_worker(
            a.clone(),
            b.clone(),
            path.clone(),
            store.clone(),
            [wake.0.clone(), wake.1.clone()],
            shutdown.clone(),
        )
        .instrument(info_span!("path", path = %name)),
    );
    tasks.spawn(
        run_worker(
            b.clone(),
            a.clone(),
            reversed.clone(),
            store.clone(),
            [wake.1.clone(), wake.0.clone()],
            shutdown.clone(),
        )
        .instrument(info_span!("path", path = %reversed.name())),
    );
    tasks.spawn(
        async move {
            loop {
                for (src, dst, p) in [(&a, &b, &path), (&b, &a, &reversed)] {
                    let run = clear(src, dst, p, &store);
                    let outcome = tokio::select! {
                        _ = shutdown.cancelled() => return,
                        r = run => r,
                    };
                    match outcome {
                        Ok(_) => wake.0.notify_waiters(),
                        Err(e) => warn!(path = %p.name(), error = %e, "clearing failed; retrying next round"),
                    }
                }
                // Wait until chain A has produced `clear_every` more blocks.
                let start = a.rpc().latest_height().await.map(|h| h.value()).unwrap_or(0);
                loop {
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                    match a.rpc().latest_height().await {
                        Ok(h) if h.value() >= start + clear_every => break,
                        _ => {}
                    }
                }
            }
        }
        .instrument(info_span!("clear", path = %name)),
    );
}
