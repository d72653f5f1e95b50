// SPDX-License-Identifier: MIT
pragma solidity 0.8.26;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// Collateral as deployed in production: OpenZeppelin's ERC-20, with a test mint.
contract TestToken is ERC20 {
    uint8 private immutable _decimals;

    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        _decimals = decimals_;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// Burns 1% of every transfer: the escrow must refuse it (it credits balance changes only).
contract FeeOnTransferToken is TestToken {
    constructor() TestToken("Fee USD", "FUSD", 6) {}

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = value / 100;
        super._update(from, to, value - fee);
        super._update(from, address(0), fee);
    }
}

/// Answers `false` to `transferFrom` and `transfer` and moves nothing.
contract FalseToken is TestToken {
    constructor() TestToken("False USD", "XUSD", 6) {}

    function transferFrom(address, address, uint256) public pure override returns (bool) {
        return false;
    }

    function transfer(address, uint256) public pure override returns (bool) {
        return false;
    }
}

/// On its next transfer, calls `target` with `data` (a reentrant callback, as ERC-777 hooks
/// allow) and records whether that call went through.
contract ReentrantToken is TestToken {
    address public target;
    bytes public data;
    bool public armed;
    bool public attempted;
    bool public reentered;
    bytes public refusal;

    constructor() TestToken("Hook USD", "HUSD", 6) {}

    function arm(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
        armed = true;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (armed) {
            armed = false;
            attempted = true;
            (bool ok, bytes memory ret) = target.call(data);
            reentered = ok;
            refusal = ret;
        }
    }
}

struct Action {
    uint8 kind;
    address asset;
    address account;
    uint256 amount;
}

interface ICollateralEscrow {
    function operate(address owner, uint256 vaultId, Action[] memory actions) external;
    function vaultCount(address owner) external view returns (uint256);
}

/// A contract that writes cash-secured puts in one call: pulls the cash from the caller, opens
/// its own vault, deposits and mints to the buyer through one `operate` batch (composability).
contract PutWriter {
    ICollateralEscrow public immutable escrow;

    constructor(ICollateralEscrow escrow_) {
        escrow = escrow_;
    }

    function writePut(IERC20 cash, uint256 deposit, address option, uint256 amount, address buyer)
        external
        returns (uint256 vaultId)
    {
        require(cash.transferFrom(msg.sender, address(this), deposit), "pull");
        require(cash.approve(address(escrow), deposit), "approve");
        vaultId = escrow.vaultCount(address(this)) + 1;
        Action[] memory actions = new Action[](3);
        actions[0] = Action(0, address(0), address(0), 0);
        actions[1] = Action(1, address(cash), address(0), deposit);
        actions[2] = Action(3, option, buyer, amount);
        escrow.operate(address(this), vaultId, actions);
    }
}
