use super::*;

#[test]
fn the_uatom_golden_denom() {
    let trace = DenomTrace::parse("transfer/channel-0/uatom");
    assert_eq!(trace.path, "transfer/channel-0");
    assert_eq!(trace.base_denom, "uatom");
    assert_eq!(
        trace.ibc_denom(),
        "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
    );
    assert_eq!(DenomTrace::parse("stake").ibc_denom(), "stake");
    let two = DenomTrace::parse("transfer/channel-1/transfer/channel-0/gamm/pool/1");
    assert_eq!(two.path, "transfer/channel-1/transfer/channel-0");
    assert_eq!(two.base_denom, "gamm/pool/1");
}

#[test]
fn denoms_unwind_on_the_way_home_and_gain_a_hop_otherwise() {
    // A → B: B prefixes its own end.
    let on_b = received_denom(
        "stake",
        ("transfer", "channel-0"),
        ("transfer", "channel-7"),
    );
    assert_eq!(on_b.full_path(), "transfer/channel-7/stake");
    // Back B → A over the same channel: the prefix is B's end, which is the source now.
    let home = received_denom(
        "transfer/channel-7/stake",
        ("transfer", "channel-7"),
        ("transfer", "channel-0"),
    );
    assert_eq!(home.full_path(), "stake");
    assert_eq!(home.ibc_denom(), "stake");
    // B → C: a second hop.
    let on_c = received_denom(
        "transfer/channel-7/stake",
        ("transfer", "channel-3"),
        ("transfer", "channel-9"),
    );
    assert_eq!(
        on_c.full_path(),
        "transfer/channel-9/transfer/channel-7/stake"
    );
}

#[test]
fn packet_data_decodes_validates_and_reencodes_byte_for_byte() {
    // As ibc-go v8 writes it (sorted keys, compact; memo omitted when empty).
    let wire = br#"{"amount":"100000000000000000000000000000001","denom":"stake","receiver":"cosmos1334zx8uq9vggqdjaqdtyt4vgwdk2aah0anv9hm","sender":"cosmos1w3g6mpj5vpfmau06hjlz5795kves3n6tpayau4"}"#;
    let data = FungibleTokenPacketData::decode(wire).unwrap();
    assert_eq!(data.amount, "100000000000000000000000000000001");
    assert_eq!(data.encode(), wire.to_vec());
    let with_memo = br#"{"amount":"1","denom":"transfer/channel-0/stake","memo":"hi","receiver":"r","sender":"s"}"#;
    assert_eq!(
        FungibleTokenPacketData::decode(with_memo).unwrap().encode(),
        with_memo.to_vec()
    );
    assert_eq!(
        FungibleTokenPacketData::decode(
            br#"{"amount":"0","denom":"d","receiver":"r","sender":"s"}"#
        ),
        Err(Ics20Error::Amount("0".into()))
    );
    assert!(FungibleTokenPacketData::decode(
        br#"{"amount":"-1","denom":"d","receiver":"r","sender":"s"}"#
    )
    .is_err());
    assert!(FungibleTokenPacketData::decode(
        br#"{"amount":"1","denom":"","receiver":"r","sender":"s"}"#
    )
    .is_err());
    assert!(FungibleTokenPacketData::decode(b"not json").is_err());
}

#[test]
fn the_policy_filters_by_size_and_channel() {
    let policy = TransferPolicy::default();
    let data = |memo: &str, receiver: &str| {
        FungibleTokenPacketData {
            amount: "1".into(),
            denom: "stake".into(),
            memo: memo.into(),
            receiver: receiver.into(),
            sender: "s".into(),
        }
        .encode()
    };
    assert!(policy.check("channel-0", &data("", "r")).is_ok());
    assert_eq!(
        policy
            .check("channel-0", &data(&"x".repeat(100 * 1024), "r"))
            .unwrap_err(),
        FilterReason::MemoTooLarge
    );
    assert_eq!(
        policy
            .check("channel-0", &data("", &"r".repeat(3000)))
            .unwrap_err(),
        FilterReason::ReceiverTooLarge
    );
    assert_eq!(
        policy.check("channel-0", b"{}").unwrap_err(),
        FilterReason::Invalid
    );
    let only = TransferPolicy {
        allow_channels: vec!["channel-1".into()],
        ..TransferPolicy::default()
    };
    assert_eq!(
        only.check("channel-0", &data("", "r")).unwrap_err(),
        FilterReason::ChannelNotAllowed
    );
    let deny = TransferPolicy {
        deny_channels: vec!["channel-0".into()],
        ..TransferPolicy::default()
    };
    assert_eq!(
        deny.check("channel-0", &data("", "r")).unwrap_err(),
        FilterReason::ChannelNotAllowed
    );
}

#[test]
fn acknowledgements_decode_both_ways() {
    let ok = br#"{"result":"AQ=="}"#;
    assert_eq!(decode_ack(ok).unwrap(), Acknowledgement::Result(vec![1]));
    assert_eq!(Acknowledgement::Result(vec![1]).encode(), ok.to_vec());
    let err = br#"{"error":"ABCI code: 5: error handling packet: see events for details"}"#;
    let decoded = decode_ack(err).unwrap();
    assert!(!decoded.is_success());
    assert_eq!(decoded.encode(), err.to_vec());
    assert!(decode_ack(b"{}").is_err());
}
