//! The PricingEngine as built and deployed on the devnet answers over JSON-RPC exactly as the
//! `option-math` library computes, within the library's documented accuracy of the committed
//! mpmath vectors, and rejects bad input with the ABI's custom errors in the revert data.

use abi::pricing::IPricingEngine::{self as I, IPricingEngineErrors};
use alloy::primitives::{Address, I256, U256};
use alloy::sol_types::{SolCall, SolInterface};
use deploy::{DeployError, Deployer};
use e2e::{artifact, Harness};
use option_math::{Expiry, Kind};

/// One row of `black_scholes.csv`: inputs and the reference outputs (units of 1e-18).
struct Case {
    set: String,
    spot: u128,
    strike: u128,
    time: u64,
    vol: u128,
    rate: i128,
    /// call, put, call_delta, put_delta, gamma, vega, call_theta, put_theta, call_rho, put_rho
    refs: Vec<f64>,
}

fn cases() -> Vec<Case> {
    include_str!("../../contracts/option-math/vectors/black_scholes.csv")
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Case {
                set: f[0].to_string(),
                spot: f[1].parse().expect("spot"),
                strike: f[2].parse().expect("strike"),
                time: f[3].parse().expect("time"),
                vol: f[4].parse().expect("vol"),
                rate: f[5].parse().expect("rate"),
                refs: f[6..]
                    .iter()
                    .map(|s| s.parse().expect("reference"))
                    .collect(),
            }
        })
        .collect()
}

fn i256(v: i128) -> I256 {
    I256::try_from(v).expect("i128 fits")
}

fn as_i128(v: I256) -> i128 {
    i128::try_from(v).expect("fits i128")
}

fn as_u128(v: U256) -> u128 {
    u128::try_from(v).expect("fits u128")
}

async fn engine(harness: &Harness, account: usize) -> (Deployer, Address) {
    let deployer = harness.deployer(account);
    let deployed = deployer
        .deploy_program(&artifact("pricing-engine").code)
        .await
        .expect("deploys");
    (deployer, deployed.address)
}

/// The decoded custom error of a call that must revert.
async fn revert_of<C: SolCall>(d: &Deployer, at: Address, call: C) -> IPricingEngineErrors {
    match d.view(at, call).await {
        Err(DeployError::Reverted { data, reason }) => IPricingEngineErrors::abi_decode(&data)
            .unwrap_or_else(|e| panic!("undecodable revert {reason}: {e}")),
        Err(other) => panic!("expected a revert, got {other}"),
        Ok(_) => panic!("expected a revert, the call succeeded"),
    }
}

/// Every 12th vector (all three sets): prices and Greeks equal the library's to the unit, and lie
/// within the library's documented error of the mpmath reference.
#[tokio::test(flavor = "multi_thread")]
async fn prices_and_greeks_match_the_library_and_mpmath() {
    let harness = Harness::start();
    let (d, at) = engine(&harness, 0).await;
    let all = cases();
    let mut checked = 0;
    for c in all.iter().step_by(12) {
        let e = Expiry::new(c.spot, c.time, c.vol, c.rate).expect("valid vector");
        let q = e.quote(c.strike).expect("quote");
        for (is_call, kind) in [(true, Kind::Call), (false, Kind::Put)] {
            let args = (
                U256::from(c.spot),
                U256::from(c.strike),
                U256::from(c.time),
                U256::from(c.vol),
                i256(c.rate),
            );
            let price = d
                .view(
                    at,
                    I::priceCall::new((args.0, args.1, args.2, args.3, args.4, is_call)),
                )
                .await
                .expect("price");
            let g = d
                .view(
                    at,
                    I::greeksCall::new((args.0, args.1, args.2, args.3, args.4, is_call)),
                )
                .await
                .expect("greeks");
            let pg = d
                .view(
                    at,
                    I::priceAndGreeksCall::new((args.0, args.1, args.2, args.3, args.4, is_call)),
                )
                .await
                .expect("priceAndGreeks");
            let lib = e.greeks(&q, kind).expect("library greeks");
            assert_eq!(as_u128(price), q.price(kind));
            assert_eq!(pg.price, price);
            let ours = [g.delta, g.gamma, g.theta, g.vega, g.rho].map(as_i128);
            assert_eq!(ours, [lib.delta, lib.gamma, lib.theta, lib.vega, lib.rho]);
            assert_eq!(
                [pg.delta, pg.gamma, pg.theta, pg.vega, pg.rho].map(as_i128),
                ours
            );

            // Reference columns for this side.
            let (p, delta, theta, rho) = if is_call { (0, 2, 6, 8) } else { (1, 3, 7, 9) };
            let checks = [
                (price_units(price), c.refs[p], 1e-12),
                (ours[0] as f64, c.refs[delta], 1e-10),
                (ours[1] as f64, c.refs[4], 1e-10),
                (ours[2] as f64, c.refs[theta], 1e-10),
                (ours[3] as f64, c.refs[5], 1e-10),
                (ours[4] as f64, c.refs[rho], 1e-10),
            ];
            for (value, reference, rel) in checks {
                // f64 keeps 53 bits: allow its own rounding of both numbers on top.
                let slack = 4.0 + rel * reference.abs() + 2.0 * f64::EPSILON * reference.abs();
                assert!(
                    (value - reference).abs() <= slack,
                    "{} S={} K={} t={} v={} r={} call={is_call}: {value} vs {reference}",
                    c.set,
                    c.spot,
                    c.strike,
                    c.time,
                    c.vol,
                    c.rate
                );
            }
        }
        checked += 1;
    }
    assert!(checked > 140, "only {checked} vectors");
}

fn price_units(p: U256) -> f64 {
    as_u128(p) as f64
}

#[tokio::test(flavor = "multi_thread")]
async fn quote_strikes_and_implied_vol_match_the_library() {
    let harness = Harness::start();
    let (d, at) = engine(&harness, 1).await;
    let spot: u128 = 2_000 * 10u128.pow(18);
    let (time, vol, rate) = (30 * 86_400u64, 8 * 10u128.pow(17), 5 * 10i128.pow(16));
    let strikes: Vec<u128> = (0..10)
        .map(|k| (1_600 + 100 * k) * 10u128.pow(18))
        .collect();
    let quoted = d
        .view(
            at,
            I::quoteStrikesCall::new((
                U256::from(spot),
                strikes.iter().map(|&k| U256::from(k)).collect(),
                U256::from(time),
                U256::from(vol),
                i256(rate),
            )),
        )
        .await
        .expect("quoteStrikes");
    let e = Expiry::new(spot, time, vol, rate).expect("valid");
    for (i, &k) in strikes.iter().enumerate() {
        let q = e.quote(k).expect("quote");
        assert_eq!(as_u128(quoted.calls[i]), q.call, "call at {k}");
        assert_eq!(as_u128(quoted.puts[i]), q.put, "put at {k}");

        // Implied volatility of the quoted put recovers the volatility, as the library does.
        let iv = d
            .view(
                at,
                I::impliedVolCall::new((
                    U256::from(spot),
                    U256::from(k),
                    U256::from(time),
                    i256(rate),
                    false,
                    quoted.puts[i],
                )),
            )
            .await
            .expect("impliedVol");
        let lib = option_math::implied_vol(spot, k, time, rate, Kind::Put, q.put).expect("iv");
        assert_eq!(as_u128(iv), lib);
        let err = (as_u128(iv) as f64 - vol as f64).abs();
        assert!(err < 1e-9 * vol as f64, "iv {iv} for vol {vol} at {k}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_reverts_with_custom_errors() {
    let harness = Harness::start();
    let (d, at) = engine(&harness, 2).await;
    let one = U256::from(10u128.pow(18));
    let (t, vol, r) = (
        U256::from(86_400),
        U256::from(5 * 10u128.pow(17)),
        I256::ZERO,
    );

    let err = revert_of(
        &d,
        at,
        I::priceCall::new((U256::ZERO, one, t, vol, r, true)),
    )
    .await;
    assert_eq!(
        err,
        IPricingEngineErrors::InvalidSpot(I::InvalidSpot {
            spot: U256::ZERO,
            min: U256::from(abi::pricing::MIN_PRICE),
            max: U256::from(abi::pricing::MAX_PRICE),
        })
    );

    let huge_vol = U256::from(abi::pricing::MAX_VOL) + U256::from(1);
    let err = revert_of(
        &d,
        at,
        I::greeksCall::new((one, one, t, huge_vol, r, false)),
    )
    .await;
    assert_eq!(
        err,
        IPricingEngineErrors::InvalidVolatility(I::InvalidVolatility {
            volatility: huge_vol,
            min: U256::from(abi::pricing::MIN_VOL),
            max: U256::from(abi::pricing::MAX_VOL),
        })
    );

    let rate = I256::try_from(-2 * 10i128.pow(18)).expect("fits");
    let err = revert_of(
        &d,
        at,
        I::priceAndGreeksCall::new((one, one, t, vol, rate, true)),
    )
    .await;
    let max_rate = I256::try_from(abi::pricing::MAX_RATE).expect("fits");
    assert_eq!(
        err,
        IPricingEngineErrors::InvalidRate(I::InvalidRate {
            rate,
            min: -max_rate,
            max: max_rate,
        })
    );

    let too_many = vec![one; abi::pricing::MAX_STRIKES + 1];
    let err = revert_of(&d, at, I::quoteStrikesCall::new((one, too_many, t, vol, r))).await;
    assert_eq!(
        err,
        IPricingEngineErrors::TooManyStrikes(I::TooManyStrikes {
            count: U256::from(abi::pricing::MAX_STRIKES + 1),
            max: U256::from(abi::pricing::MAX_STRIKES),
        })
    );

    let err = revert_of(
        &d,
        at,
        I::impliedVolCall::new((one, one, U256::ZERO, r, true, one / U256::from(10))),
    )
    .await;
    assert_eq!(
        err,
        IPricingEngineErrors::OptionExpired(I::OptionExpired {})
    );

    // A call can never be worth more than the spot.
    let err = revert_of(
        &d,
        at,
        I::impliedVolCall::new((one, one, t, r, true, one * U256::from(2))),
    )
    .await;
    match err {
        IPricingEngineErrors::PriceOutOfBounds(e) => {
            assert_eq!(e.price, one * U256::from(2));
            assert!(e.lower < e.upper && e.upper <= one, "{e:?}");
        }
        other => panic!("expected PriceOutOfBounds, got {other:?}"),
    }
}
