//! The pricing engine (`IPricingEngine`): Black-Scholes prices, Greeks and implied volatility as
//! pure views over the `option-math` library.
//!
//! Units: `spot`, `strike`, prices, `volatility` and `rate` at 1e18 ([`crate::PRICE_SCALE`]);
//! `timeToExpiry` in seconds, annualised over 365 days; `rate` is the continuously compounded
//! annual rate. Greeks at 1e18: delta per unit of spot, gamma per unit of spot, theta per year,
//! vega per 1.0 of volatility, rho per 1.0 of rate. Prices round to nearest; put-call parity
//! `call - put == spot - round(strike * e^(-rate * T))` holds exactly.

use alloy_sol_types::sol;

/// Smallest accepted spot or strike (1e-12 units).
pub const MIN_PRICE: u128 = 1_000_000;
/// Largest accepted spot or strike (1e12 units).
pub const MAX_PRICE: u128 = 1_000_000_000_000_000_000_000_000_000_000;
/// Longest accepted time to expiry, seconds (10 years of 365 days).
pub const MAX_TIME: u64 = 315_360_000;
/// Smallest accepted volatility (0.01% a year).
pub const MIN_VOL: u128 = 100_000_000_000_000;
/// Largest accepted volatility (1000% a year).
pub const MAX_VOL: u128 = 10_000_000_000_000_000_000;
/// Largest accepted absolute rate (100% a year).
pub const MAX_RATE: u128 = 1_000_000_000_000_000_000;
/// Most strikes one `quoteStrikes` call accepts.
pub const MAX_STRIKES: usize = 256;

sol! {
    /// Black-Scholes in fixed point, as pure views.
    #[derive(Debug, PartialEq, Eq)]
    interface IPricingEngine {
        function price(
            uint256 spot,
            uint256 strike,
            uint256 timeToExpiry,
            uint256 volatility,
            int256 rate,
            bool isCall
        ) external pure returns (uint256);
        function greeks(
            uint256 spot,
            uint256 strike,
            uint256 timeToExpiry,
            uint256 volatility,
            int256 rate,
            bool isCall
        ) external pure returns (int256 delta, int256 gamma, int256 theta, int256 vega, int256 rho);
        function priceAndGreeks(
            uint256 spot,
            uint256 strike,
            uint256 timeToExpiry,
            uint256 volatility,
            int256 rate,
            bool isCall
        )
            external
            pure
            returns (uint256 price, int256 delta, int256 gamma, int256 theta, int256 vega, int256 rho);
        /// Call and put prices for many strikes of one expiry (the strike-independent terms are
        /// computed once).
        function quoteStrikes(
            uint256 spot,
            uint256[] calldata strikes,
            uint256 timeToExpiry,
            uint256 volatility,
            int256 rate
        ) external pure returns (uint256[] memory calls, uint256[] memory puts);
        /// The volatility at which the option is worth `price`.
        function impliedVol(
            uint256 spot,
            uint256 strike,
            uint256 timeToExpiry,
            int256 rate,
            bool isCall,
            uint256 price
        ) external pure returns (uint256);

        error InvalidSpot(uint256 spot, uint256 min, uint256 max);
        error InvalidStrike(uint256 strike, uint256 min, uint256 max);
        error InvalidTimeToExpiry(uint256 timeToExpiry, uint256 max);
        error InvalidVolatility(uint256 volatility, uint256 min, uint256 max);
        error InvalidRate(int256 rate, int256 min, int256 max);
        /// `impliedVol` of an option at expiry (`timeToExpiry == 0`).
        error OptionExpired();
        /// No volatility in the accepted range gives `price`: it must lie strictly between the
        /// prices at the smallest and the largest volatility.
        error PriceOutOfBounds(uint256 price, uint256 lower, uint256 upper);
        error ImpliedVolNotFound(uint256 iterations);
        error TooManyStrikes(uint256 count, uint256 max);
        /// A result does not fit its type (unreachable within the accepted ranges).
        error ArithmeticOverflow();
    }
}
