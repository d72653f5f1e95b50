//! Settlement prices: the primary Chainlink feed's first round at or after expiry, proved on chain.
//!
//! The feed and its answer bounds come from the `oracle-adapter` (`primaryFeed(asset)`, one view
//! call), so governance configures an asset once. Expiry prices come from history, so the L2
//! sequencer never blocks them.
//!
//! After expiry anyone may call `setExpiryPrice(asset, expiry, roundId)` naming the primary feed's
//! first round at or after expiry in the proxy's current phase: the round is in the phase of the
//! feed's `latestRoundData` (why: see `setExpiryPrice`), at/after expiry and no later than
//! `expiry + fallbackWindow`, its answer is positive and inside the feed's bounds, and its
//! predecessor is before expiry. The predecessor of round `k > 1` is round `k - 1` of the same
//! phase; the predecessor of a phase's first round is the last round of the previous phase, found
//! by an exponential then binary search over `getRoundData` (a round is absent when the call
//! returns `updatedAt == 0` or reverts with data; an empty revert, as from running out of gas,
//! aborts). The disputer may replace the price until `finalizesAt` (`now + disputePeriod` at the
//! record; the first dispute moves it to at least `now + disputePeriod`); if no price is recorded
//! once `expiry + fallbackWindow` has passed, the disputer sets it (also subject to the dispute
//! period), so a missing round never locks funds. Disputed and fallback prices must lie strictly
//! inside the primary feed's answer bounds, as live prices do.
//!
//! Settlement reads `getExpiryPrice(asset, expiry) -> (price 1e18, finalized)`; `(0, false)` while
//! none is recorded; settle only when `finalized`. `getExpiryPriceDetails` adds the round, its
//! timestamp, `finalizesAt` and the price's source.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// Errors are the ABI's error structs, carrying their values; they become revert data at once, so
// boxing them would only add allocations and code size.
#![allow(clippy::result_large_err)]
extern crate alloc;

use abi::chainlink::{join_round_id, split_round_id};
use abi::oracle::{self as limits, IExpiryOracle as I, IOracleAdapter};
use abi::proxy::IInitializable::InvalidInitialization;
use abi::words;
use alloc::vec::Vec;
use alloy_primitives::{aliases::U80, Address, B256, I256, U128, U256, U64, U8};
use alloy_sol_types::{SolCall, SolEvent};
use oracle_rules::{accepted_price, read_latest, read_round, AnswerErrors, Feed, Read, Round};
use stylus_sdk::{
    call::static_call,
    prelude::*,
    storage::{StorageAddress, StorageMap, StorageU128, StorageU256, StorageU64, StorageU8},
    stylus_core::calls::{errors::Error as CallError, Call},
};
use upgradeable_proxy::initializable;

#[cfg(test)]
mod tests;

/// The ABI's custom errors, encoded by hand with the shared word encoder ([`abi::words`]); the
/// exported interface lists them through `SolidityError`.
#[cfg_attr(feature = "export-abi", derive(SolidityError))]
#[derive(Debug)]
pub enum ExpiryError {
    InvalidInitialization(InvalidInitialization),
    NotAdmin(I::NotAdmin),
    NotDisputer(I::NotDisputer),
    ZeroAddress(I::ZeroAddress),
    ParameterOutOfBounds(I::ParameterOutOfBounds),
    UnknownAsset(I::UnknownAsset),
    FeedUnavailable(I::FeedUnavailable),
    NonPositivePrice(I::NonPositivePrice),
    PriceOutOfBounds(I::PriceOutOfBounds),
    ExpiryNotReached(I::ExpiryNotReached),
    ExpiryPriceAlreadySet(I::ExpiryPriceAlreadySet),
    RoundUnavailable(I::RoundUnavailable),
    RoundBeforeExpiry(I::RoundBeforeExpiry),
    RoundTooLate(I::RoundTooLate),
    RoundNotFirstAfterExpiry(I::RoundNotFirstAfterExpiry),
    RoundNotInCurrentPhase(I::RoundNotInCurrentPhase),
    ExpiryPriceOutOfBounds(I::ExpiryPriceOutOfBounds),
    NoExpiryPrice(I::NoExpiryPrice),
    DisputePeriodOver(I::DisputePeriodOver),
    FallbackNotOpen(I::FallbackNotOpen),
    ZeroPrice(I::ZeroPrice),
}

// `SolidityError` derives the same conversion for the exported ABI.
#[cfg(not(feature = "export-abi"))]
impl From<InvalidInitialization> for ExpiryError {
    fn from(e: InvalidInitialization) -> Self {
        Self::InvalidInitialization(e)
    }
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
#[inline(never)]
fn revert(selector: [u8; 4], fields: &[B256]) -> Vec<u8> {
    words::error(selector, fields)
}

#[cfg(not(feature = "export-abi"))]
impl From<ExpiryError> for Vec<u8> {
    fn from(error: ExpiryError) -> Self {
        use alloy_sol_types::SolError;
        use ExpiryError as E;
        let round = |id: U80| wu(U256::from(id));
        match error {
            E::InvalidInitialization(e) => revert(
                InvalidInitialization::SELECTOR,
                &[wu(U256::from(e.current)), wu(U256::from(e.requested))],
            ),
            E::NotAdmin(e) => revert(I::NotAdmin::SELECTOR, &[wa(e.caller)]),
            E::NotDisputer(e) => revert(I::NotDisputer::SELECTOR, &[wa(e.caller)]),
            E::ZeroAddress(_) => revert(I::ZeroAddress::SELECTOR, &[]),
            E::ParameterOutOfBounds(e) => revert(
                I::ParameterOutOfBounds::SELECTOR,
                &[wu(e.value), wu(e.min), wu(e.max)],
            ),
            E::UnknownAsset(e) => revert(I::UnknownAsset::SELECTOR, &[wa(e.asset)]),
            E::FeedUnavailable(e) => {
                revert(I::FeedUnavailable::SELECTOR, &[wa(e.asset), wa(e.feed)])
            }
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
            E::ExpiryNotReached(e) => revert(
                I::ExpiryNotReached::SELECTOR,
                &[wu(e.expiry), wu(e.timestamp)],
            ),
            E::ExpiryPriceAlreadySet(e) => revert(
                I::ExpiryPriceAlreadySet::SELECTOR,
                &[wa(e.asset), wu(e.expiry)],
            ),
            E::RoundUnavailable(e) => revert(
                I::RoundUnavailable::SELECTOR,
                &[wa(e.feed), round(e.roundId)],
            ),
            E::RoundBeforeExpiry(e) => revert(
                I::RoundBeforeExpiry::SELECTOR,
                &[round(e.roundId), wu(e.updatedAt), wu(e.expiry)],
            ),
            E::RoundTooLate(e) => revert(
                I::RoundTooLate::SELECTOR,
                &[round(e.roundId), wu(e.updatedAt), wu(e.deadline)],
            ),
            E::RoundNotFirstAfterExpiry(e) => revert(
                I::RoundNotFirstAfterExpiry::SELECTOR,
                &[
                    round(e.roundId),
                    round(e.previousRoundId),
                    wu(e.previousUpdatedAt),
                ],
            ),
            E::RoundNotInCurrentPhase(e) => revert(
                I::RoundNotInCurrentPhase::SELECTOR,
                &[round(e.roundId), wu(U256::from(e.currentPhase))],
            ),
            E::ExpiryPriceOutOfBounds(e) => revert(
                I::ExpiryPriceOutOfBounds::SELECTOR,
                &[wa(e.asset), wu(e.price), wu(e.minPrice), wu(e.maxPrice)],
            ),
            E::NoExpiryPrice(e) => revert(I::NoExpiryPrice::SELECTOR, &[wa(e.asset), wu(e.expiry)]),
            E::DisputePeriodOver(e) => revert(
                I::DisputePeriodOver::SELECTOR,
                &[wa(e.asset), wu(e.expiry), wu(e.finalizesAt)],
            ),
            E::FallbackNotOpen(e) => revert(
                I::FallbackNotOpen::SELECTOR,
                &[wa(e.asset), wu(e.expiry), wu(e.opensAfter)],
            ),
            E::ZeroPrice(_) => revert(I::ZeroPrice::SELECTOR, &[]),
        }
    }
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

/// Expiry oracle state (behind the proxy); fields may only be appended.
#[storage]
#[entrypoint]
pub struct ExpiryOracle {
    admin: StorageAddress,
    disputer: StorageAddress,
    adapter: StorageAddress,
    dispute_period: StorageU64,
    fallback_window: StorageU64,
    prices: StorageMap<Address, StorageMap<U256, ExpiryRecord>>,
}

type ExpiryDetails = (U256, U80, U256, U256, u8);

#[public]
impl ExpiryOracle {
    /// Locks the implementation's own account: only the proxy can be initialised.
    #[constructor]
    pub fn constructor(&mut self) {
        initializable::disable_initializers(self.vm());
    }

    /// Sets the roles, the adapter that names each asset's primary feed, and the default periods.
    /// Runs once, through the proxy.
    pub fn initialize(
        &mut self,
        admin: Address,
        disputer: Address,
        adapter: Address,
    ) -> Result<(), ExpiryError> {
        non_zero(admin)?;
        non_zero(disputer)?;
        non_zero(adapter)?;
        initializable::initializer(self.vm(), 1)?;
        self.admin.set(admin);
        self.disputer.set(disputer);
        self.adapter.set(adapter);
        self.dispute_period
            .set(U64::from(limits::DEFAULT_DISPUTE_PERIOD));
        self.fallback_window
            .set(U64::from(limits::DEFAULT_FALLBACK_WINDOW));
        self.emit(
            &[
                I::ExpiryOracleInitialized::SIGNATURE_HASH,
                wa(admin),
                wa(disputer),
            ],
            &[wa(adapter)],
        );
        Ok(())
    }

    pub fn set_admin(&mut self, new_admin: Address) -> Result<(), ExpiryError> {
        let previous = self.only_admin()?;
        non_zero(new_admin)?;
        self.admin.set(new_admin);
        self.emit(
            &[I::AdminChanged::SIGNATURE_HASH, wa(previous), wa(new_admin)],
            &[],
        );
        Ok(())
    }

    pub fn set_disputer(&mut self, new_disputer: Address) -> Result<(), ExpiryError> {
        self.only_admin()?;
        non_zero(new_disputer)?;
        let previous = self.disputer.get();
        self.disputer.set(new_disputer);
        self.emit(
            &[
                I::DisputerChanged::SIGNATURE_HASH,
                wa(previous),
                wa(new_disputer),
            ],
            &[],
        );
        Ok(())
    }

    pub fn set_adapter(&mut self, adapter: Address) -> Result<(), ExpiryError> {
        self.only_admin()?;
        non_zero(adapter)?;
        let previous = self.adapter.get();
        self.adapter.set(adapter);
        self.emit(
            &[I::AdapterChanged::SIGNATURE_HASH, wa(previous), wa(adapter)],
            &[],
        );
        Ok(())
    }

    /// Applies to expiry prices recorded from now on.
    pub fn set_expiry_parameters(
        &mut self,
        dispute_period: U256,
        fallback_window: U256,
    ) -> Result<(), ExpiryError> {
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
        self.emit(
            &[I::ExpiryParametersChanged::SIGNATURE_HASH],
            &[wu(dispute_period), wu(fallback_window)],
        );
        Ok(())
    }

    /// Records the answer of the primary feed's first round at or after `expiry`. Anyone may
    /// call it once the round exists; see the module doc for the proof.
    pub fn set_expiry_price(
        &mut self,
        asset: Address,
        expiry: U256,
        round_id: U80,
    ) -> Result<(), ExpiryError> {
        let primary = self.primary_feed(asset)?;
        let now = U256::from(self.vm().block_timestamp());
        if expiry > now {
            return Err(ExpiryError::ExpiryNotReached(I::ExpiryNotReached {
                expiry,
                timestamp: now,
            }));
        }
        self.not_recorded(asset, expiry)?;
        let id = round_id.to::<u128>();
        // Only the proxy's current phase proves. While an aggregator is migrated, the old one
        // often keeps answering for a while and the new one has answered for a while already:
        // both phases can then hold a round that is the first at or after expiry within its own
        // phase, each with a predecessor before expiry, and a reporter could pick the answer it
        // likes. The current phase is the proxy's own choice, one latestRoundData call settles
        // it, and the reporter cannot pick. Requiring instead that every earlier phase's last
        // round be before expiry would also be unambiguous, but costs a last-round search per
        // phase (tens of calls each, over every past phase), and it trusts retired aggregators.
        // What this gives up: when the proxy moves to a new phase after expiry and before any
        // proof, and the new phase's first round is already after expiry while the old phase's
        // last round is too, no round proves (the predecessor rule refuses the first round) and
        // the disputer's fallback sets the price, within its bounds and with a dispute period.
        let latest =
            read_latest(self.vm(), primary.address)
                .found()
                .ok_or(ExpiryError::FeedUnavailable(I::FeedUnavailable {
                    asset,
                    feed: primary.address,
                }))?;
        let (current_phase, _) = split_round_id(latest.id);
        if split_round_id(id).0 != current_phase {
            return Err(ExpiryError::RoundNotInCurrentPhase(
                I::RoundNotInCurrentPhase {
                    roundId: round_id,
                    currentPhase: current_phase,
                },
            ));
        }
        let Read::Found(round) = read_round(self.vm(), primary.address, id) else {
            return Err(round_unavailable(primary.address, id));
        };
        if round.updated_at < expiry {
            return Err(ExpiryError::RoundBeforeExpiry(I::RoundBeforeExpiry {
                roundId: round_id,
                updatedAt: round.updated_at,
                expiry,
            }));
        }
        let deadline = expiry.saturating_add(U256::from(self.fallback_window.get()));
        if round.updated_at > deadline {
            return Err(ExpiryError::RoundTooLate(I::RoundTooLate {
                roundId: round_id,
                updatedAt: round.updated_at,
                deadline,
            }));
        }
        let price = accepted_price::<ExpiryError>(asset, &primary, round.answer)?;
        let (previous_id, previous_updated_at) = self.predecessor(asset, &primary, id)?;
        if previous_updated_at >= expiry {
            return Err(ExpiryError::RoundNotFirstAfterExpiry(
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
        self.emit(
            &[I::ExpiryPriceSet::SIGNATURE_HASH, wa(asset), wu(expiry)],
            &[
                wu(price),
                wu(U256::from(id)),
                wu(U256::from(round_timestamp)),
                wu(U256::from(finalizes_at)),
                wa(reporter),
            ],
        );
        Ok(())
    }

    /// The disputer replaces a recorded expiry price before it finalizes; the price must lie
    /// strictly inside the primary feed's answer bounds (normalised to 1e18), as a live price
    /// must. The first dispute of a price moves `finalizesAt` to at least `now + disputePeriod`
    /// (the governed period, 10 min..6 h): a dispute is the one change of a settlement price
    /// without a Chainlink round behind it, and holders and governance need a full period to see
    /// it (the event) and answer it (replace a rogue disputer) instead of finding a price swapped
    /// a block before settlement. Later disputes of the same price correct it without extending
    /// again, so no disputer can hold settlement back more than two periods after the record.
    pub fn dispute_expiry_price(
        &mut self,
        asset: Address,
        expiry: U256,
        price: U256,
    ) -> Result<(), ExpiryError> {
        let disputer = self.only_disputer()?;
        non_zero_price(price)?;
        self.bounded(asset, price)?;
        let now = self.vm().block_timestamp();
        let records = self.prices.getter(asset);
        let record = records.getter(expiry);
        if record.source.get().to::<u8>() == limits::SOURCE_NONE {
            return Err(ExpiryError::NoExpiryPrice(I::NoExpiryPrice {
                asset,
                expiry,
            }));
        }
        let finalizes_at = record.finalizes_at.get().to::<u64>();
        let previous = record.price.get();
        let already_disputed = record.source.get().to::<u8>() == limits::SOURCE_DISPUTED;
        if now >= finalizes_at {
            return Err(ExpiryError::DisputePeriodOver(I::DisputePeriodOver {
                asset,
                expiry,
                finalizesAt: U256::from(finalizes_at),
            }));
        }
        let finalizes_at = if already_disputed {
            finalizes_at
        } else {
            finalizes_at.max(now.saturating_add(self.dispute_period.get().to::<u64>()))
        };
        let mut records = self.prices.setter(asset);
        let mut record = records.setter(expiry);
        record.price.set(price);
        record.source.set(U8::from(limits::SOURCE_DISPUTED));
        record.finalizes_at.set(U64::from(finalizes_at));
        self.emit(
            &[
                I::ExpiryPriceDisputed::SIGNATURE_HASH,
                wa(asset),
                wu(expiry),
            ],
            &[
                wu(previous),
                wu(price),
                wu(U256::from(finalizes_at)),
                wa(disputer),
            ],
        );
        Ok(())
    }

    /// When no price was recorded and `expiry + fallbackWindow` has passed, the disputer sets
    /// it, so settlement never waits on a round that will not come. The price must lie strictly
    /// inside the primary feed slot's answer bounds (normalised to 1e18); the slot is read as
    /// stored (`getFeed(asset, 0)`), so a removed asset's open series can still settle.
    pub fn set_fallback_expiry_price(
        &mut self,
        asset: Address,
        expiry: U256,
        price: U256,
    ) -> Result<(), ExpiryError> {
        let disputer = self.only_disputer()?;
        non_zero_price(price)?;
        self.not_recorded(asset, expiry)?;
        self.bounded(asset, price)?;
        let opens_after = expiry.saturating_add(U256::from(self.fallback_window.get()));
        if U256::from(self.vm().block_timestamp()) <= opens_after {
            return Err(ExpiryError::FallbackNotOpen(I::FallbackNotOpen {
                asset,
                expiry,
                opensAfter: opens_after,
            }));
        }
        let finalizes_at = self.record(asset, expiry, price, 0, 0, limits::SOURCE_FALLBACK);
        self.emit(
            &[
                I::FallbackExpiryPriceSet::SIGNATURE_HASH,
                wa(asset),
                wu(expiry),
            ],
            &[wu(price), wu(U256::from(finalizes_at)), wa(disputer)],
        );
        Ok(())
    }

    /// The settlement price (1e18) and whether its dispute period is over; `(0, false)` while
    /// none is recorded.
    pub fn get_expiry_price(&self, asset: Address, expiry: U256) -> (U256, bool) {
        let records = self.prices.getter(asset);
        let record = records.getter(expiry);
        if record.source.get().to::<u8>() == limits::SOURCE_NONE {
            return (U256::ZERO, false);
        }
        let finalized = self.vm().block_timestamp() >= record.finalizes_at.get().to::<u64>();
        (record.price.get(), finalized)
    }

    pub fn get_expiry_price_details(&self, asset: Address, expiry: U256) -> ExpiryDetails {
        let records = self.prices.getter(asset);
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

    pub fn adapter(&self) -> Address {
        self.adapter.get()
    }

    pub fn dispute_period(&self) -> U256 {
        U256::from(self.dispute_period.get())
    }

    pub fn fallback_window(&self) -> U256 {
        U256::from(self.fallback_window.get())
    }
}

impl ExpiryOracle {
    #[inline(never)]
    fn emit(&self, topics: &[B256], data: &[B256]) {
        // Fails only with more than four topics, which no event here has.
        let _ = self.vm().raw_log(topics, &words::data(data));
    }

    fn only_admin(&self) -> Result<Address, ExpiryError> {
        let caller = self.vm().msg_sender();
        let admin = self.admin.get();
        if caller != admin || admin.is_zero() {
            return Err(ExpiryError::NotAdmin(I::NotAdmin { caller }));
        }
        Ok(admin)
    }

    fn only_disputer(&self) -> Result<Address, ExpiryError> {
        let caller = self.vm().msg_sender();
        let disputer = self.disputer.get();
        if caller != disputer || disputer.is_zero() {
            return Err(ExpiryError::NotDisputer(I::NotDisputer { caller }));
        }
        Ok(disputer)
    }

    /// The asset's primary feed from the adapter: `UnknownAsset` when the adapter refuses
    /// (it reverts with data only for an unconfigured asset), `FeedUnavailable(asset, adapter)`
    /// when the call fails otherwise.
    fn primary_feed(&self, asset: Address) -> Result<Feed, ExpiryError> {
        let call = words::error(IOracleAdapter::primaryFeedCall::SELECTOR, &[wa(asset)]);
        self.adapter_feed(asset, &call)
    }

    /// `price` (1e18) if it lies strictly inside the bounds of the asset's primary feed slot as
    /// stored (in service or removed), else `ExpiryPriceOutOfBounds` in 1e18 units;
    /// `UnknownAsset` when the slot was never set.
    fn bounded(&self, asset: Address, price: U256) -> Result<(), ExpiryError> {
        let call = words::error(
            IOracleAdapter::getFeedCall::SELECTOR,
            &[wa(asset), wu(U256::ZERO)],
        );
        let feed = self.adapter_feed(asset, &call)?;
        if feed.address.is_zero() {
            return Err(ExpiryError::UnknownAsset(I::UnknownAsset { asset }));
        }
        let (min, max) = feed.price_bounds();
        if price <= min || price >= max {
            return Err(ExpiryError::ExpiryPriceOutOfBounds(
                I::ExpiryPriceOutOfBounds {
                    asset,
                    price,
                    minPrice: min,
                    maxPrice: max,
                },
            ));
        }
        Ok(())
    }

    /// A feed slot as the adapter returns it (`primaryFeed` or `getFeed`).
    fn adapter_feed(&self, asset: Address, call: &[u8]) -> Result<Feed, ExpiryError> {
        let adapter = self.adapter.get();
        match static_call(self.vm(), Call::new(), adapter, call) {
            Ok(ret) => Feed::decode(&ret).ok_or(ExpiryError::FeedUnavailable(I::FeedUnavailable {
                asset,
                feed: adapter,
            })),
            Err(CallError::Revert(data)) if !data.is_empty() => {
                Err(ExpiryError::UnknownAsset(I::UnknownAsset { asset }))
            }
            Err(_) => Err(ExpiryError::FeedUnavailable(I::FeedUnavailable {
                asset,
                feed: adapter,
            })),
        }
    }

    /// The round before `id` in the proxy's history and its `updatedAt`.
    fn predecessor(
        &self,
        asset: Address,
        feed: &Feed,
        id: u128,
    ) -> Result<(u128, U256), ExpiryError> {
        let (phase, aggregator_round) = split_round_id(id);
        if aggregator_round == 0 {
            return Err(round_unavailable(feed.address, id));
        }
        if aggregator_round > 1 {
            let previous = join_round_id(phase, aggregator_round - 1);
            return match read_round(self.vm(), feed.address, previous) {
                Read::Found(round) => Ok((previous, round.updated_at)),
                _ => Err(round_unavailable(feed.address, previous)),
            };
        }
        // The first round of a phase follows the last round of the phase before it.
        let missing = || {
            ExpiryError::RoundNotFirstAfterExpiry(I::RoundNotFirstAfterExpiry {
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
    ) -> Result<Option<Round>, ExpiryError> {
        let probe = |aggregator_round: u64| -> Result<Option<Round>, ExpiryError> {
            match read_round(
                self.vm(),
                feed.address,
                join_round_id(phase, aggregator_round),
            ) {
                Read::Found(round) => Ok(Some(round)),
                Read::Missing => Ok(None),
                Read::Failed => Err(ExpiryError::FeedUnavailable(I::FeedUnavailable {
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

    fn not_recorded(&self, asset: Address, expiry: U256) -> Result<(), ExpiryError> {
        let records = self.prices.getter(asset);
        if records.getter(expiry).source.get().to::<u8>() != limits::SOURCE_NONE {
            return Err(ExpiryError::ExpiryPriceAlreadySet(
                I::ExpiryPriceAlreadySet { asset, expiry },
            ));
        }
        Ok(())
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
        let mut records = self.prices.setter(asset);
        let mut record = records.setter(expiry);
        record.price.set(price);
        record.round_id.set(U128::from(round_id));
        record.round_timestamp.set(U64::from(round_timestamp));
        record.finalizes_at.set(U64::from(finalizes_at));
        record.source.set(U8::from(source));
        finalizes_at
    }
}

fn non_zero(address: Address) -> Result<(), ExpiryError> {
    if address.is_zero() {
        return Err(ExpiryError::ZeroAddress(I::ZeroAddress {}));
    }
    Ok(())
}

fn non_zero_price(price: U256) -> Result<(), ExpiryError> {
    if price.is_zero() {
        return Err(ExpiryError::ZeroPrice(I::ZeroPrice {}));
    }
    Ok(())
}

/// `value` as u64 when `min <= value <= max`.
fn within(value: U256, min: u64, max: u64) -> Result<u64, ExpiryError> {
    let (lo, hi) = (U256::from(min), U256::from(max));
    if value < lo || value > hi {
        return Err(ExpiryError::ParameterOutOfBounds(I::ParameterOutOfBounds {
            value,
            min: lo,
            max: hi,
        }));
    }
    Ok(value.to::<u64>())
}

fn round_unavailable(feed: Address, id: u128) -> ExpiryError {
    ExpiryError::RoundUnavailable(I::RoundUnavailable {
        feed,
        roundId: U80::from(id),
    })
}

impl AnswerErrors for ExpiryError {
    fn non_positive(asset: Address, feed: Address, answer: I256) -> Self {
        ExpiryError::NonPositivePrice(I::NonPositivePrice {
            asset,
            feed,
            answer,
        })
    }

    fn out_of_bounds(asset: Address, feed: &Feed, answer: I256) -> Self {
        ExpiryError::PriceOutOfBounds(I::PriceOutOfBounds {
            asset,
            feed: feed.address,
            answer,
            minAnswer: feed.min_answer,
            maxAnswer: feed.max_answer,
        })
    }
}
