//! gRPC queries of the ICS-29 fee module: the fees escrowed for the packets of a channel.

use std::collections::HashMap;

use ibc_proto::ibc::applications::fee::v1::{
    query_client::QueryClient as FeeQuery, QueryIncentivizedPacketsForChannelRequest,
};
use stateset_packet_handlers::ics29::EscrowedFees;

use crate::chain::error::ChainError;
use crate::chain::grpc::{grpc_client, GrpcClient};
use crate::chain::paging::{all_pages, Page};
use crate::chain::retry::{with_retry, RetryPolicy};

/// Whether a fee-module answer means "nothing there" (no fee module, channel not
/// fee-enabled) rather than a failure.
fn is_absent(e: &ChainError) -> bool {
    matches!(
        e,
        ChainError::Grpc {
            code: tonic::Code::NotFound | tonic::Code::Unimplemented,
            ..
        }
    )
}

impl GrpcClient {
    /// The fees escrowed on this chain for the packets sent on `port_id/channel_id`, by
    /// sequence (all pages); empty when the channel carries no fees (or the chain has no
    /// fee module).
    pub async fn incentivized_packets(
        &self,
        port_id: &str,
        channel_id: &str,
    ) -> Result<HashMap<u64, EscrowedFees>, ChainError> {
        let name = "fee.IncentivizedPacketsForChannel";
        let r = all_pages(self.chain_id(), name, |page| {
            let msg = QueryIncentivizedPacketsForChannelRequest {
                pagination: Some(page),
                port_id: port_id.to_string(),
                channel_id: channel_id.to_string(),
                query_height: 0,
            };
            async move {
                let r = with_retry(RetryPolicy::QUERY, self.chain_id(), "grpc", name, || {
                    let msg = msg.clone();
                    async move {
                        grpc_client!(FeeQuery, self)
                            .incentivized_packets_for_channel(msg)
                            .await
                            .map(tonic::Response::into_inner)
                            .map_err(self.status_error(name))
                    }
                })
                .await?;
                Ok(Page::new(r.incentivized_packets, r.pagination))
            }
        })
        .await;
        match r {
            Ok(packets) => Ok(packets
                .into_iter()
                .filter_map(|p| {
                    let seq = p.packet_id.as_ref()?.sequence;
                    Some((seq, EscrowedFees::from_packet_fees(&p.packet_fees)))
                })
                .collect()),
            Err(e) if is_absent(&e) => Ok(HashMap::new()),
            Err(e) => Err(e),
        }
    }
}
