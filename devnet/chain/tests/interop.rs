//! Calls in every direction between EVM code and Stylus programs, with value, reverts that
//! roll back everything below them, delegate calls (an EIP-1167 clone of a Stylus program),
//! creates from WASM and reentrancy.

mod common;

use alloy_primitives::{hex, keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolValue};
use common::*;
use devnet_chain::{Chain, TxRequest};

fn u(x: u64) -> U256 {
    U256::from(x)
}

struct World {
    chain: Chain,
    alice: Address,
    stylus_counter: Address,
    evm_counter: Address,
    probe: Address,
    caller: Address,
}

fn world() -> World {
    let chain = chain();
    let alice = alice(&chain);
    let stylus_counter = deploy_stylus(&chain, alice, &fixture_wasm("counter"));
    let evm_counter = deploy_evm(&chain, alice, COUNTER_SOL);
    let probe = deploy_stylus(&chain, alice, &fixture_wasm("probe"));
    let caller = deploy_evm(&chain, alice, CALLER_SOL);
    World {
        chain,
        alice,
        stylus_counter,
        evm_counter,
        probe,
        caller,
    }
}

fn number(w: &World, counter: Address) -> U256 {
    view(&w.chain, counter, ICounter::numberCall {})
}

fn increment() -> Bytes {
    ICounter::incrementCall {}.abi_encode().into()
}

#[test]
fn evm_calls_stylus_and_stylus_calls_evm_and_stylus() {
    let w = world();
    let via_evm = ICaller::forwardCall {
        target: w.stylus_counter,
        data: increment(),
    };
    assert!(send(&w.chain, w.alice, w.caller, via_evm).status);
    assert_eq!(number(&w, w.stylus_counter), u(1));

    let to_evm = IProbe::forwardCall {
        target: w.evm_counter,
        data: increment(),
    };
    assert!(send(&w.chain, w.alice, w.probe, to_evm).status);
    assert_eq!(number(&w, w.evm_counter), u(1));

    let to_stylus = IProbe::forwardCall {
        target: w.stylus_counter,
        data: increment(),
    };
    assert!(send(&w.chain, w.alice, w.probe, to_stylus).status);
    assert_eq!(number(&w, w.stylus_counter), u(2));

    // EVM -> Stylus -> EVM -> Stylus, and the return value comes all the way back.
    let inner = ICaller::forwardCall {
        target: w.stylus_counter,
        data: ICounter::numberCall {}.abi_encode().into(),
    };
    let middle = IProbe::forwardCall {
        target: w.caller,
        data: inner.abi_encode().into(),
    };
    let outer = ICaller::forwardCall {
        target: w.probe,
        data: middle.abi_encode().into(),
    };
    let receipt = send(&w.chain, w.alice, w.caller, outer);
    assert!(receipt.status);
    let level1 = Bytes::abi_decode(&receipt.output).unwrap();
    let level2 = Bytes::abi_decode(&level1).unwrap();
    let level3 = Bytes::abi_decode(&level2).unwrap();
    assert_eq!(U256::abi_decode(&level3).unwrap(), u(2));
}

#[test]
fn nested_reverts_roll_back_everything_below() {
    let w = world();
    // Caller touches its own storage, calls the Stylus counter, then reverts.
    let doomed = ICaller::forwardThenRevertCall {
        target: w.stylus_counter,
        data: increment(),
    };
    let receipt = send(&w.chain, w.alice, w.caller, doomed.clone());
    assert!(!receipt.status);
    assert_eq!(number(&w, w.stylus_counter), U256::ZERO);
    assert_eq!(
        view(&w.chain, w.caller, ICaller::touchedCall {}),
        U256::ZERO
    );

    // The same from inside a Stylus program that survives the failure.
    let attempt = IProbe::tryForwardCall {
        target: w.caller,
        data: doomed.abi_encode().into(),
        gas: u64::MAX,
    };
    let receipt = send(&w.chain, w.alice, w.probe, attempt);
    assert!(receipt.status);
    let (ok, data) = <(bool, Bytes)>::abi_decode_params(&receipt.output).unwrap();
    assert!(!ok);
    assert!(String::from_utf8_lossy(&data).contains("reverted after the call"));
    assert_eq!(number(&w, w.stylus_counter), U256::ZERO);

    // A Stylus program's revert undoes its nested EVM writes.
    let inner = ICaller::touchCall {}.abi_encode();
    let through = IProbe::forwardCall {
        target: w.caller,
        data: inner.into(),
    };
    let fails = IProbe::forwardCall {
        target: w.probe,
        data: IProbe::failCall {
            message: Bytes::from_static(b"x"),
        }
        .abi_encode()
        .into(),
    };
    assert!(send(&w.chain, w.alice, w.probe, through).status);
    assert_eq!(view(&w.chain, w.caller, ICaller::touchedCall {}), u(1));
    assert!(
        !send(&w.chain, w.alice, w.probe, fails).status,
        "reentrant call is refused"
    );
}

#[test]
fn value_moves_with_calls_and_comes_back_on_revert() {
    let w = world();
    let bob = bob(&w.chain);
    let before = w.chain.balance(bob).unwrap();
    let pay = IProbe::forwardCall {
        target: bob,
        data: Bytes::new(),
    };
    let tx = TxRequest::call(w.alice, w.probe, pay.abi_encode()).with_value(u(1_000));
    let receipt = w.chain.send_transaction(tx).unwrap();
    assert!(receipt.status);
    assert_eq!(w.chain.balance(bob).unwrap() - before, u(1_000));
    assert_eq!(w.chain.balance(w.probe).unwrap(), U256::ZERO);

    // Paying a non-payable Stylus method reverts and the value stays with the sender.
    let alice_before = w.chain.balance(w.alice).unwrap();
    let tx = TxRequest::call(w.alice, w.stylus_counter, increment()).with_value(u(5));
    let receipt = w.chain.send_transaction(tx).unwrap();
    assert!(!receipt.status);
    let fee = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(w.chain.balance(w.alice).unwrap(), alice_before - fee);
    assert_eq!(w.chain.balance(w.stylus_counter).unwrap(), U256::ZERO);

    // Value into Stylus through EVM.
    let forward = ICaller::forwardCall {
        target: w.probe,
        data: IProbe::forwardCall {
            target: bob,
            data: Bytes::new(),
        }
        .abi_encode()
        .into(),
    };
    let tx = TxRequest::call(w.alice, w.caller, forward.abi_encode()).with_value(u(7));
    assert!(w.chain.send_transaction(tx).unwrap().status);
    assert_eq!(w.chain.balance(bob).unwrap() - before, u(1_007));
}

/// EIP-1167 minimal proxy creation code for `implementation`.
fn clone_init_code(implementation: Address) -> Vec<u8> {
    let mut code = hex::decode("3d602d80600a3d3981f3363d3d373d3d3d363d73").unwrap();
    code.extend_from_slice(implementation.as_slice());
    code.extend(hex::decode("5af43d82803e903d91602b57fd5bf3").unwrap());
    code
}

#[test]
fn an_eip1167_clone_of_a_stylus_program_works() {
    let w = world();
    let receipt = send_ok(
        &w.chain,
        TxRequest::create(w.alice, clone_init_code(w.stylus_counter)),
    );
    let clone = receipt.contract_address.unwrap();
    assert_eq!(w.chain.code(clone).unwrap().len(), 45);
    for _ in 0..2 {
        send_ok(&w.chain, TxRequest::call(w.alice, clone, increment()));
    }
    assert_eq!(number(&w, clone), u(2), "the clone has its own storage");
    assert_eq!(
        number(&w, w.stylus_counter),
        U256::ZERO,
        "the implementation is untouched"
    );
    assert_eq!(w.chain.storage(clone, U256::ZERO).unwrap(), u(2));
}

#[test]
fn stylus_delegate_calls_run_in_the_callers_storage() {
    let w = world();
    // The probe's slot 0 is its call counter; both counters write slot 0.
    let into_stylus = IProbe::forwardDelegateCall {
        target: w.stylus_counter,
        data: ICounter::setNumberCall { value: u(50) }.abi_encode().into(),
    };
    assert!(send(&w.chain, w.alice, w.probe, into_stylus).status);
    assert_eq!(w.chain.storage(w.probe, U256::ZERO).unwrap(), u(50));
    assert_eq!(number(&w, w.stylus_counter), U256::ZERO);

    let into_evm = IProbe::forwardDelegateCall {
        target: w.evm_counter,
        data: increment(),
    };
    assert!(send(&w.chain, w.alice, w.probe, into_evm).status);
    assert_eq!(w.chain.storage(w.probe, U256::ZERO).unwrap(), u(51));
    assert_eq!(number(&w, w.evm_counter), U256::ZERO);

    // msg.sender and msg.value are kept through a delegate call.
    let env = IProbe::envCall {}.abi_encode();
    let nested = IProbe::forwardDelegateCall {
        target: w.probe,
        data: env.into(),
    };
    let receipt = send(
        &w.chain,
        w.alice,
        w.caller,
        ICaller::forwardCall {
            target: w.probe,
            data: nested.abi_encode().into(),
        },
    );
    assert!(receipt.status, "0x{}", hex::encode(&receipt.output));
    let outer = Bytes::abi_decode(&receipt.output).unwrap();
    let inner = Bytes::abi_decode(&outer).unwrap();
    let env = IProbe::envCall::abi_decode_returns(&inner).unwrap();
    assert_eq!(env._0, w.caller, "sender of the delegating frame");
    assert_eq!(env._9, w.probe);
}

#[test]
fn stylus_creates_evm_and_stylus_contracts() {
    let w = world();
    let evm_init = hex::decode(COUNTER_SOL.trim()).unwrap();
    let deploy = IProbe::deployCall {
        code: evm_init.clone().into(),
        salt: B256::ZERO,
        endowment: U256::ZERO,
    };
    let receipt = send(&w.chain, w.alice, w.probe, deploy);
    assert!(receipt.status);
    let created = Address::abi_decode(&receipt.output).unwrap();
    assert_ne!(created, Address::ZERO);
    assert!(send(&w.chain, w.alice, created, ICounter::incrementCall {}).status);
    assert_eq!(number(&w, created), u(1));

    let salt = B256::repeat_byte(3);
    let deploy2 = IProbe::deployCall {
        code: evm_init.clone().into(),
        salt,
        endowment: U256::ZERO,
    };
    let receipt = send(&w.chain, w.alice, w.probe, deploy2);
    let created2 = Address::abi_decode(&receipt.output).unwrap();
    assert_eq!(created2, w.probe.create2(salt, keccak256(&evm_init)));

    // A Stylus program created from WASM, activated, then called.
    let stylus_init = stylus_program::init_code(&stylus_code(&fixture_wasm("counter")));
    let deploy3 = IProbe::deployCall {
        code: stylus_init.into(),
        salt: B256::ZERO,
        endowment: U256::ZERO,
    };
    let receipt = send(&w.chain, w.alice, w.probe, deploy3);
    assert!(receipt.status);
    let program = Address::abi_decode(&receipt.output).unwrap();
    assert_eq!(&w.chain.code(program).unwrap()[..3], &[0xEF, 0xF0, 0x00]);
    assert!(
        send(&w.chain, w.alice, program, ICounter::incrementCall {}).status,
        "same code hash: already active"
    );
    assert_eq!(number(&w, program), u(1));

    // A failing init code: zero address, revert data readable.
    let reverting = hex::decode("60006000fd").unwrap(); // revert(0, 0)
    let deploy4 = IProbe::deployCall {
        code: reverting.into(),
        salt: B256::ZERO,
        endowment: U256::ZERO,
    };
    assert!(!send(&w.chain, w.alice, w.probe, deploy4).status);
}

#[test]
fn reentrancy_into_a_non_reentrant_sdk_program_is_refused() {
    let w = world();
    // probe -> Caller -> probe: the SDK entrypoint sees msg_reentrant and reverts.
    let back = ICaller::forwardCall {
        target: w.probe,
        data: IProbe::callsCall {}.abi_encode().into(),
    };
    let receipt = send(
        &w.chain,
        w.alice,
        w.probe,
        IProbe::forwardCall {
            target: w.caller,
            data: back.abi_encode().into(),
        },
    );
    assert!(!receipt.status);
    // The same path without re-entering the probe works.
    let fine = ICaller::forwardCall {
        target: w.stylus_counter,
        data: increment(),
    };
    let receipt = send(
        &w.chain,
        w.alice,
        w.probe,
        IProbe::forwardCall {
            target: w.caller,
            data: fine.abi_encode().into(),
        },
    );
    assert!(receipt.status);
}

#[test]
fn gas_limits_of_nested_calls_follow_the_63_64_rule() {
    let w = world();
    // A tiny gas limit makes the inner call fail without failing the caller.
    let starved = IProbe::tryForwardCall {
        target: w.stylus_counter,
        data: increment(),
        gas: 1_000,
    };
    let receipt = send(&w.chain, w.alice, w.probe, starved);
    assert!(receipt.status);
    let (ok, _) = <(bool, Bytes)>::abi_decode_params(&receipt.output).unwrap();
    assert!(!ok);
    assert_eq!(number(&w, w.stylus_counter), U256::ZERO);
    let fed = IProbe::tryForwardCall {
        target: w.stylus_counter,
        data: increment(),
        gas: 500_000,
    };
    let receipt = send(&w.chain, w.alice, w.probe, fed);
    let (ok, _) = <(bool, Bytes)>::abi_decode_params(&receipt.output).unwrap();
    assert!(ok);
    assert_eq!(number(&w, w.stylus_counter), u(1));
}

#[test]
fn stylus_frames_nest_deeply() {
    let chain = chain();
    let alice = alice(&chain);
    let program = deploy_stylus(
        &chain,
        alice,
        &wat(include_str!("../fixtures/wat/recurse.wat")),
    );
    let depth: u32 = 100;
    let tx = TxRequest::call(alice, program, depth.to_le_bytes().to_vec()).with_gas(30_000_000);
    let receipt = chain.send_transaction(tx).unwrap();
    assert!(receipt.status, "{:?}", receipt.halt);
    assert_eq!(
        u32::from_le_bytes(receipt.output[..4].try_into().unwrap()),
        depth
    );
    // Each open frame keeps its page open: past the page limit the memory model's price is
    // out of reach, as on Arbitrum, so the innermost call fails and every level reverts.
    let tx = TxRequest::call(alice, program, 200u32.to_le_bytes().to_vec()).with_gas(30_000_000);
    assert!(!chain.send_transaction(tx).unwrap().status);
}
