//! The command line: `config`, `keys`, `create`, `update`, `query` and `start`.

mod clear;
mod client;
mod client_config;
mod create;
mod fee;
mod health;
mod ica;
mod keys;
mod query;
mod transfer;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

pub use create::{CreateCommand, UpdateCommand};
pub use keys::KeysCommand;
pub use query::QueryCommand;

use crate::config::Config;

/// The Stateset IBC relayer.
#[derive(Debug, Parser)]
#[command(name = "stateset-relayer", version, about)]
pub struct Cli {
    /// The configuration file.
    #[arg(
        long,
        global = true,
        env = "STATESET_RELAYER_CONFIG",
        default_value = "config.toml"
    )]
    pub config: PathBuf,
    /// Log level (overrides the config; RUST_LOG overrides both).
    #[arg(long, global = true)]
    pub log_level: Option<String>,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Create clients, connections, channels, or a whole path (idempotent).
    #[command(subcommand)]
    Create(CreateCommand),
    /// Update a client.
    #[command(subcommand)]
    Update(UpdateCommand),
    /// Queries.
    #[command(subcommand)]
    Query(QueryCommand),
    /// Run the relayer daemon until SIGINT/SIGTERM.
    Start,
    /// Checks every chain (reachable), the relayer's keys (present, funded) and the clients
    /// in use (not expired); exits non-zero when something is wrong.
    HealthCheck {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Interchain accounts (ICS-27) from the controller side.
    #[command(subcommand)]
    Ica(ica::IcaCommand),
    /// ICS-29 relayer fees: payees and packet fees.
    #[command(subcommand)]
    Fee(fee::FeeCommand),
    /// Transactions (ICS-20 transfers).
    #[command(subcommand)]
    Tx(TxCommand),
    /// Relay what is pending on a channel now.
    #[command(subcommand)]
    Clear(clear::ClearCommand),
}

/// `tx` subcommands.
#[derive(Debug, Subcommand)]
// Parsed once per run; the size of the larger variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum TxCommand {
    /// ICS-20 transfers (`--count N`, many per tx).
    Transfer(transfer::TransferArgs),
    /// Sets who may relay through an IBC v2 client (`MsgUpdateClientConfig`, signed by the
    /// chain's key: the client's creator).
    ClientConfig(client_config::ClientConfigArgs),
}

/// `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Checks a configuration file.
    Validate,
}

impl Cli {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Config(ConfigCommand::Validate) => {
                let config = Config::load(&self.config)?;
                println!(
                    "config {} is valid: {} chains",
                    self.config.display(),
                    config.chains.len()
                );
                Ok(())
            }
            Command::Keys(cmd) => cmd.run(&Config::load(&self.config)?).await,
            Command::Query(cmd) => cmd.run(&Config::load(&self.config)?).await,
            Command::Create(cmd) => cmd.run(&Config::load(&self.config)?).await,
            Command::Update(cmd) => cmd.run(&Config::load(&self.config)?).await,
            Command::Ica(cmd) => cmd.run(&Config::load(&self.config)?).await,
            Command::Fee(cmd) => cmd.run(&Config::load(&self.config)?).await,
            Command::Clear(cmd) => cmd.run(&Config::load(&self.config)?).await,
            Command::HealthCheck { json } => {
                health::health_check(&Config::load(&self.config)?, json).await
            }
            Command::Tx(TxCommand::Transfer(args)) => {
                transfer::run(&Config::load(&self.config)?, args).await
            }
            Command::Tx(TxCommand::ClientConfig(args)) => {
                client_config::run(&Config::load(&self.config)?, args).await
            }
            Command::Start => {
                let config = Config::load(&self.config)?;
                let shutdown = tokio_util::sync::CancellationToken::new();
                crate::supervisor::cancel_on_signals(shutdown.clone())?;
                crate::supervisor::run(config, shutdown).await
            }
        }
    }
}

/// The chain `id` of `config`, or an error naming the file's chains.
pub(crate) fn chain_config<'a>(
    config: &'a Config,
    id: &str,
) -> anyhow::Result<&'a crate::config::ChainConfig> {
    config.chain(id).ok_or_else(|| {
        let known: Vec<&str> = config.chains.iter().map(|c| c.id.as_str()).collect();
        anyhow::anyhow!(
            "chain `{id}` is not in the config (configured: {})",
            known.join(", ")
        )
    })
}

/// Connects to chain `id` of `config`, with its signing key when `with_key`.
pub(crate) async fn connect(
    config: &Config,
    id: &str,
    with_key: bool,
) -> anyhow::Result<crate::chain::ChainEndpoint> {
    let chain = chain_config(config, id)?;
    if !with_key {
        return Ok(crate::chain::ChainEndpoint::connect_from(chain, None).await?);
    }
    let keys = crate::keys::KeySource::open(config).await?;
    Ok(crate::chain::ChainEndpoint::connect_from(chain, Some(&keys)).await?)
}

/// Prints one JSON value on stdout.
pub(crate) fn print_json(value: &serde_json::Value) {
    println!("{value}");
}

/// Connects to chain `id` of `config` signing with the key `key_name` of the key store
/// (the key ring, or the PKCS#11 token with that label).
pub(crate) async fn connect_as(
    config: &Config,
    id: &str,
    key_name: &str,
) -> anyhow::Result<crate::chain::ChainEndpoint> {
    let mut chain = chain_config(config, id)?.clone();
    chain.key_name = key_name.to_string();
    let keys = crate::keys::KeySource::open(config).await?;
    Ok(crate::chain::ChainEndpoint::connect_from(&chain, Some(&keys)).await?)
}
