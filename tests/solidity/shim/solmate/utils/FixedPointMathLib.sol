// SPDX-License-Identifier: MIT
pragma solidity >=0.8.0;

import "solmate/src/utils/SignedWadMath.sol";
import {FixedPointMathLib as Solmate} from "solmate/src/utils/FixedPointMathLib.sol";

/// solstat 0.0.2-beta imports `expWad`/`lnWad` from solmate's FixedPointMathLib of early 2022;
/// solmate has since moved those functions, unchanged, to SignedWadMath as `wadExp`/`wadLn`, and
/// no published solmate package has the old names. This maps the old names onto them (and
/// `sqrt` onto solmate's current FixedPointMathLib).
library FixedPointMathLib {
    function expWad(int256 x) internal pure returns (int256) {
        return wadExp(x);
    }

    function lnWad(int256 x) internal pure returns (int256) {
        return wadLn(x);
    }

    function sqrt(uint256 x) internal pure returns (uint256) {
        return Solmate.sqrt(x);
    }
}
