//! `query status`: what the relayer sees of each chain.

use clap::Subcommand;

use super::{chain_config, client, connect, print_json};
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
    /// A client (or every client on the chain): tracked chain, height, status, time left.
    Client {
        /// The chain the client lives on.
        #[arg(long)]
        chain: String,
        /// The client id (default: every client).
        #[arg(long)]
        client: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// A connection end.
    Connection {
        /// The chain.
        #[arg(long)]
        chain: String,
        /// The connection id.
        #[arg(long)]
        connection: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Packets (`query packet pending`).
    #[command(subcommand)]
    Packet(PacketQuery),
    /// A channel end.
    Channel {
        /// The chain.
        #[arg(long)]
        chain: String,
        /// The port id.
        #[arg(long, default_value = "transfer")]
        port: String,
        /// The channel id.
        #[arg(long)]
        channel: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// The trace of an ICS-20 denom (`ibc/HASH`, or the hash): the hops it travelled and its
    /// base denom on the origin chain.
    DenomTrace {
        /// The chain holding the denom.
        #[arg(long)]
        chain: String,
        /// `ibc/HASH` or `HASH`.
        #[arg(long)]
        denom: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// `query packet` subcommands.
#[derive(Debug, Subcommand)]
pub enum PacketQuery {
    /// Packets pending on a channel (or, with `--client`, an IBC v2 client), both
    /// directions (not received; not acknowledged).
    Pending {
        /// The chain.
        #[arg(long)]
        chain: String,
        /// The port.
        #[arg(long, default_value = "transfer")]
        port: String,
        /// The channel.
        #[arg(long, required_unless_present = "client", conflicts_with = "client")]
        channel: Option<String>,
        /// IBC v2: the client packets are sent from (instead of a port and channel).
        #[arg(long)]
        client: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

impl QueryCommand {
    /// Runs it.
    pub async fn run(self, config: &Config) -> anyhow::Result<()> {
        match self {
            QueryCommand::Packet(PacketQuery::Pending {
                chain,
                port,
                channel,
                client,
                json,
            }) => match (client, channel) {
                (Some(client), _) => super::health::pending_v2(config, &chain, &client, json).await,
                (None, Some(channel)) => {
                    super::health::pending(config, &chain, &port, &channel, json).await
                }
                (None, None) => anyhow::bail!("query packet pending: --channel or --client"),
            },
            QueryCommand::Client {
                chain,
                client: id,
                json,
            } => client::query_clients(config, &chain, id.as_deref(), json).await,
            QueryCommand::Connection {
                chain,
                connection,
                json,
            } => {
                let endpoint = connect(config, &chain, false).await?;
                let end = endpoint
                    .grpc()
                    .connection(&connection, None)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("{chain}: connection {connection} not found"))?;
                let state = stateset_channels::HandshakeState::from_connection_state(end.state);
                let cp = end.counterparty.clone().unwrap_or_default();
                if json {
                    print_json(&serde_json::json!({
                        "chain": chain, "connection_id": connection, "state": format!("{state:?}"),
                        "client_id": end.client_id, "counterparty_client_id": cp.client_id,
                        "counterparty_connection_id": cp.connection_id,
                        "delay_period_ns": end.delay_period,
                    }));
                } else {
                    println!(
                        "{chain} {connection}: {state:?}, client {}, counterparty {} (client {})",
                        end.client_id,
                        if cp.connection_id.is_empty() {
                            "-"
                        } else {
                            &cp.connection_id
                        },
                        cp.client_id
                    );
                }
                Ok(())
            }
            QueryCommand::DenomTrace { chain, denom, json } => {
                denom_trace(config, &chain, &denom, json).await
            }
            QueryCommand::Channel {
                chain,
                port,
                channel,
                json,
            } => {
                let endpoint = connect(config, &chain, false).await?;
                let end = endpoint
                    .grpc()
                    .channel(&port, &channel, None)
                    .await?
                    .ok_or_else(|| {
                        anyhow::anyhow!("{chain}: channel {port}/{channel} not found")
                    })?;
                let state = stateset_channels::HandshakeState::from_channel_state(end.state);
                let ordering = stateset_channels::Ordering::from_proto(end.ordering)
                    .map_or("none".to_string(), |o| format!("{o:?}"));
                let cp = end.counterparty.clone().unwrap_or_default();
                if json {
                    print_json(&serde_json::json!({
                        "chain": chain, "port_id": port, "channel_id": channel, "state": format!("{state:?}"),
                        "ordering": ordering, "version": end.version,
                        "connection_hops": end.connection_hops,
                        "counterparty_port_id": cp.port_id, "counterparty_channel_id": cp.channel_id,
                    }));
                } else {
                    println!(
                        "{chain} {port}/{channel}: {state:?}, {ordering}, version {}, over {}, counterparty {}/{}",
                        end.version, end.connection_hops.join(","), cp.port_id,
                        if cp.channel_id.is_empty() { "-" } else { &cp.channel_id }
                    );
                }
                Ok(())
            }
            QueryCommand::Status { chain, json } => {
                let chains = match chain {
                    Some(id) => vec![chain_config(config, &id)?.clone()],
                    None => config.chains.clone(),
                };
                for cc in chains {
                    let endpoint = ChainEndpoint::connect(&cc, None).await?;
                    let status = endpoint.rpc().status().await?;
                    let node = endpoint.grpc().node_info().await?;
                    let versions = crate::chain::versions::ChainVersions::new(
                        &status.node_info.version.to_string(),
                        node.application_version.as_ref(),
                    );
                    // A chain with IBC v2 answers a client's counterparty query (found or
                    // not); one without does not know the service.
                    let ibc_v2 = match endpoint.grpc().counterparty_info("07-tendermint-0").await {
                        Ok(_) => Some(true),
                        Err(crate::chain::ChainError::NotFound { .. }) => Some(false),
                        Err(_) => None,
                    };
                    let unbonding = endpoint.grpc().unbonding_time().await?;
                    let height = status.sync_info.latest_block_height.value();
                    let time = status.sync_info.latest_block_time.to_rfc3339();
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({
                                "chain": cc.id.as_str(), "height": height, "time": time,
                                "cometbft": versions.cometbft,
                                "rpc_dialect": endpoint.rpc().compat().to_string(),
                                "cosmos_sdk": versions.cosmos_sdk, "ibc_go": versions.ibc_go,
                                "app": versions.app, "ibc_v2": ibc_v2,
                                "unbonding_seconds": unbonding.as_secs(),
                            })
                        );
                    } else {
                        let unknown = || "unknown".to_string();
                        println!(
                            "{}: height {height} at {time}, CometBFT {} (spoken as {}), Cosmos SDK {}, ibc-go {}, IBC v2 {}, app {}, unbonding {}",
                            cc.id,
                            versions.cometbft,
                            endpoint.rpc().compat(),
                            versions.cosmos_sdk.clone().unwrap_or_else(unknown),
                            versions.ibc_go.clone().unwrap_or_else(unknown),
                            ibc_v2.map_or("unknown", |v| if v { "yes" } else { "no" }),
                            versions.app.clone().unwrap_or_else(unknown),
                            humantime::format_duration(unbonding)
                        );
                    }
                }
                Ok(())
            }
        }
    }
}

/// `query denom-trace`: asks the chain, then checks that the trace hashes to the denom.
async fn denom_trace(config: &Config, chain: &str, denom: &str, json: bool) -> anyhow::Result<()> {
    let endpoint = connect(config, chain, false).await?;
    let hash = denom.strip_prefix("ibc/").unwrap_or(denom).to_string();
    let ours = endpoint
        .grpc()
        .denom_trace(&hash)
        .await
        .map_err(|e| anyhow::anyhow!("{chain}: no denom trace for {denom}: {e}"))?
        .ok_or_else(|| anyhow::anyhow!("{chain}: no denom trace for {denom}"))?;
    let ibc_denom = ours.ibc_denom();
    anyhow::ensure!(
        ibc_denom.eq_ignore_ascii_case(&format!("ibc/{hash}")),
        "{chain}: the trace {} hashes to {ibc_denom}, not ibc/{hash}",
        ours.full_path()
    );
    let hops = ours.path.split('/').count() / 2;
    if json {
        print_json(&serde_json::json!({
            "denom": ibc_denom, "path": ours.path, "base_denom": ours.base_denom, "hops": hops,
        }));
    } else {
        println!(
            "{ibc_denom}: {} ({hops} hop(s), base {})",
            ours.full_path(),
            ours.base_denom
        );
    }
    Ok(())
}
