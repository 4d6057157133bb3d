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
    let (status_line, body) = get(port, path, "application/json")?;
    let rpc_err = |message: String| Error::Rpc {
        url: format!("http://127.0.0.1:{port}{path}"),
        message,
    };
    let json: Value = serde_json::from_slice(&body).map_err(|e| {
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

/// `GET path` on 127.0.0.1:`port` and returns the body as text, failing on a status other
/// than 200 (e.g. a node's Prometheus `/metrics`).
pub(crate) fn get_text(port: u16, path: &str) -> Result<String> {
    let (status_line, body) = get(port, path, "text/plain")?;
    if !status_line.contains(" 200") {
        return Err(Error::Rpc {
            url: format!("http://127.0.0.1:{port}{path}"),
            message: format!("{status_line}: {}", String::from_utf8_lossy(&body)),
        });
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// One HTTP/1.0 `GET`: the status line and the body.
fn get(port: u16, path: &str, accept: &str) -> Result<(String, Vec<u8>)> {
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
    let request =
        format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAccept: {accept}\r\n\r\n");
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
    let status_line = head.lines().next().unwrap_or_default().to_string();
    Ok((status_line, response[split + 4..].to_vec()))
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

/// The time of block `height` from `/header`, in seconds since the Unix epoch.
pub(crate) fn block_time(port: u16, height: u64) -> Result<f64> {
    let header = get_result(port, &format!("/header?height={height}"))?;
    let text = header
        .pointer("/header/time")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::parse("/header response", format!("no header.time in {header}")))?;
    rfc3339_seconds(text)
        .ok_or_else(|| Error::parse("/header time", format!("{text:?} is not RFC 3339 UTC")))
}

/// Seconds since the Unix epoch of a UTC RFC 3339 time such as
/// `2026-11-29T19:14:27.123456789Z` (CometBFT's form); `None` for anything else.
pub(crate) fn rfc3339_seconds(text: &str) -> Option<f64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut ymd = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (ymd.next()??, ymd.next()??, ymd.next()??);
    let mut hms = time.split(':');
    let (h, min) = (
        hms.next()?.parse::<i64>().ok()?,
        hms.next()?.parse::<i64>().ok()?,
    );
    let sec: f64 = hms.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + h * 3_600 + min * 60) as f64 + sec)
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub(crate) fn accepts_tcp(port: u16) -> bool {
    let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port).into();
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::rfc3339_seconds;

    #[test]
    fn rfc3339_seconds_reads_cometbft_times() {
        assert_eq!(rfc3339_seconds("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(
            rfc3339_seconds("2026-11-29T19:14:27.5Z"),
            Some(1_795_979_667.5)
        );
        assert_eq!(rfc3339_seconds("2000-03-01T00:00:00Z"), Some(951_868_800.0));
        assert_eq!(rfc3339_seconds("2026-11-29 19:14:27Z"), None);
        assert_eq!(rfc3339_seconds("2026-13-01T00:00:00Z"), None);
    }
}
