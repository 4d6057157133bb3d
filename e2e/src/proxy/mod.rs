//! A fault-injecting proxy in front of a real simd node, for end-to-end tests.
//!
//! Two kinds, each a separate [`Proxy`] listening on `127.0.0.1:0` and only ever
//! connecting to `127.0.0.1:<upstream port>`:
//!
//! - [`Proxy::rpc`]: CometBFT RPC. HTTP/1.x requests (JSON-RPC `POST /` as
//!   `tendermint-rpc` and the simd CLI send them, or `GET /status`-style URIs) are read one
//!   by one from each client connection (keep-alive is honoured), forwarded to the node as
//!   HTTP/1.0 with `Connection: close` and without `Accept-Encoding` (so the node never
//!   compresses or chunks), and the whole response is read, possibly rewritten, and sent
//!   back with a correct `Content-Length`. A `GET /websocket` upgrade is forwarded as is
//!   and then both directions are copied as raw bytes.
//! - [`Proxy::grpc`]: Cosmos SDK gRPC (HTTP/2), a plain TCP forwarder.
//!
//! The [`Mode`] can be changed at any time through the proxy or a [`ProxyControl`] (an
//! `Arc` handle usable from any thread); it applies to every request (RPC), every chunk
//! the client sends (gRPC), and to websocket connections as described on [`Mode`]. Random
//! choices come from one RNG seeded at start, so a run's sequence of decisions is
//! reproducible up to the interleaving of concurrent requests. [`Counters`] say what the
//! proxy did.
//!
//! Each proxy runs on its own thread with a single-threaded tokio runtime, so it works
//! from synchronous and asynchronous tests alike. Dropping the [`Proxy`] stops it: the
//! listener closes and every connection it holds is closed; a [`ProxyControl`] does not
//! keep it alive.
//!
//! [`route`] points a relayer home's chain entry at a pair of proxies ([`ChainProxies`]).

mod forge;
mod http;
pub mod route;
mod tcp;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::watch;

pub use route::{route_direct, route_through, set_chain_value, set_endpoints, ChainProxies};

/// What the proxy does to the traffic passing through it.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// Forward everything unchanged.
    Clean,
    /// Random faults, drawn independently for every RPC request, every gRPC call (HTTP/2
    /// HEADERS frame; a fault then hits the whole connection, as losing an HTTP/2
    /// connection does), and every websocket connection:
    ///
    /// - with probability `drop` the exchange is lost: the connection is closed (FIN)
    ///   without an answer, either before the request reaches the node or after the node
    ///   answered (half of the drops each way, so a broadcast tx may or may not have
    ///   reached the chain);
    /// - with probability `http_500` (RPC only) the node is not asked and the answer is
    ///   `500 Internal Server Error` with a JSON-RPC error body;
    /// - with probability `reset` the connection is reset (RST), again before or after
    ///   the node saw the request;
    /// - every request (websocket: the upgrade) waits a delay drawn uniformly from `delay`
    ///   first (an empty range means no delay). On gRPC the delay counts from the
    ///   request's arrival and bytes keep their order, so a late request holds up those
    ///   behind it on the same connection, as on a link with jitter.
    ///
    /// A websocket opened while in Chaos is also reset after a lifetime drawn uniformly
    /// from 2–30 s, unless the mode has left Chaos by then, so event subscriptions are
    /// lost and must be resumed.
    Chaos {
        /// Probability of losing the exchange (connection closed, no answer).
        drop: f64,
        /// Probability of a `500` answer (RPC only).
        http_500: f64,
        /// Probability of a connection reset.
        reset: f64,
        /// Delay before forwarding.
        delay: Range<Duration>,
    },
    /// RPC: `/status` answers report `sync_info.latest_block_height` as the last height
    /// the proxy passed on before entering this mode (or the first it sees in it): the
    /// node looks stuck. Everything else is forwarded unchanged.
    StaleHeight,
    /// RPC: every response body is cut to half its length (the `Content-Length` says the
    /// cut length, so the client reads an incomplete JSON document).
    Truncate,
    /// RPC: one byte of every commit signature in `commit` and `block` answers is flipped
    /// (still valid base64 of a 64-byte signature).
    ForgeCommitSignatures,
    /// RPC: `validators` answers list one validator with a freshly generated ed25519 key
    /// (from the proxy's seed) and the total voting power of the real set, correctly
    /// encoded (address = first 20 bytes of SHA-256 of the key).
    SwapValidators,
    /// RPC: the `app_hash` of the header in `commit` (and `header`) answers is changed.
    AlterAppHash,
}

impl Mode {
    /// The chaos the fault tests use: 10 % drops, 10 % HTTP 500s, 5 % resets, 0–2 s delays.
    pub fn chaos() -> Mode {
        Mode::Chaos {
            drop: 0.10,
            http_500: 0.10,
            reset: 0.05,
            delay: Duration::ZERO..Duration::from_secs(2),
        }
    }

    fn is_chaos(&self) -> bool {
        matches!(self, Mode::Chaos { .. })
    }
}

/// What the proxy did so far (a snapshot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Client connections accepted.
    pub connections: u64,
    /// RPC: HTTP requests read (websocket upgrades included). gRPC: calls started (HTTP/2
    /// HEADERS frames from clients).
    pub requests: u64,
    /// RPC: answers from the node passed on to the client (rewritten or not). gRPC: chunks
    /// of client bytes passed on to the node.
    pub forwarded: u64,
    /// Exchanges lost on purpose (connection closed without an answer).
    pub dropped: u64,
    /// `500` answers made up instead of asking the node.
    pub http_500: u64,
    /// Connections reset on purpose (websocket lifetime cuts included).
    pub resets: u64,
    /// Requests (or gRPC chunks) held up by a non-zero delay.
    pub delayed: u64,
    /// Response bodies cut ([`Mode::Truncate`]).
    pub truncated: u64,
    /// Response bodies rewritten by a forging mode or [`Mode::StaleHeight`].
    pub rewritten: u64,
    /// Websocket upgrades passed through.
    pub websockets: u64,
    /// Websockets reset at the end of their Chaos lifetime (also counted in `resets`).
    pub websocket_cuts: u64,
    /// Failures talking to the node itself (connect, read, unparsable answer).
    pub upstream_errors: u64,
}

impl fmt::Display for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "connections={} requests={} forwarded={} dropped={} http_500={} resets={} \
             delayed={} truncated={} rewritten={} websockets={} websocket_cuts={} upstream_errors={}",
            self.connections,
            self.requests,
            self.forwarded,
            self.dropped,
            self.http_500,
            self.resets,
            self.delayed,
            self.truncated,
            self.rewritten,
            self.websockets,
            self.websocket_cuts,
            self.upstream_errors
        )
    }
}

#[derive(Default)]
struct AtomicCounters {
    connections: AtomicU64,
    requests: AtomicU64,
    forwarded: AtomicU64,
    dropped: AtomicU64,
    http_500: AtomicU64,
    resets: AtomicU64,
    delayed: AtomicU64,
    truncated: AtomicU64,
    rewritten: AtomicU64,
    websockets: AtomicU64,
    websocket_cuts: AtomicU64,
    upstream_errors: AtomicU64,
}

impl AtomicCounters {
    fn snapshot(&self) -> Counters {
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Counters {
            connections: r(&self.connections),
            requests: r(&self.requests),
            forwarded: r(&self.forwarded),
            dropped: r(&self.dropped),
            http_500: r(&self.http_500),
            resets: r(&self.resets),
            delayed: r(&self.delayed),
            truncated: r(&self.truncated),
            rewritten: r(&self.rewritten),
            websockets: r(&self.websockets),
            websocket_cuts: r(&self.websocket_cuts),
            upstream_errors: r(&self.upstream_errors),
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Which way one exchange goes wrong, drawn per request (or chunk, or connection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Pass it on.
    None,
    /// Close without an answer; `after` = after the node saw the request.
    Drop { after: bool },
    /// Answer 500 without asking the node.
    Http500,
    /// Reset the connection; `after` = after the node saw the request.
    Reset { after: bool },
}

/// One draw: the fault and the delay to apply first.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Decision {
    pub fault: Fault,
    pub delay: Duration,
}

/// State shared by the proxy's tasks and its handles.
pub(crate) struct Shared {
    upstream_port: u16,
    mode: Mutex<Mode>,
    rng: Mutex<StdRng>,
    counters: AtomicCounters,
    /// The last `latest_block_height` passed on in a non-stale mode.
    last_height: Mutex<Option<u64>>,
    /// The height [`Mode::StaleHeight`] reports, fixed on its first use.
    stale_height: Mutex<Option<u64>>,
    /// The impostor validator's ed25519 public key ([`Mode::SwapValidators`]).
    impostor_key: [u8; 32],
}

impl Shared {
    fn new(upstream_port: u16, seed: u64) -> Shared {
        let mut rng = StdRng::seed_from_u64(seed);
        let secret: [u8; 32] = rng.gen();
        let key = ed25519_consensus::SigningKey::from(secret);
        Shared {
            upstream_port,
            mode: Mutex::new(Mode::Clean),
            rng: Mutex::new(rng),
            counters: AtomicCounters::default(),
            last_height: Mutex::new(None),
            stale_height: Mutex::new(None),
            impostor_key: key.verification_key().to_bytes(),
        }
    }

    pub(crate) fn mode(&self) -> Mode {
        self.mode.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_mode(&self, mode: Mode) {
        *self.stale_height.lock().unwrap_or_else(|e| e.into_inner()) = None;
        *self.mode.lock().unwrap_or_else(|e| e.into_inner()) = mode;
    }

    pub(crate) fn upstream(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.upstream_port))
    }

    /// Draws the fault and delay of one exchange under `mode`.
    pub(crate) fn decide(&self, mode: &Mode) -> Decision {
        let Mode::Chaos {
            drop,
            http_500,
            reset,
            delay,
        } = mode
        else {
            return Decision {
                fault: Fault::None,
                delay: Duration::ZERO,
            };
        };
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let u: f64 = rng.gen();
        let after = rng.gen_bool(0.5);
        let fault = if u < *drop {
            Fault::Drop { after }
        } else if u < drop + http_500 {
            Fault::Http500
        } else if u < drop + http_500 + reset {
            Fault::Reset { after }
        } else {
            Fault::None
        };
        let delay = if delay.start < delay.end {
            rng.gen_range(delay.clone())
        } else {
            delay.start
        };
        Decision { fault, delay }
    }

    /// A websocket lifetime in Chaos mode: uniform in 2–30 s.
    pub(crate) fn websocket_lifetime(&self) -> Duration {
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        rng.gen_range(Duration::from_secs(2)..Duration::from_secs(30))
    }

    /// Remembers a height passed on unchanged, for [`Mode::StaleHeight`].
    pub(crate) fn saw_height(&self, height: u64) {
        *self.last_height.lock().unwrap_or_else(|e| e.into_inner()) = Some(height);
    }

    /// The height [`Mode::StaleHeight`] reports when the node says `actual`.
    pub(crate) fn stale_height(&self, actual: u64) -> u64 {
        let mut stale = self.stale_height.lock().unwrap_or_else(|e| e.into_inner());
        *stale.get_or_insert_with(|| {
            self.last_height
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or(actual)
                .min(actual)
        })
    }

    pub(crate) fn impostor_key(&self) -> [u8; 32] {
        self.impostor_key
    }
}

/// Which protocol a proxy speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// CometBFT RPC: HTTP/1.x JSON-RPC and the `/websocket` upgrade.
    Rpc,
    /// gRPC: bytes.
    Grpc,
}

/// A cloneable, thread-safe handle on a running proxy's mode and counters. It does not
/// keep the proxy alive.
#[derive(Clone)]
pub struct ProxyControl {
    shared: Arc<Shared>,
}

impl ProxyControl {
    /// Switches the mode; it applies to every request (chunk, connection) from now on.
    pub fn set_mode(&self, mode: Mode) {
        self.shared.set_mode(mode);
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        self.shared.mode()
    }

    /// What the proxy did so far.
    pub fn counters(&self) -> Counters {
        self.shared.counters.snapshot()
    }
}

impl fmt::Debug for ProxyControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyControl")
            .field("upstream_port", &self.shared.upstream_port)
            .field("mode", &self.mode())
            .finish()
    }
}

/// A running proxy; stopped when dropped.
pub struct Proxy {
    kind: Kind,
    port: u16,
    control: ProxyControl,
    shutdown: Option<watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
}

impl Proxy {
    /// A CometBFT RPC proxy in front of `127.0.0.1:upstream_port`, in [`Mode::Clean`].
    pub fn rpc(upstream_port: u16, seed: u64) -> std::io::Result<Proxy> {
        Proxy::start(Kind::Rpc, upstream_port, seed)
    }

    /// A gRPC (TCP) proxy in front of `127.0.0.1:upstream_port`, in [`Mode::Clean`].
    pub fn grpc(upstream_port: u16, seed: u64) -> std::io::Result<Proxy> {
        Proxy::start(Kind::Grpc, upstream_port, seed)
    }

    /// Starts a proxy of `kind` listening on 127.0.0.1 (a free port) in front of
    /// `127.0.0.1:upstream_port`, in [`Mode::Clean`], its RNG seeded with `seed`.
    pub fn start(kind: Kind, upstream_port: u16, seed: u64) -> std::io::Result<Proxy> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared::new(upstream_port, seed));
        let (shutdown, stopped) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let task_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("proxy-{kind:?}-{port}"))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            eprintln!("proxy on port {port}: {e}");
                            return;
                        }
                    };
                    serve(kind, listener, task_shared, stopped).await;
                });
                // Connection tasks still pending are dropped with the runtime: their
                // sockets close.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(Proxy {
            kind,
            port,
            control: ProxyControl { shared },
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// `http://127.0.0.1:PORT` (the RPC or gRPC address to give a client).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `ws://127.0.0.1:PORT/websocket` (meaningful for an RPC proxy).
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/websocket", self.port)
    }

    /// A handle for changing the mode and reading counters from anywhere.
    pub fn control(&self) -> ProxyControl {
        self.control.clone()
    }

    /// See [`ProxyControl::set_mode`].
    pub fn set_mode(&self, mode: Mode) {
        self.control.set_mode(mode);
    }

    /// See [`ProxyControl::mode`].
    pub fn mode(&self) -> Mode {
        self.control.mode()
    }

    /// See [`ProxyControl::counters`].
    pub fn counters(&self) -> Counters {
        self.control.counters()
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("kind", &self.kind)
            .field("port", &self.port)
            .field("control", &self.control)
            .finish()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts connections until `stopped` turns true; each connection is served by its own
/// task, which also ends when `stopped` turns true.
async fn serve(
    kind: Kind,
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => return,
        };
        let (stream, _) = match accepted {
            Ok(conn) => conn,
            Err(_) => {
                // Out of descriptors or similar: back off briefly rather than spin.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        bump(&shared.counters.connections);
        let shared = shared.clone();
        let mut stop = stopped.clone();
        tokio::spawn(async move {
            let work = async {
                match kind {
                    Kind::Rpc => http::serve_connection(stream, &shared).await,
                    Kind::Grpc => tcp::serve_connection(stream, &shared).await,
                }
            };
            tokio::select! {
                () = work => {}
                _ = stop.changed() => {}
            }
        });
    }
}

/// Sleeps `delay` (counted when non-zero).
pub(crate) async fn apply_delay(shared: &Shared, delay: Duration) {
    if !delay.is_zero() {
        bump(&shared.counters.delayed);
        tokio::time::sleep(delay).await;
    }
}

/// Resets `stream`: SO_LINGER 0, then close (the peer sees RST).
pub(crate) fn reset(shared: &Shared, stream: tokio::net::TcpStream) {
    bump(&shared.counters.resets);
    let _ = stream.set_zero_linger();
    drop(stream);
}
