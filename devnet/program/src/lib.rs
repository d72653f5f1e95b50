//! The Stylus program format, shared by the build pipeline and the devnet.
//!
//! One crate knows how a Stylus program looks on chain so that what our build tool emits is
//! exactly what our chain accepts, and both match Arbitrum:
//! - [`code`]: on-chain code, `EF F0 00` ‖ dictionary byte ‖ brotli(wasm);
//! - [`initcode`]: the 43-byte EVM prelude that deploys that code;
//! - [`process`]: the WASM clean-up cargo-stylus applies before compression;
//! - [`hostio`]: the `vm_hooks` import table (names and signatures);
//! - [`validate`]: nitro's activation-time rules, each refusal with its reason;
//! - [`arbitrum`]: the `ArbWasm`/`ArbSys` precompiles and the `StylusDeployer` contract.
//!
//! It knows nothing of any contract and runs no code.

pub mod arbitrum;
pub mod code;
pub mod hostio;
pub mod initcode;
pub mod process;
pub mod validate;

pub use code::{decode, encode, is_stylus_code, CodeError};
pub use initcode::{init_code, split_init_code};
pub use validate::{validate, ActivationError, Limits, ModuleInfo};
