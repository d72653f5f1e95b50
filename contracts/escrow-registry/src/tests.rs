use super::*;
use abi::proxy::IInitializable::InvalidInitialization;
use alloy_primitives::address;
use alloy_sol_types::SolEvent;
use stylus_sdk::testing::*;

const WAD: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);
const ADMIN: Address = address!("00000000000000000000000000000000000000a1");
const GUARDIAN: Address = address!("00000000000000000000000000000000000000a2");
const STRANGER: Address = address!("00000000000000000000000000000000000000a3");
const USDC: Address = address!("00000000000000000000000000000000000000c6");
const WETH: Address = address!("00000000000000000000000000000000000000e1");

fn setup() -> (TestVM, EscrowRegistry) {
    let vm = TestVM::default();
    let mut r = EscrowRegistry::from(&vm);
    vm.set_sender(ADMIN);
    r.initialize(ADMIN, GUARDIAN).unwrap();
    (vm, r)
}

fn oob(value: u128, min: u128, max: U256) -> RegistryError {
    RegistryError::ParameterOutOfBounds(R::ParameterOutOfBounds {
        value: U256::from(value),
        min: U256::from(min),
        max,
    })
}

fn unauthorized(caller: Address) -> RegistryError {
    RegistryError::Unauthorized(R::Unauthorized { caller })
}

fn mock_decimals(vm: &TestVM, token: Address, decimals: u8) {
    vm.mock_static_call(
        token,
        IERC20::decimalsCall {}.abi_encode(),
        Ok(IERC20::decimalsCall::abi_encode_returns(&decimals)),
    );
}

#[test]
fn implementation_locks_itself() {
    let vm = TestVM::default();
    let mut r = EscrowRegistry::from(&vm);
    r.constructor();
    assert_eq!(
        r.initialize(ADMIN, GUARDIAN),
        Err(RegistryError::InvalidInitialization(
            InvalidInitialization {
                current: u64::MAX,
                requested: 1
            }
        ))
    );
}

#[test]
fn initialize_runs_once_with_defaults() {
    let vm = TestVM::default();
    let mut r = EscrowRegistry::from(&vm);
    assert_eq!(r.initialize(Address::ZERO, GUARDIAN), Err(zero_address()));
    r.initialize(ADMIN, GUARDIAN).unwrap();
    assert_eq!(
        r.initialize(ADMIN, GUARDIAN),
        Err(RegistryError::InvalidInitialization(
            InvalidInitialization {
                current: 1,
                requested: 1
            }
        ))
    );
    assert_eq!((r.admin(), r.guardian()), (ADMIN, GUARDIAN));
    assert_eq!(
        r.get_auction_parameters(),
        (
            DEFAULT_AUCTION_DURATION,
            U256::from(DEFAULT_AUCTION_DISCOUNT)
        )
    );
    let logs = vm.get_emitted_logs();
    assert_eq!(logs[1].0[0], R::RegistryInitialized::SIGNATURE_HASH);
}

#[test]
fn roles_are_admin_only() {
    let (vm, mut r) = setup();
    vm.set_sender(STRANGER);
    assert_eq!(r.set_admin(STRANGER), Err(unauthorized(STRANGER)));
    assert_eq!(r.set_guardian(STRANGER), Err(unauthorized(STRANGER)));
    assert_eq!(
        r.configure_collateral(USDC, U256::ZERO, U256::ZERO),
        Err(unauthorized(STRANGER))
    );
    assert_eq!(
        r.set_risk_parameters(WETH, WAD, vec![1], vec![WAD]),
        Err(unauthorized(STRANGER))
    );
    assert_eq!(
        r.set_auction_parameters(3600, U256::ZERO),
        Err(unauthorized(STRANGER))
    );
    vm.set_sender(ADMIN);
    assert_eq!(r.set_admin(Address::ZERO), Err(zero_address()));
    r.set_guardian(STRANGER).unwrap();
    assert_eq!(r.guardian(), STRANGER);
    r.set_admin(STRANGER).unwrap();
    assert_eq!(r.admin(), STRANGER);
    assert_eq!(r.set_guardian(ADMIN), Err(unauthorized(ADMIN)));
}

#[test]
fn guardian_only_raises_pause_flags() {
    let (vm, mut r) = setup();
    vm.set_sender(STRANGER);
    assert_eq!(r.set_pause(true, false), Err(unauthorized(STRANGER)));
    vm.set_sender(GUARDIAN);
    r.set_pause(true, false).unwrap();
    r.set_pause(true, true).unwrap();
    assert_eq!(r.paused(), (true, true));
    assert_eq!(r.set_pause(true, false), Err(unauthorized(GUARDIAN)));
    assert!(r.collateral_parameters(USDC).0);
    assert_eq!(r.collateral_parameters(USDC).5, 0);
    vm.set_sender(ADMIN);
    vm.set_block_timestamp(1_800_000_000);
    r.set_pause(false, false).unwrap();
    assert_eq!(r.paused(), (false, false));
    // Lifting the full pause is recorded: auctions restart from it.
    assert_eq!(r.collateral_parameters(USDC).5, 1_800_000_000);
    vm.set_block_timestamp(1_800_000_100);
    r.set_pause(true, false).unwrap();
    r.set_pause(false, false).unwrap();
    assert_eq!(r.collateral_parameters(USDC).5, 1_800_000_000);
    let last = vm.get_emitted_logs().pop().unwrap();
    assert!(
        !R::PauseChanged::decode_raw_log(last.0, &last.1)
            .unwrap()
            .fullyPaused
    );
}

#[test]
fn collateral_decimals_are_read_once_and_dust_is_bounded() {
    let (vm, mut r) = setup();
    assert_eq!(
        r.configure_collateral(Address::ZERO, U256::ZERO, U256::ZERO),
        Err(zero_address())
    );
    mock_decimals(&vm, USDC, 6);
    let max_dust = U256::from(MAX_DUST_TOKENS) * U256::from(1_000_000u64);
    assert_eq!(
        r.configure_collateral(USDC, U256::from(7), max_dust + U256::from(1)),
        Err(RegistryError::ParameterOutOfBounds(
            R::ParameterOutOfBounds {
                value: max_dust + U256::from(1),
                min: U256::ZERO,
                max: max_dust
            }
        ))
    );
    r.configure_collateral(USDC, U256::from(7), U256::from(100))
        .unwrap();
    assert_eq!(
        r.get_collateral_config(USDC),
        (6, U256::from(7), U256::from(100))
    );
    assert_eq!(
        r.collateral_parameters(USDC),
        (
            false,
            false,
            U256::from(1_000_000_000_000u64),
            U256::from(7),
            U256::from(100),
            0
        )
    );
    // A token answering other decimals later does not re-scale.
    mock_decimals(&vm, USDC, 18);
    r.configure_collateral(USDC, U256::from(8), U256::ZERO)
        .unwrap();
    assert_eq!(r.get_collateral_config(USDC).0, 6);
    mock_decimals(&vm, WETH, 19);
    assert_eq!(
        r.configure_collateral(WETH, U256::ZERO, U256::ZERO),
        Err(oob(19, 0, U256::from(18)))
    );
    let bad = address!("00000000000000000000000000000000000000bd");
    vm.mock_static_call(bad, IERC20::decimalsCall {}.abi_encode(), Err(vec![1, 2]));
    assert_eq!(
        r.configure_collateral(bad, U256::ZERO, U256::ZERO),
        Err(RegistryError::ExternalCallReverted(
            R::ExternalCallReverted {
                target: bad,
                reason: vec![1, 2].into()
            }
        ))
    );
    let logs = vm.get_emitted_logs();
    let (topics, data) = logs.last().unwrap().clone();
    let ev = R::CollateralConfigured::decode_raw_log(topics, &data).unwrap();
    assert_eq!(
        (ev.asset, ev.decimals, ev.nakedCap),
        (USDC, 6, U256::from(8))
    );
}

#[test]
fn risk_parameters_are_bounded_and_packed() {
    let (_vm, mut r) = setup();
    let day = 86_400u64;
    let ub = |p: u64| U256::from(p) * WAD / U256::from(100u64);
    let max_shock = U256::from(MAX_SHOCK);
    assert_eq!(
        r.set_risk_parameters(WETH, ub(40), vec![day], vec![ub(10)]),
        Err(oob(ub(40).to(), MIN_SHOCK, max_shock))
    );
    assert_eq!(
        r.set_risk_parameters(WETH, WAD + U256::from(1), vec![day], vec![ub(10)]),
        Err(RegistryError::ParameterOutOfBounds(
            R::ParameterOutOfBounds {
                value: WAD + U256::from(1),
                min: U256::from(MIN_SHOCK),
                max: max_shock
            }
        ))
    );
    let shock = ub(75);
    let n = MAX_TIME_BUCKETS as u128;
    assert_eq!(
        r.set_risk_parameters(WETH, shock, vec![], vec![]),
        Err(oob(0, 1, U256::from(n)))
    );
    assert_eq!(
        r.set_risk_parameters(WETH, shock, vec![day; 17], vec![ub(10); 17]),
        Err(oob(17, 1, U256::from(n)))
    );
    assert_eq!(
        r.set_risk_parameters(WETH, shock, vec![day], vec![]),
        Err(oob(0, 1, U256::from(1)))
    );
    assert_eq!(
        r.set_risk_parameters(WETH, shock, vec![day, day], vec![ub(10), ub(20)]),
        Err(oob(
            day.into(),
            (day + 1).into(),
            U256::from(MAX_BUCKET_TIME)
        ))
    );
    assert_eq!(
        r.set_risk_parameters(WETH, shock, vec![day, 2 * day], vec![ub(20), ub(10)]),
        Err(RegistryError::ParameterOutOfBounds(
            R::ParameterOutOfBounds {
                value: ub(10),
                min: ub(20),
                max: U256::from(MAX_UPPER_BOUND)
            }
        ))
    );
    assert_eq!(
        r.set_risk_parameters(WETH, shock, vec![day], vec![U256::ZERO]),
        Err(oob(0, 1, U256::from(MAX_UPPER_BOUND)))
    );
    assert_eq!(
        r.set_risk_parameters(WETH, shock, vec![MAX_BUCKET_TIME + 1], vec![ub(10)]),
        Err(oob(
            (MAX_BUCKET_TIME + 1).into(),
            0,
            U256::from(MAX_BUCKET_TIME)
        ))
    );
    r.set_risk_parameters(WETH, shock, vec![7 * day, 90 * day], vec![ub(10), ub(20)])
        .unwrap();
    // A shorter table replaces a longer one entirely.
    r.set_risk_parameters(
        WETH,
        shock,
        vec![7 * day, 30 * day, 90 * day],
        vec![ub(10), ub(15), ub(20)],
    )
    .unwrap();
    r.set_risk_parameters(WETH, shock, vec![7 * day, 90 * day], vec![ub(10), ub(20)])
        .unwrap();
    assert_eq!(
        r.get_risk_parameters(WETH),
        (shock, vec![7 * day, 90 * day], vec![ub(10), ub(20)])
    );
    let (s, buckets, duration, discount) = r.risk_parameters(WETH);
    assert_eq!(
        (s, duration, discount),
        (
            shock,
            DEFAULT_AUCTION_DURATION,
            U256::from(DEFAULT_AUCTION_DISCOUNT)
        )
    );
    assert_eq!(
        abi::escrow::unpack_bucket(buckets[0]),
        Some((7 * day, ub(10)))
    );
    assert_eq!(
        abi::escrow::unpack_bucket(buckets[1]),
        Some((90 * day, ub(20)))
    );
    assert!(buckets[2..].iter().all(|b| b.is_zero()));
}

#[test]
fn auction_parameters_are_bounded() {
    let (_vm, mut r) = setup();
    assert_eq!(
        r.set_auction_parameters(MIN_AUCTION_DURATION - 1, U256::ZERO),
        Err(oob(
            (MIN_AUCTION_DURATION - 1).into(),
            MIN_AUCTION_DURATION.into(),
            U256::from(MAX_AUCTION_DURATION)
        ))
    );
    assert_eq!(
        r.set_auction_parameters(MAX_AUCTION_DURATION + 1, U256::ZERO),
        Err(oob(
            (MAX_AUCTION_DURATION + 1).into(),
            MIN_AUCTION_DURATION.into(),
            U256::from(MAX_AUCTION_DURATION)
        ))
    );
    let too_much = U256::from(MAX_AUCTION_DISCOUNT + 1);
    assert_eq!(
        r.set_auction_parameters(1800, too_much),
        Err(RegistryError::ParameterOutOfBounds(
            R::ParameterOutOfBounds {
                value: too_much,
                min: U256::ZERO,
                max: U256::from(MAX_AUCTION_DISCOUNT)
            }
        ))
    );
    r.set_auction_parameters(1800, U256::from(MAX_AUCTION_DISCOUNT))
        .unwrap();
    assert_eq!(
        r.get_auction_parameters(),
        (1800, U256::from(MAX_AUCTION_DISCOUNT))
    );
}

#[test]
fn hand_encoded_errors_and_events_match_the_abi() {
    use alloy_sol_types::SolError;
    let (a, x) = (STRANGER, U256::from(7));
    let cases: Vec<(RegistryError, Vec<u8>)> = vec![
        (
            RegistryError::InvalidInitialization(InvalidInitialization {
                current: 1,
                requested: 2,
            }),
            InvalidInitialization {
                current: 1,
                requested: 2,
            }
            .abi_encode(),
        ),
        (unauthorized(a), R::Unauthorized { caller: a }.abi_encode()),
        (zero_address(), R::ZeroAddress {}.abi_encode()),
        (
            oob(3, 1, x),
            R::ParameterOutOfBounds {
                value: U256::from(3),
                min: U256::from(1),
                max: x,
            }
            .abi_encode(),
        ),
        (
            reverted(a, vec![9; 33]),
            R::ExternalCallReverted {
                target: a,
                reason: vec![9; 33].into(),
            }
            .abi_encode(),
        ),
    ];
    for (mine, theirs) in cases {
        assert_eq!(Vec::<u8>::from(mine), theirs);
    }
    let (vm, mut r) = setup();
    let (shock, day) = (U256::from(MIN_SHOCK), 86_400u64);
    let bounds = vec![U256::from(10u64), U256::from(20u64), U256::from(30u64)];
    r.set_risk_parameters(WETH, shock, vec![day, 7 * day, 90 * day], bounds.clone())
        .unwrap();
    r.set_auction_parameters(1800, x).unwrap();
    r.set_guardian(a).unwrap();
    r.set_admin(a).unwrap();
    let logs = vm.get_emitted_logs();
    let n = logs.len();
    let risk = R::RiskParametersSet::decode_raw_log(logs[n - 4].0.clone(), &logs[n - 4].1).unwrap();
    assert_eq!(
        (risk.underlying, risk.shock, risk.maxTimes, risk.upperBounds),
        (WETH, shock, vec![day, 7 * day, 90 * day], bounds)
    );
    let auction =
        R::AuctionParametersSet::decode_raw_log(logs[n - 3].0.clone(), &logs[n - 3].1).unwrap();
    assert_eq!((auction.duration, auction.discount), (1800, x));
    let guardian =
        R::GuardianChanged::decode_raw_log(logs[n - 2].0.clone(), &logs[n - 2].1).unwrap();
    assert_eq!(
        (guardian.previousGuardian, guardian.newGuardian),
        (GUARDIAN, a)
    );
    let admin = R::AdminChanged::decode_raw_log(logs[n - 1].0.clone(), &logs[n - 1].1).unwrap();
    assert_eq!((admin.previousAdmin, admin.newAdmin), (ADMIN, a));
}
