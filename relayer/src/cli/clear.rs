//! `clear packets`: relays, once and now, what is pending on one channel (both directions),
//! like Hermes' command of that name. It works beside a running daemon (it keeps its own
//! scratch ledger, so the daemon's store is not touched; whichever submits second is told
//! the chain already has it). `--sequences` limits it to some packets, e.g. ones the daemon
//! quarantined or the config excludes.

use clap::{Args, Subcommand};
use stateset_channels::ids::{ChannelId, PortId};

use crate::client::scope::ClientScope;
use crate::config::{Config, SequenceRange};
use crate::relay::clear::clear;
use crate::relay::worker::{cycle, WorkerMemory, WorkerSettings};
use crate::relay::Path;
use crate::store::Store;

/// The most rounds (clear, then relay both ways) one command runs.
const MAX_ROUNDS: usize = 30;

/// `clear` subcommands.
#[derive(Debug, Subcommand)]
pub enum ClearCommand {
    /// Relays the packets pending on a channel now (receive, acknowledge, time out).
    Packets(ClearPacketsArgs),
}

/// `clear packets` arguments.
#[derive(Debug, Args)]
pub struct ClearPacketsArgs {
    /// The chain of the channel end.
    #[arg(long)]
    pub chain: String,
    /// Its port, e.g. `transfer`.
    #[arg(long)]
    pub port: PortId,
    /// Its channel, e.g. `channel-0`.
    #[arg(long)]
    pub channel: ChannelId,
    /// Only these sequences: a comma-separated list of numbers and inclusive ranges,
    /// e.g. `5,10..20`.
    #[arg(long, value_delimiter = ',')]
    pub sequences: Vec<SequenceRange>,
}

impl ClearCommand {
    /// Runs the command.
    pub async fn run(self, config: &Config) -> anyhow::Result<()> {
        match self {
            ClearCommand::Packets(args) => clear_packets(config, args).await,
        }
    }
}

async fn clear_packets(config: &Config, args: ClearPacketsArgs) -> anyhow::Result<()> {
    let host = super::connect(config, &args.chain, true).await?;
    let end = host
        .grpc()
        .channel(args.port.as_str(), args.channel.as_str(), None)
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: channel {}/{} not found",
                args.chain,
                args.port,
                args.channel
            )
        })?;
    let hop = end.connection_hops.first().cloned().unwrap_or_default();
    let connection = host.grpc().connection(&hop, None).await?.ok_or_else(|| {
        anyhow::anyhow!("{}: connection {hop} of the channel not found", args.chain)
    })?;
    let tracked = crate::client::summarize(&host, &connection.client_id)
        .await?
        .tracked_chain_id;
    let other = super::connect(config, &tracked, true).await.map_err(|e| {
        e.context(format!(
            "the channel's counterparty chain `{tracked}` must be in the config"
        ))
    })?;
    // The operator names the channel: whoever created its clients.
    let paths = crate::supervisor::discover_paths(&host, &other, &ClientScope::all()).await?;
    let path = paths
        .into_iter()
        .find(|p| p.a.port == args.port && p.a.channel == args.channel)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: channel {}/{} is not OPEN or CLOSED over a connection to {tracked}",
                args.chain,
                args.port,
                args.channel
            )
        })?;
    let store = Store::temporary()?;
    let settings = WorkerSettings {
        quarantine_after: config.daemon.quarantine_after,
        honour_exclusions: false,
        pipeline_depth: 1,
    };
    let mut memories = [WorkerMemory::default(), WorkerMemory::default()];
    let mut total = crate::relay::worker::CycleReport::default();
    for round in 1..=MAX_ROUNDS {
        let done = clear_round(
            &host,
            &other,
            &path,
            &store,
            &args.sequences,
            &mut memories,
            settings,
        )
        .await?;
        total.received += done.received;
        total.acked += done.acked;
        total.timed_out += done.timed_out;
        total.redundant += done.redundant;
        total.quarantined += done.quarantined;
        if done.received + done.acked + done.timed_out == 0 {
            println!(
                "{}: cleared in {round} rounds: {} received, {} acknowledged, {} timed out, {} already done by others, {} quarantined",
                path.name(),
                total.received,
                total.acked,
                total.timed_out,
                total.redundant,
                total.quarantined
            );
            return Ok(());
        }
        println!(
            "round {round}: {} received, {} acknowledged, {} timed out",
            done.received, done.acked, done.timed_out
        );
    }
    anyhow::bail!(
        "{}: packets still pending after {MAX_ROUNDS} rounds",
        path.name()
    )
}

/// One round: record what both chains show as pending, keep only the wanted sequences, and
/// relay both directions once.
async fn clear_round(
    host: &crate::chain::ChainEndpoint,
    other: &crate::chain::ChainEndpoint,
    path: &Path,
    store: &Store,
    wanted: &[SequenceRange],
    memories: &mut [WorkerMemory; 2],
    settings: WorkerSettings,
) -> anyhow::Result<crate::relay::worker::CycleReport> {
    let reversed = path.reversed();
    let mut report = crate::relay::worker::CycleReport::default();
    let [m0, m1] = memories;
    for (src, dst, p, memory) in [(host, other, path, m0), (other, host, &reversed, m1)] {
        clear(src, dst, p, store).await?;
        let ledger = store.ledger(&p.a.chain, p.a.port.as_str(), p.a.channel.as_str())?;
        if !wanted.is_empty() {
            for record in ledger.records()? {
                let seq = record.packet.sequence;
                if !wanted.iter().any(|r| r.contains(seq)) {
                    ledger.finish(seq)?;
                }
            }
        }
        let done = cycle(src, dst, p, store, &ledger, memory, settings).await?;
        report.received += done.received;
        report.acked += done.acked;
        report.timed_out += done.timed_out;
        report.redundant += done.redundant;
        report.quarantined += done.quarantined;
    }
    Ok(report)
}
