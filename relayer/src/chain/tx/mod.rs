//! Transactions: building and signing (SIGN_MODE_DIRECT, secp256k1), fees from
//! simulated gas, broadcasting, waiting for inclusion, and classifying failures.

mod builder;
mod error;
mod fee_adjust;
mod gas_model;
mod submit;

pub use builder::{encode_any, fee_for_gas, gas_limit_from_simulation, SignedTx, TxBuilder};
pub use error::{classify, TxError, TxPhase};
pub use fee_adjust::FeeAdjust;
pub use gas_model::GasModel;
pub use submit::{OnSigned, TxResult, TxSubmitter};

/// The memo of the relayer's txs (packets, handshakes, client creation and updates).
/// [`TxSubmitter::send`] puts the chain's `memo_prefix` in front of it.
pub const MEMO: &str = "stateset-relayer";

/// The memo of the misbehaviour evidence txs (`client/misbehaviour.rs`), so they stand out
/// in a block explorer. [`TxSubmitter::send`] puts the chain's `memo_prefix` in front of it.
pub const MISBEHAVIOUR_MEMO: &str = "stateset-relayer misbehaviour evidence";
