//! Devnet benchmark (not a test): module compile time, cold and warm call cost, and
//! transactions per second for an EVM counter and a Stylus counter.
//!
//! `cargo run -p devnet-chain --release --example bench [transactions]`

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use common::*;
use devnet_chain::programs::ProgramCache;
use devnet_chain::{Chain, TxRequest};

fn per_op(total: Duration, n: u32) -> String {
    let micros = total.as_secs_f64() * 1e6 / f64::from(n);
    format!("{micros:9.1} µs")
}

fn tps(chain: &Chain, from: Address, counter: Address, n: u32) -> f64 {
    let data = ICounter::incrementCall {}.abi_encode();
    let start = Instant::now();
    for _ in 0..n {
        let receipt = chain
            .send_transaction(TxRequest::call(from, counter, data.clone()).with_gas(200_000))
            .expect("valid transaction");
        assert!(receipt.status, "increment succeeds");
    }
    let elapsed = start.elapsed();
    assert_eq!(view(chain, counter, ICounter::numberCall {}), U256::from(n));
    f64::from(n) / elapsed.as_secs_f64()
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let wasm = fixture_wasm("counter");
    let code = stylus_code(&wasm);
    println!(
        "Stylus counter: {} bytes of WASM, {} bytes of code",
        wasm.len(),
        code.len()
    );

    let cache = ProgramCache::new();
    let rounds = 50;
    let start = Instant::now();
    for _ in 0..rounds {
        cache.compile(&code, 128).expect("compiles");
    }
    println!(
        "compile (decode, validate, instrument, wasmi): {}",
        per_op(start.elapsed(), rounds)
    );

    let chain = chain();
    let alice = alice(&chain);
    let stylus = deploy_stylus(&chain, alice, &wasm);
    let evm = deploy_evm(&chain, alice, COUNTER_SOL);
    let number = ICounter::numberCall {}.abi_encode();
    let call = |to: Address| {
        chain
            .call(TxRequest::call(alice, to, number.clone()))
            .expect("valid call")
    };

    let cold_rounds = 20;
    let mut cold = Duration::ZERO;
    for _ in 0..cold_rounds {
        chain.clear_program_cache().expect("chain runs");
        let start = Instant::now();
        assert!(call(stylus).success);
        cold += start.elapsed();
    }
    println!(
        "cold call (module compiled on first use): {}",
        per_op(cold, cold_rounds)
    );
    let warm_rounds = 5_000;
    for (name, to) in [("Stylus", stylus), ("EVM", evm)] {
        let start = Instant::now();
        for _ in 0..warm_rounds {
            assert!(call(to).success);
        }
        println!(
            "warm call, {name:6}: {}",
            per_op(start.elapsed(), warm_rounds)
        );
    }

    let evm_tps = tps(&chain, alice, evm, n);
    let stylus_tps = tps(&chain, alice, stylus, n);
    println!("EVM counter increments:    {evm_tps:9.0} tx/s ({n} transactions, one block each)");
    println!("Stylus counter increments: {stylus_tps:9.0} tx/s ({n} transactions, one block each)");
}
