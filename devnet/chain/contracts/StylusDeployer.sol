// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.28;

/// The part of ArbWasm (precompile 0x71) the deployer needs.
interface IArbWasm {
    function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
    function stylusVersion() external view returns (uint16 version);
    function codehashVersion(bytes32 codehash) external view returns (uint16 version);
}

/// Deploys a Stylus program, activates its code hash when needed and runs its constructor call,
/// all in one transaction. Same interface and behaviour as Arbitrum's StylusDeployer, so that
/// SDK 0.10 `#[constructor]` deployments work on the devnet as on chain.
contract StylusDeployer {
    IArbWasm private constant ARB_WASM = IArbWasm(address(0x71));

    event ContractDeployed(address deployedContract);

    error ContractDeploymentError(bytes bytecode);
    error ContractInitializationError(address newContract, bytes data);
    error RefundExcessValueError(uint256 excessValue);
    error EmptyBytecode();
    error InitValueButNotInitData();

    /// Creates `bytecode` (CREATE2 with a salt bound to `initData` when `salt` is not zero),
    /// activates it if its code hash is not active at the current Stylus version, calls it with
    /// `initData` and `initValue`, and returns what is left of `msg.value` to the sender.
    /// `msg.value` must cover `initValue` plus the activation data fee.
    function deploy(
        bytes calldata bytecode,
        bytes calldata initData,
        uint256 initValue,
        bytes32 salt
    ) external payable returns (address program) {
        if (salt != bytes32(0)) {
            salt = initSalt(salt, initData);
        }
        program = create(bytecode, salt);

        uint256 dataFee;
        if (requiresActivation(program)) {
            // ArbWasm returns the unused value to this contract as a plain balance transfer.
            (, dataFee) = ARB_WASM.activateProgram{value: msg.value - initValue}(program);
        }

        if (initData.length != 0) {
            (bool ok, bytes memory reason) = program.call{value: initValue}(initData);
            if (!ok) {
                revert ContractInitializationError(program, reason);
            }
        } else if (initValue != 0) {
            revert InitValueButNotInitData();
        }

        uint256 excess = msg.value - initValue - dataFee;
        if (excess != 0) {
            (bool sent,) = payable(msg.sender).call{value: excess}("");
            if (!sent) {
                revert RefundExcessValueError(excess);
            }
        }
        emit ContractDeployed(program);
    }

    /// The CREATE2 salt `deploy` uses: the caller's salt bound to the constructor call.
    function initSalt(bytes32 salt, bytes calldata initData) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(salt, initData));
    }

    /// Whether `program`'s code hash still needs activation at the current Stylus version.
    function requiresActivation(address program) public view returns (bool) {
        try ARB_WASM.codehashVersion(program.codehash) returns (uint16 version) {
            return version != ARB_WASM.stylusVersion();
        } catch {
            return true;
        }
    }

    function create(bytes calldata bytecode, bytes32 salt) private returns (address program) {
        if (bytecode.length == 0) {
            revert EmptyBytecode();
        }
        bytes memory code = bytecode;
        assembly {
            switch salt
            case 0 { program := create(0, add(code, 0x20), mload(code)) }
            default { program := create2(0, add(code, 0x20), mload(code), salt) }
            // A reverting init code's reason is the caller's reason.
            if and(iszero(program), gt(returndatasize(), 0)) {
                let p := mload(0x40)
                returndatacopy(p, 0, returndatasize())
                revert(p, returndatasize())
            }
        }
        if (program == address(0)) {
            revert ContractDeploymentError(bytecode);
        }
    }
}
