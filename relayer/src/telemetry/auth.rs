//! Who may use `/graphql` and the console: [`authorized`].
//!
//! On a loopback address (the default, `127.0.0.1`) anyone who can connect may read. On any
//! other address every request must carry `Authorization: Bearer <token>` (`[telemetry]
//! token` / `token_env`, or the admin token); websockets may also send it as `?token=` or in
//! the `connection_init` payload `{"authorization": "Bearer …"}`, since browsers cannot set
//! headers on them. The admin token (`admin_token` / `admin_token_env`) is needed for
//! mutations wherever the endpoint listens. Tokens are compared in constant time and never
//! logged (their `Debug` is redacted). `/metrics`, `/healthz` and `/readyz` stay open.

use std::fmt;
use std::net::IpAddr;

use hyper::header::AUTHORIZATION;
use hyper::HeaderMap;
use subtle::ConstantTimeEq;

/// A token, kept out of logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// `text` as a token (`None` when empty or blank).
    pub fn new(text: &str) -> Option<Self> {
        let t = text.trim();
        (!t.is_empty()).then(|| Self(t.to_string()))
    }

    /// Whether `presented` is this token (constant time in the token's content).
    pub fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.trim().as_bytes()).into()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The tokens of the endpoint and whether reads need one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessSettings {
    /// The read token.
    pub token: Option<Token>,
    /// The admin token (mutations; it also reads).
    pub admin_token: Option<Token>,
    /// Whether reads need a token: the endpoint listens on a non-loopback address.
    pub require_token: bool,
}

impl AccessSettings {
    /// The settings of an endpoint listening on `host`: a token is required unless `host`
    /// is a loopback address (`127.0.0.0/8`, `::1`, `localhost`).
    pub fn for_host(host: &str, token: Option<Token>, admin_token: Option<Token>) -> Self {
        Self {
            token,
            admin_token,
            require_token: !is_loopback(host),
        }
    }

    /// Whether an admin token is configured.
    pub fn has_admin_token(&self) -> bool {
        self.admin_token.is_some()
    }

    /// Whether `presented` opens reads: always on loopback, else the token or the admin
    /// token.
    pub fn accepts(&self, presented: Option<&str>) -> bool {
        if !self.require_token {
            return true;
        }
        let Some(p) = presented else {
            return false;
        };
        let read = self.token.as_ref().is_some_and(|t| t.matches(p));
        let admin = self.is_admin(Some(p));
        read | admin
    }

    /// Whether `presented` is the admin token (which must be configured).
    pub fn is_admin(&self, presented: Option<&str>) -> bool {
        match (&self.admin_token, presented) {
            (Some(t), Some(p)) => t.matches(p),
            _ => false,
        }
    }
}

/// Whether `host` (a listen address) is a loopback address.
pub fn is_loopback(host: &str) -> bool {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    bearer_of(value)
}

/// The token of a `Bearer <token>` value (the scheme in any case).
pub fn bearer_of(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The `token` parameter of a query string.
pub fn query_token(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| percent_decode(v))
}

fn percent_decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (b, hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether the request with `headers` may read `/graphql` or the console.
pub fn authorized(headers: &HeaderMap, settings: &AccessSettings) -> bool {
    settings.accepts(bearer(headers))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn with_auth(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn loopback_needs_no_token_and_other_hosts_do() {
        let t = Token::new("s3cret-token");
        let open = AccessSettings::for_host("127.0.0.1", t.clone(), None);
        assert!(authorized(&HeaderMap::new(), &open));
        for host in ["::1", "[::1]", "localhost", "127.0.0.5"] {
            assert!(
                !AccessSettings::for_host(host, None, None).require_token,
                "{host}"
            );
        }
        let closed = AccessSettings::for_host("0.0.0.0", t, None);
        assert!(!authorized(&HeaderMap::new(), &closed));
        assert!(!authorized(&with_auth("Bearer wrong"), &closed));
        assert!(!authorized(&with_auth("Basic s3cret-token"), &closed));
        assert!(authorized(&with_auth("Bearer s3cret-token"), &closed));
        assert!(authorized(&with_auth("bearer  s3cret-token "), &closed));
    }

    #[test]
    fn the_admin_token_reads_too_and_only_it_is_admin() {
        let s = AccessSettings::for_host("10.0.0.1", Token::new("read"), Token::new("admin"));
        assert!(s.accepts(Some("admin")) && s.is_admin(Some("admin")));
        assert!(s.accepts(Some("read")) && !s.is_admin(Some("read")));
        let none = AccessSettings::for_host("127.0.0.1", None, None);
        assert!(
            !none.is_admin(Some("")),
            "no admin token configured: nobody is admin"
        );
    }

    #[test]
    fn tokens_are_redacted_and_read_from_queries() {
        assert_eq!(
            format!("{:?}", Token::new("abc")),
            "Some(Token(<redacted>))"
        );
        assert_eq!(query_token(Some("a=1&token=x%2By+z")), Some("x+y z".into()));
        assert_eq!(query_token(Some("a=1")), None);
        assert_eq!(query_token(None), None);
        assert!(Token::new("  ").is_none());
    }
}
