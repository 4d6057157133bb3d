//! Packet relaying. Per chain a [`scanner`] records every IBC packet event of the served
//! channels in the store's ledgers (block by block, resuming from the stored height); per
//! path and direction a [`worker`] reads its ledger and submits MsgRecvPacket,
//! MsgAcknowledgement and MsgTimeout in batches, each batch with proofs from one height
//! behind a single MsgUpdateClient; [`clear`] compares both chains' commitments with the
//! ledger on start and every N blocks and fills in what is missing with range queries.

mod app_acks;
pub mod clear;
pub mod clear_blocks;
mod client_heights;
mod cycle_parts;
mod error;
pub mod history_feed;
mod prove;
mod quarantine;
mod record;
pub mod scanner;
pub mod sightings;
#[cfg(test)]
mod sightings_tests;
mod step_submit;
mod steps;
mod submit;
pub mod worker;
mod worker_loop;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use stateset_channels::ids::{ChannelId, ConnectionId, PortId};
use stateset_channels::Ordering;

/// One end of a path: a channel on a chain.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChannelEnd {
    /// The chain.
    pub chain: String,
    /// The port.
    pub port: PortId,
    /// The channel.
    pub channel: ChannelId,
    /// Its connection.
    pub connection: ConnectionId,
    /// The client (of the other chain) under that connection.
    pub client: String,
}

/// An open channel between two configured chains.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Path {
    /// The end on one chain.
    pub a: ChannelEnd,
    /// The end on the other.
    pub b: ChannelEnd,
    /// The channel's ordering.
    pub ordering: Ordering,
}

impl ChannelEnd {
    /// The end of an IBC v2 path on `chain`: its light client `client` of the other chain,
    /// registered with that chain's client of this one. Port, channel and connection follow
    /// the carrying convention of [`stateset_channels::v2::relay`]: the port is
    /// [`V2_PORT`](stateset_channels::v2::V2_PORT), the channel is the client id (v2 packets
    /// are addressed by it), and there is no connection ([`V2_NO_CONNECTION`]).
    pub fn v2(chain: &str, client: &str) -> Result<ChannelEnd, stateset_channels::ids::IdError> {
        Ok(ChannelEnd {
            chain: chain.to_string(),
            port: stateset_channels::v2::V2_PORT.parse()?,
            channel: client.parse()?,
            connection: V2_NO_CONNECTION.parse()?,
            client: client.to_string(),
        })
    }
}

/// The connection id an IBC v2 end carries: v2 has no connections.
pub const V2_NO_CONNECTION: &str = "ibc-v2-none";

impl Path {
    /// Whether this is an IBC v2 path (client to client, no channel).
    pub fn is_v2(&self) -> bool {
        self.a.port.as_str() == stateset_channels::v2::V2_PORT
    }

    /// The path seen from the other side.
    pub fn reversed(&self) -> Path {
        Path {
            a: self.b.clone(),
            b: self.a.clone(),
            ordering: self.ordering,
        }
    }

    /// Metric labels of the `a` end: chain, counterparty, port, channel.
    pub fn labels(&self) -> [String; 4] {
        [
            self.a.chain.clone(),
            self.b.chain.clone(),
            self.a.port.to_string(),
            self.a.channel.to_string(),
        ]
    }

    /// A short name for logs: `chain:port/channel->chain:port/channel`, or for IBC v2
    /// `chain:v2/client->chain:v2/client`.
    pub fn name(&self) -> String {
        if self.is_v2() {
            return format!(
                "{}:v2/{}->{}:v2/{}",
                self.a.chain, self.a.client, self.b.chain, self.b.client
            );
        }
        format!(
            "{}:{}/{}->{}:{}/{}",
            self.a.chain, self.a.port, self.a.channel, self.b.chain, self.b.port, self.b.channel
        )
    }
}

/// The channel ends the relayer serves, by (chain, port, channel): what scanners route
/// events with. Shared by the scanners and the path discovery.
#[derive(Clone, Debug, Default)]
pub struct Routes {
    inner: Arc<RwLock<HashMap<RouteKey, Path>>>,
}

/// (chain, port, channel).
///
/// The map's lock is taken for single inserts and lookups, so a poisoned lock still holds a
/// consistent map and is used as it is.
type RouteKey = (String, String, String);

impl Routes {
    /// Adds a path (both directions). Returns whether it was new.
    pub fn add(&self, path: &Path) -> bool {
        let mut map = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let key = |e: &ChannelEnd| (e.chain.clone(), e.port.to_string(), e.channel.to_string());
        let new = !map.contains_key(&key(&path.a));
        map.insert(key(&path.a), path.clone());
        map.insert(key(&path.b), path.reversed());
        new
    }

    /// The path whose `a` end is `chain`/`port`/`channel`.
    pub fn get(&self, chain: &str, port: &str, channel: &str) -> Option<Path> {
        let map = self.inner.read().unwrap_or_else(|e| e.into_inner());
        map.get(&(chain.to_string(), port.to_string(), channel.to_string()))
            .cloned()
    }

    /// Every served path, each direction once (seen from its `a` end).
    pub fn all(&self) -> Vec<Path> {
        let map = self.inner.read().unwrap_or_else(|e| e.into_inner());
        map.values().cloned().collect()
    }

    /// Every served path seen from `chain`.
    pub fn from_chain(&self, chain: &str) -> Vec<Path> {
        let map = self.inner.read().unwrap_or_else(|e| e.into_inner());
        map.values()
            .filter(|p| p.a.chain == chain)
            .cloned()
            .collect()
    }
}
