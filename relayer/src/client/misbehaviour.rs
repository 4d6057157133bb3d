//! Misbehaviour: watching the headers that anyone puts into the clients the relayer serves,
//! and freezing a client that was fooled by a fork of the chain it tracks.
//!
//! Once per daemon pass and (host, source) pair, [`check_misbehaviour`] reads the host's txs
//! that updated a served client since the last pass (`tx_search` on `update_client` events,
//! paged and bounded), decodes the headers from the tx bodies (ibc-go v9 dropped the event's
//! `header` attribute) and compares each block hash with the block the source chain's own
//! node has at that height. A different block is a fork: the relayer builds a 07-tendermint
//! `Misbehaviour` (header 1: the header as submitted; header 2: the source's header at the
//! same height, verified here from the same trusted consensus state), submits it in a
//! MsgUpdateClient (the form ibc-go v8 to v11 accept; v11 has no MsgSubmitMisbehaviour) and
//! confirms that the client is Frozen.

use std::collections::HashMap;

use ibc_proto::cosmos::tx::v1beta1::{TxBody, TxRaw};
use ibc_proto::google::protobuf::Any;
use ibc_proto::ibc::core::client::v1::{Height as ProtoHeight, MsgUpdateClient};
use ibc_proto::ibc::lightclients::tendermint::v1::{Header as TmHeader, Misbehaviour};
use prost::{Message, Name};
use tendermint::block::{Header, Height as TmHeight};
use tendermint::Hash;
use tendermint_light_client_verifier::types::TrustThreshold;
use tendermint_rpc::query::Query;
use tracing::{debug, error, warn};

use super::light_block::LightBlockSource;
use super::ops::{host_time, signer, summarize};
use super::state::{decode_client_state, decode_consensus_state, proto_duration};
use super::verify::{verify_to_target, VerifyOptions};
use super::{ClientError, ClientStatus};
use crate::chain::rpc::MAX_PER_PAGE;
use crate::chain::tx::{encode_any, MISBEHAVIOUR_MEMO};
use crate::chain::{ChainEndpoint, ChainError};

/// The most `tx_search` pages (of 100 txs) read per client and pass; the rest waits.
const MAX_PAGES: u32 = 10;

pub use super::watch::MisbehaviourWatch;

/// A header a host accepted that is not the tracked chain's block at its height.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The client that accepted it.
    pub client_id: String,
    /// The tracked chain's height.
    pub height: u64,
    /// The hash of the header as submitted.
    pub submitted_hash: Hash,
    /// The hash of the source node's own block at that height.
    pub source_hash: Hash,
    /// The host tx that submitted it.
    pub host_tx: String,
    /// The host height of that tx.
    pub host_height: u64,
    /// The signer of the MsgUpdateClient that carried it.
    pub submitted_by: String,
    /// The relayer's evidence tx (hash, host height); `None` when the client was Frozen before.
    pub evidence: Option<(String, u64)>,
    /// Whether the client is Frozen after the evidence.
    pub frozen: bool,
}

/// What one [`check_misbehaviour`] pass did.
#[derive(Clone, Debug, Default)]
pub struct MisbehaviourReport {
    /// Clients whose new updates were scanned (not those seen for the first time).
    pub clients_checked: Vec<String>,
    /// Submitted headers compared with the source's blocks.
    pub headers_checked: usize,
    /// Conflicting headers found, with the evidence submitted for each.
    pub conflicts: Vec<Conflict>,
    /// (client, height) of headers the source's node could not serve yet: checked next pass.
    pub deferred: Vec<(String, u64)>,
}

/// A MsgUpdateClient header found in a host tx, with the message's signer.
#[derive(Clone, Debug, PartialEq)]
pub struct SubmittedHeader {
    /// The 07-tendermint header as submitted.
    pub header: TmHeader,
    /// The message's signer.
    pub signer: String,
}

/// A submitted header compared with the source chain's block at its height.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderVerdict {
    /// The same block.
    Matches,
    /// The source's node has no block at that height (yet): check again later.
    SourceBehind,
    /// Another block at the same height, a fork: (submitted hash, source's block hash).
    Conflict(Hash, Hash),
}

/// Checks the updates of `clients` (ids on `host` of clients that track `source`) made since
/// the last pass, and submits misbehaviour evidence for every header that is not `source`'s
/// own block at its height, then confirms the client is Frozen. A client seen for the first
/// time is only noted (at the host's latest height). A client that fails is logged and the
/// others go on; the first error is returned after (that client is checked again next pass).
pub async fn check_misbehaviour(
    host: &ChainEndpoint,
    source: &ChainEndpoint,
    clients: &[String],
    watch: &mut MisbehaviourWatch,
) -> Result<MisbehaviourReport, ClientError> {
    let mut report = MisbehaviourReport::default();
    if clients.is_empty() {
        return Ok(report);
    }
    let latest = host.rpc().latest_height().await?.value();
    let mut source_headers = HashMap::new();
    let mut first_error = None;
    for client_id in clients {
        let Some(from) = watch.start(host.id(), client_id, latest) else {
            debug!(host = host.id(), client = %client_id, from = latest, "watching client updates");
            continue;
        };
        report.clients_checked.push(client_id.clone());
        if from >= latest {
            continue;
        }
        let scan = Scan {
            host,
            source,
            client_id,
            from,
            to: latest,
        };
        match scan.run(&mut source_headers, &mut report).await {
            Ok(done) => watch.record(host.id(), client_id, done),
            Err(e) => {
                warn!(host = host.id(), client = %client_id, error = %e, "misbehaviour check failed");
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

/// One client's updates in the host heights `(from, to]`.
struct Scan<'a> {
    host: &'a ChainEndpoint,
    source: &'a ChainEndpoint,
    client_id: &'a str,
    from: u64,
    to: u64,
}

impl Scan<'_> {
    /// Checks every submitted header; returns the host height checked up to.
    async fn run(
        &self,
        source_headers: &mut HashMap<u64, Header>,
        report: &mut MisbehaviourReport,
    ) -> Result<u64, ClientError> {
        let (txs, complete) = self.update_txs().await?;
        for tx in &txs {
            for submitted in submitted_headers(&tx.bytes, self.client_id) {
                let Some(header) = domain_header(&submitted.header) else {
                    warn!(host = self.host.id(), client = self.client_id, tx = %tx.hash,
                        "a submitted header does not decode; skipped");
                    continue;
                };
                report.headers_checked += 1;
                let ours = source_header(self.source, header.height, source_headers).await;
                match judge(&header, ours.as_ref()) {
                    HeaderVerdict::Matches => {}
                    HeaderVerdict::SourceBehind => {
                        let height = header.height.value();
                        report.deferred.push((self.client_id.to_string(), height));
                        return Ok(tx.height.saturating_sub(1).max(self.from));
                    }
                    HeaderVerdict::Conflict(submitted_hash, source_hash) => {
                        let conflict = Conflict {
                            client_id: self.client_id.to_string(),
                            height: header.height.value(),
                            submitted_hash,
                            source_hash,
                            host_tx: tx.hash.clone(),
                            host_height: tx.height,
                            submitted_by: submitted.signer.clone(),
                            evidence: None,
                            frozen: false,
                        };
                        self.freeze(conflict, submitted.header, report).await?;
                        return Ok(self.to);
                    }
                }
            }
        }
        let last = txs.last().map(|t| t.height);
        Ok(resume_height(last, self.from, self.to, complete))
    }

    /// The host txs with an `update_client` event of the client, in order; whether that is
    /// all of them (at most [`MAX_PAGES`] pages are read).
    async fn update_txs(&self) -> Result<(Vec<UpdateTx>, bool), ChainError> {
        let query = Query::eq("update_client.client_id", self.client_id)
            .and_gt("tx.height", self.from)
            .and_lte("tx.height", self.to);
        let mut txs = Vec::new();
        for page in 1..=MAX_PAGES {
            let found = self
                .host
                .rpc()
                .tx_search(query.clone(), page, MAX_PER_PAGE)
                .await?;
            let total = usize::try_from(found.total_count).unwrap_or(usize::MAX);
            let empty = found.txs.is_empty();
            txs.extend(found.txs.into_iter().map(|t| UpdateTx {
                height: t.height.value(),
                hash: t.hash.to_string(),
                bytes: t.tx,
            }));
            if empty || txs.len() >= total {
                return Ok((txs, true));
            }
        }
        Ok((txs, false))
    }

    /// Logs the conflict, submits the evidence unless the client is Frozen already, and
    /// confirms the client is Frozen.
    async fn freeze(
        &self,
        mut conflict: Conflict,
        header_1: TmHeader,
        report: &mut MisbehaviourReport,
    ) -> Result<(), ClientError> {
        let (host, client_id) = (self.host, self.client_id);
        error!(host = host.id(), client = client_id, source = self.source.id(),
            height = conflict.height, submitted_hash = %conflict.submitted_hash,
            source_hash = %conflict.source_hash, host_tx = %conflict.host_tx,
            host_height = conflict.host_height, submitted_by = %conflict.submitted_by,
            "MISBEHAVIOUR: a client was updated with a header that is not the source chain's block at its height (a fork); submitting evidence");
        let height = TmHeight::try_from(conflict.height).map_err(|e| decode_err(client_id, e))?;
        if summarize(host, client_id).await?.status == ClientStatus::Frozen {
            error!(host = host.id(), client = %client_id, "the client is already Frozen");
            conflict.frozen = true;
            report.conflicts.push(conflict);
            return Ok(());
        }
        let msg = evidence_msg(host, self.source, client_id, header_1, height).await?;
        let tx = host.send_msgs(vec![msg], MISBEHAVIOUR_MEMO).await?;
        conflict.frozen = summarize(host, client_id).await?.status == ClientStatus::Frozen;
        stateset_monitoring::global()
            .misbehaviour_submitted
            .with_label_values(&[host.id(), client_id])
            .inc();
        error!(host = host.id(), client = client_id, evidence_tx = %tx.hash,
            evidence_height = tx.height, frozen = conflict.frozen, "misbehaviour evidence submitted");
        conflict.evidence = Some((tx.hash, tx.height));
        report.conflicts.push(conflict);
        Ok(())
    }
}

/// A host tx found by `tx_search`.
struct UpdateTx {
    height: u64,
    hash: String,
    bytes: Vec<u8>,
}

/// The host height a scan of `(from, to]` got to: `to` when every tx was read, else just
/// below the last tx read (its height may have more txs), but always past `from`.
pub fn resume_height(last_read: Option<u64>, from: u64, to: u64, complete: bool) -> u64 {
    match (complete, last_read) {
        (true, _) | (false, None) => to,
        (false, Some(last)) if last.saturating_sub(1) > from => last - 1,
        (false, Some(last)) => last,
    }
}

/// The source chain's own header at `height` (cached for the pass); `None` when its node
/// does not have it (behind, or unreachable: the header is checked again next pass).
async fn source_header(
    source: &ChainEndpoint,
    height: TmHeight,
    cache: &mut HashMap<u64, Header>,
) -> Option<Header> {
    if let Some(h) = cache.get(&height.value()) {
        return Some(h.clone());
    }
    let fetched = match source.rpc().latest_height().await {
        Ok(latest) if latest < height => return None,
        Ok(_) => source.rpc().signed_header(height).await,
        Err(e) => Err(e),
    };
    match fetched {
        Ok(signed) => Some(cache.entry(height.value()).or_insert(signed.header).clone()),
        Err(e) => {
            warn!(source = source.id(), %height, error = %e, "cannot read the source's own header; checking again next pass");
            None
        }
    }
}

/// The 07-tendermint headers of the MsgUpdateClient messages for `client_id` in a raw tx,
/// in order (misbehaviour messages and other messages skipped; nothing for bytes that are
/// not a Cosmos SDK tx).
pub fn submitted_headers(tx_bytes: &[u8], client_id: &str) -> Vec<SubmittedHeader> {
    let Ok(raw) = TxRaw::decode(tx_bytes) else {
        return Vec::new();
    };
    let Ok(body) = TxBody::decode(raw.body_bytes.as_slice()) else {
        return Vec::new();
    };
    body.messages
        .iter()
        .filter(|m| m.type_url == MsgUpdateClient::type_url())
        .filter_map(|m| MsgUpdateClient::decode(m.value.as_slice()).ok())
        .filter(|m| m.client_id == client_id)
        .filter_map(|m| {
            let any = m.client_message?;
            (any.type_url == TmHeader::type_url())
                .then(|| TmHeader::decode(any.value.as_slice()).ok())
                .flatten()
                .map(|header| SubmittedHeader {
                    header,
                    signer: m.signer,
                })
        })
        .collect()
}

/// The block header inside a submitted 07-tendermint header, if it decodes.
pub fn domain_header(header: &TmHeader) -> Option<Header> {
    let raw = header.signed_header.as_ref()?.header.clone()?;
    Header::try_from(raw).ok()
}

/// Compares a submitted header with the source's own header at the same height (`None`:
/// the source's node does not have that height).
pub fn judge(submitted: &Header, source: Option<&Header>) -> HeaderVerdict {
    let Some(ours) = source else {
        return HeaderVerdict::SourceBehind;
    };
    let (submitted_hash, source_hash) = (submitted.hash(), ours.hash());
    if submitted_hash == source_hash {
        HeaderVerdict::Matches
    } else {
        HeaderVerdict::Conflict(submitted_hash, source_hash)
    }
}

/// MsgUpdateClient carrying the misbehaviour of `header_1` and `header_2` (same height,
/// different blocks) for `client_id`.
pub fn misbehaviour_msg(
    client_id: &str,
    header_1: TmHeader,
    header_2: TmHeader,
    signer: &str,
) -> Any {
    // `client_id` is deprecated in the Misbehaviour but still validated by older ibc-go.
    #[allow(deprecated)]
    let evidence = Misbehaviour {
        client_id: client_id.to_string(),
        header_1: Some(header_1),
        header_2: Some(header_2),
    };
    encode_any(&MsgUpdateClient {
        client_id: client_id.to_string(),
        client_message: Some(encode_any(&evidence)),
        signer: signer.to_string(),
    })
}

/// The evidence against `header_1`: the source's own header at `height`, trusted from
/// `header_1`'s trusted height with the source's validators of the next height, verified
/// here in one step from the client's consensus state there (as ibc-go will).
async fn evidence_msg(
    host: &ChainEndpoint,
    source: &ChainEndpoint,
    client_id: &str,
    header_1: TmHeader,
    height: TmHeight,
) -> Result<Any, ClientError> {
    let trusted_height = header_1
        .trusted_height
        .filter(|h| h.revision_height > 0)
        .ok_or_else(|| decode_err(client_id, "the submitted header has no trusted height"))?;
    let at =
        TmHeight::try_from(trusted_height.revision_height).map_err(|e| decode_err(client_id, e))?;
    let (options, next_validators_hash) = trust_context(host, client_id, trusted_height).await?;
    let trusted = source.rpc().light_block(at).await?;
    if trusted.next_validators.hash().as_bytes() != next_validators_hash.as_slice() {
        return Err(ClientError::TrustedMismatch {
            chain: source.id().to_string(),
            client_id: client_id.to_string(),
            height: at.value(),
            detail: "next validators hash (the evidence cannot be trusted from there)".into(),
        });
    }
    let verified =
        verify_to_target(source.rpc(), source.id(), trusted.clone(), height, &options).await?;
    let [block] = verified.as_slice() else {
        return Err(ClientError::Verification {
            chain: source.id().to_string(),
            height: height.value(),
            trusted: at.value(),
            detail: format!("needs {} steps; evidence takes one", verified.len()),
        });
    };
    let header_2 = TmHeader {
        signed_header: Some(block.signed_header.clone().into()),
        validator_set: Some(block.validators.clone().into()),
        trusted_height: Some(trusted_height),
        trusted_validators: Some(trusted.next_validators.clone().into()),
    };
    Ok(misbehaviour_msg(
        client_id,
        header_1,
        header_2,
        &signer(host)?,
    ))
}

/// The client's verification options (judged at the host's clock) and the next validators
/// hash of its consensus state at `trusted`.
async fn trust_context(
    host: &ChainEndpoint,
    client_id: &str,
    trusted: ProtoHeight,
) -> Result<(VerifyOptions, Vec<u8>), ClientError> {
    let any = host
        .grpc()
        .client_state(client_id, None)
        .await?
        .ok_or_else(|| ClientError::NotFound {
            host: host.id().to_string(),
            client_id: client_id.to_string(),
        })?;
    let state = decode_client_state(&any)
        .map_err(|e| decode_err(client_id, e))?
        .ok_or_else(|| decode_err(client_id, "not a 07-tendermint client"))?;
    let (rev, at) = (trusted.revision_number, trusted.revision_height);
    let consensus = host
        .grpc()
        .consensus_state(client_id, rev, at)
        .await?
        .ok_or_else(|| decode_err(client_id, format!("no consensus state at {rev}-{at}")))?;
    let consensus = decode_consensus_state(&consensus).map_err(|e| decode_err(client_id, e))?;
    let level = state.trust_level.unwrap_or_default();
    let options = VerifyOptions {
        trust_threshold: TrustThreshold::new(level.numerator, level.denominator)
            .map_err(|e| decode_err(client_id, format!("trust level: {e}")))?,
        trusting_period: proto_duration(state.trusting_period.as_ref())
            .ok_or_else(|| decode_err(client_id, "no trusting period"))?,
        clock_drift: proto_duration(state.max_clock_drift.as_ref()).unwrap_or_default(),
        now: host_time(host).await?,
    };
    Ok((options, consensus.next_validators_hash))
}

fn decode_err(client_id: &str, detail: impl std::fmt::Display) -> ClientError {
    ClientError::Decode {
        client_id: client_id.to_string(),
        detail: detail.to_string(),
    }
}

#[cfg(test)]
#[path = "misbehaviour_tests.rs"]
mod tests;
