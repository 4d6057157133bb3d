//! The GraphQL API (`/graphql` on the telemetry listener; issue 15): the daemon's chains,
//! clients, paths, pending packets, packet history, wallets and tasks; a mutation that
//! asks the clearing to relay a path now (admin token only); subscriptions to packet
//! steps, backlogs and client updates. The contract is `schema.graphql` beside this file
//! (the web console is built against it; a unit test keeps the served schema to it).
//!
//! Queries read what the daemon already keeps: the store (ledgers, history), the metrics
//! registry (as `/status` does), the served routes and the supervisor's tasks. No query
//! asks a chain anything.

mod live;
mod query;
#[cfg(test)]
mod tests;
pub mod types;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use async_graphql::Schema;
use tokio::sync::Notify;

use crate::relay::history_feed::HistoryFeed;
use crate::relay::Routes;
use crate::store::Store;
use crate::telemetry::auth::AccessSettings;
pub use live::{Mutation, Subscription};
pub use query::Query;

/// The served schema.
pub type ApiSchema = Schema<Query, Mutation, Subscription>;

/// Deepest query accepted.
pub const MAX_DEPTH: usize = 10;
/// Most complex query accepted (async-graphql's count: one per field by default).
pub const MAX_COMPLEXITY: usize = 1000;
/// Most items one page answers.
pub const MAX_PAGE: usize = 1000;

/// The signals of one chain a `clearPackets` gives.
#[derive(Clone, Debug, Default)]
pub struct ChainSignals {
    /// Wakes the chain's path workers.
    pub wake: Arc<Notify>,
    /// Asks the chain's paths' clearing to run now.
    pub clear_now: Arc<Notify>,
}

/// What the API reads: shared with the daemon's tasks.
#[derive(Clone, Debug)]
pub struct ApiContext {
    /// Every configured chain id, in config order.
    pub chains: Vec<String>,
    /// Each chain's gas denom (the wallet's denom).
    pub denoms: BTreeMap<String, String>,
    /// The store (ledgers and history).
    pub store: Store,
    /// The served paths.
    pub routes: Routes,
    /// The history and the live feeds.
    pub feed: HistoryFeed,
    /// The tokens of the endpoint.
    pub access: AccessSettings,
    /// Each chain's signals.
    pub signals: BTreeMap<String, ChainSignals>,
    /// Each chain's fee-paying address, once connected (kept by the wallet watch).
    pub wallets: Arc<RwLock<BTreeMap<String, String>>>,
}

impl ApiContext {
    /// A context for `chains` over `store`, with no paths, no signals and open access:
    /// what tests and a daemon without API extras start from.
    pub fn new(chains: Vec<String>, store: Store) -> Self {
        let history = Some(store.history());
        Self {
            chains,
            denoms: BTreeMap::new(),
            store,
            routes: Routes::default(),
            feed: HistoryFeed::new(history),
            access: AccessSettings::default(),
            signals: BTreeMap::new(),
            wallets: Arc::default(),
        }
    }
}

/// The API: its context and the schema over it.
pub struct Api {
    /// What it reads.
    pub context: Arc<ApiContext>,
    /// The schema (with the context as data and the limits set).
    pub schema: ApiSchema,
}

impl Api {
    /// The API over `context`.
    pub fn new(context: ApiContext) -> Arc<Self> {
        let context = Arc::new(context);
        let schema = Schema::build(Query, Mutation, Subscription)
            .data(context.clone())
            .limit_depth(MAX_DEPTH)
            .limit_complexity(MAX_COMPLEXITY)
            .finish();
        Arc::new(Self { context, schema })
    }
}

/// Who is asking (per request, or per websocket from its `connection_init`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caller {
    /// Whether the caller presented the admin token (which must be configured).
    pub admin: bool,
}

/// The schema's SDL, as served.
pub fn sdl() -> String {
    Schema::build(Query, Mutation, Subscription).finish().sdl()
}
