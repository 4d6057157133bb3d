//! Prometheus metrics, the exporter, the Grafana dashboard and alert rules of the
//! Stateset relayer. Filled in by the monitoring milestone.
