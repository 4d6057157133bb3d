//! The dashboard and alert rules beside the crate refer to metrics the crate defines,
//! cover the daemon's health metrics, and name their datasource through the dashboard's
//! template variable.

const DASHBOARD: &str = include_str!("../grafana/stateset-relayer.json");
const ALERTS: &str = include_str!("../alerts.yml");
/// The sources that define metrics (names appear there as string literals).
const METRICS_SOURCES: [&str; 2] = [
    include_str!("../src/metrics.rs"),
    include_str!("../src/health.rs"),
];

/// Every `stateset_relayer_*` name used in `text`.
fn referenced_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("stateset_relayer_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        out.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

/// Whether `name` (with any histogram suffix) is a metric defined in `metrics.rs` or
/// `health.rs`.
fn defined(name: &str) -> bool {
    let short = name.trim_start_matches("stateset_relayer_");
    let base = ["_bucket", "_sum", "_count"]
        .iter()
        .find_map(|s| short.strip_suffix(s))
        .unwrap_or(short);
    METRICS_SOURCES
        .iter()
        .any(|src| src.contains(&format!("\"{short}\"")) || src.contains(&format!("\"{base}\"")))
}

#[test]
fn the_dashboard_and_alerts_use_defined_metrics() {
    for (what, text) in [("dashboard", DASHBOARD), ("alerts.yml", ALERTS)] {
        let names = referenced_names(text);
        assert!(!names.is_empty(), "{what} uses no metric");
        for name in names {
            assert!(
                defined(&name),
                "{what} uses {name}, which metrics.rs does not define"
            );
        }
    }
}

#[test]
fn the_health_metrics_have_alerts_and_panels() {
    for name in [
        "stateset_relayer_task_restarts_total",
        "stateset_relayer_tasks_crash_looping",
        "stateset_relayer_packets_quarantined",
    ] {
        assert!(DASHBOARD.contains(name), "the dashboard lacks {name}");
    }
    for (alert, name) in [
        (
            "RelayerTaskCrashLooping",
            "stateset_relayer_tasks_crash_looping",
        ),
        (
            "RelayerPacketsQuarantined",
            "stateset_relayer_packets_quarantined",
        ),
        (
            "RelayerScannerAheadOfChain",
            "stateset_relayer_scanner_ahead_of_chain",
        ),
        (
            "RelayerNodeOutOfRotation",
            "stateset_relayer_node_in_rotation",
        ),
        ("RelayerFeeGrantNotPaying", "reason=\"fee_grant\""),
    ] {
        assert!(
            ALERTS.contains(&format!("alert: {alert}\n")),
            "alerts.yml lacks {alert}"
        );
        assert!(ALERTS.contains(name), "alerts.yml lacks {name}");
    }
}

#[test]
fn the_dashboard_names_no_fixed_datasource() {
    let uids = DASHBOARD.matches("\"uid\":").count();
    let templated = DASHBOARD.matches("\"uid\": \"${datasource}\"").count();
    assert!(templated > 0);
    // The dashboard's own uid is null; every other uid is the template variable.
    assert_eq!(uids, templated + DASHBOARD.matches("\"uid\": null").count());
}
