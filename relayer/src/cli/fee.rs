//! `fee register-payee|register-counterparty-payee|pay-packet|escrowed`: ICS-29 relayer fees.
//!
//! A relayer is paid on the packet's source chain when the acknowledgement arrives: the
//! ack fee goes to the relayer that delivered the acknowledgement (or the payee it registered
//! there with `register-payee`); the recv fee goes to the address the receiving relayer
//! registered on the destination chain with `register-counterparty-payee`.

use clap::Subcommand;
use ibc_proto::ibc::applications::fee::v1::{
    Fee, MsgPayPacketFeeAsync, MsgRegisterCounterpartyPayee, MsgRegisterPayee, PacketFee,
};
use ibc_proto::ibc::core::channel::v1::PacketId;
use stateset_packet_handlers::ics29::Coin;

use super::{chain_config, connect, connect_as, print_json};
use crate::chain::tx::encode_any;
use crate::config::Config;

/// `fee` subcommands.
#[derive(Debug, Subcommand)]
pub enum FeeCommand {
    /// Registers where the relayer's acknowledgement (and timeout) fees on `--chain` go
    /// (MsgRegisterPayee, signed by the relayer's key).
    RegisterPayee {
        /// The chain the fees are paid on (the packets' source).
        #[arg(long)]
        chain: String,
        /// The channel on that chain.
        #[arg(long)]
        channel: String,
        /// The port.
        #[arg(long, default_value = "transfer")]
        port: String,
        /// The address that receives the fees.
        #[arg(long)]
        payee: String,
    },
    /// Registers, on the packets' destination `--chain`, the address on the counterparty
    /// (source) chain that receives the recv fees of packets this relayer delivers
    /// (MsgRegisterCounterpartyPayee, signed by the relayer's key).
    RegisterCounterpartyPayee {
        /// The chain the relayer delivers packets to.
        #[arg(long)]
        chain: String,
        /// The channel on that chain.
        #[arg(long)]
        channel: String,
        /// The port.
        #[arg(long, default_value = "transfer")]
        port: String,
        /// The payee's address on the counterparty chain.
        #[arg(long)]
        counterparty_payee: String,
    },
    /// Escrows fees for a packet already sent (MsgPayPacketFeeAsync); unused fees go back to
    /// the signer.
    PayPacket {
        /// The packet's source chain.
        #[arg(long)]
        chain: String,
        /// Source port.
        #[arg(long, default_value = "transfer")]
        port: String,
        /// Source channel.
        #[arg(long)]
        channel: String,
        /// Packet sequence.
        #[arg(long)]
        sequence: u64,
        /// Fee for delivering the packet, e.g. `100stake` (repeatable).
        #[arg(long)]
        recv_fee: Vec<Coin>,
        /// Fee for delivering the acknowledgement.
        #[arg(long)]
        ack_fee: Vec<Coin>,
        /// Fee for timing the packet out.
        #[arg(long)]
        timeout_fee: Vec<Coin>,
        /// The paying key (default: the chain's `key_name`).
        #[arg(long)]
        key_name: Option<String>,
    },
    /// The fees escrowed for the packets of a channel.
    Escrowed {
        /// The packets' source chain.
        #[arg(long)]
        chain: String,
        /// Source port.
        #[arg(long, default_value = "transfer")]
        port: String,
        /// Source channel.
        #[arg(long)]
        channel: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

fn proto(coins: &[Coin]) -> Vec<ibc_proto::cosmos::base::v1beta1::Coin> {
    coins.iter().map(Coin::to_proto).collect()
}

impl FeeCommand {
    /// Runs it.
    pub async fn run(self, config: &Config) -> anyhow::Result<()> {
        match self {
            FeeCommand::RegisterPayee {
                chain,
                channel,
                port,
                payee,
            } => {
                let endpoint = connect(config, &chain, true).await?;
                let relayer = crate::client::ops::signer(&endpoint)?;
                let msg = MsgRegisterPayee {
                    port_id: port,
                    channel_id: channel.clone(),
                    relayer: relayer.clone(),
                    payee: payee.clone(),
                };
                let tx = endpoint.send_msgs(vec![encode_any(&msg)], "").await?;
                println!(
                    "{chain}: fees of {relayer} on {channel} now go to {payee} (tx {})",
                    tx.hash
                );
            }
            FeeCommand::RegisterCounterpartyPayee {
                chain,
                channel,
                port,
                counterparty_payee,
            } => {
                let endpoint = connect(config, &chain, true).await?;
                let relayer = crate::client::ops::signer(&endpoint)?;
                let msg = MsgRegisterCounterpartyPayee {
                    port_id: port,
                    channel_id: channel.clone(),
                    relayer: relayer.clone(),
                    counterparty_payee: counterparty_payee.clone(),
                };
                let tx = endpoint.send_msgs(vec![encode_any(&msg)], "").await?;
                println!(
                    "{chain}: recv fees for packets {relayer} delivers on {channel} go to {counterparty_payee} on the counterparty (tx {})",
                    tx.hash
                );
            }
            FeeCommand::PayPacket {
                chain,
                port,
                channel,
                sequence,
                recv_fee,
                ack_fee,
                timeout_fee,
                key_name,
            } => {
                let key = match key_name {
                    Some(k) => k,
                    None => chain_config(config, &chain)?.key_name.clone(),
                };
                let endpoint = connect_as(config, &chain, &key).await?;
                let payer = crate::client::ops::signer(&endpoint)?;
                let msg = MsgPayPacketFeeAsync {
                    packet_id: Some(PacketId {
                        port_id: port.clone(),
                        channel_id: channel.clone(),
                        sequence,
                    }),
                    packet_fee: Some(PacketFee {
                        fee: Some(Fee {
                            recv_fee: proto(&recv_fee),
                            ack_fee: proto(&ack_fee),
                            timeout_fee: proto(&timeout_fee),
                        }),
                        refund_address: payer,
                        relayers: Vec::new(),
                    }),
                };
                let tx = endpoint.send_msgs(vec![encode_any(&msg)], "").await?;
                println!(
                    "{chain}: fees escrowed for {port}/{channel} sequence {sequence} (tx {})",
                    tx.hash
                );
            }
            FeeCommand::Escrowed {
                chain,
                port,
                channel,
                json,
            } => {
                let endpoint = connect(config, &chain, false).await?;
                let mut fees: Vec<_> = endpoint
                    .grpc()
                    .incentivized_packets(&port, &channel)
                    .await?
                    .into_iter()
                    .collect();
                fees.sort_by_key(|(seq, _)| *seq);
                if json {
                    let list: Vec<_> = fees
                        .iter()
                        .map(|(seq, f)| {
                            serde_json::json!({
                                "sequence": seq, "recv_fee": f.recv, "ack_fee": f.ack, "timeout_fee": f.timeout,
                            })
                        })
                        .collect();
                    print_json(&serde_json::Value::Array(list));
                } else if fees.is_empty() {
                    println!("{chain} {port}/{channel}: no fees escrowed");
                } else {
                    for (seq, f) in fees {
                        println!(
                            "{chain} {port}/{channel} #{seq}: recv {:?} ack {:?} timeout {:?}",
                            f.recv, f.ack, f.timeout
                        );
                    }
                }
            }
        }
        Ok(())
    }
}
