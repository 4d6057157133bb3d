//! ICS-29: fee versions, incentivized acknowledgements, coins, escrowed fees and the
//! minimum-fee policy.

use std::collections::BTreeMap;

use ibc_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use ibc_proto::ibc::applications::fee::v1::{Fee, PacketFee};
use proptest::collection::vec;
use proptest::prelude::*;
use stateset_packet_handlers::ics29::{
    app_acknowledgement, app_version, Coin, EscrowedFees, FeeVersion, IncentivizedAck, MinFees,
    FEE_VERSION,
};

use crate::ack::valid_ack;
use crate::support::{config, hostile, hostile_text, json_value};

fn fee_version() -> impl Strategy<Value = FeeVersion> {
    prop_oneof!["ics[0-9]{2}-[0-9]", any::<String>()].prop_map(|v| FeeVersion::wrap(&v))
}

fn incentivized_ack() -> impl Strategy<Value = IncentivizedAck> {
    (valid_ack(), any::<String>(), any::<bool>()).prop_map(|(app, forward, success)| {
        IncentivizedAck {
            app_acknowledgement: app,
            forward_relayer_address: forward,
            underlying_app_success: success,
        }
    })
}

/// A denom [`Coin`] accepts.
fn denom() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9/:._-]{1,40}"
}

/// Amounts as the fee module reports them: small, near and beyond u128, or junk.
fn amount_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..1_000u128).prop_map(|a| a.to_string()),
        (u128::MAX - 1000..=u128::MAX).prop_map(|a| a.to_string()),
        Just("340282366920938463463374607431768211456".to_string()),
        any::<String>(),
        "-?[0-9]{0,45}",
    ]
}

fn proto_coins() -> impl Strategy<Value = Vec<ProtoCoin>> {
    vec(
        (prop_oneof!["stake|uatom", any::<String>()], amount_text())
            .prop_map(|(denom, amount)| ProtoCoin { denom, amount }),
        0..4,
    )
}

fn packet_fees() -> impl Strategy<Value = Vec<PacketFee>> {
    let fee = (proto_coins(), proto_coins(), proto_coins()).prop_map(|(r, a, t)| Fee {
        recv_fee: r,
        ack_fee: a,
        timeout_fee: t,
    });
    vec(
        (proptest::option::of(fee), any::<String>()).prop_map(|(fee, refund)| PacketFee {
            fee,
            refund_address: refund,
            relayers: vec![],
        }),
        0..5,
    )
}

/// The sum of the valid amounts of `denom` in `coins`, saturating.
fn expected_sum<'a>(coins: impl Iterator<Item = &'a ProtoCoin>, denom: &str) -> u128 {
    coins
        .filter(|c| c.denom == denom)
        .filter_map(|c| c.amount.parse::<u128>().ok())
        .fold(0u128, u128::saturating_add)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fee_versions_round_trip(v in fee_version()) {
        let text = v.encode();
        prop_assert_eq!(FeeVersion::parse(&text), Some(v.clone()));
        prop_assert_eq!(app_version(&text), v.app_version);
    }

    #[test]
    fn hostile_fee_versions_never_panic(v in hostile_text(fee_version().prop_map(|v| v.encode().into_bytes()))) {
        match FeeVersion::parse(&v) {
            Some(fee) => {
                prop_assert_eq!(fee.fee_version.as_str(), FEE_VERSION);
                prop_assert_eq!(app_version(&v), fee.app_version);
            }
            None => prop_assert_eq!(app_version(&v), v),
        }
    }

    #[test]
    fn incentivized_acks_round_trip(ack in incentivized_ack()) {
        let bytes = ack.encode();
        prop_assert_eq!(IncentivizedAck::decode(&bytes), Ok(ack.clone()));
        prop_assert_eq!(app_acknowledgement(&bytes), ack.app_acknowledgement);
    }

    #[test]
    fn hostile_incentivized_acks_never_panic(bytes in hostile(incentivized_ack().prop_map(|a| a.encode()))) {
        match IncentivizedAck::decode(&bytes) {
            Ok(ack) => {
                prop_assert_eq!(IncentivizedAck::decode(&ack.encode()), Ok(ack.clone()));
                prop_assert_eq!(app_acknowledgement(&bytes), ack.app_acknowledgement);
            }
            // Anything else passes through as the application's own ack.
            Err(_) => prop_assert_eq!(app_acknowledgement(&bytes), bytes),
        }
    }

    #[test]
    fn coins_round_trip(amount in any::<u128>(), denom in denom()) {
        let coin = Coin { amount, denom };
        prop_assert_eq!(coin.to_string().parse::<Coin>(), Ok(coin.clone()));
        let json = serde_json::Value::String(coin.to_string());
        prop_assert_eq!(serde_json::from_value::<Coin>(json).ok(), Some(coin));
    }

    #[test]
    fn hostile_coins_never_panic(s in prop_oneof![
        any::<String>(),
        "[ -~]{0,12}",
        (amount_text(), prop_oneof![denom(), any::<String>()]).prop_map(|(a, d)| format!("{a}{d}")),
    ]) {
        if let Ok(coin) = s.parse::<Coin>() {
            prop_assert_eq!(coin.to_string().parse::<Coin>(), Ok(coin.clone()));
            prop_assert!(coin.denom.len() >= 2);
        }
    }

    #[test]
    fn hostile_json_coins_never_panic(v in json_value()) {
        if let Ok(coin) = serde_json::from_value::<Coin>(v.clone()) {
            prop_assert_eq!(v.as_str().map(|s| s.trim().parse::<Coin>()), Some(Ok(coin)));
        }
    }

    #[test]
    fn escrowed_fees_sum_saturating(fees in packet_fees()) {
        let escrowed = EscrowedFees::from_packet_fees(&fees);
        let all = || fees.iter().filter_map(|f| f.fee.as_ref());
        for (denom, amount) in &escrowed.recv {
            prop_assert_eq!(*amount, expected_sum(all().flat_map(|f| &f.recv_fee), denom));
        }
        for (denom, amount) in &escrowed.timeout {
            prop_assert_eq!(*amount, expected_sum(all().flat_map(|f| &f.timeout_fee), denom));
        }
        let reward = escrowed.relay_reward();
        for (denom, amount) in &reward {
            let recv = escrowed.recv.get(denom).copied().unwrap_or(0);
            let ack = escrowed.ack.get(denom).copied().unwrap_or(0);
            prop_assert_eq!(*amount, recv.saturating_add(ack));
        }
    }

    #[test]
    fn min_fees_hold_exactly_when_every_coin_is_paid(
        fees in packet_fees(),
        min in vec((denom(), any::<u128>()), 0..3),
        escrowed_at_all in any::<bool>(),
    ) {
        let escrowed = EscrowedFees::from_packet_fees(&fees);
        let policy = MinFees(min.iter().map(|(d, a)| Coin { amount: *a, denom: d.clone() }).collect());
        let reward: BTreeMap<String, u128> = if escrowed_at_all { escrowed.relay_reward() } else { BTreeMap::new() };
        let expected = min.iter().all(|(d, a)| reward.get(d).copied().unwrap_or(0) >= *a);
        prop_assert_eq!(policy.is_met(escrowed_at_all.then_some(&escrowed)), expected);
    }
}
