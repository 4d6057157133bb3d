//! Dynamic gas prices: the `LegacyDec` wire form, answers encoded byte by byte as the real
//! modules send them, the multiplier and the cap, the fallback decision and the lazy
//! refresh.

use std::sync::atomic::{AtomicUsize, Ordering};

use prost::Message;

use super::*;

fn dynamic(source: GasPriceSource, multiplier: f64, max: f64) -> DynamicGasConfig {
    DynamicGasConfig {
        source,
        multiplier,
        max,
        refresh: Duration::from_secs(30),
    }
}

fn feemarket() -> DynamicGasConfig {
    dynamic(GasPriceSource::Feemarket, 1.1, 0.1)
}

fn grpc_error(code: tonic::Code, message: &str) -> ChainError {
    ChainError::Grpc {
        chain: "c".into(),
        method: "feemarket.GasPrice",
        code,
        message: message.into(),
    }
}

/// A length-delimited protobuf field (wire type 2) with a one-byte length, built by hand.
fn field(number: u8, bytes: &[u8]) -> Vec<u8> {
    assert!(bytes.len() < 128, "one-byte varint length");
    let mut out = vec![(number << 3) | 2, bytes.len() as u8];
    out.extend_from_slice(bytes);
    out
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-15 * b.abs().max(1.0)
}

#[test]
fn a_legacy_dec_on_the_wire_is_the_integer_times_ten_to_the_18() {
    for (wire, value) in [
        ("2500000000000000", 0.0025),
        ("5000000000000000", 0.005),
        ("30000000000000000", 0.03),
        ("1000000000000000000", 1.0),
        ("1500000000000000000", 1.5),
        ("123000000000000000000", 123.0),
        ("1", 1e-18),
        ("0", 0.0),
        ("000000000000000000000", 0.0),
        ("10000000000000000000000000000000000000000", 1e22),
    ] {
        let parsed = parse_dec(wire).unwrap();
        assert!(close(parsed, value), "{wire}: {parsed} != {value}");
    }
}

#[test]
fn a_decimal_with_a_point_is_read_as_shown() {
    for (text, value) in [
        ("0.002500000000000000", 0.0025),
        ("0.005", 0.005),
        ("1.0", 1.0),
        ("0.000000000000000001", 1e-18),
        ("12.5", 12.5),
    ] {
        assert!(close(parse_dec(text).unwrap(), value), "{text}");
    }
}

#[test]
fn malformed_decimals_are_errors_not_panics() {
    for bad in [
        "",
        "-2500000000000000",
        "+1",
        "-0.5",
        "0.0025uatom",
        "2.5e15",
        "0x10",
        " 1",
        "1 ",
        "1_000",
        ".5",
        "5.",
        ".",
        "1.2.3",
        "0.0000000000000000001",
        "NaN",
        "inf",
        "१२३",
        "١",
        "é",
    ] {
        let e = parse_dec(bad).unwrap_err();
        assert!(!e.is_empty(), "{bad:?}");
    }
    assert!(parse_dec(&"9".repeat(129))
        .unwrap_err()
        .contains("too long"));
    // The longest strings accepted are finite numbers.
    assert!(parse_dec(&format!("{}.0", "9".repeat(126))).is_ok_and(f64::is_finite));
    assert!(parse_dec(&"9".repeat(128)).is_ok_and(f64::is_finite));
}

#[test]
fn the_feemarket_request_is_encoded_as_the_proto_says() {
    // GasPriceRequest { string denom = 1; }
    let req = GasPriceRequest {
        denom: "uatom".into(),
    };
    assert_eq!(req.encode_to_vec(), field(1, b"uatom"));
    assert!(QueryEipBaseFeeRequest {}.encode_to_vec().is_empty());
}

/// The Cosmos Hub's x/feemarket answer to GasPrice("uatom") at its minimum base gas
/// price, 0.005uatom: GasPriceResponse { DecCoin price = 1 } with
/// DecCoin { string denom = 1; string amount = 2 (LegacyDec) }, as gogoproto marshals it.
#[test]
fn golden_feemarket_answer_of_the_cosmos_hub() {
    let dec_coin = [field(1, b"uatom"), field(2, b"5000000000000000")].concat();
    let bytes = field(1, &dec_coin);
    assert_eq!(
        bytes,
        b"\x0a\x19\x0a\x05uatom\x12\x105000000000000000".to_vec(),
        "the bytes a node sends"
    );
    let resp = GasPriceResponse::decode(bytes.as_slice()).unwrap();
    assert_eq!(feemarket_price(&resp, "uatom").unwrap(), 0.005);
    // 1.1 × 0.005, under the cap.
    let paid = scaled_price(feemarket_price(&resp, "uatom").unwrap(), &feemarket());
    assert!(close(paid, 0.0055), "{paid}");
}

/// A feemarket price that moved off its minimum (0.0061234uatom), and a chain whose
/// fee denom is an IBC denom.
#[test]
fn golden_feemarket_answer_with_a_moved_price_and_an_ibc_denom() {
    let denom = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";
    let dec_coin = [field(1, denom.as_bytes()), field(2, b"6123400000000000")].concat();
    let resp = GasPriceResponse::decode(field(1, &dec_coin).as_slice()).unwrap();
    assert!(close(feemarket_price(&resp, denom).unwrap(), 0.0061234));
}

#[test]
fn a_feemarket_answer_that_cannot_be_used_says_why() {
    // No price at all (an empty message).
    let empty = GasPriceResponse::decode(&[][..]).unwrap();
    assert!(feemarket_price(&empty, "uatom")
        .unwrap_err()
        .contains("no price"));
    // A price in another denom.
    let other = [field(1, b"stake"), field(2, b"1000000000000000")].concat();
    let resp = GasPriceResponse::decode(field(1, &other).as_slice()).unwrap();
    let e = feemarket_price(&resp, "uatom").unwrap_err();
    assert!(e.contains("`stake`") && e.contains("`uatom`"), "{e}");
    // An amount that is no LegacyDec.
    let bad = [field(1, b"uatom"), field(2, b"-5")].concat();
    let resp = GasPriceResponse::decode(field(1, &bad).as_slice()).unwrap();
    assert!(feemarket_price(&resp, "uatom")
        .unwrap_err()
        .contains("price amount"));
    // Bytes that are no protobuf at all: a decode error, not a panic.
    assert!(GasPriceResponse::decode(&b"\x0a\x50short"[..]).is_err());
}

/// Osmosis' txfees answer at its consensus minimum base fee (0.03uosmo):
/// QueryEipBaseFeeResponse { string base_fee = 1 (LegacyDec) }.
#[test]
fn golden_osmosis_answer_at_the_minimum_base_fee() {
    let bytes = field(1, b"30000000000000000");
    assert_eq!(bytes, b"\x0a\x1130000000000000000".to_vec());
    let resp = QueryEipBaseFeeResponse::decode(bytes.as_slice()).unwrap();
    assert_eq!(osmosis_price(&resp).unwrap(), 0.03);
}

/// An Osmosis base fee raised by EIP-1559 after full blocks, with all 18 decimals
/// (0.033075000000000001uosmo, which an f64 holds as 0.033075).
#[test]
fn golden_osmosis_answer_after_busy_blocks() {
    let resp = QueryEipBaseFeeResponse::decode(field(1, b"33075000000000001").as_slice()).unwrap();
    let price = osmosis_price(&resp).unwrap();
    assert!(close(price, 0.033_075), "{price}");
    let osmosis = dynamic(GasPriceSource::Osmosis, 1.2, 0.0375);
    assert_eq!(scaled_price(price, &osmosis), 0.0375, "capped");
    let bad = QueryEipBaseFeeResponse::decode(field(1, b"0.03.0").as_slice()).unwrap();
    assert!(osmosis_price(&bad).unwrap_err().contains("base_fee"));
    // A field the relayer does not know (a newer Osmosis) is skipped.
    let newer = [field(1, b"30000000000000000"), field(2, b"x")].concat();
    let resp = QueryEipBaseFeeResponse::decode(newer.as_slice()).unwrap();
    assert_eq!(osmosis_price(&resp).unwrap(), 0.03);
}

#[test]
fn the_price_is_the_chains_times_the_multiplier_at_most_the_cap() {
    let c = feemarket();
    assert!(close(scaled_price(0.01, &c), 0.011));
    assert_eq!(scaled_price(0.0, &c), 0.0);
    assert_eq!(scaled_price(0.5, &c), 0.1);
    assert_eq!(
        scaled_price(1e300, &dynamic(GasPriceSource::Feemarket, 10.0, 0.1)),
        0.1
    );
    let d = decide(&Outcome::Price(0.0909), None, 0.001, &c, false);
    assert!(close(d.price, 0.09999), "{}", d.price);
    assert!(!d.capped);
    let d = decide(&Outcome::Price(0.091), None, 0.001, &c, false);
    assert_eq!((d.price, d.capped), (0.1, true));
    assert_eq!(d.source, PriceSource::Chain);
    assert_eq!(d.last_read, Some(0.1));
    // The static price plays no part when the chain answers, even above it.
    let d = decide(&Outcome::Price(0.0001), None, 0.001, &c, false);
    assert!(close(d.price, 0.00011));
}

#[test]
fn a_chain_without_the_module_is_paid_the_static_price_with_one_warning() {
    let c = feemarket();
    let first = decide(&Outcome::Absent, None, 0.001, &c, false);
    assert_eq!(
        first,
        Decision {
            price: 0.001,
            source: PriceSource::Fallback,
            last_read: None,
            capped: false,
            log: Log::WarnAbsent,
        }
    );
    let later = decide(&Outcome::Absent, Some(0.02), 0.001, &c, true);
    assert_eq!((later.price, later.log), (0.001, Log::Debug));
    assert_eq!(later.last_read, None, "a module gone is not read from");
}

#[test]
fn a_failed_query_keeps_the_last_price_read() {
    let c = feemarket();
    let transient = Outcome::Failed { transient: true };
    let d = decide(&transient, Some(0.02), 0.001, &c, false);
    assert_eq!(
        (d.price, d.source, d.last_read, d.log),
        (0.02, PriceSource::LastRead, Some(0.02), Log::Debug)
    );
    let d = decide(&transient, None, 0.001, &c, false);
    assert_eq!(
        (d.price, d.source, d.log),
        (0.001, PriceSource::Fallback, Log::Debug)
    );
    // An answer that is an error (a denom the module does not price, an undecodable
    // price) is worth the chain's one warning; the link's failures are not.
    let answer = Outcome::Failed { transient: false };
    let d = decide(&answer, Some(0.02), 0.001, &c, false);
    assert_eq!((d.price, d.log), (0.02, Log::WarnFailed));
    let d = decide(&answer, Some(0.02), 0.001, &c, true);
    assert_eq!(d.log, Log::Debug);
}

#[test]
fn outcomes_of_query_results() {
    assert_eq!(Outcome::of(&Ok(0.005)), Outcome::Price(0.005));
    let unknown_service = grpc_error(
        tonic::Code::Unimplemented,
        "unknown service feemarket.feemarket.v1.Query",
    );
    assert_eq!(Outcome::of(&Err(unknown_service)), Outcome::Absent);
    assert_eq!(
        Outcome::of(&Err(grpc_error(tonic::Code::NotFound, "not found"))),
        Outcome::Absent
    );
    assert_eq!(
        Outcome::of(&Err(grpc_error(
            tonic::Code::Unavailable,
            "connection refused"
        ))),
        Outcome::Failed { transient: true }
    );
    assert_eq!(
        Outcome::of(&Err(grpc_error(
            tonic::Code::Unknown,
            "denom ufoo not allowed"
        ))),
        Outcome::Failed { transient: false }
    );
    let decode = ChainError::Decode {
        chain: "c".into(),
        method: "feemarket.GasPrice",
        detail: "price amount: empty decimal".into(),
    };
    assert_eq!(
        Outcome::of(&Err(decode)),
        Outcome::Failed { transient: false }
    );
}

#[test]
fn a_price_is_read_again_after_refresh() {
    let t0 = Instant::now();
    let refresh = Duration::from_secs(30);
    assert!(is_stale(None, t0, refresh));
    assert!(!is_stale(Some(t0), t0, refresh));
    assert!(!is_stale(Some(t0), t0 + Duration::from_secs(29), refresh));
    assert!(is_stale(Some(t0), t0 + refresh, refresh));
    // A clock that seems to go back is not a reason to read.
    assert!(!is_stale(Some(t0 + refresh), t0, refresh));
}

#[test]
fn the_fee_the_chain_asks_for_is_raised_at_most_to_the_cap() {
    assert_eq!(capped_min_fee(500, 100_000, 0.1), 500);
    assert_eq!(capped_min_fee(50_000, 100_000, 0.1), 10_000);
    assert_eq!(capped_min_fee(50_000, 100_001, 0.1), 10_001, "rounded up");
    let huge = capped_min_fee(u128::MAX, u64::MAX, 0.1);
    assert!((1_844_674_407_370_950_000..1_844_674_407_370_960_000).contains(&huge));
    assert_eq!(capped_min_fee(7, 0, 0.1), 0);
}

#[test]
fn the_one_warning_is_given_once_per_chain() {
    let chain = "gas-price-warn-once-1";
    assert!(!has_warned(chain));
    assert!(first_warning(chain));
    assert!(has_warned(chain));
    assert!(!first_warning(chain));
    assert!(first_warning("gas-price-warn-once-2"));
}

fn gas_price(dynamic: Option<DynamicGasConfig>) -> GasPrice {
    GasPrice {
        price: 0.001,
        denom: "uatom".into(),
        dynamic,
    }
}

#[tokio::test]
async fn a_static_price_never_queries() {
    let p = DynamicGasPrice::new("gas-price-static", &gas_price(None));
    let now = p
        .current_with(|_, _| -> std::future::Ready<Result<f64, ChainError>> {
            panic!("no query without `dynamic`")
        })
        .await;
    assert_eq!(
        now,
        CurrentGasPrice {
            price: 0.001,
            source: PriceSource::Static
        }
    );
    assert_eq!(p.cap(), None);
}

#[tokio::test(start_paused = true)]
async fn the_price_is_read_lazily_at_most_every_refresh() {
    let p = DynamicGasPrice::new("gas-price-lazy", &gas_price(Some(feemarket())));
    assert_eq!(p.cap(), Some(0.1));
    let queries = AtomicUsize::new(0);
    let read = |answer: Result<f64, ChainError>| {
        let queries = &queries;
        move |source: GasPriceSource, denom: String| {
            assert_eq!(
                (source, denom.as_str()),
                (GasPriceSource::Feemarket, "uatom")
            );
            queries.fetch_add(1, Ordering::SeqCst);
            async move { answer }
        }
    };
    let now = p.current_with(read(Ok(0.01))).await;
    assert!(close(now.price, 0.011));
    assert_eq!(now.source, PriceSource::Chain);
    // Within refresh: the cached price, no query.
    tokio::time::advance(Duration::from_secs(29)).await;
    let again = p.current_with(read(Ok(0.05))).await;
    assert_eq!((again, queries.load(Ordering::SeqCst)), (now, 1));
    // After refresh: read again.
    tokio::time::advance(Duration::from_secs(1)).await;
    let moved = p.current_with(read(Ok(0.05))).await;
    assert!(close(moved.price, 0.055));
    // The link fails: the last price read is kept.
    tokio::time::advance(Duration::from_secs(30)).await;
    let kept = p
        .current_with(read(Err(grpc_error(
            tonic::Code::Unavailable,
            "connection refused",
        ))))
        .await;
    assert_eq!(kept.price, moved.price);
    assert_eq!(kept.source, PriceSource::LastRead);
    // After the chain refused a fee, the next tx reads the price at once.
    p.expire().await;
    let risen = p.current_with(read(Ok(1.0))).await;
    assert_eq!((risen.price, risen.source), (0.1, PriceSource::Chain));
    assert_eq!(queries.load(Ordering::SeqCst), 4);
}

#[tokio::test(start_paused = true)]
async fn a_chain_without_feemarket_falls_back_to_the_static_price_and_warns_once() {
    let chain = "gas-price-no-module";
    let p = DynamicGasPrice::new(chain, &gas_price(Some(feemarket())));
    let absent = || {
        |_: GasPriceSource, _: String| async {
            Err(grpc_error(
                tonic::Code::Unimplemented,
                "unknown service feemarket.feemarket.v1.Query",
            ))
        }
    };
    assert!(!has_warned(chain));
    let now = p.current_with(absent()).await;
    assert_eq!(
        now,
        CurrentGasPrice {
            price: 0.001,
            source: PriceSource::Fallback
        }
    );
    assert!(has_warned(chain), "the one warning was given");
    // A later endpoint of the same chain (a reconnection) gives no second warning.
    let reconnected = DynamicGasPrice::new(chain, &gas_price(Some(feemarket())));
    tokio::time::advance(Duration::from_secs(31)).await;
    assert_eq!(reconnected.current_with(absent()).await.price, 0.001);
    assert!(!first_warning(chain));
}
