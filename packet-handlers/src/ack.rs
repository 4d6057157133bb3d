//! The standard IBC acknowledgement envelope (`{"result": base64}` or `{"error": "…"}`),
//! used by ICS-20 and ICS-27.

use base64::Engine;
use serde::{Deserialize, Serialize};

/// An acknowledgement that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an IBC acknowledgement: {0}")]
pub struct AckError(pub String);

/// A decoded acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acknowledgement {
    /// Success, with the application's result bytes.
    Result(Vec<u8>),
    /// Failure, with the error string the host wrote.
    Error(String),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    result: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    error: Option<String>,
}

impl crate::json::InfallibleJson for Envelope {}

impl Acknowledgement {
    /// Decodes the JSON envelope.
    pub fn decode(bytes: &[u8]) -> Result<Self, AckError> {
        let e: Envelope = serde_json::from_slice(bytes).map_err(|e| AckError(e.to_string()))?;
        match (e.result, e.error) {
            (Some(r), None) => base64::engine::general_purpose::STANDARD
                .decode(r)
                .map(Acknowledgement::Result)
                .map_err(|e| AckError(e.to_string())),
            (None, Some(err)) => Ok(Acknowledgement::Error(err)),
            _ => Err(AckError("neither result nor error".into())),
        }
    }

    /// The bytes ibc-go writes.
    pub fn encode(&self) -> Vec<u8> {
        let e = match self {
            Acknowledgement::Result(r) => Envelope {
                result: Some(base64::engine::general_purpose::STANDARD.encode(r)),
                error: None,
            },
            Acknowledgement::Error(s) => Envelope {
                result: None,
                error: Some(s.clone()),
            },
        };
        crate::json::to_vec(&e)
    }

    /// Whether the application succeeded.
    pub fn is_success(&self) -> bool {
        matches!(self, Acknowledgement::Result(_))
    }
}
