//! Unit tests of `OptionFactory` on a `TestVM`. Clones run the real `OptionToken` code (in their
//! own storage, with the code the factory's CREATE2 gave them); ERC-20 assets are mocks.

use super::*;
use abi::option_factory::{predict_clone_address, series_code, series_salt};
use alloy_primitives::{address, Address, U256};
use alloy_sol_types::{SolError, SolEvent};
use option_token::OptionToken;
use proptest::prelude::*;
use stylus_sdk::testing::TestVM;
use test_host::Chain;

const FACTORY: Address = address!("000000000000000000000000000000000000fac7");
const IMPLEMENTATION: Address = address!("00000000000000000000000000000000000011e1");
const ESCROW: Address = address!("000000000000000000000000000000000000e5c0");
const ADMIN: Address = address!("000000000000000000000000000000000000ad11");
const ALICE: Address = address!("00000000000000000000000000000000000a11ce");
const WETH: Address = address!("0000000000000000000000000000000000000eee");
const USDC: Address = address!("0000000000000000000000000000000000000dcc");
const MKR: Address = address!("00000000000000000000000000000000000003c5");
/// 2026-11-27 08:00 UTC.
const EXPIRY: u64 = 1_795_766_400;
const NOW: u64 = EXPIRY - 30 * 86_400;

fn strike(units: u64) -> U256 {
    U256::from(units) * U256::from(abi::PRICE_SCALE)
}

/// The code arguments of a WETH/USDC series (calls collateralised in WETH, puts in USDC).
fn args(is_put: bool, strike_price: U256, expiry: u64) -> SeriesArgs {
    SeriesArgs {
        underlying: WETH,
        strike_asset: USDC,
        escrow: ESCROW,
        strike_price,
        expiry,
        is_put,
        collateral_is_strike: is_put,
        underlying_symbol: symbol_bytes("WETH").0,
        strike_symbol: symbol_bytes("USDC").0,
    }
}

/// Answers `symbol()` with `symbol` ABI-encoded as a string.
fn erc20(chain: &Chain, asset: Address, symbol: &'static str) {
    chain.on_call(
        asset,
        Box::new(move |_, data| {
            Some(if data == (IERC20::symbolCall {}).abi_encode() {
                Ok(IERC20::symbolCall::abi_encode_returns(&symbol.to_string()))
            } else {
                Err(Vec::new())
            })
        }),
    );
}

struct Setup {
    vm: TestVM,
    chain: Chain,
    factory: OptionFactory,
}

impl Setup {
    /// An initialised factory with WETH and USDC as ERC-20s; the WETH call (WETH collateral)
    /// and WETH put (USDC collateral) products allowed.
    fn new() -> Self {
        let setup = Self::uninitialised();
        setup.vm.set_sender(ADMIN);
        let mut factory = OptionFactory::from(&setup.chain);
        factory.initialize(ADMIN, IMPLEMENTATION, ESCROW).unwrap();
        factory.allow_product(WETH, USDC, WETH, false).unwrap();
        factory.allow_product(WETH, USDC, USDC, true).unwrap();
        setup.vm.set_sender(ALICE);
        setup
    }

    fn uninitialised() -> Self {
        let vm = TestVM::new();
        vm.set_contract_address(FACTORY);
        vm.set_block_timestamp(NOW);
        vm.set_chain_id(412_346);
        let chain = Chain::with_vm(vm.clone());
        erc20(&chain, WETH, "WETH");
        erc20(&chain, USDC, "USDC");
        let factory = OptionFactory::from(&chain);
        Self { vm, chain, factory }
    }

    fn create(&mut self, is_put: bool, strike_price: U256, expiry: u64) -> FactoryResult<Address> {
        let collateral = if is_put { USDC } else { WETH };
        self.factory
            .create_series(WETH, USDC, collateral, is_put, strike_price, expiry)
    }

    /// The real `OptionToken` running in the clone at `token`, with the code CREATE2 gave it.
    fn clone_token(&self, token: Address) -> OptionToken {
        let token_vm = TestVM::new();
        token_vm.set_contract_address(token);
        token_vm.set_code(token, self.vm.code(token));
        token_vm.set_block_timestamp(NOW);
        OptionToken::from(&Chain::with_vm(token_vm))
    }
}

fn expect_error<E: SolError>(result: FactoryResult<impl core::fmt::Debug>, expected: E) {
    assert_eq!(
        Vec::<u8>::from(result.expect_err("must fail")),
        expected.abi_encode()
    );
}

#[test]
fn creates_a_clone_at_the_predicted_address() {
    let mut s = Setup::new();
    let calls = s.chain.calls().len();
    let predicted = s
        .factory
        .predict_series_address(WETH, USDC, WETH, false, strike(3000), EXPIRY);
    // Independent CREATE2 computation (alloy's), same salt definition.
    let salt = series_salt(WETH, USDC, WETH, false, strike(3000), EXPIRY);
    assert_eq!(
        predicted,
        predict_clone_address(
            FACTORY,
            salt,
            IMPLEMENTATION,
            &args(false, strike(3000), EXPIRY)
        )
    );
    assert_eq!(
        s.factory
            .get_series(WETH, USDC, WETH, false, strike(3000), EXPIRY),
        Address::ZERO
    );

    let token = s.create(false, strike(3000), EXPIRY).unwrap();
    assert_eq!(token, predicted);
    assert_eq!(
        s.vm.code(token),
        series_code(IMPLEMENTATION, &args(false, strike(3000), EXPIRY)).to_vec()
    );
    // Nothing but CREATE2: no call to the new token, no symbol() read.
    assert_eq!(s.chain.calls().len(), calls);
    assert_eq!(
        s.factory
            .get_series(WETH, USDC, WETH, false, strike(3000), EXPIRY),
        token
    );
    assert_eq!(s.factory.series_count(), U256::from(1));
    assert_eq!(s.factory.series_at(U256::ZERO).unwrap(), token);
    assert!(s.factory.is_series(token));

    // The clone really holds its series, in its code.
    let view = s.clone_token(token);
    assert_eq!(
        view.series_info(),
        (WETH, USDC, WETH, false, strike(3000), EXPIRY, ESCROW)
    );
    assert_eq!(view.symbol(), "WETH-USDC 27NOV26 3000 C");

    let logs = s.vm.get_emitted_logs();
    let (topics, data) = logs.last().unwrap();
    let event =
        IOptionFactory::SeriesCreated::decode_raw_log(topics.iter().copied(), data).unwrap();
    assert_eq!(event.token, token);
    assert_eq!(
        event.productId,
        abi::option_factory::product_id(WETH, USDC, WETH, false)
    );
    assert_eq!(event.expiry, EXPIRY);
    assert_eq!(
        (
            event.underlying,
            event.strikeAsset,
            event.collateral,
            event.isPut
        ),
        (WETH, USDC, WETH, false)
    );
    assert_eq!(
        (event.strikePrice, event.index, event.creator),
        (strike(3000), U256::ZERO, ALICE)
    );
}

#[test]
fn duplicate_series_names_the_existing_token() {
    let mut s = Setup::new();
    let token = s.create(true, strike(2500), EXPIRY).unwrap();
    expect_error(
        s.create(true, strike(2500), EXPIRY),
        IOptionFactory::SeriesAlreadyExists { token },
    );
    assert_eq!(s.factory.series_count(), U256::from(1));
}

#[test]
fn unknown_or_disallowed_product_is_refused() {
    let mut s = Setup::new();
    let unknown = abi::option_factory::product_id(USDC, WETH, USDC, false);
    let result = s
        .factory
        .create_series(USDC, WETH, USDC, false, strike(1), EXPIRY);
    expect_error(
        result,
        IOptionFactory::ProductNotAllowed { productId: unknown },
    );

    s.vm.set_sender(ADMIN);
    let id = s.factory.disallow_product(WETH, USDC, WETH, false).unwrap();
    assert!(!s.factory.is_product_allowed(WETH, USDC, WETH, false));
    expect_error(
        s.create(false, strike(3000), EXPIRY),
        IOptionFactory::ProductNotAllowed { productId: id },
    );
    // The put product is untouched.
    assert!(s.factory.is_product_allowed(WETH, USDC, USDC, true));
    s.create(true, strike(3000), EXPIRY).unwrap();
}

#[test]
fn expiry_must_be_future_on_grid_and_not_too_far() {
    let mut s = Setup::new();
    let past = NOW - NOW % 86_400 + 28_800 - 86_400;
    expect_error(
        s.create(false, strike(3000), past),
        IOptionFactory::ExpiryInPast {
            expiry: past,
            timestamp: NOW,
        },
    );
    // Exactly now is not in the future.
    s.vm.set_block_timestamp(EXPIRY);
    expect_error(
        s.create(false, strike(3000), EXPIRY),
        IOptionFactory::ExpiryInPast {
            expiry: EXPIRY,
            timestamp: EXPIRY,
        },
    );
    s.vm.set_block_timestamp(NOW);
    for off_grid in [EXPIRY + 1, EXPIRY - 3_600, EXPIRY + 43_200] {
        expect_error(
            s.create(false, strike(3000), off_grid),
            IOptionFactory::ExpiryOffGrid { expiry: off_grid },
        );
    }
    let max = NOW + MAX_EXPIRY_HORIZON;
    let far = max - max % 86_400 + 28_800 + 86_400;
    expect_error(
        s.create(false, strike(3000), far),
        IOptionFactory::ExpiryTooFar {
            expiry: far,
            maxExpiry: max,
        },
    );
    assert_eq!(s.factory.series_count(), U256::ZERO);
}

#[test]
fn strike_must_be_positive_and_bounded() {
    let mut s = Setup::new();
    expect_error(
        s.create(true, U256::ZERO, EXPIRY),
        IOptionFactory::ZeroStrike {},
    );
    let max = U256::from(MAX_STRIKE);
    expect_error(
        s.create(true, max + U256::from(1), EXPIRY),
        IOptionFactory::StrikeTooHigh {
            strikePrice: max + U256::from(1),
            maxStrike: max,
        },
    );
    expect_error(
        s.create(false, U256::MAX, EXPIRY),
        IOptionFactory::StrikeTooHigh {
            strikePrice: U256::MAX,
            maxStrike: max,
        },
    );
    // The bounds themselves are accepted: 1 wei of strike and MAX_STRIKE.
    s.create(true, U256::from(1), EXPIRY).unwrap();
    let token = s.create(true, max, EXPIRY).unwrap();
    let view = s.clone_token(token);
    assert_eq!(view.strike_price(), max);
    assert_eq!(view.symbol(), "WETH-USDC 27NOV26 10000000000 P");
}

#[test]
fn enumeration_lists_series_in_creation_order() {
    let mut s = Setup::new();
    let mut tokens = Vec::new();
    for (i, k) in [1000u64, 2000, 3000].into_iter().enumerate() {
        let token = s
            .create(i % 2 == 1, strike(k), EXPIRY + 7 * 86_400 * i as u64)
            .unwrap();
        tokens.push(token);
    }
    assert_eq!(s.factory.series_count(), U256::from(3));
    for (i, token) in tokens.iter().enumerate() {
        assert_eq!(s.factory.series_at(U256::from(i)).unwrap(), *token);
        assert!(s.factory.is_series(*token));
    }
    expect_error(
        s.factory.series_at(U256::from(3)),
        IOptionFactory::IndexOutOfRange {
            index: U256::from(3),
            count: U256::from(3),
        },
    );
    expect_error(
        s.factory.series_at(U256::MAX),
        IOptionFactory::IndexOutOfRange {
            index: U256::MAX,
            count: U256::from(3),
        },
    );
}

#[test]
fn is_series_rejects_foreign_accounts() {
    let mut s = Setup::new();
    let token = s.create(false, strike(3000), EXPIRY).unwrap();
    assert!(!s.factory.is_series(ALICE));
    assert!(!s.factory.is_series(WETH));
    // The same code deployed by someone else.
    let impostor = predict_clone_address(
        ALICE,
        series_salt(WETH, USDC, WETH, false, strike(3000), EXPIRY),
        IMPLEMENTATION,
        &args(false, strike(3000), EXPIRY),
    );
    s.vm.set_code(impostor, s.vm.code(token));
    assert!(!s.factory.is_series(impostor));
    // Code whose series is another one than the one its address was made from.
    let other = s.create(false, strike(3001), EXPIRY).unwrap();
    s.vm.set_code(other, s.vm.code(token));
    assert!(!s.factory.is_series(other));
    assert!(s.factory.is_series(token));
}

#[test]
fn symbols_are_read_once_per_product() {
    let mut s = Setup::new();
    let before = s
        .factory
        .predict_series_address(WETH, USDC, WETH, false, strike(3000), EXPIRY);
    // WETH renames itself; the product keeps its labels, and so its addresses.
    erc20(&s.chain, WETH, "WETH2");
    let calls = s.chain.calls().len();
    s.vm.set_sender(ADMIN);
    s.factory.disallow_product(WETH, USDC, WETH, false).unwrap();
    s.factory.allow_product(WETH, USDC, WETH, false).unwrap();
    assert_eq!(s.chain.calls().len(), calls, "no symbol() read again");
    let (topics, data) = s.vm.get_emitted_logs().pop().unwrap();
    let event = IOptionFactory::ProductUpdated::decode_raw_log(topics, &data).unwrap();
    assert_eq!(event.underlyingSymbol, "WETH");
    assert_eq!(
        s.factory
            .predict_series_address(WETH, USDC, WETH, false, strike(3000), EXPIRY),
        before
    );
    let token = s.create(false, strike(3000), EXPIRY).unwrap();
    assert_eq!(token, before);
    assert_eq!(s.clone_token(token).symbol(), "WETH-USDC 27NOV26 3000 C");
}

#[test]
fn admin_controls_products_and_role() {
    let mut s = Setup::new();
    s.vm.set_sender(ALICE);
    expect_error(
        s.factory.allow_product(WETH, USDC, WETH, true),
        IOptionFactory::NotAdmin {
            caller: ALICE,
            admin: ADMIN,
        },
    );
    expect_error(
        s.factory.disallow_product(WETH, USDC, WETH, false),
        IOptionFactory::NotAdmin {
            caller: ALICE,
            admin: ADMIN,
        },
    );
    expect_error(
        s.factory.set_admin(ALICE),
        IOptionFactory::NotAdmin {
            caller: ALICE,
            admin: ADMIN,
        },
    );

    s.vm.set_sender(ADMIN);
    expect_error(
        s.factory.set_admin(Address::ZERO),
        IOptionFactory::ZeroAddress {},
    );
    s.factory.set_admin(ALICE).unwrap();
    assert_eq!(s.factory.admin(), ALICE);
    expect_error(
        s.factory.allow_product(WETH, USDC, WETH, true),
        IOptionFactory::NotAdmin {
            caller: ADMIN,
            admin: ALICE,
        },
    );
    let (topics, data) =
        s.vm.get_emitted_logs()
            .into_iter()
            .rev()
            .find(|(t, _)| t[0] == IOptionFactory::AdminChanged::SIGNATURE_HASH)
            .unwrap();
    let event = IOptionFactory::AdminChanged::decode_raw_log(topics, &data).unwrap();
    assert_eq!((event.previousAdmin, event.newAdmin), (ADMIN, ALICE));
}

#[test]
fn products_must_be_sound_and_labelled() {
    let mut s = Setup::new();
    s.vm.set_sender(ADMIN);
    let invalid = |u, k, c| IOptionFactory::InvalidProduct {
        underlying: u,
        strikeAsset: k,
        collateral: c,
    };
    expect_error(
        s.factory.allow_product(WETH, WETH, WETH, false),
        invalid(WETH, WETH, WETH),
    );
    expect_error(
        s.factory.allow_product(WETH, USDC, ALICE, false),
        invalid(WETH, USDC, ALICE),
    );
    expect_error(
        s.factory.allow_product(Address::ZERO, USDC, USDC, true),
        IOptionFactory::ZeroAddress {},
    );
    // No symbol() at all.
    expect_error(
        s.factory.allow_product(ALICE, USDC, USDC, true),
        IOptionFactory::SymbolUnavailable { asset: ALICE },
    );
    // bytes32 symbol (MKR-style) is read too.
    s.chain.on_call(
        MKR,
        Box::new(|_, _| {
            Some(Ok(
                alloy_primitives::B256::right_padding_from(b"MKR").to_vec()
            ))
        }),
    );
    let id = s.factory.allow_product(MKR, USDC, USDC, true).unwrap();
    let (topics, data) = s.vm.get_emitted_logs().pop().unwrap();
    let event = IOptionFactory::ProductUpdated::decode_raw_log(topics, &data).unwrap();
    assert_eq!(event.productId, id);
    assert_eq!(
        (
            event.underlyingSymbol.as_str(),
            event.strikeSymbol.as_str(),
            event.allowed
        ),
        ("MKR", "USDC", true)
    );
    assert_eq!(id, s.factory.product_id(MKR, USDC, USDC, true));
}

#[test]
fn initialisation_runs_once_and_the_implementation_is_locked() {
    let mut s = Setup::uninitialised();
    expect_error(
        s.factory
            .create_series(WETH, USDC, WETH, false, strike(3000), EXPIRY),
        IOptionFactory::NotInitialized {},
    );
    expect_error(
        s.factory.initialize(ADMIN, Address::ZERO, ESCROW),
        IOptionFactory::ZeroAddress {},
    );
    s.factory.initialize(ADMIN, IMPLEMENTATION, ESCROW).unwrap();
    assert_eq!(
        (
            s.factory.admin(),
            s.factory.implementation(),
            s.factory.escrow()
        ),
        (ADMIN, IMPLEMENTATION, ESCROW)
    );
    expect_error(
        s.factory.initialize(ALICE, IMPLEMENTATION, ESCROW),
        InvalidInitialization {
            current: 1,
            requested: 1,
        },
    );

    let locked = Setup::uninitialised();
    let mut implementation = OptionFactory::from(&locked.chain);
    implementation.constructor();
    expect_error(
        implementation.initialize(ALICE, IMPLEMENTATION, ESCROW),
        InvalidInitialization {
            current: u64::MAX,
            requested: 1,
        },
    );
}

#[test]
fn creation_cost_does_not_grow_with_the_registry() {
    // Storage touched by one creation: same slots count whatever the number of series.
    let mut s = Setup::new();
    let mut written = Vec::new();
    for i in 0..200u64 {
        let before = s.vm.snapshot().storage.len();
        s.create(i % 2 == 0, strike(1000 + i), EXPIRY).unwrap();
        written.push(s.vm.snapshot().storage.len() - before);
    }
    // One new slot per series (its registry entry); the length slot already exists.
    assert!(written[1..].iter().all(|&w| w == 1), "{written:?}");
    assert_eq!(s.factory.series_count(), U256::from(200));
    assert_eq!(
        s.factory.series_at(U256::from(199)).unwrap(),
        s.factory
            .get_series(WETH, USDC, WETH, false, strike(1199), EXPIRY)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn created_series_is_found_everywhere(
        is_put: bool,
        strike_units in 1u64..10_000_000_000,
        days in 1u64..3_000,
    ) {
        let mut s = Setup::new();
        let expiry = NOW - NOW % 86_400 + 28_800 + days * 86_400;
        let token = s.create(is_put, strike(strike_units), expiry).unwrap();
        let collateral = if is_put { USDC } else { WETH };
        let salt = series_salt(WETH, USDC, collateral, is_put, strike(strike_units), expiry);
        prop_assert_eq!(
            token,
            predict_clone_address(FACTORY, salt, IMPLEMENTATION, &args(is_put, strike(strike_units), expiry))
        );
        prop_assert_eq!(s.factory.get_series(WETH, USDC, collateral, is_put, strike(strike_units), expiry), token);
        prop_assert!(s.factory.is_series(token));
    }
}
