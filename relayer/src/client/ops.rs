//! Client operations on live chains: create, find, summarize and update.

use std::time::Duration;

use ibc_proto::google::protobuf::Any;
use ibc_proto::ibc::lightclients::tendermint::v1::{
    ClientState as TmClientState, ConsensusState as TmConsensusState,
};
use stateset_channels::events::{parse_abci_event, IbcEvent};
use tendermint::block::Height as TmHeight;
use tendermint::Time;
use tendermint_light_client_verifier::types::{LightBlock, TrustThreshold};

use super::light_block::LightBlockSource;
use super::msgs::{create_client_msg, update_client_msgs, ClientParams};
use super::state::{decode_client_state, decode_consensus_state, proto_duration, ClientSummary};
use super::verify::{verify_to_target, VerifyOptions};
use super::{ClientError, ClientStatus};
use crate::chain::tx::MEMO;
use crate::chain::{ChainEndpoint, ChainError, TxResult};

/// The host chain's clock: the time of its latest block.
pub async fn host_time(host: &ChainEndpoint) -> Result<Time, ChainError> {
    Ok(host.rpc().status().await?.sync_info.latest_block_time)
}

/// A client's states as its host stores them.
struct ClientStates {
    state: TmClientState,
    consensus: TmConsensusState,
}

/// `client_id`'s 07-tendermint client state as `host` stores it.
async fn read_client_state(
    host: &ChainEndpoint,
    client_id: &str,
) -> Result<TmClientState, ClientError> {
    let any = host
        .grpc()
        .client_state(client_id, None)
        .await?
        .ok_or_else(|| ClientError::NotFound {
            host: host.id().to_string(),
            client_id: client_id.to_string(),
        })?;
    let bad = |detail: String| ClientError::Decode {
        client_id: client_id.to_string(),
        detail,
    };
    decode_client_state(&any)
        .map_err(|e| bad(e.to_string()))?
        .ok_or_else(|| bad(format!("{} is not a 07-tendermint client", any.type_url)))
}

async fn client_states(host: &ChainEndpoint, client_id: &str) -> Result<ClientStates, ClientError> {
    let bad = |detail: String| ClientError::Decode {
        client_id: client_id.to_string(),
        detail,
    };
    let state = read_client_state(host, client_id).await?;
    let latest = state
        .latest_height
        .ok_or_else(|| bad("no latest height".into()))?;
    let consensus = host
        .grpc()
        .consensus_state(client_id, latest.revision_number, latest.revision_height)
        .await?
        .ok_or_else(|| {
            bad(format!(
                "no consensus state at its latest height {latest:?}"
            ))
        })?;
    let consensus = decode_consensus_state(&consensus).map_err(|e| bad(e.to_string()))?;
    Ok(ClientStates { state, consensus })
}

/// The status of `client_id` on `host`, judged by the host chain's clock.
pub async fn summarize(
    host: &ChainEndpoint,
    client_id: &str,
) -> Result<ClientSummary, ClientError> {
    let (states, now) = tokio::try_join!(client_states(host, client_id), async {
        host_time(host).await.map_err(ClientError::from)
    })?;
    ClientSummary::new(client_id, &states.state, &states.consensus, now)
}

/// Every 07-tendermint client on `host` that tracks `tracked_chain_id`, with its status.
pub async fn find_clients(
    host: &ChainEndpoint,
    tracked_chain_id: &str,
) -> Result<Vec<ClientSummary>, ClientError> {
    let all = host.grpc().client_states().await?;
    let mut found = Vec::new();
    for identified in all {
        let Some(any) = identified.client_state.as_ref() else {
            continue;
        };
        match decode_client_state(any) {
            Ok(Some(state)) if state.chain_id == tracked_chain_id => {
                found.push(summarize(host, &identified.client_id).await?);
            }
            _ => {}
        }
    }
    found.sort_by_key(|c| client_sequence(&c.client_id));
    Ok(found)
}

/// The number at the end of a client id (`07-tendermint-12` → 12).
pub fn client_sequence(client_id: &str) -> u64 {
    client_id
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Creates a client of `source` on `host` and returns its id.
///
/// The trusting period is `trusting_period`, else the source chain's configured one, else
/// 2/3 of its unbonding period (read from its staking params with a proof); it must be
/// below the latter.
pub async fn create_client(
    host: &ChainEndpoint,
    source: &ChainEndpoint,
    trusting_period: Option<Duration>,
) -> Result<(String, TxResult), ClientError> {
    let unbonding = source.proven_unbonding_time().await?;
    let trusting = trusting_period
        .or(source.config().trusting_period)
        .unwrap_or(unbonding * 2 / 3);
    if trusting >= unbonding {
        return Err(ClientError::TrustingPeriod {
            chain: source.id().to_string(),
            trusting,
            unbonding,
        });
    }
    let latest = source.rpc().latest_height().await?;
    // The header a client starts from is verified by the relayer's own light client of the
    // source (commit, validator sets and signatures; confirmed by its witnesses).
    let header = source.wait_for_header(latest).await?;
    let threshold = &source.config().trust_threshold;
    let params = ClientParams {
        trust_threshold: (threshold.numerator, threshold.denominator),
        trusting_period: trusting,
        unbonding_period: unbonding,
        // Both clocks may drift, and the host's next block may take up to its max block time.
        max_clock_drift: source.config().clock_drift
            + host.config().clock_drift
            + host.config().max_block_time,
    };
    let signer = signer(host)?;
    let result = host
        .send_msgs(vec![create_client_msg(&header, &params, &signer)], MEMO)
        .await?;
    let client_id = result
        .events
        .iter()
        .find_map(|e| match parse_abci_event(e) {
            Ok(Some(IbcEvent::CreateClient { client_id, .. })) => Some(client_id.to_string()),
            _ => None,
        })
        .ok_or_else(|| ClientError::Decode {
            client_id: "(new)".into(),
            detail: format!("tx {} has no create_client event", result.hash),
        })?;
    Ok((client_id, result))
}

/// The relayer's address on `host`, required to sign.
pub(crate) fn signer(host: &ChainEndpoint) -> Result<String, ChainError> {
    host.signer_address()
        .map(str::to_string)
        .ok_or_else(|| ChainError::Key {
            chain: host.id().to_string(),
            source: crate::keys::KeyError::NotLoaded,
        })
}

/// The messages that bring a client to a target height, and what they do.
#[derive(Clone, Debug)]
pub struct UpdatePlan {
    /// MsgUpdateClient messages, in order.
    pub msgs: Vec<Any>,
    /// The client's height before.
    pub trusted_height: u64,
    /// The height it will have after.
    pub target_height: u64,
}

/// Verifies the tracked chain's headers from `client_id`'s latest height up to `target`
/// and returns the MsgUpdateClient messages that take the client there; `None` when the
/// client already has a consensus state at `target`.
pub async fn update_msgs<S: LightBlockSource>(
    host: &ChainEndpoint,
    source: &S,
    source_chain_id: &str,
    client_id: &str,
    target: TmHeight,
) -> Result<Option<UpdatePlan>, ClientError> {
    let (states, now) = tokio::try_join!(client_states(host, client_id), async {
        host_time(host).await.map_err(ClientError::from)
    })?;
    let summary = ClientSummary::new(client_id, &states.state, &states.consensus, now)?;
    if summary.tracked_chain_id != source_chain_id {
        return Err(ClientError::WrongChain {
            host: host.id().to_string(),
            client_id: client_id.to_string(),
            tracked: summary.tracked_chain_id,
            expected: source_chain_id.to_string(),
        });
    }
    if summary.status != ClientStatus::Active {
        return Err(ClientError::NotActive {
            host: host.id().to_string(),
            client_id: client_id.to_string(),
            status: summary.status,
        });
    }
    let latest = summary.latest_height.revision_height;
    if latest >= target.value() {
        let (rev, h) = (summary.latest_height.revision_number, target.value());
        if latest == h
            || host
                .grpc()
                .consensus_state(client_id, rev, h)
                .await?
                .is_some()
        {
            return Ok(None);
        }
        // A client already past the height wanted (another party updated it, or it claims a
        // height the chain never reached): it cannot be taken back to `target` from its
        // latest state. Say so instead of updating it somewhere else.
        return Err(ClientError::Ahead {
            host: host.id().to_string(),
            client_id: client_id.to_string(),
            client_height: latest,
            target: h,
        });
    }
    let trusted_height = TmHeight::try_from(latest).map_err(|e| ClientError::Decode {
        client_id: client_id.to_string(),
        detail: e.to_string(),
    })?;
    let trusted = source.light_block(trusted_height).await?;
    check_trusted(source_chain_id, client_id, &trusted, &states.consensus)?;
    let level = states.state.trust_level.unwrap_or_default();
    let options = VerifyOptions {
        trust_threshold: TrustThreshold::new(level.numerator, level.denominator).map_err(|e| {
            ClientError::Decode {
                client_id: client_id.to_string(),
                detail: format!("trust level: {e}"),
            }
        })?,
        trusting_period: summary.trusting_period,
        clock_drift: proto_duration(states.state.max_clock_drift.as_ref()).unwrap_or_default(),
        now,
    };
    let target = match super::light_block::next_height(trusted_height) {
        Some(next) => target.max(next),
        None => target,
    };
    let headers =
        verify_to_target(source, source_chain_id, trusted.clone(), target, &options).await?;
    source.confirm(&headers).await?;
    let signer = signer(host)?;
    Ok(Some(UpdatePlan {
        msgs: update_client_msgs(client_id, &trusted, &headers, &signer),
        trusted_height: latest,
        target_height: target.value(),
    }))
}

/// The tracked chain's block at the trusted height must be the one the client stores.
fn check_trusted(
    chain: &str,
    client_id: &str,
    trusted: &LightBlock,
    consensus: &TmConsensusState,
) -> Result<(), ClientError> {
    let header = &trusted.signed_header.header;
    let mismatch = |detail: &str| ClientError::TrustedMismatch {
        chain: chain.to_string(),
        client_id: client_id.to_string(),
        height: header.height.value(),
        detail: detail.to_string(),
    };
    let root = consensus.root.as_ref().map(|r| r.hash.as_slice());
    if root != Some(header.app_hash.as_bytes()) {
        return Err(mismatch("app hash"));
    }
    if consensus.next_validators_hash != header.next_validators_hash.as_bytes() {
        return Err(mismatch("next validators hash"));
    }
    // The validator sets served with the header must be the ones it commits to: the
    // verifier trusts `next_validators` as given.
    if trusted.validators.hash() != header.validators_hash {
        return Err(mismatch(
            "validator set served does not hash to the header's",
        ));
    }
    if trusted.next_validators.hash() != header.next_validators_hash {
        return Err(mismatch(
            "next validator set served does not hash to the header's",
        ));
    }
    let time: tendermint_proto::google::protobuf::Timestamp = header.time.into();
    let stored = consensus.timestamp.unwrap_or_default();
    if (stored.seconds, stored.nanos) != (time.seconds, time.nanos) {
        return Err(mismatch("timestamp"));
    }
    Ok(())
}

/// Updates `client_id` on `host` to `target` (default: the source's latest height) with
/// headers verified first. Returns the plan and the tx, or `None` when nothing was needed.
pub async fn update_client<S: LightBlockSource>(
    host: &ChainEndpoint,
    source: &S,
    source_chain_id: &str,
    client_id: &str,
    target: TmHeight,
) -> Result<Option<(UpdatePlan, TxResult)>, ClientError> {
    let Some(plan) = update_msgs(host, source, source_chain_id, client_id, target).await? else {
        return Ok(None);
    };
    let result = host.send_msgs(plan.msgs.clone(), MEMO).await?;
    Ok(Some((plan, result)))
}

/// The ids of every 07-tendermint client on `host` that tracks `tracked_chain_id`
/// (one query; no status).
pub async fn clients_tracking(
    host: &ChainEndpoint,
    tracked_chain_id: &str,
) -> Result<Vec<String>, ChainError> {
    Ok(host
        .grpc()
        .client_states()
        .await?
        .into_iter()
        .filter(|c| {
            c.client_state
                .as_ref()
                .and_then(|any| decode_client_state(any).ok().flatten())
                .is_some_and(|s| s.chain_id == tracked_chain_id)
        })
        .map(|c| c.client_id)
        .collect())
}
