//! Package `ibc.core.client.v2` (ibc-go v10.7.0 `proto/ibc/core/client/v2/`): pairing a
//! light client with its counterparty for IBC v2 (`tx.proto`, `counterparty.proto`) and
//! reading that pairing back (`query.proto`, method `/ibc.core.client.v2.Query/CounterpartyInfo`);
//! and a client's [`Config`] (`config.proto`): the relayers allowed to relay through it.

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

/// Who may relay through a client (`ibc.core.client.v2.Config`): an empty list lets anyone.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Config {
    /// Addresses allowed to submit packet messages (and updates) for the client.
    #[prost(string, repeated, tag = "1")]
    pub allowed_relayers: ::prost::alloc::vec::Vec<::prost::alloc::string::String>,
}

impl Config {
    /// Whether `address` may relay through the client.
    pub fn allows(&self, address: &str) -> bool {
        self.allowed_relayers.is_empty() || self.allowed_relayers.iter().any(|a| a == address)
    }
}

/// Sets a client's [`Config`] (`ibc.core.client.v2.MsgUpdateClientConfig`); only the
/// client's creator or the chain's authority may.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct MsgUpdateClientConfig {
    /// The client id.
    #[prost(string, tag = "1")]
    pub client_id: ::prost::alloc::string::String,
    /// The new config (ibc-go: non-nullable; always set it).
    #[prost(message, optional, tag = "2")]
    pub config: ::core::option::Option<Config>,
    /// The signer: the client's creator or the authority.
    #[prost(string, tag = "3")]
    pub signer: ::prost::alloc::string::String,
}

/// The (empty) response to [`MsgUpdateClientConfig`].
#[derive(Clone, Copy, PartialEq, ::prost::Message)]
pub struct MsgUpdateClientConfigResponse {}

/// Request of `Query/Config` (`ibc.core.client.v2.QueryConfigRequest`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryConfigRequest {
    /// The client id.
    #[prost(string, tag = "1")]
    pub client_id: ::prost::alloc::string::String,
}

/// Response of `Query/Config` (`ibc.core.client.v2.QueryConfigResponse`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryConfigResponse {
    /// The client's config.
    #[prost(message, optional, tag = "1")]
    pub config: ::core::option::Option<Config>,
}

proto_name!(
    "ibc.core.client.v2": MsgRegisterCounterparty,
    MsgRegisterCounterpartyResponse,
    CounterpartyInfo,
    QueryCounterpartyInfoRequest,
    QueryCounterpartyInfoResponse,
    Config,
    MsgUpdateClientConfig,
    MsgUpdateClientConfigResponse,
    QueryConfigRequest,
    QueryConfigResponse,
);

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    #[test]
    fn an_empty_allow_list_allows_anyone_and_a_list_only_its_members() {
        let open = Config::default();
        assert!(open.allows("cosmos1any"));
        let closed = Config {
            allowed_relayers: vec!["cosmos1a".into()],
        };
        assert!(closed.allows("cosmos1a"));
        assert!(!closed.allows("cosmos1b"));
    }

    #[test]
    fn update_client_config_encodes_fields_one_to_three() {
        let msg = MsgUpdateClientConfig {
            client_id: "c".into(),
            config: Some(Config {
                allowed_relayers: vec!["r".into()],
            }),
            signer: "s".into(),
        };
        // 1: "c"; 2: Config { 1: "r" }; 3: "s".
        let expected = [0x0a, 1, b'c', 0x12, 3, 0x0a, 1, b'r', 0x1a, 1, b's'];
        assert_eq!(msg.encode_to_vec(), expected);
        // An empty config is still sent (tag + length 0), as ibc-go's non-nullable field is.
        let clear = MsgUpdateClientConfig {
            config: Some(Config::default()),
            ..msg
        };
        assert_eq!(&clear.encode_to_vec()[3..5], &[0x12, 0]);
    }
}
