//! ICS-20 semantics across three live chains: tokens sent A→B and back B→A come home as the
//! original denom; tokens sent on A→B→C carry a two-hop trace and the matching `ibc/…`
//! denom on C (checked with `query denom-trace`); a transfer whose memo exceeds the
//! source chain's `packet_policy.max_memo_bytes` is filtered, logged and counted, and the
//! next transfer relays.

use std::time::Duration;

use serde_json::Value;
use stateset_e2e::accounts::{USER1, USER2};
use stateset_e2e::chain::start_chains;
use stateset_e2e::ibc::{
    commitments, ibc_denom, metric, transfer, wait_metric, wait_until, Transfer,
};
use stateset_e2e::ports::free_port;
use stateset_e2e::relayer::{DaemonSettings, RelayerHome};

const MINUTE: Duration = Duration::from_secs(60);

#[test]
fn tokens_return_home_unwrapped_and_travel_two_hops_with_a_two_hop_trace() {
    let chains = start_chains(3).expect("chains start");
    let (a, b, c) = (&chains[0], &chains[1], &chains[2]);
    let port = free_port().unwrap();
    let home = RelayerHome::new(
        &[a, b, c],
        DaemonSettings {
            telemetry_port: Some(port),
            ..DaemonSettings::default()
        },
    );
    for chain in [a, b, c] {
        home.import_key(chain, &USER1);
        home.import_key(chain, &USER2);
    }
    // A–B: channel-0 on both; B–C: channel-1 on B, channel-0 on C.
    for (x, y) in [(a, b), (b, c)] {
        home.run_ok([
            "create",
            "path",
            "--a-chain",
            x.chain_id(),
            "--b-chain",
            y.chain_id(),
        ]);
    }
    // A relays memos up to 16 KiB (ibc-go v8 itself refuses memos over 32 KiB in MsgTransfer).
    home.set_packet_policy(a.chain_id(), "{ max_memo_bytes = 16384 }");
    let mut daemon = home.start_daemon();

    // An oversized memo (30 KiB) is filtered and counted; the daemon goes on.
    let memo = "x".repeat(30 * 1024);
    let on_b = ibc_denom("transfer/channel-0/stake");
    let big = Transfer {
        channel: "channel-0",
        amount: 7,
        denom: "stake",
        receiver: USER2.address,
        key: "user1",
        memo: &memo,
    };
    transfer(&home, a, &big);
    let filtered = [("chain", a.chain_id()), ("reason", "memo_too_large")];
    wait_metric(
        port,
        "stateset_relayer_packets_filtered_total",
        &filtered,
        1.0,
        MINUTE,
    );
    assert!(
        daemon.log().contains("packet filtered"),
        "the filter is logged"
    );
    // The next transfer (10 stake, A → B) relays; the filtered one never arrives.
    let ten = Transfer {
        amount: 10,
        memo: "",
        ..big.clone()
    };
    transfer(&home, a, &ten);
    wait_until("10 stake received on B", MINUTE, || {
        b.balance(USER2.address, &on_b).unwrap() == 10
    });
    // Its acknowledgement comes back; only the filtered packet's commitment stays on A.
    wait_until("the 10 stake acknowledged on A", MINUTE, || {
        commitments(a, "transfer", "channel-0") == 1
    });

    // B → A over the same channel: the tokens come home as `stake`, not as an ibc/ denom.
    let a_before = a.balance(USER1.address, "stake").unwrap();
    let back = Transfer {
        channel: "channel-0",
        amount: 4,
        denom: &on_b,
        receiver: USER1.address,
        key: "user2",
        memo: "",
    };
    transfer(&home, b, &back);
    wait_until("4 stake back on A", MINUTE, || {
        a.balance(USER1.address, "stake").unwrap() == a_before + 4
    });
    assert_eq!(b.balance(USER2.address, &on_b).unwrap(), 6);
    let back_on_a = ibc_denom("transfer/channel-0/transfer/channel-0/stake");
    assert_eq!(
        a.balance(USER1.address, &back_on_a).unwrap(),
        0,
        "no wrapped denom on A"
    );

    // B → C: a two-hop trace on C.
    let to_c = Transfer {
        channel: "channel-1",
        amount: 3,
        receiver: USER2.address,
        ..back.clone()
    };
    transfer(&home, b, &to_c);
    let on_c = ibc_denom("transfer/channel-0/transfer/channel-0/stake");
    wait_until("3 tokens received on C", MINUTE, || {
        c.balance(USER2.address, &on_c).unwrap() == 3
    });
    let trace: Value = serde_json::from_str(
        home.run_ok([
            "query",
            "denom-trace",
            "--chain",
            c.chain_id(),
            "--denom",
            &on_c,
            "--json",
        ])
        .trim(),
    )
    .unwrap();
    assert_eq!(trace["path"], "transfer/channel-0/transfer/channel-0");
    assert_eq!(trace["base_denom"], "stake");
    assert_eq!(trace["hops"], 2);
    assert_eq!(trace["denom"], on_c.as_str());
    // Every relayed packet was acknowledged (the filtered one is still pending on A).
    wait_until("acks back on B", MINUTE, || {
        commitments(b, "transfer", "channel-0") == 0 && commitments(b, "transfer", "channel-1") == 0
    });
    assert_eq!(
        metric(port, "stateset_relayer_packets_filtered_total", &filtered),
        Ok(1.0),
        "counted once"
    );
    assert!(daemon.stop(Duration::from_secs(10)).success());
}
