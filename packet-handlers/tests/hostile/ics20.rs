//! ICS-20: packet data, the relay policy, denom traces, received denoms.

use proptest::prelude::*;
use sha2::{Digest, Sha256};
use stateset_packet_handlers::ics20::{
    decode_ack, is_valid_channel_id, received_denom, DenomTrace, FungibleTokenPacketData,
    TransferPolicy,
};

use crate::ack::valid_ack;
use crate::support::{config, hostile, hostile_text};

/// Text that is not blank (what ibc-go requires of sender and receiver).
fn non_blank() -> impl Strategy<Value = String> {
    any::<String>().prop_filter("blank", |s| !s.trim().is_empty())
}

/// Valid packet data: any positive amount (beyond u256 too), any memo.
fn packet_data() -> impl Strategy<Value = FungibleTokenPacketData> {
    (
        "[1-9][0-9]{0,80}",
        denom(),
        prop_oneof![Just(String::new()), any::<String>()],
        non_blank(),
        non_blank(),
    )
        .prop_filter("blank denom", |(_, d, ..)| !d.trim().is_empty())
        .prop_map(
            |(amount, denom, memo, receiver, sender)| FungibleTokenPacketData {
                amount,
                denom,
                memo,
                receiver,
                sender,
            },
        )
}

fn valid_packet_data() -> impl Strategy<Value = Vec<u8>> {
    packet_data().prop_map(|d| d.encode())
}

/// A port, a channel id ibc-go accepts as a hop.
fn hop() -> impl Strategy<Value = (String, String)> {
    (
        "[a-z][a-z0-9.]{1,12}",
        prop_oneof![
            any::<u64>().prop_map(|n| format!("channel-{n}")),
            "channel-[0-9]{1,19}",
        ],
    )
}

/// A denom that does not start with a hop: a base denom, possibly with `/`.
fn base_denom() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9]{1,10}",
        "[a-z]{1,6}/[a-z0-9]{1,6}(/[0-9]{1,3})?",
        "ibc/[0-9A-F]{64}",
    ]
}

/// A denom with zero to four hops, or a hostile string.
fn denom() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (proptest::collection::vec(hop(), 0..4), base_denom()).prop_map(|(hops, base)| {
            hops.iter()
                .flat_map(|(p, c)| [p.as_str(), c.as_str()])
                .chain([base.as_str()])
                .collect::<Vec<_>>()
                .join("/")
        }),
        1 => any::<String>(),
        1 => "[a-z/]{0,3}(channel-[0-9a-z+-]{0,22}/){0,3}[a-z/]{0,4}",
    ]
}

fn policy() -> impl Strategy<Value = TransferPolicy> {
    (
        0..64usize,
        0..64usize,
        proptest::collection::vec("channel-[0-9]", 0..3),
        proptest::collection::vec("channel-[0-9]", 0..3),
    )
        .prop_map(|(memo, receiver, allow, deny)| TransferPolicy {
            max_memo_bytes: memo,
            max_receiver_bytes: receiver,
            allow_channels: allow,
            deny_channels: deny,
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn packet_data_round_trips_byte_for_byte(data in packet_data()) {
        let bytes = data.encode();
        let decoded = FungibleTokenPacketData::decode(&bytes);
        prop_assert_eq!(decoded.as_ref(), Ok(&data));
        prop_assert_eq!(decoded.map(|d| d.encode()), Ok(bytes));
    }

    #[test]
    fn hostile_packet_data_is_decoded_only_when_valid(bytes in hostile(valid_packet_data())) {
        if let Ok(data) = FungibleTokenPacketData::decode(&bytes) {
            prop_assert_eq!(data.validate(), Ok(()));
            prop_assert!(data.amount.bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(data.amount.bytes().any(|b| b != b'0'));
            prop_assert_eq!(FungibleTokenPacketData::decode(&data.encode()), Ok(data));
        }
    }

    #[test]
    fn the_policy_never_panics_and_passes_only_what_it_allows(
        policy in policy(),
        channel in prop_oneof!["channel-[0-9]", any::<String>()],
        bytes in hostile(valid_packet_data()),
    ) {
        if let Ok(data) = policy.check(&channel, &bytes) {
            prop_assert!(data.memo.len() <= policy.max_memo_bytes);
            prop_assert!(data.receiver.len() <= policy.max_receiver_bytes);
            prop_assert!(!policy.deny_channels.contains(&channel));
            prop_assert!(policy.allow_channels.is_empty() || policy.allow_channels.contains(&channel));
        }
    }

    #[test]
    fn ics20_acks_never_panic(bytes in hostile(valid_ack())) {
        if let Ok(ack) = decode_ack(&bytes) {
            prop_assert_eq!(decode_ack(&ack.encode()), Ok(ack));
        }
    }

    #[test]
    fn any_denom_splits_into_path_and_base_denom(s in hostile_text(denom().prop_map(String::into_bytes))) {
        let trace = DenomTrace::parse(&s);
        // The denom splits into path and base denom. When the hops use up every part, the
        // base denom is empty (as in ibc-go, whose full path then ends in `/`).
        if trace.path.is_empty() {
            prop_assert_eq!(&trace.base_denom, &s);
            prop_assert_eq!(trace.full_path(), s.clone());
        } else if trace.base_denom.is_empty() {
            let with_slash = format!("{}/", trace.path);
            prop_assert!(s == trace.path || s == with_slash);
            prop_assert_eq!(trace.full_path(), format!("{}/", trace.path));
        } else {
            prop_assert_eq!(trace.full_path(), s.clone());
        }
        // Every hop is `port/channel-N` with a channel id ibc-go accepts.
        let parts: Vec<&str> = trace.path.split('/').collect();
        if !trace.path.is_empty() {
            prop_assert_eq!(parts.len() % 2, 0);
            prop_assert!(parts.chunks(2).all(|hop| hop.get(1).is_some_and(|c| is_valid_channel_id(c))));
        }
        // ibc/HASH of the full path for a trace, the denom itself without.
        let expected = if trace.path.is_empty() {
            s.clone()
        } else {
            format!("ibc/{}", hex::encode_upper(Sha256::digest(trace.full_path().as_bytes())))
        };
        prop_assert_eq!(trace.ibc_denom(), expected);
    }

    #[test]
    fn hops_before_a_base_denom_are_the_trace(hops in proptest::collection::vec(hop(), 1..5), base in base_denom()) {
        let path = hops.iter().map(|(p, c)| format!("{p}/{c}")).collect::<Vec<_>>().join("/");
        let trace = DenomTrace::parse(&format!("{path}/{base}"));
        prop_assert_eq!(trace.path, path);
        prop_assert_eq!(trace.base_denom, base);
    }

    #[test]
    fn channel_ids_are_ibc_go_channel_ids(id in prop_oneof![
        any::<String>(),
        "channel-[0-9]{0,22}",
        "channel-[0-9+ -]{1,4}",
        any::<u64>().prop_map(|n| format!("channel-{n}")),
    ]) {
        let valid = is_valid_channel_id(&id);
        let digits = id.strip_prefix("channel-").unwrap_or("x");
        prop_assert_eq!(
            valid,
            (1..=20).contains(&digits.len())
                && digits.bytes().all(|b| b.is_ascii_digit())
                && digits.parse::<u64>().is_ok()
        );
        // ICS-24's ChannelIdentifierValidator holds for every id accepted.
        if valid {
            prop_assert!((8..=64).contains(&id.len()));
            prop_assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || "._+-#[]<>".contains(c)));
        }
    }

    #[test]
    fn a_denom_sent_out_and_back_is_the_denom_again(
        d in denom(),
        (a_port, a_channel) in hop(),
        (b_port, b_channel) in hop(),
    ) {
        let a = (a_port.as_str(), a_channel.as_str());
        let b = (b_port.as_str(), b_channel.as_str());
        // (A denom that came from B over this channel goes home instead: see below.)
        prop_assume!(!d.starts_with(&format!("{a_port}/{a_channel}/")));
        let on_b = received_denom(&d, a, b);
        prop_assert_eq!(on_b.full_path(), format!("{b_port}/{b_channel}/{d}"));
        prop_assert_eq!(received_denom(&on_b.full_path(), b, a), DenomTrace::parse(&d));
    }

    #[test]
    fn received_denoms_never_panic(
        d in any::<String>(),
        src in (any::<String>(), any::<String>()),
        dst in (any::<String>(), any::<String>()),
    ) {
        let trace = received_denom(&d, (&src.0, &src.1), (&dst.0, &dst.1));
        let prefix = format!("{}/{}/", src.0, src.1);
        let expected = match d.strip_prefix(&prefix) {
            Some(rest) => rest.to_string(),
            None => format!("{}/{}/{d}", dst.0, dst.1),
        };
        prop_assert_eq!(trace.full_path(), expected);
    }
}
