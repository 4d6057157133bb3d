//! Keys: secp256k1 keys derived from BIP-39 mnemonics along BIP-32 paths, and a key
//! ring of 0600 JSON files. Secrets are never logged: `Debug` is redacted and the
//! secret scalar is zeroized on drop (by k256).

mod ring;

use bip32::{DerivationPath, XPrv};
use k256::ecdsa::{signature::Signer, Signature, SigningKey};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

pub use ring::{KeyInfo, KeyRing, StoredKey};

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
        let words = bip39::Mnemonic::parse_normalized(mnemonic.trim())
            .map_err(|e| KeyError::Mnemonic(e.to_string()))?;
        let path: DerivationPath = hd_path
            .parse()
            .map_err(|e: bip32::Error| KeyError::HdPath {
                path: hd_path.to_string(),
                detail: e.to_string(),
            })?;
        let mut seed = words.to_seed("");
        let xprv =
            XPrv::derive_from_path(seed, &path).map_err(|e| KeyError::Derivation(e.to_string()));
        zeroize::Zeroize::zeroize(&mut seed);
        let signing = xprv?.private_key().clone();
        Ok(Self { signing })
    }

    /// Restores a key from its 32 secret bytes.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let signing =
            SigningKey::from_slice(bytes).map_err(|e| KeyError::Derivation(e.to_string()))?;
        Ok(Self { signing })
    }

    /// The 32 secret bytes (for the key file only).
    pub(crate) fn secret_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        zeroize::Zeroizing::new(self.signing.to_bytes().to_vec())
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

    /// The bech32 address with `prefix`.
    pub fn address(&self, prefix: &str) -> String {
        let hrp =
            bech32::Hrp::parse(prefix).unwrap_or_else(|_| bech32::Hrp::parse_unchecked("cosmos"));
        bech32::encode::<bech32::Bech32>(hrp, &self.account_id()).expect("20 bytes always encode")
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
        let secret = hex::encode(key.secret_bytes().as_slice());
        let shown = format!("{key:?}");
        assert!(!shown.contains(&secret));
        assert!(shown.contains("redacted"));
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
