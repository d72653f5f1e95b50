//! Hand-rolled ABI encoding for events and custom errors made of static words (and at most one
//! `bytes` value).
//!
//! `sol!`'s derived encoders are instantiated once per type; in a Stylus contract with tens of
//! events and errors that alone costs kilobytes of WASM and pushed several contracts over the
//! 24 KiB limit. Contracts encode with these few functions instead, and their unit tests check
//! each event and error against the `sol!` encoding of the same type (see the tests below for the
//! pattern).

use alloc::vec::Vec;

use alloy_primitives::{Address, FixedBytes, Signed, Uint, B256};

/// One static ABI word, as `abi.encode` writes it.
pub trait Word {
    fn word(&self) -> B256;
}

impl<const BITS: usize, const LIMBS: usize> Word for Uint<BITS, LIMBS> {
    fn word(&self) -> B256 {
        let mut out = [0u8; 32];
        let bytes = self.to_be_bytes_vec();
        out[32 - bytes.len()..].copy_from_slice(&bytes);
        B256::from(out)
    }
}

impl<const BITS: usize, const LIMBS: usize> Word for Signed<BITS, LIMBS> {
    fn word(&self) -> B256 {
        // Sign-extended to 32 bytes, as Solidity encodes every intN.
        let fill = if self.is_negative() { 0xff } else { 0 };
        let mut out = [fill; 32];
        let bytes = self.into_raw().to_be_bytes_vec();
        out[32 - bytes.len()..].copy_from_slice(&bytes);
        B256::from(out)
    }
}

impl Word for Address {
    fn word(&self) -> B256 {
        self.into_word()
    }
}

impl Word for FixedBytes<32> {
    fn word(&self) -> B256 {
        *self
    }
}

impl Word for bool {
    fn word(&self) -> B256 {
        B256::with_last_byte(u8::from(*self))
    }
}

macro_rules! word_for_primitive {
    ($($t:ty),*) => {$(
        impl Word for $t {
            fn word(&self) -> B256 {
                let mut out = [0u8; 32];
                out[32 - core::mem::size_of::<$t>()..].copy_from_slice(&self.to_be_bytes());
                B256::from(out)
            }
        }
    )*};
}
word_for_primitive!(u8, u16, u32, u64, u128);

/// `abi.encode(words...)` for static words: the data of an event.
pub fn data(words: &[B256]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 * words.len());
    for word in words {
        out.extend_from_slice(word.as_slice());
    }
    out
}

/// `abi.encodeWithSelector(selector, words...)`: a custom error of static fields.
pub fn error(selector: [u8; 4], words: &[B256]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 32 * words.len());
    out.extend_from_slice(&selector);
    for word in words {
        out.extend_from_slice(word.as_slice());
    }
    out
}

/// `abi.encode(before..., bytes, after...)`: static words around one `bytes` value.
pub fn with_bytes(before: &[B256], bytes: &[u8], after: &[B256]) -> Vec<u8> {
    let head_words = before.len() + 1 + after.len();
    let padded = bytes.len().div_ceil(32) * 32;
    let mut out = Vec::with_capacity(32 * (head_words + 1) + padded);
    for word in before {
        out.extend_from_slice(word.as_slice());
    }
    out.extend_from_slice(((32 * head_words) as u64).word().as_slice());
    for word in after {
        out.extend_from_slice(word.as_slice());
    }
    out.extend_from_slice((bytes.len() as u64).word().as_slice());
    out.extend_from_slice(bytes);
    out.resize(out.len() + padded - bytes.len(), 0);
    out
}

/// A custom error whose fields are static words followed by one `bytes` value.
pub fn error_with_bytes(selector: [u8; 4], before: &[B256], bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 32 * (before.len() + 2) + bytes.len().div_ceil(32) * 32);
    out.extend_from_slice(&selector);
    out.extend(with_bytes(before, bytes, &[]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloy_primitives::{address, Bytes, I256, U256};
    use alloy_sol_types::{sol, SolError, SolEvent};

    sol! {
        error Mixed(address who, uint256 amount, int256 delta, bool flag, uint8 small, uint64 at, bytes32 id);
        error WithBytes(address target, uint256 code, bytes reason);
        event Moved(address indexed from, uint256 amount, int128 delta, bytes note, uint32 tail);
    }

    #[test]
    fn static_error_matches_sol() {
        let e = Mixed {
            who: address!("00000000000000000000000000000000deadbeef"),
            amount: U256::MAX - U256::from(7),
            delta: I256::try_from(-12345).unwrap(),
            flag: true,
            small: 200,
            at: u64::MAX,
            id: B256::repeat_byte(0xab),
        };
        let ours = error(
            Mixed::SELECTOR,
            &[
                e.who.word(),
                e.amount.word(),
                e.delta.word(),
                e.flag.word(),
                e.small.word(),
                e.at.word(),
                e.id.word(),
            ],
        );
        assert_eq!(ours, e.abi_encode());
    }

    #[test]
    fn bytes_error_matches_sol_for_every_padding() {
        for len in [0usize, 1, 31, 32, 33, 100] {
            let e = WithBytes {
                target: address!("0000000000000000000000000000000000000001"),
                code: U256::from(len),
                reason: Bytes::from(vec![0x5a; len]),
            };
            let ours = error_with_bytes(
                WithBytes::SELECTOR,
                &[e.target.word(), e.code.word()],
                &e.reason,
            );
            assert_eq!(ours, e.abi_encode(), "reason of {len} bytes");
        }
    }

    #[test]
    fn event_data_with_bytes_in_the_middle_matches_sol() {
        let ev = Moved {
            from: address!("0000000000000000000000000000000000000002"),
            amount: U256::from(10u64).pow(U256::from(30u64)),
            delta: -5i128,
            note: Bytes::from(vec![1, 2, 3]),
            tail: 77,
        };
        let ours = with_bytes(
            &[
                ev.amount.word(),
                Signed::<128, 2>::try_from(ev.delta).unwrap().word(),
            ],
            &ev.note,
            &[ev.tail.word()],
        );
        assert_eq!(ours, ev.encode_data());
        assert_eq!(
            data(&[ev.amount.word()]),
            ev.amount.to_be_bytes::<32>().to_vec()
        );
    }
}
