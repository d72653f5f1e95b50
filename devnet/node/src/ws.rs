//! WebSocket on the HTTP port (as anvil and geth serve it): every method over the socket, plus
//! `eth_subscribe` (`newHeads`, `logs`) and `eth_unsubscribe`.
//!
//! A watcher polls the chain's head and broadcasts each new block with its receipts; each socket
//! with a subscription listens and sends what its subscriptions match, from the block after the
//! head at subscription time. A socket too slow to keep up with 1024 blocks loses the oldest.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, B256};
use devnet_chain::{Block, Chain, ChainError, LogEntry, Receipt};
use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::sync::{broadcast, watch};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::format;
use crate::jsonrpc::RpcError;
use crate::params::{self, Params};
use crate::server::Service;

/// A mined block as subscribers see it.
#[derive(Debug)]
pub(crate) struct NewHead {
    pub(crate) block: Block,
    pub(crate) receipts: Vec<Receipt>,
}

/// Blocks kept for sockets that are behind.
pub(crate) const HEAD_BUFFER: usize = 1024;
/// How often the watcher looks at the head while someone listens, and while no one does.
const POLL_LISTENED: Duration = Duration::from_millis(20);
const POLL_IDLE: Duration = Duration::from_millis(250);

/// Whether `request` asks to become a WebSocket.
pub(crate) fn is_upgrade(request: &Request<Incoming>) -> bool {
    let has = |name: header::HeaderName, token: &str| {
        request
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    has(header::UPGRADE, "websocket") && has(header::CONNECTION, "upgrade")
}

/// Answers the handshake and serves the socket once hyper hands the connection over.
pub(crate) fn upgrade<B: Default>(
    service: Arc<Service>,
    request: Request<Incoming>,
) -> Response<B> {
    let Some(key) = request.headers().get(header::SEC_WEBSOCKET_KEY) else {
        let mut response = Response::new(B::default());
        *response.status_mut() = StatusCode::BAD_REQUEST;
        return response;
    };
    let accept = derive_accept_key(key.as_bytes());
    let upgrading = hyper::upgrade::on(request);
    tokio::spawn(async move {
        if let Ok(upgraded) = upgrading.await {
            let config = WebSocketConfig::default()
                .max_message_size(Some(service.max_body_bytes))
                .max_frame_size(Some(service.max_body_bytes));
            let socket = WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                Role::Server,
                Some(config),
            )
            .await;
            serve_socket(service, socket).await;
        }
    });
    let mut response = Response::new(B::default());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

/// What one subscription wants.
#[derive(Debug, Clone)]
enum Kind {
    NewHeads,
    Logs {
        addresses: Vec<Address>,
        topics: Vec<Vec<B256>>,
    },
}

/// The subscriptions of one socket.
#[derive(Debug)]
pub(crate) struct Subscriptions {
    entries: HashMap<String, Kind>,
    heads: broadcast::Sender<Arc<NewHead>>,
    /// Listening while there are subscriptions.
    receiver: Option<broadcast::Receiver<Arc<NewHead>>>,
    /// The head when listening began: blocks up to it are not news.
    since: u64,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Subscriptions {
    pub(crate) fn new(heads: broadcast::Sender<Arc<NewHead>>) -> Self {
        Self {
            entries: HashMap::new(),
            heads,
            receiver: None,
            since: 0,
        }
    }

    /// Handles the subscription methods; `None` for any other method.
    pub(crate) fn handle(
        &mut self,
        chain: &Chain,
        method: &str,
        values: &[Value],
    ) -> Option<Result<Value, RpcError>> {
        match method {
            "eth_subscribe" => Some(self.subscribe(chain, values)),
            "eth_unsubscribe" => Some(self.unsubscribe(values)),
            _ => None,
        }
    }

    fn subscribe(&mut self, chain: &Chain, values: &[Value]) -> Result<Value, RpcError> {
        let p = Params::new(values);
        p.at_most(2)?;
        let kind = p.required(0, "subscription type", |v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("expected a string, got {v}"))
        })?;
        let kind = match kind.as_str() {
            "newHeads" => Kind::NewHeads,
            "logs" => {
                let filter = p.optional(1, "filter", params::filter)?;
                let (addresses, topics) =
                    filter.map_or((Vec::new(), Vec::new()), |f| (f.addresses, f.topics));
                Kind::Logs { addresses, topics }
            }
            other => {
                return Err(RpcError::invalid_params(format!(
                    "unsupported subscription type {other:?} (newHeads and logs are)"
                )))
            }
        };
        if self.receiver.is_none() {
            // Listening starts before the head is read, so no block falls in between.
            self.receiver = Some(self.heads.subscribe());
            self.since = chain
                .block_number()
                .map_err(|e| RpcError::internal(e.to_string()))?;
        }
        let id = format!("0x{:x}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
        self.entries.insert(id.clone(), kind);
        Ok(json!(id))
    }

    fn unsubscribe(&mut self, values: &[Value]) -> Result<Value, RpcError> {
        let p = Params::new(values);
        p.at_most(1)?;
        let id = p.required(0, "subscription id", |v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("expected a string, got {v}"))
        })?;
        let removed = self.entries.remove(&id).is_some();
        if self.entries.is_empty() {
            self.receiver = None;
        }
        Ok(json!(removed))
    }

    /// The notifications `head` makes for these subscriptions.
    fn notifications(&self, head: &NewHead) -> Vec<String> {
        if head.block.number <= self.since {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut notify = |id: &str, result: Value| {
            let message = json!({
                "jsonrpc": "2.0",
                "method": "eth_subscription",
                "params": {"subscription": id, "result": result},
            });
            out.push(message.to_string());
        };
        for (id, kind) in &self.entries {
            match kind {
                Kind::NewHeads => {
                    let mut header = format::block(&head.block, &head.receipts, Vec::new());
                    if let Value::Object(fields) = &mut header {
                        fields.remove("transactions");
                        fields.remove("uncles");
                    }
                    notify(id, header);
                }
                Kind::Logs { addresses, topics } => {
                    let logs = head.receipts.iter().flat_map(|r| &r.logs);
                    for entry in logs.filter(|e| matches(e, addresses, topics)) {
                        notify(id, format::log(entry));
                    }
                }
            }
        }
        out
    }
}

fn matches(entry: &LogEntry, addresses: &[Address], topics: &[Vec<B256>]) -> bool {
    let log = &entry.log;
    if !addresses.is_empty() && !addresses.contains(&log.address) {
        return false;
    }
    let have = log.data.topics();
    topics
        .iter()
        .enumerate()
        .all(|(i, wanted)| wanted.is_empty() || have.get(i).is_some_and(|t| wanted.contains(t)))
}

async fn serve_socket(
    service: Arc<Service>,
    mut socket: WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>,
) {
    let mut subscriptions = Subscriptions::new(service.heads.clone());
    let mut stopped = service.stopped.clone();
    loop {
        tokio::select! {
            incoming = socket.next() => {
                let body = match incoming {
                    Some(Ok(Message::Text(text))) => text.as_bytes().to_vec(),
                    Some(Ok(Message::Binary(data))) => data.to_vec(),
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                    // Pings are answered by the protocol layer.
                    Some(Ok(_)) => continue,
                };
                let worker = service.clone();
                let answered = tokio::task::spawn_blocking(move || {
                    let answer = worker.answer_with(&body, |method, values| {
                        subscriptions.handle(worker.api.chain(), method, values)
                    });
                    (subscriptions, answer)
                })
                .await;
                let Ok((back, answer)) = answered else { return };
                subscriptions = back;
                if let Some(answer) = answer {
                    let text = String::from_utf8_lossy(&answer).into_owned();
                    if socket.send(Message::text(text)).await.is_err() {
                        return;
                    }
                }
            }
            head = next_head(&mut subscriptions.receiver) => {
                let Some(head) = head else { return };
                for message in subscriptions.notifications(&head) {
                    if socket.send(Message::text(message)).await.is_err() {
                        return;
                    }
                }
            }
            _ = stopped.changed() => {
                let _ = socket.close(None).await;
                return;
            }
        }
    }
}

/// The next block for a socket with subscriptions; pending forever without.
async fn next_head(heads: &mut Option<broadcast::Receiver<Arc<NewHead>>>) -> Option<Arc<NewHead>> {
    let Some(receiver) = heads else {
        return std::future::pending().await;
    };
    loop {
        match receiver.recv().await {
            Ok(head) => return Some(head),
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return None,
        }
    }
}

/// Follows the head from `head` on and broadcasts every new block while someone listens.
pub(crate) async fn watch_heads(
    chain: Chain,
    head: u64,
    heads: broadcast::Sender<Arc<NewHead>>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut last = head;
    loop {
        let pause = if heads.receiver_count() > 0 {
            POLL_LISTENED
        } else {
            POLL_IDLE
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stopped.changed() => return,
        }
        let (chain, sender) = (chain.clone(), heads.clone());
        let from = last;
        let fetched = tokio::task::spawn_blocking(move || new_blocks(&chain, from, &sender)).await;
        let Ok(Ok((head, blocks))) = fetched else {
            continue;
        };
        last = head;
        for block in blocks {
            let _ = heads.send(block);
        }
    }
}

/// The head, and the blocks after `from` up to it when someone listens.
fn new_blocks(
    chain: &Chain,
    from: u64,
    heads: &broadcast::Sender<Arc<NewHead>>,
) -> Result<(u64, Vec<Arc<NewHead>>), ChainError> {
    let head = chain.block_number()?;
    let mut blocks = Vec::new();
    // Asked after reading the head: a socket that started listening before a block was mined
    // is counted here (see `Subscriptions::subscribe`).
    if heads.receiver_count() > 0 {
        // A jump (a loaded state) is news only for the blocks a socket could keep.
        let first = from.max(head.saturating_sub(HEAD_BUFFER as u64)) + 1;
        for number in first..=head {
            let Some(block) = chain.block(number)? else {
                continue;
            };
            let mut receipts = Vec::with_capacity(block.transactions.len());
            for hash in &block.transactions {
                receipts.extend(chain.receipt(*hash)?);
            }
            blocks.push(Arc::new(NewHead { block, receipts }));
        }
    }
    Ok((head, blocks))
}
