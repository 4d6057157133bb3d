//! The staking parameters a light client is built on, read with a proof.
//!
//! A client's trusting period must stay below the tracked chain's unbonding period; a node
//! that lies about the latter could make the relayer create a client that trusts validators
//! after they could have unbonded. So the unbonding time is read from the staking store with
//! a proof verified against a header the relayer verified, not from an unproven gRPC answer.

use std::time::Duration;

use ibc_proto::cosmos::staking::v1beta1::Params;
use prost::Message;

use super::{ChainEndpoint, ChainError};

/// The staking module's store.
const STAKING_STORE: &str = "staking";

/// The key of the staking params (`ParamsKey = collections.NewPrefix(81)` in Cosmos SDK
/// 0.50 and later, `[]byte{0x51}` in 0.47).
const PARAMS_KEY: [u8; 1] = [0x51];

impl ChainEndpoint {
    /// The staking module's unbonding time, proven against a verified header.
    ///
    /// A chain without the key in its staking store (a consumer chain, say) is read over
    /// gRPC instead, with a warning.
    pub async fn proven_unbonding_time(&self) -> Result<Duration, ChainError> {
        let proven = self
            .query_proven_in(STAKING_STORE, &PARAMS_KEY, None)
            .await?;
        let Some(bytes) = proven.value else {
            tracing::warn!(
                chain = self.id(),
                "the staking store holds no params (proven absent); using the unproven gRPC answer"
            );
            return self.grpc().unbonding_time().await;
        };
        unbonding_from_params(self.id(), &bytes)
    }
}

/// The unbonding time in encoded staking `Params`.
pub fn unbonding_from_params(chain: &str, bytes: &[u8]) -> Result<Duration, ChainError> {
    let fail = |detail: String| ChainError::Decode {
        chain: chain.to_string(),
        method: "staking params (proven)",
        detail,
    };
    let params = Params::decode(bytes).map_err(|e| fail(e.to_string()))?;
    let unbonding = params
        .unbonding_time
        .ok_or_else(|| fail("no unbonding_time".into()))?;
    let seconds = u64::try_from(unbonding.seconds)
        .map_err(|_| fail(format!("negative unbonding_time {}s", unbonding.seconds)))?;
    let nanos = u32::try_from(unbonding.nanos)
        .ok()
        .filter(|n| *n < 1_000_000_000)
        .ok_or_else(|| fail(format!("unbonding_time nanos {}", unbonding.nanos)))?;
    Ok(Duration::new(seconds, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(seconds: i64, nanos: i32) -> Vec<u8> {
        Params {
            unbonding_time: Some(ibc_proto::google::protobuf::Duration { seconds, nanos }),
            max_validators: 100,
            bond_denom: "stake".into(),
            ..Params::default()
        }
        .encode_to_vec()
    }

    #[test]
    fn unbonding_time_is_decoded_from_the_proven_params() {
        let d = unbonding_from_params("a", &params(1_814_400, 5)).unwrap();
        assert_eq!(d, Duration::new(1_814_400, 5));
    }

    #[test]
    fn negative_or_absent_or_garbage_unbonding_time_is_an_error() {
        assert!(unbonding_from_params("a", &params(-1, 0)).is_err());
        assert!(unbonding_from_params("a", &params(1, -1)).is_err());
        assert!(unbonding_from_params("a", &Params::default().encode_to_vec()).is_err());
        assert!(unbonding_from_params("a", &[0xff, 0xff, 0xff]).is_err());
    }
}
