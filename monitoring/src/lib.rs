//! Monitoring of the Stateset relayer: the Prometheus metrics ([`metrics`]) and bounded
//! label values for labels fed by chain data ([`labels`]); the Grafana
//! dashboard (`monitoring/grafana/`), alert rules (`monitoring/alerts.yml`) and a scrape
//! config for the devnet (`monitoring/prometheus.yml`) live beside this crate. The HTTP
//! exporter runs in the daemon (the relayer crate is the one that talks to networks).

mod health;
pub mod labels;
pub mod metrics;

pub use labels::{bounded_label, LabelBudget, LabelFamily, LabelShape};
pub use metrics::{global, Metrics};
