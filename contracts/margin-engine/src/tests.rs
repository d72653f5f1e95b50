//! The engine's wiring under `TestVM`: call data and events written by hand (checked against
//! the `abi` encoding), initialisation, authorization. The rules are tested in `escrow-rules`;
//! the whole path (engine, escrow, tokens, oracle) in the devnet suite `tests/tests/escrow_*.rs`.

use super::*;
use abi::escrow::{Action, ICollateralEscrow::applyOutcomeCall};
use alloy_primitives::address;
use alloy_sol_types::SolValue;
use stylus_sdk::testing::*;

const ESCROW: Address = address!("0000000000000000000000000000000000000e04");
const REGISTRY: Address = address!("0000000000000000000000000000000000000e01");
const EXPIRY_ORACLE: Address = address!("0000000000000000000000000000000000000e05");
const ALICE: Address = address!("0000000000000000000000000000000000000001");
const BOB: Address = address!("0000000000000000000000000000000000000002");

fn err<E: SolError>(e: E) -> EngineRevert {
    EngineRevert(e.abi_encode())
}

fn answer(vm: &TestVM, call: impl SolCall, address: Address) {
    vm.mock_static_call(ESCROW, call.abi_encode(), Ok(address.abi_encode()));
}

/// `TestVM` answers every static call with the last answer mocked, so the escrow reports one
/// address as its registry, oracle and factory here; the devnet suite checks the real wiring.
fn setup() -> (TestVM, MarginEngine) {
    let vm = TestVM::default();
    let mut engine = MarginEngine::from(&vm);
    answer(&vm, ICollateralEscrow::registryCall {}, REGISTRY);
    engine.initialize(ESCROW, EXPIRY_ORACLE).unwrap();
    (vm, engine)
}

#[test]
fn apply_call_data_matches_the_abi() {
    let actions = [
        (APPLY_REPAY, BOB, ALICE, U256::from(7)),
        (APPLY_SEIZE, ALICE, BOB, U256::MAX),
        (
            APPLY_AUCTION,
            Address::ZERO,
            Address::ZERO,
            U256::from(1_800_000_000u64),
        ),
    ];
    let expected = applyOutcomeCall {
        owner: ALICE,
        vaultId: U256::from(3),
        actions: actions
            .iter()
            .map(|&(kind, asset, account, amount)| Action {
                kind,
                asset,
                account,
                amount,
            })
            .collect(),
    }
    .abi_encode();
    assert_eq!(apply_call(ALICE, U256::from(3), &actions), expected);
    assert_eq!(
        apply_call(Address::ZERO, U256::ZERO, &[]),
        applyOutcomeCall {
            owner: Address::ZERO,
            vaultId: U256::ZERO,
            actions: vec![]
        }
        .abi_encode()
    );
}

#[test]
fn initialize_copies_the_escrows_sources_once() {
    let (vm, mut engine) = setup();
    assert_eq!(engine.escrow(), ESCROW);
    assert_eq!(engine.expiry_oracle(), EXPIRY_ORACLE);
    let s = engine.sources();
    assert_eq!(
        (s.registry, s.oracle, s.expiry_oracle, s.factory),
        (REGISTRY, REGISTRY, EXPIRY_ORACLE, REGISTRY)
    );
    let (topics, data) = vm.get_emitted_logs().last().unwrap().clone();
    let ev = I::MarginEngineInitialized::decode_raw_log(topics, &data).unwrap();
    assert_eq!((ev.escrow, ev.expiryOracle), (ESCROW, EXPIRY_ORACLE));
    assert_eq!(
        engine.initialize(ESCROW, EXPIRY_ORACLE),
        Err(EngineRevert::from(InvalidInitialization {
            current: 1,
            requested: 1
        }))
    );
}

#[test]
fn initialize_needs_every_address() {
    let vm = TestVM::default();
    let mut engine = MarginEngine::from(&vm);
    assert_eq!(
        engine.initialize(Address::ZERO, EXPIRY_ORACLE),
        Err(err(I::ZeroAddress {}))
    );
    answer(&vm, ICollateralEscrow::registryCall {}, Address::ZERO);
    assert_eq!(
        engine.initialize(ESCROW, EXPIRY_ORACLE),
        Err(err(I::ZeroAddress {}))
    );
}

#[test]
fn implementation_locks_itself() {
    let vm = TestVM::default();
    let mut engine = MarginEngine::from(&vm);
    engine.constructor();
    answer(&vm, ICollateralEscrow::registryCall {}, REGISTRY);
    assert_eq!(
        engine.initialize(ESCROW, EXPIRY_ORACLE),
        Err(EngineRevert::from(InvalidInitialization {
            current: u64::MAX,
            requested: 1
        }))
    );
}

#[test]
fn engine_errors_share_the_escrows_selectors() {
    use abi::escrow::ICollateralEscrow as E;
    assert_eq!(I::Unauthorized::SELECTOR, E::Unauthorized::SELECTOR);
    assert_eq!(
        I::InsufficientCollateral::SELECTOR,
        E::InsufficientCollateral::SELECTOR
    );
    assert_eq!(I::BelowDustFloor::SELECTOR, E::BelowDustFloor::SELECTOR);
    assert_eq!(
        I::VaultNotLiquidatable::SELECTOR,
        E::VaultNotLiquidatable::SELECTOR
    );
    assert_eq!(
        I::ExternalCallReverted::SELECTOR,
        E::ExternalCallReverted::SELECTOR
    );
    assert_eq!(I::MarginMath::SELECTOR, E::MarginMath::SELECTOR);
    assert_eq!(
        I::InvalidInitialization::SELECTOR,
        InvalidInitialization::SELECTOR
    );
}

#[test]
fn auction_events_decode_with_the_abi_and_agree_with_the_escrows() {
    let (vm, engine) = setup();
    let (id, a, b) = (U256::from(2), 1_800_000_000u64, 1_800_000_600u64);
    emit(
        &engine,
        I::AuctionRestarted::SIGNATURE_HASH,
        &[ALICE.word(), id.word()],
        &[a.word(), b.word()],
    );
    let (topics, data) = vm.get_emitted_logs().last().unwrap().clone();
    let ev = I::AuctionRestarted::decode_raw_log(topics, &data).unwrap();
    assert_eq!(
        (ev.owner, ev.vaultId, ev.previousStart, ev.startedAt),
        (ALICE, id, U256::from(a), U256::from(b))
    );
    // The escrow ends auctions too (a checked batch): keepers read one event from either.
    assert_eq!(
        I::AuctionEnded::SIGNATURE_HASH,
        ICollateralEscrow::AuctionEnded::SIGNATURE_HASH
    );
}
