//! `keys add | list | delete | balance`: in the file key ring, or with `--hsm` (and whenever
//! `[signer] kind = "pkcs11"`) in the PKCS#11 token, where a key's label is the chain's
//! key_name.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;

use super::chain_config;
use crate::chain::ChainEndpoint;
use crate::config::{ChainConfig, Config, SignerKind};
use crate::keys::{address, hd_path_for_coin_type, KeyRing, Pkcs11Token, SignerError};

/// `keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Imports a key from a BIP-39 mnemonic file.
    Add {
        /// Chain id.
        #[arg(long)]
        chain: String,
        /// File holding the mnemonic (never printed or logged).
        #[arg(long, required_unless_present = "hsm")]
        mnemonic_file: Option<PathBuf>,
        /// Generate the key inside the PKCS#11 token of `[signer]` (kind = "pkcs11"),
        /// labelled with the key name; prints its address.
        #[arg(long, conflicts_with_all = ["mnemonic_file", "hd_path", "coin_type", "overwrite"])]
        hsm: bool,
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
        /// Delete the key from the PKCS#11 token (implied when [signer] kind = "pkcs11").
        #[arg(long)]
        hsm: bool,
        /// Confirms that a key in a token is destroyed for good (the token holds its only
        /// copy).
        #[arg(long)]
        yes_delete_from_token: bool,
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
                hsm,
            } => {
                let cc = chain_config(config, &chain)?;
                let name = key_name.unwrap_or_else(|| cc.key_name.clone());
                if hsm {
                    return add_hsm(config, cc, &name).await;
                }
                if config.signer.kind == SignerKind::Pkcs11 {
                    anyhow::bail!("[signer] kind = \"pkcs11\": the relayer's keys live in token `{}` only; generate this one there with `stateset-relayer keys add --chain {chain} --hsm` (mnemonics are not imported into the file key ring)", config.signer.token_label.as_deref().unwrap_or_default());
                }
                add_file(
                    &ring,
                    cc,
                    &name,
                    mnemonic_file,
                    hd_path.or(coin_type.map(hd_path_for_coin_type)),
                    overwrite,
                )?;
            }
            KeysCommand::List { chain, json } => {
                list(config, &ring, chain.as_deref(), json).await?
            }
            KeysCommand::Delete {
                chain,
                key_name,
                hsm,
                yes_delete_from_token,
            } => {
                let name = key_name.unwrap_or_else(|| {
                    chain_config(config, &chain)
                        .map(|c| c.key_name.clone())
                        .unwrap_or_default()
                });
                if hsm || config.signer.kind == SignerKind::Pkcs11 {
                    return delete_hsm(config, &chain, &name, yes_delete_from_token).await;
                }
                ring.delete(&chain, &name)?;
                println!("deleted key `{name}` for {chain}");
            }
            KeysCommand::Balance {
                chain,
                key_name,
                denom,
                json,
            } => balance(config, &ring, &chain, key_name, denom, json).await?,
        }
        Ok(())
    }
}

/// `keys add` into the file key ring, from a mnemonic file.
fn add_file(
    ring: &KeyRing,
    cc: &ChainConfig,
    name: &str,
    mnemonic_file: Option<PathBuf>,
    hd_path: Option<String>,
    overwrite: bool,
) -> anyhow::Result<()> {
    let Some(mnemonic_file) = mnemonic_file else {
        anyhow::bail!("--mnemonic-file FILE is required without --hsm");
    };
    let mnemonic = zeroize::Zeroizing::new(
        std::fs::read_to_string(&mnemonic_file)
            .with_context(|| format!("reading mnemonic file {}", mnemonic_file.display()))?,
    );
    let hd_path = hd_path.unwrap_or_else(|| cc.hd_path.clone());
    let info = ring.add(
        cc.id.as_str(),
        name,
        &mnemonic,
        &hd_path,
        &cc.account_prefix,
        overwrite,
    )?;
    println!(
        "added key `{}` for {}: {}",
        info.name, info.chain_id, info.address
    );
    Ok(())
}

/// Opens the token of `[signer]` (kind = "pkcs11"): loads the module and logs in.
pub(crate) async fn open_token(config: &Config) -> anyhow::Result<Arc<Pkcs11Token>> {
    anyhow::ensure!(
        config.signer.kind == SignerKind::Pkcs11,
        "the configuration's [signer] kind is \"file\"; --hsm needs a PKCS#11 token, e.g.\n[signer]\nkind = \"pkcs11\"\nmodule = \"/usr/lib/softhsm/libsofthsm2.so\"\ntoken_label = \"relayer\"\npin_env = \"STATESET_HSM_PIN\""
    );
    Ok(Pkcs11Token::open(config.signer.pkcs11_settings()?).await?)
}

/// `keys add --hsm`: generates the key in the token (or finds it, when chains share a
/// key_name) and prints its address.
async fn add_hsm(config: &Config, cc: &ChainConfig, label: &str) -> anyhow::Result<()> {
    let token = open_token(config).await?;
    let chain = cc.id.as_str();
    match token.generate_key(label).await {
        Ok(public) => println!(
            "generated key `{label}` in token `{}` for {chain}: {}",
            token.label(),
            address(&public, &cc.account_prefix)?
        ),
        Err(SignerError::KeyExists { .. }) => {
            let public = token.public_key(label, chain).await?;
            println!(
                "key `{label}` is in token `{}` already (chains whose key_name is `{label}` share it); {chain}: {}",
                token.label(),
                address(&public, &cc.account_prefix)?
            );
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// `keys delete` of a key in the token, after the confirmation flag.
async fn delete_hsm(
    config: &Config,
    chain: &str,
    label: &str,
    confirmed: bool,
) -> anyhow::Result<()> {
    let token_label = config.signer.token_label.as_deref().unwrap_or_default();
    anyhow::ensure!(
        confirmed,
        "deleting key `{label}` destroys it in token `{token_label}` for good (the token holds its only copy, and every chain whose key_name is `{label}` uses it); pass --yes-delete-from-token to confirm"
    );
    let token = open_token(config).await?;
    token.delete_key(label, chain).await?;
    println!("deleted key `{label}` from token `{}`", token.label());
    Ok(())
}

/// `keys list`: every key and where it lives.
async fn list(
    config: &Config,
    ring: &KeyRing,
    chain: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    if config.signer.kind == SignerKind::File {
        for k in ring.list(chain)? {
            rows.push(serde_json::json!({
                "chain_id": k.chain_id, "name": k.name, "address": k.address,
                "hd_path": k.hd_path, "account_prefix": k.account_prefix, "store": "file",
            }));
        }
    } else {
        let token = open_token(config).await?;
        let labels = token.key_labels().await?;
        let store = format!("pkcs11:{}", token.label());
        for cc in config
            .chains
            .iter()
            .filter(|c| chain.is_none_or(|id| c.id.as_str() == id))
        {
            if !labels.contains(&cc.key_name) {
                continue;
            }
            let public = token.public_key(&cc.key_name, cc.id.as_str()).await?;
            rows.push(serde_json::json!({
                "chain_id": cc.id.as_str(), "name": cc.key_name,
                "address": address(&public, &cc.account_prefix)?,
                "account_prefix": cc.account_prefix, "store": store,
            }));
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else if rows.is_empty() {
        match config.signer.kind {
            SignerKind::File => println!("no keys in {}", ring.dir().display()),
            SignerKind::Pkcs11 => println!("no configured chain's key is in the token; add one with `keys add --chain C --hsm`"),
        }
    }
    for r in rows.iter().filter(|_| !json) {
        let field = |k: &str| r[k].as_str().unwrap_or("-").to_string();
        println!(
            "{}\t{}\t{}\t{}\t{}",
            field("chain_id"),
            field("name"),
            field("address"),
            field("hd_path"),
            field("store")
        );
    }
    Ok(())
}

/// The address of key `name` for chain `cc`, from its store.
async fn key_address(
    config: &Config,
    ring: &KeyRing,
    cc: &ChainConfig,
    name: &str,
) -> anyhow::Result<String> {
    let chain = cc.id.as_str();
    if config.signer.kind == SignerKind::Pkcs11 {
        let public = open_token(config).await?.public_key(name, chain).await?;
        return Ok(address(&public, &cc.account_prefix)?);
    }
    Ok(ring.get(chain, name)?.info.address)
}

/// `keys balance`.
async fn balance(
    config: &Config,
    ring: &KeyRing,
    chain: &str,
    key_name: Option<String>,
    denom: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let cc = chain_config(config, chain)?;
    let name = key_name.unwrap_or_else(|| cc.key_name.clone());
    let address = key_address(config, ring, cc, &name).await?;
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
    Ok(())
}
