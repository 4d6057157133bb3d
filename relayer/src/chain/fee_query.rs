//! gRPC queries of the ICS-29 fee module: the fees escrowed for the packets of a channel and
//! the payees relayers registered.

use std::collections::HashMap;

use ibc_proto::ibc::applications::fee::v1::{
    query_client::QueryClient as FeeQuery, QueryCounterpartyPayeeRequest,
    QueryFeeEnabledChannelRequest, QueryIncentivizedPacketsForChannelRequest, QueryPayeeRequest,
};
use stateset_packet_handlers::ics29::EscrowedFees;

use crate::chain::error::ChainError;
use crate::chain::grpc::{page_request, GrpcClient};
use crate::chain::retry::{with_retry, RetryPolicy};

/// Whether a fee-module answer means "nothing there" (no fee module, channel not fee-enabled,
/// nothing registered) rather than a failure.
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
    /// sequence; empty when the channel carries no fees (or the chain has no fee module).
    pub async fn incentivized_packets(
        &self,
        port_id: &str,
        channel_id: &str,
    ) -> Result<HashMap<u64, EscrowedFees>, ChainError> {
        let name = "fee.IncentivizedPacketsForChannel";
        let msg = QueryIncentivizedPacketsForChannelRequest {
            pagination: Some(page_request(u64::MAX >> 1)),
            port_id: port_id.to_string(),
            channel_id: channel_id.to_string(),
            query_height: 0,
        };
        let r = with_retry(
            RetryPolicy::QUERY,
            self.chain_id(),
            "grpc",
            name,
            || async {
                FeeQuery::new(self.transport())
                    .incentivized_packets_for_channel(msg.clone())
                    .await
                    .map(tonic::Response::into_inner)
                    .map_err(self.status_error(name))
            },
        )
        .await;
        match r {
            Ok(r) => Ok(r
                .incentivized_packets
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

    /// Whether `port_id/channel_id` is fee-enabled on this chain.
    pub async fn fee_enabled(&self, port_id: &str, channel_id: &str) -> Result<bool, ChainError> {
        let name = "fee.FeeEnabledChannel";
        let msg = QueryFeeEnabledChannelRequest {
            port_id: port_id.to_string(),
            channel_id: channel_id.to_string(),
        };
        let r = with_retry(
            RetryPolicy::QUERY,
            self.chain_id(),
            "grpc",
            name,
            || async {
                FeeQuery::new(self.transport())
                    .fee_enabled_channel(msg.clone())
                    .await
                    .map(tonic::Response::into_inner)
                    .map_err(self.status_error(name))
            },
        )
        .await;
        match r {
            Ok(r) => Ok(r.fee_enabled),
            Err(e) if is_absent(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The payee `relayer` registered on this chain for `channel_id` (acknowledgement and
    /// timeout fees), if any.
    pub async fn payee(
        &self,
        channel_id: &str,
        relayer: &str,
    ) -> Result<Option<String>, ChainError> {
        let name = "fee.Payee";
        let msg = QueryPayeeRequest {
            channel_id: channel_id.to_string(),
            relayer: relayer.to_string(),
        };
        let r = with_retry(
            RetryPolicy::QUERY,
            self.chain_id(),
            "grpc",
            name,
            || async {
                FeeQuery::new(self.transport())
                    .payee(msg.clone())
                    .await
                    .map(tonic::Response::into_inner)
                    .map_err(self.status_error(name))
            },
        )
        .await;
        match r {
            Ok(r) => Ok(Some(r.payee_address).filter(|p| !p.is_empty())),
            Err(e) if is_absent(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The counterparty payee `relayer` registered on this chain for `channel_id` (the
    /// address on the other chain that receives recv fees), if any.
    pub async fn counterparty_payee(
        &self,
        channel_id: &str,
        relayer: &str,
    ) -> Result<Option<String>, ChainError> {
        let name = "fee.CounterpartyPayee";
        let msg = QueryCounterpartyPayeeRequest {
            channel_id: channel_id.to_string(),
            relayer: relayer.to_string(),
        };
        let r = with_retry(
            RetryPolicy::QUERY,
            self.chain_id(),
            "grpc",
            name,
            || async {
                FeeQuery::new(self.transport())
                    .counterparty_payee(msg.clone())
                    .await
                    .map(tonic::Response::into_inner)
                    .map_err(self.status_error(name))
            },
        )
        .await;
        match r {
            Ok(r) => Ok(Some(r.counterparty_payee).filter(|p| !p.is_empty())),
            Err(e) if is_absent(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
