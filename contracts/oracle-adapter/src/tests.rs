//! Unit tests: every rule and every error of the adapter, against real `MockAggregator` feeds
//! run in-process by `test-host`.

use super::*;
use abi::proxy::INITIALIZERS_DISABLED;
use alloy_sol_types::SolValue;
use mock_aggregator::MockAggregator;
use oracle_rules::testing::{self, *};
use proptest::prelude::*;
use test_host::Chain;

const ADAPTER: Address = Address::repeat_byte(0xAD);
const EXPIRY_ORACLE: Address = Address::repeat_byte(0xE0);
const FEED_B: Address = Address::repeat_byte(0x0B);
const FEED_C: Address = Address::repeat_byte(0x0C);

const T0: u64 = EXPIRY - 86_400;

struct Env {
    chain: Chain,
    oracle: OracleAdapter,
}

impl Env {
    /// An initialised adapter with an up sequencer (since long before T0) and feed A deployed.
    fn new() -> Self {
        let chain = testing::chain_with_feeds(ADAPTER, T0);
        let mut env = Self {
            oracle: OracleAdapter::from(&chain),
            chain,
        };
        env.sender(ADMIN);
        env.oracle.initialize(ADMIN, SEQUENCER).unwrap();
        env
    }

    fn deploy_feed(&self, address: Address, decimals: u8) {
        testing::deploy_feed(&self.chain, address, decimals);
    }

    fn feed(&self, address: Address) -> MockAggregator {
        testing::feed(&self.chain, address)
    }

    fn at(&self, timestamp: u64) -> &Self {
        self.chain.set_time(timestamp);
        self
    }

    fn sender(&self, who: Address) -> &Self {
        self.chain.vm().set_sender(who);
        self
    }

    fn push(&self, feed: Address, answer: i128, updated_at: u64) -> u128 {
        testing::push(&self.chain, feed, answer, updated_at)
    }

    /// Slot `index`: 8 decimals, max age 1 h, answers in (0, 1e6 units).
    fn set_feed(&mut self, feed: Address, index: u64) -> Result<(), OracleError> {
        self.sender(ADMIN);
        self.oracle.set_feed(
            ASSET,
            u(index),
            feed,
            8,
            u(MAX_AGE),
            I256::ZERO,
            i(1_000_000 * E8),
        )
    }

    fn configure_single(&mut self) {
        self.configure(&[FEED_A], 1, ONE_PERCENT);
    }

    /// The feeds in slot order, quorum, spread; circuit breaker at 10 %.
    fn configure(&mut self, feeds: &[Address], quorum: u64, max_deviation: u128) {
        for (index, feed) in feeds.iter().enumerate() {
            if self.chain.contract(*feed).is_none() {
                self.deploy_feed(*feed, 8);
            }
            self.set_feed(*feed, index as u64).unwrap();
        }
        self.oracle
            .configure_asset(
                ASSET,
                u(feeds.len() as u64),
                u(quorum),
                U256::from(max_deviation),
                U256::from(10 * ONE_PERCENT),
            )
            .unwrap();
    }

    fn logs_with(&self, topic: B256) -> Vec<(Vec<B256>, Vec<u8>)> {
        self.chain
            .vm()
            .get_emitted_logs()
            .into_iter()
            .filter(|(topics, _)| topics.first() == Some(&topic))
            .collect()
    }
}

// ---------------------------------------------------------------- initialisation and roles

#[test]
fn initialize_sets_roles_defaults_and_runs_once() {
    let mut env = Env::new();
    assert_eq!(env.oracle.admin(), ADMIN);
    assert_eq!(env.oracle.sequencer_feed(), SEQUENCER);
    assert_eq!(env.oracle.sequencer_grace_period(), u(3_600));
    assert_eq!(env.oracle.expiry_oracle(), Address::ZERO);
    let logs = env.logs_with(I::OracleAdapterInitialized::SIGNATURE_HASH);
    assert_eq!(
        I::OracleAdapterInitialized::decode_raw_log(logs[0].0.iter().copied(), &logs[0].1).unwrap(),
        I::OracleAdapterInitialized {
            admin: ADMIN,
            sequencerFeed: SEQUENCER
        }
    );
    expect_err(
        env.oracle.initialize(ALICE, Address::ZERO),
        InvalidInitialization {
            current: 1,
            requested: 1,
        },
    );
}

#[test]
fn initialize_rejects_a_zero_admin() {
    let chain = Chain::new(ADAPTER);
    let mut oracle = OracleAdapter::from(&chain);
    expect_err(
        oracle.initialize(Address::ZERO, SEQUENCER),
        I::ZeroAddress {},
    );
}

#[test]
fn the_implementation_locks_itself() {
    let chain = Chain::new(ADAPTER);
    let mut oracle = OracleAdapter::from(&chain);
    oracle.constructor();
    expect_err(
        oracle.initialize(ADMIN, SEQUENCER),
        InvalidInitialization {
            current: INITIALIZERS_DISABLED,
            requested: 1,
        },
    );
}

#[test]
fn admin_setters_reject_everyone_else() {
    let mut env = Env::new();
    env.sender(ALICE);
    let not_admin = I::NotAdmin { caller: ALICE };
    expect_err(env.oracle.set_admin(ALICE), not_admin.clone());
    expect_err(env.oracle.set_sequencer_feed(ALICE), not_admin.clone());
    expect_err(
        env.oracle.set_sequencer_grace_period(u(600)),
        not_admin.clone(),
    );
    expect_err(env.oracle.set_expiry_oracle(ALICE), not_admin.clone());
    expect_err(env.oracle.remove_asset(ASSET), not_admin.clone());
    expect_err(
        env.oracle
            .set_feed(ASSET, u(0), FEED_A, 8, u(MAX_AGE), I256::ZERO, i(E8)),
        not_admin.clone(),
    );
    expect_err(
        env.oracle.configure_asset(
            ASSET,
            u(1),
            u(1),
            U256::from(ONE_PERCENT),
            U256::from(ONE_PERCENT),
        ),
        not_admin,
    );
}

#[test]
fn admin_hands_over_roles_and_settings() {
    let mut env = Env::new();
    env.sender(ADMIN);
    expect_err(env.oracle.set_admin(Address::ZERO), I::ZeroAddress {});
    env.oracle.set_admin(ALICE).unwrap();
    assert_eq!(env.oracle.admin(), ALICE);
    expect_err(
        env.oracle.set_expiry_oracle(ALICE),
        I::NotAdmin { caller: ADMIN },
    );
    env.sender(ALICE);
    env.oracle.set_sequencer_feed(Address::ZERO).unwrap();
    assert_eq!(env.oracle.sequencer_feed(), Address::ZERO);
    env.oracle.set_expiry_oracle(EXPIRY_ORACLE).unwrap();
    assert_eq!(env.oracle.expiry_oracle(), EXPIRY_ORACLE);
    let logs = env.logs_with(I::AdminChanged::SIGNATURE_HASH);
    assert_eq!(
        I::AdminChanged::decode_raw_log(logs[0].0.iter().copied(), &logs[0].1).unwrap(),
        I::AdminChanged {
            previousAdmin: ADMIN,
            newAdmin: ALICE
        }
    );
    assert_eq!(
        env.logs_with(I::SequencerFeedChanged::SIGNATURE_HASH).len(),
        1
    );
    assert_eq!(
        env.logs_with(I::ExpiryOracleChanged::SIGNATURE_HASH).len(),
        1
    );
}

#[test]
fn the_grace_period_is_bounded() {
    let mut env = Env::new();
    env.sender(ADMIN);
    for bad in [299, 86_401] {
        expect_err(
            env.oracle.set_sequencer_grace_period(u(bad)),
            I::ParameterOutOfBounds {
                value: u(bad),
                min: u(300),
                max: u(86_400),
            },
        );
    }
    env.oracle.set_sequencer_grace_period(u(1_800)).unwrap();
    assert_eq!(env.oracle.sequencer_grace_period(), u(1_800));
    let logs = env.logs_with(I::SequencerGracePeriodChanged::SIGNATURE_HASH);
    assert_eq!(
        I::SequencerGracePeriodChanged::decode_raw_log(logs[0].0.iter().copied(), &logs[0].1)
            .unwrap(),
        I::SequencerGracePeriodChanged {
            previousGracePeriod: u(3_600),
            newGracePeriod: u(1_800)
        }
    );
}

// ---------------------------------------------------------------- asset configuration

#[test]
fn feeds_and_rules_are_stored_and_reported() {
    let mut env = Env::new();
    env.deploy_feed(FEED_B, 18);
    env.set_feed(FEED_A, 0).unwrap();
    env.oracle
        .set_feed(
            ASSET,
            u(1),
            FEED_B,
            18,
            u(90_000),
            i(10),
            I256::from_raw(wad(1_000_000)),
        )
        .unwrap();
    env.oracle
        .configure_asset(
            ASSET,
            u(2),
            u(2),
            U256::from(2 * ONE_PERCENT),
            U256::from(5 * ONE_PERCENT),
        )
        .unwrap();
    assert_eq!(
        env.oracle.get_asset_config(ASSET),
        (
            u(2),
            u(2),
            U256::from(2 * ONE_PERCENT),
            U256::from(5 * ONE_PERCENT)
        )
    );
    assert_eq!(
        env.oracle.get_feed(ASSET, u(1)),
        (FEED_B, 18, u(90_000), i(10), I256::from_raw(wad(1_000_000)))
    );
    assert_eq!(
        env.oracle.primary_feed(ASSET).unwrap(),
        (FEED_A, 8, u(MAX_AGE), I256::ZERO, i(1_000_000 * E8))
    );
    assert_eq!(env.oracle.get_feed(ASSET, u(2)).0, Address::ZERO);
    assert_eq!(env.oracle.get_feed(ASSET, U256::MAX).0, Address::ZERO);
    assert_eq!(
        env.oracle.get_asset_config(FEED_C),
        (u(0), u(0), u(0), u(0))
    );

    let logs = env.logs_with(I::FeedSet::SIGNATURE_HASH);
    assert_eq!(logs.len(), 2);
    assert_eq!(
        I::FeedSet::decode_raw_log(logs[1].0.iter().copied(), &logs[1].1).unwrap(),
        I::FeedSet {
            asset: ASSET,
            index: u(1),
            feed: FEED_B,
            decimals: 18,
            maxAge: u(90_000),
            minAnswer: i(10),
            maxAnswer: I256::from_raw(wad(1_000_000)),
        }
    );
    let logs = env.logs_with(I::AssetConfigured::SIGNATURE_HASH);
    assert_eq!(
        I::AssetConfigured::decode_raw_log(logs[0].0.iter().copied(), &logs[0].1).unwrap(),
        I::AssetConfigured {
            asset: ASSET,
            feedCount: u(2),
            quorum: u(2),
            maxDeviation: U256::from(2 * ONE_PERCENT),
            maxRoundMove: U256::from(5 * ONE_PERCENT),
        }
    );

    // Fewer feeds in service: slot 1 stays stored but no longer counts.
    env.oracle
        .configure_asset(
            ASSET,
            u(1),
            u(1),
            U256::from(ONE_PERCENT),
            U256::from(ONE_PERCENT),
        )
        .unwrap();
    env.push(FEED_A, 2_000 * E8, T0);
    assert_eq!(env.oracle.get_price(ASSET).unwrap().0, wad(2_000));
}

#[test]
fn configure_asset_rejects_bad_rules() {
    let mut env = Env::new();
    env.set_feed(FEED_A, 0).unwrap();
    let dev = U256::from(ONE_PERCENT);
    let out = |value: U256, min: U256, max: U256| I::ParameterOutOfBounds { value, min, max };
    expect_err(
        env.oracle.configure_asset(ASSET, u(0), u(1), dev, dev),
        out(u(0), u(1), u(5)),
    );
    expect_err(
        env.oracle.configure_asset(ASSET, u(6), u(1), dev, dev),
        out(u(6), u(1), u(5)),
    );
    expect_err(
        env.oracle.configure_asset(ASSET, u(1), u(0), dev, dev),
        out(u(0), u(1), u(1)),
    );
    expect_err(
        env.oracle.configure_asset(ASSET, u(1), u(2), dev, dev),
        out(u(2), u(1), u(1)),
    );
    // The quorum is a majority of the feeds in service.
    for (count, quorum, majority) in [(2, 1, 2), (3, 1, 2), (4, 2, 3), (5, 2, 3)] {
        expect_err(
            env.oracle
                .configure_asset(ASSET, u(count), u(quorum), dev, dev),
            out(u(quorum), u(majority), u(count)),
        );
    }
    for deviation in [ONE_PERCENT / 100 - 1, 50 * ONE_PERCENT + 1] {
        expect_err(
            env.oracle
                .configure_asset(ASSET, u(1), u(1), U256::from(deviation), dev),
            out(
                U256::from(deviation),
                U256::from(ONE_PERCENT / 100),
                U256::from(50 * ONE_PERCENT),
            ),
        );
    }
    for round_move in [ONE_PERCENT / 2 - 1, 50 * ONE_PERCENT + 1] {
        expect_err(
            env.oracle
                .configure_asset(ASSET, u(1), u(1), dev, U256::from(round_move)),
            out(
                U256::from(round_move),
                U256::from(ONE_PERCENT / 2),
                U256::from(50 * ONE_PERCENT),
            ),
        );
    }
    expect_err(
        env.oracle.configure_asset(ASSET, u(2), u(2), dev, dev),
        I::FeedNotSet {
            asset: ASSET,
            index: u(1),
        },
    );
    expect_err(
        env.oracle
            .configure_asset(Address::ZERO, u(1), u(1), dev, dev),
        I::ZeroAddress {},
    );
    assert!(env.logs_with(I::AssetConfigured::SIGNATURE_HASH).is_empty());
}

#[test]
fn set_feed_rejects_bad_feeds() {
    let mut env = Env::new();
    env.sender(ADMIN);
    let set = |env: &mut Env, index: u64, feed: Address, decimals: u8, age: u64, min, max| {
        env.oracle
            .set_feed(ASSET, u(index), feed, decimals, u(age), min, max)
    };
    expect_err(
        set(&mut env, 0, Address::ZERO, 8, MAX_AGE, I256::ZERO, i(E8)),
        I::ZeroAddress {},
    );
    expect_err(
        set(&mut env, 5, FEED_A, 8, MAX_AGE, I256::ZERO, i(E8)),
        I::ParameterOutOfBounds {
            value: u(5),
            min: u(0),
            max: u(4),
        },
    );
    for age in [59, 7 * 86_400 + 1] {
        expect_err(
            set(&mut env, 0, FEED_A, 8, age, I256::ZERO, i(E8)),
            I::ParameterOutOfBounds {
                value: u(age),
                min: u(60),
                max: u(604_800),
            },
        );
    }
    // A maximum that normalises beyond 1e36 (1e18 units) is refused, and so is any bound with
    // more than 18 decimals.
    let too_big = I256::from_raw(U256::from(10u8).pow(u(26)) + U256::from(1));
    for (decimals, min, max) in [
        (8, i(-1), i(E8)),
        (8, i(E8), i(E8)),
        (8, i(2 * E8), i(E8)),
        (8, I256::ZERO, too_big),
        (19, I256::ZERO, i(E8)),
    ] {
        expect_err(
            set(&mut env, 0, FEED_A, decimals, MAX_AGE, min, max),
            I::InvalidAnswerBounds {
                minAnswer: min,
                maxAnswer: max,
            },
        );
    }
    expect_err(
        set(&mut env, 0, FEED_A, 18, MAX_AGE, I256::ZERO, i(E8)),
        I::FeedDecimalsMismatch {
            feed: FEED_A,
            configured: 18,
            reported: 8,
        },
    );
    // No code at FEED_C: `decimals()` returns nothing.
    expect_err(
        set(&mut env, 0, FEED_C, 8, MAX_AGE, I256::ZERO, i(E8)),
        I::FeedUnavailable {
            asset: ASSET,
            feed: FEED_C,
        },
    );
    set(&mut env, 0, FEED_A, 8, MAX_AGE, I256::ZERO, i(E8)).unwrap();
    expect_err(
        set(&mut env, 3, FEED_A, 8, MAX_AGE, I256::ZERO, i(E8)),
        I::DuplicateFeed { feed: FEED_A },
    );
    // The same slot may be set again.
    set(&mut env, 0, FEED_A, 8, MAX_AGE, I256::ZERO, i(2 * E8)).unwrap();
    assert_eq!(env.logs_with(I::FeedSet::SIGNATURE_HASH).len(), 2);
}

#[test]
fn removed_asset_is_unknown() {
    let mut env = Env::new();
    let unknown = I::UnknownAsset { asset: ASSET };
    expect_err(env.oracle.get_price(ASSET), unknown.clone());
    expect_err(env.oracle.primary_feed(ASSET), unknown.clone());
    env.sender(ADMIN);
    expect_err(env.oracle.remove_asset(ASSET), unknown.clone());
    env.configure_single();
    env.push(FEED_A, 2_000 * E8, T0);
    assert!(env.oracle.get_price(ASSET).is_ok());
    env.sender(ADMIN);
    env.oracle.remove_asset(ASSET).unwrap();
    assert_eq!(env.logs_with(I::AssetRemoved::SIGNATURE_HASH).len(), 1);
    expect_err(env.oracle.get_price(ASSET), unknown.clone());
    expect_err(env.oracle.get_mint_price(ASSET), unknown.clone());
    expect_err(env.oracle.latest_round_data(ASSET), unknown.clone());
    expect_err(env.oracle.primary_feed(ASSET), unknown);
}

// ---------------------------------------------------------------- live prices: one feed

#[test]
fn single_feed_price_is_normalised_to_1e18() {
    let mut env = Env::new();
    env.configure_single();
    env.push(FEED_A, 2_000 * E8 + 12_345_678, T0 - 10);
    let (price, updated_at) = env.oracle.get_price(ASSET).unwrap();
    assert_eq!(
        price,
        wad(2_000) + U256::from(12_345_678u64) * U256::from(10_000_000_000u64)
    );
    assert_eq!(updated_at, u(T0 - 10));
    assert_eq!(OracleAdapter::decimals(), 18);
}

#[test]
fn feeds_with_18_decimals_pass_through() {
    let mut env = Env::new();
    env.deploy_feed(FEED_B, 18);
    env.sender(ADMIN);
    env.oracle
        .set_feed(
            ASSET,
            u(0),
            FEED_B,
            18,
            u(MAX_AGE),
            I256::ZERO,
            I256::from_raw(wad(1_000_000)),
        )
        .unwrap();
    env.oracle
        .configure_asset(
            ASSET,
            u(1),
            u(1),
            U256::from(ONE_PERCENT),
            U256::from(ONE_PERCENT),
        )
        .unwrap();
    env.push(FEED_B, 1_234_567, T0);
    assert_eq!(env.oracle.get_price(ASSET).unwrap().0, u(1_234_567));
}

#[test]
fn stale_answers_are_refused_with_their_age() {
    let mut env = Env::new();
    env.configure_single();
    env.push(FEED_A, 2_000 * E8, T0 - MAX_AGE);
    assert!(
        env.oracle.get_price(ASSET).is_ok(),
        "exactly max age is fresh"
    );
    env.at(T0 + 1);
    let stale = |updated_at| I::StalePrice {
        asset: ASSET,
        feed: FEED_A,
        updatedAt: u(updated_at),
        maxAge: u(MAX_AGE),
    };
    expect_err(env.oracle.get_price(ASSET), stale(T0 - MAX_AGE));
    // A timestamp from the future is not fresh either.
    env.push(FEED_A, 2_000 * E8, T0 + 100);
    expect_err(env.oracle.get_price(ASSET), stale(T0 + 100));
}

#[test]
fn non_positive_answers_are_refused() {
    let mut env = Env::new();
    env.configure_single();
    for answer in [0, -1, -2_000 * E8] {
        env.push(FEED_A, answer, T0);
        expect_err(
            env.oracle.get_price(ASSET),
            I::NonPositivePrice {
                asset: ASSET,
                feed: FEED_A,
                answer: i(answer),
            },
        );
    }
}

#[test]
fn answers_at_or_beyond_the_bounds_are_refused() {
    let mut env = Env::new();
    env.sender(ADMIN);
    env.oracle
        .set_feed(
            ASSET,
            u(0),
            FEED_A,
            8,
            u(MAX_AGE),
            i(10 * E8),
            i(100_000 * E8),
        )
        .unwrap();
    env.oracle
        .configure_asset(
            ASSET,
            u(1),
            u(1),
            U256::from(ONE_PERCENT),
            U256::from(50 * ONE_PERCENT),
        )
        .unwrap();
    for answer in [10 * E8, 5 * E8, 100_000 * E8, 200_000 * E8] {
        env.push(FEED_A, answer, T0);
        expect_err(
            env.oracle.get_price(ASSET),
            I::PriceOutOfBounds {
                asset: ASSET,
                feed: FEED_A,
                answer: i(answer),
                minAnswer: i(10 * E8),
                maxAnswer: i(100_000 * E8),
            },
        );
    }
    env.push(FEED_A, 10 * E8 + 1, T0);
    assert!(env.oracle.get_price(ASSET).is_ok());
    env.push(FEED_A, 100_000 * E8 - 1, T0);
    assert!(env.oracle.get_price(ASSET).is_ok());
}

#[test]
fn a_failing_feed_is_unavailable() {
    let mut env = Env::new();
    env.configure_single();
    env.push(FEED_A, 2_000 * E8, T0);
    env.feed(FEED_A).set_failing(true).unwrap();
    expect_err(
        env.oracle.get_price(ASSET),
        I::FeedUnavailable {
            asset: ASSET,
            feed: FEED_A,
        },
    );
}

// ---------------------------------------------------------------- sequencer

#[test]
fn sequencer_down_blocks_live_prices() {
    let mut env = Env::new();
    env.configure_single();
    env.push(FEED_A, 2_000 * E8, T0);
    env.push(SEQUENCER, 1, T0 - 60);
    let down = I::SequencerDown { since: u(T0 - 60) };
    expect_err(env.oracle.get_price(ASSET), down.clone());
    expect_err(env.oracle.get_mint_price(ASSET), down.clone());
    expect_err(env.oracle.latest_round_data(ASSET), down);
}

#[test]
fn sequencer_grace_period_runs_after_it_comes_back() {
    let mut env = Env::new();
    env.configure_single();
    env.push(SEQUENCER, 1, T0 - 7_200);
    env.push(SEQUENCER, 0, T0 - 600);
    env.push(FEED_A, 2_000 * E8, T0);
    expect_err(
        env.oracle.get_price(ASSET),
        I::SequencerGracePeriodNotOver {
            upSince: u(T0 - 600),
            gracePeriod: u(3_600),
        },
    );
    env.at(T0 - 600 + 3_599);
    env.push(FEED_A, 2_000 * E8, T0 + 2_999);
    assert!(env.oracle.get_price(ASSET).is_err());
    env.at(T0 - 600 + 3_600);
    assert_eq!(env.oracle.get_price(ASSET).unwrap().0, wad(2_000));
    // A shorter grace period, set by governance, applies at once.
    env.at(T0);
    env.sender(ADMIN);
    env.oracle.set_sequencer_grace_period(u(600)).unwrap();
    env.push(FEED_A, 2_000 * E8, T0);
    assert!(env.oracle.get_price(ASSET).is_ok());
}

#[test]
fn unreadable_sequencer_status_is_refused() {
    let mut env = Env::new();
    env.configure_single();
    env.push(FEED_A, 2_000 * E8, T0);
    let unavailable = I::SequencerStatusUnavailable { feed: SEQUENCER };
    // Neither up nor down.
    env.push(SEQUENCER, 2, T0 - 86_400);
    expect_err(env.oracle.get_price(ASSET), unavailable.clone());
    // An invalid round: Chainlink reports startedAt = 0.
    env.feed(SEQUENCER)
        .push_round(I256::ZERO, U256::ZERO, u(T0 - 86_400))
        .unwrap();
    expect_err(env.oracle.get_price(ASSET), unavailable.clone());
    env.feed(SEQUENCER).set_failing(true).unwrap();
    expect_err(env.oracle.get_price(ASSET), unavailable);
    // Without a sequencer feed (local chains) nothing is checked.
    env.sender(ADMIN);
    env.oracle.set_sequencer_feed(Address::ZERO).unwrap();
    assert!(env.oracle.get_price(ASSET).is_ok());
}

// ---------------------------------------------------------------- several feeds

#[test]
fn median_of_three_ignores_one_lying_feed() {
    let mut env = Env::new();
    env.configure(&[FEED_A, FEED_B, FEED_C], 2, ONE_PERCENT);
    let a = env.push(FEED_A, 2_000 * E8, T0 - 30);
    env.push(FEED_B, 2_010 * E8, T0 - 20);
    env.push(FEED_C, 5_000 * E8, T0 - 300);
    let (price, updated_at) = env.oracle.get_price(ASSET).unwrap();
    assert_eq!(price, wad(2_010));
    // The median timestamp of the agreeing feeds (the mean of two); the liar's is ignored.
    assert_eq!(updated_at, u(T0 - 25));
    let (round_id, answer, started_at, updated, answered_in) =
        env.oracle.latest_round_data(ASSET).unwrap();
    assert_eq!(round_id.to::<u128>(), a);
    assert_eq!(answer, I256::from_raw(wad(2_010)));
    assert_eq!(started_at, u(T0 - 25));
    assert_eq!(updated, u(T0 - 25));
    assert_eq!(answered_in, round_id);
}

#[test]
fn sources_that_disagree_are_refused() {
    let mut env = Env::new();
    env.configure(&[FEED_A, FEED_B], 2, ONE_PERCENT);
    env.push(FEED_A, 2_000 * E8, T0);
    env.push(FEED_B, 2_200 * E8, T0);
    expect_err(
        env.oracle.get_price(ASSET),
        I::SourcesDisagree {
            asset: ASSET,
            lowest: wad(2_000),
            highest: wad(2_200),
            maxDeviation: U256::from(ONE_PERCENT),
        },
    );
    // Within 1% of the median (2_010) both agree.
    env.push(FEED_B, 2_020 * E8, T0);
    assert_eq!(env.oracle.get_price(ASSET).unwrap().0, wad(2_010));
}

#[test]
fn quorum_counts_only_accepted_feeds() {
    let mut env = Env::new();
    env.configure(&[FEED_A, FEED_B, FEED_C], 2, ONE_PERCENT);
    env.push(FEED_A, 2_000 * E8, T0 - 2 * MAX_AGE);
    env.push(FEED_B, 2_001 * E8, T0);
    env.push(FEED_C, -1, T0);
    expect_err(
        env.oracle.get_price(ASSET),
        I::QuorumNotMet {
            asset: ASSET,
            valid: u(1),
            quorum: u(2),
        },
    );
    // Two fresh feeds meet the quorum: the median of two is their mean, rounded down.
    env.push(FEED_C, 2_000 * E8 + 1, T0);
    let (price, _) = env.oracle.get_price(ASSET).unwrap();
    assert_eq!(price, (wad(2_001) + wad(2_000) + u(10_000_000_000)) / u(2));
    // latestRoundData names the first agreeing feed when the primary is out.
    let (round_id, ..) = env.oracle.latest_round_data(ASSET).unwrap();
    assert_eq!(round_id.to::<u128>(), join_round_id(1, 1));
}

#[test]
fn the_agreeing_feeds_must_still_meet_the_quorum() {
    let mut env = Env::new();
    env.configure(&[FEED_A, FEED_B, FEED_C], 2, ONE_PERCENT);
    env.push(FEED_A, 2_000 * E8, T0);
    env.push(FEED_B, 2_500 * E8, T0);
    env.push(FEED_C, 3_000 * E8, T0);
    // Median 2_500: only B agrees with it.
    expect_err(
        env.oracle.get_price(ASSET),
        I::SourcesDisagree {
            asset: ASSET,
            lowest: wad(2_000),
            highest: wad(3_000),
            maxDeviation: U256::from(ONE_PERCENT),
        },
    );
    env.push(FEED_C, 2_510 * E8, T0);
    assert_eq!(env.oracle.get_price(ASSET).unwrap().0, wad(2_500));
}

#[test]
fn the_timestamp_is_the_median_of_the_agreeing_feeds() {
    let mut env = Env::new();
    env.configure(&[FEED_A, FEED_B, FEED_C], 2, ONE_PERCENT);
    // One slow feed no longer holds the timestamp back...
    env.push(FEED_A, 2_000 * E8, T0 - MAX_AGE);
    env.push(FEED_A, 2_000 * E8, T0 - MAX_AGE + 1);
    env.push(FEED_B, 2_001 * E8, T0 - 60);
    env.push(FEED_C, 2_002 * E8, T0);
    assert_eq!(
        env.oracle.get_price(ASSET).unwrap(),
        (wad(2_001), u(T0 - 60))
    );
    assert_eq!(env.oracle.get_mint_price(ASSET).unwrap().1, u(T0 - 60));
    assert_eq!(env.oracle.latest_round_data(ASSET).unwrap().3, u(T0 - 60));
    // ...and one fresh feed does not make an old majority look fresh.
    env.push(FEED_B, 2_001 * E8, T0 - MAX_AGE + 2);
    assert_eq!(env.oracle.get_price(ASSET).unwrap().1, u(T0 - MAX_AGE + 2));
}

// ---------------------------------------------------------------- circuit breaker

#[test]
fn a_large_move_stops_mints_but_not_liquidations() {
    let mut env = Env::new();
    env.configure_single();
    env.push(FEED_A, 2_000 * E8, T0 - 120);
    env.push(FEED_A, 1_700 * E8, T0 - 60);
    // -15 % against a 10 % bound.
    expect_err(
        env.oracle.get_mint_price(ASSET),
        I::PriceMoveTooLarge {
            asset: ASSET,
            previous: wad(2_000),
            current: wad(1_700),
            maxMove: U256::from(10 * ONE_PERCENT),
        },
    );
    assert_eq!(
        env.oracle.get_price(ASSET).unwrap(),
        (wad(1_700), u(T0 - 60))
    );
    // The next round within 10 % of 1_700 opens mints again; exactly 10 % is allowed.
    env.push(FEED_A, 1_870 * E8, T0);
    assert_eq!(
        env.oracle.get_mint_price(ASSET).unwrap(),
        (wad(1_870), u(T0))
    );
    env.push(FEED_A, 1_870 * E8 + 1_870 * E8 / 10 + 1, T0);
    assert!(env.oracle.get_mint_price(ASSET).is_err());
    // Governance widens the bound.
    env.sender(ADMIN);
    env.oracle
        .configure_asset(
            ASSET,
            u(1),
            u(1),
            U256::from(ONE_PERCENT),
            U256::from(20 * ONE_PERCENT),
        )
        .unwrap();
    assert!(env.oracle.get_mint_price(ASSET).is_ok());
}

#[test]
fn mints_wait_for_a_second_round_of_a_phase() {
    let mut env = Env::new();
    env.configure_single();
    let first = env.push(FEED_A, 2_000 * E8, T0);
    assert_eq!(first, join_round_id(1, 1));
    let unavailable = |id| I::RoundUnavailable {
        feed: FEED_A,
        roundId: U80::from(id),
    };
    expect_err(
        env.oracle.get_mint_price(ASSET),
        unavailable(join_round_id(1, 0)),
    );
    env.push(FEED_A, 2_001 * E8, T0);
    assert!(env.oracle.get_mint_price(ASSET).is_ok());
    env.feed(FEED_A).start_new_phase().unwrap();
    env.push(FEED_A, 2_002 * E8, T0);
    expect_err(
        env.oracle.get_mint_price(ASSET),
        unavailable(join_round_id(2, 0)),
    );
    assert!(env.oracle.get_price(ASSET).is_ok());
}

#[test]
fn a_non_positive_previous_round_stops_mints() {
    let mut env = Env::new();
    env.configure_single();
    env.push(FEED_A, 0, T0 - 60);
    env.push(FEED_A, 2_000 * E8, T0);
    expect_err(
        env.oracle.get_mint_price(ASSET),
        I::NonPositivePrice {
            asset: ASSET,
            feed: FEED_A,
            answer: I256::ZERO,
        },
    );
}

// ---------------------------------------------------------------- expiry price forwarding

#[test]
fn expiry_prices_are_forwarded_to_the_expiry_oracle() {
    let mut env = Env::new();
    expect_err(
        env.oracle.get_expiry_price(ASSET, u(T0)),
        I::ExpiryOracleUnavailable {
            oracle: Address::ZERO,
        },
    );
    env.sender(ADMIN);
    env.oracle.set_expiry_oracle(EXPIRY_ORACLE).unwrap();
    // An account without code answers nothing.
    expect_err(
        env.oracle.get_expiry_price(ASSET, u(T0)),
        I::ExpiryOracleUnavailable {
            oracle: EXPIRY_ORACLE,
        },
    );
    env.chain.on_call(
        EXPIRY_ORACLE,
        Box::new(|caller, data| {
            assert_eq!(caller, ADAPTER);
            let call = I::getExpiryPriceCall::abi_decode(data).unwrap();
            assert_eq!((call.asset, call.expiry), (ASSET, u(T0)));
            Some(Ok((wad(1_999), true).abi_encode_params()))
        }),
    );
    assert_eq!(
        env.oracle.get_expiry_price(ASSET, u(T0)).unwrap(),
        (wad(1_999), true)
    );
}

// ---------------------------------------------------------------- properties

proptest! {
    #[test]
    fn median_sits_in_the_middle(values in proptest::collection::vec(0u128..u128::MAX, 1..=5)) {
        let mut prices: Vec<U256> = values.iter().map(|v| U256::from(*v)).collect();
        let m = median(&mut prices);
        prop_assert!(prices.windows(2).all(|w| w[0] <= w[1]), "sorted");
        let below = prices.iter().filter(|p| **p <= m).count();
        let above = prices.iter().filter(|p| **p >= m).count();
        prop_assert!(prices[0] <= m && m <= prices[prices.len() - 1]);
        prop_assert!(2 * below >= prices.len() && 2 * above >= prices.len());
        if prices.len() == 2 {
            prop_assert_eq!(m, (prices[0] + prices[1]) / U256::from(2));
        }
    }
}
