//! The collateral escrow (`ICollateralEscrow`): vaults, margin, settlement and liquidation.
//!
//! Vaults are numbered per owner from 1. A vault holds one collateral asset, at most one short
//! series and at most one long series (same terms and expiry, for spreads). Collateral amounts
//! are in the collateral token's own units. `operate` runs a batch of [`Action`]s on one vault
//! and checks margin once, at the end. The `kind` of an action is one of the `ACTION_*`
//! constants; the meaning of `asset` and `account` per kind is given there.

use alloy_sol_types::sol;

sol! {
    /// One step of an `operate` batch.
    #[derive(Debug, PartialEq, Eq)]
    struct Action {
        uint8 kind;
        address asset;
        address account;
        uint256 amount;
    }

    /// Vaults, margin, settlement and auction liquidation.
    #[derive(Debug, PartialEq, Eq)]
    interface ICollateralEscrow {
        event Initialized(address indexed admin, address indexed guardian, address oracle, address factory);
        event AdminChanged(address indexed previousAdmin, address indexed newAdmin);
        event GuardianChanged(address indexed previousGuardian, address indexed newGuardian);
        event PauseChanged(bool partiallyPaused, bool fullyPaused);
        event CollateralConfigured(address indexed asset, uint8 decimals, uint256 nakedCap, uint256 dustFloor);
        event RiskParametersSet(address indexed underlying, uint256 shock, uint64[] maxTimes, uint256[] upperBounds);
        event AuctionParametersSet(uint64 duration, uint256 discount);
        event OperatorSet(address indexed owner, address indexed operator, bool approved);

        event VaultOpened(address indexed owner, uint256 indexed vaultId, uint8 vaultType);
        event CollateralDeposited(address indexed owner, uint256 indexed vaultId, address indexed asset, address from, uint256 amount);
        event CollateralWithdrawn(address indexed owner, uint256 indexed vaultId, address indexed asset, address to, uint256 amount);
        event ShortMinted(address indexed owner, uint256 indexed vaultId, address indexed option, address to, uint256 amount);
        event ShortBurned(address indexed owner, uint256 indexed vaultId, address indexed option, address from, uint256 amount);
        event LongDeposited(address indexed owner, uint256 indexed vaultId, address indexed option, address from, uint256 amount);
        event LongWithdrawn(address indexed owner, uint256 indexed vaultId, address indexed option, address to, uint256 amount);
        event Redeemed(address indexed option, address indexed holder, address to, uint256 amount, uint256 payout);
        event VaultSettled(address indexed owner, uint256 indexed vaultId, address to, uint256 payout, uint256 shortLiability, uint256 longPayout);
        /// A naked vault was found under-collateralised at a price newer than its last change.
        event AuctionStarted(address indexed owner, uint256 indexed vaultId, uint256 requirement, uint256 collateral, uint256 spot, uint256 startedAt);
        event VaultLiquidated(address indexed owner, uint256 indexed vaultId, address indexed liquidator, uint256 debtRepaid, uint256 collateralPaid, uint256 pricePerOption);

        error AlreadyInitialized();
        error Unauthorized(address caller);
        error ZeroAddress();
        error ZeroAmount();
        error Reentrancy();
        error SystemPaused(bool partiallyPaused, bool fullyPaused);
        error ParameterOutOfBounds(uint256 value, uint256 min, uint256 max);
        error InvalidAction(uint256 index, uint8 kind);
        error InvalidVaultId(address owner, uint256 vaultId, uint256 vaultCount);
        error InvalidVaultType(uint8 vaultType);
        error CollateralNotAllowed(address asset);
        error CollateralMismatch(address expected, address given);
        error SeriesMismatch(address expected, address given);
        error LongNotMarginable(address shortOption, address longOption);
        error NakedVaultHoldsLong(address owner, uint256 vaultId);
        error InsufficientCollateral(uint256 required, uint256 available);
        error InsufficientVaultBalance(address asset, uint256 requested, uint256 available);
        error NakedCapExceeded(address asset, uint256 exposure, uint256 cap);
        error BelowDustFloor(uint256 collateral, uint256 dustFloor);
        error SeriesExpired(address option, uint256 expiry);
        error SeriesNotExpired(address option, uint256 expiry);
        error ExpiryPriceNotFinal(address asset, uint256 expiry);
        error VaultNotLiquidatable(uint256 requirement, uint256 collateral);
        error PriceNotNewer(uint256 priceUpdatedAt, uint256 lastChange);
        error FeeOnTransferRefused(address asset, uint256 expected, uint256 received);
        error TokenCallFailed(address token);
        error ExternalCallFailed(address target);
        error MarginMath(uint8 code);

        function initialize(address admin, address guardian, address oracle, address factory) external;
        function setAdmin(address newAdmin) external;
        function setGuardian(address newGuardian) external;
        function setPause(bool partiallyPaused, bool fullyPaused) external;
        function configureCollateral(address asset, uint256 nakedCap, uint256 dustFloor) external;
        function setRiskParameters(address underlying, uint256 shock, uint64[] memory maxTimes, uint256[] memory upperBounds) external;
        function setAuctionParameters(uint64 duration, uint256 discount) external;

        function setOperator(address operator, bool approved) external;
        function operate(address owner, uint256 vaultId, Action[] memory actions) external;
        function redeem(address option, uint256 amount, address to) external returns (uint256 payout);
        function settleVault(address owner, uint256 vaultId, address to) external returns (uint256 payout);
        function liquidate(address owner, uint256 vaultId, uint256 amount, address to) external returns (uint256 collateralPaid);

        function admin() external view returns (address);
        function guardian() external view returns (address);
        function paused() external view returns (bool partiallyPaused, bool fullyPaused);
        function isOperator(address owner, address operator) external view returns (bool);
        function vaultCount(address owner) external view returns (uint256);
        function getVault(address owner, uint256 vaultId)
            external
            view
            returns (
                uint8 vaultType,
                address collateralAsset,
                uint256 collateral,
                address shortOption,
                uint256 shortAmount,
                address longOption,
                uint256 longAmount,
                uint64 lastChange,
                uint64 auctionStart
            );
        function getVaultHealth(address owner, uint256 vaultId)
            external
            view
            returns (uint256 requirement, uint256 excess, uint256 shortfall);
        function getCollateralConfig(address asset)
            external
            view
            returns (uint8 decimals, uint256 nakedCap, uint256 nakedExposure, uint256 dustFloor);
        function getRiskParameters(address underlying)
            external
            view
            returns (uint256 shock, uint64[] memory maxTimes, uint256[] memory upperBounds);
        function getAuctionParameters() external view returns (uint64 duration, uint256 discount);
    }
}

/// Vault type: fully collateralised (covered calls, cash-secured puts, spreads); never liquidated.
pub const VAULT_FULL: u8 = 0;
/// Vault type: partially collateralised (naked) short, margined by spot shock × time bucket.
pub const VAULT_NAKED: u8 = 1;

/// Opens vault `vaultCount(owner) + 1` (must be the first action); `amount` is the vault type.
pub const ACTION_OPEN: u8 = 0;
/// Pulls `amount` of collateral `asset` from the caller.
pub const ACTION_DEPOSIT_COLLATERAL: u8 = 1;
/// Sends `amount` of collateral `asset` to `account`.
pub const ACTION_WITHDRAW_COLLATERAL: u8 = 2;
/// Mints `amount` of option `asset` to `account`, as a short of the vault.
pub const ACTION_MINT_SHORT: u8 = 3;
/// Burns `amount` of option `asset` from the caller, reducing the vault's short.
pub const ACTION_BURN_SHORT: u8 = 4;
/// Pulls `amount` of option `asset` from the caller as the vault's long.
pub const ACTION_DEPOSIT_LONG: u8 = 5;
/// Sends `amount` of the vault's long option `asset` to `account`.
pub const ACTION_WITHDRAW_LONG: u8 = 6;

/// Bounds of the governed parameters (all fractions `1e18`-scaled).
pub const MIN_SHOCK: u128 = 500_000_000_000_000_000;
pub const MAX_SHOCK: u128 = 1_000_000_000_000_000_000;
pub const MAX_UPPER_BOUND: u128 = 1_000_000_000_000_000_000;
pub const MAX_TIME_BUCKETS: usize = 16;
pub const MAX_BUCKET_TIME: u64 = 2 * 365 * 86_400;
pub const MIN_AUCTION_DURATION: u64 = 600;
pub const MAX_AUCTION_DURATION: u64 = 86_400;
pub const MAX_AUCTION_DISCOUNT: u128 = 500_000_000_000_000_000;

/// `MarginMath(code)`: an intermediate product overflowed.
pub const MATH_OVERFLOW: u8 = 1;
/// `MarginMath(code)`: no governed time bucket covers the time to expiry.
pub const MATH_NO_TIME_BUCKET: u8 = 2;
/// `MarginMath(code)`: a zero price, scale or debt.
pub const MATH_ZERO: u8 = 3;
