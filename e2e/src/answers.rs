//! What the chains answered to the relayer's packet messages, read from its txs'
//! `TxMsgData`: how many took effect and how many were NOOP (another copy of the relayer, or
//! another relayer, had already delivered them). Classic (`ibc.core.channel.v1`) and IBC v2
//! (`ibc.core.channel.v2`) responses both carry the result in field 1.

use prost::Message;

use crate::accounts::RELAYER;
use crate::chain::TestChain;
use crate::probe;

/// A packet message response: `result` only (`ResponseResultType`).
#[derive(Clone, PartialEq, prost::Message)]
struct PacketResponse {
    #[prost(int32, tag = "1")]
    result: i32,
}

/// `ResponseResultType::NOOP` (the same number in channel v1 and v2).
const NOOP: i32 = 1;

/// The IBC channel module version of a packet message.
#[derive(Clone, Copy, Debug)]
pub enum Channel {
    /// `ibc.core.channel.v1` (classic IBC).
    V1,
    /// `ibc.core.channel.v2` (IBC v2).
    V2,
}

impl Channel {
    fn package(self) -> &'static str {
        match self {
            Channel::V1 => "ibc.core.channel.v1",
            Channel::V2 => "ibc.core.channel.v2",
        }
    }
}

/// `chain`'s answers to the relayer's `msg` messages (e.g. `MsgRecvPacket`), read from every
/// tx of the relayer carrying one: (answers, of which NOOP). Panics on a tx whose data does
/// not decode: the count must not quietly miss answers.
pub fn answers(chain: &TestChain, channel: Channel, msg: &str) -> (usize, usize) {
    let package = channel.package();
    let query = format!(
        "message.action='/{package}.{msg}' AND message.sender='{}'",
        RELAYER.address
    );
    let type_url = format!("/{package}.{msg}Response");
    let (mut all, mut noops) = (0, 0);
    for tx in probe::txs(chain, &query) {
        let data = tx["data"]
            .as_str()
            .unwrap_or_else(|| panic!("tx data: {tx}"));
        let bytes = hex::decode(data).unwrap_or_else(|e| panic!("tx data hex ({e}): {data}"));
        let msg_data = ibc_proto::cosmos::base::abci::v1beta1::TxMsgData::decode(&bytes[..])
            .unwrap_or_else(|e| panic!("TxMsgData ({e}): {data}"));
        for any in msg_data.msg_responses {
            if any.type_url == type_url {
                let r = PacketResponse::decode(&any.value[..])
                    .unwrap_or_else(|e| panic!("{type_url} ({e}): {data}"));
                all += 1;
                noops += usize::from(r.result == NOOP);
            }
        }
    }
    (all, noops)
}

/// NOOP answers to the relayer's messages on one path direction.
#[derive(Clone, Copy, Debug)]
pub struct Noops {
    /// MsgRecvPacket answered NOOP on the destination.
    pub recv: usize,
    /// MsgAcknowledgement answered NOOP on the source.
    pub ack: usize,
}

/// Checks that the relayer's MsgRecvPacket on `dst` took effect exactly `received` times
/// (the others were NOOP) and its MsgAcknowledgement on `src` `received` times; prints and
/// returns the NOOP answers.
pub fn effective_once(
    src: &TestChain,
    dst: &TestChain,
    channel: Channel,
    received: usize,
) -> Noops {
    let (recvs, recv_noops) = answers(dst, channel, "MsgRecvPacket");
    let (acks, ack_noops) = answers(src, channel, "MsgAcknowledgement");
    println!(
        "{} -> {}: {recvs} MsgRecvPacket answered ({recv_noops} NOOP), {acks} MsgAcknowledgement \
         answered ({ack_noops} NOOP)",
        src.chain_id(),
        dst.chain_id()
    );
    assert_eq!(recvs - recv_noops, received, "each packet received once");
    assert_eq!(
        acks - ack_noops,
        received,
        "each acknowledgement delivered once"
    );
    Noops {
        recv: recv_noops,
        ack: ack_noops,
    }
}
