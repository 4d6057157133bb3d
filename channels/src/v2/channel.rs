//! Package `ibc.core.channel.v2`: packets, acknowledgements, the packet messages a relayer
//! sends and the queries it makes (ibc-go v10.7.0 `proto/ibc/core/channel/v2/`).

mod packet;
mod query;
mod tx;

pub use packet::{Acknowledgement, Packet, PacketState, PacketStatus, Payload, RecvPacketResult};
pub use query::{
    QueryNextSequenceSendRequest, QueryNextSequenceSendResponse, QueryPacketAcknowledgementRequest,
    QueryPacketAcknowledgementResponse, QueryPacketAcknowledgementsRequest,
    QueryPacketAcknowledgementsResponse, QueryPacketCommitmentRequest,
    QueryPacketCommitmentResponse, QueryPacketCommitmentsRequest, QueryPacketCommitmentsResponse,
    QueryPacketReceiptRequest, QueryPacketReceiptResponse, QueryUnreceivedAcksRequest,
    QueryUnreceivedAcksResponse, QueryUnreceivedPacketsRequest, QueryUnreceivedPacketsResponse,
};
pub use tx::{
    MsgAcknowledgement, MsgAcknowledgementResponse, MsgRecvPacket, MsgRecvPacketResponse,
    MsgSendPacket, MsgSendPacketResponse, MsgTimeout, MsgTimeoutResponse, ResponseResultType,
};
