//! ICS-24 paths of the IBC store, as ibc-go writes them.

use crate::ids::{ChannelId, ClientId, ConnectionId, Height, PortId};

/// The store key of a path.
pub fn key(path: &str) -> Vec<u8> {
    path.as_bytes().to_vec()
}

/// `clients/{client}/clientState`.
pub fn client_state(client: &ClientId) -> String {
    format!("clients/{client}/clientState")
}

/// `clients/{client}/consensusStates/{rev}-{height}`.
pub fn consensus_state(client: &ClientId, height: &Height) -> String {
    format!("clients/{client}/consensusStates/{height}")
}

/// `connections/{connection}`.
pub fn connection(connection: &ConnectionId) -> String {
    format!("connections/{connection}")
}

/// `clients/{client}/connections`.
pub fn client_connections(client: &ClientId) -> String {
    format!("clients/{client}/connections")
}

/// `channelEnds/ports/{port}/channels/{channel}`.
pub fn channel_end(port: &PortId, channel: &ChannelId) -> String {
    format!("channelEnds/ports/{port}/channels/{channel}")
}

/// `commitments/ports/{port}/channels/{channel}/sequences/{sequence}`.
pub fn packet_commitment(port: &PortId, channel: &ChannelId, sequence: u64) -> String {
    format!("commitments/ports/{port}/channels/{channel}/sequences/{sequence}")
}

/// `receipts/ports/{port}/channels/{channel}/sequences/{sequence}`.
pub fn packet_receipt(port: &PortId, channel: &ChannelId, sequence: u64) -> String {
    format!("receipts/ports/{port}/channels/{channel}/sequences/{sequence}")
}

/// `acks/ports/{port}/channels/{channel}/sequences/{sequence}`.
pub fn packet_ack(port: &PortId, channel: &ChannelId, sequence: u64) -> String {
    format!("acks/ports/{port}/channels/{channel}/sequences/{sequence}")
}

/// `nextSequenceRecv/ports/{port}/channels/{channel}`.
pub fn next_sequence_recv(port: &PortId, channel: &ChannelId) -> String {
    format!("nextSequenceRecv/ports/{port}/channels/{channel}")
}

/// `nextSequenceSend/ports/{port}/channels/{channel}`.
pub fn next_sequence_send(port: &PortId, channel: &ChannelId) -> String {
    format!("nextSequenceSend/ports/{port}/channels/{channel}")
}

/// `nextSequenceAck/ports/{port}/channels/{channel}`.
pub fn next_sequence_ack(port: &PortId, channel: &ChannelId) -> String {
    format!("nextSequenceAck/ports/{port}/channels/{channel}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_ibc_go() {
        let client: ClientId = "07-tendermint-0".parse().unwrap();
        let port: PortId = "transfer".parse().unwrap();
        let chan = ChannelId::new(0);
        assert_eq!(client_state(&client), "clients/07-tendermint-0/clientState");
        assert_eq!(
            consensus_state(&client, &Height::new(1, 42)),
            "clients/07-tendermint-0/consensusStates/1-42"
        );
        assert_eq!(
            connection(&ConnectionId::new(0)),
            "connections/connection-0"
        );
        assert_eq!(
            client_connections(&client),
            "clients/07-tendermint-0/connections"
        );
        assert_eq!(
            channel_end(&port, &chan),
            "channelEnds/ports/transfer/channels/channel-0"
        );
        assert_eq!(
            packet_commitment(&port, &chan, 7),
            "commitments/ports/transfer/channels/channel-0/sequences/7"
        );
        assert_eq!(
            packet_receipt(&port, &chan, 7),
            "receipts/ports/transfer/channels/channel-0/sequences/7"
        );
        assert_eq!(
            packet_ack(&port, &chan, 7),
            "acks/ports/transfer/channels/channel-0/sequences/7"
        );
        assert_eq!(
            next_sequence_recv(&port, &chan),
            "nextSequenceRecv/ports/transfer/channels/channel-0"
        );
        assert_eq!(
            next_sequence_send(&port, &chan),
            "nextSequenceSend/ports/transfer/channels/channel-0"
        );
        assert_eq!(
            next_sequence_ack(&port, &chan),
            "nextSequenceAck/ports/transfer/channels/channel-0"
        );
        assert_eq!(
            key("connections/connection-0"),
            b"connections/connection-0".to_vec()
        );
    }
}
