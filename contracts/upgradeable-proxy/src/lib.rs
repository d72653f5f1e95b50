//! ERC-1967 proxy for the protocol's Stylus contracts, and the run-once initialiser they share.
//!
//! The interface, slots and patterns are documented once in [`abi::proxy`]; this crate holds the
//! code.
//!
//! # Design
//! - **Upgrade logic in the proxy, routed by selector.** The proxy answers
//!   [`abi::proxy::IUpgradeableProxy`] (`upgradeToAndCall` and `changeAdmin` for the admin only,
//!   two views for anyone) and forwards every other selector by `delegatecall`, for every caller.
//!   Not UUPS: an implementation without working upgrade code would brick its proxy, every
//!   implementation would carry the upgrade code, and Stylus has no immutables for UUPS's
//!   `onlyProxy` check. Not the strict transparent proxy either: governance is both the proxy admin
//!   and the implementation's `admin`, and a transparent proxy never forwards its admin's calls.
//!   What remains is that a proxy selector shadows an implementation selector with the same
//!   4 bytes; the storage-layout test suite checks every protocol interface with
//!   [`abi::proxy::proxy_selector_clash`], and the proxy's names (`proxyAdmin`, …) are chosen not
//!   to collide with the implementations' usual ones (`admin`, …).
//! - **Own constructor.** `constructor(implementation, admin, data)` consumes the Stylus
//!   constructor selector, so an implementation's `#[constructor]` can never run in the proxy's
//!   storage through the fallback. Deploy through `StylusDeployer` only (deploy, activate and
//!   construct in one transaction): a proxy created without running its constructor could be
//!   claimed by whoever calls the constructor first.
//! - **State only in ERC-1967 slots**, read and written word by word with
//!   `storage_load_bytes32`/`storage_cache_bytes32` (addresses right-aligned, as Solidity stores
//!   them), so the implementation owns the layout from slot 0.
//! - **Revert data intact.** The fallback returns the implementation's return data, or its revert
//!   data as the proxy's revert data; the same for the init call of `upgradeToAndCall` and the
//!   constructor.
//!
//! # Reentrancy flag (nitro `msg_reentrant`)
//! Nitro's `ExecuteWASM` marks a program reentrant when more than one open frame acts as its
//! address, counting only frames that are not `DELEGATECALL`/`CALLCODE` (`TxProcessor.PushContract`
//! skips delegate frames; the count is per address, EVM and Stylus frames alike). So:
//! 1. user → proxy (CALL, count 1) → implementation (DELEGATECALL, not counted): neither the
//!    proxy's nor the implementation's entrypoint sees `msg_reentrant`; both are built *without*
//!    the SDK's `reentrant` feature.
//! 2. anything → proxy while a call through that proxy is open (count 2): the proxy's entrypoint
//!    reverts with empty data before the implementation runs. Every proxied contract thus has a
//!    contract-wide reentrancy lock for free, and cannot take callbacks at its own address.
//!
//! What the devnet must reproduce, and the end-to-end tests must check (`tests/`):
//! - a Stylus proxy delegate-calling a Stylus implementation succeeds (no `msg_reentrant`);
//! - `msg_reentrant` is 1 when a contract called through the proxy calls back into the proxy
//!   (the inner call reverts with empty revert data, the outer call can observe and bubble it);
//! - delegate frames are not counted, EVM frames are (an EVM contract at the same address counts);
//! - `msg_sender`/`msg_value`/`contract_address` inside the implementation are the caller's, the
//!   call's value and the proxy's address; storage writes land in the proxy's account;
//! - the Stylus constructor selector sent to a constructed proxy reverts (SDK guard slot
//!   `keccak256("stylus_constructor")` set in the proxy's storage);
//! - revert data of the implementation reaches the caller byte for byte, including through
//!   `upgradeToAndCall`'s init call.
//!
//! # Features
//! `proxy` (default) builds the proxy contract; dependents that only need [`initializable`] use
//! `default-features = false`, so the proxy's entrypoint is not linked into their WASM.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
extern crate alloc;

pub mod initializable;

#[cfg(feature = "proxy")]
mod proxy;
#[cfg(feature = "proxy")]
pub use proxy::*;
