//! Deploying Stylus programs over JSON-RPC, the way Arbitrum expects.
//!
//! Works against any node: the embedded devnet, a nitro dev node, Arbitrum Sepolia or One.
//! - [`Deployer::deploy_program`]: a CREATE transaction carrying the init code, then activation
//!   through `ArbWasm` paying the data fee (estimated with `eth_call`, plus a margin; nitro
//!   refunds the excess). Identical code already activated is not activated again.
//! - [`Deployer::deploy_with_constructor`]: one transaction to the `StylusDeployer`, which
//!   creates, activates and runs an SDK 0.10 `#[constructor]`.
//!
//! Failures keep the revert data, decoded into the protocol's or Arbitrum's custom errors.

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolEvent};
use stylus_program::arbitrum::{ArbWasm, StylusDeployer, ARB_WASM, STYLUS_DEPLOYER};

mod error;
pub mod keys;
pub mod network;
pub mod plan;
pub mod record;
pub mod run;
pub mod upgrade;
pub use error::{describe, DeployError};
pub use network::Network;
pub use record::Record;

/// Extra data fee sent on activation, in percent of the estimate (the excess is refunded).
pub const DATA_FEE_MARGIN_PERCENT: u64 = 20;

/// A signer connected to a node.
#[derive(Clone)]
pub struct Deployer {
    provider: DynProvider,
    from: Address,
    url: String,
}

/// A deployed (and activated) program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    pub address: Address,
    /// keccak256 of the on-chain code: the key activation is recorded under.
    pub code_hash: B256,
    /// The deployment transaction.
    pub tx_hash: B256,
    pub block: u64,
    pub gas_used: u64,
    /// Activation, when this deployment had to activate the code.
    pub activation: Option<Activation>,
}

/// An activation that took place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    pub version: u16,
    /// Data fee actually charged, in wei.
    pub data_fee: U256,
    pub tx_hash: B256,
    pub gas_used: u64,
}

impl Deployer {
    /// Connects `signer` to the node at `rpc_url`.
    pub fn connect(rpc_url: &str, signer: PrivateKeySigner) -> Result<Self, DeployError> {
        let url = rpc_url
            .parse()
            .map_err(|_| DeployError::BadUrl(rpc_url.to_string()))?;
        let from = signer.address();
        // The nonce comes from the node for every transaction: alloy's default cached nonce
        // would advance on a send the node refused and strand every later transaction.
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .with_gas_estimation()
            .with_simple_nonce_management()
            .fetch_chain_id()
            .wallet(EthereumWallet::from(signer))
            .connect_http(url)
            .erased();
        Ok(Self {
            provider,
            from,
            url: rpc_url.to_string(),
        })
    }

    /// The signer's address.
    pub fn from(&self) -> Address {
        self.from
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The provider, for calls beyond deployment.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// Deploys `code` (on-chain Stylus code) with the cargo-stylus prelude, then activates it
    /// unless the same code is already active at the chain's Stylus version.
    pub async fn deploy_program(&self, code: &[u8]) -> Result<Deployed, DeployError> {
        let init = stylus_program::init_code(code);
        let tx = TransactionRequest::default()
            .with_from(self.from)
            .with_deploy_code(Bytes::from(init));
        let receipt = self.send(tx).await?;
        let address = receipt
            .contract_address
            .ok_or(DeployError::NoContractAddress(receipt.transaction_hash))?;
        let code_hash = keccak256(code);
        let activation = if self.is_active(code_hash).await? {
            None
        } else {
            Some(self.activate(address).await?)
        };
        Ok(Deployed {
            address,
            code_hash,
            tx_hash: receipt.transaction_hash,
            block: receipt.block_number.unwrap_or_default(),
            gas_used: receipt.gas_used,
            activation,
        })
    }

    /// Whether `code_hash` is active at the chain's current Stylus version.
    pub async fn is_active(&self, code_hash: B256) -> Result<bool, DeployError> {
        let current = self.view(ARB_WASM, ArbWasm::stylusVersionCall {}).await?;
        // codehashVersion reverts for code never activated.
        match self
            .view(
                ARB_WASM,
                ArbWasm::codehashVersionCall {
                    codehash: code_hash,
                },
            )
            .await
        {
            Ok(version) => Ok(version == current),
            Err(DeployError::Reverted { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Activates the program at `program`, paying the estimated data fee plus a margin.
    pub async fn activate(&self, program: Address) -> Result<Activation, DeployError> {
        let call = ArbWasm::activateProgramCall { program };
        let balance = self.provider.get_balance(self.from).await?;
        // The estimate: the call with all we can pay tells what the fee is.
        let probe = TransactionRequest::default()
            .with_from(self.from)
            .with_to(ARB_WASM)
            .with_input(call.abi_encode())
            .with_value(balance);
        let output = self
            .provider
            .call(probe)
            .await
            .map_err(DeployError::from_rpc)?;
        let estimate = ArbWasm::activateProgramCall::abi_decode_returns(&output)
            .map_err(|e| DeployError::Decode(e.to_string()))?;
        let value = estimate.dataFee
            + estimate.dataFee * U256::from(DATA_FEE_MARGIN_PERCENT) / U256::from(100);
        let tx = TransactionRequest::default()
            .with_from(self.from)
            .with_to(ARB_WASM)
            .with_input(call.abi_encode())
            .with_value(value);
        let receipt = self.send(tx).await?;
        let activated = receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| ArbWasm::ProgramActivated::decode_log_data(log.data()).ok());
        Ok(Activation {
            version: activated.as_ref().map_or(estimate.version, |a| a.version),
            data_fee: activated.map_or(estimate.dataFee, |a| a.dataFee),
            tx_hash: receipt.transaction_hash,
            gas_used: receipt.gas_used,
        })
    }

    /// Deploys through the StylusDeployer, which creates the program, activates it when needed
    /// and calls its `#[constructor]` with `constructor_call` (selector ‖ ABI-encoded arguments)
    /// and `init_value`; `salt` zero means CREATE, otherwise CREATE2.
    pub async fn deploy_with_constructor(
        &self,
        code: &[u8],
        constructor_call: Bytes,
        init_value: U256,
        salt: B256,
    ) -> Result<Deployed, DeployError> {
        let code_hash = keccak256(code);
        let needs_activation = !self.is_active(code_hash).await?;
        let init = Bytes::from(stylus_program::init_code(code));
        let call = StylusDeployer::deployCall {
            bytecode: init,
            initData: constructor_call,
            initValue: init_value,
            salt,
        };
        let fee = if needs_activation {
            self.min_value_for(STYLUS_DEPLOYER, &call.abi_encode())
                .await?
                .saturating_sub(init_value)
        } else {
            U256::ZERO
        };
        let margin = fee * U256::from(DATA_FEE_MARGIN_PERCENT) / U256::from(100);
        let tx = TransactionRequest::default()
            .with_from(self.from)
            .with_to(STYLUS_DEPLOYER)
            .with_input(call.abi_encode())
            .with_value(init_value + fee + margin);
        let receipt = self.send(tx).await?;
        let address = receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| StylusDeployer::ContractDeployed::decode_log_data(log.data()).ok())
            .map(|e| e.deployedContract)
            .ok_or(DeployError::NoContractAddress(receipt.transaction_hash))?;
        let activation = receipt.inner.logs().iter().find_map(|log| {
            ArbWasm::ProgramActivated::decode_log_data(log.data())
                .ok()
                .map(|a| Activation {
                    version: a.version,
                    data_fee: a.dataFee,
                    tx_hash: receipt.transaction_hash,
                    gas_used: 0,
                })
        });
        Ok(Deployed {
            address,
            code_hash,
            tx_hash: receipt.transaction_hash,
            block: receipt.block_number.unwrap_or_default(),
            gas_used: receipt.gas_used,
            activation,
        })
    }

    /// The least value with which a call of `input` to `to` succeeds, found by bisection over
    /// `eth_call` (no transaction is sent). Used for the StylusDeployer, whose activation fee can
    /// only be observed by simulating the whole deployment: it works on any node, with no need
    /// for state overrides.
    async fn min_value_for(&self, to: Address, input: &[u8]) -> Result<U256, DeployError> {
        let succeeds = |value: U256| {
            let tx = TransactionRequest::default()
                .with_from(self.from)
                .with_to(to)
                .with_input(Bytes::copy_from_slice(input))
                .with_value(value);
            async move { self.provider.call(tx).await }
        };
        let mut hi = self.provider.get_balance(self.from).await?;
        if let Err(e) = succeeds(hi).await {
            return Err(DeployError::from_rpc(e));
        }
        let mut lo = U256::ZERO;
        // 2^-32 of the balance is far below the margin added on top.
        for _ in 0..32 {
            if hi - lo <= U256::from(1) {
                break;
            }
            let mid = lo + (hi - lo) / U256::from(2);
            match succeeds(mid).await {
                Ok(_) => hi = mid,
                Err(_) => lo = mid,
            }
        }
        Ok(hi)
    }

    /// Sends a transaction and waits for its receipt; a revert becomes an error with its data.
    pub async fn send(&self, tx: TransactionRequest) -> Result<TransactionReceipt, DeployError> {
        // An exact estimate is made against the latest block; the transaction runs in the next,
        // with a later timestamp, and Stylus ink depends on the values computed (time to expiry,
        // auction progress): a fifth more keeps such a transaction from running out of gas.
        let tx = match tx.gas {
            Some(_) => tx,
            None => {
                let estimate = self
                    .provider
                    .estimate_gas(tx.clone())
                    .await
                    .map_err(DeployError::from_rpc)?;
                tx.with_gas_limit(estimate.saturating_add(estimate / 5))
            }
        };
        let pending = self
            .provider
            .send_transaction(tx)
            .await
            .map_err(DeployError::from_rpc)?;
        let receipt = pending.get_receipt().await?;
        if !receipt.status() {
            return Err(DeployError::Failed(receipt.transaction_hash));
        }
        Ok(receipt)
    }

    /// A read-only call decoded as `C`'s return.
    pub async fn view<C: SolCall>(&self, to: Address, call: C) -> Result<C::Return, DeployError> {
        let tx = TransactionRequest::default()
            .with_from(self.from)
            .with_to(to)
            .with_input(call.abi_encode());
        let output = self
            .provider
            .call(tx)
            .await
            .map_err(DeployError::from_rpc)?;
        C::abi_decode_returns(&output).map_err(|e| DeployError::Decode(e.to_string()))
    }
}
