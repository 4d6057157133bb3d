//! Where the relayer's signing keys come from: the file key ring or one PKCS#11 token,
//! never both (`[signer] kind`).

use std::sync::Arc;

use super::{KeyError, KeyRing, Pkcs11Token, Signer, SignerError};
use crate::config::{ChainConfig, Config, SignerKind};

/// The relayer's one key store.
#[derive(Clone, Debug)]
pub enum KeySource {
    /// 0600 files under `global.key_dir`.
    Ring(Arc<KeyRing>),
    /// A PKCS#11 token, logged in once and shared by every chain.
    Token(Arc<Pkcs11Token>),
}

/// Why a chain's signer could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeySourceError {
    /// The key ring's key is missing or unusable.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The token refused or is unreachable, or the key is not in it.
    #[error(transparent)]
    Signer(#[from] SignerError),
}

impl KeySource {
    /// Opens the key store `config` names (for a token: loads the module and logs in).
    pub async fn open(config: &Config) -> Result<Self, SignerError> {
        match config.signer.kind {
            SignerKind::File => Ok(KeySource::Ring(Arc::new(KeyRing::new(
                &config.global.key_dir,
            )))),
            SignerKind::Pkcs11 => {
                let settings = config.signer.pkcs11_settings()?;
                Ok(KeySource::Token(Pkcs11Token::open(settings).await?))
            }
        }
    }

    /// The signer of `chain`'s `key_name`, and its address with the chain's prefix.
    pub async fn signer(&self, chain: &ChainConfig) -> Result<(Signer, String), KeySourceError> {
        let id = chain.id.as_str();
        let signer = match self {
            KeySource::Ring(ring) => Signer::File(Arc::new(ring.get(id, &chain.key_name)?.key)),
            KeySource::Token(token) => Signer::Pkcs11(token.signer(&chain.key_name, id).await?),
        };
        let address = signer.address(&chain.account_prefix)?;
        Ok((signer, address))
    }
}
