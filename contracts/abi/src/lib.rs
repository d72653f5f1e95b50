//! The protocol's Solidity ABI, declared once.
//!
//! Each module holds one interface with its events and custom errors, written with
//! `alloy_sol_types::sol!`. Contracts emit these events and return these errors; the scripts
//! and tests call through the same declarations, so a change here is a change everywhere.
//! Fixed-point conventions shared by every interface:
//! - prices (oracle output, strike prices) carry 18 decimals (`1e18` = 1 unit of the strike asset);
//! - option tokens carry 18 decimals (`1e18` = one option on one unit of the underlying);
//! - collateral amounts are in the collateral token's own decimals and are normalised once, by the
//!   escrow, when they enter its accounting.
#![no_std]

extern crate alloc;

pub mod chainlink;
pub mod erc20;
pub mod escrow;
pub mod governance;
pub mod option_factory;
pub mod option_token;
pub mod oracle;
pub mod pricing;
pub mod proxy;
pub mod revert;
pub mod words;

/// Scale of every price and strike in the protocol.
pub const PRICE_SCALE: u128 = 1_000_000_000_000_000_000;

/// Decimals of every option token.
pub const OPTION_DECIMALS: u8 = 18;

/// The interfaces each contract crate implements, by crate name, as canonical function
/// signatures. `cargo run -p scripts -- abi` (and its test) fails when a contract's exported ABI
/// and this declaration drift apart.
pub const CONTRACTS: &[(&str, &[&[&str]])] = &[
    (
        "collateral-escrow",
        &[escrow::ICollateralEscrow::ICollateralEscrowCalls::SIGNATURES],
    ),
    (
        "escrow-registry",
        &[escrow::IEscrowRegistry::IEscrowRegistryCalls::SIGNATURES],
    ),
    (
        "expiry-oracle",
        &[oracle::IExpiryOracle::IExpiryOracleCalls::SIGNATURES],
    ),
    (
        "governance",
        &[governance::IGovernance::IGovernanceCalls::SIGNATURES],
    ),
    (
        "margin-engine",
        &[escrow::IMarginEngine::IMarginEngineCalls::SIGNATURES],
    ),
    (
        "mock-aggregator",
        &[oracle::IMockAggregator::IMockAggregatorCalls::SIGNATURES],
    ),
    (
        "option-factory",
        &[option_factory::IOptionFactory::IOptionFactoryCalls::SIGNATURES],
    ),
    (
        "option-token",
        &[option_token::IOptionToken::IOptionTokenCalls::SIGNATURES],
    ),
    (
        "oracle-adapter",
        &[oracle::IOracleAdapter::IOracleAdapterCalls::SIGNATURES],
    ),
    (
        "pricing-engine",
        &[pricing::IPricingEngine::IPricingEngineCalls::SIGNATURES],
    ),
    (
        "upgradeable-proxy",
        &[proxy::IUpgradeableProxy::IUpgradeableProxyCalls::SIGNATURES],
    ),
];
