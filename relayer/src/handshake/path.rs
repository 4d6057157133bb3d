//! `create path`: clients, connection and channel between two chains in one go. Every step
//! starts from what the chains show, so running it again after an interruption finishes
//! the same path instead of starting a second one.

use std::time::Duration;

use stateset_channels::channel::ChannelSpec;
use stateset_channels::connection::ConnectionSpec;
use stateset_channels::ids::{ChannelId, ClientId, ConnectionId, PortId};
use stateset_channels::{HandshakeState, Ordering};

use super::channel::{channel_view, open_channel, ChannelOutcome};
use super::connection::{connection_view, open_connection};
use super::{DriveError, Pair, Progress};
use crate::chain::ChainEndpoint;
use crate::client::{self, ClientStatus};

/// What `create path` is asked for.
#[derive(Clone, Debug)]
pub struct PathRequest {
    /// Port on chain A.
    pub a_port: PortId,
    /// Port on chain B.
    pub b_port: PortId,
    /// Channel ordering.
    pub ordering: Ordering,
    /// Channel version (empty: whatever the applications negotiate).
    pub version: String,
    /// Trusting period of new clients (default: from the config or the unbonding period).
    pub trusting_period: Option<Duration>,
    /// Open a new channel even when one of this spec exists (else it is continued or
    /// reused).
    pub new_channel: bool,
}

/// The identifiers of an open path.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PathIds {
    /// Client of B on A.
    pub a_client: ClientId,
    /// Client of A on B.
    pub b_client: ClientId,
    /// Connection on A.
    pub a_connection: ConnectionId,
    /// Connection on B.
    pub b_connection: ConnectionId,
    /// Channel on A.
    pub a_channel: ChannelId,
    /// Channel on B.
    pub b_channel: ChannelId,
}

fn parse<T: std::str::FromStr>(chain: &str, what: &str, s: &str) -> Result<T, DriveError>
where
    T::Err: std::fmt::Display,
{
    s.parse()
        .map_err(|e| DriveError::unexpected(chain, format!("{what} `{s}`: {e}")))
}

/// A connection found on the chains: (progress rank, sequence, spec, end on A, end on B).
type ConnectionCandidate = (
    u8,
    u64,
    ConnectionSpec,
    Option<ConnectionId>,
    Option<ConnectionId>,
);

/// Opens (or finishes) a connection between A and B and returns its ends and clients.
pub async fn ensure_connection(
    pair: Pair<'_>,
    trusting_period: Option<Duration>,
    progress: Progress<'_>,
) -> Result<(ConnectionSpec, ConnectionId, ConnectionId), DriveError> {
    let (a, b) = (pair.a, pair.b);
    let a_clients = own_active_clients(a, b.id()).await?;
    let b_clients = own_active_clients(b, a.id()).await?;
    let known = |list: &[client::ClientSummary], id: &str| list.iter().any(|c| c.client_id == id);

    // A connection between two live clients, the furthest along first, newest first.
    let mut best: Option<ConnectionCandidate> = None;
    for (side_a, chain, own, other) in [
        (true, a, &a_clients, &b_clients),
        (false, b, &b_clients, &a_clients),
    ] {
        for c in chain.grpc().connections().await? {
            let end = super::connection::end_of(&c);
            let id: ConnectionId = parse(chain.id(), "connection id", &c.id)?;
            let view = connection_view(chain.id(), &id, &end)?;
            if !known(own, view.client_id.as_str())
                || !known(other, view.counterparty_client_id.as_str())
            {
                continue;
            }
            let rank = match view.state {
                HandshakeState::Open => 3,
                HandshakeState::TryOpen => 2,
                HandshakeState::Init => 1,
                _ => continue,
            };
            let seq = id.sequence().unwrap_or(0);
            let candidate = if side_a {
                let spec = ConnectionSpec {
                    a_client: view.client_id.clone(),
                    b_client: view.counterparty_client_id.clone(),
                };
                (
                    rank,
                    seq,
                    spec,
                    Some(id),
                    view.counterparty_connection_id.clone(),
                )
            } else {
                let spec = ConnectionSpec {
                    a_client: view.counterparty_client_id.clone(),
                    b_client: view.client_id.clone(),
                };
                (
                    rank,
                    seq,
                    spec,
                    view.counterparty_connection_id.clone(),
                    Some(id),
                )
            };
            if best
                .as_ref()
                .is_none_or(|b| (candidate.0, candidate.1) > (b.0, b.1))
            {
                best = Some(candidate);
            }
        }
    }
    let (spec, a_conn, b_conn) = match best {
        Some((_, _, spec, a_conn, b_conn)) => {
            progress(&format!(
                "continuing connection {} / {} (clients {} / {})",
                show(&a_conn),
                show(&b_conn),
                spec.a_client,
                spec.b_client
            ));
            (spec, a_conn, b_conn)
        }
        None => {
            let a_client = ensure_client(a, b, &a_clients, trusting_period, progress).await?;
            let b_client = ensure_client(b, a, &b_clients, trusting_period, progress).await?;
            (ConnectionSpec { a_client, b_client }, None, None)
        }
    };
    let (a_conn, b_conn) = open_connection(pair, &spec, a_conn, b_conn, progress).await?;
    progress(&format!(
        "connection {a_conn} ({}) <-> {b_conn} ({}) OPEN",
        a.id(),
        b.id()
    ));
    Ok((spec, a_conn, b_conn))
}

fn show<T: std::fmt::Display>(id: &Option<T>) -> String {
    id.as_ref()
        .map_or_else(|| "(none yet)".to_string(), T::to_string)
}

/// The Active clients of `tracked` on `host` that the relayer serves (it created them, or
/// the config lists them), oldest first. Clients others created are never reused: their
/// trusting period, clock drift and delay are theirs.
pub(super) async fn own_active_clients(
    host: &ChainEndpoint,
    tracked: &str,
) -> Result<Vec<client::ClientSummary>, DriveError> {
    let scope = client::scope::ClientScope::default();
    let mut own = Vec::new();
    for id in scope.clients_tracking(host, tracked).await?.served {
        let summary = client::summarize(host, &id).await?;
        if summary.status == ClientStatus::Active {
            own.push(summary);
        }
    }
    own.sort_by_key(|c| client::ops::client_sequence(&c.client_id));
    Ok(own)
}

/// Whether `client` has the parameters a client of `source` made now would have: the trust
/// threshold of the config and the trusting period asked for (or configured).
pub(super) fn matches_config(
    client: &client::ClientSummary,
    source: &ChainEndpoint,
    trusting_period: Option<Duration>,
) -> bool {
    let t = &source.config().trust_threshold;
    let wanted = trusting_period.or(source.config().trusting_period);
    client.trust_level == format!("{}/{}", t.numerator, t.denominator)
        && wanted.is_none_or(|w| w == client.trusting_period)
}

/// An Active client of `source` on `host` that the relayer created, whose parameters match
/// the config and that no connection uses yet (the newest), or a new one.
async fn ensure_client(
    host: &ChainEndpoint,
    source: &ChainEndpoint,
    active: &[client::ClientSummary],
    trusting_period: Option<Duration>,
    progress: Progress<'_>,
) -> Result<ClientId, DriveError> {
    for c in active.iter().rev() {
        if !matches_config(c, source, trusting_period) {
            continue;
        }
        if host
            .grpc()
            .client_connections(&c.client_id)
            .await?
            .is_empty()
        {
            progress(&format!(
                "{}: reusing client {} of {}",
                host.id(),
                c.client_id,
                source.id()
            ));
            return parse(host.id(), "client id", &c.client_id);
        }
    }
    let (id, tx) = client::create_client(host, source, trusting_period).await?;
    progress(&format!(
        "{}: created client {id} of {} (tx {} at height {})",
        host.id(),
        source.id(),
        tx.hash,
        tx.height
    ));
    parse(host.id(), "client id", &id)
}

/// Opens (or finishes) the channel of `request` over the connection `a_conn` / `b_conn`.
pub async fn ensure_channel(
    pair: Pair<'_>,
    request: &PathRequest,
    a_conn: &ConnectionId,
    b_conn: &ConnectionId,
    progress: Progress<'_>,
) -> Result<ChannelOutcome, DriveError> {
    let spec = ChannelSpec {
        a_port: request.a_port.clone(),
        b_port: request.b_port.clone(),
        a_connection: a_conn.clone(),
        b_connection: b_conn.clone(),
        ordering: request.ordering,
        version: request.version.clone(),
    };
    // An existing channel of this spec, the furthest along first, newest first.
    let mut best: Option<(u8, u64, Option<ChannelId>, Option<ChannelId>)> = None;
    let sides = match request.new_channel {
        true => Vec::new(),
        false => vec![
            (true, pair.a, a_conn, &spec.a_port, &spec.b_port),
            (false, pair.b, b_conn, &spec.b_port, &spec.a_port),
        ],
    };
    for (side_a, chain, conn, port, cp_port) in sides {
        for c in chain.grpc().connection_channels(conn.as_str()).await? {
            let end = &super::channel::end_of(&c);
            if c.port_id != port.as_str() {
                continue;
            }
            let id: ChannelId = parse(chain.id(), "channel id", &c.channel_id)?;
            let view = channel_view(chain.id(), port, &id, end)?;
            if &view.counterparty_port_id != cp_port || view.ordering != spec.ordering {
                continue;
            }
            if !spec.version.is_empty()
                && view.state == HandshakeState::Open
                && view.version != spec.version
            {
                continue;
            }
            let rank = match view.state {
                HandshakeState::Open => 3,
                HandshakeState::TryOpen => 2,
                HandshakeState::Init => 1,
                _ => continue,
            };
            let seq = id.sequence().unwrap_or(0);
            let candidate = if side_a {
                (rank, seq, Some(id), view.counterparty_channel_id.clone())
            } else {
                (rank, seq, view.counterparty_channel_id.clone(), Some(id))
            };
            if best
                .as_ref()
                .is_none_or(|b| (candidate.0, candidate.1) > (b.0, b.1))
            {
                best = Some(candidate);
            }
        }
    }
    let (a_chan, b_chan) = match best {
        Some((_, _, a_chan, b_chan)) => {
            progress(&format!(
                "continuing channel {} / {}",
                show(&a_chan),
                show(&b_chan)
            ));
            (a_chan, b_chan)
        }
        None => (None, None),
    };
    open_channel(pair, &spec, a_chan, b_chan, progress).await
}

/// Clients, connection and channel between A and B, created or finished as needed.
pub async fn create_path(
    pair: Pair<'_>,
    request: &PathRequest,
    progress: Progress<'_>,
) -> Result<PathIds, DriveError> {
    let (spec, a_conn, b_conn) = ensure_connection(pair, request.trusting_period, progress).await?;
    match ensure_channel(pair, request, &a_conn, &b_conn, progress).await? {
        ChannelOutcome::Open(a_channel, b_channel) => Ok(PathIds {
            a_client: spec.a_client,
            b_client: spec.b_client,
            a_connection: a_conn,
            b_connection: b_conn,
            a_channel,
            b_channel,
        }),
        ChannelOutcome::Closed(a, b) => Err(DriveError::unexpected(
            pair.a.id(),
            format!("channel {a} / {b} is closed"),
        )),
    }
}
