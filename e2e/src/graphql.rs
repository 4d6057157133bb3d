//! The relayer's GraphQL API from tests: `POST /graphql` answers, failing loudly.

use std::io::{Read, Write};
use std::time::Duration;

use serde_json::Value;

/// Runs `query` on the daemon's `/graphql` at `127.0.0.1:port`; panics unless the answer is
/// a 200 with `data` and no `errors`.
pub fn query(port: u16, query: &str) -> Value {
    match try_query(port, query) {
        Ok(data) => data,
        Err(e) => panic!("GraphQL {query}: {e}"),
    }
}

/// [`query`], the failure as an error.
pub fn try_query(port: u16, query: &str) -> Result<Value, String> {
    let body = serde_json::json!({ "query": query }).to_string();
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| format!("send: {e}"))?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| format!("read: {e}"))?;
    let (head, json) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("not an HTTP answer: {response}"))?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!("answered {head}: {json}"));
    }
    let value: Value = serde_json::from_str(json).map_err(|e| format!("{e}: {json}"))?;
    if value.get("errors").is_some() {
        return Err(format!("errors: {value}"));
    }
    value
        .get("data")
        .cloned()
        .ok_or_else(|| format!("no data: {value}"))
}
