//! gRPC queries of IBC v2 (ibc-go v10 and later), whose types ibc-proto lacks: the calls
//! are made with [`GrpcClient::unary`] and the hand-written types of
//! [`stateset_channels::v2`].

use std::sync::OnceLock;

use crate::chain::error::ChainError;
use crate::chain::grpc::GrpcClient;
use crate::chain::ibc_query::{record_height, PacketSequences};
use crate::chain::paging::{all_pages, in_chunks, Page};
use crate::chain::retry::{with_retry, RetryPolicy};
use stateset_channels::v2::channel::{
    QueryPacketCommitmentsRequest, QueryPacketCommitmentsResponse, QueryUnreceivedAcksRequest,
    QueryUnreceivedAcksResponse, QueryUnreceivedPacketsRequest, QueryUnreceivedPacketsResponse,
};
use stateset_channels::v2::client::{
    Config, CounterpartyInfo, QueryConfigRequest, QueryConfigResponse,
    QueryCounterpartyInfoRequest, QueryCounterpartyInfoResponse,
};

/// `/ibc.core.client.v2.Query/CounterpartyInfo`.
const COUNTERPARTY_INFO: &str = "/ibc.core.client.v2.Query/CounterpartyInfo";
/// `/ibc.core.client.v2.Query/Config`.
const CLIENT_CONFIG: &str = "/ibc.core.client.v2.Query/Config";
/// `/ibc.core.channel.v2.Query/UnreceivedPackets`.
const UNRECEIVED_PACKETS: &str = "/ibc.core.channel.v2.Query/UnreceivedPackets";
/// `/ibc.core.channel.v2.Query/UnreceivedAcks`.
const UNRECEIVED_ACKS: &str = "/ibc.core.channel.v2.Query/UnreceivedAcks";
/// `/ibc.core.channel.v2.Query/PacketCommitments`.
const PACKET_COMMITMENTS: &str = "/ibc.core.channel.v2.Query/PacketCommitments";

impl GrpcClient {
    /// The counterparty `client_id` is registered with for IBC v2; `None` when it is not
    /// registered. A chain without IBC v2 (ibc-go before v10) is an error that says so.
    pub async fn counterparty_info(
        &self,
        client_id: &str,
    ) -> Result<Option<CounterpartyInfo>, ChainError> {
        let req = QueryCounterpartyInfoRequest {
            client_id: client_id.to_string(),
        };
        let answer: Result<QueryCounterpartyInfoResponse, _> = self
            .v2_call("client.v2.CounterpartyInfo", COUNTERPARTY_INFO, req)
            .await;
        match answer {
            Ok(resp) => Ok(resp.counterparty_info),
            Err(ChainError::Grpc {
                code: tonic::Code::NotFound,
                ..
            }) => Ok(None),
            Err(ChainError::Grpc {
                code: tonic::Code::Unimplemented,
                ..
            }) => Err(ChainError::NotFound {
                chain: self.chain_id().to_string(),
                what: "IBC v2 (the chain does not serve ibc.core.client.v2 queries: ibc-go v10 or later is needed)".into(),
            }),
            Err(e) => Err(e),
        }
    }
}

impl GrpcClient {
    /// One v2 query call with the usual retries.
    async fn v2_call<Q, R>(
        &self,
        name: &'static str,
        path: &'static str,
        req: Q,
    ) -> Result<R, ChainError>
    where
        Q: prost::Message + Clone + Send + Sync + 'static,
        R: prost::Message + Default + Send + Sync + 'static,
    {
        with_retry(
            RetryPolicy::QUERY,
            self.chain_id(),
            "grpc",
            name,
            || async {
                self.unary::<_, R>(path, req.clone())
                    .await
                    .map_err(self.status_error(name))
            },
        )
        .await
    }

    /// The IBC v2 config of `client_id`: who may relay through it (a client without a
    /// stored config allows anyone: the default config).
    pub async fn client_v2_config(&self, client_id: &str) -> Result<Config, ChainError> {
        let req = QueryConfigRequest {
            client_id: client_id.to_string(),
        };
        let r: QueryConfigResponse = self.v2_call("client.v2.Config", CLIENT_CONFIG, req).await?;
        Ok(r.config.unwrap_or_default())
    }

    /// Of `sequences` sent to this chain over IBC v2 whose destination client here is
    /// `client_id`, those not received yet, in the order asked (sent in chunks).
    pub async fn unreceived_packets_v2(
        &self,
        client_id: &str,
        sequences: &[u64],
    ) -> Result<Vec<u64>, ChainError> {
        in_chunks(sequences, |chunk| async move {
            let req = QueryUnreceivedPacketsRequest {
                client_id: client_id.to_string(),
                sequences: chunk,
            };
            let r: QueryUnreceivedPacketsResponse = self
                .v2_call("channel.v2.UnreceivedPackets", UNRECEIVED_PACKETS, req)
                .await?;
            Ok(r.sequences)
        })
        .await
    }

    /// Of `sequences` sent from this chain over IBC v2 by source client `client_id`, those
    /// whose acknowledgement has not been relayed back yet (their commitments remain).
    pub async fn unreceived_acks_v2(
        &self,
        client_id: &str,
        sequences: &[u64],
    ) -> Result<Vec<u64>, ChainError> {
        in_chunks(sequences, |chunk| async move {
            let req = QueryUnreceivedAcksRequest {
                client_id: client_id.to_string(),
                packet_ack_sequences: chunk,
            };
            let r: QueryUnreceivedAcksResponse = self
                .v2_call("channel.v2.UnreceivedAcks", UNRECEIVED_ACKS, req)
                .await?;
            Ok(r.sequences)
        })
        .await
    }

    /// The sequences of the IBC v2 packet commitments of source client `client_id` (every
    /// page), and the height the first page was read at.
    pub async fn packet_commitments_v2(
        &self,
        client_id: &str,
    ) -> Result<PacketSequences, ChainError> {
        let name = "channel.v2.PacketCommitments";
        let height = OnceLock::new();
        let first = &height;
        let states = all_pages(self.chain_id(), name, |page| async move {
            let req = QueryPacketCommitmentsRequest {
                client_id: client_id.to_string(),
                pagination: Some(page),
            };
            let r: QueryPacketCommitmentsResponse =
                self.v2_call(name, PACKET_COMMITMENTS, req).await?;
            record_height(first, r.height);
            Ok(Page::new(r.commitments, r.pagination))
        })
        .await?;
        let mut sequences: Vec<u64> = states.iter().map(|c| c.sequence).collect();
        sequences.sort_unstable();
        Ok(PacketSequences {
            sequences,
            height: height.get().copied().unwrap_or(0),
        })
    }
}
