//! Carrying v2 packets as classic ones, and the v2 messages and commitments built from them.

use prost::Message;

use super::*;
use crate::v2::channel::{Acknowledgement, Packet as V2Packet};
use crate::v2::golden_tests::{example_ack, example_packet};

/// A change to a carried packet.
type Change = fn(&mut events::Packet);

const SIGNER: &str = "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu";
const PROOF: [u8; 4] = [0xde, 0xad, 0xbe, 0xef];

fn height() -> Height {
    Height::new(1, 12345)
}

/// The classic packet the convention gives the golden example packet.
fn carried() -> events::Packet {
    events::Packet {
        sequence: 300,
        source_port: "ibc-v2".parse().unwrap(),
        source_channel: "07-tendermint-0".parse().unwrap(),
        destination_port: "ibc-v2".parse().unwrap(),
        destination_channel: "07-tendermint-1".parse().unwrap(),
        data: example_packet().encode_to_vec(),
        timeout_height: Height::new(0, 0),
        timeout_timestamp: 1_760_000_000_000_000_000,
        ordering: Some(Ordering::Unordered),
    }
}

/// A classic ICS-20 packet.
fn classic() -> events::Packet {
    events::Packet {
        source_port: "transfer".parse().unwrap(),
        destination_port: "transfer".parse().unwrap(),
        source_channel: ChannelId::new(0),
        destination_channel: ChannelId::new(7),
        data: br#"{"amount":"1"}"#.to_vec(),
        timeout_height: Height::new(1, 1000),
        ..carried()
    }
}

#[test]
fn the_v2_port_is_a_valid_port_id() {
    assert_eq!(V2_PORT.parse::<PortId>(), Ok(PortId::v2()));
}

#[test]
fn carry_follows_the_convention_and_v2_packet_undoes_it() {
    let packet = example_packet();
    let c = carry(&packet).unwrap();
    assert_eq!(c, carried());
    assert!(is_v2(&c));
    assert!(!is_v2(&classic()));
    assert_eq!(v2_packet(&c), Ok(packet.clone()));
    assert_eq!(payloads(&c), Ok(packet.payloads.clone()));
    // The ordering is not checked (a packet from a wire `Packet` has none).
    let unordered = events::Packet {
        ordering: None,
        ..c
    };
    assert_eq!(v2_packet(&unordered), Ok(packet));
}

#[test]
fn the_carried_timeout_is_in_nanoseconds_and_saturates() {
    let mut packet = example_packet();
    packet.timeout_timestamp = u64::MAX / 1_000_000_000 + 1;
    let c = carry(&packet).unwrap();
    assert_eq!(c.timeout_timestamp, u64::MAX);
    assert_eq!(v2_packet(&c), Ok(packet.clone()));
    packet.timeout_timestamp = 0;
    assert_eq!(carry(&packet).unwrap().timeout_timestamp, 0);
}

#[test]
fn carry_refuses_what_the_convention_cannot_carry() {
    let with = |change: fn(&mut V2Packet)| {
        let mut p = example_packet();
        change(&mut p);
        carry(&p)
    };
    assert_eq!(with(|p| p.sequence = 0), Err(V2PacketError::ZeroSequence));
    assert_eq!(with(|p| p.payloads.clear()), Err(V2PacketError::NoPayloads));
    for (change, client) in [
        (
            (|p| p.source_client = "a/b-cdefgh".into()) as fn(&mut V2Packet),
            "source_client",
        ),
        (
            |p| p.destination_client = "short".into(),
            "destination_client",
        ),
        (
            |p| p.destination_client = String::new(),
            "destination_client",
        ),
    ] {
        assert!(
            matches!(with(change), Err(V2PacketError::Client { field, .. }) if field == client),
            "{client}"
        );
    }
}

#[test]
fn v2_packet_refuses_classic_garbage_and_disagreeing_packets() {
    assert_eq!(
        v2_packet(&classic()),
        Err(V2PacketError::NotV2("transfer".into()))
    );
    let garbage = events::Packet {
        data: vec![0xff],
        ..carried()
    };
    assert!(matches!(v2_packet(&garbage), Err(V2PacketError::Data(_))));
    let empty = events::Packet {
        data: Vec::new(),
        ..carried()
    };
    assert_eq!(v2_packet(&empty), Err(V2PacketError::ZeroSequence));
    let changes: [(&str, Change); 6] = [
        ("sequence", |p| p.sequence += 1),
        ("destination_port", |p| {
            p.destination_port = "transfer".parse().unwrap()
        }),
        ("source_channel", |p| p.source_channel = ChannelId::new(0)),
        ("destination_channel", |p| {
            p.destination_channel = "07-tendermint-0".parse().unwrap()
        }),
        ("timeout_height", |p| p.timeout_height = Height::new(0, 1)),
        ("timeout_timestamp", |p| p.timeout_timestamp = 1_760_000_000),
    ];
    for (name, change) in changes {
        let mut p = carried();
        change(&mut p);
        assert!(
            matches!(v2_packet(&p), Err(V2PacketError::Mismatch { field, .. }) if field == name),
            "{name}: {:?}",
            v2_packet(&p)
        );
        assert!(v2_packet_commitment(&p).is_err());
        assert!(build_v2_recv_packet(&p, vec![], height(), SIGNER).is_err());
    }
}

#[test]
fn commitments_are_those_of_the_v2_packet_and_ack() {
    assert_eq!(
        v2_packet_commitment(&carried()),
        Ok(commit_packet(&example_packet()))
    );
    let ack = example_ack().encode_to_vec();
    assert_eq!(
        v2_ack_commitment(&ack),
        Ok(commit_acknowledgement(&example_ack()))
    );
    assert!(matches!(
        v2_ack_commitment(&[0x0a, 0x05]),
        Err(V2PacketError::Ack(_))
    ));
    assert!(matches!(
        v2_packet_commitment(&classic()),
        Err(V2PacketError::NotV2(_))
    ));
}

#[test]
fn recv_packet_carries_the_packet_proof_height_and_signer() {
    let msg = build_v2_recv_packet(&carried(), PROOF.to_vec(), height(), SIGNER).unwrap();
    let packet = msg.packet.clone().unwrap();
    assert_eq!(packet.encode_to_vec(), carried().data);
    assert_eq!(msg.proof_commitment, PROOF);
    assert_eq!(msg.proof_height, Some(height().into()));
    assert_eq!(msg.signer, SIGNER);
    assert!(matches!(
        build_v2_recv_packet(&classic(), PROOF.to_vec(), height(), SIGNER),
        Err(V2PacketError::NotV2(_))
    ));
}

#[test]
fn acknowledgement_carries_the_packet_ack_proof_height_and_signer() {
    let ack = example_ack().encode_to_vec();
    let msg = build_v2_acknowledgement(&carried(), &ack, PROOF.to_vec(), height(), SIGNER).unwrap();
    assert_eq!(msg.packet.clone().unwrap().encode_to_vec(), carried().data);
    assert_eq!(msg.acknowledgement, Some(example_ack()));
    assert_eq!(msg.acknowledgement.unwrap().encode_to_vec(), ack);
    assert_eq!(msg.proof_acked, PROOF);
    assert_eq!(msg.proof_height, Some(height().into()));
    assert_eq!(msg.signer, SIGNER);
    let bad_ack = build_v2_acknowledgement(&carried(), &[0xff], vec![], height(), SIGNER);
    assert!(matches!(bad_ack, Err(V2PacketError::Ack(_))));
    let classic_ack = build_v2_acknowledgement(&classic(), &ack, vec![], height(), SIGNER);
    assert!(matches!(classic_ack, Err(V2PacketError::NotV2(_))));
    // An empty acknowledgement is a valid encoding of one with no app acknowledgements.
    let empty = build_v2_acknowledgement(&carried(), &[], vec![], height(), SIGNER).unwrap();
    assert_eq!(empty.acknowledgement, Some(Acknowledgement::default()));
}

#[test]
fn timeout_carries_the_packet_proof_height_and_signer() {
    let msg = build_v2_timeout(&carried(), PROOF.to_vec(), height(), SIGNER).unwrap();
    assert_eq!(msg.packet.clone().unwrap().encode_to_vec(), carried().data);
    assert_eq!(msg.proof_unreceived, PROOF);
    assert_eq!(msg.proof_height, Some(height().into()));
    assert_eq!(msg.signer, SIGNER);
    let garbage = events::Packet {
        data: b"not a packet".to_vec(),
        ..carried()
    };
    assert!(build_v2_timeout(&garbage, vec![], height(), SIGNER).is_err());
    assert!(matches!(
        build_v2_timeout(&classic(), vec![], height(), SIGNER),
        Err(V2PacketError::NotV2(_))
    ));
}

#[test]
fn errors_say_what_is_wrong() {
    assert_eq!(
        V2PacketError::NotV2("transfer".into()).to_string(),
        "not an IBC v2 packet: source port `transfer` is not `ibc-v2`"
    );
    let mut p = carried();
    p.sequence = 7;
    assert_eq!(
        v2_packet(&p).unwrap_err().to_string(),
        "the carried packet's sequence is `7` but its IBC v2 packet's is `300`"
    );
}
