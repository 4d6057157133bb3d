//! IBC v2: packet events of ibc-go v10/v11 (valid, random and damaged) → the classic packet
//! variants with the v2 packet carried; and the relay helpers on any carried packet.

use proptest::collection::vec;
use proptest::prelude::*;
use prost::Message;
use stateset_channels::v2::channel::{Acknowledgement, Packet as V2Packet, Payload};
use stateset_channels::v2::events::{
    DEST_CLIENT, ENCODED_ACK, ENCODED_PACKET, PACKET_KINDS, SEQUENCE, SOURCE_CLIENT, TIMEOUT,
};
use stateset_channels::v2::{
    build_v2_acknowledgement, build_v2_recv_packet, build_v2_timeout, carry,
    commit_acknowledgement, commit_packet, is_v2, payloads, v2_ack_commitment, v2_packet,
    v2_packet_commitment, V2_PORT,
};
use stateset_channels::{parse_abci_event, parse_ibc_event, Height, IbcEvent, Packet};

use crate::events::{abci, apply, b64, b64_attrs, check, damage, value};
use crate::gen::{channel_id, hex, packet, Attrs};
use crate::support::config;

const V2_KEYS: &[&str] = &[
    SOURCE_CLIENT,
    DEST_CLIENT,
    SEQUENCE,
    TIMEOUT,
    ENCODED_PACKET,
    ENCODED_ACK,
];

/// Numbers near the edges or anything.
fn edge_u64() -> impl Strategy<Value = u64> {
    prop_oneof![Just(u64::MAX), 1..20u64, any::<u64>()]
}

fn payload() -> impl Strategy<Value = Payload> {
    (
        ("[a-z]{0,12}", "[a-z]{0,12}", "[ -~]{0,12}", "[ -~]{0,20}"),
        vec(any::<u8>(), 0..48),
    )
        .prop_map(|((sp, dp, version, encoding), value)| Payload {
            source_port: sp,
            destination_port: dp,
            version,
            encoding,
            value,
        })
}

/// A packet ibc-go could emit: client ids that are channel ids, sequence ≥ 1, payloads.
fn v2_packet_strategy() -> impl Strategy<Value = V2Packet> {
    (
        (edge_u64(), channel_id(), channel_id()),
        (prop_oneof![Just(0), edge_u64()], vec(payload(), 1..3)),
    )
        .prop_map(|((sequence, src, dst), (timeout, payloads))| V2Packet {
            sequence: sequence.max(1),
            source_client: src.to_string(),
            destination_client: dst.to_string(),
            timeout_timestamp: timeout,
            payloads,
        })
}

fn ack() -> impl Strategy<Value = Acknowledgement> {
    vec(vec(any::<u8>(), 0..32), 0..3).prop_map(|app_acknowledgements| Acknowledgement {
        app_acknowledgements,
    })
}

fn v2_kind() -> impl Strategy<Value = &'static str> {
    prop::sample::select(PACKET_KINDS)
}

/// The attributes ibc-go v10 writes for a v2 packet event of `kind` (plus `msg_index`).
fn v2_attrs(kind: &str, p: &V2Packet, ack: &Acknowledgement) -> Attrs {
    let mut a: Attrs = vec![
        (SOURCE_CLIENT.into(), p.source_client.clone()),
        (DEST_CLIENT.into(), p.destination_client.clone()),
        (SEQUENCE.into(), p.sequence.to_string()),
        (TIMEOUT.into(), p.timeout_timestamp.to_string()),
        (ENCODED_PACKET.into(), hex(&p.encode_to_vec())),
    ];
    if kind == "write_acknowledgement" {
        a.push((ENCODED_ACK.into(), hex(&ack.encode_to_vec())));
    }
    a.push(("msg_index".into(), "0".into()));
    a
}

/// The event the attributes stand for.
fn want(kind: &str, p: &V2Packet, ack: &Acknowledgement) -> IbcEvent {
    let carried = carry(p).unwrap();
    match kind {
        "send_packet" => IbcEvent::SendPacket(carried),
        "recv_packet" => IbcEvent::RecvPacket(carried),
        "write_acknowledgement" => IbcEvent::WriteAcknowledgement {
            packet: carried,
            ack: ack.encode_to_vec(),
        },
        "acknowledge_packet" => IbcEvent::AcknowledgePacket(carried.header()),
        _ => IbcEvent::TimeoutPacket(carried.header()),
    }
}

/// A key: a v2 one, plain or base64, or anything.
fn v2_key() -> impl Strategy<Value = String> {
    let known = || prop::sample::select(V2_KEYS);
    prop_oneof![
        3 => known().prop_map(str::to_string),
        1 => known().prop_map(b64),
        1 => any::<String>(),
    ]
}

/// A value that reaches the decoders: hex of bytes, of a packet or of an acknowledgement
/// (whole or cut), or hostile text.
fn v2_value() -> impl Strategy<Value = String> {
    prop_oneof![
        value(),
        vec(any::<u8>(), 0..64).prop_map(|b| hex(&b)),
        (v2_packet_strategy(), any::<usize>()).prop_map(|(p, cut)| {
            let b = p.encode_to_vec();
            hex(b.get(..cut % (b.len() + 1)).unwrap_or_default())
        }),
        ack().prop_map(|a| hex(&a.encode_to_vec())),
        edge_u64().prop_map(|n| n.to_string()),
    ]
}

/// What a v2 parse must satisfy beyond [`check`]: a carried packet is one the relay
/// helpers accept, and a carried acknowledgement decodes.
fn check_v2(
    kind: &str,
    parsed: &Result<Option<IbcEvent>, stateset_channels::EventError>,
) -> Result<(), TestCaseError> {
    check(kind, parsed)?;
    if let Ok(Some(e)) = parsed {
        if let Some(p) = e.packet().filter(|p| is_v2(p)) {
            prop_assert!(v2_packet(p).is_ok(), "{:?}", v2_packet(p));
        }
        if let IbcEvent::WriteAcknowledgement { packet, ack } = e {
            prop_assert!(!is_v2(packet) || v2_ack_commitment(ack).is_ok());
        }
    }
    Ok(())
}

/// `bytes` with the byte at `at` (modulo the length) replaced by `byte`.
fn damaged(mut bytes: Vec<u8>, at: usize, byte: u8) -> Vec<u8> {
    let len = bytes.len().max(1);
    if let Some(x) = bytes.get_mut(at % len) {
        *x = byte;
    }
    bytes
}

/// A classic packet, one on the v2 port with random data, or a carried v2 packet whose
/// data may have one byte changed.
fn carried_packet() -> impl Strategy<Value = Packet> {
    let damage = proptest::option::of((any::<usize>(), any::<u8>()));
    prop_oneof![
        (packet(), vec(any::<u8>(), 0..64), any::<bool>()).prop_map(|(mut p, data, v2)| {
            if v2 {
                p.source_port = V2_PORT.parse().unwrap();
                p.destination_port = p.source_port.clone();
                p.data = data;
            }
            p
        }),
        (v2_packet_strategy(), damage).prop_map(|(p, damage)| {
            let mut c = carry(&p).unwrap();
            if let Some((at, byte)) = damage {
                c.data = damaged(c.data, at, byte);
            }
            c
        }),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn v2_events_round_trip_plain_and_base64(kind in v2_kind(), p in v2_packet_strategy(), ack in ack()) {
        let a = v2_attrs(kind, &p, &ack);
        let want = want(kind, &p, &ack);
        prop_assert_eq!(parse_ibc_event(kind, &a), Ok(Some(want.clone())));
        prop_assert_eq!(parse_ibc_event(kind, &b64_attrs(&a)), Ok(Some(want.clone())));
        let bytes: Vec<_> = a.iter().map(|(k, v)| (k.clone().into_bytes(), v.clone().into_bytes())).collect();
        prop_assert_eq!(parse_abci_event(&abci(kind, &bytes, true)), Ok(Some(want)));
    }

    #[test]
    fn random_v2_attributes_never_panic(kind in v2_kind(), a in vec((v2_key(), v2_value()), 0..12)) {
        check_v2(kind, &parse_ibc_event(kind, &a))?;
    }

    #[test]
    fn damaged_v2_attributes_never_panic(
        kind in v2_kind(),
        p in v2_packet_strategy(),
        ack in ack(),
        encode in any::<bool>(),
        byte in proptest::option::of((any::<usize>(), any::<u8>())),
        damage in vec(damage(), 0..5),
    ) {
        let mut a = v2_attrs(kind, &p, &ack);
        if let (Some((at, byte)), Some(encoded)) = (byte, a.iter_mut().find(|(k, _)| k == ENCODED_PACKET)) {
            // The packet's bytes changed, the plain attributes not.
            encoded.1 = hex(&damaged(p.encode_to_vec(), at, byte));
        }
        let a = apply(if encode { b64_attrs(&a) } else { a }, &damage);
        check_v2(kind, &parse_ibc_event(kind, &a))?;
    }

    #[test]
    fn carried_packets_round_trip(p in v2_packet_strategy(), ack in ack(), h in (any::<u64>(), any::<u64>())) {
        let c = carry(&p).unwrap();
        prop_assert!(is_v2(&c));
        prop_assert_eq!(c.timeout_timestamp, p.timeout_timestamp.saturating_mul(1_000_000_000));
        prop_assert_eq!(v2_packet(&c), Ok(p.clone()));
        prop_assert_eq!(payloads(&c), Ok(p.payloads.clone()));
        prop_assert_eq!(v2_packet_commitment(&c), Ok(commit_packet(&p)));
        let ack_bytes = ack.encode_to_vec();
        prop_assert_eq!(v2_ack_commitment(&ack_bytes), Ok(commit_acknowledgement(&ack)));
        let height = Height::new(h.0, h.1);
        let recv = build_v2_recv_packet(&c, vec![1], height, "s").unwrap();
        prop_assert_eq!(recv.packet.map(|p| p.encode_to_vec()), Some(c.data.clone()));
        let acked = build_v2_acknowledgement(&c, &ack_bytes, vec![2], height, "s").unwrap();
        prop_assert_eq!(acked.acknowledgement, Some(ack));
        let timeout = build_v2_timeout(&c, vec![3], height, "s").unwrap();
        prop_assert_eq!(timeout.proof_height, Some(height.into()));
    }

    #[test]
    fn relay_helpers_never_panic(p in carried_packet(), ack in vec(any::<u8>(), 0..48)) {
        let decoded = v2_packet(&p);
        prop_assert!(is_v2(&p) || decoded.is_err());
        if let Ok(v2) = &decoded {
            // What decodes is what `carry` would carry (up to the data's exact bytes).
            prop_assert_eq!(carry(v2).map(|c| c.header()), Ok(p.header()));
        }
        let h = Height::new(1, 1);
        prop_assert_eq!(v2_packet_commitment(&p).is_ok(), decoded.is_ok());
        prop_assert_eq!(payloads(&p).is_ok(), decoded.is_ok());
        prop_assert_eq!(build_v2_recv_packet(&p, vec![], h, "s").is_ok(), decoded.is_ok());
        prop_assert_eq!(build_v2_timeout(&p, vec![], h, "s").is_ok(), decoded.is_ok());
        let acked = build_v2_acknowledgement(&p, &ack, vec![], h, "s");
        prop_assert_eq!(acked.is_ok(), decoded.is_ok() && v2_ack_commitment(&ack).is_ok());
    }
}
