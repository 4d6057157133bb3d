//! The web console (`relayer/console/`), embedded in the binary at compile time by
//! `relayer/build.rs` and served from memory at `/`: `index.html` (never cached, so a new
//! daemon's console is picked up at once) and the content-hashed files under `assets/`
//! (cached for a year, immutable). The console routes on the URL's hash; any other
//! one-segment path without a dot (`/wallets`) also gets `index.html`; deeper ones do not,
//! since the page names its assets relatively (`./assets/…`, so that it also works behind a
//! proxy that mounts the daemon under a prefix). Without a built `console/dist/` a
//! placeholder page says how to build it.

mod files {
    include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));
}

/// `Cache-Control` of the content-hashed files under `assets/`.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of everything else (`index.html`): always revalidated.
pub const NO_CACHE: &str = "no-cache";
/// `Content-Security-Policy` of the console's pages: its own scripts and styles only, and
/// its API (`/graphql` over HTTP and websocket) on the same origin.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'";

/// One embedded file, as served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Asset {
    /// Its bytes.
    pub body: &'static [u8],
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its `Cache-Control`.
    pub cache_control: &'static str,
    /// Whether it is a page (`index.html`), which gets [`CSP`].
    pub page: bool,
}

/// Whether the console was built when the binary was (else `/` is a placeholder page).
pub fn is_built() -> bool {
    files::BUILT
}

/// The file to answer a `GET` of the URL path `path` with: an embedded file is itself; `/`
/// and any other one-segment path without a dot are `index.html`; anything else is `None`
/// (a 404).
pub fn asset(path: &str) -> Option<Asset> {
    let rel = path.trim_start_matches('/');
    if rel.split('/').any(|s| s == "..") {
        return None;
    }
    if let Some(body) = find(rel) {
        return Some(describe(rel, body));
    }
    if rel.contains('/') || rel.contains('.') {
        return None;
    }
    find("index.html").map(|body| describe("index.html", body))
}

fn find(rel: &str) -> Option<&'static [u8]> {
    files::FILES
        .iter()
        .find(|(name, _)| *name == rel)
        .map(|(_, body)| *body)
}

fn describe(rel: &str, body: &'static [u8]) -> Asset {
    let page = rel == "index.html";
    Asset {
        body,
        content_type: content_type(rel),
        cache_control: if rel.starts_with("assets/") {
            IMMUTABLE
        } else {
            NO_CACHE
        },
        page,
    }
}

/// The `Content-Type` of a file by its extension.
fn content_type(rel: &str) -> &'static str {
    let ext = rel.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_client_routes_are_the_index_never_cached() {
        let index = asset("/").unwrap();
        assert_eq!(index.content_type, "text/html; charset=utf-8");
        assert_eq!(index.cache_control, NO_CACHE);
        assert!(index.page);
        let html = String::from_utf8_lossy(index.body);
        assert!(html.contains("<html"), "{html}");
        if !is_built() {
            assert!(html.contains("console not built: run"), "{html}");
        }
        assert_eq!(asset("/index.html"), Some(index));
        assert_eq!(asset("/overview"), Some(index));
        assert_eq!(asset("/lookup"), Some(index));
        // Deeper paths would resolve the page's relative asset paths wrongly.
        assert_eq!(asset("/path/a-1/transfer"), None);
    }

    #[test]
    fn hashed_assets_have_their_type_and_are_immutable() {
        let assets: Vec<&str> = files::FILES
            .iter()
            .map(|(name, _)| *name)
            .filter(|n| n.starts_with("assets/"))
            .collect();
        if is_built() {
            assert!(assets.iter().any(|n| n.ends_with(".js")), "{assets:?}");
        }
        for name in assets {
            let a = asset(&format!("/{name}")).unwrap();
            assert_eq!(a.cache_control, IMMUTABLE, "{name}");
            assert!(!a.page);
            assert!(!a.body.is_empty());
            if name.ends_with(".js") {
                assert_eq!(a.content_type, "text/javascript; charset=utf-8");
            }
            if name.ends_with(".css") {
                assert_eq!(a.content_type, "text/css; charset=utf-8");
            }
        }
    }

    #[test]
    fn unknown_files_are_not_found() {
        assert_eq!(asset("/assets/nope-123.js"), None);
        assert_eq!(asset("/assets/nope"), None);
        assert_eq!(asset("/favicon.ico"), None);
        assert_eq!(asset("/robots.txt"), None);
        assert_eq!(asset("/../Cargo.toml"), None);
        assert_eq!(asset("/assets/../index.html"), None);
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type("a.svg"), "image/svg+xml");
        assert_eq!(content_type("assets/x-1.woff2"), "font/woff2");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }
}
