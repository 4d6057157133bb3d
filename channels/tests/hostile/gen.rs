//! Valid typed values and the event attributes ibc-go v8 writes for them.

use proptest::collection::vec;
use proptest::prelude::*;
use stateset_channels::{
    ChannelAttributes, ChannelId, ClientId, ConnectionAttributes, ConnectionId, Height, IbcEvent,
    Ordering, Packet, PacketHeader, PortId,
};

/// Attributes as (key, value).
pub type Attrs = Vec<(String, String)>;

/// Any height.
pub fn height() -> impl Strategy<Value = Height> {
    prop_oneof![
        (any::<u64>(), any::<u64>()),
        (0..3u64, 0..1000u64),
        Just((u64::MAX, u64::MAX)),
    ]
    .prop_map(|(r, h)| Height::new(r, h))
}

/// A valid client id.
pub fn client_id() -> impl Strategy<Value = ClientId> {
    prop_oneof![
        any::<u64>().prop_map(|n| format!("07-tendermint-{n}")),
        "[a-zA-Z0-9._+#<>\\[\\]-]{9,64}",
    ]
    .prop_map(|s| s.parse().unwrap())
}

/// A valid connection id.
pub fn connection_id() -> impl Strategy<Value = ConnectionId> {
    prop_oneof![
        any::<u64>().prop_map(ConnectionId::new),
        "[a-zA-Z0-9._+#<>\\[\\]-]{10,64}".prop_map(|s| s.parse().unwrap()),
    ]
}

/// A valid channel id.
pub fn channel_id() -> impl Strategy<Value = ChannelId> {
    prop_oneof![
        any::<u64>().prop_map(ChannelId::new),
        "[a-zA-Z0-9._+#<>\\[\\]-]{8,64}".prop_map(|s| s.parse().unwrap()),
    ]
}

/// A valid port id.
pub fn port_id() -> impl Strategy<Value = PortId> {
    prop_oneof![
        Just("transfer".to_string()),
        "icacontroller-[a-z0-9]{1,60}",
        "[a-zA-Z0-9._+#<>\\[\\]-]{2,128}",
    ]
    .prop_map(|s| s.parse().unwrap())
}

/// Any ordering, or none.
pub fn ordering() -> impl Strategy<Value = Option<Ordering>> {
    proptest::option::of(prop_oneof![
        Just(Ordering::Ordered),
        Just(Ordering::Unordered)
    ])
}

/// Any packet (the ordering as an event may carry it).
pub fn packet() -> impl Strategy<Value = Packet> {
    (
        (
            any::<u64>(),
            port_id(),
            channel_id(),
            port_id(),
            channel_id(),
        ),
        (vec(any::<u8>(), 0..64), height(), any::<u64>(), ordering()),
    )
        .prop_map(
            |((sequence, sp, sc, dp, dc), (data, th, tt, ordering))| Packet {
                sequence,
                source_port: sp,
                source_channel: sc,
                destination_port: dp,
                destination_channel: dc,
                data,
                timeout_height: th,
                timeout_timestamp: tt,
                ordering,
            },
        )
}

fn connection() -> impl Strategy<Value = ConnectionAttributes> {
    (
        client_id(),
        client_id(),
        connection_id(),
        proptest::option::of(connection_id()),
    )
        .prop_map(
            |(client_id, counterparty_client_id, connection_id, counterparty_connection_id)| {
                ConnectionAttributes {
                    connection_id,
                    client_id,
                    counterparty_client_id,
                    counterparty_connection_id,
                }
            },
        )
}

fn channel() -> impl Strategy<Value = ChannelAttributes> {
    (
        (port_id(), channel_id(), port_id()),
        (
            proptest::option::of(channel_id()),
            connection_id(),
            proptest::option::of(any::<String>()),
        ),
    )
        .prop_map(
            |((port_id, channel_id, cp_port), (cp_channel, connection_id, version))| {
                ChannelAttributes {
                    port_id,
                    channel_id,
                    counterparty_port_id: cp_port,
                    counterparty_channel_id: cp_channel,
                    connection_id,
                    version,
                }
            },
        )
}

/// Any IBC event this crate models.
pub fn event() -> impl Strategy<Value = IbcEvent> {
    let client = || (client_id(), any::<String>());
    prop_oneof![
        (client(), height()).prop_map(|((client_id, client_type), consensus_height)| {
            IbcEvent::CreateClient {
                client_id,
                client_type,
                consensus_height,
            }
        }),
        (client(), vec(height(), 0..4)).prop_map(|((client_id, client_type), hs)| {
            IbcEvent::UpdateClient {
                client_id,
                client_type,
                consensus_heights: hs,
            }
        }),
        client().prop_map(|(client_id, client_type)| IbcEvent::ClientMisbehaviour {
            client_id,
            client_type
        }),
        (connection(), 0..4u8).prop_map(|(c, k)| match k {
            0 => IbcEvent::OpenInitConnection(c),
            1 => IbcEvent::OpenTryConnection(c),
            2 => IbcEvent::OpenAckConnection(c),
            _ => IbcEvent::OpenConfirmConnection(c),
        }),
        (channel(), 0..7u8).prop_map(|(c, k)| match k {
            0 => IbcEvent::OpenInitChannel(c),
            1 => IbcEvent::OpenTryChannel(c),
            2 => IbcEvent::OpenAckChannel(c),
            3 => IbcEvent::OpenConfirmChannel(c),
            4 => IbcEvent::CloseInitChannel(c),
            5 => IbcEvent::CloseConfirmChannel(c),
            _ => IbcEvent::ChannelClosed(c),
        }),
        (packet(), vec(any::<u8>(), 0..32), 0..6u8).prop_map(|(p, ack, k)| match k {
            0 => IbcEvent::SendPacket(p),
            1 => IbcEvent::RecvPacket(p),
            2 => IbcEvent::WriteAcknowledgement { packet: p, ack },
            3 => IbcEvent::AcknowledgePacket(p.header()),
            4 => IbcEvent::TimeoutPacket(p.header()),
            _ => IbcEvent::TimeoutOnClose(p.header()),
        }),
    ]
}

fn push(a: &mut Attrs, k: &str, v: impl ToString) {
    a.push((k.to_string(), v.to_string()));
}

fn header_attrs(a: &mut Attrs, h: &PacketHeader) {
    push(a, "packet_timeout_height", h.timeout_height);
    push(a, "packet_timeout_timestamp", h.timeout_timestamp);
    push(a, "packet_sequence", h.sequence);
    push(a, "packet_src_port", &h.source_port);
    push(a, "packet_src_channel", &h.source_channel);
    push(a, "packet_dst_port", &h.destination_port);
    push(a, "packet_dst_channel", &h.destination_channel);
}

fn packet_attrs(a: &mut Attrs, p: &Packet) {
    push(a, "packet_data", String::from_utf8_lossy(&p.data));
    push(a, "packet_data_hex", hex(&p.data));
    header_attrs(a, &p.header());
    if let Some(o) = p.ordering {
        push(a, "packet_channel_ordering", o);
    }
    push(a, "packet_connection", "connection-0");
}

/// Lower-case hex, as ibc-go writes `packet_data_hex`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The attributes ibc-go v8 writes for `event` (plus the `msg_index` CometBFT adds).
pub fn attributes(event: &IbcEvent) -> Attrs {
    let mut a = Attrs::new();
    match event {
        IbcEvent::CreateClient {
            client_id,
            client_type,
            consensus_height,
        } => {
            push(&mut a, "client_id", client_id);
            push(&mut a, "client_type", client_type);
            push(&mut a, "consensus_height", consensus_height);
        }
        IbcEvent::UpdateClient {
            client_id,
            client_type,
            consensus_heights,
        } => {
            push(&mut a, "client_id", client_id);
            push(&mut a, "client_type", client_type);
            let first = consensus_heights.first().map(ToString::to_string);
            push(&mut a, "consensus_height", first.unwrap_or_default());
            let all: Vec<String> = consensus_heights.iter().map(ToString::to_string).collect();
            push(&mut a, "consensus_heights", all.join(","));
            push(&mut a, "header", "0a26");
        }
        IbcEvent::ClientMisbehaviour {
            client_id,
            client_type,
        } => {
            push(&mut a, "client_id", client_id);
            push(&mut a, "client_type", client_type);
        }
        IbcEvent::WriteAcknowledgement { packet, ack } => {
            packet_attrs(&mut a, packet);
            push(&mut a, "packet_ack", String::from_utf8_lossy(ack));
            push(&mut a, "packet_ack_hex", hex(ack));
        }
        e => handshake_or_packet_attrs(&mut a, e),
    }
    push(&mut a, "msg_index", "0");
    a
}

/// The attributes of connection, channel and (other) packet events.
fn handshake_or_packet_attrs(a: &mut Attrs, e: &IbcEvent) {
    if let Some(c) = e.connection_attributes() {
        push(a, "connection_id", &c.connection_id);
        push(a, "client_id", &c.client_id);
        push(a, "counterparty_client_id", &c.counterparty_client_id);
        let cp = c.counterparty_connection_id.as_ref();
        push(
            a,
            "counterparty_connection_id",
            cp.map(ToString::to_string).unwrap_or_default(),
        );
    } else if let Some(c) = e.channel_attributes() {
        push(a, "port_id", &c.port_id);
        push(a, "channel_id", &c.channel_id);
        push(a, "counterparty_port_id", &c.counterparty_port_id);
        let cp = c.counterparty_channel_id.as_ref();
        push(
            a,
            "counterparty_channel_id",
            cp.map(ToString::to_string).unwrap_or_default(),
        );
        push(a, "connection_id", &c.connection_id);
        if let Some(v) = &c.version {
            push(a, "version", v);
        }
    } else if let Some(p) = e.packet() {
        packet_attrs(a, p);
    } else if let Some(h) = e.packet_header() {
        header_attrs(a, &h);
    }
}
