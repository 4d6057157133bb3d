//! Spawning long-running simd nodes so they cannot outlive the harness process, and
//! stopping them.
//!
//! `PR_SET_PDEATHSIG` fires when the *thread* that forked the child exits, not the
//! process. Tests start chains from threads that end long before the process does
//! (libtest runs each test on its own thread; tokio's blocking pool reaps idle
//! threads), so every node is forked by one spawner thread that lives until the
//! process ends. The death signal then fires exactly when the harness process dies,
//! whatever kills it.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// A request to the spawner thread.
struct SpawnRequest {
    command: Command,
    reply: mpsc::Sender<io::Result<Child>>,
}

/// The spawner thread's queue; the thread runs as long as this sender exists, i.e.
/// until the process exits.
fn spawner() -> io::Result<&'static mpsc::Sender<SpawnRequest>> {
    static SPAWNER: OnceLock<mpsc::Sender<SpawnRequest>> = OnceLock::new();
    if let Some(tx) = SPAWNER.get() {
        return Ok(tx);
    }
    let (tx, rx) = mpsc::channel::<SpawnRequest>();
    // Two threads may race here; the loser's thread sees its sender dropped and ends.
    std::thread::Builder::new()
        .name("stateset-e2e-spawner".into())
        .spawn(move || {
            for mut request in rx {
                let result = request.command.spawn();
                // The requester may have given up; then the child is dropped (and
                // killed by its owner's absence only at process exit), which is fine.
                let _ = request.reply.send(result);
            }
        })?;
    Ok(SPAWNER.get_or_init(|| tx))
}

/// Spawns `command` as the leader of a new process group that receives `SIGKILL` when
/// this process dies.
pub(crate) fn spawn_guarded(mut command: Command) -> io::Result<Child> {
    let parent = std::process::id();
    command.process_group(0);
    // SAFETY: the closure runs between fork and exec and only calls the
    // async-signal-safe prctl(2), getppid(2) and kill(2).
    unsafe {
        command.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(io::Error::from)?;
            // The parent may have died between fork and prctl: then nothing will ever
            // deliver the death signal, so do not start at all.
            if nix::unistd::getppid().as_raw() as u32 != parent {
                return Err(io::Error::other("the harness process exited during spawn"));
            }
            Ok(())
        });
    }
    let (reply, response) = mpsc::channel();
    spawner()?
        .send(SpawnRequest { command, reply })
        .map_err(|_| io::Error::other("the spawner thread is gone"))?;
    response
        .recv()
        .map_err(|_| io::Error::other("the spawner thread dropped the request"))?
}

/// Sends `signal` to the process group led by `child` (a no-op if it is gone).
pub(crate) fn signal_group(child: &Child, signal: Signal) {
    let pgid = Pid::from_raw(child.id() as i32);
    let _ = killpg(pgid, signal);
}

/// Stops a group leader: `SIGTERM` to the group, up to `grace` for it to exit, then
/// `SIGKILL`. Always reaps the child and returns its exit status.
pub(crate) fn stop_group(child: &mut Child, grace: Duration) -> io::Result<ExitStatus> {
    if let Some(status) = child.try_wait()? {
        // Already exited; kill any stragglers in its group anyway.
        signal_group(child, Signal::SIGKILL);
        return Ok(status);
    }
    signal_group(child, Signal::SIGTERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            signal_group(child, Signal::SIGKILL);
            return Ok(status);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    kill_group(child)
}

/// Kills the group with `SIGKILL` at once and reaps the leader.
pub(crate) fn kill_group(child: &mut Child) -> io::Result<ExitStatus> {
    signal_group(child, Signal::SIGKILL);
    child.wait()
}

/// The last `lines` lines of a log file (lossy UTF-8), or a note why there are none.
pub(crate) fn log_tail(path: &std::path::Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(no log: {e})"),
    }
}

/// Points `command`'s `TMPDIR` at `home/tmp` (created here), so that what simd leaves in
/// its temporary directory goes when the chain's home does. Every simd command, even
/// `simd version`, makes a `simapp…` directory in `TMPDIR` and never removes it: a
/// benchmark's sends left 20,000 of them in /tmp.
pub(crate) fn tmp_in_home(command: &mut Command, home: &std::path::Path) {
    let tmp = home.join("tmp");
    // When the directory cannot be made, simd falls back to the system's temporary
    // directory: the command itself still runs.
    if std::fs::create_dir_all(&tmp).is_ok() {
        command.env("TMPDIR", tmp);
    }
}
