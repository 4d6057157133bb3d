//! Building and signing Cosmos SDK transactions (SIGN_MODE_DIRECT, secp256k1).

use ibc_proto::cosmos::base::v1beta1::Coin;
use ibc_proto::cosmos::crypto::secp256k1::PubKey;
use ibc_proto::cosmos::tx::signing::v1beta1::SignMode;
use ibc_proto::cosmos::tx::v1beta1::mode_info::{Single, Sum};
use ibc_proto::cosmos::tx::v1beta1::{AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw};
use ibc_proto::google::protobuf::Any;
use prost::{Message, Name};
use sha2::{Digest, Sha256};

use crate::chain::grpc::AccountState;
use crate::keys::{Signer, SignerError};

/// Packs a protobuf message into an `Any` with its canonical type URL.
pub fn encode_any<M: Message + Name>(msg: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

/// Gas limit from simulated gas: `simulated × multiplier`, rounded up, capped by `max_gas`.
pub fn gas_limit_from_simulation(simulated: u64, multiplier: f64, max_gas: u64) -> u64 {
    let scaled = (simulated as f64 * multiplier).ceil();
    (scaled as u64).min(max_gas)
}

/// The fee for `gas_limit` at `price` per unit of gas in `denom`, rounded up.
pub fn fee_for_gas(gas_limit: u64, price: f64, denom: &str) -> Fee {
    let amount = (gas_limit as f64 * price).ceil() as u128;
    Fee {
        amount: vec![Coin {
            denom: denom.to_string(),
            amount: amount.to_string(),
        }],
        gas_limit,
        payer: String::new(),
        granter: String::new(),
    }
}

/// A signed tx, ready to broadcast.
#[derive(Clone, Debug)]
pub struct SignedTx {
    /// The encoded `TxRaw`.
    pub bytes: Vec<u8>,
    /// Its CometBFT hash (SHA-256 of the bytes), upper-case hex like the chain shows it.
    pub hash: String,
    /// The sequence it was signed with.
    pub sequence: u64,
    /// The fee it pays.
    pub fee: Fee,
}

/// Builds and signs txs for one signer on one chain.
pub struct TxBuilder<'a> {
    /// Chain id the signature commits to.
    pub chain_id: &'a str,
    /// The key (file or PKCS#11 token) that signs.
    pub signer: &'a Signer,
}

impl TxBuilder<'_> {
    /// Encodes a tx body with `msgs` and `memo`.
    pub fn body_bytes(msgs: Vec<Any>, memo: String) -> Vec<u8> {
        TxBody {
            messages: msgs,
            memo,
            timeout_height: 0,
            extension_options: Vec::new(),
            non_critical_extension_options: Vec::new(),
        }
        .encode_to_vec()
    }

    /// Signs `body_bytes` with `fee` for `account` (in the token, for a PKCS#11 key).
    pub async fn sign(
        &self,
        body_bytes: Vec<u8>,
        fee: Fee,
        account: AccountState,
    ) -> Result<SignedTx, SignerError> {
        let auth_info_bytes = self.auth_info_bytes(&fee, account);
        let sign_doc = SignDoc {
            body_bytes: body_bytes.clone(),
            auth_info_bytes: auth_info_bytes.clone(),
            chain_id: self.chain_id.to_string(),
            account_number: account.account_number,
        };
        let signature = self.signer.sign(&sign_doc.encode_to_vec()).await?;
        Ok(assemble(
            body_bytes,
            auth_info_bytes,
            signature.to_bytes().to_vec(),
            fee,
            account,
        ))
    }

    /// The tx with a placeholder signature, for simulation only (the SDK does not check
    /// signatures when simulating): a gas estimate costs no signature from the token.
    pub fn unsigned(&self, body_bytes: Vec<u8>, fee: Fee, account: AccountState) -> SignedTx {
        let auth_info_bytes = self.auth_info_bytes(&fee, account);
        assemble(body_bytes, auth_info_bytes, vec![0; 64], fee, account)
    }

    #[allow(deprecated)] // `tip` is deprecated but still a field of AuthInfo
    fn auth_info_bytes(&self, fee: &Fee, account: AccountState) -> Vec<u8> {
        let pub_key = encode_any(&PubKey {
            key: self.signer.public_key().to_vec(),
        });
        AuthInfo {
            signer_infos: vec![SignerInfo {
                public_key: Some(pub_key),
                mode_info: Some(ModeInfo {
                    sum: Some(Sum::Single(Single {
                        mode: SignMode::Direct as i32,
                    })),
                }),
                sequence: account.sequence,
            }],
            fee: Some(fee.clone()),
            tip: None,
        }
        .encode_to_vec()
    }
}

/// The `TxRaw` of the parts, with its hash.
fn assemble(
    body_bytes: Vec<u8>,
    auth_info_bytes: Vec<u8>,
    signature: Vec<u8>,
    fee: Fee,
    account: AccountState,
) -> SignedTx {
    let bytes = TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![signature],
    }
    .encode_to_vec();
    let hash = hex::encode_upper(Sha256::digest(&bytes));
    SignedTx {
        bytes,
        hash,
        sequence: account.sequence,
        fee,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_is_scaled_and_capped() {
        assert_eq!(gas_limit_from_simulation(100_000, 1.3, 4_000_000), 130_000);
        assert_eq!(gas_limit_from_simulation(100_001, 1.5, 4_000_000), 150_002);
        assert_eq!(
            gas_limit_from_simulation(10_000_000, 1.3, 4_000_000),
            4_000_000
        );
    }

    #[test]
    fn fee_rounds_up() {
        let fee = fee_for_gas(130_001, 0.001, "stake");
        assert_eq!(fee.amount[0].amount, "131");
        assert_eq!(fee.amount[0].denom, "stake");
        assert_eq!(fee.gas_limit, 130_001);
    }

    #[test]
    fn any_has_type_url() {
        let any = encode_any(&PubKey { key: vec![2; 33] });
        assert_eq!(any.type_url, "/cosmos.crypto.secp256k1.PubKey");
    }
}
