//! `ica register|address|send`: interchain accounts (ICS-27) from the controller side,
//! signed with a key of the relayer's key ring.

use clap::{Subcommand, ValueEnum};
use ibc_proto::cosmos::bank::v1beta1::MsgSend;
use ibc_proto::cosmos::base::v1beta1::Coin;
use ibc_proto::google::protobuf::Any;
use ibc_proto::ibc::applications::interchain_accounts::controller::v1::{
    query_client::QueryClient, MsgRegisterInterchainAccount, MsgSendTx,
    QueryInterchainAccountRequest,
};
use ibc_proto::ibc::applications::interchain_accounts::v1::{
    CosmosTx, InterchainAccountPacketData,
};
use prost::Message;

use super::{connect, connect_as, print_json};
use crate::chain::tx::encode_any;
use crate::config::Config;

/// ICA channel ordering.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum IcaOrdering {
    /// Ordered (a timeout closes the channel).
    Ordered,
    /// Unordered.
    Unordered,
}

/// `ica` subcommands.
#[derive(Debug, Subcommand)]
pub enum IcaCommand {
    /// Registers an interchain account for the key `--owner-key` (MsgRegisterInterchainAccount);
    /// the daemon finishes the channel handshake.
    Register {
        /// The controller chain.
        #[arg(long)]
        controller_chain: String,
        /// The controller's connection to the host.
        #[arg(long)]
        connection: String,
        /// The key (in the relayer's key ring) that owns the account (alias `--owner`).
        #[arg(long, alias = "owner")]
        owner_key: String,
        /// Channel ordering.
        #[arg(long, value_enum, default_value_t = IcaOrdering::Ordered)]
        ordering: IcaOrdering,
    },
    /// The interchain account address of `--owner` on `--connection`.
    Address {
        /// The controller chain.
        #[arg(long)]
        controller_chain: String,
        /// The controller's connection to the host.
        #[arg(long)]
        connection: String,
        /// The owner's address.
        #[arg(long)]
        owner: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Executes Cosmos messages (a JSON array, e.g. bank MsgSend) with the account (MsgSendTx).
    Send {
        /// The controller chain.
        #[arg(long)]
        controller_chain: String,
        /// The controller's connection to the host.
        #[arg(long)]
        connection: String,
        /// The owner's key.
        #[arg(long)]
        owner_key: String,
        /// The messages: a JSON array of objects with "@type".
        #[arg(long)]
        msgs_file: std::path::PathBuf,
        /// Relative timeout in seconds.
        #[arg(long, default_value_t = 300)]
        timeout_seconds: u64,
        /// Memo of the ICA packet.
        #[arg(long, default_value = "")]
        memo: String,
    },
}

/// A Cosmos message given as JSON, as an `Any` (bank MsgSend for now).
fn message_from_json(v: &serde_json::Value) -> anyhow::Result<Any> {
    let kind = v["@type"].as_str().unwrap_or_default();
    match kind {
        "/cosmos.bank.v1beta1.MsgSend" => {
            let text = |k: &str| v[k].as_str().map(str::to_string).ok_or_else(|| anyhow::anyhow!("MsgSend without `{k}`"));
            let amount = v["amount"]
                .as_array()
                .ok_or_else(|| anyhow::anyhow!("MsgSend without `amount`"))?
                .iter()
                .map(|c| Coin {
                    denom: c["denom"].as_str().unwrap_or_default().into(),
                    amount: c["amount"].as_str().unwrap_or_default().into(),
                })
                .collect();
            Ok(encode_any(&MsgSend { from_address: text("from_address")?, to_address: text("to_address")?, amount }))
        }
        other => anyhow::bail!("message type `{other}` is not supported by `ica send` (supported: /cosmos.bank.v1beta1.MsgSend)"),
    }
}

impl IcaCommand {
    /// Runs it.
    pub async fn run(self, config: &Config) -> anyhow::Result<()> {
        match self {
            IcaCommand::Register {
                controller_chain,
                connection,
                owner_key,
                ordering,
            } => {
                let chain = connect_as(config, &controller_chain, &owner_key).await?;
                let end = chain
                    .grpc()
                    .connection(&connection, None)
                    .await?
                    .ok_or_else(|| {
                        anyhow::anyhow!("{controller_chain}: connection {connection} not found")
                    })?;
                let host_connection = end
                    .counterparty
                    .map(|c| c.connection_id)
                    .unwrap_or_default();
                let version =
                    stateset_packet_handlers::ics27::Metadata::new(&connection, &host_connection)
                        .encode();
                let owner = crate::client::ops::signer(&chain)?;
                let msg = MsgRegisterInterchainAccount {
                    owner: owner.clone(),
                    connection_id: connection.clone(),
                    version,
                    ordering: match ordering {
                        IcaOrdering::Ordered => 2,
                        IcaOrdering::Unordered => 1,
                    },
                };
                let tx = chain.send_msgs(vec![encode_any(&msg)], "").await?;
                println!("{controller_chain}: registered an interchain account for {owner} on {connection} (tx {}); the daemon opens its channel", tx.hash);
                Ok(())
            }
            IcaCommand::Address {
                controller_chain,
                connection,
                owner,
                json,
            } => {
                let chain = connect(config, &controller_chain, false).await?;
                let response = crate::chain::grpc::grpc_client!(QueryClient, chain.grpc())
                    .interchain_account(QueryInterchainAccountRequest {
                        owner: owner.clone(),
                        connection_id: connection,
                    })
                    .await
                    .map_err(|s| {
                        anyhow::anyhow!(
                            "{controller_chain}: no interchain account for {owner}: {}",
                            s.message()
                        )
                    })?;
                let address = response.into_inner().address;
                if json {
                    print_json(&serde_json::json!({ "owner": owner, "address": address }));
                } else {
                    println!("{address}");
                }
                Ok(())
            }
            IcaCommand::Send {
                controller_chain,
                connection,
                owner_key,
                msgs_file,
                timeout_seconds,
                memo,
            } => {
                let text = std::fs::read_to_string(&msgs_file)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", msgs_file.display()))?;
                let list: Vec<serde_json::Value> = serde_json::from_str(&text).map_err(|e| {
                    anyhow::anyhow!(
                        "{}: expected a JSON array of messages: {e}",
                        msgs_file.display()
                    )
                })?;
                let messages = list
                    .iter()
                    .map(message_from_json)
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let chain = connect_as(config, &controller_chain, &owner_key).await?;
                let owner = crate::client::ops::signer(&chain)?;
                let msg = MsgSendTx {
                    owner,
                    connection_id: connection,
                    packet_data: Some(InterchainAccountPacketData {
                        r#type: 1,
                        data: CosmosTx { messages }.encode_to_vec(),
                        memo,
                    }),
                    relative_timeout: timeout_seconds * 1_000_000_000,
                };
                let tx = chain.send_msgs(vec![encode_any(&msg)], "").await?;
                println!(
                    "{controller_chain}: interchain account tx sent (tx {} at height {})",
                    tx.hash, tx.height
                );
                Ok(())
            }
        }
    }
}
