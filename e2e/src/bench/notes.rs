//! Fixed text of `results.md`: how the figures are measured, the relayers' settings, and
//! what Hermes's two warnings on these chains mean (read in Hermes v1.11.0's source).

/// How each figure is measured.
pub const METHOD: &str = "\
Every measurement starts two fresh single-validator simd chains on 127.0.0.1 (a block
every ~250 ms when idle), opens `transfer/channel-0` with our CLI, and sends ICS-20
transfers of 1stake with our CLI (`tx transfer`, which waits for each tx to be in a block),
`per_tx` transfers per tx, from `senders` accounts at once (user1 and keys derived from its
mnemonic), so that several txs go into one block. Progress is read from the source chain
alone: a packet is done when its commitment is gone, i.e. its acknowledgement came back.

- **Ceiling**: no relayer; `ceiling_senders` accounts send as fast as they can; the
  commitments that appear per second (after a ramp-up) are what the chain carries of these
  txs sent this way, a lower bound of what it could carry (each sender waits for its tx to
  be in a block before it sends the next).
- **Backlog**: N transfers sent while no relayer runs; the time and blocks from the relayer's
  start until no commitment is left.
- **Steady load**: after a warm-up transfer and an idle window, `rate` transfers per second
  (each second every sender in use sends one tx of its share) for `duration`; each packet's
  latency from its commitment appearing to it disappearing, both seen by the same polling,
  so the polling delay cancels out on average; in blocks: seconds / the mean block interval
  meanwhile. *acked/s*: acknowledgements per second over the load's window shifted by the
  median latency (when the load's acknowledgements are due); it *kept up* when that is at
  least 90 % of the rate at which commitments appeared during the load and every packet was
  acknowledged in the end (in short runs, txs of 50 make both rates coarse); *backlog at
  end*: commitments outstanding when sending ended; *drain*: from then to the last ack.
- **Memory and CPU**: the relayer process's VmRSS (`/proc/<pid>/status`, sampled every
  0.5 s; VmHWM too) and utime+stime (`/proc/<pid>/stat`, divided by `getconf CLK_TCK`),
  read the same way for both relayers. Idle: after the warm-up, over the idle window. CPU
  per 1,000 packets: CPU seconds from the relayer's start (backlog) or the load's start
  (steady load) until the last ack, per 1,000 packets.
- **Restart** (ours): the daemon records N sends in its ledger while the destination chain
  is down (stopped: its ports are closed), is stopped with SIGTERM, the destination comes
  back, and the daemon starts again: the time from its spawn to the first MsgRecvPacket in
  a block of the destination, read from the destination's tx index (`tx_search` for
  `message.action='/ibc.core.channel.v1.MsgRecvPacket'`, polled every `poll_interval`). The
  daemon has recorded every send once its `stateset_relayer_chain_scanned_height` for the
  source reaches the height at which sending ended.";

/// The relayers' settings.
pub const SETTINGS: &str = "\
**Ours** (`ours-*.toml` beside this file): the e2e harness's config: push event source
(`batch_delay` 500 ms default), `scan_interval` 1 s, `refresh_fraction` 1/3, defaults
otherwise: `clear_interval` 100 blocks (and clearing at start), `max_msg_num` 30,
`max_tx_size` 180000, `gas_multiplier` 1.3, `max_gas` 4000000, `default_gas` 300000, gas
price 0.001stake, misbehaviour watch on, telemetry off (on for the restart run).

**Hermes** (`hermes-*.toml` beside this file), set as its guide advises for this load:
`clear_on_start = true` (a backlog is found only by clearing), `clear_limit` = the backlog's
size (Hermes clears at most `clear_limit` packets per clearing, default 50, the next ones
only `clear_interval` blocks later; ours clears everything at start), `clear_interval = 100`
(its default, as ours), `tx_confirmation = false` (its default; `true` only adds
`/tx_search` polling for telemetry), push event source with `batch_delay = '500ms'` (its
default, \"a good balance\", as ours), a `packet_filter` allow list of `transfer/channel-0`
(no scan of every channel at start), `max_msg_num = 30` and `max_tx_size = 180000`, gas as
ours but `default_gas = 1000000` (with several txs in flight Hermes's simulation fails with
\"account sequence mismatch\" and it falls back on `default_gas`; at 300000 every such
30-message tx ran out of gas, and its diagnostic says to raise it), `max_block_time =
'30s'` (must equal the genesis `max_expected_time_per_block`), client refresh on, misbehaviour off, connection and channel workers off, and its defaults
for `sequential_batch_tx` (false), `query_packets_chunk_size` (50) and `trusted_node`
(false).";

/// What Hermes's warnings on these chains mean.
pub const HERMES_FINDINGS: &str = "\
**`IBC-Go module version not found, required >=4.1.1, <9`** is harmless here. Hermes
(v1.11.0) asks the node for `/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo` over ABCI
(`crates/relayer/src/chain/cosmos/query.rs:124-132`, `fetch_version_specs`) and looks for a
build dependency whose path starts with `github.com/cosmos/ibc-go/v`
(`crates/relayer/src/chain/cosmos/version.rs:28,138`); none is found, so
`compatibility.rs:83-97` reports it, and `do_health_check` (`cosmos.rs:2811`) returns
early. `health_check` (`cosmos.rs:1013`) only logs it (\"some Hermes features may not work
in this mode!\"); nothing on the relaying path reads the ibc-go version (only the
`tx upgrade-chain` command, `upgrade_chain.rs:126`). Why it is missing: the Cosmos SDK
(v0.50.9, `version/version.go:100-111`) lists `debug.ReadBuildInfo().Deps`, which never
holds the main module, and `e2e/scripts/build-simd.sh` builds
`github.com/cosmos/ibc-go/v8/testing/simapp/simd`, whose module Go records as the main
module (`go version -m simd-v8`: `mod github.com/cosmos/ibc-go/v8 v8.8.0`); `simd version
--long` lists only `github.com/cosmos/ibc-go/modules/capability@v1.0.1`. Building simd from
a main package of our own module (a copy of simd's `main.go`) would list ibc-go/v8 as a
dependency; simd for ibc-go v10 and v11 is built from its own `simapp` module and lists it.

**`no packet data was pulled at height H for sequences ...`**
(`crates/relayer/src/link/packet_events.rs:45`) is a race in Hermes's clearing, not missing
data (these chains keep every block and index every tx: `pruning = \"nothing\"`,
`tx_index = \"kv\"`). Clearing runs on a `NewBlock` at height H (every `clear_interval`
blocks, and once at start): `worker/packet.rs:333-354` passes H, `link/relay_path.rs:471-479`
makes the query height H-1, `relay_path.rs:1167-1175` reads the unreceived sequences at the
*latest* height, and their SendPacket (or WriteAcknowledgement) events are pulled with
`SmallerEqual(H-1)` (`relay_path.rs:1202`): one `tx_search` per sequence
(`chain/cosmos/query/tx.rs:115`, `query_packets_from_txs`), and a tx above the query height
is dropped (`tx.rs:296-306`). So under a steady load, packets sent in blocks from H on are
counted but not pulled, and logged; they are relayed from their own events. The same
happens to acknowledgements written on the destination while a backlog is relayed.";
