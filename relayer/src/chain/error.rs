//! Errors of the chain endpoint.

use std::time::Duration;

use crate::chain::proof::ProofError;
use crate::chain::tx::TxError;

/// What went wrong while talking to one chain.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// A CometBFT RPC call failed (transport, HTTP status, or JSON-RPC error).
    #[error("{chain}: RPC {method} failed: {}", rpc_text(source))]
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
    /// The key could not sign (a PKCS#11 token away, a refused PIN): nothing was broadcast.
    #[error("{chain}: signing failed: {source}")]
    Signer {
        /// Chain id.
        chain: String,
        /// The signer's error.
        #[source]
        source: crate::keys::SignerError,
    },
}

impl ChainError {
    /// True for failures that may go away on their own (network, node overload),
    /// so that retrying with backoff makes sense.
    pub fn is_transient(&self) -> bool {
        match self {
            ChainError::Rpc { source, .. } => rpc_error_is_transient(source),
            ChainError::GrpcConnect { .. } => true,
            ChainError::Grpc { code, message, .. } => grpc_is_transient(*code, message),
            ChainError::Timeout { .. } => true,
            ChainError::Tx { source, .. } => source.is_transient(),
            _ => false,
        }
    }

    /// True when a call failed on a kept-alive connection the other end had closed (the
    /// request went out on it and the connection died before any answer): after a
    /// network fault every pooled connection fails like this once, and a new connection
    /// works at once, so such a failure is retried without a backoff.
    pub fn is_stale_connection(&self) -> bool {
        let ChainError::Rpc { source, .. } = self else {
            return false;
        };
        let text = rpc_text(source);
        STALE_CONNECTION.iter().any(|s| text.contains(s))
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
            ChainError::Signer { .. } => "signer",
        }
    }
}

/// Whether a gRPC failure with `code` and `message` is the transport's (a dropped or reset
/// connection, a node busy or unreachable) rather than the node's answer. tonic reports a
/// broken connection as `Unknown` "transport error", `Cancelled`, or `Internal` "h2 protocol
/// error"; the SDK reports a failed simulation or query as `Unknown` with the app's error,
/// which is an answer and not transient.
pub fn grpc_is_transient(code: tonic::Code, message: &str) -> bool {
    use tonic::Code;
    match code {
        Code::Unavailable
        | Code::DeadlineExceeded
        | Code::Cancelled
        | Code::ResourceExhausted
        | Code::Aborted => true,
        Code::Unknown | Code::Internal => is_transport_message(message),
        _ => false,
    }
}

/// Texts tonic, hyper and h2 put in the status of a call the connection failed.
const TRANSPORT_MESSAGES: [&str; 11] = [
    "transport error",
    "h2 protocol error",
    "connection reset",
    "connection refused",
    "connection closed",
    "broken pipe",
    "error trying to connect",
    "operation was canceled",
    "error reading a body from connection",
    "unexpected end of file",
    "stream no longer needed",
];

fn is_transport_message(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    TRANSPORT_MESSAGES.iter().any(|m| lower.contains(m))
}

/// A `tendermint-rpc` error as one line: its causes joined by `: `, without the backtrace
/// its `Display` would print when `RUST_BACKTRACE` is set.
pub fn rpc_text(err: &tendermint_rpc::Error) -> String {
    format!("{:#}", err.trace())
}

/// How hyper reports a request sent on a pooled connection that the peer had closed or
/// reset (see [`ChainError::is_stale_connection`]).
const STALE_CONNECTION: [&str; 3] = [
    "connection closed before message completed",
    "Connection reset by peer",
    "Broken pipe",
];

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

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    fn grpc(code: Code, message: &str) -> ChainError {
        ChainError::Grpc {
            chain: "c".into(),
            method: "tx.Simulate",
            code,
            message: message.into(),
        }
    }

    #[test]
    fn transport_failures_of_grpc_calls_are_transient() {
        for (code, message) in [
            (Code::Unknown, "transport error"),
            (Code::Cancelled, "operation was canceled"),
            (Code::Cancelled, ""),
            (
                Code::Unavailable,
                "error trying to connect: tcp connect error",
            ),
            (Code::DeadlineExceeded, "Timeout expired"),
            (
                Code::Internal,
                "h2 protocol error: error reading a body from connection",
            ),
            (Code::Unknown, "Connection reset by peer (os error 104)"),
            (Code::ResourceExhausted, "too many requests"),
        ] {
            assert!(grpc(code, message).is_transient(), "{code:?} {message}");
        }
    }

    #[test]
    fn answers_of_the_node_are_not_transient() {
        for (code, message) in [
            (
                Code::Unknown,
                "failed to execute message; message index: 0: client state height < proof height",
            ),
            (Code::Internal, "panic in query handler"),
            (Code::InvalidArgument, "transport error"),
            (Code::NotFound, "account not found"),
        ] {
            assert!(!grpc(code, message).is_transient(), "{code:?} {message}");
        }
    }

    #[test]
    fn a_request_on_a_connection_the_peer_closed_is_a_stale_connection() {
        let rpc = |text: &str| ChainError::Rpc {
            chain: "c".into(),
            method: "block_results",
            source: Box::new(tendermint_rpc::Error::client_internal(text.into())),
        };
        let stale = rpc("error sending request for url (http://127.0.0.1:1/): connection closed before message completed");
        assert!(stale.is_stale_connection() && stale.is_transient());
        assert!(rpc("Connection reset by peer (os error 104)").is_stale_connection());
        assert!(!rpc("connection refused").is_stale_connection());
        assert!(!grpc(
            Code::Unavailable,
            "connection closed before message completed"
        )
        .is_stale_connection());
    }

    #[test]
    fn rpc_errors_print_on_one_line_without_a_backtrace() {
        let e = tendermint_rpc::Error::client_internal("boom".into());
        let text = rpc_text(&e);
        assert!(text.contains("boom"), "{text}");
        assert!(
            !text.contains("backtrace") && !text.contains('\n'),
            "{text}"
        );
        let chain = ChainError::Rpc {
            chain: "c".into(),
            method: "status",
            source: Box::new(e),
        };
        assert!(!chain.to_string().contains("Location"), "{chain}");
    }
}
