//! The stranger's MsgConnectionOpenInit, signed with the relayer crate's tx builder
//! (ibc-go v8's simd has no `tx ibc connection open-init`), from a key dir of its own.

use ibc_proto::ibc::core::commitment::v1::MerklePrefix;
use ibc_proto::ibc::core::connection::v1::{Counterparty, MsgConnectionOpenInit, Version};
use stateset_e2e::accounts::Account;
use stateset_e2e::chain::TestChain;
use stateset_relayer::chain::tx::encode_any;
use stateset_relayer::chain::ChainEndpoint;
use stateset_relayer::config::Config;
use stateset_relayer::keys::KeyRing;

/// Opens a connection in INIT on `host` over `client_id`, towards `counterparty_client`
/// on the other chain, signed by `signer`. Panics if the tx fails.
pub fn open_init(host: &TestChain, signer: &Account, client_id: &str, counterparty_client: &str) {
    let keys = tempfile::tempdir().expect("temp dir");
    let text = format!(
        "[global]\nkey_dir = \"{keys}\"\n\n[[chains]]\nid = \"{id}\"\nrpc_addr = \"{rpc}\"\n\
         grpc_addr = \"{grpc}\"\nevent_source = {{ mode = \"push\", url = \"{ws}\" }}\n\
         account_prefix = \"cosmos\"\nkey_name = \"stranger\"\n\
         gas_price = {{ price = 0.001, denom = \"stake\" }}\n",
        keys = keys.path().display(),
        id = host.chain_id(),
        rpc = host.rpc_url(),
        grpc = host.grpc_url(),
        ws = host.ws_url(),
    );
    let config = Config::from_toml_str(&text, "stranger.toml").expect("stranger config parses");
    let ring = KeyRing::new(keys.path());
    ring.add(
        host.chain_id(),
        "stranger",
        signer.mnemonic,
        "m/44'/118'/0'/0/0",
        "cosmos",
        false,
    )
    .expect("stranger key imported");
    let msg = MsgConnectionOpenInit {
        client_id: client_id.to_string(),
        counterparty: Some(Counterparty {
            client_id: counterparty_client.to_string(),
            connection_id: String::new(),
            prefix: Some(MerklePrefix {
                key_prefix: b"ibc".to_vec(),
            }),
        }),
        version: Some(Version {
            identifier: "1".into(),
            features: vec!["ORDER_ORDERED".into(), "ORDER_UNORDERED".into()],
        }),
        delay_period: 0,
        signer: signer.address.to_string(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let endpoint = ChainEndpoint::connect(&config.chains[0], Some(&ring))
            .await
            .expect("stranger endpoint connects");
        assert_eq!(endpoint.signer_address(), Some(signer.address));
        endpoint
            .send_msgs(vec![encode_any(&msg)], "")
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "stranger's MsgConnectionOpenInit on {}: {e}",
                    host.chain_id()
                )
            });
    });
}
