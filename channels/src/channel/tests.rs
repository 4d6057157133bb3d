use super::*;
use HandshakeState::*;

fn port(s: &str) -> PortId {
    s.parse().unwrap()
}

fn chan(n: u64) -> ChannelId {
    ChannelId::new(n)
}

/// transfer/connection-0 on A, transfer/connection-1 on B, unordered, ics20-1.
fn spec() -> ChannelSpec {
    ChannelSpec {
        a_port: port("transfer"),
        b_port: port("transfer"),
        a_connection: ConnectionId::new(0),
        b_connection: ConnectionId::new(1),
        ordering: Ordering::Unordered,
        version: "ics20-1".into(),
    }
}

fn view(conn: u64, id: u64, state: HandshakeState, cp: Option<u64>) -> ChannelEndView {
    ChannelEndView {
        port_id: port("transfer"),
        channel_id: chan(id),
        state,
        ordering: Ordering::Unordered,
        connection_id: ConnectionId::new(conn),
        counterparty_port_id: port("transfer"),
        counterparty_channel_id: cp.map(chan),
        version: "ics20-1".into(),
    }
}

fn on_a(id: u64, state: HandshakeState, cp: Option<u64>) -> ChannelEndView {
    view(0, id, state, cp)
}

fn on_b(id: u64, state: HandshakeState, cp: Option<u64>) -> ChannelEndView {
    view(1, id, state, cp)
}

fn step(
    a: Option<&ChannelEndView>,
    b: Option<&ChannelEndView>,
) -> Result<ChannelStep, HandshakeError> {
    next_channel_step(&spec(), a, b)
}

#[test]
fn nothing_yet_inits_on_a() {
    assert_eq!(step(None, None), Ok(ChannelStep::OpenInit { on: Side::A }));
    let a = on_a(0, Uninitialized, None);
    assert_eq!(
        step(Some(&a), None),
        Ok(ChannelStep::OpenInit { on: Side::A })
    );
}

#[test]
fn an_init_end_alone_is_tried_on_the_other_chain() {
    assert_eq!(
        step(Some(&on_a(2, Init, None)), None),
        Ok(ChannelStep::OpenTry {
            on: Side::B,
            counterparty_channel: chan(2),
        })
    );
    assert_eq!(
        step(None, Some(&on_b(5, Init, None))),
        Ok(ChannelStep::OpenTry {
            on: Side::A,
            counterparty_channel: chan(5),
        })
    );
}

#[test]
fn crossing_hellos_continue_a_and_ignore_b() {
    let a = on_a(2, Init, None);
    let mut b = on_b(5, Init, None);
    b.port_id = port("other");
    b.version = "something-else".into();
    assert_eq!(
        step(Some(&a), Some(&b)),
        Ok(ChannelStep::OpenTry {
            on: Side::B,
            counterparty_channel: chan(2),
        })
    );
}

#[test]
fn acks_confirms_and_open() {
    let cases = [
        (
            on_a(2, Init, None),
            on_b(5, TryOpen, Some(2)),
            ChannelStep::OpenAck {
                on: Side::A,
                channel: chan(2),
                counterparty_channel: chan(5),
            },
        ),
        (
            on_a(2, TryOpen, Some(5)),
            on_b(5, Init, None),
            ChannelStep::OpenAck {
                on: Side::B,
                channel: chan(5),
                counterparty_channel: chan(2),
            },
        ),
        (
            on_a(2, Open, Some(5)),
            on_b(5, TryOpen, Some(2)),
            ChannelStep::OpenConfirm {
                on: Side::B,
                channel: chan(5),
                counterparty_channel: chan(2),
            },
        ),
        (
            on_a(2, TryOpen, Some(5)),
            on_b(5, Open, Some(2)),
            ChannelStep::OpenConfirm {
                on: Side::A,
                channel: chan(2),
                counterparty_channel: chan(5),
            },
        ),
        (
            on_a(2, Open, Some(5)),
            on_b(5, Open, Some(2)),
            ChannelStep::Open {
                a: chan(2),
                b: chan(5),
            },
        ),
    ];
    for (a, b, want) in cases {
        assert_eq!(step(Some(&a), Some(&b)), Ok(want));
    }
}

#[test]
fn closing() {
    assert_eq!(
        step(
            Some(&on_a(2, Closed, Some(5))),
            Some(&on_b(5, Open, Some(2)))
        ),
        Ok(ChannelStep::CloseConfirm {
            on: Side::B,
            channel: chan(5),
            counterparty_channel: chan(2),
        })
    );
    assert_eq!(
        step(
            Some(&on_a(2, Open, Some(5))),
            Some(&on_b(5, Closed, Some(2)))
        ),
        Ok(ChannelStep::CloseConfirm {
            on: Side::A,
            channel: chan(2),
            counterparty_channel: chan(5),
        })
    );
    assert_eq!(
        step(
            Some(&on_a(2, Closed, Some(5))),
            Some(&on_b(5, Closed, Some(2)))
        ),
        Ok(ChannelStep::Closed {
            a: chan(2),
            b: chan(5),
        })
    );
}

#[test]
fn closed_ends_that_cannot_be_confirmed_are_errors() {
    let closed = |side, n: u64| {
        Err(HandshakeError::Closed {
            side,
            what: format!("channel channel-{n}"),
        })
    };
    assert_eq!(step(Some(&on_a(2, Closed, None)), None), closed(Side::A, 2));
    assert_eq!(step(None, Some(&on_b(5, Closed, None))), closed(Side::B, 5));
    assert_eq!(
        step(Some(&on_a(2, Closed, None)), Some(&on_b(5, Init, None))),
        closed(Side::A, 2)
    );
    assert_eq!(
        step(
            Some(&on_a(2, TryOpen, Some(5))),
            Some(&on_b(5, Closed, Some(2)))
        ),
        closed(Side::B, 5)
    );
}

#[test]
fn impossible_pairs_are_errors() {
    let pairs = [
        (on_a(2, Open, Some(5)), on_b(5, Init, None)),
        (on_a(2, Init, None), on_b(5, Open, Some(2))),
        (on_a(2, TryOpen, Some(5)), on_b(5, TryOpen, Some(2))),
    ];
    for (a, b) in pairs {
        assert!(matches!(
            step(Some(&a), Some(&b)),
            Err(HandshakeError::Impossible { .. })
        ));
    }
    for state in [TryOpen, Open] {
        assert!(matches!(
            step(Some(&on_a(2, state, Some(5))), None),
            Err(HandshakeError::Impossible { .. })
        ));
        assert!(matches!(
            step(None, Some(&on_b(5, state, Some(2)))),
            Err(HandshakeError::Impossible { .. })
        ));
    }
}

#[test]
fn ends_must_name_each_other() {
    assert_eq!(
        step(Some(&on_a(2, Init, None)), Some(&on_b(5, TryOpen, Some(7)))),
        Err(HandshakeError::Mismatch {
            side: Side::B,
            what: "counterparty of channel channel-5".into(),
            expected: "channel-2".into(),
            found: "channel-7".into(),
        })
    );
    assert!(matches!(
        step(Some(&on_a(2, Open, Some(9))), Some(&on_b(5, Open, Some(2)))),
        Err(HandshakeError::Mismatch { side: Side::A, .. })
    ));
    assert!(matches!(
        step(Some(&on_a(2, TryOpen, None)), Some(&on_b(5, Open, Some(2)))),
        Err(HandshakeError::Mismatch { side: Side::A, ref found, .. }) if found == "none"
    ));
}

/// The error for one changed field of an end.
fn mismatch(side: Side, change: impl Fn(&mut ChannelEndView)) -> HandshakeError {
    let mut a = on_a(2, Init, None);
    let mut b = on_b(5, TryOpen, Some(2));
    change(match side {
        Side::A => &mut a,
        Side::B => &mut b,
    });
    step(Some(&a), Some(&b)).unwrap_err()
}

#[test]
fn ends_must_match_the_spec() {
    let err = mismatch(Side::A, |e| e.port_id = port("icahost"));
    assert_eq!(
        err,
        HandshakeError::Mismatch {
            side: Side::A,
            what: "port of channel-2".into(),
            expected: "transfer".into(),
            found: "icahost".into(),
        }
    );
    let err = mismatch(Side::B, |e| e.connection_id = ConnectionId::new(7));
    assert_eq!(
        err.to_string(),
        "connection of channel-5 on chain B: expected connection-1, found connection-7"
    );
    let err = mismatch(Side::B, |e| e.counterparty_port_id = port("oracle"));
    assert!(
        matches!(err, HandshakeError::Mismatch { side: Side::B, ref what, .. } if what == "counterparty port of channel-5")
    );
    let err = mismatch(Side::A, |e| e.ordering = Ordering::Ordered);
    assert_eq!(
        err,
        HandshakeError::Mismatch {
            side: Side::A,
            what: "ordering of channel-2".into(),
            expected: "ORDER_UNORDERED".into(),
            found: "ORDER_ORDERED".into(),
        }
    );
    // The version is compared on INIT ends only.
    let err = mismatch(Side::A, |e| e.version = "ics20-2".into());
    assert_eq!(
        err.to_string(),
        "version of channel-2 on chain A: expected \"ics20-1\", found \"ics20-2\""
    );
    let a = on_a(2, Init, None);
    let mut b = on_b(5, TryOpen, Some(2));
    b.version = "ics20-2".into();
    assert!(step(Some(&a), Some(&b)).is_ok());
}

#[test]
fn an_empty_spec_version_is_not_compared() {
    let mut spec = spec();
    spec.version = String::new();
    let mut a = on_a(2, Init, None);
    a.version = "{\"fee_version\":\"ics29-1\",\"app_version\":\"ics20-1\"}".into();
    assert_eq!(
        next_channel_step(&spec, Some(&a), None),
        Ok(ChannelStep::OpenTry {
            on: Side::B,
            counterparty_channel: chan(2),
        })
    );
}

#[test]
fn spec_from_an_init_end() {
    let mut end = on_b(5, Init, None);
    end.port_id = port("icahost");
    end.counterparty_port_id = port("icacontroller-cosmos1abc");
    end.ordering = Ordering::Ordered;
    end.version = "ics27-1".into();
    let spec = channel_spec_from_init(&end, &ConnectionId::new(0));
    assert_eq!(spec, ChannelSpec::from_end(&end, &ConnectionId::new(0)));
    assert_eq!(
        spec,
        ChannelSpec {
            a_port: port("icahost"),
            b_port: port("icacontroller-cosmos1abc"),
            a_connection: ConnectionId::new(1),
            b_connection: ConnectionId::new(0),
            ordering: Ordering::Ordered,
            version: "ics27-1".into(),
        }
    );
    assert_eq!(spec.swapped().swapped(), spec);
    assert_eq!(spec.swapped().a_port, port("icacontroller-cosmos1abc"));
    assert_eq!(spec.swapped().a_connection, ConnectionId::new(0));
    assert_eq!(
        next_channel_step(&spec, Some(&end), None),
        Ok(ChannelStep::OpenTry {
            on: Side::B,
            counterparty_channel: chan(5),
        })
    );
    // An end past INIT gives no version (the negotiated one is not a proposal).
    end.state = Open;
    assert_eq!(
        ChannelSpec::from_end(&end, &ConnectionId::new(0)).version,
        ""
    );
}
