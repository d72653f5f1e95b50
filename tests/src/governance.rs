//! Governance on the devnet: deployment, the propose → confirm → wait → execute path, the clock,
//! and revert decoding shared by the governance and upgrade suites.

use crate::artifact;
use crate::protocol::constructor_call;
use abi::governance::IGovernance as G;
use abi::option_factory::IOptionFactory as F;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::sol_types::{SolCall, SolError, SolValue};
use deploy::{DeployError, Deployer};

/// Deploys governance with `constructor(signers, threshold, delay, guardian)`.
pub async fn deploy_governance(
    deployer: &Deployer,
    signers: &[Address],
    threshold: u64,
    delay: u64,
    guardian: Address,
) -> Result<Address, DeployError> {
    let args = (
        signers.to_vec(),
        U256::from(threshold),
        U256::from(delay),
        guardian,
    )
        .abi_encode_params();
    Ok(deployer
        .deploy_with_constructor(
            &artifact("governance").code,
            constructor_call(&args),
            U256::ZERO,
            B256::ZERO,
        )
        .await?
        .address)
}

/// Sends `call` from `from` to `to`.
pub async fn send<C: SolCall>(
    from: &Deployer,
    to: Address,
    call: C,
) -> Result<TransactionReceipt, DeployError> {
    send_raw(from, to, call.abi_encode()).await
}

/// Sends raw calldata from `from` to `to`.
pub async fn send_raw(
    from: &Deployer,
    to: Address,
    data: Vec<u8>,
) -> Result<TransactionReceipt, DeployError> {
    from.send(
        TransactionRequest::default()
            .with_from(from.from())
            .with_to(to)
            .with_input(data),
    )
    .await
}

/// The custom error `E` a refused call or transaction returned; panics on anything else.
pub fn refusal<T: std::fmt::Debug, E: SolError>(result: Result<T, DeployError>) -> E {
    match result {
        Err(DeployError::Reverted { data, .. }) => E::abi_decode(&data).unwrap_or_else(|e| {
            panic!(
                "expected {}, got {} ({e})",
                E::SIGNATURE,
                deploy::describe(&data)
            )
        }),
        other => panic!("expected {}, got {other:?}", E::SIGNATURE),
    }
}

/// The revert data of a refused call or transaction; panics if it went through.
pub fn revert_data<T: std::fmt::Debug>(result: Result<T, DeployError>) -> Bytes {
    match result {
        Err(DeployError::Reverted { data, .. }) => data,
        other => panic!("expected a revert, got {other:?}"),
    }
}

/// The latest block's timestamp.
pub async fn now(d: &Deployer) -> u64 {
    d.provider()
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .expect("latest block")
        .expect("a latest block exists")
        .header
        .timestamp
}

/// Moves the chain's clock forward by `seconds` and mines a block.
pub async fn advance(d: &Deployer, seconds: u64) {
    let _: U256 = d
        .provider()
        .raw_request("evm_increaseTime".into(), (U256::from(seconds),))
        .await
        .expect("evm_increaseTime");
    let _: String = d
        .provider()
        .raw_request("evm_mine".into(), ())
        .await
        .expect("evm_mine");
}

/// Seconds added to the earliest eta: the next block's timestamp may lie past the latest one's.
pub const ETA_MARGIN: u64 = 120;

/// A deployed governance and the keys that act on it.
pub struct Governance {
    pub address: Address,
    pub signers: Vec<Deployer>,
    pub guardian: Deployer,
    pub delay: u64,
}

impl Governance {
    /// Signer `i` proposes `(target, 0, data)` with an eta [`ETA_MARGIN`] past the earliest
    /// one; returns the id and eta.
    pub async fn propose(
        &self,
        i: usize,
        target: Address,
        data: &[u8],
    ) -> Result<(U256, u64), DeployError> {
        let eta = now(&self.signers[i]).await + self.delay + ETA_MARGIN;
        let id = self.signers[i]
            .view(self.address, self.propose_call(target, data, eta))
            .await?;
        send(
            &self.signers[i],
            self.address,
            self.propose_call(target, data, eta),
        )
        .await?;
        Ok((id, eta))
    }

    fn propose_call(&self, target: Address, data: &[u8], eta: u64) -> G::proposeCall {
        G::proposeCall {
            target,
            value: U256::ZERO,
            data: data.to_vec().into(),
            eta: U256::from(eta),
        }
    }

    pub async fn confirm(&self, i: usize, id: U256) -> Result<TransactionReceipt, DeployError> {
        send(&self.signers[i], self.address, G::confirmCall { id }).await
    }

    pub async fn execute(
        &self,
        i: usize,
        id: U256,
        data: &[u8],
    ) -> Result<TransactionReceipt, DeployError> {
        send(
            &self.signers[i],
            self.address,
            G::executeCall {
                id,
                data: data.to_vec().into(),
            },
        )
        .await
    }

    /// The whole path: signer 0 proposes, signer 1 confirms, the delay passes, signer 0
    /// executes. Returns the execution's result and the proposal id.
    pub async fn pass(
        &self,
        target: Address,
        data: &[u8],
    ) -> (U256, Result<TransactionReceipt, DeployError>) {
        let (id, eta) = self.propose(0, target, data).await.expect("propose");
        self.confirm(1, id).await.expect("confirm");
        self.wait_for(eta).await;
        (id, self.execute(0, id, data).await)
    }

    /// Advances the clock until `eta` has passed.
    pub async fn wait_for(&self, eta: u64) {
        let now = now(&self.signers[0]).await;
        advance(&self.signers[0], eta.saturating_sub(now) + 1).await;
    }

    /// [`Governance::pass`], expecting the execution to succeed.
    pub async fn enact(&self, target: Address, data: &[u8]) -> TransactionReceipt {
        let (id, result) = self.pass(target, data).await;
        result.unwrap_or_else(|e| panic!("proposal {id} executes: {e}"))
    }
}

const ERC20_BIN: &str = include_str!("../fixtures/option-holder/artifacts/MockERC20.bin");

/// The governance timelock the suites use (the shortest governance accepts).
pub const DELAY: u64 = abi::governance::MIN_DELAY;

/// Accounts: 0 deploys, 1–3 sign (2 of 3), 4 guards, 5 plays the escrow (the only minter of
/// series tokens), 6 and 7 hold options, 8 attacks.
pub struct GovernedFactory {
    pub harness: crate::Harness,
    pub deployer: Deployer,
    pub gov: Governance,
    pub factory: crate::protocol::Factory,
    pub escrow: Deployer,
    pub alice: Deployer,
    pub bob: Deployer,
    pub attacker: Deployer,
    pub weth: Address,
    pub usdc: Address,
}

impl GovernedFactory {
    /// Governance (2 of 3, [`DELAY`], a guardian) deployed first, then the factory behind its
    /// proxy with governance as both the proxy's admin and the factory's `admin`, and two mock
    /// assets.
    pub async fn deploy() -> Self {
        let harness = crate::Harness::start();
        let deployer = harness.deployer(0);
        let signers: Vec<Deployer> = (1..=3).map(|i| harness.deployer(i)).collect();
        let guardian = harness.deployer(4);
        let addresses: Vec<Address> = signers.iter().map(Deployer::from).collect();
        let address = deploy_governance(&deployer, &addresses, 2, DELAY, guardian.from())
            .await
            .unwrap_or_else(|e| panic!("governance deploys: {e}"));
        let escrow = harness.deployer(5);
        let factory = crate::protocol::deploy_factory(&deployer, address, escrow.from())
            .await
            .unwrap_or_else(|e| panic!("factory deploys: {e}"));
        let erc20 = |name: &'static str, symbol: &'static str, decimals: u64| {
            let deployer = &deployer;
            async move {
                crate::protocol::deploy_evm(
                    deployer,
                    ERC20_BIN,
                    &(name, symbol, U256::from(decimals)).abi_encode_params(),
                )
                .await
                .unwrap_or_else(|e| panic!("{symbol} mock: {e}"))
            }
        };
        let weth = erc20("Wrapped Ether", "WETH", 18).await;
        let usdc = erc20("USD Coin", "USDC", 6).await;
        Self {
            gov: Governance {
                address,
                signers,
                guardian,
                delay: DELAY,
            },
            escrow,
            alice: harness.deployer(6),
            bob: harness.deployer(7),
            attacker: harness.deployer(8),
            deployer,
            factory,
            weth,
            usdc,
            harness,
        }
    }
}

alloy::sol! {
    /// What the factory's v2 adds (`tests/fixtures/option-factory-v2`).
    #[derive(Debug, PartialEq, Eq)]
    interface IOptionFactoryV2 {
        function initializeV2() external;
        function version() external view returns (uint64);
        function pause(uint8 level) external;
        function unpause() external;
        function pauseLevel() external view returns (uint8);
    }
}

/// `v` whole units at 18 decimals.
pub fn e18(v: u64) -> U256 {
    U256::from(v) * U256::from(abi::PRICE_SCALE)
}

/// The 08:00 UTC expiry `days` days after `now`.
pub fn expiry(now: u64, days: u64) -> u64 {
    (now / 86_400 + days) * 86_400 + 28_800
}

/// Deploys the factory's v2 implementation (its constructor locks it).
pub async fn deploy_v2(p: &GovernedFactory) -> Address {
    p.deployer
        .deploy_with_constructor(
            &artifact("option-factory-v2").code,
            constructor_call(&[]),
            U256::ZERO,
            B256::ZERO,
        )
        .await
        .unwrap_or_else(|e| panic!("v2 deploys: {e}"))
        .address
}

/// Calldata of the proxy's `upgradeToAndCall(implementation, data)`.
pub fn upgrade_call(implementation: Address, data: Vec<u8>) -> Vec<u8> {
    abi::proxy::IUpgradeableProxy::upgradeToAndCallCall {
        newImplementation: implementation,
        data: data.into(),
    }
    .abi_encode()
}

/// Governance allows the WETH call (WETH collateral) and the WETH/USDC put (USDC collateral).
pub async fn allow_products(p: &GovernedFactory) {
    for (collateral, is_put) in [(p.weth, false), (p.usdc, true)] {
        let call = F::allowProductCall {
            underlying: p.weth,
            strikeAsset: p.usdc,
            collateral,
            isPut: is_put,
        };
        p.gov.enact(p.factory.proxy, &call.abi_encode()).await;
    }
}

/// `createSeries` of the WETH/USDC call or put.
pub fn series_call(
    p: &GovernedFactory,
    is_put: bool,
    strike: u64,
    expiry: u64,
) -> F::createSeriesCall {
    F::createSeriesCall {
        underlying: p.weth,
        strikeAsset: p.usdc,
        collateral: if is_put { p.usdc } else { p.weth },
        isPut: is_put,
        strikePrice: e18(strike),
        expiry,
    }
}

/// Alice creates a series and the escrow mints her `amount` of it; returns the series token.
pub async fn open(
    p: &GovernedFactory,
    is_put: bool,
    strike: u64,
    expiry: u64,
    amount: U256,
) -> Address {
    let call = series_call(p, is_put, strike, expiry);
    let token = p
        .alice
        .view(p.factory.proxy, call.clone())
        .await
        .expect("series predicted");
    send(&p.alice, p.factory.proxy, call)
        .await
        .expect("createSeries");
    send(
        &p.escrow,
        token,
        abi::option_token::IOptionToken::mintOptionsCall {
            to: p.alice.from(),
            amount,
        },
    )
    .await
    .expect("escrow mints");
    token
}
