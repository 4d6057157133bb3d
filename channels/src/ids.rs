//! ICS-24 identifiers and IBC heights.

use std::fmt;
use std::str::FromStr;

use ibc_proto::ibc::core::client::v1::Height as ProtoHeight;

pub use crate::error::IdError;

fn validate(kind: &'static str, id: &str, min: usize, max: usize) -> Result<(), IdError> {
    let len = id.len();
    if len < min || len > max {
        return Err(IdError::Length {
            kind,
            id: id.into(),
            len,
            min,
            max,
        });
    }
    if let Some(ch) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._+-#[]<>".contains(*c)))
    {
        return Err(IdError::Char {
            kind,
            id: id.into(),
            ch,
        });
    }
    Ok(())
}

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $min:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The identifier as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The number at the end of the identifier (`connection-4` → 4).
            pub fn sequence(&self) -> Option<u64> {
                self.0.rsplit('-').next()?.parse().ok()
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                validate($kind, s, $min, $max)?;
                Ok(Self(s.to_string()))
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

identifier!(
    /// A client identifier, e.g. `07-tendermint-0`.
    ClientId, "client id", 9, 64
);
identifier!(
    /// A connection identifier, e.g. `connection-0`.
    ConnectionId, "connection id", 10, 64
);
identifier!(
    /// A channel identifier, e.g. `channel-0`.
    ChannelId, "channel id", 8, 64
);
identifier!(
    /// A port identifier, e.g. `transfer`.
    PortId, "port id", 2, 128
);

impl ConnectionId {
    /// `connection-{n}`.
    pub fn new(n: u64) -> Self {
        Self(format!("connection-{n}"))
    }
}

impl PortId {
    /// The port of IBC v2 packets carried as classic packets
    /// ([`V2_PORT`](crate::v2::V2_PORT), a valid port id).
    pub(crate) fn v2() -> Self {
        Self(crate::v2::V2_PORT.to_string())
    }
}

impl ChannelId {
    /// `channel-{n}`.
    pub fn new(n: u64) -> Self {
        Self(format!("channel-{n}"))
    }
}

/// An IBC height: revision number and the height within that revision.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Height {
    /// The revision (the number at the end of the chain id).
    pub revision_number: u64,
    /// The block height.
    pub revision_height: u64,
}

impl Height {
    /// A height in revision `revision_number`.
    pub fn new(revision_number: u64, revision_height: u64) -> Self {
        Self {
            revision_number,
            revision_height,
        }
    }

    /// The zero height ("no height", e.g. no timeout height).
    pub fn is_zero(&self) -> bool {
        self.revision_number == 0 && self.revision_height == 0
    }
}

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.revision_number, self.revision_height)
    }
}

impl FromStr for Height {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let (rev, h) = s.split_once('-').ok_or_else(|| IdError::Height(s.into()))?;
        Ok(Height {
            revision_number: rev.parse().map_err(|_| IdError::Height(s.into()))?,
            revision_height: h.parse().map_err(|_| IdError::Height(s.into()))?,
        })
    }
}

impl From<ProtoHeight> for Height {
    fn from(h: ProtoHeight) -> Self {
        Height {
            revision_number: h.revision_number,
            revision_height: h.revision_height,
        }
    }
}

impl From<Height> for ProtoHeight {
    fn from(h: Height) -> Self {
        ProtoHeight {
            revision_number: h.revision_number,
            revision_height: h.revision_height,
        }
    }
}

/// The revision number of a chain id as ibc-go parses it (`ParseChainID`, the regex
/// `^.*[^\n-]-{1}[1-9][0-9]*$`): `name-N` with a non-empty name that has no newline and
/// does not end in `-`, and N a u64 without a leading zero, gives N; any other chain id
/// gives 0.
pub fn parse_revision_number(chain_id: &str) -> u64 {
    match chain_id.rsplit_once('-') {
        Some((name, n))
            if !name.is_empty()
                && !name.ends_with('-')
                && !name.contains('\n')
                && !n.is_empty()
                && !n.starts_with('0')
                && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            n.parse().unwrap_or(0)
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_follow_ics24() {
        assert_eq!(
            "07-tendermint-0".parse::<ClientId>().unwrap().sequence(),
            Some(0)
        );
        assert_eq!(ConnectionId::new(12).as_str(), "connection-12");
        assert_eq!(ConnectionId::new(12).sequence(), Some(12));
        assert_eq!(ChannelId::new(3).to_string(), "channel-3");
        assert_eq!(ChannelId::new(3).sequence(), Some(3));
        assert_eq!("transfer".parse::<PortId>().unwrap().sequence(), None);
        assert!(matches!(
            "ab".parse::<ClientId>(),
            Err(IdError::Length {
                min: 9,
                max: 64,
                len: 2,
                ..
            })
        ));
        assert!(matches!(
            "channel/0".parse::<ChannelId>(),
            Err(IdError::Char { ch: '/', .. })
        ));
        assert!("icacontroller-cosmos1abc".parse::<PortId>().is_ok());
        assert!("a.b_c+d-e#f[g]h<i>".parse::<PortId>().is_ok());
        assert!("x".parse::<PortId>().is_err());
        assert!("with space".parse::<PortId>().is_err());
        assert!("".parse::<ChannelId>().is_err());
    }

    #[test]
    fn identifier_length_limits() {
        let s = |n: usize| "a".repeat(n);
        assert!(s(8).parse::<ClientId>().is_err());
        assert!(s(9).parse::<ClientId>().is_ok());
        assert!(s(64).parse::<ClientId>().is_ok());
        assert!(s(65).parse::<ClientId>().is_err());
        assert!(s(9).parse::<ConnectionId>().is_err());
        assert!(s(10).parse::<ConnectionId>().is_ok());
        assert!(s(64).parse::<ConnectionId>().is_ok());
        assert!(s(65).parse::<ConnectionId>().is_err());
        assert!(s(7).parse::<ChannelId>().is_err());
        assert!(s(8).parse::<ChannelId>().is_ok());
        assert!(s(64).parse::<ChannelId>().is_ok());
        assert!(s(65).parse::<ChannelId>().is_err());
        assert!(s(1).parse::<PortId>().is_err());
        assert!(s(2).parse::<PortId>().is_ok());
        assert!(s(128).parse::<PortId>().is_ok());
        assert!(s(129).parse::<PortId>().is_err());
    }

    #[test]
    fn identifiers_convert_like_serde_does() {
        let id = ChannelId::try_from("channel-7".to_string()).unwrap();
        assert_eq!(String::from(id.clone()), "channel-7");
        assert_eq!(id.as_ref(), "channel-7");
        assert!(ClientId::try_from("bad".to_string()).is_err());
        assert!(ChannelId::new(2) < ChannelId::new(3));
    }

    #[test]
    fn heights_parse_print_and_order() {
        let h: Height = "1-250".parse().unwrap();
        assert_eq!(h, Height::new(1, 250));
        assert_eq!(h.to_string(), "1-250");
        assert!(Height::new(1, 9) < Height::new(1, 10));
        assert!(Height::new(0, 99) < Height::new(1, 1));
        assert!("250".parse::<Height>().is_err());
        assert!("1-2-3".parse::<Height>().is_err());
        assert!("a-1".parse::<Height>().is_err());
        assert!(Height::default().is_zero());
        assert!("0-0".parse::<Height>().unwrap().is_zero());
        assert!(!Height::new(0, 1).is_zero());
    }

    #[test]
    fn heights_convert_to_and_from_proto() {
        let proto: ProtoHeight = Height::new(3, 77).into();
        assert_eq!(proto.revision_number, 3);
        assert_eq!(proto.revision_height, 77);
        assert_eq!(Height::from(proto), Height::new(3, 77));
    }

    #[test]
    fn revision_numbers_as_ibc_go_parses_them() {
        assert_eq!(parse_revision_number("stateset-devnet-1"), 1);
        assert_eq!(parse_revision_number("cosmoshub-4"), 4);
        assert_eq!(parse_revision_number("alpha-e2e-0"), 0);
        assert_eq!(parse_revision_number("chain-01"), 0);
        assert_eq!(parse_revision_number("simd"), 0);
        assert_eq!(parse_revision_number("a--1"), 0);
        assert_eq!(parse_revision_number("-1"), 0);
        assert_eq!(parse_revision_number("chain-x1"), 0);
        // Go's `.` and `[^\n-]` match no newline; `$` is the end of the text.
        assert_eq!(parse_revision_number("a\nb-1"), 0);
        assert_eq!(parse_revision_number("ab\n-1"), 0);
        assert_eq!(parse_revision_number("ab-1\n"), 0);
        assert_eq!(parse_revision_number("ab-18446744073709551615"), u64::MAX);
        assert_eq!(parse_revision_number("ab-18446744073709551616"), 0);
    }
}
