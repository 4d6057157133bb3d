//! What a benchmark ran on: the machine ([`Machine`], from `/proc`) and the software
//! ([`Versions`]: simd and what it was built from, our commit, Hermes).

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use super::{hermes, BenchConfig, RelayerKind};
use crate::{simd, workspace_root};

/// The machine.
#[derive(Clone, Debug)]
pub struct Machine {
    /// Logical CPUs (`processor` entries of `/proc/cpuinfo`).
    pub cores: usize,
    /// `MemTotal` of `/proc/meminfo`, GiB.
    pub memory_gib: f64,
    /// The first `model name` of `/proc/cpuinfo`.
    pub cpu_model: String,
}

/// Reads `/proc/cpuinfo` and `/proc/meminfo`.
pub fn machine() -> Result<Machine> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").context("reading /proc/cpuinfo")?;
    let value = |line: &str| line.split_once(':').map(|(_, v)| v.trim().to_string());
    let cores = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    let cpu_model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(value)
        .context("/proc/cpuinfo: no model name")?;
    let meminfo = std::fs::read_to_string("/proc/meminfo").context("reading /proc/meminfo")?;
    let kib: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("/proc/meminfo: no MemTotal in kB")?;
    if cores == 0 {
        bail!("/proc/cpuinfo lists no processor");
    }
    Ok(Machine {
        cores,
        memory_gib: kib / 1024.0 / 1024.0,
        cpu_model,
    })
}

/// The software under test; each entry is a description or why it could not be read.
#[derive(Clone, Debug)]
pub struct Versions {
    /// The simd binary and the versions it reports.
    pub simd: String,
    /// ibc-go, and where the figure comes from.
    pub ibc_go: String,
    /// Our relayer's git commit and binary.
    pub ours: String,
    /// `hermes version`, when Hermes is benchmarked.
    pub hermes: Option<String>,
}

/// Reads every version; one that cannot be read says why instead.
pub fn versions(config: &BenchConfig) -> Versions {
    let major = crate::chain::version_of_chain(
        &std::env::var(crate::chain::CHAIN_VERSIONS_VAR).unwrap_or_default(),
        0,
    );
    let or_why = |r: Result<String>| r.unwrap_or_else(|e| format!("unavailable: {e:#}"));
    let bin = config
        .relayer_bin
        .as_ref()
        .map_or("the debug build".to_string(), |p| p.display().to_string());
    Versions {
        simd: or_why(simd_versions(&major)),
        ibc_go: or_why(ibc_go_version(&major)),
        ours: format!("{} ({bin})", or_why(git_commit())),
        hermes: config
            .relayers
            .contains(&RelayerKind::Hermes)
            .then(|| or_why(hermes::version(&config.hermes_bin))),
    }
}

/// `simd-<major>` and the Cosmos SDK, CometBFT and Go versions of `simd version --long`.
fn simd_versions(major: &str) -> Result<String> {
    let (bin, out) = simd_long(major)?;
    let go = out
        .lines()
        .find_map(|l| l.strip_prefix("go: "))
        .context("`simd version --long` has no go line")?;
    Ok(format!(
        "{} (ibc-go {major}): Cosmos SDK {}, CometBFT {}, {}",
        bin.display(),
        build_dep(&out, "github.com/cosmos/cosmos-sdk")
            .context("`simd version --long` lists no Cosmos SDK")?,
        build_dep(&out, "github.com/cometbft/cometbft")
            .context("`simd version --long` lists no CometBFT")?,
        go.trim()
    ))
}

/// The simd binary of `major` and what `simd version --long` prints.
fn simd_long(major: &str) -> Result<(std::path::PathBuf, String)> {
    let bin = simd::binary(major).map_err(|e| anyhow::anyhow!("{e}"))?;
    let out = run(&bin, &["version", "--long"])?;
    Ok((bin, out))
}

/// The version of `module` among the `- module@version` build dependencies.
fn build_dep(long: &str, module: &str) -> Option<String> {
    long.lines()
        .filter_map(|l| l.trim().strip_prefix("- "))
        .find_map(|l| l.strip_prefix(&format!("{module}@")))
        .map(|v| v.split_whitespace().next().unwrap_or_default().to_string())
}

/// ibc-go's version: from `simd version --long`'s build dependencies when listed there,
/// else from the go.mod simd was built from. (For v8, simd's main package is in ibc-go's
/// own module, which Go records as the main module, and the SDK lists only the other
/// modules.)
fn ibc_go_version(major: &str) -> Result<String> {
    let module = format!("github.com/cosmos/ibc-go/{major}");
    let (_, long) = simd_long(major)?;
    if let Some(version) = build_dep(&long, &module) {
        return Ok(format!("{module} {version} (from `simd version --long`)"));
    }
    let go_mod = simd::module_dir(major).join("go.mod");
    let text = std::fs::read_to_string(&go_mod)
        .with_context(|| format!("reading {}", go_mod.display()))?;
    let version = text
        .lines()
        .map(|l| l.trim().trim_start_matches("require").trim())
        .find_map(|l| l.strip_prefix(&format!("{module} ")))
        .map(|v| v.split_whitespace().next().unwrap_or_default().to_string())
        .with_context(|| format!("{} requires no {module}", go_mod.display()))?;
    let rel = go_mod
        .strip_prefix(workspace_root())
        .unwrap_or(&go_mod)
        .display()
        .to_string();
    Ok(format!(
        "{module} {version} (from {rel}: `simd version --long` does not list it, since it \
         is simd's main module)"
    ))
}

/// `git rev-parse --short=12 HEAD` of the workspace, `+changes` when the tracked files
/// differ from it.
fn git_commit() -> Result<String> {
    let root = workspace_root();
    let commit = run(
        Path::new("git"),
        &[
            "-C",
            &root.to_string_lossy(),
            "rev-parse",
            "--short=12",
            "HEAD",
        ],
    )?;
    let status = run(
        Path::new("git"),
        &[
            "-C",
            &root.to_string_lossy(),
            "status",
            "--porcelain",
            "--untracked-files=no",
        ],
    )?;
    let dirty = if status.trim().is_empty() {
        ""
    } else {
        "+changes"
    };
    Ok(format!("{}{dirty}", commit.trim()))
}

/// The stdout of `bin args`, an error unless it succeeds.
fn run(bin: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(bin)
        .args(args)
        .output()
        .with_context(|| format!("running {} {}", bin.display(), args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "{} {} failed ({}): {}",
            bin.display(),
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_machine_is_read() {
        let m = super::machine().unwrap();
        assert!(m.cores > 0 && m.memory_gib > 0.0 && !m.cpu_model.is_empty());
    }
}
