//! The option factory as deployed in production: the `OptionToken` implementation, the factory
//! implementation (locked by its constructor) and an ERC-1967 `upgradeable-proxy` in front of it,
//! initialised through the proxy's constructor. Shared by the e2e suites that need series.

use crate::artifact;
use abi::option_factory::IOptionFactory;
use abi::proxy::ProxyConstructorArgs;
use alloy::network::TransactionBuilder;
use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::{SolCall, SolValue};
use deploy::{DeployError, Deployer};

/// The addresses of a deployed factory.
#[derive(Debug, Clone, Copy)]
pub struct Factory {
    /// The proxy: the factory's address for everyone.
    pub proxy: Address,
    /// The factory implementation behind the proxy (locked).
    pub implementation: Address,
    /// The `OptionToken` implementation every series clone delegates to.
    pub token_implementation: Address,
}

/// Calldata of a Stylus `#[constructor]` with ABI-encoded `args`.
pub fn constructor_call(args: &[u8]) -> Bytes {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(args);
    data.into()
}

/// Deploys the token implementation, the factory implementation and the proxy that initialises it
/// with `initialize(admin, tokenImplementation, escrow)`.
pub async fn deploy_factory(
    deployer: &Deployer,
    admin: Address,
    escrow: Address,
) -> Result<Factory, DeployError> {
    let token_implementation = deployer
        .deploy_program(&artifact("option-token").code)
        .await?
        .address;
    let implementation = deployer
        .deploy_with_constructor(
            &artifact("option-factory").code,
            constructor_call(&[]),
            U256::ZERO,
            B256::ZERO,
        )
        .await?
        .address;
    let init = IOptionFactory::initializeCall {
        admin,
        implementation: token_implementation,
        escrow,
    }
    .abi_encode();
    let args = ProxyConstructorArgs {
        implementation,
        admin,
        data: init.into(),
    };
    let proxy = deployer
        .deploy_with_constructor(
            &artifact("upgradeable-proxy").code,
            constructor_call(&args.abi_encode_params()),
            U256::ZERO,
            B256::ZERO,
        )
        .await?
        .address;
    Ok(Factory {
        proxy,
        implementation,
        token_implementation,
    })
}

/// Deploys EVM init code (`bin`, hex as solc writes it) followed by ABI-encoded constructor args.
pub async fn deploy_evm(
    deployer: &Deployer,
    bin: &str,
    args: &[u8],
) -> Result<Address, DeployError> {
    let mut code =
        alloy::hex::decode(bin.trim()).map_err(|e| DeployError::Decode(e.to_string()))?;
    code.extend_from_slice(args);
    let receipt = deployer
        .send(TransactionRequest::default().with_deploy_code(Bytes::from(code)))
        .await?;
    receipt
        .contract_address
        .ok_or(DeployError::NoContractAddress(receipt.transaction_hash))
}
