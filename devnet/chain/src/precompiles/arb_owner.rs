//! `ArbOwner` at 0x70, the part that manages chain owners and Stylus cache managers: only
//! chain owners may call it, and every call they make is logged as `OwnerActs` (nitro
//! `precompiles/ArbOwner.go` behind its owner-only wrapper).

use alloy_primitives::{Bytes, FixedBytes, Log};
use alloy_sol_types::{SolCall, SolEvent, SolInterface};
use revm::context_interface::{ContextTr, JournalTr};
use revm::interpreter::{CallInputs, InstructionResult, InterpreterResult};

use super::arb_wasm_cache::{args_gas, log_gas, STATE_READ_GAS, STATE_SET_GAS, STATE_WRITE_GAS};
use super::result;
use crate::evm::DevContext;
use crate::wasm_cache::{AddressSet, ArbOwner, ARB_OWNER, CACHE_MANAGERS, CHAIN_OWNERS};

/// Runs a call to `ArbOwner`.
pub fn run(ctx: &mut DevContext, inputs: &CallInputs) -> InterpreterResult {
    let input = inputs.input.as_bytes(ctx).to_vec();
    let limit = inputs.gas_limit;
    let mut used = args_gas(&input) + STATE_READ_GAS;
    let revert = |used: u64| result(InstructionResult::Revert, Bytes::new(), limit, used);
    let is_owner = CHAIN_OWNERS
        .contains(ctx.journal_mut(), inputs.caller)
        .unwrap_or(false);
    if !is_owner {
        return revert(used);
    }
    let Ok(call) = ArbOwner::ArbOwnerCalls::abi_decode(&input) else {
        return revert(used);
    };
    use ArbOwner::ArbOwnerCalls as C;
    let journal = ctx.journal_mut();
    let output = match call {
        C::isChainOwner(args) => {
            used += STATE_READ_GAS;
            let member = CHAIN_OWNERS.contains(journal, args.addr).unwrap_or(false);
            ArbOwner::isChainOwnerCall::abi_encode_returns(&member)
        }
        C::getAllChainOwners(_) => {
            let members = CHAIN_OWNERS.members(journal).unwrap_or_default();
            used += (1 + members.len() as u64) * STATE_READ_GAS;
            ArbOwner::getAllChainOwnersCall::abi_encode_returns(&members)
        }
        C::addChainOwner(args) => {
            if inputs.is_static {
                return revert(used);
            }
            used += change(journal, CHAIN_OWNERS, args.newOwner, true);
            Vec::new()
        }
        C::removeChainOwner(args) => {
            if inputs.is_static {
                return revert(used);
            }
            // Nitro refuses to remove an address that is not an owner.
            if !CHAIN_OWNERS
                .contains(journal, args.ownerToRemove)
                .unwrap_or(false)
            {
                return revert(used + STATE_READ_GAS);
            }
            used += change(journal, CHAIN_OWNERS, args.ownerToRemove, false);
            Vec::new()
        }
        C::addWasmCacheManager(args) => {
            if inputs.is_static {
                return revert(used);
            }
            used += change(journal, CACHE_MANAGERS, args.manager, true);
            Vec::new()
        }
        C::removeWasmCacheManager(args) => {
            if inputs.is_static {
                return revert(used);
            }
            if !CACHE_MANAGERS
                .contains(journal, args.manager)
                .unwrap_or(false)
            {
                return revert(used + STATE_READ_GAS);
            }
            used += change(journal, CACHE_MANAGERS, args.manager, false);
            Vec::new()
        }
    };
    if !inputs.is_static {
        let event = ArbOwner::OwnerActs {
            method: FixedBytes::from_slice(&input[..4]),
            owner: inputs.caller,
            data: input.clone().into(),
        };
        let data = event.encode_log_data();
        used += log_gas(3, data.data.len());
        journal.log(Log {
            address: ARB_OWNER,
            data,
        });
    }
    result(InstructionResult::Return, output.into(), limit, used)
}

/// Adds or removes `member` and returns the gas of the state it touched.
fn change(
    journal: &mut <DevContext as ContextTr>::Journal,
    set: AddressSet,
    member: alloy_primitives::Address,
    add: bool,
) -> u64 {
    let changed = if add {
        set.add(journal, member).unwrap_or(false)
    } else {
        set.remove(journal, member).unwrap_or(false)
    };
    if !changed {
        return 2 * STATE_READ_GAS;
    }
    // Size, member slot and position slot.
    2 * STATE_READ_GAS + STATE_WRITE_GAS + 2 * STATE_SET_GAS
}
