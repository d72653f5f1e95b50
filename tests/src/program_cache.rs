//! Pinning programs in Arbitrum's program cache (`ArbWasmCache`), so that calls into them pay
//! the cached init gas. On Arbitrum One a protocol gets there by a one-off bid to the chain's
//! `CacheManager` contract; on a dev chain the chain owner (nitro's dev account, on nitro's dev
//! node and on the devnet alike) may pin programs directly.

use alloy::network::TransactionBuilder;
use alloy::primitives::Address;
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use deploy::Deployer;
use stylus_program::arbitrum::{ArbWasm, ArbWasmCache, ARB_WASM, ARB_WASM_CACHE};

use crate::{Harness, NITRO_DEV_KEY};

/// A deployer signing as the chain owner (nitro's dev account), which must be funded.
pub fn chain_owner(harness: &Harness) -> Deployer {
    let owner: PrivateKeySigner = NITRO_DEV_KEY.parse().expect("the dev key parses");
    let index = harness
        .keys
        .iter()
        .position(|k| k.address() == owner.address())
        .expect("the chain owner's key is among the funded ones");
    harness.deployer(index)
}

/// Pins `program` in the cache; returns the gas the pinning transaction used.
pub async fn pin(harness: &Harness, program: Address) -> u64 {
    let owner = chain_owner(harness);
    let tx = TransactionRequest::default()
        .with_to(ARB_WASM_CACHE)
        .with_input(ArbWasmCache::cacheProgramCall { addr: program }.abi_encode());
    let receipt = owner.send(tx).await.expect("cacheProgram");
    assert!(receipt.status(), "cacheProgram succeeds");
    receipt.gas_used
}

/// Evicts `program`'s code from the cache.
pub async fn evict(harness: &Harness, program: Address) {
    let owner = chain_owner(harness);
    let code = owner
        .provider()
        .get_code_at(program)
        .await
        .expect("eth_getCode");
    let codehash = alloy::primitives::keccak256(&code);
    let tx = TransactionRequest::default()
        .with_to(ARB_WASM_CACHE)
        .with_input(ArbWasmCache::evictCodehashCall { codehash }.abi_encode());
    let receipt = owner.send(tx).await.expect("evictCodehash");
    assert!(receipt.status(), "evictCodehash succeeds");
}

/// `ArbWasm.programInitGas(program)`: (init gas uncached, init gas cached).
pub async fn init_gas(d: &Deployer, program: Address) -> (u64, u64) {
    let gas = d
        .view(ARB_WASM, ArbWasm::programInitGasCall { program })
        .await
        .expect("programInitGas");
    (gas.gas, gas.gasWhenCached)
}
