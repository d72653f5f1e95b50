//! The contract's wiring under `TestVM`: storage, calls decoded by hand, events written by hand
//! (each checked against the `abi` encoding), authorization, pause flags, the margin engine's
//! outcomes and the token movements that mocks can answer. The rules themselves (and the error
//! encodings) are tested in `escrow-rules`; the whole path in `tests/tests/escrow_*.rs`.

use super::*;
use abi::escrow::{
    IEscrowRegistry, ACTION_BURN_SHORT, ACTION_DEPOSIT_COLLATERAL, ACTION_WITHDRAW_COLLATERAL,
};
use alloy_primitives::address;
use alloy_sol_types::SolValue;
use stylus_sdk::testing::*;

const REGISTRY: Address = address!("0000000000000000000000000000000000000e01");
const ORACLE: Address = address!("0000000000000000000000000000000000000e02");
const FACTORY: Address = address!("0000000000000000000000000000000000000e03");
const ESCROW: Address = address!("0000000000000000000000000000000000000e04");
const ENGINE: Address = address!("0000000000000000000000000000000000000e05");
const USDC: Address = address!("00000000000000000000000000000000000000c6");
const PUT: Address = address!("0000000000000000000000000000000000000a01");
const ALICE: Address = address!("0000000000000000000000000000000000000001");
const BOB: Address = address!("0000000000000000000000000000000000000002");
const EXPIRY: u64 = 1_799_827_200 + 28_800;

fn err<E: SolError>(e: E) -> EscrowRevert {
    EscrowRevert(e.abi_encode())
}

fn setup() -> (TestVM, CollateralEscrow) {
    let vm = TestVM::default();
    vm.set_contract_address(ESCROW);
    vm.set_block_timestamp(EXPIRY - 30 * 86_400);
    let mut c = CollateralEscrow::from(&vm);
    c.initialize(REGISTRY, ORACLE, FACTORY, ENGINE).unwrap();
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
            0u64,
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
fn initialize_runs_once_and_needs_every_address() {
    let vm = TestVM::default();
    let mut c = CollateralEscrow::from(&vm);
    assert_eq!(
        c.initialize(REGISTRY, ORACLE, FACTORY, Address::ZERO),
        Err(err(I::ZeroAddress {}))
    );
    c.initialize(REGISTRY, ORACLE, FACTORY, ENGINE).unwrap();
    assert_eq!(
        c.initialize(REGISTRY, ORACLE, FACTORY, ENGINE),
        Err(EscrowRevert::from(InvalidInitialization {
            current: 1,
            requested: 1
        }))
    );
    assert_eq!(
        (c.registry(), c.oracle(), c.factory(), c.engine()),
        (REGISTRY, ORACLE, FACTORY, ENGINE)
    );
    let (topics, data) = vm.get_emitted_logs().last().unwrap().clone();
    let ev = I::EscrowInitialized::decode_raw_log(topics, &data).unwrap();
    assert_eq!(
        (ev.registry, ev.oracle, ev.factory, ev.engine),
        (REGISTRY, ORACLE, FACTORY, ENGINE)
    );
}

#[test]
fn implementation_locks_itself() {
    let vm = TestVM::default();
    let mut c = CollateralEscrow::from(&vm);
    c.constructor();
    assert_eq!(
        c.initialize(REGISTRY, ORACLE, FACTORY, ENGINE),
        Err(EscrowRevert::from(InvalidInitialization {
            current: u64::MAX,
            requested: 1
        }))
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
    for (partial, full) in [(true, false), (false, true), (true, true)] {
        registry_answers(&vm, Address::ZERO, partial, full);
        assert_eq!(
            c.operate(ALICE, U256::from(1), vec![open(0)]),
            Err(err(I::SystemPaused {
                partiallyPaused: partial,
                fullyPaused: full
            }))
        );
    }
    registry_answers(&vm, Address::ZERO, false, false);
    c.operate(ALICE, U256::from(1), vec![open(0)]).unwrap();
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
    let (o, v, t, p) = (ALICE, U256::from(3), BOB, U256::from(10));
    emit(
        &c,
        I::ShortMinted::SIGNATURE_HASH,
        &[o.word(), v.word(), PUT.word()],
        &[t.word(), p.word()],
    );
    let (topics, data) = vm.get_emitted_logs().last().unwrap().clone();
    let ev = I::ShortMinted::decode_raw_log(topics, &data).unwrap();
    assert_eq!(
        (ev.owner, ev.vaultId, ev.option, ev.to, ev.amount),
        (o, v, PUT, t, p)
    );
}

#[test]
fn only_the_engine_applies_outcomes() {
    let (_vm, mut c) = setup();
    let burn = (APPLY_BURN, PUT, BOB, U256::from(1));
    assert_eq!(
        c.apply_outcome(Address::ZERO, U256::ZERO, vec![burn]),
        Err(err(I::Unauthorized { caller: ALICE }))
    );
}

#[test]
fn outcomes_never_take_more_than_a_vault_holds() {
    let (vm, mut c) = setup();
    c.operate(ALICE, U256::from(1), vec![open(1)]).unwrap();
    vm.set_sender(ENGINE);
    let id = U256::from(1);
    // Vault-bound actions need a vault, and must name the vault's own short and collateral.
    assert_eq!(
        c.apply_outcome(
            Address::ZERO,
            U256::ZERO,
            vec![(APPLY_CLOSE, Address::ZERO, Address::ZERO, U256::ZERO)]
        ),
        Err(err(I::InvalidAction {
            index: U256::ZERO,
            kind: APPLY_CLOSE
        }))
    );
    assert_eq!(
        c.apply_outcome(ALICE, id, vec![(APPLY_SEIZE, PUT, BOB, U256::from(1))]),
        Err(err(I::InvalidAction {
            index: U256::ZERO,
            kind: APPLY_SEIZE
        }))
    );
    assert_eq!(
        c.apply_outcome(
            ALICE,
            id,
            vec![(ACTION_DEPOSIT_COLLATERAL, USDC, BOB, U256::from(1))]
        ),
        Err(err(I::InvalidAction {
            index: U256::ZERO,
            kind: ACTION_DEPOSIT_COLLATERAL
        }))
    );
    // An empty vault is bound to no asset: seizing "its" (zero) collateral takes more than it holds.
    assert_eq!(
        c.apply_outcome(
            ALICE,
            id,
            vec![(APPLY_SEIZE, Address::ZERO, BOB, U256::from(1))]
        ),
        Err(err(I::InsufficientVaultBalance {
            asset: Address::ZERO,
            requested: U256::from(1),
            available: U256::ZERO
        }))
    );
    assert_eq!(
        c.apply_outcome(
            ALICE,
            id,
            vec![(APPLY_REPAY, Address::ZERO, BOB, U256::from(1))]
        ),
        Err(err(I::InsufficientVaultBalance {
            asset: Address::ZERO,
            requested: U256::from(1),
            available: U256::ZERO
        }))
    );
    // Only the owner or its operator settles (the engine names who asked).
    let close_by = |who| vec![(APPLY_CLOSE, Address::ZERO, who, U256::ZERO)];
    assert_eq!(
        c.apply_outcome(ALICE, id, close_by(BOB)),
        Err(err(I::Unauthorized { caller: BOB }))
    );
    vm.set_sender(ALICE);
    c.set_operator(BOB, true).unwrap();
    vm.set_sender(ENGINE);
    // Closing an empty vault moves nothing and keeps its type.
    c.apply_outcome(ALICE, id, close_by(BOB)).unwrap();
    c.apply_outcome(ALICE, id, close_by(ALICE)).unwrap();
    assert_eq!(c.get_vault(ALICE, id).0, VAULT_NAKED);
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

#[test]
fn batches_without_a_margin_check_keep_the_liquidation_clock() {
    let (vm, mut c) = setup();
    c.operate(ALICE, U256::from(1), vec![open(VAULT_NAKED)])
        .unwrap();
    let id = U256::from(1);
    let before = c.get_vault(ALICE, id);
    // An empty batch (like a top-up, which needs no price) proves nothing about the vault's
    // safety: it must not move `last_change` or reset an auction, or an owner could keep an
    // unsafe vault unliquidatable by calling it after every oracle round.
    vm.set_block_timestamp(EXPIRY - 29 * 86_400);
    c.operate(ALICE, id, vec![]).unwrap();
    let after = c.get_vault(ALICE, id);
    assert_eq!((after.7, after.8), (before.7, before.8));
}

/// Naked vault 1 of Alice holding 1,000 USDC against one put, with `exposure` in naked vaults.
fn seeded(auction_start: u64, exposure: U256) -> (TestVM, CollateralEscrow, Vault) {
    let (vm, mut c) = setup();
    let v = Vault {
        naked: true,
        collateral_asset: USDC,
        collateral: U256::from(1_000_000_000u64),
        short: PUT,
        short_amount: U256::from(10u64).pow(U256::from(18)),
        last_change: EXPIRY - 31 * 86_400,
        auction_start,
        ..Vault::default()
    };
    c.store_vault(ALICE, U256::from(1), &v);
    c.vault_counts.setter(ALICE).set(U256::from(1));
    c.naked_exposure.setter(USDC).set(exposure);
    (vm, c, v)
}

/// What the escrow passes on to `checkVault` after reading `registry_answers(USDC, false, false)`
/// (no series: `Chain::known`'s layout).
fn usdc_known() -> [U256; 23] {
    let mut known = [U256::ZERO; 23];
    known[1] = U256::from(1);
    known[2] = U256::from_be_slice(USDC.as_slice());
    let params = [
        0u64,
        0,
        1_000_000_000_000,
        1_000_000_000_000,
        100_000_000,
        0,
    ];
    for (k, p) in known[3..9].iter_mut().zip(params) {
        *k = U256::from(p);
    }
    known
}

/// `checkVault` answers `verdict` for `v` priced with `getMintPrice` and reverts otherwise.
fn engine_answers(vm: &TestVM, v: &Vault, mint_price_verdict: Result<(), ()>) {
    for mint_price in [true, false] {
        let words = abi::escrow::check_vault_words(
            v.naked,
            v.collateral_asset,
            v.collateral,
            v.short,
            v.short_amount,
            v.long,
            v.long_amount,
            mint_price,
        );
        let ok = mint_price == mint_price_verdict.is_ok();
        vm.mock_static_call(
            ENGINE,
            IMarginEngine::checkVaultCall {
                vault: words,
                known: usdc_known(),
            }
            .abi_encode(),
            if ok { Ok(vec![]) } else { Err(vec![]) },
        );
    }
    // The registry's answer must be the last mock: TestVM returns the last mock's data.
    registry_answers(vm, USDC, false, false);
}

fn logs_of<E: SolEvent>(vm: &TestVM) -> Vec<E> {
    vm.get_emitted_logs()
        .into_iter()
        .filter_map(|(topics, data)| E::decode_raw_log(topics, &data).ok())
        .collect()
}

#[test]
fn a_partial_pause_lets_top_ups_and_burns_through() {
    let (vm, mut c, v) = seeded(0, U256::from(1_000_000_000u64));
    let id = U256::from(1);
    let amount = U256::from(1_000_000u64);
    registry_answers(&vm, USDC, true, false);
    let withdraw = (ACTION_WITHDRAW_COLLATERAL, USDC, ALICE, amount);
    let top_up = (ACTION_DEPOSIT_COLLATERAL, USDC, Address::ZERO, amount);
    let burn = (ACTION_BURN_SHORT, PUT, Address::ZERO, v.short_amount);
    let mint = (ACTION_MINT_SHORT, PUT, ALICE, v.short_amount);
    let partial = err(I::SystemPaused {
        partiallyPaused: true,
        fullyPaused: false,
    });
    assert_eq!(c.operate(ALICE, id, vec![withdraw]), Err(partial.clone()));
    assert_eq!(c.operate(ALICE, id, vec![top_up, withdraw]), Err(partial));
    // A burn goes through entirely: the vault owes nothing more.
    c.operate(ALICE, id, vec![burn]).unwrap();
    let after = c.get_vault(ALICE, id);
    assert_eq!((after.3, after.4), (Address::ZERO, U256::ZERO));
    // The top-up passes the pause and reaches the token (which answers the registry's words,
    // see `a_token_that_does_not_answer_true_is_refused`).
    assert_eq!(
        c.operate(ALICE, id, vec![top_up]),
        Err(err(I::TokenCallFailed { token: USDC }))
    );
    // Under a full pause, nothing moves.
    registry_answers(&vm, USDC, true, true);
    for batch in [vec![top_up], vec![mint]] {
        assert_eq!(
            c.operate(ALICE, id, batch),
            Err(err(I::SystemPaused {
                partiallyPaused: true,
                fullyPaused: true
            }))
        );
    }
}

#[test]
fn withdrawals_are_priced_with_the_circuit_breaker() {
    let amount = U256::from(1_000_000u64);
    let withdraw = (ACTION_WITHDRAW_COLLATERAL, USDC, BOB, amount);
    let id = U256::from(1);
    // Accepted at the mint price: it passes the margin check and reaches the token transfer
    // (refused by the mock token, see `a_token_that_does_not_answer_true_is_refused`).
    let (vm, mut c, mut v) = seeded(0, U256::from(1_000_000_000u64));
    v.collateral -= amount;
    engine_answers(&vm, &v, Ok(()));
    let reached_the_token = Err(err(I::TokenCallFailed { token: USDC }));
    assert_eq!(c.operate(ALICE, id, vec![withdraw]), reached_the_token);
    // Accepted only at the plain price: the engine's refusal stops it before any transfer.
    let (vm, mut c, _) = seeded(0, U256::from(1_000_000_000u64));
    engine_answers(&vm, &v, Err(()));
    let refused = c.operate(ALICE, id, vec![withdraw]);
    assert!(refused.is_err() && refused != reached_the_token);
}

#[test]
fn exposure_changes_and_auction_ends_are_events() {
    let amount = U256::from(1_000_000u64);
    let id = U256::from(1);
    let exposure = U256::from(5_000_000_000u64);
    let (vm, mut c, mut v) = seeded(EXPIRY - 30 * 86_400 - 60, exposure);
    v.collateral -= amount;
    engine_answers(&vm, &v, Ok(()));
    // State and events are written before tokens move; `TestVM` keeps them although the mock
    // token then refuses the transfer (see `a_token_that_does_not_answer_true_is_refused`).
    assert_eq!(
        c.operate(
            ALICE,
            id,
            vec![(ACTION_WITHDRAW_COLLATERAL, USDC, BOB, amount)]
        ),
        Err(err(I::TokenCallFailed { token: USDC }))
    );
    assert_eq!(c.naked_exposure(USDC), exposure - amount);
    let changes = logs_of::<I::NakedExposureChanged>(&vm);
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].asset, changes[0].exposure),
        (USDC, exposure - amount)
    );
    // The withdrawal passed the margin check: the vault is safe, its auction is over.
    let ended = logs_of::<I::AuctionEnded>(&vm);
    assert_eq!(
        (
            ended[0].owner,
            ended[0].vaultId,
            ended[0].collateral,
            ended[0].shortAmount
        ),
        (ALICE, id, v.collateral, v.short_amount)
    );
    assert_eq!(c.get_vault(ALICE, id).8, 0);
    // A seizure by the engine moves the exposure too, with its event. (`TestVM` does not
    // roll back the failed call above, which left the reentrancy lock set.)
    c.locked.set(false);
    vm.set_sender(ENGINE);
    assert_eq!(
        c.apply_outcome(ALICE, id, vec![(APPLY_SEIZE, USDC, BOB, amount)]),
        Err(err(I::TokenCallFailed { token: USDC }))
    );
    let changes = logs_of::<I::NakedExposureChanged>(&vm);
    assert_eq!(changes.last().unwrap().exposure, exposure - amount - amount);
}

#[test]
fn the_naked_cap_never_blocks_a_top_up() {
    // Far over the cap (10^12): the top-up still reaches the token.
    let (_vm, mut c, _) = seeded(0, U256::from(10u64).pow(U256::from(15)));
    let top_up = (
        ACTION_DEPOSIT_COLLATERAL,
        USDC,
        Address::ZERO,
        U256::from(1),
    );
    assert_eq!(
        c.operate(ALICE, U256::from(1), vec![top_up]),
        Err(err(I::TokenCallFailed { token: USDC }))
    );
}
