//! Clearing: compares packet commitments and unreceived sequences on both chains with the
//! ledger, and records what is missing (sent packets, written acknowledgements), never
//! with one query per sequence: sends from the blocks they are in when those are close
//! together ([`clear_blocks`]), otherwise, like acknowledgements, with range queries over a
//! sequence range (`tx_search` with `packet_sequence >= min AND <= max`). The workers then
//! relay it as usual.

use std::collections::BTreeSet;

use futures::stream::{self, StreamExt};

use stateset_channels::events::{parse_abci_event, IbcEvent};
use tendermint_rpc::query::Query;
use tracing::{info, warn};

use super::clear_blocks;
use super::error::RelayError;
use super::Path;
use crate::chain::ChainEndpoint;
use crate::store::{Ledger, PacketState, Store};

/// Results per tx_search page.
const PER_PAGE: u8 = 100;
/// At most this many pages per search (a node that reports a huge total cannot keep a
/// clearing pass going for ever); the next pass goes on from what is still missing.
const MAX_PAGES: u32 = 1_000;

/// What one clearing pass found.
#[derive(Debug, Default, Clone, Copy)]
pub struct ClearReport {
    /// Packet commitments on the source.
    pub commitments: usize,
    /// Sent packets added to the ledger.
    pub sends_added: usize,
    /// Acknowledgements added to the ledger.
    pub acks_added: usize,
    /// tx_search pages read.
    pub pages: usize,
    /// Blocks read (a backlog's sends found by their blocks, see [`clear_blocks`]).
    pub blocks: usize,
}

/// Clears the direction `path.a` → `path.b`, reading a backlog's sends from their blocks
/// when they lie within [`clear_blocks::MAX_BLOCK_SPAN`] blocks.
pub async fn clear(
    src: &ChainEndpoint,
    dst: &ChainEndpoint,
    path: &Path,
    store: &Store,
) -> Result<ClearReport, RelayError> {
    clear_with_span(src, dst, path, store, clear_blocks::MAX_BLOCK_SPAN).await
}

/// [`clear`], reading missing sends from their blocks only when they lie within
/// `max_block_span` blocks (0: always by range search).
pub async fn clear_with_span(
    src: &ChainEndpoint,
    dst: &ChainEndpoint,
    path: &Path,
    store: &Store,
    max_block_span: u64,
) -> Result<ClearReport, RelayError> {
    let ledger = store.ledger(&path.a.chain, path.a.port.as_str(), path.a.channel.as_str())?;
    let mut report = ClearReport::default();
    // The ledger is read before the chains: a packet the worker finishes while the chains
    // are queried is in this snapshot, so a commitment or ack that was still there when
    // queried cannot bring it back (relayed a second time, it would be a NOOP).
    let known: std::collections::HashMap<u64, PacketState> = ledger
        .records()?
        .into_iter()
        .map(|r| (r.packet.sequence, r.state))
        .collect();
    let commitments = src
        .grpc()
        .packet_commitments(path.a.port.as_str(), path.a.channel.as_str())
        .await?
        .sequences;
    report.commitments = commitments.len();
    if commitments.is_empty() {
        return Ok(report);
    }
    let unreceived: BTreeSet<u64> = dst
        .grpc()
        .unreceived_packets(path.b.port.as_str(), path.b.channel.as_str(), &commitments)
        .await?
        .into_iter()
        .collect();
    let missing_sends: BTreeSet<u64> = unreceived
        .iter()
        .copied()
        .filter(|s| !known.contains_key(s))
        .collect();
    let missing_acks: BTreeSet<u64> = commitments
        .iter()
        .copied()
        .filter(|s| !unreceived.contains(s) && known.get(s) != Some(&PacketState::AckWritten))
        .collect();
    if !missing_sends.is_empty() {
        record_sends(
            src,
            path,
            &ledger,
            &missing_sends,
            max_block_span,
            &mut report,
        )
        .await?;
    }
    if !missing_acks.is_empty() {
        record_acks(dst, path, &ledger, &missing_acks, &mut report).await?;
    }
    if report.sends_added + report.acks_added > 0 {
        info!(path = %path.name(), commitments = report.commitments, sends = report.sends_added,
            acks = report.acks_added, pages = report.pages, blocks = report.blocks, "clearing recorded missing packets");
    }
    Ok(report)
}

/// Records the sends of `missing` found on `src`: from their blocks when they lie within
/// `max_block_span` of each other, otherwise by range search.
async fn record_sends(
    src: &ChainEndpoint,
    path: &Path,
    ledger: &Ledger,
    missing: &BTreeSet<u64>,
    max_block_span: u64,
    report: &mut ClearReport,
) -> Result<(), RelayError> {
    let ours = |event: &IbcEvent| {
        matches!(event, IbcEvent::SendPacket(p)
            if p.source_channel == path.a.channel && p.source_port == path.a.port)
    };
    let mut added = 0;
    // Shared by `record` and the check after the blocks (a Mutex: the future is Send).
    let seen = std::sync::Mutex::new(BTreeSet::new());
    let mut record = |event: &IbcEvent, height: u64| {
        if let IbcEvent::SendPacket(p) = event {
            if ours(event) && missing.contains(&p.sequence) {
                added += usize::from(ledger.record_sent(p, Some(height))?);
                seen.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(p.sequence);
            }
        }
        Ok(())
    };
    let mut rest = missing.clone();
    if let Some(blocks) = clear_blocks::send_blocks(src, missing, ours, max_block_span).await? {
        let (first, last) = (*blocks.start(), *blocks.end());
        match clear_blocks::read_blocks(src, blocks, &mut record).await {
            Ok(read) => report.blocks += read,
            // A node that keeps no block results (`discard_abci_responses`, pruning) still
            // answers the index: what was read is kept, the rest is searched.
            Err(e) => warn!(path = %path.name(), first, last, error = %e,
                "clearing: the sends' blocks could not be read; searching the index instead"),
        }
        let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
        rest.retain(|s| !seen.contains(s));
    }
    // What the blocks did not hold: none, unless some could not be read.
    if !rest.is_empty() {
        let terms = end_terms(path, Side::Source);
        report.pages += search_chunked(src, "send_packet", &terms, &rest, &mut record).await?;
    }
    report.sends_added += added;
    Ok(())
}

/// Records the acknowledgements of `missing` written on `dst`, by range search (the order
/// they are written in is not the sequences' order, so their blocks are not bounded).
async fn record_acks(
    dst: &ChainEndpoint,
    path: &Path,
    ledger: &Ledger,
    missing: &BTreeSet<u64>,
    report: &mut ClearReport,
) -> Result<(), RelayError> {
    let terms = end_terms(path, Side::Destination);
    let kind = "write_acknowledgement";
    let mut added = 0;
    report.pages += search_chunked(dst, kind, &terms, missing, |event, height| {
        if let IbcEvent::WriteAcknowledgement { packet, ack } = event {
            if packet.destination_channel == path.b.channel
                && packet.destination_port == path.b.port
                && missing.contains(&packet.sequence)
            {
                ledger.record_ack(packet, ack, Some(height))?;
                added += 1;
            }
        }
        Ok(())
    })
    .await?;
    report.acks_added += added;
    Ok(())
}

/// Which end of a path a search is about.
#[derive(Clone, Copy)]
enum Side {
    /// `path.a`, where packets are sent.
    Source,
    /// `path.b`, where they are received and acknowledged.
    Destination,
}

/// The event attributes (and values) that name `path`'s end on `side`: port and channel,
/// or for IBC v2 the client.
fn end_terms(path: &Path, side: Side) -> Vec<(&'static str, String)> {
    let (end, src) = match side {
        Side::Source => (&path.a, true),
        Side::Destination => (&path.b, false),
    };
    match (path.is_v2(), src) {
        (true, true) => vec![("packet_source_client", end.client.clone())],
        (true, false) => vec![("packet_dest_client", end.client.clone())],
        // The channel alone: a channel id is unique on its chain, and every term is another
        // pass over the node's index (the port is checked on each event found).
        (false, true) => vec![("packet_src_channel", end.channel.to_string())],
        (false, false) => vec![("packet_dst_channel", end.channel.to_string())],
    }
}

/// `kind.key='value' AND … AND kind.packet_sequence>=min AND kind.packet_sequence<=max`.
fn range_query(kind: &str, terms: &[(&'static str, String)], seqs: &BTreeSet<u64>) -> Query {
    // Callers pass a non-empty set; an empty one asks for sequence 0, which matches nothing.
    let min = seqs.first().copied().unwrap_or(0);
    let max = seqs.last().copied().unwrap_or(0);
    // (No `tm.event='Tx'` term: tx_search does not index it and would match nothing.)
    let mut query = Query::gte(format!("{kind}.packet_sequence"), min)
        .and_lte(format!("{kind}.packet_sequence"), max);
    for (key, value) in terms {
        query = query.and_eq(format!("{kind}.{key}"), value.as_str());
    }
    query
}

/// Sequences one `tx_search` asks for at most: a backlog of thousands in one query is a
/// response of megabytes that a node may not finish within `rpc_timeout` (and nothing
/// would be recorded until it did).
const SEARCH_CHUNK: usize = 200;
/// Chunks searched at once.
const SEARCH_CONCURRENCY: usize = 4;

/// Searches `kind` events (on the end named by `terms`) for `wanted`, in chunks of
/// [`SEARCH_CHUNK`] sequences, [`SEARCH_CONCURRENCY`] at once, handing every IBC event
/// found to `found` as each chunk comes in: the first packets of a large backlog are
/// recorded (and relayed) while the rest is still searched. Returns the pages read.
async fn search_chunked(
    chain: &ChainEndpoint,
    kind: &str,
    terms: &[(&'static str, String)],
    wanted: &BTreeSet<u64>,
    mut found: impl FnMut(&IbcEvent, u64) -> Result<(), crate::store::StoreError>,
) -> Result<usize, RelayError> {
    let sorted: Vec<u64> = wanted.iter().copied().collect();
    let chunks: Vec<BTreeSet<u64>> = sorted
        .chunks(SEARCH_CHUNK)
        .map(|c| c.iter().copied().collect())
        .collect();
    let mut searches = stream::iter(chunks)
        .map(|chunk| async move {
            let query = range_query(kind, terms, &chunk);
            search(chain, query, &chunk).await
        })
        .buffered(SEARCH_CONCURRENCY);
    let mut pages = 0;
    while let Some(result) = searches.next().await {
        let (events, read) = result?;
        pages += read;
        for (event, height) in &events {
            found(event, *height)?;
        }
    }
    Ok(pages)
}

/// Pages through `query` on `chain` until every one of `wanted` was seen or the results
/// end. Returns the IBC events found, each with its tx's height, and the pages read.
async fn search(
    chain: &ChainEndpoint,
    query: Query,
    wanted: &BTreeSet<u64>,
) -> Result<(Vec<(IbcEvent, u64)>, usize), RelayError> {
    let mut events = Vec::new();
    let mut seen = BTreeSet::new();
    let mut page = 1u32;
    loop {
        let response = chain.rpc().tx_search(query.clone(), page, PER_PAGE).await?;
        for tx in &response.txs {
            let height = tx.height.value();
            for event in &tx.tx_result.events {
                if let Ok(Some(ibc)) = parse_abci_event(event) {
                    if let IbcEvent::SendPacket(p)
                    | IbcEvent::WriteAcknowledgement { packet: p, .. } = &ibc
                    {
                        seen.insert(p.sequence);
                    }
                    events.push((ibc, height));
                }
            }
        }
        let read = page as usize * PER_PAGE as usize;
        if wanted.is_subset(&seen)
            || read >= response.total_count as usize
            || response.txs.is_empty()
            || page >= MAX_PAGES
        {
            return Ok((events, page as usize));
        }
        page += 1;
    }
}
