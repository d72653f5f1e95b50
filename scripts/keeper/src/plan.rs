//! How much to liquidate and how many options to write first, decided by the escrow's own rules
//! (`escrow-rules`, the `no_std` state machine both escrow contracts link): a keeper-side
//! [`Env`] holds what the keeper read from the chain, and every candidate amount is run through
//! `rules::liquidate` exactly as the margin engine would run it. An amount the rules refuse is
//! never requested, so the dust floor, the auction start and any later rule change are followed
//! without a copy of them here.

use crate::health::Risk;
use crate::view::{Series, Vault};
use abi::escrow::ICollateralEscrow as I;
use alloy::primitives::{Address, U256};
use alloy::sol_types::SolError;
use escrow_rules::rules::{self, CollateralConfig, Env};
use escrow_rules::EscrowError;
use margin::{AuctionParams, WAD};

/// The world as the keeper read it: one series, its spot, its collateral's parameters and its
/// underlying's risk and auction parameters, at time `now`.
#[derive(Debug, Clone)]
pub struct Known {
    pub now: u64,
    pub option: Address,
    pub series: Series,
    /// Spot and the time the oracle observed it.
    pub spot: (U256, u64),
    /// Scale and dust floor of the series' collateral (cap and exposure are not the keeper's
    /// business: a liquidation only lowers the exposure and a full vault never counts in it).
    pub scale: U256,
    pub dust: U256,
    /// When the last full pause was lifted (0: never): no auction counts time before it.
    pub resumed_at: u64,
    pub risk: Risk,
}

/// [`Known`] as the rules see it.
struct World<'a> {
    known: &'a Known,
}

impl Env for World<'_> {
    fn now(&self) -> u64 {
        self.known.now
    }

    fn series(&mut self, option: Address) -> rules::Result<rules::Series> {
        if option != self.known.option {
            return Err(EscrowError::from(I::UnknownSeries { option }));
        }
        let s = &self.known.series;
        Ok(rules::Series {
            underlying: s.underlying,
            strike_asset: s.strike_asset,
            collateral: s.collateral,
            is_put: s.is_put,
            strike: s.strike,
            expiry: s.expiry,
        })
    }

    fn spot(&mut self, _underlying: Address) -> rules::Result<(U256, u64)> {
        Ok(self.known.spot)
    }

    fn expiry_price(&mut self, asset: Address, expiry: u64) -> rules::Result<U256> {
        Err(EscrowError::from(I::ExpiryPriceNotFinal {
            asset,
            expiry: U256::from(expiry),
        }))
    }

    fn collateral_config(&mut self, asset: Address) -> rules::Result<CollateralConfig> {
        if asset != self.known.series.collateral {
            return Ok(CollateralConfig::default());
        }
        Ok(CollateralConfig {
            scale: self.known.scale,
            naked_cap: U256::MAX,
            naked_exposure: U256::MAX,
            dust: self.known.dust,
            resumed_at: self.known.resumed_at,
        })
    }

    fn set_naked_exposure(&mut self, _asset: Address, _exposure: U256) {}

    fn risk(&mut self, _underlying: Address) -> rules::Result<(U256, Vec<(u64, U256)>)> {
        Ok((self.known.risk.shock, self.known.risk.buckets.clone()))
    }

    fn auction(&mut self, _underlying: Address) -> rules::Result<AuctionParams> {
        Ok(self.known.risk.auction)
    }
}

/// The escrow's record of a naked vault, as the rules store it.
fn stored(vault: &Vault) -> rules::Vault {
    rules::Vault {
        naked: vault.naked,
        collateral_asset: vault.collateral_asset,
        collateral: vault.collateral,
        short: vault.short,
        short_amount: vault.short_amount,
        long: vault.long,
        long_amount: vault.long_amount,
        last_change: vault.last_change,
        auction_start: vault.auction_start,
    }
}

/// What the rules make of repaying `amount` of `vault`'s debt now: the collateral paid and the
/// price per option, or the escrow's error.
pub fn outcome(
    known: &Known,
    vault: &Vault,
    amount: U256,
) -> Result<rules::Liquidation, EscrowError> {
    rules::liquidate(&mut World { known }, &mut stored(vault), amount)
}

/// A liquidation the rules accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    /// Options repaid.
    pub amount: U256,
    /// Options to write first (in the keeper's own full vault), part of `amount`.
    pub mint: U256,
    /// Collateral the escrow pays, and its price per option.
    pub paid: U256,
    pub price: U256,
}

/// The largest `x` in `[lo, hi]` with `ok(x)`, given `ok(lo)` and that `ok` holds below any `x`
/// where it holds.
fn largest(lo: U256, hi: U256, mut ok: impl FnMut(U256) -> bool) -> U256 {
    let (mut good, mut bad) = (lo, hi.saturating_add(U256::from(1)));
    while bad - good > U256::from(1) {
        let mid = good + (bad - good) / U256::from(2);
        if ok(mid) {
            good = mid;
        } else {
            bad = mid;
        }
    }
    good
}

/// The amount to liquidate with `inventory` options in hand and up to `mintable` more that the
/// keeper may write: the whole debt when it can cover it (nothing is left behind, dust or not);
/// otherwise the most it covers, cut down until the collateral left stays at or above the dust
/// floor. `Err` with the escrow's reason when no amount is accepted (not liquidatable, the
/// price not newer than the last change, a partial repayment that can only leave dust, ...).
pub fn choose(
    known: &Known,
    vault: &Vault,
    inventory: U256,
    mintable: U256,
) -> Result<Choice, EscrowError> {
    let debt = vault.short_amount;
    let target = debt.min(inventory.saturating_add(mintable));
    if target.is_zero() {
        return Err(EscrowError::from(I::ZeroAmount {}));
    }
    let amount = match outcome(known, vault, target) {
        Ok(_) => target,
        Err(e) if is_dust(&e) => {
            // Repaying less pays out less and leaves more collateral behind: the largest
            // accepted amount is found by bisection, the rules judging each candidate.
            let one = U256::from(1);
            if outcome(known, vault, one).is_err() {
                return Err(e);
            }
            largest(one, target - one, |a| outcome(known, vault, a).is_ok())
        }
        Err(e) => return Err(e),
    };
    let l = outcome(known, vault, amount)?;
    Ok(Choice {
        amount,
        mint: amount.saturating_sub(inventory),
        paid: l.paid,
        price: l.price,
    })
}

/// Whether the rules refused an amount because it would leave less than the dust floor.
pub fn is_dust(e: &EscrowError) -> bool {
    e.0.get(..4) == Some(&I::BelowDustFloor::SELECTOR[..])
}

/// Collateral (raw units) a full vault already holding `held` options of the series needs to
/// write `more`, by the rules' own requirement; `None` when the rules refuse the vault.
pub fn full_vault_deposit(known: &Known, held: U256, collateral: U256, more: U256) -> Option<U256> {
    let vault = rules::Vault {
        naked: false,
        collateral_asset: known.series.collateral,
        collateral,
        short: known.option,
        short_amount: held.checked_add(more)?,
        ..rules::Vault::default()
    };
    let (required, _) = rules::requirement(&mut World { known }, &vault).ok()?;
    Some(required.saturating_sub(collateral))
}

/// How many more options `balance` of collateral writes in a full vault already holding `held`
/// options against `collateral` (the rules' requirement rounds up, so the estimate is checked
/// against it and cut down by bisection if needed).
pub fn writable(known: &Known, held: U256, collateral: U256, balance: U256) -> U256 {
    let fits =
        |n: U256| full_vault_deposit(known, held, collateral, n).is_some_and(|d| d <= balance);
    match full_vault_deposit(known, U256::ZERO, U256::ZERO, WAD) {
        Some(per) if !per.is_zero() => {
            let spare = collateral.saturating_sub(
                full_vault_deposit(known, U256::ZERO, U256::ZERO, held).unwrap_or(U256::MAX),
            );
            let guess = balance.saturating_add(spare).saturating_mul(WAD) / per;
            if fits(guess) {
                guess
            } else {
                largest(U256::ZERO, guess, fits)
            }
        }
        _ => U256::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn wad(v: u64) -> U256 {
        U256::from(v) * WAD
    }

    fn usdc(v: u64) -> U256 {
        U256::from(v) * U256::from(1_000_000u64)
    }

    const OPTION: Address = Address::repeat_byte(0xf1);

    /// A naked put K=2000 (USDC collateral, dust floor `dust` USDC) at S=1000 observed at 200,
    /// an hour-long auction from 5% below cash, 10 minutes in.
    fn setup(collateral: U256, debt: U256, dust: u64) -> (Known, Vault) {
        let series = Series {
            underlying: Address::repeat_byte(1),
            strike_asset: Address::repeat_byte(2),
            collateral: Address::repeat_byte(2),
            is_put: true,
            strike: wad(2_000),
            expiry: 1_000_000,
        };
        let known = Known {
            now: 800,
            option: OPTION,
            series,
            spot: (wad(1_000), 200),
            scale: U256::from(1_000_000_000_000u64),
            dust: usdc(dust),
            resumed_at: 0,
            risk: Risk::from_packed(
                WAD / U256::from(2),
                &[abi::escrow::pack_bucket(2_000_000, WAD / U256::from(10))],
                3_600,
                WAD / U256::from(20),
            ),
        };
        let vault = Vault {
            naked: true,
            collateral_asset: Address::repeat_byte(2),
            collateral,
            short: OPTION,
            short_amount: debt,
            last_change: 100,
            ..Vault::default()
        };
        (known, vault)
    }

    #[test]
    fn enough_inventory_takes_the_whole_debt() {
        // 2 puts against 3,000 USDC, 600 s into an auction from 950 to 1,500 per put:
        // 1,041.67. No dust floor applies to a vault left without debt.
        let (known, vault) = setup(usdc(3_000), wad(2), 2_000);
        let c = choose(&known, &vault, wad(5), U256::ZERO).unwrap();
        assert_eq!((c.amount, c.mint), (wad(2), U256::ZERO));
        assert_eq!(c.price, U256::from(1_041_666_666u64));
        assert_eq!(c.paid, U256::from(2_083_333_332u64));
    }

    #[test]
    fn a_partial_repayment_stops_short_of_the_dust_floor() {
        // 2 puts against 2,150 USDC: 3,100 required, the auction starts at 950 per put (600 s in:
        // 950 + 125 * 600 / 3600 = 970.83...). One put pays ~970, leaving ~1,180: fine.
        let (known, vault) = setup(usdc(2_150), wad(2), 100);
        let c = choose(&known, &vault, wad(1), U256::ZERO).unwrap();
        assert_eq!(c.amount, wad(1));
        assert!(outcome(&known, &vault, wad(1)).is_ok());
        // With a 1,500 USDC floor, one put would leave ~1,180 < 1,500: the rules refuse it, and
        // the keeper repays the most that leaves 1,500 behind.
        let (known, vault) = setup(usdc(2_150), wad(2), 1_500);
        let refused = outcome(&known, &vault, wad(1)).unwrap_err();
        assert!(is_dust(&refused));
        let c = choose(&known, &vault, wad(1), U256::ZERO).unwrap();
        assert!(c.amount < wad(1) && c.amount > U256::ZERO);
        assert_eq!(c.mint, U256::ZERO);
        let left = vault.collateral - c.paid;
        assert!(left >= known.dust, "{left}");
        // One unit more is refused for the dust floor.
        let more = outcome(&known, &vault, c.amount + U256::from(1)).unwrap_err();
        assert!(is_dust(&more));
    }

    #[test]
    fn with_minting_allowed_it_takes_all_rather_than_leave_dust() {
        let (known, vault) = setup(usdc(2_150), wad(2), 1_500);
        let c = choose(&known, &vault, wad(1), wad(10)).unwrap();
        assert_eq!((c.amount, c.mint), (wad(2), wad(1)));
        assert_eq!(c.paid, U256::from(1_941_666_666u64));
        // No inventory at all: everything written first.
        let c = choose(&known, &vault, U256::ZERO, wad(2)).unwrap();
        assert_eq!((c.amount, c.mint), (wad(2), wad(2)));
    }

    #[test]
    fn the_escrows_refusals_come_back_as_they_are() {
        // Safe vault: not liquidatable.
        let (known, vault) = setup(usdc(4_000), wad(2), 100);
        let e = choose(&known, &vault, wad(1), U256::ZERO).unwrap_err();
        assert_eq!(&e.0[..4], &I::VaultNotLiquidatable::SELECTOR[..]);
        // A price observed before the last change.
        let (known, mut vault) = setup(usdc(2_150), wad(2), 100);
        vault.last_change = 300;
        let e = choose(&known, &vault, wad(1), U256::ZERO).unwrap_err();
        assert_eq!(&e.0[..4], &I::PriceNotNewer::SELECTOR[..]);
        // Nothing to repay with.
        let (known, vault) = setup(usdc(2_150), wad(2), 100);
        let e = choose(&known, &vault, U256::ZERO, U256::ZERO).unwrap_err();
        assert_eq!(&e.0[..4], &I::ZeroAmount::SELECTOR[..]);
    }

    #[test]
    fn a_full_put_vault_needs_the_strike_per_option() {
        let (known, _) = setup(usdc(1), wad(1), 100);
        assert_eq!(
            full_vault_deposit(&known, U256::ZERO, U256::ZERO, wad(3)),
            Some(usdc(6_000))
        );
        // Already holding 1 put with 2,500 USDC: one more needs 1,500.
        assert_eq!(
            full_vault_deposit(&known, wad(1), usdc(2_500), wad(1)),
            Some(usdc(1_500))
        );
        assert_eq!(
            writable(&known, U256::ZERO, U256::ZERO, usdc(5_000)),
            wad(5) / U256::from(2)
        );
        assert_eq!(
            writable(&known, U256::ZERO, U256::ZERO, U256::ZERO),
            U256::ZERO
        );
        // 500 USDC spare in the vault and 1,000 in hand: three quarters of a put.
        let more = writable(&known, wad(1), usdc(2_500), usdc(1_000));
        assert_eq!(more, wad(3) / U256::from(4));
        assert_eq!(
            full_vault_deposit(&known, wad(1), usdc(2_500), more),
            Some(usdc(1_000))
        );
    }

    proptest! {
        /// Whatever the inventory, the dust floor and the vault, the chosen amount is one the
        /// rules accept, never leaves collateral below the floor while debt remains, and is the
        /// largest such amount within reach.
        #[test]
        fn the_choice_is_accepted_and_maximal(
            collateral in 1u64..4_000, debt in 1u64..4, inventory in 0u64..5_000,
            dust in 0u64..2_000, mintable in 0u64..3,
        ) {
            let (known, vault) = setup(usdc(collateral), wad(debt), dust);
            let inventory = wad(inventory) / U256::from(1_000);
            match choose(&known, &vault, inventory, wad(mintable)) {
                Ok(c) => {
                    prop_assert!(outcome(&known, &vault, c.amount).is_ok());
                    prop_assert!(c.amount <= inventory + wad(mintable));
                    prop_assert_eq!(c.mint, c.amount.saturating_sub(inventory));
                    if c.amount < vault.short_amount {
                        prop_assert!(vault.collateral - c.paid >= known.dust);
                        let next = c.amount + U256::from(1);
                        if next <= inventory + wad(mintable) {
                            prop_assert!(outcome(&known, &vault, next).is_err());
                        }
                    } else {
                        prop_assert_eq!(c.paid.min(vault.collateral), c.paid);
                    }
                }
                Err(e) => {
                    // Refused at every amount within reach, or nothing to repay with.
                    let reach = vault.short_amount.min(inventory + wad(mintable));
                    prop_assert!(reach.is_zero() || outcome(&known, &vault, U256::from(1)).is_err(), "{:?}", e);
                }
            }
        }
    }
}
