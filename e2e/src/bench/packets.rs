//! Packet state on the source chain, read with one `abci_query` of
//! `/ibc.core.channel.v1.Query/PacketCommitments` over the node's RPC (cheap enough to
//! poll several times a second without loading the machine the relayer runs on, unlike a
//! `simd q` process per poll), and the percentiles of what is measured.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use ibc_proto::cosmos::base::query::v1beta1::PageRequest;
use ibc_proto::ibc::core::channel::v1::{
    QueryPacketCommitmentsRequest, QueryPacketCommitmentsResponse,
};
use prost::Message as _;
use serde_json::Value;

use crate::chain::ChainCli;
use crate::rpc;

/// The port of the benchmark's channel.
pub const PORT: &str = "transfer";

/// The benchmark's channel: `create path` opens `transfer/channel-0` on both chains.
pub const CHANNEL: &str = "channel-0";

/// The most commitments one listing returns.
const LIST_LIMIT: u64 = 1_000_000;

/// One reading of the packet commitments left on [`PORT`]/[`CHANNEL`].
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// When the query returned.
    pub at: Instant,
    /// The chain height the query was answered at.
    pub height: u64,
    /// How many commitments there are.
    pub total: u64,
    /// Their sequences, ascending (empty for a [`count`] reading).
    pub sequences: Vec<u64>,
}

/// Every commitment's sequence.
pub fn list(cli: &ChainCli) -> Result<Snapshot> {
    let (response, height) = query(cli, LIST_LIMIT, false)?;
    let mut sequences: Vec<u64> = response.commitments.iter().map(|c| c.sequence).collect();
    sequences.sort_unstable();
    if sequences.len() as u64 >= LIST_LIMIT {
        bail!("{LIST_LIMIT} commitments or more: the listing may be cut");
    }
    Ok(Snapshot {
        at: Instant::now(),
        height,
        total: sequences.len() as u64,
        sequences,
    })
}

/// Only how many commitments there are (cheap for a large backlog).
pub fn count(cli: &ChainCli) -> Result<Snapshot> {
    let (response, height) = query(cli, 1, true)?;
    let listed = response.commitments.len() as u64;
    let total = match response.pagination {
        Some(p) => p.total,
        None if listed == 0 => 0,
        None => bail!("packet commitments: a count without pagination"),
    };
    Ok(Snapshot {
        at: Instant::now(),
        height,
        total: total.max(listed),
        sequences: Vec::new(),
    })
}

/// One `PacketCommitments` query over `abci_query`: the answer and its height.
fn query(
    cli: &ChainCli,
    limit: u64,
    count_total: bool,
) -> Result<(QueryPacketCommitmentsResponse, u64)> {
    let request = QueryPacketCommitmentsRequest {
        port_id: PORT.into(),
        channel_id: CHANNEL.into(),
        pagination: Some(PageRequest {
            key: Vec::new(),
            offset: 0,
            limit,
            count_total,
            reverse: false,
        }),
    };
    let path = format!(
        "/abci_query?path=%22/ibc.core.channel.v1.Query/PacketCommitments%22&data=0x{}",
        hex::encode(request.encode_to_vec())
    );
    let result = rpc::get_result(cli.rpc_port, &path).context("querying packet commitments")?;
    let response = &result["response"];
    let code = response.get("code").and_then(Value::as_u64).unwrap_or(0);
    if code != 0 {
        bail!(
            "packet commitments: abci_query code {code}: {}",
            response["log"]
        );
    }
    let height = number(&response["height"])
        .with_context(|| format!("packet commitments: no height in {}", cut(response)))?;
    // An empty answer's value may be omitted.
    let value = match response.get("value") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(b64)) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .context("packet commitments: value is not base64")?,
        Some(other) => bail!("packet commitments: value is not a string: {}", cut(other)),
    };
    let decoded = QueryPacketCommitmentsResponse::decode(value.as_slice())
        .context("packet commitments: undecodable answer")?;
    Ok((decoded, height))
}

/// A JSON value's text, cut to 300 characters.
fn cut(value: &Value) -> String {
    value.to_string().chars().take(300).collect()
}

/// A JSON number or a decimal string (protobuf JSON writes 64-bit integers as strings).
pub fn number(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

/// The `p`-th percentile (0-100) of ascending `sorted` values, by nearest rank.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), Some(50.0));
        assert_eq!(percentile(&values, 99.0), Some(99.0));
        assert_eq!(percentile(&values[..1], 99.0), Some(1.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(number(&serde_json::json!("42")), Some(42));
        assert_eq!(number(&serde_json::json!(7)), Some(7));
    }
}
