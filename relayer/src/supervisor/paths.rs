//! Path discovery and the tasks of one path: its two workers and its clearing.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ibc_proto::ibc::core::channel::v1::IdentifiedChannel;
use ibc_proto::ibc::core::connection::v1::IdentifiedConnection;
use stateset_channels::ids::ConnectionId;
use stateset_channels::{HandshakeState, Ordering};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{info, info_span, warn, Instrument};

use crate::chain::malformed::{Malformation, MalformedObject};
use crate::chain::ChainEndpoint;
use crate::client::scope::ClientScope;
use crate::handshake::DriveError;
use crate::relay::clear::clear;
use crate::relay::worker::{run_worker, WorkerSettings, WorkerSignals};
use crate::relay::{ChannelEnd, Path};
use crate::store::Store;
use crate::supervisor::tasks::Supervisor;

/// Every OPEN (or CLOSED) channel on `host` whose connection runs over a client of `source`
/// that the relayer serves (it created it, or the config lists it). Malformed connections
/// and channels over such clients are reported ([`MalformedObject::report`]) and skipped.
pub async fn discover_paths(
    host: &ChainEndpoint,
    source: &ChainEndpoint,
    scope: &ClientScope,
) -> Result<Vec<Path>, DriveError> {
    let clients = scope.clients_tracking(host, source.id()).await?.served;
    if clients.is_empty() {
        return Ok(Vec::new());
    }
    let mut connections = HashMap::new();
    for c in host.grpc().connections().await? {
        match served_connection(host.id(), &c, &clients) {
            Ok(Some(served)) => {
                connections.insert(c.id.clone(), served);
            }
            Ok(None) => {}
            Err(e) => e.report(),
        }
    }
    let mut paths = Vec::new();
    for ch in host.grpc().channels().await? {
        match path_of(host.id(), source.id(), &ch, &connections) {
            Ok(Some(p)) => paths.push(p),
            Ok(None) => {}
            Err(e) => e.report(),
        }
    }
    paths.extend(super::v2_paths::discover_v2_paths(host, source, scope, &clients).await?);
    Ok(paths)
}

/// An OPEN connection on the host over a served client: what its channels' paths need.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ServedConnection {
    id: ConnectionId,
    client: String,
    counterparty_client: String,
    counterparty_connection: ConnectionId,
}

/// Connection `c` of chain `chain` if it is OPEN over one of `clients`; `Ok(None)` when it
/// is not (not the relayer's, or not open yet), an error when it is but is malformed.
fn served_connection(
    chain: &str,
    c: &IdentifiedConnection,
    clients: &[String],
) -> Result<Option<ServedConnection>, MalformedObject> {
    if !clients.contains(&c.client_id)
        || HandshakeState::from_connection_state(c.state) != HandshakeState::Open
    {
        return Ok(None);
    }
    let bad = |reason| MalformedObject::connection(chain, &c.id, reason);
    let cp = c
        .counterparty
        .as_ref()
        .ok_or_else(|| bad(Malformation::Missing("counterparty")))?;
    if cp.connection_id.is_empty() {
        // An OPEN connection knows its counterparty's id.
        return Err(bad(Malformation::Missing("counterparty connection id")));
    }
    Ok(Some(ServedConnection {
        id: Malformation::parse("connection id", &c.id).map_err(bad)?,
        client: c.client_id.clone(),
        counterparty_client: cp.client_id.clone(),
        counterparty_connection: Malformation::parse(
            "counterparty connection id",
            &cp.connection_id,
        )
        .map_err(bad)?,
    }))
}

/// The path of channel `ch` on chain `host` toward `source` when it is OPEN or CLOSED over
/// one of `connections` (the served ones, by id); `Ok(None)` when it is not the relayer's
/// or has nothing to relay, an error when it is malformed.
fn path_of(
    host: &str,
    source: &str,
    ch: &IdentifiedChannel,
    connections: &HashMap<String, ServedConnection>,
) -> Result<Option<Path>, MalformedObject> {
    // Closed channels stay served: packets sent before the close still need their
    // acknowledgements or a timeout on close.
    let state = HandshakeState::from_channel_state(ch.state);
    if !matches!(state, HandshakeState::Open | HandshakeState::Closed) {
        return Ok(None);
    }
    let bad = |reason| MalformedObject::channel(host, &ch.port_id, &ch.channel_id, reason);
    let hop = ch
        .connection_hops
        .first()
        .ok_or_else(|| bad(Malformation::Missing("connection hops")))?;
    let Some(conn) = connections.get(hop) else {
        return Ok(None);
    };
    let cp = ch
        .counterparty
        .as_ref()
        .ok_or_else(|| bad(Malformation::Missing("counterparty")))?;
    if cp.channel_id.is_empty() {
        // An OPEN channel knows its counterparty's id; a CLOSED one without it was closed
        // before it opened, and no packet ever went through it.
        return match state {
            HandshakeState::Closed => Ok(None),
            _ => Err(bad(Malformation::Missing("counterparty channel id"))),
        };
    }
    let ordering = Ordering::from_proto(ch.ordering).ok_or_else(|| {
        bad(Malformation::Invalid {
            field: "ordering",
            value: ch.ordering.to_string(),
            detail: "neither ORDER_UNORDERED nor ORDER_ORDERED".into(),
        })
    })?;
    Ok(Some(Path {
        a: ChannelEnd {
            chain: host.to_string(),
            port: Malformation::parse("port id", &ch.port_id).map_err(bad)?,
            channel: Malformation::parse("channel id", &ch.channel_id).map_err(bad)?,
            connection: conn.id.clone(),
            client: conn.client.clone(),
        },
        b: ChannelEnd {
            chain: source.to_string(),
            port: Malformation::parse("counterparty port id", &cp.port_id).map_err(bad)?,
            channel: Malformation::parse("counterparty channel id", &cp.channel_id).map_err(bad)?,
            connection: conn.counterparty_connection.clone(),
            client: conn.counterparty_client.clone(),
        },
        ordering,
    }))
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
    /// Relay passes in flight at once per direction (`daemon.pipeline_depth`).
    pub pipeline_depth: usize,
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
            pipeline_depth: ctx.pipeline_depth,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::malformed::ObjectKind;
    use ibc_proto::ibc::core::channel::v1::{
        Counterparty as ChannelCounterparty, Order, State as ChannelState,
    };
    use ibc_proto::ibc::core::connection::v1::{
        Counterparty as ConnectionCounterparty, State as ConnectionState,
    };

    fn connection(
        client: &str,
        state: ConnectionState,
        cp: Option<(&str, &str)>,
    ) -> IdentifiedConnection {
        IdentifiedConnection {
            id: "connection-0".into(),
            client_id: client.into(),
            state: state as i32,
            counterparty: cp.map(|(client_id, connection_id)| ConnectionCounterparty {
                client_id: client_id.into(),
                connection_id: connection_id.into(),
                prefix: None,
            }),
            ..Default::default()
        }
    }

    fn served() -> Vec<String> {
        vec!["07-tendermint-0".to_string()]
    }

    #[test]
    fn connections_of_others_or_not_open_are_not_ours() {
        let other = connection(
            "07-tendermint-9",
            ConnectionState::Open,
            Some(("07-tendermint-1", "connection-4")),
        );
        assert_eq!(served_connection("a", &other, &served()), Ok(None));
        let init = connection("07-tendermint-0", ConnectionState::Init, None);
        assert_eq!(served_connection("a", &init, &served()), Ok(None));
        // Another party's connection is not looked at, malformed or not.
        let broken = connection("07-tendermint-9", ConnectionState::Open, None);
        assert_eq!(served_connection("a", &broken, &served()), Ok(None));
    }

    #[test]
    fn a_served_open_connection_gives_its_counterparty() {
        let c = connection(
            "07-tendermint-0",
            ConnectionState::Open,
            Some(("07-tendermint-1", "connection-4")),
        );
        let s = served_connection("a", &c, &served()).unwrap().unwrap();
        assert_eq!(s.id.as_str(), "connection-0");
        assert_eq!(s.counterparty_connection.as_str(), "connection-4");
        assert_eq!(
            (s.client.as_str(), s.counterparty_client.as_str()),
            ("07-tendermint-0", "07-tendermint-1")
        );
    }

    #[test]
    fn a_served_open_connection_without_counterparty_is_malformed() {
        for (cp, reason) in [
            (None, "counterparty missing"),
            (
                Some(("07-tendermint-1", "")),
                "counterparty connection id missing",
            ),
            (
                Some(("07-tendermint-1", "c!")),
                "counterparty connection id `c!` is invalid",
            ),
        ] {
            let c = connection("07-tendermint-0", ConnectionState::Open, cp);
            let e = served_connection("chain-a", &c, &served()).unwrap_err();
            assert_eq!(e.kind, ObjectKind::Connection);
            assert_eq!(
                (e.chain.as_str(), e.object.as_str()),
                ("chain-a", "connection-0")
            );
            assert!(e.to_string().contains(reason), "{e}");
        }
    }

    fn channel(
        state: ChannelState,
        hop: Option<&str>,
        cp: Option<(&str, &str)>,
    ) -> IdentifiedChannel {
        IdentifiedChannel {
            state: state as i32,
            ordering: Order::Unordered as i32,
            counterparty: cp.map(|(port_id, channel_id)| ChannelCounterparty {
                port_id: port_id.into(),
                channel_id: channel_id.into(),
            }),
            connection_hops: hop.map(|h| vec![h.to_string()]).unwrap_or_default(),
            version: "ics20-1".into(),
            port_id: "transfer".into(),
            channel_id: "channel-0".into(),
            upgrade_sequence: 0,
        }
    }

    fn connections() -> HashMap<String, ServedConnection> {
        let c = ServedConnection {
            id: "connection-0".parse().unwrap(),
            client: "07-tendermint-0".into(),
            counterparty_client: "07-tendermint-1".into(),
            counterparty_connection: "connection-4".parse().unwrap(),
        };
        HashMap::from([("connection-0".to_string(), c)])
    }

    #[test]
    fn open_and_closed_channels_over_served_connections_are_paths() {
        for state in [ChannelState::Open, ChannelState::Closed] {
            let ch = channel(state, Some("connection-0"), Some(("transfer", "channel-7")));
            let p = path_of("a", "b", &ch, &connections()).unwrap().unwrap();
            assert_eq!((p.a.chain.as_str(), p.b.chain.as_str()), ("a", "b"));
            assert_eq!(
                (
                    p.a.channel.as_str(),
                    p.b.channel.as_str(),
                    p.b.connection.as_str()
                ),
                ("channel-0", "channel-7", "connection-4")
            );
            assert_eq!(p.ordering, Ordering::Unordered);
        }
    }

    #[test]
    fn channels_that_are_not_ours_are_skipped_silently() {
        let conns = connections();
        // Still in the handshake.
        let ch = channel(
            ChannelState::Init,
            Some("connection-0"),
            Some(("transfer", "")),
        );
        assert_eq!(path_of("a", "b", &ch, &conns), Ok(None));
        // Over a connection that is not served, even without a counterparty.
        let ch = channel(ChannelState::Open, Some("connection-9"), None);
        assert_eq!(path_of("a", "b", &ch, &conns), Ok(None));
        // Closed before it ever opened: nothing went through it.
        let ch = channel(
            ChannelState::Closed,
            Some("connection-0"),
            Some(("transfer", "")),
        );
        assert_eq!(path_of("a", "b", &ch, &conns), Ok(None));
    }

    #[test]
    fn malformed_channels_over_served_connections_are_errors() {
        let conns = connections();
        let mut unknown_order = channel(
            ChannelState::Open,
            Some("connection-0"),
            Some(("transfer", "channel-7")),
        );
        unknown_order.ordering = 0;
        let mut bad_port = channel(
            ChannelState::Open,
            Some("connection-0"),
            Some(("transfer", "channel-7")),
        );
        bad_port.port_id = "t".into();
        for (ch, reason) in [
            (
                channel(ChannelState::Open, None, Some(("transfer", "channel-7"))),
                "connection hops missing",
            ),
            (
                channel(ChannelState::Open, Some("connection-0"), None),
                "counterparty missing",
            ),
            (
                channel(
                    ChannelState::Open,
                    Some("connection-0"),
                    Some(("transfer", "")),
                ),
                "counterparty channel id missing",
            ),
            (
                channel(
                    ChannelState::Open,
                    Some("connection-0"),
                    Some(("x", "channel-7")),
                ),
                "counterparty port id `x` is invalid",
            ),
            (unknown_order, "ordering `0` is invalid"),
            (bad_port, "port id `t` is invalid"),
        ] {
            let e = path_of("chain-a", "b", &ch, &conns).unwrap_err();
            assert_eq!(e.kind, ObjectKind::Channel);
            assert_eq!(e.chain, "chain-a");
            assert!(e.to_string().contains(reason), "{e}: expected {reason}");
        }
    }
}
