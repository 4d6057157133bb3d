//! Submitting txs: simulate, sign, broadcast, wait for inclusion, and recover when
//! another process uses the same key.
//!
//! The signer's account state is cached and guarded by a mutex held from signing to
//! CheckTx, so txs of one endpoint get consecutive sequences and can be in flight
//! together. A sequence mismatch (CheckTx or simulation) re-reads the expected sequence
//! and signs again; a tx whose sequence another tx consumed is detected while waiting
//! and submitted again with a fresh sequence.

use std::time::Duration;

use ibc_proto::cosmos::base::v1beta1::Coin;
use ibc_proto::google::protobuf::Any;
use tendermint::abci::Event;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::builder::{fee_for_gas, gas_limit_from_simulation, SignedTx, TxBuilder};
use super::error::{classify, classify_message, TxError, TxPhase};
use super::fee_adjust::FeeAdjust;
use super::gas_model::GasModel;
use crate::chain::error::{grpc_is_transient, ChainError};
use crate::chain::gas_price::{capped_min_fee, DynamicGasPrice};
use crate::chain::grpc::{AccountState, GrpcClient};
use crate::chain::retry::{hedged, with_retry, RetryPolicy};
use crate::chain::rpc::RpcClient;
use crate::config::ChainConfig;
use crate::keys::Signer;

/// Told the hash and account sequence of each signed version of a tx; the tx is broadcast
/// once the returned future is done (the relay journals the version and makes it durable).
pub type OnSigned<'a> =
    dyn Fn(&str, u64) -> futures::future::BoxFuture<'static, ()> + Send + Sync + 'a;

/// How often inclusion is polled when no new block is announced.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How many times one send re-signs after a sequence mismatch or a superseded tx.
const MAX_RESIGNS: usize = 8;
/// Blocks to wait, after the account's sequence passed a tx's, before calling it superseded.
const SUPERSEDED_AFTER_BLOCKS: u64 = 2;
/// Attempts at broadcasting one signed tx when the connection fails (the same bytes each
/// time: a copy the node already has is answered "already in cache", never included twice).
const BROADCAST_ATTEMPTS: u32 = 4;
/// Pause before the second attempt; doubled for each further one.
const BROADCAST_RETRY_DELAY: Duration = Duration::from_millis(250);

/// A tx included in a block.
#[derive(Clone, Debug)]
pub struct TxResult {
    /// Tx hash, upper-case hex.
    pub hash: String,
    /// The block height it is in.
    pub height: u64,
    /// Gas limit it carried.
    pub gas_wanted: u64,
    /// Gas it used.
    pub gas_used: u64,
    /// Fee it paid.
    pub fee: Vec<Coin>,
    /// The sequence it was signed with.
    pub sequence: u64,
    /// The events it emitted.
    pub events: Vec<Event>,
    /// Its result data: a `TxMsgData` with one response per message, in order.
    pub data: Vec<u8>,
}

/// Submits txs signed by one key on one chain.
pub struct TxSubmitter {
    chain_id: String,
    signer: Signer,
    address: String,
    rpc: RpcClient,
    grpc: GrpcClient,
    config: ChainConfig,
    /// The price per unit of gas: static, or read from the chain (`gas_price.dynamic`).
    gas_price: DynamicGasPrice,
    account: Mutex<Option<AccountState>>,
    /// Gas learned for txs of packet messages (`learn_gas`).
    gas_model: std::sync::Mutex<GasModel>,
    /// The latest block height read (see `ChainEndpoint::note_block`).
    blocks: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
}

impl std::fmt::Debug for TxSubmitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxSubmitter")
            .field("chain_id", &self.chain_id)
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl TxSubmitter {
    /// A submitter for `signer` (whose address is `address`) on the chain of `config`;
    /// inclusion is looked for at every block `blocks` announces, and every 250 ms.
    pub fn new(
        config: ChainConfig,
        signer: Signer,
        address: String,
        (rpc, grpc): (RpcClient, GrpcClient),
        blocks: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
    ) -> Self {
        Self {
            chain_id: config.id.to_string(),
            signer,
            address,
            rpc,
            grpc,
            gas_price: DynamicGasPrice::new(config.id.as_str(), &config.gas_price),
            config,
            account: Mutex::new(None),
            gas_model: Default::default(),
            blocks,
        }
    }

    /// The signer's address.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The gas price of this chain's txs (static, or read from the chain).
    pub fn gas_price(&self) -> &DynamicGasPrice {
        &self.gas_price
    }

    fn tx_err(&self, source: TxError) -> ChainError {
        ChainError::Tx {
            chain: self.chain_id.clone(),
            source,
        }
    }

    /// Signs `msgs` into one tx, broadcasts it and waits until it is in a block.
    /// Fails with [`ChainError::Tx`] when the chain rejects it.
    /// A tx refused for its gas (out of gas) or fee (below the node's minimum) is sent once
    /// more with what the chain asked for ([`FeeAdjust`]), then reported.
    pub async fn send(&self, msgs: Vec<Any>, memo: &str) -> Result<TxResult, ChainError> {
        self.send_noting(msgs, memo, &|_, _| Box::pin(async {}))
            .await
    }

    /// [`TxSubmitter::send`], calling `signed` with the hash and account sequence of each
    /// signed version of the tx and broadcasting it only once the returned future is done
    /// (to journal it durably: a tx may be in a block although the wait for it never ended).
    pub async fn send_noting(
        &self,
        msgs: Vec<Any>,
        memo: &str,
        signed: &OnSigned<'_>,
    ) -> Result<TxResult, ChainError> {
        let memo = format!("{}{}", self.config.memo_prefix, memo);
        let mut resigns = 0;
        let mut adjust: Option<FeeAdjust> = None;
        loop {
            let (result, learned) =
                match self.sign_and_broadcast(&msgs, &memo, adjust, signed).await {
                    Ok((signed, learned)) => (self.wait_included(&signed).await, learned),
                    Err(e) => (Err(e), false),
                };
            match &result {
                Ok(included) => self.gas_model().learn(&msgs, included.gas_used, false),
                Err(_) if learned => self.gas_model().forget(&msgs),
                Err(_) => {}
            }
            match result {
                Err(ChainError::Tx {
                    source: TxError::Superseded { hash, .. },
                    ..
                }) if resigns < MAX_RESIGNS => {
                    resigns += 1;
                    tracing::warn!(chain = %self.chain_id, %hash, "tx superseded by another tx with the same key; signing again");
                    *self.account.lock().await = None;
                }
                Err(ChainError::Tx { source, chain }) if adjust.is_none() => {
                    let asked = FeeAdjust::asked_by(
                        &source,
                        self.config.gas_multiplier,
                        self.config.max_gas,
                        &self.config.gas_price.denom,
                    );
                    let Some(asked) = asked else {
                        return Err(ChainError::Tx { source, chain });
                    };
                    if asked.min_fee > 0 {
                        // The chain's price rose: read it again for this attempt.
                        self.gas_price.expire().await;
                    }
                    tracing::warn!(chain = %self.chain_id, reason = source.reason(), min_gas = asked.min_gas,
                        min_fee = asked.min_fee, "the chain asked for more gas or fee; sending once more with it");
                    stateset_monitoring::global()
                        .fee_adjustments
                        .with_label_values(&[&self.chain_id, source.reason()])
                        .inc();
                    adjust = Some(asked);
                }
                other => return other,
            }
        }
    }

    /// The learned gas, locked (never across an await).
    fn gas_model(&self) -> std::sync::MutexGuard<'_, GasModel> {
        self.gas_model
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The gas limit for `msgs`: learned from earlier txs of their kind when it may be
    /// (`learn_gas`, see [`GasModel`]), else simulated; and whether it was learned.
    async fn gas_limit(
        &self,
        builder: &TxBuilder<'_>,
        (msgs, body): (&[Any], &[u8]),
        account: AccountState,
        price: f64,
    ) -> Result<(u64, bool), ChainError> {
        let (multiplier, max_gas) = (self.config.gas_multiplier, self.config.max_gas);
        let learned = match self.config.learn_gas {
            true => self.gas_model().estimate(msgs),
            false => None,
        };
        if let Some(gas) = learned {
            return Ok((gas_limit_from_simulation(gas, multiplier, max_gas), true));
        }
        let simulated = self.simulate(builder, body, account, price).await?;
        self.gas_model().learn(msgs, simulated, true);
        Ok((
            gas_limit_from_simulation(simulated, multiplier, max_gas),
            false,
        ))
    }

    /// Signs (with simulated or learned gas) and broadcasts; returns the tx once CheckTx
    /// accepted it, and whether its gas was learned rather than simulated.
    async fn sign_and_broadcast(
        &self,
        msgs: &[Any],
        memo: &str,
        adjust: Option<FeeAdjust>,
        noted: &OnSigned<'_>,
    ) -> Result<(SignedTx, bool), ChainError> {
        let adjust = adjust.unwrap_or_default();
        // Read (at most every `refresh`) before the account is locked: other sends need not
        // wait for the query.
        let price = self.gas_price.current(&self.grpc).await.price;
        let mut cached = self.account.lock().await;
        let builder = TxBuilder {
            chain_id: &self.chain_id,
            signer: &self.signer,
        };
        let body = TxBuilder::body_bytes(msgs.to_vec(), memo.to_string());
        let mut resigns = 0;
        loop {
            let account = match *cached {
                Some(a) => a,
                None => self.grpc.account(&self.address).await?,
            };
            *cached = Some(account);
            let result = async {
                let started = std::time::Instant::now();
                let (gas, learned) = self
                    .gas_limit(&builder, (msgs, &body), account, price)
                    .await?;
                let gas = gas.max(adjust.min_gas);
                let simulated = started.elapsed();
                let fee = self.fee(gas, adjust.min_fee, price);
                let signed = builder
                    .sign(body.clone(), fee, account)
                    .await
                    .map_err(|source| ChainError::Signer {
                        chain: self.chain_id.clone(),
                        source,
                    })?;
                noted(&signed.hash, account.sequence).await;
                let signed_at = started.elapsed();
                let broadcast = self.broadcast(&signed).await.map(|()| (signed, learned));
                if broadcast.is_err() && learned {
                    self.gas_model().forget(msgs);
                }
                tracing::debug!(chain = %self.chain_id, msgs = msgs.len(), gas, learned,
                    simulate_ms = simulated.as_millis(), sign_ms = (signed_at - simulated).as_millis(),
                    broadcast_ms = (started.elapsed() - signed_at).as_millis(), "tx signed and broadcast");
                broadcast
            }
            .await;
            match result {
                Ok(signed) => {
                    *cached = Some(AccountState {
                        sequence: account.sequence + 1,
                        ..account
                    });
                    return Ok(signed);
                }
                Err(ChainError::Tx {
                    source: TxError::SequenceMismatch { expected, .. },
                    ..
                }) if resigns < MAX_RESIGNS => {
                    resigns += 1;
                    tracing::debug!(chain = %self.chain_id, ?expected, had = account.sequence, "sequence mismatch; re-signing");
                    *cached = expected.map(|sequence| AccountState {
                        sequence,
                        ..account
                    });
                }
                Err(e) => {
                    // The chain may have moved on while this failed; read it afresh next time.
                    *cached = None;
                    return Err(e);
                }
            }
        }
    }

    /// The fee for `gas` at `price` (see [`DynamicGasPrice::current`]), paid by
    /// `fee_granter`'s allowance when one is configured.
    /// The amount is at least `min_fee` (what the chain last asked for), though with a
    /// dynamic price never raised above `gas × gas_price.dynamic.max` for it.
    fn fee(&self, gas: u64, min_fee: u128, price: f64) -> ibc_proto::cosmos::tx::v1beta1::Fee {
        let mut fee = fee_for_gas(gas, price, &self.config.gas_price.denom);
        let min_fee = match self.gas_price.cap() {
            Some(max) => capped_min_fee(min_fee, gas, max),
            None => min_fee,
        };
        for coin in &mut fee.amount {
            if coin.amount.parse::<u128>().is_ok_and(|a| a < min_fee) {
                coin.amount = min_fee.to_string();
            }
        }
        fee.granter = self.config.fee_granter.clone().unwrap_or_default();
        fee
    }

    /// The gas the chain's simulation of the tx used.
    async fn simulate(
        &self,
        builder: &TxBuilder<'_>,
        body: &[u8],
        account: AccountState,
        price: f64,
    ) -> Result<u64, ChainError> {
        let probe_fee = self.fee(self.config.max_gas, 0, price);
        let probe = builder.unsigned(body.to_vec(), probe_fee, account);
        with_retry(
            RetryPolicy::QUERY,
            &self.chain_id,
            "grpc",
            "tx.Simulate",
            || async {
                match self.grpc.simulate(probe.bytes.clone()).await {
                    Ok(gas) => Ok(gas),
                    Err(ChainError::Grpc { code, message, .. })
                        if !grpc_is_transient(code, &message) =>
                    {
                        let source = classify_message(TxPhase::Simulate, &message).unwrap_or(
                            TxError::Rejected {
                                phase: TxPhase::Simulate,
                                codespace: String::new(),
                                code: code as u32,
                                log: message,
                            },
                        );
                        Err(self.tx_err(source))
                    }
                    Err(e) => Err(e),
                }
            },
        )
        .await
    }

    /// Broadcasts `signed`, sending the same bytes again when the connection fails (or
    /// when a later call to the node answered first: [`hedged`]), and checks the CheckTx
    /// result. Ok means the node has the tx (it may be in a block already).
    async fn broadcast(&self, signed: &SignedTx) -> Result<(), ChainError> {
        let mut attempt = 0;
        loop {
            let (result, copies) = hedged(&self.chain_id, "rpc", "broadcast_tx_sync", || {
                self.broadcast_once(signed)
            })
            .await;
            // A second copy counts as a second attempt: the first may have reached the node.
            attempt = attempt.max(u32::try_from(copies.saturating_sub(1)).unwrap_or(1));
            match after_broadcast(attempt, result) {
                Broadcast::Accepted => return Ok(()),
                Broadcast::Failed(e) => return Err(e),
                Broadcast::Retry(e) => {
                    tracing::debug!(chain = %self.chain_id, hash = %signed.hash, attempt, error = %e,
                        "broadcast failed in transit; sending the same tx again");
                    tokio::time::sleep(BROADCAST_RETRY_DELAY * 2u32.pow(attempt)).await;
                    attempt += 1;
                }
            }
        }
    }

    /// One `broadcast_tx_sync` and its CheckTx result.
    async fn broadcast_once(&self, signed: &SignedTx) -> Result<(), ChainError> {
        let resp = match self.rpc.broadcast_tx_sync(signed.bytes.clone()).await {
            Ok(resp) => resp,
            Err(e) => {
                let message = e.to_string();
                return Err(match classify_message(TxPhase::CheckTx, &message) {
                    Some(source) => self.tx_err(source),
                    None => e,
                });
            }
        };
        match classify(
            TxPhase::CheckTx,
            &resp.codespace,
            resp.code.value(),
            &resp.log,
        ) {
            None => Ok(()),
            Some(TxError::Rejected { log, .. }) if is_already_known(&log) => Ok(()),
            Some(source) => Err(self.tx_err(source)),
        }
    }

    /// Polls until `signed` is in a block, its sequence was taken by another tx, or
    /// `tx_confirmation_timeout` passes.
    async fn wait_included(&self, signed: &SignedTx) -> Result<TxResult, ChainError> {
        let hash: tendermint::Hash = signed.hash.parse().map_err(|e| ChainError::Decode {
            chain: self.chain_id.clone(),
            method: "tx",
            detail: format!("hash {}: {e}", signed.hash),
        })?;
        let timeout = self.config.tx_confirmation_timeout;
        let deadline = Instant::now() + timeout;
        let mut polls = 0u32;
        let mut sequence_passed_at: Option<u64> = None;
        loop {
            if let Some(resp) = self.rpc.tx(hash).await.unwrap_or(None) {
                let r = resp.tx_result;
                if let Some(source) =
                    classify(TxPhase::DeliverTx, &r.codespace, r.code.value(), &r.log)
                {
                    return Err(self.tx_err(source));
                }
                return Ok(TxResult {
                    hash: signed.hash.clone(),
                    height: resp.height.value(),
                    gas_wanted: r.gas_wanted as u64,
                    gas_used: r.gas_used as u64,
                    fee: signed.fee.amount.clone(),
                    sequence: signed.sequence,
                    events: r.events,
                    data: result_data(&r.data),
                });
            }
            polls += 1;
            // After a few misses, check whether another tx consumed this sequence.
            if polls.is_multiple_of(4) {
                if let (Ok(account), Ok(height)) = (
                    self.grpc.account(&self.address).await,
                    self.rpc.latest_height().await,
                ) {
                    if account.sequence > signed.sequence {
                        let since = *sequence_passed_at.get_or_insert(height.value());
                        if height.value() >= since + SUPERSEDED_AFTER_BLOCKS {
                            return Err(self.tx_err(TxError::Superseded {
                                hash: signed.hash.clone(),
                                sequence: signed.sequence,
                            }));
                        }
                    }
                }
            }
            if Instant::now() >= deadline {
                return Err(self.tx_err(TxError::NotIncluded {
                    hash: signed.hash.clone(),
                    seconds: timeout.as_secs(),
                }));
            }
            crate::chain::next_block_or(&self.blocks, POLL_INTERVAL).await;
        }
    }
}

/// A tx result's data as bytes. tendermint-rpc hands over the JSON string as it came:
/// the base64 text CometBFT writes, not the bytes it stands for. Bytes that are not base64
/// text (a transport that decoded them already) are used as they are; a `TxMsgData` starts
/// with a field tag below 0x20, never a base64 character.
fn result_data(data: &[u8]) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap_or_else(|_| data.to_vec())
}

/// What to do after broadcast attempt number `attempt` (0 for the first).
#[derive(Debug)]
enum Broadcast {
    /// The node has the tx: wait for it by hash.
    Accepted,
    /// The connection failed: send the same bytes again.
    Retry(ChainError),
    /// The node refused the tx, or the retries are spent.
    Failed(ChainError),
}

fn after_broadcast(attempt: u32, result: Result<(), ChainError>) -> Broadcast {
    let e = match result {
        Ok(()) => return Broadcast::Accepted,
        Err(e) => e,
    };
    if is_already_known(&e.to_string()) {
        return Broadcast::Accepted;
    }
    match &e {
        // An earlier attempt may have reached the node although its answer was lost: the
        // tx (or another with the same sequence) took the sequence. Waiting by hash tells
        // which; a tx that never lands is reported superseded and signed again.
        ChainError::Tx {
            source: TxError::SequenceMismatch { .. },
            ..
        } if attempt > 0 => Broadcast::Accepted,
        ChainError::Tx { .. } => Broadcast::Failed(e),
        _ if e.is_transient() && attempt + 1 < BROADCAST_ATTEMPTS => Broadcast::Retry(e),
        _ => Broadcast::Failed(e),
    }
}

/// Whether a node's answer says it already has the tx in its mempool cache.
fn is_already_known(text: &str) -> bool {
    text.contains("tx already exists in cache") || text.contains("tx already in mempool")
}

#[cfg(test)]
#[path = "submit_tests.rs"]
mod tests;
