//! Transactions: building and signing (SIGN_MODE_DIRECT, secp256k1), fees from
//! simulated gas, broadcasting, waiting for inclusion, and classifying failures.

mod builder;
mod error;
mod submit;

pub use builder::{encode_any, fee_for_gas, gas_limit_from_simulation, SignedTx, TxBuilder};
pub use error::{classify, TxError, TxPhase};
pub use submit::{TxResult, TxSubmitter};
