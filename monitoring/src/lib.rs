//! Monitoring of the Stateset relayer: the Prometheus metrics ([`metrics`]); the Grafana
//! dashboard (`monitoring/grafana/`), alert rules (`monitoring/alerts.yml`) and a scrape
//! config for the devnet (`monitoring/prometheus.yml`) live beside this crate. The HTTP
//! exporter runs in the daemon (the relayer crate is the one that talks to networks).

pub mod metrics;

pub use metrics::{global, Metrics};
