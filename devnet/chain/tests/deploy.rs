//! Deployment as on Arbitrum: prelude init code, activation through ArbWasm keyed by code hash,
//! `ProgramNotActivated()` before it, and SDK constructors through the StylusDeployer.

mod common;

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue};
use common::*;
use devnet_chain::deployer::{self, StylusDeployer};
use devnet_chain::TxRequest;

#[test]
fn counter_deploys_activates_and_keeps_its_storage() {
    let chain = chain();
    let alice = alice(&chain);
    let program = deploy_code(&chain, alice, &stylus_code(&fixture_wasm("counter")));
    let code = chain.code(program).unwrap();
    assert_eq!(
        &code[..4],
        &[0xEF, 0xF0, 0x00, 0x00],
        "code kept as deployed"
    );

    // Not activated yet: calls revert with ProgramNotActivated().
    let failed = send(&chain, alice, program, ICounter::incrementCall {});
    assert!(!failed.status);
    assert_eq!(failed.output, ArbWasm::ProgramNotActivated {}.abi_encode());

    let activation = activate(&chain, alice, program);
    assert!(activation.status);
    let returned = ArbWasm::activateProgramCall::abi_decode_returns(&activation.output).unwrap();
    assert_eq!(returned.version, 2);
    assert!(returned.dataFee > U256::ZERO);
    assert_eq!(activation.logs.len(), 1, "ProgramActivated is emitted");

    for _ in 0..3 {
        send_ok(
            &chain,
            TxRequest::call(alice, program, ICounter::incrementCall {}.abi_encode()),
        );
    }
    assert_eq!(
        view(&chain, program, ICounter::numberCall {}),
        U256::from(3)
    );
    assert_eq!(chain.storage(program, U256::ZERO).unwrap(), U256::from(3));

    // Activating again is refused: the code hash is up to date.
    let again = activate(&chain, alice, program);
    assert!(!again.status);
    assert_eq!(again.output, ArbWasm::ProgramUpToDate {}.abi_encode());
}

#[test]
fn activation_is_keyed_by_code_hash() {
    let chain = chain();
    let alice = alice(&chain);
    let code = stylus_code(&fixture_wasm("counter"));
    let first = deploy_code(&chain, alice, &code);
    activate(&chain, alice, first);
    // The same code at another address runs without a new activation.
    let second = deploy_code(&chain, alice, &code);
    send_ok(
        &chain,
        TxRequest::call(alice, second, ICounter::incrementCall {}.abi_encode()),
    );
    assert_eq!(view(&chain, second, ICounter::numberCall {}), U256::from(1));
    assert_eq!(view(&chain, first, ICounter::numberCall {}), U256::ZERO);

    let hash = keccak256(&code);
    assert_eq!(
        view(
            &chain,
            ARB_WASM,
            ArbWasm::codehashVersionCall { codehash: hash }
        ),
        2
    );
    assert_eq!(
        view(
            &chain,
            ARB_WASM,
            ArbWasm::programVersionCall { program: second }
        ),
        2
    );
    assert_eq!(view(&chain, ARB_WASM, ArbWasm::stylusVersionCall {}), 2);
    assert_eq!(view(&chain, ARB_WASM, ArbWasm::inkPriceCall {}), 10_000);
    let init = view(
        &chain,
        ARB_WASM,
        ArbWasm::programInitGasCall { program: first },
    );
    assert!(init.gas > init.gasWhenCached && init.gasWhenCached >= 352);
    let footprint = view(
        &chain,
        ARB_WASM,
        ArbWasm::programMemoryFootprintCall { program: first },
    );
    assert!(footprint >= 1);
    let left = view(
        &chain,
        ARB_WASM,
        ArbWasm::programTimeLeftCall { program: first },
    );
    assert!(left > 364 * 86_400 && left <= 365 * 86_400);
}

#[test]
fn activation_needs_the_data_fee_and_refunds_the_rest() {
    let chain = chain();
    let alice = alice(&chain);
    let program = deploy_code(&chain, alice, &stylus_code(&fixture_wasm("counter")));
    let data = ArbWasm::activateProgramCall { program }.abi_encode();
    let poor = chain
        .send_transaction(TxRequest::call(alice, ARB_WASM, data.clone()))
        .unwrap();
    assert!(!poor.status);
    let error = ArbWasm::ProgramInsufficientValue::abi_decode(&poor.output).unwrap();
    assert_eq!(error.have, U256::ZERO);

    let before = chain.balance(alice).unwrap();
    let paid = chain
        .send_transaction(
            TxRequest::call(alice, ARB_WASM, data)
                .with_value(U256::from(10u64).pow(U256::from(18u64))),
        )
        .unwrap();
    assert!(paid.status);
    let after = chain.balance(alice).unwrap();
    let gas_cost = U256::from(paid.gas_used) * U256::from(paid.effective_gas_price);
    assert_eq!(
        before - after - gas_cost,
        error.want,
        "only the data fee is kept"
    );
}

#[test]
fn sdk_constructor_deploys_through_the_stylus_deployer() {
    let chain = chain();
    let alice = alice(&chain);
    let code = stylus_code(&fixture_wasm("counter"));
    let mut init_data = keccak256("stylus_constructor()")[..4].to_vec();
    init_data.extend(U256::from(41).abi_encode());
    let call = StylusDeployer::deployCall {
        bytecode: stylus_program::init_code(&code).into(),
        initData: init_data.into(),
        initValue: U256::ZERO,
        salt: B256::with_last_byte(9),
    };
    let receipt = send_ok(
        &chain,
        TxRequest::call(alice, deployer::ADDRESS, call.abi_encode())
            .with_value(U256::from(10u64).pow(U256::from(17u64))),
    );
    let deployed = receipt
        .logs
        .iter()
        .find_map(|entry| StylusDeployer::ContractDeployed::decode_log(&entry.log).ok())
        .expect("ContractDeployed emitted")
        .deployedContract;
    assert_eq!(
        Address::from_word(receipt.output[..32].try_into().unwrap()),
        deployed
    );
    assert_eq!(
        view(&chain, deployed, ICounter::numberCall {}),
        U256::from(41)
    );
    send_ok(
        &chain,
        TxRequest::call(alice, deployed, ICounter::incrementCall {}.abi_encode()),
    );
    assert_eq!(
        view(&chain, deployed, ICounter::numberCall {}),
        U256::from(42)
    );
}

#[test]
fn programs_expire_and_keepalive_extends_them() {
    let chain = chain();
    let alice = alice(&chain);
    let code = stylus_code(&fixture_wasm("counter"));
    let program = deploy_code(&chain, alice, &code);
    assert!(activate(&chain, alice, program).status);
    let codehash = keccak256(&code);
    let keepalive = || {
        chain
            .send_transaction(
                TxRequest::call(
                    alice,
                    ARB_WASM,
                    ArbWasm::codehashKeepaliveCall { codehash }.abi_encode(),
                )
                .with_value(U256::from(10u64).pow(U256::from(17u64))),
            )
            .unwrap()
    };
    let early = keepalive();
    assert!(!early.status);
    assert!(ArbWasm::ProgramKeepaliveTooSoon::abi_decode(&early.output).is_ok());

    chain.advance_time(200 * 86_400).unwrap();
    chain.mine().unwrap();
    assert!(keepalive().status, "old enough: the clock restarts");
    chain.advance_time(300 * 86_400).unwrap();
    chain.mine().unwrap();
    assert!(
        send(&chain, alice, program, ICounter::incrementCall {}).status,
        "500 days, kept alive at 200"
    );

    chain.advance_time(100 * 86_400).unwrap();
    chain.mine().unwrap();
    let expired = send(&chain, alice, program, ICounter::incrementCall {});
    assert!(!expired.status);
    assert!(ArbWasm::ProgramExpired::abi_decode(&expired.output).is_ok());
    assert!(
        activate(&chain, alice, program).status,
        "an expired program can be activated again"
    );
    assert!(send(&chain, alice, program, ICounter::incrementCall {}).status);
}
