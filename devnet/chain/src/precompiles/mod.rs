//! Precompiles: Ethereum's, plus Arbitrum's `ArbWasm`, `ArbSys`, `ArbWasmCache` and the
//! cache-management part of `ArbOwner`.

pub mod arb_owner;
pub mod arb_sys;
pub mod arb_wasm;
pub mod arb_wasm_cache;

use std::sync::Arc;

use alloy_primitives::{Address, Bytes};
use revm::context::Cfg;
use revm::handler::{EthPrecompiles, PrecompileProvider};
use revm::interpreter::{CallInputs, Gas, InstructionResult, InterpreterResult};
use revm::primitives::hardfork::SpecId;
use revm::primitives::AddressSet;

use crate::evm::DevContext;
use crate::params::{ARB_SYS, ARB_WASM};
use crate::programs::ProgramCache;
use crate::wasm_cache::{ARB_OWNER, ARB_WASM_CACHE};

/// Ethereum's precompiles with `ArbWasm` and `ArbSys` beside them.
#[derive(Debug)]
pub struct ArbPrecompiles {
    eth: EthPrecompiles,
    programs: Arc<ProgramCache>,
    addresses: AddressSet,
}

impl ArbPrecompiles {
    /// The precompiles of `spec`, with activation going to `programs`.
    pub fn new(spec: SpecId, programs: Arc<ProgramCache>) -> Self {
        let eth = EthPrecompiles::new(spec);
        let addresses = Self::all_addresses(&eth);
        Self {
            eth,
            programs,
            addresses,
        }
    }

    fn all_addresses(eth: &EthPrecompiles) -> AddressSet {
        let mut addresses = eth.warm_addresses().clone();
        addresses.insert(ARB_WASM);
        addresses.insert(ARB_SYS);
        addresses.insert(ARB_WASM_CACHE);
        addresses.insert(ARB_OWNER);
        addresses
    }
}

impl PrecompileProvider<DevContext> for ArbPrecompiles {
    type Output = InterpreterResult;

    fn set_spec(
        &mut self,
        spec: <<DevContext as revm::context::ContextTr>::Cfg as Cfg>::Spec,
    ) -> bool {
        let changed =
            <EthPrecompiles as PrecompileProvider<DevContext>>::set_spec(&mut self.eth, spec);
        if changed {
            self.addresses = Self::all_addresses(&self.eth);
        }
        changed
    }

    fn run(
        &mut self,
        ctx: &mut DevContext,
        inputs: &CallInputs,
    ) -> Result<Option<InterpreterResult>, String> {
        match inputs.bytecode_address {
            ARB_WASM => Ok(Some(arb_wasm::run(ctx, &self.programs, inputs))),
            ARB_SYS => Ok(Some(arb_sys::run(ctx, inputs))),
            ARB_WASM_CACHE => Ok(Some(arb_wasm_cache::run(ctx, inputs))),
            ARB_OWNER => Ok(Some(arb_owner::run(ctx, inputs))),
            _ => self.eth.run(ctx, inputs),
        }
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.addresses
    }

    fn contains(&self, address: &Address) -> bool {
        self.addresses.contains(address)
    }
}

/// The result of a precompile that used `used` gas of `limit`: out of gas when it does not fit.
pub(crate) fn result(
    status: InstructionResult,
    output: Bytes,
    limit: u64,
    used: u64,
) -> InterpreterResult {
    let mut gas = Gas::new(limit);
    if !gas.record_regular_cost(used) {
        gas.spend_all();
        return InterpreterResult::new(InstructionResult::PrecompileOOG, Bytes::new(), gas);
    }
    InterpreterResult::new(status, output, gas)
}
