//! The chain endpoint: everything the relayer says to and hears from one Cosmos chain.
//!
//! - [`rpc`]: CometBFT RPC (status, blocks, commits, validators, ABCI queries, txs);
//! - [`grpc`] and [`ibc_query`]: Cosmos SDK and IBC gRPC queries; [`ibc_v2_query`]: IBC v2's;
//! - [`tx`]: signed transactions with fees from simulated gas and sequence recovery;
//! - [`gas_price`]: the gas price of those fees, static or read from the chain;
//! - [`proof`]: ICS-23 proofs, verified locally before use;
//! - [`events`]: the websocket event source that reconnects by itself;
//! - [`malformed`]: connections and channels read from a chain that cannot be used;
//! - [`versions`]: the CometBFT dialect spoken to each node, and what software it runs.

pub mod error;
pub mod events;
pub mod fee_query;
pub mod gas_price;
pub mod grpc;
pub mod ibc_query;
pub mod ibc_v2_query;
pub mod malformed;
pub mod node_channel;
pub mod nodes;
pub mod paging;
pub mod proof;
pub mod retry;
pub mod rpc;
pub mod seen;
pub mod staking;
pub mod transfer_query;
pub mod tx;
pub mod versions;

use std::sync::Arc;
use std::time::Duration;

use ibc_proto::google::protobuf::Any;
use ibc_proto::ibc::core::commitment::v1::MerkleProof;
use tendermint::block::Height;

pub use error::ChainError;
pub use grpc::{AccountState, GrpcClient};
pub use rpc::RpcClient;
pub use tx::{TxResult, TxSubmitter};

use crate::client::trust::HeaderTrust;
use crate::client::ClientError;
use crate::config::ChainConfig;
use crate::keys::{KeyRing, KeySource, KeySourceError, Signer};

/// How long [`ChainEndpoint::query_proven`] waits for the block that commits a queried state.
const NEXT_BLOCK_WAIT: Duration = Duration::from_secs(30);

/// A value (or its absence) in the IBC store, with a proof verified against the
/// app hash of the next block.
#[derive(Clone, Debug)]
pub struct ProvenValue {
    /// The value at the key; `None` when the key is absent.
    pub value: Option<Vec<u8>>,
    /// The proof, as IBC messages carry it.
    pub proof: MerkleProof,
    /// The height the state was read at (H).
    pub query_height: Height,
    /// The height whose header commits to it (H+1): the proof height in IBC messages.
    pub proof_height: Height,
}

/// One chain, as the relayer uses it: RPC, gRPC, and (with a key) a tx submitter.
#[derive(Clone, Debug)]
pub struct ChainEndpoint {
    config: ChainConfig,
    rpc: RpcClient,
    grpc: GrpcClient,
    submitter: Option<Arc<TxSubmitter>>,
    /// The latest block height the scanner has read (see [`ChainEndpoint::note_block`]):
    /// waits for inclusion or for a height look again as soon as it moves.
    blocks: Arc<tokio::sync::watch::Sender<u64>>,
    /// The relayer's own light client of this chain: proofs are verified against the app
    /// hashes of headers it verified, fetched and verified once per height.
    trust: Arc<tokio::sync::Mutex<HeaderTrust>>,
}

/// The trusting period of the relayer's own light client when the config sets none: its
/// root moves up hourly while the chain is in use, so this only bounds an idle root's age.
const DEFAULT_TRUSTING_PERIOD: Duration = Duration::from_secs(24 * 3600);

impl ChainEndpoint {
    /// Connects to the chain of `config` (checking that the node serves that chain id).
    /// With a key ring, loads the chain's `key_name` to sign txs.
    pub async fn connect(config: &ChainConfig, keys: Option<&KeyRing>) -> Result<Self, ChainError> {
        let chain = config.id.to_string();
        let signer = match keys {
            Some(ring) => {
                let key_err = |source| ChainError::Key {
                    chain: chain.clone(),
                    source,
                };
                let stored = ring.get(&chain, &config.key_name).map_err(key_err)?;
                let address = stored
                    .key
                    .try_address(&config.account_prefix)
                    .map_err(key_err)?;
                Some((Signer::File(Arc::new(stored.key)), address))
            }
            None => None,
        };
        Self::connect_with(config, signer).await
    }

    /// Connects to the chain of `config`, signing with the chain's `key_name` from `keys`
    /// (the key ring or the PKCS#11 token the config names) when given.
    pub async fn connect_from(
        config: &ChainConfig,
        keys: Option<&KeySource>,
    ) -> Result<Self, ChainError> {
        let signer = match keys {
            Some(source) => Some(source.signer(config).await.map_err(|e| {
                let chain = config.id.to_string();
                match e {
                    KeySourceError::Key(source) => ChainError::Key { chain, source },
                    KeySourceError::Signer(source) => ChainError::Signer { chain, source },
                }
            })?),
            None => None,
        };
        Self::connect_with(config, signer).await
    }

    /// Connects to the chain of `config`; txs are signed by `signer` (with its address).
    pub async fn connect_with(
        config: &ChainConfig,
        signer: Option<(Signer, String)>,
    ) -> Result<Self, ChainError> {
        let chain = config.id.to_string();
        // Node 0 (rpc_addr, grpc_addr) and the backup nodes, shared by RPC and gRPC.
        let pool = Arc::new(nodes::NodePool::from_config(config));
        let rpc = RpcClient::connect_pool(pool.clone(), config.rpc_timeout)
            .await?
            .with_witnesses(connect_witnesses(config).await?);
        let grpc = GrpcClient::with_pool(pool, config.rpc_timeout)?;
        check_grpc_chain(&grpc, &chain).await?;
        let blocks = Arc::new(tokio::sync::watch::channel(0).0);
        let submitter = signer.map(|(signer, address)| {
            Arc::new(TxSubmitter::new(
                config.clone(),
                signer,
                address,
                (rpc.clone(), grpc.clone()),
                blocks.clone(),
            ))
        });
        Ok(Self {
            config: config.clone(),
            rpc,
            grpc,
            submitter,
            blocks,
            trust: Arc::new(tokio::sync::Mutex::new(HeaderTrust::new(
                config.id.as_str(),
                config.trusting_period.unwrap_or(DEFAULT_TRUSTING_PERIOD),
                config.clock_drift,
            ))),
        })
    }

    /// Reads the versions the chain's node reports (CometBFT from `/status`, the SDK, ibc-go
    /// and the app from `GetNodeInfo`) and notes them for the API ([`seen::versions`]).
    pub async fn note_versions(&self) -> Result<(), ChainError> {
        let status = self.rpc.status().await?;
        let node = self.grpc.node_info().await?;
        let versions = versions::ChainVersions::new(
            &status.node_info.version.to_string(),
            node.application_version.as_ref(),
        );
        seen::note_versions(self.id(), versions);
        Ok(())
    }

    /// Notes that block `height` was read (the scanner calls this): whoever waits for a tx's
    /// inclusion or for a height looks again at once instead of at its next poll.
    pub fn note_block(&self, height: u64) {
        self.blocks.send_if_modified(|latest| {
            let higher = height > *latest;
            if higher {
                *latest = height;
            }
            higher
        });
    }

    /// The chain id.
    pub fn id(&self) -> &str {
        self.rpc.chain_id()
    }

    /// The chain's configuration.
    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The CometBFT RPC client.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// The gRPC client.
    pub fn grpc(&self) -> &GrpcClient {
        &self.grpc
    }

    /// The relayer's address on this chain, when a key is loaded.
    pub fn signer_address(&self) -> Option<&str> {
        self.submitter.as_deref().map(TxSubmitter::address)
    }

    /// The gas price of the relayer's txs on this chain, when a key is loaded.
    pub fn gas_price(&self) -> Option<&gas_price::DynamicGasPrice> {
        self.submitter.as_deref().map(TxSubmitter::gas_price)
    }

    /// Signs and submits `msgs` in one tx and waits until it is in a block.
    pub async fn send_msgs(&self, msgs: Vec<Any>, memo: &str) -> Result<TxResult, ChainError> {
        let submitter = self.submitter.as_ref().ok_or_else(|| ChainError::Key {
            chain: self.id().to_string(),
            source: crate::keys::KeyError::NotLoaded,
        })?;
        submitter.send(msgs, memo).await
    }

    /// [`ChainEndpoint::send_msgs`], calling `signed` with each signed version's hash and
    /// account sequence before it is broadcast ([`TxSubmitter::send_noting`]).
    pub async fn send_msgs_noting(
        &self,
        msgs: Vec<Any>,
        memo: &str,
        signed: &tx::OnSigned<'_>,
    ) -> Result<TxResult, ChainError> {
        let submitter = self.submitter.as_ref().ok_or_else(|| ChainError::Key {
            chain: self.id().to_string(),
            source: crate::keys::KeyError::NotLoaded,
        })?;
        submitter.send_noting(msgs, memo, signed).await
    }

    /// Reads `key` from the IBC store at `height` (latest committed if `None`) with a proof,
    /// and verifies the proof against the app hash of the next block before returning it.
    pub async fn query_proven(
        &self,
        key: &[u8],
        height: Option<Height>,
    ) -> Result<ProvenValue, ChainError> {
        let store = self.config.store_prefix.clone();
        self.query_proven_in(&store, key, height).await
    }

    /// Like [`Self::query_proven`], in the module store `store` (`ibc`, `staking`, …).
    pub async fn query_proven_in(
        &self,
        store: &str,
        key: &[u8],
        height: Option<Height>,
    ) -> Result<ProvenValue, ChainError> {
        let path = format!("store/{store}/key");
        let height = match height {
            Some(h) => h,
            // The newest state whose commitment is in a header already.
            None => {
                // (CometBFT refuses proofs at height 1.)
                let latest = self.rpc.latest_height().await?;
                // Below the latest height, so a valid height too.
                Height::try_from(latest.value().saturating_sub(1).max(2)).unwrap_or(latest)
            }
        };
        // A node can report a height a moment before its app answers proofs at it
        // ("proof is unexpectedly empty"): ask again shortly.
        let mut attempts = 0;
        let answer = loop {
            let answer = self
                .rpc
                .abci_query(&path, key.to_vec(), Some(height), true)
                .await?;
            attempts += 1;
            if answer.code.is_err() && answer.log.contains("unexpectedly empty") && attempts < 20 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            break answer;
        };
        let proof_err = |source| ChainError::Proof {
            chain: self.id().to_string(),
            source,
        };
        if answer.code.is_err() {
            return Err(proof_err(proof::ProofError::Query {
                path,
                code: answer.code.value(),
                log: answer.log,
            }));
        }
        let ops = answer.proof.ok_or_else(|| {
            proof_err(proof::ProofError::Missing {
                path: path.clone(),
                height: height.value(),
            })
        })?;
        let merkle = proof::merkle_proof_from_ops(&ops).map_err(proof_err)?;
        let proof_height =
            crate::client::light_block::next_height(height).ok_or_else(|| ChainError::Decode {
                chain: self.id().to_string(),
                method: "abci_query",
                detail: format!("height {height} has no successor to prove at"),
            })?;
        let header = self.wait_for_header(proof_height).await?;
        let value = (!answer.value.is_empty()).then_some(answer.value);
        proof::verify_merkle_proof(
            &merkle,
            &proof::sdk_proof_specs(),
            header.app_hash.as_bytes(),
            store,
            key,
            value.as_deref(),
        )
        .map_err(proof_err)?;
        Ok(ProvenValue {
            value,
            proof: merkle,
            query_height: height,
            proof_height,
        })
    }

    /// The header at `height`, waiting (with a deadline) until the chain has produced it,
    /// verified by the relayer's own light client of the chain ([`HeaderTrust`]) before it is
    /// returned: the app hash proofs are checked against is one the relayer verified.
    pub async fn wait_for_header(
        &self,
        height: Height,
    ) -> Result<tendermint::block::Header, ChainError> {
        if let Some(header) = self.trust.lock().await.cached(height) {
            return Ok(header);
        }
        self.wait_for_height(height, NEXT_BLOCK_WAIT).await?;
        let mut trust = self.trust.lock().await;
        trust
            .verified_header(&self.rpc, height, tendermint::Time::now())
            .await
            .map_err(|e| match e {
                ClientError::Chain(e) => e,
                other => ChainError::Decode {
                    chain: self.id().to_string(),
                    method: "verify header",
                    detail: other.to_string(),
                },
            })
    }

    /// Waits until the chain's latest height is at least `height`.
    pub async fn wait_for_height(
        &self,
        height: Height,
        timeout: Duration,
    ) -> Result<(), ChainError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.rpc.latest_height().await? >= height {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ChainError::Timeout {
                    chain: self.id().to_string(),
                    what: format!("height {height}"),
                    after: timeout,
                });
            }
            next_block_or(&self.blocks, Duration::from_millis(100)).await;
        }
    }
}

/// The witnesses of `config`'s chain. One that answers for another chain id is a config
/// error; one that is unreachable now is left out with a warning (it cannot contradict).
async fn connect_witnesses(config: &ChainConfig) -> Result<Vec<RpcClient>, ChainError> {
    let chain = config.id.to_string();
    let mut witnesses = Vec::new();
    for url in &config.witness_rpc_addrs {
        match RpcClient::connect(&chain, url, config.rpc_timeout).await {
            Ok(w) => witnesses.push(w),
            Err(e @ ChainError::Decode { .. }) => return Err(e),
            Err(e) => tracing::warn!(chain = %chain, witness = %url, error = %e,
                "witness unreachable; headers are checked with the others"),
        }
    }
    Ok(witnesses)
}

/// Every gRPC endpoint must serve the chain the config names (a mix-up of ports between two
/// chains would otherwise send one chain's proofs and accounts to the other). Nodes whose
/// gRPC does not answer are out of rotation already; only when none answers is the
/// primary's error returned.
async fn check_grpc_chain(grpc: &GrpcClient, chain: &str) -> Result<(), ChainError> {
    let nodes = grpc.pool().nodes().to_vec();
    let answers = futures::future::join_all((0..nodes.len()).map(|i| grpc.node_info_on(i))).await;
    let mut first_error = None;
    let mut answered = false;
    for (node, answer) in nodes.iter().zip(answers) {
        let info = match answer {
            Ok(info) => info,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        let network = info
            .default_node_info
            .map(|n| n.network)
            .unwrap_or_default();
        if network != chain {
            return Err(ChainError::Decode {
                chain: chain.to_string(),
                method: "GetNodeInfo",
                detail: format!(
                    "the gRPC endpoint {} serves chain `{network}`, not `{chain}`; fix {}grpc_addr or id in the config",
                    node.grpc, node.key
                ),
            });
        }
        answered = true;
    }
    match first_error {
        Some(e) if !answered => Err(e),
        _ => Ok(()),
    }
}

/// Waits until `blocks` moves (a new block was read) or `poll` passes, whichever is first.
pub(crate) async fn next_block_or(blocks: &tokio::sync::watch::Sender<u64>, poll: Duration) {
    let mut rx = blocks.subscribe();
    rx.mark_unchanged();
    tokio::select! {
        _ = rx.changed() => {}
        () = tokio::time::sleep(poll) => {}
    }
}
