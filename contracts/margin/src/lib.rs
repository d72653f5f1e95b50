//! Margin math of the collateral escrow, pure and `no_std` so the keeper can run the same numbers.
//!
//! Units: strikes and prices carry 18 decimals ([`WAD`]); option amounts carry 18 decimals;
//! collateral is in the token's own units ("raw"), with `scale = 10^(18 - decimals)` the factor
//! that turns raw units into 18-decimal value. A put is collateralised in the strike asset and pays
//! `(K - P)+` per option; a call is collateralised in the underlying and pays `(P - K)+ / P`.
//!
//! Every amount the escrow asks for rounds up, every amount it pays rounds down, and each is
//! computed in one expression from exact inputs (two successive floor, or ceil, divisions by
//! integers equal one), so decimals are normalised once, at the end.
//!
//! Naked margin follows Opyn Gamma's spot shock × time-bucket upper bound: it needs no external
//! call (custody keeps working when the pricing engine is upgraded or down), no volatility input
//! that could be manipulated, costs a few multiplications, and is monotone in spot, which keeps
//! liquidation predictable for keepers. Its parameters are governed and bounded by the escrow.
#![no_std]

use alloy_primitives::U256;

/// 1.0 in 18-decimal fixed point.
pub const WAD: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

/// Why a margin computation could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarginError {
    /// An intermediate product does not fit in 256 bits.
    Overflow,
    /// No governed time bucket covers the time to expiry.
    NoTimeBucket,
    /// A division by zero (zero price, zero scale or zero debt).
    Zero,
}

/// Result of the margin functions.
pub type Result<T> = core::result::Result<T, MarginError>;

/// Direction of a rounding: requirements go up, payouts go down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    Down,
    Up,
}

/// Whether a series is a put (strike-asset collateral) or a call (underlying collateral).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Put,
    Call,
}

/// The part of a series the margin math needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    pub kind: Kind,
    /// Strike price, `WAD`-scaled.
    pub strike: U256,
}

/// `a * b / d`, rounded as asked.
pub fn mul_div(a: U256, b: U256, d: U256, rounding: Rounding) -> Result<U256> {
    let p = a.checked_mul(b).ok_or(MarginError::Overflow)?;
    div(p, d, rounding)
}

/// `a / d`, rounded as asked.
pub fn div(a: U256, d: U256, rounding: Rounding) -> Result<U256> {
    if d.is_zero() {
        return Err(MarginError::Zero);
    }
    let (q, r) = div_rem(a, d);
    Ok(if rounding == Rounding::Up && !r.is_zero() {
        q + U256::ONE
    } else {
        q
    })
}

/// Quotient and remainder by binary long division (`d > 0`). A few hundred bytes of WASM
/// instead of the general 256-bit division (about 9 KB); at most 256 cheap steps.
fn div_rem(a: U256, d: U256) -> (U256, U256) {
    if a < d {
        return (U256::ZERO, a);
    }
    let shift = d.leading_zeros() - a.leading_zeros();
    let (mut q, mut r, mut step) = (U256::ZERO, a, d << shift);
    for i in (0..=shift).rev() {
        if r >= step {
            r -= step;
            q.set_bit(i, true);
        }
        step >>= 1;
    }
    (q, r)
}

/// `10^(18 - decimals)`: raw token units to 18-decimal value. `None` above 18 decimals.
pub fn scale_for_decimals(decimals: u8) -> Option<U256> {
    if decimals > 18 {
        return None;
    }
    Some(U256::from(10u64).pow(U256::from(18 - decimals)))
}

/// Collateral (raw units) that `amount` options of a series are worth at settlement price `price`.
pub fn settlement_amount(
    terms: Terms,
    price: U256,
    amount: U256,
    scale: U256,
    rounding: Rounding,
) -> Result<U256> {
    let Terms { kind, strike } = terms;
    let value = match kind {
        Kind::Put => mul_div(amount, strike.saturating_sub(price), WAD, rounding)?,
        Kind::Call => {
            if price <= strike {
                return Ok(U256::ZERO);
            }
            mul_div(amount, price - strike, price, rounding)?
        }
    };
    div(value, scale, rounding)
}

/// Collateral (raw units) a fully collateralised vault must hold: the largest loss over every
/// settlement price of `short_amount` written at `short_strike` net of `long_amount` held at
/// `long_strike` (same kind and expiry).
///
/// The payoff is piecewise linear in `P` (puts) or in `1/P` (calls, in underlying units), so the
/// maximum sits at `P = 0`, at a strike, or at `P → ∞`. Settlement rounds the short liability up
/// and the long payout down, each at most one raw unit off, hence one unit of slack with a long.
pub fn spread_requirement(
    kind: Kind,
    short_strike: U256,
    short_amount: U256,
    long_strike: U256,
    long_amount: U256,
    scale: U256,
) -> Result<U256> {
    let value = match kind {
        Kind::Put => {
            let at_zero = short_amount
                .checked_mul(short_strike)
                .ok_or(MarginError::Overflow)?
                .saturating_sub(
                    long_amount
                        .checked_mul(long_strike)
                        .ok_or(MarginError::Overflow)?,
                );
            let at_long_strike = short_amount
                .checked_mul(short_strike.saturating_sub(long_strike))
                .ok_or(MarginError::Overflow)?;
            div(at_zero.max(at_long_strike), WAD, Rounding::Up)?
        }
        Kind::Call => {
            let at_infinity = short_amount.saturating_sub(long_amount);
            let at_long_strike = if long_amount.is_zero() || long_strike <= short_strike {
                U256::ZERO
            } else {
                mul_div(
                    short_amount,
                    long_strike - short_strike,
                    long_strike,
                    Rounding::Up,
                )?
            };
            at_infinity.max(at_long_strike)
        }
    };
    let raw = div(value, scale, Rounding::Up)?;
    if long_amount.is_zero() || short_amount.is_zero() {
        Ok(raw)
    } else {
        raw.checked_add(U256::from(1)).ok_or(MarginError::Overflow)
    }
}

/// Governed naked-margin parameters of one underlying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NakedParams<'a> {
    /// Spot shock, `WAD`-scaled, in `(0, 1]`: puts are margined at `spot * shock`, calls at
    /// `spot / shock`.
    pub shock: U256,
    /// `(max seconds to expiry, upper bound of the option price as a fraction of the collateral
    /// at risk)`, ascending in time.
    pub buckets: &'a [(u64, U256)],
}

/// Upper bound for an option with `tau` seconds left: the first bucket that covers `tau`.
pub fn upper_bound(buckets: &[(u64, U256)], tau: u64) -> Result<U256> {
    buckets
        .iter()
        .find(|(max_tau, _)| tau <= *max_tau)
        .map(|(_, ub)| *ub)
        .ok_or(MarginError::NoTimeBucket)
}

/// Collateral (raw units) a naked vault short `amount` options must hold at spot `spot` with
/// `tau` seconds to expiry: `amount * (UB(tau) * a + b)`, with, for a put, `a = min(K, shock*S)`,
/// `b = (K - shock*S)+` and, for a call (in underlying), `a = min(1, K*shock/S)`, `b = 1 - a`.
pub fn naked_requirement(
    terms: Terms,
    amount: U256,
    spot: U256,
    tau: u64,
    params: &NakedParams<'_>,
    scale: U256,
) -> Result<U256> {
    let ub = upper_bound(params.buckets, tau)?;
    // The shocked quantity is rounded towards the larger requirement.
    let Terms { kind, strike } = terms;
    let (a, b) = match kind {
        Kind::Put => {
            let shocked = mul_div(spot, params.shock, WAD, Rounding::Down)?;
            let a = strike.min(shocked);
            (a, strike - a)
        }
        Kind::Call => {
            let ratio = mul_div(strike, params.shock, spot, Rounding::Down)?;
            let a = WAD.min(ratio);
            (a, WAD - a)
        }
    };
    let per_option = mul_div(ub, a, WAD, Rounding::Up)?
        .checked_add(b)
        .ok_or(MarginError::Overflow)?;
    let value = mul_div(amount, per_option, WAD, Rounding::Up)?;
    div(value, scale, Rounding::Up)
}

/// Governed auction parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuctionParams {
    /// Seconds over which the price rises from its start to collateral/debt.
    pub duration: u64,
    /// Start discount below the cash value, as a `WAD` fraction of spot (puts) or of one unit of
    /// underlying (calls).
    pub discount: U256,
}

/// Collateral (raw units per whole option, i.e. per `WAD` of option amount) a liquidator receives,
/// `elapsed` seconds into the auction of a vault holding `collateral` against `debt` options.
///
/// Starts at the cash value at `spot` less the discount, rises linearly to `collateral / debt`;
/// an insolvent vault (start above the end) is sold at `collateral / debt` at once.
pub fn auction_price(
    terms: Terms,
    spot: U256,
    collateral: U256,
    debt: U256,
    elapsed: u64,
    params: &AuctionParams,
    scale: U256,
) -> Result<U256> {
    let Terms { kind, strike } = terms;
    let end = mul_div(collateral, WAD, debt, Rounding::Down)?;
    let (cash, discount) = match kind {
        Kind::Put => (
            strike.saturating_sub(spot),
            mul_div(params.discount, spot, WAD, Rounding::Up)?,
        ),
        Kind::Call => (
            if spot <= strike {
                U256::ZERO
            } else {
                mul_div(spot - strike, WAD, spot, Rounding::Down)?
            },
            params.discount,
        ),
    };
    let start = div(cash.saturating_sub(discount), scale, Rounding::Down)?;
    if start >= end || elapsed >= params.duration {
        return Ok(end);
    }
    let rise = mul_div(
        end - start,
        U256::from(elapsed),
        U256::from(params.duration),
        Rounding::Down,
    )?;
    Ok(start + rise)
}

/// Collateral (raw units) paid for `amount` of a vault's `debt` at auction price `price`,
/// rounded down. At the end price the share is taken exactly (`amount * collateral / debt`), so
/// repaying the whole debt takes the whole collateral and leaves no stranded dust.
pub fn auction_payout(amount: U256, price: U256, collateral: U256, debt: U256) -> Result<U256> {
    if price >= mul_div(collateral, WAD, debt, Rounding::Down)? {
        return mul_div(amount, collateral, debt, Rounding::Down);
    }
    mul_div(amount, price, WAD, Rounding::Down)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod division {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn long_division_matches_ruint(a in any::<[u64; 4]>(), d in any::<[u64; 4]>(), shift in 0usize..256) {
            let (a, d) = (U256::from_limbs(a), U256::from_limbs(d) >> shift);
            prop_assume!(!d.is_zero());
            prop_assert_eq!(div_rem(a, d), (a / d, a % d));
            prop_assert_eq!(div(a, d, Rounding::Up).unwrap(), a.div_ceil(d));
        }
    }
}
