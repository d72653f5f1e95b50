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

use crate::network::Network;
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
    pub name: &'static str,
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
        name: GOVERNANCE,
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
            |_| Ok(mock_init(8, "ETH / USD")),
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
        plan.extend([
            mock_token(MOCK_WETH, |_| {
                Ok(("Wrapped Ether", "WETH", U256::from(18))
                    .abi_encode_params()
                    .into())
            }),
            mock_token(MOCK_USDC, |_| {
                Ok(("USD Coin", "USDC", U256::from(6))
                    .abi_encode_params()
                    .into())
            }),
        ]);
    }
    plan.extend([
        program("impl:option-token", "option-token"),
        locked("impl:option-factory", "option-factory"),
        program("impl:escrow-registry", "escrow-registry"),
        Entry {
            name: "registry",
            action: Action::Proxy {
                implementation: "impl:escrow-registry",
                init: |c| {
                    Ok(IEscrowRegistry::initializeCall {
                        admin: c.deployer,
                        guardian: c.network.governance.guardian,
                    }
                    .abi_encode()
                    .into())
                },
            },
        },
        locked("impl:oracle-adapter", "oracle-adapter"),
        Entry {
            name: "oracle",
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
            name: "expiry-oracle",
            action: Action::Proxy {
                implementation: "impl:expiry-oracle",
                init: |c| {
                    Ok(IExpiryOracle::initializeCall {
                        admin: c.deployer,
                        disputer: c.network.governance.guardian,
                        adapter: c.addr("oracle")?,
                    }
                    .abi_encode()
                    .into())
                },
            },
        },
        locked("impl:collateral-escrow", "collateral-escrow"),
        Entry {
            name: "escrow",
            action: Action::Proxy {
                implementation: "impl:collateral-escrow",
                init: |_| Ok(Bytes::new()),
            },
        },
        locked("impl:margin-engine", "margin-engine"),
        Entry {
            name: "engine",
            action: Action::Proxy {
                implementation: "impl:margin-engine",
                init: |_| Ok(Bytes::new()),
            },
        },
        Entry {
            name: "factory",
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
            name: "escrow:initialize",
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
            name: "engine:initialize",
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
            name: "oracle:expiry-oracle",
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
    if network.mock_feeds {
        plan.extend(local_markets());
    }
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
        name,
        action: Action::Constructor {
            package,
            args: |_| Ok(Bytes::new()),
        },
    }
}

fn program(name: &'static str, package: &'static str) -> Entry {
    Entry {
        name,
        action: Action::Program { package },
    }
}

/// Hands `target`'s `admin()` to governance; done once `admin()` says so.
fn wire_admin(name: &'static str, target: &'static str, data: Encode) -> Entry {
    Entry {
        name,
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
            name: names[0],
            action: Action::Program {
                package: "mock-aggregator",
            },
        },
        Entry {
            name: names[1],
            action: Action::Call {
                target: names[0],
                data: init,
                done: None,
            },
        },
        Entry {
            name: names[2],
            action: Action::Call {
                target: names[0],
                data: first_round,
                done: None,
            },
        },
    ]
}

/// A mock ERC-20 (public faucet `mint`), constructed with `(name, symbol, decimals)`.
fn mock_token(name: &'static str, args: Encode) -> Entry {
    Entry {
        name,
        action: Action::Evm {
            bin: MOCK_ERC20_BIN,
            args,
        },
    }
}

fn call(name: &'static str, target: &'static str, data: Encode) -> Entry {
    Entry {
        name,
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

/// WETH with the mock ETH/USD feed; WETH and USDC as collateral; the WETH/USDC covered call
/// (WETH collateral) and cash-secured put (USDC collateral) as products.
fn local_markets() -> Vec<Entry> {
    const E18: u128 = 1_000_000_000_000_000_000;
    vec![
        call("oracle:feed:WETH", "oracle", |c| {
            encoded(IOracleAdapter::setFeedCall {
                asset: c.addr(MOCK_WETH)?,
                index: U256::ZERO,
                feed: c.addr(MOCK_ETH_USD)?,
                decimals: 8,
                maxAge: U256::from(86_400u64),
                minAnswer: I256::ONE,
                // 1,000,000 USD at 8 decimals.
                maxAnswer: I256::try_from(100_000_000_000_000i64)
                    .map_err(|e| PlanError::Config(e.to_string()))?,
            })
        }),
        call("oracle:asset:WETH", "oracle", |c| {
            encoded(IOracleAdapter::configureAssetCall {
                asset: c.addr(MOCK_WETH)?,
                feedCount: U256::from(1),
                quorum: U256::from(1),
                maxDeviation: U256::from(E18 / 50),
                // The largest move the circuit breaker allows: the demo crashes the price.
                maxRoundMove: U256::from(E18 / 2),
            })
        }),
        call("registry:collateral:WETH", "registry", |c| {
            encoded(IEscrowRegistry::configureCollateralCall {
                asset: c.addr(MOCK_WETH)?,
                nakedCap: U256::from(1_000_000u128 * E18),
                dustFloor: U256::from(E18 / 100),
            })
        }),
        call("registry:collateral:USDC", "registry", |c| {
            encoded(IEscrowRegistry::configureCollateralCall {
                asset: c.addr(MOCK_USDC)?,
                nakedCap: U256::from(1_000_000_000_000_000u128),
                dustFloor: U256::from(10_000_000u64),
            })
        }),
        call("registry:risk:WETH", "registry", |c| {
            encoded(IEscrowRegistry::setRiskParametersCall {
                underlying: c.addr(MOCK_WETH)?,
                shock: U256::from(E18 * 7 / 10),
                maxTimes: vec![7 * 86_400, 30 * 86_400, 90 * 86_400, 730 * 86_400],
                upperBounds: [10u128, 20, 30, 50]
                    .iter()
                    .map(|p| U256::from(E18 * p / 100))
                    .collect(),
            })
        }),
        call("factory:product:WETH-call", "factory", |c| {
            encoded(IOptionFactory::allowProductCall {
                underlying: c.addr(MOCK_WETH)?,
                strikeAsset: c.addr(MOCK_USDC)?,
                collateral: c.addr(MOCK_WETH)?,
                isPut: false,
            })
        }),
        call("factory:product:WETH-put", "factory", |c| {
            encoded(IOptionFactory::allowProductCall {
                underlying: c.addr(MOCK_WETH)?,
                strikeAsset: c.addr(MOCK_USDC)?,
                collateral: c.addr(MOCK_USDC)?,
                isPut: true,
            })
        }),
    ]
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
    if g.signers.len() < g.threshold as usize || g.guardian.is_zero() {
        return Err(PlanError::Config(format!(
            "network `{}`: set governance.signers (at least {}) and governance.guardian in \
             deployments/networks.toml",
            c.network.name, g.threshold
        )));
    }
    Ok((
        g.signers.clone(),
        U256::from(g.threshold),
        U256::from(g.delay),
        g.guardian,
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
