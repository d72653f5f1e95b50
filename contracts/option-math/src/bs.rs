//! Black-Scholes prices and Greeks for one expiry and many strikes.

use crate::fixed::{self, FRAC, GAUSS_CUTOFF, INV_SQRT_2PI, ONE};
use crate::wide::{div_wide, isqrt_wide, mul_div_round, Float};
use crate::{MathError, MAX_PRICE, MAX_RATE, MAX_TIME, MAX_VOL, MIN_PRICE, MIN_VOL, WAD, YEAR};

/// Call or put.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Right to buy at the strike.
    Call,
    /// Right to sell at the strike.
    Put,
}

impl Kind {
    /// `Call` for `true`.
    pub fn from_is_call(is_call: bool) -> Kind {
        if is_call {
            Kind::Call
        } else {
            Kind::Put
        }
    }
}

/// Sensitivities of one option, all at the 1e18 scale.
///
/// - `delta`: d price / d spot (call in [0, 1], put in [-1, 0]);
/// - `gamma`: d delta / d spot, per unit of spot;
/// - `theta`: d price / d calendar time, per year (divide by 365 for a day);
/// - `vega`: d price / d volatility, per 1.0 (100 points) of volatility;
/// - `rho`: d price / d rate, per 1.0 (100 points) of rate.
///
/// At expiry (`time == 0`) delta is the step of the payoff (1/2 exactly at the money, the
/// limit of `N(d1)`) and the other Greeks are 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Greeks {
    /// d price / d spot.
    pub delta: i128,
    /// d delta / d spot.
    pub gamma: i128,
    /// d price / d time, per year.
    pub theta: i128,
    /// d price / d vol.
    pub vega: i128,
    /// d price / d rate.
    pub rho: i128,
}

/// Validated market inputs for one expiry, with everything that does not depend on the strike
/// precomputed (for batch quotes along a strike ladder).
#[derive(Clone, Copy, Debug)]
pub struct Expiry {
    spot: u128,
    time: u64,
    vol: u128,
    rate: i128,
    /// ln(spot) in Q80.
    ln_spot: i128,
    /// r T in Q80.
    rt: i128,
    /// e^{-rT}.
    disc: Float,
    /// sqrt(T) in Q80.
    sqrt_t: u128,
    /// sigma sqrt(T) in Q80.
    s: u128,
}

/// Prices of the call and the put at one strike, with what the Greeks need.
#[derive(Clone, Copy, Debug)]
pub struct Quote {
    /// Call price.
    pub call: u128,
    /// Put price.
    pub put: u128,
    /// The discounted strike `round(K e^{-rT})`: `call - put == spot - pv_strike` exactly.
    pub pv_strike: u128,
    strike: u128,
    /// d1 and d2 in Q80 (unused at expiry).
    d1: i128,
    d2: i128,
}

fn check_price(v: u128) -> bool {
    (MIN_PRICE..=MAX_PRICE).contains(&v)
}

impl Expiry {
    /// Validates and precomputes the strike-independent terms.
    #[inline(never)]
    pub fn new(spot: u128, time: u64, vol: u128, rate: i128) -> Result<Expiry, MathError> {
        if !check_price(spot) {
            return Err(MathError::InvalidSpot(spot));
        }
        if time > MAX_TIME {
            return Err(MathError::InvalidTime(time));
        }
        if !(MIN_VOL..=MAX_VOL).contains(&vol) {
            return Err(MathError::InvalidVolatility(vol));
        }
        if rate.unsigned_abs() > MAX_RATE {
            return Err(MathError::InvalidRate(rate));
        }
        // rT = rate * time / (1e18 * YEAR), in Q80. |rate| * time < 2^89.
        let rt_abs = mul_div_round(rate.unsigned_abs() * time as u128, ONE, WAD * YEAR as u128)
            .ok_or(MathError::Overflow)? as i128;
        let rt = if rate < 0 { -rt_abs } else { rt_abs };
        // sqrt(T) * 2^80 = sqrt(time * 2^160 / YEAR); time * 2^160 < 2^189.
        let (hi, lo) = ((time as u128) << (2 * FRAC - 128), 0u128);
        let q_hi = hi / YEAR as u128;
        let q_lo = div_wide(hi % YEAR as u128, lo, YEAR as u128).ok_or(MathError::Overflow)?;
        let sqrt_t = isqrt_wide(q_hi, q_lo);
        let mut e = Expiry {
            spot,
            time,
            vol,
            rate,
            ln_spot: fixed::ln_int(spot),
            rt,
            disc: fixed::exp(-rt),
            sqrt_t,
            s: 0,
        };
        e.s = e.sigma_sqrt_t(vol)?;
        Ok(e)
    }

    /// The same expiry at another volatility (implied-volatility iterations).
    #[inline(never)]
    pub(crate) fn with_vol(&self, vol: u128) -> Result<Expiry, MathError> {
        if !(MIN_VOL..=MAX_VOL).contains(&vol) {
            return Err(MathError::InvalidVolatility(vol));
        }
        let mut e = *self;
        e.vol = vol;
        e.s = e.sigma_sqrt_t(vol)?;
        Ok(e)
    }

    fn sigma_sqrt_t(&self, vol: u128) -> Result<u128, MathError> {
        mul_div_round(vol, self.sqrt_t, WAD).ok_or(MathError::Overflow)
    }

    /// Spot price.
    pub fn spot(&self) -> u128 {
        self.spot
    }

    /// Time to expiry in seconds.
    pub fn time(&self) -> u64 {
        self.time
    }

    /// `round(strike e^{-rT})`.
    pub fn pv_strike(&self, strike: u128) -> Result<u128, MathError> {
        if !check_price(strike) {
            return Err(MathError::InvalidStrike(strike));
        }
        Float::new(strike, 0)
            .mul(self.disc)
            .to_u128()
            .ok_or(MathError::Overflow)
    }

    /// Prices of the call and the put at `strike`.
    #[inline(never)]
    pub fn quote(&self, strike: u128) -> Result<Quote, MathError> {
        let pv_strike = self.pv_strike(strike)?;
        let spot = self.spot;
        if self.time == 0 {
            return Ok(Quote {
                call: spot.saturating_sub(strike),
                put: strike.saturating_sub(spot),
                pv_strike,
                strike,
                d1: 0,
                d2: 0,
            });
        }
        // m = ln(F / K) = ln S - ln K + rT, and m / s, all Q80. |m| < 66, s > 2^54 / 2^80.
        let m = self.ln_spot - fixed::ln_int(strike) + self.rt;
        let s = self.s;
        let ms_abs = fixed::divq(m.unsigned_abs(), s) as i128;
        let ms = if m < 0 { -ms_abs } else { ms_abs };
        let half_s = (s >> 1) as i128;
        let d1 = ms + half_s;
        let d2 = ms - half_s;

        // The out-of-the-money leg: the call when S < K e^{-rT}.
        let call_otm = spot < pv_strike;
        let otm = self.otm_value(call_otm, pv_strike, ms_abs - half_s, d1, d2)?;
        let (call, put) = if call_otm {
            let put = otm
                .checked_add(pv_strike - spot)
                .ok_or(MathError::Overflow)?;
            (otm, put)
        } else {
            let call = otm
                .checked_add(spot - pv_strike)
                .ok_or(MathError::Overflow)?;
            (call, otm)
        };
        Ok(Quote {
            call,
            put,
            pv_strike,
            strike,
            d1,
            d2,
        })
    }

    /// Value of the out-of-the-money option. `a = |m|/s - s/2` (Q80).
    #[inline(never)]
    fn otm_value(
        &self,
        call: bool,
        pv_strike: u128,
        a: i128,
        d1: i128,
        d2: i128,
    ) -> Result<u128, MathError> {
        let x = if call { self.spot } else { pv_strike };
        if a >= 0 {
            let a = a as u128;
            if a >= GAUSS_CUTOFF {
                return Ok(0);
            }
            // X phi(a) (R(a) - R(a + s)): both Mills ratios are positive and decreasing.
            let diff = fixed::mills(a).saturating_sub(fixed::mills(a + self.s));
            return Float::new(x, 0)
                .mul(fixed::gauss(a))
                .mul(Float::new(INV_SQRT_2PI, -(FRAC as i32)))
                .mul(Float::new(diff, -(FRAC as i32)))
                .to_u128()
                .ok_or(MathError::Overflow);
        }
        // Near the money with a wide distribution (|m| < s^2 / 2): the value is a sizeable
        // fraction of X, so the direct form loses nothing.
        // Each product keeps the relative precision of its Gaussian tail, on either side of
        // zero: X N(d) for d >= 0 is X - X (1 - N(d)), not X times N(d) rounded near one, whose
        // absolute 1e-24 error would swamp the deep tails and break monotonicity in spot.
        // 12 extra fractional bits keep the difference exact to far below one unit.
        let (plus, minus) = if call {
            (scaled_cdf(self.spot, d1), scaled_cdf(pv_strike, d2))
        } else {
            (scaled_cdf(pv_strike, -d2), scaled_cdf(self.spot, -d1))
        };
        // Both products are below 2^115 * 2^12.
        let plus = plus.ok_or(MathError::Overflow)?;
        let minus = minus.ok_or(MathError::Overflow)?;
        let diff = plus.saturating_sub(minus);
        Ok((diff >> EXTRA) + ((diff >> (EXTRA - 1)) & 1))
    }

    /// Greeks of `kind` at the quote's strike.
    #[inline(never)]
    pub fn greeks(&self, q: &Quote, kind: Kind) -> Result<Greeks, MathError> {
        let wad = WAD as i128;
        if self.time == 0 {
            let call_delta = match self.spot.cmp(&q.strike) {
                core::cmp::Ordering::Greater => wad,
                core::cmp::Ordering::Less => 0,
                core::cmp::Ordering::Equal => wad / 2,
            };
            let delta = match kind {
                Kind::Call => call_delta,
                Kind::Put => call_delta - wad,
            };
            return Ok(Greeks {
                delta,
                ..Greeks::default()
            });
        }
        let of = MathError::Overflow;
        let q80 = -(FRAC as i32);
        let phi = fixed::pdf(q.d1);
        let spot = Float::new(self.spot, 0);
        // The unrounded K e^{-rT}: the rounded one would cost up to T / 2 units in rho.
        let pv_strike = Float::new(q.strike, 0).mul(self.disc);
        let wad_f = Float::new(WAD, 0);
        let years = Float::new(self.time as u128, 0)
            .div(Float::new(YEAR as u128, 0))
            .ok_or(of)?;
        let to_i = |f: Option<Float>| f.and_then(Float::to_i128).ok_or(of);

        // delta_call = N(d1); delta_put = delta_call - 1.
        let call_delta = mul_div_round(fixed::cdf(q.d1), WAD, ONE).ok_or(of)? as i128;
        // gamma = phi / (S s), per unit of spot: WAD * WAD * phi / (S_wad * s).
        let gamma = to_i(
            phi.mul(wad_f.mul(wad_f))
                .div(spot.mul(Float::new(self.s, q80))),
        )?;
        // vega = S phi sqrt(T).
        let vega = to_i(Some(spot.mul(phi).mul(Float::new(self.sqrt_t, q80))))?;
        // The time decay of the distribution, S phi sigma / (2 sqrt T), common to both legs.
        let decay = to_i(
            spot.mul(phi)
                .mul(Float::new(self.vol, 0))
                .div(wad_f.mul(Float::new(self.sqrt_t, q80 + 1))),
        )?;

        // The rate terms carry N(d2) (call) or N(-d2) (put): compute the leg whose probability
        // is the smaller one from its tail, with full relative precision, and derive the other
        // by differentiating C - P = S - K e^{-rT} (rounded once), so parity holds exactly.
        let call_small = q.d2 < 0;
        let tail = fixed::upper_tail_float(q.d2.unsigned_abs());
        // r K e^{-rT} P(leg) and K e^{-rT} T P(leg), P = N(d2) or N(-d2).
        let carry_abs = to_i(
            Float::new(self.rate.unsigned_abs(), 0)
                .mul(pv_strike)
                .mul(tail)
                .div(wad_f),
        )?;
        let rate_neg = self.rate < 0;
        let carry = if rate_neg { -carry_abs } else { carry_abs };
        let rho_small = to_i(Some(pv_strike.mul(years).mul(tail)))?;
        let r_pv = to_i(
            Float::new(self.rate.unsigned_abs(), 0)
                .mul(pv_strike)
                .div(wad_f),
        )?;
        let r_pv = if rate_neg { -r_pv } else { r_pv };
        let t_pv = to_i(Some(pv_strike.mul(years)))?;
        // theta_call = -decay - r K' N(d2), theta_put = -decay + r K' N(-d2),
        // rho_call = K' T N(d2), rho_put = -K' T N(-d2).
        let (call_theta, call_rho) = if call_small {
            ((-decay).checked_sub(carry).ok_or(of)?, rho_small)
        } else {
            let put_theta = (-decay).checked_add(carry).ok_or(of)?;
            (put_theta.checked_sub(r_pv).ok_or(of)?, t_pv - rho_small)
        };
        match kind {
            Kind::Call => Ok(Greeks {
                delta: call_delta,
                gamma,
                theta: call_theta,
                vega,
                rho: call_rho,
            }),
            Kind::Put => Ok(Greeks {
                delta: call_delta - WAD as i128,
                gamma,
                theta: call_theta.checked_add(r_pv).ok_or(of)?,
                vega,
                rho: call_rho - t_pv,
            }),
        }
    }

    /// Vega of the out-of-the-money leg in price units per 1.0 of volatility, as a float
    /// (implied-volatility Newton steps).
    pub(crate) fn vega_float(&self, q: &Quote) -> Float {
        Float::new(self.spot, 0)
            .mul(fixed::pdf(q.d1))
            .mul(Float::new(self.sqrt_t, -(FRAC as i32)))
    }
}

impl Quote {
    /// Price of `kind`.
    pub fn price(&self, kind: Kind) -> u128 {
        match kind {
            Kind::Call => self.call,
            Kind::Put => self.put,
        }
    }
}

/// Price of one option. `spot`, `strike`, `vol` and `rate` at 1e18, `time` in seconds.
pub fn price(
    spot: u128,
    strike: u128,
    time: u64,
    vol: u128,
    rate: i128,
    kind: Kind,
) -> Result<u128, MathError> {
    Ok(Expiry::new(spot, time, vol, rate)?
        .quote(strike)?
        .price(kind))
}

/// Greeks of one option.
pub fn greeks(
    spot: u128,
    strike: u128,
    time: u64,
    vol: u128,
    rate: i128,
    kind: Kind,
) -> Result<Greeks, MathError> {
    price_and_greeks(spot, strike, time, vol, rate, kind).map(|(_, g)| g)
}

/// Price and Greeks of one option.
pub fn price_and_greeks(
    spot: u128,
    strike: u128,
    time: u64,
    vol: u128,
    rate: i128,
    kind: Kind,
) -> Result<(u128, Greeks), MathError> {
    let e = Expiry::new(spot, time, vol, rate)?;
    let q = e.quote(strike)?;
    Ok((q.price(kind), e.greeks(&q, kind)?))
}
/// Fractional bits kept below one unit while two large products are subtracted.
const EXTRA: u32 = 12;

/// `x N(d) 2^EXTRA`, computed from the upper tail `1 - N(|d|)` (relative precision ~1e-22).
fn scaled_cdf(x: u128, d: i128) -> Option<u128> {
    let tail = Float::new(x, EXTRA as i32)
        .mul(fixed::upper_tail_float(d.unsigned_abs()))
        .to_u128()?;
    if d < 0 {
        Some(tail)
    } else {
        (x <= u128::MAX >> EXTRA)
            .then_some(x << EXTRA)?
            .checked_sub(tail)
    }
}
