//! The build pipeline's output deploys and runs over JSON-RPC exactly as on Arbitrum: CREATE with
//! the prelude, activation through ArbWasm with the data fee, calls; identical code is not
//! activated twice; a program that is not activated refuses calls with `ProgramNotActivated()`.

use alloy::network::TransactionBuilder;
use alloy::primitives::{Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol;
use alloy::sol_types::SolCall;
use deploy::DeployError;
use e2e::{artifact, Harness};

sol! {
    interface ICounter {
        function count() external view returns (uint256);
        function increment() external;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn counter_deploys_activates_and_counts() {
    let harness = Harness::start();
    let deployer = harness.deployer(0);
    let counter = artifact("fixture-counter");

    let first = deployer
        .deploy_program(&counter.code)
        .await
        .expect("deploys");
    let activation = first.activation.clone().expect("new code is activated");
    assert!(activation.version >= 1);
    assert!(
        activation.data_fee > U256::ZERO,
        "activation costs a data fee"
    );
    assert_eq!(first.code_hash, counter.code_hash);

    let count = |at| {
        let deployer = deployer.clone();
        async move {
            deployer
                .view(at, ICounter::countCall {})
                .await
                .expect("count")
        }
    };
    assert_eq!(count(first.address).await, U256::ZERO);
    for _ in 0..3 {
        let tx = TransactionRequest::default()
            .with_to(first.address)
            .with_input(ICounter::incrementCall {}.abi_encode());
        deployer.send(tx).await.expect("increment");
    }
    assert_eq!(count(first.address).await, U256::from(3));

    // Same code again: no second activation, and the new instance has its own storage.
    let second = deployer
        .deploy_program(&counter.code)
        .await
        .expect("deploys");
    assert!(
        second.activation.is_none(),
        "activation is keyed by code hash"
    );
    assert_eq!(count(second.address).await, U256::ZERO);
}

#[tokio::test(flavor = "multi_thread")]
async fn unactivated_program_reverts_with_program_not_activated() {
    let harness = Harness::start();
    let deployer = harness.deployer(1);
    // Code no one has activated: the counter's module re-processed with another project hash.
    let counter = artifact("fixture-counter");
    let wasm = stylus_program::process::process(&counter.wasm, [0x42; 32]).expect("process");
    let code = stylus_program::encode(&wasm);
    let tx = TransactionRequest::default()
        .with_deploy_code(Bytes::from(stylus_program::init_code(&code)));
    let receipt = deployer.send(tx).await.expect("plain CREATE succeeds");
    let address = receipt.contract_address.expect("created");

    let err = deployer
        .view(address, ICounter::countCall {})
        .await
        .expect_err("not activated yet");
    match err {
        DeployError::Reverted { reason, .. } => {
            assert!(reason.contains("ProgramNotActivated"), "{reason}")
        }
        other => panic!("expected a revert, got {other}"),
    }
    let on_chain = deployer
        .provider()
        .get_code_at(address)
        .await
        .expect("code");
    assert_eq!(on_chain.as_ref(), code.as_slice());
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_transactions_do_not_strand_the_nonce() {
    let harness = Harness::start();
    let deployer = harness.deployer(2);
    let counter = artifact("fixture-counter");
    let deployed = deployer
        .deploy_program(&counter.code)
        .await
        .expect("deploys");

    // The constructor call names a function the counter does not have: the StylusDeployer
    // reverts, and the counter's own revert is decoded inside its error.
    let err = deployer
        .deploy_with_constructor(
            &counter.code,
            Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef]),
            U256::ZERO,
            Default::default(),
        )
        .await
        .expect_err("the constructor call reverts");
    assert!(
        err.to_string().contains("constructor of"),
        "names the failed constructor: {err}"
    );

    // A transaction the node refuses at estimation: nothing is sent, no nonce is used.
    let refused = TransactionRequest::default()
        .with_to(deployed.address)
        .with_input(Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef]));
    deployer
        .send(refused)
        .await
        .expect_err("unknown selector reverts");

    let tx = TransactionRequest::default()
        .with_to(deployed.address)
        .with_input(ICounter::incrementCall {}.abi_encode());
    deployer
        .send(tx)
        .await
        .expect("the next transaction goes through");
    let count = deployer
        .view(deployed.address, ICounter::countCall {})
        .await
        .expect("count");
    assert_eq!(count, U256::from(1));
}
