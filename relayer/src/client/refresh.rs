//! Client refresh: every Active client the relayer serves (see [`super::scope`]) is updated
//! before a fraction (by default 1/3) of its trusting period has passed, judged by the host
//! chain's clock. Clients that others created are never refreshed.

use tracing::{info, warn};

use super::ops::{summarize, update_client};
use super::scope::ClientScope;
use super::{ClientError, ClientStatus, ClientSummary};
use crate::chain::ChainEndpoint;

/// What one refresh pass over the clients of `source` on `host` did.
#[derive(Debug, Default)]
pub struct RefreshReport {
    /// Served clients seen, with their status before the pass.
    pub clients: Vec<ClientSummary>,
    /// Clients of the same chain that others created (not refreshed).
    pub ignored: usize,
    /// Clients updated in this pass, with their new height.
    pub refreshed: Vec<(String, u64)>,
}

/// Updates every served Active client of `source` on `host` whose refresh is due.
/// A client that fails is logged and the others go on; the first error is returned after.
pub async fn refresh_clients(
    host: &ChainEndpoint,
    source: &ChainEndpoint,
    fraction: f64,
    scope: &ClientScope,
) -> Result<RefreshReport, ClientError> {
    let scoped = scope.clients_tracking(host, source.id()).await?;
    let mut clients = Vec::with_capacity(scoped.served.len());
    for id in &scoped.served {
        clients.push(summarize(host, id).await?);
    }
    let mut report = RefreshReport {
        ignored: scoped.ignored.len(),
        ..RefreshReport::default()
    };
    let mut first_error = None;
    let m = stateset_monitoring::global();
    for client in &clients {
        // Served clients are few, but a label budget keeps the series bounded regardless.
        let label = stateset_monitoring::bounded_label(
            stateset_monitoring::LabelFamily::ClientId,
            &client.client_id,
        );
        m.client_trusting_period_left_seconds
            .with_label_values(&[host.id(), &label, source.id()])
            .set(client.time_left.as_secs_f64());
        super::observed::note(host.id(), client);
        if client.status != ClientStatus::Active || !client.refresh_due(fraction) {
            continue;
        }
        let target = source.rpc().latest_height().await?;
        match update_client(host, source.rpc(), source.id(), &client.client_id, target).await {
            Ok(Some((plan, tx))) => {
                info!(
                    host = host.id(), client = %client.client_id, from = plan.trusted_height,
                    to = plan.target_height, headers = plan.msgs.len(), tx = %tx.hash,
                    "refreshed client"
                );
                m.client_updates
                    .with_label_values(&[host.id(), &label, source.id()])
                    .inc();
                report
                    .refreshed
                    .push((client.client_id.clone(), plan.target_height));
            }
            Ok(None) => {}
            Err(e) => {
                warn!(host = host.id(), client = %client.client_id, error = %e, "client refresh failed");
                first_error.get_or_insert(e);
            }
        }
    }
    report.clients = clients;
    match first_error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}
