//! gRPC queries of IBC v2 (ibc-go v10 and later), whose types ibc-proto lacks: the calls
//! are made with [`GrpcClient::unary`] and the hand-written types of
//! [`stateset_channels::v2`].

use crate::chain::error::ChainError;
use crate::chain::grpc::GrpcClient;
use crate::chain::retry::{with_retry, RetryPolicy};
use stateset_channels::v2::client::{
    CounterpartyInfo, QueryCounterpartyInfoRequest, QueryCounterpartyInfoResponse,
};

/// `/ibc.core.client.v2.Query/CounterpartyInfo`.
const COUNTERPARTY_INFO: &str = "/ibc.core.client.v2.Query/CounterpartyInfo";

impl GrpcClient {
    /// The counterparty `client_id` is registered with for IBC v2; `None` when it is not
    /// registered. A chain without IBC v2 (ibc-go before v10) is an error that says so.
    pub async fn counterparty_info(
        &self,
        client_id: &str,
    ) -> Result<Option<CounterpartyInfo>, ChainError> {
        let name = "client.v2.CounterpartyInfo";
        let req = QueryCounterpartyInfoRequest {
            client_id: client_id.to_string(),
        };
        let answer = with_retry(
            RetryPolicy::QUERY,
            self.chain_id(),
            "grpc",
            name,
            || async {
                self.unary::<_, QueryCounterpartyInfoResponse>(COUNTERPARTY_INFO, req.clone())
                    .await
                    .map_err(self.status_error(name))
            },
        )
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
