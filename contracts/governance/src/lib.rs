//! Governance: M-of-N multisig + bounded timelock + pause-only guardian.
//!
//! The interface and the patterns protocol contracts follow (pause levels, bounded parameters)
//! are documented in [`abi::governance`]. This contract is the ERC-1967 admin of every proxy and
//! the `admin` of every protocol contract; it is not itself behind a proxy (replace it by deploying
//! a new one and handing the admin roles over through proposals).
//!
//! - A proposal is a call `(target, value, data)` with an `eta` fixed at proposal time:
//!   `now + delay <= eta <= now + MAX_DELAY`. It runs when at least `threshold` *current* signers
//!   have confirmed it, `eta` has passed and `eta + GRACE_PERIOD` has not. Confirmations are
//!   counted over the current signer set at execution, so a removed signer's confirmations no
//!   longer count. The proposer's own confirmation is recorded at proposal time. A signer who
//!   changes their mind cancels the proposal (any signer may), so there is no separate revoke.
//! - Governance changes its own signers, threshold, delay, guardian and pausable targets only
//!   through proposals targeting itself with [`abi::governance::IGovernanceSelf`] calldata, which
//!   `execute` applies in place. A self-call would be refused by nitro (`msg_reentrant`: the
//!   contract is built without the SDK's `reentrant` feature), and the same refusal means no call
//!   made by `execute` or by the guardian paths can re-enter governance.
//! - The guardian can pause and unpause registered targets at once (governance calls
//!   `IPausable.pause(level)` / `unpause()` on them) and cancel pending proposals; it cannot
//!   propose, confirm or execute, so it can neither upgrade nor move funds.
//! - Every bound is a constant in [`abi::governance`]: `MIN_DELAY..=MAX_DELAY`,
//!   `MIN_THRESHOLD..=signers`, at most `MAX_SIGNERS`, `GRACE_PERIOD`.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
extern crate alloc;

use alloc::vec::Vec;

use abi::governance::{
    proposal_state, IGovernance::*, IGovernanceSelf, IPausable, GRACE_PERIOD, MAX_DELAY,
    MAX_SIGNERS, MIN_DELAY, MIN_THRESHOLD, PAUSE_FULL, PAUSE_PARTIAL,
};
use alloy_primitives::{Address, Bytes, FixedBytes, B256, U256, U64, U8};
use alloy_sol_types::{SolCall, SolEvent};
use stylus_sdk::{
    call::call,
    prelude::*,
    storage::{
        StorageAddress, StorageB256, StorageBool, StorageMap, StorageU256, StorageU64, StorageU8,
        StorageVec,
    },
    stylus_core::calls::errors::Error as CallError,
};

mod encoding;
use abi::words::{with_bytes, Word};
use encoding::emit;

/// Every rejection, as the custom errors declared in `abi::governance::IGovernance` (encoded by
/// hand in `encoding`: the derived encoder cost 13 KB of WASM).
#[derive(Debug, PartialEq, Eq)]
pub enum GovernanceError {
    NotSigner(NotSigner),
    NotGuardian(NotGuardian),
    NotSignerOrGuardian(NotSignerOrGuardian),
    InvalidThreshold(InvalidThreshold),
    DelayOutOfBounds(DelayOutOfBounds),
    EtaOutOfRange(EtaOutOfRange),
    InvalidSigner(InvalidSigner),
    SignerAlreadyExists(SignerAlreadyExists),
    SignerNotFound(SignerNotFound),
    TooManySigners(TooManySigners),
    InvalidGuardian(InvalidGuardian),
    InvalidTarget(InvalidTarget),
    UnknownProposal(UnknownProposal),
    ProposalNotPending(ProposalNotPending),
    AlreadyConfirmed(AlreadyConfirmed),
    NotEnoughConfirmations(NotEnoughConfirmations),
    TimelockNotReady(TimelockNotReady),
    ExecutionFailed(ExecutionFailed),
    DataMismatch(DataMismatch),
    UnknownSelfCall(UnknownSelfCall),
    NotPausable(NotPausable),
    InvalidPauseLevel(InvalidPauseLevel),
    PauseCallFailed(PauseCallFailed),
}

type Result<T, E = GovernanceError> = core::result::Result<T, E>;

/// One proposed call. Only the calldata's hash is stored; `execute` takes the calldata again.
#[storage]
pub struct Proposal {
    target: StorageAddress,
    state: StorageU8,
    eta: StorageU64,
    proposer: StorageAddress,
    value: StorageU256,
    data_hash: StorageB256,
}

/// Fields are only ever appended (the storage-layout suite snapshots them).
#[storage]
#[entrypoint]
pub struct Governance {
    signers: StorageVec<StorageAddress>,
    is_signer: StorageMap<Address, StorageBool>,
    threshold: StorageU64,
    delay: StorageU64,
    guardian: StorageAddress,
    pausable: StorageMap<Address, StorageBool>,
    proposal_count: StorageU256,
    proposals: StorageMap<U256, Proposal>,
    confirmed: StorageMap<U256, StorageMap<Address, StorageBool>>,
}

#[public]
impl Governance {
    /// Signers, threshold, delay and guardian are checked against the same bounds as later
    /// changes.
    #[constructor]
    pub fn constructor(
        &mut self,
        signers: Vec<Address>,
        threshold: U256,
        delay: U256,
        guardian: Address,
    ) -> Result<()> {
        for signer in signers {
            self.add_signer(signer)?;
        }
        self.change_threshold(threshold)?;
        self.change_delay(delay)?;
        self.set_guardian(guardian)
    }

    /// A signer proposes a call; returns its id (ids start at 1). Counts as the proposer's
    /// confirmation.
    pub fn propose(
        &mut self,
        target: Address,
        value: U256,
        data: Bytes,
        eta: U256,
    ) -> Result<U256> {
        let proposer = self.only_signer()?;
        if target.is_zero() {
            return Err(GovernanceError::InvalidTarget(InvalidTarget { target }));
        }
        let now = self.vm().block_timestamp();
        let earliest = U256::from(now) + U256::from(self.delay.get().saturating_to::<u64>());
        let latest = U256::from(now) + U256::from(MAX_DELAY);
        if eta < earliest || eta > latest {
            return Err(GovernanceError::EtaOutOfRange(EtaOutOfRange {
                eta,
                earliest,
                latest,
            }));
        }
        let id = self.proposal_count.get() + U256::from(1);
        self.proposal_count.set(id);
        let data_hash = self.vm().native_keccak256(&data);
        let mut proposal = self.proposals.setter(id);
        proposal.target.set(target);
        proposal
            .state
            .set(U8::saturating_from(proposal_state::PENDING));
        proposal.eta.set(eta.saturating_to::<U64>());
        proposal.proposer.set(proposer);
        proposal.value.set(value);
        proposal.data_hash.set(data_hash);
        self.confirmed.setter(id).insert(proposer, true);
        let vm = self.vm();
        encoding::raw_emit(
            vm,
            &[ProposalCreated::SIGNATURE_HASH, id.word(), proposer.word()],
            &with_bytes(&[target.word(), value.word()], &data, &[eta.word()]),
        );
        emit(
            vm,
            &[
                ProposalConfirmed::SIGNATURE_HASH,
                id.word(),
                proposer.word(),
            ],
            &[],
        );
        Ok(id)
    }

    pub fn confirm(&mut self, id: U256) -> Result<()> {
        let signer = self.only_signer()?;
        self.pending(id)?;
        if self.confirmed.getter(id).get(signer) {
            return Err(GovernanceError::AlreadyConfirmed(AlreadyConfirmed {
                id,
                signer,
            }));
        }
        self.confirmed.setter(id).insert(signer, true);
        emit(
            self.vm(),
            &[ProposalConfirmed::SIGNATURE_HASH, id.word(), signer.word()],
            &[],
        );
        Ok(())
    }

    /// A signer executes a confirmed proposal whose eta has come, passing its calldata again.
    /// Returns the call's output.
    #[payable]
    pub fn execute(&mut self, id: U256, data: Bytes) -> Result<Bytes> {
        let executor = self.only_signer()?;
        self.pending(id)?;
        let confirmations = self.confirmations(id);
        let threshold = self.threshold.get().saturating_to::<u64>();
        if confirmations < threshold {
            return Err(GovernanceError::NotEnoughConfirmations(
                NotEnoughConfirmations {
                    id,
                    confirmations: U256::from(confirmations),
                    threshold: U256::from(threshold),
                },
            ));
        }
        let now = self.vm().block_timestamp();
        let proposal = self.proposals.getter(id);
        let eta = proposal.eta.get().saturating_to::<u64>();
        if now < eta {
            return Err(GovernanceError::TimelockNotReady(TimelockNotReady {
                id,
                eta: U256::from(eta),
                timestamp: U256::from(now),
            }));
        }
        let target = proposal.target.get();
        let value = proposal.value.get();
        let expected = proposal.data_hash.get();
        let actual = self.vm().native_keccak256(&data);
        if actual != expected {
            return Err(GovernanceError::DataMismatch(DataMismatch {
                id,
                expected,
                actual,
            }));
        }
        // Effects before the interaction: a proposal runs once even if the call comes back.
        self.proposals
            .setter(id)
            .state
            .set(U8::saturating_from(proposal_state::EXECUTED));

        let output = if target == self.vm().contract_address() {
            self.apply_self_call(&data)?;
            Vec::new()
        } else {
            let context = Call::new_payable(self, value);
            match call(self.vm(), context, target, &data) {
                Ok(output) => output,
                Err(err) => {
                    return Err(GovernanceError::ExecutionFailed(ExecutionFailed {
                        id,
                        reason: revert_data(err).into(),
                    }))
                }
            }
        };
        emit(
            self.vm(),
            &[ProposalExecuted::SIGNATURE_HASH, id.word(), executor.word()],
            &[],
        );
        Ok(output.into())
    }

    /// A signer or the guardian cancels a pending (or expired) proposal.
    pub fn cancel(&mut self, id: U256) -> Result<()> {
        let caller = self.vm().msg_sender();
        if !self.is_signer.get(caller) && caller != self.guardian.get() {
            return Err(GovernanceError::NotSignerOrGuardian(NotSignerOrGuardian {
                caller,
            }));
        }
        let state = self.stored_state(id);
        if state != proposal_state::PENDING {
            return Err(self.not_pending(id, state));
        }
        self.proposals
            .setter(id)
            .state
            .set(U8::saturating_from(proposal_state::CANCELLED));
        emit(
            self.vm(),
            &[ProposalCancelled::SIGNATURE_HASH, id.word(), caller.word()],
            &[],
        );
        Ok(())
    }

    /// The guardian pauses a registered target at once.
    pub fn guardian_pause(&mut self, target: Address, level: u8) -> Result<()> {
        let guardian = self.only_guardian()?;
        if level != PAUSE_PARTIAL && level != PAUSE_FULL {
            return Err(GovernanceError::InvalidPauseLevel(InvalidPauseLevel {
                level,
            }));
        }
        self.pausable_target(target)?;
        self.call_pausable(target, &IPausable::pauseCall { level }.abi_encode())?;
        emit(
            self.vm(),
            &[
                GuardianPaused::SIGNATURE_HASH,
                guardian.word(),
                target.word(),
            ],
            &[level.word()],
        );
        Ok(())
    }

    /// The guardian lifts a pause at once.
    pub fn guardian_unpause(&mut self, target: Address) -> Result<()> {
        let guardian = self.only_guardian()?;
        self.pausable_target(target)?;
        self.call_pausable(target, &IPausable::unpauseCall {}.abi_encode())?;
        emit(
            self.vm(),
            &[
                GuardianUnpaused::SIGNATURE_HASH,
                guardian.word(),
                target.word(),
            ],
            &[],
        );
        Ok(())
    }

    /// Funds proposals that send value.
    #[receive]
    #[payable]
    pub fn receive(&mut self) -> Result<(), Vec<u8>> {
        Ok(())
    }

    pub fn get_signers(&self) -> Vec<Address> {
        (0..self.signers.len())
            .filter_map(|i| self.signers.get(i))
            .collect()
    }

    pub fn is_signer(&self, account: Address) -> bool {
        self.is_signer.get(account)
    }

    pub fn threshold(&self) -> U256 {
        U256::from(self.threshold.get().saturating_to::<u64>())
    }

    pub fn delay(&self) -> U256 {
        U256::from(self.delay.get().saturating_to::<u64>())
    }

    pub fn guardian(&self) -> Address {
        self.guardian.get()
    }

    pub fn is_pausable(&self, target: Address) -> bool {
        self.pausable.get(target)
    }

    pub fn proposal_count(&self) -> U256 {
        self.proposal_count.get()
    }

    /// `(target, value, dataHash, eta, proposer, confirmations, state)`; state per
    /// `abi::governance::proposal_state` (expired is derived from the clock).
    #[allow(clippy::type_complexity)]
    pub fn get_proposal(&self, id: U256) -> (Address, U256, B256, U256, Address, U256, u8) {
        let proposal = self.proposals.getter(id);
        (
            proposal.target.get(),
            proposal.value.get(),
            proposal.data_hash.get(),
            U256::from(proposal.eta.get().saturating_to::<u64>()),
            proposal.proposer.get(),
            U256::from(self.confirmations(id)),
            self.state(id),
        )
    }

    pub fn is_confirmed(&self, id: U256, signer: Address) -> bool {
        self.confirmed.getter(id).get(signer)
    }
}

impl Governance {
    fn only_signer(&self) -> Result<Address> {
        let caller = self.vm().msg_sender();
        if !self.is_signer.get(caller) {
            return Err(GovernanceError::NotSigner(NotSigner { caller }));
        }
        Ok(caller)
    }

    fn only_guardian(&self) -> Result<Address> {
        let caller = self.vm().msg_sender();
        let guardian = self.guardian.get();
        if caller != guardian {
            return Err(GovernanceError::NotGuardian(NotGuardian {
                caller,
                guardian,
            }));
        }
        Ok(caller)
    }

    fn stored_state(&self, id: U256) -> u8 {
        self.proposals.getter(id).state.get().saturating_to::<u8>()
    }

    /// Stored state, with pending proposals past their grace period reported as expired.
    fn state(&self, id: U256) -> u8 {
        let state = self.stored_state(id);
        if state != proposal_state::PENDING {
            return state;
        }
        let eta = self.proposals.getter(id).eta.get().saturating_to::<u64>();
        if self.vm().block_timestamp() > eta.saturating_add(GRACE_PERIOD) {
            return proposal_state::EXPIRED;
        }
        state
    }

    fn pending(&self, id: U256) -> Result<()> {
        match self.state(id) {
            proposal_state::PENDING => Ok(()),
            state => Err(self.not_pending(id, state)),
        }
    }

    fn not_pending(&self, id: U256, state: u8) -> GovernanceError {
        if state == proposal_state::UNKNOWN {
            return GovernanceError::UnknownProposal(UnknownProposal { id });
        }
        GovernanceError::ProposalNotPending(ProposalNotPending { id, state })
    }

    /// Confirmations by the current signers (bounded by `MAX_SIGNERS`).
    fn confirmations(&self, id: U256) -> u64 {
        let confirmed = self.confirmed.getter(id);
        let count = (0..self.signers.len())
            .filter_map(|i| self.signers.get(i))
            .filter(|signer| confirmed.get(*signer))
            .count();
        count as u64
    }

    /// Decodes an `IGovernanceSelf` call by hand (alloy's decoder for six calls cost more code
    /// than the rest of this function) and applies it.
    fn apply_self_call(&mut self, data: &[u8]) -> Result<()> {
        let unknown = || {
            let mut selector = FixedBytes::<4>::ZERO;
            let len = data.len().min(4);
            selector[..len].copy_from_slice(&data[..len]);
            GovernanceError::UnknownSelfCall(UnknownSelfCall { selector })
        };
        let selector: [u8; 4] = data
            .get(..4)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(unknown)?;
        let word = |i: usize| data.get(4 + 32 * i..4 + 32 * (i + 1)).map(B256::from_slice);
        let uint = |i: usize| {
            word(i)
                .map(|w| U256::from_be_bytes(w.0))
                .ok_or_else(unknown)
        };
        let address = |i: usize| {
            word(i)
                .filter(|w| w[..12] == [0u8; 12])
                .map(Address::from_word)
                .ok_or_else(unknown)
        };
        match selector {
            IGovernanceSelf::addSignerCall::SELECTOR => self.add_signer(address(0)?),
            IGovernanceSelf::removeSignerCall::SELECTOR => self.remove_signer(address(0)?),
            IGovernanceSelf::changeThresholdCall::SELECTOR => self.change_threshold(uint(0)?),
            IGovernanceSelf::changeDelayCall::SELECTOR => self.change_delay(uint(0)?),
            IGovernanceSelf::setGuardianCall::SELECTOR => self.set_guardian(address(0)?),
            IGovernanceSelf::setPausableCall::SELECTOR => {
                let allowed = match uint(1)? {
                    flag if flag == U256::from(1) => true,
                    flag if flag.is_zero() => false,
                    _ => return Err(unknown()),
                };
                self.set_pausable(address(0)?, allowed)
            }
            _ => Err(unknown()),
        }
    }

    fn add_signer(&mut self, signer: Address) -> Result<()> {
        if signer.is_zero() || signer == self.vm().contract_address() {
            return Err(GovernanceError::InvalidSigner(InvalidSigner { signer }));
        }
        if self.is_signer.get(signer) {
            return Err(GovernanceError::SignerAlreadyExists(SignerAlreadyExists {
                signer,
            }));
        }
        let count = self.signers.len() as u64 + 1;
        if count > MAX_SIGNERS {
            return Err(GovernanceError::TooManySigners(TooManySigners {
                count: U256::from(count),
                maxSigners: U256::from(MAX_SIGNERS),
            }));
        }
        self.signers.push(signer);
        self.is_signer.insert(signer, true);
        emit(
            self.vm(),
            &[SignerAdded::SIGNATURE_HASH, signer.word()],
            &[],
        );
        Ok(())
    }

    fn remove_signer(&mut self, signer: Address) -> Result<()> {
        if !self.is_signer.get(signer) {
            return Err(GovernanceError::SignerNotFound(SignerNotFound { signer }));
        }
        let remaining = self.signers.len() as u64 - 1;
        let threshold = self.threshold.get().saturating_to::<u64>();
        if remaining < threshold {
            return Err(GovernanceError::InvalidThreshold(InvalidThreshold {
                threshold: U256::from(threshold),
                minThreshold: U256::from(MIN_THRESHOLD),
                signerCount: U256::from(remaining),
            }));
        }
        let last = self.signers.len() - 1;
        let index = (0..self.signers.len())
            .find(|&i| self.signers.get(i) == Some(signer))
            .unwrap_or(last);
        if index != last {
            let moved = self.signers.get(last).unwrap_or_default();
            if let Some(mut slot) = self.signers.setter(index) {
                slot.set(moved);
            }
        }
        self.signers.erase_last();
        self.is_signer.insert(signer, false);
        emit(
            self.vm(),
            &[SignerRemoved::SIGNATURE_HASH, signer.word()],
            &[],
        );
        Ok(())
    }

    fn change_threshold(&mut self, threshold: U256) -> Result<()> {
        let signers = self.signers.len() as u64;
        let valid = threshold >= U256::from(MIN_THRESHOLD) && threshold <= U256::from(signers);
        if !valid {
            return Err(GovernanceError::InvalidThreshold(InvalidThreshold {
                threshold,
                minThreshold: U256::from(MIN_THRESHOLD),
                signerCount: U256::from(signers),
            }));
        }
        let previous = self.threshold.get().saturating_to::<u64>();
        self.threshold.set(threshold.saturating_to::<U64>());
        emit(
            self.vm(),
            &[ThresholdChanged::SIGNATURE_HASH],
            &[previous.word(), threshold.word()],
        );
        Ok(())
    }

    fn change_delay(&mut self, delay: U256) -> Result<()> {
        if delay < U256::from(MIN_DELAY) || delay > U256::from(MAX_DELAY) {
            return Err(GovernanceError::DelayOutOfBounds(DelayOutOfBounds {
                delay,
                minDelay: U256::from(MIN_DELAY),
                maxDelay: U256::from(MAX_DELAY),
            }));
        }
        let previous = self.delay.get().saturating_to::<u64>();
        self.delay.set(delay.saturating_to::<U64>());
        emit(
            self.vm(),
            &[DelayChanged::SIGNATURE_HASH],
            &[previous.word(), delay.word()],
        );
        Ok(())
    }

    fn set_guardian(&mut self, guardian: Address) -> Result<()> {
        if guardian.is_zero() {
            return Err(GovernanceError::InvalidGuardian(InvalidGuardian {
                guardian,
            }));
        }
        let previous = self.guardian.get();
        self.guardian.set(guardian);
        emit(
            self.vm(),
            &[GuardianChanged::SIGNATURE_HASH],
            &[previous.word(), guardian.word()],
        );
        Ok(())
    }

    fn set_pausable(&mut self, target: Address, allowed: bool) -> Result<()> {
        if target.is_zero() || target == self.vm().contract_address() {
            return Err(GovernanceError::InvalidTarget(InvalidTarget { target }));
        }
        self.pausable.insert(target, allowed);
        emit(
            self.vm(),
            &[PausableSet::SIGNATURE_HASH, target.word()],
            &[allowed.word()],
        );
        Ok(())
    }

    fn pausable_target(&self, target: Address) -> Result<()> {
        if !self.pausable.get(target) {
            return Err(GovernanceError::NotPausable(NotPausable { target }));
        }
        Ok(())
    }

    fn call_pausable(&mut self, target: Address, data: &[u8]) -> Result<()> {
        let context = Call::new_mutating(self);
        call(self.vm(), context, target, data).map_err(|err| {
            GovernanceError::PauseCallFailed(PauseCallFailed {
                target,
                reason: revert_data(err).into(),
            })
        })?;
        Ok(())
    }
}

/// The callee's revert data (the SDK maps its only other case, undecodable output, to a panic
/// payload; raw calls never produce it).
fn revert_data(err: CallError) -> Vec<u8> {
    err.into()
}

#[cfg(test)]
mod tests;
