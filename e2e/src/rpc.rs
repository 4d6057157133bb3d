//! A tiny blocking HTTP/1.0 GET client for CometBFT's JSON-RPC, enough for readiness
//! checks and heights without pulling an HTTP stack or a runtime into the harness.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};

/// Per-request connect, read and write timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

/// `GET path` on 127.0.0.1:`port` and returns the JSON-RPC `result` object.
///
/// HTTP/1.0 makes the server close the connection after the body and never chunk it.
pub(crate) fn get_result(port: u16, path: &str) -> Result<Value> {
    let url = format!("http://127.0.0.1:{port}{path}");
    let rpc_err = |message: String| Error::Rpc {
        url: url.clone(),
        message,
    };
    let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port).into();
    let mut stream = TcpStream::connect_timeout(&addr, REQUEST_TIMEOUT)
        .map_err(|e| rpc_err(format!("connect: {e}")))?;
    stream
        .set_read_timeout(Some(REQUEST_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(REQUEST_TIMEOUT)))
        .map_err(|e| rpc_err(format!("socket options: {e}")))?;
    let request = format!(
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| rpc_err(format!("write: {e}")))?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| rpc_err(format!("read: {e}")))?;

    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| rpc_err("no end of HTTP headers".into()))?;
    let head = String::from_utf8_lossy(&response[..split]);
    let status_line = head.lines().next().unwrap_or_default();
    let body = &response[split + 4..];
    let json: Value = serde_json::from_slice(body).map_err(|e| {
        rpc_err(format!(
            "{status_line}: body is not JSON ({e}): {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        ))
    })?;
    if let Some(error) = json.get("error") {
        return Err(rpc_err(format!("{status_line}: JSON-RPC error {error}")));
    }
    json.get("result")
        .cloned()
        .ok_or_else(|| rpc_err(format!("{status_line}: no result in {json}")))
}

/// The latest block height from `/status`.
pub(crate) fn latest_height(port: u16) -> Result<u64> {
    let status = get_result(port, "/status")?;
    let height = status
        .pointer("/sync_info/latest_block_height")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Error::parse(
                "/status response",
                format!("no sync_info.latest_block_height in {status}"),
            )
        })?;
    height
        .parse()
        .map_err(|e| Error::parse("/status latest_block_height", format!("{height:?}: {e}")))
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub(crate) fn accepts_tcp(port: u16) -> bool {
    let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port).into();
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}
