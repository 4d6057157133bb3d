//! The CometBFT RPC side: HTTP/1.x requests one at a time per client connection, each
//! forwarded to the node on a fresh connection, and the `/websocket` upgrade passed
//! through as raw bytes.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{apply_delay, bump, forge, reset, Fault, Mode, Shared};

/// Largest request or response head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest body accepted.
const MAX_BODY: usize = 256 * 1024 * 1024;
/// Connecting to the node.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// One exchange with the node, from connect to the end of its answer.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(120);

/// One HTTP request as read from a client.
pub(super) struct Request {
    pub method: String,
    pub target: String,
    /// The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor: u8,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The head exactly as received (for the websocket upgrade).
    raw_head: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    fn has_token(&self, name: &str, token: &str) -> bool {
        self.header(name)
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    }

    fn is_websocket_upgrade(&self) -> bool {
        self.has_token("upgrade", "websocket")
    }

    fn keep_alive(&self) -> bool {
        if self.has_token("connection", "close") {
            false
        } else if self.minor == 0 {
            self.has_token("connection", "keep-alive")
        } else {
            true
        }
    }
}

/// One HTTP response from the node.
pub(super) struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Serves one client connection until it closes, asks for the connection to close, is
/// dropped or reset by a fault, or turns into a websocket.
pub(super) async fn serve_connection(mut client: TcpStream, shared: &Shared) {
    let mut buf = Vec::new();
    loop {
        let request = match read_request(&mut client, &mut buf).await {
            Ok(Some(r)) => r,
            Ok(None) | Err(_) => return,
        };
        bump(&shared.counters.requests);
        if request.is_websocket_upgrade() {
            let leftover = std::mem::take(&mut buf);
            websocket(client, request, leftover, shared).await;
            return;
        }
        let keep_alive = request.keep_alive();
        let mode = shared.mode();
        let decision = shared.decide(&mode);
        apply_delay(shared, decision.delay).await;
        match decision.fault {
            Fault::Drop { after: false } => {
                bump(&shared.counters.dropped);
                return;
            }
            Fault::Reset { after: false } => {
                reset(shared, client);
                return;
            }
            Fault::Http500 => {
                bump(&shared.counters.http_500);
                let body = br#"{"jsonrpc":"2.0","id":-1,"error":{"code":-32603,"message":"Internal error","data":"injected by the fault proxy"}}"#;
                let response = Response {
                    status: 500,
                    reason: "Internal Server Error".into(),
                    headers: vec![("Content-Type".into(), "application/json".into())],
                    body: body.to_vec(),
                };
                if write_response(&mut client, &response, keep_alive)
                    .await
                    .is_err()
                    || !keep_alive
                {
                    return;
                }
                continue;
            }
            _ => {}
        }
        let mut response = match forward(&request, shared).await {
            Ok(r) => r,
            Err(e) => {
                bump(&shared.counters.upstream_errors);
                let response = Response {
                    status: 502,
                    reason: "Bad Gateway".into(),
                    headers: vec![("Content-Type".into(), "text/plain".into())],
                    body: format!("fault proxy: the node did not answer: {e}").into_bytes(),
                };
                if write_response(&mut client, &response, keep_alive)
                    .await
                    .is_err()
                    || !keep_alive
                {
                    return;
                }
                continue;
            }
        };
        match decision.fault {
            Fault::Drop { after: true } => {
                bump(&shared.counters.dropped);
                return;
            }
            Fault::Reset { after: true } => {
                reset(shared, client);
                return;
            }
            _ => {}
        }
        rewrite(&mode, &request, &mut response, shared);
        if write_response(&mut client, &response, keep_alive)
            .await
            .is_err()
        {
            return;
        }
        bump(&shared.counters.forwarded);
        if !keep_alive {
            return;
        }
    }
}

/// Applies the mode's rewriting to a 200 answer; counts what it changed.
fn rewrite(mode: &Mode, request: &Request, response: &mut Response, shared: &Shared) {
    if response.status != 200 {
        return;
    }
    if *mode == Mode::Truncate {
        if !response.body.is_empty() {
            let half = response.body.len() / 2;
            response.body.truncate(half);
            bump(&shared.counters.truncated);
        }
        return;
    }
    let methods = forge::request_methods(&request.target, &request.body);
    // Decoding an answer costs time (block results can be large): only the ones the mode
    // may change, or `/status` (whose height [`Mode::StaleHeight`] remembers).
    if !methods.iter().any(|(_, m)| forge::touches(mode, m)) {
        return;
    }
    if let Some(body) = forge::rewrite_body(mode, &methods, &response.body, shared) {
        response.body = body;
        bump(&shared.counters.rewritten);
    }
}

/// Reads one request (head and body) from `stream`, `buf` holding bytes already read;
/// leaves any bytes after it in `buf`. `None`: the client closed between requests.
async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Request>> {
    let head_len = loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            break end + 4;
        }
        if buf.len() > MAX_HEAD {
            return Err(invalid("request head too long"));
        }
        if read_more(stream, buf).await? == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(invalid("connection closed inside a request head"))
            };
        }
    };
    let raw_head = buf[..head_len].to_vec();
    let text = String::from_utf8_lossy(&raw_head[..head_len - 4]).into_owned();
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) => (m.to_string(), t.to_string(), v),
        _ => return Err(invalid("bad request line")),
    };
    let minor = match version {
        "HTTP/1.1" => 1,
        "HTTP/1.0" => 0,
        _ => return Err(invalid("not HTTP/1.x")),
    };
    let headers = parse_headers(lines);
    buf.drain(..head_len);
    let mut request = Request {
        method,
        target,
        minor,
        headers,
        body: Vec::new(),
        raw_head,
    };
    if request.is_websocket_upgrade() {
        return Ok(Some(request));
    }
    if request.has_token("transfer-encoding", "chunked") {
        loop {
            if let Some((body, used)) = dechunk(buf)? {
                request.body = body;
                buf.drain(..used);
                break;
            }
            if buf.len() > MAX_BODY {
                return Err(invalid("request body too long"));
            }
            if read_more(stream, buf).await? == 0 {
                return Err(invalid("connection closed inside a chunked body"));
            }
        }
    } else if let Some(length) = request.header("content-length") {
        let length: usize = length
            .trim()
            .parse()
            .map_err(|_| invalid("bad Content-Length"))?;
        if length > MAX_BODY {
            return Err(invalid("request body too long"));
        }
        while buf.len() < length {
            if read_more(stream, buf).await? == 0 {
                return Err(invalid("connection closed inside a body"));
            }
        }
        request.body = buf.drain(..length).collect();
    }
    Ok(Some(request))
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

fn parse_headers<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<(String, String)> {
    lines
        .filter_map(|l| {
            let (name, value) = l.split_once(':')?;
            Some((name.trim().to_string(), value.trim().to_string()))
        })
        .collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
}

/// Decodes a complete chunked body at the start of `data`: the body and the bytes it
/// took; `None` if it is not complete yet.
fn dechunk(data: &[u8]) -> std::io::Result<Option<(Vec<u8>, usize)>> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let Some(line_end) = find(&data[at..], b"\r\n") else {
            return Ok(None);
        };
        let line = String::from_utf8_lossy(&data[at..at + line_end]);
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
        at += line_end + 2;
        if size == 0 {
            // Trailers, then an empty line.
            loop {
                let Some(end) = find(&data[at..], b"\r\n") else {
                    return Ok(None);
                };
                at += end + 2;
                if end == 0 {
                    return Ok(Some((body, at)));
                }
            }
        }
        if data.len() < at + size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&data[at..at + size]);
        at += size + 2;
    }
}

/// Asks the node (HTTP/1.0, `Connection: close`, no compression) and reads its whole answer.
async fn forward(request: &Request, shared: &Shared) -> std::io::Result<Response> {
    let exchange = async {
        let mut upstream =
            tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(shared.upstream()))
                .await
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect"))??;
        let mut head = format!("{} {} HTTP/1.0\r\n", request.method, request.target);
        for (name, value) in &request.headers {
            let skip = [
                "connection",
                "keep-alive",
                "accept-encoding",
                "transfer-encoding",
                "content-length",
                "te",
                "upgrade",
                "proxy-connection",
            ]
            .iter()
            .any(|h| name.eq_ignore_ascii_case(h));
            if !skip {
                head += &format!("{name}: {value}\r\n");
            }
        }
        if !request.body.is_empty() || request.method.eq_ignore_ascii_case("POST") {
            head += &format!("Content-Length: {}\r\n", request.body.len());
        }
        head += "Connection: close\r\n\r\n";
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&request.body);
        upstream.write_all(&bytes).await?;
        let mut answer = Vec::new();
        upstream.read_to_end(&mut answer).await?;
        parse_response(&answer)
    };
    tokio::time::timeout(UPSTREAM_TIMEOUT, exchange)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "the node's answer"))?
}

fn parse_response(answer: &[u8]) -> std::io::Result<Response> {
    let split = find(answer, b"\r\n\r\n").ok_or_else(|| invalid("no end of the answer's head"))?;
    if split > MAX_HEAD {
        return Err(invalid("answer head too long"));
    }
    let text = String::from_utf8_lossy(&answer[..split]).into_owned();
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let _version = parts.next();
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("bad status line"))?;
    let reason = parts.next().unwrap_or_default().to_string();
    let headers = parse_headers(lines);
    let rest = &answer[split + 4..];
    let chunked = header(&headers, "transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        dechunk(rest)?
            .map(|(b, _)| b)
            .ok_or_else(|| invalid("incomplete chunked answer"))?
    } else if let Some(length) = header(&headers, "content-length") {
        let length: usize = length
            .trim()
            .parse()
            .map_err(|_| invalid("bad Content-Length in the answer"))?;
        if rest.len() < length {
            return Err(invalid("the answer is shorter than its Content-Length"));
        }
        rest[..length].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response {
        status,
        reason,
        headers,
        body,
    })
}

async fn write_response(
    client: &mut TcpStream,
    response: &Response,
    keep_alive: bool,
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", response.status, response.reason);
    for (name, value) in &response.headers {
        let skip = [
            "content-length",
            "transfer-encoding",
            "connection",
            "keep-alive",
        ]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h));
        if !skip {
            head += &format!("{name}: {value}\r\n");
        }
    }
    head += &format!("Content-Length: {}\r\n", response.body.len());
    head += if keep_alive {
        "Connection: keep-alive\r\n\r\n"
    } else {
        "Connection: close\r\n\r\n"
    };
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&response.body);
    client.write_all(&bytes).await?;
    client.flush().await
}

/// Passes a websocket through: the upgrade request as received, then raw bytes both ways.
/// In Chaos the upgrade itself may be dropped, refused (500), reset or delayed, and the
/// connection is reset once its lifetime (drawn while in Chaos) has passed.
async fn websocket(mut client: TcpStream, request: Request, leftover: Vec<u8>, shared: &Shared) {
    let mode = shared.mode();
    let decision = shared.decide(&mode);
    apply_delay(shared, decision.delay).await;
    match decision.fault {
        Fault::Drop { .. } => {
            bump(&shared.counters.dropped);
            return;
        }
        Fault::Reset { .. } => {
            reset(shared, client);
            return;
        }
        Fault::Http500 => {
            bump(&shared.counters.http_500);
            let response = Response {
                status: 500,
                reason: "Internal Server Error".into(),
                headers: Vec::new(),
                body: b"injected by the fault proxy".to_vec(),
            };
            let _ = write_response(&mut client, &response, false).await;
            return;
        }
        Fault::None => {}
    }
    let connect = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(shared.upstream()));
    let mut upstream = match connect.await {
        Ok(Ok(s)) => s,
        _ => {
            bump(&shared.counters.upstream_errors);
            return;
        }
    };
    let _ = upstream.set_nodelay(true);
    if upstream.write_all(&request.raw_head).await.is_err()
        || upstream.write_all(&leftover).await.is_err()
    {
        bump(&shared.counters.upstream_errors);
        return;
    }
    bump(&shared.counters.websockets);
    let mut copy = Box::pin(async {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    });
    let mut deadline: Option<Instant> = None;
    loop {
        if shared.mode().is_chaos() {
            let d = *deadline.get_or_insert_with(|| Instant::now() + shared.websocket_lifetime());
            if Instant::now() >= d {
                break;
            }
        } else {
            deadline = None;
        }
        tokio::select! {
            () = &mut copy => return,
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
    // The lifetime is over while in Chaos: reset both sides.
    drop(copy);
    bump(&shared.counters.websocket_cuts);
    let _ = upstream.set_zero_linger();
    drop(upstream);
    reset(shared, client);
}
