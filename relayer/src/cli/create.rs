//! `create client|connection|channel|path` and `update client`.

use std::time::{Duration, Instant};

use clap::{Subcommand, ValueEnum};
use stateset_channels::ids::{ConnectionId, PortId};
use stateset_channels::Ordering;

use super::{client, connect, print_json};
use crate::config::Config;
use crate::handshake::channel::ChannelOutcome;
use crate::handshake::path::{create_path, ensure_channel, ensure_connection, PathRequest};
use crate::handshake::Pair;

/// Channel ordering on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OrderArg {
    /// Unordered.
    Unordered,
    /// Ordered.
    Ordered,
}

impl From<OrderArg> for Ordering {
    fn from(o: OrderArg) -> Self {
        match o {
            OrderArg::Unordered => Ordering::Unordered,
            OrderArg::Ordered => Ordering::Ordered,
        }
    }
}

/// `create` subcommands. Each one resumes from what the chains show: run again after an
/// interruption, it finishes without a second client, connection or channel.
#[derive(Debug, Subcommand)]
pub enum CreateCommand {
    /// A light client of --reference-chain on --host-chain (an Active one is reused unless --new).
    Client {
        /// The chain the client lives on.
        #[arg(long)]
        host_chain: String,
        /// The chain the client tracks.
        #[arg(long)]
        reference_chain: String,
        /// Trusting period (default: the config's, else 2/3 of the unbonding period).
        #[arg(long, value_parser = humantime::parse_duration)]
        trusting_period: Option<Duration>,
        /// Create a new client even if an Active one exists.
        #[arg(long)]
        new: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// An OPEN connection between two chains (clients created if needed).
    Connection {
        /// Chain A.
        #[arg(long)]
        a_chain: String,
        /// Chain B.
        #[arg(long)]
        b_chain: String,
        /// Trusting period of new clients.
        #[arg(long, value_parser = humantime::parse_duration)]
        trusting_period: Option<Duration>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// An OPEN channel over an OPEN connection.
    Channel(ChannelArgs),
    /// Clients, connection and channel in one go.
    Path(ChannelArgs),
}

/// Arguments of `create channel` and `create path`.
#[derive(Debug, clap::Args)]
pub struct ChannelArgs {
    /// Chain A.
    #[arg(long)]
    a_chain: String,
    /// Chain B.
    #[arg(long)]
    b_chain: String,
    /// Connection on chain A (`create channel`; default: the OPEN connection to B).
    #[arg(long)]
    a_connection: Option<ConnectionId>,
    /// Port on chain A.
    #[arg(long, default_value = "transfer")]
    a_port: PortId,
    /// Port on chain B.
    #[arg(long, default_value = "transfer")]
    b_port: PortId,
    /// Channel ordering.
    #[arg(long, value_enum, default_value_t = OrderArg::Unordered)]
    order: OrderArg,
    /// Channel version (`ics20-1` for transfer; empty lets the applications choose).
    #[arg(long, default_value = "ics20-1")]
    version: String,
    /// Trusting period of new clients.
    #[arg(long, value_parser = humantime::parse_duration)]
    trusting_period: Option<Duration>,
    /// `create path`: 1 for classic IBC (clients, connection, channel), 2 for IBC v2
    /// (clients registered with each other; ibc-go v10 or later on both chains).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    ibc_version: u8,
    /// Open a new channel even when an OPEN one of these ports and ordering exists (by
    /// default it is reused, and one halfway through its handshake is continued).
    #[arg(long)]
    new: bool,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

/// `update` subcommands.
#[derive(Debug, Subcommand)]
pub enum UpdateCommand {
    /// Updates a client with headers verified first.
    Client {
        /// The chain the client lives on.
        #[arg(long)]
        host_chain: String,
        /// The client id.
        #[arg(long)]
        client: String,
        /// Target height (default: the tracked chain's latest).
        #[arg(long)]
        height: Option<u64>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

impl UpdateCommand {
    /// Runs it.
    pub async fn run(self, config: &Config) -> anyhow::Result<()> {
        let UpdateCommand::Client {
            host_chain,
            client: id,
            height,
            json,
        } = self;
        client::update_client(config, &host_chain, &id, height, json).await
    }
}

fn printer(json: bool) -> impl Fn(&str) + Send + Sync {
    move |line: &str| {
        if json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

impl CreateCommand {
    /// Runs it.
    pub async fn run(self, config: &Config) -> anyhow::Result<()> {
        match self {
            CreateCommand::Client {
                host_chain,
                reference_chain,
                trusting_period,
                new,
                json,
            } => {
                client::create_client(
                    config,
                    &host_chain,
                    &reference_chain,
                    trusting_period,
                    new,
                    json,
                )
                .await
            }
            CreateCommand::Connection {
                a_chain,
                b_chain,
                trusting_period,
                json,
            } => {
                let (a, b) = (
                    connect(config, &a_chain, true).await?,
                    connect(config, &b_chain, true).await?,
                );
                let progress = printer(json);
                let (spec, a_conn, b_conn) =
                    ensure_connection(Pair { a: &a, b: &b }, trusting_period, &progress).await?;
                if json {
                    print_json(&serde_json::json!({
                        "a_client": spec.a_client, "b_client": spec.b_client,
                        "a_connection": a_conn, "b_connection": b_conn,
                    }));
                }
                Ok(())
            }
            CreateCommand::Channel(args) => {
                anyhow::ensure!(
                    args.ibc_version == 1,
                    "IBC v2 has no channels; use `create path --ibc-version 2`"
                );
                let (a, b) = (
                    connect(config, &args.a_chain, true).await?,
                    connect(config, &args.b_chain, true).await?,
                );
                let pair = Pair { a: &a, b: &b };
                refuse_fee_version_without_middleware(pair, &args.version).await?;
                let progress = printer(args.json);
                let (a_conn, b_conn) = match &args.a_connection {
                    Some(id) => {
                        let end =
                            a.grpc()
                                .connection(id.as_str(), None)
                                .await?
                                .ok_or_else(|| {
                                    anyhow::anyhow!("{}: connection {id} not found", a.id())
                                })?;
                        let cp = end
                            .counterparty
                            .map(|c| c.connection_id)
                            .unwrap_or_default();
                        anyhow::ensure!(!cp.is_empty(), "{}: connection {id} is not open", a.id());
                        (id.clone(), cp.parse()?)
                    }
                    None => {
                        let (_, a_conn, b_conn) =
                            ensure_connection(pair, args.trusting_period, &progress).await?;
                        (a_conn, b_conn)
                    }
                };
                let outcome =
                    ensure_channel(pair, &request(&args), &a_conn, &b_conn, &progress).await?;
                let ChannelOutcome::Open(a_chan, b_chan) = outcome else {
                    anyhow::bail!("the channel is closed");
                };
                if args.json {
                    print_json(&serde_json::json!({ "a_channel": a_chan, "b_channel": b_chan }));
                } else {
                    println!(
                        "channel {}/{a_chan} ({}) <-> {}/{b_chan} ({}) OPEN",
                        args.a_port,
                        a.id(),
                        args.b_port,
                        b.id()
                    );
                }
                Ok(())
            }
            CreateCommand::Path(args) => {
                let (a, b) = (
                    connect(config, &args.a_chain, true).await?,
                    connect(config, &args.b_chain, true).await?,
                );
                let (a_start, b_start) = (
                    a.rpc().latest_height().await?,
                    b.rpc().latest_height().await?,
                );
                if args.ibc_version == 2 {
                    return create_v2_path(Pair { a: &a, b: &b }, &args).await;
                }
                refuse_fee_version_without_middleware(Pair { a: &a, b: &b }, &args.version).await?;
                let started = Instant::now();
                let progress = printer(args.json);
                let ids = create_path(Pair { a: &a, b: &b }, &request(&args), &progress).await?;
                let seconds = started.elapsed().as_secs_f64();
                let (a_end, b_end) = (
                    a.rpc().latest_height().await?,
                    b.rpc().latest_height().await?,
                );
                let blocks = (a_end.value() - a_start.value()).max(b_end.value() - b_start.value());
                if args.json {
                    let mut v = serde_json::to_value(&ids)?;
                    if let Some(obj) = v.as_object_mut() {
                        obj.insert("seconds".into(), seconds.into());
                        obj.insert("blocks".into(), blocks.into());
                    }
                    print_json(&v);
                } else {
                    println!(
                        "path open: {} {}/{}/{}/{} <-> {} {}/{}/{}/{} in {seconds:.1}s ({blocks} blocks)",
                        a.id(), ids.a_client, ids.a_connection, args.a_port, ids.a_channel,
                        b.id(), ids.b_client, ids.b_connection, args.b_port, ids.b_channel
                    );
                }
                Ok(())
            }
        }
    }
}

/// `create path --ibc-version 2`: the clients of an IBC v2 path, created and registered
/// as needed; prints them with the time and blocks it took.
async fn create_v2_path(pair: Pair<'_>, args: &ChannelArgs) -> anyhow::Result<()> {
    let (a, b) = (pair.a, pair.b);
    let start = (
        a.rpc().latest_height().await?,
        b.rpc().latest_height().await?,
    );
    let started = Instant::now();
    let progress = printer(args.json);
    let ids =
        crate::handshake::path_v2::ensure_v2_path(pair, args.trusting_period, &progress).await?;
    let seconds = started.elapsed().as_secs_f64();
    let end = (
        a.rpc().latest_height().await?,
        b.rpc().latest_height().await?,
    );
    let blocks = (end.0.value() - start.0.value()).max(end.1.value() - start.1.value());
    if args.json {
        let mut v = serde_json::to_value(&ids)?;
        if let Some(obj) = v.as_object_mut() {
            obj.insert("seconds".into(), seconds.into());
            obj.insert("blocks".into(), blocks.into());
        }
        print_json(&v);
    } else {
        println!(
            "v2 path: {} {} <-> {} {} registered in {seconds:.1}s ({blocks} blocks; {} client(s) created, {} registration(s) sent)",
            a.id(), ids.a_client, b.id(), ids.b_client, ids.created, ids.registered
        );
    }
    Ok(())
}

/// Refuses a channel with an ICS-29 fee version toward a chain that has no fee middleware
/// (ibc-go v10 and later), before anything is submitted.
async fn refuse_fee_version_without_middleware(
    pair: Pair<'_>,
    version: &str,
) -> anyhow::Result<()> {
    if !crate::chain::versions::is_fee_version(version) {
        return Ok(());
    }
    for chain in [pair.a, pair.b] {
        let status = chain.rpc().status().await?;
        let info = chain.grpc().node_info().await?;
        let versions = crate::chain::versions::ChainVersions::new(
            &status.node_info.version.to_string(),
            info.application_version.as_ref(),
        );
        if let Some(why) = versions.lacks_fee_middleware() {
            anyhow::bail!(
                "{}: the channel version {version} asks for ICS-29 fees, but {why}",
                chain.id()
            );
        }
    }
    Ok(())
}

fn request(args: &ChannelArgs) -> PathRequest {
    PathRequest {
        a_port: args.a_port.clone(),
        b_port: args.b_port.clone(),
        ordering: args.order.into(),
        version: args.version.clone(),
        trusting_period: args.trusting_period,
        new_channel: args.new,
    }
}
