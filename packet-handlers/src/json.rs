//! Compact JSON of this crate's wire structures, as ibc-go writes them.

use serde::Serialize;

/// A structure whose JSON encoding cannot fail: a derived `Serialize` of strings, bools and
/// `Option<String>` fields, with no maps. serde_json fails only on a map key that is not a
/// string or on a `Serialize` impl that returns an error; such a structure has neither.
pub(crate) trait InfallibleJson: Serialize {}

/// The compact JSON bytes of `value`.
// Unreachable: `InfallibleJson` is implemented only for structures serde_json cannot fail
// on (see the trait).
#[allow(clippy::expect_used)]
pub(crate) fn to_vec<T: InfallibleJson>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("plain structures always serialize")
}

/// The compact JSON text of `value`.
// Unreachable: as for `to_vec`.
#[allow(clippy::expect_used)]
pub(crate) fn to_string<T: InfallibleJson>(value: &T) -> String {
    serde_json::to_string(value).expect("plain structures always serialize")
}
