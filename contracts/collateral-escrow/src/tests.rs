//! The contract's wiring under `TestVM`: storage, calls decoded by hand, events and errors
//! written by hand (each checked against the `abi` encoding), authorization, pause flags and
//! the token movements that mocks can answer. The rules themselves are tested in `rules`.

use super::*;
use abi::escrow::ACTION_DEPOSIT_COLLATERAL;
use alloy_primitives::address;
use alloy_sol_types::SolValue;
use stylus_sdk::testing::*;

const REGISTRY: Address = address!("0000000000000000000000000000000000000e01");
const ORACLE: Address = address!("0000000000000000000000000000000000000e02");
const FACTORY: Address = address!("0000000000000000000000000000000000000e03");
const ESCROW: Address = address!("0000000000000000000000000000000000000e04");
const USDC: Address = address!("00000000000000000000000000000000000000c6");
const PUT: Address = address!("0000000000000000000000000000000000000a01");
const ALICE: Address = address!("0000000000000000000000000000000000000001");
const BOB: Address = address!("0000000000000000000000000000000000000002");
const EXPIRY: u64 = 1_799_827_200 + 28_800;

fn err<E: SolError>(e: E) -> EscrowError {
    EscrowError(e.abi_encode())
}

fn setup() -> (TestVM, CollateralEscrow) {
    let vm = TestVM::default();
    vm.set_contract_address(ESCROW);
    vm.set_block_timestamp(EXPIRY - 30 * 86_400);
    let mut c = CollateralEscrow::from(&vm);
    c.initialize(REGISTRY, ORACLE, FACTORY).unwrap();
    vm.set_sender(ALICE);
    registry_answers(&vm, Address::ZERO, false, false);
    registry_answers(&vm, USDC, false, false);
    (vm, c)
}

fn registry_answers(vm: &TestVM, asset: Address, partial: bool, full: bool) {
    let scale = if asset == USDC {
        U256::from(1_000_000_000_000u64)
    } else {
        U256::ZERO
    };
    vm.mock_static_call(
        REGISTRY,
        IEscrowRegistry::collateralParametersCall { asset }.abi_encode(),
        Ok((
            partial,
            full,
            scale,
            U256::from(10u64).pow(U256::from(12)),
            U256::from(100_000_000u64),
        )
            .abi_encode_params()),
    );
}

fn open(vault_type: u8) -> (u8, Address, Address, U256) {
    (
        ACTION_OPEN,
        Address::ZERO,
        Address::ZERO,
        U256::from(vault_type),
    )
}

#[test]
fn every_hand_encoded_error_matches_the_abi() {
    let a = ALICE;
    let (x, y, z) = (U256::from(1), U256::from(2), U256::from(3));
    let cases: Vec<(EscrowError, Vec<u8>)> = vec![
        (
            I::AlreadyInitialized {}.into(),
            I::AlreadyInitialized {}.abi_encode(),
        ),
        (
            I::Unauthorized { caller: a }.into(),
            I::Unauthorized { caller: a }.abi_encode(),
        ),
        (I::ZeroAddress {}.into(), I::ZeroAddress {}.abi_encode()),
        (I::ZeroAmount {}.into(), I::ZeroAmount {}.abi_encode()),
        (I::Reentrancy {}.into(), I::Reentrancy {}.abi_encode()),
        (
            I::SystemPaused {
                partiallyPaused: true,
                fullyPaused: false,
            }
            .into(),
            I::SystemPaused {
                partiallyPaused: true,
                fullyPaused: false,
            }
            .abi_encode(),
        ),
        (
            I::InvalidAction { index: x, kind: 7 }.into(),
            I::InvalidAction { index: x, kind: 7 }.abi_encode(),
        ),
        (
            I::InvalidVaultId {
                owner: a,
                vaultId: x,
                vaultCount: y,
            }
            .into(),
            I::InvalidVaultId {
                owner: a,
                vaultId: x,
                vaultCount: y,
            }
            .abi_encode(),
        ),
        (
            I::InvalidVaultType { vaultType: z }.into(),
            I::InvalidVaultType { vaultType: z }.abi_encode(),
        ),
        (
            I::CollateralNotAllowed { asset: a }.into(),
            I::CollateralNotAllowed { asset: a }.abi_encode(),
        ),
        (
            I::CollateralMismatch {
                expected: a,
                given: BOB,
            }
            .into(),
            I::CollateralMismatch {
                expected: a,
                given: BOB,
            }
            .abi_encode(),
        ),
        (
            I::SeriesMismatch {
                expected: a,
                given: BOB,
            }
            .into(),
            I::SeriesMismatch {
                expected: a,
                given: BOB,
            }
            .abi_encode(),
        ),
        (
            I::LongNotMarginable {
                shortOption: a,
                longOption: BOB,
            }
            .into(),
            I::LongNotMarginable {
                shortOption: a,
                longOption: BOB,
            }
            .abi_encode(),
        ),
        (
            I::NakedVaultHoldsLong { option: a }.into(),
            I::NakedVaultHoldsLong { option: a }.abi_encode(),
        ),
        (
            I::InsufficientCollateral {
                required: x,
                available: y,
            }
            .into(),
            I::InsufficientCollateral {
                required: x,
                available: y,
            }
            .abi_encode(),
        ),
        (
            I::InsufficientVaultBalance {
                asset: a,
                requested: x,
                available: y,
            }
            .into(),
            I::InsufficientVaultBalance {
                asset: a,
                requested: x,
                available: y,
            }
            .abi_encode(),
        ),
        (
            I::NakedCapExceeded {
                asset: a,
                exposure: x,
                cap: y,
            }
            .into(),
            I::NakedCapExceeded {
                asset: a,
                exposure: x,
                cap: y,
            }
            .abi_encode(),
        ),
        (
            I::BelowDustFloor {
                collateral: x,
                dustFloor: y,
            }
            .into(),
            I::BelowDustFloor {
                collateral: x,
                dustFloor: y,
            }
            .abi_encode(),
        ),
        (
            I::SeriesExpired {
                option: a,
                expiry: x,
            }
            .into(),
            I::SeriesExpired {
                option: a,
                expiry: x,
            }
            .abi_encode(),
        ),
        (
            I::SeriesNotExpired {
                option: a,
                expiry: x,
            }
            .into(),
            I::SeriesNotExpired {
                option: a,
                expiry: x,
            }
            .abi_encode(),
        ),
        (
            I::ExpiryPriceNotFinal {
                asset: a,
                expiry: x,
            }
            .into(),
            I::ExpiryPriceNotFinal {
                asset: a,
                expiry: x,
            }
            .abi_encode(),
        ),
        (
            I::VaultNotLiquidatable {
                requirement: x,
                collateral: y,
            }
            .into(),
            I::VaultNotLiquidatable {
                requirement: x,
                collateral: y,
            }
            .abi_encode(),
        ),
        (
            I::PriceNotNewer {
                priceUpdatedAt: x,
                lastChange: y,
            }
            .into(),
            I::PriceNotNewer {
                priceUpdatedAt: x,
                lastChange: y,
            }
            .abi_encode(),
        ),
        (
            I::FeeOnTransferRefused {
                asset: a,
                expected: x,
                received: y,
            }
            .into(),
            I::FeeOnTransferRefused {
                asset: a,
                expected: x,
                received: y,
            }
            .abi_encode(),
        ),
        (
            I::UnknownSeries { option: a }.into(),
            I::UnknownSeries { option: a }.abi_encode(),
        ),
        (
            I::TokenCallFailed { token: a }.into(),
            I::TokenCallFailed { token: a }.abi_encode(),
        ),
        (
            I::MarginMath { code: 2 }.into(),
            I::MarginMath { code: 2 }.abi_encode(),
        ),
    ];
    for (mine, theirs) in cases {
        assert_eq!(mine.0, theirs);
    }
    for reason in [vec![], vec![7u8; 5], vec![9u8; 32], vec![1u8; 33]] {
        let expected = I::ExternalCallReverted {
            target: a,
            reason: reason.clone().into(),
        }
        .abi_encode();
        assert_eq!(reverted(a, reason).0, expected);
    }
}

#[test]
fn initialize_runs_once_and_needs_every_address() {
    let vm = TestVM::default();
    let mut c = CollateralEscrow::from(&vm);
    assert_eq!(
        c.initialize(Address::ZERO, ORACLE, FACTORY),
        Err(err(I::ZeroAddress {}))
    );
    c.initialize(REGISTRY, ORACLE, FACTORY).unwrap();
    assert_eq!(
        c.initialize(REGISTRY, ORACLE, FACTORY),
        Err(err(I::AlreadyInitialized {}))
    );
    assert_eq!(c.registry(), REGISTRY);
    let (topics, data) = vm.get_emitted_logs()[0].clone();
    let ev = I::Initialized::decode_raw_log(topics, &data).unwrap();
    assert_eq!(
        (ev.registry, ev.oracle, ev.factory),
        (REGISTRY, ORACLE, FACTORY)
    );
}

#[test]
fn vaults_open_in_sequence_for_owners_and_operators() {
    let (vm, mut c) = setup();
    assert_eq!(
        c.operate(ALICE, U256::from(2), vec![open(0)]),
        Err(err(I::InvalidVaultId {
            owner: ALICE,
            vaultId: U256::from(2),
            vaultCount: U256::ZERO
        }))
    );
    assert_eq!(
        c.operate(ALICE, U256::from(1), vec![]),
        Err(err(I::InvalidVaultId {
            owner: ALICE,
            vaultId: U256::from(1),
            vaultCount: U256::ZERO
        }))
    );
    assert_eq!(
        c.operate(ALICE, U256::from(1), vec![open(2)]),
        Err(err(I::InvalidVaultType {
            vaultType: U256::from(2)
        }))
    );
    c.operate(ALICE, U256::from(1), vec![open(VAULT_NAKED)])
        .unwrap();
    assert_eq!(c.vault_count(ALICE), U256::from(1));
    assert_eq!(c.get_vault(ALICE, U256::from(1)).0, VAULT_NAKED);
    let (topics, data) = vm.get_emitted_logs().last().unwrap().clone();
    let ev = I::VaultOpened::decode_raw_log(topics, &data).unwrap();
    assert_eq!(
        (ev.owner, ev.vaultId, ev.vaultType),
        (ALICE, U256::from(1), VAULT_NAKED)
    );
    // Bob may act for Alice only once approved.
    vm.set_sender(BOB);
    assert_eq!(
        c.operate(ALICE, U256::from(2), vec![open(0)]),
        Err(err(I::Unauthorized { caller: BOB }))
    );
    vm.set_sender(ALICE);
    c.set_operator(BOB, true).unwrap();
    let (topics, data) = vm.get_emitted_logs().last().unwrap().clone();
    let ev = I::OperatorSet::decode_raw_log(topics, &data).unwrap();
    assert_eq!((ev.owner, ev.operator, ev.approved), (ALICE, BOB, true));
    assert!(c.is_operator(ALICE, BOB));
    vm.set_sender(BOB);
    c.operate(ALICE, U256::from(2), vec![open(VAULT_FULL)])
        .unwrap();
    assert_eq!(c.vault_count(ALICE), U256::from(2));
    assert_eq!(c.get_vault(ALICE, U256::from(2)).7, EXPIRY - 30 * 86_400);
}

#[test]
fn pause_flags_come_from_the_registry() {
    let (vm, mut c) = setup();
    registry_answers(&vm, Address::ZERO, true, false);
    assert_eq!(
        c.operate(ALICE, U256::from(1), vec![open(0)]),
        Err(err(I::SystemPaused {
            partiallyPaused: true,
            fullyPaused: false
        }))
    );
    assert_eq!(
        c.liquidate(ALICE, U256::from(1), U256::from(1), ALICE),
        Err(err(I::SystemPaused {
            partiallyPaused: true,
            fullyPaused: false
        }))
    );
    // Settling is still allowed under a partial pause (and finds nothing to settle).
    assert_eq!(
        c.settle_vault(ALICE, U256::from(1), ALICE),
        Err(err(I::ZeroAmount {}))
    );
    registry_answers(&vm, Address::ZERO, true, true);
    assert_eq!(
        c.settle_vault(ALICE, U256::from(1), ALICE),
        Err(err(I::SystemPaused {
            partiallyPaused: true,
            fullyPaused: true
        }))
    );
}

#[test]
fn a_registry_that_reverts_is_reported_with_its_reason() {
    let (vm, mut c) = setup();
    vm.mock_static_call(
        REGISTRY,
        IEscrowRegistry::collateralParametersCall {
            asset: Address::ZERO,
        }
        .abi_encode(),
        Err(vec![0xde, 0xad]),
    );
    assert_eq!(
        c.operate(ALICE, U256::from(1), vec![open(0)]),
        Err(err(I::ExternalCallReverted {
            target: REGISTRY,
            reason: vec![0xde, 0xad].into()
        }))
    );
}

#[test]
fn a_token_that_does_not_answer_true_is_refused() {
    // `TestVM` answers every call with the data of the last mock registered, so the registry's
    // five-word answer is also what `transferFrom` returns: not an ABI `true`.
    let (vm, mut c) = setup();
    let amount = U256::from(500_000_000u64);
    vm.mock_call(
        USDC,
        IERC20::transferFromCall {
            from: ALICE,
            to: ESCROW,
            value: amount,
        }
        .abi_encode(),
        U256::ZERO,
        Ok(vec![]),
    );
    registry_answers(&vm, USDC, false, false);
    let deposit = (ACTION_DEPOSIT_COLLATERAL, USDC, Address::ZERO, amount);
    assert_eq!(
        c.operate(ALICE, U256::from(1), vec![open(0), deposit]),
        Err(err(I::TokenCallFailed { token: USDC }))
    );
    assert!(returned_true(&[]));
    assert!(returned_true(&true.abi_encode()));
    assert!(!returned_true(&false.abi_encode()));
    assert!(!returned_true(&[1]));
}

#[test]
fn hand_written_events_decode_with_the_abi() {
    let (vm, c) = setup();
    let (o, v, t) = (ALICE, U256::from(3), BOB);
    let (p, l, lp) = (U256::from(10), U256::from(20), U256::from(30));
    emit(
        &c,
        I::VaultSettled::SIGNATURE_HASH,
        &[word(o), num(v)],
        &[word(t), num(p), num(l), num(lp)],
    );
    let (topics, data) = vm.get_emitted_logs().last().unwrap().clone();
    let ev = I::VaultSettled::decode_raw_log(topics, &data).unwrap();
    assert_eq!(
        (
            ev.owner,
            ev.vaultId,
            ev.to,
            ev.payout,
            ev.shortLiability,
            ev.longPayout
        ),
        (o, v, t, p, l, lp)
    );
    emit(
        &c,
        I::VaultLiquidated::SIGNATURE_HASH,
        &[word(o), num(v), word(t)],
        &[num(p), num(l), num(lp)],
    );
    let (topics, data) = vm.get_emitted_logs().last().unwrap().clone();
    let ev = I::VaultLiquidated::decode_raw_log(topics, &data).unwrap();
    assert_eq!(
        (
            ev.liquidator,
            ev.debtRepaid,
            ev.collateralPaid,
            ev.pricePerOption
        ),
        (t, p, l, lp)
    );
    emit(
        &c,
        I::ShortMinted::SIGNATURE_HASH,
        &[word(o), num(v), word(PUT)],
        &[word(t), num(p)],
    );
    let (topics, data) = vm.get_emitted_logs().last().unwrap().clone();
    let ev = I::ShortMinted::decode_raw_log(topics, &data).unwrap();
    assert_eq!((ev.option, ev.to, ev.amount), (PUT, t, p));
}

#[test]
fn empty_vaults_cannot_be_settled_or_liquidated() {
    let (_vm, mut c) = setup();
    c.operate(ALICE, U256::from(1), vec![open(1)]).unwrap();
    assert_eq!(
        c.settle_vault(ALICE, U256::from(1), ALICE),
        Err(err(I::ZeroAmount {}))
    );
    assert_eq!(
        c.liquidate(ALICE, U256::from(1), U256::from(1), BOB),
        Err(err(I::VaultNotLiquidatable {
            requirement: U256::ZERO,
            collateral: U256::ZERO
        }))
    );
    assert_eq!(
        c.get_vault_health(ALICE, U256::from(1)),
        Ok((U256::ZERO, U256::ZERO, U256::ZERO))
    );
    assert_eq!(c.naked_exposure(USDC), U256::ZERO);
}

#[test]
fn action_events_carry_the_counterparty() {
    let (caller, account) = (ALICE, BOB);
    use abi::escrow::*;
    assert_eq!(
        action_event(ACTION_DEPOSIT_COLLATERAL, account, caller),
        (I::CollateralDeposited::SIGNATURE_HASH, caller)
    );
    assert_eq!(
        action_event(ACTION_WITHDRAW_COLLATERAL, account, caller),
        (I::CollateralWithdrawn::SIGNATURE_HASH, account)
    );
    assert_eq!(
        action_event(ACTION_MINT_SHORT, account, caller),
        (I::ShortMinted::SIGNATURE_HASH, account)
    );
    assert_eq!(
        action_event(ACTION_BURN_SHORT, account, caller),
        (I::ShortBurned::SIGNATURE_HASH, caller)
    );
    assert_eq!(
        action_event(ACTION_DEPOSIT_LONG, account, caller),
        (I::LongDeposited::SIGNATURE_HASH, caller)
    );
    assert_eq!(
        action_event(ACTION_WITHDRAW_LONG, account, caller),
        (I::LongWithdrawn::SIGNATURE_HASH, account)
    );
}
