//! `[chains.packet_policy]`: which packets sent from a chain are relayed.

use std::collections::BTreeMap;
use std::fmt;

use serde::{de, Deserialize, Deserializer};

/// Which packets sent from a chain the relayer relays. Packets it refuses are logged, counted
/// in `packets_filtered_total{reason}` and left alone (still timed out when they expire).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PacketPolicy {
    /// Largest ICS-20 memo in bytes (default 32 KiB).
    #[serde(default = "d_max_memo_bytes")]
    pub max_memo_bytes: usize,
    /// Largest ICS-20 receiver in bytes (default 2 KiB).
    #[serde(default = "d_max_receiver_bytes")]
    pub max_receiver_bytes: usize,
    /// When non-empty, only transfers sent on these channels of this chain.
    #[serde(default)]
    pub allow_channels: Vec<String>,
    /// Never transfers sent on these channels of this chain.
    #[serde(default)]
    pub deny_channels: Vec<String>,
    /// ICS-29: relay a packet only when the recv + ack fees escrowed for it on this chain
    /// reach every one of these coins (e.g. `["100stake"]`); empty relays every packet.
    #[serde(default)]
    pub min_fees: Vec<stateset_packet_handlers::ics29::Coin>,
    /// Packets never relayed, per source channel of this chain:
    /// `excluded_sequences = { "channel-0" = [5, "10..20"] }` (ranges inclusive; Hermes'
    /// `"10-20"` is accepted too). Default: none.
    #[serde(default)]
    pub excluded_sequences: BTreeMap<String, Vec<SequenceRange>>,
}

impl Default for PacketPolicy {
    fn default() -> Self {
        PacketPolicy {
            max_memo_bytes: d_max_memo_bytes(),
            max_receiver_bytes: d_max_receiver_bytes(),
            allow_channels: Vec::new(),
            deny_channels: Vec::new(),
            min_fees: Vec::new(),
            excluded_sequences: BTreeMap::new(),
        }
    }
}

impl PacketPolicy {
    /// The ICS-20 part of the policy.
    pub fn transfer(&self) -> stateset_packet_handlers::ics20::TransferPolicy {
        stateset_packet_handlers::ics20::TransferPolicy {
            max_memo_bytes: self.max_memo_bytes,
            max_receiver_bytes: self.max_receiver_bytes,
            allow_channels: self.allow_channels.clone(),
            deny_channels: self.deny_channels.clone(),
        }
    }

    /// The ICS-29 part of the policy.
    pub fn min_fees(&self) -> stateset_packet_handlers::ics29::MinFees {
        stateset_packet_handlers::ics29::MinFees(self.min_fees.clone())
    }

    /// Whether the packet with `sequence` sent on `channel` of this chain is excluded by
    /// `excluded_sequences`.
    pub fn is_excluded(&self, channel: &str, sequence: u64) -> bool {
        self.excluded_sequences
            .get(channel)
            .is_some_and(|ranges| ranges.iter().any(|r| r.contains(sequence)))
    }

    /// Checks the channel ids; `Err((key below packet_policy, message))`.
    pub(super) fn check(&self) -> Result<(), (String, String)> {
        for (list, ids) in [
            ("allow_channels", &self.allow_channels),
            ("deny_channels", &self.deny_channels),
        ] {
            for (i, id) in ids.iter().enumerate() {
                check_channel_id(id).map_err(|m| {
                    (
                        format!("{list}[{i}]"),
                        format!("{m}, e.g. {list} = [\"channel-0\"]"),
                    )
                })?;
            }
        }
        for channel in self.excluded_sequences.keys() {
            check_channel_id(channel).map_err(|m| {
                (
                    format!("excluded_sequences.{channel}"),
                    format!("{m}, e.g. excluded_sequences = {{ \"channel-0\" = [5, \"10..20\"] }}"),
                )
            })?;
        }
        Ok(())
    }
}

/// `channel-N`, the identifiers ibc-go gives channels.
fn check_channel_id(id: &str) -> Result<(), String> {
    let valid = id.parse::<stateset_channels::ids::ChannelId>().is_ok()
        && id.strip_prefix("channel-").is_some_and(|n| {
            !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && n.parse::<u64>().is_ok()
        });
    if valid {
        Ok(())
    } else {
        Err(format!("`{id}` is not a channel id; expected `channel-N`"))
    }
}

/// Packet sequences `start..=end` (a single sequence has `start == end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequenceRange {
    /// First sequence (at least 1).
    pub start: u64,
    /// Last sequence, inclusive (at least `start`).
    pub end: u64,
}

impl SequenceRange {
    /// Whether `sequence` is in the range.
    pub fn contains(&self, sequence: u64) -> bool {
        (self.start..=self.end).contains(&sequence)
    }
}

impl fmt::Display for SequenceRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "\"{}..{}\"", self.start, self.end)
        }
    }
}

const SEQ_FORM: &str = "expected a sequence like 5 or an inclusive range like \"10..20\", \
     e.g. excluded_sequences = { \"channel-0\" = [5, \"10..20\"] }";

fn parse_sequence(s: &str) -> Result<u64, String> {
    let n: u64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a sequence number; {SEQ_FORM}"))?;
    if n == 0 {
        return Err(format!(
            "sequence 0 does not exist (sequences start at 1); {SEQ_FORM}"
        ));
    }
    Ok(n)
}

fn parse_range(s: &str) -> Result<SequenceRange, String> {
    let parts = s.split_once("..").or_else(|| s.split_once('-'));
    let (start, end) = match parts {
        Some((a, b)) => (parse_sequence(a)?, parse_sequence(b)?),
        None => {
            let n = parse_sequence(s)?;
            (n, n)
        }
    };
    if start > end {
        return Err(format!(
            "`{s}` is reversed; write the smaller sequence first (\"{end}..{start}\"); {SEQ_FORM}"
        ));
    }
    Ok(SequenceRange { start, end })
}

impl std::str::FromStr for SequenceRange {
    type Err = String;

    /// `5`, `10..20` or `10-20` (inclusive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_range(s)
    }
}

impl<'de> Deserialize<'de> for SequenceRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = toml::Value::deserialize(d)?;
        let range = match &value {
            toml::Value::Integer(i) => {
                let n = u64::try_from(*i).map_err(|_| format!("{i} is negative; {SEQ_FORM}"));
                n.and_then(|n| parse_sequence(&n.to_string()))
                    .map(|n| SequenceRange { start: n, end: n })
            }
            toml::Value::String(s) => parse_range(s),
            other => Err(format!(
                "found {}; {SEQ_FORM}",
                super::hints::describe_value(other)
            )),
        };
        range.map_err(de::Error::custom)
    }
}

fn d_max_memo_bytes() -> usize {
    32 * 1024
}
fn d_max_receiver_bytes() -> usize {
    2 * 1024
}
