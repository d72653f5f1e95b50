//! Governance: an M-of-N multisig with a timelock, a guardian that can only pause, and the two
//! patterns every protocol contract follows so that governance can steer it safely.
//!
//! # Governance (`contracts/governance`)
//! Signers `propose(target, value, data, eta)` a call; other signers `confirm` it; once at least
//! `threshold` *current* signers have confirmed and `eta` has passed (but not `eta + GRACE_PERIOD`),
//! a signer `execute(id, data)`s it, passing the proposal's calldata again (governance stores only
//! its hash; `ProposalCreated` carries the full calldata). `eta >= now + delay` is fixed at proposal time; the delay is bounded
//! (`MIN_DELAY ..= MAX_DELAY` below), the threshold is at least 2, so no single key and no hurry.
//! Any signer, and the guardian, may `cancel` a pending proposal (cancelling fails safe).
//!
//! Governance changes itself only by a proposal whose target is the governance contract, with
//! calldata from [`IGovernanceSelf`]: `execute` applies those in place (it does not call itself,
//! which nitro would refuse as reentrant).
//!
//! Governance is the ERC-1967 admin of every proxy and the `admin` of every protocol contract.
//!
//! # Guardian and pause (pattern for every protocol contract)
//! The guardian calls `governance.guardianPause(target, level)` / `guardianUnpause(target)`;
//! governance then calls [`IPausable`] `pause(level)` / `unpause()` on a target that a proposal
//! registered with `setPausable`. So every protocol contract only accepts `pause`/`unpause` from its
//! `admin`; the guardian holds no role anywhere else and can neither upgrade nor move funds.
//! Levels: [`PAUSE_NONE`], [`PAUSE_PARTIAL`] (nothing new: no mint, no new vault or series),
//! [`PAUSE_FULL`] (every state change except settlement, redemption and withdrawal of what is
//! already free). Settlement and redemption never stop. A contract rejects a paused action with
//! `EnforcedPause(level)`.
//!
//! # Bounded parameters (pattern for every protocol contract)
//! Every governed parameter has documented `MIN_…`/`MAX_…` constants next to its setter; the
//! setter itself checks them and reverts with [`IBounded::ParameterOutOfBounds`] (the parameter's
//! name, the rejected value and the range). Governance cannot set a value outside the range
//! because the check lives in the contract that uses the value, not in governance.

use alloy_sol_types::sol;

/// Not paused.
pub const PAUSE_NONE: u8 = 0;
/// Nothing new may be opened; existing positions keep working.
pub const PAUSE_PARTIAL: u8 = 1;
/// Everything stops except settlement, redemption and withdrawing free collateral.
pub const PAUSE_FULL: u8 = 2;

/// Shortest timelock governance accepts (seconds).
pub const MIN_DELAY: u64 = 3_600;
/// Longest timelock governance accepts (seconds).
pub const MAX_DELAY: u64 = 30 * 86_400;
/// How long a ready proposal stays executable after its `eta` (seconds).
pub const GRACE_PERIOD: u64 = 14 * 86_400;
/// Most signers governance holds.
pub const MAX_SIGNERS: u64 = 16;
/// Fewest confirmations any proposal needs.
pub const MIN_THRESHOLD: u64 = 2;

/// Proposal states as `getProposal` reports them.
pub mod proposal_state {
    /// No proposal with this id.
    pub const UNKNOWN: u8 = 0;
    /// Waiting for confirmations or for its eta.
    pub const PENDING: u8 = 1;
    /// Executed.
    pub const EXECUTED: u8 = 2;
    /// Cancelled.
    pub const CANCELLED: u8 = 3;
    /// Pending but past `eta + GRACE_PERIOD`: can only be cancelled.
    pub const EXPIRED: u8 = 4;
}

sol! {
    /// Multisig + timelock + guardian.
    #[derive(Debug, PartialEq, Eq)]
    interface IGovernance {
        event ProposalCreated(
            uint256 indexed id,
            address indexed proposer,
            address target,
            uint256 value,
            bytes data,
            uint256 eta
        );
        event ProposalConfirmed(uint256 indexed id, address indexed signer);
        event ProposalExecuted(uint256 indexed id, address indexed executor);
        event ProposalCancelled(uint256 indexed id, address indexed by);
        event SignerAdded(address indexed signer);
        event SignerRemoved(address indexed signer);
        event ThresholdChanged(uint256 previousThreshold, uint256 newThreshold);
        event DelayChanged(uint256 previousDelay, uint256 newDelay);
        event GuardianChanged(address previousGuardian, address newGuardian);
        event PausableSet(address indexed target, bool allowed);
        event GuardianPaused(address indexed guardian, address indexed target, uint8 level);
        event GuardianUnpaused(address indexed guardian, address indexed target);

        /// The caller is not a signer.
        error NotSigner(address caller);
        /// The caller is not the guardian.
        error NotGuardian(address caller, address guardian);
        /// Neither a signer nor the guardian.
        error NotSignerOrGuardian(address caller);
        /// Thresholds must stay within `MIN_THRESHOLD ..= signer count`.
        error InvalidThreshold(uint256 threshold, uint256 minThreshold, uint256 signerCount);
        /// Delays must stay within `MIN_DELAY ..= MAX_DELAY`.
        error DelayOutOfBounds(uint256 delay, uint256 minDelay, uint256 maxDelay);
        /// `eta` must lie in `now + delay ..= now + MAX_DELAY`.
        error EtaOutOfRange(uint256 eta, uint256 earliest, uint256 latest);
        /// Zero address, or governance itself, as a signer.
        error InvalidSigner(address signer);
        error SignerAlreadyExists(address signer);
        error SignerNotFound(address signer);
        error TooManySigners(uint256 count, uint256 maxSigners);
        /// The zero address as guardian.
        error InvalidGuardian(address guardian);
        /// The zero address, or governance itself, as a pausable target.
        error InvalidTarget(address target);
        error UnknownProposal(uint256 id);
        /// The proposal is executed, cancelled or expired.
        error ProposalNotPending(uint256 id, uint8 state);
        error AlreadyConfirmed(uint256 id, address signer);
        error NotEnoughConfirmations(uint256 id, uint256 confirmations, uint256 threshold);
        error TimelockNotReady(uint256 id, uint256 eta, uint256 timestamp);
        /// The call made by an executed proposal reverted with `reason`.
        error ExecutionFailed(uint256 id, bytes reason);
        /// `execute` was given calldata whose hash is not the proposal's.
        error DataMismatch(uint256 id, bytes32 expected, bytes32 actual);
        /// Calldata for governance itself that is not an [`IGovernanceSelf`] call.
        error UnknownSelfCall(bytes4 selector);
        /// The guardian may only pause targets registered with `setPausable`.
        error NotPausable(address target);
        /// Only `PAUSE_PARTIAL` and `PAUSE_FULL` can be set by `guardianPause`.
        error InvalidPauseLevel(uint8 level);
        /// The target's `pause`/`unpause` reverted with `reason`.
        error PauseCallFailed(address target, bytes reason);

        function propose(address target, uint256 value, bytes data, uint256 eta)
            external
            returns (uint256);
        function confirm(uint256 id) external;
        function execute(uint256 id, bytes data) external payable returns (bytes memory);
        function cancel(uint256 id) external;

        function guardianPause(address target, uint8 level) external;
        function guardianUnpause(address target) external;

        function getSigners() external view returns (address[] memory);
        function isSigner(address account) external view returns (bool);
        function threshold() external view returns (uint256);
        function delay() external view returns (uint256);
        function guardian() external view returns (address);
        function isPausable(address target) external view returns (bool);
        function proposalCount() external view returns (uint256);
        function getProposal(uint256 id)
            external
            view
            returns (
                address target,
                uint256 value,
                bytes32 dataHash,
                uint256 eta,
                address proposer,
                uint256 confirmations,
                uint8 state
            );
        function isConfirmed(uint256 id, address signer) external view returns (bool);
    }

    /// Calldata of proposals whose target is governance itself. These are not functions of the
    /// contract: `execute` decodes and applies them in place.
    #[derive(Debug, PartialEq, Eq)]
    interface IGovernanceSelf {
        function addSigner(address signer) external;
        function removeSigner(address signer) external;
        function changeThreshold(uint256 threshold) external;
        function changeDelay(uint256 delay) external;
        function setGuardian(address guardian) external;
        function setPausable(address target, bool allowed) external;
    }

    /// What governance calls on a protocol contract to pause it. Each contract accepts these from
    /// its `admin` only.
    #[derive(Debug, PartialEq, Eq)]
    interface IPausable {
        event PauseLevelChanged(address indexed by, uint8 previousLevel, uint8 newLevel);
        /// The action is not allowed at the current pause level.
        error EnforcedPause(uint8 level);
        /// `pause(level)` with a level other than `PAUSE_PARTIAL` or `PAUSE_FULL`.
        error InvalidPauseLevel(uint8 level);

        function pause(uint8 level) external;
        function unpause() external;
        function pauseLevel() external view returns (uint8);
    }

    /// The bounded-parameter error every governed setter uses.
    #[derive(Debug, PartialEq, Eq)]
    interface IBounded {
        error ParameterOutOfBounds(string parameter, uint256 value, uint256 min, uint256 max);
    }
}
