//! The host interface of a Stylus program: module `vm_hooks`, 42 functions.
//!
//! Signatures as nitro links them (`crates/stylus/src/native.rs`): every pointer and length is
//! an i32, gas and ink are i64, and `u8` statuses travel as i32.

/// A WASM value type of a host function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    I32,
    I64,
}

/// One host function: name, parameters and results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostIo {
    pub name: &'static str,
    pub params: &'static [Ty],
    pub results: &'static [Ty],
}

/// Module name of every host function.
pub const MODULE: &str = "vm_hooks";
/// Module of the debug-only console functions (refused outside debug mode).
pub const DEBUG_MODULE: &str = "console";

use Ty::{I32, I64};

const fn io(name: &'static str, params: &'static [Ty], results: &'static [Ty]) -> HostIo {
    HostIo {
        name,
        params,
        results,
    }
}

/// All 42 `vm_hooks` functions.
pub const HOSTIOS: [HostIo; 42] = [
    io("read_args", &[I32], &[]),
    io("write_result", &[I32, I32], &[]),
    io("exit_early", &[I32], &[]),
    io("storage_load_bytes32", &[I32, I32], &[]),
    io("storage_cache_bytes32", &[I32, I32], &[]),
    io("storage_flush_cache", &[I32], &[]),
    io("transient_load_bytes32", &[I32, I32], &[]),
    io("transient_store_bytes32", &[I32, I32], &[]),
    io("call_contract", &[I32, I32, I32, I32, I64, I32], &[I32]),
    io("delegate_call_contract", &[I32, I32, I32, I64, I32], &[I32]),
    io("static_call_contract", &[I32, I32, I32, I64, I32], &[I32]),
    io("create1", &[I32, I32, I32, I32, I32], &[]),
    io("create2", &[I32, I32, I32, I32, I32, I32], &[]),
    io("read_return_data", &[I32, I32, I32], &[I32]),
    io("return_data_size", &[], &[I32]),
    io("emit_log", &[I32, I32, I32], &[]),
    io("account_balance", &[I32, I32], &[]),
    io("account_code", &[I32, I32, I32, I32], &[I32]),
    io("account_codehash", &[I32, I32], &[]),
    io("account_code_size", &[I32], &[I32]),
    io("evm_gas_left", &[], &[I64]),
    io("evm_ink_left", &[], &[I64]),
    io("block_basefee", &[I32], &[]),
    io("chainid", &[], &[I64]),
    io("block_coinbase", &[I32], &[]),
    io("block_gas_limit", &[], &[I64]),
    io("block_number", &[], &[I64]),
    io("block_timestamp", &[], &[I64]),
    io("contract_address", &[I32], &[]),
    io("math_div", &[I32, I32], &[]),
    io("math_mod", &[I32, I32], &[]),
    io("math_pow", &[I32, I32], &[]),
    io("math_add_mod", &[I32, I32, I32], &[]),
    io("math_mul_mod", &[I32, I32, I32], &[]),
    io("msg_reentrant", &[], &[I32]),
    io("msg_sender", &[I32], &[]),
    io("msg_value", &[I32], &[]),
    io("tx_gas_price", &[I32], &[]),
    io("tx_ink_price", &[], &[I32]),
    io("tx_origin", &[I32], &[]),
    io("pay_for_memory_grow", &[I32], &[]),
    io("native_keccak256", &[I32, I32, I32], &[]),
];

/// Looks a `vm_hooks` function up by name.
pub fn lookup(name: &str) -> Option<&'static HostIo> {
    HOSTIOS.iter().find(|h| h.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        for (i, a) in HOSTIOS.iter().enumerate() {
            assert!(
                HOSTIOS[i + 1..].iter().all(|b| b.name != a.name),
                "{}",
                a.name
            );
        }
        assert_eq!(lookup("pay_for_memory_grow").unwrap().params, &[Ty::I32]);
        assert!(lookup("floaty").is_none());
    }
}
