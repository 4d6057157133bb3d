//! What a chain asks for when it refuses a tx's gas or fee: an out-of-gas answer names
//! the gas the tx used, an insufficient-fee answer the fee it requires. The submitter tries
//! such a tx once more with what was asked ([`FeeAdjust`]), then reports the failure.

use super::error::TxError;

/// A correction of the next attempt's gas limit and fee, from the chain's answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeeAdjust {
    /// The gas limit is at least this.
    pub min_gas: u64,
    /// The fee amount (in the configured denom) is at least this.
    pub min_fee: u128,
}

impl FeeAdjust {
    /// The correction `error` asks for, if it names one: for an out-of-gas answer, the gas
    /// used times `multiplier` (refused when above `max_gas`: more gas than the config
    /// allows is not spent); for an insufficient fee, the required amount in `denom`.
    pub fn asked_by(error: &TxError, multiplier: f64, max_gas: u64, denom: &str) -> Option<Self> {
        match error {
            TxError::OutOfGas { log, .. } => {
                let used = gas_used(log)?;
                let gas = (used as f64 * multiplier).ceil();
                let gas = if gas.is_finite() && gas < u64::MAX as f64 {
                    gas as u64
                } else {
                    return None;
                };
                (gas <= max_gas).then_some(FeeAdjust {
                    min_gas: gas,
                    min_fee: 0,
                })
            }
            TxError::InsufficientFee { log, .. } => Some(FeeAdjust {
                min_gas: 0,
                min_fee: required_fee(log, denom)?,
            }),
            _ => None,
        }
    }
}

/// N of "gasUsed: N" in an SDK out-of-gas log ("out of gas in location: WriteFlat;
/// gasWanted: 200000, gasUsed: 200934: out of gas").
pub fn gas_used(log: &str) -> Option<u64> {
    number_after(log, "gasUsed: ")
}

/// The amount in `denom` of "required: 200stake,5uatom" in an SDK insufficient-fee log
/// ("insufficient fees; got: 100stake required: 200stake: insufficient fee").
pub fn required_fee(log: &str, denom: &str) -> Option<u128> {
    let rest = &log[log.find("required: ")? + "required: ".len()..];
    let coins = rest.split([':', ' ']).next()?;
    coins.split(',').find_map(|coin| {
        let digits: String = coin.chars().take_while(char::is_ascii_digit).collect();
        (coin.get(digits.len()..) == Some(denom))
            .then(|| digits.parse().ok())
            .flatten()
    })
}

fn number_after(log: &str, marker: &str) -> Option<u64> {
    let rest = &log[log.find(marker)? + marker.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::super::error::TxPhase;
    use super::*;

    const OUT_OF_GAS: &str =
        "out of gas in location: WriteFlat; gasWanted: 200000, gasUsed: 200934: out of gas";
    const LOW_FEE: &str =
        "insufficient fees; got: 100stake required: 5uatom,200stake: insufficient fee";

    #[test]
    fn the_numbers_are_read_from_the_sdk_logs() {
        assert_eq!(gas_used(OUT_OF_GAS), Some(200_934));
        assert_eq!(gas_used("out of gas"), None);
        assert_eq!(required_fee(LOW_FEE, "stake"), Some(200));
        assert_eq!(required_fee(LOW_FEE, "uatom"), Some(5));
        assert_eq!(required_fee(LOW_FEE, "ufoo"), None);
        assert_eq!(required_fee("insufficient fee", "stake"), None);
    }

    #[test]
    fn an_answer_asks_for_gas_or_fee_within_the_config() {
        let oog = TxError::OutOfGas {
            phase: TxPhase::DeliverTx,
            log: OUT_OF_GAS.into(),
        };
        assert_eq!(
            FeeAdjust::asked_by(&oog, 1.5, 4_000_000, "stake"),
            Some(FeeAdjust {
                min_gas: 301_401,
                min_fee: 0
            })
        );
        assert_eq!(FeeAdjust::asked_by(&oog, 1.5, 300_000, "stake"), None);
        let fee = TxError::InsufficientFee {
            phase: TxPhase::CheckTx,
            log: LOW_FEE.into(),
        };
        assert_eq!(
            FeeAdjust::asked_by(&fee, 1.3, 4_000_000, "stake"),
            Some(FeeAdjust {
                min_gas: 0,
                min_fee: 200
            })
        );
        let other = TxError::MempoolFull { log: String::new() };
        assert_eq!(FeeAdjust::asked_by(&other, 1.3, 4_000_000, "stake"), None);
    }
}
