//! Strategies shared by the properties: the run size, hostile JSON, and random edits of
//! valid encodings.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::Value;

/// Cases per property (proptest's default is 256).
pub const CASES: u32 = 2000;

/// The configuration of every property.
pub fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        ..ProptestConfig::default()
    }
}

/// The JSON keys of every structure this crate decodes, so that arbitrary JSON often has
/// the right keys with the wrong values.
const KEYS: &[&str] = &[
    "amount",
    "denom",
    "memo",
    "receiver",
    "sender",
    "result",
    "error",
    "data",
    "type",
    "version",
    "controller_connection_id",
    "host_connection_id",
    "address",
    "encoding",
    "tx_type",
    "fee_version",
    "app_version",
    "app_acknowledgement",
    "forward_relayer_address",
    "underlying_app_success",
];

/// Fragments that tend to break JSON, base64, numbers and UTF-8.
const TOKENS: &[&str] = &[
    "\"",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\\",
    "\\u",
    "\\ud800",
    "\\uDFFF",
    "null",
    "true",
    "0",
    "-1",
    "1e999",
    "-0",
    "1.5",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "=",
    "==",
    "/",
    "+",
    " ",
    "\u{0}",
    "é",
    "\u{fffd}",
    "\u{10ffff}",
    "ics27-1",
    "ics29-1",
    "channel-0",
    "transfer/",
];

/// A JSON key: usually one the decoders look for.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => any::<String>(),
    ]
}

/// A JSON string: arbitrary text, base64-looking text or a token.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[A-Za-z0-9+/=]{0,24}",
        prop::sample::select(TOKENS).prop_map(str::to_string),
    ]
}

/// Any JSON value, nested a few levels.
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(key(), inner, 0..7).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One random edit of a byte string; positions are taken modulo the length.
#[derive(Clone, Debug)]
pub enum Edit {
    /// XOR one byte.
    Flip(usize, u8),
    /// Insert bytes.
    Insert(usize, Vec<u8>),
    /// Remove up to this many bytes.
    Remove(usize, usize),
    /// Cut the rest off.
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let insert = prop_oneof![
        prop::sample::select(TOKENS).prop_map(|t| t.as_bytes().to_vec()),
        vec(any::<u8>(), 1..4),
    ];
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, x)| Edit::Flip(i, x)),
        (any::<usize>(), insert).prop_map(|(i, t)| Edit::Insert(i, t)),
        (any::<usize>(), 1..8usize).prop_map(|(i, n)| Edit::Remove(i, n)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

/// `bytes` after `edits`.
pub fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len();
        match e {
            Edit::Flip(i, x) if len > 0 => {
                if let Some(b) = bytes.get_mut(i % len) {
                    *b ^= x;
                }
            }
            Edit::Insert(i, t) => {
                let at = i % (len + 1);
                bytes.splice(at..at, t.iter().copied());
            }
            Edit::Remove(i, n) if len > 0 => {
                let at = i % len;
                bytes.drain(at..at.saturating_add(*n).min(len));
            }
            Edit::Truncate(i) => bytes.truncate(i % (len + 1)),
            _ => {}
        }
    }
    bytes
}

/// Valid encodings with one to three random edits.
pub fn mutated(valid: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (valid, vec(edit(), 1..4)).prop_map(|(bytes, edits)| apply(bytes, &edits))
}

/// One change to a field of a JSON object; positions are taken modulo the field count.
#[derive(Clone, Debug)]
pub enum FieldEdit {
    /// Drop a field.
    Remove(usize),
    /// Give a field any value (often of the wrong type).
    Replace(usize, Value),
    /// Add a field (perhaps an unknown one, perhaps a repeat).
    Add(String, Value),
    /// Insert text into a string field.
    Insert(usize, usize, String),
}

fn field_edit() -> impl Strategy<Value = FieldEdit> {
    prop_oneof![
        any::<usize>().prop_map(FieldEdit::Remove),
        (any::<usize>(), json_value()).prop_map(|(i, v)| FieldEdit::Replace(i, v)),
        (key(), json_value()).prop_map(|(k, v)| FieldEdit::Add(k, v)),
        (any::<usize>(), any::<usize>(), text()).prop_map(|(i, at, t)| FieldEdit::Insert(i, at, t)),
    ]
}

/// The JSON object `bytes` after `edits` (bytes that are not an object stay as they are).
pub fn apply_fields(bytes: Vec<u8>, edits: &[FieldEdit]) -> Vec<u8> {
    let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(&bytes) else {
        return bytes;
    };
    for e in edits {
        let key = |i: usize| map.keys().nth(i % map.len().max(1)).cloned();
        match e {
            FieldEdit::Remove(i) => {
                key(*i).map(|k| map.remove(&k));
            }
            FieldEdit::Replace(i, v) => {
                key(*i).map(|k| map.insert(k, v.clone()));
            }
            FieldEdit::Add(k, v) => {
                map.insert(k.clone(), v.clone());
            }
            FieldEdit::Insert(i, at, t) => {
                if let Some(Value::String(s)) = key(*i).and_then(|k| map.get_mut(&k)) {
                    let at = (0..=s.len())
                        .filter(|b| s.is_char_boundary(*b))
                        .cycle()
                        .nth(*at % (s.len() + 1))
                        .unwrap_or(0);
                    s.insert_str(at, t);
                }
            }
        }
    }
    Value::Object(map).to_string().into_bytes()
}

/// Hostile bytes: random, arbitrary JSON, or a valid encoding with random byte edits or
/// random field edits.
pub fn hostile(valid: impl Strategy<Value = Vec<u8>> + 'static) -> BoxedStrategy<Vec<u8>> {
    let valid = valid.boxed();
    let fields = (valid.clone(), vec(field_edit(), 1..4))
        .prop_map(|(bytes, edits)| apply_fields(bytes, &edits));
    prop_oneof![
        1 => vec(any::<u8>(), 0..256),
        1 => json_value().prop_map(|v| v.to_string().into_bytes()),
        2 => mutated(valid),
        2 => fields,
    ]
    .boxed()
}

/// Hostile text: hostile bytes read as (lossy) UTF-8, or any string.
pub fn hostile_text(valid: impl Strategy<Value = Vec<u8>> + 'static) -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        hostile(valid).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
    .boxed()
}

#[test]
fn edits_change_bytes_as_described() {
    let bytes = b"abcdef".to_vec();
    assert_eq!(apply(bytes.clone(), &[Edit::Truncate(3)]), b"abc");
    assert_eq!(apply(bytes.clone(), &[Edit::Remove(1, 2)]), b"adef");
    assert_eq!(apply(bytes.clone(), &[Edit::Remove(5, 9)]), b"abcde");
    assert_eq!(
        apply(bytes.clone(), &[Edit::Insert(7, b"{".to_vec())]),
        b"{abcdef"
    );
    assert_eq!(apply(bytes, &[Edit::Flip(6, 0x20)]), b"Abcdef");
    assert_eq!(apply(Vec::new(), &[Edit::Flip(5, 1)]), b"");
}
