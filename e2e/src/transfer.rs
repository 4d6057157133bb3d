//! The `tx transfer` command line the tests send ICS-20 transfers with.

use crate::accounts::{USER1, USER2};

/// `count` transfers of `amount` `denom` over `channel`, from a key of the relayer's key
/// ring (user1 unless told) to user2 unless told; built into the relayer's argument list.
#[derive(Clone, Debug)]
pub struct Transfer {
    src_chain: String,
    channel: String,
    amount: String,
    denom: String,
    receiver: String,
    count: usize,
    per_tx: Option<usize>,
    timeout_seconds: Option<u64>,
    memo: Option<String>,
    key_name: String,
    ibc_version: Option<u8>,
}

impl Transfer {
    /// `count` transfers of 1 `denom` from user1 on `src_chain` over channel-0 to user2.
    pub fn new(src_chain: &str, denom: &str, count: usize) -> Self {
        Self {
            src_chain: src_chain.into(),
            channel: "channel-0".into(),
            amount: "1".into(),
            denom: denom.into(),
            receiver: USER2.address.into(),
            count,
            per_tx: None,
            timeout_seconds: None,
            memo: None,
            key_name: USER1.name.into(),
            ibc_version: None,
        }
    }

    /// Over IBC v2 from source client `client` (`--ibc-version 2 --channel <client>`).
    pub fn v2(mut self, client: &str) -> Self {
        self.channel = client.into();
        self.ibc_version = Some(2);
        self
    }

    /// To `receiver` instead of user2.
    pub fn to(mut self, receiver: &str) -> Self {
        self.receiver = receiver.into();
        self
    }

    /// At most `per_tx` transfers in one tx.
    pub fn per_tx(mut self, per_tx: usize) -> Self {
        self.per_tx = Some(per_tx);
        self
    }

    /// A timeout `seconds` after sending.
    pub fn timeout_seconds(mut self, seconds: u64) -> Self {
        self.timeout_seconds = Some(seconds);
        self
    }

    /// With `memo` (none when empty).
    pub fn memo(mut self, memo: &str) -> Self {
        self.memo = (!memo.is_empty()).then(|| memo.to_string());
        self
    }

    /// The relayer's arguments: `tx transfer --src-chain … --key-name …`.
    pub fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = [
            "tx",
            "transfer",
            "--src-chain",
            &self.src_chain,
            "--channel",
            &self.channel,
            "--amount",
            &self.amount,
            "--denom",
            &self.denom,
            "--receiver",
            &self.receiver,
            "--count",
            &self.count.to_string(),
            "--key-name",
            &self.key_name,
        ]
        .map(String::from)
        .into();
        let options = [
            ("--per-tx", self.per_tx.map(|n| n.to_string())),
            (
                "--timeout-seconds",
                self.timeout_seconds.map(|s| s.to_string()),
            ),
            ("--memo", self.memo.clone()),
            ("--ibc-version", self.ibc_version.map(|v| v.to_string())),
        ];
        for (flag, value) in options {
            if let Some(value) = value {
                args.extend([flag.to_string(), value]);
            }
        }
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_has_every_option_given_and_no_other() {
        let plain = Transfer::new("a-1", "stake", 3).args().join(" ");
        assert_eq!(
            plain,
            format!("tx transfer --src-chain a-1 --channel channel-0 --amount 1 --denom stake --receiver {} --count 3 --key-name {}", USER2.address, USER1.name)
        );
        let full = Transfer::new("a-1", "ufoo", 9)
            .to("cosmos1x")
            .per_tx(5)
            .timeout_seconds(3600)
            .memo("m")
            .args()
            .join(" ");
        assert!(
            full.ends_with("--per-tx 5 --timeout-seconds 3600 --memo m"),
            "{full}"
        );
        assert!(full.contains("--receiver cosmos1x"), "{full}");
        assert!(!Transfer::new("a", "b", 1)
            .memo("")
            .args()
            .contains(&"--memo".to_string()));
    }
}
