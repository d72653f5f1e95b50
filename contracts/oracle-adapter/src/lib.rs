//! Live prices: Chainlink feeds, checked before they are believed.
//!
//! Per asset the admin (later governance) sets 1-5 `AggregatorV3Interface` feeds, one slot at a
//! time (`setFeed`: address, decimals, maximum answer age, exclusive answer range), then the
//! asset's rules (`configureAsset`: how many slots count, quorum, largest spread between feeds,
//! circuit-breaker bound). Every price leaves normalised to 1e18 ([`abi::PRICE_SCALE`]); feeds
//! have at most 18 decimals, so the scaling is an exact multiplication (nothing to round).
//!
//! `getPrice(asset)` (margin, liquidation) and `latestRoundData(asset)`:
//! - the L2 sequencer uptime feed must report up (answer 0) since at least the grace period
//!   (default 3600 s); no sequencer feed configured (address 0) = no check, for local chains only;
//! - a feed counts when its answer is fresh (`0 < updatedAt <= now`, `now - updatedAt <= maxAge`),
//!   positive and strictly inside `(minAnswer, maxAnswer)` (set these to the aggregator's clamp, or
//!   tighter, so a clamped answer is refused);
//! - at least `quorum` feeds must count, else `QuorumNotMet` (or, with a single feed, the error
//!   naming why it failed); the price is the median of the counting feeds; feeds further than
//!   `maxDeviation` from it are set aside and at least `quorum` must remain, else `SourcesDisagree`;
//! - the timestamp returned is the median `updatedAt` of the agreeing feeds (see the interface:
//!   the oldest let one slow feed block liquidations, the newest would dress up a stale majority).
//!
//! `getMintPrice(asset)` (new positions) adds a circuit breaker: the primary feed's latest answer
//! may differ from its previous round's by at most `maxRoundMove` (a 1e18 fraction of the previous
//! answer, governed per asset within [`abi::oracle::MIN_MAX_ROUND_MOVE`] (0.5 %) ..
//! [`abi::oracle::MAX_MAX_ROUND_MOVE`] (50 %)), else `PriceMoveTooLarge`. The previous round is
//! round `k - 1` of the same phase; at a phase's first round there is none to compare with and
//! mints wait for the next round (`RoundUnavailable`). `getPrice` never trips on moves, so
//! liquidations go on through a crash.
//!
//! Settlement prices live in the `expiry-oracle` contract, which reads the primary feed from here
//! (`primaryFeed`); `getExpiryPrice(asset, expiry)` is forwarded to it, so the escrow can read
//! every price from this one address.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// Errors are the ABI's error structs, carrying their values; they become revert data at once, so
// boxing them would only add allocations and code size.
#![allow(clippy::result_large_err)]
extern crate alloc;

use abi::chainlink::{join_round_id, split_round_id, AggregatorV3Interface as Feed3};
use abi::oracle::{self as limits, IOracleAdapter as I};
use abi::proxy::IInitializable::InvalidInitialization;
use abi::words;
use alloc::vec::Vec;
use alloy_primitives::{aliases::U80, Address, B256, I256, U256, U64, U8};
use alloy_sol_types::{SolCall, SolEvent};
use oracle_rules::{
    accepted_price, normalise, read_latest, read_round, within_fraction, AnswerErrors, Feed,
    FeedView, Round,
};
use stylus_sdk::{
    call::static_call,
    prelude::*,
    storage::{
        StorageAddress, StorageArray, StorageI256, StorageMap, StorageU256, StorageU64, StorageU8,
    },
    stylus_core::calls::Call,
};
use upgradeable_proxy::initializable;

#[cfg(test)]
mod tests;

/// The ABI's custom errors. The exported interface lists them through `SolidityError`; the
/// contract itself encodes them with the shared word encoder ([`abi::words`]), because the derived
/// encoder instantiates one ABI encoder per error type and costs kilobytes of WASM.
#[cfg_attr(feature = "export-abi", derive(SolidityError))]
#[derive(Debug)]
pub enum OracleError {
    InvalidInitialization(InvalidInitialization),
    NotAdmin(I::NotAdmin),
    ZeroAddress(I::ZeroAddress),
    ParameterOutOfBounds(I::ParameterOutOfBounds),
    DuplicateFeed(I::DuplicateFeed),
    FeedNotSet(I::FeedNotSet),
    InvalidAnswerBounds(I::InvalidAnswerBounds),
    FeedDecimalsMismatch(I::FeedDecimalsMismatch),
    UnknownAsset(I::UnknownAsset),
    FeedUnavailable(I::FeedUnavailable),
    StalePrice(I::StalePrice),
    NonPositivePrice(I::NonPositivePrice),
    PriceOutOfBounds(I::PriceOutOfBounds),
    QuorumNotMet(I::QuorumNotMet),
    SourcesDisagree(I::SourcesDisagree),
    SequencerStatusUnavailable(I::SequencerStatusUnavailable),
    SequencerDown(I::SequencerDown),
    SequencerGracePeriodNotOver(I::SequencerGracePeriodNotOver),
    RoundUnavailable(I::RoundUnavailable),
    PriceMoveTooLarge(I::PriceMoveTooLarge),
    ExpiryOracleUnavailable(I::ExpiryOracleUnavailable),
}

// `SolidityError` derives the same conversion for the exported ABI.
#[cfg(not(feature = "export-abi"))]
impl From<InvalidInitialization> for OracleError {
    fn from(e: InvalidInitialization) -> Self {
        Self::InvalidInitialization(e)
    }
}

/// Revert data of an error: one shared, non-inlined body for every variant keeps the conversion
/// small.
#[cfg(not(feature = "export-abi"))]
#[inline(never)]
fn revert(selector: [u8; 4], fields: &[B256]) -> Vec<u8> {
    words::error(selector, fields)
}

/// One ABI word. Not inlined: the error and event encoders convert dozens of fields, and an
/// inlined byte swap per field costs kilobytes.
#[inline(never)]
fn wu(value: U256) -> B256 {
    B256::from(value)
}

#[inline(never)]
fn wa(address: Address) -> B256 {
    address.into_word()
}

#[cfg(not(feature = "export-abi"))]
impl From<OracleError> for Vec<u8> {
    fn from(error: OracleError) -> Self {
        use alloy_sol_types::SolError;
        use OracleError as E;
        match error {
            E::InvalidInitialization(e) => revert(
                InvalidInitialization::SELECTOR,
                &[wu(U256::from(e.current)), wu(U256::from(e.requested))],
            ),
            E::NotAdmin(e) => revert(I::NotAdmin::SELECTOR, &[wa(e.caller)]),
            E::ZeroAddress(_) => revert(I::ZeroAddress::SELECTOR, &[]),
            E::ParameterOutOfBounds(e) => revert(
                I::ParameterOutOfBounds::SELECTOR,
                &[wu(e.value), wu(e.min), wu(e.max)],
            ),
            E::DuplicateFeed(e) => revert(I::DuplicateFeed::SELECTOR, &[wa(e.feed)]),
            E::FeedNotSet(e) => revert(I::FeedNotSet::SELECTOR, &[wa(e.asset), wu(e.index)]),
            E::InvalidAnswerBounds(e) => revert(
                I::InvalidAnswerBounds::SELECTOR,
                &[wu(e.minAnswer.into_raw()), wu(e.maxAnswer.into_raw())],
            ),
            E::FeedDecimalsMismatch(e) => revert(
                I::FeedDecimalsMismatch::SELECTOR,
                &[
                    wa(e.feed),
                    wu(U256::from(e.configured)),
                    wu(U256::from(e.reported)),
                ],
            ),
            E::UnknownAsset(e) => revert(I::UnknownAsset::SELECTOR, &[wa(e.asset)]),
            E::FeedUnavailable(e) => {
                revert(I::FeedUnavailable::SELECTOR, &[wa(e.asset), wa(e.feed)])
            }
            E::StalePrice(e) => revert(
                I::StalePrice::SELECTOR,
                &[wa(e.asset), wa(e.feed), wu(e.updatedAt), wu(e.maxAge)],
            ),
            E::NonPositivePrice(e) => revert(
                I::NonPositivePrice::SELECTOR,
                &[wa(e.asset), wa(e.feed), wu(e.answer.into_raw())],
            ),
            E::PriceOutOfBounds(e) => revert(
                I::PriceOutOfBounds::SELECTOR,
                &[
                    wa(e.asset),
                    wa(e.feed),
                    wu(e.answer.into_raw()),
                    wu(e.minAnswer.into_raw()),
                    wu(e.maxAnswer.into_raw()),
                ],
            ),
            E::QuorumNotMet(e) => revert(
                I::QuorumNotMet::SELECTOR,
                &[wa(e.asset), wu(e.valid), wu(e.quorum)],
            ),
            E::SourcesDisagree(e) => revert(
                I::SourcesDisagree::SELECTOR,
                &[wa(e.asset), wu(e.lowest), wu(e.highest), wu(e.maxDeviation)],
            ),
            E::SequencerStatusUnavailable(e) => {
                revert(I::SequencerStatusUnavailable::SELECTOR, &[wa(e.feed)])
            }
            E::SequencerDown(e) => revert(I::SequencerDown::SELECTOR, &[wu(e.since)]),
            E::SequencerGracePeriodNotOver(e) => revert(
                I::SequencerGracePeriodNotOver::SELECTOR,
                &[wu(e.upSince), wu(e.gracePeriod)],
            ),
            E::RoundUnavailable(e) => revert(
                I::RoundUnavailable::SELECTOR,
                &[wa(e.feed), wu(U256::from(e.roundId))],
            ),
            E::PriceMoveTooLarge(e) => revert(
                I::PriceMoveTooLarge::SELECTOR,
                &[wa(e.asset), wu(e.previous), wu(e.current), wu(e.maxMove)],
            ),
            E::ExpiryOracleUnavailable(e) => {
                revert(I::ExpiryOracleUnavailable::SELECTOR, &[wa(e.oracle)])
            }
        }
    }
}

/// One feed slot of an asset.
#[storage]
pub struct FeedConfig {
    feed: StorageAddress,
    decimals: StorageU8,
    max_age: StorageU64,
    min_answer: StorageI256,
    max_answer: StorageI256,
}

/// An asset's feed slots (slot 0 is the primary: expiry prices, circuit breaker) and rules.
/// `feed_count == 0`: unknown or removed.
#[storage]
pub struct AssetConfig {
    feed_count: StorageU8,
    quorum: StorageU8,
    max_deviation: StorageU256,
    max_round_move: StorageU256,
    // The storage-layout check reads the length as a literal; `MAX_FEEDS` is asserted below.
    feeds: StorageArray<FeedConfig, 5>,
}

const _: () = assert!(limits::MAX_FEEDS == 5);

/// Adapter state (behind the proxy); fields may only be appended.
#[storage]
#[entrypoint]
pub struct OracleAdapter {
    admin: StorageAddress,
    sequencer_feed: StorageAddress,
    sequencer_grace_period: StorageU64,
    expiry_oracle: StorageAddress,
    assets: StorageMap<Address, AssetConfig>,
}

type RoundData = (U80, I256, U256, U256, U80);

#[public]
impl OracleAdapter {
    /// Locks the implementation's own account: only the proxy can be initialised.
    #[constructor]
    pub fn constructor(&mut self) {
        initializable::disable_initializers(self.vm());
    }

    /// Sets the admin and the sequencer feed (address 0 = no sequencer check) and the default
    /// grace period. Runs once, through the proxy.
    pub fn initialize(
        &mut self,
        admin: Address,
        sequencer_feed: Address,
    ) -> Result<(), OracleError> {
        non_zero(admin)?;
        initializable::initializer(self.vm(), 1)?;
        self.admin.set(admin);
        self.sequencer_feed.set(sequencer_feed);
        self.sequencer_grace_period
            .set(U64::from(limits::DEFAULT_GRACE_PERIOD));
        self.emit(
            &[I::OracleAdapterInitialized::SIGNATURE_HASH, wa(admin)],
            &[wa(sequencer_feed)],
        );
        Ok(())
    }

    pub fn set_admin(&mut self, new_admin: Address) -> Result<(), OracleError> {
        let previous = self.only_admin()?;
        non_zero(new_admin)?;
        self.admin.set(new_admin);
        self.emit(
            &[I::AdminChanged::SIGNATURE_HASH, wa(previous), wa(new_admin)],
            &[],
        );
        Ok(())
    }

    /// Address 0 switches the sequencer check off (chains without a sequencer feed).
    pub fn set_sequencer_feed(&mut self, feed: Address) -> Result<(), OracleError> {
        self.only_admin()?;
        let previous = self.sequencer_feed.get();
        self.sequencer_feed.set(feed);
        self.emit(
            &[
                I::SequencerFeedChanged::SIGNATURE_HASH,
                wa(previous),
                wa(feed),
            ],
            &[],
        );
        Ok(())
    }

    pub fn set_sequencer_grace_period(&mut self, grace_period: U256) -> Result<(), OracleError> {
        self.only_admin()?;
        let grace = within(
            grace_period,
            limits::MIN_GRACE_PERIOD,
            limits::MAX_GRACE_PERIOD,
        )?;
        let previous = self.sequencer_grace_period.get();
        self.sequencer_grace_period.set(U64::from(grace));
        self.emit(
            &[I::SequencerGracePeriodChanged::SIGNATURE_HASH],
            &[wu(U256::from(previous)), wu(grace_period)],
        );
        Ok(())
    }

    /// Where `getExpiryPrice` is forwarded (address 0: nowhere).
    pub fn set_expiry_oracle(&mut self, oracle: Address) -> Result<(), OracleError> {
        self.only_admin()?;
        let previous = self.expiry_oracle.get();
        self.expiry_oracle.set(oracle);
        self.emit(
            &[
                I::ExpiryOracleChanged::SIGNATURE_HASH,
                wa(previous),
                wa(oracle),
            ],
            &[],
        );
        Ok(())
    }

    /// Sets feed slot `index` of `asset` (0 = primary). Answer bounds are in the feed's own units
    /// and exclusive; the feed's `decimals()` must match. A slot below the asset's feed count is
    /// live at once; others count after `configureAsset` raises the count.
    #[allow(clippy::too_many_arguments)]
    pub fn set_feed(
        &mut self,
        asset: Address,
        index: U256,
        feed: Address,
        decimals: u8,
        max_age: U256,
        min_answer: I256,
        max_answer: I256,
    ) -> Result<(), OracleError> {
        self.only_admin()?;
        non_zero(asset)?;
        let slot = within(index, 0, limits::MAX_FEEDS as u64 - 1)? as usize;
        let max_age_secs = within(max_age, limits::MIN_MAX_AGE, limits::MAX_MAX_AGE)?;
        non_zero(feed)?;
        let config = self.assets.getter(asset);
        for other in (0..limits::MAX_FEEDS).filter(|&j| j != slot) {
            if config
                .feeds
                .getter(other)
                .is_some_and(|f| f.feed.get() == feed)
            {
                return Err(OracleError::DuplicateFeed(I::DuplicateFeed { feed }));
            }
        }
        let bounds_ok = !min_answer.is_negative()
            && min_answer < max_answer
            && decimals <= limits::MAX_FEED_DECIMALS
            && normalise(max_answer.into_raw(), decimals)
                .is_some_and(|max| max <= U256::from(limits::MAX_NORMALISED_PRICE));
        if !bounds_ok {
            return Err(OracleError::InvalidAnswerBounds(I::InvalidAnswerBounds {
                minAnswer: min_answer,
                maxAnswer: max_answer,
            }));
        }
        let reported = static_call(self.vm(), Call::new(), feed, &Feed3::decimalsCall::SELECTOR)
            .ok()
            .filter(|ret| ret.len() == 32 && ret[..31].iter().all(|b| *b == 0))
            .map(|ret| ret[31])
            .ok_or(OracleError::FeedUnavailable(I::FeedUnavailable {
                asset,
                feed,
            }))?;
        if reported != decimals {
            return Err(OracleError::FeedDecimalsMismatch(I::FeedDecimalsMismatch {
                feed,
                configured: decimals,
                reported,
            }));
        }
        let mut config = self.assets.setter(asset);
        if let Some(mut stored) = config.feeds.setter(slot) {
            stored.feed.set(feed);
            stored.decimals.set(U8::from(decimals));
            stored.max_age.set(U64::from(max_age_secs));
            stored.min_answer.set(min_answer);
            stored.max_answer.set(max_answer);
        }
        self.emit(
            &[I::FeedSet::SIGNATURE_HASH, wa(asset)],
            &[
                wu(index),
                wa(feed),
                wu(U256::from(decimals)),
                wu(max_age),
                wu(min_answer.into_raw()),
                wu(max_answer.into_raw()),
            ],
        );
        Ok(())
    }

    /// Puts slots `0..feedCount` into service with the aggregation rules: `quorum` of them (a
    /// majority: `feedCount / 2 < quorum <= feedCount`) must count, `maxDeviation` (1e18 fraction
    /// of the median) is the largest spread, `maxRoundMove`
    /// the circuit breaker's bound for `getMintPrice`.
    pub fn configure_asset(
        &mut self,
        asset: Address,
        feed_count: U256,
        quorum: U256,
        max_deviation: U256,
        max_round_move: U256,
    ) -> Result<(), OracleError> {
        self.only_admin()?;
        non_zero(asset)?;
        let count = within(feed_count, 1, limits::MAX_FEEDS as u64)?;
        // A majority: below it, a minority of the feeds (one bad feed while the others are stale)
        // could set the price alone.
        let quorum_n = within(quorum, count / 2 + 1, count)?;
        within_wide(
            max_deviation,
            limits::MIN_MAX_DEVIATION,
            limits::MAX_MAX_DEVIATION,
        )?;
        within_wide(
            max_round_move,
            limits::MIN_MAX_ROUND_MOVE,
            limits::MAX_MAX_ROUND_MOVE,
        )?;
        let config = self.assets.getter(asset);
        for i in 0..count as usize {
            if config
                .feeds
                .getter(i)
                .is_none_or(|f| f.feed.get().is_zero())
            {
                return Err(OracleError::FeedNotSet(I::FeedNotSet {
                    asset,
                    index: U256::from(i),
                }));
            }
        }
        let mut config = self.assets.setter(asset);
        config.feed_count.set(U8::from(count));
        config.quorum.set(U8::from(quorum_n));
        config.max_deviation.set(max_deviation);
        config.max_round_move.set(max_round_move);
        self.emit(
            &[I::AssetConfigured::SIGNATURE_HASH, wa(asset)],
            &[
                wu(feed_count),
                wu(quorum),
                wu(max_deviation),
                wu(max_round_move),
            ],
        );
        Ok(())
    }

    /// Live prices for the asset stop (and new expiry prices must come from the fallback);
    /// recorded expiry prices stay readable. The feed slots are kept.
    pub fn remove_asset(&mut self, asset: Address) -> Result<(), OracleError> {
        self.only_admin()?;
        self.load_asset(asset)?;
        self.assets.setter(asset).feed_count.set(U8::ZERO);
        self.emit(&[I::AssetRemoved::SIGNATURE_HASH, wa(asset)], &[]);
        Ok(())
    }

    /// Live price (1e18) and the median `updatedAt` of the feeds behind it: margin, liquidation.
    pub fn get_price(&self, asset: Address) -> Result<(U256, U256), OracleError> {
        let live = self.live_price(asset)?;
        Ok((live.price, U256::from(live.updated_at)))
    }

    /// `getPrice` plus the circuit breaker (see the module doc): new positions.
    pub fn get_mint_price(&self, asset: Address) -> Result<(U256, U256), OracleError> {
        let live = self.live_price(asset)?;
        let primary = live.primary;
        // Read here, not with the asset: only mints need it, and a cold slot costs 2,100 gas.
        let max_move = self.assets.getter(asset).max_round_move.get();
        let unavailable = |id: u128| {
            OracleError::RoundUnavailable(I::RoundUnavailable {
                feed: primary.address,
                roundId: U80::from(id),
            })
        };
        // The round `live_price` read: one feed call fewer.
        let current =
            live.primary_round
                .ok_or(OracleError::FeedUnavailable(I::FeedUnavailable {
                    asset,
                    feed: primary.address,
                }))?;
        let (phase, round) = split_round_id(current.id);
        let previous_id = join_round_id(phase, round.saturating_sub(1));
        if round <= 1 {
            return Err(unavailable(previous_id));
        }
        let previous = read_round(self.vm(), primary.address, previous_id)
            .found()
            .ok_or_else(|| unavailable(previous_id))?;
        let positive = |answer: I256| {
            if answer.is_positive() {
                Ok(answer.into_raw())
            } else {
                Err(OracleError::NonPositivePrice(I::NonPositivePrice {
                    asset,
                    feed: primary.address,
                    answer,
                }))
            }
        };
        let (now_answer, before) = (positive(current.answer)?, positive(previous.answer)?);
        if !within_fraction(now_answer, before, max_move) {
            let scaled = |a: U256| normalise(a, primary.decimals).unwrap_or(U256::MAX);
            return Err(OracleError::PriceMoveTooLarge(I::PriceMoveTooLarge {
                asset,
                previous: scaled(before),
                current: scaled(now_answer),
                maxMove: max_move,
            }));
        }
        Ok((live.price, U256::from(live.updated_at)))
    }

    /// The live price shaped like Chainlink's `latestRoundData` (answer 1e18, see `decimals()`).
    /// `roundId` and `answeredInRound` are the round of the first agreeing feed in slot order (the
    /// primary when it agrees); `startedAt` = `updatedAt`.
    pub fn latest_round_data(&self, asset: Address) -> Result<RoundData, OracleError> {
        let live = self.live_price(asset)?;
        let round_id = U80::from(live.round_id);
        let updated_at = U256::from(live.updated_at);
        Ok((
            round_id,
            I256::from_raw(live.price),
            updated_at,
            updated_at,
            round_id,
        ))
    }

    /// Decimals of every price this contract returns.
    pub fn decimals() -> u8 {
        18
    }

    /// The primary feed of a configured asset, as the expiry oracle needs it.
    pub fn primary_feed(&self, asset: Address) -> Result<FeedView, OracleError> {
        Ok(self.load_asset(asset)?.feeds[0].view())
    }

    /// The settlement price, answered by the expiry oracle (see `IExpiryOracle.getExpiryPrice`).
    pub fn get_expiry_price(
        &self,
        asset: Address,
        expiry: U256,
    ) -> Result<(U256, bool), OracleError> {
        let oracle = self.expiry_oracle.get();
        let unavailable =
            OracleError::ExpiryOracleUnavailable(I::ExpiryOracleUnavailable { oracle });
        if oracle.is_zero() {
            return Err(unavailable);
        }
        let call = words::error(I::getExpiryPriceCall::SELECTOR, &[wa(asset), wu(expiry)]);
        match static_call(self.vm(), Call::new(), oracle, &call) {
            Ok(ret) if ret.len() == 64 && ret[32..63].iter().all(|b| *b == 0) && ret[63] < 2 => {
                Ok((U256::from_be_slice(&ret[..32]), ret[63] == 1))
            }
            _ => Err(unavailable),
        }
    }

    pub fn admin(&self) -> Address {
        self.admin.get()
    }

    pub fn sequencer_feed(&self) -> Address {
        self.sequencer_feed.get()
    }

    pub fn sequencer_grace_period(&self) -> U256 {
        U256::from(self.sequencer_grace_period.get())
    }

    pub fn expiry_oracle(&self) -> Address {
        self.expiry_oracle.get()
    }

    /// `(feedCount, quorum, maxDeviation, maxRoundMove)`; zeros for an unknown asset.
    pub fn get_asset_config(&self, asset: Address) -> (U256, U256, U256, U256) {
        let config = self.assets.getter(asset);
        (
            U256::from(config.feed_count.get().to::<u8>()),
            U256::from(config.quorum.get().to::<u8>()),
            config.max_deviation.get(),
            config.max_round_move.get(),
        )
    }

    /// Feed slot `index` as stored (in service or not); zeros for an empty or invalid slot.
    pub fn get_feed(&self, asset: Address, index: U256) -> FeedView {
        let config = self.assets.getter(asset);
        let feed = usize::try_from(index)
            .ok()
            .and_then(|i| Self::stored_feed(&config, i))
            .unwrap_or(Feed {
                address: Address::ZERO,
                decimals: 0,
                max_age: 0,
                min_answer: I256::ZERO,
                max_answer: I256::ZERO,
            });
        feed.view()
    }
}

/// A configured asset.
struct Asset {
    feeds: Vec<Feed>,
    quorum: usize,
    max_deviation: U256,
}

/// One feed's accepted live answer.
#[derive(Clone, Copy, Debug)]
struct Quote {
    price: U256,
    updated_at: u64,
    round_id: u128,
}

/// The aggregated live price and the feeds behind it.
struct Live {
    price: U256,
    updated_at: u64,
    round_id: u128,
    primary: Feed,
    /// The primary feed's latest round as read (accepted or not), for the circuit breaker.
    primary_round: Option<Round>,
}

impl OracleAdapter {
    #[inline(never)]
    fn emit(&self, topics: &[B256], data: &[B256]) {
        // Fails only with more than four topics, which no event here has.
        let _ = self.vm().raw_log(topics, &words::data(data));
    }

    #[inline(never)]
    fn only_admin(&self) -> Result<Address, OracleError> {
        let caller = self.vm().msg_sender();
        let admin = self.admin.get();
        if caller != admin || admin.is_zero() {
            return Err(OracleError::NotAdmin(I::NotAdmin { caller }));
        }
        Ok(admin)
    }

    /// Slot `index` of an asset's feeds; `None` past the last slot.
    #[inline(never)]
    fn stored_feed(config: &AssetConfig, index: usize) -> Option<Feed> {
        let slot = config.feeds.getter(index)?;
        Some(Feed {
            address: slot.feed.get(),
            decimals: slot.decimals.get().to::<u8>(),
            max_age: slot.max_age.get().to::<u64>(),
            min_answer: slot.min_answer.get(),
            max_answer: slot.max_answer.get(),
        })
    }

    /// The asset's feeds in service and its rules, or `UnknownAsset`.
    fn load_asset(&self, asset: Address) -> Result<Asset, OracleError> {
        let config = self.assets.getter(asset);
        let count = config.feed_count.get().to::<usize>();
        let feeds: Vec<Feed> = (0..count)
            .filter_map(|i| Self::stored_feed(&config, i))
            .collect();
        if feeds.is_empty() {
            return Err(OracleError::UnknownAsset(I::UnknownAsset { asset }));
        }
        // One feed always agrees with itself: its spread bound is not read (a cold slot).
        let max_deviation = if feeds.len() > 1 {
            config.max_deviation.get()
        } else {
            U256::ZERO
        };
        Ok(Asset {
            feeds,
            quorum: config.quorum.get().to::<usize>(),
            max_deviation,
        })
    }

    fn check_sequencer(&self) -> Result<(), OracleError> {
        let feed = self.sequencer_feed.get();
        if feed.is_zero() {
            return Ok(());
        }
        let unavailable =
            || OracleError::SequencerStatusUnavailable(I::SequencerStatusUnavailable { feed });
        let status = read_latest(self.vm(), feed)
            .found()
            .ok_or_else(unavailable)?;
        if status.answer == I256::ONE {
            return Err(OracleError::SequencerDown(I::SequencerDown {
                since: status.started_at,
            }));
        }
        if !status.answer.is_zero() || status.started_at.is_zero() {
            return Err(unavailable());
        }
        let grace = U256::from(self.sequencer_grace_period.get());
        let now = U256::from(self.vm().block_timestamp());
        if now < status.started_at.saturating_add(grace) {
            return Err(OracleError::SequencerGracePeriodNotOver(
                I::SequencerGracePeriodNotOver {
                    upSince: status.started_at,
                    gracePeriod: grace,
                },
            ));
        }
        Ok(())
    }

    /// One feed's latest answer if it is fresh and accepted.
    fn quote(
        asset: Address,
        feed: &Feed,
        round: Option<Round>,
        now: u64,
    ) -> Result<Quote, OracleError> {
        let round = round.ok_or(OracleError::FeedUnavailable(I::FeedUnavailable {
            asset,
            feed: feed.address,
        }))?;
        let now = U256::from(now);
        if round.updated_at > now || now - round.updated_at > U256::from(feed.max_age) {
            return Err(OracleError::StalePrice(I::StalePrice {
                asset,
                feed: feed.address,
                updatedAt: round.updated_at,
                maxAge: U256::from(feed.max_age),
            }));
        }
        let price = accepted_price::<OracleError>(asset, feed, round.answer)?;
        Ok(Quote {
            price,
            updated_at: round.updated_at.saturating_to::<u64>(),
            round_id: round.id,
        })
    }

    fn live_price(&self, asset: Address) -> Result<Live, OracleError> {
        let Asset {
            feeds,
            quorum,
            max_deviation,
        } = self.load_asset(asset)?;
        self.check_sequencer()?;
        let now = self.vm().block_timestamp();
        let mut quotes = Vec::with_capacity(feeds.len());
        let mut first_error = None;
        let mut primary_round = None;
        for (i, feed) in feeds.iter().enumerate() {
            let round = read_latest(self.vm(), feed.address).found();
            if i == 0 {
                primary_round = round;
            }
            match Self::quote(asset, feed, round, now) {
                Ok(quote) => quotes.push(quote),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        if quotes.len() < quorum || quotes.is_empty() {
            return Err(match first_error {
                Some(error) if feeds.len() == 1 => error,
                _ => OracleError::QuorumNotMet(I::QuorumNotMet {
                    asset,
                    valid: U256::from(quotes.len()),
                    quorum: U256::from(quorum),
                }),
            });
        }
        let mut prices: Vec<U256> = quotes.iter().map(|q| q.price).collect();
        let price = median(&mut prices);
        let agreeing: Vec<&Quote> = quotes
            .iter()
            .filter(|q| within_fraction(q.price, price, max_deviation))
            .collect();
        let (Some(first), true) = (agreeing.first(), agreeing.len() >= quorum) else {
            return Err(OracleError::SourcesDisagree(I::SourcesDisagree {
                asset,
                lowest: prices[0],
                highest: prices[prices.len() - 1],
                maxDeviation: max_deviation,
            }));
        };
        Ok(Live {
            price,
            updated_at: median(
                &mut agreeing
                    .iter()
                    .map(|q| U256::from(q.updated_at))
                    .collect::<Vec<_>>(),
            )
            .saturating_to::<u64>(),
            round_id: first.round_id,
            primary: feeds[0],
            primary_round,
        })
    }
}

fn non_zero(address: Address) -> Result<(), OracleError> {
    if address.is_zero() {
        return Err(OracleError::ZeroAddress(I::ZeroAddress {}));
    }
    Ok(())
}

fn out_of_bounds(value: U256, min: U256, max: U256) -> OracleError {
    OracleError::ParameterOutOfBounds(I::ParameterOutOfBounds { value, min, max })
}

/// `value` as u64 when `min <= value <= max`.
fn within(value: U256, min: u64, max: u64) -> Result<u64, OracleError> {
    within_wide(value, u128::from(min), u128::from(max)).map(|v| v as u64)
}

/// `value` as u128 when `min <= value <= max`.
fn within_wide(value: U256, min: u128, max: u128) -> Result<u128, OracleError> {
    let (min, max) = (U256::from(min), U256::from(max));
    if value < min || value > max {
        return Err(out_of_bounds(value, min, max));
    }
    Ok(value.to::<u128>())
}

impl AnswerErrors for OracleError {
    fn non_positive(asset: Address, feed: Address, answer: I256) -> Self {
        OracleError::NonPositivePrice(I::NonPositivePrice {
            asset,
            feed,
            answer,
        })
    }

    fn out_of_bounds(asset: Address, feed: &Feed, answer: I256) -> Self {
        OracleError::PriceOutOfBounds(I::PriceOutOfBounds {
            asset,
            feed: feed.address,
            answer,
            minAnswer: feed.min_answer,
            maxAnswer: feed.max_answer,
        })
    }
}

/// Sorts `prices` and returns their median (the lower-rounded mean of the middle two when even).
fn median(prices: &mut [U256]) -> U256 {
    // Insertion sort: at most five prices, and core's sort costs kilobytes of WASM.
    for i in 1..prices.len() {
        let mut j = i;
        while j > 0 && prices[j - 1] > prices[j] {
            prices.swap(j - 1, j);
            j -= 1;
        }
    }
    let n = prices.len();
    if n == 0 {
        return U256::ZERO;
    }
    if n % 2 == 1 {
        prices[n / 2]
    } else {
        // The mean of the middle two, rounded down, with shifts: U256 division is large in WASM.
        let (a, b) = (prices[n / 2 - 1], prices[n / 2]);
        (a >> 1) + (b >> 1) + (a & b & U256::from(1))
    }
}
