//! Pointing a relayer home's chain entry at proxies (or back at the node), by rewriting
//! the `[[chains]]` entry of its config file. The change applies to every relayer command
//! run afterwards and to a daemon started afterwards.

use std::path::Path;

use super::{Counters, Mode, Proxy};
use crate::chain::TestChain;

/// An RPC proxy (HTTP and websocket) and a gRPC proxy in front of one chain.
#[derive(Debug)]
pub struct ChainProxies {
    /// The chain id.
    pub chain_id: String,
    /// CometBFT RPC and `/websocket`.
    pub rpc: Proxy,
    /// gRPC.
    pub grpc: Proxy,
}

impl ChainProxies {
    /// Starts both proxies in front of `chain`, in [`Mode::Clean`]; the gRPC proxy's seed
    /// is `seed + 1`.
    pub fn start(chain: &TestChain, seed: u64) -> ChainProxies {
        let ports = chain.ports();
        ChainProxies {
            chain_id: chain.chain_id().to_string(),
            rpc: Proxy::rpc(ports.rpc, seed).expect("RPC proxy starts"),
            grpc: Proxy::grpc(ports.grpc, seed.wrapping_add(1)).expect("gRPC proxy starts"),
        }
    }

    /// Sets the mode of both (the gRPC proxy acts only on [`Mode::Chaos`]; every other
    /// mode forwards gRPC unchanged).
    pub fn set_mode(&self, mode: Mode) {
        self.rpc.set_mode(mode.clone());
        self.grpc.set_mode(mode);
    }

    /// The counters of the RPC proxy and of the gRPC proxy.
    pub fn counters(&self) -> (Counters, Counters) {
        (self.rpc.counters(), self.grpc.counters())
    }
}

/// Sets `rpc_addr`, `grpc_addr` and the push event source's `url` of `chain_id`'s entry in
/// the relayer config at `config`.
pub fn set_endpoints(config: &Path, chain_id: &str, rpc: &str, grpc: &str, websocket: &str) {
    edit_chain(config, chain_id, |entry| {
        entry.insert("rpc_addr".into(), rpc.into());
        entry.insert("grpc_addr".into(), grpc.into());
        let mut source = match entry.remove("event_source") {
            Some(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        };
        source.insert("mode".into(), "push".into());
        source.remove("interval");
        source.insert("url".into(), websocket.into());
        entry.insert("event_source".into(), toml::Value::Table(source));
    });
}

/// Points `proxies.chain_id`'s entry in the relayer config at the proxies: RPC, websocket
/// and gRPC.
pub fn route_through(config: &Path, proxies: &ChainProxies) {
    set_endpoints(
        config,
        &proxies.chain_id,
        &proxies.rpc.url(),
        &proxies.grpc.url(),
        &proxies.rpc.ws_url(),
    );
}

/// Points `chain`'s entry in the relayer config back at the node itself.
pub fn route_direct(config: &Path, chain: &TestChain) {
    set_endpoints(
        config,
        chain.chain_id(),
        &chain.rpc_url(),
        &chain.grpc_url(),
        &chain.ws_url(),
    );
}

/// Sets `key = value` in `chain_id`'s entry (replacing it if present), e.g. `key_name`.
pub fn set_chain_value(config: &Path, chain_id: &str, key: &str, value: toml::Value) {
    edit_chain(config, chain_id, |entry| {
        entry.insert(key.to_string(), value);
    });
}

/// Applies `edit` to the `[[chains]]` table whose `id` is `chain_id`; panics naming the
/// file when it cannot be read, parsed, found or written.
fn edit_chain(config: &Path, chain_id: &str, edit: impl FnOnce(&mut toml::Table)) {
    let text = std::fs::read_to_string(config)
        .unwrap_or_else(|e| panic!("reading {}: {e}", config.display()));
    let mut doc: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("parsing {}: {e}", config.display()));
    let entry = doc
        .get_mut("chains")
        .and_then(toml::Value::as_array_mut)
        .and_then(|chains| {
            chains
                .iter_mut()
                .filter_map(toml::Value::as_table_mut)
                .find(|c| c.get("id").and_then(toml::Value::as_str) == Some(chain_id))
        })
        .unwrap_or_else(|| panic!("chain {chain_id} is not in {}", config.display()));
    edit(entry);
    let text = toml::to_string(&doc).expect("the config serializes");
    std::fs::write(config, text).unwrap_or_else(|e| panic!("writing {}: {e}", config.display()));
}
