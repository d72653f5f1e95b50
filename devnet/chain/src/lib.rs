//! Engine of the local devnet: an Arbitrum-like chain that runs EVM bytecode with revm and
//! Stylus programs (WASM) with wasmi, side by side, with nested calls in every direction.
//!
//! - [`evm`]: the revm wrapper whose `frame_init` hands calls into Stylus code to the WASM host;
//! - [`stylus`]: the WASM host: frames, the 42 `vm_hooks` functions, ink accounting;
//! - [`programs`]: activation records (kept in ArbOS state, so they follow reverts and
//!   snapshots) and the cache of compiled modules keyed by code hash;
//! - [`precompiles`]: `ArbWasm` (0x71) and `ArbSys` (0x64) beside Ethereum's precompiles;
//! - [`wasm_cache`]: nitro's program cache (pinned programs, recently called programs),
//!   `ArbWasmCache` (0x72) and the cache-manager part of `ArbOwner` (0x70);
//! - [`deployer`]: the StylusDeployer contract at its Arbitrum address;
//! - [`chain`]: the chain API (accounts, blocks, snapshots, transactions, receipts, logs).

pub mod chain;
pub mod deployer;
pub mod dev_accounts;
pub mod evm;
pub mod params;
pub mod precompiles;
pub mod programs;
pub mod stylus;
pub mod wasm_cache;

pub use chain::{
    Block, CallOutput, Chain, ChainConfig, ChainError, DevAccount, LogEntry, LogFilter, Receipt,
    TxInfo, TxRequest,
};
pub use evm::DevEvm;
