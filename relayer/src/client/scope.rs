//! Which clients the relayer serves. Anyone can create clients on a public chain; the relayer
//! pays only for its own: a client is served when the relayer's key on the host signed the
//! MsgCreateClient that made it (read from the host's tx index, once per client), or when the
//! config lists it (`[chains.serve] clients`). Refresh, handshake completion and path
//! discovery all ask here first.

use std::collections::HashMap;
use std::sync::Mutex;

use ibc_proto::cosmos::tx::v1beta1::{TxBody, TxRaw};
use ibc_proto::ibc::core::client::v1::MsgCreateClient;
use prost::{Message, Name};
use stateset_channels::events::{parse_abci_event, IbcEvent};
use tracing::{debug, info};

use super::state::decode_client_state;
use crate::chain::{ChainEndpoint, ChainError};

/// The verdicts of [`ClientScope::serves`], cached: who created a client never changes.
#[derive(Debug, Default)]
pub struct ClientScope {
    verdicts: Mutex<HashMap<(String, String), bool>>,
    /// Serve every client (for commands where the operator names what to work on).
    everything: bool,
}

/// The clients of one tracked chain on a host, split by whether the relayer serves them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScopedClients {
    /// Served: created by the relayer's key or listed in the config.
    pub served: Vec<String>,
    /// Not served: created by another party.
    pub ignored: Vec<String>,
}

impl ClientScope {
    /// A scope that serves every client, whoever created it: for one-shot commands where
    /// the operator names the channel to work on.
    pub fn all() -> Self {
        Self {
            everything: true,
            ..Self::default()
        }
    }

    /// Whether the relayer serves `client_id` on `host`.
    pub async fn serves(&self, host: &ChainEndpoint, client_id: &str) -> Result<bool, ChainError> {
        if self.everything || host.config().serve.lists_client(client_id) {
            return Ok(true);
        }
        let key = (host.id().to_string(), client_id.to_string());
        if let Some(v) = self.lock().get(&key) {
            return Ok(*v);
        }
        let Some(ours) = host.signer_address() else {
            // Without a key nothing is ours; not cached, a key may be added later.
            return Ok(false);
        };
        let creator = client_creator(host, client_id).await?;
        let served = creator.as_deref() == Some(ours);
        match &creator {
            Some(c) if !served => {
                info!(host = host.id(), client = client_id, creator = %c,
                    "client not served: another party created it (list it under [chains.serve] clients to serve it)")
            }
            None => {
                info!(
                    host = host.id(),
                    client = client_id,
                    "client not served: its creation tx is not in the node's tx index"
                )
            }
            _ => debug!(
                host = host.id(),
                client = client_id,
                "client created by the relayer"
            ),
        }
        self.lock().insert(key, served);
        Ok(served)
    }

    /// The 07-tendermint clients on `host` that track `tracked_chain_id`, split into served
    /// and ignored. Updates the `clients_ignored` gauge.
    pub async fn clients_tracking(
        &self,
        host: &ChainEndpoint,
        tracked_chain_id: &str,
    ) -> Result<ScopedClients, ChainError> {
        let mut scoped = ScopedClients::default();
        for identified in host.grpc().client_states().await? {
            let tracks = identified
                .client_state
                .as_ref()
                .and_then(|any| decode_client_state(any).ok().flatten())
                .is_some_and(|s| s.chain_id == tracked_chain_id);
            if !tracks {
                continue;
            }
            if self.serves(host, &identified.client_id).await? {
                scoped.served.push(identified.client_id);
            } else {
                scoped.ignored.push(identified.client_id);
            }
        }
        stateset_monitoring::global()
            .clients_ignored
            .with_label_values(&[host.id(), tracked_chain_id])
            .set(i64::try_from(scoped.ignored.len()).unwrap_or(i64::MAX));
        Ok(scoped)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), bool>> {
        // Each update is one insert: a poisoned map is still consistent.
        self.verdicts.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The signer of the MsgCreateClient that created `client_id` on `host`, from the host's tx
/// index; `None` when the index does not have it (indexing off, or pruned).
pub async fn client_creator(
    host: &ChainEndpoint,
    client_id: &str,
) -> Result<Option<String>, ChainError> {
    let query = format!("create_client.client_id='{client_id}'")
        .parse()
        .map_err(|e| ChainError::Decode {
            chain: host.id().to_string(),
            method: "tx_search",
            detail: format!("client id {client_id:?} makes no query: {e}"),
        })?;
    let found = host.rpc().tx_search(query, 1, 5).await?;
    for tx in found.txs {
        let created: Vec<String> = tx
            .tx_result
            .events
            .iter()
            .filter_map(|e| match parse_abci_event(e) {
                Ok(Some(IbcEvent::CreateClient { client_id, .. })) => Some(client_id.to_string()),
                _ => None,
            })
            .collect();
        let signers = create_client_signers(&tx.tx);
        // The k-th create_client event is the k-th MsgCreateClient's.
        if let Some(k) = created.iter().position(|c| c == client_id) {
            return Ok(signers.into_iter().nth(k));
        }
    }
    Ok(None)
}

/// The signers of the MsgCreateClient messages of a raw tx, in order (empty when the bytes
/// are not a Cosmos SDK tx).
pub fn create_client_signers(tx_bytes: &[u8]) -> Vec<String> {
    let Ok(raw) = TxRaw::decode(tx_bytes) else {
        return Vec::new();
    };
    let Ok(body) = TxBody::decode(raw.body_bytes.as_slice()) else {
        return Vec::new();
    };
    body.messages
        .iter()
        .filter(|m| m.type_url == MsgCreateClient::type_url())
        .filter_map(|m| MsgCreateClient::decode(m.value.as_slice()).ok())
        .map(|m| m.signer)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ibc_proto::google::protobuf::Any;

    fn tx_with(msgs: Vec<Any>) -> Vec<u8> {
        let body = TxBody {
            messages: msgs,
            ..Default::default()
        };
        TxRaw {
            body_bytes: body.encode_to_vec(),
            ..Default::default()
        }
        .encode_to_vec()
    }

    fn create(signer: &str) -> Any {
        Any {
            type_url: MsgCreateClient::type_url(),
            value: MsgCreateClient {
                signer: signer.into(),
                ..Default::default()
            }
            .encode_to_vec(),
        }
    }

    #[test]
    fn signers_of_create_client_messages_in_order() {
        let other = Any {
            type_url: "/cosmos.bank.v1beta1.MsgSend".into(),
            value: vec![1, 2, 3],
        };
        let tx = tx_with(vec![create("cosmos1a"), other, create("cosmos1b")]);
        assert_eq!(create_client_signers(&tx), vec!["cosmos1a", "cosmos1b"]);
    }

    #[test]
    fn garbage_is_no_signer() {
        assert!(create_client_signers(b"\xff\xff not a tx").is_empty());
        assert!(create_client_signers(&[]).is_empty());
    }
}
