//! `[history]`: defaults, parsing, and refused values.

use std::time::Duration;

use super::tests::CHAIN;
use super::*;

fn refused(text: &str, key: &str, example: &str) -> String {
    match Config::from_toml_str(text, "relayer.toml") {
        Err(ConfigError::Key {
            key: k,
            message,
            file,
        }) => {
            assert_eq!(file, "relayer.toml");
            assert_eq!(k, key, "{message}");
            assert!(message.contains("e.g."), "gives an example: {message}");
            assert!(message.contains(example), "shows `{example}`: {message}");
            message
        }
        other => panic!("expected a key error at {key}, got {other:?}"),
    }
}

#[test]
fn history_is_kept_a_week_by_default() {
    let c = Config::from_toml_str(CHAIN, "relayer.toml").unwrap();
    assert!(c.history.enabled);
    assert_eq!(c.history.retention, Duration::from_secs(7 * 86400));
    assert_eq!(c.history.max_packets, 1_000_000);
}

#[test]
fn history_parses_humantime_durations() {
    let text =
        format!("[history]\nenabled = false\nretention = \"36h\"\nmax_packets = 5000\n{CHAIN}");
    let c = Config::from_toml_str(&text, "relayer.toml").unwrap();
    assert!(!c.history.enabled);
    assert_eq!(c.history.retention, Duration::from_secs(36 * 3600));
    assert_eq!(c.history.max_packets, 5000);
    let c =
        Config::from_toml_str(&format!("[history]\nretention = \"30days\"\n{CHAIN}"), "f").unwrap();
    assert_eq!(c.history.retention, Duration::from_secs(30 * 86400));
    assert_eq!(
        c.history.max_packets, 1_000_000,
        "the other keys keep defaults"
    );
}

#[test]
fn bad_retention_is_refused_with_the_key_and_an_example() {
    for bad in ["\"0s\"", "\"30s\"", "\"400days\""] {
        let m = refused(
            &format!("[history]\nretention = {bad}\n{CHAIN}"),
            "history.retention",
            "retention = \"7d\"",
        );
        assert!(
            m.contains("is out of range; expected a duration from 1m to"),
            "{m}"
        );
    }
    refused(
        &format!("[history]\nretention = \"a week\"\n{CHAIN}"),
        "history.retention",
        "retention = \"7d\"",
    );
    let m = refused(
        &format!("[history]\nretention = 7\n{CHAIN}"),
        "history.retention",
        "retention = \"7d\"",
    );
    assert!(m.contains("found an integer (7)"), "{m}");
}

#[test]
fn bad_max_packets_and_keys_are_refused() {
    for bad in ["0", "100000001"] {
        refused(
            &format!("[history]\nmax_packets = {bad}\n{CHAIN}"),
            "history.max_packets",
            "max_packets = 1000000",
        );
    }
    refused(
        &format!("[history]\nmax_packets = -1\n{CHAIN}"),
        "history.max_packets",
        "max_packets = 1000000",
    );
    refused(
        &format!("[history]\nenabled = \"yes\"\n{CHAIN}"),
        "history.enabled",
        "enabled = true",
    );
    let m = refused(
        &format!("[history]\nretension = \"7d\"\n{CHAIN}"),
        "history.retension",
        "did you mean `retention`",
    );
    assert!(m.contains("retention = \"7d\""), "{m}");
}
