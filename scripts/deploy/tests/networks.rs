//! The plans built for Arbitrum Sepolia and Arbitrum One, encoded step by step without a chain:
//! no mock is deployed, the oracle reads the real Chainlink proxies of `feeds.json`, the registry
//! and the factory get the real USDC and WETH, the sequencer feed is Chainlink's on One and
//! switched off on Sepolia (none is documented there), and governance comes from the config.

use abi::escrow::{IEscrowRegistry, IMarginEngine};
use abi::option_factory::IOptionFactory;
use abi::oracle::{IExpiryOracle, IOracleAdapter};
use alloy::primitives::{address, keccak256, Address, Bytes, B256, I256, U256};
use alloy::sol_types::{SolCall, SolValue};
use deploy::network::{network, networks, Network};
use deploy::plan::{protocol, Action, Ctx, PlanError};
use deploy::record::{Record, Step, StepKind};
use std::path::PathBuf;

const DEPLOYER: Address = address!("00000000000000000000000000000000000000d1");
const ONE_USDC: Address = address!("af88d065e77c8cC2239327C5EDb3A432268e5831");
const ONE_WETH: Address = address!("82aF49447D8a07e3bd95BD0d56f35241523fBab1");
const ONE_ETH_USD: Address = address!("639Fe6ab55C921f74e7fac1ee960C0B6293ba612");
const ONE_SEQUENCER: Address = address!("FdB631F5EE196F0ed6FAa767959853A9F217697D");
const SEPOLIA_USDC: Address = address!("75faf114eafb1BDbe2F0316DF893fd58CE46AA4d");
const SEPOLIA_WETH: Address = address!("980B62Da83eFf3D4576C647993b0c1D7faf17c73");
const SEPOLIA_ETH_USD: Address = address!("d30e2101a97dcbAeBCBC04F14C3f624E67A35165");

fn root() -> PathBuf {
    contract_build::workspace_root(env!("CARGO_MANIFEST_DIR").as_ref()).expect("workspace root")
}

/// Every step's name and encoded arguments (constructor arguments, proxy init data, call data),
/// each deployed step given a made-up address derived from its name.
fn encode(network: &Network) -> Result<Vec<(String, Bytes)>, PlanError> {
    let mut record = Record {
        network: network.name.clone(),
        chain_id: network.chain_id,
        deployer: DEPLOYER,
        toolchain: String::new(),
        git_commit: String::new(),
        steps: Vec::new(),
        upgrades: Vec::new(),
    };
    let mut out = Vec::new();
    for entry in protocol(network) {
        let ctx = Ctx {
            network,
            deployer: DEPLOYER,
            record: &record,
            now: 1_800_000_000,
            step: &entry.name,
        };
        let (args, address) = match &entry.action {
            Action::Program { .. } => (Bytes::new(), None),
            Action::Constructor { args, .. } | Action::Evm { args, .. } => (args(&ctx)?, None),
            Action::Proxy { init, .. } => (init(&ctx)?, None),
            Action::Call { target, data, .. } => (data(&ctx)?, Some(ctx.addr(target)?)),
        };
        let address =
            address.unwrap_or_else(|| Address::from_word(keccak256(entry.name.as_bytes())));
        record.steps.push(Step {
            name: entry.name.clone(),
            kind: StepKind::Call,
            package: None,
            address,
            implementation: None,
            code_hash: None,
            compressed_size: None,
            args: args.clone(),
            tx: B256::ZERO,
            block: 0,
            gas_used: 0,
            activation: None,
        });
        out.push((entry.name, args));
    }
    Ok(out)
}

fn args<'a>(steps: &'a [(String, Bytes)], name: &str) -> &'a Bytes {
    &steps
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no step {name}"))
        .1
}

/// The `initialize` call a proxy runs in its constructor.
fn proxy_init(steps: &[(String, Bytes)], name: &str) -> Bytes {
    args(steps, name).clone()
}

fn at(name: &str) -> Address {
    Address::from_word(keccak256(name.as_bytes()))
}

/// What both Arbitrum plans share: real tokens and feeds, the protocol's wiring.
fn check_markets(steps: &[(String, Bytes)], weth: Address, usdc: Address, eth_usd: Address) {
    assert!(
        steps.iter().all(|(n, _)| !n.starts_with("mock-")),
        "no mock on a real network: {:?}",
        steps.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    let feed = IOracleAdapter::setFeedCall::abi_decode(args(steps, "oracle:feed:WETH")).unwrap();
    assert_eq!((feed.asset, feed.feed, feed.decimals), (weth, eth_usd, 8));
    assert_eq!(feed.index, U256::ZERO);
    assert_eq!(feed.minAnswer, I256::try_from(100_000_000i64).unwrap());
    assert_eq!(
        feed.maxAnswer,
        I256::try_from(1_000_000i64 * 100_000_000).unwrap()
    );
    assert_eq!(feed.maxAge, U256::from(90_000u64));
    let asset =
        IOracleAdapter::configureAssetCall::abi_decode(args(steps, "oracle:asset:WETH")).unwrap();
    assert_eq!(asset.asset, weth);
    assert_eq!(asset.maxRoundMove, U256::from(100_000_000_000_000_000u64));
    let usdc_collateral = IEscrowRegistry::configureCollateralCall::abi_decode(args(
        steps,
        "registry:collateral:USDC",
    ))
    .unwrap();
    assert_eq!(usdc_collateral.asset, usdc);
    assert_eq!(
        usdc_collateral.dustFloor,
        U256::from(10_000_000u64),
        "10 USDC"
    );
    let weth_collateral = IEscrowRegistry::configureCollateralCall::abi_decode(args(
        steps,
        "registry:collateral:WETH",
    ))
    .unwrap();
    assert_eq!(weth_collateral.asset, weth);
    let risk =
        IEscrowRegistry::setRiskParametersCall::abi_decode(args(steps, "registry:risk:WETH"))
            .unwrap();
    assert_eq!(risk.underlying, weth);
    assert_eq!(risk.maxTimes.len(), risk.upperBounds.len());
    let call =
        IOptionFactory::allowProductCall::abi_decode(args(steps, "factory:product:WETH-call"))
            .unwrap();
    assert_eq!(
        (
            call.underlying,
            call.strikeAsset,
            call.collateral,
            call.isPut
        ),
        (weth, usdc, weth, false)
    );
    let put = IOptionFactory::allowProductCall::abi_decode(args(steps, "factory:product:WETH-put"))
        .unwrap();
    assert_eq!(
        (put.underlying, put.strikeAsset, put.collateral, put.isPut),
        (weth, usdc, usdc, true)
    );
    let engine =
        IMarginEngine::initializeCall::abi_decode(args(steps, "engine:initialize")).unwrap();
    assert_eq!(engine.expiryOracle, at("expiry-oracle"));
    let expiry =
        IExpiryOracle::initializeCall::abi_decode(&proxy_init(steps, "expiry-oracle")).unwrap();
    assert_eq!(expiry.adapter, at("oracle"));
    for wire in [
        "wire:factory-admin",
        "wire:registry-admin",
        "wire:oracle-admin",
        "wire:expiry-oracle-admin",
    ] {
        let data = args(steps, wire);
        assert_eq!(
            Address::from_word(B256::from_slice(&data[4..36])),
            at("governance"),
            "{wire} hands the parameters to governance"
        );
    }
}

#[test]
fn arbitrum_sepolia_plan_uses_the_real_feeds_and_tokens_without_a_sequencer_feed() {
    let sepolia = network(&root(), "arbitrum-sepolia").unwrap();
    assert_eq!(sepolia.chain_id, 421_614);
    assert!(!sepolia.mock_feeds);
    assert_eq!(
        sepolia.sequencer_feed, None,
        "none is documented (feeds.md)"
    );
    let steps = encode(&sepolia).expect("the Sepolia plan encodes");
    check_markets(&steps, SEPOLIA_WETH, SEPOLIA_USDC, SEPOLIA_ETH_USD);
    let oracle = IOracleAdapter::initializeCall::abi_decode(&proxy_init(&steps, "oracle")).unwrap();
    assert_eq!(oracle.sequencerFeed, Address::ZERO, "the check is off");
    assert_eq!(oracle.admin, DEPLOYER, "until wired to governance");
    // Governance: the deployer and the public dev account, threshold 2; the deployer guards.
    let (signers, threshold, delay, guardian) =
        <(Vec<Address>, U256, U256, Address)>::abi_decode_params(args(&steps, "governance"))
            .unwrap();
    assert_eq!(
        signers,
        vec![
            DEPLOYER,
            address!("70997970C51812dc3A010C7d01b50e0d17dc79C8")
        ]
    );
    assert_eq!(
        (threshold, delay, guardian),
        (U256::from(2), U256::from(3600), DEPLOYER)
    );
}

#[test]
fn arbitrum_one_plan_uses_the_sequencer_feed_and_refuses_without_governance() {
    let mut one = network(&root(), "arbitrum-one").unwrap();
    assert_eq!(one.chain_id, 42_161);
    assert!(!one.mock_feeds);
    assert_eq!(one.sequencer_feed, Some(ONE_SEQUENCER));
    let refused = encode(&one).unwrap_err().to_string();
    assert!(
        refused.contains("arbitrum-one") && refused.contains("governance.signers"),
        "{refused}"
    );
    let signers: Vec<_> = (1..=3u8).map(Address::repeat_byte).collect();
    one.governance.signers = signers
        .iter()
        .map(|a| deploy::network::Account::At(*a))
        .collect();
    one.governance.guardian = deploy::network::Account::At(Address::repeat_byte(9));
    let steps = encode(&one).expect("encodes once governance is configured");
    check_markets(&steps, ONE_WETH, ONE_USDC, ONE_ETH_USD);
    let oracle = IOracleAdapter::initializeCall::abi_decode(&proxy_init(&steps, "oracle")).unwrap();
    assert_eq!(oracle.sequencerFeed, ONE_SEQUENCER);
    let (configured, threshold, delay, _) =
        <(Vec<Address>, U256, U256, Address)>::abi_decode_params(args(&steps, "governance"))
            .unwrap();
    assert_eq!(configured, signers);
    assert_eq!((threshold, delay), (U256::from(3), U256::from(172_800)));
}

#[test]
fn every_network_parses_and_local_keeps_its_mocks() {
    let all = networks(&root()).unwrap();
    assert!(all.contains_key("local") && all.contains_key("arbitrum-sepolia"));
    let local = &all["local"];
    let steps = encode(local).unwrap();
    let names: Vec<&str> = steps.iter().map(|(n, _)| n.as_str()).collect();
    for mock in ["mock-feed:ETH/USD", "mock-token:WETH", "mock-token:USDC"] {
        assert!(names.contains(&mock), "{mock}");
    }
    // The local markets, call by call: what the demo, the keeper and the e2e suites rely on.
    const E18: u128 = 1_000_000_000_000_000_000;
    let (weth, usdc) = (at("mock-token:WETH"), at("mock-token:USDC"));
    let expected: Vec<(&str, Vec<u8>)> = vec![
        (
            "mock-token:WETH",
            ("Wrapped Ether", "WETH", U256::from(18)).abi_encode_params(),
        ),
        (
            "mock-token:USDC",
            ("USD Coin", "USDC", U256::from(6)).abi_encode_params(),
        ),
        (
            "oracle:feed:WETH",
            IOracleAdapter::setFeedCall {
                asset: weth,
                index: U256::ZERO,
                feed: at("mock-feed:ETH/USD"),
                decimals: 8,
                maxAge: U256::from(86_400u64),
                minAnswer: I256::ONE,
                maxAnswer: I256::try_from(100_000_000_000_000i64).unwrap(),
            }
            .abi_encode(),
        ),
        (
            "oracle:asset:WETH",
            IOracleAdapter::configureAssetCall {
                asset: weth,
                feedCount: U256::from(1),
                quorum: U256::from(1),
                maxDeviation: U256::from(E18 / 50),
                maxRoundMove: U256::from(E18 / 2),
            }
            .abi_encode(),
        ),
        (
            "registry:collateral:WETH",
            IEscrowRegistry::configureCollateralCall {
                asset: weth,
                nakedCap: U256::from(1_000_000u128 * E18),
                dustFloor: U256::from(E18 / 100),
            }
            .abi_encode(),
        ),
        (
            "registry:collateral:USDC",
            IEscrowRegistry::configureCollateralCall {
                asset: usdc,
                nakedCap: U256::from(1_000_000_000_000_000u128),
                dustFloor: U256::from(10_000_000u64),
            }
            .abi_encode(),
        ),
        (
            "registry:risk:WETH",
            IEscrowRegistry::setRiskParametersCall {
                underlying: weth,
                shock: U256::from(E18 * 7 / 10),
                maxTimes: vec![7 * 86_400, 30 * 86_400, 90 * 86_400, 730 * 86_400],
                upperBounds: [10u128, 20, 30, 50]
                    .iter()
                    .map(|p| U256::from(E18 * p / 100))
                    .collect(),
            }
            .abi_encode(),
        ),
        (
            "factory:product:WETH-call",
            IOptionFactory::allowProductCall {
                underlying: weth,
                strikeAsset: usdc,
                collateral: weth,
                isPut: false,
            }
            .abi_encode(),
        ),
        (
            "factory:product:WETH-put",
            IOptionFactory::allowProductCall {
                underlying: weth,
                strikeAsset: usdc,
                collateral: usdc,
                isPut: true,
            }
            .abi_encode(),
        ),
    ];
    for (name, data) in expected {
        assert_eq!(args(&steps, name)[..], data[..], "{name}");
    }
    let markets: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| {
            n.starts_with("oracle:feed")
                || n.starts_with("registry:")
                || n.starts_with("factory:product")
        })
        .collect();
    assert_eq!(
        markets,
        [
            "oracle:feed:WETH",
            "registry:collateral:WETH",
            "registry:collateral:USDC",
            "registry:risk:WETH",
            "factory:product:WETH-call",
            "factory:product:WETH-put"
        ],
        "in the order they always ran"
    );
}

#[test]
fn a_product_naming_an_unlisted_token_is_refused_at_load() {
    let dir = std::env::temp_dir().join(format!("options-networks-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("deployments")).unwrap();
    let text = std::fs::read_to_string(root().join("deployments/networks.toml")).unwrap();
    let broken = text.replacen(
        "[[local.products]]\nunderlying = \"WETH\"\nstrike = \"USDC\"",
        "[[local.products]]\nunderlying = \"WETH\"\nstrike = \"DAI\"",
        1,
    );
    assert_ne!(broken, text);
    std::fs::write(dir.join("deployments/networks.toml"), broken).unwrap();
    std::fs::copy(
        root().join("deployments/feeds.json"),
        dir.join("deployments/feeds.json"),
    )
    .unwrap();
    let err = networks(&dir).unwrap_err().to_string();
    assert!(
        err.contains("local") && err.contains("DAI is not a listed token"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
