//! The 42 `vm_hooks` host functions, with the semantics of nitro's `user-host-trait`: each
//! buys its ink first, then reads its arguments from WASM memory, asks the chain through
//! [`api`](super::api) and writes its results back.

use std::fmt;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use revm::interpreter::SharedMemory;
use wasmi::{Caller, Error, Global, Linker, Memory, Val};

use super::api::CallKind;
use super::cache::StorageCache;
use crate::evm::DevEvm;
use crate::params::stylus::INK_PRICE;
use stylus_metering::pricing::{self, evm, hostio};

/// Why a program stops before `user_entrypoint` returns.
#[derive(Debug)]
pub(crate) enum Escape {
    /// `exit_early(status)`.
    Exit(u32),
    /// Ink ran out (in a host function or in metered code).
    OutOfInk,
    /// The program did something nitro treats as a failure (bad pointer, write in a static
    /// context, too many topics...): the call reverts.
    Failure(String),
    /// The chain failed underneath (never with the in-memory database).
    Fatal(String),
}

impl fmt::Display for Escape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exit(status) => write!(f, "exit_early({status})"),
            Self::OutOfInk => f.write_str("out of ink"),
            Self::Failure(reason) => write!(f, "program failure: {reason}"),
            Self::Fatal(reason) => write!(f, "fatal host error: {reason}"),
        }
    }
}

impl wasmi::errors::HostError for Escape {}

fn fail(reason: impl Into<String>) -> Error {
    Error::host(Escape::Failure(reason.into()))
}

/// What the program sees of its call.
#[derive(Debug, Clone)]
pub(crate) struct FrameEnv {
    pub(crate) address: Address,
    pub(crate) caller: Address,
    pub(crate) value: U256,
    pub(crate) is_static: bool,
    pub(crate) depth: usize,
    pub(crate) args: Bytes,
    pub(crate) reentrant: bool,
}

/// The instrumented module's ink globals.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InkGlobals {
    pub(crate) ink_left: Global,
    pub(crate) ink_status: Global,
}

/// State of one running program.
pub(crate) struct Host<'a> {
    pub(crate) evm: &'a mut DevEvm,
    pub(crate) env: FrameEnv,
    /// The frame's memory context; children get sub-contexts of it, as EVM frames do.
    pub(crate) memory: SharedMemory,
    pub(crate) outs: Vec<u8>,
    pub(crate) return_data: Bytes,
    pub(crate) storage: StorageCache,
    /// The instance's meter globals: set right after instantiation, before any host function
    /// can run (Stylus modules have no start function).
    pub(crate) globals: Option<InkGlobals>,
    pub(crate) wasm_memory: Option<Memory>,
    /// Gas refund earned by storage writes (EIP-3529), passed on with the frame's gas.
    pub(crate) refund: i64,
    /// Where the frame's gas went, for `DEVNET_GAS_TRACE`.
    pub(crate) trace: GasTrace,
}

/// Gas a frame spent by kind (EVM-equivalent gas, hostio ink excluded), for the gas trace.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct GasTrace {
    pub(crate) sloads: u64,
    pub(crate) sload_gas: u64,
    pub(crate) flush_gas: u64,
    pub(crate) calls: u64,
    pub(crate) call_gas: u64,
    pub(crate) log_gas: u64,
}

type Hc<'c, 'a> = Caller<'c, Host<'a>>;

/// Ink, memory and chain access from inside a host function.
trait HostCtx<'a> {
    fn host(&mut self) -> &mut Host<'a>;
    fn host_ref(&self) -> &Host<'a>;
    fn ink_left(&self) -> u64;
    fn set_ink(&mut self, ink: u64);

    fn out_of_ink(&mut self) -> Error {
        self.set_ink(0);
        if let Some(globals) = self.host_ref().globals {
            self.set_status(globals);
        }
        Error::host(Escape::OutOfInk)
    }
    fn set_status(&mut self, globals: InkGlobals);

    fn buy_ink(&mut self, ink: u64) -> Result<(), Error> {
        let left = self.ink_left();
        match left.checked_sub(ink) {
            Some(rest) => {
                self.set_ink(rest);
                Ok(())
            }
            None => Err(self.out_of_ink()),
        }
    }
    fn buy_gas(&mut self, gas: u64) -> Result<(), Error> {
        self.buy_ink(gas.saturating_mul(u64::from(INK_PRICE)))
    }
    /// Fails (out of ink) unless `gas` is left, without spending it.
    fn require_gas(&mut self, gas: u64) -> Result<(), Error> {
        if self.ink_left() < gas.saturating_mul(u64::from(INK_PRICE)) {
            return Err(self.out_of_ink());
        }
        Ok(())
    }
    fn gas_left(&self) -> u64 {
        self.ink_left() / u64::from(INK_PRICE)
    }
    fn pay_for_read(&mut self, bytes: u32) -> Result<(), Error> {
        self.buy_ink(pricing::read_price(bytes))
    }
    fn pay_for_write(&mut self, bytes: u32) -> Result<(), Error> {
        self.buy_ink(pricing::write_price(bytes))
    }

    fn memory(&self) -> Result<Memory, Error> {
        self.host_ref()
            .wasm_memory
            .ok_or_else(|| fail("program exports no memory"))
    }
    fn read_slice(&self, ptr: u32, len: u32) -> Result<Vec<u8>, Error>;
    fn write_slice(&mut self, ptr: u32, data: &[u8]) -> Result<(), Error>;

    fn read_fixed<const N: usize>(&self, ptr: u32) -> Result<[u8; N], Error> {
        let bytes = self.read_slice(ptr, N as u32)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&bytes);
        Ok(out)
    }
    fn read_b256(&self, ptr: u32) -> Result<B256, Error> {
        self.read_fixed::<32>(ptr).map(B256::from)
    }
    fn read_u256(&self, ptr: u32) -> Result<U256, Error> {
        self.read_fixed::<32>(ptr).map(U256::from_be_bytes)
    }
    fn read_address(&self, ptr: u32) -> Result<Address, Error> {
        self.read_fixed::<20>(ptr).map(Address::from)
    }
    fn write_u32(&mut self, ptr: u32, value: u32) -> Result<(), Error> {
        self.write_slice(ptr, &value.to_le_bytes())
    }
}

impl<'a> HostCtx<'a> for Hc<'_, 'a> {
    fn host(&mut self) -> &mut Host<'a> {
        self.data_mut()
    }
    fn host_ref(&self) -> &Host<'a> {
        self.data()
    }
    fn ink_left(&self) -> u64 {
        match self.data().globals {
            Some(globals) => match globals.ink_left.get(self) {
                Val::I64(ink) => ink as u64,
                _ => 0,
            },
            None => 0,
        }
    }
    fn set_ink(&mut self, ink: u64) {
        // The global is the module's own mutable i64, so the set cannot fail.
        if let Some(globals) = self.data().globals {
            drop(globals.ink_left.set(&mut *self, Val::I64(ink as i64)));
        }
    }
    fn set_status(&mut self, globals: InkGlobals) {
        drop(globals.ink_status.set(&mut *self, Val::I32(1)));
    }
    fn read_slice(&self, ptr: u32, len: u32) -> Result<Vec<u8>, Error> {
        let memory = self.memory()?;
        let mut buf = vec![0u8; len as usize];
        memory
            .read(self, ptr as usize, &mut buf)
            .map_err(|_| fail("memory access out of bounds"))?;
        Ok(buf)
    }
    fn write_slice(&mut self, ptr: u32, data: &[u8]) -> Result<(), Error> {
        let memory = self.memory()?;
        memory
            .write(&mut *self, ptr as usize, data)
            .map_err(|_| fail("memory access out of bounds"))
    }
}

fn escape(e: Escape) -> Error {
    Error::host(e)
}

fn read_args(mut c: Hc, ptr: u32) -> Result<(), Error> {
    c.buy_ink(hostio::READ_ARGS)?;
    let args = c.host().env.args.clone();
    c.pay_for_write(args.len() as u32)?;
    c.write_slice(ptr, &args)
}

fn write_result(mut c: Hc, ptr: u32, len: u32) -> Result<(), Error> {
    c.buy_ink(hostio::WRITE_RESULT)?;
    c.pay_for_read(len)?;
    c.pay_for_read(len)?;
    let outs = c.read_slice(ptr, len)?;
    c.host().outs = outs;
    Ok(())
}

fn exit_early(_c: Hc, status: u32) -> Result<(), Error> {
    Err(escape(Escape::Exit(status)))
}

fn storage_load_bytes32(mut c: Hc, key: u32, dest: u32) -> Result<(), Error> {
    c.buy_ink(hostio::STORAGE_LOAD_BYTES32)?;
    let api_gas = pricing::EVM_API_INK / u64::from(INK_PRICE);
    c.require_gas(evm::COLD_SLOAD_GAS + StorageCache::REQUIRED_ACCESS_GAS + api_gas)?;
    let key = c.read_b256(key)?;
    let (value, cost) = c.host().get_bytes32(key, api_gas).map_err(escape)?;
    let trace = &mut c.host().trace;
    trace.sloads += 1;
    trace.sload_gas += cost;
    c.buy_gas(cost)?;
    c.write_slice(dest, value.as_slice())
}

fn storage_cache_bytes32(mut c: Hc, key: u32, value: u32) -> Result<(), Error> {
    c.buy_ink(hostio::STORAGE_CACHE_BYTES32)?;
    c.require_gas(evm::SSTORE_SENTRY_GAS + StorageCache::REQUIRED_ACCESS_GAS)?;
    let key = c.read_b256(key)?;
    let value = c.read_b256(value)?;
    let host = c.host();
    let cost = host.storage.write_gas();
    host.storage.cache(key, value);
    c.buy_gas(cost)
}

fn storage_flush_cache(mut c: Hc, clear: u32) -> Result<(), Error> {
    c.buy_ink(hostio::STORAGE_FLUSH_CACHE)?;
    c.require_gas(evm::SSTORE_SENTRY_GAS)?;
    let gas_left = c.gas_left();
    let (cost, outcome) = c
        .host()
        .flush_storage(clear != 0, gas_left.saturating_add(1))
        .map_err(escape)?;
    c.host().trace.flush_gas += cost;
    c.buy_gas(cost)?;
    outcome.map_err(escape)
}

fn transient_load_bytes32(mut c: Hc, key: u32, dest: u32) -> Result<(), Error> {
    c.buy_ink(hostio::TRANSIENT_LOAD_BYTES32)?;
    c.buy_gas(evm::TLOAD_GAS)?;
    let key = c.read_b256(key)?;
    let value = c.host().tload(key);
    c.write_slice(dest, value.as_slice())
}

fn transient_store_bytes32(mut c: Hc, key: u32, value: u32) -> Result<(), Error> {
    c.buy_ink(hostio::TRANSIENT_STORE_BYTES32)?;
    c.buy_gas(evm::TSTORE_GAS)?;
    let key = c.read_b256(key)?;
    let value = c.read_b256(value)?;
    c.host().tstore(key, value).map_err(escape)
}

#[allow(clippy::too_many_arguments)]
fn do_call(
    c: &mut Hc,
    kind: CallKind,
    contract: u32,
    data: u32,
    data_len: u32,
    value: Option<u32>,
    gas: u64,
    ret_len: u32,
) -> Result<u32, Error> {
    c.buy_ink(hostio::CALL_CONTRACT)?;
    c.pay_for_read(data_len)?;
    c.pay_for_read(data_len)?;
    let gas_left = c.gas_left();
    let gas_req = gas.min(gas_left);
    let contract = c.read_address(contract)?;
    let input = c.read_slice(data, data_len)?;
    let value = match value {
        Some(ptr) => c.read_u256(ptr)?,
        None => U256::ZERO,
    };
    let (outs_len, cost, status) = c
        .host()
        .call(kind, contract, input.into(), gas_left, gas_req, value)
        .map_err(escape)?;
    let trace = &mut c.host().trace;
    trace.calls += 1;
    trace.call_gas += cost;
    c.buy_gas(cost)?;
    c.write_u32(ret_len, outs_len)?;
    Ok(status)
}

fn call_contract(
    mut c: Hc,
    contract: u32,
    data: u32,
    data_len: u32,
    value: u32,
    gas: u64,
    ret_len: u32,
) -> Result<u32, Error> {
    let kind = CallKind::Call;
    do_call(
        &mut c,
        kind,
        contract,
        data,
        data_len,
        Some(value),
        gas,
        ret_len,
    )
}

fn delegate_call_contract(
    mut c: Hc,
    contract: u32,
    data: u32,
    data_len: u32,
    gas: u64,
    ret_len: u32,
) -> Result<u32, Error> {
    let kind = CallKind::Delegate;
    do_call(&mut c, kind, contract, data, data_len, None, gas, ret_len)
}

fn static_call_contract(
    mut c: Hc,
    contract: u32,
    data: u32,
    data_len: u32,
    gas: u64,
    ret_len: u32,
) -> Result<u32, Error> {
    let kind = CallKind::Static;
    do_call(&mut c, kind, contract, data, data_len, None, gas, ret_len)
}

#[allow(clippy::too_many_arguments)]
fn do_create(
    c: &mut Hc,
    code: u32,
    code_len: u32,
    endowment: u32,
    salt: Option<u32>,
    contract: u32,
    revert_len: u32,
) -> Result<(), Error> {
    let base = if salt.is_some() {
        hostio::CREATE2
    } else {
        hostio::CREATE1
    };
    c.buy_ink(base)?;
    c.pay_for_read(code_len)?;
    c.pay_for_read(code_len)?;
    let code = c.read_slice(code, code_len)?;
    let endowment = c.read_u256(endowment)?;
    let salt = salt.map(|ptr| c.read_b256(ptr)).transpose()?;
    let gas = c.gas_left();
    let (address, ret_len, cost) = c
        .host()
        .create(code.into(), endowment, salt, gas)
        .map_err(escape)?;
    c.buy_gas(cost)?;
    c.write_u32(revert_len, ret_len)?;
    c.write_slice(contract, address.as_slice())
}

fn create1(
    mut c: Hc,
    code: u32,
    code_len: u32,
    endowment: u32,
    contract: u32,
    revert_len: u32,
) -> Result<(), Error> {
    do_create(
        &mut c, code, code_len, endowment, None, contract, revert_len,
    )
}

fn create2(
    mut c: Hc,
    code: u32,
    code_len: u32,
    endowment: u32,
    salt: u32,
    contract: u32,
    revert_len: u32,
) -> Result<(), Error> {
    do_create(
        &mut c,
        code,
        code_len,
        endowment,
        Some(salt),
        contract,
        revert_len,
    )
}

fn read_return_data(mut c: Hc, dest: u32, offset: u32, size: u32) -> Result<u32, Error> {
    c.buy_ink(hostio::READ_RETURN_DATA)?;
    let data = c.host().return_data.clone();
    let max = (data.len() as u32).saturating_sub(offset);
    c.pay_for_write(size.min(max))?;
    if max == 0 {
        return Ok(0);
    }
    let start = offset as usize;
    let end = (offset.saturating_add(size) as usize).min(data.len());
    let out = &data[start..end];
    if !out.is_empty() {
        c.write_slice(dest, out)?;
    }
    Ok(out.len() as u32)
}

fn return_data_size(mut c: Hc) -> Result<u32, Error> {
    c.buy_ink(hostio::RETURN_DATA_SIZE)?;
    Ok(c.host().return_data.len() as u32)
}

fn emit_log(mut c: Hc, data: u32, len: u32, topics: u32) -> Result<(), Error> {
    c.buy_ink(hostio::EMIT_LOG)?;
    if topics > 4 || len < topics * 32 {
        return Err(fail("bad topic data"));
    }
    c.pay_for_read(len)?;
    let log_gas = evm::log_gas(topics, len - topics * 32);
    c.host().trace.log_gas += log_gas;
    c.buy_gas(log_gas)?;
    let data = c.read_slice(data, len)?;
    c.host().emit_log(&data, topics as usize).map_err(escape)
}

fn account_balance(mut c: Hc, address: u32, dest: u32) -> Result<(), Error> {
    c.buy_ink(hostio::ACCOUNT_BALANCE)?;
    c.require_gas(evm::COLD_ACCOUNT_GAS)?;
    let address = c.read_address(address)?;
    let (balance, cost) = c.host().balance(address).map_err(escape)?;
    c.buy_gas(cost)?;
    c.write_slice(dest, &balance.to_be_bytes::<32>())
}

fn account_code(mut c: Hc, address: u32, offset: u32, size: u32, dest: u32) -> Result<u32, Error> {
    c.buy_ink(hostio::ACCOUNT_CODE)?;
    c.require_gas(evm::COLD_ACCOUNT_GAS)?;
    let address = c.read_address(address)?;
    let (code, cost) = c.host().code(address).map_err(escape)?;
    c.buy_gas(cost)?;
    c.pay_for_write(code.len() as u32)?;
    let start = (offset as usize).min(code.len());
    let end = (offset.saturating_add(size) as usize).min(code.len());
    let out = &code[start..end];
    c.write_slice(dest, out)?;
    Ok(out.len() as u32)
}

fn account_code_size(mut c: Hc, address: u32) -> Result<u32, Error> {
    c.buy_ink(hostio::ACCOUNT_CODE_SIZE)?;
    c.require_gas(evm::COLD_ACCOUNT_GAS)?;
    let address = c.read_address(address)?;
    let (code, cost) = c.host().code(address).map_err(escape)?;
    c.buy_gas(cost)?;
    Ok(code.len() as u32)
}

fn account_codehash(mut c: Hc, address: u32, dest: u32) -> Result<(), Error> {
    c.buy_ink(hostio::ACCOUNT_CODEHASH)?;
    c.require_gas(evm::COLD_ACCOUNT_GAS)?;
    let address = c.read_address(address)?;
    let (hash, cost) = c.host().code_hash(address).map_err(escape)?;
    c.buy_gas(cost)?;
    c.write_slice(dest, hash.as_slice())
}

fn block_basefee(mut c: Hc, dest: u32) -> Result<(), Error> {
    c.buy_ink(hostio::BLOCK_BASEFEE)?;
    let basefee = U256::from(c.host().evm.ctx().block.basefee);
    c.write_slice(dest, &basefee.to_be_bytes::<32>())
}

fn block_coinbase(mut c: Hc, dest: u32) -> Result<(), Error> {
    c.buy_ink(hostio::BLOCK_COINBASE)?;
    let coinbase = c.host().evm.ctx().block.beneficiary;
    c.write_slice(dest, coinbase.as_slice())
}

fn block_gas_limit(mut c: Hc) -> Result<u64, Error> {
    c.buy_ink(hostio::BLOCK_GAS_LIMIT)?;
    Ok(c.host().evm.ctx().block.gas_limit)
}

fn block_number(mut c: Hc) -> Result<u64, Error> {
    c.buy_ink(hostio::BLOCK_NUMBER)?;
    Ok(c.host().evm.ctx().block.number.saturating_to())
}

fn block_timestamp(mut c: Hc) -> Result<u64, Error> {
    c.buy_ink(hostio::BLOCK_TIMESTAMP)?;
    Ok(c.host().evm.ctx().block.timestamp.saturating_to())
}

fn chainid(mut c: Hc) -> Result<u64, Error> {
    c.buy_ink(hostio::CHAINID)?;
    Ok(c.host().evm.ctx().cfg.chain_id)
}

fn contract_address(mut c: Hc, dest: u32) -> Result<(), Error> {
    c.buy_ink(hostio::CONTRACT_ADDRESS)?;
    let address = c.host().env.address;
    c.write_slice(dest, address.as_slice())
}

fn evm_gas_left(mut c: Hc) -> Result<u64, Error> {
    c.buy_ink(hostio::EVM_GAS_LEFT)?;
    Ok(c.gas_left())
}

fn evm_ink_left(mut c: Hc) -> Result<u64, Error> {
    c.buy_ink(hostio::EVM_INK_LEFT)?;
    Ok(c.ink_left())
}

fn math2(c: &mut Hc, ink: u64, a: u32, b: u32, op: fn(U256, U256) -> U256) -> Result<(), Error> {
    c.buy_ink(ink)?;
    let x = c.read_u256(a)?;
    let y = c.read_u256(b)?;
    c.write_slice(a, &op(x, y).to_be_bytes::<32>())
}

fn math_div(mut c: Hc, value: u32, divisor: u32) -> Result<(), Error> {
    math2(&mut c, hostio::MATH_DIV, value, divisor, |a, b| {
        a.checked_div(b).unwrap_or_default()
    })
}

fn math_mod(mut c: Hc, value: u32, modulus: u32) -> Result<(), Error> {
    math2(&mut c, hostio::MATH_MOD, value, modulus, |a, b| {
        a.checked_rem(b).unwrap_or_default()
    })
}

fn math_pow(mut c: Hc, value: u32, exponent: u32) -> Result<(), Error> {
    c.buy_ink(hostio::MATH_POW)?;
    let base = c.read_u256(value)?;
    let exp = c.read_fixed::<32>(exponent)?;
    c.buy_ink(pricing::pow_price(&exp))?;
    let result = base.wrapping_pow(U256::from_be_bytes(exp));
    c.write_slice(value, &result.to_be_bytes::<32>())
}

fn math3(
    c: &mut Hc,
    ink: u64,
    ptrs: [u32; 3],
    op: fn(U256, U256, U256) -> U256,
) -> Result<(), Error> {
    c.buy_ink(ink)?;
    let a = c.read_u256(ptrs[0])?;
    let b = c.read_u256(ptrs[1])?;
    let m = c.read_u256(ptrs[2])?;
    c.write_slice(ptrs[0], &op(a, b, m).to_be_bytes::<32>())
}

fn math_add_mod(mut c: Hc, value: u32, addend: u32, modulus: u32) -> Result<(), Error> {
    math3(
        &mut c,
        hostio::MATH_ADD_MOD,
        [value, addend, modulus],
        U256::add_mod,
    )
}

fn math_mul_mod(mut c: Hc, value: u32, multiplier: u32, modulus: u32) -> Result<(), Error> {
    math3(
        &mut c,
        hostio::MATH_MUL_MOD,
        [value, multiplier, modulus],
        U256::mul_mod,
    )
}

fn msg_reentrant(mut c: Hc) -> Result<u32, Error> {
    c.buy_ink(hostio::MSG_REENTRANT)?;
    Ok(u32::from(c.host().env.reentrant))
}

fn msg_sender(mut c: Hc, dest: u32) -> Result<(), Error> {
    c.buy_ink(hostio::MSG_SENDER)?;
    let sender = c.host().env.caller;
    c.write_slice(dest, sender.as_slice())
}

fn msg_value(mut c: Hc, dest: u32) -> Result<(), Error> {
    c.buy_ink(hostio::MSG_VALUE)?;
    let value = c.host().env.value;
    c.write_slice(dest, &value.to_be_bytes::<32>())
}

fn native_keccak256(mut c: Hc, input: u32, len: u32, output: u32) -> Result<(), Error> {
    c.buy_ink(pricing::keccak_price(len))?;
    let preimage = c.read_slice(input, len)?;
    c.write_slice(output, keccak256(preimage).as_slice())
}

fn tx_gas_price(mut c: Hc, dest: u32) -> Result<(), Error> {
    c.buy_ink(hostio::TX_GAS_PRICE)?;
    let price = c.host().gas_price();
    c.write_slice(dest, &price.to_be_bytes::<32>())
}

fn tx_ink_price(mut c: Hc) -> Result<u32, Error> {
    c.buy_ink(hostio::TX_INK_PRICE)?;
    Ok(INK_PRICE)
}

fn tx_origin(mut c: Hc, dest: u32) -> Result<(), Error> {
    c.buy_ink(hostio::TX_ORIGIN)?;
    let origin = c.host().evm.ctx().tx.caller;
    c.write_slice(dest, origin.as_slice())
}

fn pay_for_memory_grow(mut c: Hc, pages: u32) -> Result<(), Error> {
    if pages == 0 {
        return c.buy_ink(hostio::PAY_FOR_MEMORY_GROW);
    }
    let pages = u16::try_from(pages).unwrap_or(u16::MAX);
    let cost = c.host().add_pages(pages);
    c.buy_gas(cost)
}

/// A linker with all 42 host functions for programs of this lifetime.
pub(crate) fn linker<'a>(
    engine: &wasmi::Engine,
) -> Result<Linker<Host<'a>>, wasmi::errors::LinkerError> {
    let mut l = Linker::<Host<'a>>::new(engine);
    const M: &str = stylus_program::hostio::MODULE;
    l.func_wrap(M, "read_args", read_args)?;
    l.func_wrap(M, "write_result", write_result)?;
    l.func_wrap(M, "exit_early", exit_early)?;
    l.func_wrap(M, "storage_load_bytes32", storage_load_bytes32)?;
    l.func_wrap(M, "storage_cache_bytes32", storage_cache_bytes32)?;
    l.func_wrap(M, "storage_flush_cache", storage_flush_cache)?;
    l.func_wrap(M, "transient_load_bytes32", transient_load_bytes32)?;
    l.func_wrap(M, "transient_store_bytes32", transient_store_bytes32)?;
    l.func_wrap(M, "call_contract", call_contract)?;
    l.func_wrap(M, "delegate_call_contract", delegate_call_contract)?;
    l.func_wrap(M, "static_call_contract", static_call_contract)?;
    l.func_wrap(M, "create1", create1)?;
    l.func_wrap(M, "create2", create2)?;
    l.func_wrap(M, "read_return_data", read_return_data)?;
    l.func_wrap(M, "return_data_size", return_data_size)?;
    l.func_wrap(M, "emit_log", emit_log)?;
    l.func_wrap(M, "account_balance", account_balance)?;
    l.func_wrap(M, "account_code", account_code)?;
    l.func_wrap(M, "account_codehash", account_codehash)?;
    l.func_wrap(M, "account_code_size", account_code_size)?;
    l.func_wrap(M, "evm_gas_left", evm_gas_left)?;
    l.func_wrap(M, "evm_ink_left", evm_ink_left)?;
    l.func_wrap(M, "block_basefee", block_basefee)?;
    l.func_wrap(M, "chainid", chainid)?;
    l.func_wrap(M, "block_coinbase", block_coinbase)?;
    l.func_wrap(M, "block_gas_limit", block_gas_limit)?;
    l.func_wrap(M, "block_number", block_number)?;
    l.func_wrap(M, "block_timestamp", block_timestamp)?;
    l.func_wrap(M, "contract_address", contract_address)?;
    l.func_wrap(M, "math_div", math_div)?;
    l.func_wrap(M, "math_mod", math_mod)?;
    l.func_wrap(M, "math_pow", math_pow)?;
    l.func_wrap(M, "math_add_mod", math_add_mod)?;
    l.func_wrap(M, "math_mul_mod", math_mul_mod)?;
    l.func_wrap(M, "msg_reentrant", msg_reentrant)?;
    l.func_wrap(M, "msg_sender", msg_sender)?;
    l.func_wrap(M, "msg_value", msg_value)?;
    l.func_wrap(M, "tx_gas_price", tx_gas_price)?;
    l.func_wrap(M, "tx_ink_price", tx_ink_price)?;
    l.func_wrap(M, "tx_origin", tx_origin)?;
    l.func_wrap(M, "pay_for_memory_grow", pay_for_memory_grow)?;
    l.func_wrap(M, "native_keccak256", native_keccak256)?;
    Ok(l)
}
