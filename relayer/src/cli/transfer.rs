//! `tx transfer`: ICS-20 transfers signed with a key of the relayer's key ring (for the
//! devnet, tests and benchmarks), many per tx.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ibc_proto::cosmos::base::v1beta1::Coin;
use ibc_proto::ibc::apps::transfer::v1::MsgTransfer;
use ibc_proto::ibc::core::client::v1::Height as ProtoHeight;

use super::{chain_config, connect, print_json};
use crate::chain::tx::encode_any;
use crate::chain::ChainEndpoint;
use crate::client::state::decode_client_state;
use crate::config::Config;

/// Arguments of `tx transfer`.
#[derive(Debug, clap::Args)]
pub struct TransferArgs {
    /// The chain the transfers are sent from.
    #[arg(long)]
    src_chain: String,
    /// The source channel.
    #[arg(long)]
    channel: String,
    /// The source port.
    #[arg(long, default_value = "transfer")]
    port: String,
    /// Amount of each transfer.
    #[arg(long)]
    amount: u128,
    /// Denomination.
    #[arg(long)]
    denom: String,
    /// Receiver on the destination chain.
    #[arg(long)]
    receiver: String,
    /// Timeout: this many blocks past the destination's latest height.
    #[arg(long)]
    timeout_height_offset: Option<u64>,
    /// Timeout: this many seconds from now (default 600 when no timeout is given).
    #[arg(long)]
    timeout_seconds: Option<u64>,
    /// Number of transfers.
    #[arg(long, default_value_t = 1)]
    count: usize,
    /// Transfers per tx.
    #[arg(long, default_value_t = 50)]
    per_tx: usize,
    /// Memo of each transfer.
    #[arg(long, default_value = "")]
    memo: String,
    /// The key that signs (default: the chain's `key_name`).
    #[arg(long)]
    key_name: Option<String>,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

/// The destination chain's latest height as the source's client of it counts it.
async fn destination_height(
    config: &Config,
    src: &ChainEndpoint,
    port: &str,
    channel: &str,
) -> anyhow::Result<ProtoHeight> {
    let end = src
        .grpc()
        .channel(port, channel, None)
        .await?
        .ok_or_else(|| anyhow::anyhow!("channel {port}/{channel} not found on {}", src.id()))?;
    let hop = end
        .connection_hops
        .first()
        .ok_or_else(|| anyhow::anyhow!("channel without connection"))?;
    let conn = src
        .grpc()
        .connection(hop, None)
        .await?
        .ok_or_else(|| anyhow::anyhow!("connection {hop} not found"))?;
    let state = src
        .grpc()
        .client_state(&conn.client_id, None)
        .await?
        .ok_or_else(|| anyhow::anyhow!("client {} not found", conn.client_id))?;
    let tm = decode_client_state(&state)?
        .ok_or_else(|| anyhow::anyhow!("client {} is not 07-tendermint", conn.client_id))?;
    let dst = connect(config, &tm.chain_id, false).await?;
    let latest = dst.rpc().latest_height().await?;
    Ok(crate::client::msgs::proto_height(
        &tm.chain_id,
        latest.value(),
    ))
}

/// Runs `tx transfer`.
pub async fn run(config: &Config, args: TransferArgs) -> anyhow::Result<()> {
    let key = match &args.key_name {
        Some(k) => k.clone(),
        None => chain_config(config, &args.src_chain)?.key_name.clone(),
    };
    let src = super::connect_as(config, &args.src_chain, &key).await?;
    let sender = src.signer_address().expect("key loaded").to_string();
    let timeout_height = match args.timeout_height_offset {
        Some(offset) => {
            let mut h = destination_height(config, &src, &args.port, &args.channel).await?;
            h.revision_height += offset;
            Some(h)
        }
        None => None,
    };
    let seconds = args.timeout_seconds.or(if timeout_height.is_none() {
        Some(600)
    } else {
        None
    });
    let timeout_timestamp = seconds
        .map(|s| {
            (SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                + Duration::from_secs(s))
            .as_nanos() as u64
        })
        .unwrap_or(0);
    let msg = encode_any(&MsgTransfer {
        source_port: args.port.clone(),
        source_channel: args.channel.clone(),
        token: Some(Coin {
            denom: args.denom.clone(),
            amount: args.amount.to_string(),
        }),
        sender: sender.clone(),
        receiver: args.receiver.clone(),
        timeout_height,
        timeout_timestamp,
        memo: args.memo.clone(),
    });
    let mut sent = 0;
    let mut txs = Vec::new();
    while sent < args.count {
        let n = args.per_tx.max(1).min(args.count - sent);
        let tx = src.send_msgs(vec![msg.clone(); n], "").await?;
        if !args.json {
            println!(
                "{}: {n} transfer(s) in tx {} at height {}",
                src.id(),
                tx.hash,
                tx.height
            );
        }
        txs.push(tx.hash);
        sent += n;
    }
    if args.json {
        print_json(
            &serde_json::json!({ "chain": src.id(), "sender": sender, "transfers": sent, "txs": txs }),
        );
    }
    Ok(())
}
