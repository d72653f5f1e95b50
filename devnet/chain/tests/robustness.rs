//! Bad code and bad input become reverts or refused activations with a reason; the chain keeps
//! serving. Property tests feed arbitrary bytes as code and as calldata.

mod common;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{Revert, SolError};
use common::*;
use devnet_chain::{Chain, TxRequest};
use proptest::prelude::*;

fn refusal_reason(chain: &Chain, program: Address) -> String {
    let receipt = activate(chain, alice(chain), program);
    assert!(!receipt.status, "activation must be refused");
    let not_wasm = ArbWasm::ProgramNotWasm {}.abi_encode();
    if receipt.output[..] == not_wasm[..] {
        return "ProgramNotWasm()".into();
    }
    Revert::abi_decode(&receipt.output)
        .map(|r| r.reason)
        .unwrap_or_else(|_| format!("0x{}", alloy_primitives::hex::encode(&receipt.output)))
}

fn still_serving(chain: &Chain) {
    let counter = deploy_evm(chain, alice(chain), COUNTER_SOL);
    assert!(send(chain, alice(chain), counter, ICounter::incrementCall {}).status);
}

#[test]
fn refused_programs_say_why() {
    let chain = chain();
    let alice = alice(&chain);
    let huge = wat(r#"(module
        (import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
        (memory (export "memory") 200)
        (func (export "user_entrypoint") (param i32) (result i32) (i32.const 0)))"#);
    let program = deploy_code(&chain, alice, &stylus_code(&huge));
    let reason = refusal_reason(&chain, program);
    assert!(
        reason.to_lowercase().contains("memory") || reason.contains("page"),
        "{reason}"
    );

    let no_entry = wat(r#"(module (memory (export "memory") 1 1))"#);
    let program = deploy_code(&chain, alice, &stylus_code(&no_entry));
    let reason = refusal_reason(&chain, program);
    assert!(reason.contains("user_entrypoint"), "{reason}");

    let floats = wat(r#"(module (memory (export "memory") 1 1)
        (func (export "user_entrypoint") (param i32) (result i32)
          (i32.trunc_f32_s (f32.add (f32.const 1) (f32.const 2)))))"#);
    let program = deploy_code(&chain, alice, &stylus_code(&floats));
    let reason = refusal_reason(&chain, program);
    assert!(reason.contains("float"), "{reason}");

    let foreign = wat(
        r#"(module (import "env" "abort" (func)) (memory (export "memory") 1 1)
        (func (export "user_entrypoint") (param i32) (result i32) (i32.const 0)))"#,
    );
    let program = deploy_code(&chain, alice, &stylus_code(&foreign));
    assert!(!refusal_reason(&chain, program).is_empty());

    // Truncated code: the brotli stream ends early.
    let code = stylus_code(&fixture_wasm("counter"));
    let program = deploy_code(&chain, alice, &code[..code.len() / 2]);
    assert_eq!(refusal_reason(&chain, program), "ProgramNotWasm()");

    // EVM code is not a program.
    let evm = deploy_evm(&chain, alice, COUNTER_SOL);
    assert_eq!(refusal_reason(&chain, evm), "ProgramNotWasm()");

    still_serving(&chain);
}

#[test]
fn snapshots_forget_activations() {
    let chain = chain();
    let alice = alice(&chain);
    let program = deploy_code(&chain, alice, &stylus_code(&fixture_wasm("counter")));
    let id = chain.snapshot().unwrap();
    assert!(activate(&chain, alice, program).status);
    assert!(send(&chain, alice, program, ICounter::incrementCall {}).status);
    assert!(chain.revert(id).unwrap());
    let receipt = send(&chain, alice, program, ICounter::incrementCall {});
    assert_eq!(receipt.output, ArbWasm::ProgramNotActivated {}.abi_encode());
    assert!(
        activate(&chain, alice, program).status,
        "activation works again"
    );
    assert!(send(&chain, alice, program, ICounter::incrementCall {}).status);
    assert_eq!(
        view(&chain, program, ICounter::numberCall {}),
        U256::from(1)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_code_never_breaks_the_chain(code in proptest::collection::vec(any::<u8>(), 0..300), stylus in any::<bool>()) {
        let chain = chain();
        let alice = alice(&chain);
        let target = Address::repeat_byte(0x55);
        let code = if stylus { stylus_program::encode(&code) } else { code };
        chain.set_code(target, code.into()).unwrap();
        // Activation either succeeds or is refused; calls either succeed, revert or halt.
        let activation = activate(&chain, alice, target);
        let call = chain.send_transaction(TxRequest::call(alice, target, vec![1, 2, 3, 4]).with_gas(3_000_000));
        prop_assert!(call.is_ok());
        if activation.status {
            prop_assert!(stylus);
        }
        still_serving(&chain);
    }

    #[test]
    fn arbitrary_calldata_never_breaks_a_program(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        let chain = chain();
        let alice = alice(&chain);
        let probe = deploy_stylus(&chain, alice, &fixture_wasm("probe"));
        let ops = deploy_stylus(&chain, alice, &wat(include_str!("../fixtures/wat/ops.wat")));
        for target in [probe, ops] {
            let receipt = chain.send_transaction(TxRequest::call(alice, target, Bytes::from(data.clone())).with_gas(2_000_000));
            prop_assert!(receipt.is_ok());
        }
        still_serving(&chain);
    }
}
