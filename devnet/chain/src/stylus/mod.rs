//! The Stylus host: a call into Stylus code becomes one [`frame`] that instantiates the
//! program's cached module, links the 42 [`host`] functions and runs `user_entrypoint`.
//!
//! - [`frame`]: checkpoint, value transfer, activation check, init costs, run, outcome;
//! - [`host`]: the `vm_hooks` functions as WASM sees them (pointers, ink);
//! - [`api`]: what they ask of the chain (storage, calls, creates, accounts), at EVM gas;
//! - [`cache`]: the per-frame storage cache nitro keeps between `storage_flush_cache` calls.
//!
//! Ink prices, EVM-equivalent gas, the memory model and the instrumentation come from
//! `stylus-metering`.

pub(crate) mod api;
pub(crate) mod cache;
pub(crate) mod frame;
pub(crate) mod host;
