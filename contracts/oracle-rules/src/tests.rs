#![allow(clippy::result_large_err)]

use super::*;
use abi::oracle::{IMockAggregator, IOracleAdapter};
use alloy_primitives::aliases::U80;
use proptest::prelude::*;

const ASSET: Address = Address::repeat_byte(0xE7);
const FEED: Address = Address::repeat_byte(0x0A);

fn i(value: i128) -> I256 {
    I256::try_from(value).unwrap()
}

#[derive(Debug, PartialEq, Eq)]
enum Refused {
    NonPositive(Address, Address, I256),
    OutOfBounds(Address, Feed, I256),
}

impl AnswerErrors for Refused {
    fn non_positive(asset: Address, feed: Address, answer: I256) -> Self {
        Refused::NonPositive(asset, feed, answer)
    }
    fn out_of_bounds(asset: Address, feed: &Feed, answer: I256) -> Self {
        Refused::OutOfBounds(asset, *feed, answer)
    }
}

/// 8 decimals, answers in (1, 1e6 units).
fn feed() -> Feed {
    Feed {
        address: FEED,
        decimals: 8,
        max_age: 3_600,
        min_answer: i(1),
        max_answer: i(100_000_000_000_000),
    }
}

#[test]
fn accepted_answers_are_positive_inside_the_bounds_and_normalised() {
    let f = feed();
    let accept = |answer: i128| accepted_price::<Refused>(ASSET, &f, i(answer));
    assert_eq!(
        accept(2_000 * 100_000_000),
        Ok(U256::from(2_000u64) * U256::from(abi::PRICE_SCALE))
    );
    assert_eq!(
        accept(0),
        Err(Refused::NonPositive(ASSET, FEED, I256::ZERO))
    );
    assert_eq!(accept(-5), Err(Refused::NonPositive(ASSET, FEED, i(-5))));
    // The bounds are exclusive.
    assert_eq!(accept(1), Err(Refused::OutOfBounds(ASSET, f, i(1))));
    assert_eq!(accept(2), Ok(U256::from(20_000_000_000u64)));
    assert_eq!(
        accept(100_000_000_000_000),
        Err(Refused::OutOfBounds(ASSET, f, i(100_000_000_000_000)))
    );
}

#[test]
fn price_bounds_are_the_answer_bounds_in_1e18() {
    let scale = U256::from(10_000_000_000u64);
    assert_eq!(
        feed().price_bounds(),
        (scale, U256::from(100_000_000_000_000u64) * scale)
    );
    let odd = Feed {
        min_answer: i(-1),
        max_answer: I256::MAX,
        decimals: 0,
        ..feed()
    };
    assert_eq!(odd.price_bounds(), (U256::ZERO, U256::MAX));
}

#[test]
fn feed_views_round_trip() {
    let f = feed();
    let (feed, decimals, max_age, min_answer, max_answer) = f.view();
    let data =
        IOracleAdapter::primaryFeedCall::abi_encode_returns(&IOracleAdapter::primaryFeedReturn {
            feed,
            decimals,
            maxAge: max_age,
            minAnswer: min_answer,
            maxAnswer: max_answer,
        });
    assert_eq!(Feed::decode(&data), Some(f));
    assert_eq!(Feed::decode(&data[..159]), None);
}

#[test]
fn decode_round_matches_the_derived_decoder() {
    let ret = IMockAggregator::latestRoundDataCall::abi_encode_returns(
        &IMockAggregator::latestRoundDataReturn {
            roundId: U80::from((2u128 << 64) | 7),
            answer: i(-5),
            startedAt: U256::from(10),
            updatedAt: U256::from(11),
            answeredInRound: U80::from(7),
        },
    );
    let round = decode_round(&ret).unwrap();
    assert_eq!(round.id, (2u128 << 64) | 7);
    assert_eq!(round.answer, i(-5));
    assert_eq!(round.started_at, U256::from(10));
    assert_eq!(round.updated_at, U256::from(11));
    assert_eq!(decode_round(&ret[..159]), None);
    let mut wide = ret.clone();
    wide[21] = 1;
    assert_eq!(decode_round(&wide), None, "round id over 80 bits");
}

#[test]
fn normalise_scales_up_exactly() {
    assert_eq!(
        normalise(U256::from(3), 8),
        Some(U256::from(3) * U256::from(10u64.pow(10)))
    );
    assert_eq!(normalise(U256::from(3), 18), Some(U256::from(3)));
    assert_eq!(normalise(U256::from(3), 19), None);
    assert_eq!(normalise(U256::MAX, 17), None);
}

#[test]
fn within_fraction_is_inclusive() {
    let one_percent = U256::from(abi::PRICE_SCALE / 100);
    assert!(within_fraction(
        U256::from(101),
        U256::from(100),
        one_percent
    ));
    assert!(within_fraction(
        U256::from(99),
        U256::from(100),
        one_percent
    ));
    assert!(!within_fraction(
        U256::from(102),
        U256::from(100),
        one_percent
    ));
    assert!(!within_fraction(U256::MAX, U256::from(1), U256::MAX));
}

const ONE_PERCENT: u128 = 10_000_000_000_000_000;

proptest! {
    #[test]
    fn deviation_bound_is_inclusive(
        reference in 1u128..=10_000_000_000_000_000_000_000_000u128,
        percent in 1u128..=50,
    ) {
        // With a whole percentage and a reference divisible by 100 the bound is exact.
        let reference = U256::from(reference) * U256::from(100);
        let max = U256::from(percent * ONE_PERCENT);
        let allowed = reference * U256::from(percent) / U256::from(100);
        let one = U256::from(1);
        prop_assert!(within_fraction(reference, reference, max));
        prop_assert!(within_fraction(reference + allowed, reference, max));
        prop_assert!(within_fraction(reference - allowed, reference, max));
        prop_assert!(!within_fraction(reference + allowed + one, reference, max));
        prop_assert!(!within_fraction(reference - allowed - one, reference, max));
    }

    #[test]
    fn normalise_is_exact_up_to_18_decimals(answer in 1u128..=u128::MAX / 2, decimals in 0u8..=18) {
        let price = normalise(U256::from(answer), decimals).unwrap();
        prop_assert_eq!(price, U256::from(answer) * U256::from(10u8).pow(U256::from(18 - decimals)));
    }
}
