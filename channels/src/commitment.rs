//! What ibc-go stores for a packet and for its acknowledgement: the commitments the relayer
//! proves. Event data is checked against them before it is used, so a node that serves a
//! wrong event cannot make the relayer submit (and pay for) a message the chain refuses.

use sha2::{Digest, Sha256};

use crate::events::Packet;

/// The packet commitment ibc-go writes (channel v1, `CommitPacket`):
/// `sha256(timeout_timestamp ‖ timeout revision number ‖ timeout revision height ‖
/// sha256(data))`, the numbers as 8-byte big-endian.
pub fn packet_commitment(packet: &Packet) -> [u8; 32] {
    let mut buf = Vec::with_capacity(56);
    buf.extend_from_slice(&packet.timeout_timestamp.to_be_bytes());
    buf.extend_from_slice(&packet.timeout_height.revision_number.to_be_bytes());
    buf.extend_from_slice(&packet.timeout_height.revision_height.to_be_bytes());
    buf.extend_from_slice(&Sha256::digest(&packet.data));
    Sha256::digest(&buf).into()
}

/// The acknowledgement commitment ibc-go writes: `sha256(acknowledgement)`.
pub fn ack_commitment(ack: &[u8]) -> [u8; 32] {
    Sha256::digest(ack).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Height;

    fn packet() -> Packet {
        Packet {
            sequence: 1,
            source_port: "transfer".parse().unwrap(),
            source_channel: "channel-0".parse().unwrap(),
            destination_port: "transfer".parse().unwrap(),
            destination_channel: "channel-0".parse().unwrap(),
            data: br#"{"amount":"100","denom":"stake","receiver":"cosmos1b","sender":"cosmos1a"}"#
                .to_vec(),
            timeout_height: Height {
                revision_number: 1,
                revision_height: 1000,
            },
            timeout_timestamp: 1_700_000_000_000_000_000,
            ordering: None,
        }
    }

    #[test]
    fn packet_commitment_is_ibc_go_s_layout() {
        let p = packet();
        let mut buf = Vec::new();
        buf.extend_from_slice(&1_700_000_000_000_000_000u64.to_be_bytes());
        buf.extend_from_slice(&1u64.to_be_bytes());
        buf.extend_from_slice(&1000u64.to_be_bytes());
        buf.extend_from_slice(&Sha256::digest(&p.data));
        let want: [u8; 32] = Sha256::digest(&buf).into();
        assert_eq!(packet_commitment(&p), want);
        let mut other = p.clone();
        other.data.push(b' ');
        assert_ne!(packet_commitment(&other), want, "the data counts");
        let mut other = p;
        other.timeout_timestamp += 1;
        assert_ne!(packet_commitment(&other), want, "the timeout counts");
    }

    #[test]
    fn ack_commitment_is_the_sha256_of_the_ack() {
        // sha256("{\"result\":\"AQ==\"}"), the ICS-20 success ack.
        assert_eq!(
            hex::encode(ack_commitment(br#"{"result":"AQ=="}"#)),
            "08f7557ed51826fe18d84512bf24ec75001edbaf2123a477df72a0a9f3640a7c"
        );
    }
}
