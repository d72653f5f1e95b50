//! Q80 fixed point (`value = raw / 2^80`) elementary functions: the working precision of the
//! library. Results are accurate to a few units of 2^-80 (about 1e-24) unless stated.

use crate::wide::{div_wide, mul_wide, Float};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Number of fractional bits of the working format.
pub(crate) const FRAC: u32 = 80;
/// 1.0 in Q80.
pub(crate) const ONE: u128 = 1 << FRAC;
/// 0.5 in Q80.
pub(crate) const HALF: u128 = 1 << (FRAC - 1);

// Transcendental constants, round(c * 2^80), from `vectors/generate.py --constants` (mpmath).
/// ln 2.
pub(crate) const LN2: u128 = 837_963_523_372_001_241_319_908;
/// 1 / sqrt(2 pi).
pub(crate) const INV_SQRT_2PI: u128 = 482_291_623_313_231_213_510_445;
/// sqrt(pi / 2).
pub(crate) const SQRT_PI_2: u128 = 1_515_163_820_688_743_036_452_004;
/// 1 / ln 2.
const INV_LN2: u128 = 1_744_111_284_760_651_037_637_904;
/// sqrt 2.
pub(crate) const SQRT2: u128 = 1_709_679_290_002_018_430_137_083;

/// Beyond this |x| the Gaussian tail is below 2^-1000 relative to any input of the library: the
/// normal CDF is exactly 0 or 1 and the density 0.
pub(crate) const GAUSS_CUTOFF: u128 = 40 * ONE;

/// Below this point the Mills ratio comes from the Taylor series, above it from Laplace's
/// continued fraction.
const SERIES_LIMIT: u128 = 3 * ONE;

/// `round(a * b / 2^80)`; the caller guarantees the result fits (inputs bounded by validation).
#[inline]
pub(crate) fn mulq(a: u128, b: u128) -> u128 {
    let (hi, lo) = mul_wide(a, b);
    let (lo, c) = lo.overflowing_add(1 << (FRAC - 1));
    let hi = hi + c as u128;
    (hi << (128 - FRAC)) | (lo >> FRAC)
}

/// Signed `round(a * b / 2^80)`.
#[inline]
pub(crate) fn smulq(a: i128, b: i128) -> i128 {
    let p = mulq(a.unsigned_abs(), b.unsigned_abs()) as i128;
    if (a < 0) != (b < 0) {
        -p
    } else {
        p
    }
}

/// `floor(a * 2^80 / b)`; saturates when the quotient does not fit (never within the documented
/// input ranges).
#[inline]
pub(crate) fn divq(a: u128, b: u128) -> u128 {
    div_wide(a >> (128 - FRAC), a << FRAC, b).unwrap_or(u128::MAX)
}

// The series coefficients are computed rather than kept as constant tables: a Stylus program
// pays for every byte of its data segment on every call (0.75 gas a byte of cached init gas),
// while computing them costs a few dozen gas, once per call that needs them.

/// `round(2^80 / d)`, exactly, for `0 < d < 2^62`: `(ONE + d / 2) / d`, by 32-bit limbs when
/// `d` fits in 32 bits (three 64-bit divisions instead of a call into compiler-builtins).
#[inline]
fn recip(d: u64) -> u128 {
    // Callers pass `d > 0`; saying so removes the divide-by-zero panic paths.
    let d = d.max(1);
    let n = ONE + u128::from(d / 2);
    if d > u64::from(u32::MAX) {
        return n / u128::from(d);
    }
    let (hi, lo) = ((n >> 64) as u64, n as u64);
    let q_hi = hi / d;
    let x = ((hi % d) << 32) | (lo >> 32);
    let q_mid = x / d;
    let x = ((x % d) << 32) | (lo & 0xFFFF_FFFF);
    let q_lo = x / d;
    (u128::from(q_hi) << 64) | u128::from((q_mid << 32) | q_lo)
}

/// `1 / n!` in Q80 for `13 <= n < 21`, whose factorials exceed 32 bits (a 128-bit division
/// by them costs far more than keeping these eight words).
const INV_FACT_HIGH: [u128; 8] = {
    let mut t = [0u128; 8];
    let mut f: u128 = 479_001_600; // 12!
    let mut i = 0;
    while i < 8 {
        f *= 13 + i as u128;
        t[i] = (ONE + f / 2) / f;
        i += 1;
    }
    t
};

/// Coefficients computed once per program call: `1 / (2k + 1)` for `k < 64`, then `1 / n!` for
/// `n < 13`. All-zero at start, so the table lives in zeroed memory, not in the data segment;
/// atomics keep it safe to share between threads on a host (racing fills write equal values).
const ODD_LEN: usize = 64;
const COEFFICIENTS: usize = ODD_LEN + 13;
static TABLE: [AtomicU64; 2 * COEFFICIENTS] = [const { AtomicU64::new(0) }; 2 * COEFFICIENTS];
static TABLE_READY: AtomicBool = AtomicBool::new(false);

#[inline(never)]
fn fill_table() {
    let mut factorial = 1u64;
    for i in 0..COEFFICIENTS {
        let v = if i < ODD_LEN {
            recip(2 * i as u64 + 1)
        } else {
            let n = (i - ODD_LEN) as u64;
            factorial *= n.max(1);
            recip(factorial)
        };
        TABLE[2 * i].store(v as u64, Ordering::Relaxed);
        TABLE[2 * i + 1].store((v >> 64) as u64, Ordering::Relaxed);
    }
    TABLE_READY.store(true, Ordering::Release);
}

#[inline]
fn coefficient(i: usize) -> u128 {
    if !TABLE_READY.load(Ordering::Acquire) {
        fill_table();
    }
    let lo = TABLE[2 * i].load(Ordering::Relaxed);
    let hi = TABLE[2 * i + 1].load(Ordering::Relaxed);
    (u128::from(hi) << 64) | u128::from(lo)
}

/// `1 / n!` in Q80 for `n < 21` (rounded).
#[inline]
fn inv_fact(n: u32) -> u128 {
    if n >= 13 {
        return INV_FACT_HIGH[(n - 13) as usize];
    }
    coefficient(ODD_LEN + n as usize)
}

/// `1 / (2k + 1)` in Q80 (rounded), `k < 64`.
#[inline]
fn inv_odd(k: u32) -> u128 {
    coefficient(k as usize)
}

/// `e^x` for Q80 `x` as a soft float. `x` must satisfy `|x| < 2^46` (any Q80 `i128` with a
/// reasonable exponent; the library never passes more than a few thousand).
#[inline(never)]
pub(crate) fn exp(x: i128) -> Float {
    // x = k ln2 + r with |r| <= ln2 / 2 (plus a rounding unit, harmless): k by multiplying with
    // 1/ln2 rather than dividing, which costs a call into compiler-builtins.
    let k = (smulq(x, INV_LN2 as i128) + HALF as i128) >> FRAC;
    let r = x - k * LN2 as i128;
    // Taylor series in Horner form; |r| <= 0.35 so 21 terms leave < 1e-26.
    let mut acc: i128 = inv_fact(20) as i128;
    let mut n = 20;
    while n > 0 {
        n -= 1;
        acc = inv_fact(n) as i128 + smulq(acc, r);
    }
    // acc is e^r in (0.70, 1.42): positive.
    Float::new(acc as u128, k as i32 - FRAC as i32)
}

/// `ln(x)` for a positive integer `x`, in Q80. Accurate to ~2^-80 absolute.
#[inline(never)]
pub(crate) fn ln_int(x: u128) -> i128 {
    // x = 2^n * y, y in [1/sqrt2, sqrt2): ln x = n ln2 + 2 atanh((y - 1) / (y + 1)).
    let mut n = 127 - x.leading_zeros() as i32;
    let mut y = if n >= FRAC as i32 {
        // Keep one rounding bit for the dropped low bits.
        let sh = n as u32 - FRAC;
        if sh == 0 {
            x
        } else {
            (x >> sh) + ((x >> (sh - 1)) & 1)
        }
    } else {
        x << (FRAC as i32 - n) as u32
    };
    if y > SQRT2 {
        // y / 2 in Q80 is y with the exponent bumped: handled through n.
        n += 1;
        y >>= 1;
    }
    ln2_shifted(n) + ln_near_one(y)
}

/// `n * ln 2` in Q80.
fn ln2_shifted(n: i32) -> i128 {
    n as i128 * LN2 as i128
}

/// `ln(y)` for Q80 `y` in about [0.7, 1.42].
fn ln_near_one(y: u128) -> i128 {
    let (num, neg) = if y >= ONE {
        (y - ONE, false)
    } else {
        (ONE - y, true)
    };
    let z = divq(num, y + ONE);
    let w = mulq(z, z);
    // atanh(z) / z = sum w^k / (2k + 1); z <= 0.172, w <= 0.0295: 20 terms reach 1e-30.
    let mut acc = inv_odd(19);
    let mut k = 19;
    while k > 0 {
        k -= 1;
        acc = inv_odd(k) + mulq(acc, w);
    }
    let v = 2 * mulq(z, acc) as i128;
    if neg {
        -v
    } else {
        v
    }
}

/// `e^(-x^2 / 2)` for Q80 `x` with `|x| <= GAUSS_CUTOFF`, as a soft float.
#[inline(never)]
pub(crate) fn gauss(x: u128) -> Float {
    let half_sq = mulq(x, x) >> 1;
    exp(-(half_sq as i128))
}

/// The standard normal density `phi(x)` as a soft float; zero beyond the cut-off.
#[inline(never)]
pub(crate) fn pdf(x: i128) -> Float {
    let a = x.unsigned_abs();
    if a >= GAUSS_CUTOFF {
        return Float::ZERO;
    }
    gauss(a).mul(Float::new(INV_SQRT_2PI, -(FRAC as i32)))
}

/// `sum_{n>=0} x^(2n+1) / (2n+1)!!` in Q80, for `0 <= x <= 3`.
#[inline(never)]
fn odd_series(x: u128) -> u128 {
    let w = mulq(x, x);
    let mut term = x;
    let mut sum = x;
    // For x <= 3 the terms fall below 2^-80 by k = 60 (3^121 / 121!! < 1e-26).
    for k in 1..64 {
        term = mulq(mulq(term, w), inv_odd(k));
        if term == 0 {
            break;
        }
        sum += term;
    }
    sum
}

/// Laplace's continued fraction for the Mills ratio, `x >= 3` in Q80:
/// `R(x) = 1 / (x + 1 / (x + 2 / (x + 3 / ...)))`, evaluated bottom-up as a ratio `q / p`
/// so that the loop needs no division.
#[inline(never)]
fn mills_cf(x: u128) -> u128 {
    // Terms for a relative error below 1e-24 (checked against mpmath over [3, 100]); 32-bit
    // arithmetic, as 128-bit division is a call into compiler-builtins.
    let xi = (x >> FRAC).min(31) as u32;
    let n = 12 + 900 / (xi * xi).max(1);
    let mut p = x;
    let mut q = ONE;
    let mut k = n;
    // k <= 112 and q < 2^110: the product stays below 2^117.
    while k > 0 {
        let np = mulq(x, p) + mul_small(q, k);
        q = p;
        p = np;
        // Keep the pair inside 2^110 so that the next step cannot overflow.
        if p >> 110 != 0 {
            p >>= 32;
            q >>= 32;
        }
        k -= 1;
    }
    divq(q, p)
}

/// `q * k` for a small `k`, on 32-bit limbs (no 128-bit multiply call); `q * k < 2^128`.
fn mul_small(q: u128, k: u32) -> u128 {
    const M: u64 = u32::MAX as u64;
    let k = k as u64;
    let mut out: u128 = 0;
    let mut carry = 0u64;
    for i in 0..4 {
        let t = ((q >> (32 * i)) as u64 & M) * k + carry;
        out |= ((t & M) as u128) << (32 * i);
        carry = t >> 32;
    }
    out
}

/// The Mills ratio `R(x) = (1 - N(x)) / phi(x)` for Q80 `x >= 0`, with ~1e-23 relative error.
#[inline(never)]
pub(crate) fn mills(x: u128) -> u128 {
    if x <= SERIES_LIMIT {
        // R(x) = sqrt(pi/2) e^(x^2/2) - sum x^(2n+1)/(2n+1)!!
        let half_sq = mulq(x, x) >> 1;
        let e = exp(half_sq as i128)
            .mul(Float::new(SQRT_PI_2, -(FRAC as i32)))
            .shl(FRAC as i32);
        // e^(4.5) * 1.26 < 2^7: fits in Q80.
        e.to_u128().unwrap_or(u128::MAX) - odd_series(x)
    } else {
        mills_cf(x)
    }
}

/// Upper tail `1 - N(x)` for Q80 `x >= 0`, in Q80 (absolute precision ~1e-24).
#[inline(never)]
pub(crate) fn upper_tail(x: u128) -> u128 {
    if x >= GAUSS_CUTOFF {
        return 0;
    }
    let phi = pdf(x as i128);
    if x <= SERIES_LIMIT {
        // 1 - N(x) = 1/2 - phi(x) * sum x^(2n+1)/(2n+1)!!, no cancellation in the sum.
        let s = phi.mul(Float::new(odd_series(x), 0)).to_u128().unwrap_or(0);
        HALF.saturating_sub(s)
    } else {
        phi.mul(Float::new(mills_cf(x), 0)).to_u128().unwrap_or(0)
    }
}

/// Upper tail `1 - N(x)` for Q80 `x >= 0` as a soft float, with relative precision (~1e-22)
/// however small it is.
#[inline(never)]
pub(crate) fn upper_tail_float(x: u128) -> Float {
    if x >= GAUSS_CUTOFF {
        return Float::ZERO;
    }
    pdf(x as i128).mul(Float::new(mills(x), -(FRAC as i32)))
}

/// The standard normal CDF `N(x)` for signed Q80 `x`, in Q80.
#[inline(never)]
pub(crate) fn cdf(x: i128) -> u128 {
    let t = upper_tail(x.unsigned_abs());
    if x >= 0 {
        ONE - t
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_f(x: i128) -> f64 {
        x as f64 / ONE as f64
    }

    #[test]
    fn coefficients_are_the_rounded_reciprocals() {
        let rounded = |d: u128| (ONE + d / 2) / d;
        let mut f = 1u128;
        for n in 0..21u32 {
            if n > 0 {
                f *= u128::from(n);
            }
            assert_eq!(inv_fact(n), rounded(f), "1/{n}!");
        }
        for k in 0..64u32 {
            assert_eq!(inv_odd(k), rounded(2 * u128::from(k) + 1), "1/(2*{k}+1)");
        }
        for d in [
            1u64,
            2,
            3,
            7,
            u32::MAX as u64,
            u32::MAX as u64 + 1,
            (1 << 62) - 1,
        ] {
            assert_eq!(recip(d), rounded(u128::from(d)), "1/{d}");
        }
    }

    #[test]
    fn constants_match_float() {
        assert!((to_f(LN2 as i128) - core::f64::consts::LN_2).abs() < 1e-15);
        assert!((to_f(SQRT2 as i128) - core::f64::consts::SQRT_2).abs() < 1e-15);
        let c = 1.0 / (2.0 * core::f64::consts::PI).sqrt();
        assert!((to_f(INV_SQRT_2PI as i128) - c).abs() < 1e-15);
        assert!((to_f(SQRT_PI_2 as i128) - (core::f64::consts::PI / 2.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn ln_of_powers_of_two_is_exact_multiple() {
        for n in 0..127 {
            assert_eq!(ln_int(1u128 << n), n as i128 * LN2 as i128, "n = {n}");
        }
    }

    #[test]
    fn exp_of_zero_is_one() {
        assert_eq!(exp(0).shl(FRAC as i32).to_u128(), Some(ONE));
    }

    #[test]
    fn mills_is_continuous_at_the_switch() {
        let a = mills(SERIES_LIMIT);
        let b = mills_cf(SERIES_LIMIT);
        assert!(a.abs_diff(b) < 1 << 16, "{a} vs {b}");
    }

    #[test]
    fn cdf_symmetry() {
        for i in -50i128..50 {
            let x = i * ONE as i128 / 7;
            assert_eq!(cdf(x) + cdf(-x), ONE);
        }
    }
}
