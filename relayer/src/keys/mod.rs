//! Keys: secp256k1 keys derived from BIP-39 mnemonics along BIP-32 paths, and a key
//! ring of 0600 JSON files. Secrets are never logged: `Debug` is redacted. Secrets are
//! zeroized when dropped: the secret scalar (k256's `SigningKey`, so [`KeyPair`] is
//! [`ZeroizeOnDrop`]), the parsed mnemonic (bip39's `Mnemonic`, built with its `zeroize`
//! feature), the BIP-39 seed, and every copy of the secret bytes or their hex made for
//! the key file.

mod pkcs11;
mod pkcs11_keys;
mod ring;
mod signer;
mod source;

use bip32::{DerivationPath, XPrv};
use k256::ecdsa::{signature::Signer as _, Signature, SigningKey};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

pub use pkcs11::{Pkcs11Settings, Pkcs11Signer, Pkcs11Token};
pub use pkcs11_keys::SECP256K1_PARAMS;
pub use ring::{KeyInfo, KeyRing, StoredKey};
pub use signer::{account_id, address, Signature64, Signer, SignerError};
pub use source::{KeySource, KeySourceError};

/// The default HD path of Cosmos accounts (coin type 118).
pub const DEFAULT_HD_PATH: &str = "m/44'/118'/0'/0/0";

/// Key errors.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The mnemonic is not valid BIP-39 English.
    #[error("invalid mnemonic: {0} (expected 12 or 24 BIP-39 English words)")]
    Mnemonic(String),
    /// The HD path cannot be parsed.
    #[error("invalid HD path `{path}`: {detail} (expected e.g. m/44'/118'/0'/0/0)")]
    HdPath {
        /// The path given.
        path: String,
        /// Why.
        detail: String,
    },
    /// Key derivation failed.
    #[error("key derivation failed: {0}")]
    Derivation(String),
    /// The key file does not exist.
    #[error("no key `{name}` for chain `{chain_id}` in {dir}; add it with `stateset-relayer keys add --chain {chain_id} --mnemonic-file FILE`")]
    NotFound {
        /// Chain id.
        chain_id: String,
        /// Key name.
        name: String,
        /// The key directory.
        dir: String,
    },
    /// The key already exists.
    #[error("key `{name}` for chain `{chain_id}` exists already; pass --overwrite to replace it")]
    Exists {
        /// Chain id.
        chain_id: String,
        /// Key name.
        name: String,
    },
    /// A key file can be read by others.
    #[error("key file {path} has mode {mode:o}; it must be readable by its owner only (chmod 600 {path})")]
    Permissions {
        /// The file.
        path: String,
        /// Its mode bits.
        mode: u32,
    },
    /// A key file is damaged.
    #[error("key file {path} is malformed: {detail}")]
    Malformed {
        /// The file.
        path: String,
        /// Why.
        detail: String,
    },
    /// An account prefix is not a bech32 human-readable part.
    #[error("account prefix `{prefix}` is not a bech32 prefix ({detail}); expected 1 to 83 lowercase ASCII characters, e.g. account_prefix = \"cosmos\"")]
    AccountPrefix {
        /// The prefix given.
        prefix: String,
        /// Why.
        detail: String,
    },
    /// No key is loaded for signing.
    #[error("no signing key loaded for this chain")]
    NotLoaded,
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// A secp256k1 key pair.
#[derive(Clone)]
pub struct KeyPair {
    signing: SigningKey,
}

// The only field is k256's `SigningKey`, which zeroizes its scalar on drop.
impl ZeroizeOnDrop for KeyPair {}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeyPair(public {}, secret redacted)",
            hex::encode(self.public_key_compressed())
        )
    }
}

impl KeyPair {
    /// Derives the key at `hd_path` from a BIP-39 `mnemonic` (no passphrase).
    pub fn from_mnemonic(mnemonic: &str, hd_path: &str) -> Result<Self, KeyError> {
        // Zeroized on drop (bip39's `zeroize` feature): the word indices are the secret.
        let words = bip39::Mnemonic::parse_normalized(mnemonic.trim())
            .map_err(|e| KeyError::Mnemonic(e.to_string()))?;
        let path: DerivationPath = hd_path
            .parse()
            .map_err(|e: bip32::Error| KeyError::HdPath {
                path: hd_path.to_string(),
                detail: e.to_string(),
            })?;
        let seed = Zeroizing::new(words.to_seed(""));
        drop(words);
        // Borrowed, not copied: the only copy of the seed is the zeroizing one. The
        // extended key's `SigningKey` zeroizes itself when `xprv` drops.
        let xprv = XPrv::derive_from_path(seed.as_slice(), &path)
            .map_err(|e| KeyError::Derivation(e.to_string()))?;
        let signing = xprv.private_key().clone();
        Ok(Self { signing })
    }

    /// Restores a key from its 32 secret bytes.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let signing =
            SigningKey::from_slice(bytes).map_err(|e| KeyError::Derivation(e.to_string()))?;
        Ok(Self { signing })
    }

    /// The 32 secret bytes (for the key file only).
    pub(crate) fn secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut bytes = self.signing.to_bytes();
        let out = Zeroizing::new(bytes.to_vec());
        let scratch: &mut [u8] = &mut bytes;
        scratch.zeroize();
        out
    }

    /// The SEC1 compressed public key.
    pub fn public_key_compressed(&self) -> [u8; 33] {
        let point = self.signing.verifying_key().to_encoded_point(true);
        let mut out = [0u8; 33];
        out.copy_from_slice(point.as_bytes());
        out
    }

    /// The 20-byte account id: RIPEMD-160(SHA-256(public key)).
    pub fn account_id(&self) -> [u8; 20] {
        let sha = Sha256::digest(self.public_key_compressed());
        Ripemd160::digest(sha).into()
    }

    /// The bech32 address with `prefix`, or an error when `prefix` is not a bech32
    /// human-readable part (never an address with another prefix).
    pub fn try_address(&self, prefix: &str) -> Result<String, KeyError> {
        let bad = |detail: String| KeyError::AccountPrefix {
            prefix: prefix.into(),
            detail,
        };
        let hrp = bech32::Hrp::parse(prefix).map_err(|e| bad(e.to_string()))?;
        bech32::encode::<bech32::Bech32>(hrp, &self.account_id()).map_err(|e| bad(e.to_string()))
    }

    /// The bech32 address with `prefix`, which must be valid (the configuration checks
    /// `account_prefix`). An invalid prefix is logged as an error and gives an empty
    /// address, never one with another prefix; [`KeyPair::try_address`] returns the error.
    pub fn address(&self, prefix: &str) -> String {
        self.try_address(prefix).unwrap_or_else(|e| {
            tracing::error!(error = %e, "no address");
            String::new()
        })
    }

    /// ECDSA signature over SHA-256 of `msg`, low-S, as r||s: what SIGN_MODE_DIRECT expects.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        let sig: Signature = self.signing.sign(msg);
        let sig = sig.normalize_s().unwrap_or(sig);
        sig.to_bytes().into()
    }
}

/// The HD path for a coin type: `m/44'/{coin_type}'/0'/0/0`.
pub fn hd_path_for_coin_type(coin_type: u32) -> String {
    format!("m/44'/{coin_type}'/0'/0/0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::signature::Verifier;

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    #[test]
    fn known_vector_address() {
        let key = KeyPair::from_mnemonic(ABANDON, DEFAULT_HD_PATH).unwrap();
        assert_eq!(
            key.address("cosmos"),
            "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"
        );
    }

    #[test]
    fn signature_verifies_and_is_low_s() {
        let key = KeyPair::from_mnemonic(ABANDON, DEFAULT_HD_PATH).unwrap();
        let sig_bytes = key.sign(b"sign doc");
        let sig = Signature::from_slice(&sig_bytes).unwrap();
        assert!(sig.normalize_s().is_none(), "already low-S");
        key.signing
            .verifying_key()
            .verify(b"sign doc", &sig)
            .unwrap();
        assert!(key
            .signing
            .verifying_key()
            .verify(b"other doc", &sig)
            .is_err());
    }

    #[test]
    fn debug_hides_the_secret() {
        let key = KeyPair::from_mnemonic(ABANDON, DEFAULT_HD_PATH).unwrap();
        let secret = key.secret_bytes();
        let hex_lower = hex::encode(secret.as_slice());
        let hex_upper = hex_lower.to_uppercase();
        // `{:?}` of the bytes themselves, e.g. `[12, 200, ...]`, and of any 8-byte run.
        let as_list = format!("{:?}", secret.as_slice());
        let runs: Vec<String> = secret
            .windows(8)
            .map(|w| {
                format!("{w:?}")
                    .trim_matches(|c| c == '[' || c == ']')
                    .to_string()
            })
            .collect();
        let stored = crate::keys::StoredKey {
            info: crate::keys::KeyInfo {
                name: "relayer".into(),
                chain_id: "chain-1".into(),
                address: key.address("cosmos"),
                hd_path: DEFAULT_HD_PATH.into(),
                account_prefix: "cosmos".into(),
            },
            key: key.clone(),
        };
        for shown in [
            format!("{key:?}"),
            format!("{key:#?}"),
            format!("{stored:?}"),
            format!("{stored:#?}"),
        ] {
            assert!(shown.contains("redacted"), "{shown}");
            assert!(
                !shown.contains(&hex_lower) && !shown.contains(&hex_upper),
                "{shown}"
            );
            assert!(
                !shown.contains(&hex_lower[..16]),
                "no part of the hex: {shown}"
            );
            assert!(!shown.contains(&as_list), "{shown}");
            assert!(runs.iter().all(|r| !shown.contains(r.as_str())), "{shown}");
            assert!(!shown.contains("abandon"), "{shown}");
        }
    }

    #[test]
    fn secrets_are_zeroize_on_drop_types() {
        fn zeroizes_on_drop<T: ZeroizeOnDrop>() {}
        zeroizes_on_drop::<KeyPair>();
        zeroizes_on_drop::<SigningKey>();
        zeroizes_on_drop::<bip39::Mnemonic>();
        zeroizes_on_drop::<Zeroizing<[u8; 64]>>();
        let key = KeyPair::from_mnemonic(ABANDON, DEFAULT_HD_PATH).unwrap();
        let mut secret = key.secret_bytes();
        assert_eq!(secret.len(), 32);
        secret.zeroize();
        assert!(secret.is_empty(), "a Zeroizing<Vec> is cleared");
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(matches!(
            KeyPair::from_mnemonic("not a mnemonic", DEFAULT_HD_PATH),
            Err(KeyError::Mnemonic(_))
        ));
        assert!(matches!(
            KeyPair::from_mnemonic(ABANDON, "m/x"),
            Err(KeyError::HdPath { .. })
        ));
        let other = KeyPair::from_mnemonic(ABANDON, &hd_path_for_coin_type(60)).unwrap();
        assert_ne!(
            other.address("cosmos"),
            "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"
        );
    }
}
