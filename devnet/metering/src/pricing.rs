//! Ink prices of the host functions, the ink/gas exchange rate and the EVM gas a Stylus program
//! pays for EVM-equivalent work (nitro's `arbutil/src/pricing.rs` and `arbutil/src/evm/mod.rs`).
//!
//! A host function first buys its base ink (the `hostio` constants), then any size-dependent
//! ink ([`read_price`], [`write_price`], [`keccak_price`], [`pow_price`]) and, for storage,
//! logs and calls, the EVM gas converted with [`InkPrice::gas_to_ink`].

/// Every host function: the cost of crossing into the host.
pub const HOSTIO_INK: u64 = 8400;
/// Per pointer argument a host function dereferences.
pub const PTR_INK: u64 = 13440 - HOSTIO_INK;
/// Host functions that go through the EVM API (state, calls, logs).
pub const EVM_API_INK: u64 = 59673;
/// `math_div` and `math_mod`.
pub const DIV_INK: u64 = 20000;
/// `math_mul_mod`.
pub const MUL_MOD_INK: u64 = 24100;
/// `math_add_mod`.
pub const ADD_MOD_INK: u64 = 21000;

/// Base ink of each host function, bought before anything else it charges.
pub mod hostio {
    use super::{ADD_MOD_INK, DIV_INK, EVM_API_INK, HOSTIO_INK, MUL_MOD_INK, PTR_INK};

    pub const READ_ARGS: u64 = HOSTIO_INK;
    pub const WRITE_RESULT: u64 = HOSTIO_INK;
    pub const EXIT_EARLY: u64 = 0;
    pub const STORAGE_LOAD_BYTES32: u64 = HOSTIO_INK + 2 * PTR_INK;
    pub const STORAGE_CACHE_BYTES32: u64 = HOSTIO_INK + 2 * PTR_INK;
    pub const STORAGE_FLUSH_CACHE: u64 = HOSTIO_INK + EVM_API_INK;
    pub const TRANSIENT_LOAD_BYTES32: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    pub const TRANSIENT_STORE_BYTES32: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    pub const CALL_CONTRACT: u64 = HOSTIO_INK + 3 * PTR_INK + EVM_API_INK;
    pub const DELEGATE_CALL_CONTRACT: u64 = CALL_CONTRACT;
    pub const STATIC_CALL_CONTRACT: u64 = CALL_CONTRACT;
    pub const CREATE1: u64 = HOSTIO_INK + 3 * PTR_INK + EVM_API_INK;
    pub const CREATE2: u64 = HOSTIO_INK + 4 * PTR_INK + EVM_API_INK;
    pub const READ_RETURN_DATA: u64 = HOSTIO_INK + EVM_API_INK;
    pub const RETURN_DATA_SIZE: u64 = HOSTIO_INK;
    pub const EMIT_LOG: u64 = HOSTIO_INK + EVM_API_INK;
    pub const ACCOUNT_BALANCE: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    pub const ACCOUNT_CODE: u64 = HOSTIO_INK + EVM_API_INK;
    pub const ACCOUNT_CODE_SIZE: u64 = HOSTIO_INK + EVM_API_INK;
    pub const ACCOUNT_CODEHASH: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    pub const BLOCK_BASEFEE: u64 = HOSTIO_INK + PTR_INK;
    pub const BLOCK_COINBASE: u64 = HOSTIO_INK + PTR_INK;
    pub const BLOCK_GAS_LIMIT: u64 = HOSTIO_INK;
    pub const BLOCK_NUMBER: u64 = HOSTIO_INK;
    pub const BLOCK_TIMESTAMP: u64 = HOSTIO_INK;
    pub const CHAINID: u64 = HOSTIO_INK;
    pub const CONTRACT_ADDRESS: u64 = HOSTIO_INK + PTR_INK;
    pub const EVM_GAS_LEFT: u64 = HOSTIO_INK;
    pub const EVM_INK_LEFT: u64 = HOSTIO_INK;
    pub const MATH_DIV: u64 = HOSTIO_INK + 3 * PTR_INK + DIV_INK;
    pub const MATH_MOD: u64 = HOSTIO_INK + 3 * PTR_INK + DIV_INK;
    /// Plus [`super::pow_price`] of the exponent.
    pub const MATH_POW: u64 = HOSTIO_INK + 3 * PTR_INK;
    pub const MATH_ADD_MOD: u64 = HOSTIO_INK + 4 * PTR_INK + ADD_MOD_INK;
    pub const MATH_MUL_MOD: u64 = HOSTIO_INK + 4 * PTR_INK + MUL_MOD_INK;
    pub const MSG_REENTRANT: u64 = HOSTIO_INK;
    pub const MSG_SENDER: u64 = HOSTIO_INK + PTR_INK;
    pub const MSG_VALUE: u64 = HOSTIO_INK + PTR_INK;
    pub const TX_GAS_PRICE: u64 = HOSTIO_INK + PTR_INK;
    pub const TX_INK_PRICE: u64 = HOSTIO_INK;
    pub const TX_ORIGIN: u64 = HOSTIO_INK + PTR_INK;
    /// Charged when `pages == 0`; otherwise the memory model's gas is charged instead.
    pub const PAY_FOR_MEMORY_GROW: u64 = HOSTIO_INK;
}

/// Ink to copy `bytes` from the host into the program (results of a host function).
pub fn write_price(bytes: u32) -> u64 {
    add_mul(5040, 30, bytes.saturating_sub(32))
}

/// Ink to copy `bytes` from the program into the host (arguments of a host function).
pub fn read_price(bytes: u32) -> u64 {
    add_mul(16381, 55, bytes.saturating_sub(32))
}

/// Ink of `native_keccak256` over `bytes` (I/O included).
pub fn keccak_price(bytes: u32) -> u64 {
    add_mul(121_800, 21_000, evm_words(bytes).saturating_sub(2))
}

/// Ink of `math_pow` beyond its base: 17,500 per significant byte of the big-endian exponent,
/// plus one byte's worth for the zero exponent's sake.
pub fn pow_price(exponent: &[u8; 32]) -> u64 {
    let leading_zeros = exponent.iter().take_while(|&&byte| byte == 0).count() as u64;
    3000 + (33 - leading_zeros) * 17_500
}

fn add_mul(base: u64, per: u64, count: u32) -> u64 {
    base.saturating_add(per.saturating_mul(u64::from(count)))
}

/// 32-byte words needed to hold `bytes`.
pub fn evm_words(bytes: u32) -> u32 {
    bytes.div_ceil(32)
}

/// The ink price: how many ink one gas buys (`initialInkPrice` = 10,000).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InkPrice(u32);

/// Arbitrum's ink price since Stylus launched.
pub const INITIAL_INK_PRICE: u32 = 10_000;

impl InkPrice {
    /// A price of 0 would make gas free and break the division below; it is refused.
    pub fn new(ink_per_gas: u32) -> Option<Self> {
        (ink_per_gas != 0).then_some(Self(ink_per_gas))
    }

    pub fn ink_per_gas(self) -> u32 {
        self.0
    }

    pub fn gas_to_ink(self, gas: u64) -> u64 {
        gas.saturating_mul(u64::from(self.0))
    }

    /// Rounds down: ink that does not make a whole gas is not returned as gas.
    pub fn ink_to_gas(self, ink: u64) -> u64 {
        ink / u64::from(self.0)
    }
}

impl Default for InkPrice {
    fn default() -> Self {
        Self(INITIAL_INK_PRICE)
    }
}

/// EVM gas constants nitro charges Stylus programs for EVM-equivalent work.
pub mod evm {
    /// `SSTORE` needs at least this much gas left (EIP-2200 sentry).
    pub const SSTORE_SENTRY_GAS: u64 = 2300;
    pub const COLD_ACCOUNT_GAS: u64 = 2600;
    pub const COLD_SLOAD_GAS: u64 = 2100;
    pub const WARM_SLOAD_GAS: u64 = 100;
    pub const TLOAD_GAS: u64 = WARM_SLOAD_GAS;
    pub const TSTORE_GAS: u64 = WARM_SLOAD_GAS;
    pub const LOG_TOPIC_GAS: u64 = 375;
    pub const LOG_DATA_GAS: u64 = 8;
    pub const COPY_WORD_GAS: u64 = 3;
    pub const KECCAK_256_GAS: u64 = 30;
    pub const KECCAK_WORD_GAS: u64 = 6;
    /// `GasQuickStep`: the EVM price of address, basefee, chainid, coinbase, gaslimit, number,
    /// timestamp, gas, caller, callvalue, gasprice and origin.
    pub const GAS_QUICK_STEP: u64 = 2;

    /// Gas of a log with `topics` topics and `data_len` bytes of data (the base `LOG` gas
    /// counts as one topic, as in nitro's `pay_for_evm_log`).
    pub fn log_gas(topics: u32, data_len: u32) -> u64 {
        let topics = (1 + u64::from(topics)) * LOG_TOPIC_GAS;
        topics.saturating_add(u64::from(data_len) * LOG_DATA_GAS)
    }
}

/// Ink left after buying `cost`, or `None` when it is not enough (the program is then out of
/// ink: set the status global to 1 and trap).
pub fn buy_ink(ink_left: u64, cost: u64) -> Option<u64> {
    ink_left.checked_sub(cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_hostio_prices() {
        assert_eq!(PTR_INK, 5040);
        assert_eq!(hostio::STORAGE_LOAD_BYTES32, 8400 + 2 * 5040);
        assert_eq!(hostio::CALL_CONTRACT, 8400 + 3 * 5040 + 59673);
        assert_eq!(hostio::MATH_MUL_MOD, 8400 + 4 * 5040 + 24100);
    }

    #[test]
    fn io_prices_start_after_one_word() {
        assert_eq!(read_price(0), 16381);
        assert_eq!(read_price(32), 16381);
        assert_eq!(read_price(33), 16381 + 55);
        assert_eq!(write_price(100), 5040 + 30 * 68);
        assert_eq!(
            write_price(u32::MAX),
            5040 + 30 * (u64::from(u32::MAX) - 32)
        );
    }

    #[test]
    fn keccak_pays_per_word_beyond_two() {
        assert_eq!(keccak_price(0), 121_800);
        assert_eq!(keccak_price(64), 121_800);
        assert_eq!(keccak_price(65), 121_800 + 21_000);
        assert_eq!(keccak_price(32 * 10), 121_800 + 8 * 21_000);
    }

    #[test]
    fn pow_pays_per_exponent_byte() {
        assert_eq!(pow_price(&[0; 32]), 3000 + 17_500);
        let mut one = [0; 32];
        one[31] = 1;
        assert_eq!(pow_price(&one), 3000 + 2 * 17_500);
        assert_eq!(pow_price(&[0xff; 32]), 3000 + 33 * 17_500);
    }

    #[test]
    fn ink_and_gas() {
        let price = InkPrice::default();
        assert_eq!(price.gas_to_ink(21_000), 210_000_000);
        assert_eq!(price.ink_to_gas(19_999), 1);
        assert_eq!(price.gas_to_ink(u64::MAX), u64::MAX);
        assert_eq!(InkPrice::new(0), None);
        assert_eq!(InkPrice::new(1).map(|p| p.ink_to_gas(7)), Some(7));
    }

    #[test]
    fn log_gas_counts_the_base_as_a_topic() {
        assert_eq!(evm::log_gas(0, 0), 375);
        assert_eq!(evm::log_gas(2, 64), 3 * 375 + 64 * 8);
    }

    #[test]
    fn buying_ink() {
        assert_eq!(buy_ink(10, 10), Some(0));
        assert_eq!(buy_ink(9, 10), None);
    }
}
