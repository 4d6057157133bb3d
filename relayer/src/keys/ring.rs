//! The key ring: one JSON file per key at `<dir>/<chain_id>/<name>.json`, mode 0600,
//! in directories of mode 0700.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{KeyError, KeyPair};

/// What is known of a key without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// Key name.
    pub name: String,
    /// Chain id.
    pub chain_id: String,
    /// Bech32 address.
    pub address: String,
    /// HD path it was derived along.
    pub hd_path: String,
    /// Bech32 prefix.
    pub account_prefix: String,
}

/// A key loaded for signing.
#[derive(Debug, Clone)]
pub struct StoredKey {
    /// Public information.
    pub info: KeyInfo,
    /// The key pair.
    pub key: KeyPair,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    #[serde(flatten)]
    info: KeyInfo,
    public_key: String,
    private_key: SecretHex,
}

/// The hex of a secret key as it is in a key file: zeroized on drop, never printed.
#[derive(Serialize, Deserialize)]
#[serde(transparent)]
struct SecretHex(String);

impl Drop for SecretHex {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for SecretHex {}

/// Room for a key file's JSON, so it is written without reallocating (a reallocation
/// would leave a copy of the secret in freed memory).
const KEY_FILE_CAPACITY: usize = 4096;

/// Keys in a directory.
#[derive(Debug, Clone)]
pub struct KeyRing {
    dir: PathBuf,
}

impl KeyRing {
    /// A key ring in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, chain_id: &str, name: &str) -> PathBuf {
        self.dir.join(chain_id).join(format!("{name}.json"))
    }

    /// Derives a key from `mnemonic` and stores it.
    pub fn add(
        &self,
        chain_id: &str,
        name: &str,
        mnemonic: &str,
        hd_path: &str,
        account_prefix: &str,
        overwrite: bool,
    ) -> Result<KeyInfo, KeyError> {
        let key = KeyPair::from_mnemonic(mnemonic, hd_path)?;
        let path = self.file(chain_id, name);
        if path.exists() && !overwrite {
            return Err(KeyError::Exists {
                chain_id: chain_id.into(),
                name: name.into(),
            });
        }
        let info = KeyInfo {
            name: name.into(),
            chain_id: chain_id.into(),
            address: key.try_address(account_prefix)?,
            hd_path: hd_path.into(),
            account_prefix: account_prefix.into(),
        };
        let io = |p: &Path| {
            let p = p.display().to_string();
            move |source| KeyError::Io { path: p, source }
        };
        let chain_dir = path.parent().unwrap_or(&self.dir);
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(chain_dir)
            .map_err(io(chain_dir))?;
        let file = KeyFile {
            info: info.clone(),
            public_key: hex::encode(key.public_key_compressed()),
            private_key: SecretHex(hex::encode(key.secret_bytes().as_slice())),
        };
        let mut text = Zeroizing::new(Vec::with_capacity(KEY_FILE_CAPACITY));
        serde_json::to_writer_pretty(&mut *text, &file).map_err(|e| KeyError::Malformed {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        let tmp = path.with_extension("json.tmp");
        // A left-over (or planted) temporary file would keep its own mode or be a symlink:
        // remove it and create the file afresh, 0600, refusing to follow anything there.
        match fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&tmp)(e)),
        }
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io(&tmp))?;
        f.write_all(&text)
            .and_then(|()| f.sync_all())
            .map_err(io(&tmp))?;
        fs::rename(&tmp, &path).map_err(io(&path))?;
        Ok(info)
    }

    /// Loads a key for signing.
    pub fn get(&self, chain_id: &str, name: &str) -> Result<StoredKey, KeyError> {
        let path = self.file(chain_id, name);
        let file = self.read(&path).map_err(|e| match e {
            KeyError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                KeyError::NotFound {
                    chain_id: chain_id.into(),
                    name: name.into(),
                    dir: self.dir.display().to_string(),
                }
            }
            e => e,
        })?;
        let secret =
            Zeroizing::new(
                hex::decode(&file.private_key.0).map_err(|e| KeyError::Malformed {
                    path: path.display().to_string(),
                    detail: e.to_string(),
                })?,
            );
        let key = KeyPair::from_secret_bytes(&secret)?;
        if key.try_address(&file.info.account_prefix)? != file.info.address {
            return Err(KeyError::Malformed {
                path: path.display().to_string(),
                detail: "the address does not match the key".into(),
            });
        }
        Ok(StoredKey {
            info: file.info,
            key,
        })
    }

    fn read(&self, path: &Path) -> Result<KeyFile, KeyError> {
        let meta = fs::metadata(path).map_err(|source| KeyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Permissions {
                path: path.display().to_string(),
                mode,
            });
        }
        let text = Zeroizing::new(fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.display().to_string(),
            source,
        })?);
        serde_json::from_str(&text).map_err(|e| KeyError::Malformed {
            path: path.display().to_string(),
            detail: e.to_string(),
        })
    }

    /// Public information of every key (of one chain when given).
    pub fn list(&self, chain_id: Option<&str>) -> Result<Vec<KeyInfo>, KeyError> {
        let mut out = Vec::new();
        let chains: Vec<PathBuf> = match chain_id {
            Some(c) => vec![self.dir.join(c)],
            None => match fs::read_dir(&self.dir) {
                Ok(rd) => rd
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.is_dir())
                    .collect(),
                Err(_) => Vec::new(),
            },
        };
        for dir in chains {
            let Ok(rd) = fs::read_dir(&dir) else { continue };
            for entry in rd.filter_map(Result::ok) {
                let p = entry.path();
                if p.extension().is_some_and(|e| e == "json") {
                    out.push(self.read(&p)?.info);
                }
            }
        }
        out.sort_by(|a, b| (&a.chain_id, &a.name).cmp(&(&b.chain_id, &b.name)));
        Ok(out)
    }

    /// Deletes a key.
    pub fn delete(&self, chain_id: &str, name: &str) -> Result<(), KeyError> {
        let path = self.file(chain_id, name);
        fs::remove_file(&path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                KeyError::NotFound {
                    chain_id: chain_id.into(),
                    name: name.into(),
                    dir: self.dir.display().to_string(),
                }
            } else {
                KeyError::Io {
                    path: path.display().to_string(),
                    source,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DEFAULT_HD_PATH;

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    #[test]
    fn add_get_list_delete_with_0600_files() {
        let dir = tempfile::tempdir().unwrap();
        let ring = KeyRing::new(dir.path().join("keys"));
        let info = ring
            .add(
                "chain-1",
                "relayer",
                ABANDON,
                DEFAULT_HD_PATH,
                "cosmos",
                false,
            )
            .unwrap();
        assert_eq!(
            info.address,
            "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4"
        );
        let file = dir.path().join("keys/chain-1/relayer.json");
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(file.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        assert!(
            !fs::read_to_string(&file).unwrap().contains("abandon"),
            "no mnemonic on disk"
        );
        assert!(matches!(
            ring.add(
                "chain-1",
                "relayer",
                ABANDON,
                DEFAULT_HD_PATH,
                "cosmos",
                false
            ),
            Err(KeyError::Exists { .. })
        ));
        let stored = ring.get("chain-1", "relayer").unwrap();
        assert_eq!(stored.key.address("cosmos"), info.address);
        assert_eq!(ring.list(None).unwrap(), vec![info.clone()]);
        assert_eq!(ring.list(Some("chain-1")).unwrap(), vec![info]);

        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            ring.get("chain-1", "relayer"),
            Err(KeyError::Permissions { .. })
        ));
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();

        ring.delete("chain-1", "relayer").unwrap();
        assert!(matches!(
            ring.get("chain-1", "relayer"),
            Err(KeyError::NotFound { .. })
        ));
        assert!(matches!(
            ring.delete("chain-1", "relayer"),
            Err(KeyError::NotFound { .. })
        ));
    }
}
