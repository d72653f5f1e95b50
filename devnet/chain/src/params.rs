//! Chain and Stylus parameters, with the values an Arbitrum chain runs with today
//! (nitro `arbos/programs/params.go`).

use alloy_primitives::{address, Address};

/// Chain id of nitro's dev node, which tools expect for a local Arbitrum chain.
pub const DEFAULT_CHAIN_ID: u64 = 412_346;
/// ArbOS version the chain claims: 50, whose Stylus parameters (version 2, stack depth
/// 22,000) are those of Arbitrum One and Sepolia.
pub const ARBOS_VERSION: u64 = 50;
/// `ArbSys.arbOSVersion` adds 55 for the versions before the nitro migration.
pub const ARBSYS_VERSION_OFFSET: u64 = 55;

/// Where ArbOS keeps its state; activation records live in its storage.
pub const ARBOS_STATE: Address = address!("A4B05FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF");
/// The `ArbWasm` precompile.
pub const ARB_WASM: Address = stylus_program::arbitrum::ARB_WASM;
/// The `ArbSys` precompile.
pub const ARB_SYS: Address = stylus_program::arbitrum::ARB_SYS;

/// Unix time at which Arbitrum's hour counter for activations starts.
pub const ARBITRUM_START_TIME: u64 = 1_421_388_000;

/// Stylus parameters: Arbitrum's current values (`stylus-metering` keeps them, from nitro's
/// `params.go` after the version 2 upgrade and ArbOS 50), spelled out for the precompiles.
pub mod stylus {
    use stylus_metering::program;
    pub use stylus_metering::StylusParams;

    /// The parameters themselves.
    pub const PARAMS: StylusParams = StylusParams::ARBITRUM;
    /// Current Stylus version; programs activated under another version need re-activation.
    pub const VERSION: u16 = PARAMS.version;
    /// Ink per gas.
    pub const INK_PRICE: u32 = PARAMS.ink_price;
    /// Bound on the WASM value stack, in the depth checker's units.
    pub const MAX_STACK_DEPTH: u32 = PARAMS.max_stack_depth;
    /// Pages each transaction gets for free.
    pub const FREE_PAGES: u16 = PARAMS.free_pages;
    /// Linear gas per page beyond the free ones.
    pub const PAGE_GAS: u16 = PARAMS.page_gas;
    /// Exponential page-cost ramp (a constant in nitro, not stored).
    pub const PAGE_RAMP: u64 = 620_674_314;
    /// Most pages a program may start with.
    pub const PAGE_LIMIT: u16 = PARAMS.page_limit;
    /// Minimum init gas, in units of [`MIN_INIT_GAS_UNITS`].
    pub const MIN_INIT_GAS: u8 = PARAMS.min_init_gas;
    /// Minimum cached init gas, in units of [`MIN_CACHED_GAS_UNITS`].
    pub const MIN_CACHED_INIT_GAS: u8 = PARAMS.min_cached_init_gas;
    /// Scales a program's init cost, in units of [`COST_SCALAR_PERCENT`].
    pub const INIT_COST_SCALAR: u8 = PARAMS.init_cost_scalar;
    /// Programs expire this many days after activation.
    pub const EXPIRY_DAYS: u16 = PARAMS.expiry_days;
    /// Days after activation before a keepalive is allowed.
    pub const KEEPALIVE_DAYS: u16 = PARAMS.keepalive_days;
    /// Number of recently used programs that count as cached within a block.
    pub const BLOCK_CACHE_SIZE: u16 = PARAMS.block_cache_size;
    /// Largest decompressed WASM.
    pub const MAX_WASM_SIZE: u32 = PARAMS.max_wasm_size;
    /// Gas per unit of `MIN_INIT_GAS`.
    pub const MIN_INIT_GAS_UNITS: u64 = program::MIN_INIT_GAS_UNITS;
    /// Gas per unit of `MIN_CACHED_INIT_GAS`.
    pub const MIN_CACHED_GAS_UNITS: u64 = program::MIN_CACHED_GAS_UNITS;
    /// Percent per unit of the cost scalars.
    pub const COST_SCALAR_PERCENT: u64 = program::COST_SCALAR_PERCENT;
}
