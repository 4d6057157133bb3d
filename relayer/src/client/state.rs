//! 07-tendermint client and consensus states as the host chain stores them, and the
//! client's status judged by the host chain's clock.

use std::time::Duration;

use ibc_proto::google::protobuf::Any;
use ibc_proto::ibc::lightclients::tendermint::v1::{
    ClientState as TmClientState, ConsensusState as TmConsensusState,
};
use prost::{Message, Name};
use stateset_channels::ids::Height;
use tendermint::Time;

use super::ClientError;

/// The type URL of a 07-tendermint client state.
pub const CLIENT_STATE_TYPE_URL: &str = "/ibc.lightclients.tendermint.v1.ClientState";

/// Decodes a 07-tendermint client state; `None` when the `Any` holds another client type.
pub fn decode_client_state(any: &Any) -> Result<Option<TmClientState>, prost::DecodeError> {
    if any.type_url != TmClientState::type_url() {
        return Ok(None);
    }
    TmClientState::decode(any.value.as_slice()).map(Some)
}

/// Decodes a 07-tendermint consensus state.
pub fn decode_consensus_state(any: &Any) -> Result<TmConsensusState, prost::DecodeError> {
    TmConsensusState::decode(any.value.as_slice())
}

/// Whether a client can still be updated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ClientStatus {
    /// Its latest consensus state is within the trusting period.
    Active,
    /// Its latest consensus state is older than the trusting period: it needs governance.
    Expired,
    /// Misbehaviour was submitted: it needs governance.
    Frozen,
}

impl std::fmt::Display for ClientStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ClientStatus::Active => "Active",
            ClientStatus::Expired => "Expired",
            ClientStatus::Frozen => "Frozen",
        })
    }
}

/// What the relayer needs to know of one 07-tendermint client.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ClientSummary {
    /// The client id on the host chain.
    pub client_id: String,
    /// The chain the client tracks.
    pub tracked_chain_id: String,
    /// The client's latest height.
    pub latest_height: Height,
    /// The trusting period.
    #[serde(with = "humantime_serde")]
    pub trusting_period: Duration,
    /// The trust threshold as `numerator/denominator`.
    pub trust_level: String,
    /// Whether it was frozen by misbehaviour.
    pub frozen: bool,
    /// The timestamp of the consensus state at `latest_height`.
    pub latest_timestamp: Time,
    /// The host chain's latest block time the status was judged at.
    pub host_time: Time,
    /// Active, Expired or Frozen.
    pub status: ClientStatus,
    /// Time left until it expires (zero when expired).
    #[serde(with = "humantime_serde")]
    pub time_left: Duration,
}

impl ClientSummary {
    /// Builds the summary of `client_id` from its states and the host's latest block time.
    pub fn new(
        client_id: &str,
        state: &TmClientState,
        consensus: &TmConsensusState,
        host_time: Time,
    ) -> Result<Self, ClientError> {
        let bad = |detail: &str| ClientError::Decode {
            client_id: client_id.to_string(),
            detail: detail.to_string(),
        };
        let latest_height: Height = state
            .latest_height
            .ok_or_else(|| bad("no latest height"))?
            .into();
        let frozen = state
            .frozen_height
            .is_some_and(|h| h.revision_height != 0 || h.revision_number != 0);
        let trusting_period = proto_duration(state.trusting_period.as_ref())
            .ok_or_else(|| bad("no trusting period"))?;
        let ts = consensus
            .timestamp
            .ok_or_else(|| bad("consensus state without timestamp"))?;
        let latest_timestamp = Time::from_unix_timestamp(ts.seconds, ts.nanos.max(0) as u32)
            .map_err(|e| bad(&format!("consensus timestamp: {e}")))?;
        let time_left = time_left(latest_timestamp, trusting_period, host_time);
        let status = if frozen {
            ClientStatus::Frozen
        } else if time_left.is_zero() {
            ClientStatus::Expired
        } else {
            ClientStatus::Active
        };
        let trust_level = state
            .trust_level
            .as_ref()
            .map(|f| format!("{}/{}", f.numerator, f.denominator))
            .unwrap_or_default();
        Ok(Self {
            client_id: client_id.to_string(),
            tracked_chain_id: state.chain_id.clone(),
            latest_height,
            trusting_period,
            trust_level,
            frozen,
            latest_timestamp,
            host_time,
            status,
            time_left,
        })
    }

    /// Whether the client should be refreshed now: `fraction` of its trusting period
    /// has passed since its latest consensus state (by the host chain's clock).
    pub fn refresh_due(&self, fraction: f64) -> bool {
        let elapsed = elapsed(self.latest_timestamp, self.host_time);
        // Never a panic: the trusting period comes from the chain, the fraction from the config.
        let due = Duration::try_from_secs_f64(self.trusting_period.as_secs_f64() * fraction)
            .unwrap_or(Duration::MAX);
        elapsed >= due
    }
}

/// How long after `from` `to` is (zero when it is before).
fn elapsed(from: Time, to: Time) -> Duration {
    to.duration_since(from).unwrap_or_default()
}

/// Time left in a trusting period that started at `consensus_time`, at `host_time`.
/// ibc-go judges a client expired when `consensus_time + trusting_period <= host_time`.
pub fn time_left(consensus_time: Time, trusting_period: Duration, host_time: Time) -> Duration {
    trusting_period.saturating_sub(elapsed(consensus_time, host_time))
}

/// A protobuf duration as a `Duration`.
pub fn proto_duration(d: Option<&ibc_proto::google::protobuf::Duration>) -> Option<Duration> {
    d.map(|d| Duration::new(d.seconds.max(0) as u64, d.nanos.max(0) as u32))
}

/// A `Duration` as a protobuf duration.
pub fn to_proto_duration(d: Duration) -> ibc_proto::google::protobuf::Duration {
    ibc_proto::google::protobuf::Duration {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Time {
        Time::from_unix_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    fn states(frozen: bool, ts: i64, period: u64) -> (TmClientState, TmConsensusState) {
        let cs = TmClientState {
            chain_id: "b-1".into(),
            trusting_period: Some(to_proto_duration(Duration::from_secs(period))),
            latest_height: Some(ibc_proto::ibc::core::client::v1::Height {
                revision_number: 1,
                revision_height: 50,
            }),
            frozen_height: frozen.then_some(ibc_proto::ibc::core::client::v1::Height {
                revision_number: 0,
                revision_height: 1,
            }),
            ..Default::default()
        };
        let cons = TmConsensusState {
            timestamp: Some(ibc_proto::google::protobuf::Timestamp {
                seconds: 1_700_000_000 + ts,
                nanos: 0,
            }),
            ..Default::default()
        };
        (cs, cons)
    }

    #[test]
    fn active_until_the_trusting_period_has_passed_then_expired() {
        let (cs, cons) = states(false, 0, 60);
        let s = ClientSummary::new("07-tendermint-0", &cs, &cons, t(59)).unwrap();
        assert_eq!(s.status, ClientStatus::Active);
        assert_eq!(s.time_left, Duration::from_secs(1));
        let s = ClientSummary::new("07-tendermint-0", &cs, &cons, t(60)).unwrap();
        assert_eq!(s.status, ClientStatus::Expired);
        assert_eq!(s.time_left, Duration::ZERO);
    }

    #[test]
    fn frozen_wins_over_active() {
        let (cs, cons) = states(true, 0, 60);
        let s = ClientSummary::new("07-tendermint-0", &cs, &cons, t(1)).unwrap();
        assert_eq!(s.status, ClientStatus::Frozen);
    }

    #[test]
    fn refresh_is_due_after_the_configured_fraction() {
        let (cs, cons) = states(false, 0, 60);
        let s = ClientSummary::new("07-tendermint-0", &cs, &cons, t(19)).unwrap();
        assert!(!s.refresh_due(1.0 / 3.0));
        let s = ClientSummary::new("07-tendermint-0", &cs, &cons, t(20)).unwrap();
        assert!(s.refresh_due(1.0 / 3.0));
    }

    #[test]
    fn other_client_types_are_not_decoded() {
        let any = Any {
            type_url: "/ibc.lightclients.solomachine.v3.ClientState".into(),
            value: vec![],
        };
        assert!(decode_client_state(&any).unwrap().is_none());
        let any = Any {
            type_url: CLIENT_STATE_TYPE_URL.into(),
            value: TmClientState::default().encode_to_vec(),
        };
        assert!(decode_client_state(&any).unwrap().is_some());
    }
}
