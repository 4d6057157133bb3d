//! CometBFT RPC: status, blocks, commits, validators, ABCI queries, txs.
//!
//! A thin typed layer over `tendermint-rpc`'s HTTP client that names the chain in
//! every error and retries idempotent queries with backoff. Every call goes to the node
//! the chain's [`NodePool`] picks; a transient failure takes that node out of rotation, so
//! the retry goes to the next one. At most every 10 s, `status()` also compares every
//! node's `/status` (chain id, lag; see [`crate::chain::nodes`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tendermint::block::{signed_header::SignedHeader, Height};
use tendermint::validator;
use tendermint_rpc::client::CompatMode;
use tendermint_rpc::endpoint::{
    abci_query::AbciQuery, block, block_results, broadcast, status, tx,
};
use tendermint_rpc::{Client, HttpClient, HttpClientUrl, Order, Paging, Url};

use crate::chain::error::ChainError;
use crate::chain::nodes::{judge, NodePool};
use crate::chain::retry::{with_retry, RetryPolicy};
use crate::chain::versions::dialect_for;

/// Largest page size CometBFT accepts for `tx_search`.
pub const MAX_PER_PAGE: u8 = 100;

/// The longest wait for one node's answer in a `/status` round.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// A light block's parts, all from one node: the signed header at H, the validators at H
/// and at H+1.
pub type LightBlockParts = (SignedHeader, Vec<validator::Info>, Vec<validator::Info>);

/// One answer of the three a light block is made of.
enum Part {
    Commit(Box<SignedHeader>),
    Validators(Vec<validator::Info>),
}

/// A CometBFT RPC client for one chain (all its nodes).
#[derive(Clone, Debug)]
pub struct RpcClient {
    chain_id: String,
    pool: Arc<NodePool>,
    /// One client per node of the pool, in its order (never empty).
    clients: Arc<Vec<(HttpClient, CompatMode)>>,
    /// The dialect of the first node that answered at connect.
    compat: CompatMode,
    /// Other nodes of the chain that headers are checked with before they are submitted.
    witnesses: Arc<Vec<RpcClient>>,
}

fn build_client(
    chain_id: &str,
    url: &Url,
    mode: CompatMode,
    timeout: Duration,
) -> Result<HttpClient, ChainError> {
    let http_url =
        HttpClientUrl::try_from(url.clone()).map_err(|e| rpc_error(chain_id, "connect", e))?;
    HttpClient::builder(http_url)
        .compat_mode(mode)
        .timeout(timeout)
        .build()
        .map_err(|e| rpc_error(chain_id, "connect", e))
}

/// `/status` of one node, retried by `policy`.
async fn probe(
    chain_id: &str,
    url: &Url,
    timeout: Duration,
    policy: RetryPolicy,
) -> Result<status::Response, ChainError> {
    let client = build_client(chain_id, url, CompatMode::latest(), timeout)?;
    with_retry(policy, chain_id, "rpc", "status", || async {
        client
            .status()
            .await
            .map_err(|e| rpc_error(chain_id, "status", e))
    })
    .await
}

/// Connect-time probes: one node alone is asked patiently; with backups each is asked
/// once (one that does not answer is out of rotation, the others carry the chain).
pub(crate) fn probe_policy(nodes: usize) -> RetryPolicy {
    if nodes > 1 {
        RetryPolicy::NONE
    } else {
        RetryPolicy::QUERY
    }
}

impl RpcClient {
    /// Connects to the node at `url` alone (no backups), asks it for its CometBFT version
    /// and speaks that dialect. Witnesses and ad-hoc clients use this.
    pub async fn connect(chain_id: &str, url: &Url, timeout: Duration) -> Result<Self, ChainError> {
        let pool = NodePool::single(chain_id, url.clone(), String::new());
        Self::connect_pool(Arc::new(pool), timeout).await
    }

    /// Connects to every node of `pool` at once and speaks each one's dialect. A node that
    /// answers for another chain id is a config error; nodes that do not answer are taken
    /// out of rotation, and only when none answers is the primary's error returned.
    pub async fn connect_pool(pool: Arc<NodePool>, timeout: Duration) -> Result<Self, ChainError> {
        let chain_id = pool.chain_id().to_string();
        let answers = futures::future::join_all(
            pool.nodes()
                .iter()
                .map(|n| probe(&chain_id, &n.rpc, timeout, probe_policy(pool.nodes().len()))),
        )
        .await;
        let mut modes = Vec::new();
        let mut first_error = None;
        for (i, (node, answer)) in pool.nodes().iter().zip(answers).enumerate() {
            match answer {
                Ok(status) if status.node_info.network.as_str() != chain_id => {
                    return Err(ChainError::Decode {
                        chain: chain_id.clone(),
                        method: "status",
                        detail: format!(
                            "the node at {} serves chain `{}`, not `{chain_id}`; fix {}rpc_addr or id in the config",
                            node.rpc, status.node_info.network, node.key
                        ),
                    });
                }
                Ok(status) => {
                    let dialect = dialect_for(&status.node_info.version.to_string());
                    if let Some(why) = &dialect.fallback {
                        tracing::warn!(chain = %chain_id, node = %node.rpc, "{why}");
                    }
                    modes.push(Some(dialect.mode));
                }
                Err(e) => {
                    pool.failed(i, &e.to_string());
                    first_error.get_or_insert(e);
                    modes.push(None);
                }
            }
        }
        let Some(compat) = modes.iter().flatten().next().copied() else {
            return Err(first_error.unwrap_or_else(|| no_node(&chain_id)));
        };
        let clients = pool
            .nodes()
            .iter()
            .zip(&modes)
            .map(|(n, m)| {
                let mode = m.unwrap_or(compat);
                Ok((build_client(&chain_id, &n.rpc, mode, timeout)?, mode))
            })
            .collect::<Result<Vec<_>, ChainError>>()?;
        Ok(Self {
            chain_id,
            pool,
            clients: Arc::new(clients),
            compat,
            witnesses: Arc::default(),
        })
    }

    /// This client, checking headers with `witnesses` (nodes of the same chain).
    pub fn with_witnesses(mut self, witnesses: Vec<RpcClient>) -> Self {
        self.witnesses = Arc::new(witnesses);
        self
    }

    /// The witnesses headers are checked with.
    pub fn witnesses(&self) -> &[RpcClient] {
        &self.witnesses
    }

    /// The chain's nodes and their health (shared with the gRPC client).
    pub fn pool(&self) -> &Arc<NodePool> {
        &self.pool
    }

    /// The CometBFT dialect of the node in use.
    pub fn compat(&self) -> CompatMode {
        self.clients
            .get(self.pool.current())
            .map_or(self.compat, |(_, m)| *m)
    }

    /// The chain id this client serves.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// The RPC address of the node in use.
    pub fn url(&self) -> &Url {
        &self.pool.addrs(self.pool.current()).rpc
    }

    fn client(&self, node: usize) -> Result<HttpClient, ChainError> {
        self.clients
            .get(node)
            .or_else(|| self.clients.first())
            .map(|(c, _)| c.clone())
            .ok_or_else(|| no_node(&self.chain_id))
    }

    /// One call of `op` on `node`; the outcome is reported to the pool.
    async fn on<T, F, Fut>(&self, node: usize, method: &'static str, op: F) -> Result<T, ChainError>
    where
        F: FnOnce(HttpClient) -> Fut,
        Fut: Future<Output = Result<T, tendermint_rpc::Error>>,
    {
        let result = op(self.client(node)?)
            .await
            .map_err(|e| rpc_error(&self.chain_id, method, e));
        self.report(node, &result);
        result
    }

    fn report<T>(&self, node: usize, result: &Result<T, ChainError>) {
        match result {
            Ok(_) => self.pool.succeeded(node),
            Err(e) if e.is_transient() => self.pool.failed(node, &e.to_string()),
            Err(_) => {}
        }
    }

    /// `op` on the node in rotation, retried (on the next node) while it fails transiently.
    async fn call<T, F, Fut>(&self, method: &'static str, op: F) -> Result<T, ChainError>
    where
        F: Fn(HttpClient) -> Fut,
        Fut: Future<Output = Result<T, tendermint_rpc::Error>>,
    {
        with_retry(RetryPolicy::QUERY, &self.chain_id, "rpc", method, || {
            self.on(self.pool.current(), method, &op)
        })
        .await
    }

    /// A `/status` round over every node, when one is due: nodes that answer for another
    /// chain or lag are taken out, those in step again are put back.
    async fn check_nodes(&self) {
        if !self.pool.check_due() {
            return;
        }
        let answers = futures::future::join_all(self.clients.iter().map(|(c, _)| async move {
            let s = tokio::time::timeout(CHECK_TIMEOUT, c.status())
                .await
                .ok()?
                .ok()?;
            Some((
                s.node_info.network.to_string(),
                s.sync_info.latest_block_height.value(),
            ))
        }))
        .await;
        self.pool
            .apply(&judge(&self.chain_id, &answers, self.pool.max_lag()));
    }

    /// `/status`: node info and sync info (of the node in use).
    pub async fn status(&self) -> Result<status::Response, ChainError> {
        self.check_nodes().await;
        let status = self
            .call("status", |c| async move { c.status().await })
            .await?;
        crate::chain::seen::note_height(
            &self.chain_id,
            status.sync_info.latest_block_height.value(),
        );
        Ok(status)
    }

    /// The latest committed height.
    pub async fn latest_height(&self) -> Result<Height, ChainError> {
        Ok(self.status().await?.sync_info.latest_block_height)
    }

    /// `/block` at `height`.
    pub async fn block(&self, height: Height) -> Result<block::Response, ChainError> {
        self.call("block", |c| async move { c.block(height).await })
            .await
    }

    /// `/commit` at `height`: the header and the commit that signs it.
    pub async fn signed_header(&self, height: Height) -> Result<SignedHeader, ChainError> {
        self.call("commit", |c| async move {
            c.commit(height).await.map(|r| r.signed_header)
        })
        .await
    }

    /// `/validators` at `height`, every page.
    pub async fn validators(&self, height: Height) -> Result<Vec<validator::Info>, ChainError> {
        self.call("validators", |c| async move {
            c.validators(height, Paging::All)
                .await
                .map(|r| r.validators)
        })
        .await
    }

    /// The parts of the light block at `height` (`/commit` at `height`, `/validators` at
    /// `height` and at `next`), all from one node: a header is never checked against
    /// another node's validator sets. Each part is retried a few times on that node (one
    /// dropped answer out of three calls is common on a flaky link); a node that keeps
    /// failing is left and the three are asked of the next node in rotation.
    pub async fn light_block_parts(
        &self,
        height: Height,
        next: Height,
    ) -> Result<LightBlockParts, ChainError> {
        with_retry(
            RetryPolicy::QUERY_OF_PARTS,
            &self.chain_id,
            "rpc",
            "light_block",
            || async {
                let node = self.pool.current();
                let part = |method: &'static str, at: Height, commit: bool| {
                    with_retry(
                        RetryPolicy::PART,
                        &self.chain_id,
                        "rpc",
                        method,
                        move || {
                            self.on(node, method, move |c: HttpClient| async move {
                                if commit {
                                    c.commit(at)
                                        .await
                                        .map(|r| Part::Commit(Box::new(r.signed_header)))
                                } else {
                                    c.validators(at, Paging::All)
                                        .await
                                        .map(|r| Part::Validators(r.validators))
                                }
                            })
                        },
                    )
                };
                let (header, validators, next_validators) = tokio::try_join!(
                    part("commit", height, true),
                    part("validators", height, false),
                    part("validators", next, false),
                )?;
                match (header, validators, next_validators) {
                    (Part::Commit(h), Part::Validators(v), Part::Validators(n)) => Ok((*h, v, n)),
                    _ => Err(ChainError::Decode {
                        chain: self.chain_id.clone(),
                        method: "light_block",
                        detail: "answers out of order".into(),
                    }),
                }
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
        self.call("abci_query", |c| {
            let (path, data) = (path.to_string(), data.clone());
            async move { c.abci_query(Some(path), data, height, prove).await }
        })
        .await
    }

    /// `/broadcast_tx_sync` on the node in use: submits a tx and returns its CheckTx
    /// result. Not retried: the caller decides, since a lost answer may still mean the tx
    /// is in the mempool.
    pub async fn broadcast_tx_sync(
        &self,
        tx: Vec<u8>,
    ) -> Result<broadcast::tx_sync::Response, ChainError> {
        let op = |c: HttpClient| {
            let tx = tx.clone();
            async move { c.broadcast_tx_sync(tx).await }
        };
        self.on(self.pool.current(), "broadcast_tx_sync", op).await
    }

    /// `/tx` by hash; `Ok(None)` while the tx is not (yet) indexed.
    pub async fn tx(&self, hash: tendermint::Hash) -> Result<Option<tx::Response>, ChainError> {
        let node = self.pool.current();
        let result = match self.client(node)?.tx(hash, false).await {
            Ok(resp) => Ok(Some(resp)),
            Err(e) if e.to_string().contains("not found") || e.detail_is_not_found() => Ok(None),
            Err(e) => Err(rpc_error(&self.chain_id, "tx", e)),
        };
        self.report(node, &result);
        result
    }

    /// `/tx_search` for `query`, one page.
    pub async fn tx_search(
        &self,
        query: tendermint_rpc::query::Query,
        page: u32,
        per_page: u8,
    ) -> Result<tendermint_rpc::endpoint::tx_search::Response, ChainError> {
        self.call("tx_search", |c| {
            let query = query.clone();
            async move {
                c.tx_search(query, false, page, per_page, Order::Ascending)
                    .await
            }
        })
        .await
    }

    /// `/block_results` at `height`: the events of every tx and of block finalization.
    pub async fn block_results(
        &self,
        height: Height,
    ) -> Result<block_results::Response, ChainError> {
        self.call(
            "block_results",
            |c| async move { c.block_results(height).await },
        )
        .await
    }
}

fn no_node(chain_id: &str) -> ChainError {
    ChainError::Decode {
        chain: chain_id.to_string(),
        method: "connect",
        detail: "no node is configured".into(),
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
