//! ICS-20 fungible token transfers: packet data, denom traces and `ibc/…` denoms,
//! acknowledgements, and the relay policy (memo and receiver limits, channel lists).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ack::Acknowledgement;

/// ICS-20 packet data as ibc-go writes it: JSON with sorted keys, `memo` omitted when empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FungibleTokenPacketData {
    /// Amount: a decimal integer of any size.
    pub amount: String,
    /// The denom as the sending chain knows it (a trace path and base denom).
    pub denom: String,
    /// Optional memo.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub memo: String,
    /// Receiver on the destination chain.
    pub receiver: String,
    /// Sender on the source chain.
    pub sender: String,
}

impl crate::json::InfallibleJson for FungibleTokenPacketData {}

/// Why ICS-20 packet data is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ics20Error {
    /// Not the JSON of a FungibleTokenPacketData.
    #[error("not ICS-20 packet data: {0}")]
    Json(String),
    /// The amount is not a positive integer.
    #[error("amount `{0}` is not a positive integer")]
    Amount(String),
    /// A required field is empty.
    #[error("{0} is empty")]
    Empty(&'static str),
}

impl FungibleTokenPacketData {
    /// Decodes and validates packet data.
    pub fn decode(bytes: &[u8]) -> Result<Self, Ics20Error> {
        let data: Self =
            serde_json::from_slice(bytes).map_err(|e| Ics20Error::Json(e.to_string()))?;
        data.validate()?;
        Ok(data)
    }

    /// Checks the amount (a positive integer of any size) and the required fields.
    pub fn validate(&self) -> Result<(), Ics20Error> {
        let a = &self.amount;
        if a.is_empty() || !a.bytes().all(|b| b.is_ascii_digit()) || a.bytes().all(|b| b == b'0') {
            return Err(Ics20Error::Amount(a.clone()));
        }
        for (name, value) in [
            ("denom", &self.denom),
            ("sender", &self.sender),
            ("receiver", &self.receiver),
        ] {
            if value.trim().is_empty() {
                return Err(Ics20Error::Empty(name));
            }
        }
        Ok(())
    }

    /// The bytes ibc-go would write (sorted keys, compact).
    pub fn encode(&self) -> Vec<u8> {
        crate::json::to_vec(self)
    }
}

/// A denom's trace: the `port/channel` hops it travelled and its base denom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenomTrace {
    /// `transfer/channel-0/transfer/channel-5` (empty for a native denom).
    pub path: String,
    /// The denom on its origin chain.
    pub base_denom: String,
}

impl DenomTrace {
    /// Parses `port/channel/…/base` as ibc-go v8's `ParseDenomTrace` does: from the start,
    /// each `port/channel` pair whose channel is a valid channel id
    /// ([`is_valid_channel_id`]) is a hop, as long as the denom has more than two
    /// `/`-separated parts; the rest is the base denom (which may contain `/`, and is
    /// empty when the hops use up every part, e.g. `transfer/channel-1/transfer/channel-2`).
    /// The port is not checked, as in ibc-go.
    pub fn parse(full: &str) -> Self {
        let parts: Vec<&str> = full.split('/').collect();
        let mut path: Vec<&str> = Vec::new();
        let mut rest = parts.as_slice();
        if parts.len() > 2 {
            while let [port, channel, tail @ ..] = rest {
                if !is_valid_channel_id(channel) {
                    break;
                }
                path.extend([*port, *channel]);
                rest = tail;
            }
        }
        DenomTrace {
            path: path.join("/"),
            base_denom: rest.join("/"),
        }
    }

    /// The full path `path/base_denom` (or just the base denom).
    pub fn full_path(&self) -> String {
        if self.path.is_empty() {
            self.base_denom.clone()
        } else {
            format!("{}/{}", self.path, self.base_denom)
        }
    }

    /// The denom on chain: `ibc/` + upper-case hex SHA-256 of the full path, or the base
    /// denom itself when native.
    pub fn ibc_denom(&self) -> String {
        if self.path.is_empty() {
            return self.base_denom.clone();
        }
        format!(
            "ibc/{}",
            hex::encode_upper(Sha256::digest(self.full_path().as_bytes()))
        )
    }
}

/// Whether `id` is a channel id ibc-go generates, as its `channeltypes.IsValidChannelID`
/// decides: `channel-{N}` with N of 1 to 20 ASCII digits (`^channel-[0-9]{1,20}$`) that
/// parses as a u64 (leading zeros allowed). Such an id always passes ICS-24's
/// `ChannelIdentifierValidator` too (9 to 28 characters, all allowed ones).
pub fn is_valid_channel_id(id: &str) -> bool {
    id.strip_prefix("channel-").is_some_and(|n| {
        (1..=20).contains(&n.len())
            && n.bytes().all(|b| b.is_ascii_digit())
            && n.parse::<u64>().is_ok()
    })
}

/// The denom a packet's tokens have on the destination: the prefix `src_port/src_channel/`
/// removed when they return to their origin, else `dst_port/dst_channel/` prepended.
pub fn received_denom(packet_denom: &str, src: (&str, &str), dst: (&str, &str)) -> DenomTrace {
    let source_prefix = format!("{}/{}/", src.0, src.1);
    match packet_denom.strip_prefix(&source_prefix) {
        Some(unwound) => DenomTrace::parse(unwound),
        None => DenomTrace::parse(&format!("{}/{}/{}", dst.0, dst.1, packet_denom)),
    }
}

/// Which transfers the relayer relays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferPolicy {
    /// Largest memo (bytes); default 32 KiB.
    pub max_memo_bytes: usize,
    /// Largest receiver (bytes); default 2 KiB.
    pub max_receiver_bytes: usize,
    /// When non-empty, only these source channels.
    pub allow_channels: Vec<String>,
    /// Never these source channels.
    pub deny_channels: Vec<String>,
}

impl Default for TransferPolicy {
    fn default() -> Self {
        Self {
            max_memo_bytes: 32 * 1024,
            max_receiver_bytes: 2 * 1024,
            allow_channels: Vec::new(),
            deny_channels: Vec::new(),
        }
    }
}

/// Why a transfer is not relayed (the `reason` label of `packets_filtered_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterReason {
    /// Memo over the limit.
    MemoTooLarge,
    /// Receiver over the limit.
    ReceiverTooLarge,
    /// Channel not allowed or denied.
    ChannelNotAllowed,
    /// Packet data that is not valid ICS-20.
    Invalid,
}

impl FilterReason {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            FilterReason::MemoTooLarge => "memo_too_large",
            FilterReason::ReceiverTooLarge => "receiver_too_large",
            FilterReason::ChannelNotAllowed => "channel_not_allowed",
            FilterReason::Invalid => "invalid_packet_data",
        }
    }
}

impl TransferPolicy {
    /// Whether to relay a transfer with `data` sent on `source_channel`.
    pub fn check(
        &self,
        source_channel: &str,
        data: &[u8],
    ) -> Result<FungibleTokenPacketData, FilterReason> {
        if self.deny_channels.iter().any(|c| c == source_channel)
            || (!self.allow_channels.is_empty()
                && !self.allow_channels.iter().any(|c| c == source_channel))
        {
            return Err(FilterReason::ChannelNotAllowed);
        }
        let data = FungibleTokenPacketData::decode(data).map_err(|_| FilterReason::Invalid)?;
        if data.memo.len() > self.max_memo_bytes {
            return Err(FilterReason::MemoTooLarge);
        }
        if data.receiver.len() > self.max_receiver_bytes {
            return Err(FilterReason::ReceiverTooLarge);
        }
        Ok(data)
    }
}

/// Decodes an ICS-20 acknowledgement (`{"result":"AQ=="}` or `{"error":"…"}`).
pub fn decode_ack(bytes: &[u8]) -> Result<Acknowledgement, crate::ack::AckError> {
    Acknowledgement::decode(bytes)
}

#[cfg(test)]
mod tests;
