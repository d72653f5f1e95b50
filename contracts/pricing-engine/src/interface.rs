//! The `#[public]` form of the engine: its exported Solidity interface, and the SDK router the
//! unit tests compare the hand-written `dispatch` with. Not part of the deployed program.

use super::*;

#[storage]
#[entrypoint]
pub struct PricingEngine {}

#[public]
impl PricingEngine {
    pub fn price(
        spot: U256,
        strike: U256,
        time_to_expiry: U256,
        volatility: U256,
        rate: I256,
        is_call: bool,
    ) -> Result<U256, PricingError> {
        super::price(spot, strike, time_to_expiry, volatility, rate, is_call)
    }

    pub fn greeks(
        spot: U256,
        strike: U256,
        time_to_expiry: U256,
        volatility: U256,
        rate: I256,
        is_call: bool,
    ) -> Result<GreeksOut, PricingError> {
        super::greeks(spot, strike, time_to_expiry, volatility, rate, is_call)
    }

    pub fn price_and_greeks(
        spot: U256,
        strike: U256,
        time_to_expiry: U256,
        volatility: U256,
        rate: I256,
        is_call: bool,
    ) -> Result<(U256, I256, I256, I256, I256, I256), PricingError> {
        super::price_and_greeks(spot, strike, time_to_expiry, volatility, rate, is_call)
    }

    pub fn quote_strikes(
        spot: U256,
        strikes: Vec<U256>,
        time_to_expiry: U256,
        volatility: U256,
        rate: I256,
    ) -> Result<(Vec<U256>, Vec<U256>), PricingError> {
        super::quote_strikes(spot, &strikes, time_to_expiry, volatility, rate)
    }

    pub fn implied_vol(
        spot: U256,
        strike: U256,
        time_to_expiry: U256,
        rate: I256,
        is_call: bool,
        price: U256,
    ) -> Result<U256, PricingError> {
        super::implied_vol(spot, strike, time_to_expiry, rate, is_call, price)
    }
}
