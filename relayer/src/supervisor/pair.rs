//! The tasks of an ordered pair of chains: misbehaviour watch, path discovery, client
//! refresh and handshake completion, in passes every `daemon.scan_interval`, backed off
//! while they fail.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::paths::{self, PathContext};
use super::{SharedChain, Supervisor};
use crate::backoff::Backoff;
use crate::chain::ChainEndpoint;
use crate::client::misbehaviour::{check_misbehaviour, MisbehaviourWatch};
use crate::client::refresh::refresh_clients;
use crate::client::scope::ClientScope;
use crate::config::Config;
use crate::handshake::complete::{complete_handshakes, CompletionMemory};
use crate::handshake::Pair;
use crate::relay::Routes;
use crate::store::Store;

/// What every pair task shares.
pub(super) struct PairShared {
    pub(super) config: Arc<Config>,
    pub(super) store: Store,
    pub(super) routes: Routes,
    /// Paths already started (by name).
    pub(super) served: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Which clients the relayer serves.
    pub(super) scope: ClientScope,
    pub(super) supervisor: Supervisor,
}

/// The tasks of an ordered pair of chains (host, source).
pub(super) struct PairTask {
    pub(super) shared: Arc<PairShared>,
    pub(super) host: SharedChain,
    pub(super) source: SharedChain,
    /// Whether this pair discovers the paths between the two chains (one of the two
    /// ordered pairs does).
    pub(super) discover: bool,
}

impl PairTask {
    /// Keeps the served clients of `source` on `host` fresh, finishes handshakes from
    /// `host`'s side, and starts the paths it discovers. Failing work is backed off.
    pub(super) async fn run(mut self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let Some(host) = self.host.connected(&shutdown).await else {
            return Ok(());
        };
        let Some(source) = self.source.connected(&shutdown).await else {
            return Ok(());
        };
        let mut memory = CompletionMemory::default();
        let mut watch = MisbehaviourWatch::persisted(self.shared.store.clone());
        let daemon = &self.shared.config.daemon;
        let mut backoff = Backoff::work_pass(daemon.scan_interval, daemon.max_backoff);
        loop {
            let pass = self.pass(&host, &source, &mut memory, &mut watch);
            let failed = tokio::select! {
                _ = shutdown.cancelled() => break,
                failed = pass => failed,
            };
            // The scan interval while passes succeed, doubling from twice that while they fail.
            let wait = if failed {
                backoff.next_wait()
            } else {
                backoff.reset();
                daemon.scan_interval
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        Ok(())
    }

    /// One pass: misbehaviour, discovery, refresh, handshakes. Returns whether any of
    /// discovery, refresh and handshakes failed (a failing misbehaviour check is logged and
    /// counted but does not slow the others down).
    async fn pass(
        &self,
        host: &ChainEndpoint,
        source: &ChainEndpoint,
        memory: &mut CompletionMemory,
        watch: &mut MisbehaviourWatch,
    ) -> bool {
        let shared = &self.shared;
        let daemon = &shared.config.daemon;
        let m = stateset_monitoring::global();
        let mut failed = false;
        self.watch_misbehaviour(host, source, watch).await;
        if self.discover {
            match paths::discover_paths(host, source, &shared.scope).await {
                Ok(found) => self.serve(host, source, found),
                Err(e) => {
                    failed = true;
                    m.work_failures
                        .with_label_values(&[host.id(), "discovery"])
                        .inc();
                    warn!(error = %e, "path discovery failed");
                }
            }
        }
        if daemon.refresh_clients {
            match refresh_clients(host, source, daemon.refresh_fraction, &shared.scope).await {
                Ok(r) => debug!(
                    clients = r.clients.len(),
                    ignored = r.ignored,
                    refreshed = r.refreshed.len(),
                    "clients checked"
                ),
                Err(e) => {
                    failed = true;
                    m.work_failures
                        .with_label_values(&[host.id(), "refresh"])
                        .inc();
                    warn!(error = %e, "client refresh failed");
                }
            }
        }
        if daemon.complete_handshakes {
            let pair = Pair { a: host, b: source };
            let progress = |line: &str| info!("{line}");
            match complete_handshakes(pair, memory, &shared.scope, daemon.max_backoff, &progress)
                .await
            {
                Ok(0) => {}
                Ok(n) => info!(finished = n, "handshakes finished"),
                Err(e) => {
                    failed = true;
                    m.work_failures
                        .with_label_values(&[host.id(), "handshake"])
                        .inc();
                    warn!(error = %e, "handshake scan failed");
                }
            }
        }
        failed
    }

    /// Compares the updates others made to the served clients of `source` on `host` with
    /// `source`'s own headers, and submits evidence on a conflict.
    async fn watch_misbehaviour(
        &self,
        host: &ChainEndpoint,
        source: &ChainEndpoint,
        watch: &mut MisbehaviourWatch,
    ) {
        let served = match self.shared.scope.clients_tracking(host, source.id()).await {
            Ok(scoped) => scoped.served,
            Err(e) => {
                warn!(error = %e, "misbehaviour check: served clients unknown");
                return;
            }
        };
        match check_misbehaviour(host, source, &served, watch).await {
            Ok(r) => debug!(
                clients = r.clients_checked.len(),
                headers = r.headers_checked,
                conflicts = r.conflicts.len(),
                deferred = r.deferred.len(),
                "misbehaviour checked"
            ),
            Err(e) => {
                stateset_monitoring::global()
                    .work_failures
                    .with_label_values(&[host.id(), "misbehaviour"])
                    .inc();
                warn!(error = %e, "misbehaviour check failed");
            }
        }
    }

    /// Starts the tasks of every path in `found` not served yet.
    fn serve(&self, host: &ChainEndpoint, source: &ChainEndpoint, found: Vec<crate::relay::Path>) {
        let shared = &self.shared;
        for path in found {
            let fresh = shared
                .served
                .lock()
                .map(|mut s| s.insert(path.name()))
                .unwrap_or(false);
            if !fresh {
                continue;
            }
            shared.routes.add(&path);
            let ctx = PathContext {
                a: self.host.handle(host.clone()),
                b: self.source.handle(source.clone()),
                store: shared.store.clone(),
                clear_every: shared.config.daemon.clear_interval,
                quarantine_after: shared.config.daemon.quarantine_after,
                pipeline_depth: shared.config.daemon.pipeline_depth,
            };
            paths::spawn_path(&shared.supervisor, ctx, path);
        }
    }
}
