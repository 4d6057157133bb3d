//! CometBFT RPC: status, blocks, commits, validators, ABCI queries, txs.
//!
//! A thin typed layer over `tendermint-rpc`'s HTTP client that names the chain in
//! every error and retries idempotent queries with backoff.

use std::time::Duration;

use tendermint::block::{signed_header::SignedHeader, Height};
use tendermint::validator;
use tendermint_rpc::client::CompatMode;
use tendermint_rpc::endpoint::{
    abci_query::AbciQuery, block, block_results, broadcast, status, tx,
};
use tendermint_rpc::{Client, HttpClient, HttpClientUrl, Order, Paging, Url};

use crate::chain::error::ChainError;
use crate::chain::retry::{with_retry, RetryPolicy};

/// Largest page size CometBFT accepts for `tx_search`.
pub const MAX_PER_PAGE: u8 = 100;

/// A CometBFT RPC client for one chain.
#[derive(Clone, Debug)]
pub struct RpcClient {
    chain_id: String,
    url: Url,
    client: HttpClient,
    compat: CompatMode,
    /// Other nodes of the chain that headers are checked with before they are submitted.
    witnesses: std::sync::Arc<Vec<RpcClient>>,
}

impl RpcClient {
    /// Connects to `url`, asks the node for its CometBFT version and speaks that dialect.
    pub async fn connect(chain_id: &str, url: &Url, timeout: Duration) -> Result<Self, ChainError> {
        let build = |mode: CompatMode| {
            let http_url = HttpClientUrl::try_from(url.clone())
                .map_err(|e| rpc_error(chain_id, "connect", e))?;
            HttpClient::builder(http_url)
                .compat_mode(mode)
                .timeout(timeout)
                .build()
                .map_err(|e| rpc_error(chain_id, "connect", e))
        };
        let probe = Self {
            chain_id: chain_id.to_string(),
            url: url.clone(),
            client: build(CompatMode::latest())?,
            compat: CompatMode::latest(),
            witnesses: std::sync::Arc::default(),
        };
        let status = probe.status().await?;
        let mode =
            CompatMode::from_version(status.node_info.version).unwrap_or(CompatMode::latest());
        let client = build(mode)?;
        if status.node_info.network.as_str() != chain_id {
            return Err(ChainError::Decode {
                chain: chain_id.to_string(),
                method: "status",
                detail: format!(
                    "the node at {url} serves chain `{}`, not `{chain_id}`; fix rpc_addr or id in the config",
                    status.node_info.network
                ),
            });
        }
        Ok(Self {
            client,
            compat: mode,
            ..probe
        })
    }

    /// This client, checking headers with `witnesses` (nodes of the same chain).
    pub fn with_witnesses(mut self, witnesses: Vec<RpcClient>) -> Self {
        self.witnesses = std::sync::Arc::new(witnesses);
        self
    }

    /// The witnesses headers are checked with.
    pub fn witnesses(&self) -> &[RpcClient] {
        &self.witnesses
    }

    /// The CometBFT dialect the node speaks.
    pub fn compat(&self) -> CompatMode {
        self.compat
    }

    /// The chain id this client serves.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// The RPC address.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The underlying `tendermint-rpc` client, for calls not wrapped here.
    pub fn inner(&self) -> &HttpClient {
        &self.client
    }

    fn err(&self, method: &'static str) -> impl Fn(tendermint_rpc::Error) -> ChainError + '_ {
        move |e| rpc_error(&self.chain_id, method, e)
    }

    /// `/status`: node info and sync info.
    pub async fn status(&self) -> Result<status::Response, ChainError> {
        with_retry(
            RetryPolicy::QUERY,
            &self.chain_id,
            "rpc",
            "status",
            || async { self.client.status().await.map_err(self.err("status")) },
        )
        .await
    }

    /// The latest committed height.
    pub async fn latest_height(&self) -> Result<Height, ChainError> {
        Ok(self.status().await?.sync_info.latest_block_height)
    }

    /// `/block` at `height`.
    pub async fn block(&self, height: Height) -> Result<block::Response, ChainError> {
        with_retry(
            RetryPolicy::QUERY,
            &self.chain_id,
            "rpc",
            "block",
            || async { self.client.block(height).await.map_err(self.err("block")) },
        )
        .await
    }

    /// `/commit` at `height`: the header and the commit that signs it.
    pub async fn signed_header(&self, height: Height) -> Result<SignedHeader, ChainError> {
        with_retry(
            RetryPolicy::QUERY,
            &self.chain_id,
            "rpc",
            "commit",
            || async {
                let resp = self
                    .client
                    .commit(height)
                    .await
                    .map_err(self.err("commit"))?;
                Ok(resp.signed_header)
            },
        )
        .await
    }

    /// `/validators` at `height`, every page.
    pub async fn validators(&self, height: Height) -> Result<Vec<validator::Info>, ChainError> {
        with_retry(
            RetryPolicy::QUERY,
            &self.chain_id,
            "rpc",
            "validators",
            || async {
                let resp = self
                    .client
                    .validators(height, Paging::All)
                    .await
                    .map_err(self.err("validators"))?;
                Ok(resp.validators)
            },
        )
        .await
    }

    /// `/abci_query` of `data` under `path` at `height` (latest if `None`).
    pub async fn abci_query(
        &self,
        path: &str,
        data: Vec<u8>,
        height: Option<Height>,
        prove: bool,
    ) -> Result<AbciQuery, ChainError> {
        with_retry(
            RetryPolicy::QUERY,
            &self.chain_id,
            "rpc",
            "abci_query",
            || async {
                self.client
                    .abci_query(Some(path.to_string()), data.clone(), height, prove)
                    .await
                    .map_err(self.err("abci_query"))
            },
        )
        .await
    }

    /// `/broadcast_tx_sync`: submits a tx and returns its CheckTx result. Not retried:
    /// the caller decides, since a lost answer may still mean the tx is in the mempool.
    pub async fn broadcast_tx_sync(
        &self,
        tx: Vec<u8>,
    ) -> Result<broadcast::tx_sync::Response, ChainError> {
        self.client
            .broadcast_tx_sync(tx)
            .await
            .map_err(self.err("broadcast_tx_sync"))
    }

    /// `/tx` by hash; `Ok(None)` while the tx is not (yet) indexed.
    pub async fn tx(&self, hash: tendermint::Hash) -> Result<Option<tx::Response>, ChainError> {
        match self.client.tx(hash, false).await {
            Ok(resp) => Ok(Some(resp)),
            Err(e) if e.to_string().contains("not found") || e.detail_is_not_found() => Ok(None),
            Err(e) => Err(rpc_error(&self.chain_id, "tx", e)),
        }
    }

    /// `/tx_search` for `query`, one page.
    pub async fn tx_search(
        &self,
        query: tendermint_rpc::query::Query,
        page: u32,
        per_page: u8,
    ) -> Result<tendermint_rpc::endpoint::tx_search::Response, ChainError> {
        with_retry(
            RetryPolicy::QUERY,
            &self.chain_id,
            "rpc",
            "tx_search",
            || async {
                self.client
                    .tx_search(query.clone(), false, page, per_page, Order::Ascending)
                    .await
                    .map_err(self.err("tx_search"))
            },
        )
        .await
    }

    /// `/block_results` at `height`: the events of every tx and of block finalization.
    pub async fn block_results(
        &self,
        height: Height,
    ) -> Result<block_results::Response, ChainError> {
        with_retry(
            RetryPolicy::QUERY,
            &self.chain_id,
            "rpc",
            "block_results",
            || async {
                self.client
                    .block_results(height)
                    .await
                    .map_err(self.err("block_results"))
            },
        )
        .await
    }
}

/// Wraps a `tendermint-rpc` error with the chain and method.
pub(crate) fn rpc_error(
    chain_id: &str,
    method: &'static str,
    e: tendermint_rpc::Error,
) -> ChainError {
    ChainError::Rpc {
        chain: chain_id.to_string(),
        method,
        source: Box::new(e),
    }
}

trait NotFoundDetail {
    fn detail_is_not_found(&self) -> bool;
}

impl NotFoundDetail for tendermint_rpc::Error {
    fn detail_is_not_found(&self) -> bool {
        match self.detail() {
            tendermint_rpc::error::ErrorDetail::Response(r) => {
                let s = r.source.to_string();
                s.contains("not found")
            }
            _ => false,
        }
    }
}
