//! The daemon's API side: the telemetry endpoint (with `/graphql`) and the history's pruning.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::{SharedChain, Supervisor};
use crate::api::{Api, ApiContext, ChainSignals};
use crate::config::Config;
use crate::relay::history_feed::{HistoryFeed, PRUNE_EVERY};
use crate::relay::Routes;
use crate::store::Store;
use crate::telemetry::auth::{AccessSettings, Token};

/// What the API reads, from the daemon's shared state. Fails when a token variable named
/// by the config is not set.
pub(super) fn api_context(
    config: &Config,
    store: &Store,
    routes: &Routes,
    feed: &HistoryFeed,
    chains: &HashMap<String, SharedChain>,
    wallets: &Arc<RwLock<BTreeMap<String, String>>>,
) -> anyhow::Result<ApiContext> {
    let t = &config.telemetry;
    let token = t.read_token().map_err(anyhow::Error::msg)?;
    let admin = t.admin_token().map_err(anyhow::Error::msg)?;
    let access = AccessSettings::for_host(
        &t.host,
        token.as_deref().and_then(Token::new),
        admin.as_deref().and_then(Token::new),
    );
    if access.require_token && access.token.is_none() && access.admin_token.is_none() {
        anyhow::bail!("telemetry: host {} is not a loopback address and no token is configured ([telemetry] token or token_env)", t.host);
    }
    let signals = chains
        .iter()
        .map(|(id, c)| {
            let s = ChainSignals {
                wake: c.wake.clone(),
                clear_now: c.clear_now.clone(),
            };
            (id.clone(), s)
        })
        .collect();
    Ok(ApiContext {
        chains: config.chains.iter().map(|c| c.id.to_string()).collect(),
        denoms: config
            .chains
            .iter()
            .map(|c| (c.id.to_string(), c.gas_price.denom.clone()))
            .collect(),
        store: store.clone(),
        routes: routes.clone(),
        feed: feed.clone(),
        access,
        signals,
        wallets: wallets.clone(),
    })
}

/// Binds the telemetry listener (a failure stops the start) and supervises the server.
pub(super) async fn spawn_telemetry(
    supervisor: &Supervisor,
    config: &Config,
    api: Arc<Api>,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let addr = format!("{}:{}", config.telemetry.host, config.telemetry.port);
    let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| {
        anyhow::anyhow!(
            "telemetry: cannot listen on {addr} ([telemetry] host/port in the config): {e}"
        )
    })?;
    let listener = Arc::new(std::sync::Mutex::new(Some(listener)));
    let stop = shutdown.clone();
    supervisor.spawn("telemetry", move || {
        let (listener, api, stop, addr) =
            (listener.clone(), api.clone(), stop.clone(), addr.clone());
        async move {
            let taken = listener.lock().map(|mut l| l.take()).ok().flatten();
            let listener = match taken {
                Some(l) => l,
                None => tokio::net::TcpListener::bind(&addr).await?,
            };
            crate::telemetry::serve(listener, api, stop).await;
            Ok(())
        }
    });
    Ok(())
}

/// Prunes the history every [`PRUNE_EVERY`] (by `[history]` retention and max_packets).
pub(super) fn spawn_history_prune(
    supervisor: &Supervisor,
    config: &Config,
    feed: &HistoryFeed,
    shutdown: &CancellationToken,
) {
    let Some(history) = feed.history.clone() else {
        return;
    };
    let (retention, max) = (config.history.retention, config.history.max_packets);
    let stop = shutdown.clone();
    supervisor.spawn("history prune", move || {
        let (history, stop) = (history.clone(), stop.clone());
        async move {
            loop {
                let h = history.clone();
                let now = crate::store::now_secs();
                match tokio::task::spawn_blocking(move || h.prune(now, retention, max)).await {
                    Ok(Ok(n)) => debug!(removed = n, "packet history pruned"),
                    Ok(Err(e)) => warn!(error = %e, "packet history prune failed"),
                    Err(e) => warn!(error = %e, "packet history prune failed"),
                }
                tokio::select! {
                    _ = stop.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(PRUNE_EVERY) => {}
                }
            }
        }
    });
}
