//! Shared configuration and hostile text.

use proptest::prelude::*;

/// Cases per property (proptest's default is 256).
pub const CASES: u32 = 2000;

/// The configuration of every property.
pub fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        ..ProptestConfig::default()
    }
}

/// Text that breaks numbers, heights, identifiers, hex and base64.
const TOKENS: &[&str] = &[
    "",
    "0",
    "-",
    "-1",
    "+1",
    "0-0",
    "1-",
    "-1-1",
    "18446744073709551615",
    "18446744073709551616",
    "1-18446744073709551616",
    "99999999999999999999999",
    "1-2,",
    ",,",
    "7g",
    "abc",
    "==",
    "=",
    "/",
    "channel-",
    "channel-0/",
    "connection-",
    "07-tendermint-",
    "\u{0}",
    "é",
    "\u{fffd}",
    " ",
    "ORDER_ORDERED",
];

/// A string likely to be almost right: a token, ASCII noise, or anything.
pub fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(TOKENS).prop_map(str::to_string),
        "[ -~]{0,24}",
        "[0-9a-fA-F-]{0,24}",
        any::<String>(),
    ]
}

/// `s` with one random edit (positions modulo its length, at char boundaries).
pub fn edit_text(s: &str, at: usize, how: u8, with: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let at = at % (chars.len() + 1);
    let (head, tail) = chars.split_at(at);
    let head: String = head.iter().collect();
    let tail: String = tail.iter().collect();
    match how % 4 {
        0 => format!("{head}{with}{tail}"),
        1 => format!("{head}{}", tail.chars().skip(1).collect::<String>()),
        2 => head,
        _ => format!("{head}{with}"),
    }
}

#[test]
fn text_edits_insert_remove_and_truncate() {
    assert_eq!(edit_text("abc", 1, 0, "X"), "aXbc");
    assert_eq!(edit_text("abc", 1, 1, "X"), "ac");
    assert_eq!(edit_text("abc", 1, 2, "X"), "a");
    assert_eq!(edit_text("abc", 1, 3, "X"), "aX");
    assert_eq!(edit_text("", 9, 1, "X"), "");
    assert_eq!(edit_text("é", 1, 0, "X"), "éX");
}
