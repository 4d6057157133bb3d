use super::*;
use HandshakeState::*;

fn client(s: &str) -> ClientId {
    s.parse().unwrap()
}

fn conn(n: u64) -> ConnectionId {
    ConnectionId::new(n)
}

fn spec() -> ConnectionSpec {
    ConnectionSpec {
        a_client: client("07-tendermint-0"),
        b_client: client("07-tendermint-1"),
    }
}

/// An end on A (client 07-tendermint-0, counterparty client 07-tendermint-1).
fn on_a(id: u64, state: HandshakeState, cp: Option<u64>) -> ConnectionEndView {
    ConnectionEndView {
        id: conn(id),
        state,
        client_id: client("07-tendermint-0"),
        counterparty_client_id: client("07-tendermint-1"),
        counterparty_connection_id: cp.map(conn),
    }
}

/// An end on B (client 07-tendermint-1, counterparty client 07-tendermint-0).
fn on_b(id: u64, state: HandshakeState, cp: Option<u64>) -> ConnectionEndView {
    ConnectionEndView {
        id: conn(id),
        state,
        client_id: client("07-tendermint-1"),
        counterparty_client_id: client("07-tendermint-0"),
        counterparty_connection_id: cp.map(conn),
    }
}

fn step(
    a: Option<&ConnectionEndView>,
    b: Option<&ConnectionEndView>,
) -> Result<ConnectionStep, HandshakeError> {
    next_connection_step(&spec(), a, b)
}

#[test]
fn nothing_yet_inits_on_a() {
    assert_eq!(
        step(None, None),
        Ok(ConnectionStep::OpenInit { on: Side::A })
    );
    let a = on_a(0, Uninitialized, None);
    let b = on_b(0, Uninitialized, None);
    assert_eq!(
        step(Some(&a), Some(&b)),
        Ok(ConnectionStep::OpenInit { on: Side::A })
    );
}

#[test]
fn init_on_a_tries_on_b() {
    let a = on_a(3, Init, None);
    let want = ConnectionStep::OpenTry {
        on: Side::B,
        counterparty_connection: conn(3),
    };
    assert_eq!(step(Some(&a), None), Ok(want.clone()));
    let b = on_b(0, Uninitialized, None);
    assert_eq!(step(Some(&a), Some(&b)), Ok(want));
}

#[test]
fn init_on_b_only_tries_on_a() {
    let b = on_b(5, Init, None);
    assert_eq!(
        step(None, Some(&b)),
        Ok(ConnectionStep::OpenTry {
            on: Side::A,
            counterparty_connection: conn(5),
        })
    );
}

#[test]
fn crossing_hellos_continue_a_and_ignore_b() {
    let a = on_a(1, Init, None);
    let b = on_b(7, Init, None);
    let want = Ok(ConnectionStep::OpenTry {
        on: Side::B,
        counterparty_connection: conn(1),
    });
    assert_eq!(step(Some(&a), Some(&b)), want);
    // B's INIT end is not part of this handshake: its clients do not matter.
    let mut unrelated = b.clone();
    unrelated.client_id = client("07-tendermint-9");
    unrelated.counterparty_client_id = client("07-tendermint-8");
    assert_eq!(step(Some(&a), Some(&unrelated)), want);
}

#[test]
fn init_and_tryopen_acks_on_the_init_side() {
    let a = on_a(1, Init, None);
    let b = on_b(4, TryOpen, Some(1));
    assert_eq!(
        step(Some(&a), Some(&b)),
        Ok(ConnectionStep::OpenAck {
            on: Side::A,
            connection: conn(1),
            counterparty_connection: conn(4),
        })
    );
    // Mirror: the INIT end on B.
    let a = on_a(2, TryOpen, Some(6));
    let b = on_b(6, Init, None);
    assert_eq!(
        step(Some(&a), Some(&b)),
        Ok(ConnectionStep::OpenAck {
            on: Side::B,
            connection: conn(6),
            counterparty_connection: conn(2),
        })
    );
}

#[test]
fn open_and_tryopen_confirms_on_the_tryopen_side() {
    let a = on_a(1, Open, Some(4));
    let b = on_b(4, TryOpen, Some(1));
    assert_eq!(
        step(Some(&a), Some(&b)),
        Ok(ConnectionStep::OpenConfirm {
            on: Side::B,
            connection: conn(4),
            counterparty_connection: conn(1),
        })
    );
    let a = on_a(2, TryOpen, Some(6));
    let b = on_b(6, Open, Some(2));
    assert_eq!(
        step(Some(&a), Some(&b)),
        Ok(ConnectionStep::OpenConfirm {
            on: Side::A,
            connection: conn(2),
            counterparty_connection: conn(6),
        })
    );
}

#[test]
fn open_on_both_is_done() {
    let a = on_a(1, Open, Some(4));
    let b = on_b(4, Open, Some(1));
    assert_eq!(
        step(Some(&a), Some(&b)),
        Ok(ConnectionStep::Open {
            a: conn(1),
            b: conn(4)
        })
    );
}

#[test]
fn clients_must_match_the_spec() {
    let mut a = on_a(1, Init, None);
    a.client_id = client("07-tendermint-5");
    let err = step(Some(&a), None).unwrap_err();
    assert_eq!(
        err,
        HandshakeError::Mismatch {
            side: Side::A,
            what: "client of connection-1".into(),
            expected: "07-tendermint-0".into(),
            found: "07-tendermint-5".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "client of connection-1 on chain A: expected 07-tendermint-0, found 07-tendermint-5"
    );

    let mut a = on_a(1, Init, None);
    a.counterparty_client_id = client("07-tendermint-5");
    assert!(matches!(
        step(Some(&a), None),
        Err(HandshakeError::Mismatch { side: Side::A, ref what, .. })
            if what == "counterparty client of connection-1"
    ));

    let a = on_a(1, Init, None);
    let mut b = on_b(4, TryOpen, Some(1));
    b.client_id = client("07-tendermint-5");
    assert!(matches!(
        step(Some(&a), Some(&b)),
        Err(HandshakeError::Mismatch { side: Side::B, ref what, ref expected, .. })
            if what == "client of connection-4" && expected == "07-tendermint-1"
    ));

    let mut b = on_b(4, Init, None);
    b.counterparty_client_id = client("07-tendermint-5");
    assert!(matches!(
        step(None, Some(&b)),
        Err(HandshakeError::Mismatch { side: Side::B, ref what, ref expected, .. })
            if what == "counterparty client of connection-4" && expected == "07-tendermint-0"
    ));
}

#[test]
fn ends_must_name_each_other() {
    // B's TRYOPEN end answers another INIT end.
    let a = on_a(1, Init, None);
    let b = on_b(4, TryOpen, Some(9));
    assert_eq!(
        step(Some(&a), Some(&b)),
        Err(HandshakeError::Mismatch {
            side: Side::B,
            what: "counterparty of connection connection-4".into(),
            expected: "connection-1".into(),
            found: "connection-9".into(),
        })
    );
    // A's OPEN end names another end than B's.
    let a = on_a(1, Open, Some(8));
    let b = on_b(4, Open, Some(1));
    assert!(matches!(
        step(Some(&a), Some(&b)),
        Err(HandshakeError::Mismatch { side: Side::A, ref found, .. }) if found == "connection-8"
    ));
    // A TRYOPEN end must name its counterparty.
    let a = on_a(1, Open, Some(4));
    let b = on_b(4, TryOpen, None);
    assert!(matches!(
        step(Some(&a), Some(&b)),
        Err(HandshakeError::Mismatch { side: Side::B, ref found, .. }) if found == "none"
    ));
}

#[test]
fn closed_ends_are_errors() {
    let a = on_a(1, Closed, Some(4));
    let closed_a = HandshakeError::Closed {
        side: Side::A,
        what: "connection connection-1".into(),
    };
    assert_eq!(step(Some(&a), None), Err(closed_a.clone()));
    assert_eq!(
        step(Some(&a), Some(&on_b(4, Open, Some(1)))),
        Err(closed_a.clone())
    );
    assert_eq!(
        step(Some(&a), Some(&on_b(4, Closed, Some(1)))),
        Err(closed_a)
    );
    let b = on_b(4, Closed, Some(1));
    assert_eq!(
        step(Some(&on_a(1, Open, Some(4))), Some(&b)),
        Err(HandshakeError::Closed {
            side: Side::B,
            what: "connection connection-4".into(),
        })
    );
    assert_eq!(
        HandshakeError::Closed {
            side: Side::B,
            what: "connection connection-4".into()
        }
        .to_string(),
        "connection connection-4 on chain B is CLOSED"
    );
}

#[test]
fn impossible_pairs_are_errors() {
    let impossible = |a: &ConnectionEndView, b: &ConnectionEndView| {
        matches!(
            step(Some(a), Some(b)),
            Err(HandshakeError::Impossible { .. })
        )
    };
    assert!(impossible(&on_a(1, Open, Some(4)), &on_b(4, Init, None)));
    assert!(impossible(&on_a(1, Init, None), &on_b(4, Open, Some(1))));
    assert!(impossible(
        &on_a(1, TryOpen, Some(4)),
        &on_b(4, TryOpen, Some(1))
    ));
    let err = step(Some(&on_a(1, Open, Some(4))), Some(&on_b(4, Init, None))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "impossible handshake: chain A shows connection-1 Open (counterparty connection-4), \
         chain B shows connection-4 Init (counterparty none)"
    );
    // A TRYOPEN or OPEN end whose counterparty end is not there.
    for state in [TryOpen, Open] {
        assert!(matches!(
            step(Some(&on_a(1, state, Some(4))), None),
            Err(HandshakeError::Impossible { .. })
        ));
        assert!(matches!(
            step(None, Some(&on_b(4, state, Some(1)))),
            Err(HandshakeError::Impossible { .. })
        ));
    }
}

#[test]
fn swapping_the_chains_mirrors_the_step() {
    let states = [Uninitialized, Init, TryOpen, Open];
    let mirror = |s: ConnectionStep| match s {
        ConnectionStep::OpenInit { on } => ConnectionStep::OpenInit { on: on.other() },
        ConnectionStep::OpenTry {
            on,
            counterparty_connection,
        } => ConnectionStep::OpenTry {
            on: on.other(),
            counterparty_connection,
        },
        ConnectionStep::OpenAck {
            on,
            connection,
            counterparty_connection,
        } => ConnectionStep::OpenAck {
            on: on.other(),
            connection,
            counterparty_connection,
        },
        ConnectionStep::OpenConfirm {
            on,
            connection,
            counterparty_connection,
        } => ConnectionStep::OpenConfirm {
            on: on.other(),
            connection,
            counterparty_connection,
        },
        ConnectionStep::Open { a, b } => ConnectionStep::Open { a: b, b: a },
    };
    for sa in states {
        for sb in states {
            // Both-or-neither missing and crossing hellos favour A by design.
            if sa == sb && matches!(sa, Uninitialized | Init) {
                continue;
            }
            let cp = |s, n| (s != Init).then_some(n);
            let a = on_a(1, sa, cp(sa, 4));
            let b = on_b(4, sb, cp(sb, 1));
            let forward = step(Some(&a), Some(&b)).map(mirror);
            let back = next_connection_step(&spec().swapped(), Some(&b), Some(&a));
            assert_eq!(forward.is_ok(), back.is_ok(), "{sa:?} / {sb:?}");
            if let (Ok(f), Ok(g)) = (forward, back) {
                assert_eq!(f, g, "{sa:?} / {sb:?}");
            }
        }
    }
}

#[test]
fn spec_from_an_init_end() {
    let end = on_b(4, Init, None);
    let spec = connection_spec_from_init(&end);
    assert_eq!(spec, ConnectionSpec::from_end(&end));
    assert_eq!(spec.a_client, client("07-tendermint-1"));
    assert_eq!(spec.b_client, client("07-tendermint-0"));
    assert_eq!(spec.swapped(), self::spec());
    // With that spec (the INIT end's chain as A), the next step is its OpenTry.
    assert_eq!(
        next_connection_step(&spec, Some(&end), None),
        Ok(ConnectionStep::OpenTry {
            on: Side::B,
            counterparty_connection: conn(4),
        })
    );
}
