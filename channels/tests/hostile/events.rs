//! CometBFT events → typed IBC events: plain and base64 attributes, arbitrary keys, values
//! and bytes, and ibc-go's attributes with random damage.

use base64::Engine;
use proptest::collection::vec;
use proptest::prelude::*;
use stateset_channels::events::KINDS;
use stateset_channels::{parse_abci_event, parse_ibc_event, IbcEvent};
use tendermint::abci::{Event, EventAttribute};

use crate::gen::{attributes, event, Attrs};
use crate::support::{config, edit_text, hostile_text};

/// Every attribute key ibc-go v8 writes on the events above (and v10/v11 on IBC v2 packet
/// events).
const KEYS: &[&str] = &[
    "client_id",
    "client_type",
    "consensus_height",
    "consensus_heights",
    "header",
    "connection_id",
    "counterparty_client_id",
    "counterparty_connection_id",
    "port_id",
    "channel_id",
    "counterparty_port_id",
    "counterparty_channel_id",
    "version",
    "packet_data",
    "packet_data_hex",
    "packet_ack",
    "packet_ack_hex",
    "packet_timeout_height",
    "packet_timeout_timestamp",
    "packet_sequence",
    "packet_src_port",
    "packet_src_channel",
    "packet_dst_port",
    "packet_dst_channel",
    "packet_channel_ordering",
    "packet_connection",
    "msg_index",
    // IBC v2 packet events (ibc-go v10/v11).
    "packet_source_client",
    "packet_dest_client",
    "encoded_packet_hex",
    "encoded_acknowledgement_hex",
];

/// The keys whose presence makes a packet event an IBC v2 one.
const V2_MARKERS: &[&str] = &["packet_source_client", "encoded_packet_hex"];

/// `s` base64-encoded.
pub fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// The same attributes as a CometBFT 0.34 chain reports them: key and value base64.
pub fn b64_attrs(a: &Attrs) -> Attrs {
    a.iter().map(|(k, v)| (b64(k), b64(v))).collect()
}

/// An event kind: usually an IBC one.
fn kind() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KINDS).prop_map(str::to_string),
        1 => prop_oneof![Just("transfer".to_string()), Just("message".to_string()), any::<String>()],
    ]
}

/// A key: a known one, plain or base64, or anything.
fn key() -> impl Strategy<Value = String> {
    let known = || prop::sample::select(KEYS);
    prop_oneof![
        3 => known().prop_map(str::to_string),
        2 => known().prop_map(b64),
        1 => any::<String>(),
    ]
}

/// A value: hostile text, or its base64.
pub fn value() -> impl Strategy<Value = String> {
    prop_oneof![3 => hostile_text(), 1 => hostile_text().prop_map(|v| b64(&v))]
}

/// One change to a list of attributes.
#[derive(Clone, Debug)]
pub enum Damage {
    /// Drop one.
    Remove(usize),
    /// Put a random value in one.
    Replace(usize, String),
    /// Edit the text of one value.
    Edit(usize, usize, u8, String),
    /// Put a random attribute first (it wins over a later one with its key).
    Prepend(String, String),
    /// Base64-encode one key (not its value) or vice versa.
    HalfEncode(usize, bool),
}

pub fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<usize>().prop_map(Damage::Remove),
        (any::<usize>(), value()).prop_map(|(i, v)| Damage::Replace(i, v)),
        (any::<usize>(), any::<usize>(), any::<u8>(), hostile_text())
            .prop_map(|(i, at, how, with)| Damage::Edit(i, at, how, with)),
        (key(), value()).prop_map(|(k, v)| Damage::Prepend(k, v)),
        (any::<usize>(), any::<bool>()).prop_map(|(i, key)| Damage::HalfEncode(i, key)),
    ]
}

pub fn apply(mut a: Attrs, damage: &[Damage]) -> Attrs {
    for d in damage {
        let len = a.len().max(1);
        match d {
            Damage::Remove(i) if !a.is_empty() => {
                a.remove(i % len);
            }
            Damage::Replace(i, v) => {
                if let Some(attr) = a.get_mut(i % len) {
                    attr.1 = v.clone();
                }
            }
            Damage::Edit(i, at, how, with) => {
                if let Some(attr) = a.get_mut(i % len) {
                    attr.1 = edit_text(&attr.1, *at, *how, with);
                }
            }
            Damage::Prepend(k, v) => a.insert(0, (k.clone(), v.clone())),
            Damage::HalfEncode(i, key) => {
                if let Some(attr) = a.get_mut(i % len) {
                    if *key {
                        attr.0 = b64(&attr.0);
                    } else {
                        attr.1 = b64(&attr.1);
                    }
                }
            }
            _ => {}
        }
    }
    a
}

/// The attributes as CometBFT ≥ 0.37 (`V037`) or 0.34 (`V034`, bytes) report them.
pub fn abci(kind: &str, a: &[(Vec<u8>, Vec<u8>)], v034: bool) -> Event {
    use tendermint::abci::{v0_34, v0_37};
    let attributes = a
        .iter()
        .map(|(k, v)| match v034 {
            true => EventAttribute::V034(v0_34::EventAttribute {
                key: k.clone(),
                value: v.clone(),
                index: true,
            }),
            false => EventAttribute::V037(v0_37::EventAttribute {
                key: String::from_utf8_lossy(k).into_owned(),
                value: String::from_utf8_lossy(v).into_owned(),
                index: true,
            }),
        })
        .collect();
    Event {
        kind: kind.to_string(),
        attributes,
    }
}

fn lossy(a: &[(Vec<u8>, Vec<u8>)]) -> Attrs {
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    a.iter().map(|(k, v)| (s(k), s(v))).collect()
}

/// What every parse must satisfy: IBC kinds give their own variant, others nothing.
pub fn check(
    kind: &str,
    parsed: &Result<Option<IbcEvent>, stateset_channels::EventError>,
) -> Result<(), TestCaseError> {
    match parsed {
        Ok(Some(e)) => prop_assert_eq!(e.kind_str(), kind),
        Ok(None) => prop_assert!(!KINDS.contains(&kind)),
        Err(e) => prop_assert!(KINDS.contains(&kind), "{e}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn ibc_go_attributes_round_trip_plain_and_base64(e in event()) {
        let a = attributes(&e);
        let kind = e.kind_str();
        prop_assert_eq!(parse_ibc_event(kind, &a), Ok(Some(e.clone())));
        prop_assert_eq!(parse_ibc_event(kind, &b64_attrs(&a)), Ok(Some(e.clone())));
        let bytes: Vec<_> = a.iter().map(|(k, v)| (k.clone().into_bytes(), v.clone().into_bytes())).collect();
        prop_assert_eq!(parse_abci_event(&abci(kind, &bytes, false)), Ok(Some(e.clone())));
        prop_assert_eq!(parse_abci_event(&abci(kind, &bytes, true)), Ok(Some(e)));
    }

    #[test]
    fn random_attributes_never_panic(kind in kind(), a in vec((key(), value()), 0..24)) {
        let parsed = parse_ibc_event(&kind, &a);
        check(&kind, &parsed)?;
    }

    #[test]
    fn damaged_ibc_go_attributes_never_panic(
        e in event(),
        encode in any::<bool>(),
        damage in vec(damage(), 1..5),
    ) {
        let a = attributes(&e);
        let a = apply(if encode { b64_attrs(&a) } else { a }, &damage);
        let parsed = parse_ibc_event(e.kind_str(), &a);
        check(e.kind_str(), &parsed)?;
    }

    #[test]
    fn arbitrary_bytes_parse_as_their_lossy_text(
        kind in kind(),
        a in vec((vec(any::<u8>(), 0..24), vec(any::<u8>(), 0..48)), 0..16),
        known in vec((prop::sample::select(KEYS), vec(any::<u8>(), 0..32)), 0..16),
        v034 in any::<bool>(),
    ) {
        let mut a = a;
        a.extend(known.into_iter().map(|(k, v)| (k.as_bytes().to_vec(), v)));
        let parsed = parse_abci_event(&abci(&kind, &a, v034));
        check(&kind, &parsed)?;
        prop_assert_eq!(parsed, parse_ibc_event(&kind, &lossy(&a)));
    }

    #[test]
    fn the_first_of_repeated_attributes_counts(e in event(), junk in vec((key(), value()), 0..8)) {
        // Attributes ibc-go leaves out when they have no value: appending one adds it (and
        // a v2 key makes a packet event an IBC v2 one).
        let optional = |k: &str| ["version", "packet_channel_ordering"].contains(&k) || V2_MARKERS.contains(&k);
        let decoded = |k: &str| {
            let bytes = base64::engine::general_purpose::STANDARD.decode(k).unwrap_or_default();
            String::from_utf8(bytes).unwrap_or_default()
        };
        let mut a = attributes(&e);
        a.extend(junk.into_iter().filter(|(k, _)| !optional(k) && !optional(&decoded(k))));
        // Appended repeats of the attributes present never change the event.
        prop_assert_eq!(parse_ibc_event(e.kind_str(), &a), Ok(Some(e)));
    }
}
