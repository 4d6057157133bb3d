//! A minimal HTTP/1.1 client and websocket probe for checking the fault proxy itself:
//! raw bytes on a TCP stream, so that what the proxy does to them shows.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;
/// An HTTP answer as it came over the wire.
pub struct HttpAnswer {
    /// The status code.
    pub status: u16,
    /// The `Content-Length` header, if any.
    pub content_length: Option<usize>,
    /// Everything after the head.
    pub body: Vec<u8>,
}

/// Sends `request` (a full HTTP request) to 127.0.0.1:`port` and reads the answer until
/// the server closes. `Err` when the connection fails or is reset.
pub fn raw_exchange(port: u16, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(request)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    Ok(answer)
}

/// Splits a raw answer into status, `Content-Length` and body; panics without a head.
pub fn parse_answer(answer: &[u8]) -> HttpAnswer {
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head in {:?}", String::from_utf8_lossy(answer)));
    let head = String::from_utf8_lossy(&answer[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head}"));
    let content_length = head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())?
    });
    HttpAnswer {
        status,
        content_length,
        body: answer[split + 4..].to_vec(),
    }
}

/// A JSON-RPC call (`POST /`) through 127.0.0.1:`port`.
pub fn rpc_call(port: u16, method: &str, params: Value) -> std::io::Result<HttpAnswer> {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params})
        .to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    raw_exchange(port, request.as_bytes()).map(|a| parse_answer(&a))
}

/// The JSON-RPC `result` of `method` through 127.0.0.1:`port`; panics unless the answer
/// is a complete 200 with a result.
pub fn rpc_result(port: u16, method: &str, params: Value) -> Value {
    let answer = rpc_call(port, method, params.clone())
        .unwrap_or_else(|e| panic!("{method} {params} on port {port}: {e}"));
    assert_eq!(
        answer.status,
        200,
        "{method}: {}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.content_length, Some(answer.body.len()));
    let v: Value =
        serde_json::from_slice(&answer.body).unwrap_or_else(|e| panic!("{method}: not JSON ({e})"));
    v.get("result")
        .cloned()
        .unwrap_or_else(|| panic!("{method}: no result in {v}"))
}

/// Opens a websocket on 127.0.0.1:`port`, subscribes to new blocks and returns once an
/// event arrived (raw frames: the JSON text shows in the bytes).
pub fn websocket_new_block(port: u16) -> Result<(), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let upgrade = "GET /websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
                   Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                   Sec-WebSocket-Version: 13\r\n\r\n";
    stream
        .write_all(upgrade.as_bytes())
        .map_err(|e| e.to_string())?;
    // A client must wait for the 101 before sending frames (CometBFT's websocket library
    // refuses data sent before the handshake is complete).
    let mut seen = Vec::new();
    let mut chunk = [0u8; 8192];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!(
                "closed during the handshake after {:?}",
                String::from_utf8_lossy(&seen)
            ));
        }
        seen.extend_from_slice(&chunk[..n]);
    }
    let payload =
        br#"{"jsonrpc":"2.0","method":"subscribe","id":1,"params":{"query":"tm.event='NewBlock'"}}"#;
    assert!(payload.len() < 126);
    let mask = [0x12u8, 0x34, 0x56, 0x78];
    let mut frame = vec![0x81, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    stream.write_all(&frame).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        let n = stream.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("closed after {:?}", String::from_utf8_lossy(&seen)));
        }
        seen.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&seen);
        if !text.starts_with("HTTP/1.1 101") {
            return Err(format!("no upgrade: {text}"));
        }
        if text.contains("\"NewBlock\"") || text.contains("tendermint/event/NewBlock") {
            return Ok(());
        }
    }
    Err("no NewBlock event within 15 s".into())
}
