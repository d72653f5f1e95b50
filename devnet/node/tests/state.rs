//! `--state FILE` and old block tags, through alloy over HTTP: what a user deployed survives a
//! restart (code, storage, balances, nonces, receipts, logs, blocks, Stylus activations), and
//! state queries at older blocks answer with that block's state.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use alloy::eips::BlockId;
use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::{Filter, TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use alloy::sol_types::{SolCall, SolEvent};
use devnet::{Node, NodeConfig, NodeHandle};
use stylus_program::arbitrum::{ArbWasm, ARB_WASM};

sol! {
    interface Emitter {
        event Stored(address indexed who, uint256 indexed key, uint256 value);
        function store(uint256 key, uint256 value) external;
        function values(uint256 key) external view returns (uint256);
    }

    interface ICounter {
        function number() external view returns (uint256);
        function increment() external;
    }
}

const EMITTER: &str = include_str!("fixtures/Emitter.bin");

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

/// A fresh directory for one test's state file.
fn state_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("devnet-node-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn node_with_state(path: &Path, interval: Duration) -> std::io::Result<NodeHandle> {
    Node::spawn(NodeConfig {
        state_file: Some(path.to_path_buf()),
        state_interval: interval,
        ..NodeConfig::default()
    })
}

fn provider(node: &NodeHandle) -> impl Provider {
    let signer = PrivateKeySigner::from_bytes(&node.keys[0].private_key).unwrap();
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(node.url.parse().unwrap())
}

fn call_to(to: Address, call: impl SolCall) -> TransactionRequest {
    TransactionRequest::default()
        .with_to(to)
        .with_input(call.abi_encode())
}

async fn send(provider: &impl Provider, tx: TransactionRequest) -> TransactionReceipt {
    let receipt = provider
        .send_transaction(tx)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    receipt
}

async fn counter(provider: &impl Provider, program: Address, block: BlockId) -> U256 {
    let out: Bytes = provider
        .call(call_to(program, ICounter::numberCall {}))
        .block(block)
        .await
        .unwrap();
    ICounter::numberCall::abi_decode_returns(&out).unwrap()
}

#[tokio::test]
async fn a_restarted_node_keeps_everything_deployed() {
    let dir = state_dir("restart");
    let path = dir.join("chain.json");
    let node = node_with_state(&path, Duration::from_secs(3600)).unwrap();
    let me = node.keys[0].address;
    let p = provider(&node);

    let processed = stylus_program::process::process(&counter_wasm(), [0u8; 32]).unwrap();
    let code = stylus_program::encode(&processed);
    let deployed = send(
        &p,
        TransactionRequest::default().with_deploy_code(stylus_program::init_code(&code)),
    )
    .await;
    let program = deployed.contract_address.unwrap();
    let activate = call_to(ARB_WASM, ArbWasm::activateProgramCall { program })
        .with_value(U256::from(10u64).pow(U256::from(17u64)));
    send(&p, activate).await;
    for _ in 0..2 {
        send(&p, call_to(program, ICounter::incrementCall {})).await;
    }
    let emitter_code = alloy::hex::decode(EMITTER.trim()).unwrap();
    let emitter = send(
        &p,
        TransactionRequest::default().with_deploy_code(emitter_code),
    )
    .await
    .contract_address
    .unwrap();
    let stored = send(
        &p,
        call_to(
            emitter,
            Emitter::storeCall {
                key: U256::from(7),
                value: U256::from(42),
            },
        ),
    )
    .await;
    let height = p.get_block_number().await.unwrap();
    let balance = p.get_balance(me).await.unwrap();
    let nonce = p.get_transaction_count(me).await.unwrap();
    let slot = p.get_storage_at(program, U256::ZERO).await.unwrap();
    let program_code = p.get_code_at(program).await.unwrap();
    let head = p.get_block_by_number(height.into()).await.unwrap().unwrap();
    drop(p);
    // A clean stop writes the file (the interval is far too long to have done it).
    node.shutdown();
    assert!(path.exists(), "saved on shutdown");

    let node = node_with_state(&path, Duration::from_secs(3600)).unwrap();
    let p = provider(&node);
    assert_eq!(p.get_block_number().await.unwrap(), height);
    assert_eq!(
        p.get_block_by_number(height.into())
            .await
            .unwrap()
            .unwrap()
            .header
            .hash,
        head.header.hash
    );
    assert_eq!(p.get_balance(me).await.unwrap(), balance);
    assert_eq!(p.get_transaction_count(me).await.unwrap(), nonce);
    assert_eq!(p.get_code_at(program).await.unwrap(), program_code);
    assert_eq!(p.get_storage_at(program, U256::ZERO).await.unwrap(), slot);
    let receipt = p
        .get_transaction_receipt(stored.transaction_hash)
        .await
        .unwrap()
        .expect("receipt kept");
    assert_eq!(receipt.block_hash, stored.block_hash);
    assert_eq!(receipt.inner.logs().len(), 1);
    let logs = p
        .get_logs(
            &Filter::new()
                .address(emitter)
                .event_signature(Emitter::Stored::SIGNATURE_HASH)
                .from_block(0u64),
        )
        .await
        .unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].transaction_hash, Some(stored.transaction_hash));
    let out = p
        .call(call_to(emitter, Emitter::valuesCall { key: U256::from(7) }))
        .await
        .unwrap();
    assert_eq!(
        Emitter::valuesCall::abi_decode_returns(&out).unwrap(),
        U256::from(42)
    );

    // The program runs without a new activation; old blocks still answer.
    send(&p, call_to(program, ICounter::incrementCall {})).await;
    assert_eq!(counter(&p, program, BlockId::latest()).await, U256::from(3));
    let activated = deployed.block_number.unwrap() + 1;
    assert_eq!(
        counter(&p, program, activated.into()).await,
        U256::from(0),
        "before the increments"
    );
    assert_eq!(
        counter(&p, program, (activated + 1).into()).await,
        U256::from(1)
    );
    drop(p);
    drop(node);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_state_is_saved_periodically_while_running() {
    let dir = state_dir("periodic");
    let path = dir.join("chain.json");
    let node = node_with_state(&path, Duration::from_millis(100)).unwrap();
    let p = provider(&node);
    let to = Address::repeat_byte(0x77);
    send(
        &p,
        TransactionRequest::default()
            .with_to(to)
            .with_value(U256::from(5)),
    )
    .await;
    let height = p.get_block_number().await.unwrap();
    // The running node's file catches up without a shutdown.
    let mut saved = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let chain = devnet_chain::Chain::new(devnet_chain::ChainConfig {
            chain_id: devnet::DEFAULT_CHAIN_ID,
            ..Default::default()
        });
        if path.exists()
            && chain.load_state_file(&path).is_ok()
            && chain.block_number().unwrap() == height
        {
            saved = Some(chain);
            break;
        }
    }
    let saved = saved.expect("the file reached the head");
    assert_eq!(saved.balance(to).unwrap(), U256::from(5));
    drop(p);
    drop(node);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_bad_state_file_stops_the_start_with_a_reason() {
    let dir = state_dir("bad");
    let path = dir.join("chain.json");
    std::fs::write(
        &path,
        b"{\"format\": \"stylus-devnet-state\", \"version\": 99}",
    )
    .unwrap();
    let error = node_with_state(&path, Duration::from_secs(1)).unwrap_err();
    assert!(error.to_string().contains("version 99"), "{error}");
    std::fs::write(&path, b"not json").unwrap();
    let error = node_with_state(&path, Duration::from_secs(1)).unwrap_err();
    assert!(
        error.to_string().contains("not a devnet state file"),
        "{error}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"not json", "left untouched");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn old_block_tags_read_old_state_within_the_history() {
    let node = Node::spawn(NodeConfig {
        history_depth: 4,
        ..NodeConfig::default()
    })
    .unwrap();
    let p = provider(&node);
    let to = Address::repeat_byte(0x55);
    let mut seen = Vec::new();
    for i in 1..=6u64 {
        send(
            &p,
            TransactionRequest::default()
                .with_to(to)
                .with_value(U256::from(i)),
        )
        .await;
        let height = p.get_block_number().await.unwrap();
        seen.push((height, p.get_balance(to).await.unwrap()));
    }
    let latest = p.get_block_number().await.unwrap();
    for (block, balance) in &seen {
        let at = p.get_balance(to).block_id((*block).into()).await;
        if latest - block <= 4 {
            assert_eq!(at.unwrap(), *balance, "balance at block {block}");
            let by_hash = p
                .get_block_by_number((*block).into())
                .await
                .unwrap()
                .unwrap()
                .header
                .hash;
            let at_hash = p
                .get_balance(to)
                .block_id(BlockId::hash(by_hash))
                .await
                .unwrap();
            assert_eq!(at_hash, *balance);
        } else {
            let message = at.unwrap_err().to_string();
            assert!(
                message.contains("historical state is not available"),
                "{message}"
            );
        }
    }
    let me = node.keys[0].address;
    assert_eq!(
        p.get_transaction_count(me)
            .block_id((latest - 2).into())
            .await
            .unwrap(),
        4
    );
    assert_eq!(
        p.get_code_at(to)
            .block_id((latest - 1).into())
            .await
            .unwrap(),
        Bytes::new()
    );
    assert_eq!(
        p.get_storage_at(to, U256::ZERO)
            .block_id((latest - 1).into())
            .await
            .unwrap(),
        U256::ZERO
    );
    let future = p.get_balance(to).block_id((latest + 5).into()).await;
    assert!(future.unwrap_err().to_string().contains("header not found"));
    let unknown = p
        .get_balance(to)
        .block_id(BlockId::hash(B256::repeat_byte(1)))
        .await;
    assert!(unknown
        .unwrap_err()
        .to_string()
        .contains("header not found"));
}
