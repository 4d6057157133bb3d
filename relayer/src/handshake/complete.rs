//! The daemon's part of handshakes: connections and channels that others started (an
//! OpenInit sent by a user, a module such as interchain accounts, or another relayer) are
//! finished, and a channel closed on one end is closed on the other.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use ibc_proto::ibc::core::channel::v1::IdentifiedChannel;
use ibc_proto::ibc::core::connection::v1::IdentifiedConnection;
use stateset_channels::channel::{ChannelEndView, ChannelSpec};
use stateset_channels::connection::{ConnectionEndView, ConnectionSpec};
use stateset_channels::ids::{ChannelId, ConnectionId, PortId};
use stateset_channels::HandshakeState;

use super::channel::{channel_view, open_channel, ChannelOutcome};
use super::connection::{connection_view, end_of, open_connection};
use super::{DriveError, Pair, Progress};
use crate::backoff::Backoff;
use crate::chain::malformed::{Malformation, MalformedObject};
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

/// A handshake that keeps failing: its backoff ([`Backoff::handshake_retry`]), and when to
/// try it again.
#[derive(Debug, Clone, Copy)]
struct Failing {
    backoff: Backoff,
    next_try: Instant,
}

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
        let mut first = false;
        let f = self.failing.entry(key.to_string()).or_insert_with(|| {
            first = true;
            Failing {
                backoff: Backoff::handshake_retry(max_backoff),
                next_try: Instant::now(),
            }
        });
        let wait = f.backoff.next_wait();
        f.next_try = Instant::now() + wait;
        (first, wait)
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
    let mut open_connections = HashMap::new();
    for c in x.grpc().connections().await? {
        let view = match connection_to_complete(x.id(), &c, &clients) {
            Ok(Some(view)) => view,
            Ok(None) => continue,
            Err(e) => {
                e.report();
                continue;
            }
        };
        let id = view.id.clone();
        match view.state {
            HandshakeState::Open => {
                if let Some(cp) = view.counterparty_connection_id {
                    open_connections.insert(id.to_string(), cp);
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
                        open_connections.insert(a.to_string(), b);
                    }
                    Err(e) => report_failure(memory, x.id(), id.as_str(), &e, max_backoff),
                }
            }
            _ => {}
        }
    }
    for c in x.grpc().channels().await? {
        let serves = |port: &str| x.config().serve.allows_port(port);
        let (view, cp_conn) = match channel_to_complete(x.id(), &c, &open_connections, serves) {
            Ok(Some(found)) => found,
            Ok(None) => continue,
            Err(e) => {
                e.report();
                continue;
            }
        };
        let (port, id) = (view.port_id.clone(), view.channel_id.clone());
        let allowed = y
            .config()
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

/// The view of connection `c` of chain `chain` when it runs over one of `clients` (the
/// served ones); `Ok(None)` when it does not (not the relayer's), an error when it does but
/// is malformed.
fn connection_to_complete(
    chain: &str,
    c: &IdentifiedConnection,
    clients: &HashSet<String>,
) -> Result<Option<ConnectionEndView>, MalformedObject> {
    if !clients.contains(&c.client_id) {
        return Ok(None);
    }
    let id: ConnectionId = Malformation::parse("connection id", &c.id)
        .map_err(|reason| MalformedObject::connection(chain, &c.id, reason))?;
    connection_view(chain, &id, &end_of(c)).map(Some)
}

/// The view of channel `c` of chain `chain` and the counterparty of its connection, when
/// that connection is one of `open_connections` (OPEN, over a served client: id →
/// counterparty connection id) and `serves_port` its port; `Ok(None)` when it is not (not
/// the relayer's), an error when the channel is malformed.
fn channel_to_complete<'a>(
    chain: &str,
    c: &IdentifiedChannel,
    open_connections: &'a HashMap<String, ConnectionId>,
    serves_port: impl Fn(&str) -> bool,
) -> Result<Option<(ChannelEndView, &'a ConnectionId)>, MalformedObject> {
    let bad = |reason| MalformedObject::channel(chain, &c.port_id, &c.channel_id, reason);
    let hop = c
        .connection_hops
        .first()
        .ok_or_else(|| bad(Malformation::Missing("connection hops")))?;
    let Some(cp_conn) = open_connections.get(hop) else {
        return Ok(None);
    };
    if !serves_port(&c.port_id) {
        return Ok(None);
    }
    let port: PortId = Malformation::parse("port id", &c.port_id).map_err(bad)?;
    let id: ChannelId = Malformation::parse("channel id", &c.channel_id).map_err(bad)?;
    let view = channel_view(chain, &port, &id, &super::channel::end_of(c))?;
    Ok(Some((view, cp_conn)))
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

    #[test]
    fn a_failing_handshake_is_warned_once_and_backed_off_per_key() {
        let mut m = CompletionMemory::default();
        let s = Duration::from_secs;
        let max = s(30);
        let waits: Vec<_> = (0..5).map(|_| m.failed("connection-0", max)).collect();
        assert_eq!(
            waits,
            [
                (true, s(5)),
                (false, s(10)),
                (false, s(20)),
                (false, s(30)),
                (false, s(30))
            ]
        );
        assert!(!m.due("connection-0"));
        // Another handshake has a backoff of its own.
        assert_eq!(m.failed("transfer/channel-0", max), (true, s(5)));
        m.succeeded("connection-0");
        assert!(m.due("connection-0"));
        assert_eq!(m.failed("connection-0", max), (true, s(5)));
    }

    fn clients() -> HashSet<String> {
        HashSet::from(["07-tendermint-0".to_string()])
    }

    fn connection(id: &str, client: &str, cp: Option<&str>) -> IdentifiedConnection {
        IdentifiedConnection {
            id: id.into(),
            client_id: client.into(),
            state: ConnectionState::Init as i32,
            counterparty: cp.map(|client_id| ConnectionCounterparty {
                client_id: client_id.into(),
                connection_id: String::new(),
                prefix: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn connections_over_other_clients_are_not_ours() {
        let c = connection("connection-0", "07-tendermint-9", None);
        assert_eq!(connection_to_complete("a", &c, &clients()), Ok(None));
        let c = connection("connection-0", "07-tendermint-0", Some("07-tendermint-1"));
        let view = connection_to_complete("a", &c, &clients())
            .unwrap()
            .unwrap();
        assert_eq!(view.state, HandshakeState::Init);
        assert_eq!(view.counterparty_connection_id, None);
    }

    #[test]
    fn malformed_served_connections_are_errors() {
        for (c, reason) in [
            (
                connection("conn", "07-tendermint-0", Some("07-tendermint-1")),
                "connection id `conn` is invalid",
            ),
            (
                connection("connection-0", "07-tendermint-0", None),
                "counterparty missing",
            ),
            (
                connection("connection-0", "07-tendermint-0", Some("x")),
                "counterparty client id `x` is invalid",
            ),
        ] {
            let e = connection_to_complete("chain-a", &c, &clients()).unwrap_err();
            assert_eq!(
                (e.kind, e.chain.as_str()),
                (ObjectKind::Connection, "chain-a")
            );
            assert!(e.to_string().contains(reason), "{e}: expected {reason}");
        }
    }

    fn channel(port: &str, hop: Option<&str>, cp: Option<&str>) -> IdentifiedChannel {
        IdentifiedChannel {
            state: ChannelState::Init as i32,
            ordering: Order::Ordered as i32,
            counterparty: cp.map(|port_id| ChannelCounterparty {
                port_id: port_id.into(),
                channel_id: String::new(),
            }),
            connection_hops: hop.map(|h| vec![h.to_string()]).unwrap_or_default(),
            version: String::new(),
            port_id: port.into(),
            channel_id: "channel-3".into(),
            upgrade_sequence: 0,
        }
    }

    fn open_connections() -> HashMap<String, ConnectionId> {
        HashMap::from([("connection-0".to_string(), "connection-4".parse().unwrap())])
    }

    fn serves(port: &str) -> bool {
        port.starts_with("icahost") || port == "transfer"
    }

    #[test]
    fn channels_over_other_connections_or_ports_are_not_ours() {
        let conns = open_connections();
        let ch = channel("transfer", Some("connection-9"), None);
        assert_eq!(channel_to_complete("a", &ch, &conns, serves), Ok(None));
        let ch = channel("wasm.contract", Some("connection-0"), None);
        assert_eq!(channel_to_complete("a", &ch, &conns, serves), Ok(None));
        let ch = channel("icahost", Some("connection-0"), Some("icacontroller-x"));
        let (view, cp_conn) = channel_to_complete("a", &ch, &conns, serves)
            .unwrap()
            .unwrap();
        assert_eq!(cp_conn.as_str(), "connection-4");
        assert_eq!(view.counterparty_port_id.as_str(), "icacontroller-x");
        assert_eq!(view.counterparty_channel_id, None);
    }

    #[test]
    fn malformed_channels_of_ours_are_errors() {
        let conns = open_connections();
        for (ch, reason) in [
            (
                channel("transfer", None, Some("transfer")),
                "connection hops missing",
            ),
            (
                channel("transfer", Some("connection-0"), None),
                "counterparty missing",
            ),
            (
                channel("transfer", Some("connection-0"), Some("x")),
                "counterparty port id `x` is invalid",
            ),
        ] {
            let e = channel_to_complete("chain-a", &ch, &conns, serves).unwrap_err();
            assert_eq!(
                (e.kind, e.object.as_str()),
                (ObjectKind::Channel, "transfer/channel-3")
            );
            assert!(e.to_string().contains(reason), "{e}: expected {reason}");
        }
    }
}
