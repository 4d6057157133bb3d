//! `/graphql` on the telemetry server: access, the body cap, websockets.

use std::net::SocketAddr;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use super::auth::{AccessSettings, Token};
use super::tests::{exchange, read_until_closed, start_with};
use super::Limits;

const QUERY: &str = r#"{"query":"{ chains { id up } }"}"#;

fn post(body: &str, auth: Option<&str>) -> String {
    let auth = auth.map_or(String::new(), |a| format!("authorization: {a}\r\n"));
    format!(
        "POST /graphql HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\n{auth}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn closed() -> AccessSettings {
    AccessSettings::for_host(
        "0.0.0.0",
        Token::new("read-token"),
        Token::new("admin-token"),
    )
}

#[tokio::test]
async fn on_loopback_graphql_answers_without_a_token() {
    let (addr, _stop) = start_with(Limits::default(), AccessSettings::default()).await;
    let answer = exchange(addr, &post(QUERY, None)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(r#"{"data":{"chains":[{"id":"a-1","up":false}]}}"#),
        "{answer}"
    );
    // Other routes stay GET/HEAD only.
    let other = exchange(
        addr,
        "POST /status HTTP/1.1\r\nhost: t\r\ncontent-length: 0\r\n\r\n",
    )
    .await;
    assert!(other.starts_with("HTTP/1.1 405"), "{other}");
}

#[tokio::test]
async fn off_loopback_graphql_needs_the_token() {
    let (addr, _stop) = start_with(Limits::default(), closed()).await;
    let refused = exchange(addr, &post(QUERY, None)).await;
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    assert!(
        refused
            .to_ascii_lowercase()
            .contains("www-authenticate: bearer"),
        "{refused}"
    );
    let wrong = exchange(addr, &post(QUERY, Some("Bearer nope"))).await;
    assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
    let ok = exchange(addr, &post(QUERY, Some("Bearer read-token"))).await;
    assert!(
        ok.starts_with("HTTP/1.1 200") && ok.contains("\"a-1\""),
        "{ok}"
    );
    // The metrics stay open.
    let metrics = exchange(
        addr,
        "GET /metrics HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
}

#[tokio::test]
async fn bodies_over_64_kib_are_refused() {
    let (addr, _stop) = start_with(Limits::default(), AccessSettings::default()).await;
    let big = format!(
        r#"{{"query":"{{ chains {{ id }} }}","x":"{}"}}"#,
        "a".repeat(70_000)
    );
    let declared = exchange(addr, &post(&big, None)).await;
    assert!(
        declared.starts_with("HTTP/1.1 413"),
        "{}",
        &declared[..declared.len().min(200)]
    );
    // Chunked, with no length said: cut at the cap.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"POST /graphql HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n")
        .await
        .unwrap();
    for _ in 0..20 {
        let chunk = format!("{:x}\r\n{}\r\n", 4096, "b".repeat(4096));
        if s.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let answer = read_until_closed(&mut s, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

async fn ws(addr: SocketAddr, query: &str) -> tokio_tungstenite::WebSocketStream<TcpStream> {
    let mut req = format!("ws://{addr}/graphql{query}")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let stream = TcpStream::connect(addr).await.unwrap();
    let (ws, response) = tokio_tungstenite::client_async(req, stream).await.unwrap();
    assert_eq!(response.status(), 101);
    ws
}

/// Sends `connection_init` with `payload` and returns the first answer.
async fn init(ws: &mut tokio_tungstenite::WebSocketStream<TcpStream>, payload: &str) -> Message {
    let init = format!(r#"{{"type":"connection_init","payload":{payload}}}"#);
    ws.send(Message::Text(init)).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn websockets_take_the_token_in_the_query_or_connection_init() {
    let (addr, _stop) = start_with(Limits::default(), closed()).await;
    let mut by_query = ws(addr, "?token=read-token").await;
    assert_eq!(
        init(&mut by_query, "{}").await,
        Message::Text(r#"{"type":"connection_ack"}"#.into())
    );
    let mut by_init = ws(addr, "").await;
    let ack = init(&mut by_init, r#"{"authorization":"Bearer read-token"}"#).await;
    assert_eq!(ack, Message::Text(r#"{"type":"connection_ack"}"#.into()));
    let mut without = ws(addr, "").await;
    match init(&mut without, "{}").await {
        Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 4403),
        other => panic!("expected a close, got {other:?}"),
    }
    // A wrong token in the query is refused before the upgrade.
    let raw = "GET /graphql?token=nope HTTP/1.1\r\nhost: t\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\nsec-websocket-protocol: graphql-transport-ws\r\n\r\n";
    let answer = exchange(addr, raw).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

#[tokio::test]
async fn a_subscription_outlives_the_connection_lifetime() {
    let limits = Limits {
        connection_lifetime: Duration::from_millis(300),
        close_grace: Duration::from_millis(100),
        ..Limits::default()
    };
    let (addr, _stop) = start_with(limits, AccessSettings::default()).await;
    let mut socket = ws(addr, "").await;
    assert_eq!(
        init(&mut socket, "{}").await,
        Message::Text(r#"{"type":"connection_ack"}"#.into())
    );
    let subscribe =
        r#"{"type":"subscribe","id":"1","payload":{"query":"subscription { backlog { chain } }"}}"#;
    socket.send(Message::Text(subscribe.into())).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        first,
        Message::Text(r#"{"type":"next","id":"1","payload":{"data":{"backlog":[]}}}"#.into())
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    socket
        .send(Message::Text(r#"{"type":"ping"}"#.into()))
        .await
        .unwrap();
    let pong = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        pong,
        Message::Text(r#"{"type":"pong"}"#.into()),
        "still open past the 300 ms lifetime"
    );
}
