use super::*;
use abi::governance::{IGovernanceSelf, PAUSE_NONE};
use alloy_primitives::{address, B256};
use alloy_sol_types::{SolError, SolEvent};
use stylus_sdk::testing::TestVM;

const GOV: Address = address!("00000000000000000000000000000000000060ff");
const ALICE: Address = address!("000000000000000000000000000000000000a11c");
const BOB: Address = address!("0000000000000000000000000000000000000b0b");
const CAROL: Address = address!("000000000000000000000000000000000000ca01");
const DAVE: Address = address!("000000000000000000000000000000000000da7e");
const GUARDIAN: Address = address!("0000000000000000000000000000000000009a4d");
const OUTSIDER: Address = address!("0000000000000000000000000000000000000bad");
const PROXY: Address = address!("0000000000000000000000000000000000001111");
const NEW_IMPL: Address = address!("0000000000000000000000000000000000002222");
const T0: u64 = 1_700_000_000;
const DELAY: u64 = 2 * 86_400;

fn u(x: u64) -> U256 {
    U256::from(x)
}

/// 2-of-3 governance with a two-day delay.
fn setup() -> (TestVM, Governance) {
    let vm = TestVM::new();
    vm.set_contract_address(GOV);
    vm.set_block_timestamp(T0);
    let mut gov = Governance::from(&vm);
    gov.constructor(vec![ALICE, BOB, CAROL], u(2), u(DELAY), GUARDIAN)
        .expect("constructor");
    (vm, gov)
}

fn upgrade_calldata() -> Bytes {
    abi::proxy::IUpgradeableProxy::upgradeToAndCallCall {
        newImplementation: NEW_IMPL,
        data: Bytes::new(),
    }
    .abi_encode()
    .into()
}

fn propose_upgrade(vm: &TestVM, gov: &mut Governance) -> U256 {
    vm.set_sender(ALICE);
    gov.propose(PROXY, U256::ZERO, upgrade_calldata(), u(T0 + DELAY))
        .expect("propose")
}

/// Proposes a call to governance itself, confirms it by BOB and executes it after the delay.
fn govern_self(vm: &TestVM, gov: &mut Governance, data: Vec<u8>) -> Result<Bytes> {
    vm.set_sender(ALICE);
    let now = vm_now(gov);
    let id = gov.propose(GOV, U256::ZERO, data.clone().into(), u(now + DELAY))?;
    vm.set_sender(BOB);
    gov.confirm(id)?;
    vm.set_block_timestamp(now + DELAY);
    gov.execute(id, data.into())
}

fn vm_now(gov: &Governance) -> u64 {
    gov.vm().block_timestamp()
}

fn last_event<E: SolEvent>(vm: &TestVM) -> E {
    let logs = vm.get_emitted_logs();
    let (topics, data) = logs
        .iter()
        .rev()
        .find(|(topics, _)| topics.first() == Some(&E::SIGNATURE_HASH))
        .expect("event emitted");
    E::decode_raw_log(topics.iter().copied(), data).expect("decodes")
}

#[test]
fn constructor_sets_bounded_configuration() {
    let (vm, gov) = setup();
    assert_eq!(gov.get_signers(), vec![ALICE, BOB, CAROL]);
    assert!(gov.is_signer(BOB));
    assert!(!gov.is_signer(OUTSIDER));
    assert_eq!(gov.threshold(), u(2));
    assert_eq!(gov.delay(), u(DELAY));
    assert_eq!(gov.guardian(), GUARDIAN);
    assert_eq!(gov.proposal_count(), U256::ZERO);
    let changed: GuardianChanged = last_event(&vm);
    assert_eq!(changed.newGuardian, GUARDIAN);
    let threshold: ThresholdChanged = last_event(&vm);
    assert_eq!(threshold.newThreshold, u(2));
}

#[test]
fn constructor_rejects_out_of_bounds_configuration() {
    let build = |signers: Vec<Address>, threshold: u64, delay: u64, guardian: Address| {
        let vm = TestVM::new();
        vm.set_contract_address(GOV);
        let mut gov = Governance::from(&vm);
        gov.constructor(signers, u(threshold), u(delay), guardian)
    };
    assert_eq!(
        build(vec![ALICE, BOB], 1, DELAY, GUARDIAN),
        Err(GovernanceError::InvalidThreshold(InvalidThreshold {
            threshold: u(1),
            minThreshold: u(MIN_THRESHOLD),
            signerCount: u(2),
        }))
    );
    assert!(matches!(
        build(vec![ALICE, BOB], 3, DELAY, GUARDIAN),
        Err(GovernanceError::InvalidThreshold(_))
    ));
    assert_eq!(
        build(vec![ALICE, BOB], 2, MIN_DELAY - 1, GUARDIAN),
        Err(GovernanceError::DelayOutOfBounds(DelayOutOfBounds {
            delay: u(MIN_DELAY - 1),
            minDelay: u(MIN_DELAY),
            maxDelay: u(MAX_DELAY),
        }))
    );
    assert!(matches!(
        build(vec![ALICE, BOB], 2, MAX_DELAY + 1, GUARDIAN),
        Err(GovernanceError::DelayOutOfBounds(_))
    ));
    assert_eq!(
        build(vec![ALICE, ALICE], 2, DELAY, GUARDIAN),
        Err(GovernanceError::SignerAlreadyExists(SignerAlreadyExists {
            signer: ALICE
        }))
    );
    assert_eq!(
        build(vec![ALICE, Address::ZERO], 2, DELAY, GUARDIAN),
        Err(GovernanceError::InvalidSigner(InvalidSigner {
            signer: Address::ZERO
        }))
    );
    assert_eq!(
        build(vec![ALICE, GOV], 2, DELAY, GUARDIAN),
        Err(GovernanceError::InvalidSigner(InvalidSigner {
            signer: GOV
        }))
    );
    assert_eq!(
        build(vec![ALICE, BOB], 2, DELAY, Address::ZERO),
        Err(GovernanceError::InvalidGuardian(InvalidGuardian {
            guardian: Address::ZERO
        }))
    );
    let many: Vec<Address> = (1..=MAX_SIGNERS + 1)
        .map(|i| Address::with_last_byte(i as u8))
        .collect();
    assert_eq!(
        build(many, 2, DELAY, GUARDIAN),
        Err(GovernanceError::TooManySigners(TooManySigners {
            count: u(MAX_SIGNERS + 1),
            maxSigners: u(MAX_SIGNERS),
        }))
    );
    let max: Vec<Address> = (1..=MAX_SIGNERS)
        .map(|i| Address::with_last_byte(i as u8))
        .collect();
    assert!(build(max, 2, MAX_DELAY, GUARDIAN).is_ok());
}

#[test]
fn propose_records_the_call_and_the_proposers_confirmation() {
    let (vm, mut gov) = setup();
    let id = propose_upgrade(&vm, &mut gov);
    assert_eq!(id, u(1));
    assert_eq!(gov.proposal_count(), u(1));
    let (target, value, data, eta, proposer, confirmations, state) = gov.get_proposal(id);
    assert_eq!(target, PROXY);
    assert_eq!(value, U256::ZERO);
    assert_eq!(data, alloy_primitives::keccak256(upgrade_calldata()));
    assert_eq!(eta, u(T0 + DELAY));
    assert_eq!(proposer, ALICE);
    assert_eq!(confirmations, u(1));
    assert_eq!(state, proposal_state::PENDING);
    assert!(gov.is_confirmed(id, ALICE));
    let created: ProposalCreated = last_event(&vm);
    assert_eq!((created.id, created.target, created.eta), (id, PROXY, eta));
    let confirmed: ProposalConfirmed = last_event(&vm);
    assert_eq!(confirmed.signer, ALICE);
}

#[test]
fn propose_is_for_signers_with_an_eta_inside_the_window() {
    let (vm, mut gov) = setup();
    vm.set_sender(GUARDIAN);
    assert_eq!(
        gov.propose(PROXY, U256::ZERO, upgrade_calldata(), u(T0 + DELAY)),
        Err(GovernanceError::NotSigner(NotSigner { caller: GUARDIAN }))
    );
    vm.set_sender(ALICE);
    let early = gov.propose(PROXY, U256::ZERO, upgrade_calldata(), u(T0 + DELAY - 1));
    assert_eq!(
        early,
        Err(GovernanceError::EtaOutOfRange(EtaOutOfRange {
            eta: u(T0 + DELAY - 1),
            earliest: u(T0 + DELAY),
            latest: u(T0 + MAX_DELAY),
        }))
    );
    assert!(matches!(
        gov.propose(PROXY, U256::ZERO, upgrade_calldata(), u(T0 + MAX_DELAY + 1)),
        Err(GovernanceError::EtaOutOfRange(_))
    ));
    assert!(matches!(
        gov.propose(PROXY, U256::ZERO, upgrade_calldata(), U256::MAX),
        Err(GovernanceError::EtaOutOfRange(_))
    ));
    assert_eq!(
        gov.propose(Address::ZERO, U256::ZERO, Bytes::new(), u(T0 + DELAY)),
        Err(GovernanceError::InvalidTarget(InvalidTarget {
            target: Address::ZERO
        }))
    );
    assert!(gov
        .propose(PROXY, U256::ZERO, upgrade_calldata(), u(T0 + MAX_DELAY))
        .is_ok());
}

#[test]
fn upgrade_runs_after_threshold_and_delay() {
    let (vm, mut gov) = setup();
    let id = propose_upgrade(&vm, &mut gov);
    vm.set_sender(BOB);
    gov.confirm(id).unwrap();
    vm.mock_call(
        PROXY,
        upgrade_calldata().to_vec(),
        U256::ZERO,
        Ok(vec![0xaa]),
    );
    vm.set_block_timestamp(T0 + DELAY);
    vm.set_sender(CAROL);
    assert_eq!(
        gov.execute(id, upgrade_calldata()),
        Ok(Bytes::from(vec![0xaa]))
    );
    assert_eq!(gov.get_proposal(id).6, proposal_state::EXECUTED);
    let executed: ProposalExecuted = last_event(&vm);
    assert_eq!((executed.id, executed.executor), (id, CAROL));
    assert_eq!(
        gov.execute(id, upgrade_calldata()),
        Err(GovernanceError::ProposalNotPending(ProposalNotPending {
            id,
            state: proposal_state::EXECUTED
        })),
        "a proposal runs once"
    );
}

#[test]
fn single_signer_cannot_execute() {
    let (vm, mut gov) = setup();
    let id = propose_upgrade(&vm, &mut gov);
    vm.set_block_timestamp(T0 + DELAY);
    assert_eq!(
        gov.execute(id, upgrade_calldata()),
        Err(GovernanceError::NotEnoughConfirmations(
            NotEnoughConfirmations {
                id,
                confirmations: u(1),
                threshold: u(2),
            }
        ))
    );
}

#[test]
fn execution_needs_the_proposed_calldata() {
    let (vm, mut gov) = setup();
    let id = propose_upgrade(&vm, &mut gov);
    vm.set_sender(BOB);
    gov.confirm(id).unwrap();
    vm.set_block_timestamp(T0 + DELAY);
    let other = Bytes::from(vec![0x3f, 0x4b, 0xa8, 0x3a]);
    assert_eq!(
        gov.execute(id, other.clone()),
        Err(GovernanceError::DataMismatch(DataMismatch {
            id,
            expected: alloy_primitives::keccak256(upgrade_calldata()),
            actual: alloy_primitives::keccak256(other),
        }))
    );
    assert_eq!(gov.get_proposal(id).6, proposal_state::PENDING);
}

#[test]
fn early_execution_is_rejected() {
    let (vm, mut gov) = setup();
    let id = propose_upgrade(&vm, &mut gov);
    vm.set_sender(BOB);
    gov.confirm(id).unwrap();
    vm.set_block_timestamp(T0 + DELAY - 1);
    assert_eq!(
        gov.execute(id, upgrade_calldata()),
        Err(GovernanceError::TimelockNotReady(TimelockNotReady {
            id,
            eta: u(T0 + DELAY),
            timestamp: u(T0 + DELAY - 1),
        }))
    );
}

#[test]
fn outsiders_and_guardian_cannot_confirm_or_execute() {
    let (vm, mut gov) = setup();
    let id = propose_upgrade(&vm, &mut gov);
    vm.set_block_timestamp(T0 + DELAY);
    for caller in [OUTSIDER, GUARDIAN] {
        vm.set_sender(caller);
        assert_eq!(
            gov.confirm(id),
            Err(GovernanceError::NotSigner(NotSigner { caller }))
        );
        assert_eq!(
            gov.execute(id, upgrade_calldata()),
            Err(GovernanceError::NotSigner(NotSigner { caller }))
        );
    }
}

#[test]
fn expired_proposals_cannot_run() {
    let (vm, mut gov) = setup();
    let id = propose_upgrade(&vm, &mut gov);
    vm.set_sender(BOB);
    gov.confirm(id).unwrap();
    vm.set_block_timestamp(T0 + DELAY + GRACE_PERIOD);
    assert_eq!(gov.get_proposal(id).6, proposal_state::PENDING);
    vm.set_block_timestamp(T0 + DELAY + GRACE_PERIOD + 1);
    assert_eq!(gov.get_proposal(id).6, proposal_state::EXPIRED);
    assert_eq!(
        gov.execute(id, upgrade_calldata()),
        Err(GovernanceError::ProposalNotPending(ProposalNotPending {
            id,
            state: proposal_state::EXPIRED
        }))
    );
    assert!(matches!(
        gov.confirm(id),
        Err(GovernanceError::ProposalNotPending(_))
    ));
    gov.cancel(id)
        .expect("expired proposals can still be cancelled");
    assert_eq!(gov.get_proposal(id).6, proposal_state::CANCELLED);
}

#[test]
fn confirmations_are_counted_once() {
    let (vm, mut gov) = setup();
    let id = propose_upgrade(&vm, &mut gov);
    vm.set_sender(ALICE);
    assert_eq!(
        gov.confirm(id),
        Err(GovernanceError::AlreadyConfirmed(AlreadyConfirmed {
            id,
            signer: ALICE
        }))
    );
    vm.set_sender(BOB);
    assert!(!gov.is_confirmed(id, BOB));
    gov.confirm(id).unwrap();
    assert!(gov.is_confirmed(id, BOB));
    assert_eq!(gov.get_proposal(id).5, u(2));
    assert!(matches!(
        gov.confirm(id),
        Err(GovernanceError::AlreadyConfirmed(_))
    ));
    assert_eq!(gov.get_proposal(id).5, u(2));
}

#[test]
fn unknown_proposals_are_reported() {
    let (vm, mut gov) = setup();
    vm.set_sender(ALICE);
    for result in [
        gov.confirm(u(9)),
        gov.cancel(u(9)),
        gov.execute(u(9), Bytes::new()).map(|_| ()),
    ] {
        assert_eq!(
            result,
            Err(GovernanceError::UnknownProposal(UnknownProposal {
                id: u(9)
            }))
        );
    }
    assert_eq!(gov.get_proposal(u(9)).6, proposal_state::UNKNOWN);
}

#[test]
fn failed_calls_revert_with_the_targets_reason() {
    let (vm, mut gov) = setup();
    let id = propose_upgrade(&vm, &mut gov);
    vm.set_sender(BOB);
    gov.confirm(id).unwrap();
    let reason = abi::proxy::IUpgradeableProxy::ProxyInvalidImplementation {
        implementation: NEW_IMPL,
    }
    .abi_encode();
    vm.mock_call(
        PROXY,
        upgrade_calldata().to_vec(),
        U256::ZERO,
        Err(reason.clone()),
    );
    vm.set_block_timestamp(T0 + DELAY);
    assert_eq!(
        gov.execute(id, upgrade_calldata()),
        Err(GovernanceError::ExecutionFailed(ExecutionFailed {
            id,
            reason: reason.into()
        }))
    );
}

#[test]
fn value_is_forwarded_with_the_call() {
    let (vm, mut gov) = setup();
    vm.set_sender(ALICE);
    let data = vec![0xd0, 0xe3, 0x0d, 0xb0];
    let id = gov
        .propose(PROXY, u(5), data.clone().into(), u(T0 + DELAY))
        .unwrap();
    vm.set_sender(BOB);
    gov.confirm(id).unwrap();
    vm.set_block_timestamp(T0 + DELAY);
    vm.mock_call(PROXY, data.clone(), U256::ZERO, Err(vec![0x01]));
    vm.mock_call(PROXY, data.clone(), u(5), Ok(vec![0x02]));
    assert_eq!(gov.execute(id, data.into()), Ok(Bytes::from(vec![0x02])));
}

#[test]
fn signers_and_guardian_cancel_outsiders_do_not() {
    let (vm, mut gov) = setup();
    let first = propose_upgrade(&vm, &mut gov);
    let second = propose_upgrade(&vm, &mut gov);
    vm.set_sender(OUTSIDER);
    assert_eq!(
        gov.cancel(first),
        Err(GovernanceError::NotSignerOrGuardian(NotSignerOrGuardian {
            caller: OUTSIDER
        }))
    );
    vm.set_sender(GUARDIAN);
    gov.cancel(first).unwrap();
    let cancelled: ProposalCancelled = last_event(&vm);
    assert_eq!((cancelled.id, cancelled.by), (first, GUARDIAN));
    vm.set_sender(CAROL);
    gov.cancel(second).unwrap();
    assert_eq!(
        gov.cancel(second),
        Err(GovernanceError::ProposalNotPending(ProposalNotPending {
            id: second,
            state: proposal_state::CANCELLED
        }))
    );
    vm.set_sender(BOB);
    vm.set_block_timestamp(T0 + DELAY);
    assert!(matches!(
        gov.execute(first, upgrade_calldata()),
        Err(GovernanceError::ProposalNotPending(_))
    ));
}

#[test]
fn governance_adds_and_removes_signers_only_through_itself() {
    let (vm, mut gov) = setup();
    let add = IGovernanceSelf::addSignerCall { signer: DAVE }.abi_encode();
    assert_eq!(govern_self(&vm, &mut gov, add.clone()), Ok(Bytes::new()));
    assert_eq!(gov.get_signers(), vec![ALICE, BOB, CAROL, DAVE]);
    let added: SignerAdded = last_event(&vm);
    assert_eq!(added.signer, DAVE);

    assert_eq!(
        govern_self(&vm, &mut gov, add),
        Err(GovernanceError::SignerAlreadyExists(SignerAlreadyExists {
            signer: DAVE
        }))
    );

    let remove = IGovernanceSelf::removeSignerCall { signer: ALICE }.abi_encode();
    govern_self(&vm, &mut gov, remove.clone()).unwrap();
    assert_eq!(gov.get_signers(), vec![DAVE, BOB, CAROL]);
    assert!(!gov.is_signer(ALICE));
    let removed: SignerRemoved = last_event(&vm);
    assert_eq!(removed.signer, ALICE);

    vm.set_sender(BOB);
    let now = vm_now(&gov);
    let id = gov
        .propose(GOV, U256::ZERO, remove.clone().into(), u(now + DELAY))
        .unwrap();
    vm.set_sender(CAROL);
    gov.confirm(id).unwrap();
    vm.set_block_timestamp(now + DELAY);
    assert_eq!(
        gov.execute(id, remove.into()),
        Err(GovernanceError::SignerNotFound(SignerNotFound {
            signer: ALICE
        }))
    );
}

#[test]
fn removed_signers_confirmations_stop_counting() {
    let (vm, mut gov) = setup();
    let id = propose_upgrade(&vm, &mut gov);
    let remove = IGovernanceSelf::removeSignerCall { signer: ALICE }.abi_encode();
    let remove_data = Bytes::from(remove.clone());
    vm.set_sender(BOB);
    let removal = gov
        .propose(GOV, U256::ZERO, remove.into(), u(T0 + DELAY))
        .unwrap();
    vm.set_sender(CAROL);
    gov.confirm(removal).unwrap();
    gov.confirm(id).unwrap();
    vm.set_block_timestamp(T0 + DELAY);
    gov.execute(removal, remove_data).unwrap();
    assert_eq!(gov.get_proposal(id).5, u(1), "only CAROL still counts");
    assert!(matches!(
        gov.execute(id, upgrade_calldata()),
        Err(GovernanceError::NotEnoughConfirmations(_))
    ));
}

#[test]
fn removal_cannot_drop_below_threshold() {
    let (vm, mut gov) = setup();
    let raise = IGovernanceSelf::changeThresholdCall { threshold: u(3) }.abi_encode();
    govern_self(&vm, &mut gov, raise).unwrap();
    let changed: ThresholdChanged = last_event(&vm);
    assert_eq!(
        (changed.previousThreshold, changed.newThreshold),
        (u(2), u(3))
    );
    let remove = IGovernanceSelf::removeSignerCall { signer: CAROL }.abi_encode();
    vm.set_sender(ALICE);
    let now = vm_now(&gov);
    let id = gov
        .propose(GOV, U256::ZERO, remove.clone().into(), u(now + DELAY))
        .unwrap();
    for signer in [BOB, CAROL] {
        vm.set_sender(signer);
        gov.confirm(id).unwrap();
    }
    vm.set_block_timestamp(now + DELAY);
    assert_eq!(
        gov.execute(id, remove.into()),
        Err(GovernanceError::InvalidThreshold(InvalidThreshold {
            threshold: u(3),
            minThreshold: u(MIN_THRESHOLD),
            signerCount: u(2),
        }))
    );
}

#[test]
fn threshold_and_delay_changes_are_bounded() {
    let (vm, mut gov) = setup();
    for bad in [1, 4] {
        let data = IGovernanceSelf::changeThresholdCall { threshold: u(bad) }.abi_encode();
        assert!(matches!(
            govern_self(&vm, &mut gov, data),
            Err(GovernanceError::InvalidThreshold(_))
        ));
    }
    for bad in [U256::ZERO, u(MIN_DELAY - 1), u(MAX_DELAY + 1), U256::MAX] {
        let data = IGovernanceSelf::changeDelayCall { delay: bad }.abi_encode();
        assert_eq!(
            govern_self(&vm, &mut gov, data),
            Err(GovernanceError::DelayOutOfBounds(DelayOutOfBounds {
                delay: bad,
                minDelay: u(MIN_DELAY),
                maxDelay: u(MAX_DELAY),
            }))
        );
    }
    let data = IGovernanceSelf::changeDelayCall {
        delay: u(MIN_DELAY),
    }
    .abi_encode();
    govern_self(&vm, &mut gov, data).unwrap();
    assert_eq!(gov.delay(), u(MIN_DELAY));
    let changed: DelayChanged = last_event(&vm);
    assert_eq!(
        (changed.previousDelay, changed.newDelay),
        (u(DELAY), u(MIN_DELAY))
    );
}

#[test]
fn guardian_is_replaced_through_governance() {
    let (vm, mut gov) = setup();
    let data = IGovernanceSelf::setGuardianCall { guardian: DAVE }.abi_encode();
    govern_self(&vm, &mut gov, data).unwrap();
    assert_eq!(gov.guardian(), DAVE);
    let changed: GuardianChanged = last_event(&vm);
    assert_eq!(
        (changed.previousGuardian, changed.newGuardian),
        (GUARDIAN, DAVE)
    );
    let zero = IGovernanceSelf::setGuardianCall {
        guardian: Address::ZERO,
    }
    .abi_encode();
    assert!(matches!(
        govern_self(&vm, &mut gov, zero),
        Err(GovernanceError::InvalidGuardian(_))
    ));
}

#[test]
fn malformed_self_calls_are_rejected() {
    let (vm, mut gov) = setup();
    let short = IGovernanceSelf::addSignerCall { signer: DAVE }.abi_encode()[..20].to_vec();
    let mut dirty = IGovernanceSelf::addSignerCall { signer: DAVE }.abi_encode();
    dirty[4] = 1;
    let mut not_bool = IGovernanceSelf::setPausableCall {
        target: PROXY,
        allowed: true,
    }
    .abi_encode();
    not_bool[67] = 2;
    for data in [short, dirty, not_bool] {
        let selector = FixedBytes::<4>::from_slice(&data[..4]);
        assert_eq!(
            govern_self(&vm, &mut gov, data),
            Err(GovernanceError::UnknownSelfCall(UnknownSelfCall {
                selector
            }))
        );
    }
    assert_eq!(gov.get_signers(), vec![ALICE, BOB, CAROL]);
    assert!(!gov.is_pausable(PROXY));
}

#[test]
fn unknown_self_calls_are_rejected() {
    let (vm, mut gov) = setup();
    assert_eq!(
        govern_self(&vm, &mut gov, vec![0xde, 0xad, 0xbe, 0xef, 0x00]),
        Err(GovernanceError::UnknownSelfCall(UnknownSelfCall {
            selector: FixedBytes([0xde, 0xad, 0xbe, 0xef])
        }))
    );
    assert_eq!(
        govern_self(&vm, &mut gov, vec![0x01]),
        Err(GovernanceError::UnknownSelfCall(UnknownSelfCall {
            selector: FixedBytes([0x01, 0, 0, 0])
        }))
    );
}

fn register_pausable(vm: &TestVM, gov: &mut Governance) {
    let data = IGovernanceSelf::setPausableCall {
        target: PROXY,
        allowed: true,
    }
    .abi_encode();
    govern_self(vm, gov, data).unwrap();
    assert!(gov.is_pausable(PROXY));
}

#[test]
fn guardian_pauses_and_unpauses_registered_targets() {
    let (vm, mut gov) = setup();
    register_pausable(&vm, &mut gov);
    let set: PausableSet = last_event(&vm);
    assert_eq!((set.target, set.allowed), (PROXY, true));

    let pause = IPausable::pauseCall {
        level: PAUSE_PARTIAL,
    }
    .abi_encode();
    vm.mock_call(PROXY, pause, U256::ZERO, Ok(vec![]));
    vm.set_sender(GUARDIAN);
    gov.guardian_pause(PROXY, PAUSE_PARTIAL).unwrap();
    let paused: GuardianPaused = last_event(&vm);
    assert_eq!(
        (paused.guardian, paused.target, paused.level),
        (GUARDIAN, PROXY, PAUSE_PARTIAL)
    );
    gov.guardian_unpause(PROXY).unwrap();
    let unpaused: GuardianUnpaused = last_event(&vm);
    assert_eq!(unpaused.target, PROXY);
}

#[test]
fn guardian_pause_paths_reject_misuse() {
    let (vm, mut gov) = setup();
    vm.set_sender(ALICE);
    assert_eq!(
        gov.guardian_pause(PROXY, PAUSE_FULL),
        Err(GovernanceError::NotGuardian(NotGuardian {
            caller: ALICE,
            guardian: GUARDIAN
        }))
    );
    assert!(matches!(
        gov.guardian_unpause(PROXY),
        Err(GovernanceError::NotGuardian(_))
    ));
    vm.set_sender(GUARDIAN);
    assert_eq!(
        gov.guardian_pause(PROXY, PAUSE_FULL),
        Err(GovernanceError::NotPausable(NotPausable { target: PROXY }))
    );
    assert_eq!(
        gov.guardian_unpause(PROXY),
        Err(GovernanceError::NotPausable(NotPausable { target: PROXY }))
    );
    for level in [PAUSE_NONE, 3, u8::MAX] {
        assert_eq!(
            gov.guardian_pause(PROXY, level),
            Err(GovernanceError::InvalidPauseLevel(InvalidPauseLevel {
                level
            }))
        );
    }
    register_pausable(&vm, &mut gov);
    let reason = IPausable::InvalidPauseLevel { level: 2 }.abi_encode();
    vm.mock_call(
        PROXY,
        IPausable::pauseCall { level: PAUSE_FULL }.abi_encode(),
        U256::ZERO,
        Err(reason.clone()),
    );
    vm.set_sender(GUARDIAN);
    assert_eq!(
        gov.guardian_pause(PROXY, PAUSE_FULL),
        Err(GovernanceError::PauseCallFailed(PauseCallFailed {
            target: PROXY,
            reason: reason.into()
        }))
    );
}

#[test]
fn pausable_targets_are_validated_and_revocable() {
    let (vm, mut gov) = setup();
    for target in [Address::ZERO, GOV] {
        let data = IGovernanceSelf::setPausableCall {
            target,
            allowed: true,
        }
        .abi_encode();
        assert_eq!(
            govern_self(&vm, &mut gov, data),
            Err(GovernanceError::InvalidTarget(InvalidTarget { target }))
        );
    }
    register_pausable(&vm, &mut gov);
    let revoke = IGovernanceSelf::setPausableCall {
        target: PROXY,
        allowed: false,
    }
    .abi_encode();
    govern_self(&vm, &mut gov, revoke).unwrap();
    vm.set_sender(GUARDIAN);
    assert!(matches!(
        gov.guardian_pause(PROXY, PAUSE_PARTIAL),
        Err(GovernanceError::NotPausable(_))
    ));
}

#[test]
fn guardian_cannot_upgrade() {
    let (vm, mut gov) = setup();
    register_pausable(&vm, &mut gov);
    vm.set_sender(GUARDIAN);
    assert!(matches!(
        gov.propose(PROXY, U256::ZERO, upgrade_calldata(), u(T0 + DELAY * 2)),
        Err(GovernanceError::NotSigner(_))
    ));
    // The only calldata the guardian can make governance send is `pause(level)`/`unpause()`.
    vm.mock_call(
        PROXY,
        upgrade_calldata().to_vec(),
        U256::ZERO,
        Err(vec![0xee]),
    );
    gov.guardian_pause(PROXY, PAUSE_FULL).unwrap();
    gov.guardian_unpause(PROXY).unwrap();
}

#[test]
fn proposal_storage_survives_across_instances() {
    let (vm, mut gov) = setup();
    let id = propose_upgrade(&vm, &mut gov);
    let reloaded = Governance::from(&vm);
    assert_eq!(
        reloaded.get_proposal(id).2,
        alloy_primitives::keccak256(upgrade_calldata())
    );
    assert_eq!(reloaded.get_signers(), vec![ALICE, BOB, CAROL]);
    assert_ne!(
        vm.get_storage(U256::ZERO),
        B256::ZERO,
        "signers length at slot 0"
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A proposal executes exactly when enough current signers confirmed and its window is
        /// open.
        #[test]
        fn execution_requires_threshold_and_window(
            confirmers in proptest::sample::subsequence(vec![BOB, CAROL], 0..=2),
            offset in 0u64..(DELAY + GRACE_PERIOD + 10),
        ) {
            let (vm, mut gov) = setup();
            let id = propose_upgrade(&vm, &mut gov);
            for signer in &confirmers {
                vm.set_sender(*signer);
                gov.confirm(id).unwrap();
            }
            vm.set_block_timestamp(T0 + offset);
            vm.set_sender(ALICE);
            let confirmations = 1 + confirmers.len() as u64;
            let in_window = (DELAY..=DELAY + GRACE_PERIOD).contains(&offset);
            let result = gov.execute(id, upgrade_calldata());
            prop_assert_eq!(result.is_ok(), confirmations >= 2 && in_window);
        }

        /// Only delays inside the documented range are ever stored.
        #[test]
        fn delay_stays_in_bounds(delay in any::<u64>()) {
            let (vm, mut gov) = setup();
            let data = IGovernanceSelf::changeDelayCall { delay: u(delay) }.abi_encode();
            let accepted = govern_self(&vm, &mut gov, data).is_ok();
            prop_assert_eq!(accepted, (MIN_DELAY..=MAX_DELAY).contains(&delay));
            let stored = gov.delay().to::<u64>();
            prop_assert!((MIN_DELAY..=MAX_DELAY).contains(&stored));
        }
    }
}
