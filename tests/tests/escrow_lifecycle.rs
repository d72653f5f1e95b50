//! The clearinghouse end to end on the devnet: real WASM behind proxies, real OpenZeppelin ERC-20
//! collateral, the real oracles over a Chainlink-compatible feed. Full lifecycles (covered call,
//! cash-secured put, put spread, naked put liquidated by auction), expiry in and out of the money
//! (payouts never exceed deposits), pause paths, caps, adversarial tokens, a lying feed, and a
//! Solidity contract writing options through `operate`.

use abi::erc20::IERC20;
use abi::escrow::{
    ICollateralEscrow as E, IEscrowRegistry as R, IMarginEngine as M, ACTION_DEPOSIT_COLLATERAL,
    ACTION_DEPOSIT_LONG, ACTION_MINT_SHORT, ACTION_OPEN, ACTION_WITHDRAW_COLLATERAL, VAULT_FULL,
    VAULT_NAKED,
};
use abi::oracle::IOracleAdapter::IOracleAdapterErrors;
use alloy::primitives::{Address, U256};
use alloy::sol_types::{SolCall, SolEvent, SolInterface};
use e2e::escrow::{e18, expiry_after, fixture, usdc, Clearinghouse, IFixtures};
use e2e::governance::{advance, now, refusal, send};
use e2e::protocol::deploy_evm;
use e2e::Harness;

const NO: Address = Address::ZERO;

/// The oracle's own refusal, as the escrow and engine pass it on (`ExternalCallReverted`).
fn oracle_refusal<T: std::fmt::Debug>(
    c: &Clearinghouse,
    result: Result<T, deploy::DeployError>,
) -> IOracleAdapterErrors {
    let e: E::ExternalCallReverted = refusal(result);
    assert_eq!(e.target, c.oracle);
    IOracleAdapterErrors::abi_decode(&e.reason)
        .unwrap_or_else(|_| panic!("an oracle error: {}", deploy::describe(&e.reason)))
}

#[tokio::test(flavor = "multi_thread")]
async fn covered_call_and_cash_secured_put_through_expiry() {
    let h = Harness::start();
    let c = Clearinghouse::deploy(&h, 2000).await;
    let (alice, bob) = (h.deployer(1), h.deployer(2));
    let expiry = expiry_after(now(&c.admin).await, 7);
    let call = c.series(false, 2500, expiry).await;
    let put = c.series(true, 1800, expiry).await;
    c.fund(&alice, c.weth, e18(1)).await;
    c.fund(&alice, c.usdc, usdc(1800)).await;

    // A covered call needs the whole underlying, a cash-secured put the whole strike.
    let short = c
        .write(
            &alice,
            1,
            VAULT_FULL,
            c.weth,
            e18(1) - U256::from(1),
            call,
            e18(1),
            bob.from(),
        )
        .await;
    let e: E::InsufficientCollateral = refusal(short);
    assert_eq!((e.required, e.available), (e18(1), e18(1) - U256::from(1)));
    c.write(
        &alice,
        1,
        VAULT_FULL,
        c.weth,
        e18(1),
        call,
        e18(1),
        bob.from(),
    )
    .await
    .expect("covered call written");
    c.write(
        &alice,
        2,
        VAULT_FULL,
        c.usdc,
        usdc(1800),
        put,
        e18(1),
        bob.from(),
    )
    .await
    .expect("cash-secured put written");
    assert_eq!(c.balance(call, bob.from()).await, e18(1));
    assert_eq!(c.balance(put, bob.from()).await, e18(1));
    assert_eq!(c.balance(c.usdc, c.escrow).await, usdc(1800));

    // Nothing settles before expiry.
    let early: M::SeriesNotExpired = refusal(
        send(
            &bob,
            c.engine,
            M::redeemCall {
                option: call,
                amount: e18(1),
                to: bob.from(),
            },
        )
        .await,
    );
    assert_eq!(early.option, call);

    // Expiry at 2600: the call is 100 in the money, the put out of it.
    c.settle_price(expiry, 2600).await;
    send(
        &bob,
        c.engine,
        M::redeemCall {
            option: call,
            amount: e18(1),
            to: bob.from(),
        },
    )
    .await
    .expect("call redeemed");
    send(
        &bob,
        c.engine,
        M::redeemCall {
            option: put,
            amount: e18(1),
            to: bob.from(),
        },
    )
    .await
    .expect("put redeemed for nothing");
    let call_payout = e18(1) * U256::from(100) / U256::from(2600);
    assert_eq!(
        c.balance(c.weth, bob.from()).await,
        call_payout,
        "rounded down"
    );
    assert_eq!(c.balance(c.usdc, bob.from()).await, U256::ZERO);
    assert_eq!(c.balance(call, bob.from()).await, U256::ZERO, "burned");
    for id in [1, 2] {
        send(
            &alice,
            c.engine,
            M::settleVaultCall {
                owner: alice.from(),
                vaultId: U256::from(id),
                to: alice.from(),
            },
        )
        .await
        .expect("vault settled");
    }
    let alice_weth = c.balance(c.weth, alice.from()).await;
    assert_eq!(c.balance(c.usdc, alice.from()).await, usdc(1800));
    assert!(
        alice_weth + call_payout <= e18(1),
        "never more than deposited"
    );
    let dust = c.balance(c.weth, c.escrow).await;
    assert_eq!(dust + alice_weth + call_payout, e18(1));
    assert!(
        dust <= U256::from(1),
        "one unit of rounding dust at most: {dust}"
    );
    assert_eq!(c.vault(alice.from(), 1).await.collateral, U256::ZERO);
}

#[tokio::test(flavor = "multi_thread")]
async fn put_spread_posts_its_max_loss_and_one_unit_of_rounding_slack() {
    let h = Harness::start();
    let c = Clearinghouse::deploy(&h, 2000).await;
    let (alice, carol) = (h.deployer(1), h.deployer(3));
    let expiry = expiry_after(now(&c.admin).await, 7);
    let low = c.series(true, 1700, expiry).await;
    let high = c.series(true, 1800, expiry).await;
    c.fund(&carol, c.usdc, usdc(1700)).await;
    // One raw unit above the max loss: settlement rounds the short's liability up and the long's
    // payout down, so at a price between the strikes the two can be a unit apart
    // (`margin::spread_requirement`). It goes back to the writer when the prices are round.
    let slack = U256::from(1);
    c.fund(&alice, c.usdc, usdc(100) + slack).await;
    c.write(
        &carol,
        1,
        VAULT_FULL,
        c.usdc,
        usdc(1700),
        low,
        e18(1),
        alice.from(),
    )
    .await
    .expect("Carol writes the long leg to Alice");
    send(
        &alice,
        low,
        IERC20::approveCall {
            spender: c.escrow,
            value: U256::MAX,
        },
    )
    .await
    .expect("approve long");
    let spread = |deposit| {
        vec![
            (ACTION_OPEN, NO, NO, U256::from(VAULT_FULL)),
            (ACTION_DEPOSIT_LONG, low, NO, e18(1)),
            (ACTION_DEPOSIT_COLLATERAL, c.usdc, NO, deposit),
            (ACTION_MINT_SHORT, high, carol.from(), e18(1)),
        ]
    };
    let e: E::InsufficientCollateral = refusal(c.operate(&alice, 1, &spread(usdc(100))).await);
    assert_eq!(e.required, usdc(100) + slack);
    c.operate(&alice, 1, &spread(usdc(100) + slack))
        .await
        .expect("spread for its max loss");
    let v = c.vault(alice.from(), 1).await;
    assert_eq!(
        (v.longOption, v.longAmount, v.collateral),
        (low, e18(1), usdc(100) + slack)
    );

    // Expiry at 1500: both legs in the money; Alice owes 300, her long pays 200.
    c.settle_price(expiry, 1500).await;
    send(
        &alice,
        c.engine,
        M::settleVaultCall {
            owner: alice.from(),
            vaultId: U256::from(1),
            to: alice.from(),
        },
    )
    .await
    .expect("spread settled");
    assert_eq!(
        c.balance(c.usdc, alice.from()).await,
        slack,
        "max loss paid, the slack returned"
    );
    send(
        &carol,
        c.engine,
        M::redeemCall {
            option: high,
            amount: e18(1),
            to: carol.from(),
        },
    )
    .await
    .expect("Carol redeems the short leg");
    assert_eq!(c.balance(c.usdc, carol.from()).await, usdc(300));
    send(
        &carol,
        c.engine,
        M::settleVaultCall {
            owner: carol.from(),
            vaultId: U256::from(1),
            to: carol.from(),
        },
    )
    .await
    .expect("Carol's vault settled");
    assert_eq!(c.balance(c.usdc, carol.from()).await, usdc(300 + 1500));
    assert_eq!(
        c.balance(c.usdc, c.escrow).await,
        U256::ZERO,
        "everything paid out"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn naked_put_is_liquidated_by_auction_in_parts() {
    let h = Harness::start();
    let c = Clearinghouse::deploy(&h, 2000).await;
    let (alice, carol) = (h.deployer(1), h.deployer(3));
    let expiry = expiry_after(now(&c.admin).await, 30);
    let put = c.series(true, 1800, expiry).await;
    c.fund(&alice, c.usdc, usdc(10_000)).await;
    // Naked requirement at 2000 (Gamma's formula): 20% of the 75%-shocked spot plus the shocked
    // intrinsic value, 0.2 * 1500 + 300 = 600 per option.
    let deposit = usdc(1300);
    c.write(
        &alice,
        1,
        VAULT_NAKED,
        c.usdc,
        deposit,
        put,
        e18(2),
        carol.from(),
    )
    .await
    .expect("naked put written");
    assert_eq!(
        c.admin
            .view(c.escrow, E::nakedExposureCall { asset: c.usdc })
            .await
            .unwrap(),
        deposit
    );
    let health = c
        .admin
        .view(
            c.engine,
            M::getVaultHealthCall {
                owner: alice.from(),
                vaultId: U256::from(1),
            },
        )
        .await
        .unwrap();
    assert!(health.shortfall.is_zero() && health.requirement <= deposit);
    let safe: M::VaultNotLiquidatable = refusal(
        send(
            &carol,
            c.engine,
            M::liquidateCall {
                owner: alice.from(),
                vaultId: U256::from(1),
                amount: e18(1),
                to: carol.from(),
            },
        )
        .await,
    );
    assert_eq!(safe.collateral, deposit);

    // Spot falls to 1000: the vault is short; a newer price lets anyone liquidate.
    advance(&c.admin, 30).await;
    c.set_spot(1000).await;
    let health = c
        .admin
        .view(
            c.engine,
            M::getVaultHealthCall {
                owner: alice.from(),
                vaultId: U256::from(1),
            },
        )
        .await
        .unwrap();
    assert!(!health.shortfall.is_zero());
    let receipt = send(
        &carol,
        c.engine,
        M::liquidateCall {
            owner: alice.from(),
            vaultId: U256::from(1),
            amount: e18(1) / U256::from(2),
            to: carol.from(),
        },
    )
    .await
    .expect("partial liquidation");
    let started = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| M::AuctionStarted::decode_log_data(l.data()).ok())
        .expect("AuctionStarted");
    assert_eq!(started.collateral, deposit);
    let liquidated = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| M::VaultLiquidated::decode_log_data(l.data()).ok())
        .expect("VaultLiquidated");
    assert_eq!(liquidated.debtRepaid, e18(1) / U256::from(2));
    let paid = liquidated.collateralPaid;
    assert!(!paid.is_zero() && paid < deposit);
    assert_eq!(c.balance(c.usdc, carol.from()).await, paid);
    let v = c.vault(alice.from(), 1).await;
    assert_eq!(
        (v.shortAmount, v.collateral),
        (e18(3) / U256::from(2), deposit - paid)
    );
    assert_ne!(v.auctionStart, 0, "the auction runs on");

    // Later the price per option has risen; the rest of the debt is taken in one go.
    advance(&c.admin, 1800).await;
    c.keep_fresh().await;
    let rest = send(
        &carol,
        c.engine,
        M::liquidateCall {
            owner: alice.from(),
            vaultId: U256::from(1),
            amount: e18(3) / U256::from(2),
            to: carol.from(),
        },
    )
    .await
    .expect("the rest liquidated");
    let last = rest
        .inner
        .logs()
        .iter()
        .find_map(|l| M::VaultLiquidated::decode_log_data(l.data()).ok())
        .unwrap();
    assert!(
        last.pricePerOption >= liquidated.pricePerOption,
        "Dutch auction: the price rises"
    );
    let v = c.vault(alice.from(), 1).await;
    assert_eq!((v.shortAmount, v.auctionStart), (U256::ZERO, 0));
    assert_eq!(c.balance(c.usdc, c.escrow).await, v.collateral);
    assert_eq!(
        c.admin
            .view(c.escrow, E::nakedExposureCall { asset: c.usdc })
            .await
            .unwrap(),
        v.collateral
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pauses_stop_new_risk_never_settlement() {
    let h = Harness::start();
    let c = Clearinghouse::deploy(&h, 2000).await;
    let (alice, bob) = (h.deployer(1), h.deployer(2));
    let expiry = expiry_after(now(&c.admin).await, 7);
    let put = c.series(true, 1800, expiry).await;
    c.fund(&alice, c.usdc, usdc(5400)).await;
    c.write(
        &alice,
        1,
        VAULT_FULL,
        c.usdc,
        usdc(1800),
        put,
        e18(1),
        bob.from(),
    )
    .await
    .expect("written before the pause");
    c.write(
        &alice,
        2,
        VAULT_NAKED,
        c.usdc,
        usdc(1000),
        put,
        e18(1),
        bob.from(),
    )
    .await
    .expect("naked written before the pause");
    send(
        &c.admin,
        c.registry,
        R::setPauseCall {
            partiallyPaused: true,
            fullyPaused: false,
        },
    )
    .await
    .expect("partial pause");
    let paused: E::SystemPaused = refusal(
        c.write(
            &alice,
            3,
            VAULT_FULL,
            c.usdc,
            usdc(1800),
            put,
            e18(1),
            bob.from(),
        )
        .await,
    );
    assert!(paused.partiallyPaused && !paused.fullyPaused);
    send(
        &c.admin,
        c.registry,
        R::setPauseCall {
            partiallyPaused: true,
            fullyPaused: true,
        },
    )
    .await
    .expect("full pause");
    let paused: M::SystemPaused = refusal(
        send(
            &bob,
            c.engine,
            M::liquidateCall {
                owner: alice.from(),
                vaultId: U256::from(2),
                amount: e18(1),
                to: bob.from(),
            },
        )
        .await,
    );
    assert!(paused.fullyPaused);
    // Redemption and settlement go on under a full pause.
    c.settle_price(expiry, 1700).await;
    send(
        &bob,
        c.engine,
        M::redeemCall {
            option: put,
            amount: e18(2),
            to: bob.from(),
        },
    )
    .await
    .expect("redeemed while paused");
    assert_eq!(c.balance(c.usdc, bob.from()).await, usdc(200));
    for id in [1, 2] {
        send(
            &alice,
            c.engine,
            M::settleVaultCall {
                owner: alice.from(),
                vaultId: U256::from(id),
                to: alice.from(),
            },
        )
        .await
        .expect("settled while paused");
    }
    assert_eq!(c.balance(c.usdc, alice.from()).await, usdc(5400 - 200));
}

#[tokio::test(flavor = "multi_thread")]
async fn naked_exposure_is_capped_per_asset() {
    let h = Harness::start();
    let c = Clearinghouse::deploy(&h, 2000).await;
    let alice = h.deployer(1);
    c.configure(c.usdc, usdc(1000), usdc(100)).await;
    let put = c
        .series(true, 1800, expiry_after(now(&c.admin).await, 30))
        .await;
    c.fund(&alice, c.usdc, usdc(2000)).await;
    c.write(
        &alice,
        1,
        VAULT_NAKED,
        c.usdc,
        usdc(1000),
        put,
        e18(1),
        alice.from(),
    )
    .await
    .expect("up to the cap");
    let capped: E::NakedCapExceeded = refusal(
        c.write(
            &alice,
            2,
            VAULT_NAKED,
            c.usdc,
            usdc(1),
            put,
            e18(1),
            alice.from(),
        )
        .await,
    );
    assert_eq!((capped.exposure, capped.cap), (usdc(1001), usdc(1000)));
    // Fully collateralised vaults are not capped.
    c.write(
        &alice,
        2,
        VAULT_FULL,
        c.usdc,
        usdc(1000),
        put,
        e18(1) / U256::from(2),
        alice.from(),
    )
    .await
    .expect("full vaults are not capped");
}

#[tokio::test(flavor = "multi_thread")]
async fn adversarial_tokens_are_refused_or_harmless() {
    let h = Harness::start();
    let c = Clearinghouse::deploy(&h, 2000).await;
    let alice = h.deployer(1);
    let deposit = |asset, amount| {
        vec![
            (ACTION_OPEN, NO, NO, U256::from(VAULT_FULL)),
            (ACTION_DEPOSIT_COLLATERAL, asset, NO, amount),
        ]
    };
    let fee = deploy_evm(&c.admin, &fixture("FeeOnTransferToken"), &[])
        .await
        .unwrap();
    c.configure(fee, usdc(1000), usdc(1)).await;
    c.fund(&alice, fee, usdc(100)).await;
    let e: E::FeeOnTransferRefused = refusal(c.operate(&alice, 1, &deposit(fee, usdc(100))).await);
    assert_eq!((e.expected, e.received), (usdc(100), usdc(99)));

    let liar = deploy_evm(&c.admin, &fixture("FalseToken"), &[])
        .await
        .unwrap();
    c.configure(liar, usdc(1000), usdc(1)).await;
    c.fund(&alice, liar, usdc(100)).await;
    let e: E::TokenCallFailed = refusal(c.operate(&alice, 1, &deposit(liar, usdc(100))).await);
    assert_eq!(e.token, liar);

    // A token calling back into the escrow mid-transfer (to withdraw what it just deposited)
    // gets nowhere: the deposit stands, the callback is refused.
    let hook = deploy_evm(&c.admin, &fixture("ReentrantToken"), &[])
        .await
        .unwrap();
    c.configure(hook, usdc(1000), usdc(1)).await;
    c.fund(&alice, hook, usdc(100)).await;
    let withdraw = E::operateCall {
        owner: alice.from(),
        vaultId: U256::from(1),
        actions: vec![abi::escrow::Action {
            kind: ACTION_WITHDRAW_COLLATERAL,
            asset: hook,
            account: alice.from(),
            amount: usdc(100),
        }],
    };
    send(
        &alice,
        hook,
        IFixtures::armCall {
            target: c.escrow,
            data: withdraw.abi_encode().into(),
        },
    )
    .await
    .expect("armed");
    c.operate(&alice, 1, &deposit(hook, usdc(100)))
        .await
        .expect("deposit goes through");
    assert!(c
        .admin
        .view(hook, IFixtures::attemptedCall {})
        .await
        .unwrap());
    assert!(
        !c.admin
            .view(hook, IFixtures::reenteredCall {})
            .await
            .unwrap(),
        "callback refused"
    );
    assert_eq!(c.vault(alice.from(), 1).await.collateral, usdc(100));
    assert_eq!(c.balance(hook, c.escrow).await, usdc(100));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lying_feed_is_bounded_by_the_oracle() {
    let h = Harness::start();
    let c = Clearinghouse::deploy(&h, 2000).await;
    let (alice, carol) = (h.deployer(1), h.deployer(3));
    let put = c
        .series(true, 1800, expiry_after(now(&c.admin).await, 30))
        .await;
    c.fund(&alice, c.usdc, usdc(10_000)).await;
    c.write(
        &alice,
        1,
        VAULT_NAKED,
        c.usdc,
        usdc(700),
        put,
        e18(1),
        carol.from(),
    )
    .await
    .expect("naked put at an honest price");
    // The feed jumps 60% in one round: new naked mints stop (circuit breaker)...
    advance(&c.admin, 30).await;
    c.set_spot(3200).await;
    let refused = c
        .write(
            &alice,
            2,
            VAULT_NAKED,
            c.usdc,
            usdc(700),
            put,
            e18(1),
            carol.from(),
        )
        .await;
    match oracle_refusal(&c, refused) {
        IOracleAdapterErrors::PriceMoveTooLarge(e) => assert_eq!(e.asset, c.weth),
        other => panic!("expected the circuit breaker, got {other:?}"),
    }
    // ...while fully collateralised writing, which needs no price, carries on.
    c.write(
        &alice,
        2,
        VAULT_FULL,
        c.usdc,
        usdc(1800),
        put,
        e18(1),
        carol.from(),
    )
    .await
    .expect("full vaults need no price");
    // A feed answer outside its bounds is refused for margin and liquidation alike.
    advance(&c.admin, 30).await;
    send(
        &c.admin,
        c.feed,
        abi::oracle::IMockAggregator::updateAnswerCall {
            answer: alloy::primitives::I256::ZERO,
        },
    )
    .await
    .expect("the feed lies");
    let out = send(
        &carol,
        c.engine,
        M::liquidateCall {
            owner: alice.from(),
            vaultId: U256::from(1),
            amount: e18(1),
            to: carol.from(),
        },
    )
    .await;
    match oracle_refusal(&c, out) {
        IOracleAdapterErrors::NonPositivePrice(_) | IOracleAdapterErrors::QuorumNotMet(_) => {}
        other => panic!("expected a refused answer, got {other:?}"),
    }
    assert_eq!(c.vault(alice.from(), 1).await.collateral, usdc(700));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_solidity_contract_writes_puts_through_operate() {
    let h = Harness::start();
    let c = Clearinghouse::deploy(&h, 2000).await;
    let (alice, bob) = (h.deployer(1), h.deployer(2));
    let put = c
        .series(true, 1800, expiry_after(now(&c.admin).await, 7))
        .await;
    let writer = deploy_evm(
        &c.admin,
        &fixture("PutWriter"),
        &alloy::sol_types::SolValue::abi_encode(&c.escrow),
    )
    .await
    .unwrap();
    send(
        &c.admin,
        c.usdc,
        IFixtures::mintCall {
            to: alice.from(),
            amount: usdc(1800),
        },
    )
    .await
    .unwrap();
    send(
        &alice,
        c.usdc,
        IERC20::approveCall {
            spender: writer,
            value: usdc(1800),
        },
    )
    .await
    .unwrap();
    send(
        &alice,
        writer,
        IFixtures::writePutCall {
            cash: c.usdc,
            deposit: usdc(1800),
            option: put,
            amount: e18(1),
            buyer: bob.from(),
        },
    )
    .await
    .expect("one call: pull, open, deposit, mint");
    assert_eq!(c.balance(put, bob.from()).await, e18(1));
    let v = c.vault(writer, 1).await;
    assert_eq!(
        (v.collateral, v.shortOption, v.shortAmount),
        (usdc(1800), put, e18(1))
    );
}
