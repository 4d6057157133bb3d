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

/// ibc-go v8.8 `TestParseDenomTrace`, case for case: (denom, path, base denom).
const IBC_GO_PARSE_CASES: &[(&str, &str, &str)] = &[
    ("", "", ""),
    ("uatom", "", "uatom"),
    ("uatom/", "", "uatom/"),
    ("gamm/pool/1", "", "gamm/pool/1"),
    ("gamm//pool//1", "", "gamm//pool//1"),
    ("transfer/channel-1/uatom", "transfer/channel-1", "uatom"),
    (
        "customtransfer/channel-1/uatom",
        "customtransfer/channel-1",
        "uatom",
    ),
    ("transfer/channel-1/uatom/", "transfer/channel-1", "uatom/"),
    (
        "transfer/channel-1/erc20/0x85bcBCd7e79Ec36f4fBBDc54F90C643d921151AA",
        "transfer/channel-1",
        "erc20/0x85bcBCd7e79Ec36f4fBBDc54F90C643d921151AA",
    ),
    (
        "transfer/channel-1/gamm/pool/1",
        "transfer/channel-1",
        "gamm/pool/1",
    ),
    (
        "transfer/channel-1/gamm//pool//1",
        "transfer/channel-1",
        "gamm//pool//1",
    ),
    (
        "transfer/channel-1/transfer/channel-2/uatom",
        "transfer/channel-1/transfer/channel-2",
        "uatom",
    ),
    (
        "customtransfer/channel-1/alternativetransfer/channel-2/uatom",
        "customtransfer/channel-1/alternativetransfer/channel-2",
        "uatom",
    ),
    ("transfer/uatom", "", "transfer/uatom"),
    ("transfer//uatom", "", "transfer//uatom"),
    ("channel-1/transfer/uatom", "", "channel-1/transfer/uatom"),
    ("uatom/transfer", "", "uatom/transfer"),
    ("transfer/channel-1", "", "transfer/channel-1"),
    ("transfer/channel-1/", "transfer/channel-1", ""),
    (
        "transfer/channel-1/transfer",
        "transfer/channel-1",
        "transfer",
    ),
    (
        "transfer/channel-1/transfer/channel-2",
        "transfer/channel-1/transfer/channel-2",
        "",
    ),
    ("transfer/channelToA/uatom", "", "transfer/channelToA/uatom"),
];

#[test]
fn denom_traces_parse_as_ibc_go_parses_them() {
    for (denom, path, base) in IBC_GO_PARSE_CASES {
        let trace = DenomTrace::parse(denom);
        assert_eq!(
            (trace.path.as_str(), trace.base_denom.as_str()),
            (*path, *base),
            "{denom}"
        );
    }
}

#[test]
fn only_ibc_go_channel_ids_make_a_hop() {
    // A hop is `port/channel-{N}`, N of 1..=20 ASCII digits that fits a u64.
    for channel in [
        "channel-0",
        "channel-007",
        "channel-18446744073709551615",
        "channel-00000000000000000001",
    ] {
        assert!(is_valid_channel_id(channel), "{channel}");
        let trace = DenomTrace::parse(&format!("transfer/{channel}/uatom"));
        assert_eq!(trace.path, format!("transfer/{channel}"));
        assert_eq!(trace.base_denom, "uatom");
    }
    for channel in [
        "channel-",
        "channel-x",
        "channel-1a",
        "channel--1",
        "channel-+1",
        "channel- 1",
        "channel-1 ",
        "channel-1\n",
        "channel-18446744073709551616",
        "channel-000000000000000000001",
        "channel-١",
        "Channel-1",
        "channel-1-2",
        "xchannel-1",
        "channelToA",
        "",
    ] {
        assert!(!is_valid_channel_id(channel), "{channel:?}");
        let denom = format!("transfer/{channel}/uatom");
        let trace = DenomTrace::parse(&denom);
        assert_eq!(trace.path, "", "{channel:?}");
        assert_eq!(trace.base_denom, denom);
    }
    // A hop after an invalid one is part of the base denom.
    let trace = DenomTrace::parse("transfer/channel-1/transfer/channel-x/transfer/channel-2/u");
    assert_eq!(trace.path, "transfer/channel-1");
    assert_eq!(trace.base_denom, "transfer/channel-x/transfer/channel-2/u");
}

#[test]
fn traces_that_use_up_every_part_keep_ibc_go_full_paths_and_hashes() {
    // ibc-go `TestDenomTrace_IBCDenom`.
    let trace = DenomTrace::parse("transfer/channel-1/uatom");
    assert_eq!(
        trace.ibc_denom(),
        "ibc/C4CFF46FD6DE35CA4CF4CE031E643C8FDC9BA4B99AE598E9B0ED98FE3A2319F9"
    );
    // An empty base denom keeps the trailing separator, as ibc-go's GetFullDenomPath.
    let empty_base = DenomTrace::parse("transfer/channel-1/");
    assert_eq!(empty_base.full_path(), "transfer/channel-1/");
    // A received denom that unwinds to `port/channel` only is a native denom there.
    let home = received_denom(
        "transfer/channel-7/transfer/channel-1",
        ("transfer", "channel-7"),
        ("transfer", "channel-0"),
    );
    assert_eq!(
        (home.path.as_str(), home.base_denom.as_str()),
        ("", "transfer/channel-1")
    );
}
