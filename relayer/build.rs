//! Embeds the web console (`console/dist/`, built from `console/` by `scripts/build-console`)
//! in the binary: writes `$OUT_DIR/console_assets.rs`, a table of every file of `dist/` as
//! `include_bytes!`, which `src/telemetry/console.rs` serves. Running the daemon needs no
//! Node, and neither does building it: without a built `dist/` (a fresh clone, no npm) a
//! small page saying how to build the console is embedded instead, with a `cargo:warning`.
//!
//! This script never runs npm (a build script must not reach the network, nor write into
//! the source tree); `scripts/build-console` does, and the test command, the devnet and CI
//! run it before cargo. When `dist/` is older than the console's sources, a warning says so.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use std::{env, fs, io};

/// The console's sources whose change makes `dist/` stale.
const SOURCES: &[&str] = &[
    "src",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
];

const FALLBACK: &str = "<!doctype html>
<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Stateset relayer</title></head>
<body>
<h1>Stateset relayer</h1>
<p>console not built: run <code>scripts/build-console</code>, then build the relayer again.</p>
<p>The daemon's endpoints: <a href=\"/status\">/status</a>, <a href=\"/metrics\">/metrics</a>,
<a href=\"/healthz\">/healthz</a>, <a href=\"/readyz\">/readyz</a>.</p>
</body></html>
";

fn main() -> io::Result<()> {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_default());
    let console = manifest.join("console");
    let dist = console.join("dist");
    println!("cargo:rerun-if-changed=build.rs");

    let mut files = Vec::new();
    let built = dist.join("index.html").is_file();
    if built {
        println!("cargo:rerun-if-changed={}", dist.display());
        collect(&dist, &dist, &mut files)?;
        let mut newest_source = None;
        for s in SOURCES {
            let p = console.join(s);
            if p.exists() {
                println!("cargo:rerun-if-changed={}", p.display());
                newest_source = newest_source.max(newest(&p)?);
            }
        }
        let built_at = fs::metadata(dist.join("index.html"))?.modified().ok();
        if newest_source > built_at {
            println!(
                "cargo:warning=the embedded web console is older than its sources in relayer/console: run scripts/build-console"
            );
        }
    } else {
        // No dist/ yet: watch the console's folder, so building it makes this script run again.
        println!("cargo:rerun-if-changed={}", console.display());
        println!(
            "cargo:warning=console not built: run scripts/build-console (the daemon serves a placeholder page at /)"
        );
        let page = out.join("console-fallback.html");
        fs::write(&page, FALLBACK)?;
        files.push(("index.html".to_string(), page));
    }
    files.sort();

    let mut table = String::new();
    let _ = writeln!(
        table,
        "/// Whether `console/dist/` was built (else the placeholder page is embedded)."
    );
    let _ = writeln!(table, "pub(super) const BUILT: bool = {built};");
    let _ = writeln!(
        table,
        "/// Every embedded file: its path under `dist/` and its bytes."
    );
    let _ = writeln!(table, "pub(super) static FILES: &[(&str, &[u8])] = &[");
    for (name, path) in &files {
        let _ = writeln!(
            table,
            "    ({name:?}, include_bytes!({:?})),",
            path.display().to_string()
        );
    }
    let _ = writeln!(table, "];");
    fs::write(out.join("console_assets.rs"), table)
}

/// Every file under `dir` (skipping dot files such as the build stamp), as (path relative to
/// `root` with `/` separators, absolute path).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if entry.file_type()?.is_dir() {
            collect(root, &path, files)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            files.push((rel, path));
        }
    }
    Ok(())
}

/// The newest modification time of `path` or of any file under it.
fn newest(path: &Path) -> io::Result<Option<SystemTime>> {
    let meta = fs::metadata(path)?;
    let mut t = meta.modified().ok();
    if meta.is_dir() {
        for entry in fs::read_dir(path)? {
            t = t.max(newest(&entry?.path())?);
        }
    }
    Ok(t)
}
