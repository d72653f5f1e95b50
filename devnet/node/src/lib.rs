//! The devnet node: JSON-RPC over HTTP in front of the [`devnet_chain`] engine, speaking the
//! dialect of geth, anvil and nitro's dev node so that alloy, ethers-rs, `cast` and wallets
//! work against it unchanged.
//!
//! - [`jsonrpc`]: request framing and errors;
//! - [`params`]: decoding of method parameters;
//! - [`api`]: the methods;
//! - [`format`]: JSON shapes of blocks, transactions, receipts and logs;
//! - [`keys`]: the funded dev keys (standard mnemonic and nitro's dev key);
//! - [`server`]: the HTTP server, and [`Node::spawn`] for in-process use;
//! - [`state`]: the state file (`--state`): loaded at start, saved periodically and on exit;
//! - `ws`: WebSocket on the same port, with `eth_subscribe` (`newHeads`, `logs`).

pub mod api;
pub mod format;
pub mod jsonrpc;
pub mod keys;
pub mod params;
pub mod server;
pub mod state;
mod ws;

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use alloy_primitives::U256;

pub use keys::DevKey;
pub use server::{Node, NodeHandle};

/// Chain id and port of nitro's dev node, which tools expect of a local Arbitrum chain.
pub const DEFAULT_CHAIN_ID: u64 = 412_346;
pub const DEFAULT_PORT: u16 = 8547;

/// How a node is set up.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Address to listen on (loopback by default: the dev keys are public).
    pub host: IpAddr,
    /// Port; 0 picks a free one.
    pub port: u16,
    pub chain_id: u64,
    /// Number of accounts derived from the dev mnemonic (nitro's dev key comes on top).
    pub accounts: u32,
    /// Balance of each dev account, in wei.
    pub balance: U256,
    /// Timestamp of the genesis block; `None` for the wall clock.
    pub genesis_timestamp: Option<u64>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Most requests in one batch.
    pub max_batch: usize,
    /// Time a client gets to send its headers, and again its body.
    pub read_timeout: Duration,
    /// Where the chain is kept across restarts: loaded at start when the file exists, saved
    /// every `state_interval` while it changes and when the node stops.
    pub state_file: Option<PathBuf>,
    pub state_interval: Duration,
    /// Blocks before the head whose state queries at older block tags can read.
    pub history_depth: usize,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            chain_id: DEFAULT_CHAIN_ID,
            accounts: 10,
            // 10,000 ETH, as anvil gives.
            balance: U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64)),
            genesis_timestamp: None,
            max_body_bytes: 16 * 1024 * 1024,
            max_batch: 1000,
            read_timeout: Duration::from_secs(30),
            state_file: None,
            state_interval: Duration::from_secs(5),
            history_depth: devnet_chain::chain::DEFAULT_HISTORY_DEPTH,
        }
    }
}
