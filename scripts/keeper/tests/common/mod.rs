//! The protocol as the keeper tests need it: deployed on a node by the deployment plan
//! (`deploy::plan::protocol`, without handing the admin roles to governance so the tests can
//! configure it), WETH/USDC mocks, a Chainlink mock feed, and one put series (K = 2000, 7 days).
#![allow(dead_code)]

use abi::escrow::{self as esc, Action, ICollateralEscrow as Escrow, IEscrowRegistry as Registry};
use abi::option_factory::{self as of, IOptionFactory as Factory};
use abi::oracle::{IMockAggregator as Mock, IOracleAdapter as Oracle};
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, I256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use alloy::sol_types::{SolCall, SolValue};
use deploy::run::{run, RunOptions};
use deploy::Deployer;
use e2e::protocol::deploy_evm;
use e2e::Harness;
use keeper::agent::{Addresses, Config, Keeper};
use keeper::auction::Economics;
use std::path::PathBuf;
use std::time::Duration;

sol! {
    interface IMockERC20 {
        function mint(address to, uint256 value) external;
        function approve(address spender, uint256 value) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
    }
}

/// `options keeper`'s flags, parsed as the CLI parses them.
#[derive(clap::Parser)]
pub struct KeeperCli {
    #[command(flatten)]
    pub args: keeper::cli::KeeperArgs,
}

pub const ERC20_BIN: &str =
    include_str!("../../../../tests/fixtures/option-holder/artifacts/MockERC20.bin");

pub fn e18(v: u64) -> U256 {
    U256::from(v) * U256::from(abi::PRICE_SCALE)
}

pub fn usdc(v: u64) -> U256 {
    U256::from(v) * U256::from(1_000_000u64)
}

pub async fn send<C: SolCall>(d: &Deployer, to: Address, call: C) -> TransactionReceipt {
    let r = d
        .send(
            TransactionRequest::default()
                .with_from(d.from())
                .with_to(to)
                .with_input(call.abi_encode()),
        )
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", C::SIGNATURE));
    assert!(r.status(), "{} reverted", C::SIGNATURE);
    r
}

pub async fn advance(p: &DynProvider, seconds: u64) {
    p.raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (seconds,))
        .await
        .unwrap();
    p.raw_request::<_, serde_json::Value>("evm_mine".into(), ())
        .await
        .unwrap();
}

pub async fn now(p: &DynProvider) -> u64 {
    p.get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp
}

pub struct World {
    pub harness: Harness,
    pub admin: Deployer,
    pub addresses: Addresses,
    pub feed: Address,
    pub weth: Address,
    pub usdc: Address,
    pub option: Address,
    pub expiry: u64,
    pub provider: DynProvider,
    /// The deployment record (`options keeper --record`).
    pub record: PathBuf,
}

/// Deploys and configures the protocol on `harness`'s node; creates one put series (K = 2000,
/// 7 days).
pub async fn world(harness: Harness) -> World {
    let admin = harness.deployer(0);
    let root = contract_build::workspace_root(env!("CARGO_MANIFEST_DIR").as_ref()).unwrap();
    let network = deploy::network::network(&root, "local").unwrap();
    // The admin roles stay with the deployer: the test sets parameters without governance.
    let plan: Vec<_> = deploy::plan::protocol(&network)
        .into_iter()
        .filter(|e| !e.name.starts_with("wire:"))
        .collect();
    let dir = temp("record");
    let record = run(
        &admin,
        &network,
        &plan,
        &RunOptions {
            root: root.clone(),
            record_path: dir.join("local.json"),
            max_steps: None,
        },
        &|_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("the protocol deploys: {e}"));
    let at = |name: &str| record.address(name).unwrap_or_else(|| panic!("{name}"));
    let addresses = Addresses {
        factory: at("factory"),
        escrow: at("escrow"),
        engine: at("engine"),
        oracle: at("oracle"),
        expiry_oracle: at("expiry-oracle"),
        registry: at("registry"),
    };
    // The keeper's own reading of the record (`options keeper` starts from it) agrees.
    let parsed = keeper::cli::Deployment::load(&dir.join("local.json"))
        .unwrap()
        .expect("the record exists");
    let args = <KeeperCli as clap::Parser>::parse_from(["keeper"]).args;
    let from_record = keeper::cli::config(&args, Some(&parsed), dir.join("state")).unwrap();
    assert_eq!(from_record.addresses, addresses);
    assert!(from_record.start_block > 0);
    let feed = at(deploy::plan::MOCK_ETH_USD);
    let weth = deploy_evm(
        &admin,
        ERC20_BIN,
        &("Wrapped Ether", "WETH", U256::from(18)).abi_encode_params(),
    )
    .await
    .unwrap();
    let usdc_token = deploy_evm(
        &admin,
        ERC20_BIN,
        &("USD Coin", "USDC", U256::from(6)).abi_encode_params(),
    )
    .await
    .unwrap();
    let a = addresses;
    send(
        &admin,
        a.oracle,
        Oracle::setFeedCall {
            asset: weth,
            index: U256::ZERO,
            feed,
            decimals: 8,
            maxAge: U256::from(3_600),
            minAnswer: I256::ONE,
            maxAnswer: I256::try_from(10_000_000_000_000_000i64).unwrap(),
        },
    )
    .await;
    send(
        &admin,
        a.oracle,
        Oracle::configureAssetCall {
            asset: weth,
            feedCount: U256::from(1),
            quorum: U256::from(1),
            maxDeviation: e18(1) / U256::from(10),
            maxRoundMove: e18(1) / U256::from(2),
        },
    )
    .await;
    send(
        &admin,
        a.registry,
        Registry::configureCollateralCall {
            asset: usdc_token,
            nakedCap: usdc(1_000_000),
            dustFloor: usdc(1),
        },
    )
    .await;
    send(
        &admin,
        a.registry,
        Registry::setRiskParametersCall {
            underlying: weth,
            shock: e18(1) / U256::from(2),
            maxTimes: vec![30 * 86_400],
            upperBounds: vec![e18(1) / U256::from(10)],
        },
    )
    .await;
    send(
        &admin,
        a.factory,
        Factory::allowProductCall {
            underlying: weth,
            strikeAsset: usdc_token,
            collateral: usdc_token,
            isPut: true,
        },
    )
    .await;
    let provider = admin.provider().clone();
    let t = now(&provider).await;
    let expiry = t - t % of::SECONDS_PER_DAY + of::EXPIRY_TIME_OF_DAY + 7 * of::SECONDS_PER_DAY;
    let create = Factory::createSeriesCall {
        underlying: weth,
        strikeAsset: usdc_token,
        collateral: usdc_token,
        isPut: true,
        strikePrice: e18(2_000),
        expiry,
    };
    send(&admin, a.factory, create.clone()).await;
    let option = admin
        .view(
            a.factory,
            Factory::getSeriesCall {
                underlying: weth,
                strikeAsset: usdc_token,
                collateral: usdc_token,
                isPut: true,
                strikePrice: e18(2_000),
                expiry,
            },
        )
        .await
        .unwrap();
    World {
        harness,
        admin,
        addresses,
        feed,
        weth,
        usdc: usdc_token,
        option,
        expiry,
        provider,
        record: dir.join("local.json"),
    }
}

impl World {
    /// Opens vault `id` of `owner` with `collateral` USDC and a short of `options` (whole
    /// options) minted to the owner.
    pub async fn open(&self, owner: &Deployer, naked: bool, collateral: U256, options: u64) {
        send(
            owner,
            self.usdc,
            IMockERC20::mintCall {
                to: owner.from(),
                value: collateral,
            },
        )
        .await;
        send(
            owner,
            self.usdc,
            IMockERC20::approveCall {
                spender: self.addresses.escrow,
                value: collateral,
            },
        )
        .await;
        let id = owner
            .view(
                self.addresses.escrow,
                Escrow::vaultCountCall {
                    owner: owner.from(),
                },
            )
            .await
            .unwrap()
            + U256::from(1);
        let vault_type = if naked {
            esc::VAULT_NAKED
        } else {
            esc::VAULT_FULL
        };
        let action = |kind: u8, asset: Address, amount: U256| Action {
            kind,
            asset,
            account: owner.from(),
            amount,
        };
        send(
            owner,
            self.addresses.escrow,
            Escrow::operateCall {
                owner: owner.from(),
                vaultId: id,
                actions: vec![
                    action(esc::ACTION_OPEN, Address::ZERO, U256::from(vault_type)),
                    action(esc::ACTION_DEPOSIT_COLLATERAL, self.usdc, collateral),
                    action(esc::ACTION_MINT_SHORT, self.option, e18(options)),
                ],
            },
        )
        .await;
    }

    pub async fn set_price(&self, dollars: u64) -> TransactionReceipt {
        send(
            &self.admin,
            self.feed,
            Mock::updateAnswerCall {
                answer: I256::try_from(dollars * 100_000_000).unwrap(),
            },
        )
        .await
    }

    pub fn config(&self, state: PathBuf) -> Config {
        let mut c = Config::new(self.addresses);
        c.confirmations = 0;
        c.state_dir = Some(state);
        c.economics = Economics {
            // Gas valued at 3000 USDC per ETH; a liquidation must earn 1 USDC after it.
            native_price: e18(3_000),
            min_profit: e18(1),
        };
        c.send.replace_after = Duration::from_secs(10);
        c
    }

    pub async fn keeper(&self, key: &PrivateKeySigner, state: PathBuf) -> Keeper {
        let provider = keeper::cli::connect(&self.harness.url, Duration::from_secs(10)).unwrap();
        Keeper::open(provider, key.clone(), self.config(state))
            .await
            .unwrap()
    }

    pub async fn short_of(&self, owner: Address, id: u64) -> (U256, U256) {
        let v = self
            .admin
            .view(
                self.addresses.escrow,
                Escrow::getVaultCall {
                    owner,
                    vaultId: U256::from(id),
                },
            )
            .await
            .unwrap();
        (v.collateral, v.shortAmount)
    }
}

pub fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("keeper-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
