//! `PricingEngine`: the `option-math` Black-Scholes library as a Stylus contract any dApp can call.
//!
//! Every method is a pure view: no storage, no events, no admin (nothing to govern or
//! initialise; a new version is a new deployment, and callers choose which one they trust).
//! Inputs are validated and rejected with the custom errors of `abi::pricing`, carrying the
//! offending value and the accepted range. Units and conventions are those of
//! [`abi::pricing`]; accuracy and the algorithms are documented in `option-math`.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
// Errors are the ABI's error structs, carrying their values; they become revert data at once, so
// boxing them would only add allocations and code size.
#![allow(clippy::result_large_err)]
extern crate alloc;

use abi::pricing::{self as limits, IPricingEngine as I};
use alloc::vec::Vec;
use alloy_primitives::{I256, U256};
use option_math::{Expiry, Greeks, Kind, MathError};
use stylus_sdk::prelude::*;

#[cfg(test)]
mod tests;

/// The contract's errors: the `abi::pricing` error structs.
///
/// `SolidityError` is derived only for `export-abi` (so the exported interface lists the
/// errors); the contract itself encodes revert data with [`revert_data`], which is the same ABI
/// encoding (every field is one 32-byte word) in a fraction of the code size.
#[cfg_attr(feature = "export-abi", derive(SolidityError))]
#[derive(Debug)]
pub enum PricingError {
    InvalidSpot(I::InvalidSpot),
    InvalidStrike(I::InvalidStrike),
    InvalidTimeToExpiry(I::InvalidTimeToExpiry),
    InvalidVolatility(I::InvalidVolatility),
    InvalidRate(I::InvalidRate),
    OptionExpired(I::OptionExpired),
    PriceOutOfBounds(I::PriceOutOfBounds),
    ImpliedVolNotFound(I::ImpliedVolNotFound),
    TooManyStrikes(I::TooManyStrikes),
    ArithmeticOverflow(I::ArithmeticOverflow),
}

/// `selector ‖ words`: the ABI encoding of an error whose fields are all static words.
#[cfg(not(feature = "export-abi"))]
fn encode_error(selector: [u8; 4], words: &[U256]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 32 * words.len());
    out.extend_from_slice(&selector);
    for w in words {
        out.extend_from_slice(&w.to_be_bytes::<32>());
    }
    out
}

/// Revert data of an error, as `SolError::abi_encode` would produce it.
#[cfg(not(feature = "export-abi"))]
fn revert_data(e: PricingError) -> Vec<u8> {
    use alloy_sol_types::SolError;
    match e {
        PricingError::InvalidSpot(x) => {
            encode_error(I::InvalidSpot::SELECTOR, &[x.spot, x.min, x.max])
        }
        PricingError::InvalidStrike(x) => {
            encode_error(I::InvalidStrike::SELECTOR, &[x.strike, x.min, x.max])
        }
        PricingError::InvalidTimeToExpiry(x) => {
            encode_error(I::InvalidTimeToExpiry::SELECTOR, &[x.timeToExpiry, x.max])
        }
        PricingError::InvalidVolatility(x) => encode_error(
            I::InvalidVolatility::SELECTOR,
            &[x.volatility, x.min, x.max],
        ),
        PricingError::InvalidRate(x) => encode_error(
            I::InvalidRate::SELECTOR,
            &[x.rate.into_raw(), x.min.into_raw(), x.max.into_raw()],
        ),
        PricingError::OptionExpired(_) => encode_error(I::OptionExpired::SELECTOR, &[]),
        PricingError::PriceOutOfBounds(x) => {
            encode_error(I::PriceOutOfBounds::SELECTOR, &[x.price, x.lower, x.upper])
        }
        PricingError::ImpliedVolNotFound(x) => {
            encode_error(I::ImpliedVolNotFound::SELECTOR, &[x.iterations])
        }
        PricingError::TooManyStrikes(x) => {
            encode_error(I::TooManyStrikes::SELECTOR, &[x.count, x.max])
        }
        PricingError::ArithmeticOverflow(_) => encode_error(I::ArithmeticOverflow::SELECTOR, &[]),
    }
}

#[cfg(not(feature = "export-abi"))]
impl From<PricingError> for Vec<u8> {
    fn from(e: PricingError) -> Vec<u8> {
        revert_data(e)
    }
}

fn u(v: u128) -> U256 {
    U256::from(v)
}

/// Two's complement sign extension: every `i128` is an `I256`.
fn i(v: i128) -> I256 {
    let abs = U256::from(v.unsigned_abs());
    I256::from_raw(if v < 0 {
        U256::ZERO.wrapping_sub(abs)
    } else {
        abs
    })
}

fn invalid_spot(spot: U256) -> PricingError {
    PricingError::InvalidSpot(I::InvalidSpot {
        spot,
        min: u(limits::MIN_PRICE),
        max: u(limits::MAX_PRICE),
    })
}

fn invalid_strike(strike: U256) -> PricingError {
    PricingError::InvalidStrike(I::InvalidStrike {
        strike,
        min: u(limits::MIN_PRICE),
        max: u(limits::MAX_PRICE),
    })
}

fn invalid_time(time: U256) -> PricingError {
    PricingError::InvalidTimeToExpiry(I::InvalidTimeToExpiry {
        timeToExpiry: time,
        max: U256::from(limits::MAX_TIME),
    })
}

fn invalid_vol(vol: U256) -> PricingError {
    PricingError::InvalidVolatility(I::InvalidVolatility {
        volatility: vol,
        min: u(limits::MIN_VOL),
        max: u(limits::MAX_VOL),
    })
}

fn invalid_rate(rate: I256) -> PricingError {
    PricingError::InvalidRate(I::InvalidRate {
        rate,
        min: i(-(limits::MAX_RATE as i128)),
        max: i(limits::MAX_RATE as i128),
    })
}

impl From<MathError> for PricingError {
    fn from(e: MathError) -> Self {
        match e {
            MathError::InvalidSpot(v) => invalid_spot(u(v)),
            MathError::InvalidStrike(v) => invalid_strike(u(v)),
            MathError::InvalidTime(v) => invalid_time(U256::from(v)),
            MathError::InvalidVolatility(v) => invalid_vol(u(v)),
            MathError::InvalidRate(v) => invalid_rate(i(v)),
            MathError::Expired => PricingError::OptionExpired(I::OptionExpired {}),
            MathError::PriceOutOfBounds {
                price,
                lower,
                upper,
            } => PricingError::PriceOutOfBounds(I::PriceOutOfBounds {
                price: u(price),
                lower: u(lower),
                upper: u(upper),
            }),
            MathError::NoConvergence { iterations } => {
                PricingError::ImpliedVolNotFound(I::ImpliedVolNotFound {
                    iterations: U256::from(iterations),
                })
            }
            MathError::OutOfDomain(_) | MathError::Overflow => {
                PricingError::ArithmeticOverflow(I::ArithmeticOverflow {})
            }
        }
    }
}

/// ABI words to the library's integer types; out-of-range values get the error that names them.
fn price_arg(v: U256, err: fn(U256) -> PricingError) -> Result<u128, PricingError> {
    u128::try_from(v).map_err(|_| err(v))
}

fn time_arg(v: U256) -> Result<u64, PricingError> {
    u64::try_from(v).map_err(|_| invalid_time(v))
}

fn rate_arg(v: I256) -> Result<i128, PricingError> {
    // An `i128` iff the upper 128 bits are the sign extension of the lower 128.
    let limbs = v.into_raw().into_limbs();
    let low = (u128::from(limbs[1]) << 64 | u128::from(limbs[0])) as i128;
    let ext = if low < 0 { u64::MAX } else { 0 };
    if limbs[2] == ext && limbs[3] == ext {
        Ok(low)
    } else {
        Err(invalid_rate(v))
    }
}

fn expiry(spot: U256, time: U256, vol: U256, rate: I256) -> Result<Expiry, PricingError> {
    Ok(Expiry::new(
        price_arg(spot, invalid_spot)?,
        time_arg(time)?,
        price_arg(vol, invalid_vol)?,
        rate_arg(rate)?,
    )?)
}

type GreeksOut = (I256, I256, I256, I256, I256);

fn greeks_out(g: Greeks) -> GreeksOut {
    (i(g.delta), i(g.gamma), i(g.theta), i(g.vega), i(g.rho))
}

fn priced(
    spot: U256,
    strike: U256,
    time: U256,
    vol: U256,
    rate: I256,
    is_call: bool,
) -> Result<(u128, Greeks), PricingError> {
    let e = expiry(spot, time, vol, rate)?;
    let q = e.quote(price_arg(strike, invalid_strike)?)?;
    let kind = Kind::from_is_call(is_call);
    Ok((q.price(kind), e.greeks(&q, kind)?))
}

/// Price of a call (`isCall`) or put.
pub fn price(
    spot: U256,
    strike: U256,
    time_to_expiry: U256,
    volatility: U256,
    rate: I256,
    is_call: bool,
) -> Result<U256, PricingError> {
    let q = expiry(spot, time_to_expiry, volatility, rate)?
        .quote(price_arg(strike, invalid_strike)?)?;
    Ok(u(q.price(Kind::from_is_call(is_call))))
}

/// Delta, gamma, theta, vega and rho.
pub fn greeks(
    spot: U256,
    strike: U256,
    time_to_expiry: U256,
    volatility: U256,
    rate: I256,
    is_call: bool,
) -> Result<GreeksOut, PricingError> {
    let (_, g) = priced(spot, strike, time_to_expiry, volatility, rate, is_call)?;
    Ok(greeks_out(g))
}

/// Price and Greeks in one call.
pub fn price_and_greeks(
    spot: U256,
    strike: U256,
    time_to_expiry: U256,
    volatility: U256,
    rate: I256,
    is_call: bool,
) -> Result<(U256, I256, I256, I256, I256, I256), PricingError> {
    let (p, g) = priced(spot, strike, time_to_expiry, volatility, rate, is_call)?;
    let (delta, gamma, theta, vega, rho) = greeks_out(g);
    Ok((u(p), delta, gamma, theta, vega, rho))
}

/// Call and put prices along a strike ladder of one expiry.
pub fn quote_strikes(
    spot: U256,
    strikes: &[U256],
    time_to_expiry: U256,
    volatility: U256,
    rate: I256,
) -> Result<(Vec<U256>, Vec<U256>), PricingError> {
    if strikes.len() > limits::MAX_STRIKES {
        return Err(PricingError::TooManyStrikes(I::TooManyStrikes {
            count: U256::from(strikes.len()),
            max: U256::from(limits::MAX_STRIKES),
        }));
    }
    let e = expiry(spot, time_to_expiry, volatility, rate)?;
    let mut calls = Vec::with_capacity(strikes.len());
    let mut puts = Vec::with_capacity(strikes.len());
    for &strike in strikes {
        let q = e.quote(price_arg(strike, invalid_strike)?)?;
        calls.push(u(q.call));
        puts.push(u(q.put));
    }
    Ok((calls, puts))
}

/// The volatility at which the option is worth `price`.
pub fn implied_vol(
    spot: U256,
    strike: U256,
    time_to_expiry: U256,
    rate: I256,
    is_call: bool,
    price: U256,
) -> Result<U256, PricingError> {
    // A target beyond u128 is above any option's upper bound: report it as such.
    let target = u128::try_from(price).unwrap_or(u128::MAX);
    let vol = option_math::implied_vol(
        price_arg(spot, invalid_spot)?,
        price_arg(strike, invalid_strike)?,
        time_arg(time_to_expiry)?,
        rate_arg(rate)?,
        Kind::from_is_call(is_call),
        target,
    )
    .map_err(|e| match e {
        MathError::PriceOutOfBounds { lower, upper, .. } => {
            PricingError::PriceOutOfBounds(I::PriceOutOfBounds {
                price,
                lower: u(lower),
                upper: u(upper),
            })
        }
        other => other.into(),
    })?;
    Ok(u(vol))
}

// The contract's entrypoint is hand-written: the SDK's `#[public]` router would decode and encode
// through alloy's generic ABI code, whose panic messages and type-name buffers sit in the data
// segment, and a program pays for every byte of that segment on every call (cached init gas).
// `dispatch` gives the same results as that router for every calldata, which the unit tests check
// against the router generated from the `#[public]` impl in `interface` (kept for them and for
// `export-abi`).
#[cfg(not(any(test, feature = "export-abi")))]
#[entrypoint]
pub fn pricing_engine(input: Vec<u8>, host: stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    dispatch(&input, &host)
}

#[cfg(any(test, feature = "export-abi"))]
mod interface;
#[cfg(feature = "export-abi")]
pub use interface::print_from_args;

/// The empty revert the SDK's router gives for calldata it cannot route or decode, and for value
/// sent to a non-payable function.
#[cfg(not(feature = "export-abi"))]
fn rejected() -> Vec<u8> {
    Vec::new()
}

/// `N` static words; bytes after them are ignored, as the router's decoder ignores them.
#[cfg(not(feature = "export-abi"))]
fn static_args<const N: usize>(args: &[u8]) -> Result<[U256; N], Vec<u8>> {
    if args.len() < 32 * N {
        return Err(rejected());
    }
    let mut out = [U256::ZERO; N];
    for (w, chunk) in out.iter_mut().zip(args.chunks_exact(32)) {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(chunk);
        *w = U256::from_be_bytes(bytes);
    }
    Ok(out)
}

/// A `bool` word: 0 or 1, anything else is not a valid encoding.
#[cfg(not(feature = "export-abi"))]
fn flag(w: U256) -> Result<bool, Vec<u8>> {
    if w == U256::ZERO {
        Ok(false)
    } else if w == U256::from(1u8) {
        Ok(true)
    } else {
        Err(rejected())
    }
}

/// A word that fits in `usize`, as alloy reads offsets and lengths.
#[cfg(not(feature = "export-abi"))]
fn as_usize(w: U256) -> Result<usize, Vec<u8>> {
    let limbs = w.as_limbs();
    if limbs[1] != 0 || limbs[2] != 0 || limbs[3] != 0 {
        return Err(rejected());
    }
    usize::try_from(limbs[0]).map_err(|_| rejected())
}

/// The `uint256[]` whose head word is `offset`, with the checks of alloy's (non-strict)
/// validating decoder: offset and length fit in `usize`, the length word and the items lie
/// within the calldata, at most 2^25 items (its 1 GiB decoding memory limit); offsets may point
/// anywhere, trailing bytes are ignored.
#[cfg(not(feature = "export-abi"))]
fn word_array(args: &[u8], offset: U256) -> Result<Vec<U256>, Vec<u8>> {
    let offset = as_usize(offset)?;
    let tail = args.get(offset..).ok_or_else(rejected)?;
    let [len] = static_args::<1>(tail)?;
    let len = as_usize(len)?;
    let items = tail.get(32..).unwrap_or_default();
    if len > items.len() / 32 || len > 1 << 25 {
        return Err(rejected());
    }
    let mut out = Vec::with_capacity(len);
    for chunk in items.chunks_exact(32).take(len) {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(chunk);
        out.push(U256::from_be_bytes(bytes));
    }
    Ok(out)
}

#[cfg(not(feature = "export-abi"))]
fn encode(words: &[U256]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 * words.len());
    for w in words {
        out.extend_from_slice(&w.to_be_bytes::<32>());
    }
    out
}

/// Routes calldata to the five views and ABI-encodes their results or errors.
#[cfg(not(feature = "export-abi"))]
pub fn dispatch(input: &[u8], host: &stylus_sdk::host::VM) -> stylus_sdk::ArbResult {
    use alloy_sol_types::SolCall;
    let Some((selector, args)) = input.split_first_chunk::<4>() else {
        return Err(rejected());
    };
    // Every function is a pure view, so none accepts value.
    if host.msg_value() != U256::ZERO {
        return Err(rejected());
    }
    let out = match *selector {
        I::priceCall::SELECTOR => {
            let [spot, strike, time, vol, rate, is_call] = static_args::<6>(args)?;
            let is_call = flag(is_call)?;
            price(spot, strike, time, vol, I256::from_raw(rate), is_call).map(|p| encode(&[p]))
        }
        I::greeksCall::SELECTOR => {
            let [spot, strike, time, vol, rate, is_call] = static_args::<6>(args)?;
            let is_call = flag(is_call)?;
            greeks(spot, strike, time, vol, I256::from_raw(rate), is_call).map(|g| {
                encode(&[
                    g.0.into_raw(),
                    g.1.into_raw(),
                    g.2.into_raw(),
                    g.3.into_raw(),
                    g.4.into_raw(),
                ])
            })
        }
        I::priceAndGreeksCall::SELECTOR => {
            let [spot, strike, time, vol, rate, is_call] = static_args::<6>(args)?;
            let is_call = flag(is_call)?;
            price_and_greeks(spot, strike, time, vol, I256::from_raw(rate), is_call).map(|g| {
                encode(&[
                    g.0,
                    g.1.into_raw(),
                    g.2.into_raw(),
                    g.3.into_raw(),
                    g.4.into_raw(),
                    g.5.into_raw(),
                ])
            })
        }
        I::impliedVolCall::SELECTOR => {
            let [spot, strike, time, rate, is_call, target] = static_args::<6>(args)?;
            let is_call = flag(is_call)?;
            implied_vol(spot, strike, time, I256::from_raw(rate), is_call, target)
                .map(|v| encode(&[v]))
        }
        I::quoteStrikesCall::SELECTOR => {
            let [spot, offset, time, vol, rate] = static_args::<5>(args)?;
            let strikes = word_array(args, offset)?;
            quote_strikes(spot, &strikes, time, vol, I256::from_raw(rate)).map(|(calls, puts)| {
                // `(uint256[], uint256[])`: two offsets, then each array as length ‖ items.
                let n = calls.len();
                let mut words = Vec::with_capacity(4 + 2 * n);
                words.push(U256::from(64u8));
                words.push(U256::from(64 + 32 * (n + 1)));
                words.push(U256::from(n));
                words.extend(calls);
                words.push(U256::from(n));
                words.extend(puts);
                encode(&words)
            })
        }
        _ => return Err(rejected()),
    };
    out.map_err(revert_data)
}
