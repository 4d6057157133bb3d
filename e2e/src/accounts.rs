//! The fixed test accounts every harness chain funds at genesis.
//!
//! The mnemonics were generated once with `simd keys mnemonic` and the addresses taken
//! from `simd keys add --recover --keyring-backend test` (secp256k1, `m/44'/118'/0'/0/0`,
//! prefix `cosmos`). They are public test secrets: never use them on a real network.

/// A funded test account, present in each chain's `test` keyring under [`Account::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    /// The key name in the chain's `test` keyring.
    pub name: &'static str,
    /// The 24-word BIP-39 mnemonic.
    pub mnemonic: &'static str,
    /// The bech32 address (`cosmos1...`) at `m/44'/118'/0'/0/0`.
    pub address: &'static str,
}

/// The validator: signs the genesis tx and self-delegates [`VALIDATOR_SELF_DELEGATION`].
pub const VALIDATOR: Account = Account {
    name: "validator",
    mnemonic: "gas arrive hollow network glue file heavy more milk sibling goddess private \
               corn flight gas raven october party zoo half jungle chair impose island",
    address: "cosmos174ylg9yjwllflhxt7kgdkguxgjs8nkuvqmfmj7",
};

/// The relayer's key: what `stateset-relayer keys add` imports for the devnet and tests.
pub const RELAYER: Account = Account {
    name: "relayer",
    mnemonic: "salt benefit bind destroy draw sick either erase find pupil mystery summer \
               spin clown monster more doll goose century arrow paddle tank claw alpha",
    address: "cosmos154pwwakk949gjkfpglw0479k8qm30xp2m9a3ym",
};

/// A user account for transfers.
pub const USER1: Account = Account {
    name: "user1",
    mnemonic: "dizzy announce manual regret unfold provide minute method ritual shrimp lyrics \
               viable coconut situate foil curtain behind dentist rookie announce vessel \
               voyage fish erode",
    address: "cosmos1w3g6mpj5vpfmau06hjlz5795kves3n6tpayau4",
};

/// A second user account for transfers.
pub const USER2: Account = Account {
    name: "user2",
    mnemonic: "grow rate omit match story text high milk divide legend burst picture lounge \
               notable drum such march cannon abstract section merge ethics onion scorpion",
    address: "cosmos1334zx8uq9vggqdjaqdtyt4vgwdk2aah0anv9hm",
};

/// All test accounts, validator first.
pub const ALL: [Account; 4] = [VALIDATOR, RELAYER, USER1, USER2];

/// The staking and fee denom.
pub const STAKE_DENOM: &str = "stake";

/// The second denom every account holds.
pub const FOO_DENOM: &str = "ufoo";

/// What each account holds of each denom at genesis (10^14).
pub const GENESIS_BALANCE: u128 = 100_000_000_000_000;

/// What the validator self-delegates at genesis (10^13 stake).
pub const VALIDATOR_SELF_DELEGATION: u128 = 10_000_000_000_000;

/// Looks an account up by key name.
pub fn by_name(name: &str) -> Option<Account> {
    ALL.into_iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mnemonics_have_24_single_spaced_words() {
        for account in ALL {
            let words: Vec<&str> = account.mnemonic.split(' ').collect();
            assert_eq!(words.len(), 24, "{}", account.name);
            assert!(words
                .iter()
                .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase())));
        }
    }

    #[test]
    fn names_and_addresses_are_distinct() {
        for (i, a) in ALL.iter().enumerate() {
            assert!(a.address.starts_with("cosmos1") && a.address.len() == 45);
            for b in &ALL[i + 1..] {
                assert_ne!(a.name, b.name);
                assert_ne!(a.address, b.address);
            }
        }
        assert_eq!(by_name("user2"), Some(USER2));
        assert_eq!(by_name("nobody"), None);
    }
}
