//! gRPC queries of IBC core state: clients, connections, channels and packets.
//!
//! Every query can be pinned to a height (the `x-cosmos-block-height` header), so that
//! what the relayer decides from comes from one consistent state.

use ibc_proto::google::protobuf::Any;
use ibc_proto::ibc::core::channel::v1::{
    query_client::QueryClient as ChannelQuery, Channel, IdentifiedChannel, QueryChannelRequest,
    QueryChannelsRequest, QueryConnectionChannelsRequest, QueryNextSequenceReceiveRequest,
    QueryPacketAcknowledgementsRequest, QueryPacketCommitmentsRequest, QueryUnreceivedAcksRequest,
    QueryUnreceivedPacketsRequest,
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
use crate::chain::grpc::{page_request, GrpcClient, HEIGHT_HEADER};
use crate::chain::retry::{with_retry, RetryPolicy};

/// Page size for list queries.
const PAGE: u64 = 1000;

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
    /// The height the chain answered at.
    pub height: u64,
}

macro_rules! query {
    ($self:ident, $client:ident, $method:ident, $name:literal, $msg:expr, $height:expr) => {{
        let msg = $msg;
        with_retry(
            RetryPolicy::QUERY,
            $self.chain_id(),
            "grpc",
            $name,
            || async {
                $client::new($self.transport())
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

    /// Every client on the chain.
    pub async fn client_states(&self) -> Result<Vec<IdentifiedClientState>, ChainError> {
        let msg = QueryClientStatesRequest {
            pagination: Some(page_request(PAGE)),
        };
        Ok(query!(
            self,
            ClientQuery,
            client_states,
            "client.ClientStates",
            msg,
            None
        )?
        .client_states)
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

    /// Every connection on the chain.
    pub async fn connections(&self) -> Result<Vec<IdentifiedConnection>, ChainError> {
        let msg = QueryConnectionsRequest {
            pagination: Some(page_request(PAGE)),
        };
        Ok(query!(
            self,
            ConnectionQuery,
            connections,
            "connection.Connections",
            msg,
            None
        )?
        .connections)
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

    /// Every channel on the chain.
    pub async fn channels(&self) -> Result<Vec<IdentifiedChannel>, ChainError> {
        let msg = QueryChannelsRequest {
            pagination: Some(page_request(PAGE)),
        };
        Ok(query!(self, ChannelQuery, channels, "channel.Channels", msg, None)?.channels)
    }

    /// The channels built on `connection_id`.
    pub async fn connection_channels(
        &self,
        connection_id: &str,
    ) -> Result<Vec<IdentifiedChannel>, ChainError> {
        let msg = QueryConnectionChannelsRequest {
            connection: connection_id.to_string(),
            pagination: Some(page_request(PAGE)),
        };
        Ok(query!(
            self,
            ChannelQuery,
            connection_channels,
            "channel.ConnectionChannels",
            msg,
            None
        )?
        .channels)
    }

    /// Sequences of packets sent on `port_id/channel_id` whose commitments are still stored.
    pub async fn packet_commitments(
        &self,
        port_id: &str,
        channel_id: &str,
    ) -> Result<PacketSequences, ChainError> {
        let msg = QueryPacketCommitmentsRequest {
            port_id: port_id.to_string(),
            channel_id: channel_id.to_string(),
            pagination: Some(page_request(u64::MAX >> 1)),
        };
        let r = query!(
            self,
            ChannelQuery,
            packet_commitments,
            "channel.PacketCommitments",
            msg,
            None
        )?;
        let mut sequences: Vec<u64> = r.commitments.iter().map(|c| c.sequence).collect();
        sequences.sort_unstable();
        Ok(PacketSequences {
            sequences,
            height: r.height.map_or(0, |h| h.revision_height),
        })
    }

    /// Sequences of acknowledgements written on `port_id/channel_id`, filtered to
    /// `sequences` when given.
    pub async fn packet_acknowledgements(
        &self,
        port_id: &str,
        channel_id: &str,
        sequences: &[u64],
    ) -> Result<PacketSequences, ChainError> {
        let msg = QueryPacketAcknowledgementsRequest {
            port_id: port_id.to_string(),
            channel_id: channel_id.to_string(),
            pagination: Some(page_request(u64::MAX >> 1)),
            packet_commitment_sequences: sequences.to_vec(),
        };
        let r = query!(
            self,
            ChannelQuery,
            packet_acknowledgements,
            "channel.PacketAcknowledgements",
            msg,
            None
        )?;
        let mut sequences: Vec<u64> = r.acknowledgements.iter().map(|c| c.sequence).collect();
        sequences.sort_unstable();
        Ok(PacketSequences {
            sequences,
            height: r.height.map_or(0, |h| h.revision_height),
        })
    }

    /// Of `sequences` sent to this chain's `port_id/channel_id`, those not received yet.
    pub async fn unreceived_packets(
        &self,
        port_id: &str,
        channel_id: &str,
        sequences: &[u64],
    ) -> Result<Vec<u64>, ChainError> {
        let msg = QueryUnreceivedPacketsRequest {
            port_id: port_id.to_string(),
            channel_id: channel_id.to_string(),
            packet_commitment_sequences: sequences.to_vec(),
        };
        Ok(query!(
            self,
            ChannelQuery,
            unreceived_packets,
            "channel.UnreceivedPackets",
            msg,
            None
        )?
        .sequences)
    }

    /// Of `sequences` sent from this chain's `port_id/channel_id`, those whose
    /// acknowledgement has not been relayed back yet (their commitments remain).
    pub async fn unreceived_acks(
        &self,
        port_id: &str,
        channel_id: &str,
        sequences: &[u64],
    ) -> Result<Vec<u64>, ChainError> {
        let msg = QueryUnreceivedAcksRequest {
            port_id: port_id.to_string(),
            channel_id: channel_id.to_string(),
            packet_ack_sequences: sequences.to_vec(),
        };
        Ok(query!(
            self,
            ChannelQuery,
            unreceived_acks,
            "channel.UnreceivedAcks",
            msg,
            None
        )?
        .sequences)
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
