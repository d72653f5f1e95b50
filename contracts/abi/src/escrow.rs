//! The collateral escrow (`ICollateralEscrow`), its margin engine (`IMarginEngine`) and its
//! parameter registry (`IEscrowRegistry`): three contracts, to fit the 24 KiB limit.
//!
//! The escrow holds every unit of collateral, keeps the vaults and runs owner batches (`operate`).
//! The margin engine does the math: the escrow asks it (`checkVault`, a static call) whether a
//! batch leaves a vault safe, and it computes redemptions, vault settlements and liquidations
//! with the same rules and applies them through the escrow's `applyOutcome`, which only it may
//! call. Both declare the errors they share with identical signatures, so a selector means the
//! same in either.
//!
//! Vaults are numbered per owner from 1. A vault holds one collateral asset, at most one short
//! series and at most one long series (same terms and expiry, for spreads). Collateral amounts
//! are in the collateral token's own units. `operate` runs a batch of [`Action`]s on one vault
//! and checks margin once, at the end. The `kind` of an action is one of the `ACTION_*`
//! constants; the meaning of `asset` and `account` per kind is given there.

use alloy_primitives::U256;
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

    /// Custody: vaults and every token movement. Reads its governed parameters (and pause
    /// flags) from an `IEscrowRegistry`; margin, settlement and liquidation are computed by the
    /// registered `IMarginEngine`, and applied here.
    #[derive(Debug, PartialEq, Eq)]
    interface ICollateralEscrow {
        event EscrowInitialized(address indexed registry, address indexed oracle, address indexed factory, address engine);
        event OperatorSet(address indexed owner, address indexed operator, bool approved);
        event VaultOpened(address indexed owner, uint256 indexed vaultId, uint8 vaultType);
        event CollateralDeposited(address indexed owner, uint256 indexed vaultId, address indexed asset, address from, uint256 amount);
        event CollateralWithdrawn(address indexed owner, uint256 indexed vaultId, address indexed asset, address to, uint256 amount);
        event ShortMinted(address indexed owner, uint256 indexed vaultId, address indexed option, address to, uint256 amount);
        event ShortBurned(address indexed owner, uint256 indexed vaultId, address indexed option, address from, uint256 amount);
        event LongDeposited(address indexed owner, uint256 indexed vaultId, address indexed option, address from, uint256 amount);
        event LongWithdrawn(address indexed owner, uint256 indexed vaultId, address indexed option, address to, uint256 amount);
        /// The collateral held in naked vaults of `asset` (the quantity `nakedCap` bounds) changed.
        event NakedExposureChanged(address indexed asset, uint256 exposure);
        /// A running auction ended: a batch that passed the margin check made the vault safe.
        event AuctionEnded(address indexed owner, uint256 indexed vaultId, uint256 collateral, uint256 shortAmount);

        error InvalidInitialization(uint64 current, uint64 requested);
        error Unauthorized(address caller);
        error ZeroAddress();
        error ZeroAmount();
        error Reentrancy();
        error SystemPaused(bool partiallyPaused, bool fullyPaused);
        error InvalidAction(uint256 index, uint8 kind);
        error InvalidVaultId(address owner, uint256 vaultId, uint256 vaultCount);
        error InvalidVaultType(uint256 vaultType);
        error CollateralNotAllowed(address asset);
        error CollateralMismatch(address expected, address given);
        error SeriesMismatch(address expected, address given);
        error LongNotMarginable(address shortOption, address longOption);
        error NakedVaultHoldsLong(address option);
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
        error UnknownSeries(address option);
        error TokenCallFailed(address token);
        /// A call to the registry, oracle, factory or a token reverted with `reason`.
        error ExternalCallReverted(address target, bytes reason);
        error MarginMath(uint8 code);

        function initialize(address registry, address oracle, address factory, address engine) external;
        function setOperator(address operator, bool approved) external;
        function operate(address owner, uint256 vaultId, Action[] memory actions) external;

        /// Margin engine only: applies the outcome of a redemption, settlement or
        /// liquidation, written as `APPLY_*` actions, to vault `vaultId` of `owner` (none if 0)
        /// and moves the tokens. Same argument types as `operate`: one decoder serves both.
        function applyOutcome(address owner, uint256 vaultId, Action[] memory actions) external;

        function registry() external view returns (address);
        function oracle() external view returns (address);
        function factory() external view returns (address);
        function engine() external view returns (address);
        function isOperator(address owner, address operator) external view returns (bool);
        function vaultCount(address owner) external view returns (uint256);
        function nakedExposure(address asset) external view returns (uint256);
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
    }

    /// The escrow's math: margin checks, and redemption, settlement and the Dutch auction,
    /// applied through the escrow (which moves the tokens).
    /// Redemption and settlement never stop: neither pause flag nor the oracle's circuit breaker
    /// applies to them.
    #[derive(Debug, PartialEq, Eq)]
    interface IMarginEngine {
        event MarginEngineInitialized(address indexed escrow, address indexed expiryOracle);
        event Redeemed(address indexed option, address indexed holder, address to, uint256 amount, uint256 payout);
        event VaultSettled(address indexed owner, uint256 indexed vaultId, address to, uint256 payout, uint256 shortLiability, uint256 longPayout);
        /// A naked vault was found under-collateralised at a price newer than its last change.
        event AuctionStarted(address indexed owner, uint256 indexed vaultId, uint256 requirement, uint256 collateral, uint256 spot, uint256 startedAt);
        event VaultLiquidated(address indexed owner, uint256 indexed vaultId, address indexed liquidator, uint256 debtRepaid, uint256 collateralPaid, uint256 pricePerOption);
        /// A full pause ended after the auction started: it starts again from its opening price
        /// at `startedAt`, the end of the pause (liquidators could not bid during it).
        event AuctionRestarted(address indexed owner, uint256 indexed vaultId, uint256 previousStart, uint256 startedAt);
        /// A liquidation repaid the whole debt or made the vault safe again.
        event AuctionEnded(address indexed owner, uint256 indexed vaultId, uint256 collateral, uint256 shortAmount);

        error InvalidInitialization(uint64 current, uint64 requested);
        error Unauthorized(address caller);
        error ZeroAddress();
        error ZeroAmount();
        error SystemPaused(bool partiallyPaused, bool fullyPaused);
        error CollateralNotAllowed(address asset);
        error LongNotMarginable(address shortOption, address longOption);
        error InsufficientCollateral(uint256 required, uint256 available);
        error InsufficientVaultBalance(address asset, uint256 requested, uint256 available);
        error NakedCapExceeded(address asset, uint256 exposure, uint256 cap);
        error BelowDustFloor(uint256 collateral, uint256 dustFloor);
        error SeriesExpired(address option, uint256 expiry);
        error SeriesNotExpired(address option, uint256 expiry);
        error ExpiryPriceNotFinal(address asset, uint256 expiry);
        error VaultNotLiquidatable(uint256 requirement, uint256 collateral);
        error PriceNotNewer(uint256 priceUpdatedAt, uint256 lastChange);
        error UnknownSeries(address option);
        /// Raised by the escrow while it applies an outcome (passed through as it is).
        error Reentrancy();
        error TokenCallFailed(address token);
        error ExternalCallReverted(address target, bytes reason);
        error MarginMath(uint8 code);

        /// `expiryOracle` answers `getExpiryPrice` (it may be the price oracle itself).
        function initialize(address escrow, address expiryOracle) external;
        function redeem(address option, uint256 amount, address to) external returns (uint256 payout);
        function settleVault(address owner, uint256 vaultId, address to) external returns (uint256 payout);
        function liquidate(address owner, uint256 vaultId, uint256 amount, address to) external returns (uint256 collateralPaid);

        /// The escrow's end-of-batch check of a vault as it would be stored: reverts with
        /// `InsufficientCollateral` or `BelowDustFloor` (or why no requirement can be computed),
        /// else returns the requirement. `vault` is the words `(naked, collateralAsset,
        /// collateral, shortOption, shortAmount, longOption, longAmount, mintPrice)`, see
        /// [`check_vault_words`]; `mintPrice` prices new exposure with `getMintPrice`. One
        /// static array instead of eight arguments keeps the engine's decoder small. `known`:
        /// series and collateral parameters the caller has already read (`escrow_rules`'
        /// `Chain::known`; zeros: the engine reads them), trusted because the verdict only
        /// informs that caller. 23 words: two counts and three entries of seven.
        function checkVault(uint256[8] memory vault, uint256[23] memory known) external view returns (uint256 requirement);

        function escrow() external view returns (address);
        function expiryOracle() external view returns (address);
        /// Requirement now, and the collateral above it (`excess`) or missing (`shortfall`).
        function getVaultHealth(address owner, uint256 vaultId)
            external
            view
            returns (uint256 requirement, uint256 excess, uint256 shortfall);
    }

    /// Governed, bounded parameters of the escrow and its pause flags. Its admin is the
    /// governance contract; the guardian may only raise the pause flags.
    #[derive(Debug, PartialEq, Eq)]
    interface IEscrowRegistry {
        event RegistryInitialized(address indexed admin, address indexed guardian);
        event AdminChanged(address indexed previousAdmin, address indexed newAdmin);
        event GuardianChanged(address indexed previousGuardian, address indexed newGuardian);
        event PauseChanged(bool partiallyPaused, bool fullyPaused);
        event CollateralConfigured(address indexed asset, uint8 decimals, uint256 nakedCap, uint256 dustFloor);
        event RiskParametersSet(address indexed underlying, uint256 shock, uint64[] maxTimes, uint256[] upperBounds);
        event AuctionParametersSet(uint64 duration, uint256 discount);

        error InvalidInitialization(uint64 current, uint64 requested);
        error Unauthorized(address caller);
        error ZeroAddress();
        error ParameterOutOfBounds(uint256 value, uint256 min, uint256 max);
        error ExternalCallReverted(address target, bytes reason);

        function initialize(address admin, address guardian) external;
        function setAdmin(address newAdmin) external;
        function setGuardian(address newGuardian) external;
        function setPause(bool partiallyPaused, bool fullyPaused) external;
        /// Allows `asset` as collateral (its `decimals()` are read once, at most 18), with a cap
        /// on the collateral held in naked vaults and the least collateral a naked vault keeps.
        function configureCollateral(address asset, uint256 nakedCap, uint256 dustFloor) external;
        /// Spot shock and an ascending table of (max seconds to expiry, upper bound).
        function setRiskParameters(address underlying, uint256 shock, uint64[] memory maxTimes, uint256[] memory upperBounds) external;
        function setAuctionParameters(uint64 duration, uint256 discount) external;

        function admin() external view returns (address);
        function guardian() external view returns (address);
        function paused() external view returns (bool partiallyPaused, bool fullyPaused);
        function getCollateralConfig(address asset)
            external
            view
            returns (uint8 decimals, uint256 nakedCap, uint256 dustFloor);
        function getRiskParameters(address underlying)
            external
            view
            returns (uint256 shock, uint64[] memory maxTimes, uint256[] memory upperBounds);
        function getAuctionParameters() external view returns (uint64 duration, uint256 discount);
        /// For the escrow, in one static call: pause flags and the collateral's parameters
        /// (`scale = 10^(18 - decimals)`, 0 if not allowed), and when the last full pause was
        /// lifted (0: never), before which no auction may count time.
        function collateralParameters(address asset)
            external
            view
            returns (bool partiallyPaused, bool fullyPaused, uint256 scale, uint256 nakedCap, uint256 dustFloor, uint64 resumedAt);
        /// For the escrow: naked-margin and auction parameters; bucket `i` is packed as
        /// `maxTime << 128 | upperBound`, unused buckets are 0.
        function riskParameters(address underlying)
            external
            view
            returns (uint256 shock, uint256[16] memory buckets, uint64 auctionDuration, uint256 auctionDiscount);
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

/// `applyOutcome`: repays `amount` of the vault's short (`asset`) with `account`'s options.
pub const APPLY_REPAY: u8 = 16;
/// `applyOutcome`: sends `amount` of the vault's collateral (`asset`) to `account`.
pub const APPLY_SEIZE: u8 = 17;
/// `applyOutcome`: records `amount` as the start of the vault's auction (if debt is left).
pub const APPLY_AUCTION: u8 = 18;
/// `applyOutcome`: empties the expired vault and burns its long options held by the escrow;
/// `account` is who settles it (the owner or an operator it approved).
pub const APPLY_CLOSE: u8 = 19;
/// `applyOutcome`: burns `amount` of option `asset` from `account` (redemption).
pub const APPLY_BURN: u8 = 20;
/// `applyOutcome`: sends `amount` of collateral `asset` to `account` from the pool.
pub const APPLY_PAY: u8 = 21;

/// Bounds of the governed parameters (all fractions `1e18`-scaled).
pub const MIN_SHOCK: u128 = 500_000_000_000_000_000;
pub const MAX_SHOCK: u128 = 1_000_000_000_000_000_000;
pub const MAX_UPPER_BOUND: u128 = 1_000_000_000_000_000_000;
/// Equal to the length of `riskParameters().buckets`.
pub const MAX_TIME_BUCKETS: usize = 16;
pub const MAX_BUCKET_TIME: u64 = 2 * 365 * 86_400;
pub const MIN_AUCTION_DURATION: u64 = 600;
pub const MAX_AUCTION_DURATION: u64 = 86_400;
pub const MAX_AUCTION_DISCOUNT: u128 = 500_000_000_000_000_000;
/// Auction defaults set by `initialize`: one hour, starting 5% of spot below the cash value.
pub const DEFAULT_AUCTION_DURATION: u64 = 3_600;
pub const DEFAULT_AUCTION_DISCOUNT: u128 = 50_000_000_000_000_000;
/// Largest dust floor, in whole collateral tokens.
pub const MAX_DUST_TOKENS: u64 = 1_000_000;

/// `IMarginEngine.checkVault`'s argument: a vault as words, and whether to price with
/// `getMintPrice`.
#[allow(clippy::too_many_arguments)]
pub fn check_vault_words(
    naked: bool,
    collateral_asset: alloy_primitives::Address,
    collateral: U256,
    short_option: alloy_primitives::Address,
    short_amount: U256,
    long_option: alloy_primitives::Address,
    long_amount: U256,
    mint_price: bool,
) -> [U256; 8] {
    let address = |a: alloy_primitives::Address| U256::from_be_slice(a.as_slice());
    [
        U256::from(u8::from(naked)),
        address(collateral_asset),
        collateral,
        address(short_option),
        short_amount,
        address(long_option),
        long_amount,
        U256::from(u8::from(mint_price)),
    ]
}

/// Packs a time bucket as `IEscrowRegistry.riskParameters` returns it.
pub fn pack_bucket(max_time: u64, upper_bound: U256) -> U256 {
    (U256::from(max_time) << 128) | upper_bound
}

/// Unpacks a time bucket; `None` for an unused (zero) bucket.
pub fn unpack_bucket(word: U256) -> Option<(u64, U256)> {
    if word.is_zero() {
        return None;
    }
    let mask = (U256::from(1) << 128) - U256::from(1);
    let time: U256 = word >> 128;
    Some((time.saturating_to::<u64>(), word & mask))
}

/// `MarginMath(code)`: an intermediate product overflowed.
pub const MATH_OVERFLOW: u8 = 1;
/// `MarginMath(code)`: no governed time bucket covers the time to expiry.
pub const MATH_NO_TIME_BUCKET: u8 = 2;
/// `MarginMath(code)`: a zero price, scale or debt.
pub const MATH_ZERO: u8 = 3;
