//! Chainlink's aggregator interface, as price feeds and the L2 sequencer uptime feed expose it.
//!
//! Round ids encode the phase: `roundId = phaseId << 64 | aggregatorRoundId`.

use alloy_sol_types::sol;

sol! {
    /// Chainlink `AggregatorV3Interface`.
    #[derive(Debug, PartialEq, Eq)]
    interface AggregatorV3Interface {
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

/// Number of bits of a round id that hold the aggregator's own round counter.
pub const PHASE_OFFSET: u32 = 64;

/// Splits a proxy round id into (phase id, aggregator round id).
pub fn split_round_id(round_id: u128) -> (u16, u64) {
    ((round_id >> PHASE_OFFSET) as u16, round_id as u64)
}

/// Joins a phase id and an aggregator round id into a proxy round id.
pub fn join_round_id(phase: u16, aggregator_round: u64) -> u128 {
    (u128::from(phase) << PHASE_OFFSET) | u128::from(aggregator_round)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_ids_split_and_join() {
        let id = join_round_id(3, 17);
        assert_eq!(id, (3u128 << 64) | 17);
        assert_eq!(split_round_id(id), (3, 17));
    }
}
