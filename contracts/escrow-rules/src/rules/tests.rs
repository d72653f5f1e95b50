//! The rules against a model world: every action, every rejection, and a stateful property test
//! over random users, actions, prices and times.

use super::*;
use abi::escrow::ICollateralEscrow as I;
use alloy_primitives::address;
use alloy_sol_types::SolError;
use margin::WAD;
use proptest::prelude::*;
use std::collections::HashMap;

const WETH: Address = address!("00000000000000000000000000000000000000e1");
const USDC: Address = address!("00000000000000000000000000000000000000c6");
const PUT: Address = address!("0000000000000000000000000000000000000a01");
const PUT_LOW: Address = address!("0000000000000000000000000000000000000a02");
const CALL: Address = address!("0000000000000000000000000000000000000a03");
const CALL_HIGH: Address = address!("0000000000000000000000000000000000000a04");
const ALICE: Address = address!("0000000000000000000000000000000000000001");
const BOB: Address = address!("0000000000000000000000000000000000000002");

const EXPIRY: u64 = 1_800_000_000 - 1_800_000_000 % 86_400 + 28_800;
const T0: u64 = EXPIRY - 30 * 86_400;

fn wad(x: u64) -> U256 {
    U256::from(x) * WAD
}

fn usdc(x: u64) -> U256 {
    U256::from(x) * U256::from(1_000_000u64)
}

/// The outside world of the rules: series, oracle, governed parameters.
#[derive(Clone)]
struct World {
    now: u64,
    series: HashMap<Address, Series>,
    spot: (U256, u64),
    expiry_price: Option<(U256, bool)>,
    collaterals: HashMap<Address, CollateralConfig>,
    auction: AuctionParams,
}

impl World {
    fn new() -> Self {
        let put = |strike| Series {
            underlying: WETH,
            strike_asset: USDC,
            collateral: USDC,
            is_put: true,
            strike: wad(strike),
            expiry: EXPIRY,
        };
        let call = |strike| Series {
            underlying: WETH,
            strike_asset: USDC,
            collateral: WETH,
            is_put: false,
            strike: wad(strike),
            expiry: EXPIRY,
        };
        let mut collaterals = HashMap::new();
        collaterals.insert(
            USDC,
            CollateralConfig {
                scale: U256::from(1_000_000_000_000u64),
                naked_cap: usdc(1_000_000),
                naked_exposure: U256::ZERO,
                dust: usdc(100),
                resumed_at: 0,
            },
        );
        collaterals.insert(
            WETH,
            CollateralConfig {
                scale: U256::ONE,
                naked_cap: wad(1_000),
                naked_exposure: U256::ZERO,
                dust: wad(1) / U256::from(10u64),
                resumed_at: 0,
            },
        );
        World {
            now: T0,
            series: HashMap::from([
                (PUT, put(1800)),
                (PUT_LOW, put(1700)),
                (CALL, call(2000)),
                (CALL_HIGH, call(2500)),
            ]),
            spot: (wad(2000), T0),
            expiry_price: None,
            collaterals,
            auction: AuctionParams {
                duration: 3600,
                discount: WAD / U256::from(20u64),
            },
        }
    }
}

impl Env for World {
    fn now(&self) -> u64 {
        self.now
    }
    fn series(&mut self, option: Address) -> Result<Series> {
        self.series
            .get(&option)
            .copied()
            .ok_or(EscrowError::from(I::UnknownSeries { option }))
    }
    fn spot(&mut self, _: Address) -> Result<(U256, u64)> {
        Ok(self.spot)
    }
    fn expiry_price(&mut self, asset: Address, expiry: u64) -> Result<U256> {
        match self.expiry_price {
            Some((p, true)) => Ok(p),
            _ => Err(EscrowError::from(I::ExpiryPriceNotFinal {
                asset,
                expiry: U256::from(expiry),
            })),
        }
    }
    fn collateral_config(&mut self, asset: Address) -> Result<CollateralConfig> {
        Ok(self.collaterals.get(&asset).copied().unwrap_or_default())
    }
    fn set_naked_exposure(&mut self, asset: Address, exposure: U256) {
        self.collaterals.get_mut(&asset).unwrap().naked_exposure = exposure;
    }
    fn risk(&mut self, _: Address) -> Result<(U256, Vec<(u64, U256)>)> {
        Ok((
            U256::from(750_000_000_000_000_000u64),
            vec![
                (7 * 86_400, WAD / U256::from(10u64)),
                (90 * 86_400, WAD / U256::from(5u64)),
            ],
        ))
    }
    fn auction(&mut self, _: Address) -> Result<AuctionParams> {
        Ok(self.auction)
    }
}

fn dep(asset: Address, amount: U256) -> (u8, Address, Address, U256) {
    (ACTION_DEPOSIT_COLLATERAL, asset, Address::ZERO, amount)
}
fn wd(asset: Address, amount: U256) -> (u8, Address, Address, U256) {
    (ACTION_WITHDRAW_COLLATERAL, asset, ALICE, amount)
}
fn mint(option: Address, amount: U256) -> (u8, Address, Address, U256) {
    (ACTION_MINT_SHORT, option, BOB, amount)
}
fn burn(option: Address, amount: U256) -> (u8, Address, Address, U256) {
    (ACTION_BURN_SHORT, option, Address::ZERO, amount)
}
fn dep_long(option: Address, amount: U256) -> (u8, Address, Address, U256) {
    (ACTION_DEPOSIT_LONG, option, Address::ZERO, amount)
}
fn wd_long(option: Address, amount: U256) -> (u8, Address, Address, U256) {
    (ACTION_WITHDRAW_LONG, option, ALICE, amount)
}

/// Applies a batch then checks it, as `operate` does.
/// Like the contract, a failed batch changes nothing.
fn run(
    w: &mut World,
    v: &mut Vault,
    actions: &[(u8, Address, Address, U256)],
) -> Result<Vec<Effect>> {
    let (mut w2, mut v2) = (w.clone(), v.clone());
    let effects = actions
        .iter()
        .enumerate()
        .map(|(i, a)| apply(&mut w2, &mut v2, i, *a, ALICE))
        .collect::<Result<Vec<_>>>()?;
    let minted = actions.iter().any(|a| a.0 == ACTION_MINT_SHORT);
    within_naked_cap(&mut w2, &v2, minted)?;
    check(&mut w2, &v2)?;
    v2.last_change = w2.now;
    v2.auction_start = 0;
    (*w, *v) = (w2, v2);
    Ok(effects)
}

fn naked() -> Vault {
    Vault {
        naked: true,
        ..Vault::default()
    }
}

#[test]
fn deposit_mint_withdraw_burn_of_a_cash_secured_put() {
    let mut w = World::new();
    let mut v = Vault::default();
    let effects = run(&mut w, &mut v, &[dep(USDC, usdc(3600)), mint(PUT, wad(2))]).unwrap();
    assert_eq!(
        effects,
        vec![
            Effect::Pull(USDC, ALICE, usdc(3600)),
            Effect::Mint(PUT, BOB, wad(2))
        ]
    );
    assert_eq!(
        (v.collateral, v.short, v.short_amount),
        (usdc(3600), PUT, wad(2))
    );
    assert_eq!(
        run(&mut w, &mut v, &[wd(USDC, U256::ONE)]),
        Err(EscrowError::from(I::InsufficientCollateral {
            required: usdc(3600),
            available: usdc(3600) - U256::ONE,
        }))
    );
    let mut v2 = v.clone();
    let effects = run(&mut w, &mut v2, &[burn(PUT, wad(1)), wd(USDC, usdc(1800))]).unwrap();
    assert_eq!(
        effects,
        vec![
            Effect::Burn(PUT, ALICE, wad(1)),
            Effect::Push(USDC, ALICE, usdc(1800))
        ]
    );
    run(&mut w, &mut v2, &[burn(PUT, wad(1))]).unwrap();
    assert_eq!(
        v2.short,
        Address::ZERO,
        "a fully burned short frees the vault"
    );
}

#[test]
fn covered_call_needs_one_underlying_per_option() {
    let mut w = World::new();
    let mut v = Vault::default();
    assert!(run(&mut w, &mut v, &[dep(WETH, wad(3)), mint(CALL, wad(3))]).is_ok());
    assert_eq!(
        run(&mut w, &mut v, &[mint(CALL, U256::ONE)]),
        Err(EscrowError::from(I::InsufficientCollateral {
            required: wad(3) + U256::ONE,
            available: wad(3),
        }))
    );
}

#[test]
fn spreads_need_only_the_strike_difference_and_longs_must_match() {
    let mut w = World::new();
    let mut v = Vault::default();
    // Put spread 1800/1700: 100 USDC per option, plus one unit of rounding slack.
    run(
        &mut w,
        &mut v,
        &[
            dep_long(PUT_LOW, wad(2)),
            dep(USDC, usdc(200) + U256::ONE),
            mint(PUT, wad(2)),
        ],
    )
    .unwrap();
    assert_eq!(
        run(&mut w, &mut v, &[wd_long(PUT_LOW, wad(1))]),
        Err(EscrowError::from(I::InsufficientCollateral {
            required: usdc(1900) + U256::ONE,
            available: usdc(200) + U256::ONE,
        }))
    );
    let mut c = Vault::default();
    run(
        &mut w,
        &mut c,
        &[
            dep_long(CALL_HIGH, wad(5)),
            dep(WETH, wad(1) + U256::ONE),
            mint(CALL, wad(5)),
        ],
    )
    .unwrap();
    // A call long cannot cover a put short (different collateral, then different product).
    let mut x = Vault::default();
    assert_eq!(
        run(&mut w, &mut x, &[dep_long(CALL, wad(1)), mint(PUT, wad(1))]),
        Err(EscrowError::from(I::CollateralMismatch {
            expected: WETH,
            given: USDC,
        }))
    );
    w.series.get_mut(&PUT_LOW).unwrap().expiry = EXPIRY + 86_400;
    let mut y = Vault::default();
    assert_eq!(
        run(
            &mut w,
            &mut y,
            &[
                dep_long(PUT_LOW, wad(1)),
                dep(USDC, usdc(1800)),
                mint(PUT, wad(1))
            ]
        ),
        Err(EscrowError::from(I::LongNotMarginable {
            shortOption: PUT,
            longOption: PUT_LOW,
        }))
    );
}

#[test]
fn every_action_rejection() {
    let mut w = World::new();
    let mut v = Vault::default();
    let other = address!("00000000000000000000000000000000000000ff");
    let mut go = |v: &mut Vault, a| apply(&mut w, v, 3, a, ALICE);
    assert_eq!(
        go(&mut v, dep(USDC, U256::ZERO)),
        Err(EscrowError::from(I::ZeroAmount {}))
    );
    assert_eq!(
        go(&mut v, dep(other, U256::ONE)),
        Err(EscrowError::from(I::CollateralNotAllowed { asset: other }))
    );
    assert_eq!(
        go(&mut v, (9, USDC, ALICE, U256::ONE)),
        Err(EscrowError::from(I::InvalidAction {
            index: U256::from(3),
            kind: 9
        }))
    );
    go(&mut v, dep(USDC, U256::ONE)).unwrap();
    assert_eq!(
        go(&mut v, dep(WETH, U256::ONE)),
        Err(EscrowError::from(I::CollateralMismatch {
            expected: USDC,
            given: WETH
        }))
    );
    assert_eq!(
        go(&mut v, wd(WETH, U256::ONE)),
        Err(EscrowError::from(I::CollateralMismatch {
            expected: USDC,
            given: WETH
        }))
    );
    assert_eq!(
        go(&mut v, wd(USDC, U256::from(2))),
        Err(EscrowError::from(I::InsufficientVaultBalance {
            asset: USDC,
            requested: U256::from(2),
            available: U256::ONE
        }))
    );
    assert_eq!(
        go(&mut v, mint(other, U256::ONE)),
        Err(EscrowError::from(I::UnknownSeries { option: other }))
    );
    go(&mut v, mint(PUT, U256::ONE)).unwrap();
    assert_eq!(
        go(&mut v, mint(PUT_LOW, U256::ONE)),
        Err(EscrowError::from(I::SeriesMismatch {
            expected: PUT,
            given: PUT_LOW
        }))
    );
    assert_eq!(
        go(&mut v, burn(PUT_LOW, U256::ONE)),
        Err(EscrowError::from(I::SeriesMismatch {
            expected: PUT,
            given: PUT_LOW
        }))
    );
    assert_eq!(
        go(&mut v, burn(PUT, U256::from(2))),
        Err(EscrowError::from(I::InsufficientVaultBalance {
            asset: PUT,
            requested: U256::from(2),
            available: U256::ONE
        }))
    );
    go(&mut v, dep_long(PUT_LOW, U256::ONE)).unwrap();
    assert_eq!(
        go(&mut v, dep_long(PUT, U256::ONE)),
        Err(EscrowError::from(I::SeriesMismatch {
            expected: PUT_LOW,
            given: PUT
        }))
    );
    assert_eq!(
        go(&mut v, wd_long(PUT, U256::ONE)),
        Err(EscrowError::from(I::SeriesMismatch {
            expected: PUT_LOW,
            given: PUT
        }))
    );
    go(&mut v, wd_long(PUT_LOW, U256::ONE)).unwrap();
    assert_eq!(v.long, Address::ZERO);
    let mut n = naked();
    assert_eq!(
        go(&mut n, dep_long(PUT, U256::ONE)),
        Err(EscrowError::from(I::NakedVaultHoldsLong { option: PUT }))
    );
    w.now = EXPIRY;
    assert_eq!(
        apply(
            &mut w,
            &mut Vault::default(),
            0,
            mint(PUT, U256::ONE),
            ALICE
        ),
        Err(EscrowError::from(I::SeriesExpired {
            option: PUT,
            expiry: U256::from(EXPIRY)
        }))
    );
    assert_eq!(
        apply(
            &mut w,
            &mut Vault::default(),
            0,
            dep_long(PUT, U256::ONE),
            ALICE
        ),
        Err(EscrowError::from(I::SeriesExpired {
            option: PUT,
            expiry: U256::from(EXPIRY)
        }))
    );
}

#[test]
fn naked_put_follows_gammas_example_tracks_exposure_and_dust() {
    let mut w = World::new();
    let mut v = naked();
    run(&mut w, &mut v, &[dep(USDC, usdc(6000)), mint(PUT, wad(10))]).unwrap();
    assert_eq!(
        w.collateral_config(USDC).unwrap().naked_exposure,
        usdc(6000)
    );
    assert_eq!(requirement(&mut w, &v).unwrap().0, usdc(6000));
    assert_eq!(
        run(&mut w, &mut v, &[wd(USDC, U256::ONE)]),
        Err(EscrowError::from(I::InsufficientCollateral {
            required: usdc(6000),
            available: usdc(6000) - U256::ONE
        }))
    );
    let mut tiny = naked();
    assert_eq!(
        run(
            &mut w,
            &mut tiny,
            &[dep(USDC, usdc(99)), mint(PUT, wad(1) / U256::from(100u64))]
        ),
        Err(EscrowError::from(I::BelowDustFloor {
            collateral: usdc(99),
            dustFloor: usdc(100)
        }))
    );
    w.now = EXPIRY - 91 * 86_400;
    assert_eq!(
        requirement(&mut w, &v),
        Err(EscrowError::from(I::MarginMath {
            code: abi::escrow::MATH_NO_TIME_BUCKET
        }))
    );
}

#[test]
fn liquidation_by_dutch_auction() {
    let mut w = World::new();
    let mut v = naked();
    run(&mut w, &mut v, &[dep(USDC, usdc(6000)), mint(PUT, wad(10))]).unwrap();
    // Safe vaults, full vaults and vaults without debt cannot be liquidated.
    assert_eq!(
        liquidate(&mut w, &mut v.clone(), wad(1)),
        Err(EscrowError::from(I::VaultNotLiquidatable {
            requirement: usdc(6000),
            collateral: usdc(6000)
        }))
    );
    assert_eq!(
        liquidate(&mut w, &mut Vault::default(), wad(1)),
        Err(EscrowError::from(I::VaultNotLiquidatable {
            requirement: U256::ZERO,
            collateral: U256::ZERO
        }))
    );
    assert_eq!(
        liquidate(&mut w, &mut v.clone(), U256::ZERO),
        Err(EscrowError::from(I::ZeroAmount {}))
    );
    // Spot falls to 1500, but the price is not newer than the vault's last change.
    w.spot = (wad(1500), T0);
    assert_eq!(
        liquidate(&mut w, &mut v.clone(), wad(1)),
        Err(EscrowError::from(I::PriceNotNewer {
            priceUpdatedAt: U256::from(T0),
            lastChange: U256::from(T0)
        }))
    );
    w.now = T0 + 60;
    w.spot = (wad(1500), T0 + 60);
    let first = liquidate(&mut w, &mut v, wad(2)).unwrap();
    // a = min(1800, 1125) = 1125, b = 675: (0.2*1125 + 675) * 10 = 9000 USDC required.
    assert_eq!(first.started, Some((usdc(9000), wad(1500), T0 + 60)));
    assert_eq!(first.price, usdc(225));
    assert_eq!(first.paid, usdc(450));
    assert_eq!((v.collateral, v.short_amount), (usdc(5550), wad(8)));
    assert_eq!(
        w.collateral_config(USDC).unwrap().naked_exposure,
        usdc(5550)
    );
    // Half-way through the auction the price is half-way to collateral/debt.
    w.now = T0 + 60 + 1800;
    let end = usdc(5550) * WAD / wad(8);
    let mid = liquidate(&mut w, &mut v, wad(1)).unwrap();
    assert_eq!(mid.started, None);
    assert_eq!(mid.price, usdc(225) + (end - usdc(225)) / U256::from(2));
    // A repayment that would leave less than the dust floor is refused.
    w.now = T0 + 60 + 3600;
    let mut v2 = v.clone();
    let left = v2.short_amount - U256::ONE;
    assert!(
        matches!(liquidate(&mut w, &mut v2, left), Err(e) if e.0[..4] == I::BelowDustFloor::SELECTOR)
    );
    // After the duration the whole debt buys the whole collateral.
    let debt = v.short_amount;
    let all = liquidate(&mut w, &mut v, debt).unwrap();
    assert_eq!(all.paid + v.collateral, usdc(5550) - mid.paid);
    assert!(all.ended && !mid.ended);
    assert_eq!(v.collateral, U256::ZERO);
    assert_eq!(
        (v.short, v.short_amount, v.auction_start),
        (Address::ZERO, U256::ZERO, 0)
    );
    assert_eq!(
        liquidate(&mut w, &mut v, U256::ONE),
        Err(EscrowError::from(I::VaultNotLiquidatable {
            requirement: U256::ZERO,
            collateral: v.collateral
        }))
    );
}

#[test]
fn the_naked_cap_bounds_writing_never_top_ups() {
    let mut w = World::new();
    w.collaterals.get_mut(&USDC).unwrap().naked_cap = usdc(6000);
    let mut v = naked();
    run(&mut w, &mut v, &[dep(USDC, usdc(6000)), mint(PUT, wad(10))]).unwrap();
    // A top-up past the cap goes through: it only makes the vault safer.
    run(&mut w, &mut v, &[dep(USDC, usdc(500))]).unwrap();
    assert_eq!(
        w.collateral_config(USDC).unwrap().naked_exposure,
        usdc(6500)
    );
    // Writing more while over the cap is refused, whatever the order in the batch.
    for batch in [
        vec![mint(PUT, wad(1)), dep(USDC, usdc(1000))],
        vec![dep(USDC, usdc(1000)), mint(PUT, wad(1))],
    ] {
        assert_eq!(
            run(&mut w, &mut v, &batch),
            Err(EscrowError::from(I::NakedCapExceeded {
                asset: USDC,
                exposure: usdc(7500),
                cap: usdc(6000)
            }))
        );
    }
    // Burning and withdrawing reduce exposure, and writing again fits once under the cap.
    run(&mut w, &mut v, &[burn(PUT, wad(1)), wd(USDC, usdc(1100))]).unwrap();
    assert_eq!(
        w.collateral_config(USDC).unwrap().naked_exposure,
        usdc(5400)
    );
    run(&mut w, &mut v, &[dep(USDC, usdc(600)), mint(PUT, wad(1))]).unwrap();
    // Full vaults are never capped.
    let mut full = Vault::default();
    run(
        &mut w,
        &mut full,
        &[dep(USDC, usdc(1800)), mint(PUT, wad(1))],
    )
    .unwrap();
}

#[test]
fn the_auction_never_starts_in_the_past_nor_counts_a_full_pause() {
    let mut w = World::new();
    let mut v = naked();
    run(&mut w, &mut v, &[dep(USDC, usdc(6000)), mint(PUT, wad(10))]).unwrap();
    // The price was observed long before the first bid: the auction starts at the
    // observation, never before the vault's last checked change.
    v.last_change = T0 + 100;
    w.now = T0 + 1000;
    w.spot = (wad(1500), T0 + 101);
    let mut a = v.clone();
    let first = liquidate(&mut w, &mut a, wad(1)).unwrap();
    assert_eq!(first.started.map(|s| s.2), Some(T0 + 101));
    assert_eq!(first.restarted, None);
    // A full pause lifted after the observation: the auction starts when it ended.
    w.collaterals.get_mut(&USDC).unwrap().resumed_at = T0 + 900;
    let mut b = v.clone();
    let after_pause = liquidate(&mut w, &mut b, wad(1)).unwrap();
    assert_eq!(after_pause.started.map(|s| s.2), Some(T0 + 900));
    assert!(after_pause.price < first.price);
    // A running auction that a full pause interrupted restarts from its opening price.
    w.collaterals.get_mut(&USDC).unwrap().resumed_at = T0 + 2000;
    w.now = T0 + 2000;
    let restarted = liquidate(&mut w, &mut a, wad(1)).unwrap();
    assert_eq!(
        (restarted.started, restarted.restarted, a.auction_start),
        (None, Some(T0 + 101), T0 + 2000)
    );
    let opening = liquidate(&mut w, &mut v.clone(), wad(1)).unwrap();
    assert_eq!(restarted.price, opening.price);
    assert!(!restarted.ended);
}

#[test]
fn liquidation_that_restores_safety_ends_the_auction() {
    let mut w = World::new();
    let mut v = naked();
    run(&mut w, &mut v, &[dep(USDC, usdc(6000)), mint(PUT, wad(10))]).unwrap();
    w.now = T0 + 10;
    w.spot = (wad(1900), T0 + 10);
    let (req, _) = requirement(&mut w, &v).unwrap();
    assert!(req > usdc(6000));
    let l = liquidate(&mut w, &mut v, wad(5)).unwrap();
    assert!(l.ended && l.started.is_some());
    assert_eq!(v.auction_start, 0);
    assert!(
        matches!(liquidate(&mut w, &mut v, wad(1)), Err(e) if e.0[..4] == I::VaultNotLiquidatable::SELECTOR)
    );
}

#[test]
fn settlement_and_redemption() {
    let mut w = World::new();
    let mut v = Vault::default();
    run(&mut w, &mut v, &[dep(USDC, usdc(3600)), mint(PUT, wad(2))]).unwrap();
    assert_eq!(
        settle(&mut w, &mut v.clone()),
        Err(EscrowError::from(I::SeriesNotExpired {
            option: PUT,
            expiry: U256::from(EXPIRY)
        }))
    );
    assert_eq!(
        redeem(&mut w, PUT, wad(1)),
        Err(EscrowError::from(I::SeriesNotExpired {
            option: PUT,
            expiry: U256::from(EXPIRY)
        }))
    );
    w.now = EXPIRY;
    assert_eq!(
        run(&mut w, &mut v.clone(), &[wd(USDC, U256::ONE)]),
        Err(EscrowError::from(I::SeriesExpired {
            option: PUT,
            expiry: U256::from(EXPIRY)
        }))
    );
    w.expiry_price = Some((wad(1500), false));
    assert_eq!(
        settle(&mut w, &mut v.clone()),
        Err(EscrowError::from(I::ExpiryPriceNotFinal {
            asset: WETH,
            expiry: U256::from(EXPIRY)
        }))
    );
    w.expiry_price = Some((wad(1500), true));
    let s = settle(&mut w, &mut v).unwrap();
    assert_eq!((s.liability, s.payout), (usdc(600), usdc(3000)));
    assert_eq!(v.collateral, U256::ZERO);
    assert_eq!(
        settle(&mut w, &mut v),
        Err(EscrowError::from(I::ZeroAmount {}))
    );
    assert_eq!(redeem(&mut w, PUT, wad(1)).unwrap().1, usdc(300));
    assert_eq!(
        redeem(&mut w, PUT, U256::ZERO),
        Err(EscrowError::from(I::ZeroAmount {}))
    );
    // Out of the money: nothing owed.
    w.expiry_price = Some((wad(1900), true));
    assert_eq!(redeem(&mut w, PUT, wad(1)).unwrap().1, U256::ZERO);
}

#[test]
fn settling_a_spread_pays_the_long_and_an_insolvent_naked_vault_keeps_nothing() {
    let mut w = World::new();
    let mut v = Vault::default();
    run(
        &mut w,
        &mut v,
        &[
            dep_long(PUT_LOW, wad(2)),
            dep(USDC, usdc(200) + U256::ONE),
            mint(PUT, wad(2)),
        ],
    )
    .unwrap();
    let mut n = naked();
    run(&mut w, &mut n, &[dep(USDC, usdc(6000)), mint(PUT, wad(10))]).unwrap();
    w.now = EXPIRY + 7200;
    w.expiry_price = Some((wad(1000), true));
    let s = settle(&mut w, &mut v).unwrap();
    assert_eq!(
        (s.liability, s.long_payout, s.payout),
        (usdc(1600), usdc(1400), U256::ONE)
    );
    let s = settle(&mut w, &mut n).unwrap();
    assert_eq!((s.liability, s.payout), (usdc(8000), U256::ZERO));
    assert_eq!(
        w.collateral_config(USDC).unwrap().naked_exposure,
        U256::ZERO
    );
}

// ---- stateful property test ----

/// The escrow as a whole over the rules: vaults, token balances, option supplies.
struct Sim {
    w: World,
    vaults: Vec<Vault>,
    owners: Vec<usize>,
    /// Token balances: (token, holder index; `usize::MAX` = the escrow).
    balances: HashMap<(Address, usize), U256>,
    deposited: HashMap<Address, U256>,
    paid: HashMap<Address, U256>,
    /// A naked vault settled owing more than it held.
    shortfall: bool,
    /// Settlements and redemptions so far: each may leave one raw unit of dust.
    roundings: u64,
}

const ESCROW: usize = usize::MAX;
const USERS: usize = 3;
const OPTIONS: [Address; 4] = [PUT, PUT_LOW, CALL, CALL_HIGH];

#[derive(Debug, Clone)]
enum Step {
    Open(usize, bool),
    Operate(usize, Vec<(u8, usize, u64)>),
    Price(u64),
    Time(u64),
    Liquidate(usize, usize, u64),
    Expire(u64),
    Settle(usize),
    Redeem(usize, usize, u64),
}

impl Sim {
    fn new() -> Self {
        let mut balances = HashMap::new();
        for u in 0..USERS {
            balances.insert((USDC, u), usdc(1_000_000));
            balances.insert((WETH, u), wad(1_000));
        }
        Sim {
            w: World::new(),
            vaults: Vec::new(),
            owners: Vec::new(),
            balances,
            deposited: HashMap::new(),
            paid: HashMap::new(),
            shortfall: false,
            roundings: 0,
        }
    }

    fn bal(&self, token: Address, who: usize) -> U256 {
        self.balances
            .get(&(token, who))
            .copied()
            .unwrap_or_default()
    }

    fn moved(&mut self, token: Address, from: usize, to: usize, amount: U256) -> bool {
        let have = self.bal(token, from);
        if from != usize::MAX - 1 && have < amount {
            return false;
        }
        if from != usize::MAX - 1 {
            self.balances.insert((token, from), have - amount);
        }
        if to != usize::MAX - 1 {
            let b = self.bal(token, to);
            self.balances.insert((token, to), b + amount);
        }
        true
    }

    /// Performs effects on the ledger; `None` if a transfer would fail (the step reverts).
    fn perform(&mut self, effects: &[Effect], caller: usize) -> Option<()> {
        const MINT: usize = usize::MAX - 1;
        for e in effects {
            let ok = match *e {
                Effect::Pull(t, _, a) => {
                    let ok = self.moved(t, caller, ESCROW, a);
                    if ok && !OPTIONS.contains(&t) {
                        *self.deposited.entry(t).or_default() += a;
                    }
                    ok
                }
                Effect::Push(t, _, a) => {
                    if !OPTIONS.contains(&t) {
                        *self.paid.entry(t).or_default() += a;
                    }
                    self.moved(t, ESCROW, caller, a)
                }
                Effect::Mint(t, _, a) => self.moved(t, MINT, caller, a),
                Effect::Burn(t, _, a) => self.moved(t, caller, MINT, a),
            };
            if !ok {
                return None;
            }
        }
        Some(())
    }

    fn step(&mut self, step: &Step) {
        let snapshot = (
            self.w.clone(),
            self.vaults.clone(),
            self.balances.clone(),
            self.deposited.clone(),
            self.paid.clone(),
            self.shortfall,
            self.roundings,
        );
        if self.try_step(step).is_none() {
            (
                self.w,
                self.vaults,
                self.balances,
                self.deposited,
                self.paid,
                self.shortfall,
                self.roundings,
            ) = snapshot;
        }
    }

    /// Up to 3,000 USDC, 3 WETH or 3 options per action.
    fn amount(asset: Address, raw: u64) -> U256 {
        if asset == USDC {
            U256::from(raw)
        } else {
            U256::from(raw) * U256::from(1_000_000_000u64)
        }
    }

    fn try_step(&mut self, step: &Step) -> Option<()> {
        match step.clone() {
            Step::Open(user, naked) => {
                self.vaults.push(Vault {
                    naked,
                    ..Vault::default()
                });
                self.owners.push(user % USERS);
            }
            Step::Operate(vi, actions) => {
                let vi = vi.checked_rem(self.vaults.len())?;
                let user = self.owners[vi];
                let mut v = self.vaults[vi].clone();
                let mut effects = Vec::new();
                let mut needs_check = false;
                let mut minted = false;
                for (i, (kind, which, raw)) in actions.into_iter().enumerate() {
                    let kind = kind % 6 + 1;
                    minted |= kind == ACTION_MINT_SHORT;
                    let asset = match kind {
                        ACTION_DEPOSIT_COLLATERAL | ACTION_WITHDRAW_COLLATERAL => {
                            [USDC, WETH][which % 2]
                        }
                        _ => OPTIONS[which % 4],
                    };
                    let e = apply(
                        &mut self.w,
                        &mut v,
                        i,
                        (kind, asset, ALICE, Self::amount(asset, raw)),
                        ALICE,
                    )
                    .ok()?;
                    needs_check |= !matches!(e, Effect::Pull(a, ..) if a == v.collateral_asset)
                        && !matches!(e, Effect::Burn(..));
                    effects.push(e);
                }
                within_naked_cap(&mut self.w, &v, minted).ok()?;
                if needs_check {
                    check(&mut self.w, &v).ok()?;
                    v.last_change = self.w.now;
                    v.auction_start = 0;
                }
                self.perform(&effects, user)?;
                if needs_check {
                    // No successful batch leaves a vault under-collateralised.
                    let (req, _) = requirement(&mut self.w, &v).ok()?;
                    assert!(
                        v.collateral >= req,
                        "vault {vi} under-collateralised after operate"
                    );
                }
                self.vaults[vi] = v;
            }
            Step::Price(p) => {
                self.w.spot = (wad(p), self.w.now + 1);
                self.w.now += 1;
            }
            Step::Time(dt) if self.w.now < EXPIRY => self.w.now = (self.w.now + dt).min(EXPIRY - 1),
            Step::Time(_) => {}
            Step::Liquidate(vi, user, raw) => {
                let vi = vi.checked_rem(self.vaults.len())?;
                let mut v = self.vaults[vi].clone();
                let option = v.short;
                let amount = U256::from(raw) * U256::from(1_000_000_000_000u64);
                let before = v.collateral;
                if v.short.is_zero() {
                    return None;
                }
                let l = liquidate(&mut self.w, &mut v, amount).ok()?;
                assert!(
                    l.paid <= before,
                    "liquidation paid more than the vault held"
                );
                self.perform(
                    &[
                        Effect::Burn(option, ALICE, amount),
                        Effect::Push(v.collateral_asset, ALICE, l.paid),
                    ],
                    user % USERS,
                )?;
                self.vaults[vi] = v;
            }
            Step::Expire(p) => {
                self.w.now = EXPIRY + 1;
                self.w.expiry_price = Some((wad(p), true));
            }
            Step::Settle(vi) => {
                let vi = vi.checked_rem(self.vaults.len())?;
                let mut v = self.vaults[vi].clone();
                let (long, long_amount, asset) = (v.long, v.long_amount, v.collateral_asset);
                let held = v.collateral;
                let s = settle(&mut self.w, &mut v).ok()?;
                self.shortfall |= v.naked && s.liability > held;
                self.roundings += 2;
                if !v.naked {
                    assert!(
                        v.collateral.is_zero() && s.payout + s.liability >= s.long_payout,
                        "a full vault settles solvent"
                    );
                }
                let user = self.owners[vi];
                self.perform(&[Effect::Burn(long, ALICE, long_amount)], ESCROW)?;
                self.perform(&[Effect::Push(asset, ALICE, s.payout)], user)?;
                self.vaults[vi] = v;
            }
            Step::Redeem(user, which, raw) => {
                let option = OPTIONS[which % 4];
                let amount = U256::from(raw) * U256::from(1_000_000_000_000u64);
                let (s, payout) = redeem(&mut self.w, option, amount).ok()?;
                self.roundings += 1;
                self.perform(
                    &[
                        Effect::Burn(option, ALICE, amount),
                        Effect::Push(s.collateral, ALICE, payout),
                    ],
                    user % USERS,
                )?;
            }
        }
        Some(())
    }

    /// The escrow's balance of each collateral covers every obligation: collateral of open
    /// vaults plus what holders of outstanding options can still redeem.
    fn assert_solvent(&mut self) {
        for asset in [USDC, WETH] {
            let held = self.bal(asset, ESCROW);
            assert_eq!(
                held + self.paid.get(&asset).copied().unwrap_or_default(),
                self.deposited.get(&asset).copied().unwrap_or_default(),
                "collateral is conserved"
            );
            let locked: U256 = self
                .vaults
                .iter()
                .filter(|v| v.collateral_asset == asset)
                .map(|v| v.collateral)
                .sum();
            if self.w.expiry_price.is_none() {
                assert_eq!(
                    held, locked,
                    "before expiry the escrow holds exactly the vaults' collateral"
                );
            }
        }
    }
}

fn step() -> impl Strategy<Value = Step> {
    let action = (0u8..6, 0usize..4, 1u64..3_000_000_000);
    prop_oneof![
        (0usize..USERS, any::<bool>()).prop_map(|(u, n)| Step::Open(u, n)),
        (0usize..8, prop::collection::vec(action, 1..4)).prop_map(|(v, a)| Step::Operate(v, a)),
        (500u64..4000).prop_map(Step::Price),
        (0u64..20_000).prop_map(Step::Time),
        (0usize..8, 0usize..USERS, 1u64..3_000_000).prop_map(|(v, u, a)| Step::Liquidate(v, u, a)),
        (0usize..8).prop_map(Step::Settle),
        (0usize..USERS, 0usize..4, 1u64..3_000_000).prop_map(|(u, o, a)| Step::Redeem(u, o, a)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn random_sequences_keep_the_escrow_solvent(
        before in prop::collection::vec(step(), 1..40),
        price in 500u64..4000,
        after in prop::collection::vec(step(), 0..30),
    ) {
        let mut sim = Sim::new();
        for s in &before {
            sim.step(s);
            sim.assert_solvent();
        }
        sim.step(&Step::Expire(price));
        // Settle every vault first, then let every holder redeem everything.
        for s in &after {
            sim.step(s);
        }
        for vi in 0..sim.vaults.len() {
            sim.step(&Step::Settle(vi));
        }
        for vi in 0..sim.vaults.len() {
            prop_assert!(sim.vaults[vi].short.is_zero() && sim.vaults[vi].long.is_zero(), "every vault settles");
        }
        for u in 0..USERS {
            for (i, o) in OPTIONS.iter().enumerate() {
                let bal = sim.bal(*o, u);
                if !bal.is_zero() {
                    let (_, payout) = redeem(&mut sim.w, *o, bal).unwrap();
                    sim.roundings += 1;
                    let paid = sim.perform(&[Effect::Burn(*o, ALICE, bal), Effect::Push(OPTIONS_COLLATERAL[i], ALICE, payout)], u);
                    prop_assert!(paid.is_some() || sim.shortfall, "a holder could not be paid");
                }
            }
        }
        sim.assert_solvent();
        // What stays behind is rounding dust: at most one raw unit per settlement or redemption
        // plus whatever collateral vaults hold without any option.
        if !sim.shortfall {
            for asset in [USDC, WETH] {
                let left: U256 = sim.vaults.iter().filter(|v| v.collateral_asset == asset).map(|v| v.collateral).sum();
                let dust = sim.bal(asset, ESCROW) - left;
                prop_assert!(dust <= U256::from(sim.roundings), "dust {} after {} roundings", dust, sim.roundings);
            }
        }
    }
}

const OPTIONS_COLLATERAL: [Address; 4] = [USDC, USDC, WETH, WETH];
