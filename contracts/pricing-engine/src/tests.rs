//! Unit tests: every method called through the contract's entrypoint (`dispatch`) on a `TestVM`,
//! with calldata and return data encoded by the `abi` crate's declarations, so the ABI is
//! exercised too; and `dispatch` compared with the SDK router for valid and malformed calldata.

use super::*;
use abi::pricing::IPricingEngine::{self as P};
use alloy_sol_types::{SolCall, SolError};
use interface::PricingEngine;
use option_math::{WAD, YEAR};
use proptest::prelude::*;
use stylus_sdk::{abi::router_entrypoint, host::VM, testing::TestVM};

fn vm() -> VM {
    VM {
        host: alloc::boxed::Box::new(TestVM::default()),
    }
}

fn call_raw(data: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
    let out = dispatch(&data, &vm());
    assert_eq!(out, router(data), "dispatch and the SDK router differ");
    out
}

fn router(data: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
    router_entrypoint::<PricingEngine, PricingEngine>(data, vm())
}

fn call<C: SolCall>(c: C) -> Result<C::Return, Vec<u8>> {
    let out = call_raw(c.abi_encode())?;
    Ok(C::abi_decode_returns(&out).expect("decodable return data"))
}

fn w(x: u128) -> U256 {
    U256::from(x)
}

fn sw(x: i128) -> I256 {
    i(x)
}

const SPOT: u128 = 2_000 * WAD;
const DAY: u64 = 86_400;

fn price_call(strike: u128, is_call: bool) -> P::priceCall {
    P::priceCall {
        spot: w(SPOT),
        strike: w(strike),
        timeToExpiry: U256::from(30 * DAY),
        volatility: w(WAD * 8 / 10),
        rate: sw(WAD as i128 / 20),
        isCall: is_call,
    }
}

#[test]
fn price_matches_the_library_and_parity_holds() {
    let strike = 2_200 * WAD;
    let c = call(price_call(strike, true)).unwrap();
    let p = call(price_call(strike, false)).unwrap();
    let lib = option_math::price(
        SPOT,
        strike,
        30 * DAY,
        WAD * 8 / 10,
        WAD as i128 / 20,
        Kind::Call,
    )
    .unwrap();
    assert_eq!(c, w(lib));
    let e = Expiry::new(SPOT, 30 * DAY, WAD * 8 / 10, WAD as i128 / 20).unwrap();
    let pv = e.pv_strike(strike).unwrap();
    assert_eq!(c + w(pv), p + w(SPOT));
    // mpmath at 40 digits: 110.6770381540679252044827760..., so correct to the last unit.
    assert_eq!(c, w(110_677_038_154_067_925_204));
}

#[test]
fn price_and_greeks_agree_with_the_single_calls() {
    for is_call in [true, false] {
        let pc = price_call(1_900 * WAD, is_call);
        let price = call(pc.clone()).unwrap();
        let g = call(P::greeksCall {
            spot: pc.spot,
            strike: pc.strike,
            timeToExpiry: pc.timeToExpiry,
            volatility: pc.volatility,
            rate: pc.rate,
            isCall: is_call,
        })
        .unwrap();
        let both = call(P::priceAndGreeksCall {
            spot: pc.spot,
            strike: pc.strike,
            timeToExpiry: pc.timeToExpiry,
            volatility: pc.volatility,
            rate: pc.rate,
            isCall: is_call,
        })
        .unwrap();
        assert_eq!(both.price, price);
        assert_eq!(
            (both.delta, both.gamma, both.theta, both.vega, both.rho),
            (g.delta, g.gamma, g.theta, g.vega, g.rho)
        );
        if is_call {
            assert!(g.delta > I256::ZERO && g.rho > I256::ZERO);
        } else {
            assert!(g.delta < I256::ZERO && g.rho < I256::ZERO);
        }
        assert!(g.gamma > I256::ZERO && g.vega > I256::ZERO && g.theta < I256::ZERO);
    }
}

#[test]
fn strike_ladder_matches_single_prices() {
    let strikes: Vec<U256> = (0..10).map(|k| w((1_500 + 100 * k) * WAD)).collect();
    let out = call(P::quoteStrikesCall {
        spot: w(SPOT),
        strikes: strikes.clone(),
        timeToExpiry: U256::from(30 * DAY),
        volatility: w(WAD * 8 / 10),
        rate: sw(WAD as i128 / 20),
    })
    .unwrap();
    assert_eq!(out.calls.len(), 10);
    for (k, strike) in strikes.iter().enumerate() {
        let strike = u128::try_from(*strike).unwrap();
        assert_eq!(out.calls[k], call(price_call(strike, true)).unwrap());
        assert_eq!(out.puts[k], call(price_call(strike, false)).unwrap());
    }
    let too_many = call_raw(
        P::quoteStrikesCall {
            spot: w(SPOT),
            strikes: alloc::vec![w(WAD); limits::MAX_STRIKES + 1],
            timeToExpiry: U256::from(DAY),
            volatility: w(WAD),
            rate: I256::ZERO,
        }
        .abi_encode(),
    );
    assert_eq!(
        too_many.unwrap_err(),
        P::TooManyStrikes {
            count: U256::from(limits::MAX_STRIKES + 1),
            max: U256::from(limits::MAX_STRIKES)
        }
        .abi_encode()
    );
}

#[test]
fn implied_vol_round_trips() {
    for (strike, is_call) in [
        (2_200 * WAD, true),
        (1_800 * WAD, false),
        (1_800 * WAD, true),
    ] {
        let price = call(price_call(strike, is_call)).unwrap();
        let vol = call(P::impliedVolCall {
            spot: w(SPOT),
            strike: w(strike),
            timeToExpiry: U256::from(30 * DAY),
            rate: sw(WAD as i128 / 20),
            isCall: is_call,
            price,
        })
        .unwrap();
        let diff = vol.abs_diff(w(WAD * 8 / 10));
        // The price is an integer: the volatility is fixed to within 1e-15 here.
        assert!(diff < w(1_000), "vol {vol}");
    }
}

#[test]
fn invalid_inputs_revert_with_their_values() {
    let mut c = price_call(2_000 * WAD, true);
    c.spot = U256::ZERO;
    assert_eq!(
        call_raw(c.abi_encode()).unwrap_err(),
        P::InvalidSpot {
            spot: U256::ZERO,
            min: w(limits::MIN_PRICE),
            max: w(limits::MAX_PRICE)
        }
        .abi_encode()
    );
    // Beyond u128 the value is reported unchanged.
    let mut c = price_call(2_000 * WAD, true);
    c.strike = U256::MAX;
    assert_eq!(
        call_raw(c.abi_encode()).unwrap_err(),
        P::InvalidStrike {
            strike: U256::MAX,
            min: w(limits::MIN_PRICE),
            max: w(limits::MAX_PRICE)
        }
        .abi_encode()
    );
    let mut c = price_call(2_000 * WAD, true);
    c.timeToExpiry = U256::from(u64::MAX) + U256::from(1u8);
    assert_eq!(
        call_raw(c.abi_encode()).unwrap_err(),
        P::InvalidTimeToExpiry {
            timeToExpiry: c.timeToExpiry,
            max: U256::from(limits::MAX_TIME)
        }
        .abi_encode()
    );
    let mut c = price_call(2_000 * WAD, true);
    c.volatility = U256::ZERO;
    assert_eq!(
        call_raw(c.abi_encode()).unwrap_err(),
        P::InvalidVolatility {
            volatility: U256::ZERO,
            min: w(limits::MIN_VOL),
            max: w(limits::MAX_VOL)
        }
        .abi_encode()
    );
    let mut c = price_call(2_000 * WAD, true);
    c.rate = I256::MIN;
    assert_eq!(
        call_raw(c.abi_encode()).unwrap_err(),
        P::InvalidRate {
            rate: I256::MIN,
            min: sw(-(limits::MAX_RATE as i128)),
            max: sw(limits::MAX_RATE as i128)
        }
        .abi_encode()
    );
}

#[test]
fn implied_vol_errors() {
    let iv = |time: u64, price: U256| {
        call_raw(
            P::impliedVolCall {
                spot: w(SPOT),
                strike: w(SPOT),
                timeToExpiry: U256::from(time),
                rate: I256::ZERO,
                isCall: true,
                price,
            }
            .abi_encode(),
        )
    };
    assert_eq!(iv(0, w(WAD)).unwrap_err(), P::OptionExpired {}.abi_encode());
    // More than the spot: no volatility gives it.
    let err = iv(YEAR, U256::MAX).unwrap_err();
    let decoded = P::PriceOutOfBounds::abi_decode(&err).unwrap();
    assert_eq!(decoded.price, U256::MAX);
    assert!(decoded.lower < decoded.upper && decoded.upper <= w(SPOT));
}

#[test]
fn at_expiry_the_price_is_intrinsic() {
    let mut c = price_call(1_500 * WAD, true);
    c.timeToExpiry = U256::ZERO;
    assert_eq!(call(c).unwrap(), w(500 * WAD));
}

#[test]
fn limits_match_the_library() {
    assert_eq!(limits::MIN_PRICE, option_math::MIN_PRICE);
    assert_eq!(limits::MAX_PRICE, option_math::MAX_PRICE);
    assert_eq!(limits::MAX_TIME, option_math::MAX_TIME);
    assert_eq!(limits::MIN_VOL, option_math::MIN_VOL);
    assert_eq!(limits::MAX_VOL, option_math::MAX_VOL);
    assert_eq!(limits::MAX_RATE, option_math::MAX_RATE);
}

#[test]
fn signed_conversion_is_exact() {
    for v in [0i128, 1, -1, i128::MAX, i128::MIN, -(WAD as i128)] {
        assert_eq!(i(v), I256::try_from(v).unwrap());
    }
}

#[test]
fn revert_data_is_the_abi_encoding() {
    let cases: Vec<(PricingError, Vec<u8>)> = alloc::vec![
        (
            invalid_rate(sw(-5)),
            P::InvalidRate {
                rate: sw(-5),
                min: sw(-(WAD as i128)),
                max: sw(WAD as i128)
            }
            .abi_encode(),
        ),
        (
            PricingError::OptionExpired(P::OptionExpired {}),
            P::OptionExpired {}.abi_encode()
        ),
        (
            PricingError::ImpliedVolNotFound(P::ImpliedVolNotFound { iterations: w(7) }),
            P::ImpliedVolNotFound { iterations: w(7) }.abi_encode(),
        ),
        (
            PricingError::ArithmeticOverflow(P::ArithmeticOverflow {}),
            P::ArithmeticOverflow {}.abi_encode(),
        ),
        (
            invalid_time(w(9)),
            P::InvalidTimeToExpiry {
                timeToExpiry: w(9),
                max: U256::from(limits::MAX_TIME)
            }
            .abi_encode()
        ),
    ];
    for (e, expected) in cases {
        assert_eq!(revert_data(e), expected);
    }
}

#[test]
fn value_is_refused_like_the_router() {
    let vm = TestVM::default();
    vm.set_value(U256::from(1u8));
    let host = VM {
        host: alloc::boxed::Box::new(vm.clone()),
    };
    let data = price_call(2_000 * WAD, true).abi_encode();
    assert_eq!(dispatch(&data, &host), Err(Vec::new()));
    let host = VM {
        host: alloc::boxed::Box::new(vm),
    };
    assert_eq!(
        router_entrypoint::<PricingEngine, PricingEngine>(data, host),
        Err(Vec::new())
    );
}

/// Valid calldata of each function, for the comparisons with the router.
fn valid_calls(strikes: usize) -> Vec<Vec<u8>> {
    let c = price_call(2_100 * WAD, false);
    alloc::vec![
        c.abi_encode(),
        P::greeksCall {
            spot: c.spot,
            strike: c.strike,
            timeToExpiry: c.timeToExpiry,
            volatility: c.volatility,
            rate: c.rate,
            isCall: true,
        }
        .abi_encode(),
        P::priceAndGreeksCall {
            spot: c.spot,
            strike: c.strike,
            timeToExpiry: c.timeToExpiry,
            volatility: c.volatility,
            rate: c.rate,
            isCall: false,
        }
        .abi_encode(),
        P::quoteStrikesCall {
            spot: c.spot,
            strikes: (0..strikes)
                .map(|k| w((1_000 + 150 * k as u128) * WAD))
                .collect(),
            timeToExpiry: c.timeToExpiry,
            volatility: c.volatility,
            rate: c.rate,
        }
        .abi_encode(),
        P::impliedVolCall {
            spot: c.spot,
            strike: c.strike,
            timeToExpiry: c.timeToExpiry,
            rate: c.rate,
            isCall: false,
            price: w(150 * WAD),
        }
        .abi_encode(),
    ]
}

#[test]
fn malformed_calldata_reverts_like_the_router() {
    let mut cases: Vec<Vec<u8>> = alloc::vec![
        Vec::new(),
        alloc::vec![0x12],
        P::priceCall::SELECTOR[..3].to_vec(),
        P::priceCall::SELECTOR.to_vec(),
        alloc::vec![0xde, 0xad, 0xbe, 0xef],
    ];
    for data in valid_calls(3) {
        let mut dirty_bool = data.clone();
        // The `bool` of price/greeks/priceAndGreeks is the last word; of impliedVol the fifth.
        let flag_at = if data[..4] == P::impliedVolCall::SELECTOR {
            4 + 4 * 32
        } else {
            data.len() - 32
        };
        dirty_bool[flag_at + 31] = 2;
        cases.push(dirty_bool);
        let mut high_bool = data.clone();
        high_bool[flag_at] = 1;
        cases.push(high_bool);
        cases.push(data[..data.len() - 1].to_vec());
        cases.push(data[..data.len() - 32].to_vec());
        let mut long = data.clone();
        long.push(0);
        cases.push(long);
        let mut long = data.clone();
        long.extend_from_slice(&[0; 32]);
        cases.push(long);
        cases.push(data);
    }
    // quoteStrikes' offset and length words set to every small value: pointing into the head,
    // past the end, at overlapping or too short tails.
    let ladder = valid_calls(3)[3].clone();
    for word in [1usize, 5] {
        for v in 0..=300u32 {
            let mut data = ladder.clone();
            let at = 4 + 32 * word;
            data[at..at + 32].copy_from_slice(&U256::from(v).to_be_bytes::<32>());
            cases.push(data);
        }
    }
    for data in cases {
        assert_eq!(dispatch(&data, &vm()), router(data.clone()), "{data:02x?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Any word of any valid call overwritten, or the calldata cut or extended: `dispatch` gives
    /// the router's result, byte for byte.
    #[test]
    fn dispatch_equals_the_router(
        which in 0usize..5,
        strikes in 0usize..4,
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        word in any::<[u8; 32]>(),
        edit in 0u8..5,
    ) {
        let mut data = valid_calls(strikes)[which].clone();
        match edit {
            0 => {
                let i = at.index(data.len());
                data[i] = byte;
            }
            1 => {
                let words = (data.len() - 4) / 32;
                let i = 4 + 32 * at.index(words);
                data[i..i + 32].copy_from_slice(&word);
            }
            2 => data.truncate(at.index(data.len() + 1)),
            // A small value in any word: offsets and lengths pointing anywhere.
            3 => {
                let words = (data.len() - 4) / 32;
                let i = 4 + 32 * at.index(words);
                data[i..i + 32].copy_from_slice(&U256::from(byte).to_be_bytes::<32>());
            }
            _ => data.extend_from_slice(&word[..usize::from(byte % 33)]),
        }
        prop_assert_eq!(dispatch(&data, &vm()), router(data.clone()));
    }
}
