//! `create path --ibc-version 2`: a 07-tendermint client on each chain, registered with
//! each other (`MsgRegisterCounterparty`, merkle prefix `["ibc", ""]`). There is no
//! connection or channel in IBC v2. What the chains show decides what is left to do
//! ([`plan_v2_path`]), so a second run sends nothing and an interrupted one is finished.

use std::time::Duration;

use ibc_proto::google::protobuf::Any;
use prost::Name;
use stateset_channels::v2::client::MsgRegisterCounterparty;
use stateset_channels::v2::path::{plan_v2_path, PlannedClient, V2Client};

use super::path::{matches_config, own_active_clients};
use super::{DriveError, Pair, Progress};
use crate::chain::tx::MEMO;
use crate::chain::ChainEndpoint;
use crate::client;

/// The merkle prefix of an ibc-go chain's IBC store: the `ibc` store, keys at its root.
pub const IBC_GO_MERKLE_PREFIX: [&[u8]; 2] = [b"ibc", b""];

/// The clients of a v2 path, and how many registrations this run sent.
#[derive(Clone, Debug, serde::Serialize)]
pub struct V2PathIds {
    /// Client of B on A.
    pub a_client: String,
    /// Client of A on B.
    pub b_client: String,
    /// Clients created by this run.
    pub created: usize,
    /// `MsgRegisterCounterparty` sent by this run.
    pub registered: usize,
}

/// The relayer's active clients of `source` on `host` with their registration: a
/// registered one always (it may be half of an earlier path); an unregistered one only
/// when it could be created now (same trust parameters) and carries no connection.
async fn v2_clients(
    host: &ChainEndpoint,
    source: &ChainEndpoint,
    trusting_period: Option<Duration>,
) -> Result<Vec<V2Client>, DriveError> {
    let mut clients = Vec::new();
    for c in own_active_clients(host, source.id()).await? {
        let counterparty = host.grpc().counterparty_info(&c.client_id).await?;
        let usable = counterparty.is_some()
            || (matches_config(&c, source, trusting_period)
                && host
                    .grpc()
                    .client_connections(&c.client_id)
                    .await?
                    .is_empty());
        if usable {
            clients.push(V2Client {
                client_id: c.client_id.clone(),
                counterparty: counterparty.map(|info| info.client_id),
            });
        }
    }
    Ok(clients)
}

/// The client of the plan on `host`: the existing one, or one created now.
async fn client_for(
    planned: PlannedClient,
    host: &ChainEndpoint,
    source: &ChainEndpoint,
    trusting_period: Option<Duration>,
    progress: Progress<'_>,
) -> Result<(String, usize), DriveError> {
    match planned {
        PlannedClient::Existing(id) => Ok((id, 0)),
        PlannedClient::Create => {
            let (id, tx) = client::create_client(host, source, trusting_period).await?;
            progress(&format!(
                "{}: created client {id} of {} (tx {} at height {})",
                host.id(),
                source.id(),
                tx.hash,
                tx.height
            ));
            Ok((id, 1))
        }
    }
}

/// Registers `client` on `host` with `counterparty` (a client on the other chain).
async fn register(
    host: &ChainEndpoint,
    client: &str,
    counterparty: &str,
    progress: Progress<'_>,
) -> Result<(), DriveError> {
    let msg = MsgRegisterCounterparty {
        client_id: client.to_string(),
        counterparty_merkle_prefix: IBC_GO_MERKLE_PREFIX.iter().map(|p| p.to_vec()).collect(),
        counterparty_client_id: counterparty.to_string(),
        signer: client::ops::signer(host)?,
    };
    let any = Any {
        type_url: MsgRegisterCounterparty::type_url(),
        value: prost::Message::encode_to_vec(&msg),
    };
    let tx = host.send_msgs(vec![any], MEMO).await?;
    progress(&format!(
        "{}: registered client {client} with counterparty {counterparty} (tx {} at height {})",
        host.id(),
        tx.hash,
        tx.height
    ));
    Ok(())
}

/// Creates or finishes the IBC v2 path between A and B.
pub async fn ensure_v2_path(
    pair: Pair<'_>,
    trusting_period: Option<Duration>,
    progress: Progress<'_>,
) -> Result<V2PathIds, DriveError> {
    let (a, b) = (pair.a, pair.b);
    let a_clients = v2_clients(a, b, trusting_period).await?;
    let b_clients = v2_clients(b, a, trusting_period).await?;
    let plan = plan_v2_path(&a_clients, &b_clients);
    if plan.is_complete() {
        progress("the v2 path is already registered on both chains; nothing to send");
    }
    let (a_client, a_new) = client_for(plan.a_client, a, b, trusting_period, progress).await?;
    let (b_client, b_new) = client_for(plan.b_client, b, a, trusting_period, progress).await?;
    let mut registered = 0;
    if plan.register_on_a {
        register(a, &a_client, &b_client, progress).await?;
        registered += 1;
    }
    if plan.register_on_b {
        register(b, &b_client, &a_client, progress).await?;
        registered += 1;
    }
    Ok(V2PathIds {
        a_client,
        b_client,
        created: a_new + b_new,
        registered,
    })
}
