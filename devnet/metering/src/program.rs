//! What a program costs to activate and to call (nitro's `arbos/programs/programs.go`,
//! `params.go`, and the estimates of `crates/prover/src/binary.rs` / `programs/mod.rs`).
//!
//! Activation measures the module once ([`ModuleStats`], filled by [`crate::instrument`]) and
//! stores two small numbers per program: `init_cost` and `cached_init_cost`. Every call then pays
//! the memory model's price of the program's footprint plus a gas amount scaled from those
//! numbers ([`call_cost`]).

use crate::memory::{MemoryModel, PageTracker};

/// Sizes of a module that nitro's estimates are computed from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModuleStats {
    /// Length of the (decompressed) WASM.
    pub wasm_len: u64,
    /// Functions with a body (imports excluded).
    pub funcs: u64,
    /// Sum over the functions with a body of their parameter and result counts.
    pub type_len: u64,
    /// Globals, counting the four the instrumentation adds.
    pub globals: u64,
    /// Bytes the data segments occupy in the binary (headers included).
    pub data_segment_bytes: u64,
    /// Bytes the element segments occupy in the binary.
    pub element_segment_bytes: u64,
    /// Bytes of data the data segments carry.
    pub data_bytes: u64,
    /// Initial memory in pages.
    pub footprint: u16,
    /// Operators in all function bodies after instrumentation.
    pub instrumented_ops: u64,
}

/// What activation stores about a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActivationCosts {
    /// Cost units charged on calls when the program is not cached.
    pub init_cost: u16,
    /// Cost units charged on every call (in version 1: only when cached).
    pub cached_init_cost: u16,
    /// Predicted native code size in bytes (used for the data fee, not for gas).
    pub asm_estimate: u32,
}

/// A program too big for nitro's estimate fields (activation fails with this reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CostError {
    #[error("init cost too high")]
    InitCost,
    #[error("cached cost too high")]
    CachedCost,
    #[error("asm estimate too large")]
    AsmEstimate,
}

/// Nitro's conversion of measured microseconds of compilation to gas.
fn micros_to_gas(micros: u64) -> u64 {
    const FUDGE: u64 = 2;
    const SYNC_RATE: u64 = 1_000_000 / 2;
    const SPEED: u64 = 7_000_000;
    micros.saturating_mul(FUDGE * SPEED) / SYNC_RATE
}

/// ArbOS version from which activation also pays for the raw WASM length.
pub const ARBOS_VERSION_STYLUS_CHARGING_FIXES: u64 = 32;

impl ModuleStats {
    /// Nitro's per-program cost estimates for a Stylus version.
    pub fn activation_costs(&self, stylus_version: u16) -> Result<ActivationCosts, CostError> {
        let funcs = self.funcs;
        let type_len = self.type_len;
        let wasm_len = self.wasm_len;
        let data_len = self.data_segment_bytes + self.element_segment_bytes;

        let asm_estimate = 512_000u64
            .saturating_add(funcs.saturating_mul(996_829) / 1000)
            .saturating_add(type_len.saturating_mul(11_416) / 1000)
            .saturating_add(wasm_len.saturating_mul(62_628) / 10_000);

        let cached_init = (funcs.saturating_mul(13_420) / 100_000)
            .saturating_add(type_len.saturating_mul(89) / 100_000)
            .saturating_add(wasm_len.saturating_mul(122) / 100_000)
            .saturating_add(self.globals.saturating_mul(1628) / 1000)
            .saturating_add(data_len.saturating_mul(75_244) / 100_000)
            .saturating_add(u64::from(self.footprint) * 5);

        // In version 1 the cached cost was part of the init cost.
        let base = if stylus_version == 1 { cached_init } else { 0 };
        let init = base
            .saturating_add(funcs.saturating_mul(8252) / 1000)
            .saturating_add(type_len.saturating_mul(1059) / 1000)
            .saturating_add(wasm_len.saturating_mul(1286) / 10_000);

        Ok(ActivationCosts {
            init_cost: init.try_into().map_err(|_| CostError::InitCost)?,
            cached_init_cost: cached_init.try_into().map_err(|_| CostError::CachedCost)?,
            asm_estimate: asm_estimate
                .try_into()
                .map_err(|_| CostError::AsmEstimate)?,
        })
    }

    /// Gas `activateProgram` burns for compiling this module (before the data fee), as
    /// nitro charges it at `arbos_version`. Each term is converted and rounded separately.
    pub fn activation_gas(&self, arbos_version: u64) -> u64 {
        let mut terms = Vec::with_capacity(6);
        if arbos_version >= ARBOS_VERSION_STYLUS_CHARGING_FIXES {
            terms.push(self.wasm_len.saturating_mul(31_733) / 100_000);
        }
        terms.push(self.funcs.saturating_mul(17_263) / 100_000);
        terms.push(self.data_bytes.saturating_mul(17_376) / 100_000);
        terms.push(self.element_segment_bytes.saturating_mul(17_376) / 100_000);
        terms.push(u64::from(self.footprint).saturating_mul(2217));
        terms.push(self.instrumented_ops.saturating_mul(535) / 1000);
        terms.into_iter().fold(0u64, |gas, micros| {
            gas.saturating_add(micros_to_gas(micros))
        })
    }
}

/// The chain's Stylus parameters that pricing depends on (nitro's `StylusParams`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StylusParams {
    /// Stylus version new activations get.
    pub version: u16,
    /// Ink per gas.
    pub ink_price: u32,
    /// Stack budget of a call, in depth-model words (the `stylus_stack_left` start value).
    pub max_stack_depth: u32,
    pub free_pages: u16,
    pub page_gas: u16,
    pub page_limit: u16,
    /// In units of 128 gas.
    pub min_init_gas: u8,
    /// In units of 32 gas.
    pub min_cached_init_gas: u8,
    /// In units of 2 %.
    pub init_cost_scalar: u8,
    /// In units of 2 %.
    pub cached_cost_scalar: u8,
    pub expiry_days: u16,
    pub keepalive_days: u16,
    pub block_cache_size: u16,
    /// Largest decompressed WASM, in bytes.
    pub max_wasm_size: u32,
}

/// Gas per unit of `min_init_gas`.
pub const MIN_INIT_GAS_UNITS: u64 = 128;
/// Gas per unit of `min_cached_init_gas`.
pub const MIN_CACHED_GAS_UNITS: u64 = 32;
/// Percent per unit of the cost scalars.
pub const COST_SCALAR_PERCENT: u64 = 2;
/// Stack depth from genesis until ArbOS 50 (four pages).
pub const INITIAL_STACK_DEPTH: u32 = 4 * 65536;
/// Stack depth cap from ArbOS 50 on.
pub const ARBOS_50_STACK_DEPTH: u32 = 22_000;

impl StylusParams {
    /// The parameters of a chain running Stylus version 2 at ArbOS 50 or later (the state of
    /// Arbitrum One and Sepolia): genesis values, `min_init_gas` lowered to 69 by the version 2
    /// upgrade and the stack depth capped by ArbOS 50.
    pub const ARBITRUM: Self = Self {
        version: 2,
        ink_price: 10_000,
        max_stack_depth: ARBOS_50_STACK_DEPTH,
        free_pages: 2,
        page_gas: 1000,
        page_limit: 128,
        min_init_gas: 69,
        min_cached_init_gas: 11,
        init_cost_scalar: 50,
        cached_cost_scalar: 50,
        expiry_days: 365,
        keepalive_days: 31,
        block_cache_size: 32,
        max_wasm_size: 128 * 1024,
    };

    pub fn memory_model(&self) -> MemoryModel {
        MemoryModel {
            free_pages: self.free_pages,
            page_gas: u32::from(self.page_gas),
        }
    }

    /// Gas a call pays when the program is not cached (`initGas`).
    pub fn init_gas(&self, init_cost: u16) -> u64 {
        scaled_cost(
            self.min_init_gas,
            MIN_INIT_GAS_UNITS,
            init_cost,
            self.init_cost_scalar,
        )
    }

    /// Gas a call pays for a cached program, and in version 2+ on every call (`cachedGas`).
    pub fn cached_gas(&self, cached_init_cost: u16) -> u64 {
        scaled_cost(
            self.min_cached_init_gas,
            MIN_CACHED_GAS_UNITS,
            cached_init_cost,
            self.cached_cost_scalar,
        )
    }
}

impl Default for StylusParams {
    fn default() -> Self {
        Self::ARBITRUM
    }
}

fn scaled_cost(min_units: u8, unit_gas: u64, cost: u16, scalar: u8) -> u64 {
    let base = u64::from(min_units) * unit_gas;
    let dynamic = u64::from(cost).saturating_mul(u64::from(scalar) * COST_SCALAR_PERCENT);
    base.saturating_add(dynamic.div_ceil(100))
}

/// An activated program as stored by `ArbWasm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramInfo {
    /// Stylus version it was activated under.
    pub version: u16,
    pub init_cost: u16,
    pub cached_init_cost: u16,
    pub footprint: u16,
}

/// Gas to enter a program (`CallProgram` before execution): the memory model's price of the
/// footprint given the transaction's open pages, then the init and/or cached cost. `cached`
/// is whether the program is in the cache (or, from ArbOS 60, among the block's recent
/// programs). Opens the footprint in `pages`; restore `pages.open` after the call.
pub fn call_cost(
    program: &ProgramInfo,
    cached: bool,
    params: &StylusParams,
    pages: &mut PageTracker,
) -> u64 {
    let mut cost = pages.add_pages(&params.memory_model(), program.footprint);
    // In version 1 the cached cost is part of the init cost.
    if cached || program.version > 1 {
        cost = cost.saturating_add(params.cached_gas(program.cached_init_cost));
    }
    if !cached {
        cost = cost.saturating_add(params.init_gas(program.init_cost));
    }
    cost
}

/// `ArbWasm.programInitGas`: (gas of an uncached call's init, gas of a cached call's init).
pub fn program_init_gas(program: &ProgramInfo, params: &StylusParams) -> (u64, u64) {
    let cached = params.cached_gas(program.cached_init_cost);
    let mut init = params.init_gas(program.init_cost);
    if params.version > 1 {
        init = init.saturating_add(cached);
    }
    (init, cached)
}

/// ArbOS version from which return data costs at least its EVM memory price.
pub const ARBOS_VERSION_STYLUS_FIXES: u64 = 31;

/// The EVM's memory expansion gas for `size` bytes from empty: 3 gas per word plus
/// words² / 512.
pub fn evm_memory_cost(size: u64) -> u64 {
    let words = size.div_ceil(32);
    let linear = words.saturating_mul(3);
    let square = words.saturating_mul(words) / 512;
    linear.saturating_add(square)
}

/// Nitro's floor on a program's return data (ArbOS 31+, non-empty output): the call must have
/// started with at least the EVM memory cost of the output, and it cannot hand back more than
/// `starting_gas - cost`. Returns the gas left after the adjustment, or `None` when the call
/// runs out of gas (all of its gas is consumed).
pub fn return_data_floor(
    starting_gas: u64,
    gas_left: u64,
    output_len: usize,
    arbos_version: u64,
) -> Option<u64> {
    if output_len == 0 || arbos_version < ARBOS_VERSION_STYLUS_FIXES {
        return Some(gas_left);
    }
    let cost = evm_memory_cost(output_len as u64);
    let max_left = starting_gas.checked_sub(cost)?;
    Some(gas_left.min(max_left))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_data_costs_at_least_its_evm_memory() {
        assert_eq!(evm_memory_cost(0), 0);
        assert_eq!(evm_memory_cost(1), 3);
        assert_eq!(evm_memory_cost(32 * 1024), 3 * 1024 + 1024 * 1024 / 512);
        // 64 bytes cost 6 gas: a call that kept 100 of 100 gas keeps only 94.
        assert_eq!(return_data_floor(100, 100, 64, 31), Some(94));
        assert_eq!(return_data_floor(100, 50, 64, 31), Some(50));
        assert_eq!(return_data_floor(5, 5, 64, 31), None);
        assert_eq!(return_data_floor(5, 5, 64, 30), Some(5));
        assert_eq!(return_data_floor(5, 5, 0, 31), Some(5));
    }

    #[test]
    fn minimum_init_costs_match_params_go() {
        let params = StylusParams::ARBITRUM;
        // "charge 69 * 128 = 8832 gas" and "charge 11 * 32 = 352 gas".
        assert_eq!(params.init_gas(0), 8832);
        assert_eq!(params.cached_gas(0), 352);
        // A 50 scalar is 100 %: the cost units are gas, rounded up.
        assert_eq!(params.init_gas(1000), 8832 + 1000);
        let half = StylusParams {
            init_cost_scalar: 25,
            ..params
        };
        assert_eq!(half.init_gas(3), 8832 + 2);
    }

    #[test]
    fn calls_pay_memory_then_init() {
        let params = StylusParams::ARBITRUM;
        let program = ProgramInfo {
            version: 2,
            init_cost: 100,
            cached_init_cost: 10,
            footprint: 2,
        };
        let mut pages = PageTracker::default();
        let uncached = call_cost(&program, false, &params, &mut pages);
        assert_eq!(uncached, (352 + 10) + (8832 + 100));
        let cached = call_cost(&program, true, &params, &mut pages);
        // The second call opens pages 3 and 4: 2000 linear gas, exp[4] - exp[2] = 0.
        assert_eq!(cached, 2000 + 352 + 10);
        assert_eq!(
            program_init_gas(&program, &params),
            (8832 + 100 + 352 + 10, 362)
        );
    }

    #[test]
    fn version_one_folds_cached_into_init() {
        let params = StylusParams::ARBITRUM;
        let program = ProgramInfo {
            version: 1,
            init_cost: 100,
            cached_init_cost: 10,
            footprint: 0,
        };
        let mut pages = PageTracker::default();
        assert_eq!(call_cost(&program, false, &params, &mut pages), 8832 + 100);
        assert_eq!(call_cost(&program, true, &params, &mut pages), 362);
    }

    #[test]
    fn estimates_follow_the_formulas() {
        let stats = ModuleStats {
            wasm_len: 10_000,
            funcs: 100,
            type_len: 200,
            globals: 6,
            data_segment_bytes: 1000,
            element_segment_bytes: 0,
            data_bytes: 990,
            footprint: 1,
            instrumented_ops: 5000,
        };
        let v2 = stats.activation_costs(2).unwrap();
        // funcs 13, types 0, wasm 12, globals 9, data 752, footprint 5.
        let cached = 13 + 12 + 9 + 752 + 5;
        assert_eq!(v2.cached_init_cost, cached);
        assert_eq!(v2.init_cost, 825 + 211 + 1286);
        assert_eq!(v2.asm_estimate, 512_000 + 99_682 + 2283 + 62_628);
        let v1 = stats.activation_costs(1).unwrap();
        assert_eq!(v1.init_cost, cached + 825 + 211 + 1286);

        // wasm 3173 us, funcs 17 us, data 172 us, memory 2217 us, code 2675 us; 28 gas per us.
        assert_eq!(
            stats.activation_gas(32),
            28 * (3173 + 17 + 172 + 2217 + 2675)
        );
        assert_eq!(stats.activation_gas(31), 28 * (17 + 172 + 2217 + 2675));
    }

    #[test]
    fn oversized_estimates_are_refused() {
        let stats = ModuleStats {
            wasm_len: u64::MAX / 2,
            ..ModuleStats::default()
        };
        assert_eq!(stats.activation_costs(2), Err(CostError::InitCost));
    }
}
