//! `tx client-config`: sets who may relay through an IBC v2 client (its `allowed_relayers`,
//! `MsgUpdateClientConfig`). Only the client's creator (the relayer's key, for the clients
//! `create path` made) or the chain's authority may.

use stateset_channels::v2::client::{Config as ClientConfig, MsgUpdateClientConfig};

use super::{connect, print_json};
use crate::chain::tx::{encode_any, MEMO};
use crate::config::Config;

/// Arguments of `tx client-config`.
#[derive(Debug, clap::Args)]
pub struct ClientConfigArgs {
    /// The chain the client is on.
    #[arg(long)]
    chain: String,
    /// The client (IBC v2).
    #[arg(long)]
    client: String,
    /// An address allowed to relay through the client (repeat it for several). None: anyone
    /// may relay.
    #[arg(long)]
    allowed_relayer: Vec<String>,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

/// Runs `tx client-config`.
pub async fn run(config: &Config, args: ClientConfigArgs) -> anyhow::Result<()> {
    let chain = connect(config, &args.chain, true).await?;
    let msg = MsgUpdateClientConfig {
        client_id: args.client.clone(),
        config: Some(ClientConfig {
            allowed_relayers: args.allowed_relayer.clone(),
        }),
        signer: crate::client::ops::signer(&chain)?,
    };
    let tx = chain.send_msgs(vec![encode_any(&msg)], MEMO).await?;
    let now = chain.grpc().client_v2_config(&args.client).await?;
    if args.json {
        print_json(&serde_json::json!({
            "chain": chain.id(), "client": args.client, "tx": tx.hash, "height": tx.height,
            "allowed_relayers": now.allowed_relayers,
        }));
    } else {
        println!(
            "{}: client {} now allows {} (tx {} at height {})",
            chain.id(),
            args.client,
            match now.allowed_relayers.is_empty() {
                true => "any relayer".to_string(),
                false => now.allowed_relayers.join(", "),
            },
            tx.hash,
            tx.height
        );
    }
    Ok(())
}
