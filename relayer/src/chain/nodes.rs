//! The nodes of one chain: the primary (`rpc_addr`, `grpc_addr`, the event source) and the
//! `backup_nodes`, with their health.
//!
//! A [`NodePool`] is shared (`Arc`) by the chain's RPC client, gRPC client and event source,
//! so a node taken out for one is out for all. A node is taken out of rotation when a call
//! to it fails transiently (reason `error`), when it is more than `max_node_lag` blocks
//! behind the best node (`lag`), or when it answers for another chain id (`wrong_chain`).
//! It stays out for a cool-off that doubles with every consecutive removal (5 s up to
//! `max_node_cooloff`, default 5 min). Calls go to the first node in rotation, so the
//! primary is preferred as soon as it is back; when every node is out, to the one whose
//! cool-off ends first.
//!
//! The decisions ([`cooloff`], [`pick`], [`judge`]) are pure functions; the pool applies
//! them, logs every transition (WARN out, INFO back) with the node's URL and reason, and
//! keeps `node_in_rotation{chain,node}` and `node_rotations_total{chain,reason}` current.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tendermint_rpc::Url;

use crate::config::ChainConfig;

/// The first cool-off of a node taken out of rotation.
pub const MIN_COOLOFF: Duration = Duration::from_secs(5);
/// The longest cool-off by default (`max_node_cooloff`).
pub const MAX_COOLOFF: Duration = Duration::from_secs(300);
/// How often (at most) every node's `/status` is compared (lag, chain id).
pub const CHECK_INTERVAL: Duration = Duration::from_secs(10);

/// Why a node was taken out of rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A call failed transiently (transport, timeout, overload).
    Error,
    /// It is more than `max_node_lag` blocks behind the best node.
    Lag,
    /// It answers for another chain id.
    WrongChain,
}

impl Reason {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Error => "error",
            Reason::Lag => "lag",
            Reason::WrongChain => "wrong_chain",
        }
    }
}

/// The addresses of one node.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeAddrs {
    /// CometBFT RPC.
    pub rpc: Url,
    /// gRPC, `http(s)://host:port`.
    pub grpc: String,
    /// The push event source's websocket.
    pub websocket: String,
    /// The prefix of the config keys the addresses come from: empty for the primary
    /// (`rpc_addr`), `backup_nodes[0].` for the first backup (`backup_nodes[0].rpc_addr`).
    pub key: String,
}

/// Out of rotation until `until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Out {
    /// When the cool-off ends.
    pub until: Instant,
    /// Why.
    pub reason: Reason,
}

/// The health of one node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// `None` while in rotation.
    pub out: Option<Out>,
    /// Removals since the node last answered well: the cool-off doubles with each.
    pub strikes: u32,
}

/// The cool-off after the `strikes`-th consecutive removal: 5 s, 10 s, 20 s, ... up to
/// `max` (never below 5 s).
pub fn cooloff(strikes: u32, max: Duration) -> Duration {
    let doublings = strikes.saturating_sub(1).min(16);
    MIN_COOLOFF
        .saturating_mul(1u32 << doublings)
        .min(max.max(MIN_COOLOFF))
}

/// The node to use: the first in rotation, else the one whose cool-off ends first.
pub fn pick(health: &[Health]) -> usize {
    if let Some(i) = health.iter().position(|h| h.out.is_none()) {
        return i;
    }
    health
        .iter()
        .enumerate()
        .min_by_key(|(_, h)| h.out.map(|o| o.until))
        .map_or(0, |(i, _)| i)
}

/// What one `/status` round says about a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It did not answer: nothing to conclude here (its calls report errors).
    Unknown,
    /// Right chain, close enough to the best height.
    Fine,
    /// It answers for `network`.
    WrongChain {
        /// The chain id it reported.
        network: String,
    },
    /// It is at `height`, more than the allowed lag below `best`.
    Lag {
        /// Its latest height.
        height: u64,
        /// The best latest height among the nodes of the right chain.
        best: u64,
    },
}

/// Judges every node's `/status` answer (`(network, latest height)`, `None` when it did not
/// answer) against `chain_id` and the best height of the right chain's nodes.
pub fn judge(chain_id: &str, answers: &[Option<(String, u64)>], max_lag: u64) -> Vec<Verdict> {
    let best = answers
        .iter()
        .flatten()
        .filter(|(network, _)| network == chain_id)
        .map(|(_, h)| *h)
        .max()
        .unwrap_or(0);
    answers
        .iter()
        .map(|a| match a {
            None => Verdict::Unknown,
            Some((network, _)) if network != chain_id => Verdict::WrongChain {
                network: network.clone(),
            },
            Some((_, h)) if best.saturating_sub(*h) > max_lag => Verdict::Lag { height: *h, best },
            Some(_) => Verdict::Fine,
        })
        .collect()
}

/// The nodes of one chain and their health.
#[derive(Debug)]
pub struct NodePool {
    chain_id: String,
    nodes: Vec<NodeAddrs>,
    /// A copy of node 0, so that [`NodePool::addrs`] never fails.
    primary: NodeAddrs,
    max_lag: u64,
    /// The longest cool-off (`max_node_cooloff`).
    max_cooloff: Duration,
    /// Whether the pool reports to the metrics (witnesses' pools do not).
    tracked: bool,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    health: Vec<Health>,
    last_check: Option<Instant>,
}

impl NodePool {
    /// A pool of `nodes` (the first is the primary; an empty list is not a pool, so
    /// `primary` is always there), all in rotation.
    pub fn new(chain_id: &str, primary: NodeAddrs, backups: Vec<NodeAddrs>, max_lag: u64) -> Self {
        let mut nodes = vec![primary.clone()];
        nodes.extend(backups);
        let pool = Self {
            primary,
            chain_id: chain_id.to_string(),
            state: Mutex::new(State {
                health: vec![Health::default(); nodes.len()],
                last_check: None,
            }),
            nodes,
            max_lag,
            max_cooloff: MAX_COOLOFF,
            tracked: true,
        };
        for i in 0..pool.nodes.len() {
            pool.set_gauge(i, true);
        }
        pool
    }

    /// A pool of one node that reports no metrics (witnesses, ad-hoc clients).
    pub fn single(chain_id: &str, rpc: Url, grpc: String) -> Self {
        let websocket = crate::config::derived_websocket_url(&rpc);
        let node = NodeAddrs {
            rpc,
            grpc,
            websocket,
            key: String::new(),
        };
        Self {
            chain_id: chain_id.to_string(),
            state: Mutex::new(State {
                health: vec![Health::default()],
                last_check: None,
            }),
            nodes: vec![node.clone()],
            primary: node,
            max_lag: u64::MAX,
            max_cooloff: MAX_COOLOFF,
            tracked: false,
        }
    }

    /// The pool of `config`'s chain: node 0 from `rpc_addr`, `grpc_addr` and the event
    /// source, then `backup_nodes` in order.
    pub fn from_config(config: &ChainConfig) -> Self {
        let primary = NodeAddrs {
            rpc: config.rpc_addr.clone(),
            grpc: config.grpc_addr.clone(),
            websocket: config.websocket_url(),
            key: String::new(),
        };
        let backups = config
            .backup_nodes
            .iter()
            .enumerate()
            .map(|(i, b)| NodeAddrs {
                rpc: b.rpc_addr.clone(),
                grpc: b.grpc_addr.clone(),
                websocket: b.websocket_url(),
                key: format!("backup_nodes[{i}]."),
            })
            .collect();
        let mut pool = Self::new(config.id.as_str(), primary, backups, config.max_node_lag);
        pool.max_cooloff = config.max_node_cooloff;
        pool
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// Every node, the primary first.
    pub fn nodes(&self) -> &[NodeAddrs] {
        &self.nodes
    }

    /// The addresses of node `i` (the primary's when `i` is out of range).
    pub fn addrs(&self, i: usize) -> &NodeAddrs {
        self.nodes.get(i).unwrap_or(&self.primary)
    }

    /// The allowed lag in blocks.
    pub fn max_lag(&self) -> u64 {
        self.max_lag
    }

    /// The health of every node (a snapshot).
    pub fn health(&self) -> Vec<Health> {
        self.lock().health.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The node calls go to now. Nodes out for `error` whose cool-off has ended are put
    /// back first (they are retried; another failure takes them out for longer).
    pub fn current(&self) -> usize {
        let now = Instant::now();
        let mut state = self.lock();
        for i in 0..state.health.len() {
            let due = state
                .health
                .get(i)
                .and_then(|h| h.out)
                .is_some_and(|o| o.reason == Reason::Error && o.until <= now);
            if due {
                self.put_back(&mut state, i, "cool-off over; retrying it");
            }
        }
        pick(&state.health)
    }

    /// A call to node `i` failed transiently: it is taken out (unless it is out already).
    pub fn failed(&self, i: usize, detail: &str) {
        let mut state = self.lock();
        self.take_out(&mut state, i, Reason::Error, detail);
    }

    /// A call to node `i` succeeded: its cool-off starts from 5 s again next time. A node
    /// that was out is put back only when every node is out (it is then the best bet).
    pub fn succeeded(&self, i: usize) {
        let mut state = self.lock();
        let all_out = state.health.iter().all(|h| h.out.is_some());
        match state.health.get_mut(i) {
            Some(h) if h.out.is_none() => h.strikes = 0,
            Some(h) if all_out && h.out.is_some_and(|o| o.reason == Reason::Error) => {
                h.strikes = 0;
                self.put_back(&mut state, i, "answered while every node was out");
            }
            _ => {}
        }
    }

    /// Whether a `/status` round over every node is due (at most every [`CHECK_INTERVAL`],
    /// only with more than one node); claims it when it is.
    pub fn check_due(&self) -> bool {
        if self.nodes.len() < 2 {
            return false;
        }
        let now = Instant::now();
        let mut state = self.lock();
        match state.last_check {
            Some(t) if now.saturating_duration_since(t) < CHECK_INTERVAL => false,
            _ => {
                state.last_check = Some(now);
                true
            }
        }
    }

    /// Applies a `/status` round's verdicts (one per node, in order).
    pub fn apply(&self, verdicts: &[Verdict]) {
        let now = Instant::now();
        let mut state = self.lock();
        for (i, verdict) in verdicts.iter().enumerate() {
            match verdict {
                Verdict::Unknown => {}
                Verdict::Fine => {
                    let over = state
                        .health
                        .get(i)
                        .and_then(|h| h.out)
                        .is_some_and(|o| o.until <= now);
                    if over {
                        self.put_back(&mut state, i, "answers for the chain and is in step");
                    }
                }
                Verdict::WrongChain { network } => {
                    let detail = format!("answers for chain `{network}`, not `{}`", self.chain_id);
                    self.take_out(&mut state, i, Reason::WrongChain, &detail);
                }
                Verdict::Lag { height, best } => {
                    let detail = format!(
                        "at height {height}, {} blocks behind the best node ({best}; max_node_lag = {})",
                        best.saturating_sub(*height),
                        self.max_lag
                    );
                    self.take_out(&mut state, i, Reason::Lag, &detail);
                }
            }
        }
    }

    fn take_out(&self, state: &mut State, i: usize, reason: Reason, detail: &str) {
        let now = Instant::now();
        let Some(h) = state.health.get_mut(i) else {
            return;
        };
        let was_in = match h.out {
            // Out already and still cooling off: concurrent failures count once.
            Some(o) if o.until > now => return,
            Some(_) => false,
            None => true,
        };
        h.strikes = h.strikes.saturating_add(1);
        let wait = cooloff(h.strikes, self.max_cooloff);
        h.out = Some(Out {
            until: now + wait,
            reason,
        });
        let url = &self.addrs(i).rpc;
        if !self.tracked {
            return;
        }
        if was_in {
            // With no backup there is nothing to rotate to: the node is used anyway, and its
            // errors are logged by the callers, so the transition itself is a debug line.
            if self.nodes.len() > 1 {
                tracing::warn!(chain = %self.chain_id, node = i, %url, reason = reason.as_str(), %detail,
                    cooloff = ?wait, "node taken out of rotation");
            } else {
                tracing::debug!(chain = %self.chain_id, node = i, %url, reason = reason.as_str(), %detail,
                    "the only node failed");
            }
            self.set_gauge(i, false);
            stateset_monitoring::global()
                .node_rotations
                .with_label_values(&[&self.chain_id, reason.as_str()])
                .inc();
        } else {
            tracing::debug!(chain = %self.chain_id, node = i, %url, reason = reason.as_str(), %detail,
                cooloff = ?wait, "node stays out of rotation");
        }
    }

    fn put_back(&self, state: &mut State, i: usize, why: &str) {
        let Some(h) = state.health.get_mut(i) else {
            return;
        };
        let Some(out) = h.out.take() else {
            return;
        };
        if self.tracked {
            if self.nodes.len() > 1 {
                tracing::info!(chain = %self.chain_id, node = i, url = %self.addrs(i).rpc,
                    was = out.reason.as_str(), %why, "node back in rotation");
            }
            self.set_gauge(i, true);
        }
    }

    fn set_gauge(&self, i: usize, in_rotation: bool) {
        if self.tracked {
            stateset_monitoring::global()
                .node_in_rotation
                .with_label_values(&[&self.chain_id, &i.to_string()])
                .set(i64::from(in_rotation));
        }
    }
}

#[cfg(test)]
#[path = "nodes_tests.rs"]
mod tests;
