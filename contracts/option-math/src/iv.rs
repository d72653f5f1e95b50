//! Implied volatility: the volatility at which the model reproduces a price.

use crate::bs::{Expiry, Kind};
use crate::wide::Float;
use crate::{MathError, MAX_VOL, MIN_VOL, WAD};

/// Iteration budget. Safeguarded Newton halves the bracket at worst, and 2^64 > MAX_VOL, so the
/// bracket shrinks to one unit well within it.
const MAX_ITERATIONS: u32 = 100;

/// The volatility (1e18 scale) at which `kind` is worth `price`.
///
/// Works on the out-of-the-money leg (an in-the-money target is converted by put-call parity),
/// whose price increases strictly with volatility. Newton steps on vega, kept inside a bracket
/// that shrinks by bisection whenever a step would leave it. Stops when the model price is
/// within one unit of the target or the bracket is one unit wide, and returns the bracket end
/// whose price is closest.
///
/// Errors: the input validation of [`Expiry::new`], [`MathError::Expired`] at `time == 0`,
/// [`MathError::PriceOutOfBounds`] when no volatility in [`MIN_VOL`]..=[`MAX_VOL`] gives the
/// price, [`MathError::NoConvergence`] if the budget runs out.
pub fn implied_vol(
    spot: u128,
    strike: u128,
    time: u64,
    rate: i128,
    kind: Kind,
    price: u128,
) -> Result<u128, MathError> {
    if time == 0 {
        Expiry::new(spot, time, MIN_VOL, rate)?.pv_strike(strike)?;
        return Err(MathError::Expired);
    }
    let lo_e = Expiry::new(spot, time, MIN_VOL, rate)?;
    let hi_e = lo_e.with_vol(MAX_VOL)?;
    let q_lo = lo_e.quote(strike)?;
    let q_hi = hi_e.quote(strike)?;
    let (lower, upper) = (q_lo.price(kind), q_hi.price(kind));
    if price <= lower || price >= upper {
        // At the ends the target may equal a bound exactly (a price from this library at
        // MIN_VOL or MAX_VOL): accept it.
        if price == lower {
            return Ok(MIN_VOL);
        }
        if price == upper {
            return Ok(MAX_VOL);
        }
        return Err(MathError::PriceOutOfBounds {
            price,
            lower,
            upper,
        });
    }
    // Convert to the out-of-the-money leg: prices of both legs differ by the same constant at
    // every volatility.
    let call_otm = spot < q_lo.pv_strike;
    let otm_kind = if call_otm { Kind::Call } else { Kind::Put };
    let target = if otm_kind == kind {
        price
    } else {
        price - spot.abs_diff(q_lo.pv_strike)
    };

    let (mut lo, mut hi) = (MIN_VOL, MAX_VOL);
    let (mut lo_err, mut hi_err) = (target - q_lo.price(otm_kind), q_hi.price(otm_kind) - target);
    // Start at the at-the-money approximation sigma ~ sqrt(2 pi / T) * V / X, clamped.
    let mut vol = initial_guess(&lo_e, otm_kind, q_lo.pv_strike, target).clamp(lo + 1, hi - 1);
    for _ in 0..MAX_ITERATIONS {
        let e = lo_e.with_vol(vol)?;
        let q = e.quote(strike)?;
        let v = q.price(otm_kind);
        if v.abs_diff(target) <= 1 {
            return Ok(vol);
        }
        if v < target {
            lo = vol;
            lo_err = target - v;
        } else {
            hi = vol;
            hi_err = v - target;
        }
        if hi - lo <= 1 {
            return Ok(if lo_err <= hi_err { lo } else { hi });
        }
        // Newton step: d vol = (target - v) / vega, in WAD of volatility.
        let diff = Float::new(target.abs_diff(v), 0).mul(Float::new(WAD, 0));
        let step = diff
            .div(e.vega_float(&q))
            .and_then(Float::to_u128)
            .unwrap_or(u128::MAX);
        let next = if v < target {
            vol.saturating_add(step)
        } else {
            vol.saturating_sub(step)
        };
        vol = if next > lo && next < hi {
            next
        } else {
            lo + (hi - lo) / 2
        };
    }
    Err(MathError::NoConvergence {
        iterations: MAX_ITERATIONS,
    })
}

/// Brenner-Subrahmanyam: `V ~ X sigma sqrt(T) / sqrt(2 pi)` at the money.
fn initial_guess(e: &Expiry, otm_kind: Kind, pv_strike: u128, target: u128) -> u128 {
    // sqrt(2 pi) * 1e18
    const SQRT_2PI_WAD: u128 = 2_506_628_274_631_000_502;
    let x = match otm_kind {
        Kind::Call => e.spot(),
        Kind::Put => pv_strike,
    };
    let years_sqrt = crate::sqrt((e.time() as u128 * WAD) / crate::YEAR as u128);
    Float::new(target, 0)
        .mul(Float::new(SQRT_2PI_WAD, 0))
        .mul(Float::new(WAD, 0))
        .div(Float::new(x, 0).mul(Float::new(years_sqrt, 0)))
        .and_then(Float::to_u128)
        .unwrap_or(MAX_VOL)
}
