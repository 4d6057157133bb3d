//! PKCS#11 signing against a real SoftHSM2 token (Debian's `softhsm2`, installed by
//! scripts/install-deps.sh). Every test gets a temporary token directory, a softhsm2.conf
//! naming it (`SOFTHSM2_CONF`) and a token initialised with softhsm2-util. SoftHSM reads
//! its configuration once per process (at `C_Initialize`), so each test runs its body in a
//! child process of its own: this test binary, re-run with the one test's exact name.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::object::{Attribute, AttributeInfo, AttributeType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use k256::ecdsa::{signature::Verifier, Signature, VerifyingKey};
use stateset_relayer::config::Config;
use stateset_relayer::keys::{Pkcs11Settings, Pkcs11Token, Signer, SignerError};

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const CHILD: &str = "STATESET_HSM_TEST_CHILD";
const PIN: &str = "5678";

/// Runs `body` in a child process (this binary, only this test) unless this is that child.
fn isolated(name: &str, body: impl FnOnce(&Hsm)) {
    if std::env::var(CHILD).as_deref() == Ok(name) {
        let hsm = Hsm::new();
        body(&hsm);
        return;
    }
    assert!(
        Path::new(MODULE).exists(),
        "SoftHSM2 is not installed ({MODULE} is missing): run scripts/install-deps.sh or apt-get install softhsm2"
    );
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{name} failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{name} did not run:\n{stdout}");
    // What the child printed (figures such as signing latency), shown with --nocapture.
    eprint!("{stderr}");
}

/// A SoftHSM2 token `T` (SO PIN 1234, user PIN 5678) in a temporary directory.
struct Hsm {
    dir: tempfile::TempDir,
}

impl Hsm {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).unwrap();
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .unwrap();
        // Set before any thread of the child uses the environment.
        std::env::set_var("SOFTHSM2_CONF", &conf);
        let out = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", "T"])
            .args(["--so-pin", "1234", "--pin", PIN])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self { dir }
    }

    fn tokens(&self) -> PathBuf {
        self.dir.path().join("tokens")
    }

    fn settings(&self, pin: &str) -> Pkcs11Settings {
        Pkcs11Settings {
            module: MODULE.into(),
            token_label: "T".into(),
            pin: pin.to_string().into(),
            pin_setting: "signer.pin_env (HSM_TEST_PIN)".into(),
            max_sessions: 4,
        }
    }

    fn open(&self) -> Arc<Pkcs11Token> {
        rt().block_on(Pkcs11Token::open(self.settings(PIN)))
            .unwrap()
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn verifies(public: &[u8; 33], msg: &[u8], sig: &[u8; 64]) -> bool {
    let sig = Signature::from_slice(sig).unwrap();
    let key = VerifyingKey::from_sec1_bytes(public).unwrap();
    sig.normalize_s().is_none() && key.verify(msg, &sig).is_ok()
}

#[test]
fn keys_are_generated_in_the_token_and_found_by_label() {
    isolated(
        "keys_are_generated_in_the_token_and_found_by_label",
        |hsm| {
            let token = hsm.open();
            rt().block_on(async {
                let public = token.generate_key("relayer").await.unwrap();
                assert_eq!(token.public_key("relayer", "a-1").await.unwrap(), public);
                assert_eq!(token.key_labels().await.unwrap(), vec!["relayer"]);
                assert!(matches!(
                    token.generate_key("relayer").await,
                    Err(SignerError::KeyExists { .. })
                ));
                let signer = Signer::Pkcs11(token.signer("relayer", "a-1").await.unwrap());
                assert_eq!(signer.public_key(), public);
                assert_eq!(signer.store(), "pkcs11");
                let address = signer.address("cosmos").unwrap();
                assert_eq!(
                    address,
                    stateset_relayer::keys::address(&public, "cosmos").unwrap()
                );
                token.delete_key("relayer", "a-1").await.unwrap();
                assert!(token.key_labels().await.unwrap().is_empty());
            });
        },
    );
}

#[test]
fn signatures_verify_with_k256_and_are_low_s() {
    isolated("signatures_verify_with_k256_and_are_low_s", |hsm| {
        let token = hsm.open();
        rt().block_on(async {
            token.generate_key("relayer").await.unwrap();
            let signer = Signer::Pkcs11(token.signer("relayer", "a-1").await.unwrap());
            let public = signer.public_key();
            // Concurrent signatures share the pool of 4 sessions.
            let sigs = futures::future::join_all((0..40u32).map(|i| {
                let signer = signer.clone();
                async move {
                    let msg = format!("sign doc {i}").into_bytes();
                    let sig = signer.sign(&msg).await.unwrap();
                    (msg, sig)
                }
            }))
            .await;
            for (msg, sig) in &sigs {
                assert!(verifies(&public, msg, &sig.to_bytes()));
                assert!(!verifies(&public, b"another doc", &sig.to_bytes()));
            }
        });
    });
}

#[test]
fn the_private_key_cannot_be_read_from_the_token() {
    isolated("the_private_key_cannot_be_read_from_the_token", |hsm| {
        let token = hsm.open();
        rt().block_on(token.generate_key("relayer")).unwrap();
        // A second context on the module the signer initialised, as any other code would.
        let ctx = Pkcs11::new(MODULE).unwrap();
        let _ = ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
        let slot = ctx.get_slots_with_token().unwrap()[0];
        let session = ctx.open_ro_session(slot).unwrap();
        let _ = session.login(UserType::User, Some(&AuthPin::new(PIN.into())));
        let key = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Label(b"relayer".to_vec()),
            ])
            .unwrap()[0];
        let info = session
            .get_attribute_info(key, &[AttributeType::Value])
            .unwrap();
        assert!(matches!(info[..], [AttributeInfo::Sensitive]), "{info:?}");
        let read = session
            .get_attributes(key, &[AttributeType::Value])
            .unwrap();
        assert!(read.is_empty(), "CKA_VALUE was returned");
        let flags = session
            .get_attributes(
                key,
                &[
                    AttributeType::Sensitive,
                    AttributeType::Extractable,
                    AttributeType::NeverExtractable,
                    AttributeType::Token,
                ],
            )
            .unwrap();
        for want in [
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::NeverExtractable(true),
            Attribute::Token(true),
        ] {
            assert!(flags.contains(&want), "{want:?} not in {flags:?}");
        }
        // Nothing on disk under the token directory holds the key in the clear: SoftHSM
        // stores private objects encrypted with the user PIN's key.
        drop(session);
    });
}

#[test]
fn a_wrong_pin_is_a_clear_error() {
    isolated("a_wrong_pin_is_a_clear_error", |hsm| {
        let err = rt()
            .block_on(Pkcs11Token::open(hsm.settings("0000")))
            .unwrap_err();
        assert!(matches!(err, SignerError::Pin { .. }), "{err:?}");
        let text = err.to_string();
        for part in [
            "token `T`",
            "refused the PIN",
            "signer.pin_env (HSM_TEST_PIN)",
            "pin_file",
        ] {
            assert!(text.contains(part), "{part}: {text}");
        }
        assert!(!text.contains("0000"), "{text}");
    });
}

#[test]
fn a_missing_module_is_a_clear_error() {
    isolated("a_missing_module_is_a_clear_error", |hsm| {
        let mut settings = hsm.settings(PIN);
        settings.module = "/nonexistent/libpkcs11.so".into();
        let err = rt().block_on(Pkcs11Token::open(settings)).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, SignerError::Module { .. }), "{err:?}");
        assert!(
            text.contains("/nonexistent/libpkcs11.so") && text.contains("signer.module"),
            "{text}"
        );
        let toml =
            config_toml("module = \"/nonexistent/libpkcs11.so\"\npin_env = \"HSM_TEST_PIN\"");
        let err = Config::from_toml_str(&toml, "relayer.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("relayer.toml")
                && err.contains("signer.module")
                && err.contains("does not exist"),
            "{err}"
        );
    });
}

#[test]
fn a_missing_key_label_is_a_clear_error() {
    isolated("a_missing_key_label_is_a_clear_error", |hsm| {
        let token = hsm.open();
        let err = rt().block_on(token.signer("nope", "b-1")).unwrap_err();
        assert!(matches!(err, SignerError::KeyNotFound { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("`nope`") && text.contains("keys add --chain b-1 --hsm"),
            "{text}"
        );
    });
}

/// A `[signer]` section for SoftHSM plus `extra`, and one chain.
fn config_toml(extra: &str) -> String {
    format!(
        "[signer]\nkind = \"pkcs11\"\ntoken_label = \"T\"\n{extra}\n\n[[chains]]\nid = \"a-1\"\nrpc_addr = \"http://127.0.0.1:26657\"\ngrpc_addr = \"http://127.0.0.1:9090\"\naccount_prefix = \"cosmos\"\nkey_name = \"relayer\"\ngas_price = {{ price = 0.001, denom = \"stake\" }}\n"
    )
}

#[test]
fn a_token_that_goes_away_fails_that_signature_and_comes_back() {
    isolated(
        "a_token_that_goes_away_fails_that_signature_and_comes_back",
        |hsm| {
            let token = hsm.open();
            let rt = rt();
            rt.block_on(token.generate_key("relayer")).unwrap();
            let signer = Signer::Pkcs11(rt.block_on(token.signer("relayer", "a-1")).unwrap());
            rt.block_on(signer.sign(b"before")).unwrap();
            // chmod 000 does not stop root (CAP_DAC_OVERRIDE), which CI runs as: the
            // token directory is also moved away, which stops anyone.
            let tokens = hsm.tokens();
            let away = hsm.dir.path().join("tokens-away");
            std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o000)).unwrap();
            std::fs::rename(&tokens, &away).unwrap();
            let err = rt.block_on(signer.sign(b"while away")).unwrap_err();
            let text = err.to_string();
            let again = rt.block_on(signer.sign(b"still away")).unwrap_err();
            assert!(again.to_string().contains("token `T`"), "{again}");
            assert!(text.contains("token `T`"), "{text}");
            std::fs::rename(&away, &tokens).unwrap();
            std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o700)).unwrap();
            let sig = rt.block_on(signer.sign(b"after")).unwrap();
            assert!(verifies(&signer.public_key(), b"after", &sig.to_bytes()));
            // Again with signatures in flight when the token goes: those fail, and once it
            // is back every signature works again.
            let many = |n: u32| {
                let signer = signer.clone();
                rt.block_on(futures::future::join_all((0..n).map(|i| {
                    let signer = signer.clone();
                    async move { signer.sign(&i.to_be_bytes()).await }
                })))
            };
            assert!(many(16).iter().all(Result::is_ok));
            std::fs::rename(&tokens, &away).unwrap();
            assert!(many(16).iter().all(Result::is_err));
            std::fs::rename(&away, &tokens).unwrap();
            rt.block_on(signer.sign(b"first after")).unwrap();
            assert!(many(16).iter().all(Result::is_ok));
        },
    );
}

/// Runs the relayer's CLI with `config` and the PIN in HSM_TEST_PIN.
fn cli(config: &Path, pin: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stateset-relayer"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("HSM_TEST_PIN", pin)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_cli_adds_lists_and_deletes_keys_in_the_token() {
    isolated("the_cli_adds_lists_and_deletes_keys_in_the_token", |hsm| {
        let config = hsm.dir.path().join("relayer.toml");
        let second = "\n[[chains]]\nid = \"b-1\"\nrpc_addr = \"http://127.0.0.1:26757\"\ngrpc_addr = \"http://127.0.0.1:9190\"\naccount_prefix = \"osmo\"\nkey_name = \"relayer\"\ngas_price = { price = 0.001, denom = \"stake\" }\n";
        let text = config_toml(&format!(
            "module = \"{MODULE}\"\npin_env = \"HSM_TEST_PIN\""
        )) + second;
        std::fs::write(&config, text).unwrap();
        let (ok, out) = cli(&config, PIN, &["config", "validate"]);
        assert!(ok, "{out}");
        let (ok, out) = cli(&config, PIN, &["keys", "add", "--chain", "a-1", "--hsm"]);
        assert!(
            ok && out.contains("generated key `relayer` in token `T` for a-1: cosmos1"),
            "{out}"
        );
        let (ok, out) = cli(&config, PIN, &["keys", "add", "--chain", "b-1", "--hsm"]);
        assert!(
            ok && out.contains("already") && out.contains("b-1: osmo1"),
            "{out}"
        );
        let (ok, out) = cli(&config, PIN, &["keys", "list"]);
        assert!(ok && out.matches("pkcs11:T").count() == 2, "{out}");
        let (ok, out) = cli(&config, "0000", &["keys", "list"]);
        assert!(
            !ok && out.contains("signer.pin_env (HSM_TEST_PIN)"),
            "{out}"
        );
        let (ok, out) = cli(&config, PIN, &["keys", "delete", "--chain", "a-1"]);
        assert!(!ok && out.contains("--yes-delete-from-token"), "{out}");
        let (ok, out) = cli(
            &config,
            PIN,
            &[
                "keys",
                "delete",
                "--chain",
                "a-1",
                "--yes-delete-from-token",
            ],
        );
        assert!(ok, "{out}");
        let (ok, out) = cli(&config, PIN, &["keys", "list"]);
        assert!(ok && out.contains("no configured chain's key"), "{out}");
        assert!(
            !hsm.dir.path().join(".stateset-relayer").exists(),
            "nothing was written to the key directory"
        );
        let inline = config_toml(&format!("module = \"{MODULE}\"\npin = \"{PIN}\""));
        std::fs::write(&config, inline).unwrap();
        let (ok, out) = cli(&config, PIN, &["config", "validate"]);
        assert!(
            !ok && out.contains("`signer.pin`") && out.contains("pin_env"),
            "{out}"
        );
        assert!(!out.contains(PIN), "{out}");
    });
}

#[test]
fn signing_latency_is_observed_per_store() {
    isolated("signing_latency_is_observed_per_store", |hsm| {
        let token = hsm.open();
        let rt = rt();
        rt.block_on(token.generate_key("relayer")).unwrap();
        let hsm_signer = Signer::Pkcs11(rt.block_on(token.signer("relayer", "a-1")).unwrap());
        let file_key = stateset_relayer::keys::KeyPair::from_secret_bytes(&[7u8; 32]).unwrap();
        let file_signer = Signer::File(Arc::new(file_key));
        let doc = vec![0x5au8; 400];
        for signer in [&file_signer, &hsm_signer] {
            let started = std::time::Instant::now();
            for _ in 0..200 {
                rt.block_on(signer.sign(&doc)).unwrap();
            }
            let per_sig = started.elapsed() / 200;
            eprintln!("{}: {per_sig:?} per signature", signer.store());
        }
        let text = stateset_monitoring::global().encode();
        for store in ["file", "pkcs11"] {
            let series =
                format!("stateset_relayer_signer_latency_seconds_count{{store=\"{store}\"}} 200");
            assert!(text.contains(&series), "{series} missing");
        }
    });
}

#[test]
fn a_pin_the_token_refused_is_not_offered_again() {
    isolated("a_pin_the_token_refused_is_not_offered_again", |hsm| {
        let token = hsm.open();
        let rt = rt();
        rt.block_on(token.generate_key("relayer")).unwrap();
        let signer = Signer::Pkcs11(rt.block_on(token.signer("relayer", "a-1")).unwrap());
        for shown in [format!("{token:?}"), format!("{signer:?}")] {
            assert!(!shown.contains(PIN), "{shown}");
        }
        // The user PIN changes under the running signer.
        {
            let ctx = Pkcs11::new(MODULE).unwrap();
            let slot = ctx.get_slots_with_token().unwrap()[0];
            let session = ctx.open_rw_session(slot).unwrap();
            session
                .set_pin(&AuthPin::new(PIN.into()), &AuthPin::new("9999".into()))
                .unwrap();
        }
        // The token goes away and comes back: the signer logs in again, with the old PIN.
        let (tokens, away) = (hsm.tokens(), hsm.dir.path().join("tokens-away"));
        std::fs::rename(&tokens, &away).unwrap();
        assert!(rt.block_on(signer.sign(b"away")).is_err());
        std::fs::rename(&away, &tokens).unwrap();
        // (SoftHSM2 may answer the first login after a PIN change with GeneralError.)
        let refused = (0..3)
            .map(|_| rt.block_on(signer.sign(b"back")).unwrap_err())
            .find(|e| matches!(e, SignerError::Pin { .. }))
            .expect("the token refuses the old PIN");
        assert!(refused.to_string().contains("refused the PIN"), "{refused}");
        let second = rt.block_on(signer.sign(b"again")).unwrap_err().to_string();
        assert!(second.contains("not offered again"), "{second}");
    });
}
