//! The daemon's part of handshakes: connections and channels that others started (an
//! OpenInit sent by a user, a module such as interchain accounts, or another relayer) are
//! finished, and a channel closed on one end is closed on the other.

use std::collections::HashSet;

use stateset_channels::channel::ChannelSpec;
use stateset_channels::connection::ConnectionSpec;
use stateset_channels::ids::{ChannelId, ConnectionId, PortId};
use stateset_channels::HandshakeState;

use super::channel::{channel_view, open_channel, ChannelOutcome};
use super::connection::{connection_view, end_of, open_connection};
use super::{DriveError, Pair, Progress};
use crate::client;

/// What the completion scan remembers between passes.
#[derive(Debug, Default)]
pub struct CompletionMemory {
    /// Closed channels whose counterparty is known to be closed too.
    closed_done: HashSet<(String, String)>,
}

/// Finishes, from chain `pair.a`'s side, every connection and channel handshake toward
/// chain `pair.b` that is in INIT or TRYOPEN, and confirms closes. Returns how many
/// handshakes it finished. A handshake that fails is reported and the scan goes on; the
/// first error is returned at the end.
pub async fn complete_handshakes(
    pair: Pair<'_>,
    memory: &mut CompletionMemory,
    progress: Progress<'_>,
) -> Result<usize, DriveError> {
    let (x, y) = (pair.a, pair.b);
    let clients: HashSet<String> = client::ops::clients_tracking(x, y.id())
        .await?
        .into_iter()
        .collect();
    if clients.is_empty() {
        return Ok(0);
    }
    let mut finished = 0;
    let mut first_error = None;
    // Connection ends on x over a client of y: (id → counterparty connection id) when OPEN.
    let mut open_connections = std::collections::HashMap::new();
    for c in x.grpc().connections().await? {
        if !clients.contains(&c.client_id) {
            continue;
        }
        let id: ConnectionId = match c.id.parse() {
            Ok(id) => id,
            Err(_) => continue,
        };
        let view = connection_view(x.id(), &id, &end_of(&c))?;
        match view.state {
            HandshakeState::Open => {
                if let Some(cp) = view.counterparty_connection_id {
                    open_connections.insert(id, cp);
                }
            }
            HandshakeState::Init | HandshakeState::TryOpen => {
                let spec = ConnectionSpec {
                    a_client: view.client_id.clone(),
                    b_client: view.counterparty_client_id.clone(),
                };
                progress(&format!(
                    "{}: finishing connection {id} ({:?})",
                    x.id(),
                    view.state
                ));
                match open_connection(
                    pair,
                    &spec,
                    Some(id.clone()),
                    view.counterparty_connection_id.clone(),
                    progress,
                )
                .await
                {
                    Ok((a, b)) => {
                        finished += 1;
                        open_connections.insert(a, b);
                    }
                    Err(e) => {
                        progress(&format!("{}: connection {id}: {e}", x.id()));
                        first_error.get_or_insert(e);
                    }
                }
            }
            _ => {}
        }
    }
    for c in x.grpc().channels().await? {
        let end = &super::channel::end_of(&c);
        let (Ok(port), Ok(id)) = (
            c.port_id.parse::<PortId>(),
            c.channel_id.parse::<ChannelId>(),
        ) else {
            continue;
        };
        let view = match channel_view(x.id(), &port, &id, end) {
            Ok(v) => v,
            Err(_) => continue,
        };
        let Some(cp_conn) = open_connections.get(&view.connection_id) else {
            continue;
        };
        let key = (port.to_string(), id.to_string());
        let pending = match view.state {
            HandshakeState::Init | HandshakeState::TryOpen => true,
            HandshakeState::Closed => {
                view.counterparty_channel_id.is_some() && !memory.closed_done.contains(&key)
            }
            _ => false,
        };
        if !pending {
            continue;
        }
        let spec = ChannelSpec {
            a_port: view.port_id.clone(),
            b_port: view.counterparty_port_id.clone(),
            a_connection: view.connection_id.clone(),
            b_connection: cp_conn.clone(),
            ordering: view.ordering,
            // Whatever the applications negotiate (interchain accounts rewrite it on OpenTry).
            version: String::new(),
        };
        match open_channel(
            pair,
            &spec,
            Some(id.clone()),
            view.counterparty_channel_id.clone(),
            progress,
        )
        .await
        {
            Ok(ChannelOutcome::Open(a, b)) => {
                finished += 1;
                progress(&format!(
                    "{}: channel {port}/{a} <-> {}/{b} OPEN",
                    x.id(),
                    view.counterparty_port_id
                ));
            }
            Ok(ChannelOutcome::Closed(..)) => {
                if view.state != HandshakeState::Closed {
                    finished += 1;
                }
                memory.closed_done.insert(key);
            }
            Err(e) => {
                progress(&format!("{}: channel {port}/{id}: {e}", x.id()));
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(finished),
    }
}
