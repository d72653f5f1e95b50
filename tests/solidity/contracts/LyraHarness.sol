// SPDX-License-Identifier: MIT
pragma solidity 0.8.9;

import "@lyrafinance/protocol/contracts/libraries/BlackScholes.sol";

/// Lyra's BlackScholes library behind external functions with the PricingEngine's argument order
/// (spot, strike, timeToExpiry, volatility, rate; 1e18 decimals, time in seconds). The library's
/// functions are `public`, so they run in the linked BlackScholes contract (DELEGATECALL), as in
/// Lyra's own deployment.
contract LyraHarness {
    function inputs(uint256 spot, uint256 strike, uint256 timeToExpiry, uint256 volatility, int256 rate)
        private
        pure
        returns (BlackScholes.BlackScholesInputs memory)
    {
        return BlackScholes.BlackScholesInputs(timeToExpiry, volatility, spot, strike, rate);
    }

    function optionPrices(uint256 spot, uint256 strike, uint256 timeToExpiry, uint256 volatility, int256 rate)
        external
        pure
        returns (uint256 call, uint256 put)
    {
        return BlackScholes.optionPrices(inputs(spot, strike, timeToExpiry, volatility, rate));
    }

    function pricesDeltaStdVega(uint256 spot, uint256 strike, uint256 timeToExpiry, uint256 volatility, int256 rate)
        external
        pure
        returns (BlackScholes.PricesDeltaStdVega memory)
    {
        return BlackScholes.pricesDeltaStdVega(inputs(spot, strike, timeToExpiry, volatility, rate));
    }

    /// One `optionPrices` per strike, in one transaction (the PricingEngine's `quoteStrikes`).
    function quoteStrikes(
        uint256 spot,
        uint256[] calldata strikes,
        uint256 timeToExpiry,
        uint256 volatility,
        int256 rate
    ) external pure returns (uint256[] memory calls, uint256[] memory puts) {
        calls = new uint256[](strikes.length);
        puts = new uint256[](strikes.length);
        for (uint256 i = 0; i < strikes.length; i++) {
            (calls[i], puts[i]) = BlackScholes.optionPrices(inputs(spot, strikes[i], timeToExpiry, volatility, rate));
        }
    }
}
