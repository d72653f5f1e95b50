//! Governance owning the clearinghouse on the devnet (real WASM behind proxies, the real oracles
//! over a Chainlink-compatible feed): every admin role handed to a 2-of-3 governance; risk
//! parameters changed only by proposals and only within their bounds; the circuit breaker's
//! bound set by governance stops new naked mints while settlement and redemption carry on; the
//! guardian raises the escrow's pause at once and only governance lowers it.

use abi::escrow::{
    ICollateralEscrow as E, IEscrowRegistry as R, IMarginEngine as M, MAX_AUCTION_DISCOUNT,
    MAX_AUCTION_DURATION, MIN_SHOCK, VAULT_FULL, VAULT_NAKED,
};
use abi::governance::IGovernance as G;
use abi::option_factory::IOptionFactory as F;
use abi::oracle::{
    IExpiryOracle, IOracleAdapter as O, IOracleAdapter::IOracleAdapterErrors, MAX_MAX_ROUND_MOVE,
    MIN_MAX_ROUND_MOVE,
};
use abi::proxy::IUpgradeableProxy as P;
use alloy::primitives::{Address, U256};
use alloy::sol_types::{SolCall, SolError, SolInterface};
use deploy::Deployer;
use e2e::escrow::{e18, expiry_after, usdc, Clearinghouse};
use e2e::governance::{
    advance, deploy_governance, now, refusal, send, upgrade_call, Governance, DELAY,
};
use e2e::Harness;

/// The oracle's own refusal, as the escrow passes it on (`ExternalCallReverted`).
fn oracle_refusal<T: std::fmt::Debug>(
    c: &Clearinghouse,
    result: Result<T, deploy::DeployError>,
) -> IOracleAdapterErrors {
    let e: E::ExternalCallReverted = refusal(result);
    assert_eq!(e.target, c.oracle);
    IOracleAdapterErrors::abi_decode(&e.reason)
        .unwrap_or_else(|_| panic!("an oracle error: {}", deploy::describe(&e.reason)))
}

/// `configureAsset` for the single WETH/USD feed with circuit-breaker bound `max_round_move`.
fn breaker(c: &Clearinghouse, max_round_move: U256) -> Vec<u8> {
    O::configureAssetCall {
        asset: c.weth,
        feedCount: U256::from(1),
        quorum: U256::from(1),
        maxDeviation: U256::from(10u64).pow(U256::from(16)),
        maxRoundMove: max_round_move,
    }
    .abi_encode()
}

fn percent(p: u64) -> U256 {
    U256::from(p) * U256::from(10u64).pow(U256::from(16))
}

/// Governance (signers 4–6, guardian 7) takes every admin role of the clearinghouse from the
/// deployer (account 0), proxies included.
async fn hand_over(h: &Harness, c: &Clearinghouse) -> Governance {
    let signers: Vec<Deployer> = (4..=6).map(|i| h.deployer(i)).collect();
    let guardian = h.deployer(7);
    let addresses: Vec<Address> = signers.iter().map(Deployer::from).collect();
    let address = deploy_governance(&c.admin, &addresses, 2, DELAY, guardian.from())
        .await
        .expect("governance deploys");
    for proxy in [
        c.registry,
        c.oracle,
        c.expiry_oracle,
        c.escrow,
        c.engine,
        c.factory.proxy,
    ] {
        send(&c.admin, proxy, P::changeAdminCall { newAdmin: address })
            .await
            .expect("proxy admin handed over");
    }
    let d = &c.admin;
    send(d, c.registry, R::setAdminCall { newAdmin: address })
        .await
        .unwrap();
    send(d, c.oracle, O::setAdminCall { newAdmin: address })
        .await
        .unwrap();
    send(
        d,
        c.expiry_oracle,
        IExpiryOracle::setAdminCall { newAdmin: address },
    )
    .await
    .unwrap();
    send(d, c.factory.proxy, F::setAdminCall { newAdmin: address })
        .await
        .unwrap();
    Governance {
        address,
        signers,
        guardian,
        delay: DELAY,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn governance_bounds_the_risk_parameters_and_the_breaker_stops_only_mints() {
    let h = Harness::start();
    let c = Clearinghouse::deploy(&h, 2000).await;
    let gov = hand_over(&h, &c).await;
    let (alice, bob) = (h.deployer(1), h.deployer(2));
    for proxy in [c.registry, c.oracle, c.escrow, c.engine, c.factory.proxy] {
        assert_eq!(
            c.admin.view(proxy, P::proxyAdminCall {}).await.unwrap(),
            gov.address
        );
    }

    // The deployer is out; a signer alone is not governance either.
    let tighten = breaker(&c, percent(10));
    for who in [&c.admin, &gov.signers[0]] {
        let err: O::NotAdmin =
            refusal(e2e::governance::send_raw(who, c.oracle, tighten.clone()).await);
        assert_eq!(err.caller, who.from());
    }

    // Bounded parameters: values outside the documented range fail inside the proposal, in the
    // contract that uses them, even with every confirmation.
    let too_wide = breaker(&c, U256::from(MAX_MAX_ROUND_MOVE) + U256::from(1));
    let failed: G::ExecutionFailed = refusal(gov.pass(c.oracle, &too_wide).await.1);
    assert_eq!(
        O::ParameterOutOfBounds::abi_decode(&failed.reason).unwrap(),
        O::ParameterOutOfBounds {
            value: U256::from(MAX_MAX_ROUND_MOVE) + U256::from(1),
            min: U256::from(MIN_MAX_ROUND_MOVE),
            max: U256::from(MAX_MAX_ROUND_MOVE)
        }
    );
    let registry_out_of_bounds: Vec<Vec<u8>> = vec![
        R::setAuctionParametersCall {
            duration: MAX_AUCTION_DURATION + 1,
            discount: U256::from(MAX_AUCTION_DISCOUNT),
        }
        .abi_encode(),
        R::setRiskParametersCall {
            underlying: c.weth,
            shock: U256::from(MIN_SHOCK) - U256::from(1),
            maxTimes: vec![7 * 86_400],
            upperBounds: vec![e18(1) / U256::from(10)],
        }
        .abi_encode(),
    ];
    for data in registry_out_of_bounds {
        let failed: G::ExecutionFailed = refusal(gov.pass(c.registry, &data).await.1);
        R::ParameterOutOfBounds::abi_decode(&failed.reason)
            .unwrap_or_else(|_| panic!("bounded: {}", deploy::describe(&failed.reason)));
    }

    // Governance tightens the breaker from the deployment's 20% to 10%.
    gov.enact(c.oracle, &tighten).await;
    assert_eq!(
        c.admin
            .view(c.oracle, O::getAssetConfigCall { asset: c.weth })
            .await
            .unwrap()
            .maxRoundMove,
        percent(10)
    );

    // A naked put at an honest price.
    c.keep_fresh().await;
    let expiry = expiry_after(now(&c.admin).await, 7);
    let put = c.series(true, 1800, expiry).await;
    c.fund(&alice, c.usdc, usdc(10_000)).await;
    c.write(
        &alice,
        1,
        VAULT_NAKED,
        c.usdc,
        usdc(700),
        put,
        e18(1),
        bob.from(),
    )
    .await
    .expect("naked put at an honest price");
    // A 15% round: inside the deployment's bound, outside governance's: new naked mints stop.
    advance(&c.admin, 30).await;
    c.set_spot(2300).await;
    let refused = c
        .write(
            &alice,
            2,
            VAULT_NAKED,
            c.usdc,
            usdc(700),
            put,
            e18(1),
            bob.from(),
        )
        .await;
    match oracle_refusal(&c, refused) {
        IOracleAdapterErrors::PriceMoveTooLarge(e) => {
            assert_eq!((e.asset, e.maxMove), (c.weth, percent(10)))
        }
        other => panic!("expected the circuit breaker, got {other:?}"),
    }

    // The guardian raises the escrow's pause at once (a proposal made it the registry's
    // guardian); it cannot lower it; governance does, by proposal.
    gov.enact(
        c.registry,
        &R::setGuardianCall {
            newGuardian: gov.guardian.from(),
        }
        .abi_encode(),
    )
    .await;
    c.keep_fresh().await;
    send(
        &gov.guardian,
        c.registry,
        R::setPauseCall {
            partiallyPaused: true,
            fullyPaused: false,
        },
    )
    .await
    .expect("the guardian pauses at once");
    let paused: E::SystemPaused = refusal(
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
        .await,
    );
    assert!(paused.partiallyPaused);
    let lower = R::setPauseCall {
        partiallyPaused: false,
        fullyPaused: false,
    };
    let err: R::Unauthorized = refusal(send(&gov.guardian, c.registry, lower.clone()).await);
    assert_eq!(err.caller, gov.guardian.from());

    // Upgrades of the escrow, its engine and the oracle go through governance too, and move no
    // vault: each proxy is pointed at a fresh deployment of its implementation.
    let vault = c.vault(alice.from(), 1).await;
    for (proxy, package) in [
        (c.escrow, "collateral-escrow"),
        (c.engine, "margin-engine"),
        (c.oracle, "oracle-adapter"),
    ] {
        let fresh = c
            .admin
            .deploy_with_constructor(
                &e2e::artifact(package).code,
                e2e::protocol::constructor_call(&[]),
                U256::ZERO,
                alloy::primitives::B256::ZERO,
            )
            .await
            .expect("implementation deploys")
            .address;
        gov.enact(proxy, &upgrade_call(fresh, Vec::new())).await;
        assert_eq!(
            c.admin
                .view(proxy, P::proxyImplementationCall {})
                .await
                .unwrap(),
            fresh
        );
    }
    let after = c.vault(alice.from(), 1).await;
    assert_eq!(
        (after.collateral, after.shortAmount, after.vaultType),
        (vault.collateral, vault.shortAmount, vault.vaultType)
    );

    // Settlement and redemption never stop: neither for the breaker nor for the pause.
    c.settle_price(expiry, 1700).await;
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
    .expect("redeemed while paused and after the breaker tripped");
    assert_eq!(c.balance(c.usdc, bob.from()).await, usdc(100));
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
    .expect("settled while paused");
    assert_eq!(c.balance(c.usdc, alice.from()).await, usdc(10_000 - 100));

    gov.enact(c.registry, &lower.abi_encode()).await;
    let paused = c.admin.view(c.registry, R::pausedCall {}).await.unwrap();
    assert!(!paused.partiallyPaused && !paused.fullyPaused);
}
