//! secp256k1 keys inside a PKCS#11 token: generated there (`CKM_EC_KEY_PAIR_GEN` with the
//! secp256k1 curve; the private key sensitive, never extractable, on the token), found by
//! label, and used with `CKM_ECDSA` over the SHA-256 digest of the sign bytes (hashed
//! here). The token's signature is checked against the public key and normalised to low-S.
//! The public key is read from the public key object's `CKA_EC_POINT` and compressed.

use std::sync::{Arc, Mutex};

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use sha2::{Digest, Sha256};

use super::pkcs11::{Lease, Pkcs11Token};
use super::signer::{compress_point, normalize_and_check, Signature64, SignerError};

/// DER of the secp256k1 OID 1.3.132.0.10: the `CKA_EC_PARAMS` of the keys.
pub const SECP256K1_PARAMS: [u8; 7] = [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x0A];

/// A key in a token, ready to sign.
#[derive(Clone)]
pub struct Pkcs11Signer {
    token: Arc<Pkcs11Token>,
    label: String,
    chain: String,
    public: [u8; 33],
    /// The private key's handle and the pool generation it was found in.
    handle: Arc<Mutex<Option<(u64, ObjectHandle)>>>,
}

impl std::fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Pkcs11Signer(token `{}`, key `{}`, public {})",
            self.token.label(),
            self.label,
            hex::encode(self.public)
        )
    }
}

/// The point inside `CKA_EC_POINT`: a DER OCTET STRING around the 65-byte uncompressed
/// point (some modules give the bare point).
fn ec_point(value: &[u8]) -> Option<[u8; 33]> {
    let point = match value {
        [0x04, 0x41, rest @ ..] if rest.len() == 65 => rest,
        [0x04, rest @ ..] if rest.len() == 64 => value,
        _ => return None,
    };
    compress_point(point)
}

fn template(class: ObjectClass, label: &str) -> Vec<Attribute> {
    vec![
        Attribute::Class(class),
        Attribute::KeyType(KeyType::EC),
        Attribute::Label(label.as_bytes().to_vec()),
    ]
}

/// The one object of `class` labelled `label`, if any.
fn find(
    token: &Pkcs11Token,
    session: &Session,
    class: ObjectClass,
    label: &str,
) -> Result<Option<ObjectHandle>, SignerError> {
    let found = session
        .find_objects(&template(class, label))
        .map_err(|e| token.token_error("C_FindObjects", e))?;
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(SignerError::BadKey {
            label: label.into(),
            token: token.label().into(),
            detail: format!(
                "{} objects of class {class} carry this label; keep one",
                found.len()
            ),
        }),
    }
}

/// The compressed public key of the key labelled `label`.
fn read_public(
    token: &Pkcs11Token,
    session: &Session,
    label: &str,
    chain: &str,
) -> Result<[u8; 33], SignerError> {
    let bad = |detail: &str| SignerError::BadKey {
        label: label.into(),
        token: token.label().into(),
        detail: detail.into(),
    };
    let not_found = || SignerError::KeyNotFound {
        label: label.into(),
        token: token.label().into(),
        chain: chain.into(),
    };
    find(token, session, ObjectClass::PRIVATE_KEY, label)?.ok_or_else(not_found)?;
    let public = find(token, session, ObjectClass::PUBLIC_KEY, label)?
        .ok_or_else(|| bad("its public key object is missing"))?;
    let attrs = session
        .get_attributes(public, &[AttributeType::EcParams, AttributeType::EcPoint])
        .map_err(|e| token.token_error("C_GetAttributeValue", e))?;
    let (mut params, mut point) = (None, None);
    for attr in attrs {
        match attr {
            Attribute::EcParams(p) => params = Some(p),
            Attribute::EcPoint(p) => point = Some(p),
            _ => {}
        }
    }
    if params.as_deref() != Some(SECP256K1_PARAMS.as_slice()) {
        return Err(bad(
            "it is not a secp256k1 key (CKA_EC_PARAMS is not 1.3.132.0.10)",
        ));
    }
    point
        .as_deref()
        .and_then(ec_point)
        .ok_or_else(|| bad("CKA_EC_POINT is not an uncompressed secp256k1 point"))
}

/// Generates a key pair labelled `label` in the token; its public key.
fn generate(token: &Pkcs11Token, session: &Session, label: &str) -> Result<[u8; 33], SignerError> {
    if find(token, session, ObjectClass::PRIVATE_KEY, label)?.is_some() {
        return Err(SignerError::KeyExists {
            label: label.into(),
            token: token.label().into(),
        });
    }
    let id = rand::random::<[u8; 16]>().to_vec();
    let label_bytes = label.as_bytes().to_vec();
    let public = [
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::EcParams(SECP256K1_PARAMS.to_vec()),
        Attribute::Label(label_bytes.clone()),
        Attribute::Id(id.clone()),
    ];
    let private = [
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Label(label_bytes),
        Attribute::Id(id),
    ];
    session
        .generate_key_pair(&Mechanism::EccKeyPairGen, &public, &private)
        .map_err(|e| token.token_error("C_GenerateKeyPair", e))?;
    read_public(token, session, label, "")
}

impl Pkcs11Token {
    /// Generates a secp256k1 key pair labelled `label` in the token (an error when one
    /// exists); its compressed public key.
    pub async fn generate_key(self: &Arc<Self>, label: &str) -> Result<[u8; 33], SignerError> {
        let label = label.to_string();
        self.run(move |t, lease| generate(t, &lease.session, &label))
            .await
    }

    /// The compressed public key of the key labelled `label` (`chain` names the chain in
    /// a "not found" error).
    pub async fn public_key(
        self: &Arc<Self>,
        label: &str,
        chain: &str,
    ) -> Result<[u8; 33], SignerError> {
        let (label, chain) = (label.to_string(), chain.to_string());
        self.run(move |t, lease| read_public(t, &lease.session, &label, &chain))
            .await
    }

    /// Destroys both objects of the key labelled `label`.
    pub async fn delete_key(self: &Arc<Self>, label: &str, chain: &str) -> Result<(), SignerError> {
        let (label, chain) = (label.to_string(), chain.to_string());
        self.run(move |t, lease| {
            let s = &lease.session;
            let private = find(t, s, ObjectClass::PRIVATE_KEY, &label)?;
            let public = find(t, s, ObjectClass::PUBLIC_KEY, &label)?;
            if private.is_none() && public.is_none() {
                return Err(SignerError::KeyNotFound {
                    label,
                    token: t.label().into(),
                    chain,
                });
            }
            for handle in private.into_iter().chain(public) {
                s.destroy_object(handle)
                    .map_err(|e| t.token_error("C_DestroyObject", e))?;
            }
            Ok(())
        })
        .await
    }

    /// The labels of the secp256k1 private keys in the token.
    pub async fn key_labels(self: &Arc<Self>) -> Result<Vec<String>, SignerError> {
        self.run(|t, lease| {
            let s = &lease.session;
            let template = [
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::KeyType(KeyType::EC),
                Attribute::EcParams(SECP256K1_PARAMS.to_vec()),
            ];
            let handles = s
                .find_objects(&template)
                .map_err(|e| t.token_error("C_FindObjects", e))?;
            let mut labels = Vec::new();
            for h in handles {
                let attrs = s
                    .get_attributes(h, &[AttributeType::Label])
                    .map_err(|e| t.token_error("C_GetAttributeValue", e))?;
                for a in attrs {
                    if let Attribute::Label(l) = a {
                        labels.push(String::from_utf8_lossy(&l).into_owned());
                    }
                }
            }
            labels.sort();
            Ok(labels)
        })
        .await
    }

    /// The signer of the key labelled `label` (the chain's `key_name`) for `chain`.
    pub async fn signer(
        self: &Arc<Self>,
        label: &str,
        chain: &str,
    ) -> Result<Pkcs11Signer, SignerError> {
        let public = self.public_key(label, chain).await?;
        Ok(Pkcs11Signer {
            token: Arc::clone(self),
            label: label.into(),
            chain: chain.into(),
            public,
            handle: Arc::new(Mutex::new(None)),
        })
    }
}

impl Pkcs11Signer {
    /// The SEC1 compressed public key.
    pub fn public_key(&self) -> [u8; 33] {
        self.public
    }

    /// The key's label in the token.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The token the key lives in.
    pub fn token(&self) -> &Arc<Pkcs11Token> {
        &self.token
    }

    /// The private key's handle in `lease`'s generation of sessions.
    fn private_handle(&self, t: &Pkcs11Token, lease: &Lease) -> Result<ObjectHandle, SignerError> {
        let cached = self.handle.lock().ok().and_then(|h| *h);
        if let Some((generation, handle)) = cached {
            if generation == lease.generation {
                return Ok(handle);
            }
        }
        let handle =
            find(t, &lease.session, ObjectClass::PRIVATE_KEY, &self.label)?.ok_or_else(|| {
                SignerError::KeyNotFound {
                    label: self.label.clone(),
                    token: t.label().into(),
                    chain: self.chain.clone(),
                }
            })?;
        if let Ok(mut slot) = self.handle.lock() {
            *slot = Some((lease.generation, handle));
        }
        Ok(handle)
    }

    /// ECDSA inside the token over SHA-256 of `sign_bytes`, checked and low-S.
    pub async fn sign(&self, sign_bytes: &[u8]) -> Result<Signature64, SignerError> {
        let digest: [u8; 32] = Sha256::digest(sign_bytes).into();
        let this = self.clone();
        let raw = self
            .token
            .run(move |t, lease| {
                let handle = this.private_handle(t, lease)?;
                lease
                    .session
                    .sign(&Mechanism::Ecdsa, handle, &digest)
                    .map_err(|e| t.token_error("C_Sign", e))
            })
            .await?;
        normalize_and_check(&raw, &digest, &self.public).ok_or_else(|| SignerError::BadKey {
            label: self.label.clone(),
            token: self.token.label().into(),
            detail: "its signature does not verify against its public key".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_point_takes_der_or_bare_points() {
        let key = k256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
        let bare = key.verifying_key().to_encoded_point(false);
        let compressed = key.verifying_key().to_encoded_point(true);
        let mut der = vec![0x04, 0x41];
        der.extend_from_slice(bare.as_bytes());
        assert_eq!(ec_point(&der).unwrap().as_slice(), compressed.as_bytes());
        assert_eq!(
            ec_point(bare.as_bytes()).unwrap().as_slice(),
            compressed.as_bytes()
        );
        assert!(ec_point(&der[..60]).is_none());
        assert!(ec_point(compressed.as_bytes()).is_none());
    }
}
