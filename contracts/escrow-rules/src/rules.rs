//! The escrow's state machine, free of storage and calls: every rule of a vault lives here and
//! is driven by the contract (and by the property tests) through [`Env`].
//!
//! A step never moves tokens: it changes the in-memory vault and returns the [`Effect`] the
//! contract performs afterwards, once every check has passed and the vault is stored
//! (checks-effects-interactions).

use crate::EscrowError;
use abi::escrow::{
    ICollateralEscrow as I, ACTION_BURN_SHORT, ACTION_DEPOSIT_COLLATERAL, ACTION_DEPOSIT_LONG,
    ACTION_MINT_SHORT, ACTION_WITHDRAW_COLLATERAL, ACTION_WITHDRAW_LONG, MATH_NO_TIME_BUCKET,
    MATH_OVERFLOW, MATH_ZERO,
};
use alloc::vec::Vec;
use alloy_primitives::{Address, U256};
use margin::{AuctionParams, Kind, MarginError, NakedParams, Rounding, Terms};

pub type Result<T> = core::result::Result<T, EscrowError>;

impl From<MarginError> for EscrowError {
    fn from(e: MarginError) -> Self {
        let code = match e {
            MarginError::Overflow => MATH_OVERFLOW,
            MarginError::NoTimeBucket => MATH_NO_TIME_BUCKET,
            MarginError::Zero => MATH_ZERO,
        };
        EscrowError::from(I::MarginMath { code })
    }
}

/// An option series, as its token reports it (after the factory vouched for the token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Series {
    pub underlying: Address,
    pub strike_asset: Address,
    pub collateral: Address,
    pub is_put: bool,
    pub strike: U256,
    pub expiry: u64,
}

impl Series {
    pub fn terms(&self) -> Terms {
        Terms {
            kind: if self.is_put { Kind::Put } else { Kind::Call },
            strike: self.strike,
        }
    }

    /// The escrow margins puts in the strike asset and calls in the underlying; the factory also
    /// allows other pairings, which this math would misprice, so they are refused.
    fn margined_collateral(&self) -> Result<()> {
        let expected = if self.is_put {
            self.strike_asset
        } else {
            self.underlying
        };
        if self.collateral != expected {
            return Err(EscrowError::from(I::CollateralMismatch {
                expected,
                given: self.collateral,
            }));
        }
        Ok(())
    }

    /// Only a long of the same product and expiry offsets a short.
    fn same_product_and_expiry(&self, other: &Series) -> bool {
        self.underlying == other.underlying
            && self.strike_asset == other.strike_asset
            && self.collateral == other.collateral
            && self.is_put == other.is_put
            && self.expiry == other.expiry
    }
}

/// One vault, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vault {
    pub naked: bool,
    pub collateral_asset: Address,
    pub collateral: U256,
    pub short: Address,
    pub short_amount: U256,
    pub long: Address,
    pub long_amount: U256,
    /// Last time the owner changed the vault; liquidation needs a newer price.
    pub last_change: u64,
    /// When a running auction started (0: none).
    pub auction_start: u64,
}

/// Governed parameters of a collateral asset; `scale == 0` means not allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CollateralConfig {
    pub scale: U256,
    pub naked_cap: U256,
    pub naked_exposure: U256,
    pub dust: U256,
    /// When the last full pause was lifted (0: never); no auction counts time before it.
    pub resumed_at: u64,
}

/// What the state machine needs from the world.
pub trait Env {
    fn now(&self) -> u64;
    /// The series of a token the factory created, or an error.
    fn series(&mut self, option: Address) -> Result<Series>;
    /// Current oracle spot of `underlying` and when it was observed.
    fn spot(&mut self, underlying: Address) -> Result<(U256, u64)>;
    /// The final expiry price, or an error while it is not final.
    fn expiry_price(&mut self, underlying: Address, expiry: u64) -> Result<U256>;
    fn collateral_config(&mut self, asset: Address) -> Result<CollateralConfig>;
    fn set_naked_exposure(&mut self, asset: Address, exposure: U256);
    /// Spot shock and `(max seconds to expiry, upper bound)` buckets of an underlying.
    fn risk(&mut self, underlying: Address) -> Result<(U256, Vec<(u64, U256)>)>;
    fn auction(&mut self, underlying: Address) -> Result<AuctionParams>;
}

/// A token movement the contract performs after the state change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `transferFrom(account, escrow, amount)`, credited only if the balance grew by `amount`.
    Pull(Address, Address, U256),
    /// `transfer(account, amount)`.
    Push(Address, Address, U256),
    /// `mintOptions(account, amount)` on option `token`.
    Mint(Address, Address, U256),
    /// `burnOptions(account, amount)` on option `token`.
    Burn(Address, Address, U256),
}

fn allowed_collateral<E: Env>(env: &mut E, asset: Address) -> Result<CollateralConfig> {
    let cfg = env.collateral_config(asset)?;
    if cfg.scale.is_zero() {
        return Err(EscrowError::from(I::CollateralNotAllowed { asset }));
    }
    Ok(cfg)
}

/// Binds the vault to `asset` on first use; later uses must match.
fn bind_collateral(vault: &mut Vault, asset: Address) -> Result<()> {
    if vault.collateral_asset.is_zero() {
        vault.collateral_asset = asset;
    } else if vault.collateral_asset != asset {
        return Err(EscrowError::from(I::CollateralMismatch {
            expected: vault.collateral_asset,
            given: asset,
        }));
    }
    Ok(())
}

fn not_expired<E: Env>(env: &E, option: Address, series: &Series) -> Result<()> {
    if env.now() >= series.expiry {
        return Err(EscrowError::from(I::SeriesExpired {
            option,
            expiry: U256::from(series.expiry),
        }));
    }
    Ok(())
}

fn zero_amount() -> EscrowError {
    EscrowError::from(I::ZeroAmount {})
}

fn take(have: U256, want: U256, asset: Address) -> Result<U256> {
    have.checked_sub(want)
        .ok_or(EscrowError::from(I::InsufficientVaultBalance {
            asset,
            requested: want,
            available: have,
        }))
}

fn overflow() -> EscrowError {
    MarginError::Overflow.into()
}

/// Moves the naked exposure of `asset` by `add` minus `sub`. The cap is enforced by
/// [`within_naked_cap`], on batches that write naked options only.
fn move_exposure<E: Env>(env: &mut E, asset: Address, add: U256, sub: U256) -> Result<()> {
    let exposure = env
        .collateral_config(asset)?
        .naked_exposure
        .checked_add(add)
        .ok_or_else(overflow)?
        .saturating_sub(sub);
    env.set_naked_exposure(asset, exposure);
    Ok(())
}

/// The per-asset cap bounds new naked writing, checked at the end of a batch that minted in a
/// naked vault. A top-up (or a burn) of a vault under threat must never be refused because the
/// asset is at its cap: that would stop owners from reducing risk while liquidation goes on.
pub fn within_naked_cap<E: Env>(env: &mut E, vault: &Vault, minted: bool) -> Result<()> {
    if !(vault.naked && minted) {
        return Ok(());
    }
    let asset = vault.collateral_asset;
    let cfg = env.collateral_config(asset)?;
    if cfg.naked_exposure > cfg.naked_cap {
        return Err(EscrowError::from(I::NakedCapExceeded {
            asset,
            exposure: cfg.naked_exposure,
            cap: cfg.naked_cap,
        }));
    }
    Ok(())
}

/// Applies one `operate` action (other than opening) to `vault` for `caller`.
pub fn apply<E: Env>(
    env: &mut E,
    vault: &mut Vault,
    index: usize,
    (kind, asset, account, amount): (u8, Address, Address, U256),
    caller: Address,
) -> Result<Effect> {
    if amount.is_zero() {
        return Err(zero_amount());
    }
    match kind {
        ACTION_DEPOSIT_COLLATERAL => {
            allowed_collateral(env, asset)?;
            bind_collateral(vault, asset)?;
            vault.collateral = vault.collateral.checked_add(amount).ok_or_else(overflow)?;
            if vault.naked {
                move_exposure(env, asset, amount, U256::ZERO)?;
            }
            Ok(Effect::Pull(asset, caller, amount))
        }
        ACTION_WITHDRAW_COLLATERAL => {
            if asset != vault.collateral_asset {
                return Err(EscrowError::from(I::CollateralMismatch {
                    expected: vault.collateral_asset,
                    given: asset,
                }));
            }
            vault.collateral = take(vault.collateral, amount, asset)?;
            if vault.naked {
                move_exposure(env, asset, U256::ZERO, amount)?;
            }
            Ok(Effect::Push(asset, account, amount))
        }
        ACTION_MINT_SHORT => {
            if !vault.short.is_zero() && vault.short != asset {
                return Err(EscrowError::from(I::SeriesMismatch {
                    expected: vault.short,
                    given: asset,
                }));
            }
            let series = env.series(asset)?;
            not_expired(env, asset, &series)?;
            series.margined_collateral()?;
            allowed_collateral(env, series.collateral)?;
            bind_collateral(vault, series.collateral)?;
            vault.short = asset;
            vault.short_amount = vault
                .short_amount
                .checked_add(amount)
                .ok_or_else(overflow)?;
            Ok(Effect::Mint(asset, account, amount))
        }
        ACTION_BURN_SHORT => {
            if vault.short != asset {
                return Err(EscrowError::from(I::SeriesMismatch {
                    expected: vault.short,
                    given: asset,
                }));
            }
            vault.short_amount = take(vault.short_amount, amount, asset)?;
            if vault.short_amount.is_zero() {
                vault.short = Address::ZERO;
            }
            Ok(Effect::Burn(asset, caller, amount))
        }
        ACTION_DEPOSIT_LONG => {
            if vault.naked {
                return Err(EscrowError::from(I::NakedVaultHoldsLong { option: asset }));
            }
            if !vault.long.is_zero() && vault.long != asset {
                return Err(EscrowError::from(I::SeriesMismatch {
                    expected: vault.long,
                    given: asset,
                }));
            }
            let series = env.series(asset)?;
            not_expired(env, asset, &series)?;
            series.margined_collateral()?;
            allowed_collateral(env, series.collateral)?;
            bind_collateral(vault, series.collateral)?;
            vault.long = asset;
            vault.long_amount = vault.long_amount.checked_add(amount).ok_or_else(overflow)?;
            Ok(Effect::Pull(asset, caller, amount))
        }
        ACTION_WITHDRAW_LONG => {
            if vault.long != asset {
                return Err(EscrowError::from(I::SeriesMismatch {
                    expected: vault.long,
                    given: asset,
                }));
            }
            vault.long_amount = take(vault.long_amount, amount, asset)?;
            if vault.long_amount.is_zero() {
                vault.long = Address::ZERO;
            }
            Ok(Effect::Push(asset, account, amount))
        }
        _ => Err(EscrowError::from(I::InvalidAction {
            index: U256::from(index),
            kind,
        })),
    }
}

/// Naked requirement of `amount` options of `s` at `spot`.
fn naked_required<E: Env>(
    env: &mut E,
    s: &Series,
    amount: U256,
    spot: U256,
    scale: U256,
) -> Result<U256> {
    let (shock, buckets) = env.risk(s.underlying)?;
    let tau = s.expiry.saturating_sub(env.now());
    let params = NakedParams {
        shock,
        buckets: &buckets,
    };
    Ok(margin::naked_requirement(
        s.terms(),
        amount,
        spot,
        tau,
        &params,
        scale,
    )?)
}

/// Collateral the vault must hold now, with the spot it was computed at (naked vaults only).
/// Errors if a short or long has expired: such a vault can only be settled.
pub fn requirement<E: Env>(env: &mut E, vault: &Vault) -> Result<(U256, Option<(U256, u64)>)> {
    let short = if vault.short.is_zero() {
        None
    } else {
        Some(env.series(vault.short)?)
    };
    let long = if vault.long.is_zero() {
        None
    } else {
        Some(env.series(vault.long)?)
    };
    if let Some(s) = &short {
        not_expired(env, vault.short, s)?;
    }
    if let Some(l) = &long {
        not_expired(env, vault.long, l)?;
    }
    let Some(s) = short else {
        return Ok((U256::ZERO, None));
    };
    let scale = allowed_collateral(env, vault.collateral_asset)?.scale;
    if vault.naked {
        let (spot, at) = env.spot(s.underlying)?;
        let req = naked_required(env, &s, vault.short_amount, spot, scale)?;
        return Ok((req, Some((spot, at))));
    }
    let (long_strike, long_amount) = match &long {
        Some(l) if l.same_product_and_expiry(&s) => (l.strike, vault.long_amount),
        Some(_) => {
            return Err(EscrowError::from(I::LongNotMarginable {
                shortOption: vault.short,
                longOption: vault.long,
            }))
        }
        None => (U256::ZERO, U256::ZERO),
    };
    let req = margin::spread_requirement(
        s.terms().kind,
        s.strike,
        vault.short_amount,
        long_strike,
        long_amount,
        scale,
    )?;
    Ok((req, None))
}

/// The end-of-batch check: enough collateral, and a naked vault stays above the dust floor.
/// Returns the requirement.
pub fn check<E: Env>(env: &mut E, vault: &Vault) -> Result<U256> {
    let (required, _) = requirement(env, vault)?;
    if vault.collateral < required {
        return Err(EscrowError::from(I::InsufficientCollateral {
            required,
            available: vault.collateral,
        }));
    }
    if vault.naked && !vault.short_amount.is_zero() {
        let dust = env.collateral_config(vault.collateral_asset)?.dust;
        if vault.collateral < dust {
            return Err(EscrowError::from(I::BelowDustFloor {
                collateral: vault.collateral,
                dustFloor: dust,
            }));
        }
    }
    Ok(required)
}

/// Outcome of a liquidation step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Liquidation {
    pub paid: U256,
    pub price: U256,
    /// `(requirement, spot, start)` when this step started the auction.
    pub started: Option<(U256, U256, u64)>,
    /// The start an auction had before a full pause ended (it restarted at `resumed_at`).
    pub restarted: Option<u64>,
    /// This step repaid the whole debt or made the vault safe: the auction is over.
    pub ended: bool,
}

/// Repays `amount` of a naked vault's debt at the current auction price.
pub fn liquidate<E: Env>(env: &mut E, vault: &mut Vault, amount: U256) -> Result<Liquidation> {
    if amount.is_zero() {
        return Err(zero_amount());
    }
    let (required, spot) = if vault.naked && !vault.short_amount.is_zero() {
        requirement(env, vault)?
    } else {
        (U256::ZERO, None)
    };
    let Some((spot, observed)) = spot.filter(|_| vault.collateral < required) else {
        return Err(EscrowError::from(I::VaultNotLiquidatable {
            requirement: required,
            collateral: vault.collateral,
        }));
    };
    if observed <= vault.last_change {
        return Err(EscrowError::from(I::PriceNotNewer {
            priceUpdatedAt: U256::from(observed),
            lastChange: U256::from(vault.last_change),
        }));
    }
    let cfg = env.collateral_config(vault.collateral_asset)?;
    // The auction never starts before the price that proves the shortfall, nor at or before the
    // owner's last checked change, nor during a full pause (no one could bid then).
    let floor = vault.last_change.saturating_add(1).max(cfg.resumed_at);
    let (mut started, mut restarted) = (None, None);
    if vault.auction_start == 0 {
        vault.auction_start = observed.max(floor);
        started = Some((required, spot, vault.auction_start));
    } else if vault.auction_start < cfg.resumed_at {
        // A full pause ended since the auction started: it starts again from its opening
        // price, rather than jumping by the paused time to a price liquidators could not take.
        restarted = Some(vault.auction_start);
        vault.auction_start = cfg.resumed_at;
    }
    let series = env.series(vault.short)?;
    let auction = env.auction(series.underlying)?;
    let elapsed = env.now().saturating_sub(vault.auction_start);
    let price = margin::auction_price(
        series.terms(),
        spot,
        vault.collateral,
        vault.short_amount,
        elapsed,
        &auction,
        cfg.scale,
    )?;
    let paid = margin::auction_payout(amount, price, vault.collateral, vault.short_amount)?;
    vault.short_amount = take(vault.short_amount, amount, vault.short)?;
    vault.collateral = take(vault.collateral, paid, vault.collateral_asset)?;
    move_exposure(env, vault.collateral_asset, U256::ZERO, paid)?;
    if vault.short_amount.is_zero() {
        vault.short = Address::ZERO;
        vault.auction_start = 0;
    } else {
        if vault.collateral < cfg.dust {
            return Err(EscrowError::from(I::BelowDustFloor {
                collateral: vault.collateral,
                dustFloor: cfg.dust,
            }));
        }
        // A vault made safe again ends its auction; a later shortfall starts a new one.
        if naked_required(env, &series, vault.short_amount, spot, cfg.scale)? <= vault.collateral {
            vault.auction_start = 0;
        }
    }
    Ok(Liquidation {
        paid,
        price,
        started,
        restarted,
        ended: vault.auction_start == 0,
    })
}

/// The final expiry price of a series, once its expiry has passed.
fn final_price<E: Env>(env: &mut E, option: Address, series: &Series) -> Result<U256> {
    if env.now() < series.expiry {
        return Err(EscrowError::from(I::SeriesNotExpired {
            option,
            expiry: U256::from(series.expiry),
        }));
    }
    env.expiry_price(series.underlying, series.expiry)
}

/// Outcome of settling a vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    pub payout: U256,
    pub liability: U256,
    pub long_payout: U256,
}

/// Settles an expired vault: the owner gets the collateral less the short's cash value (rounded
/// up) plus the long's cash value (rounded down). The vault is emptied; its long tokens, held by
/// the escrow, are to be burned.
pub fn settle<E: Env>(env: &mut E, vault: &mut Vault) -> Result<Settlement> {
    if vault.short.is_zero() && vault.long.is_zero() {
        return Err(zero_amount());
    }
    let scale = env.collateral_config(vault.collateral_asset)?.scale;
    let mut liability = U256::ZERO;
    let mut long_payout = U256::ZERO;
    if !vault.short.is_zero() {
        let s = env.series(vault.short)?;
        let price = final_price(env, vault.short, &s)?;
        liability =
            margin::settlement_amount(s.terms(), price, vault.short_amount, scale, Rounding::Up)?;
    }
    if !vault.long.is_zero() {
        let l = env.series(vault.long)?;
        let price = final_price(env, vault.long, &l)?;
        long_payout =
            margin::settlement_amount(l.terms(), price, vault.long_amount, scale, Rounding::Down)?;
    }
    // An insolvent naked vault keeps nothing; its shortfall is the protocol's loss.
    let payout = vault
        .collateral
        .checked_add(long_payout)
        .ok_or_else(overflow)?
        .saturating_sub(liability);
    if vault.naked {
        move_exposure(env, vault.collateral_asset, U256::ZERO, vault.collateral)?;
    }
    let naked = vault.naked;
    let asset = vault.collateral_asset;
    *vault = Vault {
        naked,
        collateral_asset: asset,
        ..Vault::default()
    };
    Ok(Settlement {
        payout,
        liability,
        long_payout,
    })
}

/// Cash owed (collateral raw units, rounded down) to a holder redeeming `amount` of `option`.
pub fn redeem<E: Env>(env: &mut E, option: Address, amount: U256) -> Result<(Series, U256)> {
    if amount.is_zero() {
        return Err(zero_amount());
    }
    let s = env.series(option)?;
    let price = final_price(env, option, &s)?;
    let scale = allowed_collateral(env, s.collateral)?.scale;
    let payout = margin::settlement_amount(s.terms(), price, amount, scale, Rounding::Down)?;
    Ok((s, payout))
}

#[cfg(test)]
mod tests;
