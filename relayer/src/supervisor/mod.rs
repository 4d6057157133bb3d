//! The daemon (`stateset-relayer start`). It owns every task and stops them on SIGINT/SIGTERM:
//!
//! - per chain: connect (retrying with backoff while it is down), then the [scanner] that
//!   records its packet events in the store;
//! - per ordered pair of chains: client refresh and handshake completion, and (once per
//!   unordered pair) discovery of the open channels between them, each served by
//!   [paths::spawn_path] (two workers and clearing).
//!
//! Every task is supervised ([`tasks::Supervisor`]): one that panics or fails is restarted
//! with backoff while its siblings keep running. Only clients the relayer serves
//! ([`crate::client::scope`]) are refreshed, used for handshakes or discovered on. A chain
//! whose RPC is down stalls only the tasks that use it.
//!
//! [scanner]: crate::relay::scanner

mod api_tasks;
mod in_flight;
mod pair;
mod paths;
pub mod tasks;
mod v2_paths;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, info_span, warn, Instrument};

use crate::backoff::Backoff;
use crate::chain::events::{run_event_source, EventSourceSettings};
use crate::chain::{ChainEndpoint, ChainError};
use crate::client::scope::ClientScope;
use crate::config::{ChainConfig, Config, EventSourceConfig};
use crate::keys::KeySource;
use crate::relay::history_feed::{run_history_writer, HistoryFeed, SIGHTINGS_QUEUE};
use crate::relay::scanner::{run_scanner, ScanSignals, ScannerSettings};
use crate::relay::Routes;
use crate::store::Store;
use api_tasks::{api_context, spawn_history_prune, spawn_telemetry};
use pair::{PairShared, PairTask};
pub use paths::discover_paths;
use paths::ChainHandle;
pub use tasks::{Supervisor, TaskStatus};

/// How long tasks get to finish after SIGINT/SIGTERM before they are aborted.
pub(crate) const STOP_GRACE: Duration = Duration::from_secs(8);

/// A chain as the tasks share it: its endpoint once connected, the signal its scanner
/// gives after recording new blocks, and the signal that asks its paths' clearing to run.
#[derive(Clone)]
struct SharedChain {
    endpoint: watch::Receiver<Option<ChainEndpoint>>,
    wake: Arc<Notify>,
    clear_now: Arc<Notify>,
}

impl SharedChain {
    /// Waits until the chain is connected (None on shutdown).
    async fn connected(&mut self, shutdown: &CancellationToken) -> Option<ChainEndpoint> {
        tokio::select! {
            _ = shutdown.cancelled() => None,
            r = self.endpoint.wait_for(Option::is_some) => r.ok().and_then(|e| e.clone()),
        }
    }

    fn handle(&self, endpoint: ChainEndpoint) -> ChainHandle {
        ChainHandle {
            endpoint,
            wake: self.wake.clone(),
            clear_now: self.clear_now.clone(),
        }
    }
}

/// Runs the daemon until `shutdown` is cancelled, then flushes the store.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let config = Arc::new(config);
    let keys = Arc::new(open_keys(&config).await?);
    let store = Store::open_with_cache(&config.store.path, config.store.cache_mib << 20)?;
    let routes = Routes::default();
    let supervisor = Supervisor::new(shutdown.clone(), config.daemon.max_backoff);
    supervisor.install_as_current();
    let feed = HistoryFeed::new(config.history.enabled.then(|| store.history()));
    feed.install_as_current();
    let wallets: Arc<RwLock<BTreeMap<String, String>>> = Arc::default();
    let mut chains = HashMap::new();
    for chain in &config.chains {
        let (tx, rx) = watch::channel(None);
        let shared = SharedChain {
            endpoint: rx,
            wake: Arc::new(Notify::new()),
            clear_now: Arc::new(Notify::new()),
        };
        chains.insert(chain.id.to_string(), shared.clone());
        let settings = ScannerSettings::from_config(chain, config.daemon.max_catchup);
        let task = ChainTask {
            chain: chain.clone(),
            keys: keys.clone(),
            store: store.clone(),
            routes: routes.clone(),
            shared,
            endpoint: Arc::new(tx),
            settings,
            settled: Arc::default(),
            feed: feed.clone(),
        };
        let stop = shutdown.clone();
        supervisor.spawn(format!("chain {}", chain.id), move || {
            let (task, stop) = (task.clone(), stop.clone());
            let span = info_span!("chain", chain = %task.chain.id);
            async move { task.run(stop).await }.instrument(span)
        });
    }
    let pairs = Arc::new(PairShared {
        config: config.clone(),
        store: store.clone(),
        routes: routes.clone(),
        served: std::sync::Mutex::default(),
        scope: ClientScope::default(),
        supervisor: supervisor.clone(),
    });
    for (i, host) in config.chains.iter().enumerate() {
        for (j, source) in config.chains.iter().enumerate() {
            if i == j {
                continue;
            }
            // Every configured chain was inserted above.
            let (Some(host_chain), Some(source_chain)) = (
                chains.get(host.id.as_str()).cloned(),
                chains.get(source.id.as_str()).cloned(),
            ) else {
                continue;
            };
            let (pairs, stop) = (pairs.clone(), shutdown.clone());
            let (host_id, source_id) = (host.id.to_string(), source.id.to_string());
            supervisor.spawn(format!("pair {}<-{}", host.id, source.id), move || {
                let task = PairTask {
                    shared: pairs.clone(),
                    host: host_chain.clone(),
                    source: source_chain.clone(),
                    discover: i < j,
                };
                let span = info_span!("pair", host = %host_id, counterparty = %source_id);
                task.run(stop.clone()).instrument(span)
            });
        }
    }
    if config.telemetry.enabled {
        let context = api_context(&config, &store, &routes, &feed, &chains, &wallets)?;
        spawn_telemetry(
            &supervisor,
            &config,
            crate::api::Api::new(context),
            &shutdown,
        )
        .await?;
    }
    spawn_history_prune(&supervisor, &config, &feed, &shutdown);
    {
        // Wallet balances and the store's size, every 10 s.
        let (config, chains, store, stop) = (
            config.clone(),
            chains.clone(),
            store.clone(),
            shutdown.clone(),
        );
        let wallets = wallets.clone();
        supervisor.spawn("wallets", move || {
            let (config, chains, store, stop) =
                (config.clone(), chains.clone(), store.clone(), stop.clone());
            let wallets = wallets.clone();
            async move {
                watch_wallets(config, chains, (store, wallets), stop).await;
                Ok(())
            }
        });
    }
    info!(chains = config.chains.len(), store = %config.store.path.display(), "relayer started");
    shutdown.cancelled().await;
    info!("stopping: no new work; waiting for the tasks");
    if !supervisor.wait(STOP_GRACE + Duration::from_secs(2)).await {
        warn!("tasks did not stop within {STOP_GRACE:?}; they were aborted");
    }
    let bytes = store.flush()?;
    info!(flushed_bytes = bytes, "store flushed; relayer stopped");
    Ok(())
}

/// Opens the key store. A PKCS#11 token must log in and hold every chain's key before
/// anything starts: a wrong PIN, a missing module or a missing key label stops the daemon
/// with the error (exit non-zero) instead of leaving chain tasks to retry.
async fn open_keys(config: &Config) -> anyhow::Result<KeySource> {
    let keys = KeySource::open(config)
        .await
        .map_err(|e| anyhow::anyhow!(e).context("the [signer] key store cannot be opened"))?;
    if let KeySource::Token(token) = &keys {
        for chain in &config.chains {
            let (_, address) = keys.signer(chain).await.map_err(|e| {
                anyhow::anyhow!(e).context(format!("chain {}: no signing key", chain.id))
            })?;
            info!(chain = %chain.id, %address, token = token.label(), key = %chain.key_name,
                "signing key in the PKCS#11 token");
        }
    }
    Ok(keys)
}

/// The task of one chain: connect (with backoff), then its event source and scanner.
#[derive(Clone)]
struct ChainTask {
    chain: ChainConfig,
    keys: Arc<KeySource>,
    store: Store,
    routes: Routes,
    shared: SharedChain,
    endpoint: Arc<watch::Sender<Option<ChainEndpoint>>>,
    settings: ScannerSettings,
    /// Whether the previous run's in-flight steps on this chain were settled.
    settled: Arc<std::sync::atomic::AtomicBool>,
    feed: HistoryFeed,
}

impl ChainTask {
    async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let Some(endpoint) = connect_until_up(&self.chain, &self.keys, &shutdown).await? else {
            return Ok(());
        };
        // What a previous run left in flight is settled before anything is submitted here
        // (the workers wait for this endpoint).
        // Once per process: after a restart of this task the journal holds the running
        // workers' own txs.
        if !self.settled.load(std::sync::atomic::Ordering::SeqCst) {
            in_flight::settle(&endpoint, &self.store, &shutdown).await?;
            self.settled
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        if let Err(e) = endpoint.note_versions().await {
            debug!(chain = %self.chain.id, error = %e, "versions not read (the API shows none)");
        }
        self.endpoint.send_replace(Some(endpoint.clone()));
        let push = match (&self.chain.event_source, self.chain.websocket_url().parse()) {
            (EventSourceConfig::Push { .. }, Ok(url)) => Some(EventSourceSettings {
                chain_id: self.chain.id.to_string(),
                url,
                compat: endpoint.rpc().compat(),
                min_backoff: Duration::from_millis(200),
                max_backoff: Duration::from_secs(10),
                pool: Some(endpoint.rpc().pool().clone()),
            }),
            _ => None,
        };
        let (sightings, queue) = tokio::sync::mpsc::channel(SIGHTINGS_QUEUE);
        let signals = ScanSignals {
            wake: self.shared.wake.clone(),
            clear_now: self.shared.clear_now.clone(),
            history: Some(sightings),
        };
        let scanner = |triggers| {
            run_scanner(
                endpoint.clone(),
                self.store.clone(),
                self.routes.clone(),
                signals.clone(),
                self.settings,
                triggers,
                shutdown.clone(),
            )
        };
        let writer =
            run_history_writer(endpoint.clone(), self.feed.clone(), queue, shutdown.clone());
        match push {
            Some(source) => {
                let (sink, rx) = tokio::sync::mpsc::channel(256);
                tokio::join!(
                    run_event_source(source, sink, shutdown.clone()),
                    scanner(Some(rx)),
                    writer,
                );
            }
            None => {
                tokio::join!(scanner(None), writer);
            }
        }
        Ok(())
    }
}

/// Keeps the wallet balance (gas denom) and store size gauges current.
async fn watch_wallets(
    config: Arc<Config>,
    chains: HashMap<String, SharedChain>,
    (store, wallets): (Store, Arc<RwLock<BTreeMap<String, String>>>),
    shutdown: CancellationToken,
) {
    let m = stateset_monitoring::global();
    loop {
        for c in &config.chains {
            let endpoint = chains
                .get(c.id.as_str())
                .and_then(|s| s.endpoint.borrow().clone());
            if let Some(e) = endpoint {
                // The account that pays the fees: the fee granter when there is one.
                let payer = c.fee_granter.as_deref().or(e.signer_address());
                if let Some(address) = payer {
                    if let Ok(mut w) = wallets.write() {
                        w.insert(c.id.to_string(), address.to_string());
                    }
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
                .set(i64::try_from(bytes).unwrap_or(i64::MAX));
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(10)) => {}
        }
    }
}

/// Connects to a chain, retrying with backoff while it is unreachable; `Ok(None)` on
/// shutdown. An error that retrying cannot fix (no key for the chain, a node that answers
/// for another chain id) is returned: the supervisor reports it and backs off longer.
async fn connect_until_up(
    chain: &ChainConfig,
    keys: &KeySource,
    shutdown: &CancellationToken,
) -> anyhow::Result<Option<ChainEndpoint>> {
    let mut backoff = Backoff::chain_connect();
    loop {
        match ChainEndpoint::connect_from(chain, Some(keys)).await {
            Ok(endpoint) => return Ok(Some(endpoint)),
            Err(e) if !e.is_transient() && !matches!(e, ChainError::Rpc { .. }) => {
                return Err(anyhow::anyhow!(e).context(format!(
                    "chain {} cannot be served (check its [[chains]] entry and key)",
                    chain.id
                )));
            }
            Err(e) => {
                let wait = backoff.next_wait();
                warn!(chain = %chain.id, error = %e, retry_in = ?wait, "chain unreachable");
                tokio::select! {
                    _ = shutdown.cancelled() => return Ok(None),
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        }
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
