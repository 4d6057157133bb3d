//! gRPC queries of the Cosmos SDK modules the relayer needs: accounts, balances,
//! tx simulation, node info and staking params. IBC queries live in
//! [`crate::chain::ibc_query`].

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use ibc_proto::cosmos::auth::v1beta1::{
    query_client::QueryClient as AuthQuery, QueryAccountInfoRequest,
};
use ibc_proto::cosmos::bank::v1beta1::{
    query_client::QueryClient as BankQuery, QueryAllBalancesRequest, QueryBalanceRequest,
};
use ibc_proto::cosmos::base::tendermint::v1beta1::{
    service_client::ServiceClient as NodeService, GetNodeInfoRequest, GetNodeInfoResponse,
};
use ibc_proto::cosmos::base::v1beta1::Coin;
use ibc_proto::cosmos::staking::v1beta1::{
    query_client::QueryClient as StakingQuery, QueryParamsRequest,
};
use ibc_proto::cosmos::tx::v1beta1::{service_client::ServiceClient as TxService, SimulateRequest};
use tonic::transport::{Channel, Endpoint};

use crate::chain::error::ChainError;
pub use crate::chain::node_channel::NodeChannel;
use crate::chain::nodes::NodePool;
use crate::chain::paging::{all_pages, Page};
use crate::chain::retry::{with_retry, RetryPolicy};

/// gRPC metadata key that selects the height a query is answered at.
pub const HEIGHT_HEADER: &str = "x-cosmos-block-height";

/// The largest response the relayer decodes (tonic's default is 4 MiB): one answer
/// (a page, a client state, a block's worth of data) may legitimately be larger.
pub const MAX_DECODING_MESSAGE_SIZE: usize = 64 * 1024 * 1024;

/// The largest request the relayer sends: below the Cosmos SDK's default receive limit
/// (10 MB), far above any request it builds (sequence lists are sent in chunks).
pub const MAX_ENCODING_MESSAGE_SIZE: usize = 8 * 1024 * 1024;

/// A tonic-generated client of `$service` on `$grpc`'s channel, with the message size
/// limits above.
macro_rules! grpc_client {
    ($service:ident, $grpc:expr) => {
        $service::new($grpc.transport())
            .max_decoding_message_size($crate::chain::grpc::MAX_DECODING_MESSAGE_SIZE)
            .max_encoding_message_size($crate::chain::grpc::MAX_ENCODING_MESSAGE_SIZE)
    };
}
pub(crate) use grpc_client;

/// gRPC connections to one chain's nodes (one lazy channel per node of its
/// [`NodePool`]). Cheap to clone: the channels and the pool are shared.
/// A node's channel is replaced by the fresh connection of a hedge copy (see
/// [`GrpcClient::transport_on`]).
#[derive(Clone, Debug)]
pub struct GrpcClient {
    chain_id: String,
    pool: Arc<NodePool>,
    /// One channel per node, in the pool's order (never empty).
    channels: Arc<Vec<RwLock<Channel>>>,
    /// Connect and call timeout of every channel.
    timeout: Duration,
}

/// An account's number and next sequence, the two values a signature commits to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountState {
    /// The account number assigned when the account was first funded.
    pub account_number: u64,
    /// The sequence the next tx from this account must carry.
    pub sequence: u64,
}

impl GrpcClient {
    /// Creates a client for `addr` alone (no backups). The connection is made lazily, so an
    /// unreachable node shows up as a transient error on the first call instead of here.
    pub fn new(chain_id: &str, addr: &str, timeout: Duration) -> Result<Self, ChainError> {
        let url = addr.parse().map_err(|_| ChainError::Decode {
            chain: chain_id.to_string(),
            method: "connect",
            detail: format!("`{addr}` is not a URL"),
        })?;
        let pool = NodePool::single(chain_id, url, addr.to_string());
        Self::with_pool(Arc::new(pool), timeout)
    }

    /// Creates a client for every node of `pool` (lazily connected, as [`GrpcClient::new`]).
    pub fn with_pool(pool: Arc<NodePool>, timeout: Duration) -> Result<Self, ChainError> {
        let chain_id = pool.chain_id().to_string();
        let channels = pool
            .nodes()
            .iter()
            .map(|n| lazy_channel(&chain_id, &n.grpc, timeout).map(RwLock::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            chain_id,
            pool,
            channels: Arc::new(channels),
            timeout,
        })
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// The gRPC address of the node in use.
    pub fn addr(&self) -> &str {
        &self.pool.addrs(self.pool.current()).grpc
    }

    /// The chain's nodes and their health (shared with the RPC client).
    pub fn pool(&self) -> &Arc<NodePool> {
        &self.pool
    }

    /// The channel of the node in rotation, for clients of any service. A transport
    /// failure on it (connect, reset, timeout) takes that node out of rotation, so the
    /// next call (a retry) goes to the next node.
    pub fn transport(&self) -> NodeChannel {
        self.transport_on(self.pool.current())
    }

    /// The channel of node `node` (the primary's when out of range). Inside a hedge copy
    /// ([`crate::chain::retry::is_hedge_copy`]) it is a fresh connection to that node, which
    /// also becomes the node's channel: calls share the node's channel over one HTTP/2
    /// connection, and a frame the link delayed holds up every call behind it, so neither
    /// the copy nor the calls after it may queue behind the call it stands in for (the
    /// calls already on the old connection finish there).
    pub fn transport_on(&self, node: usize) -> NodeChannel {
        let slot = self.channels.get(node).or_else(|| self.channels.first());
        let fresh = crate::chain::retry::is_hedge_copy()
            .then(|| self.pool.nodes().get(node))
            .flatten()
            .and_then(|n| lazy_channel(&self.chain_id, &n.grpc, self.timeout).ok());
        let channel = match (fresh, slot) {
            (Some(fresh), Some(slot)) => {
                *slot.write().unwrap_or_else(PoisonError::into_inner) = fresh.clone();
                Some(fresh)
            }
            (Some(fresh), None) => Some(fresh),
            (None, slot) => slot.map(|s| s.read().unwrap_or_else(PoisonError::into_inner).clone()),
        };
        NodeChannel {
            // `channels` is never empty; a lazy channel to nowhere is the harmless fallback.
            channel: channel
                .unwrap_or_else(|| Endpoint::from_static("http://127.0.0.1:1").connect_lazy()),
            node,
            pool: self.pool.clone(),
        }
    }

    /// One unary call of `path` with prost messages, on the node in rotation: for services
    /// whose types ibc-proto lacks (hand-written prost types; no generated client).
    pub(crate) async fn unary<Req, Resp>(
        &self,
        path: &'static str,
        req: Req,
    ) -> Result<Resp, tonic::Status>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        let mut grpc = tonic::client::Grpc::new(self.transport())
            .max_decoding_message_size(MAX_DECODING_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_ENCODING_MESSAGE_SIZE);
        grpc.ready()
            .await
            .map_err(|e| tonic::Status::unavailable(format!("service not ready: {e}")))?;
        let codec = tonic::codec::ProstCodec::<Req, Resp>::default();
        grpc.unary(
            tonic::Request::new(req),
            tonic::codegen::http::uri::PathAndQuery::from_static(path),
            codec,
        )
        .await
        .map(tonic::Response::into_inner)
    }

    /// Maps a gRPC status to a [`ChainError`] that names this chain and the method.
    /// (Transport failures have already taken the node out: see [`NodeChannel`].)
    pub fn status_error(&self, method: &'static str) -> impl Fn(tonic::Status) -> ChainError + '_ {
        move |status| ChainError::Grpc {
            chain: self.chain_id.clone(),
            method,
            code: status.code(),
            message: status.message().to_string(),
        }
    }

    /// Node info of node `node` alone: for checking at connect that every node serves the
    /// configured chain (retried only when the chain has no backup nodes).
    pub async fn node_info_on(&self, node: usize) -> Result<GetNodeInfoResponse, ChainError> {
        let name = "tendermint.GetNodeInfo";
        let policy = crate::chain::rpc::probe_policy(self.channels.len());
        with_retry(policy, &self.chain_id, "grpc", name, || async {
            NodeService::new(self.transport_on(node))
                .get_node_info(GetNodeInfoRequest {})
                .await
                .map(tonic::Response::into_inner)
                .map_err(self.status_error(name))
        })
        .await
    }

    /// The account number and sequence of `address`.
    pub async fn account(&self, address: &str) -> Result<AccountState, ChainError> {
        let req = QueryAccountInfoRequest {
            address: address.to_string(),
        };
        let resp = with_retry(
            RetryPolicy::QUERY,
            &self.chain_id,
            "grpc",
            "auth.AccountInfo",
            || async {
                grpc_client!(AuthQuery, self)
                    .account_info(req.clone())
                    .await
                    .map_err(self.status_error("auth.AccountInfo"))
            },
        )
        .await;
        let info = match resp {
            Ok(r) => r.into_inner().info,
            Err(ChainError::Grpc {
                code: tonic::Code::NotFound,
                ..
            }) => None,
            Err(e) => return Err(e),
        };
        let info = info.ok_or_else(|| ChainError::NotFound {
            chain: self.chain_id.clone(),
            what: format!("account {address} (fund it first)"),
        })?;
        Ok(AccountState {
            account_number: info.account_number,
            sequence: info.sequence,
        })
    }

    /// The balance of `address` in `denom` (0 when it holds none).
    pub async fn balance(&self, address: &str, denom: &str) -> Result<u128, ChainError> {
        let req = QueryBalanceRequest {
            address: address.to_string(),
            denom: denom.to_string(),
        };
        let resp = with_retry(
            RetryPolicy::QUERY,
            &self.chain_id,
            "grpc",
            "bank.Balance",
            || async {
                grpc_client!(BankQuery, self)
                    .balance(req.clone())
                    .await
                    .map_err(self.status_error("bank.Balance"))
            },
        )
        .await?;
        match resp.into_inner().balance {
            Some(coin) => parse_amount(&self.chain_id, "bank.Balance", &coin.amount),
            None => Ok(0),
        }
    }

    /// Every balance of `address`, read page by page ([`all_pages`]).
    pub async fn all_balances(&self, address: &str) -> Result<Vec<Coin>, ChainError> {
        let name = "bank.AllBalances";
        all_pages(&self.chain_id, name, |page| {
            let req = QueryAllBalancesRequest {
                address: address.to_string(),
                pagination: Some(page),
                resolve_denom: false,
            };
            async move {
                let resp = with_retry(RetryPolicy::QUERY, &self.chain_id, "grpc", name, || {
                    let req = req.clone();
                    async move {
                        grpc_client!(BankQuery, self)
                            .all_balances(req)
                            .await
                            .map_err(self.status_error(name))
                    }
                })
                .await?
                .into_inner();
                Ok(Page::new(resp.balances, resp.pagination))
            }
        })
        .await
    }

    /// Simulates a signed tx and returns the gas it used.
    pub async fn simulate(&self, tx_bytes: Vec<u8>) -> Result<u64, ChainError> {
        #[allow(deprecated)]
        let req = SimulateRequest { tx: None, tx_bytes };
        let resp = grpc_client!(TxService, self)
            .simulate(req)
            .await
            .map_err(self.status_error("tx.Simulate"))?;
        let gas = resp.into_inner().gas_info.map(|g| g.gas_used);
        gas.ok_or_else(|| ChainError::Decode {
            chain: self.chain_id.clone(),
            method: "tx.Simulate",
            detail: "no gas_info in the answer".into(),
        })
    }

    /// Node info: versions of the node and the application.
    pub async fn node_info(&self) -> Result<GetNodeInfoResponse, ChainError> {
        with_retry(
            RetryPolicy::QUERY,
            &self.chain_id,
            "grpc",
            "tendermint.GetNodeInfo",
            || async {
                grpc_client!(NodeService, self)
                    .get_node_info(GetNodeInfoRequest {})
                    .await
                    .map(tonic::Response::into_inner)
                    .map_err(self.status_error("tendermint.GetNodeInfo"))
            },
        )
        .await
    }

    /// The staking module's unbonding time, which bounds a light client's trusting period.
    pub async fn unbonding_time(&self) -> Result<Duration, ChainError> {
        let params = with_retry(
            RetryPolicy::QUERY,
            &self.chain_id,
            "grpc",
            "staking.Params",
            || async {
                grpc_client!(StakingQuery, self)
                    .params(QueryParamsRequest {})
                    .await
                    .map_err(self.status_error("staking.Params"))
            },
        )
        .await?
        .into_inner()
        .params;
        let unbonding =
            params
                .and_then(|p| p.unbonding_time)
                .ok_or_else(|| ChainError::Decode {
                    chain: self.chain_id.clone(),
                    method: "staking.Params",
                    detail: "no unbonding_time".into(),
                })?;
        Ok(Duration::new(
            unbonding.seconds.max(0) as u64,
            unbonding.nanos.max(0) as u32,
        ))
    }
}

fn lazy_channel(chain_id: &str, addr: &str, timeout: Duration) -> Result<Channel, ChainError> {
    let endpoint = Endpoint::from_shared(addr.to_string())
        .map_err(|source| ChainError::GrpcConnect {
            chain: chain_id.to_string(),
            addr: addr.to_string(),
            source,
        })?
        .connect_timeout(timeout)
        .timeout(timeout)
        .tcp_nodelay(true);
    Ok(endpoint.connect_lazy())
}

/// A page request for the first `limit` items (no offset, no total count). List queries
/// walk every page with [`crate::chain::paging::all_pages`] instead of asking for one.
pub fn page_request(limit: u64) -> ibc_proto::cosmos::base::query::v1beta1::PageRequest {
    ibc_proto::cosmos::base::query::v1beta1::PageRequest {
        key: Vec::new(),
        offset: 0,
        limit,
        count_total: false,
        reverse: false,
    }
}

/// Parses a Cosmos `Int` amount string.
pub fn parse_amount(chain: &str, method: &'static str, amount: &str) -> Result<u128, ChainError> {
    amount.parse::<u128>().map_err(|e| ChainError::Decode {
        chain: chain.to_string(),
        method,
        detail: format!("amount `{amount}`: {e}"),
    })
}
