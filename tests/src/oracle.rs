//! The oracle as deployed in production: the `oracle-adapter` and `expiry-oracle`
//! implementations (each locked by its constructor), each behind its own ERC-1967
//! `upgradeable-proxy` initialised through the proxy's constructor, the adapter forwarding
//! `getExpiryPrice` to the expiry oracle; and `MockAggregator` feeds standing in for Chainlink.

use crate::artifact;
use crate::protocol::constructor_call;
use abi::oracle::{IExpiryOracle, IMockAggregator, IOracleAdapter};
use abi::proxy::ProxyConstructorArgs;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, B256, I256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::sol_types::{SolCall, SolValue};
use deploy::{DeployError, Deployer};

/// The addresses of a deployed oracle.
#[derive(Debug, Clone, Copy)]
pub struct Oracle {
    /// The adapter's proxy: live prices (and forwarded expiry prices) for everyone.
    pub adapter: Address,
    /// The expiry oracle's proxy: settlement prices.
    pub expiry: Address,
    pub adapter_implementation: Address,
    pub expiry_implementation: Address,
}

/// Deploys a `MockAggregator` with `decimals`, owned by the deployer.
pub async fn deploy_feed(d: &Deployer, decimals: u8) -> Result<Address, DeployError> {
    let feed = d
        .deploy_program(&artifact("mock-aggregator").code)
        .await?
        .address;
    send(
        d,
        feed,
        IMockAggregator::initializeCall {
            decimals,
            description: "mock feed".into(),
        },
    )
    .await?;
    Ok(feed)
}

/// Deploys an implementation (its constructor locks it) and a proxy initialised with `init`.
async fn behind_proxy(
    d: &Deployer,
    package: &str,
    admin: Address,
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
        admin,
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

/// Deploys both oracle contracts behind proxies, `admin` as proxy admin and contract admin, and
/// points the adapter's `getExpiryPrice` at the expiry oracle (sent by `d`, which must be
/// `admin`).
pub async fn deploy_oracle(
    d: &Deployer,
    admin: Address,
    disputer: Address,
    sequencer_feed: Address,
) -> Result<Oracle, DeployError> {
    let init = IOracleAdapter::initializeCall {
        admin,
        sequencerFeed: sequencer_feed,
    }
    .abi_encode();
    let (adapter, adapter_implementation) = behind_proxy(d, "oracle-adapter", admin, init).await?;
    let init = IExpiryOracle::initializeCall {
        admin,
        disputer,
        adapter,
    }
    .abi_encode();
    let (expiry, expiry_implementation) = behind_proxy(d, "expiry-oracle", admin, init).await?;
    send(
        d,
        adapter,
        IOracleAdapter::setExpiryOracleCall { oracle: expiry },
    )
    .await?;
    Ok(Oracle {
        adapter,
        expiry,
        adapter_implementation,
        expiry_implementation,
    })
}

/// One feed slot as the adapter stores it.
#[derive(Debug, Clone, Copy)]
pub struct FeedSlot {
    pub feed: Address,
    pub decimals: u8,
    pub max_age: u64,
    pub min_answer: I256,
    pub max_answer: I256,
}

/// Sets the feed slots of `asset` in order and puts them in service with the rules.
pub async fn configure_asset(
    d: &Deployer,
    adapter: Address,
    asset: Address,
    feeds: &[FeedSlot],
    quorum: u64,
    max_deviation: U256,
    max_round_move: U256,
) -> Result<(), DeployError> {
    for (index, slot) in feeds.iter().enumerate() {
        send(
            d,
            adapter,
            IOracleAdapter::setFeedCall {
                asset,
                index: U256::from(index),
                feed: slot.feed,
                decimals: slot.decimals,
                maxAge: U256::from(slot.max_age),
                minAnswer: slot.min_answer,
                maxAnswer: slot.max_answer,
            },
        )
        .await?;
    }
    send(
        d,
        adapter,
        IOracleAdapter::configureAssetCall {
            asset,
            feedCount: U256::from(feeds.len()),
            quorum: U256::from(quorum),
            maxDeviation: max_deviation,
            maxRoundMove: max_round_move,
        },
    )
    .await?;
    Ok(())
}

/// Pushes a round with `answer` stamped `updated_at` (also its `startedAt`); returns its id.
pub async fn push_round(
    d: &Deployer,
    feed: Address,
    answer: I256,
    updated_at: u64,
) -> Result<u128, DeployError> {
    let call = IMockAggregator::pushRoundCall {
        answer,
        startedAt: U256::from(updated_at),
        updatedAt: U256::from(updated_at),
    };
    send(d, feed, call).await?;
    let latest = d
        .view(feed, IMockAggregator::latestRoundDataCall {})
        .await?;
    Ok(latest.roundId.to::<u128>())
}

/// Sends `call` to `to` as a transaction from `d`.
pub async fn send<C: SolCall>(
    d: &Deployer,
    to: Address,
    call: C,
) -> Result<TransactionReceipt, DeployError> {
    d.send(
        TransactionRequest::default()
            .with_from(d.from())
            .with_to(to)
            .with_input(call.abi_encode()),
    )
    .await
}

/// The revert data of a call that must fail (simulated with `eth_call`, as a wallet would).
pub async fn revert_data<C: SolCall>(d: &Deployer, to: Address, call: C) -> Bytes {
    let tx = TransactionRequest::default()
        .with_from(d.from())
        .with_to(to)
        .with_input(call.abi_encode());
    match d.provider().call(tx).await.map_err(DeployError::from_rpc) {
        Err(DeployError::Reverted { data, .. }) => data,
        Err(other) => panic!("expected a revert, got {other}"),
        Ok(out) => panic!("expected a revert, the call returned {out}"),
    }
}

/// Gas of `call` as `eth_estimateGas` reports it (for a view: what a transaction calling it
/// alone would pay).
pub async fn estimate_gas<C: SolCall>(d: &Deployer, to: Address, call: C) -> u64 {
    let tx = TransactionRequest::default()
        .with_from(d.from())
        .with_to(to)
        .with_input(call.abi_encode());
    d.provider().estimate_gas(tx).await.expect("estimateGas")
}
