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
//!   longer count. The proposer's own confirmation is recorded at proposal time.
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
    proposal_state, IGovernance::*, IGovernanceSelf::IGovernanceSelfCalls, IPausable, GRACE_PERIOD,
    MAX_DELAY, MAX_SIGNERS, MIN_DELAY, MIN_THRESHOLD, PAUSE_FULL, PAUSE_PARTIAL,
};
use alloy_primitives::{Address, Bytes, FixedBytes, U256, U64, U8};
use alloy_sol_types::{SolCall, SolInterface};
use stylus_sdk::{
    call::call,
    prelude::*,
    storage::{
        StorageAddress, StorageBool, StorageBytes, StorageMap, StorageU256, StorageU64, StorageU8,
        StorageVec,
    },
    stylus_core::calls::errors::Error as CallError,
};

/// Every rejection, as the custom errors declared in `abi::governance::IGovernance`.
#[derive(SolidityError, Debug, PartialEq, Eq)]
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
    NotConfirmed(NotConfirmed),
    NotEnoughConfirmations(NotEnoughConfirmations),
    TimelockNotReady(TimelockNotReady),
    ExecutionFailed(ExecutionFailed),
    UnknownSelfCall(UnknownSelfCall),
    NotPausable(NotPausable),
    InvalidPauseLevel(InvalidPauseLevel),
    PauseCallFailed(PauseCallFailed),
}

type Result<T, E = GovernanceError> = core::result::Result<T, E>;

/// One proposed call.
#[storage]
pub struct Proposal {
    target: StorageAddress,
    state: StorageU8,
    eta: StorageU64,
    proposer: StorageAddress,
    value: StorageU256,
    data: StorageBytes,
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
        let earliest = U256::from(now) + U256::from(self.delay.get().to::<u64>());
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
        let mut proposal = self.proposals.setter(id);
        proposal.target.set(target);
        proposal.state.set(U8::from(proposal_state::PENDING));
        proposal.eta.set(eta.to::<U64>());
        proposal.proposer.set(proposer);
        proposal.value.set(value);
        proposal.data.set_bytes(&data);
        self.confirmed.setter(id).insert(proposer, true);
        self.vm().log(ProposalCreated {
            id,
            proposer,
            target,
            value,
            data,
            eta,
        });
        self.vm().log(ProposalConfirmed {
            id,
            signer: proposer,
        });
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
        self.vm().log(ProposalConfirmed { id, signer });
        Ok(())
    }

    pub fn revoke_confirmation(&mut self, id: U256) -> Result<()> {
        let signer = self.only_signer()?;
        self.pending(id)?;
        if !self.confirmed.getter(id).get(signer) {
            return Err(GovernanceError::NotConfirmed(NotConfirmed { id, signer }));
        }
        self.confirmed.setter(id).insert(signer, false);
        self.vm().log(ConfirmationRevoked { id, signer });
        Ok(())
    }

    /// A signer executes a confirmed proposal whose eta has come. Returns the call's output.
    #[payable]
    pub fn execute(&mut self, id: U256) -> Result<Bytes> {
        let executor = self.only_signer()?;
        self.pending(id)?;
        let confirmations = self.confirmations(id);
        let threshold = self.threshold.get().to::<u64>();
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
        let eta = proposal.eta.get().to::<u64>();
        if now < eta {
            return Err(GovernanceError::TimelockNotReady(TimelockNotReady {
                id,
                eta: U256::from(eta),
                timestamp: U256::from(now),
            }));
        }
        let target = proposal.target.get();
        let value = proposal.value.get();
        let data = proposal.data.get_bytes();
        // Effects before the interaction: a proposal runs once even if the call comes back.
        self.proposals
            .setter(id)
            .state
            .set(U8::from(proposal_state::EXECUTED));

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
        self.vm().log(ProposalExecuted { id, executor });
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
            .set(U8::from(proposal_state::CANCELLED));
        self.vm().log(ProposalCancelled { id, by: caller });
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
        self.vm().log(GuardianPaused {
            guardian,
            target,
            level,
        });
        Ok(())
    }

    /// The guardian lifts a pause at once.
    pub fn guardian_unpause(&mut self, target: Address) -> Result<()> {
        let guardian = self.only_guardian()?;
        self.pausable_target(target)?;
        self.call_pausable(target, &IPausable::unpauseCall {}.abi_encode())?;
        self.vm().log(GuardianUnpaused { guardian, target });
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
        U256::from(self.threshold.get().to::<u64>())
    }

    pub fn delay(&self) -> U256 {
        U256::from(self.delay.get().to::<u64>())
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

    /// `(target, value, data, eta, proposer, confirmations, state)`; state per
    /// `abi::governance::proposal_state` (expired is derived from the clock).
    #[allow(clippy::type_complexity)]
    pub fn get_proposal(&self, id: U256) -> (Address, U256, Bytes, U256, Address, U256, u8) {
        let proposal = self.proposals.getter(id);
        (
            proposal.target.get(),
            proposal.value.get(),
            proposal.data.get_bytes().into(),
            U256::from(proposal.eta.get().to::<u64>()),
            proposal.proposer.get(),
            U256::from(self.confirmations(id)),
            self.state(id),
        )
    }

    pub fn is_confirmed(&self, id: U256, signer: Address) -> bool {
        self.confirmed.getter(id).get(signer)
    }

    pub fn min_delay(&self) -> U256 {
        U256::from(MIN_DELAY)
    }

    pub fn max_delay(&self) -> U256 {
        U256::from(MAX_DELAY)
    }

    pub fn grace_period(&self) -> U256 {
        U256::from(GRACE_PERIOD)
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
        self.proposals.getter(id).state.get().to::<u8>()
    }

    /// Stored state, with pending proposals past their grace period reported as expired.
    fn state(&self, id: U256) -> u8 {
        let state = self.stored_state(id);
        if state != proposal_state::PENDING {
            return state;
        }
        let eta = self.proposals.getter(id).eta.get().to::<u64>();
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

    fn apply_self_call(&mut self, data: &[u8]) -> Result<()> {
        let call = IGovernanceSelfCalls::abi_decode(data).map_err(|_| {
            let mut selector = FixedBytes::<4>::ZERO;
            let len = data.len().min(4);
            selector[..len].copy_from_slice(&data[..len]);
            GovernanceError::UnknownSelfCall(UnknownSelfCall { selector })
        })?;
        match call {
            IGovernanceSelfCalls::addSigner(c) => self.add_signer(c.signer),
            IGovernanceSelfCalls::removeSigner(c) => self.remove_signer(c.signer),
            IGovernanceSelfCalls::changeThreshold(c) => self.change_threshold(c.threshold),
            IGovernanceSelfCalls::changeDelay(c) => self.change_delay(c.delay),
            IGovernanceSelfCalls::setGuardian(c) => self.set_guardian(c.guardian),
            IGovernanceSelfCalls::setPausable(c) => self.set_pausable(c.target, c.allowed),
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
        self.vm().log(SignerAdded { signer });
        Ok(())
    }

    fn remove_signer(&mut self, signer: Address) -> Result<()> {
        if !self.is_signer.get(signer) {
            return Err(GovernanceError::SignerNotFound(SignerNotFound { signer }));
        }
        let remaining = self.signers.len() as u64 - 1;
        let threshold = self.threshold.get().to::<u64>();
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
        self.vm().log(SignerRemoved { signer });
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
        let previous = self.threshold.get().to::<u64>();
        self.threshold.set(threshold.to::<U64>());
        self.vm().log(ThresholdChanged {
            previousThreshold: U256::from(previous),
            newThreshold: threshold,
        });
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
        let previous = self.delay.get().to::<u64>();
        self.delay.set(delay.to::<U64>());
        self.vm().log(DelayChanged {
            previousDelay: U256::from(previous),
            newDelay: delay,
        });
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
        self.vm().log(GuardianChanged {
            previousGuardian: previous,
            newGuardian: guardian,
        });
        Ok(())
    }

    fn set_pausable(&mut self, target: Address, allowed: bool) -> Result<()> {
        if target.is_zero() || target == self.vm().contract_address() {
            return Err(GovernanceError::InvalidTarget(InvalidTarget { target }));
        }
        self.pausable.insert(target, allowed);
        self.vm().log(PausableSet { target, allowed });
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

fn revert_data(err: CallError) -> Vec<u8> {
    match err {
        CallError::Revert(data) => data,
        other => other.into(),
    }
}

#[cfg(test)]
mod tests;
