//! The daemon (`stateset-relayer start`). It owns every task and stops them on SIGINT/SIGTERM:
//!
//! - per chain: connect (retrying with backoff while it is down), then the [scanner] that
//!   records its packet events in the store;
//! - per ordered pair of chains: client refresh and handshake completion, and (once per
//!   unordered pair) discovery of the open channels between them, each served by
//!   [paths::spawn_path] (two workers and clearing).
//!
//! A chain whose RPC is down stalls only the tasks that use it.
//!
//! [scanner]: crate::relay::scanner

mod paths;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, info_span, warn, Instrument};

use crate::chain::events::{run_event_source, EventSourceSettings};
use crate::chain::ChainEndpoint;
use crate::client::refresh::refresh_clients;
use crate::config::{ChainConfig, Config, EventSourceConfig};
use crate::handshake::complete::{complete_handshakes, CompletionMemory};
use crate::handshake::Pair;
use crate::keys::KeyRing;
use crate::relay::scanner::{run_scanner, ScannerSettings};
use crate::relay::Routes;
use crate::store::Store;

/// Longest wait between attempts to reach a chain that is down.
const MAX_RECONNECT_BACKOFF: Duration = Duration::from_secs(30);
/// How long tasks get to finish after SIGINT/SIGTERM before they are aborted.
const STOP_GRACE: Duration = Duration::from_secs(8);

/// A chain as the tasks share it: its endpoint once connected, and the signal its scanner
/// gives after recording new blocks.
#[derive(Clone)]
struct SharedChain {
    endpoint: watch::Receiver<Option<ChainEndpoint>>,
    wake: Arc<Notify>,
}

impl SharedChain {
    /// Waits until the chain is connected (None on shutdown).
    async fn connected(&mut self, shutdown: &CancellationToken) -> Option<ChainEndpoint> {
        tokio::select! {
            _ = shutdown.cancelled() => None,
            r = self.endpoint.wait_for(Option::is_some) => r.ok().and_then(|e| e.clone()),
        }
    }
}

/// Runs the daemon until `shutdown` is cancelled, then flushes the store.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let config = Arc::new(config);
    let keys = Arc::new(KeyRing::new(&config.global.key_dir));
    let store = Store::open(&config.store.path)?;
    for entry in store.journal_entries()? {
        warn!(entry = %entry, "a tx was in flight when the relayer last stopped; clearing will settle it");
    }
    store.journal_clear()?;
    let routes = Routes::default();
    let mut tasks = JoinSet::new();
    let mut chains = HashMap::new();
    for chain in &config.chains {
        let (tx, rx) = watch::channel(None);
        let wake = Arc::new(Notify::new());
        chains.insert(
            chain.id.to_string(),
            SharedChain {
                endpoint: rx,
                wake: wake.clone(),
            },
        );
        let settings = ScannerSettings {
            max_catchup: config.daemon.max_catchup,
            ..Default::default()
        };
        let (chain, keys, store, routes, shutdown) = (
            chain.clone(),
            keys.clone(),
            store.clone(),
            routes.clone(),
            shutdown.clone(),
        );
        let span = info_span!("chain", chain = %chain.id);
        tasks.spawn(
            async move {
                let Some(endpoint) = connect_until_up(&chain, &keys, &shutdown).await else {
                    return;
                };
                tx.send_replace(Some(endpoint.clone()));
                let push = match (&chain.event_source, chain.websocket_url().parse()) {
                    (EventSourceConfig::Push { .. }, Ok(url)) => Some(EventSourceSettings {
                        chain_id: chain.id.to_string(),
                        url,
                        compat: endpoint.rpc().compat(),
                        min_backoff: Duration::from_millis(200),
                        max_backoff: Duration::from_secs(10),
                    }),
                    _ => None,
                };
                match push {
                    Some(source) => {
                        let (sink, rx) = tokio::sync::mpsc::channel(256);
                        tokio::join!(
                            run_event_source(source, sink, shutdown.clone()),
                            run_scanner(
                                endpoint,
                                store,
                                routes,
                                wake,
                                settings,
                                Some(rx),
                                shutdown.clone()
                            ),
                        );
                    }
                    None => {
                        run_scanner(endpoint, store, routes, wake, settings, None, shutdown).await
                    }
                }
            }
            .instrument(span),
        );
    }
    let served = Arc::new(std::sync::Mutex::new(HashSet::new()));
    for (i, host) in config.chains.iter().enumerate() {
        for (j, source) in config.chains.iter().enumerate() {
            if i == j {
                continue;
            }
            let pair = PairTask {
                config: config.clone(),
                host: chains[host.id.as_str()].clone(),
                source: chains[source.id.as_str()].clone(),
                discover: i < j,
                store: store.clone(),
                routes: routes.clone(),
                served: served.clone(),
            };
            let span = info_span!("pair", host = %host.id, counterparty = %source.id);
            tasks.spawn(pair.run(shutdown.clone()).instrument(span));
        }
    }
    if config.telemetry.enabled {
        let addr = format!("{}:{}", config.telemetry.host, config.telemetry.port);
        let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| {
            anyhow::anyhow!(
                "telemetry: cannot listen on {addr} ([telemetry] host/port in the config): {e}"
            )
        })?;
        let ids = Arc::new(config.chains.iter().map(|c| c.id.to_string()).collect());
        tasks.spawn(crate::telemetry::serve(listener, ids, shutdown.clone()));
    }
    {
        // Wallet balances and the store's size, every 10 s.
        let (config, chains, store, shutdown) = (
            config.clone(),
            chains.clone(),
            store.clone(),
            shutdown.clone(),
        );
        tasks.spawn(async move { watch_wallets(config, chains, store, shutdown).await });
    }
    info!(chains = config.chains.len(), store = %config.store.path.display(), "relayer started");
    shutdown.cancelled().await;
    info!("stopping: no new work; waiting for the tasks");
    let all = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(STOP_GRACE, all).await.is_err() {
        warn!("tasks did not stop within {STOP_GRACE:?}; aborting them");
        tasks.shutdown().await;
    }
    let bytes = store.flush()?;
    info!(flushed_bytes = bytes, "store flushed; relayer stopped");
    Ok(())
}

/// Keeps the wallet balance (gas denom) and store size gauges current.
async fn watch_wallets(
    config: Arc<Config>,
    chains: HashMap<String, SharedChain>,
    store: Store,
    shutdown: CancellationToken,
) {
    let m = stateset_monitoring::global();
    loop {
        for c in &config.chains {
            let endpoint = chains[c.id.as_str()].endpoint.borrow().clone();
            if let Some(e) = endpoint {
                if let Some(address) = e.signer_address() {
                    if let Ok(amount) = e.grpc().balance(address, &c.gas_price.denom).await {
                        m.wallet_balance
                            .with_label_values(&[c.id.as_str(), &c.gas_price.denom])
                            .set(amount as f64);
                    }
                }
            }
        }
        if let Ok(bytes) = store.size_on_disk() {
            m.store_size_bytes
                .with_label_values(&[&config.store.path.display().to_string()])
                .set(bytes as i64);
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(10)) => {}
        }
    }
}

/// Connects to a chain, retrying with backoff until it answers or shutdown.
async fn connect_until_up(
    chain: &ChainConfig,
    keys: &KeyRing,
    shutdown: &CancellationToken,
) -> Option<ChainEndpoint> {
    let mut wait = Duration::from_millis(500);
    loop {
        match ChainEndpoint::connect(chain, Some(keys)).await {
            Ok(endpoint) => return Some(endpoint),
            Err(e) => warn!(chain = %chain.id, error = %e, retry_in = ?wait, "chain unreachable"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return None,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(MAX_RECONNECT_BACKOFF);
    }
}

/// The tasks of an ordered pair of chains (host, source).
struct PairTask {
    config: Arc<Config>,
    host: SharedChain,
    source: SharedChain,
    /// Whether this pair discovers the paths between the two chains (one of the two
    /// ordered pairs does).
    discover: bool,
    store: Store,
    routes: Routes,
    served: Arc<std::sync::Mutex<HashSet<String>>>,
}

impl PairTask {
    /// Keeps the clients of `source` on `host` fresh, finishes handshakes from `host`'s
    /// side, and serves the paths it discovers.
    async fn run(mut self, shutdown: CancellationToken) {
        let Some(host) = self.host.connected(&shutdown).await else {
            return;
        };
        let Some(source) = self.source.connected(&shutdown).await else {
            return;
        };
        let pair = Pair {
            a: &host,
            b: &source,
        };
        let mut memory = CompletionMemory::default();
        let progress = |line: &str| info!("{line}");
        let mut path_tasks = JoinSet::new();
        let daemon = &self.config.daemon;
        let mut interval = tokio::time::interval(daemon.scan_interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = interval.tick() => {}
            }
            if self.discover {
                let found = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    r = paths::discover_paths(&host, &source) => r,
                };
                match found {
                    Ok(found) => {
                        for path in found {
                            let fresh =
                                self.served.lock().expect("served lock").insert(path.name());
                            if fresh {
                                self.routes.add(&path);
                                paths::spawn_path(
                                    &mut path_tasks,
                                    (host.clone(), source.clone()),
                                    path,
                                    self.store.clone(),
                                    (self.host.wake.clone(), self.source.wake.clone()),
                                    daemon.clear_interval,
                                    shutdown.clone(),
                                );
                            }
                        }
                    }
                    Err(e) => warn!(error = %e, "path discovery failed"),
                }
            }
            if daemon.refresh_clients {
                let outcome = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    r = refresh_clients(&host, &source, daemon.refresh_fraction) => r,
                };
                match outcome {
                    Ok(r) => debug!(
                        clients = r.clients.len(),
                        refreshed = r.refreshed.len(),
                        "clients checked"
                    ),
                    Err(e) => warn!(error = %e, "client refresh failed"),
                }
            }
            if daemon.complete_handshakes {
                let outcome = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    r = complete_handshakes(pair, &mut memory, &progress) => r,
                };
                match outcome {
                    Ok(0) => {}
                    Ok(n) => info!(finished = n, "handshakes finished"),
                    Err(e) => warn!(error = %e, "handshake completion failed"),
                }
            }
        }
        while path_tasks.join_next().await.is_some() {}
    }
}

/// Cancels `token` on SIGINT or SIGTERM.
pub fn cancel_on_signals(token: CancellationToken) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => info!("SIGTERM: stopping"),
            _ = int.recv() => info!("SIGINT: stopping"),
        }
        token.cancel();
    });
    Ok(())
}
