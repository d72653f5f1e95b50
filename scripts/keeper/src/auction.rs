//! Following the Dutch auction: what the escrow pays for repaid options `elapsed` seconds into
//! an auction (the escrow's own `margin::auction_price`), what that is worth to the keeper once
//! the options it gives up and the gas are paid for, and when it first becomes worth it.
//!
//! Values are in the strike asset, 18 decimals. The options repaid are valued at their cash
//! value at spot (what they would pay if exercised now): below it no liquidator acts, above it
//! the keeper earns the difference.

use crate::health::Risk;
use crate::view::{Series, Vault};
use alloy::primitives::U256;
use margin::{mul_div, MarginError, Rounding, WAD};

/// What a liquidation of `amount` options would bring, `elapsed` seconds into the auction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    /// Collateral (raw units) per whole option.
    pub price: U256,
    /// Collateral (raw units) paid for `amount`.
    pub payout: U256,
    /// Value of the payout, of the options given up, and of the gas (strike asset, 1e18).
    pub payout_value: U256,
    pub options_value: U256,
    pub gas_value: U256,
}

impl Quote {
    /// Profit after the options and the gas; `None` for a loss.
    pub fn profit(&self) -> Option<U256> {
        self.payout_value
            .checked_sub(self.options_value)?
            .checked_sub(self.gas_value)
    }

    /// Whether the profit reaches `min_profit`.
    pub fn worth(&self, min_profit: U256) -> bool {
        self.profit().is_some_and(|p| p >= min_profit)
    }
}

/// How gas and profit are valued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Economics {
    /// Price of the native token (gas) in the strike asset, 1e18.
    pub native_price: U256,
    /// Least profit worth a transaction, strike asset, 1e18.
    pub min_profit: U256,
}

/// Value (strike asset, 1e18) of `raw` units of the series' collateral at `spot`.
pub fn collateral_value(
    series: &Series,
    raw: U256,
    spot: U256,
    scale: U256,
) -> Result<U256, MarginError> {
    let wad = raw.checked_mul(scale).ok_or(MarginError::Overflow)?;
    if series.is_put {
        Ok(wad)
    } else {
        mul_div(wad, spot, WAD, Rounding::Down)
    }
}

/// Cash value (strike asset, 1e18) of `amount` options at `spot`.
pub fn options_value(series: &Series, amount: U256, spot: U256) -> Result<U256, MarginError> {
    let per_option = if series.is_put {
        series.strike.saturating_sub(spot)
    } else {
        spot.saturating_sub(series.strike)
    };
    mul_div(amount, per_option, WAD, Rounding::Up)
}

/// The escrow's price and payout for `amount` of `vault`'s debt `elapsed` seconds into its
/// auction, valued with `gas_wei` of gas.
#[allow(clippy::too_many_arguments)]
pub fn quote(
    series: &Series,
    vault: &Vault,
    spot: U256,
    elapsed: u64,
    amount: U256,
    risk: &Risk,
    scale: U256,
    gas_wei: U256,
    economics: &Economics,
) -> Result<Quote, MarginError> {
    let price = margin::auction_price(
        series.terms(),
        spot,
        vault.collateral,
        vault.short_amount,
        elapsed,
        &risk.auction,
        scale,
    )?;
    let payout = margin::auction_payout(amount, price, vault.collateral, vault.short_amount)?;
    Ok(Quote {
        price,
        payout,
        payout_value: collateral_value(series, payout, spot, scale)?,
        options_value: options_value(series, amount, spot)?,
        gas_value: mul_div(gas_wei, economics.native_price, WAD, Rounding::Up)?,
    })
}

/// The first second into the auction at which liquidating `amount` earns at least the minimum
/// profit, `None` if it never does. The auction price never falls, so a bisection finds it.
#[allow(clippy::too_many_arguments)]
pub fn first_profitable(
    series: &Series,
    vault: &Vault,
    spot: U256,
    amount: U256,
    risk: &Risk,
    scale: U256,
    gas_wei: U256,
    economics: &Economics,
) -> Result<Option<u64>, MarginError> {
    let worth = |elapsed: u64| -> Result<bool, MarginError> {
        let q = quote(
            series, vault, spot, elapsed, amount, risk, scale, gas_wei, economics,
        )?;
        Ok(q.worth(economics.min_profit))
    };
    let end = risk.auction.duration;
    if !worth(end)? {
        return Ok(None);
    }
    let (mut lo, mut hi) = (0u64, end);
    if worth(0)? {
        return Ok(Some(0));
    }
    // worth(lo) is false, worth(hi) is true.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if worth(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(Some(hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::Address;
    use proptest::prelude::*;

    fn wad(v: u64) -> U256 {
        U256::from(v) * WAD
    }

    const USDC_SCALE: u64 = 1_000_000_000_000;

    fn put() -> (Series, Vault, Risk) {
        let series = Series {
            underlying: Address::repeat_byte(1),
            strike_asset: Address::repeat_byte(2),
            collateral: Address::repeat_byte(2),
            is_put: true,
            strike: wad(2_000),
            expiry: 1_000_000,
        };
        let vault = Vault {
            naked: true,
            collateral: U256::from(1_000_000_000u64),
            short_amount: wad(1),
            ..Vault::default()
        };
        let risk = Risk::from_packed(
            WAD / U256::from(2),
            &[abi::escrow::pack_bucket(2_000_000, WAD / U256::from(10))],
            3_600,
            WAD / U256::from(20),
        );
        (series, vault, risk)
    }

    #[test]
    fn the_price_rises_from_cash_less_discount_to_collateral_per_option() {
        let (series, vault, risk) = put();
        let eco = Economics {
            native_price: wad(3_000),
            min_profit: wad(1),
        };
        let scale = U256::from(USDC_SCALE);
        let spot = wad(1_400);
        // Cash 600, discount 5% of 1400 = 70: starts at 530 USDC per option, ends at 1000.
        let q0 = quote(
            &series,
            &vault,
            spot,
            0,
            wad(1),
            &risk,
            scale,
            U256::ZERO,
            &eco,
        )
        .unwrap();
        assert_eq!(q0.price, U256::from(530_000_000u64));
        assert_eq!(q0.profit(), None);
        let q_end = quote(
            &series,
            &vault,
            spot,
            3_600,
            wad(1),
            &risk,
            scale,
            U256::ZERO,
            &eco,
        )
        .unwrap();
        assert_eq!(q_end.price, U256::from(1_000_000_000u64));
        assert_eq!(q_end.profit(), Some(wad(400)));
        // Break-even plus 1 USDC plus gas worth 0.001 ETH = 3 USDC: price 604 USDC,
        // i.e. (604 - 530) / 470 of the hour = 566.8 s -> 567 s.
        let gas = U256::from(1_000_000_000_000_000u64);
        let t = first_profitable(&series, &vault, spot, wad(1), &risk, scale, gas, &eco)
            .unwrap()
            .unwrap();
        assert_eq!(t, 567);
        let at = |e| quote(&series, &vault, spot, e, wad(1), &risk, scale, gas, &eco).unwrap();
        assert!(at(t).profit().unwrap() >= eco.min_profit);
        assert!(at(t - 1).profit().is_none_or(|p| p < eco.min_profit));
    }

    #[test]
    fn never_profitable_when_the_collateral_is_worth_less_than_the_options() {
        let (series, mut vault, risk) = put();
        vault.collateral = U256::from(500_000_000u64);
        let eco = Economics {
            native_price: wad(3_000),
            min_profit: wad(1),
        };
        let got = first_profitable(
            &series,
            &vault,
            wad(1_400),
            wad(1),
            &risk,
            U256::from(USDC_SCALE),
            U256::ZERO,
            &eco,
        );
        assert_eq!(got, Ok(None));
    }

    proptest! {
        #[test]
        fn profit_never_falls_as_the_auction_runs(
            spot in 100u64..3_000, collateral in 1u64..4_000, e1 in 0u64..4_000, e2 in 0u64..4_000,
        ) {
            let (series, mut vault, risk) = put();
            vault.collateral = U256::from(collateral) * U256::from(1_000_000u64);
            let eco = Economics { native_price: wad(3_000), min_profit: U256::ZERO };
            let (a, b) = (e1.min(e2), e1.max(e2));
            let scale = U256::from(USDC_SCALE);
            let qa = quote(&series, &vault, wad(spot), a, wad(1), &risk, scale, U256::ZERO, &eco).unwrap();
            let qb = quote(&series, &vault, wad(spot), b, wad(1), &risk, scale, U256::ZERO, &eco).unwrap();
            prop_assert!(qa.payout <= qb.payout);
            prop_assert!(qb.payout <= vault.collateral);
        }
    }
}
