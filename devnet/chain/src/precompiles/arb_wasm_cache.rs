//! `ArbWasmCache` at 0x72: pinning programs in the cache so that calls pay the cached init gas
//! (nitro `precompiles/ArbWasmCache.go`, `Programs.SetProgramCached`).

use alloy_primitives::{Address, Bytes, Log, B256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolInterface};
use revm::context::ContextTr;
use revm::context_interface::JournalTr;
use revm::interpreter::{CallInputs, InstructionResult, InterpreterResult};

use super::result;
use crate::evm::DevContext;
use crate::params::stylus;
use crate::programs;
use crate::wasm_cache::{ArbWasmCache, ARB_WASM_CACHE, CACHE_MANAGERS, CHAIN_OWNERS};

/// Gas of reading one word of ArbOS state (nitro's `StorageReadCost`, EIP-2200's SLOAD).
pub(crate) const STATE_READ_GAS: u64 = 800;
/// Gas of writing one nonzero word of ArbOS state over a nonzero one (`SstoreResetGas`).
pub(crate) const STATE_WRITE_GAS: u64 = 5_000;
/// Gas of writing a word that was zero (`SstoreSetGas`).
pub(crate) const STATE_SET_GAS: u64 = 20_000;
/// Gas of reading the Stylus parameters (a warm read, as nitro charges it).
const PARAMS_GAS: u64 = 100;
/// Gas of reading an account's code hash.
const CODE_HASH_GAS: u64 = 2_600;

/// Gas of emitting a log with `topics` topics and `data` bytes.
pub(crate) fn log_gas(topics: u64, data: usize) -> u64 {
    375 + 375 * topics + 8 * data as u64
}

/// Gas nitro charges for a precompile's calldata (3 per word after the selector).
pub(crate) fn args_gas(input: &[u8]) -> u64 {
    3 * (input.len().saturating_sub(4) as u64).div_ceil(32)
}

/// Whether `caller` may change the cache: a cache manager or a chain owner.
pub(crate) fn has_cache_access(ctx: &mut DevContext, caller: Address) -> (bool, u64) {
    let journal = ctx.journal_mut();
    if CACHE_MANAGERS.contains(journal, caller).unwrap_or(false) {
        return (true, STATE_READ_GAS);
    }
    let owner = CHAIN_OWNERS.contains(journal, caller).unwrap_or(false);
    (owner, 2 * STATE_READ_GAS)
}

/// Runs a call to `ArbWasmCache`.
pub fn run(ctx: &mut DevContext, inputs: &CallInputs) -> InterpreterResult {
    let input = inputs.input.as_bytes(ctx).to_vec();
    let limit = inputs.gas_limit;
    let base = args_gas(&input);
    let Ok(call) = ArbWasmCache::ArbWasmCacheCalls::abi_decode(&input) else {
        return result(InstructionResult::Revert, Bytes::new(), limit, base);
    };
    let ok = |data: Vec<u8>, used: u64| {
        result(InstructionResult::Return, data.into(), limit, base + used)
    };
    use ArbWasmCache::ArbWasmCacheCalls as C;
    match call {
        C::isCacheManager(args) => {
            let member = CACHE_MANAGERS
                .contains(ctx.journal_mut(), args.manager)
                .unwrap_or(false);
            ok(
                ArbWasmCache::isCacheManagerCall::abi_encode_returns(&member),
                STATE_READ_GAS,
            )
        }
        C::allCacheManagers(_) => {
            let members = CACHE_MANAGERS
                .members(ctx.journal_mut())
                .unwrap_or_default();
            let reads = 1 + members.len() as u64;
            ok(
                ArbWasmCache::allCacheManagersCall::abi_encode_returns(&members),
                reads * STATE_READ_GAS,
            )
        }
        C::codehashIsCached(args) => {
            let record =
                programs::load_record(ctx.journal_mut(), args.codehash).unwrap_or_default();
            ok(
                ArbWasmCache::codehashIsCachedCall::abi_encode_returns(&record.cached),
                STATE_READ_GAS,
            )
        }
        // ArbOS 30 only; later versions refuse it like any method they do not have.
        C::cacheCodehash(_) => result(InstructionResult::Revert, Bytes::new(), limit, base),
        C::cacheProgram(args) => {
            let code_hash = ctx
                .journal_mut()
                .code_hash(args.addr)
                .map(|load| load.data)
                .unwrap_or_default();
            set_cached(ctx, inputs, code_hash, true, base + CODE_HASH_GAS)
        }
        C::evictCodehash(args) => set_cached(ctx, inputs, args.codehash, false, base),
    }
}

/// Pins or unpins the program with `code_hash`, emitting `UpdateProgramCache` when that
/// changes anything.
fn set_cached(
    ctx: &mut DevContext,
    inputs: &CallInputs,
    code_hash: B256,
    cache: bool,
    mut used: u64,
) -> InterpreterResult {
    let limit = inputs.gas_limit;
    if inputs.is_static {
        return result(InstructionResult::Revert, Bytes::new(), limit, used);
    }
    let (allowed, access_gas) = has_cache_access(ctx, inputs.caller);
    if !allowed {
        // Nitro burns all the gas of an unauthorised caller.
        return result(InstructionResult::Revert, Bytes::new(), limit, limit);
    }
    used += access_gas + PARAMS_GAS + STATE_READ_GAS;
    let now: u64 = ctx.block().timestamp.saturating_to();
    let journal = ctx.journal_mut();
    let mut record = programs::load_record(journal, code_hash).unwrap_or_default();
    if cache {
        if record.version != stylus::VERSION {
            let data = ArbWasmCache::ProgramNeedsUpgrade {
                version: record.version,
                stylusVersion: stylus::VERSION,
            }
            .abi_encode();
            return result(InstructionResult::Revert, data.into(), limit, used);
        }
        let age = record.age_seconds(now);
        if age > programs::expiry_seconds() {
            let data = ArbWasmCache::ProgramExpired { ageInSeconds: age }.abi_encode();
            return result(InstructionResult::Revert, data.into(), limit, used);
        }
    }
    if record.cached == cache {
        return result(InstructionResult::Return, Bytes::new(), limit, used);
    }
    let event = ArbWasmCache::UpdateProgramCache {
        manager: inputs.caller,
        codehash: code_hash,
        cached: cache,
    };
    let log = event.encode_log_data();
    // The event, the cost of (re)compiling into the cache, the module hash read, the record.
    used +=
        log_gas(3, log.data.len()) + u64::from(record.init_cost) + STATE_READ_GAS + STATE_WRITE_GAS;
    if used > limit {
        return result(InstructionResult::Revert, Bytes::new(), limit, used);
    }
    record.cached = cache;
    if programs::store_record(journal, code_hash, &record).is_err() {
        return result(InstructionResult::Revert, Bytes::new(), limit, used);
    }
    journal.log(Log {
        address: ARB_WASM_CACHE,
        data: log,
    });
    result(InstructionResult::Return, Bytes::new(), limit, used)
}
