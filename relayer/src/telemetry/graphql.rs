//! `/graphql`: `POST` runs a query or mutation (a JSON body of at most [`MAX_BODY_BYTES`],
//! read within [`BODY_READ_TIMEOUT`]); `GET` with a websocket upgrade runs subscriptions
//! (graphql-transport-ws, or the older graphql-ws) for at most
//! [`Limits::websocket_lifetime`], at most [`Limits::max_websockets`] at once; anything
//! else is `405`. Access: [`super::auth`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::http::{WebSocket, WebSocketProtocols as Protocols, WsMessage};
use async_graphql::Data;
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, ALLOW, CONNECTION, CONTENT_LENGTH, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_PROTOCOL, UPGRADE, WWW_AUTHENTICATE,
};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::auth::{bearer, bearer_of, query_token, AccessSettings};
use super::conn::{Admitted, BusyGuard, TrackedBody};
use super::{plain, Limits};
use crate::api::{Api, Caller};

/// Largest `POST /graphql` body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Time a client has to send its `POST` body.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest websocket message accepted.
const MAX_WS_MESSAGE_BYTES: usize = 64 * 1024;

/// What a `/graphql` request may need of its connection.
#[derive(Clone)]
pub(super) struct ConnContext {
    /// The connection's place in the table: a websocket keeps it while it runs.
    pub(super) admitted: Arc<Admitted>,
    /// The server's stop.
    pub(super) stop: CancellationToken,
    /// The server's limits.
    pub(super) limits: Limits,
    /// Websockets open now (server-wide).
    pub(super) websockets: Arc<AtomicUsize>,
}

/// The answer to a `/graphql` request.
pub(super) async fn handle(
    req: Request<Incoming>,
    api: Arc<Api>,
    conn: ConnContext,
    guard: BusyGuard,
) -> Response<TrackedBody> {
    let access = &api.context.access;
    match *req.method() {
        Method::POST => {
            if !access.accepts(bearer(req.headers())) {
                return unauthorized(guard);
            }
            post(req, &api, guard).await
        }
        Method::GET if is_upgrade(&req) => upgrade(req, api, conn, guard),
        _ => {
            let mut r = plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "text/plain",
                "/graphql: POST a query, or open a websocket (graphql-transport-ws)\n".into(),
                guard,
            );
            r.headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, POST"));
            r
        }
    }
}

/// `401`; the connection is closed after it (a body is never read).
fn unauthorized(guard: BusyGuard) -> Response<TrackedBody> {
    let mut r = refuse(
        StatusCode::UNAUTHORIZED,
        "unauthorized: send Authorization: Bearer <token>",
        guard,
    );
    r.headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

fn refuse(status: StatusCode, why: &str, guard: BusyGuard) -> Response<TrackedBody> {
    let mut r = plain(status, "text/plain", format!("{why}\n"), guard);
    // The rest of a refused body is never read.
    r.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    r
}

/// `POST /graphql`.
async fn post(req: Request<Incoming>, api: &Api, guard: BusyGuard) -> Response<TrackedBody> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body too large (64 KiB at most)",
            guard,
        );
    }
    let caller = Caller {
        admin: api.context.access.is_admin(bearer(req.headers())),
    };
    let body = Limited::new(req.into_body(), MAX_BODY_BYTES);
    let bytes: Bytes = match tokio::time::timeout(BODY_READ_TIMEOUT, body.collect()).await {
        Err(_) => return refuse(StatusCode::REQUEST_TIMEOUT, "body not sent in time", guard),
        Ok(Err(_)) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body too large (64 KiB at most)",
                guard,
            )
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let request: async_graphql::Request = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => {
            let why = format!("not a GraphQL request (JSON with `query`): {e}");
            return plain(StatusCode::BAD_REQUEST, "text/plain", why, guard);
        }
    };
    let response = api.schema.execute(request.data(caller)).await;
    let body = serde_json::to_string(&response).unwrap_or_else(|e| {
        format!("{{\"errors\":[{{\"message\":\"cannot encode the response: {e}\"}}]}}")
    });
    plain(StatusCode::OK, "application/json", body, guard)
}

fn is_upgrade(req: &Request<Incoming>) -> bool {
    req.headers()
        .get(UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The protocol the client asks for (graphql-transport-ws preferred).
fn protocol(req: &Request<Incoming>) -> Option<Protocols> {
    let offered = req.headers().get(SEC_WEBSOCKET_PROTOCOL)?.to_str().ok()?;
    let names: Vec<&str> = offered.split(',').map(str::trim).collect();
    ["graphql-transport-ws", "graphql-ws"]
        .into_iter()
        .find(|p| names.contains(p))
        .and_then(|p| p.parse().ok())
}

/// Takes one websocket slot, if one is free.
fn take_slot(count: &Arc<AtomicUsize>, max: usize) -> Option<WsSlot> {
    let taken = count.fetch_add(1, Ordering::AcqRel);
    let slot = WsSlot(count.clone());
    (taken < max).then_some(slot)
}

/// A websocket slot, freed when dropped.
struct WsSlot(Arc<AtomicUsize>);

impl Drop for WsSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// `GET /graphql` with `Upgrade: websocket`: answers `101` and runs the socket on its own
/// task, which keeps the connection's place (and marks it busy) while it lives.
fn upgrade(
    mut req: Request<Incoming>,
    api: Arc<Api>,
    conn: ConnContext,
    guard: BusyGuard,
) -> Response<TrackedBody> {
    let Some(key) = req.headers().get(SEC_WEBSOCKET_KEY).cloned() else {
        return refuse(StatusCode::BAD_REQUEST, "no Sec-WebSocket-Key", guard);
    };
    let Some(protocol) = protocol(&req) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Sec-WebSocket-Protocol must offer graphql-transport-ws",
            guard,
        );
    };
    let access = api.context.access.clone();
    let presented = bearer(req.headers())
        .map(str::to_string)
        .or_else(|| query_token(req.uri().query()));
    if presented.is_some() && !access.accepts(presented.as_deref()) {
        return unauthorized(guard);
    }
    let Some(slot) = take_slot(&conn.websockets, conn.limits.max_websockets) else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many websockets open",
            guard,
        );
    };
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let on_upgrade = hyper::upgrade::on(&mut req);
    let socket_busy = BusyGuard::new(&conn.admitted.busy);
    let mut r = plain(
        StatusCode::SWITCHING_PROTOCOLS,
        "text/plain",
        String::new(),
        guard,
    );
    let headers = r.headers_mut();
    headers.remove(hyper::header::CONTENT_TYPE);
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(
        SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(protocol.sec_websocket_protocol()),
    );
    if let Ok(v) = HeaderValue::from_str(&accept) {
        headers.insert(SEC_WEBSOCKET_ACCEPT, v);
    }
    tokio::spawn(async move {
        let _keep = (slot, socket_busy, conn.admitted.clone());
        match on_upgrade.await {
            Ok(upgraded) => {
                let socket = Socket {
                    api,
                    access,
                    presented,
                    protocol,
                };
                socket.run(TokioIo::new(upgraded), &conn).await;
            }
            Err(e) => debug!(error = %e, "websocket upgrade failed"),
        }
    });
    r
}

/// One websocket's session.
struct Socket {
    api: Arc<Api>,
    access: AccessSettings,
    /// The token of the upgrade request (header or query), already checked.
    presented: Option<String>,
    protocol: Protocols,
}

impl Socket {
    /// Runs the GraphQL session until it ends, its lifetime is over or the server stops.
    async fn run<S>(self, io: S, conn: &ConnContext)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let config = WebSocketConfig {
            max_message_size: Some(MAX_WS_MESSAGE_BYTES),
            max_frame_size: Some(MAX_WS_MESSAGE_BYTES),
            ..WebSocketConfig::default()
        };
        let ws =
            tokio_tungstenite::WebSocketStream::from_raw_socket(io, Role::Server, Some(config))
                .await;
        let (mut sink, source) = ws.split();
        let incoming = source
            .take_while(|m| std::future::ready(m.is_ok()))
            .filter_map(|m| {
                std::future::ready(match m {
                    Ok(Message::Text(t)) => Some(t.into_bytes()),
                    Ok(Message::Binary(b)) => Some(b),
                    _ => None,
                })
            });
        let (access, presented) = (self.access.clone(), self.presented.clone());
        let mut session = WebSocket::new(self.api.schema.clone(), incoming, self.protocol)
            .on_connection_init(move |payload| async move { init(&access, presented, &payload) });
        let lifetime = tokio::time::sleep(conn.limits.websocket_lifetime);
        tokio::pin!(lifetime);
        loop {
            let out = tokio::select! {
                _ = conn.stop.cancelled() => break,
                _ = &mut lifetime => {
                    let _ = sink.send(close(4000, "connection lifetime over; reconnect")).await;
                    break;
                }
                m = session.next() => m,
            };
            let frame = match out {
                Some(WsMessage::Text(t)) => Message::Text(t),
                Some(WsMessage::Close(code, why)) => {
                    // async-graphql closes a refused connection_init with 1002; the
                    // protocol says 4403 Forbidden.
                    let code = if why.starts_with(UNAUTHORIZED) {
                        4403
                    } else {
                        code
                    };
                    let _ = sink.send(close(code, &why)).await;
                    break;
                }
                None => break,
            };
            if sink.send(frame).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    }
}

/// A close frame (its reason cut to fit a control frame's 125 bytes).
fn close(code: u16, why: &str) -> Message {
    use tokio_tungstenite::tungstenite::protocol::frame::{coding::CloseCode, CloseFrame};
    let mut end = why.len().min(120);
    while !why.is_char_boundary(end) {
        end -= 1;
    }
    Message::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: why.get(..end).unwrap_or_default().to_string().into(),
    }))
}

/// How a refused `connection_init`'s message starts.
const UNAUTHORIZED: &str = "unauthorized";

/// The session data of a websocket from its `connection_init` payload: the token of the
/// upgrade request, else the payload's `authorization` (`Bearer …`). Refused (the socket is
/// closed with 4403) when reads need a token and none is valid.
fn init(
    access: &AccessSettings,
    presented: Option<String>,
    payload: &serde_json::Value,
) -> async_graphql::Result<Data> {
    let from_payload = payload
        .get("authorization")
        .or_else(|| payload.get("Authorization"))
        .and_then(|v| v.as_str())
        .and_then(bearer_of)
        .map(str::to_string);
    let token = presented.or(from_payload);
    if !access.accepts(token.as_deref()) {
        return Err(format!(
            "{UNAUTHORIZED}: send connection_init {{\"authorization\": \"Bearer <token>\"}}"
        )
        .into());
    }
    let mut data = Data::default();
    data.insert(Caller {
        admin: access.is_admin(token.as_deref()),
    });
    Ok(data)
}
