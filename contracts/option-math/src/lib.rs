//! Fixed-point Black-Scholes for Stylus: exact, fast, `no_std`, no floating point.
//!
//! Every public value is an integer at the protocol's 1e18 scale ("WAD"): prices, strikes,
//! volatilities, rates and Greeks. Time to expiry is a whole number of seconds; a year is
//! 365 days ([`YEAR`]). Internally the library works in Q80 fixed point (2^-80 ≈ 8e-25) and,
//! where a quantity can be astronomically small or large (Gaussian tails, Greeks at extreme
//! inputs), in a 128-bit-mantissa soft float, so results are exact to the last unit of the
//! output scale across the documented input range ([`MIN_PRICE`]..[`MAX_PRICE`] for spot and
//! strike, 0..=[`MAX_TIME`] for time, [`MIN_VOL`]..=[`MAX_VOL`] for volatility, ±[`MAX_RATE`]
//! for the continuously compounded rate).
//!
//! How the price is formed (see [`Quote`]): the out-of-the-money leg is computed directly from
//! the Mills ratio `R(x) = (1 - N(x)) / φ(x)`, as `X φ(a) (R(a) - R(a + σ√T))` with
//! `a = |ln(F/K)| / σ√T - σ√T/2` and `X` the spot (call) or discounted strike (put). That form has
//! no catastrophic cancellation, so deep out-of-the-money prices keep their relative precision.
//! The in-the-money leg is derived from it by put-call parity, `C - P = S - round(K e^{-rT})`,
//! which therefore holds exactly in integers. Greeks follow the same rule: the leg whose
//! probability is the small one is computed from its tail, the other by differentiating parity.
//!
//! Accuracy (tests/vectors.rs against 60-digit mpmath, `vectors/generate.py`): `ln`, `exp`,
//! `norm_cdf`, `norm_pdf` correctly rounded (error < 0.5 unit of 1e-18, `exp` up to 1e-20
//! relative for large results), `sqrt` rounded down; prices and Greeks within 2.6 units of 1e-18
//! over the market range and at most 1e-12 relative (1e-10 for Greeks) plus 4 units anywhere in
//! the documented range. The weakest corner is a tiny `σ√T` (seconds to expiry at 0.01% vol),
//! where `R(a) - R(a + σ√T)` cancels: about 1e-15 relative there.
#![no_std]

mod bs;
mod fixed;
mod iv;
mod wide;

pub use bs::{greeks, price, price_and_greeks, Expiry, Greeks, Kind, Quote};
pub use iv::implied_vol;

use fixed::{FRAC, ONE};
use wide::{mul_div_round, Float};

/// 1.0 at the output scale.
pub const WAD: u128 = 1_000_000_000_000_000_000;
/// Seconds in the year used to annualise time (365 days).
pub const YEAR: u64 = 365 * 86_400;
/// Smallest accepted spot or strike (1e-12 units).
pub const MIN_PRICE: u128 = 1_000_000;
/// Largest accepted spot or strike (1e12 units).
pub const MAX_PRICE: u128 = 1_000_000_000_000 * WAD;
/// Longest accepted time to expiry (10 years).
pub const MAX_TIME: u64 = 10 * YEAR;
/// Smallest accepted volatility (0.01% a year).
pub const MIN_VOL: u128 = WAD / 10_000;
/// Largest accepted volatility (1000% a year).
pub const MAX_VOL: u128 = 10 * WAD;
/// Largest accepted absolute interest rate (100% a year).
pub const MAX_RATE: u128 = WAD;

/// Largest |x| accepted by [`exp`]: e^x must fit in a `u128` at the 1e18 scale.
pub const MAX_EXP_ARG: i128 = 47 * WAD as i128;

/// Why a computation was refused. Each variant carries the values that explain it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathError {
    /// Spot outside [`MIN_PRICE`]..=[`MAX_PRICE`].
    InvalidSpot(u128),
    /// Strike outside [`MIN_PRICE`]..=[`MAX_PRICE`].
    InvalidStrike(u128),
    /// Time to expiry above [`MAX_TIME`].
    InvalidTime(u64),
    /// Volatility outside [`MIN_VOL`]..=[`MAX_VOL`].
    InvalidVolatility(u128),
    /// Rate outside ±[`MAX_RATE`].
    InvalidRate(i128),
    /// Argument outside a function's domain (`ln` of a non-positive number, `exp` above
    /// [`MAX_EXP_ARG`]).
    OutOfDomain(i128),
    /// Implied volatility asked for an expired option (`time == 0`).
    Expired,
    /// The target price is not reachable by any volatility in the accepted range: it must lie
    /// strictly between `lower` and `upper` (the prices at [`MIN_VOL`] and [`MAX_VOL`]).
    PriceOutOfBounds {
        /// The target price.
        price: u128,
        /// Price at the smallest volatility.
        lower: u128,
        /// Price at the largest volatility.
        upper: u128,
    },
    /// The implied-volatility iteration did not meet its tolerance.
    NoConvergence {
        /// Iterations run.
        iterations: u32,
    },
    /// A result does not fit its output type (unreachable in the documented range).
    Overflow,
}

/// Natural logarithm of a positive WAD number, as a signed WAD number (rounded to nearest).
pub fn ln(x: u128) -> Result<i128, MathError> {
    if x == 0 {
        return Err(MathError::OutOfDomain(0));
    }
    // ln(x / 1e18) = ln(x) - ln(1e18), both in Q80.
    let v = fixed::ln_int(x) - LN_WAD;
    Ok(q80_to_wad(v))
}

/// `ln(1e18)` in Q80 (mpmath, see `vectors/generate.py --constants`).
const LN_WAD: i128 = 50_105_782_274_044_568_689_305_708;

/// `e^x` of a signed WAD number, as a WAD number (rounded to nearest). Arguments above
/// [`MAX_EXP_ARG`] are refused; very negative ones give 0.
pub fn exp(x: i128) -> Result<u128, MathError> {
    if x > MAX_EXP_ARG {
        return Err(MathError::OutOfDomain(x));
    }
    if x < -(MAX_EXP_ARG * 2) {
        // e^-94 * 1e18 < 1e-22: rounds to zero.
        return Ok(0);
    }
    let e = fixed::exp(wad_to_q80(x));
    e.mul(Float::new(WAD, 0))
        .to_u128()
        .ok_or(MathError::Overflow)
}

/// Square root of a WAD number, as a WAD number (rounded down).
pub fn sqrt(x: u128) -> u128 {
    // sqrt(x / 1e18) * 1e18 = sqrt(x * 1e18).
    let (hi, lo) = wide::mul_wide(x, WAD);
    wide::isqrt_wide(hi, lo)
}

/// Standard normal cumulative distribution `N(x)` of a signed WAD number, as WAD (nearest).
pub fn norm_cdf(x: i128) -> u128 {
    q80_to_wad(fixed::cdf(wad_to_q80(x)) as i128) as u128
}

/// Standard normal density `φ(x)` of a signed WAD number, as WAD (nearest).
pub fn norm_pdf(x: i128) -> u128 {
    fixed::pdf(wad_to_q80(x))
        .mul(Float::new(WAD, 0))
        .to_u128()
        .unwrap_or(0)
}

/// WAD to Q80 (nearest), saturating far outside any domain used.
fn wad_to_q80(x: i128) -> i128 {
    let v = mul_div_round(x.unsigned_abs(), ONE, WAD)
        .map(|v| v.min(i128::MAX as u128) as i128)
        .unwrap_or(i128::MAX);
    if x < 0 {
        -v
    } else {
        v
    }
}

/// Q80 to WAD (nearest).
fn q80_to_wad(x: i128) -> i128 {
    // |x| < 2^127 and WAD < 2^60: the quotient by 2^80 fits.
    let v = mul_div_round(x.unsigned_abs(), WAD, 1 << FRAC).unwrap_or(u128::MAX) as i128;
    if x < 0 {
        -v
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elementary_values() {
        assert_eq!(ln(WAD), Ok(0));
        assert_eq!(ln(0), Err(MathError::OutOfDomain(0)));
        assert_eq!(exp(0), Ok(WAD));
        assert_eq!(sqrt(4 * WAD), 2 * WAD);
        assert_eq!(sqrt(0), 0);
        assert_eq!(norm_cdf(0), WAD / 2);
        assert_eq!(
            exp(MAX_EXP_ARG + 1),
            Err(MathError::OutOfDomain(MAX_EXP_ARG + 1))
        );
        assert!(exp(MAX_EXP_ARG).is_ok());
        assert_eq!(exp(i128::MIN), Ok(0));
        assert_eq!(norm_cdf(i128::MAX), WAD);
        assert_eq!(norm_cdf(i128::MIN + 1), 0);
        assert_eq!(norm_pdf(i128::MAX), 0);
    }
}
