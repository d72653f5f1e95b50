//! The node as ethers-rs sees it over HTTP: a `SignerMiddleware` deploys a Stylus program,
//! decodes `ProgramNotActivated()` from the revert data, activates it through `ArbWasm`, sends
//! transactions, calls it and reads the activation log back with `eth_getLogs`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use alloy_sol_types::{SolCall, SolError, SolEvent};
use devnet::{Node, NodeConfig};
use ethers::middleware::SignerMiddleware;
use ethers::providers::{Http, Middleware, MiddlewareError, Provider};
use ethers::signers::{LocalWallet, Signer};
use ethers::types::{Address, Bytes, Filter, TransactionRequest, U256};
use stylus_program::arbitrum::ArbWasm;

alloy_sol_types::sol! {
    interface ICounter {
        function number() external view returns (uint256);
        function increment() external;
    }
}

/// The devnet's SDK counter fixture, built for wasm32 when it is not yet.
fn counter_wasm() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let wasm = target.join("wasm32-unknown-unknown/release/devnet_fixture_counter.wasm");
    if !wasm.exists() {
        let status = Command::new(env!("CARGO"))
            .current_dir(&root)
            .args(["build", "--release", "--target", "wasm32-unknown-unknown"])
            .args(["--lib", "-p", "devnet-fixture-counter"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the counter fixture builds");
    }
    std::fs::read(wasm).expect("fixture WASM")
}

#[tokio::test]
async fn ethers_deploys_activates_and_calls_a_stylus_program() {
    let node = Node::spawn(NodeConfig::default()).expect("node starts");
    // Receipts are there as soon as the send returns: poll for them without ethers' 7 s wait.
    let provider = Provider::<Http>::try_from(node.url.as_str())
        .expect("URL")
        .interval(Duration::from_millis(10));
    let chain_id = provider.get_chainid().await.unwrap();
    assert_eq!(chain_id, U256::from(412_346u64));
    let wallet = LocalWallet::from_bytes(node.keys[3].private_key.as_slice())
        .unwrap()
        .with_chain_id(chain_id.as_u64());
    let me = wallet.address();
    let client = SignerMiddleware::new(provider, wallet);

    // Deploy (legacy transaction: ethers' TransactionRequest).
    let processed = stylus_program::process::process(&counter_wasm(), [0u8; 32]).unwrap();
    let init = stylus_program::init_code(&stylus_program::encode(&processed));
    let receipt = client
        .send_transaction(TransactionRequest::new().data(init), None)
        .await
        .unwrap()
        .await
        .unwrap()
        .expect("mined");
    assert_eq!(receipt.status, Some(1u64.into()));
    assert_eq!(receipt.from, me);
    let program = receipt.contract_address.expect("created");

    // Not activated: the revert data decodes to ArbWasm's custom error.
    let increment = TransactionRequest::new()
        .to(program)
        .data(ICounter::incrementCall {}.abi_encode());
    let error = client
        .call(&increment.clone().into(), None)
        .await
        .unwrap_err();
    let revert = error
        .as_error_response()
        .and_then(|e| e.as_revert_data())
        .expect("revert data");
    assert!(ArbWasm::ProgramNotActivated::abi_decode(&revert).is_ok());

    let arb_wasm: Address = stylus_program::arbitrum::ARB_WASM.0 .0.into();
    let program_alloy = alloy_primitives::Address::from(program.0);
    let activate = TransactionRequest::new()
        .to(arb_wasm)
        .value(U256::exp10(17))
        .data(
            ArbWasm::activateProgramCall {
                program: program_alloy,
            }
            .abi_encode(),
        );
    let receipt = client
        .send_transaction(activate, None)
        .await
        .unwrap()
        .await
        .unwrap()
        .expect("mined");
    assert_eq!(receipt.status, Some(1u64.into()));

    for _ in 0..2 {
        let receipt = client
            .send_transaction(increment.clone(), None)
            .await
            .unwrap()
            .await
            .unwrap()
            .expect("mined");
        assert_eq!(receipt.status, Some(1u64.into()));
    }
    let out: Bytes = client
        .call(
            &TransactionRequest::new()
                .to(program)
                .data(ICounter::numberCall {}.abi_encode())
                .into(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        ICounter::numberCall::abi_decode_returns(&out).unwrap(),
        alloy_primitives::U256::from(2)
    );

    // The activation log, found by emitter and event signature.
    let logs = client
        .get_logs(
            &Filter::new()
                .address(arb_wasm)
                .topic0(ethers::types::H256(
                    ArbWasm::ProgramActivated::SIGNATURE_HASH.0,
                ))
                .from_block(0u64),
        )
        .await
        .unwrap();
    assert_eq!(logs.len(), 1);
    let activated = ArbWasm::ProgramActivated::decode_raw_log(
        logs[0]
            .topics
            .iter()
            .map(|t| alloy_primitives::B256::from(t.0)),
        &logs[0].data,
    )
    .unwrap();
    assert_eq!(activated.program, program_alloy);

    // Blocks and transactions deserialise into ethers' types.
    let block = client
        .get_block_with_txs(receipt.block_number.unwrap())
        .await
        .unwrap()
        .expect("block");
    assert_eq!(block.transactions.len(), 1);
    assert_eq!(block.transactions[0].from, me);
}
