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
    /// The source channel; over IBC v2 (`--ibc-version 2`), the source client
    /// (`--client` is the same option).
    #[arg(long, alias = "client")]
    channel: String,
    /// `1`: classic IBC over a channel; `2`: IBC v2 over a client registered with its
    /// counterparty (ibc-go v10 and later), with a timestamp timeout only.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    ibc_version: u8,
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
    /// ICS-29: escrow this recv fee with each transfer, e.g. `100stake` (fee-enabled
    /// channels; a MsgPayPacketFee goes in front of each MsgTransfer).
    #[arg(long)]
    recv_fee: Vec<stateset_packet_handlers::ics29::Coin>,
    /// ICS-29: escrow this ack fee with each transfer.
    #[arg(long)]
    ack_fee: Vec<stateset_packet_handlers::ics29::Coin>,
    /// ICS-29: escrow this timeout fee with each transfer.
    #[arg(long)]
    timeout_fee: Vec<stateset_packet_handlers::ics29::Coin>,
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

/// The options IBC v2 transfers cannot take: height timeouts (v2 times out by timestamp
/// only) and ICS-29 fees (no fee middleware over IBC v2).
fn check_v2_args(args: &TransferArgs) -> anyhow::Result<()> {
    if args.timeout_height_offset.is_some() {
        anyhow::bail!(
            "--timeout-height-offset: IBC v2 packets time out by timestamp only; use --timeout-seconds"
        );
    }
    if !(args.recv_fee.is_empty() && args.ack_fee.is_empty() && args.timeout_fee.is_empty()) {
        anyhow::bail!("--recv-fee/--ack-fee/--timeout-fee: ICS-29 fees do not exist over IBC v2");
    }
    if args.port != "transfer" {
        anyhow::bail!("--port: IBC v2 transfers go from the `transfer` port");
    }
    Ok(())
}

/// Runs `tx transfer`.
pub async fn run(config: &Config, args: TransferArgs) -> anyhow::Result<()> {
    let key = match &args.key_name {
        Some(k) => k.clone(),
        None => chain_config(config, &args.src_chain)?.key_name.clone(),
    };
    let src = super::connect_as(config, &args.src_chain, &key).await?;
    let sender = crate::client::ops::signer(&src)?;
    if args.ibc_version == 2 {
        check_v2_args(&args)?;
    }
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
            let at = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                + Duration::from_secs(s);
            // IBC v2 timeouts are in seconds; classic ones in nanoseconds.
            match args.ibc_version {
                2 => at.as_secs(),
                _ => at.as_nanos() as u64,
            }
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
    // With fees, each transfer is preceded by the MsgPayPacketFee for its (next) sequence.
    let mut each = Vec::new();
    if !(args.recv_fee.is_empty() && args.ack_fee.is_empty() && args.timeout_fee.is_empty()) {
        use ibc_proto::ibc::applications::fee::v1::{Fee, MsgPayPacketFee};
        let coins =
            |c: &[stateset_packet_handlers::ics29::Coin]| c.iter().map(|c| c.to_proto()).collect();
        each.push(encode_any(&MsgPayPacketFee {
            fee: Some(Fee {
                recv_fee: coins(&args.recv_fee),
                ack_fee: coins(&args.ack_fee),
                timeout_fee: coins(&args.timeout_fee),
            }),
            source_port_id: args.port.clone(),
            source_channel_id: args.channel.clone(),
            signer: sender.clone(),
            relayers: Vec::new(),
        }));
    }
    each.push(msg);
    let mut sent = 0;
    let mut txs = Vec::new();
    while sent < args.count {
        let n = args.per_tx.max(1).min(args.count - sent);
        let msgs: Vec<_> = (0..n).flat_map(|_| each.iter().cloned()).collect();
        let tx = src.send_msgs(msgs, "").await?;
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
