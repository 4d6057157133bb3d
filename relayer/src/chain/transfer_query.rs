//! ICS-20 denom traces on every ibc-go major: `Query/DenomTrace` (ibc-go v8), and
//! `Query/Denom` (ibc-go v10, which removed `DenomTrace`), whose types ibc-proto 0.52
//! lacks and which are written here by hand from ibc-go v10.7.0's
//! `proto/ibc/applications/transfer/v1/{query,token}.proto`.

use ibc_proto::ibc::applications::transfer::v1::{
    query_client::QueryClient, QueryDenomTraceRequest,
};
use stateset_packet_handlers::ics20::DenomTrace;

use crate::chain::error::ChainError;
use crate::chain::grpc::{grpc_client, GrpcClient};

/// `ibc.applications.transfer.v1.QueryDenomRequest` (ibc-go v10).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryDenomRequest {
    /// The denom's hash (`ibc/{hash}` without the prefix) or the full denom.
    #[prost(string, tag = "1")]
    pub hash: String,
}

/// `ibc.applications.transfer.v1.QueryDenomResponse` (ibc-go v10).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryDenomResponse {
    /// The denom.
    #[prost(message, optional, tag = "1")]
    pub denom: Option<Denom>,
}

/// `ibc.applications.transfer.v1.Denom` (ibc-go v10): a base denom and its hops.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Denom {
    /// The base denomination.
    #[prost(string, tag = "1")]
    pub base: String,
    /// The hops it took, the latest first.
    #[prost(message, repeated, tag = "3")]
    pub trace: Vec<Hop>,
}

/// `ibc.applications.transfer.v1.Hop`: a port and channel the token went through.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Hop {
    /// The port id.
    #[prost(string, tag = "1")]
    pub port_id: String,
    /// The channel id.
    #[prost(string, tag = "2")]
    pub channel_id: String,
}

impl Denom {
    /// The same denom as a v1 trace (`transfer/channel-1/transfer/channel-0` + base).
    pub fn to_trace(&self) -> DenomTrace {
        let path = self
            .trace
            .iter()
            .map(|h| format!("{}/{}", h.port_id, h.channel_id))
            .collect::<Vec<_>>()
            .join("/");
        DenomTrace {
            path,
            base_denom: self.base.clone(),
        }
    }
}

impl GrpcClient {
    /// The trace of `ibc/{hash}`: `DenomTrace` where the chain has it, else `Denom`.
    pub async fn denom_trace(&self, hash: &str) -> Result<Option<DenomTrace>, ChainError> {
        let name = "transfer.DenomTrace";
        let answer = grpc_client!(QueryClient, self)
            .denom_trace(QueryDenomTraceRequest { hash: hash.into() })
            .await;
        match answer {
            Ok(resp) => Ok(resp.into_inner().denom_trace.map(|t| DenomTrace {
                path: t.path,
                base_denom: t.base_denom,
            })),
            Err(s)
                if s.code() == tonic::Code::Unimplemented
                    || s.message().contains("unknown method") =>
            {
                let req = QueryDenomRequest { hash: hash.into() };
                let resp: QueryDenomResponse = self
                    .unary("/ibc.applications.transfer.v1.Query/Denom", req)
                    .await
                    .map_err(self.status_error("transfer.Denom"))?;
                Ok(resp.denom.map(|d| d.to_trace()))
            }
            Err(s) => Err(self.status_error(name)(s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v10_denom_is_the_same_trace() {
        let denom = Denom {
            base: "stake".into(),
            trace: vec![
                Hop {
                    port_id: "transfer".into(),
                    channel_id: "channel-1".into(),
                },
                Hop {
                    port_id: "transfer".into(),
                    channel_id: "channel-0".into(),
                },
            ],
        };
        let trace = denom.to_trace();
        assert_eq!(trace.path, "transfer/channel-1/transfer/channel-0");
        assert_eq!(
            trace.full_path(),
            "transfer/channel-1/transfer/channel-0/stake"
        );
        assert_eq!(
            Denom {
                base: "stake".into(),
                trace: vec![]
            }
            .to_trace()
            .full_path(),
            "stake"
        );
    }
}
