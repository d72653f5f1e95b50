//! 256-bit intermediate products and a minimal positive soft float.
//!
//! Every routine here is exact or truncates/rounds in a documented way; none panics.

/// Full 256-bit product of two `u128`, as `(high, low)`.
///
/// Schoolbook on 32-bit limbs with 64-bit partial products: wasm32 has no 64x64->128 multiply,
/// and this form needs no call into compiler-builtins' `__multi3` (a `call` costs as much ink as
/// twenty multiplications on Stylus).
#[inline(never)]
pub(crate) fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const M: u64 = u32::MAX as u64;
    let x = [
        a as u64 & M,
        (a >> 32) as u64 & M,
        (a >> 64) as u64 & M,
        (a >> 96) as u64,
    ];
    let y = [
        b as u64 & M,
        (b >> 32) as u64 & M,
        (b >> 64) as u64 & M,
        (b >> 96) as u64,
    ];
    let mut r = [0u64; 8];
    for i in 0..4 {
        let mut carry = 0u64;
        for j in 0..4 {
            // (2^32 - 1)^2 + 2 (2^32 - 1) = 2^64 - 1: no overflow.
            let t = x[i] * y[j] + r[i + j] + carry;
            r[i + j] = t & M;
            carry = t >> 32;
        }
        r[i + 4] = carry;
    }
    let join = |l: &[u64]| {
        (l[0] as u128) | ((l[1] as u128) << 32) | ((l[2] as u128) << 64) | ((l[3] as u128) << 96)
    };
    (join(&r[4..8]), join(&r[0..4]))
}

/// `floor((hi * 2^128 + lo) / d)`, or `None` when `d == 0` or the quotient does not fit in
/// 128 bits (`hi >= d`). Two-digit schoolbook division in base 2^64 (Knuth D, as in
/// Hacker's Delight `divlu`).
#[inline(never)]
pub(crate) fn div_wide(hi: u128, lo: u128, d: u128) -> Option<u128> {
    if d == 0 || hi >= d {
        return None;
    }
    if hi == 0 {
        return Some(lo / d);
    }
    const B: u128 = 1 << 64;
    const M: u128 = u64::MAX as u128;
    let s = d.leading_zeros();
    let v = d << s;
    let (vn1, vn0) = (v >> 64, v & M);
    // hi < d, so shifting by s keeps the top digit pair within 128 bits.
    let un32 = if s == 0 {
        hi
    } else {
        (hi << s) | (lo >> (128 - s))
    };
    let un10 = lo << s;
    let (un1, un0) = (un10 >> 64, un10 & M);

    // `vn1 >= 2^63` (v is normalised): the checked divisions never fail, and carry no panic path.
    let mut q1 = un32.checked_div(vn1)?;
    let mut rhat = un32 - q1 * vn1;
    while q1 >= B || q1 * vn0 > (rhat << 64) + un1 {
        q1 -= 1;
        rhat += vn1;
        if rhat >= B {
            break;
        }
    }
    let un21 = (un32 << 64)
        .wrapping_add(un1)
        .wrapping_sub(q1.wrapping_mul(v));

    let mut q0 = un21.checked_div(vn1)?;
    let mut rhat = un21 - q0 * vn1;
    while q0 >= B || q0 * vn0 > (rhat << 64) + un0 {
        q0 -= 1;
        rhat += vn1;
        if rhat >= B {
            break;
        }
    }
    Some((q1 << 64) | q0)
}

/// `round(a * b / d)` (half up), `None` on overflow or `d == 0`.
#[inline]
pub(crate) fn mul_div_round(a: u128, b: u128, d: u128) -> Option<u128> {
    let (hi, lo) = mul_wide(a, b);
    let (lo, carry) = lo.overflowing_add(d >> 1);
    div_wide(hi + carry as u128, lo, d)
}

/// `floor(sqrt(hi * 2^128 + lo))` by Newton's method from above.
#[inline(never)]
pub(crate) fn isqrt_wide(hi: u128, lo: u128) -> u128 {
    let bits = if hi != 0 {
        256 - hi.leading_zeros()
    } else {
        128 - lo.leading_zeros()
    };
    if bits == 0 {
        return 0;
    }
    // 2^ceil(bits/2) >= sqrt(n); for bits == 256 that is 2^128, so start just below it.
    let mut x: u128 = if bits.div_ceil(2) >= 128 {
        u128::MAX
    } else {
        1u128 << bits.div_ceil(2)
    };
    loop {
        // x >= sqrt(n) > 0 and x^2 >= n, so hi < x and the quotient fits.
        let q = match div_wide(hi, lo, x) {
            Some(q) => q,
            None => return x,
        };
        // (x + q) / 2 without overflow.
        let y = (x >> 1) + (q >> 1) + (x & q & 1);
        if y >= x {
            return x;
        }
        x = y;
    }
}

/// A positive number `m * 2^e` with a 128-bit normalised mantissa (bit 127 set), or zero.
///
/// Used where a quantity may be far below or above the fixed-point range (Gaussian tails,
/// Greeks at extreme inputs): the relative precision stays 2^-127 whatever the magnitude.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Float {
    m: u128,
    e: i32,
}

impl Float {
    pub(crate) const ZERO: Float = Float { m: 0, e: 0 };

    /// `x * 2^e`.
    #[inline(never)]
    pub(crate) fn new(x: u128, e: i32) -> Float {
        if x == 0 {
            return Float::ZERO;
        }
        let z = x.leading_zeros();
        Float {
            m: x << z,
            e: e - z as i32,
        }
    }

    /// Multiplies by `2^k`.
    pub(crate) fn shl(self, k: i32) -> Float {
        if self.m == 0 {
            return self;
        }
        Float {
            m: self.m,
            e: self.e + k,
        }
    }

    /// Product, truncated to 128 significant bits.
    #[inline(never)]
    pub(crate) fn mul(self, o: Float) -> Float {
        if self.m == 0 || o.m == 0 {
            return Float::ZERO;
        }
        let (hi, lo) = mul_wide(self.m, o.m);
        // Both mantissas are >= 2^127, so hi >= 2^126.
        if hi >> 127 == 1 {
            Float {
                m: hi,
                e: self.e + o.e + 128,
            }
        } else {
            Float {
                m: (hi << 1) | (lo >> 127),
                e: self.e + o.e + 127,
            }
        }
    }

    /// Quotient, truncated to 128 significant bits; `None` when dividing by zero.
    #[inline(never)]
    pub(crate) fn div(self, o: Float) -> Option<Float> {
        if o.m == 0 {
            return None;
        }
        if self.m == 0 {
            return Some(Float::ZERO);
        }
        // self.m * 2^127 / o.m lies in (2^126, 2^128).
        let q = div_wide(self.m >> 1, self.m << 127, o.m)?;
        Some(Float::new(q, self.e - o.e - 127))
    }

    /// `round(self)` (half up) as an integer, `None` when it exceeds `u128`.
    #[inline(never)]
    pub(crate) fn to_u128(self) -> Option<u128> {
        if self.m == 0 {
            return Some(0);
        }
        if self.e >= 0 {
            return if self.e == 0 { Some(self.m) } else { None };
        }
        let sh = self.e.unsigned_abs();
        if sh > 128 {
            return Some(0);
        }
        if sh == 128 {
            return Some(self.m >> 127);
        }
        let q = self.m >> sh;
        let half = (self.m >> (sh - 1)) & 1;
        q.checked_add(half)
    }

    /// `round(self)` as a non-negative `i128`, `None` when it does not fit.
    pub(crate) fn to_i128(self) -> Option<i128> {
        self.to_u128().and_then(|v| i128::try_from(v).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;
    use proptest::prelude::*;

    fn u256(hi: u128, lo: u128) -> U256 {
        (U256::from(hi) << 128) | U256::from(lo)
    }

    proptest! {
        #[test]
        fn mul_wide_matches_u256(a: u128, b: u128) {
            let (hi, lo) = mul_wide(a, b);
            prop_assert_eq!(u256(hi, lo), U256::from(a) * U256::from(b));
        }

        #[test]
        fn div_wide_matches_u256(hi: u128, lo: u128, d in 1u128..) {
            let hi = hi % d;
            let q = div_wide(hi, lo, d).unwrap();
            prop_assert_eq!(U256::from(q), u256(hi, lo) / U256::from(d));
        }

        #[test]
        fn div_wide_small_divisors(hi: u64, lo: u128, d in 1u128..(1u128 << 70)) {
            let hi = u128::from(hi) % d;
            let q = div_wide(hi, lo, d).unwrap();
            prop_assert_eq!(U256::from(q), u256(hi, lo) / U256::from(d));
        }

        #[test]
        fn isqrt_is_floor_sqrt(hi: u128, lo: u128, shift in 0u32..128) {
            let hi = hi >> shift;
            let r = isqrt_wide(hi, lo);
            let n = u256(hi, lo);
            let r2 = U256::from(r) * U256::from(r);
            prop_assert!(r2 <= n);
            let r1 = U256::from(r) + U256::from(1u8);
            prop_assert!(r1 * r1 > n);
        }

        #[test]
        fn float_mul_div_round_trip(a in 1u128.., b in 1u128.., ea in -300i32..300, eb in -300i32..300) {
            let fa = Float::new(a, ea);
            let fb = Float::new(b, eb);
            let back = fa.mul(fb).div(fb).unwrap();
            // Two truncations: at most a few units in the last of 128 bits.
            prop_assert_eq!(back.e, fa.e);
            prop_assert!(fa.m - back.m <= 4);
        }
    }

    #[test]
    fn edges() {
        assert_eq!(div_wide(0, 7, 0), None);
        assert_eq!(div_wide(5, 0, 5), None);
        assert_eq!(isqrt_wide(0, 0), 0);
        assert_eq!(isqrt_wide(u128::MAX, u128::MAX), u128::MAX);
        assert_eq!(Float::new(3, 0).to_u128(), Some(3));
        assert_eq!(Float::new(3, -1).to_u128(), Some(2));
        assert_eq!(Float::new(1, -1).to_u128(), Some(1));
        assert_eq!(Float::new(1, -2).to_u128(), Some(0));
        assert_eq!(Float::new(u128::MAX, 1).to_u128(), None);
        assert_eq!(mul_div_round(5, 1, 2), Some(3));
    }
}
