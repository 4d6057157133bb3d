//! `[telemetry]` tokens: a non-loopback host needs one; tokens come inline or from the
//! environment.

use super::tests::{key_error, CHAIN};
use super::*;

#[test]
fn a_non_loopback_host_without_a_token_is_refused() {
    let (key, message) = key_error(&format!("[telemetry]\nhost = \"0.0.0.0\"\n{CHAIN}"));
    assert_eq!(key, "telemetry.token");
    assert!(message.contains("not a loopback address"), "{message}");
    assert!(
        message.contains("e.g. token_env = \"STATESET_API_TOKEN\""),
        "{message}"
    );
}

#[test]
fn loopback_hosts_need_no_token_and_others_accept_one() {
    for host in ["127.0.0.1", "localhost", "::1"] {
        Config::from_toml_str(&format!("[telemetry]\nhost = \"{host}\"\n{CHAIN}"), "f").unwrap();
    }
    let c = Config::from_toml_str(
        &format!("[telemetry]\nhost = \"0.0.0.0\"\ntoken = \"abc123\"\n{CHAIN}"),
        "f",
    )
    .unwrap();
    assert_eq!(c.telemetry.read_token().unwrap().as_deref(), Some("abc123"));
    assert_eq!(c.telemetry.admin_token().unwrap(), None);
    let c = Config::from_toml_str(
        &format!("[telemetry]\nhost = \"10.1.2.3\"\ntoken_env = \"STATESET_TEST_TOKEN_UNSET_1\"\n{CHAIN}"),
        "f",
    )
    .unwrap();
    let e = c.telemetry.read_token().unwrap_err();
    assert!(
        e.contains("STATESET_TEST_TOKEN_UNSET_1") && e.contains("not set"),
        "{e}"
    );
    // A disabled endpoint listens nowhere: no token needed.
    Config::from_toml_str(
        &format!("[telemetry]\nenabled = false\nhost = \"0.0.0.0\"\n{CHAIN}"),
        "f",
    )
    .unwrap();
}

#[test]
fn tokens_given_twice_or_empty_are_refused_with_an_example() {
    let (key, message) = key_error(&format!(
        "[telemetry]\nadmin_token = \"x\"\nadmin_token_env = \"Y\"\n{CHAIN}"
    ));
    assert_eq!(key, "telemetry.admin_token");
    assert!(
        message.contains("given twice") && message.contains("e.g."),
        "{message}"
    );
    let (key, message) = key_error(&format!("[telemetry]\ntoken = \" \"\n{CHAIN}"));
    assert_eq!(key, "telemetry.token");
    assert!(
        message.contains("is empty") && message.contains("e.g."),
        "{message}"
    );
}

#[test]
fn tokens_from_the_environment_are_read() {
    std::env::set_var("STATESET_TEST_ADMIN_TOKEN_2", " s3cret ");
    let c = Config::from_toml_str(
        &format!("[telemetry]\nadmin_token_env = \"STATESET_TEST_ADMIN_TOKEN_2\"\n{CHAIN}"),
        "f",
    )
    .unwrap();
    assert_eq!(
        c.telemetry.admin_token().unwrap().as_deref(),
        Some("s3cret")
    );
}
