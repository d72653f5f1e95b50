//! Funded development accounts: nitro dev node's well-known key first, then keys derived from a
//! fixed phrase, so every run of the devnet has the same accounts.

use alloy_primitives::{keccak256, Address, B256};
use k256::ecdsa::SigningKey;

use crate::chain::DevAccount;

/// Private key of the account nitro's dev node funds (public knowledge, for local use only).
pub const NITRO_DEV_KEY: B256 =
    alloy_primitives::b256!("b6b15c8cb491557369f3c7d2c287b053eb229daa9c22138887752191c9520659");

/// The first `count` dev accounts.
pub fn accounts(count: usize) -> Vec<DevAccount> {
    (0..count)
        .map(|i| {
            let key = if i == 0 {
                NITRO_DEV_KEY
            } else {
                keccak256(format!("stylus-options devnet account {i}"))
            };
            DevAccount {
                address: address_of(&key),
                private_key: key,
            }
        })
        .collect()
}

/// The address of a private key; keys outside the curve order give the zero address (the
/// derivation above never produces one in practice).
pub fn address_of(key: &B256) -> Address {
    SigningKey::from_slice(key.as_slice())
        .map(|k| Address::from_private_key(&k))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nitro_dev_account_address() {
        assert_eq!(
            address_of(&NITRO_DEV_KEY),
            alloy_primitives::address!("3f1Eae7D46d88F08fc2F8ed27FCb2AB183EB2d0E")
        );
        let all = accounts(10);
        assert_eq!(all.len(), 10);
        assert!(all.iter().all(|a| a.address != Address::ZERO));
    }
}
