//! `ArbWasm` at 0x71: activation of Stylus programs and the queries a deployer makes
//! (nitro `precompiles/ArbWasm.go`, `arbos/programs/programs.go`).

use alloy_primitives::{keccak256, Address, Bytes, Log, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolInterface};
use revm::context::ContextTr;
use revm::context_interface::JournalTr;
use revm::interpreter::{CallInputs, InstructionResult, InterpreterResult};

use super::result;
use crate::evm::DevContext;
use crate::params::{stylus, ARB_WASM};
use crate::programs::{
    self, expiry_seconds, hours_since_arbitrum, CompileError, InactiveReason, ProgramCache,
    ProgramRecord,
};

pub use stylus_program::arbitrum::ArbWasm;

/// Fixed gas nitro burns before activating.
pub const ACTIVATION_GAS: u64 = 1_659_168;
/// Gas of a query that reads a program record.
const RECORD_GAS: u64 = 2_100;
/// Gas of a query that reads only parameters.
const PARAM_GAS: u64 = 100;
/// Wei per byte of estimated native code: the data pricer's floor (`initialMinPrice`); with no
/// sustained activation demand on a devnet the price stays there.
pub const DATA_PRICE_PER_BYTE: u64 = 82_928_201;
/// Where activation fees go (Arbitrum's network fee account on a dev chain: the sequencer).
pub const NETWORK_FEE_ACCOUNT: Address =
    alloy_primitives::address!("A4B000000000000000000073657175656e636572");

/// The revert data of a call into a program that cannot run.
pub fn inactive_error(reason: InactiveReason) -> Bytes {
    match reason {
        InactiveReason::NotActivated => ArbWasm::ProgramNotActivated {}.abi_encode(),
        InactiveReason::NeedsUpgrade {
            version,
            stylus_version,
        } => ArbWasm::ProgramNeedsUpgrade {
            version,
            stylusVersion: stylus_version,
        }
        .abi_encode(),
        InactiveReason::Expired { age } => {
            ArbWasm::ProgramExpired { ageInSeconds: age }.abi_encode()
        }
    }
    .into()
}

/// Revert data in Solidity's `Error(string)` form, for refusals nitro reports as plain errors.
fn error_string(reason: &str) -> Bytes {
    alloy_sol_types::Revert::from(reason).abi_encode().into()
}

/// Runs a call to `ArbWasm`.
pub fn run(
    ctx: &mut DevContext,
    programs: &ProgramCache,
    inputs: &CallInputs,
) -> InterpreterResult {
    let input = inputs.input.as_bytes(ctx).to_vec();
    let limit = inputs.gas_limit;
    let revert = |data: Bytes, used: u64| result(InstructionResult::Revert, data, limit, used);
    let ok = |data: Vec<u8>, used: u64| result(InstructionResult::Return, data.into(), limit, used);
    let Ok(call) = ArbWasm::ArbWasmCalls::abi_decode(&input) else {
        return revert(Bytes::new(), PARAM_GAS);
    };
    let now: u64 = ctx.block().timestamp.saturating_to();
    use ArbWasm::ArbWasmCalls as C;
    let active = |ctx: &mut DevContext, code_hash: B256| -> Result<ProgramRecord, Bytes> {
        let record = programs::load_record(ctx.journal_mut(), code_hash).unwrap_or_default();
        record.check_active(now).map_err(inactive_error)
    };
    let hash_of = |ctx: &mut DevContext, program: Address| -> B256 {
        ctx.journal_mut()
            .code_hash(program)
            .map(|load| load.data)
            .unwrap_or_default()
    };
    match call {
        C::activateProgram(args) => activate(ctx, programs, inputs, args.program, now),
        C::codehashKeepalive(args) => keepalive(ctx, inputs, args.codehash, now),
        C::stylusVersion(_) => ok(
            ArbWasm::stylusVersionCall::abi_encode_returns(&stylus::VERSION),
            PARAM_GAS,
        ),
        C::codehashVersion(args) => match active(ctx, args.codehash) {
            Ok(record) => ok(
                ArbWasm::codehashVersionCall::abi_encode_returns(&record.version),
                RECORD_GAS,
            ),
            Err(data) => revert(data, RECORD_GAS),
        },
        C::codehashAsmSize(args) => match active(ctx, args.codehash) {
            Ok(record) => ok(
                ArbWasm::codehashAsmSizeCall::abi_encode_returns(
                    &record.asm_estimate_kb.saturating_mul(1024),
                ),
                RECORD_GAS,
            ),
            Err(data) => revert(data, RECORD_GAS),
        },
        C::programVersion(args) => {
            let hash = hash_of(ctx, args.program);
            match active(ctx, hash) {
                Ok(record) => ok(
                    ArbWasm::programVersionCall::abi_encode_returns(&record.version),
                    RECORD_GAS,
                ),
                Err(data) => revert(data, RECORD_GAS),
            }
        }
        C::programInitGas(args) => {
            let hash = hash_of(ctx, args.program);
            match active(ctx, hash) {
                Ok(record) => {
                    let cached = record.cached_gas();
                    let init = record.init_gas().saturating_add(cached);
                    let out = ArbWasm::programInitGasCall::abi_encode_returns(
                        &ArbWasm::programInitGasReturn {
                            gas: init,
                            gasWhenCached: cached,
                        },
                    );
                    ok(out, RECORD_GAS)
                }
                Err(data) => revert(data, RECORD_GAS),
            }
        }
        C::programMemoryFootprint(args) => {
            let hash = hash_of(ctx, args.program);
            match active(ctx, hash) {
                Ok(record) => ok(
                    ArbWasm::programMemoryFootprintCall::abi_encode_returns(&record.footprint),
                    RECORD_GAS,
                ),
                Err(data) => revert(data, RECORD_GAS),
            }
        }
        C::programTimeLeft(args) => {
            let hash = hash_of(ctx, args.program);
            match active(ctx, hash) {
                Ok(record) => {
                    let left = expiry_seconds().saturating_sub(record.age_seconds(now));
                    ok(
                        ArbWasm::programTimeLeftCall::abi_encode_returns(&left),
                        RECORD_GAS,
                    )
                }
                Err(data) => revert(data, RECORD_GAS),
            }
        }
        C::inkPrice(_) => ok(
            ArbWasm::inkPriceCall::abi_encode_returns(&stylus::INK_PRICE),
            PARAM_GAS,
        ),
        C::maxStackDepth(_) => ok(
            ArbWasm::maxStackDepthCall::abi_encode_returns(&stylus::MAX_STACK_DEPTH),
            PARAM_GAS,
        ),
        C::freePages(_) => ok(
            ArbWasm::freePagesCall::abi_encode_returns(&stylus::FREE_PAGES),
            PARAM_GAS,
        ),
        C::pageGas(_) => ok(
            ArbWasm::pageGasCall::abi_encode_returns(&stylus::PAGE_GAS),
            PARAM_GAS,
        ),
        C::pageRamp(_) => ok(
            ArbWasm::pageRampCall::abi_encode_returns(&stylus::PAGE_RAMP),
            PARAM_GAS,
        ),
        C::pageLimit(_) => ok(
            ArbWasm::pageLimitCall::abi_encode_returns(&stylus::PAGE_LIMIT),
            PARAM_GAS,
        ),
        C::minInitGas(_) => {
            let out = ArbWasm::minInitGasCall::abi_encode_returns(&ArbWasm::minInitGasReturn {
                gas: u64::from(stylus::MIN_INIT_GAS) * stylus::MIN_INIT_GAS_UNITS,
                cached: u64::from(stylus::MIN_CACHED_INIT_GAS) * stylus::MIN_CACHED_GAS_UNITS,
            });
            ok(out, PARAM_GAS)
        }
        C::initCostScalar(_) => {
            let percent = u64::from(stylus::INIT_COST_SCALAR) * stylus::COST_SCALAR_PERCENT;
            ok(
                ArbWasm::initCostScalarCall::abi_encode_returns(&percent),
                PARAM_GAS,
            )
        }
        C::expiryDays(_) => ok(
            ArbWasm::expiryDaysCall::abi_encode_returns(&stylus::EXPIRY_DAYS),
            PARAM_GAS,
        ),
        C::keepaliveDays(_) => ok(
            ArbWasm::keepaliveDaysCall::abi_encode_returns(&stylus::KEEPALIVE_DAYS),
            PARAM_GAS,
        ),
        C::blockCacheSize(_) => ok(
            ArbWasm::blockCacheSizeCall::abi_encode_returns(&stylus::BLOCK_CACHE_SIZE),
            PARAM_GAS,
        ),
    }
}

/// `activateProgram`: validate and compile the program's code, record it under its code hash,
/// take the data fee and return the rest of the value.
fn activate(
    ctx: &mut DevContext,
    programs: &ProgramCache,
    inputs: &CallInputs,
    program: Address,
    now: u64,
) -> InterpreterResult {
    let limit = inputs.gas_limit;
    if inputs.is_static {
        return result(
            InstructionResult::Revert,
            Bytes::new(),
            limit,
            ACTIVATION_GAS,
        );
    }
    if limit < ACTIVATION_GAS {
        return result(
            InstructionResult::Revert,
            Bytes::new(),
            limit,
            limit.saturating_add(1),
        );
    }
    let journal = ctx.journal_mut();
    let Ok(code) = journal.code(program).map(|load| load.data);
    let code_hash = keccak256(&code);
    let existing = programs::load_record(journal, code_hash).unwrap_or_default();
    if existing.version == stylus::VERSION && !existing.is_expired(now) {
        let data = ArbWasm::ProgramUpToDate {}.abi_encode().into();
        return result(InstructionResult::Revert, data, limit, ACTIVATION_GAS);
    }
    // Refusals take all gas, as nitro's `takeAllGas`.
    let compiled = match programs.compile(&code, stylus::PAGE_LIMIT) {
        Ok(compiled) => compiled,
        Err(CompileError::NotWasm(_)) => {
            let data = ArbWasm::ProgramNotWasm {}.abi_encode().into();
            return result(InstructionResult::Revert, data, limit, limit);
        }
        Err(e) => {
            return result(
                InstructionResult::Revert,
                error_string(&e.to_string()),
                limit,
                limit,
            )
        }
    };
    let info = &compiled.info;
    let data_fee = U256::from(info.asm_estimate) * U256::from(DATA_PRICE_PER_BYTE);
    let value = inputs.value.transfer().unwrap_or_default();
    if value < data_fee {
        let data = ArbWasm::ProgramInsufficientValue {
            have: value,
            want: data_fee,
        }
        .abi_encode()
        .into();
        return result(InstructionResult::Revert, data, limit, ACTIVATION_GAS);
    }
    if pay_out(ctx, inputs.caller, value, data_fee).is_err() {
        return result(
            InstructionResult::Revert,
            Bytes::new(),
            limit,
            ACTIVATION_GAS,
        );
    }
    let record = ProgramRecord {
        version: stylus::VERSION,
        init_cost: info.init_cost,
        cached_cost: info.cached_init_cost,
        footprint: info.footprint,
        activated_at: hours_since_arbitrum(now),
        asm_estimate_kb: info.asm_estimate.div_ceil(1024).min(0x00FF_FFFF),
        // Re-activation keeps a pinned program pinned (nitro recompiles it into the cache).
        cached: existing.cached,
    };
    let journal = ctx.journal_mut();
    if programs::store_record(journal, code_hash, &record).is_err() {
        return result(
            InstructionResult::Revert,
            Bytes::new(),
            limit,
            ACTIVATION_GAS,
        );
    }
    let module_hash = compiled.module_hash;
    programs.insert(code_hash, compiled);
    let event = ArbWasm::ProgramActivated {
        codehash: code_hash,
        moduleHash: module_hash,
        program,
        dataFee: data_fee,
        version: stylus::VERSION,
    };
    journal.log(Log {
        address: ARB_WASM,
        data: event.encode_log_data(),
    });
    let out = ArbWasm::activateProgramCall::abi_encode_returns(&ArbWasm::activateProgramReturn {
        version: stylus::VERSION,
        dataFee: data_fee,
    });
    result(InstructionResult::Return, out.into(), limit, ACTIVATION_GAS)
}

/// `codehashKeepalive`: restart a program's expiry clock once it is old enough.
fn keepalive(
    ctx: &mut DevContext,
    inputs: &CallInputs,
    code_hash: B256,
    now: u64,
) -> InterpreterResult {
    let limit = inputs.gas_limit;
    if inputs.is_static {
        return result(InstructionResult::Revert, Bytes::new(), limit, RECORD_GAS);
    }
    let record = programs::load_record(ctx.journal_mut(), code_hash).unwrap_or_default();
    let mut record = match record.check_active(now) {
        Ok(record) => record,
        Err(reason) => {
            return result(
                InstructionResult::Revert,
                inactive_error(reason),
                limit,
                RECORD_GAS,
            )
        }
    };
    let age = record.age_seconds(now);
    if age < u64::from(stylus::KEEPALIVE_DAYS) * 86_400 {
        let data = ArbWasm::ProgramKeepaliveTooSoon { ageInSeconds: age }
            .abi_encode()
            .into();
        return result(InstructionResult::Revert, data, limit, RECORD_GAS);
    }
    let data_fee = U256::from(record.asm_estimate_kb) * U256::from(1024 * DATA_PRICE_PER_BYTE);
    let value = inputs.value.transfer().unwrap_or_default();
    if value < data_fee {
        let data = ArbWasm::ProgramInsufficientValue {
            have: value,
            want: data_fee,
        }
        .abi_encode()
        .into();
        return result(InstructionResult::Revert, data, limit, RECORD_GAS);
    }
    if pay_out(ctx, inputs.caller, value, data_fee).is_err() {
        return result(InstructionResult::Revert, Bytes::new(), limit, RECORD_GAS);
    }
    record.activated_at = hours_since_arbitrum(now);
    let journal = ctx.journal_mut();
    if programs::store_record(journal, code_hash, &record).is_err() {
        return result(InstructionResult::Revert, Bytes::new(), limit, RECORD_GAS);
    }
    let event = ArbWasm::ProgramLifetimeExtended {
        codehash: code_hash,
        dataFee: data_fee,
    };
    journal.log(Log {
        address: ARB_WASM,
        data: event.encode_log_data(),
    });
    let out = ArbWasm::codehashKeepaliveCall::abi_encode_returns(&data_fee);
    result(InstructionResult::Return, out.into(), limit, 2 * RECORD_GAS)
}

/// Moves the fee to the network account and returns the rest of `value` to `caller`, as
/// balance transfers (no call into the caller).
fn pay_out(ctx: &mut DevContext, caller: Address, value: U256, fee: U256) -> Result<(), ()> {
    let journal = ctx.journal_mut();
    let network = journal
        .transfer(ARB_WASM, NETWORK_FEE_ACCOUNT, fee)
        .map_err(|_| ())?;
    let refund = journal
        .transfer(ARB_WASM, caller, value - fee)
        .map_err(|_| ())?;
    match (network, refund) {
        (None, None) => Ok(()),
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_activated_error_has_the_solidity_selector() {
        let data = inactive_error(InactiveReason::NotActivated);
        assert_eq!(&data[..], &keccak256("ProgramNotActivated()")[..4]);
    }
}
