//! What can go wrong in a relay cycle.

use crate::chain::ChainError;
use crate::client::ClientError;
use crate::handshake::DriveError;
use crate::store::StoreError;

/// What went wrong in a relay cycle.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// A chain could not be read or a tx failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A client could not be updated.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A chain's answer on the way to a client update could not be used (e.g. a client
    /// state that does not decode).
    #[error("{chain}: {detail}")]
    Unusable {
        /// The chain.
        chain: String,
        /// What is wrong.
        detail: String,
    },
}

impl From<DriveError> for RelayError {
    fn from(e: DriveError) -> Self {
        match e {
            DriveError::Chain(e) => RelayError::Chain(e),
            DriveError::Client(e) => RelayError::Client(e),
            DriveError::Unexpected { chain, detail } => RelayError::Unusable { chain, detail },
            // Handshake failures do not arise on the way to a client update; kept as text.
            other => RelayError::Unusable {
                chain: String::new(),
                detail: other.to_string(),
            },
        }
    }
}

impl RelayError {
    /// True for failures of the transport or of a busy node, which a retry soon can fix.
    pub fn is_transient(&self) -> bool {
        match self {
            RelayError::Chain(e) | RelayError::Client(ClientError::Chain(e)) => e.is_transient(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_failures_are_transient_refusals_are_not() {
        let grpc = |message: &str| ChainError::Grpc {
            chain: "c".into(),
            method: "tx.Simulate",
            code: tonic::Code::Unknown,
            message: message.into(),
        };
        assert!(RelayError::Chain(grpc("transport error")).is_transient());
        assert!(RelayError::Client(ClientError::Chain(grpc("transport error"))).is_transient());
        assert!(!RelayError::Chain(grpc("client state height < proof height")).is_transient());
        let unusable = RelayError::from(DriveError::unexpected("c", "a client state"));
        assert!(matches!(unusable, RelayError::Unusable { .. }));
        assert!(!unusable.is_transient());
    }
}
