//! The oracle on the devnet with the real WASM, over JSON-RPC: both contracts behind the ERC-1967
//! proxy, `MockAggregator` feeds and a mock sequencer uptime feed; every refusal decoded from its
//! revert data with `abi::revert::describe`; gas of `getPrice` (1 and 3 feeds), `getMintPrice` and
//! `setExpiryPrice` printed.

use abi::chainlink::join_round_id;
use abi::oracle::{IExpiryOracle as X, IMockAggregator as Mock, IOracleAdapter as A};
use alloy::primitives::{aliases::U80, Address, I256, U256};
use alloy::sol_types::SolError;
use deploy::Deployer;
use e2e::governance::{advance, now};
use e2e::oracle::{
    configure_asset, deploy_feed, deploy_oracle, estimate_gas, push_round, revert_data, send,
    FeedSlot, Oracle,
};
use e2e::program_cache::{evict, init_gas, pin};
use e2e::Harness;

const E8: i128 = 100_000_000;
const ONE_PERCENT: u128 = 10_000_000_000_000_000;
const MAX_AGE: u64 = 3_600;

fn i(value: i128) -> I256 {
    I256::try_from(value).unwrap()
}

fn wad(units: u128) -> U256 {
    U256::from(units) * U256::from(abi::PRICE_SCALE)
}

fn slot(feed: Address) -> FeedSlot {
    FeedSlot {
        feed,
        decimals: 8,
        max_age: MAX_AGE,
        min_answer: I256::ZERO,
        max_answer: i(1_000_000 * E8),
    }
}

/// Asserts that `call` reverts with exactly `expected`, and prints what `describe` makes of it.
async fn assert_reverts<C: alloy::sol_types::SolCall, E: SolError>(
    d: &Deployer,
    to: Address,
    call: C,
    expected: E,
) {
    let data = revert_data(d, to, call).await;
    let text = abi::revert::describe(&data);
    println!("  refused: {text}");
    assert_eq!(data.as_ref(), expected.abi_encode().as_slice(), "{text}");
    assert!(
        text.starts_with(E::SIGNATURE.split('(').next().unwrap()),
        "{text}"
    );
}

/// Gas of `call` with `programs` pinned in the program cache (as a protocol pins its contracts on
/// Arbitrum One), then unpinned again.
async fn cached_gas<C: alloy::sol_types::SolCall>(
    s: &Setup,
    programs: &[Address],
    to: Address,
    call: C,
) -> u64 {
    for program in programs {
        pin(&s.harness, *program).await;
    }
    let gas = estimate_gas(&s.admin, to, call).await;
    for program in programs {
        evict(&s.harness, *program).await;
    }
    gas
}

struct Setup {
    harness: Harness,
    admin: Deployer,
    outsider: Deployer,
    disputer: Deployer,
    oracle: Oracle,
    sequencer: Address,
    asset: Address,
    feed: Address,
}

/// Admin (account 0) deploys; the sequencer has been up for a day; `asset` reads one feed (1 %
/// spread, 10 % circuit breaker).
async fn setup() -> Setup {
    let harness = Harness::start();
    let admin = harness.deployer(0);
    let outsider = harness.deployer(1);
    let disputer = harness.deployer(2);
    let t = now(&admin).await;
    let sequencer = deploy_feed(&admin, 0).await.expect("sequencer feed");
    push_round(&admin, sequencer, I256::ZERO, t - 86_400)
        .await
        .unwrap();
    let oracle = deploy_oracle(&admin, admin.from(), disputer.from(), sequencer)
        .await
        .unwrap_or_else(|e| panic!("oracle deploys: {e}"));
    let feed = deploy_feed(&admin, 8).await.unwrap();
    let asset = Address::repeat_byte(0xE7);
    configure_asset(
        &admin,
        oracle.adapter,
        asset,
        &[slot(feed)],
        1,
        U256::from(ONE_PERCENT),
        U256::from(10 * ONE_PERCENT),
    )
    .await
    .unwrap();
    Setup {
        harness,
        admin,
        outsider,
        disputer,
        oracle,
        sequencer,
        asset,
        feed,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn live_prices_refuse_what_they_cannot_stand_behind() {
    let s = setup().await;
    let (d, adapter, asset, feed) = (&s.admin, s.oracle.adapter, s.asset, s.feed);
    let t = now(d).await;

    // The implementations are locked; the proxies are initialised once.
    assert_reverts(
        d,
        s.oracle.adapter_implementation,
        A::initializeCall {
            admin: d.from(),
            sequencerFeed: Address::ZERO,
        },
        abi::proxy::IInitializable::InvalidInitialization {
            current: u64::MAX,
            requested: 1,
        },
    )
    .await;
    assert_reverts(
        d,
        adapter,
        A::initializeCall {
            admin: d.from(),
            sequencerFeed: Address::ZERO,
        },
        abi::proxy::IInitializable::InvalidInitialization {
            current: 1,
            requested: 1,
        },
    )
    .await;
    assert_reverts(
        &s.outsider,
        adapter,
        A::setFeedCall {
            asset,
            index: U256::ZERO,
            feed,
            decimals: 8,
            maxAge: U256::from(MAX_AGE),
            minAnswer: I256::ZERO,
            maxAnswer: i(E8),
        },
        A::NotAdmin {
            caller: s.outsider.from(),
        },
    )
    .await;
    let other = Address::repeat_byte(0x99);
    assert_reverts(
        d,
        adapter,
        A::getPriceCall { asset: other },
        A::UnknownAsset { asset: other },
    )
    .await;

    // One feed: normalised to 1e18.
    push_round(d, feed, i(2_000 * E8), t - 60).await.unwrap();
    let price = d.view(adapter, A::getPriceCall { asset }).await.unwrap();
    assert_eq!(
        (price.price, price.updatedAt),
        (wad(2_000), U256::from(t - 60))
    );
    let gas_one = estimate_gas(d, adapter, A::getPriceCall { asset }).await;
    // The proxy, the implementation and the feed's code (the sequencer mock shares it).
    let programs = [adapter, s.oracle.adapter_implementation, feed];
    let gas_one_cached = cached_gas(&s, &programs, adapter, A::getPriceCall { asset }).await;

    // Stale, non-positive, at the bound.
    push_round(d, feed, i(2_000 * E8), t - 4_000).await.unwrap();
    assert_reverts(
        d,
        adapter,
        A::getPriceCall { asset },
        A::StalePrice {
            asset,
            feed,
            updatedAt: U256::from(t - 4_000),
            maxAge: U256::from(MAX_AGE),
        },
    )
    .await;
    push_round(d, feed, i(-1), t - 60).await.unwrap();
    assert_reverts(
        d,
        adapter,
        A::getPriceCall { asset },
        A::NonPositivePrice {
            asset,
            feed,
            answer: i(-1),
        },
    )
    .await;
    push_round(d, feed, i(1_000_000 * E8), t - 60)
        .await
        .unwrap();
    assert_reverts(
        d,
        adapter,
        A::getPriceCall { asset },
        A::PriceOutOfBounds {
            asset,
            feed,
            answer: i(1_000_000 * E8),
            minAnswer: I256::ZERO,
            maxAnswer: i(1_000_000 * E8),
        },
    )
    .await;

    // Circuit breaker: a 25 % drop between rounds stops mints, liquidations go on.
    push_round(d, feed, i(2_000 * E8), t - 50).await.unwrap();
    push_round(d, feed, i(1_500 * E8), t - 40).await.unwrap();
    assert_reverts(
        d,
        adapter,
        A::getMintPriceCall { asset },
        A::PriceMoveTooLarge {
            asset,
            previous: wad(2_000),
            current: wad(1_500),
            maxMove: U256::from(10 * ONE_PERCENT),
        },
    )
    .await;
    let price = d.view(adapter, A::getPriceCall { asset }).await.unwrap();
    assert_eq!(price.price, wad(1_500));
    push_round(d, feed, i(1_510 * E8), t - 30).await.unwrap();
    let mint = d
        .view(adapter, A::getMintPriceCall { asset })
        .await
        .unwrap();
    assert_eq!(mint.price, wad(1_510));
    let gas_mint = estimate_gas(d, adapter, A::getMintPriceCall { asset }).await;
    let gas_mint_cached = cached_gas(&s, &programs, adapter, A::getMintPriceCall { asset }).await;

    // Sequencer down, then just up (grace period), then up long enough.
    push_round(d, s.sequencer, I256::ONE, t - 20).await.unwrap();
    assert_reverts(
        d,
        adapter,
        A::getPriceCall { asset },
        A::SequencerDown {
            since: U256::from(t - 20),
        },
    )
    .await;
    assert_reverts(
        d,
        adapter,
        A::getMintPriceCall { asset },
        A::SequencerDown {
            since: U256::from(t - 20),
        },
    )
    .await;
    push_round(d, s.sequencer, I256::ZERO, t - 10)
        .await
        .unwrap();
    assert_reverts(
        d,
        adapter,
        A::getPriceCall { asset },
        A::SequencerGracePeriodNotOver {
            upSince: U256::from(t - 10),
            gracePeriod: U256::from(3_600),
        },
    )
    .await;
    advance(d, 3_600).await;
    let t = now(d).await;
    push_round(d, feed, i(1_500 * E8), t - 30).await.unwrap();
    let price = d.view(adapter, A::getPriceCall { asset }).await.unwrap();
    assert_eq!(
        (price.price, price.updatedAt),
        (wad(1_500), U256::from(t - 30))
    );

    // Three feeds, quorum 2: the median ignores a liar; too few fresh feeds; disagreement.
    let b = deploy_feed(d, 8).await.unwrap();
    let c = deploy_feed(d, 8).await.unwrap();
    configure_asset(
        d,
        adapter,
        asset,
        &[slot(feed), slot(b), slot(c)],
        2,
        U256::from(ONE_PERCENT),
        U256::from(10 * ONE_PERCENT),
    )
    .await
    .unwrap();
    // A quorum below a majority of the feeds is refused.
    assert_reverts(
        d,
        adapter,
        A::configureAssetCall {
            asset,
            feedCount: U256::from(3),
            quorum: U256::from(1),
            maxDeviation: U256::from(ONE_PERCENT),
            maxRoundMove: U256::from(10 * ONE_PERCENT),
        },
        A::ParameterOutOfBounds {
            value: U256::from(1),
            min: U256::from(2),
            max: U256::from(3),
        },
    )
    .await;
    push_round(d, feed, i(2_000 * E8), t - 30).await.unwrap();
    push_round(d, b, i(2_010 * E8), t - 20).await.unwrap();
    push_round(d, c, i(5_000 * E8), t - 10).await.unwrap();
    // The timestamp is the median of the agreeing feeds' (here the mean of two).
    let price = d.view(adapter, A::getPriceCall { asset }).await.unwrap();
    assert_eq!(
        (price.price, price.updatedAt),
        (wad(2_010), U256::from(t - 25))
    );
    let round = d
        .view(adapter, A::latestRoundDataCall { asset })
        .await
        .unwrap();
    assert_eq!(round.answer, I256::from_raw(wad(2_010)));
    let gas_three = estimate_gas(d, adapter, A::getPriceCall { asset }).await;
    let gas_three_cached = cached_gas(&s, &programs, adapter, A::getPriceCall { asset }).await;

    push_round(d, c, i(2_000 * E8), t - 5_000).await.unwrap();
    send(d, b, Mock::setFailingCall { failing: true })
        .await
        .unwrap();
    assert_reverts(
        d,
        adapter,
        A::getPriceCall { asset },
        A::QuorumNotMet {
            asset,
            valid: U256::from(1),
            quorum: U256::from(2),
        },
    )
    .await;
    send(d, b, Mock::setFailingCall { failing: false })
        .await
        .unwrap();
    push_round(d, b, i(2_200 * E8), t - 20).await.unwrap();
    push_round(d, c, i(1_800 * E8), t - 10).await.unwrap();
    assert_reverts(
        d,
        adapter,
        A::getPriceCall { asset },
        A::SourcesDisagree {
            asset,
            lowest: wad(1_800),
            highest: wad(2_200),
            maxDeviation: U256::from(ONE_PERCENT),
        },
    )
    .await;

    println!(
        "gas (eth_estimateGas, whole transaction), uncached / programs pinned: getPrice 1 feed \
         {gas_one} / {gas_one_cached}, getPrice 3 feeds {gas_three} / {gas_three_cached}, \
         getMintPrice 1 feed {gas_mint} / {gas_mint_cached}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn expiry_prices_are_proved_disputed_and_finalised() {
    let s = setup().await;
    let (d, expiry_oracle, asset, feed) = (&s.admin, s.oracle.expiry, s.asset, s.feed);
    let t = now(d).await;
    let expiry = t - 7_200;
    let before = push_round(d, feed, i(1_900 * E8), expiry - 100)
        .await
        .unwrap();
    let first = push_round(d, feed, i(2_000 * E8), expiry + 50)
        .await
        .unwrap();
    let later = push_round(d, feed, i(2_100 * E8), expiry + 100)
        .await
        .unwrap();
    // A sequencer outage does not block settlement prices.
    push_round(d, s.sequencer, I256::ONE, t - 30).await.unwrap();

    let set = |round_id: u128| X::setExpiryPriceCall {
        asset,
        expiry: U256::from(expiry),
        roundId: U80::from(round_id),
    };
    assert_reverts(
        d,
        expiry_oracle,
        set(before),
        X::RoundBeforeExpiry {
            roundId: U80::from(before),
            updatedAt: U256::from(expiry - 100),
            expiry: U256::from(expiry),
        },
    )
    .await;
    assert_reverts(
        d,
        expiry_oracle,
        set(later),
        X::RoundNotFirstAfterExpiry {
            roundId: U80::from(later),
            previousRoundId: U80::from(first),
            previousUpdatedAt: U256::from(expiry + 50),
        },
    )
    .await;
    let receipt = send(&s.outsider, expiry_oracle, set(first)).await.unwrap();
    let gas_set = receipt.gas_used;
    let recorded = d
        .view(
            expiry_oracle,
            X::getExpiryPriceCall {
                asset,
                expiry: U256::from(expiry),
            },
        )
        .await
        .unwrap();
    assert_eq!((recorded.price, recorded.finalized), (wad(2_000), false));
    // The adapter answers the same call, forwarded.
    let forwarded = d
        .view(
            s.oracle.adapter,
            A::getExpiryPriceCall {
                asset,
                expiry: U256::from(expiry),
            },
        )
        .await
        .unwrap();
    assert_eq!((forwarded.price, forwarded.finalized), (wad(2_000), false));

    // Dispute inside the period, by the disputer only, inside the feed's bounds.
    assert_reverts(
        &s.disputer,
        expiry_oracle,
        X::disputeExpiryPriceCall {
            asset,
            expiry: U256::from(expiry),
            price: wad(1_000_000),
        },
        X::ExpiryPriceOutOfBounds {
            asset,
            price: wad(1_000_000),
            minPrice: U256::ZERO,
            maxPrice: wad(1_000_000),
        },
    )
    .await;
    let before_dispute = d
        .view(
            expiry_oracle,
            X::getExpiryPriceDetailsCall {
                asset,
                expiry: U256::from(expiry),
            },
        )
        .await
        .unwrap()
        .finalizesAt;
    let dispute = X::disputeExpiryPriceCall {
        asset,
        expiry: U256::from(expiry),
        price: wad(1_999),
    };
    assert_reverts(
        &s.outsider,
        expiry_oracle,
        dispute.clone(),
        X::NotDisputer {
            caller: s.outsider.from(),
        },
    )
    .await;
    // A minute after the record, so that the extension shows.
    advance(d, 60).await;
    send(&s.disputer, expiry_oracle, dispute.clone())
        .await
        .unwrap();
    let details = d
        .view(
            expiry_oracle,
            X::getExpiryPriceDetailsCall {
                asset,
                expiry: U256::from(expiry),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (details.price, details.roundId, details.source),
        (wad(1_999), U80::from(first), abi::oracle::SOURCE_DISPUTED)
    );
    let finalizes_at = details.finalizesAt;
    // The dispute gave the new price a full dispute period from the dispute.
    assert!(
        finalizes_at > before_dispute,
        "{finalizes_at} {before_dispute}"
    );
    assert_eq!(finalizes_at, U256::from(now(d).await + 7_200));

    // After the dispute period: final, and no more disputes.
    advance(d, 7_300).await;
    let recorded = d
        .view(
            s.oracle.adapter,
            A::getExpiryPriceCall {
                asset,
                expiry: U256::from(expiry),
            },
        )
        .await
        .unwrap();
    assert_eq!((recorded.price, recorded.finalized), (wad(1_999), true));
    assert_reverts(
        &s.disputer,
        expiry_oracle,
        dispute,
        X::DisputePeriodOver {
            asset,
            expiry: U256::from(expiry),
            finalizesAt: finalizes_at,
        },
    )
    .await;

    // Across a phase change: the new phase's first round follows the old phase's last.
    let t = now(d).await;
    let expiry2 = t - 3_600;
    let asset2 = Address::repeat_byte(0xE8);
    let feed2 = deploy_feed(d, 8).await.unwrap();
    configure_asset(
        d,
        s.oracle.adapter,
        asset2,
        &[slot(feed2)],
        1,
        U256::from(ONE_PERCENT),
        U256::from(10 * ONE_PERCENT),
    )
    .await
    .unwrap();
    for k in 0..5u64 {
        push_round(d, feed2, i(1_900 * E8), expiry2 - 600 + 60 * k)
            .await
            .unwrap();
    }
    send(d, feed2, Mock::startNewPhaseCall {}).await.unwrap();
    let phase_two = push_round(d, feed2, i(2_050 * E8), expiry2 + 10)
        .await
        .unwrap();
    assert_eq!(phase_two, join_round_id(2, 1));
    let receipt = send(
        d,
        expiry_oracle,
        X::setExpiryPriceCall {
            asset: asset2,
            expiry: U256::from(expiry2),
            roundId: U80::from(phase_two),
        },
    )
    .await
    .unwrap();
    let gas_phase = receipt.gas_used;
    let recorded = d
        .view(
            expiry_oracle,
            X::getExpiryPriceCall {
                asset: asset2,
                expiry: U256::from(expiry2),
            },
        )
        .await
        .unwrap();
    assert_eq!(recorded.price, wad(2_050));

    // An aggregator migration that overlaps the expiry: the old phase keeps answering after the
    // new one (answering already) took over; only the proxy's current phase proves.
    let asset4 = Address::repeat_byte(0xEA);
    let feed4 = deploy_feed(d, 8).await.unwrap();
    configure_asset(
        d,
        s.oracle.adapter,
        asset4,
        &[slot(feed4)],
        1,
        U256::from(ONE_PERCENT),
        U256::from(10 * ONE_PERCENT),
    )
    .await
    .unwrap();
    push_round(d, feed4, i(1_900 * E8), expiry2 - 120)
        .await
        .unwrap();
    send(d, feed4, Mock::startNewPhaseCall {}).await.unwrap();
    push_round(d, feed4, i(1_910 * E8), expiry2 - 60)
        .await
        .unwrap();
    let current = push_round(d, feed4, i(2_020 * E8), expiry2 + 30)
        .await
        .unwrap();
    let old_phase = join_round_id(1, 2);
    send(
        d,
        feed4,
        Mock::setRoundCall {
            roundId: U80::from(old_phase),
            answer: i(1_700 * E8),
            startedAt: U256::from(expiry2 + 5),
            updatedAt: U256::from(expiry2 + 5),
        },
    )
    .await
    .unwrap();
    let set4 = |round_id: u128| X::setExpiryPriceCall {
        asset: asset4,
        expiry: U256::from(expiry2),
        roundId: U80::from(round_id),
    };
    assert_reverts(
        d,
        expiry_oracle,
        set4(old_phase),
        X::RoundNotInCurrentPhase {
            roundId: U80::from(old_phase),
            currentPhase: 2,
        },
    )
    .await;
    send(d, expiry_oracle, set4(current)).await.unwrap();
    let recorded = d
        .view(
            expiry_oracle,
            X::getExpiryPriceCall {
                asset: asset4,
                expiry: U256::from(expiry2),
            },
        )
        .await
        .unwrap();
    assert_eq!(recorded.price, wad(2_020));

    // No round within the fallback window: the round after it is too late, the disputer sets
    // the price once the window is over.
    let window = 129_600;
    let asset3 = Address::repeat_byte(0xE9);
    let feed3 = deploy_feed(d, 8).await.unwrap();
    configure_asset(
        d,
        s.oracle.adapter,
        asset3,
        &[slot(feed3)],
        1,
        U256::from(ONE_PERCENT),
        U256::from(10 * ONE_PERCENT),
    )
    .await
    .unwrap();
    let expiry3 = t - window - 1_000;
    push_round(d, feed3, i(1_800 * E8), expiry3 - 100)
        .await
        .unwrap();
    let late = push_round(d, feed3, i(1_850 * E8), expiry3 + window + 1)
        .await
        .unwrap();
    assert_reverts(
        d,
        expiry_oracle,
        X::setExpiryPriceCall {
            asset: asset3,
            expiry: U256::from(expiry3),
            roundId: U80::from(late),
        },
        X::RoundTooLate {
            roundId: U80::from(late),
            updatedAt: U256::from(expiry3 + window + 1),
            deadline: U256::from(expiry3 + window),
        },
    )
    .await;
    assert_reverts(
        &s.disputer,
        expiry_oracle,
        X::setFallbackExpiryPriceCall {
            asset: asset3,
            expiry: U256::from(expiry3),
            price: wad(1_000_000),
        },
        X::ExpiryPriceOutOfBounds {
            asset: asset3,
            price: wad(1_000_000),
            minPrice: U256::ZERO,
            maxPrice: wad(1_000_000),
        },
    )
    .await;
    let recent = t - 600;
    assert_reverts(
        &s.disputer,
        expiry_oracle,
        X::setFallbackExpiryPriceCall {
            asset: asset3,
            expiry: U256::from(recent),
            price: wad(1_820),
        },
        X::FallbackNotOpen {
            asset: asset3,
            expiry: U256::from(recent),
            opensAfter: U256::from(recent + window),
        },
    )
    .await;
    send(
        &s.disputer,
        expiry_oracle,
        X::setFallbackExpiryPriceCall {
            asset: asset3,
            expiry: U256::from(expiry3),
            price: wad(1_820),
        },
    )
    .await
    .unwrap();
    let details = d
        .view(
            expiry_oracle,
            X::getExpiryPriceDetailsCall {
                asset: asset3,
                expiry: U256::from(expiry3),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (details.price, details.source),
        (wad(1_820), abi::oracle::SOURCE_FALLBACK)
    );
    assert_reverts(
        &s.outsider,
        expiry_oracle,
        X::setExpiryParametersCall {
            disputePeriod: U256::from(600),
            fallbackWindow: U256::from(3_600),
        },
        X::NotAdmin {
            caller: s.outsider.from(),
        },
    )
    .await;

    println!(
        "gas (receipt): setExpiryPrice, predecessor in the same phase {gas_set}; first round of \
         a new phase (search over 5 rounds of the old phase) {gas_phase}"
    );
}

/// Where `getPrice`'s gas goes, with every program pinned in the cache (proxy, implementation,
/// price feeds and the sequencer feed), as a deployment on Arbitrum One would pin them:
/// differences between calls that do one thing more, printed.
#[tokio::test(flavor = "multi_thread")]
async fn get_price_gas_breakdown() {
    let s = setup().await;
    let (d, adapter, asset, feed) = (&s.admin, s.oracle.adapter, s.asset, s.feed);
    let t = now(d).await;
    push_round(d, feed, i(1_990 * E8), t - 120).await.unwrap();
    push_round(d, feed, i(2_000 * E8), t - 60).await.unwrap();
    let b = deploy_feed(d, 8).await.unwrap();
    let c = deploy_feed(d, 8).await.unwrap();
    let asset3 = Address::repeat_byte(0xEB);
    configure_asset(
        d,
        adapter,
        asset3,
        &[slot(feed), slot(b), slot(c)],
        2,
        U256::from(ONE_PERCENT),
        U256::from(10 * ONE_PERCENT),
    )
    .await
    .unwrap();
    push_round(d, b, i(2_001 * E8), t - 50).await.unwrap();
    push_round(d, c, i(2_002 * E8), t - 40).await.unwrap();
    let programs = [
        adapter,
        s.oracle.adapter_implementation,
        feed,
        b,
        c,
        s.sequencer,
    ];
    for program in programs {
        pin(&s.harness, program).await;
    }
    let gas = |to: Address, call: Vec<u8>| {
        let tx = alloy::rpc::types::TransactionRequest::default()
            .from(d.from())
            .to(to)
            .input(call.into());
        async move {
            use alloy::providers::Provider;
            d.provider().estimate_gas(tx).await.expect("estimateGas")
        }
    };
    use alloy::sol_types::SolCall;
    let entry = gas(adapter, A::decimalsCall {}.abi_encode()).await;
    let feed_read = gas(feed, Mock::latestRoundDataCall {}.abi_encode()).await;
    let one = gas(adapter, A::getPriceCall { asset }.abi_encode()).await;
    let mint = gas(adapter, A::getMintPriceCall { asset }.abi_encode()).await;
    let three = gas(adapter, A::getPriceCall { asset: asset3 }.abi_encode()).await;
    send(
        d,
        adapter,
        A::setSequencerFeedCall {
            feed: Address::ZERO,
        },
    )
    .await
    .unwrap();
    let one_unchecked = gas(adapter, A::getPriceCall { asset }.abi_encode()).await;
    send(d, adapter, A::setSequencerFeedCall { feed: s.sequencer })
        .await
        .unwrap();
    let (adapter_init, adapter_init_cached) = init_gas(d, s.oracle.adapter_implementation).await;
    let (proxy_init, proxy_init_cached) = init_gas(d, adapter).await;
    let (feed_init, feed_init_cached) = init_gas(d, feed).await;
    for program in programs {
        evict(&s.harness, program).await;
    }
    assert!(entry < one && one < three && one_unchecked < one && one < mint);
    println!(
        "getPrice gas breakdown, every program pinned (eth_estimateGas, whole transaction):\n  \
         decimals() through the proxy (transaction + proxy + implementation entry): {entry}\n  \
         MockAggregator.latestRoundData() as its own transaction: {feed_read} \
         ({} above the 21,000 base)\n  \
         getPrice 1 feed: {one}; without the sequencer check: {one_unchecked} \
         (sequencer check {})\n  \
         getPrice 3 feeds: {three} ({} per extra feed)\n  \
         getMintPrice 1 feed: {mint} ({} over getPrice: the previous round)\n  \
         program init gas (uncached / cached): proxy {proxy_init} / {proxy_init_cached}, \
         adapter {adapter_init} / {adapter_init_cached}, mock feed {feed_init} / \
         {feed_init_cached}",
        feed_read - 21_000,
        one - one_unchecked,
        (three - one) / 2,
        mint - one,
    );
}
