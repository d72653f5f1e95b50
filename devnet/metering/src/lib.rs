//! Nitro-equivalent ink metering for Stylus programs.
//!
//! Arbitrum charges Stylus programs in *ink* (1 gas = 10,000 ink): every basic block of WASM
//! pays its opcodes' `pricing_v1` prices plus a header cost before it runs, `memory.fill` and
//! `memory.copy` pay per byte, host functions pay fixed and size-dependent ink plus the gas of
//! the EVM work they do, and memory pages are priced by a per-transaction model. A separate
//! budget bounds the stack. This crate is all of that as a library, for a host (the devnet's
//! wasmi engine) to use:
//!
//! - [`instrument()`] rewrites a module (nitro's start mover, ink meter, dynamic meter, depth
//!   checker and heap bound, in nitro's order), adding four exported globals;
//! - [`opcodes`]: the `pricing_v1` table and the depth model;
//! - [`pricing`]: host function ink, ink/gas conversion, EVM gas constants;
//! - [`memory`]: the page model (`memory_gas`, the exponential table, open/ever pages);
//! - [`program`]: activation estimates (init and cached cost, activation gas) and call costs;
//! - [`wasmi_host`] (feature `wasmi`, default): [`WasmiMeter`], the meter globals of an instance.
//!
//! # Running an instrumented module (wasmi)
//!
//! ```text
//! // Once per code hash (activation), cached:
//! let out = stylus_metering::instrument(&wasm, &MeterConfig::default())?;
//! let module = wasmi::Module::new(&engine, &out.wasm)?;
//!
//! // Per call (nitro gives every call, re-entrant ones too, a fresh instance):
//! let instance = linker.instantiate_and_start(&mut store, &module)?;
//! let meter = WasmiMeter::new(&store, &instance)?;      // keep it in the store's data
//! meter.start(&mut store, ink_price.gas_to_ink(gas), params.max_stack_depth);
//! let result = entry.call(&mut store, args_len);        // entry: TypedFunc<i32, i32>
//! let state = meter.state(&store);
//! let gas_left = ink_price.ink_to_gas(state.ink_left());
//! match result {
//!     Ok(status) => { /* 0 = success, else revert with the written result */ }
//!     Err(trap) => match state.classify_trap() {             // exit_early is your own trap
//!         TrapCause::OutOfStack => { /* nitro: ErrDepth */ }
//!         TrapCause::OutOfInk => { /* nitro: out of gas, all gas used */ }
//!         TrapCause::Other => { /* failure: revert without data */ }
//!     },
//! }
//!
//! // In a host function (a `Caller<'_, T>` is a store context):
//! let meter = caller.data().meter;
//! meter.buy_ink(&mut caller, pricing::hostio::STORAGE_LOAD_BYTES32)?;  // OutOfInk -> trap
//! meter.buy_gas(&mut caller, pricing::evm::COLD_SLOAD_GAS, ink_price)?;
//! ```
//!
//! [`MeterState::classify_trap`] follows nitro's order: `stack_left == 0` is
//! [`TrapCause::OutOfStack`], a set status is [`TrapCause::OutOfInk`], anything else is a plain
//! failure. Without the `wasmi` feature, do the same with the exported globals
//! [`INK_LEFT`] (i64 holding a u64), [`INK_STATUS`] (i32, 1 = exhausted) and [`STACK_LEFT`]
//! (i32 holding a u32) and [`pricing::buy_ink`]; on a failed purchase set the ink to 0 and the
//! status to 1 before trapping.
//!
//! `pay_for_memory_grow(pages)` (called by the instrumentation before every `memory.grow`)
//! charges [`pricing::hostio::PAY_FOR_MEMORY_GROW`] when `pages == 0`, else the gas of
//! [`memory::PageTracker::add_pages`]. Entering a program costs [`program::call_cost`].
//!
//! Set the engine's recursion limit to at least [`max_call_depth`] of the stack budget
//! (`wasmi::Config::set_max_recursion_depth`; wasmi's default is 1,000), or deep recursion hits
//! wasmi's limit before the depth checker. This crate enables wasmi's `auto-dispatch` feature:
//! without it, wasmi 2.0 debug builds overflow the native stack on long-running code.
//!
//! One instance serves one call: nitro gives every call (re-entrant ones too) its own instance,
//! and the stack budget is not given back when a call traps.
//!
//! # How close to nitro
//!
//! The ink per opcode, the basic-block boundaries, the header cost, the check order (a block
//! traps when the ink left is *below* its cost, before any of its opcodes run), the per-byte
//! charges, the frame-size formula of the depth checker (measured after the meters, plus
//! locals plus 4), the heap bound and the refusals are nitro's. What is left out, and where
//! this differs, is listed in `README.md`: floats are refused by default (nitro activates them
//! and runs out of ink on use; [`FloatPolicy::ChargeMax`] restores that), activation validation
//! beyond what the meters need is `stylus-program`'s job, and the `ActivationGas` constant of
//! ArbOS 59+ and the data fee are not modelled.

pub mod config;
mod error;
pub mod instrument;
pub mod memory;
pub mod opcodes;
pub mod pricing;
pub mod program;
#[cfg(feature = "wasmi")]
pub mod wasmi_host;

pub use config::{FloatPolicy, MeterConfig};
pub use error::MeterError;
pub use instrument::{
    instrument, stylus_features, Instrumented, MeterGlobals, ENTRY_POINT, INK_LEFT, INK_STATUS,
    SCRATCH, STACK_LEFT, START_EXPORT,
};
pub use memory::{memory_gas, MemoryModel, PageTracker};
pub use pricing::InkPrice;
pub use program::{call_cost, ActivationCosts, ModuleStats, ProgramInfo, StylusParams};
#[cfg(feature = "wasmi")]
pub use wasmi_host::{OutOfInk, WasmiMeter};

/// The smallest frame the depth checker can charge: every body ends a metered block, whose
/// check holds two values, plus the fixed 4 words.
pub const MIN_FRAME_SIZE: u32 = 6;

/// How many nested WASM calls a stack budget can allow. Configure the engine's own recursion
/// limit at least this high (wasmi's default is 1,000), so that the depth checker decides
/// when recursion stops, with nitro's outcome.
pub fn max_call_depth(stack_budget: u32) -> usize {
    (stack_budget / MIN_FRAME_SIZE) as usize + 1
}

/// Why an instrumented call trapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapCause {
    /// The depth checker found no room for a frame (nitro: `ErrDepth`).
    OutOfStack,
    /// A block, a per-byte charge or a host function found too little ink (nitro: out of gas).
    OutOfInk,
    /// Any other trap: `unreachable`, out-of-bounds access, division by zero, a host error.
    Other,
}

/// The meter globals of an instance, as read after a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeterState {
    ink_left: u64,
    status: i32,
    stack_left: u32,
}

impl MeterState {
    /// From the raw values of `stylus_ink_left` (i64 bits of a u64), `stylus_ink_status` and
    /// `stylus_stack_left` (u32 in i32 bits).
    pub fn read(ink_left: i64, status: i32, stack_left: i32) -> Self {
        Self {
            ink_left: ink_left as u64,
            status,
            stack_left: stack_left as u32,
        }
    }

    /// Ink left; 0 once the program ran out (the global itself may hold a stale value then).
    pub fn ink_left(&self) -> u64 {
        if self.exhausted() {
            0
        } else {
            self.ink_left
        }
    }

    pub fn exhausted(&self) -> bool {
        self.status != 0
    }

    pub fn stack_left(&self) -> u32 {
        self.stack_left
    }

    /// What a trap means, in nitro's order of checks.
    pub fn classify_trap(&self) -> TrapCause {
        if self.stack_left == 0 {
            TrapCause::OutOfStack
        } else if self.exhausted() {
            TrapCause::OutOfInk
        } else {
            TrapCause::Other
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trap_classification_follows_nitro_order() {
        assert_eq!(
            MeterState::read(5, 1, 0).classify_trap(),
            TrapCause::OutOfStack
        );
        assert_eq!(
            MeterState::read(5, 1, 9).classify_trap(),
            TrapCause::OutOfInk
        );
        assert_eq!(MeterState::read(5, 0, 9).classify_trap(), TrapCause::Other);
        assert_eq!(MeterState::read(-1, 0, 9).ink_left(), u64::MAX);
        assert_eq!(MeterState::read(-1, 1, 9).ink_left(), 0);
    }
}
