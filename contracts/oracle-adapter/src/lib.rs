//! The protocol's one source of prices: Chainlink feeds, checked before they are believed.
//!
//! Per asset the admin (later governance) configures 1-5 `AggregatorV3Interface` feeds, each with
//! its decimals, maximum answer age and accepted answer range, plus a quorum and the largest spread
//! allowed between feeds. Every price leaves normalised to 1e18 ([`abi::PRICE_SCALE`]); feeds have
//! at most 18 decimals, so the scaling is an exact multiplication (nothing to round).
//!
//! Live prices (`getPrice`, `latestRoundData(asset)`):
//! - the L2 sequencer uptime feed must report up (answer 0) since at least the grace period
//!   (default 3600 s); no sequencer feed configured (address 0) = no check, for local chains only;
//! - a feed counts when its answer is fresh (`0 < updatedAt <= now`, `now - updatedAt <= maxAge`),
//!   positive and strictly inside `(minAnswer, maxAnswer)` (set these to the aggregator's clamp, or
//!   tighter, so a clamped answer is refused);
//! - at least `quorum` feeds must count, else `QuorumNotMet` (or, with a single feed, the error
//!   naming why it failed); the price is the median of the counting feeds; feeds further than
//!   `maxDeviation` from it are set aside and at least `quorum` must remain, else `SourcesDisagree`;
//! - the timestamp returned is the oldest `updatedAt` among the agreeing feeds.
//!
//! Expiry prices (never blocked by the sequencer, since they come from history): after expiry anyone
//! may call `setExpiryPrice(asset, expiry, roundId)` naming the primary feed's first round at or
//! after expiry: the round is at/after expiry and no later than `expiry + fallbackWindow`, and its
//! predecessor is before expiry. The predecessor of round `k > 1` is round `k - 1` of the same
//! phase; the predecessor of a phase's first round is the last round of the previous phase, found
//! by an exponential then binary search over `getRoundData` (a round is absent when the call
//! returns `updatedAt == 0` or reverts with data; an empty revert, as from running out of gas,
//! aborts). The disputer may replace the price until `finalizesAt` (set once: `now +
//! disputePeriod`); if no price is recorded once `expiry + fallbackWindow` has passed, the
//! disputer sets it (also subject to the dispute period), so a missing round never locks funds.
//!
//! For the escrow (all views, all reverting with the custom errors of `abi::oracle`):
//! - margin, new positions, liquidation: `getPrice(asset) -> (price 1e18, updatedAt)`; compare
//!   `updatedAt` with a vault's last change to require a price newer than the change;
//! - settlement: `getExpiryPrice(asset, expiry) -> (price 1e18, finalized)`; `(0, false)` when no
//!   price is recorded yet; settle only when `finalized`.
//! - `getExpiryPriceDetails` adds the round, its timestamp, `finalizesAt` and the price's source.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// Errors are the ABI's error structs, carrying their values; they become revert data at once, so
// boxing them would only add allocations and code size.
#![allow(clippy::result_large_err)]
extern crate alloc;

use abi::chainlink::{join_round_id, split_round_id, AggregatorV3Interface};
use abi::oracle::{self as limits, IOracleAdapter as I};
use alloc::vec::Vec;
use alloy_primitives::{aliases::U80, Address, I256, U256, U64, U8};
use alloy_sol_types::SolCall;
use stylus_sdk::{
    call::static_call,
    prelude::*,
    storage::{
        StorageAddress, StorageArray, StorageBool, StorageI256, StorageMap, StorageU128,
        StorageU256, StorageU64, StorageU8,
    },
    stylus_core::calls::{errors::Error as CallError, Call},
};

#[cfg(test)]
mod test_chain;
#[cfg(test)]
mod tests;

/// The ABI's custom errors. The exported interface lists them through `SolidityError`; the
/// contract itself encodes them with one shared word encoder (see `From<OracleError>`), because
/// the derived encoder instantiates one ABI encoder per error type and costs kilobytes of WASM.
#[cfg_attr(feature = "export-abi", derive(SolidityError))]
#[derive(Debug)]
pub enum OracleError {
    AlreadyInitialized(I::AlreadyInitialized),
    NotAdmin(I::NotAdmin),
    NotDisputer(I::NotDisputer),
    ZeroAddress(I::ZeroAddress),
    ParameterOutOfBounds(I::ParameterOutOfBounds),
    ConfigLengthMismatch(I::ConfigLengthMismatch),
    DuplicateFeed(I::DuplicateFeed),
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
    ExpiryNotReached(I::ExpiryNotReached),
    ExpiryPriceAlreadySet(I::ExpiryPriceAlreadySet),
    RoundUnavailable(I::RoundUnavailable),
    RoundBeforeExpiry(I::RoundBeforeExpiry),
    RoundTooLate(I::RoundTooLate),
    RoundNotFirstAfterExpiry(I::RoundNotFirstAfterExpiry),
    NoExpiryPrice(I::NoExpiryPrice),
    DisputePeriodOver(I::DisputePeriodOver),
    FallbackNotOpen(I::FallbackNotOpen),
    ZeroPrice(I::ZeroPrice),
}

/// Revert data laid out as `SolError::abi_encode` does for errors whose fields are all static:
/// the selector, then one 32-byte word per field.
#[cfg(not(feature = "export-abi"))]
fn revert_data(selector: [u8; 4], words: &[U256]) -> Vec<u8> {
    let mut data = Vec::with_capacity(4 + 32 * words.len());
    data.extend_from_slice(&selector);
    for word in words {
        data.extend_from_slice(&word.to_be_bytes::<32>());
    }
    data
}

#[cfg(not(feature = "export-abi"))]
fn word(address: Address) -> U256 {
    U256::from_be_slice(address.as_slice())
}

#[cfg(not(feature = "export-abi"))]
impl From<OracleError> for Vec<u8> {
    fn from(error: OracleError) -> Self {
        use alloy_sol_types::SolError;
        use OracleError as E;
        match error {
            E::AlreadyInitialized(_) => revert_data(I::AlreadyInitialized::SELECTOR, &[]),
            E::NotAdmin(e) => revert_data(I::NotAdmin::SELECTOR, &[word(e.caller)]),
            E::NotDisputer(e) => revert_data(I::NotDisputer::SELECTOR, &[word(e.caller)]),
            E::ZeroAddress(_) => revert_data(I::ZeroAddress::SELECTOR, &[]),
            E::ParameterOutOfBounds(e) => {
                revert_data(I::ParameterOutOfBounds::SELECTOR, &[e.value, e.min, e.max])
            }
            E::ConfigLengthMismatch(_) => revert_data(I::ConfigLengthMismatch::SELECTOR, &[]),
            E::DuplicateFeed(e) => revert_data(I::DuplicateFeed::SELECTOR, &[word(e.feed)]),
            E::InvalidAnswerBounds(e) => revert_data(
                I::InvalidAnswerBounds::SELECTOR,
                &[e.minAnswer.into_raw(), e.maxAnswer.into_raw()],
            ),
            E::FeedDecimalsMismatch(e) => revert_data(
                I::FeedDecimalsMismatch::SELECTOR,
                &[
                    word(e.feed),
                    U256::from(e.configured),
                    U256::from(e.reported),
                ],
            ),
            E::UnknownAsset(e) => revert_data(I::UnknownAsset::SELECTOR, &[word(e.asset)]),
            E::FeedUnavailable(e) => {
                revert_data(I::FeedUnavailable::SELECTOR, &[word(e.asset), word(e.feed)])
            }
            E::StalePrice(e) => revert_data(
                I::StalePrice::SELECTOR,
                &[word(e.asset), word(e.feed), e.updatedAt, e.maxAge],
            ),
            E::NonPositivePrice(e) => revert_data(
                I::NonPositivePrice::SELECTOR,
                &[word(e.asset), word(e.feed), e.answer.into_raw()],
            ),
            E::PriceOutOfBounds(e) => revert_data(
                I::PriceOutOfBounds::SELECTOR,
                &[
                    word(e.asset),
                    word(e.feed),
                    e.answer.into_raw(),
                    e.minAnswer.into_raw(),
                    e.maxAnswer.into_raw(),
                ],
            ),
            E::QuorumNotMet(e) => revert_data(
                I::QuorumNotMet::SELECTOR,
                &[word(e.asset), e.valid, e.quorum],
            ),
            E::SourcesDisagree(e) => revert_data(
                I::SourcesDisagree::SELECTOR,
                &[word(e.asset), e.lowest, e.highest, e.maxDeviation],
            ),
            E::SequencerStatusUnavailable(e) => {
                revert_data(I::SequencerStatusUnavailable::SELECTOR, &[word(e.feed)])
            }
            E::SequencerDown(e) => revert_data(I::SequencerDown::SELECTOR, &[e.since]),
            E::SequencerGracePeriodNotOver(e) => revert_data(
                I::SequencerGracePeriodNotOver::SELECTOR,
                &[e.upSince, e.gracePeriod],
            ),
            E::ExpiryNotReached(e) => {
                revert_data(I::ExpiryNotReached::SELECTOR, &[e.expiry, e.timestamp])
            }
            E::ExpiryPriceAlreadySet(e) => revert_data(
                I::ExpiryPriceAlreadySet::SELECTOR,
                &[word(e.asset), e.expiry],
            ),
            E::RoundUnavailable(e) => revert_data(
                I::RoundUnavailable::SELECTOR,
                &[word(e.feed), U256::from(e.roundId)],
            ),
            E::RoundBeforeExpiry(e) => revert_data(
                I::RoundBeforeExpiry::SELECTOR,
                &[U256::from(e.roundId), e.updatedAt, e.expiry],
            ),
            E::RoundTooLate(e) => revert_data(
                I::RoundTooLate::SELECTOR,
                &[U256::from(e.roundId), e.updatedAt, e.deadline],
            ),
            E::RoundNotFirstAfterExpiry(e) => revert_data(
                I::RoundNotFirstAfterExpiry::SELECTOR,
                &[
                    U256::from(e.roundId),
                    U256::from(e.previousRoundId),
                    e.previousUpdatedAt,
                ],
            ),
            E::NoExpiryPrice(e) => {
                revert_data(I::NoExpiryPrice::SELECTOR, &[word(e.asset), e.expiry])
            }
            E::DisputePeriodOver(e) => revert_data(
                I::DisputePeriodOver::SELECTOR,
                &[word(e.asset), e.expiry, e.finalizesAt],
            ),
            E::FallbackNotOpen(e) => revert_data(
                I::FallbackNotOpen::SELECTOR,
                &[word(e.asset), e.expiry, e.opensAfter],
            ),
            E::ZeroPrice(_) => revert_data(I::ZeroPrice::SELECTOR, &[]),
        }
    }
}

/// One feed of an asset.
#[storage]
pub struct FeedConfig {
    feed: StorageAddress,
    decimals: StorageU8,
    max_age: StorageU64,
    min_answer: StorageI256,
    max_answer: StorageI256,
}

/// An asset's feeds (slot 0 is the primary, used for expiry prices) and aggregation rules.
#[storage]
pub struct AssetConfig {
    feed_count: StorageU8,
    quorum: StorageU8,
    max_deviation: StorageU256,
    feeds: StorageArray<FeedConfig, { limits::MAX_FEEDS }>,
}

/// The recorded price of one asset at one expiry.
#[storage]
pub struct ExpiryRecord {
    price: StorageU256,
    round_id: StorageU128,
    round_timestamp: StorageU64,
    finalizes_at: StorageU64,
    source: StorageU8,
}

#[storage]
#[entrypoint]
pub struct OracleAdapter {
    initialized: StorageBool,
    admin: StorageAddress,
    disputer: StorageAddress,
    sequencer_feed: StorageAddress,
    sequencer_grace_period: StorageU64,
    dispute_period: StorageU64,
    fallback_window: StorageU64,
    assets: StorageMap<Address, AssetConfig>,
    expiry_prices: StorageMap<Address, StorageMap<U256, ExpiryRecord>>,
}

type RoundData = (U80, I256, U256, U256, U80);
type ExpiryDetails = (U256, U80, U256, U256, u8);
type AssetConfigView = (
    Vec<Address>,
    Vec<u8>,
    Vec<U256>,
    Vec<I256>,
    Vec<I256>,
    U256,
    U256,
);

#[public]
impl OracleAdapter {
    /// Sets the roles and the sequencer feed (address 0 = no sequencer check) and the default
    /// periods. Runs once, through the proxy.
    pub fn initialize(
        &mut self,
        admin: Address,
        disputer: Address,
        sequencer_feed: Address,
    ) -> Result<(), OracleError> {
        if self.initialized.get() {
            return Err(OracleError::AlreadyInitialized(I::AlreadyInitialized {}));
        }
        non_zero(admin)?;
        non_zero(disputer)?;
        self.initialized.set(true);
        self.admin.set(admin);
        self.disputer.set(disputer);
        self.sequencer_feed.set(sequencer_feed);
        self.sequencer_grace_period
            .set(U64::from(limits::DEFAULT_GRACE_PERIOD));
        self.dispute_period
            .set(U64::from(limits::DEFAULT_DISPUTE_PERIOD));
        self.fallback_window
            .set(U64::from(limits::DEFAULT_FALLBACK_WINDOW));
        self.vm().log(I::Initialized {
            admin,
            disputer,
            sequencerFeed: sequencer_feed,
        });
        Ok(())
    }

    pub fn set_admin(&mut self, new_admin: Address) -> Result<(), OracleError> {
        let previous = self.only_admin()?;
        non_zero(new_admin)?;
        self.admin.set(new_admin);
        self.vm().log(I::AdminChanged {
            previousAdmin: previous,
            newAdmin: new_admin,
        });
        Ok(())
    }

    pub fn set_disputer(&mut self, new_disputer: Address) -> Result<(), OracleError> {
        self.only_admin()?;
        non_zero(new_disputer)?;
        let previous = self.disputer.get();
        self.disputer.set(new_disputer);
        self.vm().log(I::DisputerChanged {
            previousDisputer: previous,
            newDisputer: new_disputer,
        });
        Ok(())
    }

    /// Address 0 switches the sequencer check off (chains without a sequencer feed).
    pub fn set_sequencer_feed(&mut self, feed: Address) -> Result<(), OracleError> {
        self.only_admin()?;
        let previous = self.sequencer_feed.get();
        self.sequencer_feed.set(feed);
        self.vm().log(I::SequencerFeedChanged {
            previousFeed: previous,
            newFeed: feed,
        });
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
        self.vm().log(I::SequencerGracePeriodChanged {
            previousGracePeriod: U256::from(previous),
            newGracePeriod: grace_period,
        });
        Ok(())
    }

    /// Applies to expiry prices recorded from now on.
    pub fn set_expiry_parameters(
        &mut self,
        dispute_period: U256,
        fallback_window: U256,
    ) -> Result<(), OracleError> {
        self.only_admin()?;
        let dispute = within(
            dispute_period,
            limits::MIN_DISPUTE_PERIOD,
            limits::MAX_DISPUTE_PERIOD,
        )?;
        let window = within(
            fallback_window,
            limits::MIN_FALLBACK_WINDOW,
            limits::MAX_FALLBACK_WINDOW,
        )?;
        self.dispute_period.set(U64::from(dispute));
        self.fallback_window.set(U64::from(window));
        self.vm().log(I::ExpiryParametersChanged {
            disputePeriod: dispute_period,
            fallbackWindow: fallback_window,
        });
        Ok(())
    }

    /// Replaces the asset's feeds and rules. `feeds[0]` is the primary (expiry prices); answer
    /// bounds are in the feed's own units and exclusive; `maxDeviation` is a 1e18 fraction of the
    /// median. Each feed's `decimals()` must match the configured value.
    #[allow(clippy::too_many_arguments)]
    pub fn configure_asset(
        &mut self,
        asset: Address,
        feeds: Vec<Address>,
        decimals: Vec<u8>,
        max_ages: Vec<U256>,
        min_answers: Vec<I256>,
        max_answers: Vec<I256>,
        quorum: U256,
        max_deviation: U256,
    ) -> Result<(), OracleError> {
        self.only_admin()?;
        non_zero(asset)?;
        let count = feeds.len();
        within(U256::from(count), 1, limits::MAX_FEEDS as u64)?;
        if decimals.len() != count
            || max_ages.len() != count
            || min_answers.len() != count
            || max_answers.len() != count
        {
            return Err(OracleError::ConfigLengthMismatch(
                I::ConfigLengthMismatch {},
            ));
        }
        let quorum = within(quorum, 1, count as u64)?;
        if max_deviation < U256::from(limits::MIN_MAX_DEVIATION)
            || max_deviation > U256::from(limits::MAX_MAX_DEVIATION)
        {
            return Err(out_of_bounds(
                max_deviation,
                U256::from(limits::MIN_MAX_DEVIATION),
                U256::from(limits::MAX_MAX_DEVIATION),
            ));
        }
        let mut checked = Vec::with_capacity(count);
        for i in 0..count {
            let feed = Feed {
                address: feeds[i],
                decimals: decimals[i],
                max_age: within(max_ages[i], limits::MIN_MAX_AGE, limits::MAX_MAX_AGE)?,
                min_answer: min_answers[i],
                max_answer: max_answers[i],
            };
            self.check_feed(asset, &feed, &feeds[..i])?;
            checked.push(feed);
        }

        let mut config = self.assets.setter(asset);
        config.feed_count.set(U8::from(count));
        config.quorum.set(U8::from(quorum));
        config.max_deviation.set(max_deviation);
        for (i, feed) in checked.iter().enumerate() {
            if let Some(mut slot) = config.feeds.setter(i) {
                slot.feed.set(feed.address);
                slot.decimals.set(U8::from(feed.decimals));
                slot.max_age.set(U64::from(feed.max_age));
                slot.min_answer.set(feed.min_answer);
                slot.max_answer.set(feed.max_answer);
            }
        }
        self.vm().log(I::AssetConfigured {
            asset,
            feedCount: U256::from(count),
            quorum: U256::from(quorum),
            maxDeviation: max_deviation,
        });
        for (i, feed) in checked.iter().enumerate() {
            self.vm().log(I::FeedConfigured {
                asset,
                index: U256::from(i),
                feed: feed.address,
                decimals: feed.decimals,
                maxAge: U256::from(feed.max_age),
                minAnswer: feed.min_answer,
                maxAnswer: feed.max_answer,
            });
        }
        Ok(())
    }

    /// Live prices for the asset stop; recorded expiry prices stay readable.
    pub fn remove_asset(&mut self, asset: Address) -> Result<(), OracleError> {
        self.only_admin()?;
        self.load_asset(asset)?;
        self.assets.setter(asset).feed_count.set(U8::ZERO);
        self.vm().log(I::AssetRemoved { asset });
        Ok(())
    }

    /// Live price (1e18) and the oldest `updatedAt` of the feeds behind it.
    pub fn get_price(&self, asset: Address) -> Result<(U256, U256), OracleError> {
        let live = self.live_price(asset)?;
        Ok((live.price, U256::from(live.updated_at)))
    }

    /// The live price shaped like Chainlink's `latestRoundData` (answer 1e18, see `decimals()`).
    /// `roundId` and `answeredInRound` are the round of the first agreeing feed in configuration
    /// order (the primary when it agrees); `startedAt` = `updatedAt`.
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

    /// A historical round of the primary feed, normalised: bounds are checked, age and the
    /// sequencer are not.
    pub fn get_round_price(
        &self,
        asset: Address,
        round_id: U80,
    ) -> Result<(U256, U256), OracleError> {
        let primary = self.primary_feed(asset)?;
        let id = round_id.to::<u128>();
        let round = match self.read_round(primary.address, &get_round_data(id)) {
            Read::Found(round) => round,
            _ => return Err(round_unavailable(primary.address, id)),
        };
        let price = accepted_price(asset, &primary, round.answer)?;
        Ok((price, round.updated_at))
    }

    /// Records the answer of the primary feed's first round at or after `expiry`. Anyone may
    /// call it once the round exists; see the module doc for the proof.
    pub fn set_expiry_price(
        &mut self,
        asset: Address,
        expiry: U256,
        round_id: U80,
    ) -> Result<(), OracleError> {
        let primary = self.primary_feed(asset)?;
        let now = self.vm().block_timestamp();
        if expiry > U256::from(now) {
            return Err(OracleError::ExpiryNotReached(I::ExpiryNotReached {
                expiry,
                timestamp: U256::from(now),
            }));
        }
        if self.record_source(asset, expiry) != limits::SOURCE_NONE {
            return Err(OracleError::ExpiryPriceAlreadySet(
                I::ExpiryPriceAlreadySet { asset, expiry },
            ));
        }
        let id = round_id.to::<u128>();
        let round = match self.read_round(primary.address, &get_round_data(id)) {
            Read::Found(round) => round,
            _ => return Err(round_unavailable(primary.address, id)),
        };
        if round.updated_at < expiry {
            return Err(OracleError::RoundBeforeExpiry(I::RoundBeforeExpiry {
                roundId: round_id,
                updatedAt: round.updated_at,
                expiry,
            }));
        }
        let deadline = expiry.saturating_add(U256::from(self.fallback_window.get()));
        if round.updated_at > deadline {
            return Err(OracleError::RoundTooLate(I::RoundTooLate {
                roundId: round_id,
                updatedAt: round.updated_at,
                deadline,
            }));
        }
        let price = accepted_price(asset, &primary, round.answer)?;
        let (previous_id, previous_updated_at) = self.predecessor(asset, &primary, id)?;
        if previous_updated_at >= expiry {
            return Err(OracleError::RoundNotFirstAfterExpiry(
                I::RoundNotFirstAfterExpiry {
                    roundId: round_id,
                    previousRoundId: U80::from(previous_id),
                    previousUpdatedAt: previous_updated_at,
                },
            ));
        }

        let round_timestamp = round.updated_at.saturating_to::<u64>();
        let finalizes_at = self.record(
            asset,
            expiry,
            price,
            id,
            round_timestamp,
            limits::SOURCE_ROUND,
        );
        let reporter = self.vm().msg_sender();
        self.vm().log(I::ExpiryPriceSet {
            asset,
            expiry,
            price,
            roundId: round_id,
            roundTimestamp: U256::from(round_timestamp),
            finalizesAt: U256::from(finalizes_at),
            reporter,
        });
        Ok(())
    }

    /// The disputer replaces a recorded expiry price before it finalizes. The dispute period is
    /// not extended.
    pub fn dispute_expiry_price(
        &mut self,
        asset: Address,
        expiry: U256,
        price: U256,
    ) -> Result<(), OracleError> {
        let disputer = self.only_disputer()?;
        non_zero_price(price)?;
        let now = self.vm().block_timestamp();
        let record = self.expiry_prices.getter(asset);
        let record = record.getter(expiry);
        if record.source.get().to::<u8>() == limits::SOURCE_NONE {
            return Err(OracleError::NoExpiryPrice(I::NoExpiryPrice {
                asset,
                expiry,
            }));
        }
        let finalizes_at = record.finalizes_at.get().to::<u64>();
        let previous = record.price.get();
        if now >= finalizes_at {
            return Err(OracleError::DisputePeriodOver(I::DisputePeriodOver {
                asset,
                expiry,
                finalizesAt: U256::from(finalizes_at),
            }));
        }
        let mut records = self.expiry_prices.setter(asset);
        let mut record = records.setter(expiry);
        record.price.set(price);
        record.source.set(U8::from(limits::SOURCE_DISPUTED));
        self.vm().log(I::ExpiryPriceDisputed {
            asset,
            expiry,
            previousPrice: previous,
            newPrice: price,
            disputer,
        });
        Ok(())
    }

    /// When no price was recorded and `expiry + fallbackWindow` has passed, the disputer sets
    /// it, so settlement never waits on a round that will not come.
    pub fn set_fallback_expiry_price(
        &mut self,
        asset: Address,
        expiry: U256,
        price: U256,
    ) -> Result<(), OracleError> {
        let disputer = self.only_disputer()?;
        non_zero_price(price)?;
        if self.record_source(asset, expiry) != limits::SOURCE_NONE {
            return Err(OracleError::ExpiryPriceAlreadySet(
                I::ExpiryPriceAlreadySet { asset, expiry },
            ));
        }
        let opens_after = expiry.saturating_add(U256::from(self.fallback_window.get()));
        if U256::from(self.vm().block_timestamp()) <= opens_after {
            return Err(OracleError::FallbackNotOpen(I::FallbackNotOpen {
                asset,
                expiry,
                opensAfter: opens_after,
            }));
        }
        let finalizes_at = self.record(asset, expiry, price, 0, 0, limits::SOURCE_FALLBACK);
        self.vm().log(I::FallbackExpiryPriceSet {
            asset,
            expiry,
            price,
            finalizesAt: U256::from(finalizes_at),
            disputer,
        });
        Ok(())
    }

    /// The settlement price (1e18) and whether its dispute period is over; `(0, false)` while
    /// none is recorded.
    pub fn get_expiry_price(&self, asset: Address, expiry: U256) -> (U256, bool) {
        let records = self.expiry_prices.getter(asset);
        let record = records.getter(expiry);
        if record.source.get().to::<u8>() == limits::SOURCE_NONE {
            return (U256::ZERO, false);
        }
        let finalized = self.vm().block_timestamp() >= record.finalizes_at.get().to::<u64>();
        (record.price.get(), finalized)
    }

    pub fn get_expiry_price_details(&self, asset: Address, expiry: U256) -> ExpiryDetails {
        let records = self.expiry_prices.getter(asset);
        let record = records.getter(expiry);
        (
            record.price.get(),
            U80::from(record.round_id.get().to::<u128>()),
            U256::from(record.round_timestamp.get()),
            U256::from(record.finalizes_at.get()),
            record.source.get().to::<u8>(),
        )
    }

    pub fn admin(&self) -> Address {
        self.admin.get()
    }

    pub fn disputer(&self) -> Address {
        self.disputer.get()
    }

    pub fn sequencer_feed(&self) -> Address {
        self.sequencer_feed.get()
    }

    pub fn sequencer_grace_period(&self) -> U256 {
        U256::from(self.sequencer_grace_period.get())
    }

    pub fn dispute_period(&self) -> U256 {
        U256::from(self.dispute_period.get())
    }

    pub fn fallback_window(&self) -> U256 {
        U256::from(self.fallback_window.get())
    }

    /// Empty arrays and zeros for an unknown asset.
    pub fn get_asset_config(&self, asset: Address) -> AssetConfigView {
        let config = self.assets.getter(asset);
        let feeds = self.stored_feeds(asset);
        (
            feeds.iter().map(|f| f.address).collect(),
            feeds.iter().map(|f| f.decimals).collect(),
            feeds.iter().map(|f| U256::from(f.max_age)).collect(),
            feeds.iter().map(|f| f.min_answer).collect(),
            feeds.iter().map(|f| f.max_answer).collect(),
            U256::from(config.quorum.get().to::<u8>()),
            config.max_deviation.get(),
        )
    }
}

/// A feed's configuration, read once per call.
#[derive(Clone, Copy, Debug)]
struct Feed {
    address: Address,
    decimals: u8,
    max_age: u64,
    min_answer: I256,
    max_answer: I256,
}

/// A round as a feed reports it.
#[derive(Clone, Copy, Debug)]
struct Round {
    id: u128,
    answer: I256,
    started_at: U256,
    updated_at: U256,
}

/// Outcome of reading one round.
enum Read {
    Found(Round),
    /// The feed says the round does not exist (`updatedAt == 0`, or a revert with data).
    Missing,
    /// The call failed without an explanation or returned something undecodable.
    Failed,
}

/// One feed's accepted live answer.
#[derive(Clone, Copy, Debug)]
struct Quote {
    price: U256,
    updated_at: u64,
    round_id: u128,
}

/// The aggregated live price.
#[derive(Clone, Copy, Debug)]
struct Live {
    price: U256,
    updated_at: u64,
    round_id: u128,
}

impl OracleAdapter {
    fn only_admin(&self) -> Result<Address, OracleError> {
        let caller = self.vm().msg_sender();
        let admin = self.admin.get();
        if caller != admin || admin == Address::ZERO {
            return Err(OracleError::NotAdmin(I::NotAdmin { caller }));
        }
        Ok(admin)
    }

    fn only_disputer(&self) -> Result<Address, OracleError> {
        let caller = self.vm().msg_sender();
        let disputer = self.disputer.get();
        if caller != disputer || disputer == Address::ZERO {
            return Err(OracleError::NotDisputer(I::NotDisputer { caller }));
        }
        Ok(disputer)
    }

    /// Validates one feed of a new configuration against the earlier ones and the feed itself.
    fn check_feed(
        &self,
        asset: Address,
        feed: &Feed,
        earlier: &[Address],
    ) -> Result<(), OracleError> {
        non_zero(feed.address)?;
        if earlier.contains(&feed.address) {
            return Err(OracleError::DuplicateFeed(I::DuplicateFeed {
                feed: feed.address,
            }));
        }
        if feed.decimals > limits::MAX_FEED_DECIMALS {
            return Err(out_of_bounds(
                U256::from(feed.decimals),
                U256::ZERO,
                U256::from(limits::MAX_FEED_DECIMALS),
            ));
        }
        let bounds_ok = !feed.min_answer.is_negative()
            && feed.min_answer < feed.max_answer
            && normalise(feed.max_answer.into_raw(), feed.decimals)
                .is_some_and(|max| max <= U256::from(limits::MAX_NORMALISED_PRICE));
        if !bounds_ok {
            return Err(OracleError::InvalidAnswerBounds(I::InvalidAnswerBounds {
                minAnswer: feed.min_answer,
                maxAnswer: feed.max_answer,
            }));
        }
        let call = AggregatorV3Interface::decimalsCall {}.abi_encode();
        let reported = static_call(self.vm(), Call::new(), feed.address, &call)
            .ok()
            .and_then(|ret| AggregatorV3Interface::decimalsCall::abi_decode_returns(&ret).ok())
            .ok_or(OracleError::FeedUnavailable(I::FeedUnavailable {
                asset,
                feed: feed.address,
            }))?;
        if reported != feed.decimals {
            return Err(OracleError::FeedDecimalsMismatch(I::FeedDecimalsMismatch {
                feed: feed.address,
                configured: feed.decimals,
                reported,
            }));
        }
        Ok(())
    }

    fn stored_feeds(&self, asset: Address) -> Vec<Feed> {
        let config = self.assets.getter(asset);
        let count = config.feed_count.get().to::<usize>();
        (0..count)
            .filter_map(|i| config.feeds.getter(i))
            .map(|slot| Feed {
                address: slot.feed.get(),
                decimals: slot.decimals.get().to::<u8>(),
                max_age: slot.max_age.get().to::<u64>(),
                min_answer: slot.min_answer.get(),
                max_answer: slot.max_answer.get(),
            })
            .collect()
    }

    /// The asset's feeds and quorum and max deviation, or `UnknownAsset`.
    fn load_asset(&self, asset: Address) -> Result<(Vec<Feed>, usize, U256), OracleError> {
        let feeds = self.stored_feeds(asset);
        if feeds.is_empty() {
            return Err(OracleError::UnknownAsset(I::UnknownAsset { asset }));
        }
        let config = self.assets.getter(asset);
        Ok((
            feeds,
            config.quorum.get().to::<usize>(),
            config.max_deviation.get(),
        ))
    }

    fn primary_feed(&self, asset: Address) -> Result<Feed, OracleError> {
        let (feeds, _, _) = self.load_asset(asset)?;
        Ok(feeds[0])
    }

    fn read_round(&self, feed: Address, calldata: &[u8]) -> Read {
        // `getRoundData` and `latestRoundData` return the same tuple.
        match static_call(self.vm(), Call::new(), feed, calldata) {
            Ok(ret) => match AggregatorV3Interface::latestRoundDataCall::abi_decode_returns(&ret) {
                Ok(r) if r.updatedAt.is_zero() => Read::Missing,
                Ok(r) => Read::Found(Round {
                    id: r.roundId.to::<u128>(),
                    answer: r.answer,
                    started_at: r.startedAt,
                    updated_at: r.updatedAt,
                }),
                Err(_) => Read::Failed,
            },
            Err(CallError::Revert(data)) if !data.is_empty() => Read::Missing,
            Err(_) => Read::Failed,
        }
    }

    fn check_sequencer(&self) -> Result<(), OracleError> {
        let feed = self.sequencer_feed.get();
        if feed == Address::ZERO {
            return Ok(());
        }
        let unavailable =
            OracleError::SequencerStatusUnavailable(I::SequencerStatusUnavailable { feed });
        let status = match self.read_round(feed, &latest_round_data()) {
            Read::Found(round) => round,
            _ => return Err(unavailable),
        };
        if status.answer == I256::ONE {
            return Err(OracleError::SequencerDown(I::SequencerDown {
                since: status.started_at,
            }));
        }
        if !status.answer.is_zero() || status.started_at.is_zero() {
            return Err(unavailable);
        }
        let grace = self.sequencer_grace_period.get();
        let now = U256::from(self.vm().block_timestamp());
        if now < status.started_at.saturating_add(U256::from(grace)) {
            return Err(OracleError::SequencerGracePeriodNotOver(
                I::SequencerGracePeriodNotOver {
                    upSince: status.started_at,
                    gracePeriod: U256::from(grace),
                },
            ));
        }
        Ok(())
    }

    /// One feed's latest answer if it is fresh and accepted.
    fn quote(&self, asset: Address, feed: &Feed, now: u64) -> Result<Quote, OracleError> {
        let round = match self.read_round(feed.address, &latest_round_data()) {
            Read::Found(round) => round,
            _ => {
                return Err(OracleError::FeedUnavailable(I::FeedUnavailable {
                    asset,
                    feed: feed.address,
                }))
            }
        };
        let age_ok = round.updated_at <= U256::from(now)
            && U256::from(now) - round.updated_at <= U256::from(feed.max_age);
        if !age_ok {
            return Err(OracleError::StalePrice(I::StalePrice {
                asset,
                feed: feed.address,
                updatedAt: round.updated_at,
                maxAge: U256::from(feed.max_age),
            }));
        }
        let price = accepted_price(asset, feed, round.answer)?;
        Ok(Quote {
            price,
            updated_at: round.updated_at.to::<u64>(),
            round_id: round.id,
        })
    }

    fn live_price(&self, asset: Address) -> Result<Live, OracleError> {
        let (feeds, quorum, max_deviation) = self.load_asset(asset)?;
        self.check_sequencer()?;
        let now = self.vm().block_timestamp();
        let mut quotes = Vec::with_capacity(feeds.len());
        let mut first_error = None;
        for feed in &feeds {
            match self.quote(asset, feed, now) {
                Ok(quote) => quotes.push(quote),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        if quotes.len() < quorum {
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
        let median = median(&mut prices);
        let agreeing: Vec<&Quote> = quotes
            .iter()
            .filter(|q| within_deviation(q.price, median, max_deviation))
            .collect();
        if agreeing.len() < quorum || agreeing.is_empty() {
            return Err(OracleError::SourcesDisagree(I::SourcesDisagree {
                asset,
                lowest: prices[0],
                highest: prices[prices.len() - 1],
                maxDeviation: max_deviation,
            }));
        }
        Ok(Live {
            price: median,
            updated_at: agreeing.iter().map(|q| q.updated_at).min().unwrap_or(0),
            round_id: agreeing[0].round_id,
        })
    }

    /// The round before `id` in the proxy's history and its `updatedAt`.
    fn predecessor(
        &self,
        asset: Address,
        feed: &Feed,
        id: u128,
    ) -> Result<(u128, U256), OracleError> {
        let (phase, aggregator_round) = split_round_id(id);
        if aggregator_round == 0 {
            return Err(round_unavailable(feed.address, id));
        }
        if aggregator_round > 1 {
            let previous = join_round_id(phase, aggregator_round - 1);
            return match self.read_round(feed.address, &get_round_data(previous)) {
                Read::Found(round) => Ok((previous, round.updated_at)),
                _ => Err(round_unavailable(feed.address, previous)),
            };
        }
        // The first round of a phase follows the last round of the phase before it.
        let missing = || {
            OracleError::RoundNotFirstAfterExpiry(I::RoundNotFirstAfterExpiry {
                roundId: U80::from(id),
                previousRoundId: U80::ZERO,
                previousUpdatedAt: U256::ZERO,
            })
        };
        if phase <= 1 {
            return Err(missing());
        }
        self.last_round_of_phase(asset, feed, phase - 1)?
            .map(|round| (round.id, round.updated_at))
            .ok_or_else(missing)
    }

    /// The last round of `phase`, or `None` if the phase has none.
    fn last_round_of_phase(
        &self,
        asset: Address,
        feed: &Feed,
        phase: u16,
    ) -> Result<Option<Round>, OracleError> {
        let probe = |aggregator_round: u64| -> Result<Option<Round>, OracleError> {
            let id = join_round_id(phase, aggregator_round);
            match self.read_round(feed.address, &get_round_data(id)) {
                Read::Found(round) => Ok(Some(round)),
                Read::Missing => Ok(None),
                Read::Failed => Err(OracleError::FeedUnavailable(I::FeedUnavailable {
                    asset,
                    feed: feed.address,
                })),
            }
        };
        let Some(mut last) = probe(1)? else {
            return Ok(None);
        };
        // `low` exists; grow `high` until it does not, then bisect.
        let mut low: u64 = 1;
        let mut high: u64 = 2;
        while let Some(round) = probe(high)? {
            last = round;
            low = high;
            if high == u64::MAX {
                return Ok(Some(last));
            }
            high = high.saturating_mul(2);
        }
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            match probe(mid)? {
                Some(round) => {
                    last = round;
                    low = mid;
                }
                None => high = mid,
            }
        }
        Ok(Some(last))
    }

    fn record_source(&self, asset: Address, expiry: U256) -> u8 {
        let records = self.expiry_prices.getter(asset);
        let record = records.getter(expiry);
        record.source.get().to::<u8>()
    }

    /// Stores an expiry price and returns when it finalizes.
    fn record(
        &mut self,
        asset: Address,
        expiry: U256,
        price: U256,
        round_id: u128,
        round_timestamp: u64,
        source: u8,
    ) -> u64 {
        let finalizes_at = self
            .vm()
            .block_timestamp()
            .saturating_add(self.dispute_period.get().to::<u64>());
        let mut records = self.expiry_prices.setter(asset);
        let mut record = records.setter(expiry);
        record.price.set(price);
        record.round_id.set(alloy_primitives::U128::from(round_id));
        record.round_timestamp.set(U64::from(round_timestamp));
        record.finalizes_at.set(U64::from(finalizes_at));
        record.source.set(U8::from(source));
        finalizes_at
    }
}

fn latest_round_data() -> Vec<u8> {
    AggregatorV3Interface::latestRoundDataCall {}.abi_encode()
}

fn get_round_data(id: u128) -> Vec<u8> {
    AggregatorV3Interface::getRoundDataCall {
        _roundId: U80::from(id),
    }
    .abi_encode()
}

fn non_zero(address: Address) -> Result<(), OracleError> {
    if address == Address::ZERO {
        return Err(OracleError::ZeroAddress(I::ZeroAddress {}));
    }
    Ok(())
}

fn non_zero_price(price: U256) -> Result<(), OracleError> {
    if price.is_zero() {
        return Err(OracleError::ZeroPrice(I::ZeroPrice {}));
    }
    Ok(())
}

fn out_of_bounds(value: U256, min: U256, max: U256) -> OracleError {
    OracleError::ParameterOutOfBounds(I::ParameterOutOfBounds { value, min, max })
}

/// `value` as u64 when `min <= value <= max`.
fn within(value: U256, min: u64, max: u64) -> Result<u64, OracleError> {
    if value < U256::from(min) || value > U256::from(max) {
        return Err(out_of_bounds(value, U256::from(min), U256::from(max)));
    }
    Ok(value.to::<u64>())
}

fn round_unavailable(feed: Address, id: u128) -> OracleError {
    OracleError::RoundUnavailable(I::RoundUnavailable {
        feed,
        roundId: U80::from(id),
    })
}

/// The answer normalised to 1e18 if it is positive and strictly inside the feed's bounds.
fn accepted_price(asset: Address, feed: &Feed, answer: I256) -> Result<U256, OracleError> {
    let non_positive = || {
        OracleError::NonPositivePrice(I::NonPositivePrice {
            asset,
            feed: feed.address,
            answer,
        })
    };
    if !answer.is_positive() {
        return Err(non_positive());
    }
    if answer <= feed.min_answer || answer >= feed.max_answer {
        return Err(OracleError::PriceOutOfBounds(I::PriceOutOfBounds {
            asset,
            feed: feed.address,
            answer,
            minAnswer: feed.min_answer,
            maxAnswer: feed.max_answer,
        }));
    }
    normalise(answer.into_raw(), feed.decimals).ok_or_else(non_positive)
}

/// `amount` with `decimals` (at most 18) decimals rescaled to 18; `None` on overflow. Feeds with
/// more decimals are refused at configuration, so no division (and no rounding) is needed.
fn normalise(amount: U256, decimals: u8) -> Option<U256> {
    amount.checked_mul(pow10(18u8.checked_sub(decimals)?))
}

fn pow10(exponent: u8) -> U256 {
    (0..exponent).fold(U256::from(1), |acc, _| acc * U256::from(10))
}

/// Sorts `prices` and returns their median (the lower-rounded mean of the middle two when even).
fn median(prices: &mut [U256]) -> U256 {
    prices.sort_unstable();
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

/// `|price - reference| <= maxDeviation * reference / 1e18`, without division.
fn within_deviation(price: U256, reference: U256, max_deviation: U256) -> bool {
    let distance = price.abs_diff(reference);
    match (
        distance.checked_mul(U256::from(abi::PRICE_SCALE)),
        max_deviation.checked_mul(reference),
    ) {
        (Some(lhs), Some(rhs)) => lhs <= rhs,
        _ => false,
    }
}
