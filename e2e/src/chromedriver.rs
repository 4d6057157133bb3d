//! A local `chromedriver` (Debian's `chromium-driver`) for the browser tests: started on a
//! free port of 127.0.0.1 in its own process group, with `PR_SET_PDEATHSIG`, so it and the
//! headless Chromium it starts die with the test process; dropping it kills the group
//! (also when the test panics).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::ports::free_port;
use crate::process::{kill_group, log_tail, spawn_guarded};

/// Debian's Chromium, which the WebDriver session is told to run.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver (package `chromium-driver`).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A running chromedriver; killed (with every process of its group) when dropped.
pub struct Chromedriver {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Chromedriver {
    /// Starts chromedriver and waits (up to 20 s) until it listens;
    /// panics saying what is missing (`scripts/install-deps.sh` installs both packages)
    /// or with chromedriver's log.
    pub fn start() -> Chromedriver {
        for bin in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(bin).is_file(),
                "{bin} is missing: install Debian's chromium and chromium-driver (scripts/install-deps.sh)"
            );
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("chromedriver.log");
        let port = free_port().expect("a free port for chromedriver");
        let mut command = Command::new(CHROMEDRIVER);
        command
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = spawn_guarded(command).expect("chromedriver starts");
        let mut driver = Chromedriver {
            child,
            port,
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // chromedriver keeps connections open (no `Connection: close`): a listening
            // port is the readiness signal; the session request then waits for the rest.
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return driver;
            }
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!("chromedriver exited ({status}):\n{}", driver.log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver on port {port} not ready within 20 s:\n{}",
                driver.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The WebDriver URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The last lines of chromedriver's log.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log, 40)
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("chromedriver log (tail):\n{}", self.log_tail());
        }
        let _ = kill_group(&mut self.child);
    }
}
