//! Transaction throughput over HTTP: sequential and concurrent EVM transfers and Stylus counter
//! increments against the devnet node, and the same EVM transfers against anvil (npm
//! `@foundry-rs/anvil`) in the same run, as a ratio.
//!
//! ```text
//! cargo bench -p devnet --bench throughput
//! ANVIL=/path/to/anvil DEVNET_BENCH_TXS=4000 DEVNET_BENCH_CONCURRENCY=8 cargo bench -p devnet --bench throughput
//! ```
//! anvil is looked up in `$ANVIL`, then `PATH`; install it with
//! `npm install @foundry-rs/anvil` and point `ANVIL` at `node_modules/.bin/anvil`.
//!
//! Every transaction is signed before the clock starts (signing is the client's cost, not the
//! node's). A run ends when the receipt of each sender's last transaction is there, so nodes
//! that answer before mining are not flattered.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, Signature, TxKind, B256, U256};
use alloy_sol_types::{sol, SolCall};
use devnet::{DevKey, Node, NodeConfig};
use serde_json::{json, Value};

sol! {
    interface ArbWasm {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
    }
    interface ICounter {
        function increment() external;
    }
}

const ARB_WASM: Address = alloy_primitives::address!("0000000000000000000000000000000000000071");
const GWEI: u128 = 1_000_000_000;

struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    fn new(url: String) -> Self {
        Self {
            http: reqwest::Client::new(),
            url,
        }
    }

    async fn rpc(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let response: Value = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("node answers")
            .json()
            .await
            .expect("JSON");
        if let Some(error) = response.get("error") {
            panic!("{method} failed: {error}");
        }
        response["result"].clone()
    }

    async fn u64(&self, method: &str, params: Value) -> u64 {
        let value = self.rpc(method, params).await;
        let text = value.as_str().expect("quantity");
        u64::from_str_radix(text.trim_start_matches("0x"), 16).expect("hex quantity")
    }

    async fn send(&self, raw: &Bytes) -> B256 {
        let hash = self.rpc("eth_sendRawTransaction", json!([raw])).await;
        serde_json::from_value(hash).expect("hash")
    }

    async fn receipt(&self, hash: B256) -> Value {
        loop {
            let receipt = self.rpc("eth_getTransactionReceipt", json!([hash])).await;
            if !receipt.is_null() {
                return receipt;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

struct Signer {
    key: DevKey,
    chain_id: u64,
    nonce: u64,
}

impl Signer {
    async fn new(client: &Client, key: DevKey) -> Self {
        let chain_id = client.u64("eth_chainId", json!([])).await;
        let nonce = client
            .u64("eth_getTransactionCount", json!([key.address, "latest"]))
            .await;
        Self {
            key,
            chain_id,
            nonce,
        }
    }

    fn sign(&mut self, to: TxKind, value: U256, input: Vec<u8>, gas_limit: u64) -> Bytes {
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce: self.nonce,
            gas_limit,
            max_fee_per_gas: 100 * GWEI,
            max_priority_fee_per_gas: 0,
            to,
            value,
            access_list: Default::default(),
            input: input.into(),
        };
        self.nonce += 1;
        let (signature, recovery) = self
            .key
            .signing_key()
            .sign_prehash_recoverable(tx.signature_hash().as_slice())
            .expect("signs");
        let signature = Signature::from_signature_and_parity(signature, recovery.is_y_odd());
        let envelope: TxEnvelope = tx.into_signed(signature).into();
        envelope.encoded_2718().into()
    }
}

/// Sends each sender's batch in order, all senders at once; transactions per second.
async fn run(client: &Client, batches: Vec<Vec<Bytes>>) -> f64 {
    let total: usize = batches.iter().map(Vec::len).sum();
    let start = Instant::now();
    let tasks: Vec<_> = batches
        .into_iter()
        .map(|batch| {
            let client = Client::new(client.url.clone());
            tokio::spawn(async move {
                let mut last = None;
                for raw in &batch {
                    last = Some(client.send(raw).await);
                }
                if let Some(last) = last {
                    let receipt = client.receipt(last).await;
                    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("sender task");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

async fn signers(client: &Client, keys: &[DevKey]) -> Vec<Signer> {
    let mut out = Vec::new();
    for key in keys {
        out.push(Signer::new(client, key.clone()).await);
    }
    out
}

/// Sequential and concurrent throughput of plain transfers.
async fn transfers(client: &Client, keys: &[DevKey], txs: usize) -> (f64, f64) {
    let to = TxKind::Call(Address::repeat_byte(0x42));
    let mut all = signers(client, keys).await;
    let sequential: Vec<Bytes> = (0..txs)
        .map(|_| all[0].sign(to, U256::from(1), Vec::new(), 21_000))
        .collect();
    let seq = run(client, vec![sequential]).await;
    let per_sender = txs / all.len();
    let batches = all
        .iter_mut()
        .map(|s| {
            (0..per_sender)
                .map(|_| s.sign(to, U256::from(1), Vec::new(), 21_000))
                .collect()
        })
        .collect();
    let conc = run(client, batches).await;
    (seq, conc)
}

/// The devnet's SDK counter fixture, from the wasm32 release build of the chain's fixtures.
fn counter_wasm() -> Option<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
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
            .ok()?;
        if !status.success() {
            return None;
        }
    }
    std::fs::read(wasm).ok()
}

/// Sequential and concurrent throughput of Stylus counter increments.
async fn stylus_calls(client: &Client, keys: &[DevKey], txs: usize) -> Option<(f64, f64)> {
    let wasm = counter_wasm()?;
    let processed = stylus_program::process::process(&wasm, [0u8; 32]).ok()?;
    let init = stylus_program::init_code(&stylus_program::encode(&processed));
    let mut all = signers(client, keys).await;
    let deploy = all[0].sign(TxKind::Create, U256::ZERO, init, 10_000_000);
    let receipt = client.receipt(client.send(&deploy).await).await;
    let program: Address = serde_json::from_value(receipt["contractAddress"].clone()).ok()?;
    let activate = all[0].sign(
        TxKind::Call(ARB_WASM),
        U256::from(10u64).pow(U256::from(17u64)),
        ArbWasm::activateProgramCall { program }.abi_encode(),
        30_000_000,
    );
    let receipt = client.receipt(client.send(&activate).await).await;
    if receipt["status"] != json!("0x1") {
        eprintln!("activation failed: {receipt}");
        return None;
    }
    let call = ICounter::incrementCall {}.abi_encode();
    let to = TxKind::Call(program);
    let sequential = (0..txs)
        .map(|_| all[0].sign(to, U256::ZERO, call.clone(), 200_000))
        .collect();
    let seq = run(client, vec![sequential]).await;
    let per_sender = txs / all.len();
    let batches = all
        .iter_mut()
        .map(|s| {
            (0..per_sender)
                .map(|_| s.sign(to, U256::ZERO, call.clone(), 200_000))
                .collect()
        })
        .collect();
    let conc = run(client, batches).await;
    Some((seq, conc))
}

fn find_anvil() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ANVIL") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("anvil"))
            .find(|path| path.is_file())
    })
}

/// anvil on a free port, killed when dropped.
struct Anvil {
    child: Child,
    url: String,
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_anvil(path: &PathBuf) -> Option<Anvil> {
    let port = TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new(path)
        .args(["--port", &port.to_string(), "--silent"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let anvil = Anvil {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let probe = reqwest::Client::new();
    for _ in 0..200 {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"});
        let sent = probe
            .post(&anvil.url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await;
        if sent.is_ok() {
            return Some(anvil);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let txs = env_usize("DEVNET_BENCH_TXS", 2000);
    // anvil funds the ten mnemonic accounts; the same ten send on both nodes.
    let concurrency = env_usize("DEVNET_BENCH_CONCURRENCY", 8).clamp(1, 10);
    let node = Node::spawn(NodeConfig::default()).expect("node starts");
    let keys: Vec<DevKey> = node.keys[..concurrency].to_vec();
    let devnet = Client::new(node.url.clone());
    println!(
        "throughput over HTTP, {txs} transactions per run, {concurrency} concurrent senders \
         (eth_sendRawTransaction, automine, until the last receipts)"
    );
    let (seq, conc) = transfers(&devnet, &keys, txs).await;
    println!("devnet  EVM transfers     sequential {seq:>8.0} tx/s   concurrent {conc:>8.0} tx/s");
    match stylus_calls(&devnet, &keys, txs).await {
        Some((seq, conc)) => println!(
            "devnet  Stylus increments sequential {seq:>8.0} tx/s   concurrent {conc:>8.0} tx/s"
        ),
        None => println!("devnet  Stylus increments skipped: the counter fixture did not build"),
    }
    node.shutdown();

    let Some(path) = find_anvil() else {
        println!("anvil   not found: set ANVIL to the binary of npm @foundry-rs/anvil");
        return;
    };
    let Some(anvil) = start_anvil(&path).await else {
        println!("anvil   did not start from {}", path.display());
        return;
    };
    let client = Client::new(anvil.url.clone());
    let version = client.rpc("web3_clientVersion", json!([])).await;
    let (a_seq, a_conc) = transfers(&client, &keys, txs).await;
    println!(
        "anvil   EVM transfers     sequential {a_seq:>8.0} tx/s   concurrent {a_conc:>8.0} tx/s   ({})",
        version.as_str().unwrap_or("?")
    );
    println!(
        "devnet / anvil            sequential {:>8.2}x       concurrent {:>8.2}x",
        seq / a_seq,
        conc / a_conc
    );
    drop(anvil);
}
