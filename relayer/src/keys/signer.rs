//! The signer the tx builder asks for a public key and a signature over the sign bytes:
//! the file key ring ([`KeyPair`]) or a key inside a PKCS#11 token ([`Pkcs11Signer`]).
//! Either way the signature is ECDSA secp256k1 over SHA-256 of the sign bytes, r||s,
//! normalised to low-S as Cosmos chains require, and the time it took is observed in
//! `signer_latency_seconds{store}`.

use std::sync::Arc;
use std::time::Instant;

use k256::ecdsa::{signature::hazmat::PrehashVerifier, Signature, VerifyingKey};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

use super::pkcs11::Pkcs11Signer;
use super::{KeyError, KeyPair};

/// A 64-byte secp256k1 signature, r||s, low-S.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature64(pub [u8; 64]);

impl Signature64 {
    /// The 64 bytes, as they go into `TxRaw.signatures`.
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0
    }
}

impl std::fmt::Debug for Signature64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature64({})", hex::encode(self.0))
    }
}

/// Signing errors: each names the setting and the fix.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    /// A file key ring error.
    #[error(transparent)]
    File(#[from] KeyError),
    /// The PKCS#11 module cannot be loaded or initialised.
    #[error("PKCS#11 module {module} cannot be used: {detail}; set `signer.module` to the token's PKCS#11 library, e.g. module = \"/usr/lib/softhsm/libsofthsm2.so\"")]
    Module {
        /// The module path.
        module: String,
        /// Why.
        detail: String,
    },
    /// No token with the configured label.
    #[error("no token labelled `{token}` behind PKCS#11 module {module} (tokens there: {found}); set `signer.token_label` to one of them, e.g. token_label = \"relayer\"")]
    TokenNotFound {
        /// The configured label.
        token: String,
        /// The module path.
        module: String,
        /// The labels that were found.
        found: String,
    },
    /// The PIN cannot be read, or the token refused it.
    #[error("token `{token}`: {detail}; fix `{setting}` in [signer] (the PIN comes from pin_env = \"NAME_OF_ENV_VAR\" or pin_file = \"/path/to/pin\", mode 0600)")]
    Pin {
        /// The token label.
        token: String,
        /// `signer.pin_env (VAR)` or `signer.pin_file (PATH)`.
        setting: String,
        /// What went wrong.
        detail: String,
    },
    /// No key with the label in the token.
    #[error("no key labelled `{label}` in token `{token}`; generate it in the token with `stateset-relayer keys add --chain {chain} --hsm` (the label is the chain's key_name)")]
    KeyNotFound {
        /// The key label (the chain's `key_name`).
        label: String,
        /// The token label.
        token: String,
        /// The chain.
        chain: String,
    },
    /// A key with the label exists already.
    #[error("a key labelled `{label}` exists in token `{token}` already")]
    KeyExists {
        /// The key label.
        label: String,
        /// The token label.
        token: String,
    },
    /// The key in the token is not a usable secp256k1 key.
    #[error("key `{label}` in token `{token}` is not usable: {detail}")]
    BadKey {
        /// The key label.
        label: String,
        /// The token label.
        token: String,
        /// Why.
        detail: String,
    },
    /// The token failed (session closed, device removed, ...): this signature fails, the
    /// next one opens new sessions and logs in again.
    #[error("token `{token}` failed during {op}: {detail}; this signature failed, the next one reconnects to the token")]
    Token {
        /// The token label.
        token: String,
        /// The PKCS#11 operation.
        op: String,
        /// The module's error.
        detail: String,
    },
    /// The signing task itself failed.
    #[error("signing task failed: {0}")]
    Task(String),
}

/// Where keys live and how they sign.
#[derive(Clone, Debug)]
pub enum Signer {
    /// A key of the file key ring.
    File(Arc<KeyPair>),
    /// A key inside a PKCS#11 token.
    Pkcs11(Pkcs11Signer),
}

impl Signer {
    /// `file` or `pkcs11`: the `store` label of `signer_latency_seconds`.
    pub fn store(&self) -> &'static str {
        match self {
            Signer::File(_) => "file",
            Signer::Pkcs11(_) => "pkcs11",
        }
    }

    /// The SEC1 compressed public key (33 bytes).
    pub fn public_key(&self) -> [u8; 33] {
        match self {
            Signer::File(k) => k.public_key_compressed(),
            Signer::Pkcs11(p) => p.public_key(),
        }
    }

    /// The 20-byte account id: RIPEMD-160(SHA-256(public key)).
    pub fn account_id(&self) -> [u8; 20] {
        account_id(&self.public_key())
    }

    /// The bech32 address with `prefix`.
    pub fn address(&self, prefix: &str) -> Result<String, SignerError> {
        Ok(address(&self.public_key(), prefix)?)
    }

    /// ECDSA over SHA-256 of `sign_bytes`, r||s, low-S. PKCS#11 work runs on a blocking
    /// thread; the latency is observed in `signer_latency_seconds{store}`.
    pub async fn sign(&self, sign_bytes: &[u8]) -> Result<Signature64, SignerError> {
        let started = Instant::now();
        let out = match self {
            Signer::File(k) => Ok(Signature64(k.sign(sign_bytes))),
            Signer::Pkcs11(p) => p.sign(sign_bytes).await,
        };
        stateset_monitoring::global()
            .signer_latency_seconds
            .with_label_values(&[self.store()])
            .observe(started.elapsed().as_secs_f64());
        out
    }
}

/// RIPEMD-160(SHA-256(`public_key`)).
pub fn account_id(public_key: &[u8; 33]) -> [u8; 20] {
    Ripemd160::digest(Sha256::digest(public_key)).into()
}

/// The bech32 address of `public_key` with `prefix`.
pub fn address(public_key: &[u8; 33], prefix: &str) -> Result<String, KeyError> {
    let bad = |detail: String| KeyError::AccountPrefix {
        prefix: prefix.into(),
        detail,
    };
    let hrp = bech32::Hrp::parse(prefix).map_err(|e| bad(e.to_string()))?;
    bech32::encode::<bech32::Bech32>(hrp, &account_id(public_key)).map_err(|e| bad(e.to_string()))
}

/// A raw r||s signature over `digest` as a token returns it, checked against
/// `public_key` and normalised to low-S. `None` when it is malformed or does not verify.
pub fn normalize_and_check(
    raw: &[u8],
    digest: &[u8; 32],
    public_key: &[u8; 33],
) -> Option<Signature64> {
    let sig = Signature::from_slice(raw).ok()?;
    let sig = sig.normalize_s().unwrap_or(sig);
    let key = VerifyingKey::from_sec1_bytes(public_key).ok()?;
    key.verify_prehash(digest, &sig).ok()?;
    Some(Signature64(sig.to_bytes().into()))
}

/// The SEC1 compressed form of an uncompressed (65-byte) or compressed point.
pub fn compress_point(point: &[u8]) -> Option<[u8; 33]> {
    let key = VerifyingKey::from_sec1_bytes(point).ok()?;
    let encoded = key.to_encoded_point(true);
    encoded.as_bytes().try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DEFAULT_HD_PATH;
    use k256::ecdsa::{signature::hazmat::PrehashSigner, SigningKey};

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    /// The order n of secp256k1.
    const N: &str = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141";

    fn n_minus(s: &[u8]) -> [u8; 32] {
        let n = hex::decode(N).unwrap();
        let mut out = [0u8; 32];
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let d = n[i] as i16 - s[i] as i16 - borrow;
            borrow = i16::from(d < 0);
            out[i] = d.rem_euclid(256) as u8;
        }
        out
    }

    #[test]
    fn high_s_is_normalised_to_n_minus_s() {
        let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let public =
            compress_point(key.verifying_key().to_encoded_point(false).as_bytes()).unwrap();
        let digest: [u8; 32] = Sha256::digest(b"sign doc").into();
        let low: Signature = key.sign_prehash(&digest).unwrap();
        let low = low.normalize_s().unwrap_or(low);
        let low_bytes = low.to_bytes();
        // The high-S twin: (r, n - s), what an HSM may return.
        let mut high = [0u8; 64];
        high[..32].copy_from_slice(&low_bytes[..32]);
        high[32..].copy_from_slice(&n_minus(&low_bytes[32..]));
        assert!(Signature::from_slice(&high)
            .unwrap()
            .normalize_s()
            .is_some());
        let fixed = normalize_and_check(&high, &digest, &public).unwrap();
        assert_eq!(fixed.to_bytes()[..], low_bytes[..]);
        assert_eq!(
            normalize_and_check(&low_bytes, &digest, &public),
            Some(fixed)
        );
        // Known vector: s = n - 1 normalises to s = 1.
        let mut s_max = [0u8; 64];
        s_max[..32].copy_from_slice(&low_bytes[..32]);
        s_max[32..].copy_from_slice(&n_minus(
            &[0; 31].iter().chain(&[1u8]).copied().collect::<Vec<_>>(),
        ));
        let sig = Signature::from_slice(&s_max)
            .unwrap()
            .normalize_s()
            .unwrap();
        let mut one = [0u8; 32];
        one[31] = 1;
        assert_eq!(sig.to_bytes()[32..], one);
        // Known vectors at the boundary: (n-1)/2 is the largest low-S value and stays;
        // (n+1)/2 is the smallest high-S value and becomes (n-1)/2.
        let half = "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0";
        let half_plus_one = "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A1";
        let with_s = |s: &str| {
            let mut sig = low_bytes[..32].to_vec();
            sig.extend(hex::decode(s).unwrap());
            Signature::from_slice(&sig).unwrap()
        };
        assert!(with_s(half).normalize_s().is_none());
        let normalised = with_s(half_plus_one).normalize_s().unwrap();
        assert_eq!(hex::encode_upper(&normalised.to_bytes()[32..]), half);
        let other: [u8; 32] = Sha256::digest(b"other doc").into();
        assert!(normalize_and_check(&high, &other, &public).is_none());
        assert!(normalize_and_check(&high[..63], &digest, &public).is_none());
    }

    #[test]
    fn an_hsm_public_key_gives_the_file_ring_address() {
        let file = KeyPair::from_mnemonic(ABANDON, DEFAULT_HD_PATH).unwrap();
        let secret = file.secret_bytes();
        let same = SigningKey::from_slice(&secret).unwrap();
        // CKA_EC_POINT holds the uncompressed point; the signer compresses it.
        let uncompressed = same.verifying_key().to_encoded_point(false);
        let public = compress_point(uncompressed.as_bytes()).unwrap();
        assert_eq!(
            address(&public, "cosmos").unwrap(),
            "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"
        );
        assert_eq!(address(&public, "cosmos").unwrap(), file.address("cosmos"));
        assert_eq!(account_id(&public), file.account_id());
    }

    #[tokio::test]
    async fn the_file_signer_signs_low_s() {
        let key = KeyPair::from_mnemonic(ABANDON, DEFAULT_HD_PATH).unwrap();
        let signer = Signer::File(Arc::new(key.clone()));
        assert_eq!(signer.store(), "file");
        assert_eq!(signer.public_key(), key.public_key_compressed());
        let sig = signer.sign(b"sign doc").await.unwrap();
        let digest: [u8; 32] = Sha256::digest(b"sign doc").into();
        assert_eq!(
            normalize_and_check(&sig.to_bytes(), &digest, &signer.public_key()),
            Some(sig)
        );
        assert_eq!(
            signer.address("cosmos").unwrap(),
            "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"
        );
    }
}
