//! Governance on the devnet over JSON-RPC with the real WASM: the guardian pauses at once and
//! can do nothing else; governance unpauses through a proposal; signers, threshold, delay and
//! guardian change only through proposals and only within their bounds.

use abi::governance::{
    proposal_state, IGovernance as G, IGovernanceSelf as S, IPausable, MAX_DELAY, MIN_DELAY,
    PAUSE_FULL, PAUSE_PARTIAL,
};
use abi::option_factory::IOptionFactory as F;
use abi::option_token::IOptionToken as T;
use alloy::primitives::{Address, U256};
use alloy::sol_types::{SolCall, SolEvent};
use e2e::governance::{
    allow_products, deploy_v2, e18, expiry, now, open, refusal, revert_data, send, send_raw,
    series_call, upgrade_call, GovernedFactory, IOptionFactoryV2 as V2,
};

#[tokio::test(flavor = "multi_thread")]
async fn guardian_pauses_at_once_and_only_governance_or_guardian_unpause() {
    let p = GovernedFactory::deploy().await;
    let (f, gov, guardian) = (p.factory.proxy, p.gov.address, &p.gov.guardian);
    allow_products(&p).await;
    let v2 = deploy_v2(&p).await;
    p.gov
        .enact(f, &upgrade_call(v2, V2::initializeV2Call {}.abi_encode()))
        .await;
    let exp = expiry(now(&p.deployer).await, 30);
    let token = open(&p, false, 3_000, exp, e18(5)).await;
    let pause = |level| G::guardianPauseCall { target: f, level };

    // Only registered targets, and registering is a proposal (not a function of governance).
    let err = refusal::<_, G::NotPausable>(send(guardian, gov, pause(PAUSE_PARTIAL)).await);
    assert_eq!(err, G::NotPausable { target: f });
    let register = S::setPausableCall {
        target: f,
        allowed: true,
    }
    .abi_encode();
    let direct = revert_data(send_raw(&p.gov.signers[0], gov, register.clone()).await);
    assert!(direct.is_empty(), "no such function on governance");
    p.gov.enact(gov, &register).await;
    assert!(p
        .deployer
        .view(gov, G::isPausableCall { target: f })
        .await
        .unwrap());

    // Only the guardian, only the two pause levels.
    for who in [&p.gov.signers[0], &p.attacker] {
        let err = refusal::<_, G::NotGuardian>(send(who, gov, pause(PAUSE_PARTIAL)).await);
        assert_eq!(
            err,
            G::NotGuardian {
                caller: who.from(),
                guardian: guardian.from()
            }
        );
    }
    for level in [0, 3] {
        let err = refusal::<_, G::InvalidPauseLevel>(send(guardian, gov, pause(level)).await);
        assert_eq!(err.level, level);
    }
    // Nobody but governance reaches the factory's pause directly, the guardian included.
    for who in [guardian, &p.gov.signers[0]] {
        let err =
            refusal::<_, F::NotAdmin>(send(who, f, V2::pauseCall { level: PAUSE_FULL }).await);
        assert_eq!(err.admin, gov);
    }

    // The guardian pauses at once (no proposal, no delay).
    let receipt = send(guardian, gov, pause(PAUSE_PARTIAL)).await.unwrap();
    let events: Vec<_> = receipt
        .inner
        .logs()
        .iter()
        .filter_map(|l| G::GuardianPaused::decode_log_data(l.data()).ok())
        .collect();
    assert_eq!(
        events,
        vec![G::GuardianPaused {
            guardian: guardian.from(),
            target: f,
            level: PAUSE_PARTIAL
        }]
    );
    assert_eq!(
        p.deployer.view(f, V2::pauseLevelCall {}).await.unwrap(),
        PAUSE_PARTIAL
    );
    let err = refusal::<_, IPausable::EnforcedPause>(
        send(&p.alice, f, series_call(&p, true, 2_500, exp)).await,
    );
    assert_eq!(err.level, PAUSE_PARTIAL);
    // Existing positions keep working while paused.
    send(
        &p.alice,
        token,
        T::transferCall {
            to: p.bob.from(),
            value: e18(2),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        p.deployer
            .view(f, F::seriesAtCall { index: U256::ZERO })
            .await
            .unwrap(),
        token
    );

    // Governance lifts the pause through a proposal (delay and two signers, as for everything).
    p.gov.enact(f, &V2::unpauseCall {}.abi_encode()).await;
    assert_eq!(p.deployer.view(f, V2::pauseLevelCall {}).await.unwrap(), 0);
    send(&p.alice, f, series_call(&p, true, 2_500, exp))
        .await
        .expect("series again after unpause");

    // The guardian may also lift its own pause at once (pause is the only harm it can do, and
    // undoing a mistaken pause must not wait for the timelock).
    send(guardian, gov, pause(PAUSE_FULL)).await.unwrap();
    assert_eq!(
        p.deployer.view(f, V2::pauseLevelCall {}).await.unwrap(),
        PAUSE_FULL
    );
    send(guardian, gov, G::guardianUnpauseCall { target: f })
        .await
        .unwrap();
    assert_eq!(p.deployer.view(f, V2::pauseLevelCall {}).await.unwrap(), 0);

    // The guardian can stop a pending proposal, never run one.
    let data = upgrade_call(p.factory.implementation, Vec::new());
    let (id, eta) = p.gov.propose(0, f, &data).await.unwrap();
    p.gov.confirm(1, id).await.unwrap();
    refusal::<_, G::NotSigner>(
        send(
            guardian,
            gov,
            G::executeCall {
                id,
                data: data.clone().into(),
            },
        )
        .await,
    );
    send(guardian, gov, G::cancelCall { id }).await.unwrap();
    p.gov.wait_for(eta).await;
    let err = refusal::<_, G::ProposalNotPending>(p.gov.execute(0, id, &data).await);
    assert_eq!(err.state, proposal_state::CANCELLED);
    assert_eq!(
        p.deployer
            .view(f, abi::proxy::IUpgradeableProxy::proxyImplementationCall {})
            .await
            .unwrap(),
        v2
    );
    // Deregistered by proposal, the target is out of the guardian's reach again.
    let deregister = S::setPausableCall {
        target: f,
        allowed: false,
    }
    .abi_encode();
    p.gov.enact(gov, &deregister).await;
    refusal::<_, G::NotPausable>(send(guardian, gov, pause(PAUSE_PARTIAL)).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn signers_threshold_delay_and_guardian_change_only_through_bounded_proposals() {
    let mut p = GovernedFactory::deploy().await;
    let gov = p.gov.address;
    let newcomer = p.harness.deployer(9);

    // Not functions of governance: a signer calling them directly is refused.
    let direct: Vec<Vec<u8>> = vec![
        S::addSignerCall {
            signer: newcomer.from(),
        }
        .abi_encode(),
        S::removeSignerCall {
            signer: p.gov.signers[2].from(),
        }
        .abi_encode(),
        S::changeThresholdCall {
            threshold: U256::from(3),
        }
        .abi_encode(),
        S::changeDelayCall {
            delay: U256::from(MIN_DELAY * 2),
        }
        .abi_encode(),
        S::setGuardianCall {
            guardian: p.attacker.from(),
        }
        .abi_encode(),
    ];
    for data in &direct {
        let reverted = revert_data(send_raw(&p.gov.signers[0], gov, data.clone()).await);
        assert!(reverted.is_empty());
    }

    // Through proposals: a fourth signer, then a threshold of 3.
    p.gov
        .enact(
            gov,
            &S::addSignerCall {
                signer: newcomer.from(),
            }
            .abi_encode(),
        )
        .await;
    p.gov.signers.push(newcomer);
    let signers = p.deployer.view(gov, G::getSignersCall {}).await.unwrap();
    assert_eq!(signers.len(), 4);
    p.gov
        .enact(
            gov,
            &S::changeThresholdCall {
                threshold: U256::from(3),
            }
            .abi_encode(),
        )
        .await;
    assert_eq!(
        p.deployer.view(gov, G::thresholdCall {}).await.unwrap(),
        U256::from(3)
    );
    // Two confirmations no longer pass anything; a third does.
    let back_to_two = S::changeThresholdCall {
        threshold: U256::from(2),
    }
    .abi_encode();
    let (id, result) = p.gov.pass(gov, &back_to_two).await;
    let err = refusal::<_, G::NotEnoughConfirmations>(result);
    assert_eq!(
        (err.confirmations, err.threshold),
        (U256::from(2), U256::from(3))
    );
    p.gov.confirm(3, id).await.unwrap();
    p.gov.execute(0, id, &back_to_two).await.unwrap();
    assert_eq!(
        p.deployer.view(gov, G::thresholdCall {}).await.unwrap(),
        U256::from(2)
    );

    // Bounds hold even for a proposal every signer confirmed.
    let out_of_bounds = |threshold: u64| {
        S::changeThresholdCall {
            threshold: U256::from(threshold),
        }
        .abi_encode()
    };
    for threshold in [1, 5] {
        let err =
            refusal::<_, G::InvalidThreshold>(p.gov.pass(gov, &out_of_bounds(threshold)).await.1);
        assert_eq!(err.threshold, U256::from(threshold));
        assert_eq!(err.signerCount, U256::from(4));
    }
    for delay in [MIN_DELAY - 1, MAX_DELAY + 1] {
        let data = S::changeDelayCall {
            delay: U256::from(delay),
        }
        .abi_encode();
        let err = refusal::<_, G::DelayOutOfBounds>(p.gov.pass(gov, &data).await.1);
        assert_eq!(
            err,
            G::DelayOutOfBounds {
                delay: U256::from(delay),
                minDelay: U256::from(MIN_DELAY),
                maxDelay: U256::from(MAX_DELAY)
            }
        );
    }

    // A removed signer's confirmation stops counting, and they can no longer propose.
    let change_delay = S::changeDelayCall {
        delay: U256::from(MIN_DELAY * 2),
    }
    .abi_encode();
    let (pending, _) = p.gov.propose(3, gov, &change_delay).await.unwrap();
    let removed = p.gov.signers[3].from();
    let remove = S::removeSignerCall { signer: removed }.abi_encode();
    p.gov.enact(gov, &remove).await;
    assert!(!p
        .deployer
        .view(gov, G::isSignerCall { account: removed })
        .await
        .unwrap());
    p.gov.confirm(0, pending).await.unwrap();
    p.gov.signers.pop();
    let err =
        refusal::<_, G::NotEnoughConfirmations>(p.gov.execute(0, pending, &change_delay).await);
    assert_eq!(err.confirmations, U256::from(1));
    p.gov.confirm(1, pending).await.unwrap();
    p.gov.execute(0, pending, &change_delay).await.unwrap();
    assert_eq!(
        p.deployer.view(gov, G::delayCall {}).await.unwrap(),
        U256::from(MIN_DELAY * 2)
    );
    p.gov.delay = MIN_DELAY * 2;

    // Removing a signer below the threshold is refused; a new guardian replaces the old one.
    p.gov
        .enact(
            gov,
            &S::changeThresholdCall {
                threshold: U256::from(3),
            }
            .abi_encode(),
        )
        .await;
    let remove = S::removeSignerCall {
        signer: p.gov.signers[2].from(),
    }
    .abi_encode();
    let (id, eta) = p.gov.propose(0, gov, &remove).await.unwrap();
    p.gov.confirm(1, id).await.unwrap();
    p.gov.confirm(2, id).await.unwrap();
    p.gov.wait_for(eta).await;
    let err = refusal::<_, G::InvalidThreshold>(p.gov.execute(0, id, &remove).await);
    assert_eq!(
        (err.threshold, err.signerCount),
        (U256::from(3), U256::from(2))
    );
    let old_guardian = p.gov.guardian.from();
    let new_guardian: Address = p.attacker.from();
    let set_guardian = S::setGuardianCall {
        guardian: new_guardian,
    }
    .abi_encode();
    let (id, eta) = p.gov.propose(0, gov, &set_guardian).await.unwrap();
    p.gov.confirm(1, id).await.unwrap();
    p.gov.confirm(2, id).await.unwrap();
    p.gov.wait_for(eta).await;
    p.gov.execute(0, id, &set_guardian).await.unwrap();
    assert_eq!(
        p.deployer.view(gov, G::guardianCall {}).await.unwrap(),
        new_guardian
    );
    let err = refusal::<_, G::NotSignerOrGuardian>(
        send(&p.gov.guardian, gov, G::cancelCall { id: U256::from(1) }).await,
    );
    assert_eq!(err.caller, old_guardian);
}
