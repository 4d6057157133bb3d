//! The daemon (`stateset-relayer start`): one task per ordered pair of configured chains
//! keeps the clients of the one on the other alive and finishes handshakes; every task is
//! owned by the supervisor and stops on SIGINT/SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, info_span, warn, Instrument};

use crate::chain::ChainEndpoint;
use crate::client::refresh::refresh_clients;
use crate::config::{ChainConfig, Config};
use crate::handshake::complete::{complete_handshakes, CompletionMemory};
use crate::handshake::Pair;
use crate::keys::KeyRing;

/// Longest wait between attempts to reach a chain that is down.
const MAX_RECONNECT_BACKOFF: Duration = Duration::from_secs(30);

/// Runs the daemon until `shutdown` is cancelled.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let config = Arc::new(config);
    let keys = Arc::new(KeyRing::new(&config.global.key_dir));
    let mut tasks = JoinSet::new();
    for host in &config.chains {
        for source in &config.chains {
            if host.id == source.id {
                continue;
            }
            let span = info_span!("pair", host = %host.id, counterparty = %source.id);
            tasks.spawn(
                pair_task(
                    config.clone(),
                    keys.clone(),
                    host.clone(),
                    source.clone(),
                    shutdown.clone(),
                )
                .instrument(span),
            );
        }
    }
    info!(
        chains = config.chains.len(),
        tasks = tasks.len(),
        "relayer started"
    );
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done {
            warn!(error = %e, "a task ended abnormally");
        }
    }
    info!("relayer stopped");
    Ok(())
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

/// Keeps the clients of `source` on `host` fresh and finishes handshakes from `host`'s side.
async fn pair_task(
    config: Arc<Config>,
    keys: Arc<KeyRing>,
    host: ChainConfig,
    source: ChainConfig,
    shutdown: CancellationToken,
) {
    let Some(host) = connect_until_up(&host, &keys, &shutdown).await else {
        return;
    };
    let Some(source) = connect_until_up(&source, &keys, &shutdown).await else {
        return;
    };
    let pair = Pair {
        a: &host,
        b: &source,
    };
    let mut memory = CompletionMemory::default();
    let progress = |line: &str| info!("{line}");
    let mut interval = tokio::time::interval(config.daemon.scan_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = interval.tick() => {}
        }
        if config.daemon.refresh_clients {
            let refresh = refresh_clients(&host, &source, config.daemon.refresh_fraction);
            let outcome = tokio::select! {
                _ = shutdown.cancelled() => break,
                r = refresh => r,
            };
            match outcome {
                Ok(report) => debug!(
                    clients = report.clients.len(),
                    refreshed = report.refreshed.len(),
                    "clients checked"
                ),
                Err(e) => warn!(error = %e, "client refresh failed"),
            }
        }
        if config.daemon.complete_handshakes {
            let complete = complete_handshakes(pair, &mut memory, &progress);
            let outcome = tokio::select! {
                _ = shutdown.cancelled() => break,
                r = complete => r,
            };
            match outcome {
                Ok(0) => {}
                Ok(n) => info!(finished = n, "handshakes finished"),
                Err(e) => warn!(error = %e, "handshake completion failed"),
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
