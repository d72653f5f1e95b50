//! The node over real HTTP with raw JSON: framing errors, parameter errors, rejected
//! transactions and the anvil test controls.

use alloy_primitives::{address, hex, Address, B256, U256};
use devnet::{Node, NodeConfig, NodeHandle};
use serde_json::{json, Value};

fn node() -> NodeHandle {
    Node::spawn(NodeConfig {
        max_body_bytes: 64 * 1024,
        max_batch: 20,
        ..NodeConfig::default()
    })
    .expect("node starts")
}

async fn post(node: &NodeHandle, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(&node.url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("node answers");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON response")
    };
    (status, value)
}

async fn rpc(node: &NodeHandle, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let (status, response) = post(node, body.to_string()).await;
    assert_eq!(status, 200);
    assert_eq!(response["id"], json!(1));
    response
}

async fn ok(node: &NodeHandle, method: &str, params: Value) -> Value {
    let response = rpc(node, method, params).await;
    assert!(
        response.get("error").is_none(),
        "{method} failed: {response}"
    );
    response["result"].clone()
}

async fn error(node: &NodeHandle, method: &str, params: Value) -> (i64, String) {
    let response = rpc(node, method, params).await;
    let error = &response["error"];
    assert!(error.is_object(), "{method} should fail: {response}");
    (
        error["code"].as_i64().unwrap(),
        error["message"].as_str().unwrap().to_string(),
    )
}

fn quantity(value: &Value) -> U256 {
    let text = value.as_str().expect("quantity string");
    U256::from_str_radix(text.strip_prefix("0x").expect("0x"), 16).expect("hex")
}

const EMITTER: &str = include_str!("fixtures/Emitter.bin");

#[tokio::test]
async fn identity_and_accounts() {
    let node = node();
    assert_eq!(ok(&node, "eth_chainId", json!([])).await, json!("0x64aba"));
    assert_eq!(ok(&node, "net_version", json!([])).await, json!("412346"));
    assert!(ok(&node, "web3_clientVersion", json!([]))
        .await
        .as_str()
        .unwrap()
        .starts_with("devnet/"));
    let accounts = ok(&node, "eth_accounts", json!([])).await;
    let accounts: Vec<Address> = serde_json::from_value(accounts).unwrap();
    assert_eq!(accounts.len(), 11);
    assert_eq!(
        accounts[0],
        address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    );
    assert_eq!(
        accounts[10],
        address!("3f1Eae7D46d88F08fc2F8ed27FCb2AB183EB2d0E")
    );
    let balance = ok(&node, "eth_getBalance", json!([accounts[10], "latest"])).await;
    assert_eq!(
        quantity(&balance),
        U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18))
    );
}

#[tokio::test]
async fn framing_errors_are_json_rpc_errors() {
    let node = node();
    let (status, response) = post(&node, "{\"jsonrpc\":").await;
    assert_eq!(status, 200);
    assert_eq!(response["error"]["code"], json!(-32700));
    assert_eq!(response["id"], Value::Null);

    let (_, response) = post(&node, "[]").await;
    assert_eq!(response["error"]["code"], json!(-32600));
    let (_, response) = post(&node, r#"{"jsonrpc":"2.0","id":3}"#).await;
    assert_eq!(response["error"]["code"], json!(-32600));
    assert_eq!(response["id"], json!(3));

    let (code, message) = error(&node, "eth_noSuchMethod", json!([])).await;
    assert_eq!(code, -32601);
    assert!(message.contains("eth_noSuchMethod"));

    // Batches answer entry by entry, in order, notifications excepted.
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
        {"jsonrpc": "2.0", "method": "eth_chainId"},
        {"jsonrpc": "2.0", "id": 2, "method": "nope"},
        7,
        {"jsonrpc": "2.0", "id": "b", "method": "eth_blockNumber", "params": []}
    ]);
    let (status, response) = post(&node, batch.to_string()).await;
    assert_eq!(status, 200);
    let answers = response.as_array().expect("batch answer");
    assert_eq!(answers.len(), 4);
    assert_eq!(answers[0]["result"], json!("0x64aba"));
    assert_eq!(answers[1]["error"]["code"], json!(-32601));
    assert_eq!(answers[2]["error"]["code"], json!(-32600));
    assert_eq!(answers[3]["id"], json!("b"));

    // Only notifications: nothing to answer.
    let (status, response) = post(
        &node,
        json!({"jsonrpc": "2.0", "method": "eth_chainId"}).to_string(),
    )
    .await;
    assert_eq!((status, response), (200, Value::Null));

    let too_many: Vec<Value> = (0..21)
        .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "eth_chainId"}))
        .collect();
    let (_, response) = post(&node, Value::Array(too_many).to_string()).await;
    assert_eq!(response["error"]["code"], json!(-32600));

    let (status, response) = post(&node, vec![b' '; 65 * 1024]).await;
    assert_eq!(status, 413);
    assert_eq!(response["error"]["code"], json!(-32600));

    let get = reqwest::get(&node.url).await.unwrap();
    assert_eq!(get.status().as_u16(), 405);

    // The node still serves after all of that.
    assert_eq!(ok(&node, "eth_chainId", json!([])).await, json!("0x64aba"));
}

#[tokio::test]
async fn bad_parameters_are_invalid_params() {
    let node = node();
    let cases = [
        ("eth_getBalance", json!([])),
        ("eth_getBalance", json!(["0x1234", "latest"])),
        ("eth_getBalance", json!([Address::ZERO, "newest"])),
        ("eth_getBalance", json!([Address::ZERO, "latest", 1])),
        ("eth_getStorageAt", json!([Address::ZERO, "zz"])),
        ("eth_call", json!([{"to": "0x12"}])),
        ("eth_call", json!([{"gas": "0x10000000000000000"}])),
        ("eth_getBlockByNumber", json!(["0x0", "yes"])),
        ("eth_getLogs", json!([{"topics": ["0x01"]}])),
        (
            "eth_getLogs",
            json!([{"fromBlock": "0x2", "toBlock": "0x1"}]),
        ),
        ("eth_sendRawTransaction", json!(["0x"])),
        ("eth_sendRawTransaction", json!(["0x02c0"])),
        ("eth_feeHistory", json!(["0x1", "latest", [50, 10]])),
        ("evm_increaseTime", json!(["soon"])),
    ];
    for (method, params) in cases {
        let (code, message) = error(&node, method, params.clone()).await;
        assert_eq!(code, -32602, "{method} {params}: {message}");
    }
    let (code, _) = error(&node, "eth_getBalance", json!([Address::ZERO, "0x99"])).await;
    assert_eq!(code, -32000, "a block beyond the head");
}

/// A legacy transfer signed here with k256 (not through the node's `eth_sendTransaction`),
/// or carrying `forged` as its signature.
fn legacy_transfer(
    key: &devnet::DevKey,
    chain_id: u64,
    nonce: u64,
    to: Address,
    forged: Option<alloy_primitives::Signature>,
) -> String {
    use alloy_consensus::{SignableTransaction, TxEnvelope, TxLegacy};
    use alloy_eips::eip2718::Encodable2718;
    let tx = TxLegacy {
        chain_id: Some(chain_id),
        nonce,
        gas_price: 20_000_000,
        gas_limit: 21_000,
        to: alloy_primitives::TxKind::Call(to),
        value: U256::from(1u64),
        input: Default::default(),
    };
    let (sig, recovery) = key
        .signing_key()
        .sign_prehash_recoverable(tx.signature_hash().as_slice())
        .unwrap();
    let signature = forged.unwrap_or_else(|| {
        alloy_primitives::Signature::from_signature_and_parity(sig, recovery.is_y_odd())
    });
    let envelope: TxEnvelope = tx.into_signed(signature).into();
    format!("0x{}", hex::encode(envelope.encoded_2718()))
}

fn sign_legacy(key: &devnet::DevKey, chain_id: u64, nonce: u64, to: Address) -> String {
    legacy_transfer(key, chain_id, nonce, to, None)
}

#[tokio::test]
async fn rejected_transactions() {
    let node = node();
    let key = node.keys[1].clone();
    let to = node.keys[2].address;

    let (code, message) = error(
        &node,
        "eth_sendRawTransaction",
        json!([sign_legacy(&key, 1, 0, to)]),
    )
    .await;
    assert_eq!(code, -32000);
    assert!(message.contains("chain id"), "{message}");

    let (code, message) = error(
        &node,
        "eth_sendRawTransaction",
        json!([sign_legacy(&key, 412_346, 5, to)]),
    )
    .await;
    assert_eq!(code, -32000);
    assert!(message.contains("nonce"), "{message}");

    // A signature with r = 0 recovers no one.
    let forged = alloy_primitives::Signature::new(U256::ZERO, U256::from(1u64), false);
    let (code, message) = error(
        &node,
        "eth_sendRawTransaction",
        json!([legacy_transfer(&key, 412_346, 0, to, Some(forged))]),
    )
    .await;
    assert_eq!(code, -32000, "{message}");
    assert!(message.contains("signature"), "{message}");

    // A stranger's key: no funds.
    let stranger = devnet::DevKey::from_secret(B256::repeat_byte(7)).unwrap();
    let (code, message) = error(
        &node,
        "eth_sendRawTransaction",
        json!([sign_legacy(&stranger, 412_346, 0, to)]),
    )
    .await;
    assert_eq!(code, -32000);
    assert!(message.contains("funds"), "{message}");

    // Unknown sender for eth_sendTransaction.
    let (code, message) = error(
        &node,
        "eth_sendTransaction",
        json!([{"from": stranger.address, "to": to}]),
    )
    .await;
    assert_eq!(code, -32000);
    assert!(message.contains("no key"), "{message}");

    // The valid one goes through and moves the nonce.
    let hash = ok(
        &node,
        "eth_sendRawTransaction",
        json!([sign_legacy(&key, 412_346, 0, to)]),
    )
    .await;
    let receipt = ok(&node, "eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!(receipt["status"], json!("0x1"));
    let tx = ok(&node, "eth_getTransactionByHash", json!([hash])).await;
    assert_eq!(tx["from"], json!(key.address));
    let v = quantity(&tx["v"]).to::<u64>();
    assert!(
        v == 412_346 * 2 + 35 || v == 412_346 * 2 + 36,
        "EIP-155 v: {v}"
    );
    assert_eq!(
        ok(
            &node,
            "eth_getTransactionCount",
            json!([key.address, "latest"])
        )
        .await,
        json!("0x1")
    );
}

#[tokio::test]
async fn contracts_calls_reverts_and_logs() {
    let node = node();
    let from = node.keys[0].address;
    let hash = ok(
        &node,
        "eth_sendTransaction",
        json!([{"from": from, "data": format!("0x{}", EMITTER.trim())}]),
    )
    .await;
    let receipt = ok(&node, "eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!(receipt["status"], json!("0x1"));
    let emitter = receipt["contractAddress"].clone();
    assert!(
        ok(&node, "eth_getCode", json!([emitter, "latest"]))
            .await
            .as_str()
            .unwrap()
            .len()
            > 100
    );

    let store = |key: u64, value: u64| {
        format!(
            "0x6ed28ed0{}{}",
            hex::encode(U256::from(key).to_be_bytes::<32>()),
            hex::encode(U256::from(value).to_be_bytes::<32>())
        )
    };
    let hash = ok(
        &node,
        "eth_sendTransaction",
        json!([{"from": from, "to": emitter, "data": store(7, 42)}]),
    )
    .await;
    let receipt = ok(&node, "eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!(receipt["logs"].as_array().unwrap().len(), 1);
    let word = ok(&node, "eth_getStorageAt", json!([emitter, "0x0", "latest"])).await;
    assert_eq!(word.as_str().unwrap().len(), 66);

    // A revert is code 3 with the revert bytes.
    let response = rpc(
        &node,
        "eth_call",
        json!([{"from": from, "to": emitter, "data": store(1, 5000)}, "latest"]),
    )
    .await;
    assert_eq!(response["error"]["code"], json!(3));
    let data = response["error"]["data"].as_str().unwrap();
    assert_eq!(data.len(), 2 + 8 + 128);
    let response = rpc(
        &node,
        "eth_estimateGas",
        json!([{"from": from, "to": emitter, "data": store(1, 5000)}]),
    )
    .await;
    assert_eq!(response["error"]["code"], json!(3));
    assert_eq!(response["error"]["data"].as_str().unwrap(), data);

    let logs = ok(
        &node,
        "eth_getLogs",
        json!([{"fromBlock": "earliest", "toBlock": "latest", "address": emitter}]),
    )
    .await;
    assert_eq!(logs.as_array().unwrap().len(), 1);
    let logs = ok(
        &node,
        "eth_getLogs",
        json!([{"address": emitter, "topics": [null, B256::ZERO]}]),
    )
    .await;
    assert!(logs.as_array().unwrap().is_empty());

    // Old blocks answer with their state; blocks past the head are refused.
    let before = ok(&node, "eth_getCode", json!([emitter, "0x0"])).await;
    assert_eq!(before, json!("0x"));
    let (code, message) = error(&node, "eth_getBalance", json!([from, "0x100"])).await;
    assert_eq!(code, -32000);
    assert!(message.contains("beyond the latest block"), "{message}");

    let block = ok(&node, "eth_getBlockByNumber", json!(["latest", true])).await;
    assert_eq!(block["transactions"][0]["hash"], json!(hash));
    let by_hash = ok(&node, "eth_getBlockByHash", json!([block["hash"], false])).await;
    assert_eq!(by_hash["transactions"][0], json!(hash));
    let history = ok(&node, "eth_feeHistory", json!(["0x4", "latest", [25, 75]])).await;
    assert_eq!(history["baseFeePerGas"].as_array().unwrap().len(), 4);
    assert_eq!(history["reward"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn test_controls() {
    let node = node();
    let who = address!("00000000000000000000000000000000000000aa");

    let snapshot = ok(&node, "evm_snapshot", json!([])).await;
    ok(&node, "anvil_setBalance", json!([who, "0x1234"])).await;
    ok(&node, "anvil_setCode", json!([who, "0x6001600055"])).await;
    ok(
        &node,
        "anvil_setStorageAt",
        json!([who, "0x1", format!("0x{}", "00".repeat(31) + "05")]),
    )
    .await;
    assert_eq!(
        ok(&node, "eth_getBalance", json!([who])).await,
        json!("0x1234")
    );
    assert_eq!(
        ok(&node, "eth_getCode", json!([who])).await,
        json!("0x6001600055")
    );
    assert_eq!(
        quantity(&ok(&node, "eth_getStorageAt", json!([who, "0x1"])).await),
        U256::from(5)
    );

    let head = ok(&node, "eth_getBlockByNumber", json!(["latest", false])).await;
    let t0 = quantity(&head["timestamp"]).to::<u64>();
    ok(&node, "evm_increaseTime", json!([3600])).await;
    ok(&node, "evm_mine", json!([])).await;
    let head = ok(&node, "eth_getBlockByNumber", json!(["latest", false])).await;
    assert!(quantity(&head["timestamp"]).to::<u64>() >= t0 + 3600);

    let target = t0 + 100_000;
    ok(&node, "evm_setNextBlockTimestamp", json!([target])).await;
    ok(&node, "evm_mine", json!([])).await;
    let head = ok(&node, "eth_getBlockByNumber", json!(["latest", false])).await;
    assert_eq!(quantity(&head["timestamp"]).to::<u64>(), target);
    let (code, _) = error(&node, "evm_setNextBlockTimestamp", json!([t0])).await;
    assert_eq!(code, -32602, "time does not go back");

    // Impersonation: send from an account without a key.
    let (code, _) = error(
        &node,
        "eth_sendTransaction",
        json!([{"from": who, "to": who}]),
    )
    .await;
    assert_eq!(code, -32000);
    ok(&node, "anvil_setCode", json!([who, "0x"])).await;
    ok(&node, "anvil_setBalance", json!([who, "0xde0b6b3a7640000"])).await;
    ok(&node, "anvil_impersonateAccount", json!([who])).await;
    let hash = ok(
        &node,
        "eth_sendTransaction",
        json!([{"from": who, "to": node.keys[0].address, "value": "0x1"}]),
    )
    .await;
    let receipt = ok(&node, "eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!(receipt["from"], json!(who));
    assert_eq!(receipt["status"], json!("0x1"));
    let tx = ok(&node, "eth_getTransactionByHash", json!([hash])).await;
    assert_eq!(tx["from"], json!(who));
    ok(&node, "anvil_stopImpersonatingAccount", json!([who])).await;
    let (code, _) = error(
        &node,
        "eth_sendTransaction",
        json!([{"from": who, "to": who}]),
    )
    .await;
    assert_eq!(code, -32000);

    // Back to the snapshot: the balance, code, storage and blocks are gone.
    assert_eq!(
        ok(&node, "evm_revert", json!([snapshot])).await,
        json!(true)
    );
    assert_eq!(
        ok(&node, "eth_getBalance", json!([who])).await,
        json!("0x0")
    );
    assert_eq!(ok(&node, "eth_getCode", json!([who])).await, json!("0x"));
    assert_eq!(ok(&node, "eth_blockNumber", json!([])).await, json!("0x0"));
    assert_eq!(
        ok(&node, "eth_getTransactionReceipt", json!([hash])).await,
        Value::Null
    );
    assert_eq!(
        ok(&node, "evm_revert", json!([snapshot])).await,
        json!(false)
    );

    // anvil_dumpState / anvil_loadState: the whole chain as opaque bytes, and back.
    let dump = ok(&node, "anvil_dumpState", json!([])).await;
    ok(&node, "anvil_setBalance", json!([who, "0x99"])).await;
    ok(&node, "evm_mine", json!([])).await;
    assert_eq!(
        ok(&node, "anvil_loadState", json!([dump])).await,
        json!(true)
    );
    assert_eq!(
        ok(&node, "eth_getBalance", json!([who])).await,
        json!("0x0")
    );
    assert_eq!(ok(&node, "eth_blockNumber", json!([])).await, json!("0x0"));
    let (code, message) = error(&node, "anvil_loadState", json!(["0x1234"])).await;
    assert_eq!(code, -32000);
    assert!(message.contains("not a devnet state file"), "{message}");
}

#[tokio::test]
async fn slow_clients_time_out_instead_of_hanging() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let node = Node::spawn(NodeConfig {
        read_timeout: Duration::from_millis(300),
        ..NodeConfig::default()
    })
    .expect("node starts");

    // A body announced at 100 bytes that never comes in full: 408.
    let mut stream = tokio::net::TcpStream::connect(node.addr).await.unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{\"jsonrpc\"")
        .await
        .unwrap();
    let start = Instant::now();
    let mut answer = vec![0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer));
    let n = read.await.expect("the node answers in time").unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(start.elapsed() < Duration::from_secs(5));

    // Headers that never end: the connection is closed.
    let mut stream = tokio::net::TcpStream::connect(node.addr).await.unwrap();
    stream.write_all(b"POST / HTTP/1.1\r\nhost:").await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer));
    assert!(read.await.is_ok(), "the node closes the connection");

    // Meanwhile the node serves everyone else.
    assert_eq!(ok(&node, "eth_chainId", json!([])).await, json!("0x64aba"));
}
