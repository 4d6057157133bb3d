//! The harness itself against real simd chains: chains start and produce blocks, the
//! CLI helpers work, stop/restart keep state, and no simd outlives its test, whether
//! the test passes, panics, or its process is SIGKILLed.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use stateset_e2e::{accounts, start_chains, ChainSpec, Error, TestChain};

/// Marks a re-executed test binary as the child of `killed_harness_process_takes_its_chain_down`.
const CHILD_ROLE_ENV: &str = "STATESET_E2E_CHILD_ROLE";
const CHILD_ROLE: &str = "hold-a-chain";
const CHILD_TEST: &str = "child_role_holds_a_chain_until_killed";

/// Whether `pid` is dead: no `/proc/<pid>`, or a zombie nobody reaped yet (an
/// orphaned node is reparented to PID 1, which need not reap promptly).
fn is_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state == "Z" || state == "X"),
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes.
fn eventually(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn two_chains_produce_blocks_and_stop_cleanly() {
    let started = Instant::now();
    let chains = start_chains(2).expect("chains start");
    eprintln!("two chains at height >= 2 after {:.2?}", started.elapsed());

    assert_eq!(chains[0].chain_id(), "stateset-e2e-1");
    assert_eq!(chains[1].chain_id(), "partner-e2e-2");
    assert_ne!(chains[0].ports(), chains[1].ports());
    assert_ne!(chains[0].home(), chains[1].home());
    for chain in &chains {
        let ports = chain.ports();
        assert_eq!(chain.rpc_url(), format!("http://127.0.0.1:{}", ports.rpc));
        assert_eq!(
            chain.ws_url(),
            format!("ws://127.0.0.1:{}/websocket", ports.rpc)
        );
        assert_eq!(chain.grpc_url(), format!("http://127.0.0.1:{}", ports.grpc));
        assert!(chain.log_path().starts_with(chain.home()));
    }

    // Both keep producing blocks: two more than a first reading, well within 10 s.
    let readings: Vec<u64> = chains.iter().map(|c| c.latest_height().unwrap()).collect();
    let blocks_from = Instant::now();
    for (chain, h) in chains.iter().zip(&readings) {
        let now = chain
            .wait_for_height(h + 2, Duration::from_secs(10))
            .expect("blocks keep coming");
        assert!(now >= h + 2);
    }
    eprintln!(
        "two more blocks on both chains in {:.2?}",
        blocks_from.elapsed()
    );

    // The CLI helpers: a fee-paying bank send lands and moves exactly the amount.
    let chain = &chains[1];
    let before = chain.balance(accounts::USER2.address, "ufoo").unwrap();
    assert_eq!(before, accounts::GENESIS_BALANCE);
    let hash = chain
        .bank_send(accounts::USER1.name, accounts::USER2.address, "777ufoo")
        .expect("CheckTx accepts");
    let tx = chain
        .wait_for_tx(&hash, Duration::from_secs(15))
        .expect("tx included");
    assert!(tx.height > 0 && tx.gas_used > 0 && tx.gas_used <= tx.gas_wanted);
    assert_eq!(
        chain.balance(accounts::USER2.address, "ufoo").unwrap(),
        before + 777
    );
    assert_eq!(
        chain.balance(accounts::USER2.address, "nothing").unwrap(),
        0
    );

    // Below the minimum gas price, CheckTx rejects the tx.
    let cheap = chain.cli([
        "tx",
        "bank",
        "send",
        accounts::USER1.name,
        accounts::USER2.address,
        "1stake",
        "--keyring-backend",
        "test",
        "--chain-id",
        chain.chain_id(),
        "--fees",
        "1stake",
        "--yes",
        "-o",
        "json",
    ]);
    let out = cheap.expect("the CLI reports CheckTx failures in its JSON");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["code"], 13, "insufficient fee: {json}");

    let pids: Vec<u32> = chains.iter().map(|c| c.pid().expect("running")).collect();
    let homes: Vec<PathBuf> = chains.iter().map(|c| c.home().to_path_buf()).collect();
    let stopping = Instant::now();
    drop(chains);
    eprintln!("both chains stopped in {:.2?}", stopping.elapsed());
    for pid in pids {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "simd {pid} still exists"
        );
    }
    for home in homes {
        assert!(!home.exists(), "temp home {} not removed", home.display());
    }
}

#[test]
fn a_panicking_test_keeps_home_and_log_and_leaves_no_process() {
    let (tx, rx) = mpsc::channel();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let chain = TestChain::start(ChainSpec::new("panicking-1")).expect("chain starts");
        tx.send((
            chain.pid().unwrap(),
            chain.home().to_path_buf(),
            chain.log_path(),
        ))
        .unwrap();
        panic!("deliberate panic while a chain runs");
    }));
    assert!(result.is_err(), "the closure panicked");
    let (pid, home, log) = rx.recv().expect("the chain started before the panic");
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "simd {pid} survived the panic"
    );
    assert!(
        home.join("config/genesis.json").is_file(),
        "home kept at {}",
        home.display()
    );
    let log_text = std::fs::read_to_string(&log).expect("log kept");
    assert!(log_text.contains("finalized block") || log_text.contains("committed state"));
    std::fs::remove_dir_all(&home).unwrap();
}

#[test]
fn killed_harness_process_takes_its_chain_down() {
    let exe = std::env::current_exe().unwrap();
    let mut command = Command::new(exe);
    command
        .args([CHILD_TEST, "--exact", "--nocapture", "--ignored"])
        .env(CHILD_ROLE_ENV, CHILD_ROLE)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    // If this test's thread dies first, the child (and so its chain) goes too.
    // SAFETY: prctl(2) is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                .map_err(std::io::Error::from)
        });
    }
    let mut child = command.spawn().expect("re-exec the test binary");

    // The child prints `SIMD_PID=<pid> HOME=<path>` once its chain runs.
    let (lines_tx, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    let (pid, home) = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = match lines.recv_timeout(left) {
            Ok(line) => line,
            Err(e) => {
                let _ = child.kill();
                panic!("the child never reported its chain: {e}");
            }
        };
        if let Some(rest) = line.strip_prefix("SIMD_PID=") {
            let (pid, home) = rest.split_once(" HOME=").expect("pid and home");
            break (pid.parse::<u32>().unwrap(), PathBuf::from(home));
        }
    };
    assert!(!is_dead(pid), "simd {pid} runs while its harness lives");

    child.kill().expect("SIGKILL the child test process");
    child.wait().unwrap();
    let killed = Instant::now();
    assert!(
        eventually(Duration::from_secs(10), || is_dead(pid)),
        "simd {pid} outlived its SIGKILLed harness process (PDEATHSIG)"
    );
    eprintln!(
        "simd {pid} died {:.2?} after its harness was SIGKILLed",
        killed.elapsed()
    );
    std::fs::remove_dir_all(&home).unwrap();
}

/// The child half of `killed_harness_process_takes_its_chain_down`; does nothing unless
/// re-executed by it.
#[test]
#[ignore = "runs only as the re-executed child of killed_harness_process_takes_its_chain_down"]
fn child_role_holds_a_chain_until_killed() {
    if std::env::var(CHILD_ROLE_ENV).as_deref() != Ok(CHILD_ROLE) {
        return;
    }
    let chain = TestChain::start(ChainSpec::new("killed-parent-1")).expect("chain starts");
    println!(
        "SIMD_PID={} HOME={}",
        chain.pid().unwrap(),
        chain.home().display()
    );
    use std::io::Write;
    std::io::stdout().flush().unwrap();
    // Wait to be SIGKILLed; give up after a while so an orphan never lingers.
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        std::thread::park_timeout(deadline - Instant::now());
    }
    panic!("the parent test never killed this process");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_state_ports_and_height() {
    let spec = ChainSpec::new("restart-1").with_unbonding_time(Duration::from_secs(3600));
    let mut chain = TestChain::start_async(spec).await.expect("chain starts");
    let ports = chain.ports();
    let chain = tokio::task::spawn_blocking(move || {
        let hash = chain
            .bank_send(accounts::RELAYER.name, accounts::USER1.address, "4242stake")
            .unwrap();
        chain.wait_for_tx(&hash, Duration::from_secs(15)).unwrap();
        let balance = chain.balance(accounts::USER1.address, "stake").unwrap();
        assert_eq!(balance, accounts::GENESIS_BALANCE + 4242);

        // A crash: the RPC goes away, then comes back on the same ports with the state.
        let old_pid = chain.pid().unwrap();
        let height = chain.latest_height().unwrap();
        chain.kill().unwrap();
        assert!(chain.pid().is_none() && !chain.is_running());
        assert!(matches!(chain.latest_height(), Err(Error::Rpc { .. })));
        let restarted = Instant::now();
        chain.restart().expect("restarts after a crash");
        eprintln!("restart after SIGKILL took {:.2?}", restarted.elapsed());
        assert_ne!(chain.pid().unwrap(), old_pid);
        assert!(!Path::new(&format!("/proc/{old_pid}")).exists());
        assert!(chain.latest_height().unwrap() > height);
        assert_eq!(
            chain.balance(accounts::USER1.address, "stake").unwrap(),
            balance
        );

        // A graceful stop and start.
        chain.stop().unwrap();
        chain.stop().unwrap();
        chain.restart().expect("restarts after a stop");
        assert_eq!(
            chain.balance(accounts::USER1.address, "stake").unwrap(),
            balance
        );
        chain
    })
    .await
    .unwrap();
    assert_eq!(chain.ports(), ports);
    let genesis = std::fs::read_to_string(chain.home().join("config/genesis.json")).unwrap();
    assert!(genesis.contains("\"unbonding_time\": \"3600s\""));
    let log = std::fs::read_to_string(chain.log_path()).unwrap();
    assert_eq!(
        log.matches("==== stateset-e2e: simd start").count(),
        3,
        "one log, appended per start"
    );
}
