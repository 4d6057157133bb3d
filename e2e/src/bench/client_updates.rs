//! The MsgUpdateClient txs a chain included between two heights, read from its own tx
//! index: what a relayer spent on client updates while it cleared a backlog, counted the
//! same way for every relayer.

use anyhow::{Context, Result};

use super::packets;
use crate::rpc;

/// How many txs holding a MsgUpdateClient (an `update_client` event) the chain with RPC
/// port `port` included in blocks `after + 1 ..= upto`.
pub fn count(port: u16, after: u64, upto: u64) -> Result<u64> {
    let query =
        format!("update_client.client_id EXISTS AND tx.height > {after} AND tx.height <= {upto}");
    let path = format!(
        "/tx_search?query={}&per_page=1&page=1",
        percent_encode(&format!("\"{query}\""))
    );
    let result = rpc::get_result(port, &path).with_context(|| format!("tx_search for {query}"))?;
    packets::number(&result["total_count"])
        .with_context(|| format!("tx_search for {query}: no total_count in {result}"))
}

/// `text` with every byte but ASCII letters, digits and `-_.~` percent-encoded, for a URL
/// query value.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte))
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn queries_are_percent_encoded() {
        assert_eq!(
            super::percent_encode("\"a.b EXISTS AND tx.height > 5\""),
            "%22a.b%20EXISTS%20AND%20tx.height%20%3E%205%22"
        );
    }
}
