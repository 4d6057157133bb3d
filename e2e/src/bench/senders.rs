//! The accounts that send the benchmark's transfers: user1 and keys derived from its
//! mnemonic (`m/44'/118'/0'/0/i`), imported in our relayer home and funded from user1.
//! Our CLI waits for each tx to be in a block before it signs the next (one account's
//! txs follow its sequence), so one account puts at most one tx in a block; several
//! accounts sending at once put several.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};

use super::setup::{checked, Env};
use crate::accounts::USER1;

/// What each derived sender gets from user1 (10^9 stake: a 100,000-transfer run costs a
/// sender about 10^7 in fees and amounts).
const FUNDING: &str = "1000000000stake";

/// How many txs one `tx transfer` call sends in [`Senders::flood`].
const TXS_PER_CALL: usize = 4;

/// The sending accounts of one [`Env`], by key name in its relayer home (user1 first).
#[derive(Clone, Debug)]
pub struct Senders {
    keys: Vec<String>,
}

impl Senders {
    /// Makes `n` senders (at least one): user1, then `bench-sender-1` … derived from user1's
    /// mnemonic, each imported and funded (one bank send from user1 at a time, each
    /// waited for).
    pub fn prepare(env: &Env, n: usize) -> Result<Senders> {
        let mut keys = vec![USER1.name.to_string()];
        if n <= 1 {
            return Ok(Senders { keys });
        }
        let file = env.home.config().with_file_name("bench-senders.mnemonic");
        std::fs::write(&file, USER1.mnemonic)
            .with_context(|| format!("writing {}", file.display()))?;
        for i in 1..n {
            let name = format!("bench-sender-{i}");
            let address = import(env, &name, &file, i)?;
            let source = env.source();
            let hash = source
                .bank_send(USER1.name, &address, FUNDING)
                .with_context(|| format!("funding {name} ({address})"))?;
            source
                .wait_for_tx(&hash, Duration::from_secs(60))
                .with_context(|| format!("funding {name} ({address})"))?;
            keys.push(name);
        }
        Ok(Senders { keys })
    }

    /// The key names.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Sends `total` transfers split evenly over the senders, all at once (one `tx
    /// transfer` call each, `per_tx` per tx); returns how many were sent.
    pub fn send_split(&self, env: &Env, total: usize, per_tx: usize) -> Result<usize> {
        let shares = split(total, self.keys.len());
        std::thread::scope(|s| {
            let handles: Vec<_> = self
                .keys
                .iter()
                .zip(shares)
                .filter(|(_, n)| *n > 0)
                .map(|(key, n)| s.spawn(move || env.send(key, n, per_tx)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().map_err(|_| anyhow!("a sender thread panicked"))?)
                .sum()
        })
    }

    /// A steady load of `rate` transfers per second for `duration`, from as many senders
    /// as one tx of at most `per_tx` each per second needs: every second each of them
    /// sends its share and waits for it to be in a block. A sender still busy when its
    /// next second comes sends as soon as it is done (so a chain or sender too slow for
    /// the rate shows as fewer transfers sent); nothing starts after `duration` or once
    /// `abort` is set. Adds what was sent to `sent`.
    pub fn steady(
        &self,
        env: &Env,
        (rate, per_tx): (usize, usize),
        duration: Duration,
        sent: &AtomicUsize,
        abort: &AtomicBool,
    ) -> Result<()> {
        let used = rate.div_ceil(per_tx).clamp(1, self.keys.len());
        let shares = split(rate, used);
        let start = Instant::now();
        let end = start + duration;
        let run = |key: &str, share: usize| -> Result<()> {
            for tick in 0u64.. {
                let at = start + Duration::from_secs(tick);
                if at >= end || abort.load(Ordering::SeqCst) {
                    break;
                }
                // The load's schedule: this sender's next second.
                std::thread::sleep(at.saturating_duration_since(Instant::now()));
                sent.fetch_add(env.send(key, share, per_tx)?, Ordering::SeqCst);
            }
            Ok(())
        };
        self.run_all(&shares, &run)
    }

    /// The ceiling's load: every sender sends call after call of [`TXS_PER_CALL`] txs of
    /// `per_tx` transfers until `until`. Adds what was sent to `sent`.
    pub fn flood(
        &self,
        env: &Env,
        per_tx: usize,
        until: Instant,
        sent: &AtomicUsize,
    ) -> Result<()> {
        let shares = vec![per_tx * TXS_PER_CALL; self.keys.len()];
        let run = |key: &str, count: usize| -> Result<()> {
            while Instant::now() < until {
                sent.fetch_add(env.send(key, count, per_tx)?, Ordering::SeqCst);
            }
            Ok(())
        };
        self.run_all(&shares, &run)
    }

    /// Runs `run(key, share)` for the first `shares.len()` senders, each on its own
    /// thread; the first error wins.
    fn run_all(
        &self,
        shares: &[usize],
        run: &(dyn Fn(&str, usize) -> Result<()> + Sync),
    ) -> Result<()> {
        std::thread::scope(|s| {
            let handles: Vec<_> = self
                .keys
                .iter()
                .zip(shares)
                .map(|(key, &share)| s.spawn(move || run(key, share)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().map_err(|_| anyhow!("a sender thread panicked"))?)
                .collect::<Result<Vec<()>>>()
                .map(drop)
        })
    }
}

/// Imports user1's mnemonic at `m/44'/118'/0'/0/index` as `name` on the source; returns the
/// address `keys add` printed.
fn import(env: &Env, name: &str, mnemonic: &std::path::Path, index: usize) -> Result<String> {
    let hd_path = format!("m/44'/118'/0'/0/{index}");
    let out = env.home.run([
        "keys",
        "add",
        "--chain",
        env.source().chain_id(),
        "--key-name",
        name,
        "--mnemonic-file",
        &mnemonic.to_string_lossy(),
        "--hd-path",
        &hd_path,
        "--overwrite",
    ]);
    let stdout = checked(out, "keys add")?;
    // "added key `NAME` for CHAIN: ADDRESS"
    stdout
        .split_whitespace()
        .last()
        .filter(|a| a.starts_with("cosmos1"))
        .map(str::to_string)
        .with_context(|| format!("keys add printed no address: {stdout:?}"))
}

/// `total` split into `parts` shares that differ by at most one, larger ones first.
pub fn split(total: usize, parts: usize) -> Vec<usize> {
    let parts = parts.max(1);
    (0..parts)
        .map(|i| total / parts + usize::from(i < total % parts))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn shares_add_up_and_differ_by_one_at_most() {
        assert_eq!(split(10, 3), [4, 3, 3]);
        assert_eq!(split(2, 4), [1, 1, 0, 0]);
        assert_eq!(split(200, 4), [50, 50, 50, 50]);
        assert_eq!(split(5, 0), [5]);
    }
}
