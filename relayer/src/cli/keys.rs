//! `keys add | list | delete | balance`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use super::chain_config;
use crate::chain::ChainEndpoint;
use crate::config::Config;
use crate::keys::{hd_path_for_coin_type, KeyRing};

/// `keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Imports a key from a BIP-39 mnemonic file.
    Add {
        /// Chain id.
        #[arg(long)]
        chain: String,
        /// File holding the mnemonic (never printed or logged).
        #[arg(long)]
        mnemonic_file: PathBuf,
        /// Key name (default: the chain's key_name).
        #[arg(long)]
        key_name: Option<String>,
        /// HD path (default: the chain's hd_path).
        #[arg(long, conflicts_with = "coin_type")]
        hd_path: Option<String>,
        /// Coin type, for m/44'/COIN'/0'/0/0.
        #[arg(long)]
        coin_type: Option<u32>,
        /// Replace an existing key.
        #[arg(long)]
        overwrite: bool,
    },
    /// Lists keys.
    List {
        /// Only this chain.
        #[arg(long)]
        chain: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Deletes a key.
    Delete {
        /// Chain id.
        #[arg(long)]
        chain: String,
        /// Key name (default: the chain's key_name).
        #[arg(long)]
        key_name: Option<String>,
    },
    /// Shows the balance of a key on its chain.
    Balance {
        /// Chain id.
        #[arg(long)]
        chain: String,
        /// Key name (default: the chain's key_name).
        #[arg(long)]
        key_name: Option<String>,
        /// Only this denom (default: every denom).
        #[arg(long)]
        denom: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

impl KeysCommand {
    /// Runs it.
    pub async fn run(self, config: &Config) -> anyhow::Result<()> {
        let ring = KeyRing::new(&config.global.key_dir);
        match self {
            KeysCommand::Add {
                chain,
                mnemonic_file,
                key_name,
                hd_path,
                coin_type,
                overwrite,
            } => {
                let cc = chain_config(config, &chain)?;
                let mnemonic =
                    zeroize::Zeroizing::new(std::fs::read_to_string(&mnemonic_file).with_context(
                        || format!("reading mnemonic file {}", mnemonic_file.display()),
                    )?);
                let hd_path = hd_path
                    .or(coin_type.map(hd_path_for_coin_type))
                    .unwrap_or_else(|| cc.hd_path.clone());
                let name = key_name.unwrap_or_else(|| cc.key_name.clone());
                let info = ring.add(
                    &chain,
                    &name,
                    &mnemonic,
                    &hd_path,
                    &cc.account_prefix,
                    overwrite,
                )?;
                println!(
                    "added key `{}` for {}: {}",
                    info.name, info.chain_id, info.address
                );
            }
            KeysCommand::List { chain, json } => {
                let keys = ring.list(chain.as_deref())?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&keys)?);
                } else if keys.is_empty() {
                    println!("no keys in {}", ring.dir().display());
                } else {
                    for k in keys {
                        println!("{}\t{}\t{}\t{}", k.chain_id, k.name, k.address, k.hd_path);
                    }
                }
            }
            KeysCommand::Delete { chain, key_name } => {
                let name = key_name.unwrap_or_else(|| {
                    chain_config(config, &chain)
                        .map(|c| c.key_name.clone())
                        .unwrap_or_default()
                });
                ring.delete(&chain, &name)?;
                println!("deleted key `{name}` for {chain}");
            }
            KeysCommand::Balance {
                chain,
                key_name,
                denom,
                json,
            } => {
                let cc = chain_config(config, &chain)?;
                let name = key_name.unwrap_or_else(|| cc.key_name.clone());
                let address = ring.get(&chain, &name)?.info.address;
                let endpoint = ChainEndpoint::connect(cc, None).await?;
                let coins: Vec<(String, String)> = match denom {
                    Some(d) => vec![(endpoint.grpc().balance(&address, &d).await?.to_string(), d)],
                    None => endpoint
                        .grpc()
                        .all_balances(&address)
                        .await?
                        .into_iter()
                        .map(|c| (c.amount, c.denom))
                        .collect(),
                };
                if json {
                    let list: Vec<_> = coins
                        .iter()
                        .map(|(a, d)| serde_json::json!({"denom": d, "amount": a}))
                        .collect();
                    println!(
                        "{}",
                        serde_json::json!({"chain": chain, "key": name, "address": address, "balances": list})
                    );
                } else {
                    println!("{chain} {name} {address}");
                    for (amount, denom) in coins {
                        println!("  {amount}{denom}");
                    }
                }
            }
        }
        Ok(())
    }
}
