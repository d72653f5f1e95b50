//! The StylusDeployer at its Arbitrum address, present from genesis. The contract is our own
//! (`contracts/StylusDeployer.sol`, compiled by `contracts/compile.sh`) with the interface and
//! behaviour of Arbitrum's, which SDK 0.10 `#[constructor]` deployments call.

use alloy_primitives::{hex, Address, Bytes};

/// Where Arbitrum chains have the deployer.
pub const ADDRESS: Address = stylus_program::arbitrum::STYLUS_DEPLOYER;

const RUNTIME_HEX: &str = include_str!("../contracts/StylusDeployer.bin-runtime");

pub use stylus_program::arbitrum::StylusDeployer;

/// The deployer's runtime code.
pub fn runtime_code() -> Bytes {
    // The artefact is committed and checked by a test, so decoding cannot fail at run time.
    hex::decode(RUNTIME_HEX.trim()).unwrap_or_default().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_artefact_decodes() {
        assert!(runtime_code().len() > 100);
    }
}
