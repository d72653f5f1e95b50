//! The oracle: live prices (`IOracleAdapter`), settlement prices (`IExpiryOracle`) and the
//! Chainlink-compatible test feed (`IMockAggregator`).
//!
//! Prices leave both contracts normalised to [`crate::PRICE_SCALE`] (1e18). Every refusal is a
//! custom error that names its cause and carries the values behind it. Expiry prices carry their
//! provenance in `source`: [`SOURCE_NONE`], [`SOURCE_ROUND`], [`SOURCE_FALLBACK`],
//! [`SOURCE_DISPUTED`].
//!
//! Who answers what (the escrow's calls):
//! - `IOracleAdapter.getPrice(asset) -> (price, updatedAt)`: margin and liquidation;
//! - `IOracleAdapter.getMintPrice(asset) -> (price, updatedAt)`: new positions (adds the circuit
//!   breaker on the primary feed's move between its last two rounds);
//! - `IExpiryOracle.getExpiryPrice(asset, expiry) -> (price, finalized)`: settlement; the adapter
//!   answers the same call by forwarding it to its configured expiry oracle, so one address
//!   serves every price.
//!
//! The feed rules both contracts apply (round decoding, answer checks, scaling to 1e18) live in
//! the `oracle-rules` crate.

use alloy_sol_types::sol;

sol! {
    /// Chainlink feeds made safe for margin, liquidation and new positions.
    #[derive(Debug, PartialEq, Eq)]
    interface IOracleAdapter {
        event OracleAdapterInitialized(address indexed admin, address sequencerFeed);
        event AdminChanged(address indexed previousAdmin, address indexed newAdmin);
        event SequencerFeedChanged(address indexed previousFeed, address indexed newFeed);
        event SequencerGracePeriodChanged(uint256 previousGracePeriod, uint256 newGracePeriod);
        event ExpiryOracleChanged(address indexed previousOracle, address indexed newOracle);
        event FeedSet(
            address indexed asset,
            uint256 index,
            address feed,
            uint8 decimals,
            uint256 maxAge,
            int256 minAnswer,
            int256 maxAnswer
        );
        event AssetConfigured(
            address indexed asset,
            uint256 feedCount,
            uint256 quorum,
            uint256 maxDeviation,
            uint256 maxRoundMove
        );
        event AssetRemoved(address indexed asset);

        error NotAdmin(address caller);
        error ZeroAddress();
        error ParameterOutOfBounds(uint256 value, uint256 min, uint256 max);
        error DuplicateFeed(address feed);
        error FeedNotSet(address asset, uint256 index);
        error InvalidAnswerBounds(int256 minAnswer, int256 maxAnswer);
        error FeedDecimalsMismatch(address feed, uint8 configured, uint8 reported);
        error UnknownAsset(address asset);
        error FeedUnavailable(address asset, address feed);
        error StalePrice(address asset, address feed, uint256 updatedAt, uint256 maxAge);
        error NonPositivePrice(address asset, address feed, int256 answer);
        error PriceOutOfBounds(
            address asset,
            address feed,
            int256 answer,
            int256 minAnswer,
            int256 maxAnswer
        );
        error QuorumNotMet(address asset, uint256 valid, uint256 quorum);
        error SourcesDisagree(address asset, uint256 lowest, uint256 highest, uint256 maxDeviation);
        error SequencerStatusUnavailable(address feed);
        error SequencerDown(uint256 since);
        error SequencerGracePeriodNotOver(uint256 upSince, uint256 gracePeriod);
        error RoundUnavailable(address feed, uint80 roundId);
        error PriceMoveTooLarge(address asset, uint256 previous, uint256 current, uint256 maxMove);
        error ExpiryOracleUnavailable(address oracle);

        function initialize(address admin, address sequencerFeed) external;
        function setAdmin(address newAdmin) external;
        function setSequencerFeed(address feed) external;
        function setSequencerGracePeriod(uint256 gracePeriod) external;
        function setExpiryOracle(address oracle) external;
        function setFeed(
            address asset,
            uint256 index,
            address feed,
            uint8 decimals,
            uint256 maxAge,
            int256 minAnswer,
            int256 maxAnswer
        ) external;
        function configureAsset(
            address asset,
            uint256 feedCount,
            uint256 quorum,
            uint256 maxDeviation,
            uint256 maxRoundMove
        ) external;
        function removeAsset(address asset) external;

        /// `price`: the median (1e18) of the feeds that are fresh, inside their bounds and agree.
        /// `updatedAt`: the median of those same feeds' `updatedAt` (each within its feed's
        /// `maxAge`; the mean of the middle two, rounded down, for an even count). Not the
        /// oldest, which let one slow feed hold the price behind every vault change; not the
        /// newest, which let one fresh feed make a stale majority look fresh. `getMintPrice` and
        /// `latestRoundData` report the same timestamp.
        function getPrice(address asset) external view returns (uint256 price, uint256 updatedAt);
        function getMintPrice(address asset) external view returns (uint256 price, uint256 updatedAt);
        function latestRoundData(address asset)
            external
            view
            returns (
                uint80 roundId,
                int256 answer,
                uint256 startedAt,
                uint256 updatedAt,
                uint80 answeredInRound
            );
        function decimals() external pure returns (uint8);
        function primaryFeed(address asset)
            external
            view
            returns (address feed, uint8 decimals, uint256 maxAge, int256 minAnswer, int256 maxAnswer);
        function getExpiryPrice(address asset, uint256 expiry)
            external
            view
            returns (uint256 price, bool finalized);

        function admin() external view returns (address);
        function sequencerFeed() external view returns (address);
        function sequencerGracePeriod() external view returns (uint256);
        function expiryOracle() external view returns (address);
        function getAssetConfig(address asset)
            external
            view
            returns (uint256 feedCount, uint256 quorum, uint256 maxDeviation, uint256 maxRoundMove);
        function getFeed(address asset, uint256 index)
            external
            view
            returns (address feed, uint8 decimals, uint256 maxAge, int256 minAnswer, int256 maxAnswer);
    }

    /// Settlement prices: the primary feed's first round at or after expiry, proved on chain,
    /// then a dispute period; a fallback set by the disputer when no round comes.
    #[derive(Debug, PartialEq, Eq)]
    interface IExpiryOracle {
        event ExpiryOracleInitialized(address indexed admin, address indexed disputer, address adapter);
        event AdminChanged(address indexed previousAdmin, address indexed newAdmin);
        event DisputerChanged(address indexed previousDisputer, address indexed newDisputer);
        event AdapterChanged(address indexed previousAdapter, address indexed newAdapter);
        event ExpiryParametersChanged(uint256 disputePeriod, uint256 fallbackWindow);
        event ExpiryPriceSet(
            address indexed asset,
            uint256 indexed expiry,
            uint256 price,
            uint80 roundId,
            uint256 roundTimestamp,
            uint256 finalizesAt,
            address reporter
        );
        event ExpiryPriceDisputed(
            address indexed asset,
            uint256 indexed expiry,
            uint256 previousPrice,
            uint256 newPrice,
            uint256 finalizesAt,
            address disputer
        );
        event FallbackExpiryPriceSet(
            address indexed asset,
            uint256 indexed expiry,
            uint256 price,
            uint256 finalizesAt,
            address disputer
        );

        error NotAdmin(address caller);
        error NotDisputer(address caller);
        error ZeroAddress();
        error ParameterOutOfBounds(uint256 value, uint256 min, uint256 max);
        error UnknownAsset(address asset);
        error FeedUnavailable(address asset, address feed);
        error NonPositivePrice(address asset, address feed, int256 answer);
        error PriceOutOfBounds(
            address asset,
            address feed,
            int256 answer,
            int256 minAnswer,
            int256 maxAnswer
        );
        error ExpiryNotReached(uint256 expiry, uint256 timestamp);
        error ExpiryPriceAlreadySet(address asset, uint256 expiry);
        error RoundUnavailable(address feed, uint80 roundId);
        error RoundBeforeExpiry(uint80 roundId, uint256 updatedAt, uint256 expiry);
        error RoundTooLate(uint80 roundId, uint256 updatedAt, uint256 deadline);
        error RoundNotFirstAfterExpiry(uint80 roundId, uint80 previousRoundId, uint256 previousUpdatedAt);
        error RoundNotInCurrentPhase(uint80 roundId, uint16 currentPhase);
        error ExpiryPriceOutOfBounds(address asset, uint256 price, uint256 minPrice, uint256 maxPrice);
        error NoExpiryPrice(address asset, uint256 expiry);
        error DisputePeriodOver(address asset, uint256 expiry, uint256 finalizesAt);
        error FallbackNotOpen(address asset, uint256 expiry, uint256 opensAfter);
        error ZeroPrice();

        function initialize(address admin, address disputer, address adapter) external;
        function setAdmin(address newAdmin) external;
        function setDisputer(address newDisputer) external;
        function setAdapter(address adapter) external;
        function setExpiryParameters(uint256 disputePeriod, uint256 fallbackWindow) external;

        function setExpiryPrice(address asset, uint256 expiry, uint80 roundId) external;
        function disputeExpiryPrice(address asset, uint256 expiry, uint256 price) external;
        function setFallbackExpiryPrice(address asset, uint256 expiry, uint256 price) external;
        function getExpiryPrice(address asset, uint256 expiry)
            external
            view
            returns (uint256 price, bool finalized);
        function getExpiryPriceDetails(address asset, uint256 expiry)
            external
            view
            returns (
                uint256 price,
                uint80 roundId,
                uint256 roundTimestamp,
                uint256 finalizesAt,
                uint8 source
            );

        function admin() external view returns (address);
        function disputer() external view returns (address);
        function adapter() external view returns (address);
        function disputePeriod() external view returns (uint256);
        function fallbackWindow() external view returns (uint256);
    }

    /// A Chainlink-compatible aggregator for tests and the local demo, also used as the L2
    /// sequencer uptime feed (answer 0 = up, 1 = down, `startedAt` = when the status changed).
    /// Round ids follow the proxy encoding `phaseId << 64 | aggregatorRoundId`.
    #[derive(Debug, PartialEq, Eq)]
    interface IMockAggregator {
        event Initialized(address indexed owner, uint8 decimals, string description);
        event OwnerChanged(address indexed previousOwner, address indexed newOwner);
        event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
        event NewRound(uint256 indexed roundId, address indexed startedBy, uint256 startedAt);
        event RoundOverwritten(uint256 indexed roundId, int256 answer, uint256 startedAt, uint256 updatedAt);
        event PhaseStarted(uint16 indexed phaseId);
        event FailingSet(bool failing);

        error AlreadyInitialized();
        error NotOwner(address caller);
        error RoundNotFound(uint80 roundId);
        error FeedFailing();

        function initialize(uint8 decimals, string memory description) external;
        function setOwner(address newOwner) external;
        function updateAnswer(int256 answer) external returns (uint80 roundId);
        function pushRound(int256 answer, uint256 startedAt, uint256 updatedAt)
            external
            returns (uint80 roundId);
        function setRound(uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt)
            external;
        function startNewPhase() external returns (uint16 phaseId);
        function setFailing(bool failing) external;

        function owner() external view returns (address);
        function phaseId() external view returns (uint16);
        function decimals() external view returns (uint8);
        function description() external view returns (string memory);
        function version() external view returns (uint256);
        function getRoundData(uint80 _roundId)
            external
            view
            returns (
                uint80 roundId,
                int256 answer,
                uint256 startedAt,
                uint256 updatedAt,
                uint80 answeredInRound
            );
        function latestRoundData()
            external
            view
            returns (
                uint80 roundId,
                int256 answer,
                uint256 startedAt,
                uint256 updatedAt,
                uint80 answeredInRound
            );
    }
}

/// `source` of an expiry price that was never set.
pub const SOURCE_NONE: u8 = 0;
/// `source` of an expiry price proved from a Chainlink round.
pub const SOURCE_ROUND: u8 = 1;
/// `source` of an expiry price set by the disputer because no valid round came in time.
pub const SOURCE_FALLBACK: u8 = 2;
/// `source` of an expiry price replaced by the disputer during the dispute period.
pub const SOURCE_DISPUTED: u8 = 3;

/// Most feeds one asset may use (a primary and up to four more).
pub const MAX_FEEDS: usize = 5;
/// Most decimals a feed may report (prices are never scaled down, so never rounded).
pub const MAX_FEED_DECIMALS: u8 = 18;
/// Largest normalised price a feed's `maxAnswer` may stand for (1e18 units of the quote asset).
pub const MAX_NORMALISED_PRICE: u128 = 1_000_000_000_000_000_000 * crate::PRICE_SCALE;

/// Bounds of a feed's maximum answer age, in seconds.
pub const MIN_MAX_AGE: u64 = 60;
pub const MAX_MAX_AGE: u64 = 7 * 86_400;
/// Bounds of the largest move the circuit breaker lets through between the primary feed's last two
/// rounds (`getMintPrice`), as a 1e18 fraction of the previous answer: 0.5 % to 50 %.
pub const MIN_MAX_ROUND_MOVE: u128 = 5_000_000_000_000_000;
pub const MAX_MAX_ROUND_MOVE: u128 = 500_000_000_000_000_000;
/// Bounds of the allowed spread between feeds of one asset, as a 1e18 fraction of the median.
pub const MIN_MAX_DEVIATION: u128 = 100_000_000_000_000;
pub const MAX_MAX_DEVIATION: u128 = 500_000_000_000_000_000;
/// Sequencer grace period: default and bounds, in seconds.
pub const DEFAULT_GRACE_PERIOD: u64 = 3_600;
pub const MIN_GRACE_PERIOD: u64 = 300;
pub const MAX_GRACE_PERIOD: u64 = 86_400;
/// Dispute period after an expiry price is recorded: default and bounds, in seconds.
pub const DEFAULT_DISPUTE_PERIOD: u64 = 7_200;
pub const MIN_DISPUTE_PERIOD: u64 = 600;
pub const MAX_DISPUTE_PERIOD: u64 = 21_600;
/// Window after expiry in which the proving round must fall; after it the disputer may set the
/// price. Default and bounds, in seconds.
pub const DEFAULT_FALLBACK_WINDOW: u64 = 129_600;
pub const MIN_FALLBACK_WINDOW: u64 = 3_600;
pub const MAX_FALLBACK_WINDOW: u64 = 7 * 86_400;
