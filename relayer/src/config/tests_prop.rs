//! Loading arbitrary text never panics: random strings, TOML-looking strings, and random
//! mutations of the devnet's config.toml (deleted, duplicated and swapped lines, values
//! replaced by NaN, infinities, huge numbers, odd strings) either load or give an error
//! that names a key (or, for text that is not TOML, the line and column).

use proptest::prelude::*;

use super::*;

const DEVNET: &str = include_str!("../../../config.toml");
const SECTIONS: [&str; 5] = ["global", "store", "telemetry", "daemon", "chains"];

/// The property: no panic, and every error says where the problem is.
fn loads_or_names_a_key(text: &str) -> Result<(), TestCaseError> {
    match Config::from_toml_str(text, "relayer.toml") {
        Ok(config) => prop_assert!(!config.chains.is_empty()),
        Err(e @ ConfigError::Syntax { .. }) => {
            prop_assert!(e.to_string().starts_with("relayer.toml: not valid TOML: "));
            let ConfigError::Syntax { message, .. } = e else {
                unreachable!()
            };
            prop_assert!(
                message.contains("line"),
                "syntax errors give the line: {message}"
            );
        }
        Err(ConfigError::Key { key, message, file }) => {
            prop_assert_eq!(file, "relayer.toml");
            prop_assert!(!message.trim().is_empty());
            let top = key.split(['.', '[']).next().unwrap_or_default();
            prop_assert!(
                !top.is_empty() && (SECTIONS.contains(&top) || text.contains(top)),
                "`{key}` is not a key of the text: {message}"
            );
        }
        Err(e @ ConfigError::Read { .. }) => prop_assert!(false, "no file was read: {e}"),
    }
    Ok(())
}

/// A TOML value, mostly nasty.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "nan",
            "+nan",
            "-nan",
            "inf",
            "+inf",
            "-inf",
            "0",
            "-1",
            "0.0",
            "-0.0",
            "1e308",
            "-1e308",
            "5e-324",
            "9223372036854775807",
            "-9223372036854775808",
            "4294967296",
            "65536",
            "true",
            "[]",
            "{}",
            "[1, \"2..1\"]",
            "\"\"",
            "\"0s\"",
            "\"0ms\"",
            "\"18446744073709551615s\"",
            "\"99999999999999years\"",
            "\"1/0\"",
            "\"0/0\"",
            "\"18446744073709551615/1\"",
            "\"Cosmos\"",
            "\"x:1\"",
            "\"http://\"",
            "\"ws://h:1\"",
            "{ mode = \"pull\", interval = \"0s\" }",
            "{ mode = \"push\", batch_delay = \"9h\" }",
            "{ price = nan, denom = \"stake\" }",
            "{ numerator = \"1\", denominator = \"0\" }",
            "{ \"channel-0\" = [0] }",
            "{ \"channel-0\" = [\"9..1\"] }",
            "[\"07-tendermint-x\"]",
            "[\"*a\"]",
            "1979-05-27T07:32:00Z",
        ])
        .prop_map(str::to_string),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<u64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| format!("{v:?}").replace("NaN", "nan")),
        "[ -~]{0,16}".prop_map(|s| format!("{s:?}")),
        "[0-9]{1,25}(ns|ms|s|m|h|days|years)?".prop_map(|s| format!("{s:?}")),
    ]
}

/// One edit of the config's lines.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Duplicate(usize),
    SwapValues(usize, usize),
    SetValue(usize, String),
    SwapLines(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let i = 0..200usize;
    prop_oneof![
        i.clone().prop_map(Edit::Delete),
        i.clone().prop_map(Edit::Duplicate),
        (i.clone(), i.clone()).prop_map(|(a, b)| Edit::SwapValues(a, b)),
        (i.clone(), value()).prop_map(|(a, v)| Edit::SetValue(a, v)),
        (i.clone(), i).prop_map(|(a, b)| Edit::SwapLines(a, b)),
    ]
}

fn split_value(line: &str) -> Option<(&str, &str)> {
    line.split_once(" = ")
}

fn apply(lines: &mut Vec<String>, edit: &Edit) {
    let n = lines.len();
    if n == 0 {
        return;
    }
    match edit {
        Edit::Delete(i) => {
            lines.remove(i % n);
        }
        Edit::Duplicate(i) => lines.insert(i % n, lines[i % n].clone()),
        Edit::SwapLines(a, b) => lines.swap(a % n, b % n),
        Edit::SetValue(i, v) => {
            if let Some((k, _)) = split_value(&lines[i % n]) {
                lines[i % n] = format!("{k} = {v}");
            }
        }
        Edit::SwapValues(a, b) => {
            let (a, b) = (a % n, b % n);
            let (la, lb) = (lines[a].clone(), lines[b].clone());
            if let (Some((ka, va)), Some((kb, vb))) = (split_value(&la), split_value(&lb)) {
                lines[a] = format!("{ka} = {vb}");
                lines[b] = format!("{kb} = {va}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn random_text_never_panics(text in any::<String>()) {
        loads_or_names_a_key(&text)?;
    }

    #[test]
    fn toml_looking_text_never_panics(
        text in "(\\[\\[?(chains|daemon|global|mode|chains\\.serve|chains\\.packet_policy)\\]\\]?\n|[a-z_]{1,16} = ([0-9.a-z\"{}=, -]{0,20})\n){0,12}",
    ) {
        loads_or_names_a_key(&text)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn mutated_devnet_config_never_panics(edits in prop::collection::vec(edit(), 1..5)) {
        let mut lines: Vec<String> = DEVNET.lines().map(str::to_string).collect();
        for e in &edits {
            apply(&mut lines, e);
        }
        loads_or_names_a_key(&lines.join("\n"))?;
    }
}

#[test]
fn the_mutation_base_loads() {
    assert!(Config::from_toml_str(DEVNET, "config.toml").is_ok());
}
