//! Driving a channel handshake (or a close) between two live chains.

use ibc_proto::ibc::core::channel::v1::Channel;
use stateset_channels::channel::{
    build_chan_close_confirm, build_chan_open_ack, build_chan_open_confirm, build_chan_open_init,
    build_chan_open_try, next_channel_step, ChanCloseConfirmInput, ChanOpenAckInput,
    ChanOpenConfirmInput, ChanOpenInitInput, ChanOpenTryInput, ChannelEndView, ChannelSpec,
    ChannelStep,
};
use stateset_channels::events::{parse_abci_event, IbcEvent};
use stateset_channels::ids::{ChannelId, ConnectionId, PortId};
use stateset_channels::{paths, HandshakeState, Ordering, Side};

use super::proofs::{client_update, prove};
use super::{DriveError, Pair, Progress, MAX_STEPS};
use crate::chain::malformed::{Malformation, MalformedObject};
use crate::chain::tx::{encode_any, MEMO};
use crate::chain::{ChainEndpoint, TxResult};
use crate::client::ops::signer;

/// The state-machine view of channel `port`/`id` read from `chain`; an error names what is
/// malformed.
pub fn channel_view(
    chain: &str,
    port: &PortId,
    id: &ChannelId,
    end: &Channel,
) -> Result<ChannelEndView, MalformedObject> {
    let bad = |reason| MalformedObject::channel(chain, port, id, reason);
    let cp = end
        .counterparty
        .as_ref()
        .ok_or_else(|| bad(Malformation::Missing("counterparty")))?;
    let hop = end
        .connection_hops
        .first()
        .ok_or_else(|| bad(Malformation::Missing("connection hops")))?;
    let ordering = Ordering::from_proto(end.ordering).ok_or_else(|| {
        bad(Malformation::Invalid {
            field: "ordering",
            value: end.ordering.to_string(),
            detail: "neither ORDER_UNORDERED nor ORDER_ORDERED".into(),
        })
    })?;
    Ok(ChannelEndView {
        port_id: port.clone(),
        channel_id: id.clone(),
        state: HandshakeState::from_channel_state(end.state),
        ordering,
        connection_id: Malformation::parse("connection hop", hop).map_err(bad)?,
        counterparty_port_id: Malformation::parse("counterparty port id", &cp.port_id)
            .map_err(bad)?,
        counterparty_channel_id: if cp.channel_id.is_empty() {
            None
        } else {
            Some(Malformation::parse("counterparty channel id", &cp.channel_id).map_err(bad)?)
        },
        version: end.version.clone(),
    })
}

/// The channel end of a listed channel.
pub fn end_of(c: &ibc_proto::ibc::core::channel::v1::IdentifiedChannel) -> Channel {
    Channel {
        state: c.state,
        ordering: c.ordering,
        counterparty: c.counterparty.clone(),
        connection_hops: c.connection_hops.clone(),
        version: c.version.clone(),
        upgrade_sequence: c.upgrade_sequence,
    }
}

/// Reads channel `port`/`id` on `chain` (None when it does not exist).
pub async fn read_channel(
    chain: &ChainEndpoint,
    port: &PortId,
    id: &ChannelId,
) -> Result<Option<ChannelEndView>, DriveError> {
    match chain
        .grpc()
        .channel(port.as_str(), id.as_str(), None)
        .await?
    {
        Some(end) => Ok(Some(channel_view(chain.id(), port, id, &end)?)),
        None => Ok(None),
    }
}

/// A channel end on `chain` (port `port`) whose counterparty is `cp_port`/`cp_channel`:
/// one that already answers that end's INIT or TRY.
pub async fn answering_end(
    chain: &ChainEndpoint,
    port: &PortId,
    cp_port: &PortId,
    cp_channel: &ChannelId,
) -> Result<Option<ChannelId>, DriveError> {
    let found = chain.grpc().channels().await?.into_iter().find(|c| {
        c.port_id == port.as_str()
            && c.counterparty.as_ref().is_some_and(|cp| {
                cp.port_id == cp_port.as_str() && cp.channel_id == cp_channel.as_str()
            })
    });
    Ok(found.and_then(|c| c.channel_id.parse().ok()))
}

/// How a channel handshake ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelOutcome {
    /// OPEN on both chains.
    Open(ChannelId, ChannelId),
    /// CLOSED on both chains.
    Closed(ChannelId, ChannelId),
}

/// Drives the channel handshake of `spec` between the chains of `pair` until the channel is
/// OPEN (or, when one end is CLOSED, CLOSED) on both, from whatever they show now.
pub async fn open_channel(
    pair: Pair<'_>,
    spec: &ChannelSpec,
    mut a_chan: Option<ChannelId>,
    mut b_chan: Option<ChannelId>,
    progress: Progress<'_>,
) -> Result<ChannelOutcome, DriveError> {
    let mut last = String::from("none");
    for _ in 0..MAX_STEPS {
        let a_end = match &a_chan {
            Some(id) => read_channel(pair.a, &spec.a_port, id).await?,
            None => None,
        };
        if b_chan.is_none() {
            b_chan = a_end
                .as_ref()
                .and_then(|v| v.counterparty_channel_id.clone());
        }
        if b_chan.is_none() {
            if let Some(a) = &a_chan {
                // Someone (a CLI, another relayer) may have answered this INIT already:
                // continue that end rather than open a second one.
                b_chan = answering_end(pair.b, &spec.b_port, &spec.a_port, a).await?;
            }
        }
        let b_end = match &b_chan {
            Some(id) => read_channel(pair.b, &spec.b_port, id).await?,
            None => None,
        };
        if a_chan.is_none() {
            if let Some(id) = b_end
                .as_ref()
                .and_then(|v| v.counterparty_channel_id.clone())
            {
                a_chan = Some(id);
                continue;
            }
        }
        let step = next_channel_step(spec, a_end.as_ref(), b_end.as_ref())?;
        last = format!("{step:?}");
        match step {
            ChannelStep::Open { a, b } => return Ok(ChannelOutcome::Open(a, b)),
            ChannelStep::Closed { a, b } => return Ok(ChannelOutcome::Closed(a, b)),
            ChannelStep::OpenInit { on } => {
                let id = open_init(pair, spec, on, progress).await?;
                set(on, &mut a_chan, &mut b_chan, id);
            }
            ChannelStep::OpenTry {
                on,
                counterparty_channel,
            } => {
                let id = open_try(pair, spec, on, &counterparty_channel, progress).await?;
                set(on, &mut a_chan, &mut b_chan, id);
            }
            ChannelStep::OpenAck {
                on,
                channel,
                counterparty_channel,
            } => {
                let cp_end = match on {
                    Side::A => b_end.as_ref(),
                    Side::B => a_end.as_ref(),
                };
                let version = cp_end.map(|e| e.version.clone()).unwrap_or_default();
                let port = ends(spec, on).0 .0.clone();
                let tx = answer(
                    pair,
                    spec,
                    on,
                    &counterparty_channel,
                    |proof, height, signer| {
                        encode_any(&build_chan_open_ack(ChanOpenAckInput {
                            port_id: port.clone(),
                            channel_id: channel.clone(),
                            counterparty_channel_id: counterparty_channel.clone(),
                            counterparty_version: version,
                            proof_try: proof,
                            proof_height: height,
                            signer,
                        }))
                    },
                )
                .await?;
                report(
                    progress,
                    pair.split(on).0,
                    &port,
                    &channel,
                    "OPEN (ChanOpenAck)",
                    &tx,
                );
            }
            ChannelStep::OpenConfirm {
                on,
                channel,
                counterparty_channel,
            } => {
                let port = ends(spec, on).0 .0.clone();
                let tx = answer(
                    pair,
                    spec,
                    on,
                    &counterparty_channel,
                    |proof, height, signer| {
                        encode_any(&build_chan_open_confirm(ChanOpenConfirmInput {
                            port_id: port.clone(),
                            channel_id: channel.clone(),
                            proof_ack: proof,
                            proof_height: height,
                            signer,
                        }))
                    },
                )
                .await?;
                report(
                    progress,
                    pair.split(on).0,
                    &port,
                    &channel,
                    "OPEN (ChanOpenConfirm)",
                    &tx,
                );
            }
            ChannelStep::CloseConfirm {
                on,
                channel,
                counterparty_channel,
            } => {
                let port = ends(spec, on).0 .0.clone();
                let tx = answer(
                    pair,
                    spec,
                    on,
                    &counterparty_channel,
                    |proof, height, signer| {
                        encode_any(&build_chan_close_confirm(ChanCloseConfirmInput {
                            port_id: port.clone(),
                            channel_id: channel.clone(),
                            proof_init: proof,
                            proof_height: height,
                            signer,
                        }))
                    },
                )
                .await?;
                report(
                    progress,
                    pair.split(on).0,
                    &port,
                    &channel,
                    "CLOSED (ChanCloseConfirm)",
                    &tx,
                );
            }
        }
    }
    Err(DriveError::TooManySteps { last })
}

/// Answers the counterparty end `counterparty` with the message `build` makes from the proof
/// of that end (read on the other chain), behind the client update the chain on `on` needs.
async fn answer(
    pair: Pair<'_>,
    spec: &ChannelSpec,
    on: Side,
    counterparty: &ChannelId,
    build: impl FnOnce(Vec<u8>, stateset_channels::Height, String) -> ibc_proto::google::protobuf::Any,
) -> Result<TxResult, DriveError> {
    let (_, other) = ends(spec, on);
    let (dst, src) = pair.split(on);
    let set = prove(
        src,
        &[paths::key(&paths::channel_end(other.0, counterparty))],
    )
    .await?;
    let mut msgs = update_for(dst, src, other_connection(spec, on), set.proof_block).await?;
    msgs.push(build(set.proof(0), set.proof_height, signer(dst)?));
    Ok(dst.send_msgs(msgs, MEMO).await?)
}

fn set(on: Side, a: &mut Option<ChannelId>, b: &mut Option<ChannelId>, id: ChannelId) {
    match on {
        Side::A => *a = Some(id),
        Side::B => *b = Some(id),
    }
}

/// ((port, connection) on the side a message goes to, (port, connection) on the other side).
fn ends(spec: &ChannelSpec, on: Side) -> ((&PortId, &ConnectionId), (&PortId, &ConnectionId)) {
    let a = (&spec.a_port, &spec.a_connection);
    let b = (&spec.b_port, &spec.b_connection);
    match on {
        Side::A => (a, b),
        Side::B => (b, a),
    }
}

/// The destination's connection, whose client must be updated for proofs from the source.
fn other_connection(spec: &ChannelSpec, on: Side) -> &ConnectionId {
    ends(spec, on).0 .1
}

/// The client update `dst` needs (through its end of the connection) to check proofs of `src`
/// at `height`.
async fn update_for(
    dst: &ChainEndpoint,
    src: &ChainEndpoint,
    dst_connection: &ConnectionId,
    height: tendermint::block::Height,
) -> Result<Vec<ibc_proto::google::protobuf::Any>, DriveError> {
    let conn = dst
        .grpc()
        .connection(dst_connection.as_str(), None)
        .await?
        .ok_or_else(|| {
            DriveError::unexpected(dst.id(), format!("connection {dst_connection} missing"))
        })?;
    client_update(dst, src, &conn.client_id, height).await
}

fn report(
    progress: Progress<'_>,
    dst: &ChainEndpoint,
    port: &PortId,
    channel: &ChannelId,
    what: &str,
    tx: &TxResult,
) {
    progress(&format!(
        "{}: channel {port}/{channel} {what}, tx {} at height {}",
        dst.id(),
        tx.hash,
        tx.height
    ));
}

fn new_channel_id(chain: &ChainEndpoint, tx: &TxResult) -> Result<ChannelId, DriveError> {
    tx.events
        .iter()
        .find_map(|e| match parse_abci_event(e) {
            Ok(Some(IbcEvent::OpenInitChannel(a) | IbcEvent::OpenTryChannel(a))) => {
                Some(a.channel_id)
            }
            _ => None,
        })
        .ok_or_else(|| {
            DriveError::unexpected(chain.id(), format!("tx {} has no channel event", tx.hash))
        })
}

async fn open_init(
    pair: Pair<'_>,
    spec: &ChannelSpec,
    on: Side,
    progress: Progress<'_>,
) -> Result<ChannelId, DriveError> {
    let (own, other) = ends(spec, on);
    let (dst, _) = pair.split(on);
    let msg = build_chan_open_init(ChanOpenInitInput {
        port_id: own.0.clone(),
        counterparty_port_id: other.0.clone(),
        connection_id: own.1.clone(),
        ordering: spec.ordering,
        version: spec.version.clone(),
        signer: signer(dst)?,
    });
    let tx = dst.send_msgs(vec![encode_any(&msg)], MEMO).await?;
    let id = new_channel_id(dst, &tx)?;
    report(progress, dst, own.0, &id, "INIT (ChanOpenInit)", &tx);
    Ok(id)
}

async fn open_try(
    pair: Pair<'_>,
    spec: &ChannelSpec,
    on: Side,
    counterparty: &ChannelId,
    progress: Progress<'_>,
) -> Result<ChannelId, DriveError> {
    let (own, other) = ends(spec, on);
    let (dst, src) = pair.split(on);
    let set = prove(
        src,
        &[paths::key(&paths::channel_end(other.0, counterparty))],
    )
    .await?;
    let init = read_proven_channel(src, set.value(src.id(), 0, "channel end")?)?;
    let mut msgs = update_for(dst, src, own.1, set.proof_block).await?;
    msgs.push(encode_any(&build_chan_open_try(ChanOpenTryInput {
        port_id: own.0.clone(),
        counterparty_port_id: other.0.clone(),
        counterparty_channel_id: counterparty.clone(),
        connection_id: own.1.clone(),
        ordering: spec.ordering,
        counterparty_version: init.version,
        proof_init: set.proof(0),
        proof_height: set.proof_height,
        signer: signer(dst)?,
    })));
    let tx = dst.send_msgs(msgs, MEMO).await?;
    let id = new_channel_id(dst, &tx)?;
    report(progress, dst, own.0, &id, "TRYOPEN (ChanOpenTry)", &tx);
    Ok(id)
}

fn read_proven_channel(chain: &ChainEndpoint, bytes: &[u8]) -> Result<Channel, DriveError> {
    <Channel as prost::Message>::decode(bytes)
        .map_err(|e| DriveError::unexpected(chain.id(), format!("channel end: {e}")))
}
