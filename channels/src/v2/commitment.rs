//! The IBC v2 commitments ibc-go v10 stores and the relayer proves
//! (`modules/core/04-channel/v2/types/commitment.go`): the packet commitment on the source
//! chain (under [`packet_commitment_key`](super::keys::packet_commitment_key)) and the
//! acknowledgement commitment on the destination chain (under
//! [`packet_acknowledgement_key`](super::keys::packet_acknowledgement_key)).
//!
//! Both hash fixed-length (32-byte) pieces behind a version byte `0x02`, so that no field
//! can be shifted into another to forge a matching preimage.

use sha2::{Digest, Sha256};

use super::channel::{Acknowledgement, Packet, Payload};

/// The universal error acknowledgement: the single app acknowledgement of a failed receive
/// (`ErrorAcknowledgement`, `sha256("UNIVERSAL_ERROR_ACKNOWLEDGEMENT")`).
pub const ERROR_ACKNOWLEDGEMENT: [u8; 32] = [
    0x47, 0x74, 0xd4, 0xa5, 0x75, 0x99, 0x3f, 0x96, 0x3b, 0x1c, 0x06, 0x57, 0x37, 0x36, 0x61, 0x7a,
    0x45, 0x7a, 0xbe, 0xf8, 0x58, 0x91, 0x78, 0xdb, 0x8d, 0x10, 0xc9, 0x4b, 0x4a, 0xb5, 0x11, 0xab,
];

/// The version byte in front of both commitments' preimages.
const COMMITMENT_VERSION: u8 = 2;

fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// `sha256(sha256(source_port) ‖ sha256(destination_port) ‖ sha256(version) ‖
/// sha256(encoding) ‖ sha256(value))` (`hashPayload`).
fn hash_payload(payload: &Payload) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(sha256(payload.source_port.as_bytes()));
    hasher.update(sha256(payload.destination_port.as_bytes()));
    hasher.update(sha256(payload.version.as_bytes()));
    hasher.update(sha256(payload.encoding.as_bytes()));
    hasher.update(sha256(&payload.value));
    hasher.finalize().into()
}

/// The packet commitment ibc-go v10 writes (`CommitPacket`):
/// `sha256(0x02 ‖ sha256(destination_client) ‖ sha256(timeout_timestamp as 8-byte
/// big-endian) ‖ sha256(hash_payload(p1) ‖ hash_payload(p2) ‖ …))`.
///
/// The sequence and source client are not in it: they are in the key it is stored under.
pub fn commit_packet(packet: &Packet) -> [u8; 32] {
    let mut app_bytes = Vec::with_capacity(32 * packet.payloads.len());
    for payload in &packet.payloads {
        app_bytes.extend_from_slice(&hash_payload(payload));
    }
    let mut hasher = Sha256::new();
    hasher.update([COMMITMENT_VERSION]);
    hasher.update(sha256(packet.destination_client.as_bytes()));
    hasher.update(sha256(&packet.timeout_timestamp.to_be_bytes()));
    hasher.update(sha256(&app_bytes));
    hasher.finalize().into()
}

/// The acknowledgement commitment ibc-go v10 writes (`CommitAcknowledgement`):
/// `sha256(0x02 ‖ sha256(ack1) ‖ sha256(ack2) ‖ …)` over the app acknowledgements.
pub fn commit_acknowledgement(ack: &Acknowledgement) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([COMMITMENT_VERSION]);
    for app_ack in &ack.app_acknowledgements {
        hasher.update(sha256(app_ack));
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    //! Expected hashes: ibc-go's own test vectors (`commitment_test.go`) and values printed
    //! by ibc-go v10.7.0's `CommitPacket`/`CommitAcknowledgement` (the Go program in
    //! `channels/tests/golden/ibc_go_v10_v2.go.txt`).

    use super::*;
    use crate::v2::golden_tests::{example_ack, example_packet, example_payload};

    fn hex32(h: [u8; 32]) -> String {
        hex::encode(h)
    }

    /// ibc-go `TestCommitPacket` "json packet".
    #[test]
    fn commit_packet_matches_ibc_go_s_documented_vector() {
        let packet = Packet {
            sequence: 1,
            source_client: "07-tendermint-0".into(),
            destination_client: "07-tendermint-1".into(),
            timeout_timestamp: 100,
            payloads: vec![Payload {
                source_port: "transfer".into(),
                destination_port: "transfer".into(),
                version: "ics20-1".into(),
                encoding: "application/json".into(),
                value: br#"{"denom":"uatom","amount":"1000000","sender":"sender","receiver":"receiver","memo":"memo"}"#.to_vec(),
            }],
        };
        assert_eq!(
            hex32(commit_packet(&packet)),
            "a096722aa6534040a0efbdae05765132a7b223ad306d6512f3734821bd046505"
        );
    }

    #[test]
    fn commit_packet_matches_ibc_go_for_the_golden_example() {
        let packet = example_packet();
        assert_eq!(
            hex32(commit_packet(&packet)),
            "82f55899886da09e34bcb5f740effb4c5503600c61402c5fe6d9276d3a4326d7"
        );

        let mut two = packet.clone();
        two.payloads.push(Payload {
            source_port: "a".into(),
            destination_port: "b".into(),
            version: String::new(),
            encoding: "application/x-protobuf".into(),
            value: Vec::new(),
        });
        assert_eq!(
            hex32(commit_packet(&two)),
            "eeb48347cdfa25ae1e5bbd47b23c03019c70fb49de4ed3c50f23fa8fe3bc837b"
        );

        let mut none = packet;
        none.payloads.clear();
        assert_eq!(
            hex32(commit_packet(&none)),
            "04422c4de68d382d2cc9e5864fcbfc9248f5b19123bc4ee8a571140521de2463"
        );
    }

    #[test]
    fn commit_packet_ignores_sequence_and_source_client_only() {
        let want = commit_packet(&example_packet());
        let mut p = example_packet();
        p.sequence += 1;
        p.source_client = "07-tendermint-9".into();
        assert_eq!(
            commit_packet(&p),
            want,
            "sequence and source client are in the key"
        );
        let changes: [fn(&mut Packet); 7] = [
            |p| p.destination_client.push('0'),
            |p| p.timeout_timestamp += 1,
            |p| p.payloads[0].source_port.push('x'),
            |p| p.payloads[0].destination_port.push('x'),
            |p| p.payloads[0].version.push('x'),
            |p| p.payloads[0].encoding.push('x'),
            |p| p.payloads[0].value.push(b' '),
        ];
        for (i, change) in changes.iter().enumerate() {
            let mut p = example_packet();
            change(&mut p);
            assert_ne!(commit_packet(&p), want, "change {i} counts");
        }
        // Moving a byte from one payload field to the next changes the hash.
        let mut p = example_packet();
        p.payloads[0] = Payload {
            source_port: "transfe".into(),
            destination_port: "rtransfer".into(),
            ..example_payload()
        };
        assert_ne!(commit_packet(&p), want);
    }

    #[test]
    fn commit_acknowledgement_matches_ibc_go() {
        // ibc-go `TestCommitAcknowledgement`.
        let ack = |acks: &[&[u8]]| Acknowledgement {
            app_acknowledgements: acks.iter().map(|a| a.to_vec()).collect(),
        };
        assert_eq!(
            hex32(commit_acknowledgement(&ack(&[b"some bytes"]))),
            "f03b4667413e56aaf086663267913e525c442b56fa1af4fa3f3dab9f37044c5b"
        );
        assert_eq!(
            hex32(commit_acknowledgement(&ack(&[&ERROR_ACKNOWLEDGEMENT]))),
            "e2fb30dfbf7abdeaca82d426534d2b3a9d5444dd2a87fa16d38b77ba1a13ced7"
        );
        // Printed by the Go program.
        assert_eq!(
            hex32(commit_acknowledgement(&example_ack())),
            "8460e21f73b53d779e4b3291cd35338e92fae9998735f1a0b7150c074c0731a6"
        );
        assert_eq!(
            hex32(commit_acknowledgement(&ack(&[b"x", b""]))),
            "4804c1b9004551631b2662f33c600c225fda625674629eb94d77c18e8411f8e7"
        );
        assert_eq!(
            hex32(commit_acknowledgement(&ack(&[]))),
            "dbc1b4c900ffe48d575b5da5c638040125f65db0fe3e24494b76ea986457d986"
        );
    }

    #[test]
    fn error_acknowledgement_is_the_sha256_of_its_name() {
        assert_eq!(
            ERROR_ACKNOWLEDGEMENT,
            sha256(b"UNIVERSAL_ERROR_ACKNOWLEDGEMENT")
        );
    }
}
