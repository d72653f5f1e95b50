//! Unit tests: every rule and every error of the expiry oracle, against the real adapter and real
//! `MockAggregator` feeds run in-process by `test-host`.

use super::*;
use abi::chainlink::AggregatorV3Interface as Feed3;
use abi::oracle::{SOURCE_DISPUTED, SOURCE_FALLBACK, SOURCE_NONE, SOURCE_ROUND};
use abi::proxy::INITIALIZERS_DISABLED;
use alloy_sol_types::SolCall;
use mock_aggregator::MockAggregator;
use oracle_adapter::OracleAdapter;
use oracle_rules::testing::{self, *};
use stylus_sdk::{host::VM, ArbResult};
use test_host::Chain;

const EXPIRY_ORACLE: Address = Address::repeat_byte(0xE0);
const ADAPTER: Address = Address::repeat_byte(0xAD);
const DISPUTER: Address = Address::repeat_byte(0xD1);

const T0: u64 = EXPIRY - 86_400;

fn adapter_entry(input: Vec<u8>, host: VM) -> ArbResult {
    stylus_sdk::abi::router_entrypoint::<OracleAdapter, OracleAdapter>(input, host)
}

struct Env {
    chain: Chain,
    oracle: ExpiryOracle,
}

impl Env {
    /// An initialised expiry oracle reading the real adapter, which has an up sequencer and feed
    /// A deployed (not yet configured).
    fn new() -> Self {
        let chain = testing::chain_with_feeds(EXPIRY_ORACLE, T0);
        let mut env = Self {
            oracle: ExpiryOracle::from(&chain),
            chain,
        };
        let adapter = env.chain.deploy(ADAPTER, adapter_entry);
        adapter.vm().set_sender(ADMIN);
        OracleAdapter::from(&adapter)
            .initialize(ADMIN, SEQUENCER)
            .unwrap();
        env.sender(ADMIN);
        env.oracle.initialize(ADMIN, DISPUTER, ADAPTER).unwrap();
        env
    }

    fn feed(&self, address: Address) -> MockAggregator {
        testing::feed(&self.chain, address)
    }

    /// The adapter, called by its admin.
    fn adapter(&self) -> OracleAdapter {
        let host = self.chain.contract(ADAPTER).expect("adapter deployed");
        host.vm().set_sender(ADMIN);
        OracleAdapter::from(&host)
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

    /// Feed A alone in the adapter: 8 decimals, max age 1 h, answers in (0, 1e6 units).
    fn configure_single(&mut self) {
        let mut adapter = self.adapter();
        adapter
            .set_feed(
                ASSET,
                u(0),
                FEED_A,
                8,
                u(MAX_AGE),
                I256::ZERO,
                i(1_000_000 * E8),
            )
            .unwrap();
        adapter
            .configure_asset(
                ASSET,
                u(1),
                u(1),
                U256::from(ONE_PERCENT),
                U256::from(10 * ONE_PERCENT),
            )
            .unwrap();
    }

    /// From now on `getRoundData` on `feed` fails with empty revert data (as a call that runs out
    /// of gas does) for `from` and later rounds of its phase.
    fn starve_rounds_from(&self, feed: Address, from: u128) {
        self.chain.on_call(
            feed,
            Box::new(move |_, data| {
                let call = Feed3::getRoundDataCall::abi_decode(data).ok()?;
                let id = call._roundId.to::<u128>();
                (id >> 64 == from >> 64 && id >= from).then(|| Err(Vec::new()))
            }),
        );
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

// ---------------------------------------------------------------- initialisation and roles

#[test]
fn initialize_sets_roles_defaults_and_runs_once() {
    let mut env = Env::new();
    assert_eq!(env.oracle.admin(), ADMIN);
    assert_eq!(env.oracle.disputer(), DISPUTER);
    assert_eq!(env.oracle.adapter(), ADAPTER);
    assert_eq!(env.oracle.dispute_period(), u(7_200));
    assert_eq!(env.oracle.fallback_window(), u(129_600));
    let logs = env.chain.vm().get_emitted_logs();
    let (topics, data) = logs
        .iter()
        .find(|(t, _)| t[0] == I::ExpiryOracleInitialized::SIGNATURE_HASH)
        .unwrap();
    assert_eq!(
        I::ExpiryOracleInitialized::decode_raw_log(topics.iter().copied(), data).unwrap(),
        I::ExpiryOracleInitialized {
            admin: ADMIN,
            disputer: DISPUTER,
            adapter: ADAPTER
        }
    );
    expect_err(
        env.oracle.initialize(ALICE, ALICE, ALICE),
        InvalidInitialization {
            current: 1,
            requested: 1,
        },
    );
}

#[test]
fn initialize_rejects_zero_addresses_and_locked_implementations() {
    let chain = Chain::new(EXPIRY_ORACLE);
    let mut oracle = ExpiryOracle::from(&chain);
    for (admin, disputer, adapter) in [
        (Address::ZERO, DISPUTER, ADAPTER),
        (ADMIN, Address::ZERO, ADAPTER),
        (ADMIN, DISPUTER, Address::ZERO),
    ] {
        expect_err(
            oracle.initialize(admin, disputer, adapter),
            I::ZeroAddress {},
        );
    }
    oracle.constructor();
    expect_err(
        oracle.initialize(ADMIN, DISPUTER, ADAPTER),
        InvalidInitialization {
            current: INITIALIZERS_DISABLED,
            requested: 1,
        },
    );
}

#[test]
fn admin_setters_reject_everyone_else_and_hand_over() {
    let mut env = Env::new();
    env.sender(ALICE);
    let not_admin = I::NotAdmin { caller: ALICE };
    expect_err(env.oracle.set_admin(ALICE), not_admin.clone());
    expect_err(env.oracle.set_disputer(ALICE), not_admin.clone());
    expect_err(env.oracle.set_adapter(ALICE), not_admin.clone());
    expect_err(
        env.oracle.set_expiry_parameters(u(600), u(3_600)),
        not_admin,
    );
    env.sender(ADMIN);
    expect_err(env.oracle.set_disputer(Address::ZERO), I::ZeroAddress {});
    expect_err(env.oracle.set_adapter(Address::ZERO), I::ZeroAddress {});
    env.oracle.set_disputer(ALICE).unwrap();
    env.oracle.set_adapter(ALICE).unwrap();
    env.oracle.set_admin(ALICE).unwrap();
    assert_eq!(
        (
            env.oracle.admin(),
            env.oracle.disputer(),
            env.oracle.adapter()
        ),
        (ALICE, ALICE, ALICE)
    );
    assert_eq!(env.logs_with(I::AdminChanged::SIGNATURE_HASH), 1);
    assert_eq!(env.logs_with(I::DisputerChanged::SIGNATURE_HASH), 1);
    assert_eq!(env.logs_with(I::AdapterChanged::SIGNATURE_HASH), 1);
}

#[test]
fn periods_are_bounded() {
    let mut env = Env::new();
    env.sender(ADMIN);
    let out = |value, min, max| I::ParameterOutOfBounds {
        value,
        min: u(min),
        max: u(max),
    };
    expect_err(
        env.oracle.set_expiry_parameters(u(599), u(3_600)),
        out(u(599), 600, 21_600),
    );
    expect_err(
        env.oracle.set_expiry_parameters(u(21_601), u(3_600)),
        out(u(21_601), 600, 21_600),
    );
    expect_err(
        env.oracle.set_expiry_parameters(u(600), u(3_599)),
        out(u(3_599), 3_600, 604_800),
    );
    expect_err(
        env.oracle.set_expiry_parameters(u(600), U256::MAX),
        out(U256::MAX, 3_600, 604_800),
    );
    env.oracle.set_expiry_parameters(u(600), u(3_600)).unwrap();
    assert_eq!(env.oracle.dispute_period(), u(600));
    assert_eq!(env.oracle.fallback_window(), u(3_600));
    assert_eq!(env.logs_with(I::ExpiryParametersChanged::SIGNATURE_HASH), 1);
}

// ---------------------------------------------------------------- the adapter as source

#[test]
fn unknown_assets_and_a_silent_adapter_are_refused() {
    let (mut env, _, after) = expiry_env();
    let other = Address::repeat_byte(0x99);
    expect_err(
        env.oracle
            .set_expiry_price(other, u(EXPIRY), U80::from(after)),
        I::UnknownAsset { asset: other },
    );
    env.sender(ADMIN);
    env.oracle.set_adapter(ALICE).unwrap();
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(after)),
        I::FeedUnavailable {
            asset: ASSET,
            feed: ALICE,
        },
    );
}

#[test]
fn a_removed_asset_gets_its_price_from_the_fallback() {
    let (mut env, _, after) = expiry_env();
    env.adapter().remove_asset(ASSET).unwrap();
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(after)),
        I::UnknownAsset { asset: ASSET },
    );
    env.at(EXPIRY + 129_601);
    env.sender(DISPUTER);
    env.oracle
        .set_fallback_expiry_price(ASSET, u(EXPIRY), wad(1_950))
        .unwrap();
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
    env.feed(FEED_A)
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
    env.feed(FEED_A).start_new_phase().unwrap();
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
    env.feed(FEED_A).start_new_phase().unwrap();
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
fn during_a_migration_only_the_current_phase_proves() {
    // Phase 1 (the old aggregator) keeps answering after the proxy moved to phase 2, whose
    // aggregator was answering already: each phase holds a first round after expiry.
    let mut env = Env::new();
    env.configure_single();
    env.push(FEED_A, 1_900 * E8, EXPIRY - 120);
    env.feed(FEED_A).start_new_phase().unwrap();
    env.push(FEED_A, 1_910 * E8, EXPIRY - 60);
    let new_phase = env.push(FEED_A, 2_000 * E8, EXPIRY + 30);
    let old_phase = join_round_id(1, 2);
    env.feed(FEED_A)
        .set_round(
            U80::from(old_phase),
            i(1_800 * E8),
            u(EXPIRY + 5),
            u(EXPIRY + 5),
        )
        .unwrap();
    env.at(EXPIRY + 60);
    expect_err(
        env.oracle
            .set_expiry_price(ASSET, u(EXPIRY), U80::from(old_phase)),
        I::RoundNotInCurrentPhase {
            roundId: U80::from(old_phase),
            currentPhase: 2,
        },
    );
    env.oracle
        .set_expiry_price(ASSET, u(EXPIRY), U80::from(new_phase))
        .unwrap();
    assert_eq!(env.oracle.get_expiry_price(ASSET, u(EXPIRY)).0, wad(2_000));
}

#[test]
fn a_proxy_whose_latest_round_is_unreadable_proves_nothing() {
    let (mut env, first) = phase_change_env(3, EXPIRY - 5);
    // Phase 3 opens without a round: the mock's latestRoundData reverts.
    env.feed(FEED_A).start_new_phase().unwrap();
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
fn a_search_step_that_fails_silently_aborts() {
    let (mut env, first) = phase_change_env(9, EXPIRY - 5);
    env.starve_rounds_from(FEED_A, join_round_id(1, 4));
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
    // Disputed prices stay strictly inside the feed's bounds, (0, 1e6) units.
    for price in [wad(1_000_000), wad(2_000_000)] {
        expect_err(
            env.oracle.dispute_expiry_price(ASSET, u(EXPIRY), price),
            I::ExpiryPriceOutOfBounds {
                asset: ASSET,
                price,
                minPrice: U256::ZERO,
                maxPrice: wad(1_000_000),
            },
        );
    }
    env.at(finalizes_at - 1);
    env.oracle
        .dispute_expiry_price(ASSET, u(EXPIRY), wad(1_998))
        .unwrap();
    // The first dispute gives the new price a full dispute period.
    let extended = finalizes_at - 1 + 7_200;
    let logs = env.chain.vm().get_emitted_logs();
    let (topics, data) = logs.last().unwrap();
    let event = I::ExpiryPriceDisputed::decode_raw_log(topics.iter().copied(), data).unwrap();
    assert_eq!(
        (
            event.previousPrice,
            event.newPrice,
            event.finalizesAt,
            event.disputer
        ),
        (wad(2_000), wad(1_998), u(extended), DISPUTER)
    );
    assert_eq!(
        env.oracle.get_expiry_price(ASSET, u(EXPIRY)),
        (wad(1_998), false)
    );
    // A correction does not extend again.
    env.at(extended - 1);
    env.oracle
        .dispute_expiry_price(ASSET, u(EXPIRY), wad(1_999))
        .unwrap();
    let logs = env.chain.vm().get_emitted_logs();
    let (topics, data) = logs.last().unwrap();
    let event = I::ExpiryPriceDisputed::decode_raw_log(topics.iter().copied(), data).unwrap();
    assert_eq!(
        (event.previousPrice, event.newPrice, event.finalizesAt),
        (wad(1_998), wad(1_999), u(extended))
    );
    let finalizes_at = extended;
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
fn fallback_prices_stay_inside_the_primary_feeds_bounds() {
    let mut env = Env::new();
    env.at(EXPIRY + 129_601);
    env.sender(DISPUTER);
    // No feed slot was ever set: there are no bounds to check against.
    expect_err(
        env.oracle
            .set_fallback_expiry_price(ASSET, u(EXPIRY), wad(1_950)),
        I::UnknownAsset { asset: ASSET },
    );
    env.configure_single();
    env.sender(DISPUTER);
    expect_err(
        env.oracle
            .set_fallback_expiry_price(ASSET, u(EXPIRY), wad(1_000_000)),
        I::ExpiryPriceOutOfBounds {
            asset: ASSET,
            price: wad(1_000_000),
            minPrice: U256::ZERO,
            maxPrice: wad(1_000_000),
        },
    );
    env.oracle
        .set_fallback_expiry_price(ASSET, u(EXPIRY), wad(1_000_000) - u(1))
        .unwrap();
    assert_eq!(
        env.oracle.get_expiry_price(ASSET, u(EXPIRY)).0,
        wad(1_000_000) - u(1)
    );
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
