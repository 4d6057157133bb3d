//! Driving a connection handshake between two live chains.

use ibc_proto::ibc::core::connection::v1::ConnectionEnd;
use stateset_channels::connection::{
    build_conn_open_ack, build_conn_open_confirm, build_conn_open_init, build_conn_open_try,
    next_connection_step, ConnOpenAckInput, ConnOpenConfirmInput, ConnOpenInitInput,
    ConnOpenTryInput, ConnectionEndView, ConnectionSpec, ConnectionStep,
};
use stateset_channels::events::{parse_abci_event, IbcEvent};
use stateset_channels::ids::{ClientId, ConnectionId};
use stateset_channels::{paths, HandshakeState, Side};

use super::proofs::{client_update, decode_any, prove};
use super::{DriveError, Pair, Progress, MAX_STEPS};
use crate::chain::malformed::{Malformation, MalformedObject};
use crate::chain::tx::{encode_any, MEMO};
use crate::chain::{ChainEndpoint, TxResult};
use crate::client::ops::signer;
use crate::client::state::decode_client_state;

/// The state-machine view of a connection end read from `chain`; an error names what is
/// malformed.
pub fn connection_view(
    chain: &str,
    id: &ConnectionId,
    end: &ConnectionEnd,
) -> Result<ConnectionEndView, MalformedObject> {
    let bad = |reason| MalformedObject::connection(chain, id, reason);
    let cp = end
        .counterparty
        .as_ref()
        .ok_or_else(|| bad(Malformation::Missing("counterparty")))?;
    Ok(ConnectionEndView {
        id: id.clone(),
        state: HandshakeState::from_connection_state(end.state),
        client_id: Malformation::parse("client id", &end.client_id).map_err(bad)?,
        counterparty_client_id: Malformation::parse("counterparty client id", &cp.client_id)
            .map_err(bad)?,
        counterparty_connection_id: if cp.connection_id.is_empty() {
            None
        } else {
            Some(
                Malformation::parse("counterparty connection id", &cp.connection_id)
                    .map_err(bad)?,
            )
        },
    })
}

/// The connection end of a listed connection.
pub fn end_of(c: &ibc_proto::ibc::core::connection::v1::IdentifiedConnection) -> ConnectionEnd {
    ConnectionEnd {
        client_id: c.client_id.clone(),
        versions: c.versions.clone(),
        state: c.state,
        counterparty: c.counterparty.clone(),
        delay_period: c.delay_period,
    }
}

/// Reads connection `id` on `chain` (None when it does not exist).
pub async fn read_connection(
    chain: &ChainEndpoint,
    id: &ConnectionId,
) -> Result<Option<(ConnectionEnd, ConnectionEndView)>, DriveError> {
    match chain.grpc().connection(id.as_str(), None).await? {
        Some(end) => {
            let view = connection_view(chain.id(), id, &end)?;
            Ok(Some((end, view)))
        }
        None => Ok(None),
    }
}

/// Drives the connection handshake between the chains of `pair` to OPEN on both, from
/// whatever they show now, and returns the two connection ids.
///
/// `a_conn` / `b_conn` are the ends already known (None: not created yet, or to be found
/// through the other end's counterparty).
pub async fn open_connection(
    pair: Pair<'_>,
    spec: &ConnectionSpec,
    mut a_conn: Option<ConnectionId>,
    mut b_conn: Option<ConnectionId>,
    progress: Progress<'_>,
) -> Result<(ConnectionId, ConnectionId), DriveError> {
    let mut last = String::from("none");
    for _ in 0..MAX_STEPS {
        let a_end = match &a_conn {
            Some(id) => read_connection(pair.a, id).await?,
            None => None,
        };
        if b_conn.is_none() {
            b_conn = a_end
                .as_ref()
                .and_then(|(_, v)| v.counterparty_connection_id.clone());
        }
        let b_end = match &b_conn {
            Some(id) => read_connection(pair.b, id).await?,
            None => None,
        };
        if a_conn.is_none() {
            if let Some(id) = b_end
                .as_ref()
                .and_then(|(_, v)| v.counterparty_connection_id.clone())
            {
                a_conn = Some(id);
                continue;
            }
        }
        let step = next_connection_step(
            spec,
            a_end.as_ref().map(|(_, v)| v),
            b_end.as_ref().map(|(_, v)| v),
        )?;
        last = format!("{step:?}");
        match step {
            ConnectionStep::Open { a, b } => return Ok((a, b)),
            ConnectionStep::OpenInit { on } => {
                let id = open_init(pair, spec, on, progress).await?;
                set(on, &mut a_conn, &mut b_conn, id);
            }
            ConnectionStep::OpenTry {
                on,
                counterparty_connection,
            } => {
                let id = open_try(pair, spec, on, &counterparty_connection, progress).await?;
                set(on, &mut a_conn, &mut b_conn, id);
            }
            ConnectionStep::OpenAck {
                on,
                connection,
                counterparty_connection,
            } => {
                open_ack(
                    pair,
                    spec,
                    on,
                    &connection,
                    &counterparty_connection,
                    progress,
                )
                .await?;
            }
            ConnectionStep::OpenConfirm {
                on,
                connection,
                counterparty_connection,
            } => {
                open_confirm(
                    pair,
                    spec,
                    on,
                    &connection,
                    &counterparty_connection,
                    progress,
                )
                .await?;
            }
        }
    }
    Err(DriveError::TooManySteps { last })
}

fn set(on: Side, a: &mut Option<ConnectionId>, b: &mut Option<ConnectionId>, id: ConnectionId) {
    match on {
        Side::A => *a = Some(id),
        Side::B => *b = Some(id),
    }
}

/// (client on the destination, client on the source) for a message sent on `on`.
fn clients(spec: &ConnectionSpec, on: Side) -> (&ClientId, &ClientId) {
    match on {
        Side::A => (&spec.a_client, &spec.b_client),
        Side::B => (&spec.b_client, &spec.a_client),
    }
}

fn prefix(chain: &ChainEndpoint) -> Vec<u8> {
    chain.config().store_prefix.as_bytes().to_vec()
}

fn new_connection_id(chain: &ChainEndpoint, tx: &TxResult) -> Result<ConnectionId, DriveError> {
    tx.events
        .iter()
        .find_map(|e| match parse_abci_event(e) {
            Ok(Some(IbcEvent::OpenInitConnection(a) | IbcEvent::OpenTryConnection(a))) => {
                Some(a.connection_id)
            }
            _ => None,
        })
        .ok_or_else(|| {
            DriveError::unexpected(
                chain.id(),
                format!("tx {} has no connection event", tx.hash),
            )
        })
}

async fn open_init(
    pair: Pair<'_>,
    spec: &ConnectionSpec,
    on: Side,
    progress: Progress<'_>,
) -> Result<ConnectionId, DriveError> {
    let (dst, src) = pair.split(on);
    let (dst_client, src_client) = clients(spec, on);
    let msg = build_conn_open_init(ConnOpenInitInput {
        client_id: dst_client.clone(),
        counterparty_client_id: src_client.clone(),
        counterparty_prefix: prefix(src),
        delay_period_ns: 0,
        signer: signer(dst)?,
    });
    let tx = dst.send_msgs(vec![encode_any(&msg)], MEMO).await?;
    let id = new_connection_id(dst, &tx)?;
    progress(&format!(
        "{}: connection {id} INIT (ConnOpenInit, tx {} at height {})",
        dst.id(),
        tx.hash,
        tx.height
    ));
    Ok(id)
}

/// Proofs of a connection end and of the source's client of the destination (state and
/// the consensus state at its latest height), as OpenTry and OpenAck carry them.
struct ConnectionProofs {
    set: super::proofs::ProvenSet,
    client_state: ibc_proto::google::protobuf::Any,
    consensus_height: stateset_channels::ids::Height,
}

async fn connection_proofs(
    src: &ChainEndpoint,
    src_conn: &ConnectionId,
    src_client: &ClientId,
) -> Result<ConnectionProofs, DriveError> {
    // The client's latest height first, so that its consensus state can be proven.
    let state = src
        .grpc()
        .client_state(src_client.as_str(), None)
        .await?
        .ok_or_else(|| DriveError::unexpected(src.id(), format!("client {src_client} missing")))?;
    let tm = decode_client_state(&state)
        .ok()
        .flatten()
        .ok_or_else(|| DriveError::unexpected(src.id(), "not a 07-tendermint client"))?;
    let consensus_height: stateset_channels::ids::Height = tm
        .latest_height
        .ok_or_else(|| DriveError::unexpected(src.id(), "client without latest height"))?
        .into();
    let keys = vec![
        paths::key(&paths::connection(src_conn)),
        paths::key(&paths::client_state(src_client)),
        paths::key(&paths::consensus_state(src_client, &consensus_height)),
    ];
    let set = prove(src, &keys).await?;
    let client_state = decode_any(src.id(), set.value(src.id(), 1, "client state")?)?;
    set.value(src.id(), 2, "consensus state")?;
    Ok(ConnectionProofs {
        set,
        client_state,
        consensus_height,
    })
}

async fn open_try(
    pair: Pair<'_>,
    spec: &ConnectionSpec,
    on: Side,
    counterparty: &ConnectionId,
    progress: Progress<'_>,
) -> Result<ConnectionId, DriveError> {
    let (dst, src) = pair.split(on);
    let (dst_client, src_client) = clients(spec, on);
    let proofs = connection_proofs(src, counterparty, src_client).await?;
    let mut msgs = client_update(dst, src, dst_client.as_str(), proofs.set.proof_block).await?;
    let msg = build_conn_open_try(ConnOpenTryInput {
        client_id: dst_client.clone(),
        counterparty_client_id: src_client.clone(),
        counterparty_connection_id: counterparty.clone(),
        counterparty_prefix: prefix(src),
        delay_period_ns: 0,
        client_state: proofs.client_state.clone(),
        proof_init: proofs.set.proof(0),
        proof_client: proofs.set.proof(1),
        proof_consensus: proofs.set.proof(2),
        proof_height: proofs.set.proof_height,
        consensus_height: proofs.consensus_height,
        signer: signer(dst)?,
    });
    msgs.push(encode_any(&msg));
    let tx = dst.send_msgs(msgs, MEMO).await?;
    let id = new_connection_id(dst, &tx)?;
    progress(&format!(
        "{}: connection {id} TRYOPEN (ConnOpenTry, tx {} at height {})",
        dst.id(),
        tx.hash,
        tx.height
    ));
    Ok(id)
}

async fn open_ack(
    pair: Pair<'_>,
    spec: &ConnectionSpec,
    on: Side,
    connection: &ConnectionId,
    counterparty: &ConnectionId,
    progress: Progress<'_>,
) -> Result<(), DriveError> {
    let (dst, src) = pair.split(on);
    let (dst_client, src_client) = clients(spec, on);
    let proofs = connection_proofs(src, counterparty, src_client).await?;
    let try_end =
        ConnectionEnd::decode_from(src.id(), proofs.set.value(src.id(), 0, "connection")?)?;
    let version =
        try_end.versions.first().cloned().ok_or_else(|| {
            DriveError::unexpected(src.id(), "TRYOPEN connection without a version")
        })?;
    let mut msgs = client_update(dst, src, dst_client.as_str(), proofs.set.proof_block).await?;
    let msg = build_conn_open_ack(ConnOpenAckInput {
        connection_id: connection.clone(),
        counterparty_connection_id: counterparty.clone(),
        version,
        client_state: proofs.client_state.clone(),
        proof_try: proofs.set.proof(0),
        proof_client: proofs.set.proof(1),
        proof_consensus: proofs.set.proof(2),
        proof_height: proofs.set.proof_height,
        consensus_height: proofs.consensus_height,
        signer: signer(dst)?,
    });
    msgs.push(encode_any(&msg));
    let tx = dst.send_msgs(msgs, MEMO).await?;
    progress(&format!(
        "{}: connection {connection} OPEN (ConnOpenAck, tx {} at height {})",
        dst.id(),
        tx.hash,
        tx.height
    ));
    Ok(())
}

async fn open_confirm(
    pair: Pair<'_>,
    spec: &ConnectionSpec,
    on: Side,
    connection: &ConnectionId,
    counterparty: &ConnectionId,
    progress: Progress<'_>,
) -> Result<(), DriveError> {
    let (dst, src) = pair.split(on);
    let (dst_client, _) = clients(spec, on);
    let set = prove(src, &[paths::key(&paths::connection(counterparty))]).await?;
    let mut msgs = client_update(dst, src, dst_client.as_str(), set.proof_block).await?;
    let msg = build_conn_open_confirm(ConnOpenConfirmInput {
        connection_id: connection.clone(),
        proof_ack: set.proof(0),
        proof_height: set.proof_height,
        signer: signer(dst)?,
    });
    msgs.push(encode_any(&msg));
    let tx = dst.send_msgs(msgs, MEMO).await?;
    progress(&format!(
        "{}: connection {connection} OPEN (ConnOpenConfirm, tx {} at height {})",
        dst.id(),
        tx.hash,
        tx.height
    ));
    Ok(())
}

/// Decoding of stored connection ends.
trait DecodeFrom: Sized {
    fn decode_from(chain: &str, bytes: &[u8]) -> Result<Self, DriveError>;
}

impl DecodeFrom for ConnectionEnd {
    fn decode_from(chain: &str, bytes: &[u8]) -> Result<Self, DriveError> {
        <ConnectionEnd as prost::Message>::decode(bytes)
            .map_err(|e| DriveError::unexpected(chain, format!("connection end: {e}")))
    }
}
