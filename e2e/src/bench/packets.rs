//! Packet state on the source chain, read with the simd CLI
//! (`simd q ibc channel packet-commitments`), and the percentiles of what is measured.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::chain::ChainCli;

/// The port of the benchmark's channel.
pub const PORT: &str = "transfer";

/// The benchmark's channel: `create path` opens `transfer/channel-0` on both chains.
pub const CHANNEL: &str = "channel-0";

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
    let json = query(cli, &["--limit", "100000"])?;
    let mut sequences = commitments(&json)?
        .iter()
        .map(|c| number(&c["sequence"]).with_context(|| format!("commitment {c}: no sequence")))
        .collect::<Result<Vec<u64>>>()?;
    sequences.sort_unstable();
    Ok(Snapshot {
        at: Instant::now(),
        height: height(&json)?,
        total: sequences.len() as u64,
        sequences,
    })
}

/// Only how many commitments there are (cheap for a large backlog).
pub fn count(cli: &ChainCli) -> Result<Snapshot> {
    let json = query(cli, &["--limit", "1", "--count-total"])?;
    let listed = commitments(&json)?.len() as u64;
    let total = match (number(&json["pagination"]["total"]), json.get("pagination")) {
        (Some(total), _) => total,
        // A total of 0 may be omitted, but only from a pagination that lists nothing.
        (None, Some(p)) if p.is_object() && listed == 0 => 0,
        _ => bail!("packet-commitments --count-total: no pagination.total in {json}"),
    };
    Ok(Snapshot {
        at: Instant::now(),
        height: height(&json)?,
        total: total.max(listed),
        sequences: Vec::new(),
    })
}

/// The `commitments` list of a packet-commitments answer (absent: none, as protobuf JSON
/// omits an empty list; anything else but a list is an error).
fn commitments(json: &Value) -> Result<Vec<Value>> {
    match json.get("commitments") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(other) => bail!("packet-commitments: commitments is not a list: {other}"),
    }
}

/// The height a query was answered at.
fn height(json: &Value) -> Result<u64> {
    number(&json["height"]["revision_height"])
        .with_context(|| format!("packet-commitments: no height.revision_height in {json}"))
}

fn query(cli: &ChainCli, extra: &[&str]) -> Result<Value> {
    let mut args = vec![
        "q",
        "ibc",
        "channel",
        "packet-commitments",
        PORT,
        CHANNEL,
        "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = cli.cli(&args).context("querying packet commitments")?;
    serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "packet-commitments output: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
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
