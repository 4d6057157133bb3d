//! Unit tests of the misbehaviour watcher.
use super::*;

fn header(height: u64, seconds: i64) -> Header {
    let hash = |b| Hash::Sha256([b; 32]);
    Header {
        version: tendermint::block::header::Version { block: 11, app: 0 },
        chain_id: "partner-e2e-2".parse().unwrap(),
        height: TmHeight::try_from(height).unwrap(),
        time: tendermint::Time::from_unix_timestamp(seconds, 0).unwrap(),
        last_block_id: None,
        last_commit_hash: None,
        data_hash: None,
        validators_hash: hash(1),
        next_validators_hash: hash(1),
        consensus_hash: hash(2),
        app_hash: tendermint::AppHash::try_from(vec![3; 32]).unwrap(),
        last_results_hash: None,
        evidence_hash: None,
        proposer_address: tendermint::account::Id::new([4; 20]),
    }
}

fn tm_header(h: &Header, trusted: u64) -> TmHeader {
    let signed = tendermint_proto::types::SignedHeader {
        header: Some(h.clone().into()),
        commit: None,
    };
    let trusted = ProtoHeight {
        revision_number: 2,
        revision_height: trusted,
    };
    TmHeader {
        signed_header: Some(signed),
        trusted_height: Some(trusted),
        ..TmHeader::default()
    }
}

const OURS: &str = "07-tendermint-0";

fn update(client_id: &str, message: Any, signer: &str) -> Any {
    let client_message = Some(message);
    let (client_id, signer) = (client_id.into(), signer.into());
    let msg = MsgUpdateClient {
        client_id,
        client_message,
        signer,
    };
    encode_any(&msg)
}

fn tx(messages: Vec<Any>) -> Vec<u8> {
    let body_bytes = TxBody {
        messages,
        ..TxBody::default()
    }
    .encode_to_vec();
    TxRaw {
        body_bytes,
        ..TxRaw::default()
    }
    .encode_to_vec()
}

#[test]
fn the_headers_of_one_client_are_read_from_a_tx_body() {
    let block = header(20, 1_000);
    let (ours, other) = (tm_header(&block, 5), tm_header(&header(21, 1_001), 5));
    let send = Any {
        type_url: "/cosmos.bank.v1beta1.MsgSend".into(),
        value: vec![1],
    };
    let evidence = misbehaviour_msg(OURS, ours.clone(), ours.clone(), "x");
    let evidence = MsgUpdateClient::decode(evidence.value.as_slice()).unwrap();
    let bytes = tx(vec![
        send,
        update("07-tendermint-1", encode_any(&other), "cosmos1other"),
        update(OURS, encode_any(&ours), "cosmos1forger"),
        update(OURS, evidence.client_message.unwrap(), "cosmos1judge"),
    ]);
    let found = submitted_headers(&bytes, OURS);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].header.clone(), found[0].signer.as_str()),
        (ours, "cosmos1forger")
    );
    let decoded = domain_header(&found[0].header).expect("decodes");
    assert_eq!((decoded.hash(), &decoded), (block.hash(), &block));
    let theirs = submitted_headers(&bytes, "07-tendermint-1");
    assert_eq!(theirs[0].signer, "cosmos1other");
    assert!(submitted_headers(&bytes, "07-tendermint-9").is_empty());
    assert!(submitted_headers(b"\xff\xff not a tx", OURS).is_empty());
}

#[test]
fn the_misbehaviour_is_an_update_client_message_with_both_headers() {
    let (h1, h2) = (
        tm_header(&header(30, 1_000), 7),
        tm_header(&header(30, 1_005), 7),
    );
    let any = misbehaviour_msg("07-tendermint-3", h1.clone(), h2.clone(), "cosmos1relayer");
    assert_eq!(any.type_url, "/ibc.core.client.v1.MsgUpdateClient");
    let msg = MsgUpdateClient::decode(any.value.as_slice()).unwrap();
    assert_eq!(msg.client_id, "07-tendermint-3");
    assert_eq!(msg.signer, "cosmos1relayer");
    let inner = msg.client_message.unwrap();
    assert_eq!(
        inner.type_url,
        "/ibc.lightclients.tendermint.v1.Misbehaviour"
    );
    let evidence = Misbehaviour::decode(inner.value.as_slice()).unwrap();
    #[allow(deprecated)]
    let id = evidence.client_id.clone();
    assert_eq!(id, "07-tendermint-3");
    assert_eq!((evidence.header_1, evidence.header_2), (Some(h1), Some(h2)));
}

#[test]
fn only_another_block_at_the_same_height_is_a_conflict() {
    let (real, forged) = (header(40, 1_000), header(40, 1_003));
    assert_eq!(judge(&real, Some(&real.clone())), HeaderVerdict::Matches);
    assert_eq!(judge(&real, None), HeaderVerdict::SourceBehind);
    assert_ne!(forged.hash(), real.hash());
    let verdict = judge(&forged, Some(&real));
    assert_eq!(verdict, HeaderVerdict::Conflict(forged.hash(), real.hash()));
    // Any field makes another block: here the app hash after other txs.
    let mut other_state = real.clone();
    other_state.app_hash = tendermint::AppHash::try_from(vec![9; 32]).unwrap();
    let verdict = judge(&other_state, Some(&real));
    assert_eq!(
        verdict,
        HeaderVerdict::Conflict(other_state.hash(), real.hash())
    );
}

#[test]
fn a_bounded_scan_resumes_below_its_last_tx() {
    assert_eq!(resume_height(Some(50), 10, 90, true), 90);
    assert_eq!(resume_height(None, 10, 90, false), 90);
    assert_eq!(resume_height(Some(50), 10, 90, false), 49);
    // Never stuck at `from`: a height with more txs than a scan reads is passed.
    assert_eq!(resume_height(Some(11), 10, 90, false), 11);
}
