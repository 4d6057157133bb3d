//! The command line: `config`, `keys` and `query` command groups.

mod keys;
mod query;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

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
    /// Queries.
    #[command(subcommand)]
    Query(QueryCommand),
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
