//! Errors of the chain endpoint.

use std::time::Duration;

use crate::chain::proof::ProofError;
use crate::chain::tx::TxError;

/// What went wrong while talking to one chain.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// A CometBFT RPC call failed (transport, HTTP status, or JSON-RPC error).
    #[error("{chain}: RPC {method} failed: {source}")]
    Rpc {
        /// Chain id.
        chain: String,
        /// The RPC method, e.g. `abci_query`.
        method: &'static str,
        /// The underlying error.
        #[source]
        source: Box<tendermint_rpc::Error>,
    },
    /// The gRPC endpoint could not be reached.
    #[error("{chain}: cannot connect to gRPC endpoint {addr}: {source}")]
    GrpcConnect {
        /// Chain id.
        chain: String,
        /// The configured address.
        addr: String,
        /// The underlying error.
        #[source]
        source: tonic::transport::Error,
    },
    /// A gRPC call failed.
    #[error("{chain}: gRPC {method} failed: {code:?}: {message}")]
    Grpc {
        /// Chain id.
        chain: String,
        /// The gRPC method, e.g. `auth.Account`.
        method: &'static str,
        /// The gRPC status code.
        code: tonic::Code,
        /// The status message.
        message: String,
    },
    /// The chain answered with something this relayer cannot use.
    #[error("{chain}: unexpected answer to {method}: {detail}")]
    Decode {
        /// Chain id.
        chain: String,
        /// The call that returned it.
        method: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// Something the relayer asked for does not exist on the chain.
    #[error("{chain}: {what} not found")]
    NotFound {
        /// Chain id.
        chain: String,
        /// What was looked for.
        what: String,
    },
    /// Waiting for a condition took longer than allowed.
    #[error("{chain}: {what} did not happen within {after:?}")]
    Timeout {
        /// Chain id.
        chain: String,
        /// What was awaited.
        what: String,
        /// The deadline.
        after: Duration,
    },
    /// A transaction failed.
    #[error("{chain}: {source}")]
    Tx {
        /// Chain id.
        chain: String,
        /// The classified failure.
        #[source]
        source: TxError,
    },
    /// A proof could not be obtained or did not verify.
    #[error("{chain}: {source}")]
    Proof {
        /// Chain id.
        chain: String,
        /// What is wrong with the proof.
        #[source]
        source: ProofError,
    },
    /// The signing key could not be loaded.
    #[error("{chain}: {source}")]
    Key {
        /// Chain id.
        chain: String,
        /// The key error.
        #[source]
        source: crate::keys::KeyError,
    },
}

impl ChainError {
    /// True for failures that may go away on their own (network, node overload),
    /// so that retrying with backoff makes sense.
    pub fn is_transient(&self) -> bool {
        match self {
            ChainError::Rpc { source, .. } => rpc_error_is_transient(source),
            ChainError::GrpcConnect { .. } => true,
            ChainError::Grpc { code, .. } => matches!(
                code,
                tonic::Code::Unavailable
                    | tonic::Code::DeadlineExceeded
                    | tonic::Code::ResourceExhausted
                    | tonic::Code::Aborted
                    | tonic::Code::Unknown
            ),
            ChainError::Timeout { .. } => true,
            ChainError::Tx { source, .. } => source.is_transient(),
            _ => false,
        }
    }

    /// A short machine-friendly label of the error kind, used as a metric label.
    pub fn kind(&self) -> &'static str {
        match self {
            ChainError::Rpc { .. } => "rpc",
            ChainError::GrpcConnect { .. } => "grpc_connect",
            ChainError::Grpc { .. } => "grpc",
            ChainError::Decode { .. } => "decode",
            ChainError::NotFound { .. } => "not_found",
            ChainError::Timeout { .. } => "timeout",
            ChainError::Tx { source, .. } => source.reason(),
            ChainError::Proof { .. } => "proof",
            ChainError::Key { .. } => "key",
        }
    }
}

fn rpc_error_is_transient(err: &tendermint_rpc::Error) -> bool {
    use tendermint_rpc::error::ErrorDetail;
    match err.detail() {
        // A JSON-RPC error from the node is an answer, not an outage, except the
        // ones CometBFT returns while it is busy or behind.
        ErrorDetail::Response(e) => {
            let text = e.source.to_string();
            text.contains("timed out") || text.contains("too many") || text.contains("behind")
        }
        ErrorDetail::Serde(_) | ErrorDetail::ParseInt(_) | ErrorDetail::Parse(_) => false,
        _ => true,
    }
}
