//! The push event source: a CometBFT websocket subscription to new blocks and
//! transactions that reconnects by itself with backoff.
//!
//! CometBFT drops subscribers that fall behind (on busy blocks) and nodes restart,
//! so the source resubscribes and then reports [`ChainEvent::Resubscribed`] with the
//! last height it delivered: the consumer fills the gap from `block_results`.

use std::time::Duration;

use futures::StreamExt;
use tendermint::abci;
use tendermint_rpc::client::CompatMode;
use tendermint_rpc::event::EventData;
use tendermint_rpc::query::{EventType, Query};
use tendermint_rpc::{SubscriptionClient, WebSocketClient, WebSocketClientUrl};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;

/// Something the chain did, as the event source saw it.
#[derive(Debug, Clone)]
pub enum ChainEvent {
    /// A block was committed.
    NewBlock {
        /// Its height.
        height: u64,
        /// Events of block finalization (begin/end block work, not txs).
        events: Vec<abci::Event>,
    },
    /// A tx was executed successfully or not.
    Tx {
        /// The block height.
        height: u64,
        /// The tx's events.
        events: Vec<abci::Event>,
    },
    /// The subscription was (re)established; events after `last_height` may have been
    /// missed while it was down.
    Resubscribed {
        /// The last block height delivered before the outage, if any.
        last_height: Option<u64>,
    },
    /// The subscription failed: nothing is pushed until [`ChainEvent::Resubscribed`] (the
    /// consumer polls meanwhile).
    Down,
}

/// Settings of one websocket event source.
#[derive(Debug, Clone)]
pub struct EventSourceSettings {
    /// Chain id, for logs.
    pub chain_id: String,
    /// `ws://host:port/websocket`.
    pub url: tendermint_rpc::Url,
    /// CometBFT dialect.
    pub compat: CompatMode,
    /// First reconnect delay; doubles up to `max_backoff` ([`Backoff`]).
    pub min_backoff: Duration,
    /// Longest reconnect delay.
    pub max_backoff: Duration,
    /// The chain's nodes: when given, every (re)subscription goes to the websocket of the
    /// node in rotation (`url` is then unused), and a websocket that cannot be reached takes
    /// its node out of rotation.
    pub pool: Option<std::sync::Arc<crate::chain::nodes::NodePool>>,
}

impl EventSourceSettings {
    /// The node to subscribe to (`None` without a pool) and its websocket URL.
    fn target(&self) -> (Option<usize>, Result<tendermint_rpc::Url, String>) {
        match &self.pool {
            Some(pool) => {
                let node = pool.current();
                let url = &pool.addrs(node).websocket;
                (
                    Some(node),
                    url.parse().map_err(|e| format!("websocket URL {url}: {e}")),
                )
            }
            None => (None, Ok(self.url.clone())),
        }
    }
}

/// Runs the event source until `shutdown` is cancelled or the receiver is dropped.
/// Events go to `sink`, a bounded channel: a slow consumer slows the source down.
pub async fn run_event_source(
    settings: EventSourceSettings,
    sink: mpsc::Sender<ChainEvent>,
    shutdown: CancellationToken,
) {
    let mut last_height: Option<u64> = None;
    let mut backoff = Backoff::new(settings.min_backoff, settings.max_backoff);
    let mut first = true;
    loop {
        let outcome = tokio::select! {
            () = shutdown.cancelled() => return,
            r = subscribe_once(&settings, &sink, &mut last_height, &mut first, &shutdown) => r,
        };
        match outcome {
            SessionEnd::Shutdown => return,
            SessionEnd::Failed { delivered, reason } => {
                if delivered {
                    backoff.reset();
                }
                let wait = backoff.next_wait();
                tracing::warn!(chain = %settings.chain_id, %reason, retry_in = ?wait, "event source down; resubscribing");
                // Best effort: a full queue means the consumer is busy reading anyway.
                let _ = sink.try_send(ChainEvent::Down);
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}

enum SessionEnd {
    Shutdown,
    Failed { delivered: bool, reason: String },
}

async fn subscribe_once(
    settings: &EventSourceSettings,
    sink: &mpsc::Sender<ChainEvent>,
    last_height: &mut Option<u64>,
    first: &mut bool,
    shutdown: &CancellationToken,
) -> SessionEnd {
    let (node, url) = settings.target();
    let failed = |reason: String| {
        if let (Some(pool), Some(node)) = (&settings.pool, node) {
            pool.failed(node, &format!("websocket: {reason}"));
        }
        SessionEnd::Failed {
            delivered: false,
            reason,
        }
    };
    let (client, driver) = match open(url, settings.compat).await {
        Ok(pair) => pair,
        Err(e) => return failed(e),
    };
    let driver = tokio::spawn(driver.run());
    let end = async {
        let blocks = client
            .subscribe(Query::from(EventType::NewBlock))
            .await
            .map_err(|e| failed(crate::chain::error::rpc_text(&e)))?;
        let txs = client
            .subscribe(Query::from(EventType::Tx))
            .await
            .map_err(|e| failed(crate::chain::error::rpc_text(&e)))?;
        if !std::mem::take(first) || last_height.is_some() {
            tracing::info!(chain = %settings.chain_id, ?last_height, "event source resubscribed");
            stateset_monitoring::global()
                .event_source_reconnects
                .with_label_values(&[&settings.chain_id])
                .inc();
        }
        if sink
            .send(ChainEvent::Resubscribed {
                last_height: *last_height,
            })
            .await
            .is_err()
        {
            return Err(SessionEnd::Shutdown);
        }
        let mut events = futures::stream::select(blocks, txs);
        let mut delivered = false;
        while let Some(item) = events.next().await {
            let event = match item {
                Ok(e) => e,
                Err(e) => {
                    // A malformed event: note it and go on with the next one.
                    tracing::warn!(chain = %settings.chain_id, error = %e, "skipping an event that cannot be decoded");
                    continue;
                }
            };
            let Some(chain_event) = to_chain_event(event.data) else {
                continue;
            };
            if let ChainEvent::NewBlock { height, .. } = &chain_event {
                *last_height = Some(*height);
            }
            if shutdown.is_cancelled() || sink.send(chain_event).await.is_err() {
                return Err(SessionEnd::Shutdown);
            }
            delivered = true;
        }
        Err(SessionEnd::Failed {
            delivered,
            reason: "subscription closed by the node".into(),
        })
    }
    .await;
    let _ = client.close();
    driver.abort();
    match end {
        Ok(()) => SessionEnd::Shutdown,
        Err(e) => e,
    }
}

/// Opens a websocket to `url`.
async fn open(
    url: Result<tendermint_rpc::Url, String>,
    compat: CompatMode,
) -> Result<(WebSocketClient, tendermint_rpc::WebSocketClientDriver), String> {
    let text = |e: tendermint_rpc::Error| crate::chain::error::rpc_text(&e);
    let url = url.and_then(|u| WebSocketClientUrl::try_from(u).map_err(text))?;
    WebSocketClient::builder(url)
        .compat_mode(compat)
        .build()
        .await
        .map_err(text)
}

fn to_chain_event(data: EventData) -> Option<ChainEvent> {
    match data {
        EventData::NewBlock {
            block,
            result_finalize_block,
            ..
        } => Some(ChainEvent::NewBlock {
            height: block?.header.height.value(),
            events: result_finalize_block.map(|r| r.events).unwrap_or_default(),
        }),
        EventData::LegacyNewBlock {
            block,
            result_begin_block,
            result_end_block,
        } => {
            let mut events = result_begin_block.map(|r| r.events).unwrap_or_default();
            events.extend(result_end_block.map(|r| r.events).unwrap_or_default());
            Some(ChainEvent::NewBlock {
                height: block?.header.height.value(),
                events,
            })
        }
        EventData::Tx { tx_result } => Some(ChainEvent::Tx {
            height: u64::try_from(tx_result.height).ok()?,
            events: tx_result.result.events,
        }),
        EventData::GenericJsonEvent(_) => None,
    }
}
