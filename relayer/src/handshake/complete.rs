//! The daemon's part of handshakes: connections and channels that others started (an
//! OpenInit sent by a user, a module such as interchain accounts, or another relayer) are
//! finished, and a channel closed on one end is closed on the other.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use stateset_channels::channel::ChannelSpec;
use stateset_channels::connection::ConnectionSpec;
use stateset_channels::ids::{ChannelId, ConnectionId, PortId};
use stateset_channels::HandshakeState;

use super::channel::{channel_view, open_channel, ChannelOutcome};
use super::connection::{connection_view, end_of, open_connection};
use super::{DriveError, Pair, Progress};
use crate::client::scope::ClientScope;
use tracing::{debug, warn};

/// What the completion scan remembers between passes.
#[derive(Debug, Default)]
pub struct CompletionMemory {
    /// Closed channels whose counterparty is known to be closed too.
    closed_done: HashSet<(String, String)>,
    /// Handshakes that failed, backed off until their next try.
    failing: HashMap<String, Failing>,
    /// When each channel end in INIT was first seen: a fresh INIT is left a moment to the
    /// party that opened it (a CLI or another relayer answering it too would make two
    /// TRYOPEN ends).
    first_seen: HashMap<String, Instant>,
}

/// How long a channel INIT is left to whoever opened it before the daemon answers it.
const FRESH_INIT_GRACE: Duration = Duration::from_secs(3);

/// A handshake that keeps failing: how often, and when to try it again.
#[derive(Debug, Clone, Copy)]
struct Failing {
    failures: u32,
    next_try: Instant,
}

/// The first wait after a handshake failed; doubled on each further failure.
const FIRST_RETRY: Duration = Duration::from_secs(5);

impl CompletionMemory {
    /// Whether the handshake `key` may be tried now.
    fn due(&self, key: &str) -> bool {
        self.failing
            .get(key)
            .is_none_or(|f| Instant::now() >= f.next_try)
    }

    /// Records a failure of `key`; returns whether it is the first (reported as a warning;
    /// later ones only at debug level) and the wait before the next try.
    fn failed(&mut self, key: &str, max_backoff: Duration) -> (bool, Duration) {
        let f = self.failing.entry(key.to_string()).or_insert(Failing {
            failures: 0,
            next_try: Instant::now(),
        });
        f.failures = f.failures.saturating_add(1);
        let wait = FIRST_RETRY
            .saturating_mul(1u32 << f.failures.saturating_sub(1).min(16))
            .min(max_backoff);
        f.next_try = Instant::now() + wait;
        (f.failures == 1, wait)
    }

    /// Forgets the failures of `key` (it finished).
    fn succeeded(&mut self, key: &str) {
        self.failing.remove(key);
    }
}

/// Reports a failed handshake once, then backs it off.
fn report_failure(
    memory: &mut CompletionMemory,
    chain: &str,
    key: &str,
    error: &DriveError,
    max_backoff: Duration,
) {
    let (first, wait) = memory.failed(key, max_backoff);
    stateset_monitoring::global()
        .work_failures
        .with_label_values(&[chain, "handshake"])
        .inc();
    if first {
        warn!(chain, handshake = key, error = %error, retry_in = ?wait,
            "handshake completion failed; backing off");
    } else {
        debug!(chain, handshake = key, error = %error, retry_in = ?wait,
            "handshake completion failed again");
    }
}

/// Finishes, from chain `pair.a`'s side, every connection and channel handshake toward
/// chain `pair.b` that is in INIT or TRYOPEN, and confirms closes. Only handshakes over
/// clients the relayer serves (`scope`) and, for channels, on ports both chains' configs
/// allow are touched. Returns how many handshakes it finished. A handshake that fails is
/// reported once and backed off (up to `max_backoff`); the scan goes on.
pub async fn complete_handshakes(
    pair: Pair<'_>,
    memory: &mut CompletionMemory,
    scope: &ClientScope,
    max_backoff: Duration,
    progress: Progress<'_>,
) -> Result<usize, DriveError> {
    let (x, y) = (pair.a, pair.b);
    let clients: HashSet<String> = scope
        .clients_tracking(x, y.id())
        .await?
        .served
        .into_iter()
        .collect();
    if clients.is_empty() {
        return Ok(0);
    }
    let mut finished = 0;
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
            HandshakeState::Init | HandshakeState::TryOpen if memory.due(id.as_str()) => {
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
                        memory.succeeded(id.as_str());
                        open_connections.insert(a, b);
                    }
                    Err(e) => report_failure(memory, x.id(), id.as_str(), &e, max_backoff),
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
        let allowed = x.config().serve.allows_port(port.as_str())
            && y.config()
                .serve
                .allows_port(view.counterparty_port_id.as_str());
        let key = (port.to_string(), id.to_string());
        let name = format!("{port}/{id}");
        if !allowed || !memory.due(&name) {
            continue;
        }
        if view.state == HandshakeState::Init {
            let seen = *memory
                .first_seen
                .entry(name.clone())
                .or_insert_with(Instant::now);
            if seen.elapsed() < FRESH_INIT_GRACE {
                continue;
            }
        }
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
                memory.succeeded(&name);
                memory.first_seen.remove(&name);
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
                memory.succeeded(&name);
                memory.closed_done.insert(key);
            }
            Err(e) => report_failure(memory, x.id(), &name, &e, max_backoff),
        }
    }
    Ok(finished)
}
