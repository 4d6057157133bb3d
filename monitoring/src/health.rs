//! The metrics of the daemon's own health: supervision, quarantine, chain resets, scope,
//! misbehaviour.

use prometheus::{IntCounterVec, IntGaugeVec, Registry};

use crate::metrics::{counter, gauge, CHANNEL};

/// The metrics of the daemon's own health: supervision, quarantine, chain resets.
pub(crate) struct HealthMetrics {
    pub(crate) task_restarts: IntCounterVec,
    pub(crate) tasks_crash_looping: IntGaugeVec,
    pub(crate) packets_quarantined: IntGaugeVec,
    pub(crate) scanner_ahead_of_chain: IntGaugeVec,
    pub(crate) blocks_unavailable: IntCounterVec,
    pub(crate) work_failures: IntCounterVec,
    pub(crate) clients_ignored: IntGaugeVec,
    pub(crate) misbehaviour_submitted: IntCounterVec,
    pub(crate) node_in_rotation: IntGaugeVec,
    pub(crate) node_rotations: IntCounterVec,
}

impl HealthMetrics {
    pub(crate) fn new(r: &Registry) -> Self {
        HealthMetrics {
            task_restarts: counter(
                r,
                "task_restarts_total",
                "Supervised tasks that ended by a panic or an error and were restarted",
                &["task"],
            ),
            tasks_crash_looping: gauge(
                r,
                "tasks_crash_looping",
                "1 while a task has restarted at least 3 times within 5 minutes",
                &["task"],
            ),
            packets_quarantined: gauge(
                r,
                "packets_quarantined",
                "Packets set aside because their message kept failing",
                CHANNEL,
            ),
            scanner_ahead_of_chain: gauge(
                r,
                "scanner_ahead_of_chain",
                "1 while the stored scan height is above the chain's latest height (chain reset)",
                &["chain"],
            ),
            blocks_unavailable: counter(
                r,
                "blocks_unavailable_total",
                "Blocks the node no longer serves (pruned), handed to clearing",
                &["chain"],
            ),
            work_failures: counter(
                r,
                "work_failures_total",
                "Refresh, handshake or discovery work that failed and was backed off",
                &["chain", "kind"],
            ),
            clients_ignored: gauge(
                r,
                "clients_ignored",
                "Clients of a configured chain not served because another party created them",
                &["chain", "counterparty"],
            ),
            misbehaviour_submitted: counter(
                r,
                "misbehaviour_submitted_total",
                "Misbehaviour evidence submitted by the relayer (the client is frozen)",
                &["chain", "client"],
            ),
            node_in_rotation: gauge(
                r,
                "node_in_rotation",
                "1 while a node of a chain (0 = primary, 1.. = backup_nodes) is in rotation, else 0",
                &["chain", "node"],
            ),
            node_rotations: counter(
                r,
                "node_rotations_total",
                "Nodes taken out of rotation, by reason (error, lag, wrong_chain)",
                &["chain", "reason"],
            ),
        }
    }
}
