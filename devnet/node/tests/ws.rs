//! WebSocket on the HTTP port: methods over the socket, `eth_subscribe` to new heads and to
//! filtered logs, `eth_unsubscribe`.

use std::time::Duration;

use alloy_primitives::{hex, U256};
use devnet::{Node, NodeConfig, NodeHandle};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const EMITTER: &str = include_str!("fixtures/Emitter.bin");

type Socket = WebSocketStream<TcpStream>;

async fn connect(node: &NodeHandle) -> Socket {
    let stream = TcpStream::connect(node.addr).await.unwrap();
    let (socket, _) = tokio_tungstenite::client_async(format!("ws://{}", node.addr), stream)
        .await
        .expect("WebSocket handshake");
    socket
}

async fn next(socket: &mut Socket) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .ok()??
            .unwrap();
        if let Message::Text(text) = message {
            return Some(serde_json::from_str(&text).unwrap());
        }
    }
}

async fn request(socket: &mut Socket, id: u64, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    socket.send(Message::text(body.to_string())).await.unwrap();
    let answer = next(socket).await.expect("an answer");
    assert_eq!(answer["id"], json!(id), "{answer}");
    answer
}

async fn http(node: &NodeHandle, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let response: Value = reqwest::Client::new()
        .post(&node.url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response
}

async fn mined(node: &NodeHandle, tx: Value) -> Value {
    let hash = http(node, "eth_sendTransaction", json!([tx])).await["result"].clone();
    http(node, "eth_getTransactionReceipt", json!([hash])).await["result"].clone()
}

fn store(key: u64, value: u64) -> String {
    format!(
        "0x6ed28ed0{}{}",
        hex::encode(U256::from(key).to_be_bytes::<32>()),
        hex::encode(U256::from(value).to_be_bytes::<32>())
    )
}

#[tokio::test]
async fn subscriptions_follow_heads_and_logs() {
    let node = Node::spawn(NodeConfig::default()).unwrap();
    let from = node.keys[0].address;
    let deployed = mined(
        &node,
        json!({"from": from, "data": format!("0x{}", EMITTER.trim())}),
    )
    .await;
    let emitter = deployed["contractAddress"].clone();

    let mut socket = connect(&node).await;
    let height = request(&mut socket, 1, "eth_blockNumber", json!([])).await;
    assert_eq!(height["result"], deployed["blockNumber"], "methods work");
    let heads =
        request(&mut socket, 2, "eth_subscribe", json!(["newHeads"])).await["result"].clone();
    let logs = request(
        &mut socket,
        3,
        "eth_subscribe",
        json!(["logs", {"address": emitter}]),
    )
    .await["result"]
        .clone();
    assert!(heads.is_string() && logs.is_string() && heads != logs);

    let stored = mined(
        &node,
        json!({"from": from, "to": emitter, "data": store(7, 42)}),
    )
    .await;
    let mut got_head = None;
    let mut got_log = None;
    for _ in 0..2 {
        let note = next(&mut socket).await.expect("a notification");
        assert_eq!(note["method"], json!("eth_subscription"));
        let params = &note["params"];
        if params["subscription"] == heads {
            got_head = Some(params["result"].clone());
        } else {
            assert_eq!(params["subscription"], logs);
            got_log = Some(params["result"].clone());
        }
    }
    let head = got_head.expect("newHeads notification");
    assert_eq!(head["number"], stored["blockNumber"]);
    assert_eq!(head["hash"], stored["blockHash"]);
    assert!(head.get("transactions").is_none(), "a header");
    let log = got_log.expect("logs notification");
    assert_eq!(log["transactionHash"], stored["transactionHash"]);
    assert_eq!(log["address"], emitter);

    // A block without the emitter's logs: a head only.
    http(&node, "evm_mine", json!([])).await;
    let note = next(&mut socket).await.unwrap();
    assert_eq!(note["params"]["subscription"], heads);

    assert_eq!(
        request(&mut socket, 4, "eth_unsubscribe", json!([heads])).await["result"],
        json!(true)
    );
    assert_eq!(
        request(&mut socket, 5, "eth_unsubscribe", json!(["0xdead"])).await["result"],
        json!(false)
    );
    http(&node, "evm_mine", json!([])).await;
    let quiet = tokio::time::timeout(Duration::from_millis(400), socket.next()).await;
    assert!(
        quiet.is_err(),
        "no notification after unsubscribing: {quiet:?}"
    );

    let bad = request(&mut socket, 6, "eth_subscribe", json!(["pendingThings"])).await;
    assert_eq!(bad["error"]["code"], json!(-32602));

    // Over plain HTTP there is nothing to push to.
    let refused = http(&node, "eth_subscribe", json!(["newHeads"])).await;
    assert_eq!(refused["error"]["code"], json!(-32601));
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("WebSocket"));
}

#[tokio::test]
async fn sockets_close_when_the_node_stops() {
    let node = Node::spawn(NodeConfig::default()).unwrap();
    let mut socket = connect(&node).await;
    request(&mut socket, 1, "eth_subscribe", json!(["newHeads"])).await;
    node.shutdown();
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the socket closed");
}
