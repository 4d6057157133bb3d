//! 07-tendermint client messages: the states of a new client and the headers of an update.

use std::time::Duration;

use ibc_proto::google::protobuf::Any;
use ibc_proto::ibc::core::client::v1::{Height as ProtoHeight, MsgCreateClient, MsgUpdateClient};
use ibc_proto::ibc::core::commitment::v1::MerkleRoot;
use ibc_proto::ibc::lightclients::tendermint::v1::{
    ClientState as TmClientState, ConsensusState as TmConsensusState, Fraction, Header as TmHeader,
};
use stateset_channels::ids::parse_revision_number;
use tendermint::block::Header;
use tendermint_light_client_verifier::types::LightBlock;

use super::state::to_proto_duration;
use crate::chain::proof::sdk_proof_specs;
use crate::chain::tx::encode_any;

/// The parameters of a new client.
#[derive(Clone, Debug)]
pub struct ClientParams {
    /// Trust threshold numerator/denominator.
    pub trust_threshold: (u64, u64),
    /// Trusting period.
    pub trusting_period: Duration,
    /// The tracked chain's unbonding period.
    pub unbonding_period: Duration,
    /// Max clock drift.
    pub max_clock_drift: Duration,
}

/// The client state of a new client of `chain_id` whose latest header is `header`.
pub fn client_state(header: &Header, params: &ClientParams) -> TmClientState {
    let chain_id = header.chain_id.as_str();
    #[allow(deprecated)]
    TmClientState {
        chain_id: chain_id.to_string(),
        trust_level: Some(Fraction {
            numerator: params.trust_threshold.0,
            denominator: params.trust_threshold.1,
        }),
        trusting_period: Some(to_proto_duration(params.trusting_period)),
        unbonding_period: Some(to_proto_duration(params.unbonding_period)),
        max_clock_drift: Some(to_proto_duration(params.max_clock_drift)),
        frozen_height: Some(ProtoHeight::default()),
        latest_height: Some(proto_height(chain_id, header.height.value())),
        proof_specs: sdk_proof_specs(),
        upgrade_path: vec!["upgrade".into(), "upgradedIBCState".into()],
        allow_update_after_expiry: false,
        allow_update_after_misbehaviour: false,
    }
}

/// The consensus state a client stores for `header`.
pub fn consensus_state(header: &Header) -> TmConsensusState {
    let time: tendermint_proto::google::protobuf::Timestamp = header.time.into();
    TmConsensusState {
        timestamp: Some(ibc_proto::google::protobuf::Timestamp {
            seconds: time.seconds,
            nanos: time.nanos,
        }),
        root: Some(MerkleRoot {
            hash: header.app_hash.as_bytes().to_vec(),
        }),
        next_validators_hash: header.next_validators_hash.as_bytes().to_vec(),
    }
}

/// MsgCreateClient for a client of `header`'s chain.
pub fn create_client_msg(header: &Header, params: &ClientParams, signer: &str) -> Any {
    encode_any(&MsgCreateClient {
        client_state: Some(encode_any(&client_state(header, params))),
        consensus_state: Some(encode_any(&consensus_state(header))),
        signer: signer.to_string(),
    })
}

/// The IBC height of block `height` of `chain_id` (its revision from the chain id).
pub fn proto_height(chain_id: &str, height: u64) -> ProtoHeight {
    ProtoHeight {
        revision_number: parse_revision_number(chain_id),
        revision_height: height,
    }
}

/// MsgUpdateClient messages that take `client_id` from `trusted` through each of `headers`
/// in order (each header trusted from the previous one).
pub fn update_client_msgs(
    client_id: &str,
    trusted: &LightBlock,
    headers: &[LightBlock],
    signer: &str,
) -> Vec<Any> {
    let mut msgs = Vec::with_capacity(headers.len());
    let mut previous = trusted;
    for block in headers {
        let chain_id = block.signed_header.header.chain_id.as_str();
        let header = TmHeader {
            signed_header: Some(block.signed_header.clone().into()),
            validator_set: Some(block.validators.clone().into()),
            trusted_height: Some(proto_height(chain_id, previous.height().value())),
            trusted_validators: Some(previous.next_validators.clone().into()),
        };
        msgs.push(encode_any(&MsgUpdateClient {
            client_id: client_id.to_string(),
            client_message: Some(encode_any(&header)),
            signer: signer.to_string(),
        }));
        previous = block;
    }
    msgs
}
