//! The packet history's write path and the live feeds of the API.
//!
//! The scanner hands each block's [sightings](super::sightings) to its chain's writer
//! ([`run_history_writer`]) through a bounded queue, never waiting on it (a full queue drops
//! the block's sightings, logged and counted as `work_failures_total{kind="history"}`). The
//! writer reads `/block` once for such a block (only blocks with a packet event of a served
//! channel or an update of a served client), takes the block time and the tx hashes
//! (SHA-256 of each tx, in block order as `txs_results`), records the steps in one sled
//! transaction and publishes each step and client update on the broadcast channels the
//! GraphQL subscriptions read. A failed write is logged and counted, never stops relaying.

use std::sync::OnceLock;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tendermint::block::Height as TmHeight;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::sightings::{BlockSightings, Sighting};
use crate::chain::ChainEndpoint;
use crate::store::{History, PacketHistory, Step, StepKind, StepWrite};

/// Blocks of sightings waiting for a chain's writer.
pub const SIGHTINGS_QUEUE: usize = 1024;
/// Events kept for slow subscribers on each broadcast channel.
const BROADCAST_CAPACITY: usize = 1024;
/// How often the history is pruned.
pub const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// A client update seen on a served client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientUpdateEvent {
    /// The host chain.
    pub chain: String,
    /// The client.
    pub client_id: String,
    /// The host block height.
    pub height: u64,
    /// The host block time (Unix seconds).
    pub time: u64,
}

/// The history (when `[history] enabled`) and the broadcast channels of the live feeds.
/// Clones share everything.
#[derive(Clone, Debug)]
pub struct HistoryFeed {
    /// The history, `None` when disabled.
    pub history: Option<History>,
    /// Every packet step recorded, with the packet as it is after it.
    pub steps: broadcast::Sender<(PacketHistory, Step)>,
    /// Every client update seen on a served client.
    pub client_updates: broadcast::Sender<ClientUpdateEvent>,
}

static CURRENT: OnceLock<HistoryFeed> = OnceLock::new();

impl HistoryFeed {
    /// A feed writing to `history` (`None`: no history, the client updates still flow).
    pub fn new(history: Option<History>) -> Self {
        Self {
            history,
            steps: broadcast::channel(BROADCAST_CAPACITY).0,
            client_updates: broadcast::channel(BROADCAST_CAPACITY).0,
        }
    }

    /// Makes this the feed the path workers record filtered and quarantined packets in.
    pub fn install_as_current(&self) {
        let _ = CURRENT.set(self.clone());
    }

    /// Records `writes` and publishes the steps recorded; a failure is logged and counted.
    pub fn write(&self, chain: &str, writes: &[StepWrite]) {
        let Some(history) = &self.history else {
            return;
        };
        if writes.is_empty() {
            return;
        }
        match history.apply(writes) {
            Ok(changed) => {
                for item in changed {
                    // No subscriber is not an error.
                    let _ = self.steps.send(item);
                }
            }
            Err(e) => history_failure(chain, &e.to_string()),
        }
    }
}

/// Logs and counts a failed history write of `chain`.
fn history_failure(chain: &str, error: &str) {
    warn!(
        chain,
        error, "packet history not recorded (relaying goes on)"
    );
    stateset_monitoring::global()
        .work_failures
        .with_label_values(&[chain, "history"])
        .inc();
}

/// Hands `block` to the writer without waiting; a full queue drops it (logged, counted).
pub fn hand_over(chain: &str, queue: &mpsc::Sender<BlockSightings>, block: BlockSightings) {
    if block.items.is_empty() {
        return;
    }
    if let Err(e) = queue.try_send(block) {
        history_failure(chain, &format!("the history queue is full or closed: {e}"));
    }
}

/// Records a filtered or quarantined packet (`kind`) in the current feed's history, at the
/// source chain's last recorded height and now. Does nothing without a feed.
pub fn policy_step(packet: &stateset_channels::events::Packet, path: &super::Path, kind: StepKind) {
    let Some(feed) = CURRENT.get() else {
        return;
    };
    let summary = crate::store::summarize_packet(packet, &path.a.chain, &path.b.chain);
    let height = stateset_monitoring::global()
        .chain_scanned_height
        .with_label_values(&[path.a.chain.as_str()])
        .get();
    let step = Step {
        kind,
        chain: path.a.chain.clone(),
        height: u64::try_from(height).unwrap_or(0),
        time: crate::store::now_secs(),
        tx_hash: None,
    };
    let write = StepWrite {
        id: summary.id.clone(),
        summary: Some(summary),
        step,
    };
    feed.write(&path.a.chain, &[write]);
}

/// Runs `chain`'s history writer until `shutdown` or the queue closes.
pub async fn run_history_writer(
    chain: ChainEndpoint,
    feed: HistoryFeed,
    mut queue: mpsc::Receiver<BlockSightings>,
    shutdown: CancellationToken,
) {
    loop {
        let block = tokio::select! {
            _ = shutdown.cancelled() => break,
            b = queue.recv() => match b {
                Some(b) => b,
                None => break,
            },
        };
        let mut block = block;
        if feed.history.is_none() {
            block
                .items
                .retain(|(_, s)| matches!(s, Sighting::ClientUpdate { .. }));
            if block.items.is_empty() {
                continue;
            }
        }
        let (time, hashes) = block_facts(&chain, block.height).await;
        let (writes, updates) = resolve(chain.id(), &block, time, &hashes);
        let history_feed = feed.clone();
        let id = chain.id().to_string();
        // One sled transaction; off the async workers.
        let written = tokio::task::spawn_blocking(move || history_feed.write(&id, &writes)).await;
        if let Err(e) = written {
            history_failure(chain.id(), &e.to_string());
        }
        for u in updates {
            let _ = feed.client_updates.send(u);
        }
    }
    debug!(chain = %chain.id(), "history writer stopped");
}

/// The time (Unix seconds) and the tx hashes (lowercase hex, block order) of block
/// `height`; when the block cannot be read, now and no hashes (logged and counted).
async fn block_facts(chain: &ChainEndpoint, height: u64) -> (u64, Vec<String>) {
    let read = async {
        let h = TmHeight::try_from(height).map_err(|e| e.to_string())?;
        chain.rpc().block(h).await.map_err(|e| e.to_string())
    };
    match read.await {
        Ok(r) => {
            let time = r.block.header.time.unix_timestamp();
            let hashes = r.block.data.iter().map(|tx| tx_hash(tx)).collect();
            (u64::try_from(time).unwrap_or(0), hashes)
        }
        Err(e) => {
            history_failure(
                chain.id(),
                &format!("block {height}: {e}; recorded without tx hashes"),
            );
            (crate::store::now_secs(), Vec::new())
        }
    }
}

/// The hash of a tx as CometBFT shows it (SHA-256 of its bytes), lowercase hex.
pub fn tx_hash(tx: &[u8]) -> String {
    hex::encode(Sha256::digest(tx))
}

/// The history writes and client updates of `block` of `chain`, at `time`, with `hashes`.
pub fn resolve(
    chain: &str,
    block: &BlockSightings,
    time: u64,
    hashes: &[String],
) -> (Vec<StepWrite>, Vec<ClientUpdateEvent>) {
    let mut writes = Vec::new();
    let mut updates = Vec::new();
    for (tx_index, sighting) in &block.items {
        match sighting {
            Sighting::Packet { id, summary, kind } => writes.push(StepWrite {
                id: id.clone(),
                summary: summary.as_deref().cloned(),
                step: Step {
                    kind: kind.clone(),
                    chain: chain.to_string(),
                    height: block.height,
                    time,
                    tx_hash: tx_index.and_then(|i| hashes.get(i).cloned()),
                },
            }),
            Sighting::ClientUpdate { client_id } => updates.push(ClientUpdateEvent {
                chain: chain.to_string(),
                client_id: client_id.clone(),
                height: block.height,
                time,
            }),
        }
    }
    (writes, updates)
}
