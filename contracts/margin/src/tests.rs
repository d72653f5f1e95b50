use super::*;
use proptest::prelude::*;

fn wad(x: u64) -> U256 {
    U256::from(x) * WAD
}

fn usdc_scale() -> U256 {
    scale_for_decimals(6).unwrap()
}

const BUCKETS: [(u64, U256); 2] = [
    (
        7 * 86_400,
        U256::from_limbs([100_000_000_000_000_000, 0, 0, 0]),
    ),
    (
        90 * 86_400,
        U256::from_limbs([200_000_000_000_000_000, 0, 0, 0]),
    ),
];

fn params() -> NakedParams<'static> {
    NakedParams {
        shock: U256::from(750_000_000_000_000_000u64),
        buckets: &BUCKETS,
    }
}

fn put(strike: U256) -> Terms {
    Terms {
        kind: Kind::Put,
        strike,
    }
}

#[test]
fn gamma_worked_example_naked_put_and_auction_start() {
    // 10 puts K=1800, S=2000, shock 0.75, UB 0.2 -> 6,000 USDC.
    let req = naked_requirement(
        put(wad(1800)),
        wad(10),
        wad(2000),
        30 * 86_400,
        &params(),
        usdc_scale(),
    )
    .unwrap();
    assert_eq!(req, U256::from(6_000_000_000u64));
    // S falls to 1500: the auction starts at 225 USDC per option (discount 5% of spot).
    let auction = AuctionParams {
        duration: 3600,
        discount: U256::from(50_000_000_000_000_000u64),
    };
    let start = auction_price(
        put(wad(1800)),
        wad(1500),
        req,
        wad(10),
        0,
        &auction,
        usdc_scale(),
    )
    .unwrap();
    assert_eq!(start, U256::from(225_000_000u64));
    let end = auction_price(
        put(wad(1800)),
        wad(1500),
        req,
        wad(10),
        3600,
        &auction,
        usdc_scale(),
    )
    .unwrap();
    assert_eq!(end, U256::from(600_000_000u64));
    assert_eq!(
        auction_payout(wad(2), end, req, wad(10)).unwrap(),
        U256::from(1_200_000_000u64)
    );
    assert_eq!(auction_payout(wad(10), end, req, wad(10)).unwrap(), req);
}

#[test]
fn covered_call_and_cash_secured_put_need_the_full_amount() {
    let one = scale_for_decimals(18).unwrap();
    assert_eq!(
        spread_requirement(Kind::Call, wad(2000), wad(3), U256::ZERO, U256::ZERO, one),
        Ok(wad(3))
    );
    assert_eq!(
        spread_requirement(
            Kind::Put,
            wad(1800),
            wad(3),
            U256::ZERO,
            U256::ZERO,
            usdc_scale()
        ),
        Ok(U256::from(5_400_000_000u64))
    );
}

#[test]
fn spreads_need_the_strike_difference() {
    // Put spread: short 1800, long 1700 -> 100 per option, plus one unit of rounding slack.
    assert_eq!(
        spread_requirement(
            Kind::Put,
            wad(1800),
            wad(2),
            wad(1700),
            wad(2),
            usdc_scale()
        ),
        Ok(U256::from(200_000_001u64))
    );
    // Call spread: short 2000, long 2500 -> (2500-2000)/2500 underlying per option.
    let one = scale_for_decimals(18).unwrap();
    assert_eq!(
        spread_requirement(Kind::Call, wad(2000), wad(5), wad(2500), wad(5), one),
        Ok(wad(1) + U256::from(1))
    );
    // A long that dominates the short leaves only the slack.
    assert_eq!(
        spread_requirement(
            Kind::Put,
            wad(1800),
            wad(2),
            wad(1900),
            wad(2),
            usdc_scale()
        ),
        Ok(U256::from(1))
    );
}

#[test]
fn errors_are_reported_not_panicked() {
    assert_eq!(scale_for_decimals(19), None);
    assert_eq!(
        div(U256::ONE, U256::ZERO, Rounding::Up),
        Err(MarginError::Zero)
    );
    assert_eq!(
        mul_div(U256::MAX, U256::from(2), U256::ONE, Rounding::Down),
        Err(MarginError::Overflow)
    );
    assert_eq!(
        naked_requirement(
            put(wad(1)),
            wad(1),
            wad(1),
            91 * 86_400,
            &params(),
            U256::ONE
        ),
        Err(MarginError::NoTimeBucket)
    );
    let call = Terms {
        kind: Kind::Call,
        strike: wad(1),
    };
    assert_eq!(
        naked_requirement(call, wad(1), U256::ZERO, 0, &params(), U256::ONE),
        Err(MarginError::Zero)
    );
    let auction = AuctionParams {
        duration: 1,
        discount: U256::ZERO,
    };
    assert_eq!(
        auction_price(call, wad(1), wad(1), U256::ZERO, 0, &auction, U256::ONE),
        Err(MarginError::Zero)
    );
}

#[test]
fn upper_bound_picks_the_first_covering_bucket() {
    assert_eq!(upper_bound(&BUCKETS, 0), Ok(BUCKETS[0].1));
    assert_eq!(upper_bound(&BUCKETS, 7 * 86_400), Ok(BUCKETS[0].1));
    assert_eq!(upper_bound(&BUCKETS, 7 * 86_400 + 1), Ok(BUCKETS[1].1));
    assert_eq!(upper_bound(&[], 0), Err(MarginError::NoTimeBucket));
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![Just(Kind::Put), Just(Kind::Call)]
}

/// Prices and strikes from 1e-6 to 1e9 units, amounts up to 1e12 options, decimals 0..=18.
fn price() -> impl Strategy<Value = U256> {
    (1u128..1_000_000_000_000_000_000_000_000_000u128).prop_map(U256::from)
}

fn amount() -> impl Strategy<Value = U256> {
    (0u128..1_000_000_000_000_000_000_000_000_000_000u128).prop_map(U256::from)
}

fn scale() -> impl Strategy<Value = U256> {
    (0u8..=18).prop_map(|d| scale_for_decimals(d).unwrap())
}

/// What settling a vault costs at price `p`: the short liability (up) less the long payout (down).
fn settled_loss(kind: Kind, ks: U256, s: U256, kl: U256, l: U256, p: U256, sc: U256) -> U256 {
    let liability = settlement_amount(Terms { kind, strike: ks }, p, s, sc, Rounding::Up).unwrap();
    let payout = settlement_amount(Terms { kind, strike: kl }, p, l, sc, Rounding::Down).unwrap();
    liability.saturating_sub(payout)
}

proptest! {
    #[test]
    fn settlement_rounding_is_within_one_unit(
        kind in kind(), k in price(), p in price(), n in amount(), sc in scale()
    ) {
        let t = Terms { kind, strike: k };
        let down = settlement_amount(t, p, n, sc, Rounding::Down).unwrap();
        let up = settlement_amount(t, p, n, sc, Rounding::Up).unwrap();
        prop_assert!(down <= up && up <= down + U256::ONE);
    }

    #[test]
    fn spread_requirement_covers_every_settlement_price(
        kind in kind(), ks in price(), s in amount(), kl in price(), l in amount(),
        p in price(), sc in scale()
    ) {
        let req = spread_requirement(kind, ks, s, kl, l, sc).unwrap();
        let mut worst = U256::ZERO;
        for q in [U256::ZERO, U256::ONE, ks, kl, p, U256::from(u128::MAX)] {
            if kind == Kind::Call && q.is_zero() {
                continue;
            }
            let loss = settled_loss(kind, ks, s, kl, l, q, sc);
            prop_assert!(loss <= req, "loss {} > requirement {} at {}", loss, req, q);
            worst = worst.max(loss);
        }
        // Not wastefully conservative: at most the rounding slack above the worst case (for calls,
        // the loss as P grows without bound is `short - long` underlying).
        if kind == Kind::Call {
            worst = worst.max(div(s.saturating_sub(l), sc, Rounding::Up).unwrap());
        }
        prop_assert!(req <= worst + U256::from(2), "requirement {} worst {}", req, worst);
    }

    #[test]
    fn naked_requirement_is_at_most_full_collateral_and_monotone_in_spot(
        kind in kind(), k in price(), n in amount(), s1 in price(), s2 in price(),
        tau in 0u64..90 * 86_400, sc in scale()
    ) {
        let t = Terms { kind, strike: k };
        let full = spread_requirement(kind, k, n, U256::ZERO, U256::ZERO, sc).unwrap();
        let r1 = naked_requirement(t, n, s1, tau, &params(), sc).unwrap();
        let r2 = naked_requirement(t, n, s2, tau, &params(), sc).unwrap();
        // One unit of the per-option rounding may spill over the full requirement.
        prop_assert!(r1 <= full + U256::ONE);
        let (lo, hi) = if s1 <= s2 { (r1, r2) } else { (r2, r1) };
        match kind {
            Kind::Put => prop_assert!(hi <= lo),
            Kind::Call => prop_assert!(lo <= hi),
        }
        // Covers the cash value at the shocked spot (puts: spot*shock).
        if kind == Kind::Put {
            let shocked = mul_div(s1, params().shock, WAD, Rounding::Down).unwrap();
            let cash = settlement_amount(t, shocked, n, sc, Rounding::Up).unwrap();
            prop_assert!(cash <= r1);
        }
    }

    #[test]
    fn auction_price_rises_to_collateral_over_debt_and_never_overpays(
        kind in kind(), k in price(), spot in price(), c in amount(), d in 1u128..u64::MAX as u128 * 1_000_000,
        e1 in 0u64..10_000, e2 in 0u64..10_000, disc in 0u64..500_000_000_000_000_000, sc in scale(),
        part in 0u128..=1_000_000
    ) {
        let t = Terms { kind, strike: k };
        let d = U256::from(d);
        let ap = AuctionParams { duration: 3600, discount: U256::from(disc) };
        let p1 = auction_price(t, spot, c, d, e1.min(e2), &ap, sc).unwrap();
        let p2 = auction_price(t, spot, c, d, e1.max(e2), &ap, sc).unwrap();
        let end = mul_div(c, WAD, d, Rounding::Down).unwrap();
        prop_assert!(p1 <= p2 && p2 <= end);
        if e1.max(e2) >= 3600 {
            prop_assert_eq!(p2, end);
        }
        // Repaying part of the debt never takes more than the collateral.
        let repaid = d * U256::from(part) / U256::from(1_000_000u64);
        let paid = auction_payout(repaid, p2, c, d).unwrap();
        prop_assert!(paid <= c);
        // Below the cash value when the vault is solvent at the start.
        let cash_value = settlement_amount(t, spot, WAD, sc, Rounding::Down).unwrap();
        if p1 < end && e1.min(e2) == 0 {
            prop_assert!(p1 <= cash_value + U256::ONE);
        }
    }
}
