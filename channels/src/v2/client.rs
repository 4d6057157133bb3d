//! Package `ibc.core.client.v2` (ibc-go v10.7.0 `proto/ibc/core/client/v2/`): pairing a
//! light client with its counterparty for IBC v2 (`tx.proto`, `counterparty.proto`) and
//! reading that pairing back (`query.proto`, method `/ibc.core.client.v2.Query/CounterpartyInfo`).

/// Registers the counterparty of a client (`ibc.core.client.v2.MsgRegisterCounterparty`):
/// which client on the other chain sends packets to `client_id`, and the merkle prefix the
/// other chain's IBC store is proven under. Needed once per client before IBC v2 packets.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct MsgRegisterCounterparty {
    /// The client on this chain.
    #[prost(string, tag = "1")]
    pub client_id: ::prost::alloc::string::String,
    /// The counterparty chain's merkle prefix, one element per proof layer; for an ibc-go
    /// chain `["ibc", ""]` (store key `ibc`, keys at the root of that store).
    #[prost(bytes = "vec", repeated, tag = "2")]
    pub counterparty_merkle_prefix: ::prost::alloc::vec::Vec<::prost::alloc::vec::Vec<u8>>,
    /// The client on the counterparty chain (of this chain).
    #[prost(string, tag = "3")]
    pub counterparty_client_id: ::prost::alloc::string::String,
    /// The signer's address (the client's creator).
    #[prost(string, tag = "4")]
    pub signer: ::prost::alloc::string::String,
}

/// The (empty) response to [`MsgRegisterCounterparty`]
/// (`ibc.core.client.v2.MsgRegisterCounterpartyResponse`).
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct MsgRegisterCounterpartyResponse {}

/// The registered counterparty of a client (`ibc.core.client.v2.CounterpartyInfo`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct CounterpartyInfo {
    /// The merkle prefix the counterparty's provable keys are stored under.
    #[prost(bytes = "vec", repeated, tag = "1")]
    pub merkle_prefix: ::prost::alloc::vec::Vec<::prost::alloc::vec::Vec<u8>>,
    /// The client on the counterparty chain that sends packets to this client.
    #[prost(string, tag = "2")]
    pub client_id: ::prost::alloc::string::String,
}

/// Request of `Query/CounterpartyInfo` (`ibc.core.client.v2.QueryCounterpartyInfoRequest`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryCounterpartyInfoRequest {
    /// The client id.
    #[prost(string, tag = "1")]
    pub client_id: ::prost::alloc::string::String,
}

/// Response of `Query/CounterpartyInfo` (`ibc.core.client.v2.QueryCounterpartyInfoResponse`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryCounterpartyInfoResponse {
    /// The client's counterparty.
    #[prost(message, optional, tag = "1")]
    pub counterparty_info: ::core::option::Option<CounterpartyInfo>,
}

proto_name!(
    "ibc.core.client.v2": MsgRegisterCounterparty,
    MsgRegisterCounterpartyResponse,
    CounterpartyInfo,
    QueryCounterpartyInfoRequest,
    QueryCounterpartyInfoResponse,
);
