//! `ArbSys` at 0x64: the chain facts a contract asks Arbitrum for.

use alloy_primitives::{Bytes, U256};
use alloy_sol_types::{SolCall, SolInterface};
use revm::context::ContextTr;
use revm::context_interface::JournalTr;
use revm::interpreter::{CallInputs, InstructionResult, InterpreterResult};
use revm::Database;

use super::result;
use crate::evm::DevContext;
use crate::params::{ARBOS_VERSION, ARBSYS_VERSION_OFFSET};
use crate::wasm_cache;

pub use stylus_program::arbitrum::ArbSys;

/// Gas of each query (a warm storage read, as nitro charges its state reads).
const QUERY_GAS: u64 = 100;

/// Runs a call to `ArbSys`.
pub fn run(ctx: &mut DevContext, inputs: &CallInputs) -> InterpreterResult {
    let input = inputs.input.as_bytes(ctx).to_vec();
    let limit = inputs.gas_limit;
    let Ok(call) = ArbSys::ArbSysCalls::abi_decode(&input) else {
        return result(InstructionResult::Revert, Bytes::new(), limit, QUERY_GAS);
    };
    let number: U256 = ctx.block().number;
    use ArbSys::ArbSysCalls as C;
    let output = match call {
        C::arbBlockNumber(_) => ArbSys::arbBlockNumberCall::abi_encode_returns(&number),
        C::arbBlockHash(args) => {
            let requested = args.arbBlockNum;
            // Like nitro: only the 256 blocks before the current one.
            let hash = if requested >= number || number - requested > U256::from(256) {
                return result(InstructionResult::Revert, Bytes::new(), limit, QUERY_GAS);
            } else {
                ctx.journal_mut()
                    .db_mut()
                    .block_hash(requested.saturating_to())
                    .unwrap_or_default()
            };
            ArbSys::arbBlockHashCall::abi_encode_returns(&hash)
        }
        C::arbChainID(_) => {
            let id = U256::from(ctx.cfg().chain_id);
            ArbSys::arbChainIDCall::abi_encode_returns(&id)
        }
        C::arbOSVersion(_) => {
            let version = wasm_cache::arbos_version(ctx.journal_mut()).unwrap_or(ARBOS_VERSION);
            let version = U256::from(version + ARBSYS_VERSION_OFFSET);
            ArbSys::arbOSVersionCall::abi_encode_returns(&version)
        }
    };
    result(InstructionResult::Return, output.into(), limit, QUERY_GAS)
}
