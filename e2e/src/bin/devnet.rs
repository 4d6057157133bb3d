//! The local devnet: two single-validator simd chains (ibc-go v10, so that both classic
//! IBC and IBC v2 can be shown) on fixed ports, with homes under
//! `<repo>/.devnet/<chain-id>` (wiped at start), running in the foreground until
//! SIGINT or SIGTERM.
//!
//! | chain | RPC | P2P | gRPC | pprof |
//! |---|---|---|---|---|
//! | `stateset-devnet-1` | 26657 | 26656 | 9090 | 6060 |
//! | `partner-devnet-1` | 27657 | 27656 | 9190 | 6061 |
//!
//! It also writes the relayer's mnemonic to `.devnet/relayer.mnemonic` (mode 0600) for
//! `stateset-relayer keys add --mnemonic-file`. Once both chains produce blocks it
//! prints `devnet ready` on a line of its own.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context};
use stateset_e2e::{accounts, start_many, ChainSpec, Ports, TestChain};
use tokio::signal::unix::{signal, SignalKind};

/// The simd the devnet runs: ibc-go v10 (classic IBC and IBC v2).
const DEVNET_SIMD: &str = "v10";

/// The devnet's chains: id, ports.
const CHAINS: [(&str, Ports); 2] = [
    (
        "stateset-devnet-1",
        Ports {
            rpc: 26657,
            p2p: 26656,
            grpc: 9090,
            pprof: 6060,
        },
    ),
    (
        "partner-devnet-1",
        Ports {
            rpc: 27657,
            p2p: 27656,
            grpc: 9190,
            pprof: 6061,
        },
    ),
];

fn main() -> anyhow::Result<()> {
    if std::env::args().skip(1).any(|a| a == "-h" || a == "--help") {
        println!(
            "usage: devnet\n\nStarts stateset-devnet-1 and partner-devnet-1 on 127.0.0.1 with homes \
             under .devnet/ and runs until Ctrl-C."
        );
        return Ok(());
    }
    let devnet_dir = stateset_e2e::workspace_root().join(".devnet");
    std::fs::create_dir_all(&devnet_dir)
        .with_context(|| format!("creating {}", devnet_dir.display()))?;

    let mut specs = Vec::new();
    for (id, ports) in CHAINS {
        let home = devnet_dir.join(id);
        if home.exists() {
            std::fs::remove_dir_all(&home).with_context(|| format!("wiping {}", home.display()))?;
        }
        specs.push(
            ChainSpec::new(id)
                .with_ports(ports)
                .with_home(home)
                .with_simd_version(DEVNET_SIMD),
        );
    }
    let mnemonic_file = devnet_dir.join("relayer.mnemonic");
    write_secret(&mnemonic_file, &format!("{}\n", accounts::RELAYER.mnemonic))?;
    // The demo user's key, for `tx transfer` on the devnet.
    write_secret(
        &devnet_dir.join("user1.mnemonic"),
        &format!("{}\n", accounts::USER1.mnemonic),
    )?;

    println!("starting {} and {} ...", CHAINS[0].0, CHAINS[1].0);
    let started = std::time::Instant::now();
    let mut chains = start_many(specs).context("starting the devnet chains")?;
    println!("both chains produce blocks ({:.1?})\n", started.elapsed());
    for chain in &chains {
        print_chain(chain);
    }
    println!(
        "relayer: key `{}`, address {}, mnemonic in {}",
        accounts::RELAYER.name,
        accounts::RELAYER.address,
        mnemonic_file.display()
    );
    println!(
        "users:   {} {}, {} {}",
        accounts::USER1.name,
        accounts::USER1.address,
        accounts::USER2.name,
        accounts::USER2.address
    );
    println!("\ndevnet ready; Ctrl-C stops it");
    std::io::stdout().flush().ok();

    let outcome = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("building the signal runtime")?
        .block_on(wait_for_signal_or_exit(&mut chains));

    for chain in &mut chains {
        let id = chain.chain_id().to_string();
        match chain.stop() {
            Ok(()) => println!("{id} stopped; home {}", chain.home().display()),
            Err(e) => eprintln!("{id}: {e}"),
        }
    }
    outcome
}

fn print_chain(chain: &TestChain) {
    println!("{}", chain.chain_id());
    println!("  rpc   {}", chain.rpc_url());
    println!("  ws    {}", chain.ws_url());
    println!("  grpc  {}", chain.grpc_url());
    println!("  home  {}", chain.home().display());
    println!("  log   {}", chain.log_path().display());
    if let Some(pid) = chain.pid() {
        println!("  pid   {pid}");
    }
}

/// Waits for SIGINT/SIGTERM (Ok) or for a chain's node to exit on its own (Err).
async fn wait_for_signal_or_exit(chains: &mut [TestChain]) -> anyhow::Result<()> {
    let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut terminate =
        signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut check = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = interrupt.recv() => { println!("\nSIGINT: stopping the devnet"); return Ok(()); }
            _ = terminate.recv() => { println!("SIGTERM: stopping the devnet"); return Ok(()); }
            _ = check.tick() => {
                for chain in chains.iter_mut() {
                    if !chain.is_running() {
                        bail!("{} exited on its own; see {}", chain.chain_id(), chain.log_path().display());
                    }
                }
            }
        }
    }
}

/// Writes `text` to a new file readable only by its owner.
fn write_secret(path: &Path, text: &str) -> anyhow::Result<()> {
    if path.exists() {
        std::fs::remove_file(path).with_context(|| format!("removing {}", path.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}
