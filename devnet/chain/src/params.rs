//! Chain and Stylus parameters, with the values an Arbitrum chain runs with today
//! (nitro `arbos/programs/params.go`, Stylus version 2 as of ArbOS 40).

use alloy_primitives::{address, Address};

/// Chain id of nitro's dev node, which tools expect for a local Arbitrum chain.
pub const DEFAULT_CHAIN_ID: u64 = 412_346;
/// ArbOS version the chain claims (Stylus version 2 arrived with ArbOS 40).
pub const ARBOS_VERSION: u64 = 40;
/// `ArbSys.arbOSVersion` adds 55 for the versions before the nitro migration.
pub const ARBSYS_VERSION_OFFSET: u64 = 55;

/// Where ArbOS keeps its state; activation records live in its storage.
pub const ARBOS_STATE: Address = address!("A4B05FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF");
/// The `ArbWasm` precompile.
pub const ARB_WASM: Address = address!("0000000000000000000000000000000000000071");
/// The `ArbSys` precompile.
pub const ARB_SYS: Address = address!("0000000000000000000000000000000000000064");

/// Unix time at which Arbitrum's hour counter for activations starts.
pub const ARBITRUM_START_TIME: u64 = 1_421_388_000;

/// Stylus parameters (one value each, as `StylusParams` after the upgrade to version 2).
pub mod stylus {
    /// Current Stylus version; programs activated under another version need re-activation.
    pub const VERSION: u16 = 2;
    /// Ink per gas.
    pub const INK_PRICE: u32 = 10_000;
    /// Bound on the WASM value stack, in nitro's stack units.
    pub const MAX_STACK_DEPTH: u32 = 4 * 65_536;
    /// Pages each transaction gets for free.
    pub const FREE_PAGES: u16 = 2;
    /// Linear gas per page beyond the free ones.
    pub const PAGE_GAS: u16 = 1_000;
    /// Exponential page-cost ramp.
    pub const PAGE_RAMP: u64 = 620_674_314;
    /// Most pages a program (or all open programs together) may use.
    pub const PAGE_LIMIT: u16 = 128;
    /// Minimum init gas, in units of [`MIN_INIT_GAS_UNITS`].
    pub const MIN_INIT_GAS: u8 = 69;
    /// Minimum cached init gas, in units of [`MIN_CACHED_GAS_UNITS`].
    pub const MIN_CACHED_INIT_GAS: u8 = 11;
    /// Scales a program's init cost, in units of [`COST_SCALAR_PERCENT`].
    pub const INIT_COST_SCALAR: u8 = 50;
    /// Scales a program's cached init cost, in units of [`COST_SCALAR_PERCENT`].
    pub const CACHED_COST_SCALAR: u8 = 50;
    /// Programs expire this many days after activation.
    pub const EXPIRY_DAYS: u16 = 365;
    /// Days after activation before a keepalive is allowed.
    pub const KEEPALIVE_DAYS: u16 = 31;
    /// Number of recently used programs that count as cached within a block.
    pub const BLOCK_CACHE_SIZE: u16 = 32;
    /// Largest decompressed WASM.
    pub const MAX_WASM_SIZE: u32 = 128 * 1024;
    /// Gas per unit of `MIN_INIT_GAS`.
    pub const MIN_INIT_GAS_UNITS: u64 = 128;
    /// Gas per unit of `MIN_CACHED_INIT_GAS`.
    pub const MIN_CACHED_GAS_UNITS: u64 = 32;
    /// Percent per unit of the cost scalars.
    pub const COST_SCALAR_PERCENT: u64 = 2;
}
