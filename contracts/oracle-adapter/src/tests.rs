//! Unit tests: every rule and every error of the adapter, against real `MockAggregator` feeds.

use super::*;
use crate::test_chain::{Chain, ADAPTER};
use abi::oracle::{SOURCE_DISPUTED, SOURCE_FALLBACK, SOURCE_NONE, SOURCE_ROUND};
use alloy_sol_types::{SolError, SolEvent};
use proptest::prelude::*;

const ADMIN: Address = Address::repeat_byte(0xA1);
const DISPUTER: Address = Address::repeat_byte(0xD1);
const ALICE: Address = Address::repeat_byte(0xA7);
const ASSET: Address = Address::repeat_byte(0xE7);
const SEQUENCER: Address = Address::repeat_byte(0x5E);
const FEED_A: Address = Address::repeat_byte(0x0A);
const FEED_B: Address = Address::repeat_byte(0x0B);
const FEED_C: Address = Address::repeat_byte(0x0C);

/// 2026-11-20 08:00 UTC, an expiry on the grid.
const EXPIRY: u64 = 1_795_161_600;
const T0: u64 = EXPIRY - 86_400;
const MAX_AGE: u64 = 3_600;
const ONE_PERCENT: u128 = 10_000_000_000_000_000;
/// 1e8: one unit with Chainlink's 8 USD decimals.
const E8: i128 = 100_000_000;

fn u(value: u64) -> U256 {
    U256::from(value)
}

fn i(value: i128) -> I256 {
    I256::try_from(value).unwrap()
}

/// `units` with 18 decimals.
fn wad(units: u128) -> U256 {
    U256::from(units) * U256::from(abi::PRICE_SCALE)
}

fn encoded<T>(result: Result<T, OracleError>) -> Vec<u8> {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(error) => error.into(),
    }
}

fn expect_err<T, E: SolError>(result: Result<T, OracleError>, expected: E) {
    assert_eq!(encoded(result), expected.abi_encode());
}

struct Env {
    chain: Chain,
    oracle: OracleAdapter,
}

impl Env {
    /// An initialised adapter with an up sequencer (since long before T0) and feed A deployed.
    fn new() -> Self {
        let chain = Chain::new();
        chain.set_time(T0);
        chain.deploy_feed(SEQUENCER, 0);
        chain
            .feed(SEQUENCER)
            .push_round(I256::ZERO, u(T0 - 10 * 86_400), u(T0 - 10 * 86_400))
            .unwrap();
        chain.deploy_feed(FEED_A, 8);
        let mut oracle = OracleAdapter::from(&chain);
        chain.vm().set_sender(ADMIN);
        oracle.initialize(ADMIN, DISPUTER, SEQUENCER).unwrap();
        Self { chain, oracle }
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
        self.chain
            .feed(feed)
            .push_round(i(answer), u(updated_at), u(updated_at))
            .unwrap()
            .to::<u128>()
    }

    /// Feed A alone: 8 decimals, max age 1 h, answers in (0, 1e6 units).
    fn configure_single(&mut self) {
        self.configure(&[FEED_A], 1, ONE_PERCENT);
    }

    fn configure(&mut self, feeds: &[Address], quorum: u64, max_deviation: u128) {
        for feed in feeds {
            if *feed != FEED_A {
                self.chain.deploy_feed(*feed, 8);
            }
        }
        let n = feeds.len();
        self.sender(ADMIN);
        self.oracle
            .configure_asset(
                ASSET,
                feeds.to_vec(),
                vec![8; n],
                vec![u(MAX_AGE); n],
                vec![I256::ZERO; n],
                vec![i(1_000_000 * E8); n],
                u(quorum),
                U256::from(max_deviation),
            )
            .unwrap();
    }

    fn logs_with(&self, topic: B256) -> usize {
        self.chain
            .vm()
            .get_emitted_logs()
            .iter()
            .filter(|(topics, _)| topics.first() == Some(&topic))
            .count()
    }
}

use alloy_primitives::B256;

// ---------------------------------------------------------------- initialisation and roles

#[test]
fn initialize_sets_roles_defaults_and_runs_once() {
    let mut env = Env::new();
    assert_eq!(env.oracle.admin(), ADMIN);
    assert_eq!(env.oracle.disputer(), DISPUTER);
    assert_eq!(env.oracle.sequencer_feed(), SEQUENCER);
    assert_eq!(env.oracle.sequencer_grace_period(), u(3_600));
    assert_eq!(env.oracle.dispute_period(), u(7_200));
    assert_eq!(env.oracle.fallback_window(), u(129_600));
    assert_eq!(env.logs_with(I::Initialized::SIGNATURE_HASH), 1);
    expect_err(
        env.oracle.initialize(ALICE, ALICE, Address::ZERO),
        I::AlreadyInitialized {},
    );
}

#[test]
fn initialize_rejects_zero_roles() {
    let chain = Chain::new();
    let mut oracle = OracleAdapter::from(&chain);
    expect_err(
        oracle.initialize(Address::ZERO, DISPUTER, SEQUENCER),
        I::ZeroAddress {},
    );
    expect_err(
        oracle.initialize(ADMIN, Address::ZERO, SEQUENCER),
        I::ZeroAddress {},
    );
}

#[test]
fn admin_setters_reject_everyone_else() {
    let mut env = Env::new();
    env.sender(ALICE);
    let not_admin = I::NotAdmin { caller: ALICE };
    expect_err(env.oracle.set_admin(ALICE), not_admin.clone());
    expect_err(env.oracle.set_disputer(ALICE), not_admin.clone());
    expect_err(env.oracle.set_sequencer_feed(ALICE), not_admin.clone());
    expect_err(
        env.oracle.set_sequencer_grace_period(u(600)),
        not_admin.clone(),
    );
    expect_err(
        env.oracle.set_expiry_parameters(u(600), u(3_600)),
        not_admin.clone(),
    );
    expect_err(env.oracle.remove_asset(ASSET), not_admin.clone());
    expect_err(
        env.oracle.configure_asset(
            ASSET,
            vec![FEED_A],
            vec![8],
            vec![u(MAX_AGE)],
            vec![I256::ZERO],
            vec![i(E8)],
            u(1),
            U256::from(ONE_PERCENT),
        ),
        not_admin,
    );
}

#[test]
fn admin_hands_over_roles() {
    let mut env = Env::new();
    env.sender(ADMIN);
    env.oracle.set_admin(ALICE).unwrap();
    assert_eq!(env.oracle.admin(), ALICE);
    assert_eq!(env.logs_with(I::AdminChanged::SIGNATURE_HASH), 1);
    expect_err(
        env.oracle.set_disputer(ALICE),
        I::NotAdmin { caller: ADMIN },
    );
    env.sender(ALICE);
    expect_err(env.oracle.set_admin(Address::ZERO), I::ZeroAddress {});
    expect_err(env.oracle.set_disputer(Address::ZERO), I::ZeroAddress {});
    env.oracle.set_disputer(ADMIN).unwrap();
    assert_eq!(env.oracle.disputer(), ADMIN);
    assert_eq!(env.logs_with(I::DisputerChanged::SIGNATURE_HASH), 1);
    env.oracle.set_sequencer_feed(Address::ZERO).unwrap();
    assert_eq!(env.oracle.sequencer_feed(), Address::ZERO);
    assert_eq!(env.logs_with(I::SequencerFeedChanged::SIGNATURE_HASH), 1);
}

#[test]
fn periods_are_bounded() {
    let mut env = Env::new();
    env.sender(ADMIN);
    expect_err(
        env.oracle.set_sequencer_grace_period(u(299)),
        I::ParameterOutOfBounds {
            value: u(299),
            min: u(300),
            max: u(86_400),
        },
    );
    expect_err(
        env.oracle.set_sequencer_grace_period(u(86_401)),
        I::ParameterOutOfBounds {
            value: u(86_401),
            min: u(300),
            max: u(86_400),
        },
    );
    env.oracle.set_sequencer_grace_period(u(1_800)).unwrap();
    assert_eq!(env.oracle.sequencer_grace_period(), u(1_800));
    assert_eq!(
        env.logs_with(I::SequencerGracePeriodChanged::SIGNATURE_HASH),
        1
    );

    expect_err(
        env.oracle.set_expiry_parameters(u(599), u(3_600)),
        I::ParameterOutOfBounds {
            value: u(599),
            min: u(600),
            max: u(21_600),
        },
    );
    expect_err(
        env.oracle.set_expiry_parameters(u(21_601), u(3_600)),
        I::ParameterOutOfBounds {
            value: u(21_601),
            min: u(600),
            max: u(21_600),
        },
    );
    expect_err(
        env.oracle.set_expiry_parameters(u(600), u(3_599)),
        I::ParameterOutOfBounds {
            value: u(3_599),
            min: u(3_600),
            max: u(604_800),
        },
    );
    expect_err(
        env.oracle.set_expiry_parameters(u(600), U256::MAX),
        I::ParameterOutOfBounds {
            value: U256::MAX,
            min: u(3_600),
            max: u(604_800),
        },
    );
    env.oracle.set_expiry_parameters(u(600), u(3_600)).unwrap();
    assert_eq!(env.oracle.dispute_period(), u(600));
    assert_eq!(env.oracle.fallback_window(), u(3_600));
    assert_eq!(env.logs_with(I::ExpiryParametersChanged::SIGNATURE_HASH), 1);
}

// ---------------------------------------------------------------- asset configuration

struct Config {
    feeds: Vec<Address>,
    decimals: Vec<u8>,
    max_ages: Vec<U256>,
    min_answers: Vec<I256>,
    max_answers: Vec<I256>,
    quorum: U256,
    max_deviation: U256,
}

impl Config {
    fn single() -> Self {
        Self {
            feeds: vec![FEED_A],
            decimals: vec![8],
            max_ages: vec![u(MAX_AGE)],
            min_answers: vec![I256::ZERO],
            max_answers: vec![i(1_000_000 * E8)],
            quorum: u(1),
            max_deviation: U256::from(ONE_PERCENT),
        }
    }

    fn apply(self, env: &mut Env) -> Result<(), OracleError> {
        env.sender(ADMIN);
        env.oracle.configure_asset(
            ASSET,
            self.feeds,
            self.decimals,
            self.max_ages,
            self.min_answers,
            self.max_answers,
            self.quorum,
            self.max_deviation,
        )
    }
}

#[test]
fn configure_asset_stores_and_reports_the_configuration() {
    let mut env = Env::new();
    env.chain.deploy_feed(FEED_B, 18);
    let config = Config {
        feeds: vec![FEED_A, FEED_B],
        decimals: vec![8, 18],
        max_ages: vec![u(MAX_AGE), u(90_000)],
        min_answers: vec![i(1), i(10)],
        max_answers: vec![i(1_000_000 * E8), i(1_000_000_000_000_000_000_000_000)],
        quorum: u(2),
        max_deviation: U256::from(2 * ONE_PERCENT),
    };
    config.apply(&mut env).unwrap();
    let (feeds, decimals, max_ages, mins, maxs, quorum, deviation) =
        env.oracle.get_asset_config(ASSET);
    assert_eq!(feeds, vec![FEED_A, FEED_B]);
    assert_eq!(decimals, vec![8, 18]);
    assert_eq!(max_ages, vec![u(MAX_AGE), u(90_000)]);
    assert_eq!(mins, vec![i(1), i(10)]);
    assert_eq!(
        maxs,
        vec![i(1_000_000 * E8), i(1_000_000_000_000_000_000_000_000)]
    );
    assert_eq!(quorum, u(2));
    assert_eq!(deviation, U256::from(2 * ONE_PERCENT));
    assert_eq!(env.logs_with(I::AssetConfigured::SIGNATURE_HASH), 1);
    assert_eq!(env.logs_with(I::FeedConfigured::SIGNATURE_HASH), 2);

    // Reconfiguring with fewer feeds drops the others.
    Config::single().apply(&mut env).unwrap();
    assert_eq!(env.oracle.get_asset_config(ASSET).0, vec![FEED_A]);
    assert_eq!(env.oracle.get_asset_config(FEED_C).0, Vec::<Address>::new());
}

#[test]
fn configure_asset_rejects_bad_shapes() {
    let mut env = Env::new();
    let mut none = Config::single();
    none.feeds.clear();
    expect_err(
        none.apply(&mut env),
        I::ParameterOutOfBounds {
            value: u(0),
            min: u(1),
            max: u(5),
        },
    );
    let mut six = Config::single();
    six.feeds = vec![FEED_A; 6];
    expect_err(
        six.apply(&mut env),
        I::ParameterOutOfBounds {
            value: u(6),
            min: u(1),
            max: u(5),
        },
    );
    let mut mismatch = Config::single();
    mismatch.max_answers.push(i(1));
    expect_err(mismatch.apply(&mut env), I::ConfigLengthMismatch {});
    let mut zero_quorum = Config::single();
    zero_quorum.quorum = u(0);
    expect_err(
        zero_quorum.apply(&mut env),
        I::ParameterOutOfBounds {
            value: u(0),
            min: u(1),
            max: u(1),
        },
    );
    let mut big_quorum = Config::single();
    big_quorum.quorum = u(2);
    expect_err(
        big_quorum.apply(&mut env),
        I::ParameterOutOfBounds {
            value: u(2),
            min: u(1),
            max: u(1),
        },
    );
    for deviation in [ONE_PERCENT / 100 - 1, 50 * ONE_PERCENT + 1] {
        let mut bad = Config::single();
        bad.max_deviation = U256::from(deviation);
        expect_err(
            bad.apply(&mut env),
            I::ParameterOutOfBounds {
                value: U256::from(deviation),
                min: U256::from(ONE_PERCENT / 100),
                max: U256::from(50 * ONE_PERCENT),
            },
        );
    }
    env.sender(ADMIN);
    expect_err(
        env.oracle.configure_asset(
            Address::ZERO,
            vec![FEED_A],
            vec![8],
            vec![u(MAX_AGE)],
            vec![I256::ZERO],
            vec![i(E8)],
            u(1),
            U256::from(ONE_PERCENT),
        ),
        I::ZeroAddress {},
    );
}

#[test]
fn configure_asset_rejects_bad_feeds() {
    let mut env = Env::new();
    let mut zero = Config::single();
    zero.feeds = vec![Address::ZERO];
    expect_err(zero.apply(&mut env), I::ZeroAddress {});

    let mut duplicate = Config::single();
    duplicate.feeds = vec![FEED_A, FEED_A];
    duplicate.decimals = vec![8, 8];
    duplicate.max_ages = vec![u(MAX_AGE); 2];
    duplicate.min_answers = vec![I256::ZERO; 2];
    duplicate.max_answers = vec![i(E8); 2];
    expect_err(duplicate.apply(&mut env), I::DuplicateFeed { feed: FEED_A });

    let mut decimals = Config::single();
    decimals.decimals = vec![19];
    expect_err(
        decimals.apply(&mut env),
        I::ParameterOutOfBounds {
            value: u(19),
            min: u(0),
            max: u(18),
        },
    );

    for age in [59, 7 * 86_400 + 1] {
        let mut bad = Config::single();
        bad.max_ages = vec![u(age)];
        expect_err(
            bad.apply(&mut env),
            I::ParameterOutOfBounds {
                value: u(age),
                min: u(60),
                max: u(604_800),
            },
        );
    }

    for (min, max) in [(i(-1), i(E8)), (i(E8), i(E8)), (i(2 * E8), i(E8))] {
        let mut bad = Config::single();
        bad.min_answers = vec![min];
        bad.max_answers = vec![max];
        expect_err(
            bad.apply(&mut env),
            I::InvalidAnswerBounds {
                minAnswer: min,
                maxAnswer: max,
            },
        );
    }
    // A maximum that normalises beyond 1e36 (1e18 units) is refused.
    let mut huge = Config::single();
    let too_big = I256::from_raw(U256::from(10u8).pow(u(26)) + U256::from(1));
    huge.max_answers = vec![too_big];
    expect_err(
        huge.apply(&mut env),
        I::InvalidAnswerBounds {
            minAnswer: I256::ZERO,
            maxAnswer: too_big,
        },
    );

    let mut wrong_decimals = Config::single();
    wrong_decimals.decimals = vec![18];
    wrong_decimals.max_answers = vec![i(E8)];
    expect_err(
        wrong_decimals.apply(&mut env),
        I::FeedDecimalsMismatch {
            feed: FEED_A,
            configured: 18,
            reported: 8,
        },
    );

    let mut no_code = Config::single();
    no_code.feeds = vec![FEED_C];
    expect_err(
        no_code.apply(&mut env),
        I::FeedUnavailable {
            asset: ASSET,
            feed: FEED_C,
        },
    );
    assert_eq!(env.logs_with(I::AssetConfigured::SIGNATURE_HASH), 0);
}

#[test]
fn removed_asset_is_unknown() {
    let mut env = Env::new();
    expect_err(
        env.oracle.get_price(ASSET),
        I::UnknownAsset { asset: ASSET },
    );
    env.sender(ADMIN);
    expect_err(
        env.oracle.remove_asset(ASSET),
        I::UnknownAsset { asset: ASSET },
    );
    env.configure_single();
    env.push(FEED_A, 2_000 * E8, T0);
    assert!(env.oracle.get_price(ASSET).is_ok());
    env.sender(ADMIN);
    env.oracle.remove_asset(ASSET).unwrap();
    assert_eq!(env.logs_with(I::AssetRemoved::SIGNATURE_HASH), 1);
    expect_err(
        env.oracle.get_price(ASSET),
        I::UnknownAsset { asset: ASSET },
    );
    expect_err(
        env.oracle.latest_round_data(ASSET),
        I::UnknownAsset { asset: ASSET },
    );
    expect_err(
        env.oracle.get_round_price(ASSET, U80::from(1)),
        I::UnknownAsset { asset: ASSET },
    );
    expect_err(
        env.oracle.set_expiry_price(ASSET, u(T0), U80::from(1)),
        I::UnknownAsset { asset: ASSET },
    );
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
    env.chain.deploy_feed(FEED_B, 18);
    let mut config = Config::single();
    config.feeds = vec![FEED_B];
    config.decimals = vec![18];
    config.max_answers = vec![I256::from_raw(wad(1_000_000))];
    config.apply(&mut env).unwrap();
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
    expect_err(
        env.oracle.get_price(ASSET),
        I::StalePrice {
            asset: ASSET,
            feed: FEED_A,
            updatedAt: u(T0 - MAX_AGE),
            maxAge: u(MAX_AGE),
        },
    );
    // A timestamp from the future is not fresh either.
    env.push(FEED_A, 2_000 * E8, T0 + 100);
    expect_err(
        env.oracle.get_price(ASSET),
        I::StalePrice {
            asset: ASSET,
            feed: FEED_A,
            updatedAt: u(T0 + 100),
            maxAge: u(MAX_AGE),
        },
    );
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
    let mut config = Config::single();
    config.min_answers = vec![i(10 * E8)];
    config.max_answers = vec![i(100_000 * E8)];
    config.apply(&mut env).unwrap();
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
    env.chain.feed(FEED_A).set_failing(true).unwrap();
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
    expect_err(
        env.oracle.get_price(ASSET),
        I::SequencerDown { since: u(T0 - 60) },
    );
    expect_err(
        env.oracle.latest_round_data(ASSET),
        I::SequencerDown { since: u(T0 - 60) },
    );
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
    env.chain
        .feed(SEQUENCER)
        .push_round(I256::ZERO, U256::ZERO, u(T0 - 86_400))
        .unwrap();
    expect_err(env.oracle.get_price(ASSET), unavailable.clone());
    env.chain.feed(SEQUENCER).set_failing(true).unwrap();
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
    // The oldest timestamp among the agreeing feeds; the liar's is ignored.
    assert_eq!(updated_at, u(T0 - 30));
    let (round_id, answer, started_at, updated, answered_in) =
        env.oracle.latest_round_data(ASSET).unwrap();
    assert_eq!(round_id.to::<u128>(), a);
    assert_eq!(answer, I256::from_raw(wad(2_010)));
    assert_eq!(started_at, u(T0 - 30));
    assert_eq!(updated, u(T0 - 30));
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
fn a_lone_survivor_must_still_meet_the_deviation_rule() {
    let mut env = Env::new();
    env.configure(&[FEED_A, FEED_B], 1, ONE_PERCENT);
    env.push(FEED_A, 2_000 * E8, T0);
    env.push(FEED_B, 3_000 * E8, T0);
    // Median 2_500: both are 20% away.
    expect_err(
        env.oracle.get_price(ASSET),
        I::SourcesDisagree {
            asset: ASSET,
            lowest: wad(2_000),
            highest: wad(3_000),
            maxDeviation: U256::from(ONE_PERCENT),
        },
    );
    env.chain.feed(FEED_B).set_failing(true).unwrap();
    assert_eq!(env.oracle.get_price(ASSET).unwrap().0, wad(2_000));
}

// ---------------------------------------------------------------- history

#[test]
fn round_prices_ignore_age_and_sequencer_but_not_bounds() {
    let mut env = Env::new();
    env.configure_single();
    let old = env.push(FEED_A, 1_500 * E8, T0 - 30 * 86_400);
    let bad = env.push(FEED_A, 0, T0 - 86_400);
    env.push(SEQUENCER, 1, T0 - 10);
    assert_eq!(
        env.oracle.get_round_price(ASSET, U80::from(old)).unwrap(),
        (wad(1_500), u(T0 - 30 * 86_400))
    );
    expect_err(
        env.oracle.get_round_price(ASSET, U80::from(bad)),
        I::NonPositivePrice {
            asset: ASSET,
            feed: FEED_A,
            answer: I256::ZERO,
        },
    );
    expect_err(
        env.oracle.get_round_price(ASSET, U80::from(bad + 1)),
        I::RoundUnavailable {
            feed: FEED_A,
            roundId: U80::from(bad + 1),
        },
    );
}

// ---------------------------------------------------------------- expiry prices

/// Feed A with rounds at expiry - 100 (1_900) and expiry + 50 (2_000); time = expiry + 1 h.
fn expiry_env() -> (Env, u128, u128) {
    let mut env = Env::new();
    env.configure_single();
    let before = env.push(FEED_A, 1_900 * E8, EXPIRY - 100);
    let after = env.push(FEED_A, 2_000 * E8, EXPIRY + 50);
    env.at(EXPIRY + 3_600);
    (env, before, after)
}

#[test]
fn anyone_records_the_first_round_after_expiry() {
    let (mut env, _, after) = expiry_env();
    assert_eq!(
        env.oracle.get_expiry_price(ASSET, u(EXPIRY)),
        (U256::ZERO, false)
    );
    // A sequencer outage does not block settlement prices.
    env.push(SEQUENCER, 1, EXPIRY + 3_000);
    env.sender(ALICE);
    env.oracle
        .set_expiry_price(ASSET, u(EXPIRY), U80::from(after))
        .unwrap();
    let finalizes_at = EXPIRY + 3_600 + 7_200;
    assert_eq!(
        env.oracle.get_expiry_price(ASSET, u(EXPIRY)),
        (wad(2_000), false)
    );
    assert_eq!(
        env.oracle.get_expiry_price_details(ASSET, u(EXPIRY)),
        (
            wad(2_000),
            U80::from(after),
            u(EXPIRY + 50),
            u(finalizes_at),
            SOURCE_ROUND
        )
    );
    let logs = env.chain.vm().get_emitted_logs();
    let (topics, data) = logs.last().unwrap();
    let event = I::ExpiryPriceSet::decode_raw_log(topics.iter().copied(), data).unwrap();
    assert_eq!(event.price, wad(2_000));
    assert_eq!(event.reporter, ALICE);
    assert_eq!(event.finalizesAt, u(finalizes_at));
    env.at(finalizes_at - 1);
    assert!(!env.oracle.get_expiry_price(ASSET, u(EXPIRY)).1);
    env.at(finalizes_at);
    assert_eq!(
        env.oracle.get_expiry_price(ASSET, u(EXPIRY)),
        (wad(2_000), true)
    );
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(after)),
        I::ExpiryPriceAlreadySet {
            asset: ASSET,
            expiry: u(EXPIRY),
        },
    );
}

#[test]
fn a_round_exactly_at_expiry_counts() {
    let mut env = Env::new();
    env.configure_single();
    env.push(FEED_A, 1_900 * E8, EXPIRY - 1);
    let at = env.push(FEED_A, 2_000 * E8, EXPIRY);
    let next = env.push(FEED_A, 2_100 * E8, EXPIRY + 1);
    env.at(EXPIRY + 1);
    // The round after one stamped exactly at expiry is not the first.
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(next)),
        I::RoundNotFirstAfterExpiry {
            roundId: U80::from(next),
            previousRoundId: U80::from(at),
            previousUpdatedAt: u(EXPIRY),
        },
    );
    env.oracle
        .set_expiry_price(ASSET, u(EXPIRY), U80::from(at))
        .unwrap();
    assert_eq!(env.oracle.get_expiry_price(ASSET, u(EXPIRY)).0, wad(2_000));
}

#[test]
fn expiry_prices_wait_for_expiry() {
    let (mut env, _, after) = expiry_env();
    env.at(EXPIRY - 1);
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(after)),
        I::ExpiryNotReached {
            expiry: u(EXPIRY),
            timestamp: u(EXPIRY - 1),
        },
    );
}

#[test]
fn wrong_rounds_are_rejected() {
    let (mut env, before, after) = expiry_env();
    let later = env.push(FEED_A, 2_100 * E8, EXPIRY + 100);
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(before)),
        I::RoundBeforeExpiry {
            roundId: U80::from(before),
            updatedAt: u(EXPIRY - 100),
            expiry: u(EXPIRY),
        },
    );
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(later)),
        I::RoundNotFirstAfterExpiry {
            roundId: U80::from(later),
            previousRoundId: U80::from(after),
            previousUpdatedAt: u(EXPIRY + 50),
        },
    );
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(later + 1)),
        I::RoundUnavailable {
            feed: FEED_A,
            roundId: U80::from(later + 1),
        },
    );
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(join_round_id(1, 0))),
        I::RoundUnavailable {
            feed: FEED_A,
            roundId: U80::from(join_round_id(1, 0)),
        },
    );
    assert_eq!(
        env.oracle.get_expiry_price_details(ASSET, u(EXPIRY)).4,
        SOURCE_NONE
    );
}

#[test]
fn the_very_first_round_has_no_predecessor() {
    let mut env = Env::new();
    env.configure_single();
    let first = env.push(FEED_A, 2_000 * E8, EXPIRY + 10);
    env.at(EXPIRY + 20);
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(first)),
        I::RoundNotFirstAfterExpiry {
            roundId: U80::from(first),
            previousRoundId: U80::ZERO,
            previousUpdatedAt: U256::ZERO,
        },
    );
}

#[test]
fn rounds_after_the_fallback_window_are_too_late() {
    let mut env = Env::new();
    env.configure_single();
    env.push(FEED_A, 1_900 * E8, EXPIRY - 100);
    let deadline = EXPIRY + 129_600;
    let late = env.push(FEED_A, 2_000 * E8, deadline + 1);
    env.at(deadline + 10);
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(late)),
        I::RoundTooLate {
            roundId: U80::from(late),
            updatedAt: u(deadline + 1),
            deadline: u(deadline),
        },
    );
}

#[test]
fn a_round_exactly_at_the_deadline_still_counts() {
    let mut env = Env::new();
    env.configure_single();
    env.push(FEED_A, 1_900 * E8, EXPIRY - 100);
    let deadline = EXPIRY + 129_600;
    let last = env.push(FEED_A, 2_000 * E8, deadline);
    env.at(deadline + 10);
    env.oracle
        .set_expiry_price(ASSET, u(EXPIRY), U80::from(last))
        .unwrap();
    assert_eq!(env.oracle.get_expiry_price(ASSET, u(EXPIRY)).0, wad(2_000));
}

#[test]
fn expiry_answers_must_be_valid() {
    let mut env = Env::new();
    env.configure_single();
    env.push(FEED_A, 1_900 * E8, EXPIRY - 100);
    let negative = env.push(FEED_A, -5, EXPIRY + 10);
    env.at(EXPIRY + 20);
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(negative)),
        I::NonPositivePrice {
            asset: ASSET,
            feed: FEED_A,
            answer: i(-5),
        },
    );
    env.chain
        .feed(FEED_A)
        .set_round(
            U80::from(negative),
            i(1_000_000 * E8),
            u(EXPIRY + 10),
            u(EXPIRY + 10),
        )
        .unwrap();
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(negative)),
        I::PriceOutOfBounds {
            asset: ASSET,
            feed: FEED_A,
            answer: i(1_000_000 * E8),
            minAnswer: I256::ZERO,
            maxAnswer: i(1_000_000 * E8),
        },
    );
}

/// Phase 1 with `rounds` rounds, the last at `last_at`; phase 2 opens with a round at expiry + 10.
fn phase_change_env(rounds: u64, last_at: u64) -> (Env, u128) {
    let mut env = Env::new();
    env.configure_single();
    for k in 1..rounds {
        env.push(FEED_A, 1_900 * E8, last_at - 60 * (rounds - k));
    }
    env.push(FEED_A, 1_950 * E8, last_at);
    env.chain.feed(FEED_A).start_new_phase().unwrap();
    let first = env.push(FEED_A, 2_000 * E8, EXPIRY + 10);
    env.at(EXPIRY + 60);
    (env, first)
}

#[test]
fn the_first_round_of_a_new_phase_follows_the_last_of_the_previous() {
    for rounds in [1, 2, 3, 37, 64, 65] {
        let (mut env, first) = phase_change_env(rounds, EXPIRY - 5);
        assert_eq!(first, join_round_id(2, 1));
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(first))
            .unwrap();
        assert_eq!(
            env.oracle.get_expiry_price(ASSET, u(EXPIRY)).0,
            wad(2_000),
            "{rounds} rounds in phase 1"
        );
    }
}

#[test]
fn a_new_phase_round_is_not_first_when_the_old_phase_reached_expiry() {
    for rounds in [1, 5, 37] {
        let (mut env, first) = phase_change_env(rounds, EXPIRY + 5);
        expect_err(
            env.oracle
                .set_expiry_price(ASSET, u(EXPIRY), U80::from(first)),
            I::RoundNotFirstAfterExpiry {
                roundId: U80::from(first),
                previousRoundId: U80::from(join_round_id(1, rounds)),
                previousUpdatedAt: u(EXPIRY + 5),
            },
        );
    }
}

#[test]
fn a_phase_without_rounds_proves_nothing() {
    let mut env = Env::new();
    env.configure_single();
    env.chain.feed(FEED_A).start_new_phase().unwrap();
    let first = env.push(FEED_A, 2_000 * E8, EXPIRY + 10);
    env.at(EXPIRY + 60);
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(first)),
        I::RoundNotFirstAfterExpiry {
            roundId: U80::from(first),
            previousRoundId: U80::ZERO,
            previousUpdatedAt: U256::ZERO,
        },
    );
}

#[test]
fn a_search_step_that_fails_silently_aborts() {
    let (mut env, first) = phase_change_env(9, EXPIRY - 5);
    env.chain.starve_rounds_from(FEED_A, join_round_id(1, 4));
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(first)),
        I::FeedUnavailable {
            asset: ASSET,
            feed: FEED_A,
        },
    );
}

#[test]
fn the_disputer_replaces_a_price_during_the_dispute_period() {
    let (mut env, _, after) = expiry_env();
    env.oracle
        .set_expiry_price(ASSET, u(EXPIRY), U80::from(after))
        .unwrap();
    let finalizes_at = EXPIRY + 3_600 + 7_200;
    env.sender(ALICE);
    expect_err(
        env.oracle
            .dispute_expiry_price(ASSET, u(EXPIRY), wad(1_999)),
        I::NotDisputer { caller: ALICE },
    );
    env.sender(DISPUTER);
    expect_err(
        env.oracle
            .dispute_expiry_price(ASSET, u(EXPIRY), U256::ZERO),
        I::ZeroPrice {},
    );
    expect_err(
        env.oracle
            .dispute_expiry_price(ASSET, u(EXPIRY + 86_400), wad(1)),
        I::NoExpiryPrice {
            asset: ASSET,
            expiry: u(EXPIRY + 86_400),
        },
    );
    env.at(finalizes_at - 1);
    env.oracle
        .dispute_expiry_price(ASSET, u(EXPIRY), wad(1_999))
        .unwrap();
    let logs = env.chain.vm().get_emitted_logs();
    let (topics, data) = logs.last().unwrap();
    let event = I::ExpiryPriceDisputed::decode_raw_log(topics.iter().copied(), data).unwrap();
    assert_eq!(
        (event.previousPrice, event.newPrice, event.disputer),
        (wad(2_000), wad(1_999), DISPUTER)
    );
    let details = env.oracle.get_expiry_price_details(ASSET, u(EXPIRY));
    assert_eq!(
        (details.0, details.3, details.4),
        (wad(1_999), u(finalizes_at), SOURCE_DISPUTED)
    );
    env.at(finalizes_at);
    assert_eq!(
        env.oracle.get_expiry_price(ASSET, u(EXPIRY)),
        (wad(1_999), true)
    );
    expect_err(
        env.oracle
            .dispute_expiry_price(ASSET, u(EXPIRY), wad(2_000)),
        I::DisputePeriodOver {
            asset: ASSET,
            expiry: u(EXPIRY),
            finalizesAt: u(finalizes_at),
        },
    );
}

#[test]
fn the_disputer_sets_a_fallback_price_when_no_round_came() {
    let mut env = Env::new();
    env.configure_single();
    env.push(FEED_A, 1_900 * E8, EXPIRY - 100);
    let opens_after = EXPIRY + 129_600;
    env.at(opens_after);
    env.sender(DISPUTER);
    expect_err(
        env.oracle
            .set_fallback_expiry_price(ASSET, u(EXPIRY), wad(1_950)),
        I::FallbackNotOpen {
            asset: ASSET,
            expiry: u(EXPIRY),
            opensAfter: u(opens_after),
        },
    );
    env.at(opens_after + 1);
    env.sender(ALICE);
    expect_err(
        env.oracle
            .set_fallback_expiry_price(ASSET, u(EXPIRY), wad(1_950)),
        I::NotDisputer { caller: ALICE },
    );
    env.sender(DISPUTER);
    expect_err(
        env.oracle
            .set_fallback_expiry_price(ASSET, u(EXPIRY), U256::ZERO),
        I::ZeroPrice {},
    );
    env.oracle
        .set_fallback_expiry_price(ASSET, u(EXPIRY), wad(1_950))
        .unwrap();
    assert_eq!(env.logs_with(I::FallbackExpiryPriceSet::SIGNATURE_HASH), 1);
    let finalizes_at = opens_after + 1 + 7_200;
    assert_eq!(
        env.oracle.get_expiry_price_details(ASSET, u(EXPIRY)),
        (
            wad(1_950),
            U80::ZERO,
            U256::ZERO,
            u(finalizes_at),
            SOURCE_FALLBACK
        )
    );
    assert_eq!(
        env.oracle.get_expiry_price(ASSET, u(EXPIRY)),
        (wad(1_950), false)
    );
    // A round that shows up late cannot overwrite it; the disputer still may, in the period.
    let late = env.push(FEED_A, 2_000 * E8, opens_after + 1);
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(late)),
        I::ExpiryPriceAlreadySet {
            asset: ASSET,
            expiry: u(EXPIRY),
        },
    );
    expect_err(
        env.oracle
            .set_fallback_expiry_price(ASSET, u(EXPIRY), wad(1_960)),
        I::ExpiryPriceAlreadySet {
            asset: ASSET,
            expiry: u(EXPIRY),
        },
    );
    env.oracle
        .dispute_expiry_price(ASSET, u(EXPIRY), wad(1_960))
        .unwrap();
    env.at(finalizes_at);
    assert_eq!(
        env.oracle.get_expiry_price(ASSET, u(EXPIRY)),
        (wad(1_960), true)
    );
}

#[test]
fn the_fallback_needs_no_configured_asset() {
    let mut env = Env::new();
    env.at(EXPIRY + 129_601);
    env.sender(DISPUTER);
    env.oracle
        .set_fallback_expiry_price(ASSET, u(EXPIRY), wad(1_950))
        .unwrap();
    assert_eq!(env.oracle.get_expiry_price(ASSET, u(EXPIRY)).0, wad(1_950));
}

#[test]
fn new_expiry_parameters_apply_to_later_records() {
    let (mut env, _, after) = expiry_env();
    env.sender(ADMIN);
    env.oracle.set_expiry_parameters(u(600), u(3_600)).unwrap();
    env.oracle
        .set_expiry_price(ASSET, u(EXPIRY), U80::from(after))
        .unwrap();
    assert_eq!(
        env.oracle.get_expiry_price_details(ASSET, u(EXPIRY)).3,
        u(EXPIRY + 3_600 + 600)
    );
}

#[test]
fn the_adapter_reads_feeds_as_itself() {
    let env = Env::new();
    assert_eq!(env.chain.vm().contract_address(), ADAPTER);
}

// ---------------------------------------------------------------- properties

proptest! {
    #[test]
    fn normalise_is_exact_up_to_18_decimals(answer in 1u128..=u128::MAX / 2, decimals in 0u8..=18) {
        let price = normalise(U256::from(answer), decimals).unwrap();
        prop_assert_eq!(price, U256::from(answer) * pow10(18 - decimals));
    }

    #[test]
    fn normalise_refuses_more_than_18_decimals(answer in 0u128.., decimals in 19u8..) {
        prop_assert_eq!(normalise(U256::from(answer), decimals), None);
    }

    #[test]
    fn median_sits_in_the_middle(values in proptest::collection::vec(0u128..u128::MAX, 1..=5)) {
        let mut prices: Vec<U256> = values.iter().map(|v| U256::from(*v)).collect();
        let m = median(&mut prices);
        let below = prices.iter().filter(|p| **p <= m).count();
        let above = prices.iter().filter(|p| **p >= m).count();
        prop_assert!(prices[0] <= m && m <= prices[prices.len() - 1]);
        prop_assert!(2 * below >= prices.len() && 2 * above >= prices.len());
        if prices.len() == 2 {
            prop_assert_eq!(m, (prices[0] + prices[1]) / U256::from(2));
        }
    }

    #[test]
    fn deviation_bound_is_inclusive(
        reference in 1u128..=10_000_000_000_000_000_000_000_000u128,
        percent in 1u128..=50,
    ) {
        // With a whole percentage and a reference divisible by 100 the bound is exact.
        let reference = U256::from(reference) * U256::from(100);
        let max_deviation = U256::from(percent * ONE_PERCENT);
        let allowed = reference * U256::from(percent) / U256::from(100);
        let one = U256::from(1);
        prop_assert!(within_deviation(reference, reference, max_deviation));
        prop_assert!(within_deviation(reference + allowed, reference, max_deviation));
        prop_assert!(within_deviation(reference - allowed, reference, max_deviation));
        prop_assert!(!within_deviation(reference + allowed + one, reference, max_deviation));
        prop_assert!(!within_deviation(reference - allowed - one, reference, max_deviation));
    }
}
