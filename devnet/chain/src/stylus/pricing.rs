//! Ink prices of the host functions (nitro `arbutil::pricing`), as `stylus-metering` will
//! export them; this local copy goes once that crate lands.

pub(crate) const HOSTIO_INK: u64 = 8400;
pub(crate) const PTR_INK: u64 = 13440 - HOSTIO_INK;
pub(crate) const EVM_API_INK: u64 = 59673;
const DIV_INK: u64 = 20000;
const MUL_MOD_INK: u64 = 24100;
const ADD_MOD_INK: u64 = 21000;

pub(crate) mod hostio {
    use super::*;

    pub(crate) const READ_ARGS: u64 = HOSTIO_INK;
    pub(crate) const WRITE_RESULT: u64 = HOSTIO_INK;
    pub(crate) const STORAGE_LOAD_BYTES32: u64 = HOSTIO_INK + 2 * PTR_INK;
    pub(crate) const STORAGE_CACHE_BYTES32: u64 = HOSTIO_INK + 2 * PTR_INK;
    pub(crate) const STORAGE_FLUSH_CACHE: u64 = HOSTIO_INK + EVM_API_INK;
    pub(crate) const TRANSIENT_LOAD_BYTES32: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    pub(crate) const TRANSIENT_STORE_BYTES32: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    pub(crate) const CALL_CONTRACT: u64 = HOSTIO_INK + 3 * PTR_INK + EVM_API_INK;
    pub(crate) const CREATE1: u64 = HOSTIO_INK + 3 * PTR_INK + EVM_API_INK;
    pub(crate) const CREATE2: u64 = HOSTIO_INK + 4 * PTR_INK + EVM_API_INK;
    pub(crate) const READ_RETURN_DATA: u64 = HOSTIO_INK + EVM_API_INK;
    pub(crate) const RETURN_DATA_SIZE: u64 = HOSTIO_INK;
    pub(crate) const EMIT_LOG: u64 = HOSTIO_INK + EVM_API_INK;
    pub(crate) const ACCOUNT_BALANCE: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    pub(crate) const ACCOUNT_CODE: u64 = HOSTIO_INK + EVM_API_INK;
    pub(crate) const ACCOUNT_CODE_SIZE: u64 = HOSTIO_INK + EVM_API_INK;
    pub(crate) const ACCOUNT_CODEHASH: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    pub(crate) const BLOCK_BASEFEE: u64 = HOSTIO_INK + PTR_INK;
    pub(crate) const BLOCK_COINBASE: u64 = HOSTIO_INK + PTR_INK;
    pub(crate) const BLOCK_GAS_LIMIT: u64 = HOSTIO_INK;
    pub(crate) const BLOCK_NUMBER: u64 = HOSTIO_INK;
    pub(crate) const BLOCK_TIMESTAMP: u64 = HOSTIO_INK;
    pub(crate) const CHAINID: u64 = HOSTIO_INK;
    pub(crate) const CONTRACT_ADDRESS: u64 = HOSTIO_INK + PTR_INK;
    pub(crate) const EVM_GAS_LEFT: u64 = HOSTIO_INK;
    pub(crate) const EVM_INK_LEFT: u64 = HOSTIO_INK;
    pub(crate) const MATH_DIV: u64 = HOSTIO_INK + 3 * PTR_INK + DIV_INK;
    pub(crate) const MATH_MOD: u64 = HOSTIO_INK + 3 * PTR_INK + DIV_INK;
    pub(crate) const MATH_POW: u64 = HOSTIO_INK + 3 * PTR_INK;
    pub(crate) const MATH_ADD_MOD: u64 = HOSTIO_INK + 4 * PTR_INK + ADD_MOD_INK;
    pub(crate) const MATH_MUL_MOD: u64 = HOSTIO_INK + 4 * PTR_INK + MUL_MOD_INK;
    pub(crate) const MSG_REENTRANT: u64 = HOSTIO_INK;
    pub(crate) const MSG_SENDER: u64 = HOSTIO_INK + PTR_INK;
    pub(crate) const MSG_VALUE: u64 = HOSTIO_INK + PTR_INK;
    pub(crate) const TX_GAS_PRICE: u64 = HOSTIO_INK + PTR_INK;
    pub(crate) const TX_INK_PRICE: u64 = HOSTIO_INK;
    pub(crate) const TX_ORIGIN: u64 = HOSTIO_INK + PTR_INK;
    pub(crate) const PAY_FOR_MEMORY_GROW: u64 = HOSTIO_INK;
}

pub(crate) fn write_price(bytes: u32) -> u64 {
    add_mul(5040, 30, bytes.saturating_sub(32))
}

pub(crate) fn read_price(bytes: u32) -> u64 {
    add_mul(16381, 55, bytes.saturating_sub(32))
}

pub(crate) fn keccak_price(bytes: u32) -> u64 {
    add_mul(121_800, 21_000, bytes.div_ceil(32).saturating_sub(2))
}

pub(crate) fn pow_price(exponent: &[u8; 32]) -> u64 {
    let leading_zeros = exponent.iter().take_while(|&&byte| byte == 0).count() as u64;
    3000 + (33 - leading_zeros) * 17_500
}

fn add_mul(base: u64, per: u64, count: u32) -> u64 {
    base.saturating_add(per.saturating_mul(u64::from(count)))
}

pub(crate) mod evm {
    pub(crate) const SSTORE_SENTRY_GAS: u64 = 2300;
    pub(crate) const COLD_ACCOUNT_GAS: u64 = 2600;
    pub(crate) const COLD_SLOAD_GAS: u64 = 2100;
    pub(crate) const TLOAD_GAS: u64 = 100;
    pub(crate) const TSTORE_GAS: u64 = 100;

    pub(crate) fn log_gas(topics: u32, data_len: u32) -> u64 {
        let topics = (1 + u64::from(topics)) * 375;
        topics.saturating_add(u64::from(data_len) * 8)
    }
}

/// A transaction's open and high-water page counts, with the page price.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PageTracker {
    pub(crate) open: u16,
    pub(crate) ever: u16,
}

impl PageTracker {
    pub(crate) fn add_pages(&mut self, new: u16) -> u64 {
        let free = crate::params::stylus::FREE_PAGES;
        let new_open = self.open.saturating_add(new);
        let adding = new_open
            .saturating_sub(free)
            .saturating_sub(self.open.saturating_sub(free));
        self.open = new_open;
        self.ever = self.ever.max(new_open);
        u64::from(adding) * u64::from(crate::params::stylus::PAGE_GAS)
    }

    pub(crate) fn restore(&mut self, open_before_call: u16) {
        self.open = open_before_call;
    }
}
