//! The handshake decision shared by connections and channels: given the two ends (as far as
//! they exist), the next step.

use std::fmt::Display;

use crate::error::HandshakeError;
use crate::state::{HandshakeState, Side};

/// What the decision needs of one end.
#[derive(Debug)]
pub(crate) struct End<'a, I> {
    pub state: HandshakeState,
    pub id: &'a I,
    pub counterparty: Option<&'a I>,
}

impl<I> Clone for End<'_, I> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I> Copy for End<'_, I> {}

/// The next step, for either kind of end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step<I> {
    Init { on: Side },
    Try { on: Side, counterparty: I },
    Ack { on: Side, id: I, counterparty: I },
    Confirm { on: Side, id: I, counterparty: I },
    Open { a: I, b: I },
    CloseConfirm { on: Side, id: I, counterparty: I },
    Closed { a: I, b: I },
}

/// Whether the two ends are crossing hellos: both INIT. An INIT end never names a
/// counterparty (ibc-go rejects OpenInit with one), so B's INIT end is not part of the
/// handshake of A's. ibc-go (since v4) has no crossing-hello support: OpenTry always
/// creates a new end, so A's INIT end is continued with an OpenTry on B and B's INIT end
/// is left alone (and not compared with the spec).
pub(crate) fn crossing_hellos(a: Option<HandshakeState>, b: Option<HandshakeState>) -> bool {
    a == Some(HandshakeState::Init) && b == Some(HandshakeState::Init)
}

fn describe<I: Display>(end: Option<End<'_, I>>) -> String {
    match end {
        None => "nothing".into(),
        Some(e) => format!(
            "{} {:?} (counterparty {})",
            e.id,
            e.state,
            e.counterparty.map_or("none".to_string(), |c| c.to_string())
        ),
    }
}

/// The step for ends `a` and `b` of one handshake (`what` names the kind in errors).
/// `closable`: whether CLOSED ends take part (channels) or are errors (connections).
pub(crate) fn next_step<I: Clone + Eq + Display>(
    what: &str,
    closable: bool,
    a: Option<End<'_, I>>,
    b: Option<End<'_, I>>,
) -> Result<Step<I>, HandshakeError> {
    let exists = |e: &End<'_, I>| e.state.exists();
    let (a, b) = (a.filter(exists), b.filter(exists));
    if !closable {
        for (side, end) in [(Side::A, a), (Side::B, b)] {
            if let Some(e) = end.filter(|e| e.state == HandshakeState::Closed) {
                return Err(closed(what, side, e));
            }
        }
    }
    let impossible = || HandshakeError::Impossible {
        a: describe(a),
        b: describe(b),
    };
    let (a, b) = match (a, b) {
        (None, None) => return Ok(Step::Init { on: Side::A }),
        (Some(x), None) => return single(what, Side::A, x, impossible),
        (None, Some(x)) => return single(what, Side::B, x, impossible),
        (Some(a), Some(b)) => (a, b),
    };
    if crossing_hellos(Some(a.state), Some(b.state)) {
        return Ok(Step::Try {
            on: Side::B,
            counterparty: a.id.clone(),
        });
    }
    check_names(what, Side::A, a, b.id)?;
    check_names(what, Side::B, b, a.id)?;
    use HandshakeState::*;
    let (ai, bi) = (a.id.clone(), b.id.clone());
    match (a.state, b.state) {
        (Init, TryOpen) => Ok(Step::Ack {
            on: Side::A,
            id: ai,
            counterparty: bi,
        }),
        (TryOpen, Init) => Ok(Step::Ack {
            on: Side::B,
            id: bi,
            counterparty: ai,
        }),
        (Open, TryOpen) => Ok(Step::Confirm {
            on: Side::B,
            id: bi,
            counterparty: ai,
        }),
        (TryOpen, Open) => Ok(Step::Confirm {
            on: Side::A,
            id: ai,
            counterparty: bi,
        }),
        (Open, Open) => Ok(Step::Open { a: ai, b: bi }),
        (Closed, Open) => Ok(Step::CloseConfirm {
            on: Side::B,
            id: bi,
            counterparty: ai,
        }),
        (Open, Closed) => Ok(Step::CloseConfirm {
            on: Side::A,
            id: ai,
            counterparty: bi,
        }),
        (Closed, Closed) => Ok(Step::Closed { a: ai, b: bi }),
        (Closed, _) => Err(closed(what, Side::A, a)),
        (_, Closed) => Err(closed(what, Side::B, b)),
        _ => Err(impossible()),
    }
}

fn closed<I: Display>(what: &str, side: Side, end: End<'_, I>) -> HandshakeError {
    HandshakeError::Closed {
        side,
        what: format!("{what} {}", end.id),
    }
}

/// An end whose counterparty does not exist (yet).
fn single<I: Clone + Display>(
    what: &str,
    side: Side,
    x: End<'_, I>,
    impossible: impl Fn() -> HandshakeError,
) -> Result<Step<I>, HandshakeError> {
    match x.state {
        HandshakeState::Init => Ok(Step::Try {
            on: side.other(),
            counterparty: x.id.clone(),
        }),
        HandshakeState::Closed => Err(closed(what, side, x)),
        // TRYOPEN or OPEN naming a counterparty end that is not there.
        _ => Err(impossible()),
    }
}

/// An end that names a counterparty must name `other`; a TRYOPEN or OPEN end must name
/// one.
fn check_names<I: Eq + Display>(
    what: &str,
    side: Side,
    end: End<'_, I>,
    other: &I,
) -> Result<(), HandshakeError> {
    let must_name = matches!(end.state, HandshakeState::TryOpen | HandshakeState::Open);
    match end.counterparty {
        Some(cp) if cp == other => Ok(()),
        None if !must_name => Ok(()),
        found => Err(HandshakeError::Mismatch {
            side,
            what: format!("counterparty of {what} {}", end.id),
            expected: other.to_string(),
            found: found.map_or("none".to_string(), ToString::to_string),
        }),
    }
}

/// `found` must equal `expected`.
pub(crate) fn expect<T: PartialEq + Display>(
    side: Side,
    what: String,
    expected: &T,
    found: &T,
) -> Result<(), HandshakeError> {
    if expected == found {
        Ok(())
    } else {
        Err(HandshakeError::Mismatch {
            side,
            what,
            expected: expected.to_string(),
            found: found.to_string(),
        })
    }
}
