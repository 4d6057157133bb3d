//! ICS-29 relayer fees: the fee-wrapped channel version, incentivized acknowledgements, the
//! fees escrowed for a packet, and the minimum-fee policy that leaves unpaid packets alone.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use base64::Engine;
use ibc_proto::ibc::applications::fee::v1::PacketFee;
use serde::{Deserialize, Serialize};

/// The fee middleware's version.
pub const FEE_VERSION: &str = "ics29-1";

/// Why ICS-29 data cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ics29Error {
    /// Not a fee version or incentivized acknowledgement.
    #[error("not ICS-29 JSON: {0}")]
    Json(String),
    /// A coin that is not `<amount><denom>`.
    #[error("`{0}` is not a coin: expected an amount and a denom, e.g. `100stake`")]
    Coin(String),
}

/// The channel version of a fee-enabled channel: `{"fee_version":"ics29-1","app_version":…}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeVersion {
    /// `ics29-1`.
    pub fee_version: String,
    /// The wrapped application's version, e.g. `ics20-1`.
    pub app_version: String,
}

impl crate::json::InfallibleJson for FeeVersion {}

impl FeeVersion {
    /// The fee-wrapped version of `app_version`.
    pub fn wrap(app_version: &str) -> Self {
        FeeVersion {
            fee_version: FEE_VERSION.into(),
            app_version: app_version.into(),
        }
    }

    /// Reads a channel version: `Some` when it is fee-wrapped.
    pub fn parse(version: &str) -> Option<Self> {
        serde_json::from_str::<Self>(version)
            .ok()
            .filter(|v| v.fee_version == FEE_VERSION)
    }

    /// The version string ibc-go writes.
    pub fn encode(&self) -> String {
        crate::json::to_string(self)
    }
}

/// The application version under an optional fee wrapping.
pub fn app_version(version: &str) -> String {
    FeeVersion::parse(version).map_or_else(|| version.to_string(), |v| v.app_version)
}

/// The acknowledgement the fee middleware writes around the application's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncentivizedAck {
    /// The application's own acknowledgement bytes.
    pub app_acknowledgement: Vec<u8>,
    /// The receiving relayer's payee on the source chain (empty when none is registered).
    pub forward_relayer_address: String,
    /// Whether the application succeeded.
    pub underlying_app_success: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IncentivizedAckJson {
    app_acknowledgement: String,
    forward_relayer_address: String,
    underlying_app_success: bool,
}

impl crate::json::InfallibleJson for IncentivizedAckJson {}

impl IncentivizedAck {
    /// Decodes the JSON ibc-go writes (all fields present, bytes in base64).
    pub fn decode(bytes: &[u8]) -> Result<Self, Ics29Error> {
        let j: IncentivizedAckJson =
            serde_json::from_slice(bytes).map_err(|e| Ics29Error::Json(e.to_string()))?;
        let app_acknowledgement = base64::engine::general_purpose::STANDARD
            .decode(j.app_acknowledgement)
            .map_err(|e| Ics29Error::Json(e.to_string()))?;
        Ok(IncentivizedAck {
            app_acknowledgement,
            forward_relayer_address: j.forward_relayer_address,
            underlying_app_success: j.underlying_app_success,
        })
    }

    /// The bytes ibc-go writes.
    pub fn encode(&self) -> Vec<u8> {
        crate::json::to_vec(&IncentivizedAckJson {
            app_acknowledgement: base64::engine::general_purpose::STANDARD
                .encode(&self.app_acknowledgement),
            forward_relayer_address: self.forward_relayer_address.clone(),
            underlying_app_success: self.underlying_app_success,
        })
    }
}

/// The application's acknowledgement: unwrapped from an incentivized one, else as is.
pub fn app_acknowledgement(ack: &[u8]) -> Vec<u8> {
    IncentivizedAck::decode(ack).map_or_else(|_| ack.to_vec(), |a| a.app_acknowledgement)
}

/// An amount of one denom, written `100stake` in configs and on the command line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Coin {
    /// The amount.
    pub amount: u128,
    /// The denom.
    pub denom: String,
}

impl FromStr for Coin {
    type Err = Ics29Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let Some((amount, denom)) = s.split_at_checked(split) else {
            return Err(Ics29Error::Coin(s.to_string()));
        };
        let valid_denom = denom.len() >= 2
            && denom.starts_with(|c: char| c.is_ascii_alphabetic())
            && denom
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/:._-".contains(c));
        match amount.parse::<u128>() {
            Ok(amount) if valid_denom => Ok(Coin {
                amount,
                denom: denom.to_string(),
            }),
            _ => Err(Ics29Error::Coin(s.to_string())),
        }
    }
}

impl fmt::Display for Coin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

impl<'de> Deserialize<'de> for Coin {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Coin {
    /// The wire coin.
    pub fn to_proto(&self) -> ibc_proto::cosmos::base::v1beta1::Coin {
        ibc_proto::cosmos::base::v1beta1::Coin {
            denom: self.denom.clone(),
            amount: self.amount.to_string(),
        }
    }
}

/// The fees escrowed for one packet, summed over everyone who paid, by denom.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EscrowedFees {
    /// Paid to the relayer that delivers the packet (its counterparty payee).
    pub recv: BTreeMap<String, u128>,
    /// Paid to the relayer that delivers the acknowledgement.
    pub ack: BTreeMap<String, u128>,
    /// Paid to the relayer that times the packet out.
    pub timeout: BTreeMap<String, u128>,
}

impl EscrowedFees {
    /// Sums the fees of a packet as the fee module reports them.
    pub fn from_packet_fees(fees: &[PacketFee]) -> Self {
        let mut out = EscrowedFees::default();
        for fee in fees.iter().filter_map(|f| f.fee.as_ref()) {
            add(&mut out.recv, &fee.recv_fee);
            add(&mut out.ack, &fee.ack_fee);
            add(&mut out.timeout, &fee.timeout_fee);
        }
        out
    }

    /// What a relayer earns by relaying the packet and its acknowledgement, by denom
    /// (saturating at `u128::MAX`, like every sum here).
    pub fn relay_reward(&self) -> BTreeMap<String, u128> {
        let mut total = self.recv.clone();
        for (denom, amount) in &self.ack {
            add_amount(&mut total, denom, *amount);
        }
        total
    }
}

/// Adds the coins the fee module reports to `into`.
fn add(into: &mut BTreeMap<String, u128>, coins: &[ibc_proto::cosmos::base::v1beta1::Coin]) {
    for c in coins {
        // The fee module only escrows valid coins; anything else (including an amount
        // beyond u128) counts as nothing.
        if let Ok(amount) = c.amount.parse::<u128>() {
            add_amount(into, &c.denom, amount);
        }
    }
}

/// Adds `amount` of `denom`, saturating: a sum beyond `u128::MAX` (only possible from a
/// hostile chain) stays at `u128::MAX`, which still compares correctly against any
/// minimum a [`MinFees`] can hold.
fn add_amount(into: &mut BTreeMap<String, u128>, denom: &str, amount: u128) {
    let total = into.entry(denom.to_string()).or_default();
    *total = total.saturating_add(amount);
}

/// The minimum-fee policy: a packet is relayed only when the recv and ack fees escrowed for
/// it reach every listed coin. An empty list relays everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MinFees(pub Vec<Coin>);

impl MinFees {
    /// Whether the policy looks at fees at all.
    pub fn is_active(&self) -> bool {
        !self.0.is_empty()
    }

    /// Whether `fees` (none escrowed: `None`) pay enough.
    pub fn is_met(&self, fees: Option<&EscrowedFees>) -> bool {
        if !self.is_active() {
            return true;
        }
        let reward = fees.map(EscrowedFees::relay_reward).unwrap_or_default();
        self.0
            .iter()
            .all(|min| reward.get(&min.denom).copied().unwrap_or(0) >= min.amount)
    }
}

#[cfg(test)]
mod tests;
