//! The relayer under test, as operators run it: its binary, a config file for a set of test
//! chains, its key imported on each, and the daemon as a child process.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::Once;
use std::time::{Duration, Instant};

use crate::chain::TestChain;
use crate::{accounts, target_dir, workspace_root};

/// The relayer binary, built once per test process (a no-op when it is up to date).
pub fn binary() -> PathBuf {
    static BUILD: Once = Once::new();
    BUILD.call_once(|| {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "--quiet",
                "--locked",
                "-p",
                "stateset-relayer",
                "--bin",
                "stateset-relayer",
            ])
            .current_dir(workspace_root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building stateset-relayer failed");
    });
    target_dir().join("debug").join("stateset-relayer")
}

/// Settings of the `[daemon]` section.
#[derive(Clone, Debug)]
pub struct DaemonSettings {
    /// `refresh_fraction`.
    pub refresh_fraction: f64,
    /// `scan_interval`.
    pub scan_interval: Duration,
    /// Serve `/metrics`, `/readyz`… on this port (127.0.0.1); `None`: telemetry off.
    pub telemetry_port: Option<u16>,
}

impl Default for DaemonSettings {
    fn default() -> Self {
        Self {
            refresh_fraction: 1.0 / 3.0,
            scan_interval: Duration::from_secs(1),
            telemetry_port: None,
        }
    }
}

/// A relayer home: a config for some test chains, keys imported, a store directory.
pub struct RelayerHome {
    dir: tempfile::TempDir,
    config: PathBuf,
    /// The binary its commands run (`None`: [`binary`]).
    bin: Option<PathBuf>,
}

impl RelayerHome {
    /// Writes the config for `chains` and imports the relayer's key on each.
    pub fn new(chains: &[&TestChain], daemon: DaemonSettings) -> Self {
        Self::with_binary(chains, daemon, None)
    }

    /// [`RelayerHome::new`] whose commands run `bin` (e.g. a release build) instead of the
    /// debug build [`binary`] makes; `None` is [`binary`].
    pub fn with_binary(
        chains: &[&TestChain],
        daemon: DaemonSettings,
        bin: Option<PathBuf>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut text = format!(
            "[global]\nlog_level = \"info\"\nkey_dir = \"keys\"\n\n[store]\npath = \"store\"\n\n\
             [telemetry]\nenabled = {}\nport = {}\n\n[daemon]\nrefresh_fraction = {}\nscan_interval = \"{}ms\"\n",
            daemon.telemetry_port.is_some(),
            daemon.telemetry_port.unwrap_or(0),
            daemon.refresh_fraction,
            daemon.scan_interval.as_millis()
        );
        for c in chains {
            text += &format!(
                "\n[[chains]]\nid = \"{}\"\nrpc_addr = \"{}\"\ngrpc_addr = \"{}\"\n\
                 event_source = {{ mode = \"push\", url = \"{}\" }}\naccount_prefix = \"cosmos\"\n\
                 key_name = \"relayer\"\ngas_price = {{ price = 0.001, denom = \"stake\" }}\n\
                 max_block_time = \"5s\"\nclock_drift = \"5s\"\n",
                c.chain_id(),
                c.rpc_url(),
                c.grpc_url(),
                c.ws_url()
            );
        }
        let config = dir.path().join("config.toml");
        std::fs::write(&config, text).expect("config written");
        std::fs::write(dir.path().join("mnemonic"), accounts::RELAYER.mnemonic)
            .expect("mnemonic written");
        let home = RelayerHome { dir, config, bin };
        for c in chains {
            let mnemonic = home.dir.path().join("mnemonic");
            let out = home.run([
                "keys",
                "add",
                "--chain",
                c.chain_id(),
                "--mnemonic-file",
                mnemonic.to_str().unwrap(),
            ]);
            assert!(
                out.status.success(),
                "keys add: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        home
    }

    /// Sets `[chains.packet_policy]` of `chain_id` to the inline TOML table `policy`, e.g.
    /// `{ min_fees = ["100stake"] }`. Takes effect when the daemon (re)starts.
    pub fn set_packet_policy(&self, chain_id: &str, policy: &str) {
        let text = std::fs::read_to_string(&self.config).expect("config read");
        let id_line = format!("id = \"{chain_id}\"\n");
        assert!(
            text.contains(&id_line),
            "chain {chain_id} not in the config"
        );
        let text = text.replacen(&id_line, &format!("{id_line}packet_policy = {policy}\n"), 1);
        std::fs::write(&self.config, text).expect("config written");
    }

    /// Sets `key = value` (a TOML value literal, e.g. `12000` or `"10s"`) in the
    /// `[[chains]]` entry of `chain_id`, e.g. `set_chain_option(b, "max_tx_size", "12000")`.
    /// Takes effect when the daemon (re)starts and for every later command.
    pub fn set_chain_option(&self, chain_id: &str, key: &str, value: &str) {
        let text = std::fs::read_to_string(&self.config).expect("config read");
        let id_line = format!("id = \"{chain_id}\"\n");
        assert!(
            text.contains(&id_line),
            "chain {chain_id} not in the config"
        );
        let text = text.replacen(&id_line, &format!("{id_line}{key} = {value}\n"), 1);
        std::fs::write(&self.config, text).expect("config written");
    }

    /// The config file.
    pub fn config(&self) -> &Path {
        &self.config
    }

    /// A command running the relayer with this config.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = Command::new(self.bin.clone().unwrap_or_else(binary));
        cmd.arg("--config").arg(&self.config).args(args);
        cmd.env("NO_COLOR", "1");
        // Dies with the test process.
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                    .map_err(std::io::Error::from)
            });
        }
        cmd
    }

    /// Runs a relayer command to completion.
    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command(args).output().expect("relayer runs")
    }

    /// Runs a relayer command, expects success, and returns its stdout.
    pub fn run_ok<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "relayer failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs a relayer command to completion, killing it (and panicking with what it
    /// printed) if it has not exited within `timeout`.
    pub fn run_with_timeout<I, S>(&self, args: I, timeout: Duration) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        use std::io::Read;
        let mut child = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("relayer runs");
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                pipe.read_to_end(&mut bytes).ok();
                bytes
            })
        };
        let stdout = drain(Box::new(child.stdout.take().expect("piped")));
        let stderr = drain(Box::new(child.stderr.take().expect("piped")));
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() >= deadline {
                child.kill().ok();
                child.wait().ok();
                panic!(
                    "relayer command did not exit within {timeout:?}:\nstdout: {}\nstderr: {}",
                    String::from_utf8_lossy(&stdout.join().unwrap_or_default()),
                    String::from_utf8_lossy(&stderr.join().unwrap_or_default())
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        Output {
            status,
            stdout: stdout.join().expect("stdout read"),
            stderr: stderr.join().expect("stderr read"),
        }
    }

    /// Runs `args` and kills it (SIGKILL) as soon as a stdout line satisfies `kill_after`.
    /// Returns the lines it printed and whether it was killed (false: it exited by itself,
    /// with the given status).
    pub fn run_until_line<I, S>(
        &self,
        args: I,
        kill_after: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> (Vec<String>, Option<ExitStatus>)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + timeout;
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "relayer command did not finish within {timeout:?}: {lines:?}"
            );
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let kill = kill_after(&line);
                    lines.push(line);
                    if kill {
                        child.kill().ok();
                        child.wait().ok();
                        return (lines, None);
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().expect("wait");
                    return (lines, Some(status));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
    }

    /// Imports the key of `account` (e.g. `accounts::USER1`) as `account.name` on `chain`.
    pub fn import_key(&self, chain: &TestChain, account: &accounts::Account) {
        let file = self.dir.path().join(format!("{}.mnemonic", account.name));
        std::fs::write(&file, account.mnemonic).expect("mnemonic written");
        self.run_ok([
            "keys",
            "add",
            "--chain",
            chain.chain_id(),
            "--key-name",
            account.name,
            "--mnemonic-file",
            file.to_str().unwrap(),
            "--overwrite",
        ]);
    }

    /// Starts the daemon (`start`), its log in this home.
    pub fn start_daemon(&self) -> Daemon {
        // A new file per start, so a restarted daemon's log does not truncate the last.
        static STARTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log_path = self.dir.path().join(format!("daemon-{n}.log"));
        let log = std::fs::File::create(&log_path).expect("log file");
        let child = self
            .command(["start"])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("daemon starts");
        Daemon {
            child: Some(child),
            log_path,
        }
    }
}

/// `GET http://127.0.0.1:{port}{path}`: (status code, body); `None` when nothing answers
/// (or the answer is not an HTTP response with a head and a body).
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let (_, body) = response.split_once("\r\n\r\n")?;
    Some((status, body.to_string()))
}

/// A running daemon; killed when dropped.
pub struct Daemon {
    child: Option<Child>,
    log_path: PathBuf,
}

impl Daemon {
    /// The daemon's log so far; panics when it cannot be read (an empty log must not make
    /// a "the log does not mention…" assertion pass).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path)
            .unwrap_or_else(|e| panic!("daemon log {}: {e}", self.log_path.display()))
    }

    /// Kills it with SIGKILL (a crash).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }

    /// Sends SIGTERM and waits (up to `timeout`) for it to exit; returns its status.
    pub fn stop(&mut self, timeout: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                child.kill().ok();
                panic!(
                    "daemon did not exit within {timeout:?} of SIGTERM:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Daemon {
    /// With `E2E_KEEP_DAEMON_LOGS=<dir>`, copies the log into that directory (named after
    /// this home's temporary directory and the start), for reading after the test's
    /// temporary files are gone, e.g. a chaos run's debug log with `RUST_LOG`.
    fn keep_log(&self) {
        let Some(dir) = std::env::var_os("E2E_KEEP_DAEMON_LOGS") else {
            return;
        };
        let dir = PathBuf::from(dir);
        let home = self
            .log_path
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = self
            .log_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let to = dir.join(format!("{home}-{name}"));
        let copied =
            std::fs::create_dir_all(&dir).and_then(|()| std::fs::copy(&self.log_path, &to));
        match copied {
            Ok(_) => eprintln!("daemon log kept: {}", to.display()),
            Err(e) => eprintln!(
                "daemon log {} not kept in {}: {e}",
                self.log_path.display(),
                dir.display()
            ),
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.keep_log();
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
            if std::thread::panicking() {
                // Already panicking: a second panic would abort, so say what went wrong.
                match std::fs::read_to_string(&self.log_path) {
                    Ok(log) => eprintln!("daemon log:\n{log}"),
                    Err(e) => eprintln!("daemon log {}: {e}", self.log_path.display()),
                }
            }
        }
    }
}
