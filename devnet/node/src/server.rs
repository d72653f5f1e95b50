//! The HTTP server: one POST endpoint taking JSON-RPC requests and batches, bounded in body
//! size, batch size and time, so that no request can crash or hang the node.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use devnet_chain::{Chain, ChainConfig};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};

use crate::api::Api;
use crate::jsonrpc::{self, Body, RpcError, INTERNAL_ERROR, INVALID_REQUEST};
use crate::keys::{self, DevKey};
use crate::state::Saver;
use crate::ws::{self, NewHead};
use crate::NodeConfig;

/// What every connection shares.
pub(crate) struct Service {
    pub(crate) api: Api,
    pub(crate) max_body_bytes: usize,
    max_batch: usize,
    read_timeout: Duration,
    /// Turns true when the node stops.
    pub(crate) stopped: watch::Receiver<bool>,
    /// New blocks, for WebSocket subscriptions.
    pub(crate) heads: broadcast::Sender<Arc<NewHead>>,
}

/// Entry point of the node.
pub struct Node;

/// A running node; dropping it stops the node.
#[derive(Debug)]
pub struct NodeHandle {
    /// `http://host:port`.
    pub url: String,
    pub addr: SocketAddr,
    /// The funded keys: the mnemonic accounts, then nitro's dev key.
    pub keys: Vec<DevKey>,
    /// The chain behind the node, for tests that want to look underneath the RPC.
    pub chain: Chain,
    shutdown: Option<watch::Sender<bool>>,
    thread: Option<thread::JoinHandle<()>>,
    saver: Option<Saver>,
}

impl NodeHandle {
    /// Stops the server, waits for it to finish and saves the state file if there is one.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Some(mut saver) = self.saver.take() {
            saver.finish();
        }
    }
}

impl Drop for NodeHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Node {
    /// Starts the chain: from the state file when there is one, else at genesis with its dev
    /// accounts funded.
    pub fn chain(config: &NodeConfig) -> Result<(Chain, Vec<DevKey>), io::Error> {
        let chain = Chain::new(ChainConfig {
            chain_id: config.chain_id,
            genesis_timestamp: config.genesis_timestamp,
            dev_balance: config.balance,
            // The node funds its own accounts (anvil's, then nitro's).
            dev_accounts: 0,
            history_depth: config.history_depth,
            ..ChainConfig::default()
        });
        let keys = keys::dev_keys(config.accounts);
        if let Some(path) = config.state_file.as_ref().filter(|p| p.exists()) {
            chain
                .load_state_file(path)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            return Ok((chain, keys));
        }
        for key in &keys {
            chain
                .set_balance(key.address, config.balance)
                .map_err(io::Error::other)?;
        }
        Ok((chain, keys))
    }

    /// Starts a node on its own thread and runtime (so that it serves sync and async callers
    /// alike) and returns once it listens.
    pub fn spawn(config: NodeConfig) -> io::Result<NodeHandle> {
        let (chain, keys) = Self::chain(&config)?;
        let listener = std::net::TcpListener::bind((config.host, config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (shutdown, stopped) = watch::channel(false);
        let service = Arc::new(Service {
            api: Api::new(chain.clone(), keys.clone(), client_version()),
            max_body_bytes: config.max_body_bytes,
            max_batch: config.max_batch,
            read_timeout: config.read_timeout,
            stopped: stopped.clone(),
            heads: broadcast::channel(ws::HEAD_BUFFER).0,
        });
        let head = chain.block_number().map_err(io::Error::other)?;
        let watcher = ws::watch_heads(chain.clone(), head, service.heads.clone(), stopped.clone());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("devnet-node")
            .enable_all()
            .build()?;
        let thread = thread::Builder::new()
            .name("devnet-node".into())
            .spawn(move || {
                runtime.block_on(async move {
                    tokio::spawn(watcher);
                    match TcpListener::from_std(listener) {
                        Ok(listener) => serve(listener, service, stopped).await,
                        Err(e) => eprintln!("devnet: cannot listen: {e}"),
                    }
                });
            })?;
        let saver = match &config.state_file {
            Some(path) => Some(Saver::start(
                chain.clone(),
                path.clone(),
                config.state_interval,
            )?),
            None => None,
        };
        Ok(NodeHandle {
            url: format!("http://{addr}"),
            addr,
            keys,
            chain,
            shutdown: Some(shutdown),
            thread: Some(thread),
            saver,
        })
    }
}

/// The `web3_clientVersion` string.
pub fn client_version() -> String {
    format!("devnet/v{}", env!("CARGO_PKG_VERSION"))
}

async fn serve(listener: TcpListener, service: Arc<Service>, mut stopped: watch::Receiver<bool>) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped.changed() => return,
        };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let read_timeout = service.read_timeout;
            let handler = service_fn(move |request| handle(service.clone(), request));
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(read_timeout);
            let connection = builder
                .serve_connection(TokioIo::new(stream), handler)
                .with_upgrades();
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stopped.changed() => connection.as_mut().graceful_shutdown(),
            }
        });
    }
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Browser dApps on another origin talk to a dev node directly.
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    response
}

fn error_response(status: StatusCode, error: RpcError) -> Response<Full<Bytes>> {
    let body = jsonrpc::response(Value::Null, Err(error));
    json_response(status, body.to_string().into_bytes())
}

async fn handle(
    service: Arc<Service>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if ws::is_upgrade(&request) {
        return Ok(ws::upgrade(service, request));
    }
    if request.method() == Method::OPTIONS {
        return Ok(json_response(StatusCode::NO_CONTENT, Vec::new()));
    }
    if request.method() != Method::POST {
        return Ok(error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            RpcError::new(INVALID_REQUEST, "JSON-RPC requests are POSTed"),
        ));
    }
    let limit = service.max_body_bytes;
    let too_large = |size: Option<u64>| {
        let size = size.map_or("a".to_string(), |s| format!("{s} bytes:"));
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            RpcError::new(
                INVALID_REQUEST,
                format!("request body too large: {size} over the limit of {limit} bytes"),
            ),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Ok(too_large(declared));
    }
    let body = Limited::new(request.into_body(), limit).collect();
    let body = match tokio::time::timeout(service.read_timeout, body).await {
        Err(_) => {
            return Ok(error_response(
                StatusCode::REQUEST_TIMEOUT,
                RpcError::new(INVALID_REQUEST, "request body not received in time"),
            ))
        }
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => return Ok(too_large(None)),
        Ok(Err(e)) => {
            return Ok(error_response(
                StatusCode::BAD_REQUEST,
                RpcError::new(INVALID_REQUEST, format!("cannot read the body: {e}")),
            ))
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    // Execution blocks on the chain's thread: keep it off the async workers.
    let answered = tokio::task::spawn_blocking(move || service.answer(&body)).await;
    Ok(match answered {
        Ok(Some(answer)) => json_response(StatusCode::OK, answer),
        Ok(None) => json_response(StatusCode::OK, Vec::new()),
        Err(e) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            RpcError::new(INTERNAL_ERROR, format!("request failed: {e}")),
        ),
    })
}

impl Service {
    /// The response body for a request body; `None` when it held only notifications.
    fn answer(&self, body: &[u8]) -> Option<Vec<u8>> {
        self.answer_with(body, |_, _| None)
    }

    /// Like `answer`, with `local` answering the methods it knows (a socket's subscriptions)
    /// before the API.
    pub(crate) fn answer_with(
        &self,
        body: &[u8],
        mut local: impl FnMut(&str, &[Value]) -> Option<Result<Value, RpcError>>,
    ) -> Option<Vec<u8>> {
        let answer = match jsonrpc::parse(body, self.max_batch) {
            Err(error) => Some(jsonrpc::response(Value::Null, Err(error))),
            Ok(Body::Single(entry)) => self.run(entry, &mut local),
            Ok(Body::Batch(entries)) => {
                let answers: Vec<Value> = entries
                    .into_iter()
                    .filter_map(|e| self.run(e, &mut local))
                    .collect();
                (!answers.is_empty()).then_some(Value::Array(answers))
            }
        };
        answer.map(|a| a.to_string().into_bytes())
    }

    fn run(
        &self,
        entry: jsonrpc::Entry,
        local: &mut impl FnMut(&str, &[Value]) -> Option<Result<Value, RpcError>>,
    ) -> Option<Value> {
        match entry {
            Err((id, error)) => Some(jsonrpc::response(id, Err(error))),
            Ok(request) => {
                let result = local(&request.method, &request.params)
                    .unwrap_or_else(|| self.api.call(&request.method, &request.params));
                request.id.map(|id| jsonrpc::response(id, result))
            }
        }
    }
}
