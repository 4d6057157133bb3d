//! The relayer's Prometheus metrics: names prefixed `stateset_relayer_`, base units,
//! `_total` on counters, `_seconds` on durations, labels chain / counterparty / channel /
//! port where they apply. One [`Metrics`] per process, shared by every task.

use crate::health::HealthMetrics;
use prometheus::{
    exponential_buckets, Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

const NS: &str = "stateset_relayer";

/// Every metric of the relayer.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Registry,
    /// Packets seen sent on a served channel (chain, port, channel = the source end).
    pub packets_seen: IntCounterVec,
    /// MsgRecvPacket that landed (chain = source).
    pub packets_relayed: IntCounterVec,
    /// MsgAcknowledgement that landed (chain = source).
    pub packets_acked: IntCounterVec,
    /// MsgTimeout / MsgTimeoutOnClose that landed (chain = source).
    pub packets_timed_out: IntCounterVec,
    /// Messages dropped before submission because the destination already had them.
    pub redundant_messages: IntCounterVec,
    /// Packets not relayed, by reason.
    pub packets_filtered: IntCounterVec,
    /// ICS-27 messages whose acknowledgement was relayed, by message type and result.
    pub ica_messages: IntCounterVec,
    /// Unfinished packets in a channel end's ledger.
    pub backlog: IntGaugeVec,
    /// Oldest unfinished sequence of a channel end (0 when none).
    pub backlog_oldest_sequence: IntGaugeVec,
    /// Age of the oldest unfinished packet of a channel end, in seconds.
    pub backlog_oldest_age_seconds: GaugeVec,
    /// Send → receive latency (source tx to destination receipt seen).
    pub recv_latency_seconds: HistogramVec,
    /// Send → acknowledgement latency.
    pub ack_latency_seconds: HistogramVec,
    /// Txs submitted (chain, kind).
    pub txs_submitted: IntCounterVec,
    /// Txs included successfully.
    pub txs_confirmed: IntCounterVec,
    /// Txs failed (chain, reason).
    pub txs_failed: IntCounterVec,
    /// Txs sent once more with the gas or fee the chain asked for (chain, reason:
    /// `out_of_gas`, `insufficient_fee`).
    pub fee_adjustments: IntCounterVec,
    /// Gas used by the relayer's txs.
    pub gas_used: IntCounterVec,
    /// Fees paid (chain, denom), in the denom's base unit.
    pub fees_paid: IntCounterVec,
    /// The balance of the account paying the relayer's fees (chain, denom): its key's, or
    /// the fee granter's when one is configured.
    pub wallet_balance: GaugeVec,
    /// Client updates submitted (chain = host, client).
    pub client_updates: IntCounterVec,
    /// Relay steps that proved at a height their client already held, so sent no
    /// MsgUpdateClient (chain = host, client).
    pub client_updates_shared: IntCounterVec,
    /// Seconds left in a client's trusting period (chain = host, client, counterparty).
    pub client_trusting_period_left_seconds: GaugeVec,
    /// Event source resubscriptions.
    pub event_source_reconnects: IntCounterVec,
    /// Whether a chain's event source and RPC are live (1) or not (0).
    pub chain_up: IntGaugeVec,
    /// The last height whose events are recorded, per chain.
    pub chain_scanned_height: IntGaugeVec,
    /// RPC / gRPC errors (chain, endpoint = rpc|grpc, method).
    pub rpc_errors: IntCounterVec,
    /// RPC / gRPC latency (chain, endpoint, method).
    pub rpc_latency_seconds: HistogramVec,
    /// Second copies of a call sent while the first was still out, because a later call to
    /// the same chain and endpoint had already answered (chain, endpoint, method).
    pub rpc_hedges: IntCounterVec,
    /// Malformed events skipped.
    pub malformed_events: IntCounterVec,
    /// Connections and channels read from a chain that path discovery or handshake
    /// completion skipped because they are malformed (a required field missing, an
    /// identifier that does not parse), counted on every pass that skips them (chain,
    /// kind = connection | channel). Objects that are merely not the relayer's (another
    /// party's client, a port it does not serve) are not counted.
    pub skipped_chain_objects: IntCounterVec,
    /// Store size on disk.
    pub store_size_bytes: IntGaugeVec,
    /// Store write latency.
    pub store_write_seconds: HistogramVec,
    /// Supervised tasks that ended by a panic or an error and were restarted (task).
    pub task_restarts: IntCounterVec,
    /// 1 while a task has restarted at least 3 times within 5 minutes, else 0 (task).
    pub tasks_crash_looping: IntGaugeVec,
    /// Packets set aside because their message kept failing (channel end labels).
    pub packets_quarantined: IntGaugeVec,
    /// 1 while the stored scan height is above the chain's latest height (a chain that
    /// was reset), else 0 (chain).
    pub scanner_ahead_of_chain: IntGaugeVec,
    /// Blocks the node no longer serves (pruned), handed to clearing (chain).
    pub blocks_unavailable: IntCounterVec,
    /// Refresh, handshake or discovery work that failed and was backed off (chain, kind).
    pub work_failures: IntCounterVec,
    /// Clients of a configured chain that the relayer does not serve because another
    /// party created them (chain = host, counterparty).
    pub clients_ignored: IntGaugeVec,
    /// Misbehaviour evidence the relayer submitted (chain = host, client).
    pub misbehaviour_submitted: IntCounterVec,
    /// 1 while a node is in rotation, else 0 (chain, node = its index, 0 = primary).
    pub node_in_rotation: IntGaugeVec,
    /// Nodes taken out of rotation (chain, reason = error | lag | wrong_chain).
    pub node_rotations: IntCounterVec,
    /// Time to sign one tx's sign bytes (store = file | pkcs11).
    pub signer_latency_seconds: HistogramVec,
}

pub(crate) fn counter(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help).namespace(NS), labels).expect("valid metric");
    registry
        .register(Box::new(c.clone()))
        .expect("registered once");
    c
}

pub(crate) fn gauge(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help).namespace(NS), labels).expect("valid metric");
    registry
        .register(Box::new(g.clone()))
        .expect("registered once");
    g
}

fn fgauge(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> GaugeVec {
    let g = GaugeVec::new(Opts::new(name, help).namespace(NS), labels).expect("valid metric");
    registry
        .register(Box::new(g.clone()))
        .expect("registered once");
    g
}

fn histogram(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: Vec<f64>,
) -> HistogramVec {
    let h = HistogramVec::new(
        HistogramOpts::new(name, help)
            .namespace(NS)
            .buckets(buckets),
        labels,
    )
    .expect("valid metric");
    registry
        .register(Box::new(h.clone()))
        .expect("registered once");
    h
}

/// Labels of a channel end.
pub const CHANNEL: &[&str] = &["chain", "counterparty", "port", "channel"];

impl Metrics {
    /// Registers every metric in a new registry.
    pub fn new() -> Self {
        let r = Registry::new();
        let latency = exponential_buckets(0.25, 2.0, 12).expect("buckets");
        let rpc = exponential_buckets(0.001, 2.5, 12).expect("buckets");
        let store = exponential_buckets(0.00005, 3.0, 10).expect("buckets");
        let health = HealthMetrics::new(&r);
        Metrics {
            task_restarts: health.task_restarts,
            tasks_crash_looping: health.tasks_crash_looping,
            packets_quarantined: health.packets_quarantined,
            scanner_ahead_of_chain: health.scanner_ahead_of_chain,
            blocks_unavailable: health.blocks_unavailable,
            work_failures: health.work_failures,
            clients_ignored: health.clients_ignored,
            misbehaviour_submitted: health.misbehaviour_submitted,
            node_in_rotation: health.node_in_rotation,
            node_rotations: health.node_rotations,
            packets_seen: counter(
                &r,
                "packets_seen_total",
                "Packets seen sent on served channels",
                CHANNEL,
            ),
            packets_relayed: counter(
                &r,
                "packets_relayed_total",
                "Packets received on the destination by the relayer's MsgRecvPacket",
                CHANNEL,
            ),
            packets_acked: counter(
                &r,
                "packets_acked_total",
                "Acknowledgements relayed to the source",
                CHANNEL,
            ),
            packets_timed_out: counter(
                &r,
                "packets_timed_out_total",
                "Packets timed out on the source by the relayer",
                CHANNEL,
            ),
            redundant_messages: counter(
                &r,
                "redundant_messages_total",
                "Messages dropped because the destination already had them",
                &["chain", "counterparty", "port", "channel", "kind"],
            ),
            packets_filtered: counter(
                &r,
                "packets_filtered_total",
                "Packets not relayed, by reason",
                &["chain", "counterparty", "port", "channel", "reason"],
            ),
            ica_messages: counter(
                &r,
                "ica_messages_total",
                "Interchain-account messages acknowledged, by type and result (success|error)",
                &[
                    "chain",
                    "counterparty",
                    "port",
                    "channel",
                    "msg_type",
                    "result",
                ],
            ),
            backlog: gauge(
                &r,
                "backlog_packets",
                "Unfinished packets sent on a channel end",
                CHANNEL,
            ),
            backlog_oldest_sequence: gauge(
                &r,
                "backlog_oldest_sequence",
                "Oldest unfinished sequence of a channel end (0: none)",
                CHANNEL,
            ),
            backlog_oldest_age_seconds: fgauge(
                &r,
                "backlog_oldest_age_seconds",
                "Age of the oldest unfinished packet of a channel end",
                CHANNEL,
            ),
            recv_latency_seconds: histogram(
                &r,
                "send_to_recv_latency_seconds",
                "From the relayer seeing a packet to its receipt on the destination",
                CHANNEL,
                latency.clone(),
            ),
            ack_latency_seconds: histogram(
                &r,
                "send_to_ack_latency_seconds",
                "From the relayer seeing a packet to its acknowledgement on the source",
                CHANNEL,
                latency,
            ),
            txs_submitted: counter(
                &r,
                "txs_submitted_total",
                "Txs submitted",
                &["chain", "kind"],
            ),
            txs_confirmed: counter(
                &r,
                "txs_confirmed_total",
                "Txs included successfully",
                &["chain", "kind"],
            ),
            txs_failed: counter(
                &r,
                "txs_failed_total",
                "Txs that failed, by reason",
                &["chain", "kind", "reason"],
            ),
            fee_adjustments: counter(
                &r,
                "tx_fee_adjustments_total",
                "Txs sent once more with the gas or fee the chain asked for, by reason",
                &["chain", "reason"],
            ),
            gas_used: counter(
                &r,
                "gas_used_total",
                "Gas used by the relayer's txs",
                &["chain"],
            ),
            fees_paid: counter(
                &r,
                "fees_paid_total",
                "Fees paid by the relayer, in the denom's base unit",
                &["chain", "denom"],
            ),
            wallet_balance: fgauge(
                &r,
                "wallet_balance",
                "Balance of the account paying the relayer's fees (its key or the fee granter), in the denom's base unit",
                &["chain", "denom"],
            ),
            client_updates: counter(
                &r,
                "client_updates_total",
                "MsgUpdateClient submitted",
                &["chain", "client", "counterparty"],
            ),
            client_updates_shared: counter(
                &r,
                "client_updates_shared_total",
                "Relay steps that proved at a height the client already held and sent no MsgUpdateClient",
                &["chain", "client", "counterparty"],
            ),
            client_trusting_period_left_seconds: fgauge(
                &r,
                "client_trusting_period_left_seconds",
                "Seconds left before a client expires (host chain clock)",
                &["chain", "client", "counterparty"],
            ),
            event_source_reconnects: counter(
                &r,
                "event_source_reconnects_total",
                "Event source resubscriptions",
                &["chain"],
            ),
            chain_up: gauge(
                &r,
                "chain_up",
                "Whether the chain's RPC answers and its events are being read (1) or not (0)",
                &["chain"],
            ),
            chain_scanned_height: gauge(
                &r,
                "chain_scanned_height",
                "The last height whose events are recorded",
                &["chain"],
            ),
            rpc_errors: counter(
                &r,
                "rpc_errors_total",
                "RPC and gRPC errors",
                &["chain", "endpoint", "method"],
            ),
            rpc_hedges: counter(
                &r,
                "rpc_hedges_total",
                "Second copies of an RPC or gRPC call sent while the first was still out, because a later call to the same node had already answered",
                &["chain", "endpoint", "method"],
            ),
            rpc_latency_seconds: histogram(
                &r,
                "rpc_latency_seconds",
                "RPC and gRPC call latency",
                &["chain", "endpoint", "method"],
                rpc,
            ),
            malformed_events: counter(
                &r,
                "malformed_events_total",
                "Malformed IBC events skipped",
                &["chain"],
            ),
            skipped_chain_objects: counter(
                &r,
                "skipped_chain_objects_total",
                "Malformed connections and channels read from a chain and skipped, counted on every pass that skips them",
                &["chain", "kind"],
            ),
            store_size_bytes: gauge(
                &r,
                "store_size_bytes",
                "The sled store's size on disk",
                &["path"],
            ),
            store_write_seconds: histogram(
                &r,
                "store_write_seconds",
                "Store write latency",
                &["op"],
                store,
            ),
            signer_latency_seconds: histogram(
                &r,
                "signer_latency_seconds",
                "Time to sign one tx, by key store (file | pkcs11)",
                &["store"],
                exponential_buckets(0.0001, 3.0, 10).expect("buckets"),
            ),
            registry: r,
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec fails only on a malformed family, which registration rules
        // out; whatever was written is still served.
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            buf.extend_from_slice(format!("# encoding error: {e}\n").as_bytes());
        }
        String::from_utf8_lossy(&buf).into_owned()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The process's metrics (created on first use).
pub fn global() -> &'static Metrics {
    static METRICS: std::sync::OnceLock<Metrics> = std::sync::OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

impl Metrics {
    /// Every metric family, as the registry gathers them.
    pub fn gather(&self) -> Vec<prometheus::proto::MetricFamily> {
        self.registry.gather()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_prometheus_conventions() {
        let m = Metrics::new();
        m.packets_relayed
            .with_label_values(&["a-1", "b-1", "transfer", "channel-0"])
            .inc_by(3);
        m.rpc_latency_seconds
            .with_label_values(&["a-1", "rpc", "status"])
            .observe(0.01);
        m.backlog
            .with_label_values(&["a-1", "b-1", "transfer", "channel-0"])
            .set(7);
        let text = m.encode();
        assert!(text.contains("stateset_relayer_packets_relayed_total{chain=\"a-1\",channel=\"channel-0\",counterparty=\"b-1\",port=\"transfer\"} 3"), "{text}");
        assert!(text.contains("stateset_relayer_rpc_latency_seconds_bucket"));
        assert!(text.contains("stateset_relayer_backlog_packets{"));
        for line in text.lines().filter(|l| l.starts_with("# TYPE")) {
            let mut parts = line.split_whitespace().skip(2);
            let (name, kind) = (parts.next().unwrap(), parts.next().unwrap());
            assert!(name.starts_with("stateset_relayer_"), "{name}");
            if kind == "counter" {
                assert!(name.ends_with("_total"), "{name}");
            }
        }
    }

    #[test]
    fn health_metrics_are_registered_with_their_names_and_labels() {
        let m = Metrics::new();
        let end = ["a-1", "b-1", "transfer", "channel-0"];
        m.task_restarts.with_label_values(&["scanner:a-1"]).inc();
        m.tasks_crash_looping
            .with_label_values(&["scanner:a-1"])
            .set(1);
        m.packets_quarantined.with_label_values(&end).set(2);
        m.scanner_ahead_of_chain.with_label_values(&["a-1"]).set(1);
        m.blocks_unavailable.with_label_values(&["a-1"]).inc_by(5);
        m.work_failures.with_label_values(&["a-1", "refresh"]).inc();
        m.clients_ignored.with_label_values(&["a-1", "b-1"]).set(4);
        m.node_in_rotation.with_label_values(&["a-1", "1"]).set(1);
        m.node_rotations.with_label_values(&["a-1", "lag"]).inc();
        let text = m.encode();
        for (name, kind) in [
            ("stateset_relayer_task_restarts_total", "counter"),
            ("stateset_relayer_tasks_crash_looping", "gauge"),
            ("stateset_relayer_packets_quarantined", "gauge"),
            ("stateset_relayer_scanner_ahead_of_chain", "gauge"),
            ("stateset_relayer_blocks_unavailable_total", "counter"),
            ("stateset_relayer_work_failures_total", "counter"),
            ("stateset_relayer_clients_ignored", "gauge"),
            ("stateset_relayer_node_in_rotation", "gauge"),
            ("stateset_relayer_node_rotations_total", "counter"),
        ] {
            assert!(
                text.contains(&format!("# TYPE {name} {kind}\n")),
                "{name}\n{text}"
            );
        }
        for series in [
            "stateset_relayer_task_restarts_total{task=\"scanner:a-1\"} 1",
            "stateset_relayer_tasks_crash_looping{task=\"scanner:a-1\"} 1",
            "stateset_relayer_packets_quarantined{chain=\"a-1\",channel=\"channel-0\",counterparty=\"b-1\",port=\"transfer\"} 2",
            "stateset_relayer_scanner_ahead_of_chain{chain=\"a-1\"} 1",
            "stateset_relayer_blocks_unavailable_total{chain=\"a-1\"} 5",
            "stateset_relayer_work_failures_total{chain=\"a-1\",kind=\"refresh\"} 1",
            "stateset_relayer_clients_ignored{chain=\"a-1\",counterparty=\"b-1\"} 4",
            "stateset_relayer_node_in_rotation{chain=\"a-1\",node=\"1\"} 1",
            "stateset_relayer_node_rotations_total{chain=\"a-1\",reason=\"lag\"} 1",
        ] {
            assert!(text.contains(series), "{series}\n{text}");
        }
    }
}
