//! The follower on the devnet over JSON-RPC: series created by the real factory (behind its
//! proxy) are found through `eth_getLogs` in small ranges, only once buried under the
//! confirmation depth, and a follower restarted from its checkpoint in the middle ends with
//! exactly the factory's own enumeration: nothing missed, nothing counted twice.

use abi::option_factory::{self as of, IOptionFactory as F};
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::{SolCall, SolValue};
use deploy::Deployer;
use e2e::protocol::{deploy_evm, deploy_factory};
use e2e::Harness;
use keeper::follower::{FollowConfig, Follower};
use keeper::retry::Backoff;
use std::collections::BTreeSet;

const ERC20_BIN: &str =
    include_str!("../../../tests/fixtures/option-holder/artifacts/MockERC20.bin");

async fn send<C: SolCall>(d: &Deployer, to: Address, call: C) {
    d.send(
        TransactionRequest::default()
            .with_from(d.from())
            .with_to(to)
            .with_input(call.abi_encode()),
    )
    .await
    .unwrap_or_else(|e| panic!("{}: {e}", C::SIGNATURE));
}

#[tokio::test(flavor = "multi_thread")]
async fn restart_from_checkpoint_misses_nothing_and_counts_nothing_twice() {
    let harness = Harness::start();
    let admin = harness.deployer(0);
    let factory = deploy_factory(&admin, admin.from(), harness.deployer(1).from())
        .await
        .expect("factory deploys")
        .proxy;
    let weth = deploy_evm(
        &admin,
        ERC20_BIN,
        &("Wrapped Ether", "WETH", U256::from(18)).abi_encode_params(),
    )
    .await
    .expect("WETH");
    let usdc = deploy_evm(
        &admin,
        ERC20_BIN,
        &("USD Coin", "USDC", U256::from(6)).abi_encode_params(),
    )
    .await
    .expect("USDC");
    send(
        &admin,
        factory,
        F::allowProductCall {
            underlying: weth,
            strikeAsset: usdc,
            collateral: usdc,
            isPut: true,
        },
    )
    .await;
    let provider = ProviderBuilder::new()
        .connect_http(harness.url.parse().unwrap())
        .erased();
    let start_block = provider.get_block_number().await.unwrap();
    let now = provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    let expiry = now - now % of::SECONDS_PER_DAY + of::EXPIRY_TIME_OF_DAY + 7 * of::SECONDS_PER_DAY;
    let create = |i: u64| F::createSeriesCall {
        underlying: weth,
        strikeAsset: usdc,
        collateral: usdc,
        isPut: true,
        strikePrice: U256::from(1_000 + i) * U256::from(abi::PRICE_SCALE),
        expiry,
    };
    for i in 0..5 {
        send(&admin, factory, create(i)).await;
    }

    let dir = std::env::temp_dir().join(format!("keeper-follower-{}", std::process::id()));
    let config = FollowConfig {
        addresses: vec![factory],
        start_block,
        confirmations: 2,
        max_range: 2,
        checkpoint: Some(dir.join("checkpoint.bin")),
        backoff: Backoff::default(),
    };
    let mut follower = Follower::open(provider.clone(), config.clone()).unwrap();
    // Two ranges, then a "crash": the follower is dropped without any shutdown.
    follower.step().await.unwrap().expect("a first range");
    follower.step().await.unwrap().expect("a second range");
    let seen_before = follower.view().series.len();
    drop(follower);

    for i in 5..9 {
        send(&admin, factory, create(i)).await;
    }
    let mut follower = Follower::open(provider.clone(), config.clone()).unwrap();
    assert_eq!(
        follower.view().series.len(),
        seen_before,
        "resumed from the checkpoint"
    );
    let ranges = follower.catch_up().await.unwrap();
    assert!(ranges.iter().all(|r| r.to - r.from < 2), "bounded ranges");

    // The last two series are not yet buried under two blocks.
    let head = provider.get_block_number().await.unwrap();
    assert_eq!(follower.state.next_block, head - 1);
    let total: u64 = admin
        .view(factory, F::seriesCountCall {})
        .await
        .unwrap()
        .to();
    assert_eq!(total, 9);
    assert_eq!(follower.view().series.len(), 7);

    provider
        .raw_request::<_, serde_json::Value>("anvil_mine".into(), (2u64,))
        .await
        .expect("anvil_mine");
    follower.catch_up().await.unwrap();
    let mut on_chain = BTreeSet::new();
    for i in 0..total {
        let token = admin
            .view(
                factory,
                F::seriesAtCall {
                    index: U256::from(i),
                },
            )
            .await
            .unwrap();
        on_chain.insert(token);
        let s = &follower.view().series[&token];
        assert_eq!(
            (s.underlying, s.collateral, s.is_put, s.expiry),
            (weth, usdc, true, expiry)
        );
        assert_eq!(
            s.strike,
            U256::from(1_000 + i) * U256::from(abi::PRICE_SCALE)
        );
    }
    let seen: BTreeSet<Address> = follower.view().series.keys().copied().collect();
    assert_eq!(seen, on_chain);

    // A third follower reading everything from scratch agrees with the resumed one.
    let fresh = FollowConfig {
        checkpoint: None,
        max_range: 1_000,
        ..config
    };
    let mut scratch = Follower::open(provider, fresh).unwrap();
    scratch.catch_up().await.unwrap();
    assert_eq!(scratch.state, follower.state);
    std::fs::remove_dir_all(dir).unwrap();
}
