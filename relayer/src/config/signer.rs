//! `[signer]`: one key store for the whole relayer, the file key ring (`kind = "file"`, the
//! default) or a PKCS#11 token (`kind = "pkcs11"`) holding every chain's key, labelled with
//! the chain's `key_name`. The PIN comes from an environment variable (`pin_env`) or a 0600
//! file (`pin_file`), never from the configuration itself; it is read only when the token
//! is opened, kept in zeroizing memory, and never logged.
//!
//! ```toml
//! [signer]
//! kind = "pkcs11"
//! module = "/usr/lib/softhsm/libsofthsm2.so"
//! token_label = "relayer"
//! pin_env = "STATESET_HSM_PIN"
//! ```

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer};
use zeroize::Zeroizing;

use crate::keys::{Pkcs11Settings, SignerError};

/// Which key store holds the relayer's keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SignerKind {
    /// 0600 JSON files in `global.key_dir`.
    #[default]
    File,
    /// A PKCS#11 token (HSM).
    Pkcs11,
}

impl<'de> Deserialize<'de> for SignerKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match text.as_str() {
            "file" => Ok(SignerKind::File),
            "pkcs11" => Ok(SignerKind::Pkcs11),
            other => Err(serde::de::Error::custom(format!(
                "`{other}` is not a key store; expected \"file\" (the key ring in global.key_dir) or \"pkcs11\" (an HSM), e.g. kind = \"pkcs11\""
            ))),
        }
    }
}

/// `[signer]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignerConfig {
    /// `file` (default) or `pkcs11`.
    pub kind: SignerKind,
    /// The PKCS#11 module, an absolute path (pkcs11 only).
    pub module: Option<PathBuf>,
    /// The token's label (pkcs11 only).
    pub token_label: Option<String>,
    /// The environment variable holding the user PIN (pkcs11 only).
    pub pin_env: Option<String>,
    /// A file of mode 0600 holding the user PIN, an absolute path (pkcs11 only).
    pub pin_file: Option<PathBuf>,
    /// Most PKCS#11 sessions open at once: txs signed in parallel (1 to 64, default 8).
    pub max_sessions: usize,
    /// Whether a `pin` key was written (refused); the value itself is never kept.
    #[serde(deserialize_with = "present")]
    pin: bool,
}

impl Default for SignerConfig {
    fn default() -> Self {
        Self {
            kind: SignerKind::File,
            module: None,
            token_label: None,
            pin_env: None,
            pin_file: None,
            max_sessions: 8,
            pin: false,
        }
    }
}

/// Records that a key is there and drops its value unread.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

const EXAMPLE: &str = "e.g.\n[signer]\nkind = \"pkcs11\"\nmodule = \"/usr/lib/softhsm/libsofthsm2.so\"\ntoken_label = \"relayer\"\npin_env = \"STATESET_HSM_PIN\"";

fn bad(key: &str, message: String) -> Result<(), (String, String)> {
    Err((format!("signer.{key}"), message))
}

/// The mode problem of a PIN file, if any.
fn pin_file_problem(path: &std::path::Path) -> Option<String> {
    match std::fs::metadata(path) {
        Err(e) => Some(format!("`{}` cannot be read ({e})", path.display())),
        Ok(m) if !m.is_file() => Some(format!("`{}` is not a file", path.display())),
        Ok(m) if m.permissions().mode() & 0o077 != 0 => Some(format!(
            "`{}` has mode {:o}; it must be readable by its owner only (chmod 600 {})",
            path.display(),
            m.permissions().mode() & 0o777,
            path.display()
        )),
        Ok(_) => None,
    }
}

impl SignerConfig {
    /// Checks the section: `Err((key, message))` naming the fix and an example.
    pub(super) fn check(&self) -> Result<(), (String, String)> {
        if self.pin {
            return bad("pin", format!("a PIN must not be written in the configuration; name an environment variable (pin_env) or a 0600 file (pin_file) that holds it, {EXAMPLE}"));
        }
        if self.kind == SignerKind::File {
            let set = [
                ("module", self.module.is_some()),
                ("token_label", self.token_label.is_some()),
                ("pin_env", self.pin_env.is_some()),
                ("pin_file", self.pin_file.is_some()),
            ];
            return match set.iter().find(|(_, s)| *s) {
                Some((key, _)) => bad(key, format!("is a PKCS#11 setting but kind is \"file\"; keys live in one store only: set kind = \"pkcs11\" to use the token, or delete `{key}`, {EXAMPLE}")),
                None => Ok(()),
            };
        }
        self.check_pkcs11()
    }

    fn check_pkcs11(&self) -> Result<(), (String, String)> {
        match &self.module {
            None => return bad("module", format!("is missing; kind = \"pkcs11\" needs the absolute path of the token's PKCS#11 library, {EXAMPLE}")),
            Some(m) if !m.is_absolute() => return bad("module", format!("`{}` is not an absolute path; expected the PKCS#11 library's absolute path, e.g. module = \"/usr/lib/softhsm/libsofthsm2.so\"", m.display())),
            Some(m) if !m.is_file() => return bad("module", format!("`{}` does not exist; install the HSM's PKCS#11 library or fix the path, e.g. module = \"/usr/lib/softhsm/libsofthsm2.so\"", m.display())),
            Some(_) => {}
        }
        if self.token_label.as_deref().is_none_or(str::is_empty) {
            return bad(
                "token_label",
                format!("is missing; expected the label the token was initialised with, {EXAMPLE}"),
            );
        }
        match (&self.pin_env, &self.pin_file) {
            (None, None) => return bad("pin_env", format!("kind = \"pkcs11\" needs the user PIN from pin_env (an environment variable's name) or pin_file (a 0600 file), {EXAMPLE}")),
            (Some(_), Some(_)) => return bad("pin_file", "pin_env and pin_file are both set; keep one, e.g. pin_env = \"STATESET_HSM_PIN\"".into()),
            (Some(v), None) if v.is_empty() || v.contains(['=', '\0']) => return bad("pin_env", format!("`{v}` cannot name an environment variable; expected e.g. pin_env = \"STATESET_HSM_PIN\"")),
            (None, Some(f)) if !f.is_absolute() => return bad("pin_file", format!("`{}` is not an absolute path; expected e.g. pin_file = \"/etc/stateset-relayer/hsm.pin\" (mode 0600)", f.display())),
            (None, Some(f)) => if let Some(p) = pin_file_problem(f) {
                return bad("pin_file", format!("{p}; expected a 0600 file holding the PIN, e.g. pin_file = \"/etc/stateset-relayer/hsm.pin\""));
            },
            _ => {}
        }
        if !(1..=64).contains(&self.max_sessions) {
            return bad(
                "max_sessions",
                format!(
                    "{} is out of range; expected 1 to 64, e.g. max_sessions = 8",
                    self.max_sessions
                ),
            );
        }
        Ok(())
    }

    /// `signer.pin_env (VAR)` or `signer.pin_file (PATH)`: where the PIN comes from.
    fn pin_setting(&self) -> String {
        match (&self.pin_env, &self.pin_file) {
            (Some(v), _) => format!("signer.pin_env ({v})"),
            (None, Some(f)) => format!("signer.pin_file ({})", f.display()),
            (None, None) => "signer.pin_env".into(),
        }
    }

    /// Reads the PIN and returns what opening the token needs (kind = "pkcs11").
    pub fn pkcs11_settings(&self) -> Result<Pkcs11Settings, SignerError> {
        let token = self.token_label.clone().unwrap_or_default();
        let setting = self.pin_setting();
        let pin_err = |detail: String| SignerError::Pin {
            token: token.clone(),
            setting: setting.clone(),
            detail,
        };
        let pin = match (&self.pin_env, &self.pin_file) {
            (Some(var), _) => Zeroizing::new(
                std::env::var(var)
                    .map_err(|_| pin_err(format!("the environment variable {var} is not set")))?,
            ),
            (None, Some(file)) => {
                if let Some(p) = pin_file_problem(file) {
                    return Err(pin_err(p));
                }
                let mut text = Zeroizing::new(
                    std::fs::read_to_string(file)
                        .map_err(|e| pin_err(format!("`{}`: {e}", file.display())))?,
                );
                let end = text.trim_end_matches(['\n', '\r']).len();
                text.truncate(end);
                text
            }
            (None, None) => return Err(pin_err("no PIN source is configured".into())),
        };
        Ok(Pkcs11Settings {
            module: self.module.clone().unwrap_or_default(),
            token_label: token,
            pin,
            pin_setting: setting,
            max_sessions: self.max_sessions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SignerConfig, String> {
        let c: SignerConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        c.check().map_err(|(k, m)| format!("{k}: {m}"))?;
        Ok(c)
    }

    #[test]
    fn file_is_the_default_and_takes_no_token_settings() {
        assert_eq!(parse("").unwrap().kind, SignerKind::File);
        let e = parse("module = \"/x.so\"").unwrap_err();
        assert!(
            e.starts_with("signer.module:") && e.contains("kind = \"pkcs11\""),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_kind_is_named() {
        let chain = "[[chains]]\nid = \"a-1\"\nrpc_addr = \"http://127.0.0.1:26657\"\ngrpc_addr = \"http://127.0.0.1:9090\"\naccount_prefix = \"cosmos\"\nkey_name = \"relayer\"\ngas_price = { price = 0.001, denom = \"stake\" }\n";
        let text = format!("[signer]\nkind = \"yubikey\"\n{chain}");
        let e = crate::config::Config::from_toml_str(&text, "f.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`signer.kind`")
                && e.contains("`yubikey` is not a key store")
                && e.contains("kind = \"pkcs11\""),
            "{e}"
        );
    }

    #[test]
    fn an_inline_pin_is_refused_and_not_kept() {
        let e = parse("kind = \"pkcs11\"\npin = \"123456\"").unwrap_err();
        assert!(
            e.starts_with("signer.pin:") && e.contains("pin_env") && e.contains("pin_file"),
            "{e}"
        );
        assert!(!e.contains("123456"), "{e}");
        let c: SignerConfig = toml::from_str("pin = \"123456\"").unwrap();
        assert!(!format!("{c:?}").contains("123456"));
    }

    #[test]
    fn module_and_pin_file_are_checked() {
        let e = parse("kind = \"pkcs11\"\nmodule = \"/nonexistent/libx.so\"\ntoken_label = \"T\"\npin_env = \"P\"").unwrap_err();
        assert!(
            e.starts_with("signer.module:")
                && e.contains("/nonexistent/libx.so")
                && e.contains("does not exist"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let module = dir.path().join("lib.so");
        std::fs::write(&module, b"").unwrap();
        let pin = dir.path().join("pin");
        std::fs::write(&pin, b"5678\n").unwrap();
        std::fs::set_permissions(&pin, std::fs::Permissions::from_mode(0o644)).unwrap();
        let text = format!(
            "kind = \"pkcs11\"\nmodule = \"{}\"\ntoken_label = \"T\"\npin_file = \"{}\"",
            module.display(),
            pin.display()
        );
        let e = parse(&text).unwrap_err();
        assert!(
            e.starts_with("signer.pin_file:") && e.contains("chmod 600"),
            "{e}"
        );
        std::fs::set_permissions(&pin, std::fs::Permissions::from_mode(0o600)).unwrap();
        let c = parse(&text).unwrap();
        let s = c.pkcs11_settings().unwrap();
        assert_eq!(s.pin.as_str(), "5678");
        assert!(!format!("{s:?}").contains("5678"));
        let e = parse(&format!(
            "kind = \"pkcs11\"\nmodule = \"{}\"\ntoken_label = \"T\"",
            module.display()
        ))
        .unwrap_err();
        assert!(e.starts_with("signer.pin_env:"), "{e}");
    }
}
