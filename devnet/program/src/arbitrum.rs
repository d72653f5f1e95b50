//! Arbitrum's system interfaces that deploying a Stylus program involves: the `ArbWasm` and
//! `ArbSys` precompiles and the `StylusDeployer` contract, and the `ArbWasmCache` and `ArbOwner`
//! methods that pin programs in the cache. Declared once here for both sides: the
//! devnet serves them, the deploy tooling calls them.

use alloy_primitives::{address, Address};
use alloy_sol_types::sol;

/// `ArbSys` precompile.
pub const ARB_SYS: Address = address!("0000000000000000000000000000000000000064");
/// `ArbWasm` precompile.
pub const ARB_WASM: Address = address!("0000000000000000000000000000000000000071");
/// Where Arbitrum chains have the StylusDeployer.
pub const STYLUS_DEPLOYER: Address = address!("cEcba2F1DC234f70Dd89F2041029807F8D03A990");

sol! {
    /// `ArbWasm`, as Arbitrum declares it.
    #[derive(Debug, PartialEq, Eq)]
    interface ArbWasm {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
        function stylusVersion() external view returns (uint16 version);
        function codehashVersion(bytes32 codehash) external view returns (uint16 version);
        function codehashKeepalive(bytes32 codehash) external payable returns (uint256 dataFee);
        function codehashAsmSize(bytes32 codehash) external view returns (uint32 size);
        function programVersion(address program) external view returns (uint16 version);
        function programInitGas(address program) external view returns (uint64 gas, uint64 gasWhenCached);
        function programMemoryFootprint(address program) external view returns (uint16 footprint);
        function programTimeLeft(address program) external view returns (uint64 secs);
        function inkPrice() external view returns (uint32 price);
        function maxStackDepth() external view returns (uint32 depth);
        function freePages() external view returns (uint16 pages);
        function pageGas() external view returns (uint16 gas);
        function pageRamp() external view returns (uint64 ramp);
        function pageLimit() external view returns (uint16 limit);
        function minInitGas() external view returns (uint64 gas, uint64 cached);
        function initCostScalar() external view returns (uint64 percent);
        function expiryDays() external view returns (uint16 _days);
        function keepaliveDays() external view returns (uint16 _days);
        function blockCacheSize() external view returns (uint16 count);

        event ProgramActivated(bytes32 indexed codehash, bytes32 moduleHash, address program, uint256 dataFee, uint16 version);
        event ProgramLifetimeExtended(bytes32 indexed codehash, uint256 dataFee);

        error ProgramNotWasm();
        error ProgramNotActivated();
        error ProgramNeedsUpgrade(uint16 version, uint16 stylusVersion);
        error ProgramExpired(uint64 ageInSeconds);
        error ProgramUpToDate();
        error ProgramKeepaliveTooSoon(uint64 ageInSeconds);
        error ProgramInsufficientValue(uint256 have, uint256 want);
    }
}

sol! {
    /// The part of `ArbSys` the devnet serves and the tools read.
    #[derive(Debug, PartialEq, Eq)]
    interface ArbSys {
        function arbBlockNumber() external view returns (uint256);
        function arbBlockHash(uint256 arbBlockNum) external view returns (bytes32);
        function arbChainID() external view returns (uint256);
        function arbOSVersion() external view returns (uint256);
    }
}

sol! {
    /// The deployer's interface.
    #[derive(Debug, PartialEq, Eq)]
    interface StylusDeployer {
        event ContractDeployed(address deployedContract);

        error ContractDeploymentError(bytes bytecode);
        error ContractInitializationError(address newContract, bytes data);
        error RefundExcessValueError(uint256 excessValue);
        error EmptyBytecode();
        error InitValueButNotInitData();

        function deploy(bytes calldata bytecode, bytes calldata initData, uint256 initValue, bytes32 salt) external payable returns (address);
        function initSalt(bytes32 salt, bytes calldata initData) external pure returns (bytes32);
        function requiresActivation(address program) external view returns (bool);
    }
}

/// `ArbOwner` precompile (chain-owner-only administration).
pub const ARB_OWNER: Address = address!("0000000000000000000000000000000000000070");
/// `ArbWasmCache` precompile.
pub const ARB_WASM_CACHE: Address = address!("0000000000000000000000000000000000000072");
sol! {
    /// `ArbWasmCache`, as Arbitrum declares it (ArbOS 31 and later).
    #[derive(Debug, PartialEq, Eq)]
    interface ArbWasmCache {
        function isCacheManager(address manager) external view returns (bool);
        function allCacheManagers() external view returns (address[] memory managers);
        function cacheCodehash(bytes32 codehash) external;
        function cacheProgram(address addr) external;
        function evictCodehash(bytes32 codehash) external;
        function codehashIsCached(bytes32 codehash) external view returns (bool);

        event UpdateProgramCache(address indexed manager, bytes32 indexed codehash, bool cached);

        error ProgramNeedsUpgrade(uint16 version, uint16 stylusVersion);
        error ProgramExpired(uint64 ageInSeconds);
    }
}

sol! {
    /// The part of `ArbOwner` that manages chain owners and Stylus cache managers.
    #[derive(Debug, PartialEq, Eq)]
    interface ArbOwner {
        function addChainOwner(address newOwner) external;
        function removeChainOwner(address ownerToRemove) external;
        function isChainOwner(address addr) external view returns (bool);
        function getAllChainOwners() external view returns (address[] memory);
        function addWasmCacheManager(address manager) external;
        function removeWasmCacheManager(address manager) external;

        event OwnerActs(bytes4 indexed method, address indexed owner, bytes data);
    }
}
