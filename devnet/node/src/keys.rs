//! The funded development keys: the accounts anvil and Hardhat derive from the standard test
//! mnemonic (BIP-39 seed, BIP-32/BIP-44 path `m/44'/60'/0'/0/i`), then the key nitro's dev node
//! funds. Deriving them here takes HMAC-SHA512 and secp256k1 arithmetic, nothing more.

use alloy_primitives::{b256, Address, B256};
use hmac::{Hmac, Mac};
use k256::ecdsa::SigningKey;
use k256::elliptic_curve::PrimeField;
use k256::{NonZeroScalar, Scalar};
use sha2::Sha512;

/// The mnemonic every Ethereum dev tool funds (public knowledge, for local use only).
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// The key nitro's dev node funds (public knowledge, for local use only).
pub const NITRO_DEV_KEY: B256 =
    b256!("b6b15c8cb491557369f3c7d2c287b053eb229daa9c22138887752191c9520659");

/// BIP-32 marks hardened path components with the top bit.
const HARDENED: u32 = 1 << 31;
/// BIP-39 stretches the phrase with this many PBKDF2 rounds.
const PBKDF2_ROUNDS: u32 = 2048;

type HmacSha512 = Hmac<Sha512>;

/// A funded key the node can sign with.
#[derive(Clone, PartialEq, Eq)]
pub struct DevKey {
    pub address: Address,
    pub private_key: B256,
}

impl std::fmt::Debug for DevKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Dev keys are public, but a Debug print of a key is still a bad habit to encourage.
        f.debug_struct("DevKey")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl DevKey {
    /// The key for a raw secret; `None` when it is not a valid secp256k1 scalar.
    pub fn from_secret(private_key: B256) -> Option<Self> {
        let signing = SigningKey::from_slice(private_key.as_slice()).ok()?;
        Some(Self {
            address: Address::from_private_key(&signing),
            private_key,
        })
    }

    /// The signing key.
    pub fn signing_key(&self) -> SigningKey {
        // Only constructed from valid scalars.
        SigningKey::from_slice(self.private_key.as_slice())
            .expect("a DevKey always holds a valid scalar")
    }
}

/// The `count` mnemonic accounts followed by nitro's dev key.
pub fn dev_keys(count: u32) -> Vec<DevKey> {
    let seed = mnemonic_seed(DEV_MNEMONIC, "");
    let mut keys: Vec<DevKey> = (0..count)
        .filter_map(|i| derive(&seed, &[44 | HARDENED, 60 | HARDENED, HARDENED, 0, i]))
        .collect();
    keys.extend(DevKey::from_secret(NITRO_DEV_KEY));
    keys
}

/// BIP-39: the 64-byte seed of a phrase, PBKDF2-HMAC-SHA512 over `"mnemonic" ‖ passphrase`.
pub fn mnemonic_seed(phrase: &str, passphrase: &str) -> [u8; 64] {
    let mac = HmacSha512::new_from_slice(phrase.as_bytes()).expect("HMAC takes any key length");
    // The seed is exactly one SHA-512 block long, so PBKDF2 runs a single block (index 1).
    let mut first = mac.clone();
    first.update(format!("mnemonic{passphrase}").as_bytes());
    first.update(&1u32.to_be_bytes());
    let mut u: [u8; 64] = first.finalize().into_bytes().into();
    let mut seed = u;
    for _ in 1..PBKDF2_ROUNDS {
        let mut next = mac.clone();
        next.update(&u);
        u = next.finalize().into_bytes().into();
        for (s, x) in seed.iter_mut().zip(u) {
            *s ^= x;
        }
    }
    seed
}

/// BIP-32: the private key at `path` below the master key of `seed`; `None` in the
/// (2^-127 likely) case of an invalid child, which BIP-32 says to skip.
pub fn derive(seed: &[u8], path: &[u32]) -> Option<DevKey> {
    let (mut key, mut chain_code) = split(hmac(b"Bitcoin seed", &[seed]))?;
    for &index in path {
        let data_key = if index & HARDENED != 0 {
            let mut bytes = vec![0u8];
            bytes.extend_from_slice(&key.to_bytes());
            bytes
        } else {
            let public = SigningKey::from(key).verifying_key().to_encoded_point(true);
            public.as_bytes().to_vec()
        };
        let (tweak, code) = split(hmac(&chain_code, &[&data_key, &index.to_be_bytes()]))?;
        let child: Scalar = *tweak.as_ref() + *key.as_ref();
        key = Option::from(NonZeroScalar::new(child))?;
        chain_code = code;
    }
    DevKey::from_secret(B256::from_slice(&key.to_bytes()))
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 64] {
    let mut mac = HmacSha512::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Left half as a non-zero scalar below the curve order, right half as the chain code.
fn split(digest: [u8; 64]) -> Option<(NonZeroScalar, [u8; 32])> {
    let mut left = [0u8; 32];
    left.copy_from_slice(&digest[..32]);
    let scalar: Scalar = Option::from(Scalar::from_repr(left.into()))?;
    let key = Option::from(NonZeroScalar::new(scalar))?;
    let mut chain_code = [0u8; 32];
    chain_code.copy_from_slice(&digest[32..]);
    Some((key, chain_code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, hex};

    #[test]
    fn bip39_seed_matches_the_reference_vector() {
        // Trezor's BIP-39 test vector 1 (passphrase "TREZOR").
        let seed = mnemonic_seed(
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
            "TREZOR",
        );
        assert_eq!(
            hex::encode(seed),
            "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
        );
    }

    #[test]
    fn bip32_matches_the_reference_vector() {
        // BIP-32 test vector 1, chain m/0H/1/2H/2/1000000000.
        let seed = hex::decode("000102030405060708090a0b0c0d0e0f").unwrap();
        let key = derive(&seed, &[HARDENED, 1, 2 | HARDENED, 2, 1_000_000_000]).unwrap();
        assert_eq!(
            key.private_key,
            b256!("471b76e389e528d6de6d816857e012c5455051cad6660850e58372a6c3e6e7c8")
        );
    }

    #[test]
    fn dev_accounts_are_the_ones_anvil_prints() {
        let keys = dev_keys(10);
        assert_eq!(keys.len(), 11);
        assert_eq!(
            keys[0].address,
            address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        );
        assert_eq!(
            keys[0].private_key,
            b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
        );
        assert_eq!(
            keys[1].address,
            address!("70997970C51812dc3A010C7d01b50e0d17dc79C8")
        );
        assert_eq!(
            keys[9].address,
            address!("a0Ee7A142d267C1f36714E4a8F75612F20a79720")
        );
        assert_eq!(
            keys[10].address,
            address!("3f1Eae7D46d88F08fc2F8ed27FCb2AB183EB2d0E")
        );
    }
}
