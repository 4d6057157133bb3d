//! The chains' own execution time: how long each node's application spent executing and
//! committing blocks (CometBFT's `abci_connection_method_timing_seconds` for
//! `finalize_block` and `commit`, from the node's Prometheus endpoint). A backlog's
//! figure per packet shows what a packet costs the chains themselves, apart from the
//! relayer and from the queries it makes.

use anyhow::{bail, Context, Result};

use crate::rpc;

/// The ABCI methods that make up a block's execution.
const METHODS: [&str; 2] = ["finalize_block", "commit"];
const METRIC: &str = "cometbft_abci_connection_method_timing_seconds_sum";

/// The seconds each node on `ports` spent in [`METHODS`] so far, in the order of `ports`.
pub fn exec_seconds(ports: &[u16]) -> Result<Vec<f64>> {
    ports
        .iter()
        .map(|&port| {
            let text = rpc::get_text(port, "/metrics")
                .with_context(|| format!("reading the node's metrics on port {port}"))?;
            parse_exec_seconds(&text).with_context(|| format!("metrics on port {port}"))
        })
        .collect()
}

/// What each chain's execution took between two readings of [`exec_seconds`].
pub fn since(before: &[f64], after: &[f64]) -> Vec<f64> {
    before.iter().zip(after).map(|(b, a)| a - b).collect()
}

/// The sum of [`METRIC`] over [`METHODS`] in a Prometheus text exposition.
pub fn parse_exec_seconds(text: &str) -> Result<f64> {
    let mut found = 0;
    let mut total = 0.0;
    for line in text.lines().filter(|l| l.starts_with(METRIC)) {
        let Some((labels, value)) = line.rsplit_once(' ') else {
            continue;
        };
        if !METHODS
            .iter()
            .any(|m| labels.contains(&format!("method=\"{m}\"")))
        {
            continue;
        }
        total += value
            .parse::<f64>()
            .with_context(|| format!("the value of `{line}`"))?;
        found += 1;
    }
    if found == 0 {
        bail!("no {METRIC} for {METHODS:?} (is instrumentation.prometheus on?)");
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finalize_block_and_commit_are_summed() {
        let text = "\
# TYPE cometbft_abci_connection_method_timing_seconds histogram
cometbft_abci_connection_method_timing_seconds_bucket{chain_id=\"a\",method=\"commit\",type=\"sync\",le=\"0.1\"} 3
cometbft_abci_connection_method_timing_seconds_sum{chain_id=\"a\",method=\"commit\",type=\"sync\"} 0.25
cometbft_abci_connection_method_timing_seconds_sum{chain_id=\"a\",method=\"finalize_block\",type=\"sync\"} 1.5
cometbft_abci_connection_method_timing_seconds_sum{chain_id=\"a\",method=\"check_tx\",type=\"sync\"} 9
";
        assert_eq!(parse_exec_seconds(text).unwrap(), 1.75);
    }

    #[test]
    fn metrics_without_the_timings_are_an_error() {
        let err = parse_exec_seconds("go_goroutines 12\n").unwrap_err();
        assert!(
            err.to_string().contains("instrumentation.prometheus"),
            "{err}"
        );
    }
}
