//! Client refresh: every Active client of a configured chain is updated before a fraction
//! (by default 1/3) of its trusting period has passed, judged by the host chain's clock.

use tracing::{info, warn};

use super::ops::{find_clients, update_client};
use super::{ClientError, ClientStatus, ClientSummary};
use crate::chain::ChainEndpoint;

/// What one refresh pass over the clients of `source` on `host` did.
#[derive(Debug, Default)]
pub struct RefreshReport {
    /// Clients seen, with their status before the pass.
    pub clients: Vec<ClientSummary>,
    /// Clients updated in this pass, with their new height.
    pub refreshed: Vec<(String, u64)>,
}

/// Updates every Active client of `source` on `host` whose refresh is due.
/// A client that fails is logged and the others go on; the first error is returned after.
pub async fn refresh_clients(
    host: &ChainEndpoint,
    source: &ChainEndpoint,
    fraction: f64,
) -> Result<RefreshReport, ClientError> {
    let clients = find_clients(host, source.id()).await?;
    let mut report = RefreshReport::default();
    let mut first_error = None;
    let m = stateset_monitoring::global();
    for client in &clients {
        m.client_trusting_period_left_seconds
            .with_label_values(&[host.id(), &client.client_id, source.id()])
            .set(client.time_left.as_secs_f64());
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
                    .with_label_values(&[host.id(), &client.client_id, source.id()])
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
