//! A Chainlink-compatible aggregator for tests and the local demo.
//!
//! It answers `AggregatorV3Interface` like a Chainlink `EACAggregatorProxy`: round ids are
//! `phaseId << 64 | aggregatorRoundId`, aggregator rounds start at 1 in every phase, and a round
//! that does not exist reverts with `RoundNotFound` (explicit revert data, as Chainlink's "No data
//! present"). The owner can append rounds, overwrite any round (a lying or clamped feed), start a
//! new phase (an aggregator upgrade behind the proxy) and make every read revert (a broken feed).
//!
//! The same contract serves as the L2 sequencer uptime feed: answer 0 = up, 1 = down, and
//! `startedAt` = when the status changed (`pushRound(1, t, t)` = down since `t`).
//!
//! It never stands in for the oracle adapter: it only plays the outside world (Chainlink).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
extern crate alloc;

use abi::chainlink::{join_round_id, split_round_id};
use abi::oracle::IMockAggregator;
use alloc::string::String;
use alloy_primitives::{aliases::U80, Address, I256, U256};
use stylus_sdk::{
    prelude::*,
    storage::{
        StorageAddress, StorageBool, StorageI256, StorageMap, StorageString, StorageU16,
        StorageU256, StorageU64, StorageU8,
    },
};

/// Version reported by `version()`, as Chainlink's OCR aggregators report it.
const VERSION: u64 = 4;

#[derive(SolidityError, Debug)]
pub enum MockAggregatorError {
    AlreadyInitialized(IMockAggregator::AlreadyInitialized),
    NotOwner(IMockAggregator::NotOwner),
    RoundNotFound(IMockAggregator::RoundNotFound),
    FeedFailing(IMockAggregator::FeedFailing),
}

/// One round as `getRoundData` reports it.
#[storage]
pub struct Round {
    answer: StorageI256,
    started_at: StorageU256,
    updated_at: StorageU256,
}

#[storage]
#[entrypoint]
pub struct MockAggregator {
    initialized: StorageBool,
    owner: StorageAddress,
    decimals: StorageU8,
    description: StorageString,
    phase_id: StorageU16,
    /// Latest aggregator round of each phase.
    latest_round: StorageMap<u16, StorageU64>,
    /// Rounds by proxy round id.
    rounds: StorageMap<U256, Round>,
    failing: StorageBool,
}

type RoundData = (U80, I256, U256, U256, U80);

#[public]
impl MockAggregator {
    /// Sets the owner (the caller), the reported decimals and description, and opens phase 1.
    pub fn initialize(
        &mut self,
        decimals: u8,
        description: String,
    ) -> Result<(), MockAggregatorError> {
        if self.initialized.get() {
            return Err(MockAggregatorError::AlreadyInitialized(
                IMockAggregator::AlreadyInitialized {},
            ));
        }
        let owner = self.vm().msg_sender();
        self.initialized.set(true);
        self.owner.set(owner);
        self.decimals.set(alloy_primitives::U8::from(decimals));
        self.description.set_str(&description);
        self.phase_id.set(alloy_primitives::U16::from(1));
        self.vm().log(IMockAggregator::Initialized {
            owner,
            decimals,
            description,
        });
        self.vm().log(IMockAggregator::PhaseStarted { phaseId: 1 });
        Ok(())
    }

    pub fn set_owner(&mut self, new_owner: Address) -> Result<(), MockAggregatorError> {
        let previous = self.only_owner()?;
        self.owner.set(new_owner);
        self.vm().log(IMockAggregator::OwnerChanged {
            previousOwner: previous,
            newOwner: new_owner,
        });
        Ok(())
    }

    /// Appends a round stamped with the current block time.
    pub fn update_answer(&mut self, answer: I256) -> Result<U80, MockAggregatorError> {
        let now = U256::from(self.vm().block_timestamp());
        self.push_round(answer, now, now)
    }

    /// Appends the next round of the current phase.
    pub fn push_round(
        &mut self,
        answer: I256,
        started_at: U256,
        updated_at: U256,
    ) -> Result<U80, MockAggregatorError> {
        self.only_owner()?;
        let phase = self.current_phase();
        let next = self.latest_round.get(phase).to::<u64>().saturating_add(1);
        let round_id = join_round_id(phase, next);
        self.latest_round
            .setter(phase)
            .set(alloy_primitives::U64::from(next));
        self.write_round(round_id, answer, started_at, updated_at);
        let sender = self.vm().msg_sender();
        self.vm().log(IMockAggregator::NewRound {
            roundId: U256::from(round_id),
            startedBy: sender,
            startedAt: started_at,
        });
        self.vm().log(IMockAggregator::AnswerUpdated {
            current: answer,
            roundId: U256::from(round_id),
            updatedAt: updated_at,
        });
        Ok(U80::from(round_id))
    }

    /// Writes any round of a phase that has started; the phase's latest round moves up to it.
    pub fn set_round(
        &mut self,
        round_id: U80,
        answer: I256,
        started_at: U256,
        updated_at: U256,
    ) -> Result<(), MockAggregatorError> {
        self.only_owner()?;
        let id = round_id.to::<u128>();
        let (phase, aggregator_round) = split_round_id(id);
        if phase == 0 || phase > self.current_phase() || aggregator_round == 0 {
            return Err(round_not_found(round_id));
        }
        if self.latest_round.get(phase).to::<u64>() < aggregator_round {
            self.latest_round
                .setter(phase)
                .set(alloy_primitives::U64::from(aggregator_round));
        }
        self.write_round(id, answer, started_at, updated_at);
        self.vm().log(IMockAggregator::RoundOverwritten {
            roundId: U256::from(id),
            answer,
            startedAt: started_at,
            updatedAt: updated_at,
        });
        Ok(())
    }

    /// Opens the next phase, as a Chainlink proxy does when its aggregator is replaced.
    pub fn start_new_phase(&mut self) -> Result<u16, MockAggregatorError> {
        self.only_owner()?;
        let phase = self.current_phase().saturating_add(1);
        self.phase_id.set(alloy_primitives::U16::from(phase));
        self.vm()
            .log(IMockAggregator::PhaseStarted { phaseId: phase });
        Ok(phase)
    }

    /// While failing, every read reverts with `FeedFailing`.
    pub fn set_failing(&mut self, failing: bool) -> Result<(), MockAggregatorError> {
        self.only_owner()?;
        self.failing.set(failing);
        self.vm().log(IMockAggregator::FailingSet { failing });
        Ok(())
    }

    pub fn owner(&self) -> Address {
        self.owner.get()
    }

    pub fn phase_id(&self) -> u16 {
        self.current_phase()
    }

    pub fn decimals(&self) -> Result<u8, MockAggregatorError> {
        self.not_failing()?;
        Ok(self.decimals.get().to::<u8>())
    }

    pub fn description(&self) -> Result<String, MockAggregatorError> {
        self.not_failing()?;
        Ok(self.description.get_string())
    }

    pub fn version(&self) -> Result<U256, MockAggregatorError> {
        self.not_failing()?;
        Ok(U256::from(VERSION))
    }

    pub fn get_round_data(&self, _round_id: U80) -> Result<RoundData, MockAggregatorError> {
        self.not_failing()?;
        self.round(_round_id.to::<u128>())
    }

    pub fn latest_round_data(&self) -> Result<RoundData, MockAggregatorError> {
        self.not_failing()?;
        let phase = self.current_phase();
        let latest = self.latest_round.get(phase).to::<u64>();
        self.round(join_round_id(phase, latest))
    }
}

impl MockAggregator {
    fn only_owner(&self) -> Result<Address, MockAggregatorError> {
        let caller = self.vm().msg_sender();
        let owner = self.owner.get();
        if caller != owner || owner == Address::ZERO {
            return Err(MockAggregatorError::NotOwner(IMockAggregator::NotOwner {
                caller,
            }));
        }
        Ok(owner)
    }

    fn not_failing(&self) -> Result<(), MockAggregatorError> {
        if self.failing.get() {
            return Err(MockAggregatorError::FeedFailing(
                IMockAggregator::FeedFailing {},
            ));
        }
        Ok(())
    }

    fn current_phase(&self) -> u16 {
        self.phase_id.get().to::<u16>()
    }

    fn write_round(&mut self, id: u128, answer: I256, started_at: U256, updated_at: U256) {
        let mut round = self.rounds.setter(U256::from(id));
        round.answer.set(answer);
        round.started_at.set(started_at);
        round.updated_at.set(updated_at);
    }

    fn round(&self, id: u128) -> Result<RoundData, MockAggregatorError> {
        let round = self.rounds.getter(U256::from(id));
        let updated_at = round.updated_at.get();
        if updated_at.is_zero() {
            return Err(round_not_found(U80::from(id)));
        }
        let round_id = U80::from(id);
        Ok((
            round_id,
            round.answer.get(),
            round.started_at.get(),
            updated_at,
            round_id,
        ))
    }
}

fn round_not_found(round_id: U80) -> MockAggregatorError {
    MockAggregatorError::RoundNotFound(IMockAggregator::RoundNotFound { roundId: round_id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_sol_types::SolError;
    use stylus_sdk::testing::TestVM;

    const OWNER: Address = Address::repeat_byte(0x01);
    const OTHER: Address = Address::repeat_byte(0x02);

    fn u(value: u64) -> U256 {
        U256::from(value)
    }

    fn encoded<T: core::fmt::Debug>(result: Result<T, MockAggregatorError>) -> Vec<u8> {
        result.expect_err("expected an error").into()
    }

    fn deployed() -> (TestVM, MockAggregator) {
        let vm = TestVM::new();
        vm.set_sender(OWNER);
        vm.set_block_timestamp(1_000);
        let mut feed = MockAggregator::from(&vm);
        feed.initialize(8, "ETH / USD".into()).unwrap();
        (vm, feed)
    }

    #[test]
    fn initialises_once() {
        let (_, mut feed) = deployed();
        assert_eq!(feed.owner(), OWNER);
        assert_eq!(feed.decimals().unwrap(), 8);
        assert_eq!(feed.description().unwrap(), "ETH / USD");
        assert_eq!(feed.version().unwrap(), u(4));
        assert_eq!(feed.phase_id(), 1);
        assert_eq!(
            encoded(feed.initialize(18, "x".into())),
            IMockAggregator::AlreadyInitialized {}.abi_encode()
        );
    }

    #[test]
    fn rounds_get_proxy_ids_and_latest_follows_the_phase() {
        let (vm, mut feed) = deployed();
        assert_eq!(
            encoded(feed.latest_round_data()),
            IMockAggregator::RoundNotFound {
                roundId: U80::from(join_round_id(1, 0))
            }
            .abi_encode()
        );
        let first = feed.update_answer(I256::ONE).unwrap();
        assert_eq!(first.to::<u128>(), join_round_id(1, 1));
        let second = feed
            .push_round(I256::try_from(2).unwrap(), u(900), u(950))
            .unwrap();
        assert_eq!(second.to::<u128>(), join_round_id(1, 2));
        assert_eq!(
            feed.latest_round_data().unwrap(),
            (second, I256::try_from(2).unwrap(), u(900), u(950), second)
        );
        assert_eq!(
            feed.get_round_data(first).unwrap(),
            (first, I256::ONE, u(1_000), u(1_000), first)
        );
        assert_eq!(vm.get_emitted_logs().len(), 2 + 2 * 2);

        assert_eq!(feed.start_new_phase().unwrap(), 2);
        assert_eq!(
            encoded(feed.latest_round_data()),
            IMockAggregator::RoundNotFound {
                roundId: U80::from(join_round_id(2, 0))
            }
            .abi_encode()
        );
        let third = feed.update_answer(I256::MINUS_ONE).unwrap();
        assert_eq!(third.to::<u128>(), join_round_id(2, 1));
        assert_eq!(feed.latest_round_data().unwrap().0, third);
        // Old phases stay readable.
        assert_eq!(
            feed.get_round_data(second).unwrap().1,
            I256::try_from(2).unwrap()
        );
    }

    #[test]
    fn set_round_overwrites_and_extends() {
        let (_, mut feed) = deployed();
        let first = feed.update_answer(I256::ONE).unwrap();
        feed.set_round(first, I256::MINUS_ONE, u(5), u(6)).unwrap();
        assert_eq!(
            feed.get_round_data(first).unwrap(),
            (first, I256::MINUS_ONE, u(5), u(6), first)
        );
        let fifth = U80::from(join_round_id(1, 5));
        feed.set_round(fifth, I256::ONE, u(7), u(8)).unwrap();
        assert_eq!(feed.latest_round_data().unwrap().0, fifth);
        assert_eq!(
            encoded(feed.get_round_data(U80::from(join_round_id(1, 3)))),
            IMockAggregator::RoundNotFound {
                roundId: U80::from(join_round_id(1, 3))
            }
            .abi_encode()
        );
        for bad in [
            join_round_id(0, 1),
            join_round_id(2, 1),
            join_round_id(1, 0),
        ] {
            assert_eq!(
                encoded(feed.set_round(U80::from(bad), I256::ONE, u(1), u(1))),
                IMockAggregator::RoundNotFound {
                    roundId: U80::from(bad)
                }
                .abi_encode()
            );
        }
    }

    #[test]
    fn failing_feeds_revert_every_read() {
        let (_, mut feed) = deployed();
        let first = feed.update_answer(I256::ONE).unwrap();
        feed.set_failing(true).unwrap();
        let failing = IMockAggregator::FeedFailing {}.abi_encode();
        assert_eq!(encoded(feed.latest_round_data()), failing);
        assert_eq!(encoded(feed.get_round_data(first)), failing);
        assert_eq!(encoded(feed.decimals()), failing);
        assert_eq!(encoded(feed.description()), failing);
        assert_eq!(encoded(feed.version()), failing);
        feed.set_failing(false).unwrap();
        assert!(feed.latest_round_data().is_ok());
    }

    #[test]
    fn only_the_owner_writes() {
        let (vm, mut feed) = deployed();
        vm.set_sender(OTHER);
        let not_owner = IMockAggregator::NotOwner { caller: OTHER }.abi_encode();
        assert_eq!(encoded(feed.update_answer(I256::ONE)), not_owner);
        assert_eq!(encoded(feed.push_round(I256::ONE, u(1), u(1))), not_owner);
        assert_eq!(
            encoded(feed.set_round(U80::from(join_round_id(1, 1)), I256::ONE, u(1), u(1))),
            not_owner
        );
        assert_eq!(encoded(feed.start_new_phase()), not_owner);
        assert_eq!(encoded(feed.set_failing(true)), not_owner);
        assert_eq!(encoded(feed.set_owner(OTHER)), not_owner);
        vm.set_sender(OWNER);
        feed.set_owner(OTHER).unwrap();
        assert_eq!(feed.owner(), OTHER);
        assert_eq!(
            encoded(feed.update_answer(I256::ONE)),
            IMockAggregator::NotOwner { caller: OWNER }.abi_encode()
        );
    }

    #[test]
    fn an_uninitialised_mock_has_no_owner() {
        let vm = TestVM::new();
        vm.set_sender(OTHER);
        let mut feed = MockAggregator::from(&vm);
        assert_eq!(
            encoded(feed.update_answer(I256::ONE)),
            IMockAggregator::NotOwner { caller: OTHER }.abi_encode()
        );
    }
}
