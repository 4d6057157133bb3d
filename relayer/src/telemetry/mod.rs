//! The daemon's HTTP endpoint (`[telemetry]`): `/metrics` (Prometheus text), `/healthz`
//! (the process is alive), `/readyz` (every configured chain answers and its events are
//! being read), `/status` (JSON: chains and heights, channel backlogs, clients and the
//! time left in their trusting periods), `/graphql` (the API of [`crate::api`]:
//! [`graphql`]) and, at `/`, the web console ([`console`]).
//!
//! The endpoint must survive hostile clients: but for `/graphql`, only `GET` and `HEAD`
//! are answered (`405` otherwise) and no request body is ever read; `POST /graphql` reads
//! at most 64 KiB within 10 s, and a websocket lives at most
//! [`Limits::websocket_lifetime`], at most [`Limits::max_websockets`] at once; a client has
//! [`Limits::header_read_timeout`] to send a request head (from the connection's start and
//! after each response, which also bounds idle keep-alive); a connection lives at most
//! [`Limits::connection_lifetime`]; at most [`Limits::max_connections`] are open, and at
//! the cap an idle one is closed to admit the newcomer (the policy is described there).
//! So slow or idle clients cannot keep `/metrics` from answering.
//!
//! `/graphql` (and the console) need a bearer token when the endpoint listens on a
//! non-loopback address ([`auth`]); `/metrics`, `/healthz`, `/readyz` and `/status` stay
//! open, for a private network or a reverse proxy (see `deploy/Containerfile`).

pub mod auth;
mod conn;
pub mod console;
pub mod graphql;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_graphql;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, ALLOW, CACHE_CONTROL, CONNECTION, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
    X_CONTENT_TYPE_OPTIONS,
};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus::proto::MetricFamily;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::api::Api;
pub use conn::Limits;
use conn::{Admitted, BusyGuard, Table, TrackedBody};
use graphql::ConnContext;

/// The path of the GraphQL API.
pub const GRAPHQL_PATH: &str = "/graphql";

/// Largest request head accepted, in bytes (hyper's minimum buffer is 8 KiB).
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Pause after a failed accept (e.g. out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// What a refused connection is sent (best effort) before it is closed.
const REFUSED: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// Serves the endpoints on `listener` until `shutdown`, with the default [`Limits`].
pub async fn serve(listener: TcpListener, api: Arc<Api>, shutdown: CancellationToken) {
    serve_with_limits(listener, api, shutdown, Limits::default()).await;
}

/// Serves the endpoints on `listener` until `shutdown`, within `limits`.
pub async fn serve_with_limits(
    listener: TcpListener,
    api: Arc<Api>,
    shutdown: CancellationToken,
    limits: Limits,
) {
    if let Ok(addr) = listener.local_addr() {
        info!(%addr, max_connections = limits.max_connections,
            token_required = api.context.access.require_token,
            "telemetry listening (/metrics /healthz /readyz /status /graphql, the console at /)");
    }
    let table = Table::new(limits.max_connections);
    let websockets = Arc::new(AtomicUsize::new(0));
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => return,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                warn!(error = %e, "telemetry accept failed");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                }
            }
        };
        let Some(admitted) = table.admit(peer.ip()) else {
            debug!(%peer, "telemetry connection refused: every connection is answering");
            // Non-blocking: a peer that does not read gets nothing, not a stalled loop.
            let _ = stream.try_write(REFUSED);
            continue;
        };
        let conn = ConnContext {
            admitted: Arc::new(admitted),
            stop: shutdown.clone(),
            limits,
            websockets: websockets.clone(),
        };
        tokio::spawn(drive(stream, conn, api.clone()));
    }
}

/// Serves one connection until it ends, is evicted, outlives its lifetime (then it may
/// finish its response within the grace), or the server stops. A websocket opened on it
/// runs on after it on its own task ([`graphql`]), holding the connection's place.
async fn drive(stream: TcpStream, conn_ctx: ConnContext, api: Arc<Api>) {
    let (limits, stop) = (conn_ctx.limits, conn_ctx.stop.clone());
    let admitted: Arc<Admitted> = conn_ctx.admitted.clone();
    let evict = admitted.evict.clone();
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let guard = BusyGuard::new(&admitted.busy);
        let (api, conn_ctx) = (api.clone(), conn_ctx.clone());
        async move {
            if req.uri().path() == GRAPHQL_PATH {
                return Ok::<_, Infallible>(graphql::handle(req, api, conn_ctx, guard).await);
            }
            Ok(respond(&req, &api.context.chains, guard))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .keep_alive(true);
    let conn = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.cancelled() => return,
        _ = evict.cancelled() => return,
        _ = tokio::time::sleep(limits.connection_lifetime) => {}
    }
    conn.as_mut().graceful_shutdown();
    tokio::select! {
        _ = conn => {}
        _ = stop.cancelled() => {}
        _ = evict.cancelled() => {}
        _ = tokio::time::sleep(limits.close_grace) => {}
    }
}

/// The response to `req`; its body keeps the connection marked busy (`guard`).
fn respond(req: &Request<Incoming>, chains: &[String], guard: BusyGuard) -> Response<TrackedBody> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        // The body (if any) is never read; the connection is closed after the answer.
        let mut r = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "method not allowed\n".into(),
            guard,
        );
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        r.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        return r;
    }
    let path = req.uri().path();
    let (status, content_type, body) = route(path, chains);
    if status == StatusCode::NOT_FOUND {
        // The web console takes every path no endpoint serves: `/`, `/assets/*` and the
        // console's own routes (see `console::asset`).
        // auth: the console's routes; a token check for them (if any) goes here.
        if let Some(asset) = console::asset(path) {
            return console_response(asset, guard);
        }
    }
    plain(status, content_type, body, guard)
}

/// A file of the web console, with its caching and (for pages) security headers.
fn console_response(asset: console::Asset, guard: BusyGuard) -> Response<TrackedBody> {
    let mut r = Response::new(TrackedBody::new(
        bytes::Bytes::from_static(asset.body),
        guard,
    ));
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(CACHE_CONTROL, HeaderValue::from_static(asset.cache_control));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if asset.page {
        h.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(console::CSP),
        );
    }
    r
}

/// A response of `status` with `body`, keeping the connection busy (`guard`) until written.
fn plain(
    status: StatusCode,
    content_type: &'static str,
    body: String,
    guard: BusyGuard,
) -> Response<TrackedBody> {
    let mut r = Response::new(TrackedBody::new(body, guard));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// Status, content type and body of a `GET` of `path`.
fn route(path: &str, chains: &[String]) -> (StatusCode, &'static str, String) {
    let m = stateset_monitoring::global();
    match path {
        "/metrics" => (StatusCode::OK, "text/plain; version=0.0.4", m.encode()),
        "/healthz" => (StatusCode::OK, "text/plain", "ok\n".to_string()),
        "/readyz" => {
            let down = not_ready(chains);
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
            status_json(chains).to_string(),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found\n".to_string(),
        ),
    }
}

/// A metric's series: (labels, value) each.
pub(crate) type Series = Vec<(BTreeMap<String, String>, f64)>;

/// The series of the metric `name` (full name, e.g. `stateset_relayer_chain_up`).
pub(crate) fn metric_series(name: &str) -> Series {
    series(&prometheus_families(), name)
}

/// Each family's series as (labels, value).
fn series(families: &[MetricFamily], name: &str) -> Series {
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

/// What keeps the daemon from being ready: configured chains that are not up (RPC
/// unanswered or events not being read), chains whose stored scan height is above their
/// latest height (a reset chain), and crash-looping tasks.
fn not_ready(chains: &[String]) -> Vec<String> {
    let families = prometheus_families();
    let up = series(&families, "stateset_relayer_chain_up");
    let ahead = series(&families, "stateset_relayer_scanner_ahead_of_chain");
    let mut reasons: Vec<String> = chains
        .iter()
        .filter(|c| {
            !up.iter()
                .any(|(l, v)| l.get("chain") == Some(c) && *v >= 1.0)
        })
        .cloned()
        .collect();
    reasons.extend(
        ahead
            .iter()
            .filter(|(_, v)| *v >= 1.0)
            .filter_map(|(l, _)| l.get("chain"))
            .map(|c| format!("{c} (stored height is ahead of the chain: was it reset?)")),
    );
    reasons.extend(
        crate::supervisor::tasks::current_tasks()
            .into_iter()
            .filter(|t| t.crash_looping)
            .map(|t| format!("task `{}` is crash-looping", t.name)),
    );
    reasons
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
    let quarantined: Vec<Value> = series(&families, "stateset_relayer_packets_quarantined")
        .into_iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(l, v)| json!({ "chain": l.get("chain"), "counterparty": l.get("counterparty"), "port": l.get("port"), "channel": l.get("channel"), "quarantined": v as u64 }))
        .collect();
    let tasks = crate::supervisor::tasks::current_tasks();
    json!({ "chains": chains, "paths": backlog, "clients": clients, "quarantined": quarantined, "tasks": tasks })
}
