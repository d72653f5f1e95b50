//! The StylusDeployer at its Arbitrum address, present from genesis. The contract is our own
//! (`contracts/StylusDeployer.sol`, compiled by `contracts/compile.sh`) with the interface and
//! behaviour of Arbitrum's, which SDK 0.10 `#[constructor]` deployments call.

use alloy_primitives::{address, hex, Address, Bytes};
use alloy_sol_types::sol;

/// Where Arbitrum chains have the deployer.
pub const ADDRESS: Address = address!("cEcba2F1DC234f70Dd89F2041029807F8D03A990");

const RUNTIME_HEX: &str = include_str!("../contracts/StylusDeployer.bin-runtime");

sol! {
    /// The deployer's interface.
    interface StylusDeployer {
        event ContractDeployed(address deployedContract);

        error ContractDeploymentError(bytes bytecode);
        error ContractInitializationError(address newContract, bytes data);
        error RefundExcessValueError(uint256 excessValue);
        error EmptyBytecode();
        error InitValueButNotInitData();

        function deploy(bytes calldata bytecode, bytes calldata initData, uint256 initValue, bytes32 salt) external payable returns (address);
        function initSalt(bytes32 salt, bytes calldata initData) external pure returns (bytes32);
        function requiresActivation(address program) external view returns (bool);
    }
}

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
