//! Locating (and if needed building) ibc-go's `simd` binary.
//!
//! For an ibc-go major `VERSION` (e.g. `v8`) the binary is, in order:
//! 1. the path in `STATESET_E2E_SIMD_<VERSION>` (e.g. `STATESET_E2E_SIMD_V8`), used as is;
//! 2. `<target dir>/e2e-bin/simd-VERSION` (see [`crate::target_dir`]), built by
//!    `e2e/scripts/build-simd.sh VERSION` from the Go module `e2e/chains/ibc-go-VERSION`
//!    when it is missing or older than the module's go.mod/go.sum (the script's stamp
//!    file holds their sha256). The script runs at most once per version per process
//!    and serialises concurrent processes with a file lock.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The ibc-go major the harness uses unless a spec says otherwise.
pub const DEFAULT_VERSION: &str = "v8";

/// The environment variable that overrides the binary for `version`:
/// `STATESET_E2E_SIMD_V8` for `v8`.
pub fn env_var(version: &str) -> String {
    format!("STATESET_E2E_SIMD_{}", version.to_ascii_uppercase())
}

/// Where the build script puts the binary for `version`.
pub fn default_path(version: &str) -> PathBuf {
    crate::target_dir()
        .join("e2e-bin")
        .join(format!("simd-{version}"))
}

/// The Go module that builds `simd` for `version`.
pub fn module_dir(version: &str) -> PathBuf {
    crate::workspace_root()
        .join("e2e/chains")
        .join(format!("ibc-go-{version}"))
}

/// The build script.
pub fn build_script() -> PathBuf {
    crate::workspace_root().join("e2e/scripts/build-simd.sh")
}

/// The simd binary for `version`, building it first if it is missing or stale.
///
/// Blocks for the whole Go build (minutes on a cold cache) when one is needed.
pub fn binary(version: &str) -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(env_var(version)).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(simd_err(
                version,
                format!(
                    "{} is set to {}, which is not a file",
                    env_var(version),
                    path.display()
                ),
            ))
        };
    }

    static BUILT: OnceLock<Mutex<HashMap<String, Result<PathBuf, String>>>> = OnceLock::new();
    let mut built = BUILT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(result) = built.get(version) {
        return result.clone().map_err(|m| simd_err(version, m));
    }
    let path = default_path(version);
    let result = if path.is_file() && is_fresh(version, &path) {
        Ok(path)
    } else {
        eprintln!(
            "stateset-e2e: building simd {version} into {} (minutes on a cold Go cache)",
            path.display()
        );
        build(version).map_err(|e| e.to_string())
    };
    built.insert(version.to_string(), result.clone());
    result.map_err(|m| simd_err(version, m))
}

/// Runs `e2e/scripts/build-simd.sh version` and returns the path it printed last.
pub fn build(version: &str) -> Result<PathBuf> {
    let script = build_script();
    let output = Command::new("bash")
        .arg(&script)
        .arg(version)
        .output()
        .map_err(|e| Error::io(format!("running {}", script.display()), e))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(simd_err(
            version,
            format!(
                "{} failed ({}):\n{}{}",
                script.display(),
                output.status,
                stdout,
                String::from_utf8_lossy(&output.stderr)
            ),
        ));
    }
    let path = stdout
        .lines()
        .last()
        .map(|l| PathBuf::from(l.trim()))
        .filter(|p| p.is_file())
        .ok_or_else(|| {
            simd_err(
                version,
                format!("the build script printed no binary path: {stdout}"),
            )
        })?;
    Ok(path)
}

/// Whether the stamp next to `binary` holds the sha256 of the module's go.mod + go.sum.
fn is_fresh(version: &str, binary: &Path) -> bool {
    let module = module_dir(version);
    let mut hasher = Sha256::new();
    for file in ["go.mod", "go.sum"] {
        match std::fs::read(module.join(file)) {
            Ok(bytes) => hasher.update(bytes),
            // No module to build from: whatever binary exists is the best there is.
            Err(_) => return true,
        }
    }
    let want = hex::encode(hasher.finalize());
    let mut stamp = binary.as_os_str().to_owned();
    stamp.push(".stamp");
    std::fs::read_to_string(stamp).is_ok_and(|have| have.trim() == want)
}

fn simd_err(version: &str, message: String) -> Error {
    Error::Simd {
        version: version.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_per_version() {
        assert_eq!(env_var("v8"), "STATESET_E2E_SIMD_V8");
        assert_eq!(env_var("v10"), "STATESET_E2E_SIMD_V10");
        assert!(default_path("v10").ends_with("e2e-bin/simd-v10"));
        assert!(module_dir("v8").ends_with("e2e/chains/ibc-go-v8"));
        assert!(build_script().is_file());
    }
}
