//! Identifiers, heights, revision numbers, states and orderings as chains report them.

use ibc_proto::ibc::core::client::v1::Height as ProtoHeight;
use proptest::prelude::*;
use stateset_channels::{
    parse_revision_number, ChannelId, ClientId, ConnectionId, HandshakeState, Height, Ordering,
    PortId,
};

use crate::support::{config, hostile_text};

/// Text shaped like identifiers and heights, with the characters that break them.
fn id_text() -> impl Strategy<Value = String> {
    prop_oneof![
        hostile_text(),
        "[a-z0-9/ .#<>\\[\\]_+-]{0,70}",
        "[0-9]{1,3}-[a-z-]{0,12}-?[0-9]{0,22}",
        ".{120,140}",
    ]
}

/// What ICS-24 allows, checked independently of the crate.
fn ics24(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+-#[]<>".contains(c))
}

/// The number after the last `-`, as `sequence()` reads it.
fn last_number(s: &str) -> Option<u64> {
    s.rsplit('-').next()?.parse().ok()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn identifiers_parse_exactly_the_ics24_ones(s in id_text()) {
        let client = s.parse::<ClientId>();
        prop_assert_eq!(client.is_ok(), ics24(&s, 9, 64));
        prop_assert_eq!(s.parse::<ConnectionId>().is_ok(), ics24(&s, 10, 64));
        prop_assert_eq!(s.parse::<ChannelId>().is_ok(), ics24(&s, 8, 64));
        prop_assert_eq!(s.parse::<PortId>().is_ok(), ics24(&s, 2, 128));
        // serde goes through TryFrom<String>: the same decision.
        prop_assert_eq!(ChannelId::try_from(s.clone()).ok(), s.parse::<ChannelId>().ok());
        if let Ok(id) = client {
            prop_assert_eq!(id.as_str(), s.as_str());
            prop_assert_eq!(id.sequence(), last_number(&s));
        }
    }

    #[test]
    fn generated_identifiers_round_trip(n in any::<u64>()) {
        let conn = ConnectionId::new(n);
        prop_assert_eq!(conn.sequence(), Some(n));
        prop_assert_eq!(conn.to_string().parse::<ConnectionId>(), Ok(conn));
        let chan = ChannelId::new(n);
        prop_assert_eq!(chan.sequence(), Some(n));
        prop_assert_eq!(chan.to_string().parse::<ChannelId>(), Ok(chan));
    }

    #[test]
    fn heights_parse_as_two_u64s(s in id_text()) {
        let parsed = s.parse::<Height>();
        let expected = s.split_once('-').and_then(|(r, h)| Some(Height::new(r.parse().ok()?, h.parse().ok()?)));
        prop_assert_eq!(parsed.as_ref().ok(), expected.as_ref());
        if let Ok(h) = parsed {
            prop_assert_eq!(h.to_string().parse::<Height>(), Ok(h));
        }
    }

    #[test]
    fn heights_round_trip_through_text_and_proto(r in any::<u64>(), h in any::<u64>()) {
        let height = Height::new(r, h);
        prop_assert_eq!(height.to_string().parse::<Height>(), Ok(height));
        let proto = ProtoHeight::from(height);
        prop_assert_eq!((proto.revision_number, proto.revision_height), (r, h));
        prop_assert_eq!(Height::from(proto), height);
        prop_assert_eq!(height.is_zero(), r == 0 && h == 0);
    }

    #[test]
    fn revision_numbers_never_panic(chain_id in id_text()) {
        let n = parse_revision_number(&chain_id);
        // Non-zero only from a `name-N` chain id that ends in N.
        if n != 0 {
            let suffix = format!("-{n}");
            prop_assert!(chain_id.ends_with(&suffix));
            prop_assert!(!chain_id.contains('\n'));
        }
    }

    #[test]
    fn revision_numbers_follow_ibc_go(name in "[a-z][a-z-]{0,12}[a-z]", n in any::<u64>()) {
        prop_assert_eq!(parse_revision_number(&format!("{name}-{n}")), n);
        prop_assert_eq!(parse_revision_number(&format!("{name}-0{n}")), 0);
        prop_assert_eq!(parse_revision_number(&format!("{name}-{n}0000000000000000000000")), 0);
        prop_assert_eq!(parse_revision_number(&name), 0);
    }

    #[test]
    fn states_and_orderings_from_any_number(v in any::<i32>(), s in hostile_text()) {
        let conn = HandshakeState::from_connection_state(v);
        prop_assert_eq!(conn == HandshakeState::Uninitialized, !(1..=3).contains(&v));
        let chan = HandshakeState::from_channel_state(v);
        prop_assert_eq!(chan == HandshakeState::Uninitialized, !(1..=6).contains(&v));
        match Ordering::from_proto(v) {
            Some(o) => prop_assert_eq!(o.as_proto(), v),
            None => prop_assert!(v != 1 && v != 2),
        }
        if let Some(o) = Ordering::from_event_value(&s) {
            prop_assert_eq!(o.as_event_value(), s.as_str());
        }
    }
}
