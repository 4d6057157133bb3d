//! gRPC queries of IBC core state: clients, connections, channels and packets.
//!
//! Every query can be pinned to a height (the `x-cosmos-block-height` header), so that
//! what the relayer decides from comes from one consistent state.
//!
//! List queries read every page ([`all_pages`], key-based, bounded), and queries that
//! carry a list of sequences send it in chunks ([`in_chunks`]): a chain with thousands of
//! clients or channels, or a channel with a long backlog, is read in full.

use std::sync::OnceLock;

use ibc_proto::google::protobuf::Any;
use ibc_proto::ibc::core::channel::v1::{
    query_client::QueryClient as ChannelQuery, Channel, IdentifiedChannel, PacketState,
    QueryChannelRequest, QueryChannelsRequest, QueryConnectionChannelsRequest,
    QueryNextSequenceReceiveRequest, QueryPacketAcknowledgementsRequest,
    QueryPacketCommitmentsRequest, QueryUnreceivedAcksRequest, QueryUnreceivedPacketsRequest,
};
use ibc_proto::ibc::core::client::v1::{
    query_client::QueryClient as ClientQuery, IdentifiedClientState, QueryClientStateRequest,
    QueryClientStatesRequest, QueryConsensusStateRequest,
};
use ibc_proto::ibc::core::connection::v1::{
    query_client::QueryClient as ConnectionQuery, ConnectionEnd, IdentifiedConnection,
    QueryClientConnectionsRequest, QueryConnectionRequest, QueryConnectionsRequest,
};
use tendermint::block::Height;

use crate::chain::error::ChainError;
use crate::chain::grpc::{grpc_client, GrpcClient, HEIGHT_HEADER};
use crate::chain::paging::{all_pages, in_chunks, Page};
use crate::chain::retry::{with_retry, RetryPolicy};
use stateset_channels::v2::V2_PORT;

/// Builds a request, pinned to `height` when given.
fn request<T>(msg: T, height: Option<Height>) -> tonic::Request<T> {
    let mut req = tonic::Request::new(msg);
    if let Some(h) = height {
        if let Ok(v) = h.value().to_string().parse() {
            req.metadata_mut().insert(HEIGHT_HEADER, v);
        }
    }
    req
}

/// The packet sequences with a state (commitment or ack) on a channel, and the height read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PacketSequences {
    /// Sequences, ascending.
    pub sequences: Vec<u64>,
    /// The height the chain answered (the first page of) the query at; a list of many
    /// pages is read page by page, so later pages may come from later heights.
    pub height: u64,
}

impl PacketSequences {
    /// The sorted sequences of `states`, read at `height` (0 when unknown).
    fn new(states: &[PacketState], height: &OnceLock<u64>) -> Self {
        let mut sequences: Vec<u64> = states.iter().map(|c| c.sequence).collect();
        sequences.sort_unstable();
        Self {
            sequences,
            height: height.get().copied().unwrap_or(0),
        }
    }
}

/// Records the height of the first answer of a multi-page query.
pub(crate) fn record_height(
    first: &OnceLock<u64>,
    height: Option<ibc_proto::ibc::core::client::v1::Height>,
) {
    // Only the first page's height is kept: later `set`s fail on purpose.
    let _ = first.set(height.map_or(0, |h| h.revision_height));
}

macro_rules! query {
    ($self:ident, $client:ident, $method:ident, $name:expr, $msg:expr, $height:expr) => {{
        let msg = $msg;
        with_retry(
            RetryPolicy::QUERY,
            $self.chain_id(),
            "grpc",
            $name,
            || async {
                grpc_client!($client, $self)
                    .$method(request(msg.clone(), $height))
                    .await
                    .map(tonic::Response::into_inner)
                    .map_err($self.status_error($name))
            },
        )
        .await
    }};
}

fn not_found(e: ChainError) -> Result<(), ChainError> {
    match e {
        ChainError::Grpc {
            code: tonic::Code::NotFound,
            ..
        } => Ok(()),
        e => Err(e),
    }
}

impl GrpcClient {
    /// The client state of `client_id` (as the chain stores it: an `Any`), if it exists.
    pub async fn client_state(
        &self,
        client_id: &str,
        height: Option<Height>,
    ) -> Result<Option<Any>, ChainError> {
        let msg = QueryClientStateRequest {
            client_id: client_id.to_string(),
        };
        match query!(
            self,
            ClientQuery,
            client_state,
            "client.ClientState",
            msg,
            height
        ) {
            Ok(r) => Ok(r.client_state),
            Err(e) => not_found(e).map(|()| None),
        }
    }

    /// Every client on the chain (all pages).
    pub async fn client_states(&self) -> Result<Vec<IdentifiedClientState>, ChainError> {
        let name = "client.ClientStates";
        all_pages(self.chain_id(), name, |page| async move {
            let msg = QueryClientStatesRequest {
                pagination: Some(page),
            };
            let r = query!(self, ClientQuery, client_states, name, msg, None)?;
            Ok(Page::new(r.client_states, r.pagination))
        })
        .await
    }

    /// The consensus state that `client_id` stores for the counterparty's `consensus_height`.
    pub async fn consensus_state(
        &self,
        client_id: &str,
        revision_number: u64,
        revision_height: u64,
    ) -> Result<Option<Any>, ChainError> {
        let msg = QueryConsensusStateRequest {
            client_id: client_id.to_string(),
            revision_number,
            revision_height,
            latest_height: false,
        };
        match query!(
            self,
            ClientQuery,
            consensus_state,
            "client.ConsensusState",
            msg,
            None
        ) {
            Ok(r) => Ok(r.consensus_state),
            Err(e) => not_found(e).map(|()| None),
        }
    }

    /// The connection `connection_id`, if it exists.
    pub async fn connection(
        &self,
        connection_id: &str,
        height: Option<Height>,
    ) -> Result<Option<ConnectionEnd>, ChainError> {
        let msg = QueryConnectionRequest {
            connection_id: connection_id.to_string(),
        };
        match query!(
            self,
            ConnectionQuery,
            connection,
            "connection.Connection",
            msg,
            height
        ) {
            Ok(r) => Ok(r.connection),
            Err(e) => not_found(e).map(|()| None),
        }
    }

    /// Every connection on the chain (all pages).
    pub async fn connections(&self) -> Result<Vec<IdentifiedConnection>, ChainError> {
        let name = "connection.Connections";
        all_pages(self.chain_id(), name, |page| async move {
            let msg = QueryConnectionsRequest {
                pagination: Some(page),
            };
            let r = query!(self, ConnectionQuery, connections, name, msg, None)?;
            Ok(Page::new(r.connections, r.pagination))
        })
        .await
    }

    /// The connection ids built on `client_id`.
    pub async fn client_connections(&self, client_id: &str) -> Result<Vec<String>, ChainError> {
        let msg = QueryClientConnectionsRequest {
            client_id: client_id.to_string(),
        };
        match query!(
            self,
            ConnectionQuery,
            client_connections,
            "connection.ClientConnections",
            msg,
            None
        ) {
            Ok(r) => Ok(r.connection_paths),
            Err(e) => not_found(e).map(|()| Vec::new()),
        }
    }

    /// The channel end `port_id/channel_id`, if it exists.
    pub async fn channel(
        &self,
        port_id: &str,
        channel_id: &str,
        height: Option<Height>,
    ) -> Result<Option<Channel>, ChainError> {
        let msg = QueryChannelRequest {
            port_id: port_id.to_string(),
            channel_id: channel_id.to_string(),
        };
        match query!(self, ChannelQuery, channel, "channel.Channel", msg, height) {
            Ok(r) => Ok(r.channel),
            Err(e) => not_found(e).map(|()| None),
        }
    }

    /// Every channel on the chain (all pages).
    pub async fn channels(&self) -> Result<Vec<IdentifiedChannel>, ChainError> {
        let name = "channel.Channels";
        all_pages(self.chain_id(), name, |page| async move {
            let msg = QueryChannelsRequest {
                pagination: Some(page),
            };
            let r = query!(self, ChannelQuery, channels, name, msg, None)?;
            Ok(Page::new(r.channels, r.pagination))
        })
        .await
    }

    /// The channels built on `connection_id` (all pages).
    pub async fn connection_channels(
        &self,
        connection_id: &str,
    ) -> Result<Vec<IdentifiedChannel>, ChainError> {
        let name = "channel.ConnectionChannels";
        all_pages(self.chain_id(), name, |page| async move {
            let msg = QueryConnectionChannelsRequest {
                connection: connection_id.to_string(),
                pagination: Some(page),
            };
            let r = query!(self, ChannelQuery, connection_channels, name, msg, None)?;
            Ok(Page::new(r.channels, r.pagination))
        })
        .await
    }

    /// Sequences of packets sent on `port_id/channel_id` whose commitments are still
    /// stored (all pages).
    ///
    /// On the IBC v2 port ([`V2_PORT`]) `channel_id` is a client id: the v2 query is made.
    pub async fn packet_commitments(
        &self,
        port_id: &str,
        channel_id: &str,
    ) -> Result<PacketSequences, ChainError> {
        if port_id == V2_PORT {
            return self.packet_commitments_v2(channel_id).await;
        }
        let name = "channel.PacketCommitments";
        let height = OnceLock::new();
        let first = &height;
        let states = all_pages(self.chain_id(), name, |page| async move {
            let msg = QueryPacketCommitmentsRequest {
                port_id: port_id.to_string(),
                channel_id: channel_id.to_string(),
                pagination: Some(page),
            };
            let r = query!(self, ChannelQuery, packet_commitments, name, msg, None)?;
            record_height(first, r.height);
            Ok(Page::new(r.commitments, r.pagination))
        })
        .await?;
        Ok(PacketSequences::new(&states, &height))
    }

    /// Sequences of acknowledgements written on `port_id/channel_id`, filtered to
    /// `sequences` when given (sent in chunks; every page of each).
    pub async fn packet_acknowledgements(
        &self,
        port_id: &str,
        channel_id: &str,
        sequences: &[u64],
    ) -> Result<PacketSequences, ChainError> {
        let height = OnceLock::new();
        let states = if sequences.is_empty() {
            // No filter: every acknowledgement on the channel.
            self.ack_states(port_id, channel_id, Vec::new(), &height)
                .await?
        } else {
            in_chunks(sequences, |chunk| {
                self.ack_states(port_id, channel_id, chunk, &height)
            })
            .await?
        };
        Ok(PacketSequences::new(&states, &height))
    }

    /// Every page of `PacketAcknowledgements` for one `filter` (empty: no filter).
    async fn ack_states(
        &self,
        port_id: &str,
        channel_id: &str,
        filter: Vec<u64>,
        height: &OnceLock<u64>,
    ) -> Result<Vec<PacketState>, ChainError> {
        let name = "channel.PacketAcknowledgements";
        let filter = &filter;
        all_pages(self.chain_id(), name, |page| async move {
            let msg = QueryPacketAcknowledgementsRequest {
                port_id: port_id.to_string(),
                channel_id: channel_id.to_string(),
                pagination: Some(page),
                packet_commitment_sequences: filter.clone(),
            };
            let r = query!(self, ChannelQuery, packet_acknowledgements, name, msg, None)?;
            record_height(height, r.height);
            Ok(Page::new(r.acknowledgements, r.pagination))
        })
        .await
    }

    /// Of `sequences` sent to this chain's `port_id/channel_id`, those not received yet,
    /// in the order asked (the list is sent in chunks).
    ///
    /// On the IBC v2 port ([`V2_PORT`]) `channel_id` is a client id: the v2 query is made.
    pub async fn unreceived_packets(
        &self,
        port_id: &str,
        channel_id: &str,
        sequences: &[u64],
    ) -> Result<Vec<u64>, ChainError> {
        if port_id == V2_PORT {
            return self.unreceived_packets_v2(channel_id, sequences).await;
        }
        let name = "channel.UnreceivedPackets";
        in_chunks(sequences, |chunk| async move {
            let msg = QueryUnreceivedPacketsRequest {
                port_id: port_id.to_string(),
                channel_id: channel_id.to_string(),
                packet_commitment_sequences: chunk,
            };
            Ok(query!(self, ChannelQuery, unreceived_packets, name, msg, None)?.sequences)
        })
        .await
    }

    /// Of `sequences` sent from this chain's `port_id/channel_id`, those whose
    /// acknowledgement has not been relayed back yet (their commitments remain), in the
    /// order asked (the list is sent in chunks).
    ///
    /// On the IBC v2 port ([`V2_PORT`]) `channel_id` is a client id: the v2 query is made.
    pub async fn unreceived_acks(
        &self,
        port_id: &str,
        channel_id: &str,
        sequences: &[u64],
    ) -> Result<Vec<u64>, ChainError> {
        if port_id == V2_PORT {
            return self.unreceived_acks_v2(channel_id, sequences).await;
        }
        let name = "channel.UnreceivedAcks";
        in_chunks(sequences, |chunk| async move {
            let msg = QueryUnreceivedAcksRequest {
                port_id: port_id.to_string(),
                channel_id: channel_id.to_string(),
                packet_ack_sequences: chunk,
            };
            Ok(query!(self, ChannelQuery, unreceived_acks, name, msg, None)?.sequences)
        })
        .await
    }

    /// The next sequence an ordered channel end expects to receive.
    pub async fn next_sequence_receive(
        &self,
        port_id: &str,
        channel_id: &str,
    ) -> Result<u64, ChainError> {
        let msg = QueryNextSequenceReceiveRequest {
            port_id: port_id.to_string(),
            channel_id: channel_id.to_string(),
        };
        Ok(query!(
            self,
            ChannelQuery,
            next_sequence_receive,
            "channel.NextSequenceReceive",
            msg,
            None
        )?
        .next_sequence_receive)
    }
}
