//! IBC v2 path discovery: client pairs registered with each other, on configured chains,
//! that let the relayer's key relay through them (`allowed_relayers`).

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use stateset_channels::Ordering;
use tracing::warn;

use crate::chain::{ChainEndpoint, ChainError};
use crate::client::scope::ClientScope;
use crate::handshake::DriveError;
use crate::relay::{ChannelEnd, Path};

/// The IBC v2 paths between `host` and `source`: each served client on `host` (`clients`)
/// registered with a client on `source` that the relayer serves there and that is
/// registered back with it, and whose `allowed_relayers` (on both chains) let the
/// relayer's key relay. A chain without IBC v2 (before ibc-go v10) has none.
pub(super) async fn discover_v2_paths(
    host: &ChainEndpoint,
    source: &ChainEndpoint,
    scope: &ClientScope,
    clients: &[String],
) -> Result<Vec<Path>, DriveError> {
    let mut paths = Vec::new();
    let mut theirs: Option<Vec<String>> = None;
    for client in clients {
        let info = match host.grpc().counterparty_info(client).await {
            Ok(Some(info)) => info,
            Ok(None) => continue,
            // No IBC v2 on this chain: nothing to discover.
            Err(ChainError::NotFound { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let served_there = match &theirs {
            Some(t) => t,
            None => theirs.insert(scope.clients_tracking(source, host.id()).await?.served),
        };
        if !served_there.contains(&info.client_id) {
            continue;
        }
        let back = source.grpc().counterparty_info(&info.client_id).await?;
        if back.is_none_or(|b| &b.client_id != client) {
            continue;
        }
        if !allowed(host, client).await? || !allowed(source, &info.client_id).await? {
            continue;
        }
        let ends = ChannelEnd::v2(host.id(), client)
            .and_then(|a| Ok((a, ChannelEnd::v2(source.id(), &info.client_id)?)));
        match ends {
            Ok((a, b)) => paths.push(Path {
                a,
                b,
                ordering: Ordering::Unordered,
            }),
            Err(e) => warn!(chain = host.id(), client, counterparty = %info.client_id, error = %e,
                "IBC v2 counterparty with an unusable client id; not served"),
        }
    }
    Ok(paths)
}

/// Whether the client's `allowed_relayers` on `chain` let the relayer's key relay through
/// it. The first refusal of each client is logged with the fix (later passes stay quiet
/// until it is allowed again); the path is not served meanwhile, so no fee is spent on txs
/// the chain would refuse.
async fn allowed(chain: &ChainEndpoint, client: &str) -> Result<bool, DriveError> {
    let config = chain.grpc().client_v2_config(client).await?;
    let address = crate::client::ops::signer(chain)?;
    let key = format!("{}/{client}", chain.id());
    let mut warned = warned().lock().unwrap_or_else(|e| e.into_inner());
    if config.allows(&address) {
        warned.remove(&key);
        return Ok(true);
    }
    if warned.insert(key) {
        warn!(chain = chain.id(), client, relayer = %address, allowed = ?config.allowed_relayers,
            "IBC v2 client does not list this relayer in allowed_relayers; its path is not relayed. \
             Fix: the client's creator (or the chain's authority) adds the address with \
             `tx client-config --chain {} --client {client} --allowed-relayer {address}` \
             (MsgUpdateClientConfig), or the relayer uses an allowed key", chain.id());
        stateset_monitoring::global()
            .work_failures
            .with_label_values(&[chain.id(), "v2_relayer_not_allowed"])
            .inc();
    }
    Ok(false)
}

/// The clients whose refusal was logged (`chain/client`).
fn warned() -> &'static Mutex<HashSet<String>> {
    static WARNED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    WARNED.get_or_init(Mutex::default)
}
