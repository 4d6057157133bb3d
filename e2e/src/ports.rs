//! The TCP ports a chain listens on, and allocation of free ones on 127.0.0.1.
//!
//! Allocated ports come from below the kernel's ephemeral range (so outgoing
//! connections of this or other processes cannot take them between allocation and
//! `simd start`), are probed by binding 127.0.0.1, and are never handed out twice by
//! one process, so chains started concurrently by parallel tests do not collide.

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::ops::Range;
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// The four ports of one simd node, all bound on 127.0.0.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ports {
    /// CometBFT RPC (HTTP and `/websocket`).
    pub rpc: u16,
    /// CometBFT P2P.
    pub p2p: u16,
    /// Cosmos SDK gRPC.
    pub grpc: u16,
    /// Go pprof (the SDK default 6060 would collide between chains).
    pub pprof: u16,
}

impl Ports {
    /// Four free ports on 127.0.0.1, distinct from every port this process allocated.
    pub fn allocate() -> Result<Ports> {
        Ok(Ports {
            rpc: free_port()?,
            p2p: free_port()?,
            grpc: free_port()?,
            pprof: free_port()?,
        })
    }

    /// The ports as a list, in the order rpc, p2p, grpc, pprof.
    pub fn all(&self) -> [u16; 4] {
        [self.rpc, self.p2p, self.grpc, self.pprof]
    }
}

/// Ports this process has handed out (never reused within the process).
fn handed_out() -> &'static Mutex<HashSet<u16>> {
    static SET: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    SET.get_or_init(|| Mutex::new(HashSet::new()))
}

/// The range to allocate from: 10000 up to the start of the ephemeral range.
fn allocation_range() -> Range<u16> {
    let ephemeral_start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    if ephemeral_start > 12_000 {
        10_000..ephemeral_start
    } else {
        // An unusual ephemeral range: use the top of the port space instead.
        61_000..65_535
    }
}

/// One free port on 127.0.0.1, starting the scan at a per-process pseudo-random offset.
pub fn free_port() -> Result<u16> {
    let range = allocation_range();
    let len = u32::from(range.end - range.start);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let seed = std::process::id().wrapping_mul(7919).wrapping_add(nanos);
    let mut set = handed_out().lock().unwrap_or_else(|e| e.into_inner());
    for i in 0..len {
        // `len` < 2^16, so the offset fits a u16.
        let port = range.start + ((seed.wrapping_add(i)) % len) as u16;
        if set.contains(&port) || is_well_known(port) {
            continue;
        }
        if TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)).is_ok() {
            set.insert(port);
            return Ok(port);
        }
    }
    Err(Error::NoFreePort {
        tried: len as usize,
    })
}

/// Ports a developer's devnet or other local services are likely to use.
fn is_well_known(port: u16) -> bool {
    matches!(port, 26656..=26660 | 27656..=27660 | 9090..=9092 | 9190..=9192 | 1317 | 6060..=6061)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocated_ports_are_distinct_and_bindable() {
        let mut seen = HashSet::new();
        for _ in 0..20 {
            let ports = Ports::allocate().unwrap();
            for p in ports.all() {
                assert!(seen.insert(p), "port {p} handed out twice");
                TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, p)).unwrap();
            }
        }
    }
}
