use super::*;
use ibc_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use ibc_proto::ibc::applications::fee::v1::Fee;

fn coins(list: &[(&str, u128)]) -> Vec<ProtoCoin> {
    list.iter()
        .map(|(d, a)| ProtoCoin {
            denom: d.to_string(),
            amount: a.to_string(),
        })
        .collect()
}

fn packet_fee(recv: &[(&str, u128)], ack: &[(&str, u128)], timeout: &[(&str, u128)]) -> PacketFee {
    PacketFee {
        fee: Some(Fee {
            recv_fee: coins(recv),
            ack_fee: coins(ack),
            timeout_fee: coins(timeout),
        }),
        refund_address: "cosmos1refund".into(),
        relayers: vec![],
    }
}

#[test]
fn fee_versions_wrap_and_unwrap_as_ibc_go_writes_them() {
    let v = r#"{"fee_version":"ics29-1","app_version":"ics20-1"}"#;
    let parsed = FeeVersion::parse(v).expect("fee version");
    assert_eq!(parsed.app_version, "ics20-1");
    assert_eq!(parsed.encode(), v);
    assert_eq!(FeeVersion::wrap("ics20-1").encode(), v);
    assert_eq!(app_version(v), "ics20-1");
    assert_eq!(app_version("ics20-1"), "ics20-1");
    assert!(FeeVersion::parse("ics20-1").is_none());
    assert!(FeeVersion::parse(r#"{"fee_version":"ics29-9","app_version":"x"}"#).is_none());
}

#[test]
fn incentivized_acks_decode_and_reencode_byte_for_byte() {
    // Captured from ibc-go v8.8 simd (e2e `fees`): the fee middleware's ack around an
    // ICS-20 success ack, naming the relayer's counterparty payee.
    let bytes = br#"{"app_acknowledgement":"eyJyZXN1bHQiOiJBUT09In0=","forward_relayer_address":"cosmos1334zx8uq9vggqdjaqdtyt4vgwdk2aah0anv9hm","underlying_app_success":true}"#;
    let ack = IncentivizedAck::decode(bytes).expect("decodes");
    assert_eq!(ack.app_acknowledgement, br#"{"result":"AQ=="}"#);
    assert_eq!(
        ack.forward_relayer_address,
        "cosmos1334zx8uq9vggqdjaqdtyt4vgwdk2aah0anv9hm"
    );
    assert!(ack.underlying_app_success);
    assert_eq!(ack.encode(), bytes.to_vec());
    assert_eq!(app_acknowledgement(bytes), br#"{"result":"AQ=="}"#.to_vec());
    // A plain ack passes through.
    assert_eq!(
        app_acknowledgement(br#"{"result":"AQ=="}"#),
        br#"{"result":"AQ=="}"#.to_vec()
    );
    assert!(IncentivizedAck::decode(br#"{"result":"AQ=="}"#).is_err());
}

#[test]
fn coins_parse_from_config_strings() {
    let c: Coin = "100stake".parse().unwrap();
    assert_eq!((c.amount, c.denom.as_str()), (100, "stake"));
    assert_eq!(c.to_string(), "100stake");
    let ibc: Coin = "5ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
        .parse()
        .unwrap();
    assert_eq!(ibc.amount, 5);
    for bad in [
        "stake", "100", "", "-5stake", "10 stake", "1.5stake", "100s",
    ] {
        assert!(bad.parse::<Coin>().is_err(), "{bad} should not parse");
    }
}

#[test]
fn escrowed_fees_sum_over_payers_and_min_fees_count_recv_plus_ack() {
    let fees = EscrowedFees::from_packet_fees(&[
        packet_fee(&[("stake", 60)], &[("stake", 20)], &[("stake", 10)]),
        packet_fee(&[("stake", 40), ("uatom", 1)], &[], &[("stake", 5)]),
    ]);
    assert_eq!(fees.recv["stake"], 100);
    assert_eq!(fees.ack["stake"], 20);
    assert_eq!(fees.timeout["stake"], 15);
    assert_eq!(fees.relay_reward()["stake"], 120);

    let min = MinFees(vec!["120stake".parse().unwrap()]);
    assert!(min.is_met(Some(&fees)));
    assert!(!MinFees(vec!["121stake".parse().unwrap()]).is_met(Some(&fees)));
    // Every listed coin must be met.
    let both = MinFees(vec!["100stake".parse().unwrap(), "2uatom".parse().unwrap()]);
    assert!(!both.is_met(Some(&fees)));
    // Unpaid packets never meet an active policy; an empty policy relays everything.
    assert!(!min.is_met(None));
    assert!(!min.is_met(Some(&EscrowedFees::default())));
    assert!(MinFees::default().is_met(None));
    // Timeout fees do not count toward relaying.
    let only_timeout = EscrowedFees::from_packet_fees(&[packet_fee(&[], &[], &[("stake", 999)])]);
    assert!(!min.is_met(Some(&only_timeout)));
}
