//! `[chains.serve]`: the clients and ports the relayer serves on a chain besides the clients
//! it created itself.

use serde::Deserialize;

/// What the relayer serves on this chain besides the clients it created itself.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    /// Clients on this chain that the relayer serves although another party created them.
    pub clients: Vec<String>,
    /// Ports whose handshakes the relayer completes; a trailing `*` matches any suffix.
    pub ports: Vec<String>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            clients: Vec::new(),
            ports: vec![
                "transfer".into(),
                "icahost".into(),
                "icacontroller-*".into(),
            ],
        }
    }
}

impl ServeConfig {
    /// Whether handshakes on `port` are completed: `port` equals an entry of `ports`, or
    /// starts with the part before an entry's trailing `*`.
    pub fn allows_port(&self, port: &str) -> bool {
        self.ports
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => port.starts_with(prefix),
                None => port == pattern,
            })
    }

    /// Whether `client_id` is one of `clients`.
    pub fn lists_client(&self, client_id: &str) -> bool {
        self.clients.iter().any(|c| c == client_id)
    }

    /// Checks the entries; `Err((key below serve, message))`.
    pub(super) fn check(&self) -> Result<(), (String, String)> {
        for (i, id) in self.clients.iter().enumerate() {
            check_client_id(id).map_err(|m| {
                (
                    format!("clients[{i}]"),
                    format!("{m}; expected an ICS-24 client id `{{client-type}}-{{N}}`, e.g. clients = [\"07-tendermint-3\"]"),
                )
            })?;
        }
        for (i, port) in self.ports.iter().enumerate() {
            check_port_pattern(port).map_err(|m| {
                (
                    format!("ports[{i}]"),
                    format!("{m}; expected a port id, optionally ending in `*`, e.g. ports = [\"transfer\", \"icacontroller-*\"]"),
                )
            })?;
        }
        Ok(())
    }
}

fn check_client_id(id: &str) -> Result<(), String> {
    if let Err(e) = id.parse::<stateset_channels::ids::ClientId>() {
        return Err(format!("`{id}` is not a client id ({e})"));
    }
    let numbered = id.rsplit_once('-').is_some_and(|(kind, n)| {
        !kind.is_empty()
            && !kind.ends_with('-')
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
            && n.parse::<u64>().is_ok()
    });
    if numbered {
        Ok(())
    } else {
        Err(format!("`{id}` does not end in `-N`"))
    }
}

fn check_port_pattern(pattern: &str) -> Result<(), String> {
    if pattern.is_empty() {
        return Err("an empty port matches nothing".into());
    }
    let body = pattern.strip_suffix('*').unwrap_or(pattern);
    if body.contains('*') {
        return Err(format!(
            "`{pattern}` has `*` before its end; `*` may only be the last character"
        ));
    }
    let valid_chars = body
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._+-#[]<>".contains(c));
    if !valid_chars || body.len() > 128 {
        return Err(format!(
            "`{pattern}` is not a port id (letters, digits and ._+-#[]<>, at most 128)"
        ));
    }
    if body.len() < 2 && !pattern.ends_with('*') {
        return Err(format!(
            "`{pattern}` is too short for a port id (at least 2 characters)"
        ));
    }
    Ok(())
}
