//! The IBC v2 store keys, as ibc-go v10 writes them (`modules/core/24-host/v2/packet_keys.go`).
//!
//! Unlike IBC v1's paths (`commitments/ports/…`), the packet keys are binary:
//! `client_id ‖ kind byte ‖ sequence as 8-byte big-endian`. They are keys in the `ibc`
//! store, proven under the counterparty's merkle prefix (for ibc-go `["ibc", ""]`: the key
//! is appended to the prefix's last element).

/// The kind byte of packet commitment keys (`PacketCommitmentBasePrefix`).
pub const PACKET_COMMITMENT_PREFIX: u8 = 1;
/// The kind byte of packet receipt keys (`PacketReceiptBasePrefix`).
pub const PACKET_RECEIPT_PREFIX: u8 = 2;
/// The kind byte of packet acknowledgement keys (`PacketAcknowledgementBasePrefix`).
pub const PACKET_ACKNOWLEDGEMENT_PREFIX: u8 = 3;

/// The value ibc-go stores under a packet receipt key once the packet is received
/// (`SetPacketReceipt`: `[]byte{byte(2)}`).
pub const PACKET_RECEIPT_SUCCESSFUL: [u8; 1] = [2];

fn prefix_key(client_id: &str, kind: u8) -> Vec<u8> {
    let mut key = Vec::with_capacity(client_id.len() + 9);
    key.extend_from_slice(client_id.as_bytes());
    key.push(kind);
    key
}

fn packet_key(client_id: &str, kind: u8, sequence: u64) -> Vec<u8> {
    let mut key = prefix_key(client_id, kind);
    key.extend_from_slice(&sequence.to_be_bytes());
    key
}

/// The key prefix of all packet commitments of a client: `client_id ‖ 0x01`
/// (`PacketCommitmentPrefixKey`).
pub fn packet_commitment_prefix_key(client_id: impl AsRef<str>) -> Vec<u8> {
    prefix_key(client_id.as_ref(), PACKET_COMMITMENT_PREFIX)
}

/// The key of a packet commitment, on the source chain under the packet's `source_client`:
/// `client_id ‖ 0x01 ‖ big-endian sequence` (`PacketCommitmentKey`).
pub fn packet_commitment_key(client_id: impl AsRef<str>, sequence: u64) -> Vec<u8> {
    packet_key(client_id.as_ref(), PACKET_COMMITMENT_PREFIX, sequence)
}

/// The key prefix of all packet receipts of a client: `client_id ‖ 0x02`
/// (`PacketReceiptPrefixKey`).
pub fn packet_receipt_prefix_key(client_id: impl AsRef<str>) -> Vec<u8> {
    prefix_key(client_id.as_ref(), PACKET_RECEIPT_PREFIX)
}

/// The key of a packet receipt, on the destination chain under the packet's
/// `destination_client`: `client_id ‖ 0x02 ‖ big-endian sequence` (`PacketReceiptKey`).
/// A timeout proves its absence.
pub fn packet_receipt_key(client_id: impl AsRef<str>, sequence: u64) -> Vec<u8> {
    packet_key(client_id.as_ref(), PACKET_RECEIPT_PREFIX, sequence)
}

/// The key prefix of all packet acknowledgements of a client: `client_id ‖ 0x03`
/// (`PacketAcknowledgementPrefixKey`).
pub fn packet_acknowledgement_prefix_key(client_id: impl AsRef<str>) -> Vec<u8> {
    prefix_key(client_id.as_ref(), PACKET_ACKNOWLEDGEMENT_PREFIX)
}

/// The key of an acknowledgement commitment, on the destination chain under the packet's
/// `destination_client`: `client_id ‖ 0x03 ‖ big-endian sequence`
/// (`PacketAcknowledgementKey`).
pub fn packet_acknowledgement_key(client_id: impl AsRef<str>, sequence: u64) -> Vec<u8> {
    packet_key(client_id.as_ref(), PACKET_ACKNOWLEDGEMENT_PREFIX, sequence)
}

/// The key of a client's next send sequence: `nextSequenceSend/{client_id}`
/// (`NextSequenceSendKey`).
pub fn next_sequence_send_key(client_id: impl AsRef<str>) -> Vec<u8> {
    format!("nextSequenceSend/{}", client_id.as_ref()).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ClientId;

    /// ibc-go's own vectors (`24-host/v2/packet_key_test.go`, client "channel-0", sequence 1).
    #[test]
    fn keys_match_ibc_go_s_documented_vectors() {
        let hex = |k: Vec<u8>| hex::encode(k);
        assert_eq!(
            hex(packet_commitment_key("channel-0", 1)),
            "6368616e6e656c2d30010000000000000001"
        );
        assert_eq!(
            hex(packet_receipt_key("channel-0", 1)),
            "6368616e6e656c2d30020000000000000001"
        );
        assert_eq!(
            hex(packet_acknowledgement_key("channel-0", 1)),
            "6368616e6e656c2d30030000000000000001"
        );
    }

    /// Vectors printed by ibc-go v10.7.0's `hostv2` functions (the Go program in
    /// `channels/tests/golden/ibc_go_v10_v2.go.txt`), client "07-tendermint-0", sequence 258.
    #[test]
    fn keys_match_ibc_go_for_a_client_id_and_a_two_byte_sequence() {
        let client: ClientId = "07-tendermint-0".parse().unwrap();
        assert_eq!(
            hex::encode(packet_commitment_key(&client, 258)),
            "30372d74656e6465726d696e742d30010000000000000102"
        );
        assert_eq!(
            hex::encode(packet_receipt_key(&client, 258)),
            "30372d74656e6465726d696e742d30020000000000000102"
        );
        assert_eq!(
            hex::encode(packet_acknowledgement_key(&client, 258)),
            "30372d74656e6465726d696e742d30030000000000000102"
        );
        assert_eq!(
            hex::encode(packet_commitment_prefix_key(&client)),
            "30372d74656e6465726d696e742d3001"
        );
        assert_eq!(
            next_sequence_send_key(&client),
            b"nextSequenceSend/07-tendermint-0"
        );
        let key = packet_commitment_key(client.as_str(), 258);
        assert!(key.starts_with(&packet_commitment_prefix_key("07-tendermint-0")));
        assert!(packet_receipt_key("c", 1).starts_with(&packet_receipt_prefix_key("c")));
        assert!(
            packet_acknowledgement_key("c", 1).starts_with(&packet_acknowledgement_prefix_key("c"))
        );
    }

    #[test]
    fn sequence_is_eight_bytes_big_endian() {
        let key = packet_commitment_key("x", u64::MAX - 1);
        assert_eq!(
            key,
            [b'x', 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]
        );
        assert_eq!(packet_receipt_key("", 0), [2, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
}
