//! Properties over the whole documented input range (debug builds trap on any overflow).

use option_math::{
    implied_vol, Expiry, Kind, MathError, MAX_PRICE, MAX_RATE, MAX_TIME, MAX_VOL, MIN_PRICE,
    MIN_VOL, WAD, YEAR,
};
use proptest::prelude::*;

/// Log-uniform prices over the whole range, plus the bounds themselves.
fn price_strategy() -> impl Strategy<Value = u128> {
    prop_oneof![
        1 => Just(MIN_PRICE),
        1 => Just(MAX_PRICE),
        8 => (0u32..=24, 1_000_000u128..10_000_000).prop_map(|(e, m)| {
            (m * 10u128.pow(e)).clamp(MIN_PRICE, MAX_PRICE)
        }),
    ]
}

fn time_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![
        1 => Just(0u64),
        1 => Just(1u64),
        1 => Just(MAX_TIME),
        7 => 0u64..=MAX_TIME,
    ]
}

fn vol_strategy() -> impl Strategy<Value = u128> {
    prop_oneof![
        1 => Just(MIN_VOL),
        1 => Just(MAX_VOL),
        8 => (0u32..=5, 1_000_000_000_000_000u128..10_000_000_000_000_000)
            .prop_map(|(e, m)| (m / 10u128.pow(e) * 10).clamp(MIN_VOL, MAX_VOL)),
    ]
}

fn rate_strategy() -> impl Strategy<Value = i128> {
    prop_oneof![
        1 => Just(-(MAX_RATE as i128)),
        1 => Just(MAX_RATE as i128),
        8 => -(MAX_RATE as i128)..=MAX_RATE as i128,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn prices_are_bounded_and_parity_is_exact(
        spot in price_strategy(),
        strike in price_strategy(),
        time in time_strategy(),
        vol in vol_strategy(),
        rate in rate_strategy(),
    ) {
        let e = Expiry::new(spot, time, vol, rate).unwrap();
        let q = e.quote(strike).unwrap();
        // C - P = S - round(K e^{-rT}), exactly.
        prop_assert_eq!(q.call as i128 - q.put as i128, spot as i128 - q.pv_strike as i128);
        // No-arbitrage bounds (one unit of rounding): max(S - K', 0) <= C <= S, P <= K'.
        prop_assert!(q.call <= spot);
        prop_assert!(q.put <= q.pv_strike);
        prop_assert!(q.call >= spot.saturating_sub(q.pv_strike));
        for kind in [Kind::Call, Kind::Put] {
            let g = e.greeks(&q, kind).unwrap();
            prop_assert!(g.gamma >= 0 && g.vega >= 0);
            match kind {
                Kind::Call => prop_assert!((0..=WAD as i128).contains(&g.delta)),
                Kind::Put => prop_assert!((-(WAD as i128)..=0).contains(&g.delta)),
            }
        }
        let gc = e.greeks(&q, Kind::Call).unwrap();
        let gp = e.greeks(&q, Kind::Put).unwrap();
        prop_assert_eq!(gc.delta - gp.delta, WAD as i128);
        prop_assert_eq!(gc.gamma, gp.gamma);
        prop_assert_eq!(gc.vega, gp.vega);
    }

    #[test]
    fn call_price_increases_with_vol_and_spot(
        spot in price_strategy(),
        strike in price_strategy(),
        time in 1u64..=MAX_TIME,
        vol in vol_strategy(),
        rate in rate_strategy(),
    ) {
        let base = Expiry::new(spot, time, vol, rate).unwrap().quote(strike).unwrap();
        let more_vol = Expiry::new(spot, time, (vol * 2).min(MAX_VOL), rate).unwrap()
            .quote(strike).unwrap();
        prop_assert!(more_vol.call >= base.call);
        prop_assert!(more_vol.put >= base.put);
        let more_spot = Expiry::new((spot * 2).min(MAX_PRICE), time, vol, rate).unwrap()
            .quote(strike).unwrap();
        prop_assert!(more_spot.call >= base.call);
        prop_assert!(more_spot.put <= base.put);
    }

    #[test]
    fn implied_vol_reproduces_the_price(
        spot in 1_000_000_000_000_000u128..1_000_000_000_000_000_000_000u128,
        moneyness in 60u128..160,
        time in 3600u64..=2 * YEAR,
        vol in WAD / 50..3 * WAD,
        rate in -(WAD as i128) / 20..(WAD as i128) / 10,
        is_call: bool,
    ) {
        let strike = spot * moneyness / 100;
        let kind = Kind::from_is_call(is_call);
        let e = Expiry::new(spot, time, vol, rate).unwrap();
        let p = e.quote(strike).unwrap().price(kind);
        match implied_vol(spot, strike, time, rate, kind, p) {
            Ok(iv) => {
                let back = Expiry::new(spot, time, iv, rate).unwrap().quote(strike).unwrap()
                    .price(kind);
                // The price is an integer: the solver matches it to one unit.
                prop_assert!(back.abs_diff(p) <= 1, "iv {} vs {}: {} vs {}", iv, vol, back, p);
            }
            // Far out of the money the price can round to the bound at MIN_VOL.
            Err(MathError::PriceOutOfBounds { lower, .. }) => prop_assert!(p <= lower),
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    #[test]
    fn implied_vol_never_panics(
        spot in price_strategy(),
        strike in price_strategy(),
        time in time_strategy(),
        rate in rate_strategy(),
        price in any::<u128>(),
        is_call: bool,
    ) {
        let _ = implied_vol(spot, strike, time, rate, Kind::from_is_call(is_call), price % (spot * 4));
    }

    #[test]
    fn elementary_functions_never_panic(x in any::<i128>()) {
        let _ = option_math::ln(x.unsigned_abs());
        let _ = option_math::exp(x);
        let _ = option_math::sqrt(x.unsigned_abs());
        prop_assert!(option_math::norm_cdf(x) <= WAD);
        let _ = option_math::norm_pdf(x);
    }
}

#[test]
fn expiry_pays_the_intrinsic_value() {
    let e = Expiry::new(100 * WAD, 0, WAD / 2, WAD as i128 / 20).unwrap();
    let itm = e.quote(80 * WAD).unwrap();
    assert_eq!((itm.call, itm.put), (20 * WAD, 0));
    let otm = e.quote(120 * WAD).unwrap();
    assert_eq!((otm.call, otm.put), (0, 20 * WAD));
    let atm = e.quote(100 * WAD).unwrap();
    assert_eq!((atm.call, atm.put), (0, 0));
    let g = e.greeks(&atm, Kind::Call).unwrap();
    assert_eq!(g.delta, WAD as i128 / 2);
    assert_eq!((g.gamma, g.vega, g.theta, g.rho), (0, 0, 0, 0));
    assert_eq!(e.greeks(&itm, Kind::Put).unwrap().delta, 0);
    assert_eq!(e.greeks(&otm, Kind::Put).unwrap().delta, -(WAD as i128));
    assert_eq!(
        implied_vol(100 * WAD, 100 * WAD, 0, 0, Kind::Call, WAD),
        Err(MathError::Expired)
    );
}

#[test]
fn deep_in_and_out_of_the_money() {
    // Strike 1e6 times the spot, a day out, 20% vol: the call is worthless to the last unit,
    // the put is worth exactly the discounted strike minus the spot.
    let e = Expiry::new(WAD, 86_400, WAD / 5, 0).unwrap();
    let q = e.quote(1_000_000 * WAD).unwrap();
    assert_eq!(q.call, 0);
    assert_eq!(q.put, q.pv_strike - WAD);
    let g = e.greeks(&q, Kind::Call).unwrap();
    assert_eq!((g.delta, g.gamma, g.vega), (0, 0, 0));
    assert_eq!(e.greeks(&q, Kind::Put).unwrap().delta, -(WAD as i128));
    // And the mirror image.
    let q = e.quote(WAD / 1_000_000).unwrap();
    assert_eq!(q.put, 0);
    assert_eq!(q.call, WAD - q.pv_strike);
}

#[test]
fn rejects_out_of_range_inputs() {
    assert_eq!(
        Expiry::new(MIN_PRICE - 1, 1, WAD, 0).unwrap_err(),
        MathError::InvalidSpot(MIN_PRICE - 1)
    );
    assert_eq!(
        Expiry::new(MAX_PRICE + 1, 1, WAD, 0).unwrap_err(),
        MathError::InvalidSpot(MAX_PRICE + 1)
    );
    assert_eq!(
        Expiry::new(WAD, MAX_TIME + 1, WAD, 0).unwrap_err(),
        MathError::InvalidTime(MAX_TIME + 1)
    );
    assert_eq!(
        Expiry::new(WAD, 1, MIN_VOL - 1, 0).unwrap_err(),
        MathError::InvalidVolatility(MIN_VOL - 1)
    );
    assert_eq!(
        Expiry::new(WAD, 1, MAX_VOL + 1, 0).unwrap_err(),
        MathError::InvalidVolatility(MAX_VOL + 1)
    );
    let r = MAX_RATE as i128 + 1;
    assert_eq!(
        Expiry::new(WAD, 1, WAD, -r).unwrap_err(),
        MathError::InvalidRate(-r)
    );
    let e = Expiry::new(WAD, 1, WAD, 0).unwrap();
    assert_eq!(e.quote(0).unwrap_err(), MathError::InvalidStrike(0));
    assert_eq!(
        e.quote(MAX_PRICE + 1).unwrap_err(),
        MathError::InvalidStrike(MAX_PRICE + 1)
    );
    // A call cannot be worth more than the spot.
    assert!(matches!(
        implied_vol(WAD, WAD, YEAR, 0, Kind::Call, WAD),
        Err(MathError::PriceOutOfBounds { .. })
    ));
}

/// Found by CI: a deep in-the-money put at the widest distribution, where N(d1) rounded near
/// one used to swamp the put's sensitivity to spot.
#[test]
fn put_falls_with_spot_in_the_widest_distribution() {
    let (strike, time, vol, rate) = (MAX_PRICE, 141_453_712, MAX_VOL, -814_936_696_970_507_513);
    let spot = 60_683_150_000_000_000_000_000_000_000;
    let base = Expiry::new(spot, time, vol, rate)
        .unwrap()
        .quote(strike)
        .unwrap();
    let more = Expiry::new(spot * 2, time, vol, rate)
        .unwrap()
        .quote(strike)
        .unwrap();
    assert!(more.put <= base.put, "{} > {}", more.put, base.put);
    assert!(more.call >= base.call);
}
