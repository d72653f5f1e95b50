//! Unit tests of `OptionToken` on a `TestVM` (through `test_host::Chain`, whose ecrecover is real).

use super::*;
use abi::option_factory::{clone_runtime_code, predict_clone_address, series_code, series_salt};
use abi::option_token::symbol_bytes;
use alloy_primitives::{address, keccak256, Address, B256, U256};
use alloy_sol_types::{eip712_domain, sol, SolError, SolEvent, SolStruct};
use k256::ecdsa::SigningKey;
use stylus_sdk::testing::TestVM;
use test_host::Chain;

const IMPLEMENTATION: Address = address!("00000000000000000000000000000000000011e1");
const FACTORY: Address = address!("000000000000000000000000000000000000fac7");
const ESCROW: Address = address!("000000000000000000000000000000000000e5c0");
const WETH: Address = address!("0000000000000000000000000000000000000eee");
const USDC: Address = address!("0000000000000000000000000000000000000dcc");
const ALICE: Address = address!("00000000000000000000000000000000000a11ce");
const BOB: Address = address!("0000000000000000000000000000000000000b0b");
/// 2026-11-27 08:00 UTC.
const EXPIRY: u64 = 1_795_766_400;
const NOW: u64 = EXPIRY - 30 * 86_400;
const CHAIN_ID: u64 = 412_346;

sol! {
    struct Permit {
        address owner;
        address spender;
        uint256 value;
        uint256 nonce;
        uint256 deadline;
    }
}

fn strike() -> U256 {
    U256::from(3000u64) * U256::from(abi::PRICE_SCALE)
}

/// The WETH/USDC 3000 call of `EXPIRY`, collateralised in WETH.
fn args() -> SeriesArgs {
    SeriesArgs {
        underlying: WETH,
        strike_asset: USDC,
        escrow: ESCROW,
        strike_price: strike(),
        expiry: EXPIRY,
        is_put: false,
        collateral_is_strike: false,
        underlying_symbol: symbol_bytes("WETH").0,
        strike_symbol: symbol_bytes("USDC").0,
    }
}

fn clone_address_of(series: &SeriesArgs) -> Address {
    predict_clone_address(
        FACTORY,
        series_salt(
            series.underlying,
            series.strike_asset,
            series.collateral(),
            series.is_put,
            series.strike_price,
            series.expiry,
        ),
        IMPLEMENTATION,
        series,
    )
}

fn clone_address() -> Address {
    clone_address_of(&args())
}

/// The clone of `IMPLEMENTATION` with `series` that `FACTORY` deploys.
fn clone_of(series: &SeriesArgs) -> (TestVM, OptionToken) {
    let vm = TestVM::new();
    vm.set_chain_id(CHAIN_ID);
    vm.set_block_timestamp(NOW);
    let address = clone_address_of(series);
    vm.set_contract_address(address);
    vm.set_code(address, series_code(IMPLEMENTATION, series).to_vec());
    vm.set_sender(ALICE);
    let token = OptionToken::from(&Chain::with_vm(vm.clone()));
    (vm, token)
}

/// A fresh clone of the WETH/USDC 3000 call: no holders yet.
fn blank_clone() -> (TestVM, OptionToken) {
    clone_of(&args())
}

/// A clone in which the escrow minted 100 options to Alice.
fn funded_clone() -> (TestVM, OptionToken) {
    let (vm, mut token) = blank_clone();
    vm.set_sender(ESCROW);
    token.mint_options(ALICE, U256::from(100)).unwrap();
    vm.set_sender(ALICE);
    (vm, token)
}

fn err_data(result: TokenResult<impl core::fmt::Debug>) -> Vec<u8> {
    Vec::<u8>::from(result.expect_err("must fail"))
}

fn expect_error<E: alloy_sol_types::SolError>(
    result: TokenResult<impl core::fmt::Debug>,
    expected: E,
) {
    assert_eq!(err_data(result), expected.abi_encode());
}

#[test]
fn clone_reads_its_series_from_its_code() {
    let (vm, token) = blank_clone();
    assert_eq!(
        token.series_info(),
        (WETH, USDC, WETH, false, strike(), EXPIRY, ESCROW)
    );
    assert_eq!(token.underlying(), WETH);
    assert_eq!(token.strike_asset(), USDC);
    assert_eq!(token.collateral(), WETH);
    assert!(!token.is_put());
    assert_eq!(token.strike_price(), strike());
    assert_eq!(token.expiry(), EXPIRY);
    assert_eq!(token.escrow(), ESCROW);
    assert_eq!(token.symbol(), "WETH-USDC 27NOV26 3000 C");
    assert_eq!(token.name(), "WETH-USDC 27NOV26 3000 Call");
    assert_eq!(token.decimals(), 18);
    assert_eq!(token.total_supply(), U256::ZERO);
    // No series storage: the ERC-20 state is all there is.
    for slot in 0..8u64 {
        assert_eq!(vm.get_storage(U256::from(slot)), B256::ZERO);
    }
}

#[test]
fn collateral_is_the_underlying_or_the_strike_asset() {
    let put = SeriesArgs {
        is_put: true,
        collateral_is_strike: true,
        ..args()
    };
    let (_vm, token) = clone_of(&put);
    assert_eq!(token.collateral(), USDC);
    assert!(token.is_put());
    assert_eq!(token.symbol(), "WETH-USDC 27NOV26 3000 P");
    assert_eq!(token.name(), "WETH-USDC 27NOV26 3000 Put");
    let covered = SeriesArgs {
        is_put: true,
        ..args()
    };
    let (_vm, token) = clone_of(&covered);
    assert_eq!(token.collateral(), WETH);
    assert_ne!(clone_address_of(&put), clone_address_of(&covered));
}

#[test]
fn the_address_commits_to_every_argument() {
    let base = clone_address();
    let variants = [
        SeriesArgs {
            escrow: ALICE,
            ..args()
        },
        SeriesArgs {
            underlying_symbol: symbol_bytes("WBTC").0,
            ..args()
        },
        SeriesArgs {
            strike_symbol: symbol_bytes("USDT").0,
            ..args()
        },
        SeriesArgs {
            collateral_is_strike: true,
            ..args()
        },
        SeriesArgs {
            expiry: EXPIRY + 86_400,
            ..args()
        },
    ];
    for variant in variants {
        assert_ne!(clone_address_of(&variant), base, "{variant:?}");
    }
}

#[test]
fn a_bare_eip1167_clone_is_locked() {
    // The 45-byte runtime without series arguments is not a series token.
    let vm = TestVM::new();
    vm.set_contract_address(clone_address());
    vm.set_code(clone_address(), clone_runtime_code(IMPLEMENTATION).to_vec());
    vm.set_sender(ESCROW);
    let mut token = OptionToken::from(&Chain::with_vm(vm.clone()));
    let locked = IOptionToken::ImplementationLocked {};
    expect_error(token.mint_options(ALICE, U256::from(1)), locked.clone());
    expect_error(token.transfer(BOB, U256::ZERO), locked);
    assert_eq!(token.escrow(), Address::ZERO);
}

#[test]
fn implementation_is_locked() {
    let vm = TestVM::new();
    vm.set_contract_address(IMPLEMENTATION);
    // A Stylus program's code (prefix EF F0 00 00), not the EIP-1167 runtime.
    vm.set_code(IMPLEMENTATION, vec![0xef, 0xf0, 0x00, 0x00, 0x1b, 0x2a]);
    vm.set_sender(FACTORY);
    vm.set_block_timestamp(NOW);
    let mut token = OptionToken::from(&Chain::with_vm(vm.clone()));
    let locked = IOptionToken::ImplementationLocked {};
    vm.set_sender(ESCROW);
    expect_error(token.mint_options(ALICE, U256::from(1)), locked.clone());
    expect_error(token.burn_options(ALICE, U256::ZERO), locked.clone());
    vm.set_sender(ALICE);
    expect_error(token.transfer(BOB, U256::ZERO), locked.clone());
    expect_error(token.approve(BOB, U256::from(1)), locked.clone());
    expect_error(token.transfer_from(ALICE, BOB, U256::ZERO), locked.clone());
    let permit = token.permit(
        ALICE,
        BOB,
        U256::from(1),
        U256::MAX,
        27,
        B256::ZERO,
        B256::ZERO,
    );
    expect_error(permit, locked);
    assert!(vm.get_emitted_logs().is_empty());
    assert_eq!(token.series_info(), Default::default());
}

#[test]
fn escrow_mints_and_burns() {
    let (vm, mut token) = funded_clone();
    assert_eq!(token.balance_of(ALICE), U256::from(100));
    assert_eq!(token.total_supply(), U256::from(100));
    vm.set_sender(ESCROW);
    token.burn_options(ALICE, U256::from(40)).unwrap();
    assert_eq!(token.balance_of(ALICE), U256::from(60));
    assert_eq!(token.total_supply(), U256::from(60));
    let logs = vm.get_emitted_logs();
    let mint =
        IOptionToken::Transfer::decode_raw_log(logs[0].0.iter().copied(), &logs[0].1).unwrap();
    assert_eq!(
        (mint.from, mint.to, mint.value),
        (Address::ZERO, ALICE, U256::from(100))
    );
    let burn =
        IOptionToken::Transfer::decode_raw_log(logs[1].0.iter().copied(), &logs[1].1).unwrap();
    assert_eq!(
        (burn.from, burn.to, burn.value),
        (ALICE, Address::ZERO, U256::from(40))
    );
}

#[test]
fn only_the_escrow_mints_and_burns() {
    let (vm, mut token) = funded_clone();
    for caller in [ALICE, FACTORY, IMPLEMENTATION] {
        vm.set_sender(caller);
        expect_error(
            token.mint_options(caller, U256::from(1)),
            IOptionToken::NotEscrow {
                caller,
                escrow: ESCROW,
            },
        );
        expect_error(
            token.burn_options(ALICE, U256::from(1)),
            IOptionToken::NotEscrow {
                caller,
                escrow: ESCROW,
            },
        );
    }
    assert_eq!(token.total_supply(), U256::from(100));
}

#[test]
fn mint_and_burn_bounds() {
    let (vm, mut token) = funded_clone();
    vm.set_sender(ESCROW);
    expect_error(
        token.mint_options(Address::ZERO, U256::from(1)),
        IOptionToken::ERC20InvalidReceiver {
            receiver: Address::ZERO,
        },
    );
    expect_error(
        token.mint_options(BOB, U256::MAX),
        IOptionToken::SupplyOverflow {
            totalSupply: U256::from(100),
            amount: U256::MAX,
        },
    );
    expect_error(
        token.burn_options(ALICE, U256::from(101)),
        IOptionToken::ERC20InsufficientBalance {
            sender: ALICE,
            balance: U256::from(100),
            needed: U256::from(101),
        },
    );
    assert_eq!(token.balance_of(BOB), U256::ZERO);
    assert_eq!(token.total_supply(), U256::from(100));
}

#[test]
fn transfers_move_balances() {
    let (vm, mut token) = funded_clone();
    assert!(token.transfer(BOB, U256::from(30)).unwrap());
    assert_eq!(token.balance_of(ALICE), U256::from(70));
    assert_eq!(token.balance_of(BOB), U256::from(30));
    expect_error(
        token.transfer(BOB, U256::from(71)),
        IOptionToken::ERC20InsufficientBalance {
            sender: ALICE,
            balance: U256::from(70),
            needed: U256::from(71),
        },
    );
    expect_error(
        token.transfer(Address::ZERO, U256::from(1)),
        IOptionToken::ERC20InvalidReceiver {
            receiver: Address::ZERO,
        },
    );
    // Self-transfer keeps the balance.
    token.transfer(ALICE, U256::from(70)).unwrap();
    assert_eq!(token.balance_of(ALICE), U256::from(70));
    let last = vm.get_emitted_logs().pop().unwrap();
    let event = IOptionToken::Transfer::decode_raw_log(last.0.iter().copied(), &last.1).unwrap();
    assert_eq!(
        (event.from, event.to, event.value),
        (ALICE, ALICE, U256::from(70))
    );
}

#[test]
fn allowances_are_spent_by_transfer_from() {
    let (vm, mut token) = funded_clone();
    token.approve(BOB, U256::from(50)).unwrap();
    assert_eq!(token.allowance(ALICE, BOB), U256::from(50));
    vm.set_sender(BOB);
    token.transfer_from(ALICE, BOB, U256::from(20)).unwrap();
    assert_eq!(token.allowance(ALICE, BOB), U256::from(30));
    assert_eq!(token.balance_of(BOB), U256::from(20));
    expect_error(
        token.transfer_from(ALICE, BOB, U256::from(31)),
        IOptionToken::ERC20InsufficientAllowance {
            spender: BOB,
            allowance: U256::from(30),
            needed: U256::from(31),
        },
    );
    vm.set_sender(ALICE);
    token.approve(BOB, U256::MAX).unwrap();
    vm.set_sender(BOB);
    token.transfer_from(ALICE, BOB, U256::from(80)).unwrap();
    assert_eq!(token.allowance(ALICE, BOB), U256::MAX);
    expect_error(
        token.approve(Address::ZERO, U256::from(1)),
        IOptionToken::ERC20InvalidSpender {
            spender: Address::ZERO,
        },
    );
}

// --- permit ---

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn address_of(key: &SigningKey) -> Address {
    let point = key.verifying_key().to_encoded_point(false);
    Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..])
}

/// The EIP-712 digest as alloy computes it, independently of the contract.
fn expected_digest(
    owner: Address,
    spender: Address,
    value: U256,
    nonce: U256,
    deadline: U256,
) -> B256 {
    let domain = eip712_domain! {
        name: "WETH-USDC 27NOV26 3000 Call",
        version: "1",
        chain_id: CHAIN_ID,
        verifying_contract: clone_address(),
    };
    Permit {
        owner,
        spender,
        value,
        nonce,
        deadline,
    }
    .eip712_signing_hash(&domain)
}

fn sign(key: &SigningKey, digest: B256) -> (u8, B256, B256) {
    let (signature, recovery) = key.sign_prehash_recoverable(digest.as_slice()).unwrap();
    let bytes = signature.to_bytes();
    (
        27 + recovery.to_byte(),
        B256::from_slice(&bytes[..32]),
        B256::from_slice(&bytes[32..]),
    )
}

/// A clone holding Alice's 100 options, and Alice's key (Alice = the key's address here).
fn permit_clone() -> (TestVM, OptionToken, SigningKey, Address) {
    let signer = key(7);
    let owner = address_of(&signer);
    let (vm, mut token) = blank_clone();
    vm.set_sender(ESCROW);
    token.mint_options(owner, U256::from(100)).unwrap();
    vm.set_sender(BOB);
    (vm, token, signer, owner)
}

#[test]
fn domain_separator_is_the_clones_own() {
    let (vm, token, _, _) = permit_clone();
    let domain = eip712_domain! {
        name: "WETH-USDC 27NOV26 3000 Call",
        version: "1",
        chain_id: CHAIN_ID,
        verifying_contract: clone_address(),
    };
    assert_eq!(token.domain_separator(), domain.separator());
    let (fields, name, version, chain, verifying, salt, extensions) = token.eip712_domain();
    assert_eq!(fields.0, [0x0f]);
    assert_eq!(
        (name.as_str(), version.as_str()),
        ("WETH-USDC 27NOV26 3000 Call", "1")
    );
    assert_eq!(
        (chain, verifying, salt),
        (U256::from(CHAIN_ID), clone_address(), B256::ZERO)
    );
    assert!(extensions.is_empty());
    // After a chain split the separator follows the new chain id.
    vm.set_chain_id(1);
    let forked = eip712_domain! {
        name: "WETH-USDC 27NOV26 3000 Call",
        version: "1",
        chain_id: 1,
        verifying_contract: clone_address(),
    };
    assert_eq!(token.domain_separator(), forked.separator());
}

#[test]
fn typehashes_are_the_eip712_ones() {
    assert_eq!(
        B256::from(PERMIT_TYPEHASH),
        Permit {
            owner: ALICE,
            spender: BOB,
            value: U256::ZERO,
            nonce: U256::ZERO,
            deadline: U256::ZERO
        }
        .eip712_type_hash()
    );
    assert_eq!(
        B256::from(DOMAIN_TYPEHASH),
        keccak256(
            "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
        )
    );
    assert_eq!(B256::from(VERSION_HASH), keccak256("1"));
}

#[test]
fn permit_signed_by_the_owner_sets_the_allowance() {
    let (vm, mut token, signer, owner) = permit_clone();
    let deadline = U256::from(NOW + 3_600);
    let (v, r, s) = sign(
        &signer,
        expected_digest(owner, BOB, U256::from(60), U256::ZERO, deadline),
    );
    token
        .permit(owner, BOB, U256::from(60), deadline, v, r, s)
        .unwrap();
    assert_eq!(token.allowance(owner, BOB), U256::from(60));
    assert_eq!(token.nonces(owner), U256::from(1));
    let last = vm.get_emitted_logs().pop().unwrap();
    let approval = IOptionToken::Approval::decode_raw_log(last.0.iter().copied(), &last.1).unwrap();
    assert_eq!(
        (approval.owner, approval.spender, approval.value),
        (owner, BOB, U256::from(60))
    );
    // Bob spends it.
    token.transfer_from(owner, BOB, U256::from(60)).unwrap();
    assert_eq!(token.balance_of(BOB), U256::from(60));
}

#[test]
fn permit_replay_fails() {
    let (_vm, mut token, signer, owner) = permit_clone();
    let deadline = U256::from(NOW + 3_600);
    let (v, r, s) = sign(
        &signer,
        expected_digest(owner, BOB, U256::from(60), U256::ZERO, deadline),
    );
    token
        .permit(owner, BOB, U256::from(60), deadline, v, r, s)
        .unwrap();
    let replay = token.permit(owner, BOB, U256::from(60), deadline, v, r, s);
    // The nonce moved on, so the same signature recovers some unrelated address.
    let data = err_data(replay);
    let error = IOptionToken::ERC2612InvalidSigner::abi_decode(&data).unwrap();
    assert_eq!(error.owner, owner);
    assert_ne!(error.signer, owner);
    assert_eq!(token.nonces(owner), U256::from(1));
}

#[test]
fn expired_permit_fails() {
    let (_vm, mut token, signer, owner) = permit_clone();
    let deadline = U256::from(NOW - 1);
    let (v, r, s) = sign(
        &signer,
        expected_digest(owner, BOB, U256::from(60), U256::ZERO, deadline),
    );
    expect_error(
        token.permit(owner, BOB, U256::from(60), deadline, v, r, s),
        IOptionToken::ERC2612ExpiredSignature { deadline },
    );
    // The deadline itself is still valid.
    let deadline = U256::from(NOW);
    let (v, r, s) = sign(
        &signer,
        expected_digest(owner, BOB, U256::from(60), U256::ZERO, deadline),
    );
    token
        .permit(owner, BOB, U256::from(60), deadline, v, r, s)
        .unwrap();
}

#[test]
fn permit_from_the_wrong_signer_fails() {
    let (_vm, mut token, _signer, owner) = permit_clone();
    let mallory = key(9);
    let deadline = U256::from(NOW + 3_600);
    let (v, r, s) = sign(
        &mallory,
        expected_digest(owner, BOB, U256::from(60), U256::ZERO, deadline),
    );
    expect_error(
        token.permit(owner, BOB, U256::from(60), deadline, v, r, s),
        IOptionToken::ERC2612InvalidSigner {
            signer: address_of(&mallory),
            owner,
        },
    );
    assert_eq!(token.allowance(owner, BOB), U256::ZERO);
    assert_eq!(token.nonces(owner), U256::ZERO);
}

#[test]
fn permit_for_another_clone_or_value_fails() {
    let (_vm, mut token, signer, owner) = permit_clone();
    let deadline = U256::from(NOW + 3_600);
    // Signed for 60, submitted for 61.
    let (v, r, s) = sign(
        &signer,
        expected_digest(owner, BOB, U256::from(60), U256::ZERO, deadline),
    );
    let data = err_data(token.permit(owner, BOB, U256::from(61), deadline, v, r, s));
    assert_ne!(
        IOptionToken::ERC2612InvalidSigner::abi_decode(&data)
            .unwrap()
            .signer,
        owner
    );
    // Signed for another series' token.
    let other = Permit {
        owner,
        spender: BOB,
        value: U256::from(60),
        nonce: U256::ZERO,
        deadline,
    };
    let domain = eip712_domain! {
        name: "WETH-USDC 27NOV26 3000 Call",
        version: "1",
        chain_id: CHAIN_ID,
        verifying_contract: IMPLEMENTATION,
    };
    let (v, r, s) = sign(&signer, other.eip712_signing_hash(&domain));
    let data = err_data(token.permit(owner, BOB, U256::from(60), deadline, v, r, s));
    assert_ne!(
        IOptionToken::ERC2612InvalidSigner::abi_decode(&data)
            .unwrap()
            .signer,
        owner
    );
}

#[test]
fn malformed_and_malleable_signatures_fail() {
    let (_vm, mut token, signer, owner) = permit_clone();
    let deadline = U256::from(NOW + 3_600);
    let (v, r, s) = sign(
        &signer,
        expected_digest(owner, BOB, U256::from(60), U256::ZERO, deadline),
    );
    let invalid = IOptionToken::ERC2612InvalidSigner {
        signer: Address::ZERO,
        owner,
    };
    expect_error(
        token.permit(owner, BOB, U256::from(60), deadline, v - 27, r, s),
        invalid.clone(),
    );
    // (r, n - s, v ^ 1) is the same signature's twin: ecrecover accepts it, EIP-2 forbids it.
    let order = U256::from_be_slice(&hex_literal_order());
    let twin_s = B256::from(order - U256::from_be_bytes(s.0));
    let twin_v = if v == 27 { 28 } else { 27 };
    expect_error(
        token.permit(owner, BOB, U256::from(60), deadline, twin_v, r, twin_s),
        invalid.clone(),
    );
    // A permit by nobody (zero owner, garbage signature) never passes.
    let zero = IOptionToken::ERC2612InvalidSigner {
        signer: Address::ZERO,
        owner: Address::ZERO,
    };
    expect_error(
        token.permit(
            Address::ZERO,
            BOB,
            U256::from(1),
            deadline,
            27,
            B256::ZERO,
            B256::ZERO,
        ),
        zero,
    );
    token
        .permit(owner, BOB, U256::from(60), deadline, v, r, s)
        .unwrap();
}

fn hex_literal_order() -> [u8; 32] {
    alloy_primitives::hex!("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
}
