//! Classification of transaction failures into what the relayer does about them.

/// Where a tx failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxPhase {
    /// Simulation before signing the final tx.
    Simulate,
    /// The mempool's CheckTx at broadcast.
    CheckTx,
    /// Execution in a block.
    DeliverTx,
}

impl std::fmt::Display for TxPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TxPhase::Simulate => "simulation",
            TxPhase::CheckTx => "CheckTx",
            TxPhase::DeliverTx => "DeliverTx",
        })
    }
}

/// A failed transaction, by what the relayer does about it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TxError {
    /// The signer's sequence is not what the chain expects (another process used the key).
    #[error("account sequence mismatch in {phase}: expected {expected:?}: {log}")]
    SequenceMismatch {
        /// Where.
        phase: TxPhase,
        /// The sequence the chain expects, when its log says so.
        expected: Option<u64>,
        /// The node's log.
        log: String,
    },
    /// The gas limit was too low.
    #[error("out of gas in {phase}: {log}")]
    OutOfGas {
        /// Where.
        phase: TxPhase,
        /// The node's log.
        log: String,
    },
    /// The fee is below the node's minimum gas price.
    #[error("insufficient fee in {phase}: {log} (raise gas_price)")]
    InsufficientFee {
        /// Where.
        phase: TxPhase,
        /// The node's log.
        log: String,
    },
    /// The fee granter's allowance does not pay this tx: exhausted, expired, missing, or
    /// not for these messages. Nothing the relayer retries fixes it.
    #[error("the fee grant does not pay in {phase}: {log} (top up or renew the allowance of fee_granter to the relayer's key, or remove fee_granter so the key pays)")]
    FeeGrant {
        /// Where.
        phase: TxPhase,
        /// The node's log.
        log: String,
    },
    /// Every packet message of the tx was already relayed by someone else.
    #[error("redundant packet messages in {phase}: {log}")]
    RedundantPacket {
        /// Where.
        phase: TxPhase,
        /// The node's log.
        log: String,
    },
    /// The node's mempool is full.
    #[error("mempool full: {log}")]
    MempoolFull {
        /// The node's log.
        log: String,
    },
    /// The tx's sequence was taken by another tx, so this one will never be included.
    #[error("tx {hash} was superseded: the account's sequence moved past {sequence}")]
    Superseded {
        /// The tx hash.
        hash: String,
        /// The sequence it carried.
        sequence: u64,
    },
    /// The tx was not seen in a block before the deadline.
    #[error("tx {hash} not included within {seconds} s")]
    NotIncluded {
        /// The tx hash.
        hash: String,
        /// The deadline in seconds.
        seconds: u64,
    },
    /// Any other rejection.
    #[error("tx rejected in {phase}: codespace `{codespace}` code {code}: {log}")]
    Rejected {
        /// Where.
        phase: TxPhase,
        /// The error's codespace, e.g. `sdk`.
        codespace: String,
        /// The error's code within it.
        code: u32,
        /// The node's log.
        log: String,
    },
}

impl TxError {
    /// A short label for metrics: `sequence_mismatch`, `out_of_gas`, ...
    pub fn reason(&self) -> &'static str {
        match self {
            TxError::SequenceMismatch { .. } => "sequence_mismatch",
            TxError::OutOfGas { .. } => "out_of_gas",
            TxError::InsufficientFee { .. } => "insufficient_fee",
            TxError::FeeGrant { .. } => "fee_grant",
            TxError::RedundantPacket { .. } => "redundant_packet",
            TxError::MempoolFull { .. } => "mempool_full",
            TxError::Superseded { .. } => "superseded",
            TxError::NotIncluded { .. } => "not_included",
            TxError::Rejected { .. } => "rejected",
        }
    }

    /// True when trying again later (same messages) can succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            TxError::SequenceMismatch { .. }
                | TxError::MempoolFull { .. }
                | TxError::Superseded { .. }
                | TxError::NotIncluded { .. }
        )
    }
}

/// The SDK's codespace.
const SDK: &str = "sdk";
/// x/feegrant's codespace.
const FEEGRANT: &str = "feegrant";

/// Classifies a non-zero ABCI result. `None` for code 0 (success).
pub fn classify(phase: TxPhase, codespace: &str, code: u32, log: &str) -> Option<TxError> {
    if code == 0 {
        return None;
    }
    let log_s = log.to_string();
    Some(match (codespace, code) {
        (SDK, 32) | (SDK, 3) => TxError::SequenceMismatch {
            phase,
            expected: expected_sequence(log),
            log: log_s,
        },
        (SDK, 11) => TxError::OutOfGas { phase, log: log_s },
        (SDK, 13) => TxError::InsufficientFee { phase, log: log_s },
        (SDK, 20) => TxError::MempoolFull { log: log_s },
        (FEEGRANT, _) => TxError::FeeGrant { phase, log: log_s },
        (_, _) if is_fee_grant_failure(log) => TxError::FeeGrant { phase, log: log_s },
        (_, _) if log.contains("packet messages are redundant") => {
            TxError::RedundantPacket { phase, log: log_s }
        }
        (_, _) if log.contains("account sequence mismatch") => TxError::SequenceMismatch {
            phase,
            expected: expected_sequence(log),
            log: log_s,
        },
        (_, _) if log.contains("out of gas") => TxError::OutOfGas { phase, log: log_s },
        _ => TxError::Rejected {
            phase,
            codespace: codespace.to_string(),
            code,
            log: log_s,
        },
    })
}

/// Classifies the text of a failed call (a gRPC status message or an RPC error),
/// for failures that arrive without an ABCI code.
pub fn classify_message(phase: TxPhase, message: &str) -> Option<TxError> {
    let log = message.to_string();
    if message.contains("account sequence mismatch") {
        Some(TxError::SequenceMismatch {
            phase,
            expected: expected_sequence(message),
            log,
        })
    } else if message.contains("mempool is full") {
        Some(TxError::MempoolFull { log })
    } else if message.contains("packet messages are redundant") {
        Some(TxError::RedundantPacket { phase, log })
    } else if message.contains("out of gas") {
        Some(TxError::OutOfGas { phase, log })
    } else if is_fee_grant_failure(message) {
        Some(TxError::FeeGrant { phase, log })
    } else if message.contains("insufficient fee") {
        Some(TxError::InsufficientFee { phase, log })
    } else {
        None
    }
}

/// A failure of the fee granter's allowance as the SDK's ante handler words it ("X does
/// not allow to pay fees for Y", "fee-grant not found") or a chain without x/feegrant.
fn is_fee_grant_failure(log: &str) -> bool {
    [
        "does not allow to pay fees for",
        "fee-grant not found",
        "fee grants are not enabled",
    ]
    .iter()
    .any(|m| log.contains(m))
}

/// Reads N from "account sequence mismatch, expected N, got M".
fn expected_sequence(log: &str) -> Option<u64> {
    let rest = &log[log.find("expected ")? + "expected ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_mismatch_reads_expected() {
        let log = "account sequence mismatch, expected 17, got 15: incorrect account sequence";
        let err = classify(TxPhase::CheckTx, "sdk", 32, log).unwrap();
        assert_eq!(
            err,
            TxError::SequenceMismatch {
                phase: TxPhase::CheckTx,
                expected: Some(17),
                log: log.into()
            }
        );
        assert!(err.is_transient());
        assert_eq!(err.reason(), "sequence_mismatch");
    }

    #[test]
    fn known_codes() {
        assert_eq!(classify(TxPhase::DeliverTx, "sdk", 0, ""), None);
        assert_eq!(
            classify(TxPhase::DeliverTx, "sdk", 11, "out of gas")
                .unwrap()
                .reason(),
            "out_of_gas"
        );
        assert_eq!(
            classify(TxPhase::CheckTx, "sdk", 13, "insufficient fees")
                .unwrap()
                .reason(),
            "insufficient_fee"
        );
        assert_eq!(
            classify(TxPhase::CheckTx, "sdk", 20, "mempool is full")
                .unwrap()
                .reason(),
            "mempool_full"
        );
        let redundant = classify(
            TxPhase::CheckTx,
            "channel",
            22,
            "packet messages are redundant",
        )
        .unwrap();
        assert_eq!(redundant.reason(), "redundant_packet");
        assert!(!redundant.is_transient());
        let other = classify(TxPhase::DeliverTx, "bank", 5, "insufficient funds").unwrap();
        assert_eq!(other.reason(), "rejected");
        assert!(!other.is_transient());
    }

    #[test]
    fn a_fee_grant_that_does_not_pay_is_its_own_permanent_failure() {
        // What an SDK 0.50 node answers at CheckTx when the allowance is used up.
        let log = "cosmos1granter does not allow to pay fees for cosmos1relayer: basic allowance: fee limit exceeded";
        for e in [
            classify(TxPhase::CheckTx, "feegrant", 2, log).unwrap(),
            classify(TxPhase::CheckTx, "feegrant", 5, "fee-grant not found").unwrap(),
            classify(TxPhase::CheckTx, "sdk", 18, "fee grants are not enabled").unwrap(),
            classify_message(TxPhase::Simulate, log).unwrap(),
        ] {
            assert_eq!(e.reason(), "fee_grant", "{e}");
            assert!(!e.is_transient());
            assert!(e.to_string().contains("fee_granter"), "{e}");
        }
    }

    #[test]
    fn messages_without_codes() {
        let e = classify_message(
            TxPhase::Simulate,
            "rpc error: account sequence mismatch, expected 3, got 2",
        )
        .unwrap();
        assert!(matches!(
            e,
            TxError::SequenceMismatch {
                expected: Some(3),
                ..
            }
        ));
        assert!(classify_message(TxPhase::Simulate, "connection refused").is_none());
    }
}
