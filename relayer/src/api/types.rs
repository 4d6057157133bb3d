//! The GraphQL object types of the API (named as in `schema.graphql`), built from the store's
//! and the metrics' values.

use async_graphql::{InputObject, SimpleObject};

use crate::store::{self, PacketState, StepKind};

/// A configured chain.
#[derive(SimpleObject, Clone, Debug)]
pub struct Chain {
    /// Its chain id.
    pub id: String,
    /// Whether its RPC answers and its blocks are being read.
    pub up: bool,
    /// The last height whose events are recorded.
    pub scanned_height: Option<i64>,
    /// The highest latest-block height the daemon's calls to the chain have seen.
    pub latest_height: Option<i64>,
    /// The CometBFT version its node reports.
    pub cometbft: Option<String>,
    /// The Cosmos SDK version, when reported.
    pub cosmos_sdk: Option<String>,
    /// The ibc-go version, when reported.
    pub ibc_go: Option<String>,
    /// The application's name and version, when reported.
    pub app: Option<String>,
}

/// A light client the relayer serves.
#[derive(SimpleObject, Clone, Debug)]
pub struct Client {
    /// The host chain.
    pub chain: String,
    /// The client id.
    pub client_id: String,
    /// The chain it tracks.
    pub counterparty_chain: String,
    /// Active, Expired, Frozen or Unknown.
    pub status: String,
    /// Seconds left in its trusting period (host chain clock).
    pub trusting_period_left_seconds: Option<f64>,
    /// Its latest height, as the last refresh pass read it.
    pub latest_height: Option<i64>,
}

/// One direction of a served path.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
#[graphql(name = "Path")]
pub struct PathView {
    /// `classic` or `v2`.
    pub kind: String,
    /// The sending chain.
    pub chain: String,
    /// The sending port (`ibc-v2` for IBC v2).
    pub port: String,
    /// The channel id, or for IBC v2 the source client id.
    pub channel: String,
    /// The receiving chain.
    pub counterparty_chain: String,
    /// The receiving port.
    pub counterparty_port: Option<String>,
    /// The receiving channel (IBC v2: client).
    pub counterparty_channel: Option<String>,
    /// Unfinished packets sent on this end.
    pub backlog: i64,
    /// Age of the oldest of them.
    pub oldest_pending_age_seconds: Option<f64>,
    /// Packets set aside.
    pub quarantined: i64,
}

/// A packet not finished yet.
#[derive(SimpleObject, Clone, Debug)]
pub struct PendingPacket {
    /// Its sequence.
    pub sequence: i64,
    /// `sent`, `received`, `quarantined` (or `filtered`: not relayed by policy).
    pub state: String,
    /// The height it was sent at, when the history has it.
    pub sent_height: Option<i64>,
    /// Seconds since the relayer first saw it.
    pub age_seconds: Option<f64>,
    /// What it carries.
    pub app: Option<App>,
}

/// A page of pending packets.
#[derive(SimpleObject, Clone, Debug)]
pub struct PendingPage {
    /// The packets, by sequence.
    pub items: Vec<PendingPacket>,
    /// Pending packets in the ledger.
    pub total: i64,
    /// The cursor of the next page.
    pub next: Option<String>,
}

/// What `packets` looks for; every field given must match.
#[derive(InputObject, Clone, Debug, Default)]
pub struct PacketFilter {
    /// The source chain.
    pub chain: Option<String>,
    /// The source port.
    pub port: Option<String>,
    /// The source channel.
    pub channel: Option<String>,
    /// The sequence.
    pub sequence: Option<i64>,
    /// Sender or receiver.
    pub address: Option<String>,
    /// The sender.
    pub sender: Option<String>,
    /// The receiver.
    pub receiver: Option<String>,
    /// A tx with a step of the packet.
    pub tx_hash: Option<String>,
    /// The denom.
    pub denom: Option<String>,
    /// First seen at or after (Unix seconds).
    pub from_time: Option<i64>,
    /// First seen at or before (Unix seconds).
    pub to_time: Option<i64>,
}

/// A packet's history.
#[derive(SimpleObject, Clone, Debug)]
pub struct Packet {
    /// The source chain.
    pub chain: String,
    /// The source port.
    pub port: String,
    /// The source channel.
    pub channel: String,
    /// The sequence.
    pub sequence: i64,
    /// The destination chain.
    pub counterparty_chain: String,
    /// The destination port.
    pub destination_port: String,
    /// The destination channel.
    pub destination_channel: String,
    /// When the relayer first saw it (Unix seconds).
    pub first_seen: i64,
    /// The latest step's kind.
    pub status: String,
    /// What it carries.
    pub app: App,
    /// Its steps, oldest first.
    pub steps: Vec<Step>,
}

/// The application data of a packet.
#[derive(SimpleObject, Clone, Debug)]
pub struct App {
    /// `ics20`, `ics27` or `other`.
    pub kind: String,
    /// ICS-20 sender.
    pub sender: Option<String>,
    /// ICS-20 receiver.
    pub receiver: Option<String>,
    /// ICS-20 denom.
    pub denom: Option<String>,
    /// ICS-20 amount.
    pub amount: Option<String>,
    /// ICS-20 memo.
    pub memo: Option<String>,
    /// ICS-27 owner.
    pub owner: Option<String>,
    /// ICS-27 message types.
    pub messages: Option<Vec<String>>,
    /// Other: the port.
    pub port: Option<String>,
}

/// One step of a packet's life.
#[derive(SimpleObject, Clone, Debug)]
pub struct Step {
    /// sent, received, acknowledged, timed_out, filtered, quarantined.
    pub kind: String,
    /// The chain it happened on.
    pub chain: String,
    /// The block height.
    pub height: i64,
    /// The block time (Unix seconds).
    pub time: i64,
    /// The tx, when there is one.
    pub tx_hash: Option<String>,
    /// acknowledged: whether the ack is a success.
    pub success: Option<bool>,
    /// The error acknowledgement, or why filtered / quarantined.
    pub detail: Option<String>,
}

/// A page of packets, newest first.
#[derive(SimpleObject, Clone, Debug)]
pub struct PacketPage {
    /// The packets.
    pub items: Vec<Packet>,
    /// The cursor of the next page.
    pub next: Option<String>,
}

/// An account of the relayer.
#[derive(SimpleObject, Clone, Debug)]
pub struct Wallet {
    /// The chain.
    pub chain: String,
    /// The address paying the fees.
    pub address: String,
    /// The gas denom.
    pub denom: String,
    /// Its balance, when read.
    pub balance: Option<f64>,
    /// Fees it paid in `denom` since the daemon started.
    pub fees_paid: f64,
}

/// A supervised task.
#[derive(SimpleObject, Clone, Debug)]
pub struct Task {
    /// Its name.
    pub name: String,
    /// Restarts since the daemon started.
    pub restarts: i64,
    /// Whether it keeps crashing.
    pub crash_looping: bool,
}

/// What `clearPackets` did.
#[derive(SimpleObject, Clone, Debug)]
pub struct ClearResult {
    /// Pending packets the clearing was asked to relay.
    pub scheduled: i64,
}

/// A step as it is recorded.
#[derive(SimpleObject, Clone, Debug)]
pub struct PacketStepEvent {
    /// The packet, as it is after the step.
    pub packet: Packet,
    /// The step.
    pub step: Step,
}

/// A MsgUpdateClient that landed on a served client.
#[derive(SimpleObject, Clone, Debug)]
pub struct ClientUpdate {
    /// The host chain.
    pub chain: String,
    /// The client.
    pub client_id: String,
    /// The host block height.
    pub height: i64,
    /// The host block time (Unix seconds).
    pub time: i64,
}

/// `n` as a GraphQL Int (saturating).
pub fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl From<&store::App> for App {
    fn from(app: &store::App) -> Self {
        let empty = App {
            kind: String::new(),
            sender: None,
            receiver: None,
            denom: None,
            amount: None,
            memo: None,
            owner: None,
            messages: None,
            port: None,
        };
        match app {
            store::App::Transfer {
                sender,
                receiver,
                denom,
                amount,
                memo,
            } => App {
                kind: "ics20".into(),
                sender: Some(sender.clone()),
                receiver: Some(receiver.clone()),
                denom: Some(denom.clone()),
                amount: Some(amount.clone()),
                memo: Some(memo.clone()),
                ..empty
            },
            store::App::InterchainAccount { owner, messages } => App {
                kind: "ics27".into(),
                owner: owner.clone(),
                messages: Some(messages.clone()),
                ..empty
            },
            store::App::Other { port } => App {
                kind: "other".into(),
                port: Some(port.clone()),
                ..empty
            },
        }
    }
}

/// The name of a step kind, as the schema spells it.
pub fn kind_name(kind: &StepKind) -> &'static str {
    match kind {
        StepKind::Sent => "sent",
        StepKind::Received => "received",
        StepKind::Acknowledged { .. } => "acknowledged",
        StepKind::TimedOut => "timed_out",
        StepKind::Filtered { .. } => "filtered",
        StepKind::Quarantined { .. } => "quarantined",
    }
}

impl From<&store::Step> for Step {
    fn from(s: &store::Step) -> Self {
        let (success, detail) = match &s.kind {
            StepKind::Acknowledged { success, error } => (Some(*success), error.clone()),
            StepKind::Filtered { reason } | StepKind::Quarantined { reason } => {
                (None, Some(reason.clone()))
            }
            _ => (None, None),
        };
        Step {
            kind: kind_name(&s.kind).into(),
            chain: s.chain.clone(),
            height: int(s.height),
            time: int(s.time),
            tx_hash: s.tx_hash.clone(),
            success,
            detail,
        }
    }
}

impl From<&store::PacketHistory> for Packet {
    fn from(h: &store::PacketHistory) -> Self {
        let s = &h.summary;
        // The latest step: steps are kept oldest first.
        let status = h.steps.last().map_or("seen", |st| kind_name(&st.kind));
        Packet {
            chain: s.id.chain.clone(),
            port: s.id.port.clone(),
            channel: s.id.channel.clone(),
            sequence: int(s.id.sequence),
            counterparty_chain: s.counterparty_chain.clone(),
            destination_port: s.destination_port.clone(),
            destination_channel: s.destination_channel.clone(),
            first_seen: int(s.first_seen),
            status: status.into(),
            app: App::from(&s.app),
            steps: h.steps.iter().map(Step::from).collect(),
        }
    }
}

/// The name of a ledger state, as `PendingPacket.state` spells it.
pub fn state_name(state: PacketState) -> &'static str {
    match state {
        PacketState::Sent | PacketState::RecvSubmitted => "sent",
        PacketState::Received | PacketState::AckWritten => "received",
        PacketState::Filtered => "filtered",
        PacketState::Quarantined => "quarantined",
    }
}
