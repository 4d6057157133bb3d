//! Learned gas for txs of packet messages.
//!
//! A simulation executes the whole tx on the node, as its delivery will, and the
//! submitter holds the account's sequence lock while it runs. For the bulk of relaying
//! (txs of MsgRecvPacket or MsgAcknowledgement only) the gas per message is steady, so
//! once the chain has simulated [`TRUST_AFTER`] such txs of one kind, the next ones are
//! signed with the gas those needed instead: the node spends its CPU on delivering packets
//! rather than on rehearsing them, and the sequence lock is held for a signature only.
//!
//! The estimate is generous: the largest gas per message of the kind's recent txs
//! ([`WINDOW`] of them, simulated or included) times the message count, plus
//! [`TX_OVERHEAD`] (the per-tx ante costs are included in each observed per-message figure
//! already, so this only covers a tx with fewer messages). The caller multiplies it by
//! `gas_multiplier` as it does a simulated figure. Every [`SIMULATE_EVERY`]th tx of a kind
//! is simulated again, and a kind whose unsimulated tx failed is forgotten: its next txs
//! are simulated until it is trusted again. An out-of-gas failure is retried once with the
//! gas the chain reports (see `fee_adjust`).

use std::collections::{HashMap, VecDeque};

use ibc_proto::google::protobuf::Any;

/// Message kinds whose txs may be signed with learned gas.
const LEARNED_KINDS: [&str; 4] = [
    "/ibc.core.channel.v1.MsgRecvPacket",
    "/ibc.core.channel.v1.MsgAcknowledgement",
    "/ibc.core.channel.v2.MsgRecvPacket",
    "/ibc.core.channel.v2.MsgAcknowledgement",
];
/// Simulations of a kind that must succeed before its txs go without one.
pub const TRUST_AFTER: u32 = 2;
/// Every this many txs of a kind, one is simulated again.
pub const SIMULATE_EVERY: u32 = 20;
/// Recent txs of a kind whose gas per message the estimate takes the largest of.
pub const WINDOW: usize = 16;
/// Gas added to every estimate for the tx's own costs (signature, fee, ante handlers).
pub const TX_OVERHEAD: u64 = 100_000;

/// What is known of one message kind's gas.
#[derive(Debug, Default)]
struct KindGas {
    /// Gas per message of its recent txs, newest last.
    per_msg: VecDeque<u64>,
    /// Successful simulations since it was last forgotten.
    simulated: u32,
    /// Txs signed with learned gas since its last simulation.
    unsimulated: u32,
}

/// The learned gas of each message kind of one chain.
#[derive(Debug, Default)]
pub struct GasModel {
    kinds: HashMap<String, KindGas>,
}

/// The kind of `msgs` when all are of one learnable kind, and how many there are.
fn kind_of(msgs: &[Any]) -> Option<(&str, u64)> {
    let first = msgs.first()?.type_url.as_str();
    let uniform = msgs.iter().all(|m| m.type_url == first);
    (uniform && LEARNED_KINDS.contains(&first)).then_some((first, msgs.len() as u64))
}

impl GasModel {
    /// The gas to sign `msgs` with, unmultiplied, when their kind is trusted and not due
    /// for a simulation; `None`: simulate.
    pub fn estimate(&mut self, msgs: &[Any]) -> Option<u64> {
        let (kind, count) = kind_of(msgs)?;
        let gas = self.kinds.get_mut(kind)?;
        if gas.simulated < TRUST_AFTER || gas.unsimulated + 1 >= SIMULATE_EVERY {
            return None;
        }
        let per_msg = gas.per_msg.iter().copied().max()?;
        gas.unsimulated += 1;
        Some(per_msg.saturating_mul(count).saturating_add(TX_OVERHEAD))
    }

    /// Learns that `msgs` used (or, `simulated`, would use) `gas_used`.
    pub fn learn(&mut self, msgs: &[Any], gas_used: u64, simulated: bool) {
        let Some((kind, count)) = kind_of(msgs) else {
            return;
        };
        let gas = self.kinds.entry(kind.to_string()).or_default();
        gas.per_msg.push_back(gas_used.div_ceil(count));
        while gas.per_msg.len() > WINDOW {
            gas.per_msg.pop_front();
        }
        if simulated {
            gas.simulated = gas.simulated.saturating_add(1);
            gas.unsimulated = 0;
        }
    }

    /// Forgets the kind of `msgs` (a tx of it signed with learned gas failed): its next
    /// txs are simulated.
    pub fn forget(&mut self, msgs: &[Any]) {
        if let Some((kind, _)) = kind_of(msgs) {
            self.kinds.remove(kind);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msgs(kind: &str, n: usize) -> Vec<Any> {
        vec![
            Any {
                type_url: kind.into(),
                value: vec![]
            };
            n
        ]
    }

    const RECV: &str = "/ibc.core.channel.v1.MsgRecvPacket";

    #[test]
    fn a_kind_is_simulated_until_trusted_then_estimated_from_its_largest_recent_gas() {
        let mut model = GasModel::default();
        let recv = msgs(RECV, 10);
        assert_eq!(model.estimate(&recv), None);
        model.learn(&recv, 1_000_000, true);
        assert_eq!(model.estimate(&recv), None, "one simulation is not enough");
        model.learn(&msgs(RECV, 5), 600_000, true);
        // 120,000 a message (the 5-message tx) for 10 messages, plus the overhead.
        assert_eq!(model.estimate(&recv), Some(1_200_000 + TX_OVERHEAD));
    }

    #[test]
    fn every_so_often_a_tx_is_simulated_again() {
        let mut model = GasModel::default();
        let recv = msgs(RECV, 3);
        model.learn(&recv, 300_000, true);
        model.learn(&recv, 300_000, true);
        let estimated = (0..SIMULATE_EVERY)
            .take_while(|_| model.estimate(&recv).is_some())
            .count();
        assert_eq!(estimated as u32, SIMULATE_EVERY - 1);
        model.learn(&recv, 300_000, true);
        assert!(model.estimate(&recv).is_some());
    }

    #[test]
    fn mixed_unknown_and_forgotten_kinds_are_simulated() {
        let mut model = GasModel::default();
        let mut mixed = msgs(RECV, 2);
        mixed.extend(msgs("/ibc.core.client.v1.MsgUpdateClient", 1));
        model.learn(&mixed, 500_000, true);
        model.learn(&mixed, 500_000, true);
        assert_eq!(model.estimate(&mixed), None);
        let other = msgs("/cosmos.bank.v1beta1.MsgSend", 1);
        model.learn(&other, 50_000, true);
        model.learn(&other, 50_000, true);
        assert_eq!(model.estimate(&other), None);
        let recv = msgs(RECV, 1);
        model.learn(&recv, 100_000, true);
        model.learn(&recv, 100_000, true);
        assert!(model.estimate(&recv).is_some());
        model.forget(&recv);
        assert_eq!(model.estimate(&recv), None);
    }

    #[test]
    fn an_old_spike_leaves_the_window() {
        let mut model = GasModel::default();
        let recv = msgs(RECV, 1);
        model.learn(&recv, 900_000, true);
        model.learn(&recv, 100_000, true);
        for _ in 0..WINDOW {
            model.learn(&recv, 100_000, false);
        }
        assert_eq!(model.estimate(&recv), Some(100_000 + TX_OVERHEAD));
    }
}
