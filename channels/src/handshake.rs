//! The handshake decision shared by connections and channels: given the two ends (as far as
//! they exist), the next step.

use std::fmt::Display;

use crate::state::{HandshakeError, HandshakeState, Side};

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
pub(crate) fn next_step<I: Clone + Eq + Display>(
    what: &str,
    a: Option<End<'_, I>>,
    b: Option<End<'_, I>>,
) -> Result<Step<I>, HandshakeError> {
    let exists = |e: &End<'_, I>| e.state != HandshakeState::Uninitialized;
    let (a, b) = (a.filter(exists), b.filter(exists));
    let impossible = || HandshakeError::Impossible {
        a: describe(a),
        b: describe(b),
    };
    match (a, b) {
        (None, None) => Ok(Step::Init { on: Side::A }),
        (Some(x), None) => single(what, Side::A, x, impossible),
        (None, Some(x)) => single(what, Side::B, x, impossible),
        (Some(a), Some(b)) => {
            use HandshakeState::*;
            // Crossing hellos: two INIT ends that do not name each other. ibc-go (since v4)
            // creates a new end on OpenTry, so A's INIT is continued and B's is left alone.
            if a.state == Init
                && b.state == Init
                && a.counterparty.is_none()
                && b.counterparty.is_none()
            {
                return Ok(Step::Try {
                    on: Side::B,
                    counterparty: a.id.clone(),
                });
            }
            check_names(what, Side::A, a, b.id)?;
            check_names(what, Side::B, b, a.id)?;
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
                (Closed, _) => Err(HandshakeError::Closed {
                    side: Side::A,
                    what: format!("{what} {ai}"),
                }),
                (_, Closed) => Err(HandshakeError::Closed {
                    side: Side::B,
                    what: format!("{what} {bi}"),
                }),
                _ => Err(impossible()),
            }
        }
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
        HandshakeState::Closed => Err(HandshakeError::Closed {
            side,
            what: format!("{what} {}", x.id),
        }),
        // TRYOPEN or OPEN naming a counterparty end that is not there.
        _ => Err(impossible()),
    }
}

/// An end that names a counterparty must name `other`.
fn check_names<I: Eq + Display>(
    what: &str,
    side: Side,
    end: End<'_, I>,
    other: &I,
) -> Result<(), HandshakeError> {
    match end.counterparty {
        Some(cp) if cp != other => Err(HandshakeError::Mismatch {
            side,
            what: format!("counterparty of {what} {}", end.id),
            expected: other.to_string(),
            found: cp.to_string(),
        }),
        _ => Ok(()),
    }
}

/// `found` must equal `expected`.
pub(crate) fn expect<T: PartialEq + std::fmt::Debug>(
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
            expected: format!("{expected:?}"),
            found: format!("{found:?}"),
        })
    }
}
