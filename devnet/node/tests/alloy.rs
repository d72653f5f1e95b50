//! The node as alloy sees it over HTTP: a wallet-backed provider deploys a Solidity contract and
//! a Stylus program (then activates it through `ArbWasm`), sends transactions, reads receipts,
//! blocks and logs, and decodes custom errors from revert data; a provider without a wallet
//! sends through the node's dev accounts.

use std::path::{Path, PathBuf};
use std::process::Command;

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::{BlockNumberOrTag, Filter, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use alloy::sol_types::{SolCall, SolEvent};
use devnet::{Node, NodeConfig, NodeHandle};
use stylus_program::arbitrum::{ArbWasm, ARB_WASM};

sol! {
    interface Emitter {
        event Stored(address indexed who, uint256 indexed key, uint256 value);
        error TooLarge(uint256 value, uint256 limit);
        function store(uint256 key, uint256 value) external;
        function values(uint256 key) external view returns (uint256);
        function fail(string reason) external pure;
    }

    interface ICounter {
        function number() external view returns (uint256);
        function increment() external;
    }
}

const EMITTER: &str = include_str!("fixtures/Emitter.bin");

fn node() -> NodeHandle {
    Node::spawn(NodeConfig::default()).expect("node starts")
}

fn signer(node: &NodeHandle, index: usize) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&node.keys[index].private_key).expect("valid key")
}

fn wallet_provider(node: &NodeHandle, index: usize) -> impl Provider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer(node, index)))
        .connect_http(node.url.parse().expect("URL"))
}

async fn deploy(provider: &impl Provider, code: Vec<u8>) -> Address {
    let receipt = provider
        .send_transaction(TransactionRequest::default().with_deploy_code(code))
        .await
        .expect("sent")
        .get_receipt()
        .await
        .expect("mined");
    assert!(receipt.status());
    receipt.contract_address.expect("created")
}

fn call_to(to: Address, call: impl SolCall) -> TransactionRequest {
    TransactionRequest::default()
        .with_to(to)
        .with_input(call.abi_encode())
}

#[tokio::test]
async fn alloy_deploys_sends_reads_logs_and_decodes_errors() {
    let node = node();
    let provider = wallet_provider(&node, 1);
    let me = node.keys[1].address;
    assert_eq!(provider.get_chain_id().await.unwrap(), 412_346);

    let code = alloy::hex::decode(EMITTER.trim()).unwrap();
    let emitter = deploy(&provider, code).await;

    let receipt = provider
        .send_transaction(call_to(
            emitter,
            Emitter::storeCall {
                key: U256::from(7),
                value: U256::from(42),
            },
        ))
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    let stored = receipt
        .decoded_log::<Emitter::Stored>()
        .expect("Stored in the receipt");
    assert_eq!(stored.who, me);
    assert_eq!(stored.value, U256::from(42));

    let out = provider
        .call(call_to(emitter, Emitter::valuesCall { key: U256::from(7) }))
        .await
        .unwrap();
    assert_eq!(
        Emitter::valuesCall::abi_decode_returns(&out).unwrap(),
        U256::from(42)
    );

    // Logs by address and topic, across blocks.
    let filter = Filter::new()
        .address(emitter)
        .event_signature(Emitter::Stored::SIGNATURE_HASH)
        .topic2(U256::from(7))
        .from_block(0u64)
        .to_block(BlockNumberOrTag::Latest);
    let logs = provider.get_logs(&filter).await.unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].transaction_hash, Some(receipt.transaction_hash));
    let none = provider
        .get_logs(&filter.clone().topic2(U256::from(8)))
        .await
        .unwrap();
    assert!(none.is_empty());

    // A custom error, decoded from eth_call's revert data...
    let too_large = call_to(
        emitter,
        Emitter::storeCall {
            key: U256::from(1),
            value: U256::from(5000),
        },
    );
    let error = provider.call(too_large.clone()).await.unwrap_err();
    let decoded = error
        .as_error_resp()
        .and_then(|e| e.as_decoded_error::<Emitter::TooLarge>())
        .expect("TooLarge in the revert data");
    assert_eq!(decoded.value, U256::from(5000));
    assert_eq!(decoded.limit, U256::from(1000));
    // ... and from sending, which fails at gas estimation like on any node.
    let error = provider.send_transaction(too_large).await.unwrap_err();
    assert!(error
        .as_error_resp()
        .and_then(|e| e.as_decoded_error::<Emitter::TooLarge>())
        .is_some());
    // Error(string) reverts come with their reason in the message.
    let error = provider
        .call(call_to(
            emitter,
            Emitter::failCall {
                reason: "no way".into(),
            },
        ))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no way"), "{error}");

    // Blocks and transactions deserialise into alloy's types.
    let block = provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .full()
        .await
        .unwrap()
        .expect("head");
    assert_eq!(block.header.number, receipt.block_number.unwrap());
    let tx = provider
        .get_transaction_by_hash(receipt.transaction_hash)
        .await
        .unwrap()
        .expect("mined transaction");
    assert_eq!(tx.inner.signer(), me);
    let fees = provider.estimate_eip1559_fees().await.unwrap();
    assert!(fees.max_fee_per_gas >= 10_000_000);
}

#[tokio::test]
async fn alloy_uses_the_node_dev_accounts() {
    let node = node();
    // No wallet: the provider fills the request and the node signs with its dev key.
    let provider = ProviderBuilder::new().connect_http(node.url.parse().unwrap());
    let accounts = provider.get_accounts().await.unwrap();
    assert_eq!(accounts.len(), 11);
    let (from, to) = (accounts[0], accounts[10]);
    let before = provider.get_balance(to).await.unwrap();
    let receipt = provider
        .send_transaction(
            TransactionRequest::default()
                .with_from(from)
                .with_to(to)
                .with_value(U256::from(12345)),
        )
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    assert_eq!(receipt.from, from);
    assert_eq!(
        provider.get_balance(to).await.unwrap(),
        before + U256::from(12345)
    );
    let tx = provider
        .get_transaction_by_hash(receipt.transaction_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tx.inner.signer(), from, "signed by the dev key");
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The devnet's SDK counter fixture, built for wasm32 when it is not yet.
fn counter_wasm() -> Vec<u8> {
    let root = workspace_root();
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
async fn alloy_deploys_and_activates_a_stylus_program() {
    let node = node();
    let provider = wallet_provider(&node, 2);
    let processed = stylus_program::process::process(&counter_wasm(), [0u8; 32]).unwrap();
    let code = stylus_program::encode(&processed);
    let program = deploy(&provider, stylus_program::init_code(&code)).await;

    // Before activation the program refuses calls with ArbWasm's custom error.
    let increment = call_to(program, ICounter::incrementCall {});
    let error = provider.call(increment.clone()).await.unwrap_err();
    assert!(error
        .as_error_resp()
        .and_then(|e| e.as_decoded_error::<ArbWasm::ProgramNotActivated>())
        .is_some());

    let activate = call_to(ARB_WASM, ArbWasm::activateProgramCall { program })
        .with_value(U256::from(10u64).pow(U256::from(17u64)));
    let receipt = provider
        .send_transaction(activate)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    let activated = receipt
        .decoded_log::<ArbWasm::ProgramActivated>()
        .expect("ProgramActivated");
    assert_eq!(activated.program, program);

    for _ in 0..3 {
        let receipt = provider
            .send_transaction(increment.clone())
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(receipt.status());
    }
    let out: Bytes = provider
        .call(call_to(program, ICounter::numberCall {}))
        .await
        .unwrap();
    assert_eq!(
        ICounter::numberCall::abi_decode_returns(&out).unwrap(),
        U256::from(3)
    );
}
