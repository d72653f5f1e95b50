//! Faults between the keeper and its node, on the devnet over JSON-RPC through a proxy that can
//! drop every connection (an RPC outage) or swallow `eth_sendRawTransaction` (a transaction the
//! network never propagated): the keeper retries through the outage, replaces a dropped
//! transaction at the same nonce with higher fees, and takes up a transaction left pending by a
//! crash when it starts again.

use alloy::primitives::{keccak256, Address, Bytes};
use alloy::providers::Provider;
use alloy::transports::http::reqwest;
use e2e::Harness;
use keeper::follower::{FollowConfig, Follower};
use keeper::retry::Backoff;
use keeper::sender::{Outcome, SendConfig, Sender};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const FORWARD: u8 = 0;
const DROP: u8 = 1;
const SWALLOW_SENDS: u8 = 2;

/// An HTTP JSON-RPC proxy in front of `upstream`.
struct Proxy {
    url: String,
    mode: Arc<AtomicU8>,
    swallowed: Arc<std::sync::Mutex<Vec<Bytes>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mode = Arc::new(AtomicU8::new(FORWARD));
        let swallowed = Arc::new(std::sync::Mutex::new(Vec::new()));
        let client = reqwest::Client::new();
        let (m, s) = (mode.clone(), swallowed.clone());
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let (m, s, client, upstream) =
                    (m.clone(), s.clone(), client.clone(), upstream.clone());
                tokio::spawn(serve(socket, m, s, client, upstream));
            }
        });
        Self {
            url,
            mode,
            swallowed,
        }
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }
}

/// One connection: requests in turn (keep-alive), each forwarded, dropped or swallowed.
async fn serve(
    mut socket: TcpStream,
    mode: Arc<AtomicU8>,
    swallowed: Arc<std::sync::Mutex<Vec<Bytes>>>,
    client: reqwest::Client,
    upstream: String,
) {
    let mut buf = Vec::new();
    loop {
        // Headers, then a Content-Length body.
        let header_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 8192];
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let headers = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
        let len: usize = headers
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < header_end + len {
            let mut chunk = [0u8; 8192];
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buf[header_end..header_end + len].to_vec();
        buf.drain(..header_end + len);
        let answer = match mode.load(Ordering::SeqCst) {
            DROP => return,
            SWALLOW_SENDS if is_send(&body) => {
                let req: serde_json::Value = serde_json::from_slice(&body).unwrap();
                let raw: Bytes = req["params"][0].as_str().unwrap().parse().unwrap();
                let hash = keccak256(&raw);
                swallowed.lock().unwrap().push(raw);
                serde_json::to_vec(&serde_json::json!({
                    "jsonrpc": "2.0", "id": req["id"], "result": hash,
                }))
                .unwrap()
            }
            _ => match client
                .post(&upstream)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
            {
                Ok(r) => r.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
                Err(_) => return,
            },
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            answer.len()
        );
        if socket.write_all(head.as_bytes()).await.is_err()
            || socket.write_all(&answer).await.is_err()
        {
            return;
        }
    }
}

fn is_send(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .is_ok_and(|v| v["method"] == "eth_sendRawTransaction")
}

fn fast_backoff() -> Backoff {
    Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_millis(800),
        attempts: 30,
    }
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("keeper-{name}-{}", std::process::id()))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_transaction_is_replaced_and_one_left_pending_is_taken_up_after_restart() {
    let harness = Harness::start();
    let proxy = Proxy::start(harness.url.clone()).await;
    let provider = keeper::cli::connect(&proxy.url, Duration::from_secs(2)).unwrap();
    let key = harness.keys[2].clone();
    let from = key.address();
    let to = Address::repeat_byte(0x77);
    let dir = temp_dir("sender");
    let config = SendConfig {
        state: Some(dir.join("nonce.json")),
        replace_after: Duration::from_millis(700),
        max_replacements: 3,
        receipt_poll: Duration::from_millis(50),
        backoff: fast_backoff(),
        ..SendConfig::default()
    };
    let nonce0 = provider.get_transaction_count(from).await.unwrap();

    // The first broadcast never reaches the node; the replacement does.
    proxy.set(SWALLOW_SENDS);
    let mut sender = Sender::open(provider.clone(), key.clone(), config.clone())
        .await
        .unwrap();
    let heal = {
        let mode = proxy.mode.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            mode.store(FORWARD, Ordering::SeqCst);
        })
    };
    let outcome = sender.submit("first", to, Bytes::new()).await.unwrap();
    heal.await.unwrap();
    let Outcome::Mined(receipt) = outcome else {
        panic!("expected a receipt, got {outcome:?}");
    };
    assert!(receipt.status());
    assert_eq!(proxy.swallowed.lock().unwrap().len(), 1);
    let swallowed_hash = keccak256(&proxy.swallowed.lock().unwrap()[0]);
    assert_ne!(
        receipt.transaction_hash, swallowed_hash,
        "the replacement landed"
    );
    let tx = provider
        .get_transaction_by_hash(receipt.transaction_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alloy::consensus::Transaction::nonce(&tx), nonce0);
    assert!(sender.state().pending.is_empty());

    // A crash with a transaction in flight: swallowed, never replaced, left in the nonce file.
    proxy.set(SWALLOW_SENDS);
    let mut once = config.clone();
    once.max_replacements = 0;
    let mut sender = Sender::open(provider.clone(), key.clone(), once)
        .await
        .unwrap();
    let outcome = sender.submit("second", to, Bytes::new()).await.unwrap();
    assert!(matches!(outcome, Outcome::Stuck { nonce } if nonce == nonce0 + 1));
    drop(sender);
    assert_eq!(
        provider.get_transaction_count(from).await.unwrap(),
        nonce0 + 1
    );

    // Restarted, the keeper sends it again at the same nonce before anything new.
    proxy.set(FORWARD);
    let mut sender = Sender::open(provider.clone(), key.clone(), config.clone())
        .await
        .unwrap();
    assert!(sender.state().pending.is_empty());
    assert_eq!(
        provider.get_transaction_count(from).await.unwrap(),
        nonce0 + 2
    );
    let outcome = sender.submit("third", to, Bytes::new()).await.unwrap();
    assert!(matches!(outcome, Outcome::Mined(r) if r.status()));
    assert_eq!(
        provider.get_transaction_count(from).await.unwrap(),
        nonce0 + 3
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_follower_rides_out_an_rpc_outage() {
    let harness = Harness::start();
    let proxy = Proxy::start(harness.url.clone()).await;
    let provider = keeper::cli::connect(&proxy.url, Duration::from_secs(2)).unwrap();
    let direct = harness.deployer(0);
    // Logs of a plain account: value transfers emit none, so watch a contract that logs on
    // every call; the mock feed does.
    let feed = direct
        .deploy_program(&e2e::artifact("mock-aggregator").code)
        .await
        .unwrap()
        .address;
    use abi::oracle::IMockAggregator as Mock;
    use alloy::network::TransactionBuilder;
    use alloy::rpc::types::TransactionRequest;
    use alloy::sol_types::SolCall;
    let call = |input: Vec<u8>| {
        TransactionRequest::default()
            .with_from(direct.from())
            .with_to(feed)
            .with_input(input)
    };
    direct
        .send(call(
            Mock::initializeCall {
                decimals: 8,
                description: "ETH / USD".into(),
            }
            .abi_encode(),
        ))
        .await
        .unwrap();
    let start_block = provider.get_block_number().await.unwrap() + 1;
    let mut follower = Follower::open(
        provider.clone(),
        FollowConfig {
            addresses: vec![feed],
            start_block,
            confirmations: 0,
            max_range: 3,
            checkpoint: None,
            backoff: fast_backoff(),
        },
    )
    .unwrap();

    proxy.set(DROP);
    for i in 0..6 {
        direct
            .send(call(
                Mock::updateAnswerCall {
                    answer: alloy::primitives::I256::try_from(2_000 + i).unwrap(),
                }
                .abi_encode(),
            ))
            .await
            .unwrap();
    }
    let heal = {
        let mode = proxy.mode.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            mode.store(FORWARD, Ordering::SeqCst);
        })
    };
    let started = std::time::Instant::now();
    let ranges = follower
        .catch_up()
        .await
        .expect("recovers after the outage");
    heal.await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(1_500),
        "waited out the outage"
    );
    let logs: usize = ranges.iter().map(|r| r.logs).sum();
    // updateAnswer emits NewRound and AnswerUpdated.
    assert_eq!(logs, 12);
    let head = provider.get_block_number().await.unwrap();
    assert_eq!(follower.state.next_block, head + 1);
    assert_eq!(
        ranges.iter().map(|r| r.to - r.from + 1).sum::<u64>(),
        head + 1 - start_block,
        "every block read once"
    );
}
