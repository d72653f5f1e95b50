// SPDX-License-Identifier: MIT
pragma solidity 0.8.13;

import "solstat/src/Gaussian.sol";

/// solstat's Gaussian (Primitive) behind external functions; 1e18 fixed point.
contract SolstatHarness {
    function cdf(int256 x) external pure returns (int256) {
        return Gaussian.cdf(x);
    }

    function pdf(int256 x) external pure returns (int256) {
        return Gaussian.pdf(x);
    }
}
