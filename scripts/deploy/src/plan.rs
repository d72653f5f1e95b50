//! The protocol's deployment as data: an ordered list of steps, each a contract build deployed
//! as a program, an ERC-1967 proxy in front of one, or a call (initialisation, role wiring).
//! The runner ([`crate::run`]) executes the steps not yet recorded; the CLI, the tests and the
//! keeper read addresses back by step name.
//!
//! Names: implementations are `impl:<crate>` (`impl:option-factory`), proxies carry their role
//! (`factory`, `registry`, `oracle`, `expiry-oracle`, `escrow`, `engine`): the role's address
//! is the one users call.
//!
//! The escrow needs the factory's and the margin engine's address, and they need the escrow's
//! (the engine even reads the registry, oracle and factory from the initialised escrow). The
//! StylusDeployer binds the init call into a CREATE2 salt, so no address can be predicted from
//! the other: the escrow's and the engine's proxies are created without an init call, the
//! factory's proxy is initialised with the escrow's address, then `escrow:initialize` and
//! `engine:initialize` follow as their own transactions. Each checks its outcome on chain
//! (`registry()`, `escrow()` equal ours), so a front-run initialisation is caught, not trusted.

use crate::network::{Network, Token, Underlying};
use crate::record::Record;
use abi::escrow::{ICollateralEscrow, IEscrowRegistry, IMarginEngine};
use abi::governance::IGovernance;
use abi::option_factory::IOptionFactory;
use abi::oracle::{IExpiryOracle, IMockAggregator, IOracleAdapter};
use abi::proxy::IUpgradeableProxy;
use alloy::primitives::{keccak256, Address, Bytes, B256, I256, U256};
use alloy::sol_types::{SolCall, SolValue};

/// What a step's arguments are computed from.
pub struct Ctx<'a> {
    pub network: &'a Network,
    /// The account sending the deployment.
    pub deployer: Address,
    pub record: &'a Record,
    /// Timestamp of the latest block when the run started.
    pub now: u64,
    /// The step being encoded: a market step's name says which token or product it configures.
    pub step: &'a str,
}

impl Ctx<'_> {
    /// Address of an earlier step.
    pub fn addr(&self, step: &str) -> Result<Address, PlanError> {
        self.record
            .address(step)
            .ok_or_else(|| PlanError::Missing(step.to_string()))
    }

    /// The governance contract (admin of everything once wired).
    pub fn governance(&self) -> Result<Address, PlanError> {
        self.addr(GOVERNANCE)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("step `{0}` has not run yet: the plan's order is wrong")]
    Missing(String),
    #[error("{0}")]
    Config(String),
}

/// Encodes a step's arguments.
pub type Encode = fn(&Ctx) -> Result<Bytes, PlanError>;

/// View calls on a call step's target and the words they return once the step is done. Every
/// one must hold: an `initialize` front-run with one right address and another wrong one must not
/// pass for ours (the resent `initialize` then reverts and the run stops).
pub type Done = fn(&Ctx) -> Result<Vec<(Bytes, B256)>, PlanError>;

pub enum Action {
    /// CREATE with the Stylus prelude, then activation (no constructor).
    Program { package: &'static str },
    /// Through the StylusDeployer, running `#[constructor]` with these ABI-encoded arguments.
    Constructor { package: &'static str, args: Encode },
    /// An ERC-1967 proxy in front of step `implementation`, admin governance, running `init`
    /// (calldata of the implementation's `initialize`; empty: none) in its constructor.
    Proxy {
        implementation: &'static str,
        init: Encode,
    },
    /// EVM init code (hex, as solc writes it) followed by ABI-encoded constructor arguments:
    /// the local network's mock tokens.
    Evm { bin: &'static str, args: Encode },
    /// A transaction to step `target`. `done`, when given, tells from the chain whether it has
    /// already taken effect (a run interrupted between sending and recording).
    Call {
        target: &'static str,
        data: Encode,
        done: Option<Done>,
    },
}

pub struct Entry {
    pub name: String,
    pub action: Action,
}

impl Entry {
    /// The contract crate this step deploys.
    pub fn package(&self) -> Option<&'static str> {
        match self.action {
            Action::Program { package } | Action::Constructor { package, .. } => Some(package),
            Action::Proxy { .. } => Some(PROXY_PACKAGE),
            Action::Evm { .. } | Action::Call { .. } => None,
        }
    }
}

pub const GOVERNANCE: &str = "governance";
pub const PROXY_PACKAGE: &str = "upgradeable-proxy";
/// Mock Chainlink feeds deployed on networks with `mock-feeds`.
pub const MOCK_ETH_USD: &str = "mock-feed:ETH/USD";
pub const MOCK_SEQUENCER: &str = "mock-feed:sequencer";
/// Mock collateral tokens on networks with `mock-feeds`.
pub const MOCK_WETH: &str = "mock-token:WETH";
pub const MOCK_USDC: &str = "mock-token:USDC";
/// Init code of the mock ERC-20 (`fixtures/MockERC20.sol`, compiled by `fixtures/compile.js`).
pub const MOCK_ERC20_BIN: &str = include_str!("../fixtures/MockERC20.bin");
/// Decimals of the mock feeds (Chainlink's USD feeds have 8).
pub const MOCK_FEED_DECIMALS: u8 = 8;
/// The mock ETH/USD answer (8 decimals): 2,000 USD.
pub const MOCK_ETH_USD_ANSWER: i64 = 2_000 * 100_000_000;

/// Proxies and the implementation step behind each: what `upgrade <proxy>` replaces.
pub const PROXIES: &[(&str, &str)] = &[
    ("registry", "impl:escrow-registry"),
    ("oracle", "impl:oracle-adapter"),
    ("expiry-oracle", "impl:expiry-oracle"),
    ("escrow", "impl:collateral-escrow"),
    ("engine", "impl:margin-engine"),
    ("factory", "impl:option-factory"),
];

/// The implementation step behind proxy `name`.
pub fn implementation_of(name: &str) -> Option<&'static str> {
    PROXIES.iter().find(|(p, _)| *p == name).map(|(_, i)| *i)
}

/// The whole protocol for `network`, in order.
pub fn protocol(network: &Network) -> Vec<Entry> {
    let mut plan = vec![Entry {
        name: GOVERNANCE.into(),
        action: Action::Constructor {
            package: "governance",
            args: governance_args,
        },
    }];
    if network.mock_feeds {
        plan.extend(mock_feed(
            [
                MOCK_ETH_USD,
                "mock-feed:ETH/USD:initialize",
                "mock-feed:ETH/USD:round",
            ],
            |_| Ok(mock_init(MOCK_FEED_DECIMALS, "ETH / USD")),
            |c| push_round(MOCK_ETH_USD_ANSWER, c.now, c.now),
        ));
        // The oracle's circuit breaker compares the latest round with the one before it.
        plan.push(call("mock-feed:ETH/USD:round-2", MOCK_ETH_USD, |c| {
            push_round(MOCK_ETH_USD_ANSWER, c.now, c.now)
        }));
        plan.extend(mock_feed(
            [
                MOCK_SEQUENCER,
                "mock-feed:sequencer:initialize",
                "mock-feed:sequencer:round",
            ],
            |_| Ok(mock_init(0, "L2 Sequencer Uptime Status Feed")),
            // Up (answer 0) since a day before the run: past any grace period.
            |c| push_round(0, c.now.saturating_sub(86_400), c.now),
        ));
    }
    if network.mock_feeds {
        plan.extend(
            network
                .tokens
                .iter()
                .filter(|t| t.address.is_none())
                .map(|t| mock_token(mock_token_step(&t.symbol), mock_token_args)),
        );
    }
    plan.extend([
        program("impl:option-token", "option-token"),
        locked("impl:option-factory", "option-factory"),
        program("impl:escrow-registry", "escrow-registry"),
        Entry {
            name: "registry".into(),
            action: Action::Proxy {
                implementation: "impl:escrow-registry",
                init: |c| {
                    Ok(IEscrowRegistry::initializeCall {
                        admin: c.deployer,
                        guardian: c.network.governance.guardian.resolve(c.deployer),
                    }
                    .abi_encode()
                    .into())
                },
            },
        },
        locked("impl:oracle-adapter", "oracle-adapter"),
        Entry {
            name: "oracle".into(),
            action: Action::Proxy {
                implementation: "impl:oracle-adapter",
                init: |c| {
                    Ok(IOracleAdapter::initializeCall {
                        admin: c.deployer,
                        sequencerFeed: sequencer_feed(c)?,
                    }
                    .abi_encode()
                    .into())
                },
            },
        },
        locked("impl:expiry-oracle", "expiry-oracle"),
        Entry {
            name: "expiry-oracle".into(),
            action: Action::Proxy {
                implementation: "impl:expiry-oracle",
                init: |c| {
                    Ok(IExpiryOracle::initializeCall {
                        admin: c.deployer,
                        disputer: c.network.governance.guardian.resolve(c.deployer),
                        adapter: c.addr("oracle")?,
                    }
                    .abi_encode()
                    .into())
                },
            },
        },
        locked("impl:collateral-escrow", "collateral-escrow"),
        Entry {
            name: "escrow".into(),
            action: Action::Proxy {
                implementation: "impl:collateral-escrow",
                init: |_| Ok(Bytes::new()),
            },
        },
        locked("impl:margin-engine", "margin-engine"),
        Entry {
            name: "engine".into(),
            action: Action::Proxy {
                implementation: "impl:margin-engine",
                init: |_| Ok(Bytes::new()),
            },
        },
        Entry {
            name: "factory".into(),
            action: Action::Proxy {
                implementation: "impl:option-factory",
                init: |c| {
                    Ok(IOptionFactory::initializeCall {
                        admin: c.deployer,
                        implementation: c.addr("impl:option-token")?,
                        escrow: c.addr("escrow")?,
                    }
                    .abi_encode()
                    .into())
                },
            },
        },
        Entry {
            name: "escrow:initialize".into(),
            action: Action::Call {
                target: "escrow",
                data: |c| {
                    Ok(ICollateralEscrow::initializeCall {
                        registry: c.addr("registry")?,
                        oracle: c.addr("oracle")?,
                        factory: c.addr("factory")?,
                        engine: c.addr("engine")?,
                    }
                    .abi_encode()
                    .into())
                },
                done: Some(|c| {
                    Ok(vec![
                        (
                            ICollateralEscrow::registryCall {}.abi_encode().into(),
                            c.addr("registry")?.into_word(),
                        ),
                        (
                            ICollateralEscrow::oracleCall {}.abi_encode().into(),
                            c.addr("oracle")?.into_word(),
                        ),
                        (
                            ICollateralEscrow::factoryCall {}.abi_encode().into(),
                            c.addr("factory")?.into_word(),
                        ),
                        (
                            ICollateralEscrow::engineCall {}.abi_encode().into(),
                            c.addr("engine")?.into_word(),
                        ),
                    ])
                }),
            },
        },
        // The engine reads the registry, the oracle and the factory from the escrow.
        Entry {
            name: "engine:initialize".into(),
            action: Action::Call {
                target: "engine",
                data: |c| {
                    Ok(IMarginEngine::initializeCall {
                        escrow: c.addr("escrow")?,
                        expiryOracle: c.addr("expiry-oracle")?,
                    }
                    .abi_encode()
                    .into())
                },
                done: Some(|c| {
                    Ok(vec![
                        (
                            IMarginEngine::escrowCall {}.abi_encode().into(),
                            c.addr("escrow")?.into_word(),
                        ),
                        (
                            IMarginEngine::expiryOracleCall {}.abi_encode().into(),
                            c.addr("expiry-oracle")?.into_word(),
                        ),
                    ])
                }),
            },
        },
        Entry {
            name: "oracle:expiry-oracle".into(),
            action: Action::Call {
                target: "oracle",
                data: |c| {
                    Ok(IOracleAdapter::setExpiryOracleCall {
                        oracle: c.addr("expiry-oracle")?,
                    }
                    .abi_encode()
                    .into())
                },
                done: Some(|c| {
                    Ok(vec![(
                        IOracleAdapter::expiryOracleCall {}.abi_encode().into(),
                        c.addr("expiry-oracle")?.into_word(),
                    )])
                }),
            },
        },
    ]);
    plan.extend(markets(network));
    plan.extend([
        // Governance becomes the admin of every parameter (proxies have it from their creation).
        wire_admin("wire:factory-admin", "factory", |c| {
            Ok(IOptionFactory::setAdminCall {
                newAdmin: c.governance()?,
            }
            .abi_encode()
            .into())
        }),
        wire_admin("wire:registry-admin", "registry", |c| {
            Ok(IEscrowRegistry::setAdminCall {
                newAdmin: c.governance()?,
            }
            .abi_encode()
            .into())
        }),
        wire_admin("wire:oracle-admin", "oracle", |c| {
            Ok(IOracleAdapter::setAdminCall {
                newAdmin: c.governance()?,
            }
            .abi_encode()
            .into())
        }),
        wire_admin("wire:expiry-oracle-admin", "expiry-oracle", |c| {
            Ok(IExpiryOracle::setAdminCall {
                newAdmin: c.governance()?,
            }
            .abi_encode()
            .into())
        }),
    ]);
    plan
}

/// An implementation whose `#[constructor]` locks it against `initialize`: only its proxies
/// can be initialised.
fn locked(name: &'static str, package: &'static str) -> Entry {
    Entry {
        name: name.into(),
        action: Action::Constructor {
            package,
            args: |_| Ok(Bytes::new()),
        },
    }
}

fn program(name: &'static str, package: &'static str) -> Entry {
    Entry {
        name: name.into(),
        action: Action::Program { package },
    }
}

/// Hands `target`'s `admin()` to governance; done once `admin()` says so.
fn wire_admin(name: &'static str, target: &'static str, data: Encode) -> Entry {
    Entry {
        name: name.into(),
        action: Action::Call {
            target,
            data,
            // `admin()` has the same selector on the factory, the registry and the oracle.
            done: Some(|c| {
                Ok(vec![(
                    IOptionFactory::adminCall {}.abi_encode().into(),
                    c.governance()?.into_word(),
                )])
            }),
        },
    }
}

/// A mock aggregator (owned by the deployer): the program, `initialize`, a first round.
fn mock_feed(names: [&'static str; 3], init: Encode, first_round: Encode) -> [Entry; 3] {
    [
        Entry {
            name: names[0].into(),
            action: Action::Program {
                package: "mock-aggregator",
            },
        },
        Entry {
            name: names[1].into(),
            action: Action::Call {
                target: names[0],
                data: init,
                done: None,
            },
        },
        Entry {
            name: names[2].into(),
            action: Action::Call {
                target: names[0],
                data: first_round,
                done: None,
            },
        },
    ]
}

/// A mock ERC-20 (public faucet `mint`), constructed with `(name, symbol, decimals)`.
fn mock_token(name: String, args: Encode) -> Entry {
    Entry {
        name,
        action: Action::Evm {
            bin: MOCK_ERC20_BIN,
            args,
        },
    }
}

fn call(name: impl Into<String>, target: &'static str, data: Encode) -> Entry {
    Entry {
        name: name.into(),
        action: Action::Call {
            target,
            data,
            done: None,
        },
    }
}

fn encoded(call: impl SolCall) -> Result<Bytes, PlanError> {
    Ok(call.abi_encode().into())
}

/// The network's markets: each underlying's feed and oracle configuration, each token as
/// collateral, each underlying's risk table, each product. A step's name carries the symbol (or
/// the product) its arguments are read from.
fn markets(network: &Network) -> Vec<Entry> {
    let mut steps = Vec::new();
    for u in &network.underlyings {
        steps.push(call(format!("oracle:feed:{}", u.symbol), "oracle", |c| {
            let u = underlying(c)?;
            encoded(IOracleAdapter::setFeedCall {
                asset: token_address(c, &u.symbol)?,
                index: U256::ZERO,
                feed: feed_address(c, &u.feed)?,
                decimals: feed_decimals(c, &u.feed),
                maxAge: U256::from(u.max_age),
                minAnswer: u.min_answer,
                maxAnswer: u.max_answer,
            })
        }));
        steps.push(call(format!("oracle:asset:{}", u.symbol), "oracle", |c| {
            let u = underlying(c)?;
            encoded(IOracleAdapter::configureAssetCall {
                asset: token_address(c, &u.symbol)?,
                feedCount: U256::from(1),
                quorum: U256::from(1),
                maxDeviation: u.max_deviation,
                maxRoundMove: u.max_round_move,
            })
        }));
    }
    for t in &network.tokens {
        steps.push(call(
            format!("registry:collateral:{}", t.symbol),
            "registry",
            |c| {
                let t = token(c, step_symbol(c))?;
                encoded(IEscrowRegistry::configureCollateralCall {
                    asset: token_address(c, &t.symbol)?,
                    nakedCap: t.naked_cap,
                    dustFloor: t.dust_floor,
                })
            },
        ));
    }
    for u in &network.underlyings {
        steps.push(call(
            format!("registry:risk:{}", u.symbol),
            "registry",
            |c| {
                let u = underlying(c)?;
                encoded(IEscrowRegistry::setRiskParametersCall {
                    underlying: token_address(c, &u.symbol)?,
                    shock: u.shock,
                    maxTimes: u.max_times.clone(),
                    upperBounds: u.upper_bounds.clone(),
                })
            },
        ));
    }
    for p in &network.products {
        steps.push(call(p.step(), "factory", |c| {
            let p = c
                .network
                .products
                .iter()
                .find(|p| p.step() == c.step)
                .ok_or_else(|| PlanError::Config(format!("no product for step {}", c.step)))?;
            encoded(IOptionFactory::allowProductCall {
                underlying: token_address(c, &p.underlying)?,
                strikeAsset: token_address(c, &p.strike)?,
                collateral: token_address(c, &p.collateral)?,
                isPut: p.put,
            })
        }));
    }
    steps
}

/// The symbol at the end of a market step's name (`registry:collateral:WETH`).
fn step_symbol<'a>(c: &Ctx<'a>) -> &'a str {
    c.step.rsplit(':').next().unwrap_or_default()
}

fn token<'a>(c: &Ctx<'a>, symbol: &str) -> Result<&'a Token, PlanError> {
    c.network
        .token(symbol)
        .ok_or_else(|| PlanError::Config(format!("no token {symbol} in networks.toml")))
}

fn underlying<'a>(c: &Ctx<'a>) -> Result<&'a Underlying, PlanError> {
    let symbol = step_symbol(c);
    c.network
        .underlying(symbol)
        .ok_or_else(|| PlanError::Config(format!("no underlying {symbol} in networks.toml")))
}

/// A token's configured address, or the mock deployed for it.
fn token_address(c: &Ctx, symbol: &str) -> Result<Address, PlanError> {
    match token(c, symbol)?.address {
        Some(address) => Ok(address),
        None => c.addr(&mock_token_step(symbol)),
    }
}

/// The Chainlink proxy of `pair`, or the mock feed on mock networks.
fn feed_address(c: &Ctx, pair: &str) -> Result<Address, PlanError> {
    if c.network.mock_feeds {
        return c.addr(&format!("mock-feed:{pair}"));
    }
    c.network
        .feeds
        .get(pair)
        .map(|f| f.proxy)
        .ok_or_else(|| PlanError::Config(format!("feed {pair} is not in feeds.json")))
}

fn feed_decimals(c: &Ctx, pair: &str) -> u8 {
    match c.network.feeds.get(pair) {
        Some(feed) if !c.network.mock_feeds => feed.decimals,
        _ => MOCK_FEED_DECIMALS,
    }
}

/// The step deploying the mock of token `symbol`.
pub fn mock_token_step(symbol: &str) -> String {
    format!("mock-token:{symbol}")
}

fn mock_token_args(c: &Ctx) -> Result<Bytes, PlanError> {
    let t = token(c, step_symbol(c))?;
    Ok((t.name.clone(), t.symbol.clone(), U256::from(t.decimals))
        .abi_encode_params()
        .into())
}

fn mock_init(decimals: u8, description: &str) -> Bytes {
    IMockAggregator::initializeCall {
        decimals,
        description: description.to_string(),
    }
    .abi_encode()
    .into()
}

fn push_round(answer: i64, started_at: u64, updated_at: u64) -> Result<Bytes, PlanError> {
    Ok(IMockAggregator::pushRoundCall {
        answer: I256::try_from(answer).map_err(|e| PlanError::Config(e.to_string()))?,
        startedAt: U256::from(started_at),
        updatedAt: U256::from(updated_at),
    }
    .abi_encode()
    .into())
}

fn sequencer_feed(c: &Ctx) -> Result<Address, PlanError> {
    if c.network.mock_feeds {
        return c.addr(MOCK_SEQUENCER);
    }
    // Arbitrum Sepolia has no uptime feed: zero disables the check.
    Ok(c.network.sequencer_feed.unwrap_or(Address::ZERO))
}

fn governance_args(c: &Ctx) -> Result<Bytes, PlanError> {
    let g = &c.network.governance;
    let guardian = g.guardian.resolve(c.deployer);
    if g.signers.len() < g.threshold as usize || guardian.is_zero() {
        return Err(PlanError::Config(format!(
            "network `{}`: set governance.signers (at least {}) and governance.guardian in \
             deployments/networks.toml",
            c.network.name, g.threshold
        )));
    }
    Ok((
        g.signer_addresses(c.deployer),
        U256::from(g.threshold),
        U256::from(g.delay),
        guardian,
    )
        .abi_encode_params()
        .into())
}

/// Calldata of a Stylus `#[constructor]` with ABI-encoded `args`.
pub fn constructor_call(args: &[u8]) -> Bytes {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(args);
    data.into()
}

/// `upgradeToAndCall(implementation, "")` on a proxy: what governance executes for an upgrade.
pub fn upgrade_call(implementation: Address) -> Bytes {
    IUpgradeableProxy::upgradeToAndCallCall {
        newImplementation: implementation,
        data: Bytes::new(),
    }
    .abi_encode()
    .into()
}

/// `propose(proxy, 0, upgradeToAndCall(...), eta)`.
pub fn propose_call(target: Address, data: Bytes, eta: u64) -> Bytes {
    IGovernance::proposeCall {
        target,
        value: U256::ZERO,
        data,
        eta: U256::from(eta),
    }
    .abi_encode()
    .into()
}
