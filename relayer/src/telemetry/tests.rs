//! The telemetry server against hostile clients, on 127.0.0.1 in-process.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::auth::AccessSettings;
use super::{serve_with_limits, Limits};
use crate::api::{Api, ApiContext};
use crate::store::Store;

/// Starts a server; it stops when the returned token is cancelled (or dropped with the
/// test's runtime).
async fn start(limits: Limits) -> (SocketAddr, CancellationToken) {
    start_with(limits, AccessSettings::default()).await
}

/// [`start`] with `access`.
pub(super) async fn start_with(
    limits: Limits,
    access: AccessSettings,
) -> (SocketAddr, CancellationToken) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let mut context = ApiContext::new(vec!["a-1".to_string()], Store::temporary().unwrap());
    context.access = access;
    tokio::spawn(serve_with_limits(
        listener,
        Api::new(context),
        stop.clone(),
        limits,
    ));
    (addr, stop)
}

/// Everything `s` sends until it closes (a reset counts as a close).
pub(super) async fn read_until_closed(s: &mut TcpStream, within: Duration) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::sleep(within);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => panic!("still open after {within:?}; read {:?}", String::from_utf8_lossy(&out)),
            r = s.read(&mut buf) => match r {
                Ok(0) | Err(_) => return String::from_utf8_lossy(&out).into_owned(),
                Ok(n) => out.extend_from_slice(&buf[..n]),
            },
        }
    }
}

/// Sends `raw` on a new connection and returns the whole answer.
pub(super) async fn exchange(addr: SocketAddr, raw: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(raw.as_bytes()).await.unwrap();
    read_until_closed(&mut s, Duration::from_secs(5)).await
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
}

#[tokio::test]
async fn only_get_and_head_are_answered_and_bodies_are_never_read() {
    let (addr, _stop) = start(Limits::default()).await;
    let ok = exchange(addr, &get("/healthz")).await;
    assert!(
        ok.starts_with("HTTP/1.1 200 OK\r\n") && ok.ends_with("\r\n\r\nok\n"),
        "{ok}"
    );
    let head = exchange(
        addr,
        "HEAD /healthz HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert!(
        head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"),
        "{head}"
    );
    assert!(exchange(addr, &get("/nope.txt"))
        .await
        .starts_with("HTTP/1.1 404"));
    // A megabyte announced and never sent: answered at once, the body is not awaited.
    let started = Instant::now();
    let post = exchange(
        addr,
        "POST /metrics HTTP/1.1\r\nhost: t\r\ncontent-length: 1000000\r\n\r\n",
    )
    .await;
    assert!(
        post.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
        "{post}"
    );
    assert!(
        post.to_ascii_lowercase().contains("allow: get, head\r\n"),
        "{post}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    for method in ["PUT", "DELETE", "OPTIONS", "PATCH"] {
        let r = exchange(
            addr,
            &format!("{method} /healthz HTTP/1.1\r\nhost: t\r\n\r\n"),
        )
        .await;
        assert!(r.starts_with("HTTP/1.1 405"), "{method}: {r}");
    }
}

#[tokio::test]
async fn a_thousand_idle_connections_do_not_stop_healthz_or_metrics() {
    let (addr, _stop) = start(Limits::default()).await;
    let mut idle = Vec::new();
    for _ in 0..1000 {
        match TcpStream::connect(addr).await {
            Ok(s) => idle.push(s),
            // Out of file descriptors: keep some headroom for the requests below.
            Err(_) => {
                idle.truncate(idle.len().saturating_sub(16));
                break;
            }
        }
    }
    assert!(idle.len() >= 200, "only {} connections opened", idle.len());
    let started = Instant::now();
    let health = exchange(addr, &get("/healthz")).await;
    assert!(health.starts_with("HTTP/1.1 200 OK"), "{health}");
    let metrics = exchange(addr, &get("/metrics")).await;
    assert!(metrics.starts_with("HTTP/1.1 200 OK"), "{metrics}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    drop(idle);
}

#[tokio::test]
async fn half_a_header_is_closed_after_the_header_timeout() {
    let limits = Limits {
        header_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let (addr, _stop) = start(limits).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nhost: t\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut s, Duration::from_secs(3)).await;
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test]
async fn slowloris_clients_at_the_cap_do_not_stop_healthz() {
    let limits = Limits {
        max_connections: 4,
        header_read_timeout: Duration::from_secs(30),
        ..Limits::default()
    };
    let (addr, _stop) = start(limits).await;
    // Eight clients trickling a header, one byte every 50 ms, never finishing it.
    let mut tricklers = Vec::new();
    for _ in 0..8 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        tricklers.push(tokio::spawn(async move {
            for b in b"GET /metrics HTTP/1.1\r\nx-slow: "
                .iter()
                .cycle()
                .take(200)
            {
                if s.write_all(&[*b]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let health = exchange(addr, &get("/healthz")).await;
    assert!(health.starts_with("HTTP/1.1 200 OK"), "{health}");
    tricklers.iter().for_each(|t| t.abort());
}

#[tokio::test]
async fn a_connection_is_closed_at_the_end_of_its_lifetime() {
    let limits = Limits {
        header_read_timeout: Duration::from_secs(30),
        connection_lifetime: Duration::from_millis(300),
        close_grace: Duration::from_millis(200),
        ..Limits::default()
    };
    let (addr, _stop) = start(limits).await;
    // A keep-alive client answered once, then idle: closed by the lifetime (the header
    // timeout is far away).
    let mut s = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    s.write_all(b"GET /healthz HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut s, Duration::from_secs(3)).await;
    assert!(
        answer.starts_with("HTTP/1.1 200 OK") && answer.ends_with("ok\n"),
        "{answer}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    // A half-sent header is dropped once lifetime and grace are over.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
    let started = Instant::now();
    read_until_closed(&mut s, Duration::from_secs(3)).await;
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let (addr, stop) = start(Limits::default()).await;
    let mut idle = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.cancel();
    read_until_closed(&mut idle, Duration::from_secs(3)).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}

#[tokio::test]
async fn the_console_is_served_at_the_root_with_its_cache_headers() {
    let (addr, _stop) = start(Limits::default()).await;
    let index = exchange(addr, &get("/")).await;
    let lower = index.to_ascii_lowercase();
    assert!(index.starts_with("HTTP/1.1 200 OK\r\n"), "{index}");
    assert!(
        lower.contains("content-type: text/html; charset=utf-8\r\n"),
        "{index}"
    );
    assert!(lower.contains("cache-control: no-cache\r\n"), "{index}");
    assert!(lower.contains("content-security-policy: "), "{index}");
    assert!(index.contains("<html"), "{index}");
    // A client-side route is the same page; the endpoints keep their answers.
    let routed = exchange(addr, &get("/wallets")).await;
    assert!(routed.starts_with("HTTP/1.1 200 OK\r\n") && routed.contains("<html"));
    assert!(exchange(addr, &get("/healthz"))
        .await
        .ends_with("\r\n\r\nok\n"));
    assert!(exchange(addr, &get("/assets/missing-0.js"))
        .await
        .starts_with("HTTP/1.1 404"));
    // Every hashed asset the page names is served, immutable.
    let names: Vec<&str> = index
        .split('"')
        .filter(|s| s.starts_with("./assets/") || s.starts_with("/assets/"))
        .collect();
    if super::console::is_built() {
        assert!(!names.is_empty(), "{index}");
    }
    for name in names {
        let path = name.trim_start_matches('.');
        let r = exchange(addr, &get(path)).await;
        let lower = r.to_ascii_lowercase();
        assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{path}: {r}");
        assert!(
            lower.contains("cache-control: public, max-age=31536000, immutable\r\n"),
            "{path}: {r}"
        );
    }
}
