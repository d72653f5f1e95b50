//! Unit-test setup shared by the adapter's and the expiry oracle's tests: real `MockAggregator`
//! feeds run in-process by `test-host`, the values both suites use, and the error check.

use alloc::vec::Vec;
use alloy_primitives::{Address, I256, U256};
use alloy_sol_types::SolError;
use mock_aggregator::MockAggregator;
use stylus_sdk::{host::VM, ArbResult};
use test_host::Chain;

pub const FEED_OWNER: Address = Address::repeat_byte(0xF0);
pub const ADMIN: Address = Address::repeat_byte(0xA1);
pub const ALICE: Address = Address::repeat_byte(0xA7);
pub const ASSET: Address = Address::repeat_byte(0xE7);
pub const SEQUENCER: Address = Address::repeat_byte(0x5E);
pub const FEED_A: Address = Address::repeat_byte(0x0A);

/// 2026-11-20 08:00 UTC, an expiry on the grid.
pub const EXPIRY: u64 = 1_795_161_600;
pub const MAX_AGE: u64 = 3_600;
pub const ONE_PERCENT: u128 = 10_000_000_000_000_000;
/// 1e8: one unit with Chainlink's 8 USD decimals.
pub const E8: i128 = 100_000_000;

pub fn u(value: u64) -> U256 {
    U256::from(value)
}

pub fn i(value: i128) -> I256 {
    I256::try_from(value).unwrap()
}

/// `units` with 18 decimals.
pub fn wad(units: u128) -> U256 {
    U256::from(units) * U256::from(abi::PRICE_SCALE)
}

/// Asserts that `result` failed with exactly `expected`'s revert data.
pub fn expect_err<T: core::fmt::Debug, X: Into<Vec<u8>> + core::fmt::Debug, E: SolError>(
    result: Result<T, X>,
    expected: E,
) {
    let data: Vec<u8> = result.expect_err("expected an error").into();
    assert_eq!(
        data,
        expected.abi_encode(),
        "{}",
        abi::revert::describe(&data)
    );
}

fn feed_entry(input: Vec<u8>, host: VM) -> ArbResult {
    stylus_sdk::abi::router_entrypoint::<MockAggregator, MockAggregator>(input, host)
}

/// Deploys and initialises a `MockAggregator` at `address`, owned by [`FEED_OWNER`].
pub fn deploy_feed(chain: &Chain, address: Address, decimals: u8) {
    let host = chain.deploy(address, feed_entry);
    host.vm().set_sender(FEED_OWNER);
    MockAggregator::from(&host)
        .initialize(decimals, "mock feed".into())
        .unwrap();
}

/// The feed at `address`, called by its owner.
pub fn feed(chain: &Chain, address: Address) -> MockAggregator {
    let host = chain.contract(address).expect("feed deployed");
    host.vm().set_sender(FEED_OWNER);
    MockAggregator::from(&host)
}

/// Pushes a round stamped `updated_at` (also its `startedAt`); returns its id.
pub fn push(chain: &Chain, address: Address, answer: i128, updated_at: u64) -> u128 {
    feed(chain, address)
        .push_round(i(answer), u(updated_at), u(updated_at))
        .unwrap()
        .to::<u128>()
}

/// A chain whose contract under test lives at `address`, at time `now`, with an up sequencer
/// feed (since ten days) and feed A (8 decimals) deployed.
pub fn chain_with_feeds(address: Address, now: u64) -> Chain {
    let chain = Chain::new(address);
    chain.set_time(now);
    deploy_feed(&chain, SEQUENCER, 0);
    push(&chain, SEQUENCER, 0, now - 10 * 86_400);
    deploy_feed(&chain, FEED_A, 8);
    chain
}
