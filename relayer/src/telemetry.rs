//! The daemon's HTTP endpoint (`[telemetry]`): `/metrics` (Prometheus text), `/healthz`
//! (the process is alive), `/readyz` (every configured chain answers and its events are
//! being read) and `/status` (JSON: chains and heights, channel backlogs, clients and the
//! time left in their trusting periods).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus::proto::MetricFamily;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Serves the endpoints on `listener` until `shutdown`.
pub async fn serve(listener: TcpListener, chains: Arc<Vec<String>>, shutdown: CancellationToken) {
    if let Ok(addr) = listener.local_addr() {
        info!(%addr, "telemetry listening (/metrics /healthz /readyz /status)");
    }
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => return,
            a = listener.accept() => a,
        };
        let (stream, _) = match accepted {
            Ok(a) => a,
            Err(e) => {
                warn!(error = %e, "telemetry accept failed");
                continue;
            }
        };
        let chains = chains.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(req, chains.clone()));
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = conn => {}
            }
        });
    }
}

async fn handle(
    req: Request<Incoming>,
    chains: Arc<Vec<String>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let m = stateset_monitoring::global();
    let (status, content_type, body) = match req.uri().path() {
        "/metrics" => (StatusCode::OK, "text/plain; version=0.0.4", m.encode()),
        "/healthz" => (StatusCode::OK, "text/plain", "ok\n".to_string()),
        "/readyz" => {
            let down = not_ready(&chains);
            if down.is_empty() {
                (StatusCode::OK, "text/plain", "ready\n".to_string())
            } else {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "text/plain",
                    format!("not ready: {}\n", down.join(", ")),
                )
            }
        }
        "/status" => (
            StatusCode::OK,
            "application/json",
            status_json(&chains).to_string(),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found\n".to_string(),
        ),
    };
    let response = Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .expect("valid response");
    Ok(response)
}

/// Each family's series as (labels, value).
fn series(families: &[MetricFamily], name: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    families
        .iter()
        .filter(|f| f.name() == name)
        .flat_map(|f| f.get_metric().iter())
        .map(|m| {
            let labels = m
                .get_label()
                .iter()
                .map(|l| (l.name().to_string(), l.value().to_string()))
                .collect();
            // A family is either gauges or counters; the other reads 0.
            let value = m.get_gauge().get_value() + m.get_counter().get_value();
            (labels, value)
        })
        .collect()
}

/// The configured chains that are not up (RPC unanswered or events not being read).
fn not_ready(chains: &[String]) -> Vec<String> {
    let families = prometheus_families();
    let up = series(&families, "stateset_relayer_chain_up");
    chains
        .iter()
        .filter(|c| {
            !up.iter()
                .any(|(l, v)| l.get("chain") == Some(c) && *v >= 1.0)
        })
        .cloned()
        .collect()
}

fn prometheus_families() -> Vec<MetricFamily> {
    stateset_monitoring::global().gather()
}

fn status_json(chains: &[String]) -> Value {
    let families = prometheus_families();
    let up = series(&families, "stateset_relayer_chain_up");
    let heights = series(&families, "stateset_relayer_chain_scanned_height");
    let value_for = |list: &[(BTreeMap<String, String>, f64)], chain: &str| {
        list.iter()
            .find(|(l, _)| l.get("chain").map(String::as_str) == Some(chain))
            .map(|(_, v)| *v)
    };
    let chains: Vec<Value> = chains
        .iter()
        .map(|c| json!({ "chain": c, "up": value_for(&up, c) == Some(1.0), "scanned_height": value_for(&heights, c) }))
        .collect();
    let backlog: Vec<Value> = series(&families, "stateset_relayer_backlog_packets")
        .into_iter()
        .map(|(l, v)| json!({ "chain": l.get("chain"), "counterparty": l.get("counterparty"), "port": l.get("port"), "channel": l.get("channel"), "backlog": v as u64 }))
        .collect();
    let clients: Vec<Value> = series(&families, "stateset_relayer_client_trusting_period_left_seconds")
        .into_iter()
        .map(|(l, v)| json!({ "chain": l.get("chain"), "client": l.get("client"), "counterparty": l.get("counterparty"), "trusting_period_left_seconds": v, "expired": v <= 0.0 }))
        .collect();
    json!({ "chains": chains, "paths": backlog, "clients": clients })
}
