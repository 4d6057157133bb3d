use super::*;

fn addrs(n: u16) -> NodeAddrs {
    NodeAddrs {
        rpc: format!("http://127.0.0.1:{n}").parse().unwrap(),
        grpc: format!("http://127.0.0.1:{}", n + 1),
        websocket: format!("ws://127.0.0.1:{n}/websocket"),
        key: format!("node{n}"),
    }
}

fn pool(n: usize) -> NodePool {
    let backups = (1..n).map(|i| addrs(20000 + 10 * i as u16)).collect();
    NodePool::new("pool-test-1", addrs(20000), backups, 5)
}

fn out(until: Instant, reason: Reason) -> Health {
    Health {
        out: Some(Out { until, reason }),
        strikes: 1,
    }
}

#[test]
fn cooloff_doubles_from_5s_to_5min() {
    let secs: Vec<u64> = (1..=9).map(|s| cooloff(s, MAX_COOLOFF).as_secs()).collect();
    assert_eq!(secs, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
    assert_eq!(cooloff(0, MAX_COOLOFF), MIN_COOLOFF);
    assert_eq!(cooloff(u32::MAX, MAX_COOLOFF), MAX_COOLOFF);
}

#[test]
fn cooloff_stops_at_the_configured_maximum() {
    let max = Duration::from_secs(20);
    let secs: Vec<u64> = (1..=5).map(|s| cooloff(s, max).as_secs()).collect();
    assert_eq!(secs, [5, 10, 20, 20, 20]);
    // Below the first cool-off, the first one still applies.
    assert_eq!(cooloff(3, Duration::from_secs(1)), MIN_COOLOFF);
}

#[test]
fn pick_prefers_the_first_node_in_rotation() {
    let now = Instant::now();
    let later = now + Duration::from_secs(10);
    assert_eq!(pick(&[Health::default(), Health::default()]), 0);
    assert_eq!(pick(&[out(later, Reason::Error), Health::default()]), 1);
    assert_eq!(
        pick(&[
            out(later, Reason::Lag),
            out(later, Reason::Error),
            Health::default()
        ]),
        2
    );
    // All out: the one whose cool-off ends first.
    assert_eq!(
        pick(&[
            out(later, Reason::Error),
            out(now + Duration::from_secs(3), Reason::Lag)
        ]),
        1
    );
    assert_eq!(pick(&[]), 0);
}

#[test]
fn judge_flags_other_chains_and_laggards() {
    let a = |net: &str, h: u64| Some((net.to_string(), h));
    let verdicts = judge(
        "c-1",
        &[
            a("c-1", 100),
            a("c-1", 95),
            a("c-1", 94),
            None,
            a("other-1", 500),
        ],
        5,
    );
    assert_eq!(
        verdicts,
        [
            Verdict::Fine,
            Verdict::Fine,
            Verdict::Lag {
                height: 94,
                best: 100
            },
            Verdict::Unknown,
            Verdict::WrongChain {
                network: "other-1".into()
            },
        ]
    );
    // A node ahead of the others is not lagging; nobody answering judges nothing.
    assert_eq!(
        judge("c-1", &[a("c-1", 10), a("c-1", 200)], 5),
        [
            Verdict::Lag {
                height: 10,
                best: 200
            },
            Verdict::Fine
        ]
    );
    assert_eq!(
        judge("c-1", &[None, None], 5),
        [Verdict::Unknown, Verdict::Unknown]
    );
}

#[test]
fn a_failing_node_is_skipped_until_its_cooloff_ends() {
    let p = pool(3);
    assert_eq!(p.current(), 0);
    p.failed(0, "connection reset");
    assert_eq!(p.current(), 1);
    // Concurrent failures of a node already out count once.
    p.failed(0, "connection reset");
    assert_eq!(p.health()[0].strikes, 1);
    p.failed(1, "timeout");
    assert_eq!(p.current(), 2);
    p.succeeded(2);
    assert_eq!(p.health()[2].strikes, 0);
    let h = p.health();
    let left = h[0].out.unwrap().until - Instant::now();
    assert!(left <= MIN_COOLOFF && left > MIN_COOLOFF - Duration::from_secs(1));
}

#[test]
fn when_every_node_is_out_the_first_to_cool_off_is_used_and_put_back_on_success() {
    let p = pool(2);
    p.failed(1, "reset");
    p.failed(0, "reset");
    assert_eq!(p.current(), 1);
    p.succeeded(1);
    assert!(p.health()[1].out.is_none());
    assert_eq!(p.current(), 1);
}

#[test]
fn status_rounds_take_out_laggards_and_other_chains_and_respect_the_cooloff() {
    let p = pool(3);
    p.apply(&[
        Verdict::Lag {
            height: 1,
            best: 10,
        },
        Verdict::WrongChain {
            network: "x-1".into(),
        },
        Verdict::Fine,
    ]);
    let h = p.health();
    assert_eq!(h[0].out.unwrap().reason, Reason::Lag);
    assert_eq!(h[1].out.unwrap().reason, Reason::WrongChain);
    assert!(h[2].out.is_none());
    assert_eq!(p.current(), 2);
    // In step again, but still cooling off: stays out.
    p.apply(&[Verdict::Fine, Verdict::Fine, Verdict::Fine]);
    assert!(p.health()[0].out.is_some());
    // A lag-out node is not put back by its cool-off alone, only by a Fine verdict after it.
    {
        let mut state = p.lock();
        state.health[0].out = Some(Out {
            until: Instant::now(),
            reason: Reason::Lag,
        });
    }
    assert_eq!(p.current(), 2);
    p.apply(&[Verdict::Fine, Verdict::Unknown, Verdict::Fine]);
    assert_eq!(p.current(), 0);
    // Lagging again right after: out for twice as long.
    p.apply(&[
        Verdict::Lag {
            height: 1,
            best: 10,
        },
        Verdict::Unknown,
        Verdict::Fine,
    ]);
    let left = p.health()[0].out.unwrap().until - Instant::now();
    assert!(left > MIN_COOLOFF, "{left:?}");
}

#[test]
fn checks_are_rate_limited_and_skipped_with_one_node() {
    let p = pool(2);
    assert!(p.check_due());
    assert!(!p.check_due());
    let single = NodePool::single(
        "pool-test-1",
        "http://127.0.0.1:1".parse().unwrap(),
        "http://127.0.0.1:2".into(),
    );
    assert!(!single.check_due());
    assert_eq!(single.addrs(7).key, "");
}

#[test]
fn the_gauge_follows_the_node() {
    let p = NodePool::new("pool-gauge-1", addrs(30000), vec![addrs(30010)], 5);
    let gauge = |node: &str| {
        stateset_monitoring::global()
            .node_in_rotation
            .with_label_values(&["pool-gauge-1", node])
            .get()
    };
    assert_eq!((gauge("0"), gauge("1")), (1, 1));
    p.failed(0, "reset");
    assert_eq!(gauge("0"), 0);
    let errors = stateset_monitoring::global()
        .node_rotations
        .with_label_values(&["pool-gauge-1", "error"])
        .get();
    assert_eq!(errors, 1);
}
