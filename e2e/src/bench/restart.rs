//! [`restart`]: how soon our daemon relays again after a restart with many packets
//! pending in its ledger.
//!
//! 1. Fresh chains; our daemon (telemetry on) relays one warm-up transfer, so the path is
//!    discovered and served.
//! 2. The destination chain is stopped (its ports close): nothing can be delivered.
//! 3. `restart_pending` transfers are sent; the daemon's scanner records each send in the
//!    ledger. It has recorded them all once its `stateset_relayer_chain_scanned_height`
//!    gauge for the source reaches the height at which sending ended (the scanner records a
//!    block's packets before it stores the block as handled).
//! 4. The daemon is stopped (`SIGTERM`: it flushes its store), the destination restarted.
//! 5. The daemon starts again; measured: from its spawn to the first block of the
//!    destination holding a MsgRecvPacket. That is read from the destination's tx index
//!    (`tx_search` for `message.action='/ibc.core.channel.v1.MsgRecvPacket'`): a count
//!    that only a delivered receive raises, whatever the daemon logs or reports, polled
//!    every `poll_interval` (the figure is late by at most one poll).

use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use serde_json::Value;

use super::procstat::{self, Sampler, Usage};
use super::senders::Senders;
use super::setup::{Env, Relayer};
use super::{packets, BenchConfig, RelayerKind};
use crate::ibc::metric;
use crate::ports::Ports;
use crate::relayer::DaemonSettings;
use crate::rpc;

/// `tx_search` query (URL-encoded) for txs holding a MsgRecvPacket.
const RECV_QUERY: &str = "%22message.action%3D%27%2Fibc.core.channel.v1.MsgRecvPacket%27%22";

/// How the daemon came back.
#[derive(Clone, Debug)]
pub struct Restart {
    /// Transfers pending in the ledger.
    pub pending: usize,
    /// How long sending them took, seconds.
    pub send_seconds: f64,
    /// From the end of sending until the daemon had scanned the last send's block.
    pub record_seconds: f64,
    /// From `SIGTERM` until the daemon exited.
    pub stop_seconds: f64,
    /// Whether it exited by itself with status 0 (not killed after the grace period).
    pub stopped_cleanly: bool,
    /// From the second start's spawn to the first MsgRecvPacket seen in a block.
    pub first_recv_seconds: f64,
    /// The destination's blocks from that start to the block holding it.
    pub first_recv_blocks: u64,
    /// The daemon from its second start to the first receive.
    pub usage: Usage,
    /// Its `stateset_relayer_backlog_packets` gauge of the path when the first receive was
    /// seen (each relay cycle sets it from the ledger before relaying): how many packets the
    /// ledger held, less any already finished; `None` when not reported yet.
    pub ledger_backlog: Option<u64>,
}

/// Runs the steps of the module's description.
pub fn restart(config: &BenchConfig) -> Result<Restart> {
    let port = Ports::allocate()?.rpc;
    let settings = DaemonSettings {
        telemetry_port: Some(port),
        ..DaemonSettings::default()
    };
    let mut env = Env::new(config, settings)?;
    let senders = Senders::prepare(&env, config.senders)?;
    let n = config.restart_pending;
    let mut first = Relayer::prepare(config, RelayerKind::Ours, &env, "restart-record", 0)?;
    first.start()?;
    env.warm_up(&mut first, config.poll_interval, config.timeout)?;
    env.chains[1].stop().context("stopping the destination")?;
    eprintln!("bench: restart: sending {n} transfers while the destination is down ...");
    let send_start = Instant::now();
    let sent = senders.send_split(&env, n, config.per_tx)?;
    let send_end = Instant::now();
    ensure!(sent == n, "sent {sent} of {n}");
    let height = env.source().latest_height()?;
    wait_scanned(config, &mut first, port, env.source().chain_id(), height)?;
    let record_seconds = send_end.elapsed().as_secs_f64();
    let stop_start = Instant::now();
    let status = first.stop()?;
    let stop_seconds = stop_start.elapsed().as_secs_f64();
    env.chains[1]
        .restart()
        .context("restarting the destination")?;
    let back = first_receive(config, &env, n, port)?;
    Ok(Restart {
        pending: n,
        send_seconds: (send_end - send_start).as_secs_f64(),
        record_seconds,
        stop_seconds,
        stopped_cleanly: status.is_some_and(|s| s.success()),
        first_recv_seconds: back.seconds,
        first_recv_blocks: back.blocks,
        usage: back.usage,
        ledger_backlog: back.ledger_backlog,
    })
}

/// Waits until the daemon's scanned height of `chain` reaches `height`.
fn wait_scanned(
    config: &BenchConfig,
    relayer: &mut Relayer,
    port: u16,
    chain: &str,
    height: u64,
) -> Result<()> {
    let name = "stateset_relayer_chain_scanned_height";
    let deadline = Instant::now() + config.timeout;
    loop {
        relayer.check_running()?;
        let seen = metric(port, name, &[("chain", chain)]);
        if matches!(seen, Ok(h) if h >= height as f64) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "{name}{{chain={chain}}} did not reach {height} within {:?}: {seen:?}",
                config.timeout
            );
        }
        std::thread::sleep(config.poll_interval);
    }
}

/// What the daemon did after its second start.
struct FirstReceive {
    usage: Usage,
    seconds: f64,
    blocks: u64,
    ledger_backlog: Option<u64>,
}

/// Starts the daemon again (its telemetry on `port`) and polls the destination's tx
/// index until a MsgRecvPacket appears.
fn first_receive(
    config: &BenchConfig,
    env: &Env,
    pending: usize,
    port: u16,
) -> Result<FirstReceive> {
    let rpc_port = env.destination().ports().rpc;
    let (before, _) = recv_txs(rpc_port)?;
    let start_height = env.destination().latest_height()?;
    let mut relayer = Relayer::prepare(config, RelayerKind::Ours, env, "restart", 0)?;
    let started = Instant::now();
    relayer.start()?;
    let pid = relayer.pid()?;
    let start = procstat::read(pid)?;
    let sampler = Sampler::start(pid)?;
    loop {
        let tick = Instant::now();
        let (count, newest) = recv_txs(rpc_port)?;
        if count > before {
            let seconds = started.elapsed().as_secs_f64();
            let height = newest.context("tx_search counted txs but listed none")?;
            let labels = [
                ("chain", env.source().chain_id()),
                ("channel", packets::CHANNEL),
            ];
            let backlog = metric(port, "stateset_relayer_backlog_packets", &labels).ok();
            let end = procstat::read(pid)?;
            let usage = Usage::between(&sampler, &start, &end, pending)?;
            sampler.finish()?;
            relayer.stop()?;
            return Ok(FirstReceive {
                usage,
                seconds,
                blocks: height.saturating_sub(start_height),
                ledger_backlog: backlog.map(|v| v as u64),
            });
        }
        relayer.check_running()?;
        if started.elapsed() > config.timeout {
            bail!(
                "no MsgRecvPacket within {:?} of the restart; log {}",
                config.timeout,
                relayer.log().display()
            );
        }
        std::thread::sleep(config.poll_interval.saturating_sub(tick.elapsed()));
    }
}

/// How many txs holding a MsgRecvPacket the chain with RPC port `port` indexed, and the
/// height of the newest.
fn recv_txs(port: u16) -> Result<(u64, Option<u64>)> {
    let path = format!("/tx_search?query={RECV_QUERY}&per_page=1&page=1&order_by=%22desc%22");
    let result = rpc::get_result(port, &path).context("tx_search for MsgRecvPacket")?;
    let count = packets::number(&result["total_count"])
        .with_context(|| format!("tx_search: no total_count in {result}"))?;
    let newest = match result["txs"].as_array() {
        Some(txs) => match txs.first() {
            Some(tx) => Some(
                packets::number(&tx["height"])
                    .with_context(|| format!("tx_search: a tx without height: {tx}"))?,
            ),
            None => None,
        },
        None => bail!("tx_search: no txs list in {}", cut(&result)),
    };
    Ok((count, newest))
}

/// A JSON value's text, cut to 300 characters.
fn cut(value: &Value) -> String {
    value.to_string().chars().take(300).collect()
}
