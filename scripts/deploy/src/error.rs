//! Deployment failures, with revert data kept and decoded.

use alloy::primitives::{Bytes, B256};
use alloy::sol_types::{SolError, SolInterface};
use alloy::transports::{RpcError, TransportErrorKind};
use stylus_program::arbitrum::{ArbWasm::ArbWasmErrors, StylusDeployer::StylusDeployerErrors};

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("not a valid RPC URL: {0}")]
    BadUrl(String),
    #[error("reverted: {reason}")]
    Reverted { data: Bytes, reason: String },
    #[error("RPC error: {0}")]
    Rpc(String),
    #[error("cannot reach the node ({0}): is it running, and is the RPC URL right?")]
    Unreachable(String),
    #[error("insufficient funds: {0}")]
    InsufficientFunds(String),
    #[error("transaction {0} failed")]
    Failed(B256),
    #[error("transaction {0} created no contract")]
    NoContractAddress(B256),
    #[error("cannot decode the node's answer: {0}")]
    Decode(String),
}

impl DeployError {
    /// Keeps revert data when the node returned some (code 3, `data`).
    pub fn from_rpc(err: RpcError<TransportErrorKind>) -> Self {
        if let Some(data) = err.as_error_resp().and_then(|e| e.as_revert_data()) {
            let reason = describe(&data);
            return Self::Reverted { data, reason };
        }
        if err.is_transport_error() {
            return Self::Unreachable(err.to_string());
        }
        let message = err.to_string();
        if message.to_ascii_lowercase().contains("insufficient funds") {
            return Self::InsufficientFunds(message);
        }
        Self::Rpc(message)
    }
}

impl From<RpcError<TransportErrorKind>> for DeployError {
    fn from(err: RpcError<TransportErrorKind>) -> Self {
        Self::from_rpc(err)
    }
}

impl From<alloy::providers::PendingTransactionError> for DeployError {
    fn from(err: alloy::providers::PendingTransactionError) -> Self {
        Self::Rpc(err.to_string())
    }
}

/// A readable account of revert data: Arbitrum's deployment errors (with the constructor's own
/// revert decoded inside `ContractInitializationError`), then the protocol's errors.
pub fn describe(data: &[u8]) -> String {
    if let Ok(error) = StylusDeployerErrors::abi_decode(data) {
        return match error {
            StylusDeployerErrors::ContractInitializationError(e) => format!(
                "constructor of {} reverted: {}",
                e.newContract,
                describe(&e.data)
            ),
            other => format!("StylusDeployer: {other:?}"),
        };
    }
    if let Ok(error) = ArbWasmErrors::abi_decode(data) {
        return format!("ArbWasm: {error:?}");
    }
    // A call the contract made reverted: say why, one level down.
    if let Ok(e) = abi::escrow::ICollateralEscrow::ExternalCallReverted::abi_decode(data) {
        return format!("call to {} reverted: {}", e.target, describe(&e.reason));
    }
    abi::revert::describe(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::Address;
    use alloy::sol_types::{Revert, SolError};
    use stylus_program::arbitrum::{ArbWasm, StylusDeployer};

    #[test]
    fn decodes_arbitrum_and_nested_constructor_errors() {
        let inner = Revert::from("owner is zero").abi_encode();
        let outer = StylusDeployer::ContractInitializationError {
            newContract: Address::repeat_byte(0x11),
            data: inner.into(),
        }
        .abi_encode();
        assert_eq!(
            describe(&outer),
            "constructor of 0x1111111111111111111111111111111111111111 reverted: Error(\"owner is zero\")"
        );
        let nested = abi::escrow::ICollateralEscrow::ExternalCallReverted {
            target: Address::repeat_byte(0x22),
            reason: abi::escrow::ICollateralEscrow::ZeroAmount {}
                .abi_encode()
                .into(),
        }
        .abi_encode();
        assert_eq!(
            describe(&nested),
            "call to 0x2222222222222222222222222222222222222222 reverted: ZeroAmount"
        );
        let not_active = ArbWasm::ProgramNotActivated {}.abi_encode();
        assert!(describe(&not_active).contains("ProgramNotActivated"));
    }
}
