//! `create client`, `update client` and `query client(s)`.

use std::time::Duration;

use tendermint::block::Height as TmHeight;

use super::{connect, print_json};
use crate::client::{self, ClientStatus, ClientSummary};
use crate::config::Config;

/// Creates a client of `reference` on `host`, or reuses the newest Active one unless `new`.
pub async fn create_client(
    config: &Config,
    host: &str,
    reference: &str,
    trusting_period: Option<Duration>,
    new: bool,
    json: bool,
) -> anyhow::Result<()> {
    let host = connect(config, host, true).await?;
    let reference = connect(config, reference, false).await?;
    if !new {
        let existing = client::find_clients(&host, reference.id()).await?;
        let reusable = existing.iter().rev().find(|c| {
            c.status == ClientStatus::Active
                && trusting_period.is_none_or(|t| t == c.trusting_period)
        });
        if let Some(c) = reusable {
            if json {
                print_json(&serde_json::json!({ "client_id": c.client_id, "created": false }));
            } else {
                println!(
                    "{}: client {} of {} already exists ({}); reusing it (pass --new for another)",
                    host.id(),
                    c.client_id,
                    reference.id(),
                    c.status
                );
            }
            return Ok(());
        }
    }
    let (client_id, tx) = client::create_client(&host, &reference, trusting_period).await?;
    if json {
        print_json(&serde_json::json!({
            "client_id": client_id, "created": true, "tx": tx.hash, "height": tx.height,
        }));
    } else {
        println!(
            "{}: created client {client_id} of {} (tx {} at height {})",
            host.id(),
            reference.id(),
            tx.hash,
            tx.height
        );
    }
    Ok(())
}

/// Updates `client_id` on `host` to `height` (default: the tracked chain's latest).
pub async fn update_client(
    config: &Config,
    host: &str,
    client_id: &str,
    height: Option<u64>,
    json: bool,
) -> anyhow::Result<()> {
    let host = connect(config, host, true).await?;
    let summary = client::summarize(&host, client_id).await?;
    let reference = connect(config, &summary.tracked_chain_id, false).await?;
    let target = match height {
        Some(h) => TmHeight::try_from(h)?,
        None => reference.rpc().latest_height().await?,
    };
    let outcome =
        client::update_client(&host, reference.rpc(), reference.id(), client_id, target).await?;
    match outcome {
        Some((plan, tx)) => {
            if json {
                print_json(&serde_json::json!({
                    "client_id": client_id, "from": plan.trusted_height, "to": plan.target_height,
                    "headers": plan.msgs.len(), "tx": tx.hash, "height": tx.height,
                }));
            } else {
                println!(
                    "{}: updated client {client_id} from height {} to {} with {} verified header(s) (tx {})",
                    host.id(),
                    plan.trusted_height,
                    plan.target_height,
                    plan.msgs.len(),
                    tx.hash
                );
            }
        }
        None => {
            if json {
                print_json(&serde_json::json!({ "client_id": client_id, "updated": false }));
            } else {
                println!(
                    "{}: client {client_id} is already at height {target}",
                    host.id()
                );
            }
        }
    }
    Ok(())
}

/// Shows one client, or every client on `host`.
pub async fn query_clients(
    config: &Config,
    host: &str,
    client_id: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let host = connect(config, host, false).await?;
    let clients: Vec<ClientSummary> = match client_id {
        Some(id) => vec![client::summarize(&host, id).await?],
        None => {
            let mut all = Vec::new();
            for identified in host.grpc().client_states().await? {
                match client::summarize(&host, &identified.client_id).await {
                    Ok(s) => all.push(s),
                    Err(e) => {
                        tracing::debug!(client = %identified.client_id, error = %e, "skipped")
                    }
                }
            }
            all
        }
    };
    let counterparties = v2_counterparties(&host, &clients).await;
    if json {
        let mut rows = Vec::new();
        for (c, cp) in clients.iter().zip(&counterparties) {
            let mut row = serde_json::to_value(c)?;
            if let Some(obj) = row.as_object_mut() {
                let cp = cp.as_ref().map(|info| {
                    let prefix: Vec<String> = info
                        .merkle_prefix
                        .iter()
                        .map(|p| String::from_utf8_lossy(p).into_owned())
                        .collect();
                    serde_json::json!({ "client_id": info.client_id, "merkle_prefix": prefix })
                });
                obj.insert("v2_counterparty".into(), cp.into());
            }
            rows.push(row);
        }
        print_json(&serde_json::Value::Array(rows));
        return Ok(());
    }
    for (c, cp) in clients.iter().zip(&counterparties) {
        let registered = cp.as_ref().map_or_else(String::new, |info| {
            format!(", IBC v2 counterparty {}", info.client_id)
        });
        println!(
            "{} on {}: tracks {} at height {}, {} ({} left of {}), trust {}{registered}",
            c.client_id,
            host.id(),
            c.tracked_chain_id,
            c.latest_height,
            c.status,
            humantime::format_duration(Duration::from_secs(c.time_left.as_secs())),
            humantime::format_duration(c.trusting_period),
            c.trust_level
        );
    }
    Ok(())
}

/// The IBC v2 counterparty each client is registered with (`None` where none is, and for
/// every client of a chain without IBC v2, which is asked only once).
async fn v2_counterparties(
    host: &crate::chain::ChainEndpoint,
    clients: &[ClientSummary],
) -> Vec<Option<stateset_channels::v2::client::CounterpartyInfo>> {
    let mut found = Vec::with_capacity(clients.len());
    for c in clients {
        match host.grpc().counterparty_info(&c.client_id).await {
            Ok(info) => found.push(info),
            Err(e) => {
                tracing::debug!(client = %c.client_id, error = %e, "no IBC v2 counterparty");
                found.resize(clients.len(), None);
                break;
            }
        }
    }
    found
}
