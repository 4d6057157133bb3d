//! The acknowledgement envelope.

use proptest::collection::vec;
use proptest::prelude::*;
use stateset_packet_handlers::ack::Acknowledgement;

use crate::support::{config, hostile};

/// Any acknowledgement.
pub fn acknowledgement() -> impl Strategy<Value = Acknowledgement> {
    prop_oneof![
        vec(any::<u8>(), 0..64).prop_map(Acknowledgement::Result),
        any::<String>().prop_map(Acknowledgement::Error),
    ]
}

/// Valid envelopes, as ibc-go writes them.
pub fn valid_ack() -> impl Strategy<Value = Vec<u8>> {
    acknowledgement().prop_map(|a| a.encode())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn envelopes_round_trip(ack in acknowledgement()) {
        let bytes = ack.encode();
        prop_assert_eq!(Acknowledgement::decode(&bytes), Ok(ack.clone()));
        prop_assert_eq!(
            Acknowledgement::decode(&bytes).map(|a| a.is_success()),
            Ok(matches!(ack, Acknowledgement::Result(_)))
        );
    }

    #[test]
    fn hostile_envelopes_decode_or_fail_without_panicking(bytes in hostile(valid_ack())) {
        // What decodes re-encodes to something that decodes to the same.
        if let Ok(ack) = Acknowledgement::decode(&bytes) {
            prop_assert_eq!(Acknowledgement::decode(&ack.encode()), Ok(ack));
        }
    }
}
