//! The clearinghouse on the devnet as deployed in production: `EscrowRegistry`, `OracleAdapter`,
//! `ExpiryOracle`, `CollateralEscrow` and `MarginEngine` each behind an ERC-1967 proxy (the
//! implementations locked by their constructors), the option factory, a Chainlink-compatible
//! `MockAggregator` for WETH/USD (driven by the tests, also to lie), and real OpenZeppelin ERC-20
//! collateral compiled from `tests/solidity/escrow` (committed artefacts). Shared by the
//! `escrow_*` suites and the `escrow_bench` example.

use crate::governance::{advance, now, send};
use crate::protocol::{constructor_call, deploy_evm, deploy_factory, Factory};
use crate::{artifact, Harness};
use abi::erc20::IERC20;
use abi::escrow::{
    Action, ICollateralEscrow as E, IEscrowRegistry as R, IMarginEngine as M,
    ACTION_DEPOSIT_COLLATERAL, ACTION_MINT_SHORT, ACTION_OPEN,
};
use abi::option_factory::IOptionFactory as F;
use abi::oracle::{IExpiryOracle, IMockAggregator, IOracleAdapter};
use abi::proxy::ProxyConstructorArgs;
use alloy::primitives::{Address, B256, I256, U256};
use alloy::rpc::types::TransactionReceipt;
use alloy::sol;
use alloy::sol_types::{SolCall, SolValue};
use deploy::{DeployError, Deployer};

sol! {
    /// The Solidity fixtures' own functions (`tests/solidity/escrow/contracts/EscrowFixtures.sol`).
    interface IFixtures {
        function mint(address to, uint256 amount) external;
        function arm(address target, bytes calldata data) external;
        function attempted() external view returns (bool);
        function reentered() external view returns (bool);
        function refusal() external view returns (bytes memory);
        function writePut(address cash, uint256 deposit, address option, uint256 amount, address buyer)
            external
            returns (uint256 vaultId);
    }
}

/// The committed init code of a Solidity fixture.
pub fn fixture(name: &str) -> String {
    let path = format!(
        "{}/solidity/escrow/artifacts/{name}.bin",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// One option is 1e18; `e18(3)` is three options (or a price of 3.0).
pub fn e18(v: u64) -> U256 {
    U256::from(v) * U256::from(10u64).pow(U256::from(18))
}

/// `v` whole USDC (6 decimals).
pub fn usdc(v: u64) -> U256 {
    U256::from(v) * U256::from(1_000_000u64)
}

/// The WETH/USD feed reports 8 decimals, as Chainlink's does.
pub fn feed_answer(dollars: u64) -> I256 {
    I256::try_from(dollars as i128 * 100_000_000).expect("small")
}

/// Deploys `package` locked by its constructor, and a proxy in front of it initialised with
/// `init` (or not, if empty: the escrow and its engine name each other, so they are initialised
/// once both exist). Returns (proxy, implementation).
pub async fn proxied(
    d: &Deployer,
    package: &str,
    init: Vec<u8>,
) -> Result<(Address, Address), DeployError> {
    let implementation = d
        .deploy_with_constructor(
            &artifact(package).code,
            constructor_call(&[]),
            U256::ZERO,
            B256::ZERO,
        )
        .await?
        .address;
    let args = ProxyConstructorArgs {
        implementation,
        admin: d.from(),
        data: init.into(),
    };
    let proxy = d
        .deploy_with_constructor(
            &artifact("upgradeable-proxy").code,
            constructor_call(&args.abi_encode_params()),
            U256::ZERO,
            B256::ZERO,
        )
        .await?
        .address;
    Ok((proxy, implementation))
}

/// Deploys an OpenZeppelin ERC-20 from the fixtures.
pub async fn token(d: &Deployer, name: &str, symbol: &str, decimals: u8) -> Address {
    let args = (name.to_string(), symbol.to_string(), U256::from(decimals)).abi_encode_params();
    deploy_evm(d, &fixture("TestToken"), &args)
        .await
        .expect("TestToken deploys")
}

/// Naked-margin parameters used by the suites: Gamma's 75% spot shock; 10% of the shocked value
/// within a week of expiry, 20% within 90 days.
pub const SHOCK: u128 = 750_000_000_000_000_000;

/// The deployed clearinghouse.
pub struct Clearinghouse {
    pub admin: Deployer,
    pub escrow: Address,
    pub engine: Address,
    pub registry: Address,
    pub oracle: Address,
    pub expiry_oracle: Address,
    pub factory: Factory,
    pub feed: Address,
    pub weth: Address,
    pub usdc: Address,
    /// Every Stylus program a clearinghouse call runs (implementations, proxy, token clone
    /// implementation, feed), for pinning in the program cache.
    pub programs: Vec<Address>,
}

impl Clearinghouse {
    /// Deploys everything with account 0 as admin, guardian and disputer; WETH/USD at `spot`.
    pub async fn deploy(h: &Harness, spot: u64) -> Self {
        let d = h.deployer(0);
        let admin = d.from();
        let weth = token(&d, "Wrapped Ether", "WETH", 18).await;
        let usdc = token(&d, "USD Coin", "USDC", 6).await;
        let feed = d
            .deploy_program(&artifact("mock-aggregator").code)
            .await
            .expect("feed deploys")
            .address;
        send(
            &d,
            feed,
            IMockAggregator::initializeCall {
                decimals: 8,
                description: "ETH / USD".into(),
            },
        )
        .await
        .expect("feed initialised");
        // Two rounds: the circuit breaker (`getMintPrice`) compares the last two.
        for _ in 0..2 {
            send(
                &d,
                feed,
                IMockAggregator::updateAnswerCall {
                    answer: feed_answer(spot),
                },
            )
            .await
            .expect("first rounds");
        }
        let mut programs = vec![feed];
        let (registry, implementation) = proxied(
            &d,
            "escrow-registry",
            R::initializeCall {
                admin,
                guardian: admin,
            }
            .abi_encode(),
        )
        .await
        .expect("registry");
        programs.push(implementation);
        let (oracle, implementation) = proxied(
            &d,
            "oracle-adapter",
            IOracleAdapter::initializeCall {
                admin,
                sequencerFeed: Address::ZERO,
            }
            .abi_encode(),
        )
        .await
        .expect("oracle adapter");
        programs.push(implementation);
        let (expiry_oracle, implementation) = proxied(
            &d,
            "expiry-oracle",
            IExpiryOracle::initializeCall {
                admin,
                disputer: admin,
                adapter: oracle,
            }
            .abi_encode(),
        )
        .await
        .expect("expiry oracle");
        programs.push(implementation);
        let calls: Vec<Vec<u8>> = vec![
            IOracleAdapter::setExpiryOracleCall {
                oracle: expiry_oracle,
            }
            .abi_encode(),
            IOracleAdapter::setFeedCall {
                asset: weth,
                index: U256::ZERO,
                feed,
                decimals: 8,
                maxAge: U256::from(86_400),
                minAnswer: feed_answer(1),
                maxAnswer: feed_answer(1_000_000),
            }
            .abi_encode(),
            IOracleAdapter::configureAssetCall {
                asset: weth,
                feedCount: U256::from(1),
                quorum: U256::from(1),
                maxDeviation: U256::from(10u64).pow(U256::from(16)),
                // The circuit breaker: new mints stop after a round moved more than 20%.
                maxRoundMove: U256::from(200_000_000_000_000_000u64),
            }
            .abi_encode(),
        ];
        for call in calls {
            crate::governance::send_raw(&d, oracle, call)
                .await
                .expect("oracle configured");
        }
        let (escrow, implementation) = proxied(&d, "collateral-escrow", vec![])
            .await
            .expect("escrow");
        programs.push(implementation);
        let factory = deploy_factory(&d, admin, escrow).await.expect("factory");
        programs.extend([factory.implementation, factory.token_implementation]);
        let (engine, implementation) = proxied(&d, "margin-engine", vec![]).await.expect("engine");
        programs.push(implementation);
        // The proxies share one code hash: pinning one pins them all.
        programs.push(engine);
        send(
            &d,
            escrow,
            E::initializeCall {
                registry,
                oracle,
                factory: factory.proxy,
                engine,
            },
        )
        .await
        .expect("escrow initialised");
        send(
            &d,
            engine,
            M::initializeCall {
                escrow,
                expiryOracle: expiry_oracle,
            },
        )
        .await
        .expect("engine initialised");
        let c = Self {
            admin: d,
            escrow,
            engine,
            registry,
            oracle,
            expiry_oracle,
            factory,
            feed,
            weth,
            usdc,
            programs,
        };
        c.configure(c.usdc, self::usdc(10_000_000), self::usdc(100))
            .await;
        c.configure(weth, e18(10_000), e18(1) / U256::from(10))
            .await;
        send(
            &c.admin,
            registry,
            R::setRiskParametersCall {
                underlying: weth,
                shock: U256::from(SHOCK),
                maxTimes: vec![7 * 86_400, 90 * 86_400],
                upperBounds: vec![e18(1) / U256::from(10), e18(1) / U256::from(5)],
            },
        )
        .await
        .expect("risk parameters");
        for (collateral, is_put) in [(weth, false), (usdc, true)] {
            send(
                &c.admin,
                c.factory.proxy,
                F::allowProductCall {
                    underlying: weth,
                    strikeAsset: usdc,
                    collateral,
                    isPut: is_put,
                },
            )
            .await
            .expect("product allowed");
        }
        c
    }

    /// Allows `asset` as collateral with a naked cap and dust floor (raw units).
    pub async fn configure(&self, asset: Address, cap: U256, dust: U256) {
        send(
            &self.admin,
            self.registry,
            R::configureCollateralCall {
                asset,
                nakedCap: cap,
                dustFloor: dust,
            },
        )
        .await
        .expect("collateral configured");
    }

    /// Creates (or finds) the WETH/USDC series; returns its token.
    pub async fn series(&self, is_put: bool, strike: u64, expiry: u64) -> Address {
        let call = F::createSeriesCall {
            underlying: self.weth,
            strikeAsset: self.usdc,
            collateral: if is_put { self.usdc } else { self.weth },
            isPut: is_put,
            strikePrice: e18(strike),
            expiry,
        };
        let token = self
            .admin
            .view(self.factory.proxy, call.clone())
            .await
            .expect("series predicted");
        send(&self.admin, self.factory.proxy, call)
            .await
            .expect("createSeries");
        token
    }

    /// Mints `amount` of ERC-20 `asset` to `to` and approves the escrow for it.
    pub async fn fund(&self, who: &Deployer, asset: Address, amount: U256) {
        send(
            &self.admin,
            asset,
            IFixtures::mintCall {
                to: who.from(),
                amount,
            },
        )
        .await
        .expect("mint");
        send(
            who,
            asset,
            IERC20::approveCall {
                spender: self.escrow,
                value: U256::MAX,
            },
        )
        .await
        .expect("approve");
    }

    /// `operate` from `who` on its own vault.
    pub async fn operate(
        &self,
        who: &Deployer,
        vault_id: u64,
        actions: &[(u8, Address, Address, U256)],
    ) -> Result<TransactionReceipt, DeployError> {
        send(
            who,
            self.escrow,
            E::operateCall {
                owner: who.from(),
                vaultId: U256::from(vault_id),
                actions: actions
                    .iter()
                    .map(|&(kind, asset, account, amount)| Action {
                        kind,
                        asset,
                        account,
                        amount,
                    })
                    .collect(),
            },
        )
        .await
    }

    /// Opens vault `vault_id` of `who` (`vault_type`), deposits `deposit` of `collateral` and
    /// mints `amount` of `option` to `to`, in one batch.
    #[allow(clippy::too_many_arguments)]
    pub async fn write(
        &self,
        who: &Deployer,
        vault_id: u64,
        vault_type: u8,
        collateral: Address,
        deposit: U256,
        option: Address,
        amount: U256,
        to: Address,
    ) -> Result<TransactionReceipt, DeployError> {
        self.operate(
            who,
            vault_id,
            &[
                (
                    ACTION_OPEN,
                    Address::ZERO,
                    Address::ZERO,
                    U256::from(vault_type),
                ),
                (
                    ACTION_DEPOSIT_COLLATERAL,
                    collateral,
                    Address::ZERO,
                    deposit,
                ),
                (ACTION_MINT_SHORT, option, to, amount),
            ],
        )
        .await
    }

    /// A new WETH/USD round at `dollars`, observed now.
    pub async fn set_spot(&self, dollars: u64) {
        send(
            &self.admin,
            self.feed,
            IMockAggregator::updateAnswerCall {
                answer: feed_answer(dollars),
            },
        )
        .await
        .expect("round pushed");
    }

    /// Moves past `expiry`, proves the first round after it at `dollars` and waits out the
    /// dispute period: the expiry price is final.
    pub async fn settle_price(&self, expiry: u64, dollars: u64) {
        let wait = expiry.saturating_sub(now(&self.admin).await) + 60;
        advance(&self.admin, wait).await;
        self.set_spot(dollars).await;
        let round = self
            .admin
            .view(self.feed, IMockAggregator::latestRoundDataCall {})
            .await
            .expect("latest round")
            .roundId;
        send(
            &self.admin,
            self.expiry_oracle,
            IExpiryOracle::setExpiryPriceCall {
                asset: self.weth,
                expiry: U256::from(expiry),
                roundId: round,
            },
        )
        .await
        .expect("expiry price proved");
        advance(&self.admin, abi::oracle::DEFAULT_DISPUTE_PERIOD + 60).await;
    }

    pub async fn balance(&self, asset: Address, who: Address) -> U256 {
        self.admin
            .view(asset, IERC20::balanceOfCall { account: who })
            .await
            .expect("balanceOf")
    }

    pub async fn vault(&self, owner: Address, id: u64) -> E::getVaultReturn {
        self.admin
            .view(
                self.escrow,
                E::getVaultCall {
                    owner,
                    vaultId: U256::from(id),
                },
            )
            .await
            .expect("getVault")
    }

    /// Refreshes the feed so that prices stay younger than its max age after a time jump.
    pub async fn keep_fresh(&self) {
        let answer = self
            .admin
            .view(self.feed, IMockAggregator::latestRoundDataCall {})
            .await
            .expect("latest round")
            .answer;
        send(
            &self.admin,
            self.feed,
            IMockAggregator::updateAnswerCall { answer },
        )
        .await
        .expect("round pushed");
    }
}

impl Clearinghouse {
    /// `liquidate` from `who`, sending the collateral to `who`.
    pub async fn liquidate(
        &self,
        who: &Deployer,
        owner: Address,
        vault_id: u64,
        amount: U256,
    ) -> Result<TransactionReceipt, DeployError> {
        let call = M::liquidateCall {
            owner,
            vaultId: U256::from(vault_id),
            amount,
            to: who.from(),
        };
        send(who, self.engine, call).await
    }

    /// `redeem` from `who` of `amount` of `option`, paid to `who`.
    pub async fn redeem(
        &self,
        who: &Deployer,
        option: Address,
        amount: U256,
    ) -> Result<TransactionReceipt, DeployError> {
        let call = M::redeemCall {
            option,
            amount,
            to: who.from(),
        };
        send(who, self.engine, call).await
    }

    /// `settleVault` of `who`'s own vault, paid to `who`.
    pub async fn settle(
        &self,
        who: &Deployer,
        vault_id: u64,
    ) -> Result<TransactionReceipt, DeployError> {
        let call = M::settleVaultCall {
            owner: who.from(),
            vaultId: U256::from(vault_id),
            to: who.from(),
        };
        send(who, self.engine, call).await
    }

    /// `(requirement, excess, shortfall)` of a vault now.
    pub async fn health(
        &self,
        owner: Address,
        vault_id: u64,
    ) -> Result<M::getVaultHealthReturn, DeployError> {
        let call = M::getVaultHealthCall {
            owner,
            vaultId: U256::from(vault_id),
        };
        self.admin.view(self.engine, call).await
    }

    /// Installs a Chainlink-style sequencer uptime feed on the oracle adapter, reporting the
    /// sequencer up since a day ago; returns the feed (drive it with [`crate::oracle::push_round`]).
    pub async fn install_sequencer_feed(&self) -> Address {
        let feed = crate::oracle::deploy_feed(&self.admin, 0)
            .await
            .expect("sequencer feed");
        let t = now(&self.admin).await;
        crate::oracle::push_round(&self.admin, feed, I256::ZERO, t - 86_400)
            .await
            .expect("sequencer up");
        send(
            &self.admin,
            self.oracle,
            IOracleAdapter::setSequencerFeedCall { feed },
        )
        .await
        .expect("sequencer feed installed");
        feed
    }
}

/// The events of type `T` a receipt carries.
pub fn events<T: alloy::sol_types::SolEvent>(receipt: &TransactionReceipt) -> Vec<T> {
    receipt
        .inner
        .logs()
        .iter()
        .filter_map(|l| T::decode_log_data(l.data()).ok())
        .collect()
}

/// A small deterministic generator (xorshift64*) for the stateful devnet property test: the
/// seed is printed, so a failing sequence replays exactly.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform enough in `lo..hi` for test inputs.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }
}

/// The expiry `days` days (at 08:00 UTC) after `now`.
pub fn expiry_after(now: u64, days: u64) -> u64 {
    let day = now / 86_400 + days;
    day * 86_400 + 28_800
}
