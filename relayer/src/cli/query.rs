//! `query status`: what the relayer sees of each chain.

use clap::Subcommand;

use super::chain_config;
use crate::chain::ChainEndpoint;
use crate::config::Config;

/// `query` subcommands.
#[derive(Debug, Subcommand)]
pub enum QueryCommand {
    /// Chain id, latest height and time, node and app versions, unbonding time.
    Status {
        /// Chain id (default: every configured chain).
        #[arg(long)]
        chain: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

impl QueryCommand {
    /// Runs it.
    pub async fn run(self, config: &Config) -> anyhow::Result<()> {
        match self {
            QueryCommand::Status { chain, json } => {
                let chains = match chain {
                    Some(id) => vec![chain_config(config, &id)?.clone()],
                    None => config.chains.clone(),
                };
                for cc in chains {
                    let endpoint = ChainEndpoint::connect(&cc, None).await?;
                    let status = endpoint.rpc().status().await?;
                    let node = endpoint.grpc().node_info().await?;
                    let app = node
                        .application_version
                        .map(|v| format!("{} {}", v.app_name, v.version))
                        .unwrap_or_default();
                    let unbonding = endpoint.grpc().unbonding_time().await?;
                    let height = status.sync_info.latest_block_height.value();
                    let time = status.sync_info.latest_block_time.to_rfc3339();
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({
                                "chain": cc.id.as_str(), "height": height, "time": time,
                                "cometbft": status.node_info.version.to_string(), "app": app,
                                "unbonding_seconds": unbonding.as_secs(),
                            })
                        );
                    } else {
                        println!(
                            "{}: height {height} at {time}, CometBFT {}, {app}, unbonding {}",
                            cc.id,
                            status.node_info.version,
                            humantime::format_duration(unbonding)
                        );
                    }
                }
                Ok(())
            }
        }
    }
}
