//! One call into a Stylus program, from checkpoint to outcome (nitro `CallProgram`).

use alloy_primitives::Bytes;
use revm::context::ContextTr;
use revm::context_interface::JournalTr;
use revm::handler::FrameResult;
use revm::interpreter::{
    CallInputs, CallOutcome, CallScheme, CallValue, Gas, InstructionResult, InterpreterResult,
    SharedMemory,
};
use revm::primitives::constants::CALL_STACK_LIMIT;
use stylus_metering::{MeterState, TrapCause, INK_LEFT, INK_STATUS, STACK_LEFT};
use wasmi::{Store, TrapCode, Val};

use super::host::{self, Escape, FrameEnv, GasTrace, Host, InkGlobals};
use crate::evm::{DbError, DevEvm};
use crate::params::stylus::{INK_PRICE, MAX_STACK_DEPTH, PARAMS};
use crate::precompiles::arb_wasm::inactive_error;
use crate::programs::{self, CompiledProgram};
use crate::wasm_cache;

/// How a program run ended.
#[derive(Debug)]
enum Outcome {
    Success(Vec<u8>),
    Revert(Vec<u8>),
    Failure,
    OutOfInk,
    OutOfStack,
}

/// Runs the Stylus program `inputs` calls into and returns the frame's result.
pub(crate) fn run_call(
    evm: &mut DevEvm,
    depth: usize,
    memory: SharedMemory,
    inputs: Box<CallInputs>,
) -> Result<FrameResult, DbError> {
    let mut gas = Gas::new_with_regular_gas_and_reservoir(inputs.gas_limit, inputs.reservoir);
    let finish = |result: InstructionResult, gas: Gas, output: Bytes| {
        FrameResult::Call(CallOutcome {
            result: InterpreterResult {
                result,
                output,
                gas,
            },
            memory_offset: inputs.return_memory_offset.clone(),
            was_precompile_called: false,
            precompile_call_logs: Vec::new(),
            charged_new_account_state_gas: inputs.charged_new_account_state_gas,
        })
    };
    if depth > CALL_STACK_LIMIT as usize {
        return Ok(finish(InstructionResult::CallTooDeep, gas, Bytes::new()));
    }

    let now: u64 = evm.ctx().block.timestamp.saturating_to();
    let journal = evm.ctx_mut().journal_mut();
    let checkpoint = journal.checkpoint();
    if let CallValue::Transfer(value) = inputs.value {
        if let Some(error) = journal.transfer_loaded(inputs.caller, inputs.target_address, value) {
            journal.checkpoint_revert(checkpoint);
            return Ok(finish(error.into(), gas, Bytes::new()));
        }
    }

    let (code_hash, bytecode) = &inputs.known_bytecode;
    let record = programs::load_record(journal, *code_hash)?;
    let record = match record.check_active(now) {
        Ok(record) => record,
        Err(reason) => {
            journal.checkpoint_revert(checkpoint);
            let output = inactive_error(reason);
            return Ok(finish(InstructionResult::Revert, gas, output));
        }
    };

    // Pay to open the program's pages and to instantiate it (nitro charges the cached cost on
    // every call from Stylus version 2 on, and the init cost unless the program is pinned in
    // the cache or, from ArbOS 60 on, was called earlier in the block).
    let recent = wasm_cache::arbos_version(journal)? >= wasm_cache::ARBOS_VERSION_RECENT_WASMS
        && evm.recent_wasms.insert(*code_hash);
    let cached = record.cached || recent;
    let pages_before = evm.pages.open;
    let call_cost = stylus_metering::call_cost(&record.info(), cached, &PARAMS, &mut evm.pages);
    if !gas.record_regular_cost(call_cost) {
        evm.pages.restore(pages_before);
        evm.ctx_mut().journal_mut().checkpoint_revert(checkpoint);
        gas.spend_all();
        return Ok(finish(InstructionResult::OutOfGas, gas, Bytes::new()));
    }

    let program = match evm
        .programs
        .get_or_compile(*code_hash, bytecode.original_byte_slice())
    {
        Ok(program) => program,
        Err(e) => {
            // Only code that passed activation gets here, so this is a chain fault; the call
            // fails rather than the chain.
            evm.pages.restore(pages_before);
            evm.ctx_mut().journal_mut().checkpoint_revert(checkpoint);
            let output = Bytes::from(e.to_string().into_bytes());
            return Ok(finish(InstructionResult::Revert, gas, output));
        }
    };

    let args = Bytes::copy_from_slice(&inputs.input.as_bytes(evm.ctx()));
    let acting = match inputs.scheme {
        CallScheme::DelegateCall | CallScheme::CallCode => None,
        _ => Some(inputs.target_address),
    };
    evm.push_frame(acting);
    let env = FrameEnv {
        address: inputs.target_address,
        caller: inputs.caller,
        value: inputs.value.get(),
        is_static: inputs.is_static,
        depth,
        args,
        reentrant: evm.is_reentrant(inputs.target_address),
    };
    let ink = gas.remaining().saturating_mul(u64::from(INK_PRICE));
    let selector = env.args.get(..4).map(<[u8]>::to_vec).unwrap_or_default();
    let run = execute(evm, &program, env, memory, ink);
    evm.pop_frame();
    evm.pages.restore(pages_before);
    let (outcome, ink_left, refund, trace) = run?;

    let journal = evm.ctx_mut().journal_mut();
    let starting_gas = gas.remaining();
    let mut gas_left = ink_left / u64::from(INK_PRICE);
    let (result, output) = match outcome {
        Outcome::Success(out) => (InstructionResult::Return, out),
        Outcome::Revert(out) => (InstructionResult::Revert, out),
        Outcome::Failure => (InstructionResult::Revert, Vec::new()),
        Outcome::OutOfInk => (InstructionResult::OutOfGas, Vec::new()),
        Outcome::OutOfStack => (InstructionResult::StackOverflow, Vec::new()),
    };
    // Return data costs at least what it would in the EVM (nitro, ArbOS 31 on).
    if !output.is_empty() {
        let words = (output.len() as u64).div_ceil(32);
        let evm_cost = words * 3 + words * words / 512;
        match starting_gas.checked_sub(evm_cost) {
            Some(max_left) => gas_left = gas_left.min(max_left),
            None => {
                journal.checkpoint_revert(checkpoint);
                gas.spend_all();
                return Ok(finish(InstructionResult::OutOfGas, gas, Bytes::new()));
            }
        }
    }
    if result.is_ok() {
        journal.checkpoint_commit();
        gas.record_refund(refund);
    } else {
        journal.checkpoint_revert(checkpoint);
    }
    let used = starting_gas.saturating_sub(gas_left);
    if result.is_halt() {
        gas.spend_all();
    } else {
        // `gas_left` never exceeds `starting_gas`, so this always fits.
        let charged = gas.record_regular_cost(used);
        debug_assert!(charged);
    }
    if gas_trace_enabled() {
        print_trace(depth, &inputs, &selector, call_cost, used, &trace);
    }
    Ok(finish(result, gas, output.into()))
}

/// Whether `DEVNET_GAS_TRACE` asks for one stderr line per Stylus frame (a measuring aid; the
/// chain's behaviour does not depend on it).
fn gas_trace_enabled() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("DEVNET_GAS_TRACE").is_some())
}

/// One frame's gas by kind: program entry (`init`), storage reads and the flushed writes,
/// nested calls (their whole cost), logs, and the rest (WASM execution and hostio ink).
/// Lines come out as frames end, children before their parent.
fn print_trace(
    depth: usize,
    inputs: &CallInputs,
    selector: &[u8],
    init: u64,
    used: u64,
    t: &GasTrace,
) {
    let rest = used.saturating_sub(t.sload_gas + t.flush_gas + t.call_gas + t.log_gas);
    let delegate = matches!(inputs.scheme, CallScheme::DelegateCall);
    eprintln!(
        "gas-trace depth={depth} to={} code={}{} sel=0x{} total={} init={init} \
         sload={}x{} flush={} calls={}x{} logs={} rest={rest}",
        inputs.target_address,
        inputs.bytecode_address,
        if delegate { " (delegate)" } else { "" },
        alloy_primitives::hex::encode(selector),
        used + init,
        t.sloads,
        t.sload_gas,
        t.flush_gas,
        t.calls,
        t.call_gas,
        t.log_gas,
    );
}

/// Instantiates the module with a fresh host and runs `user_entrypoint`.
fn execute(
    evm: &mut DevEvm,
    program: &CompiledProgram,
    env: FrameEnv,
    memory: SharedMemory,
    ink: u64,
) -> Result<(Outcome, u64, i64, GasTrace), DbError> {
    let engine = evm.programs.engine().clone();
    let args_len = env.args.len();
    let host = Host {
        evm,
        env,
        memory,
        outs: Vec::new(),
        return_data: Bytes::new(),
        storage: Default::default(),
        globals: None,
        wasm_memory: None,
        refund: 0,
        trace: GasTrace::default(),
    };
    let mut store = Store::new(&engine, host);
    let linker = host::linker(&engine).map_err(|e| DbError::Custom(e.to_string()))?;
    let instance = match linker.instantiate_and_start(&mut store, &program.module) {
        Ok(instance) => instance,
        Err(_) => return Ok((Outcome::Failure, 0, 0, GasTrace::default())),
    };
    store.data_mut().wasm_memory = instance.get_memory(&store, "memory");
    let ink_left = instance.get_global(&store, INK_LEFT);
    let ink_status = instance.get_global(&store, INK_STATUS);
    let stack_left = instance.get_global(&store, STACK_LEFT);
    let (Some(ink_left), Some(ink_status), Some(stack_left)) = (ink_left, ink_status, stack_left)
    else {
        // Every compiled module is instrumented, so this is a chain fault; fail the call.
        return Ok((Outcome::Failure, 0, 0, GasTrace::default()));
    };
    let set = ink_left
        .set(&mut store, Val::I64(ink as i64))
        .and(ink_status.set(&mut store, Val::I32(0)))
        .and(stack_left.set(&mut store, Val::I32(MAX_STACK_DEPTH as i32)));
    if set.is_err() {
        return Ok((Outcome::Failure, 0, 0, GasTrace::default()));
    }
    store.data_mut().globals = Some(InkGlobals {
        ink_left,
        ink_status,
    });
    let Ok(entry) = instance.get_typed_func::<i32, i32>(&store, "user_entrypoint") else {
        return Ok((Outcome::Failure, 0, 0, GasTrace::default()));
    };
    let result = entry.call(&mut store, args_len as i32);

    let as_i64 = |v: Val| if let Val::I64(x) = v { x } else { 0 };
    let as_i32 = |v: Val| if let Val::I32(x) = v { x } else { 0 };
    let meter = MeterState::read(
        as_i64(ink_left.get(&store)),
        as_i32(ink_status.get(&store)),
        as_i32(stack_left.get(&store)),
    );
    let host = store.into_data();
    let outs = host.outs;
    let refund = host.refund;
    let trace = host.trace;
    let outcome = match result {
        Ok(0) => Outcome::Success(outs),
        Ok(_) => Outcome::Revert(outs),
        Err(error) => match error.downcast_ref::<Escape>() {
            Some(Escape::Exit(0)) => Outcome::Success(outs),
            Some(Escape::Exit(_)) => Outcome::Revert(outs),
            Some(Escape::OutOfInk) => Outcome::OutOfInk,
            Some(Escape::Failure(_)) => Outcome::Failure,
            Some(Escape::Fatal(reason)) => return Err(DbError::Custom(reason.clone())),
            None if error.as_trap_code() == Some(TrapCode::StackOverflow) => Outcome::OutOfStack,
            None => match meter.classify_trap() {
                TrapCause::OutOfStack => Outcome::OutOfStack,
                TrapCause::OutOfInk => Outcome::OutOfInk,
                TrapCause::Other => Outcome::Failure,
            },
        },
    };
    let ink_left = if matches!(outcome, Outcome::OutOfInk) {
        0
    } else {
        meter.ink_left()
    };
    Ok((outcome, ink_left, refund, trace))
}
