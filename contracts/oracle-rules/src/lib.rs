//! Chainlink feed rules shared by the `oracle-adapter` (live prices) and the `expiry-oracle`
//! (settlement prices): reading a round, deciding whether an answer can be believed, and scaling
//! it to 1e18 ([`abi::PRICE_SCALE`]). Both contracts link this crate, so a feed means the same
//! thing to both.
//!
//! Errors stay the contracts' own (each interface declares its own error types, with the same
//! selectors): the rules build them through [`AnswerErrors`].
#![cfg_attr(not(any(test, feature = "testing")), no_std)]
extern crate alloc;

#[cfg(feature = "testing")]
pub mod testing;

use abi::chainlink::AggregatorV3Interface as Feed3;
use abi::words::{self, Word};
use alloy_primitives::{Address, I256, U256};
use alloy_sol_types::SolCall;
use stylus_sdk::{
    call::static_call,
    prelude::Host,
    stylus_core::calls::{errors::Error as CallError, Call},
};

/// A feed as both contracts configure it: its address, decimals, largest answer age and the
/// exclusive range of answers it may give (in its own units).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feed {
    pub address: Address,
    pub decimals: u8,
    pub max_age: u64,
    pub min_answer: I256,
    pub max_answer: I256,
}

/// The five words `(address feed, uint8 decimals, uint256 maxAge, int256 minAnswer,
/// int256 maxAnswer)` of `IOracleAdapter.primaryFeed` and `getFeed`.
pub type FeedView = (Address, u8, U256, I256, I256);

impl Feed {
    pub fn view(&self) -> FeedView {
        (
            self.address,
            self.decimals,
            U256::from(self.max_age),
            self.min_answer,
            self.max_answer,
        )
    }

    /// Decodes a [`FeedView`] by hand (the derived decoder costs kilobytes of WASM); `None`
    /// unless the data is exactly five words.
    pub fn decode(data: &[u8]) -> Option<Feed> {
        if data.len() != 5 * 32 {
            return None;
        }
        let word = |i: usize| U256::from_be_slice(&data[32 * i..32 * (i + 1)]);
        Some(Feed {
            address: Address::from_slice(&data[12..32]),
            decimals: word(1).saturating_to::<u8>(),
            max_age: word(2).saturating_to::<u64>(),
            min_answer: I256::from_raw(word(3)),
            max_answer: I256::from_raw(word(4)),
        })
    }

    /// The answer bounds normalised to 1e18, for prices that come from no round (disputes,
    /// fallbacks). The adapter keeps `0 <= minAnswer < maxAnswer` with a normalisable maximum;
    /// anything else saturates (a negative minimum to 0, an overflow to `U256::MAX`).
    pub fn price_bounds(&self) -> (U256, U256) {
        let scaled = |answer: I256| {
            if answer.is_negative() {
                U256::ZERO
            } else {
                normalise(answer.into_raw(), self.decimals).unwrap_or(U256::MAX)
            }
        };
        (scaled(self.min_answer), scaled(self.max_answer))
    }
}

/// How a contract names a refused answer (its interface's `NonPositivePrice` and
/// `PriceOutOfBounds`).
pub trait AnswerErrors: Sized {
    fn non_positive(asset: Address, feed: Address, answer: I256) -> Self;
    fn out_of_bounds(asset: Address, feed: &Feed, answer: I256) -> Self;
}

/// The answer normalised to 1e18 if it is positive and strictly inside the feed's bounds (set
/// them to the aggregator's clamp, or tighter, so that a clamped answer is refused).
pub fn accepted_price<E: AnswerErrors>(
    asset: Address,
    feed: &Feed,
    answer: I256,
) -> Result<U256, E> {
    if !answer.is_positive() {
        return Err(E::non_positive(asset, feed.address, answer));
    }
    if answer <= feed.min_answer || answer >= feed.max_answer {
        return Err(E::out_of_bounds(asset, feed, answer));
    }
    normalise(answer.into_raw(), feed.decimals)
        .ok_or_else(|| E::non_positive(asset, feed.address, answer))
}

/// A round as a Chainlink feed reports it (`getRoundData` and `latestRoundData` return the same
/// five words; `answeredInRound` is deprecated and ignored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Round {
    pub id: u128,
    pub answer: I256,
    pub started_at: U256,
    pub updated_at: U256,
}

/// Outcome of reading one round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    Found(Round),
    /// The feed says the round does not exist (`updatedAt == 0`, or a revert with data).
    Missing,
    /// The call failed without an explanation (as from running out of gas) or returned
    /// something undecodable.
    Failed,
}

impl Read {
    pub fn found(self) -> Option<Round> {
        match self {
            Read::Found(round) => Some(round),
            _ => None,
        }
    }
}

/// `getRoundData(id)` of `feed`.
pub fn read_round<H: Host + ?Sized>(host: &H, feed: Address, id: u128) -> Read {
    read(
        host,
        feed,
        &words::error(Feed3::getRoundDataCall::SELECTOR, &[id.word()]),
    )
}

/// `latestRoundData()` of `feed` (through a proxy, its id carries the current phase).
pub fn read_latest<H: Host + ?Sized>(host: &H, feed: Address) -> Read {
    read(host, feed, &Feed3::latestRoundDataCall::SELECTOR)
}

#[inline(never)]
fn read<H: Host + ?Sized>(host: &H, feed: Address, calldata: &[u8]) -> Read {
    match static_call(host, Call::new(), feed, calldata) {
        Ok(ret) => match decode_round(&ret) {
            Some(round) if round.updated_at.is_zero() => Read::Missing,
            Some(round) => Read::Found(round),
            None => Read::Failed,
        },
        Err(CallError::Revert(data)) if !data.is_empty() => Read::Missing,
        Err(_) => Read::Failed,
    }
}

/// Decodes a feed's round from return data by hand (the derived decoder costs kilobytes of
/// WASM). `None` when the data is short or the round id does not fit `uint80`.
pub fn decode_round(data: &[u8]) -> Option<Round> {
    if data.len() < 5 * 32 {
        return None;
    }
    // A uint80: the top 22 bytes are zero.
    if data[..22].iter().any(|b| *b != 0) {
        return None;
    }
    let word = |i: usize| U256::from_be_slice(&data[32 * i..32 * (i + 1)]);
    Some(Round {
        id: word(0).to::<u128>(),
        answer: I256::from_raw(word(1)),
        started_at: word(2),
        updated_at: word(3),
    })
}

/// `amount` with `decimals` (at most 18) decimals rescaled to 1e18; `None` on overflow or more
/// than 18 decimals. No division, so nothing is rounded.
pub fn normalise(amount: U256, decimals: u8) -> Option<U256> {
    let exponent = 18u8.checked_sub(decimals)?;
    // 10^18 fits a u128, whose multiplication is far smaller in WASM than U256's.
    let scale = (0..exponent).fold(1u128, |acc, _| acc * 10);
    amount.checked_mul(U256::from(scale))
}

/// `|value - reference| <= maxFraction * reference / 1e18`, without division (U256 division is
/// large in WASM); `false` on overflow.
pub fn within_fraction(value: U256, reference: U256, max_fraction: U256) -> bool {
    let distance = value.abs_diff(reference);
    match (
        distance.checked_mul(U256::from(abi::PRICE_SCALE)),
        max_fraction.checked_mul(reference),
    ) {
        (Some(lhs), Some(rhs)) => lhs <= rhs,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
