//! Upgrading the option factory behind its ERC-1967 proxy through governance, on the devnet over
//! JSON-RPC with the real WASM: v1 with open positions → v2 (one appended field, new functions)
//! by propose → 2-of-3 confirmations → timelock → execute; every series and position intact and
//! usable after; every way around that path refused; reinitialisation refused; and how nitro's
//! reentrancy flag treats a Stylus proxy delegate-calling a Stylus implementation.

use abi::governance::{proposal_state, IGovernance as G, GRACE_PERIOD};
use abi::option_factory::IOptionFactory as F;
use abi::option_token::IOptionToken as T;
use abi::proxy::{IInitializable::InvalidInitialization, IUpgradeableProxy as P};
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::signers::SignerSync;
use alloy::sol;
use alloy::sol_types::{eip712_domain, SolCall, SolError, SolEvent, SolStruct, SolValue};
use e2e::governance::{
    advance, allow_products, deploy_v2, e18, expiry, now, open, refusal, send, series_call,
    upgrade_call, GovernedFactory, IOptionFactoryV2 as V2,
};
use e2e::protocol::deploy_evm;

sol! {
    interface IReentrantSymbol {
        function symbol() external view returns (string);
    }
    struct Permit {
        address owner;
        address spender;
        uint256 value;
        uint256 nonce;
        uint256 deadline;
    }
}

const REENTRANT_SYMBOL_BIN: &str =
    include_str!("../fixtures/governance/artifacts/ReentrantSymbol.bin");

fn sign_permit(
    p: &GovernedFactory,
    name: String,
    chain_id: u64,
    token: Address,
    permit: &Permit,
) -> T::permitCall {
    let domain = eip712_domain! {
        name: name,
        version: abi::option_token::PERMIT_VERSION,
        chain_id: chain_id,
        verifying_contract: token,
    };
    let sig = p.harness.keys[6]
        .sign_hash_sync(&permit.eip712_signing_hash(&domain))
        .expect("signs");
    T::permitCall {
        owner: permit.owner,
        spender: permit.spender,
        value: permit.value,
        deadline: permit.deadline,
        v: 27 + u8::from(sig.v()),
        r: B256::from(sig.r()),
        s: B256::from(sig.s()),
    }
}

/// Words of the factory's root storage struct, from its storage-layout snapshot (v2 appends its
/// field right after them).
fn v1_root_slots() -> u64 {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../contracts/storage-layout/snapshots/option-factory.layout"
    );
    let snapshot = std::fs::read_to_string(path).expect("the factory's layout snapshot");
    snapshot
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("struct OptionFactory required_slots="))
        .and_then(|n| n.parse().ok())
        .expect("snapshot starts with the root struct")
}

/// Every word of the factory's v1 root as the proxy's account holds it.
async fn v1_slots(p: &GovernedFactory) -> Vec<U256> {
    let mut words = Vec::new();
    for slot in 0..v1_root_slots() {
        words.push(
            p.deployer
                .provider()
                .get_storage_at(p.factory.proxy, U256::from(slot))
                .await
                .expect("eth_getStorageAt"),
        );
    }
    words
}

/// Everything a user can observe of the factory and its series.
#[derive(Debug, PartialEq)]
struct Observed {
    admin: Address,
    implementation: Address,
    escrow: Address,
    count: U256,
    series: Vec<Address>,
    allowed: (bool, bool),
    balances: Vec<(U256, U256, U256)>,
    allowances: Vec<U256>,
    nonces: Vec<U256>,
}

async fn observe(p: &GovernedFactory, tokens: &[Address]) -> Observed {
    let f = p.factory.proxy;
    let d = &p.deployer;
    let count = d.view(f, F::seriesCountCall {}).await.unwrap();
    let mut series = Vec::new();
    for i in 0..count.to::<u64>() {
        series.push(
            d.view(
                f,
                F::seriesAtCall {
                    index: U256::from(i),
                },
            )
            .await
            .unwrap(),
        );
    }
    let allowed = |collateral, is_put| F::isProductAllowedCall {
        underlying: p.weth,
        strikeAsset: p.usdc,
        collateral,
        isPut: is_put,
    };
    let mut balances = Vec::new();
    let mut allowances = Vec::new();
    let mut nonces = Vec::new();
    for &token in tokens {
        let balance = |who| T::balanceOfCall { account: who };
        balances.push((
            d.view(token, balance(p.alice.from())).await.unwrap(),
            d.view(token, balance(p.bob.from())).await.unwrap(),
            d.view(token, T::totalSupplyCall {}).await.unwrap(),
        ));
        allowances.push(
            d.view(
                token,
                T::allowanceCall {
                    owner: p.alice.from(),
                    spender: p.bob.from(),
                },
            )
            .await
            .unwrap(),
        );
        nonces.push(
            d.view(
                token,
                T::noncesCall {
                    owner: p.alice.from(),
                },
            )
            .await
            .unwrap(),
        );
    }
    Observed {
        admin: d.view(f, F::adminCall {}).await.unwrap(),
        implementation: d.view(f, F::implementationCall {}).await.unwrap(),
        escrow: d.view(f, F::escrowCall {}).await.unwrap(),
        count,
        series,
        allowed: (
            d.view(f, allowed(p.weth, false)).await.unwrap(),
            d.view(f, allowed(p.usdc, true)).await.unwrap(),
        ),
        balances,
        allowances,
        nonces,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn upgrade_to_v2_keeps_every_series_and_position_usable() {
    let p = GovernedFactory::deploy().await;
    allow_products(&p).await;
    let t0 = now(&p.deployer).await;
    let (exp1, exp2) = (expiry(t0, 30), expiry(t0, 60));
    let call = open(&p, false, 3_000, exp1, e18(10)).await;
    let put = open(&p, true, 2_500, exp2, e18(4)).await;
    // Positions: a transfer, an allowance partly used, a permit.
    send(
        &p.alice,
        call,
        T::transferCall {
            to: p.bob.from(),
            value: e18(3),
        },
    )
    .await
    .unwrap();
    send(
        &p.alice,
        put,
        T::approveCall {
            spender: p.bob.from(),
            value: e18(2),
        },
    )
    .await
    .unwrap();
    send(
        &p.bob,
        put,
        T::transferFromCall {
            from: p.alice.from(),
            to: p.bob.from(),
            value: e18(1),
        },
    )
    .await
    .unwrap();
    let chain_id = p.deployer.provider().get_chain_id().await.unwrap();
    let name = p.deployer.view(call, T::nameCall {}).await.unwrap();
    let permit = Permit {
        owner: p.alice.from(),
        spender: p.bob.from(),
        value: e18(5),
        nonce: U256::ZERO,
        deadline: U256::from(t0 + 365 * 86_400),
    };
    send(
        &p.bob,
        call,
        sign_permit(&p, name.clone(), chain_id, call, &permit),
    )
    .await
    .unwrap();

    let tokens = [call, put];
    let before = observe(&p, &tokens).await;
    let slots_before = v1_slots(&p).await;
    assert_eq!(before.count, U256::from(2));
    assert_eq!(before.admin, p.gov.address);

    // v2: propose → confirm (2 of 3) → wait the delay → execute.
    let v2 = deploy_v2(&p).await;
    let data = upgrade_call(v2, V2::initializeV2Call {}.abi_encode());
    let (id, eta) = p.gov.propose(0, p.factory.proxy, &data).await.unwrap();
    assert!(p.gov.signers[0]
        .view(
            p.gov.address,
            G::isConfirmedCall {
                id,
                signer: p.gov.signers[0].from()
            }
        )
        .await
        .unwrap());
    p.gov.confirm(2, id).await.unwrap();
    p.gov.wait_for(eta).await;
    let receipt = p.gov.execute(1, id, &data).await.unwrap();
    let upgraded: Vec<_> = receipt
        .inner
        .logs()
        .iter()
        .filter_map(|l| P::Upgraded::decode_log_data(l.data()).ok())
        .collect();
    assert_eq!(upgraded, vec![P::Upgraded { implementation: v2 }]);
    let proposal = p
        .deployer
        .view(p.gov.address, G::getProposalCall { id })
        .await
        .unwrap();
    assert_eq!(proposal.state, proposal_state::EXECUTED);

    // Same storage, same answers, new code.
    let f = p.factory.proxy;
    assert_eq!(
        p.deployer
            .view(f, P::proxyImplementationCall {})
            .await
            .unwrap(),
        v2
    );
    assert_eq!(p.deployer.view(f, V2::versionCall {}).await.unwrap(), 2);
    assert_eq!(p.deployer.view(f, V2::pauseLevelCall {}).await.unwrap(), 0);
    assert_eq!(v1_slots(&p).await, slots_before, "no v1 word moved");
    assert_eq!(observe(&p, &tokens).await, before);
    for (i, token) in tokens.iter().enumerate() {
        let expiry = [exp1, exp2][i];
        let got = p
            .deployer
            .view(
                f,
                F::getSeriesCall {
                    underlying: p.weth,
                    strikeAsset: p.usdc,
                    collateral: if i == 0 { p.weth } else { p.usdc },
                    isPut: i == 1,
                    strikePrice: e18([3_000, 2_500][i]),
                    expiry,
                },
            )
            .await
            .unwrap();
        assert_eq!(got, *token);
        assert!(p
            .deployer
            .view(f, F::isSeriesCall { token: *token })
            .await
            .unwrap());
    }

    // Usable: the permit's allowance, the approval's remainder, transfers, minting, new series.
    send(
        &p.bob,
        call,
        T::transferFromCall {
            from: p.alice.from(),
            to: p.bob.from(),
            value: e18(5),
        },
    )
    .await
    .unwrap();
    send(
        &p.bob,
        put,
        T::transferFromCall {
            from: p.alice.from(),
            to: p.bob.from(),
            value: e18(1),
        },
    )
    .await
    .unwrap();
    send(
        &p.escrow,
        put,
        T::mintOptionsCall {
            to: p.alice.from(),
            amount: e18(1),
        },
    )
    .await
    .unwrap();
    let bal = |who| T::balanceOfCall { account: who };
    assert_eq!(
        p.deployer.view(call, bal(p.bob.from())).await.unwrap(),
        e18(8)
    );
    assert_eq!(
        p.deployer.view(put, bal(p.alice.from())).await.unwrap(),
        e18(3)
    );
    let third = open(&p, false, 3_500, exp1, e18(1)).await;
    assert_eq!(
        p.deployer
            .view(
                f,
                F::seriesAtCall {
                    index: U256::from(2)
                }
            )
            .await
            .unwrap(),
        third
    );
    // A duplicate is still refused by v1's code, now running under v2.
    let dup = refusal::<_, F::SeriesAlreadyExists>(
        send(&p.alice, f, series_call(&p, false, 3_000, exp1)).await,
    );
    assert_eq!(dup.token, call);

    // The appended field lands in the next slot; v1's words stay where they were.
    let pause = V2::pauseCall {
        level: abi::governance::PAUSE_PARTIAL,
    }
    .abi_encode();
    p.gov.enact(f, &pause).await;
    let appended = p
        .deployer
        .provider()
        .get_storage_at(f, U256::from(v1_root_slots()))
        .await
        .unwrap();
    assert_eq!(appended, U256::from(abi::governance::PAUSE_PARTIAL));
    // (admin, implementation and escrow; the series count grew with the third series.)
    assert_eq!(v1_slots(&p).await[..3], slots_before[..3]);

    // initializeV2 ran once: a second proposal to run it again fails inside the proxy.
    let again = upgrade_call(v2, V2::initializeV2Call {}.abi_encode());
    let failed = refusal::<_, G::ExecutionFailed>(p.gov.pass(f, &again).await.1);
    assert_eq!(
        InvalidInitialization::abi_decode(&failed.reason).unwrap(),
        InvalidInitialization {
            current: 2,
            requested: 2
        }
    );
    // The bare v2 implementation is locked.
    let locked = refusal::<_, InvalidInitialization>(
        send(
            &p.attacker,
            v2,
            F::initializeCall {
                admin: p.attacker.from(),
                implementation: p.attacker.from(),
                escrow: p.attacker.from(),
            },
        )
        .await,
    );
    assert_eq!(
        locked,
        InvalidInitialization {
            current: u64::MAX,
            requested: 1
        }
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn upgrades_outside_the_governed_path_are_refused() {
    let p = GovernedFactory::deploy().await;
    let v2 = deploy_v2(&p).await;
    let f = p.factory.proxy;
    let data = upgrade_call(v2, Vec::new());
    let upgrade = P::upgradeToAndCallCall {
        newImplementation: v2,
        data: Default::default(),
    };

    // Not the admin: an outsider, a signer, the guardian, each straight at the proxy.
    for who in [&p.attacker, &p.gov.signers[0], &p.gov.guardian] {
        let err = refusal::<_, P::ProxyUnauthorized>(send(who, f, upgrade.clone()).await);
        assert_eq!(
            err,
            P::ProxyUnauthorized {
                caller: who.from(),
                admin: p.gov.address
            }
        );
    }
    // Neither outsider nor guardian can propose, confirm or execute.
    for who in [&p.attacker, &p.gov.guardian] {
        let propose = G::proposeCall {
            target: f,
            value: U256::ZERO,
            data: data.clone().into(),
            eta: U256::from(now(who).await + p.gov.delay + 10),
        };
        let err = refusal::<_, G::NotSigner>(send(who, p.gov.address, propose).await);
        assert_eq!(err.caller, who.from());
    }
    let (id, first_eta) = p.gov.propose(0, f, &data).await.unwrap();
    for who in [&p.attacker, &p.gov.guardian] {
        refusal::<_, G::NotSigner>(send(who, p.gov.address, G::confirmCall { id }).await);
        refusal::<_, G::NotSigner>(
            send(
                who,
                p.gov.address,
                G::executeCall {
                    id,
                    data: data.clone().into(),
                },
            )
            .await,
        );
    }

    // A single signer: the proposer's own confirmation is one of two.
    p.gov.wait_for(first_eta).await;
    let err = refusal::<_, G::NotEnoughConfirmations>(p.gov.execute(0, id, &data).await);
    assert_eq!(
        err,
        G::NotEnoughConfirmations {
            id,
            confirmations: U256::from(1),
            threshold: U256::from(2)
        }
    );
    let twice = refusal::<_, G::AlreadyConfirmed>(p.gov.confirm(0, id).await);
    assert_eq!(twice.signer, p.gov.signers[0].from());

    // Before the delay: confirmed by two, executed too early.
    let (early, eta) = p.gov.propose(0, f, &data).await.unwrap();
    p.gov.confirm(1, early).await.unwrap();
    let err = refusal::<_, G::TimelockNotReady>(p.gov.execute(0, early, &data).await);
    assert_eq!(err.eta, U256::from(eta));
    assert!(err.timestamp < err.eta);
    // An eta shorter than the delay cannot even be proposed.
    let short = G::proposeCall {
        target: f,
        value: U256::ZERO,
        data: data.clone().into(),
        eta: U256::from(now(&p.deployer).await + p.gov.delay / 2),
    };
    refusal::<_, G::EtaOutOfRange>(send(&p.gov.signers[0], p.gov.address, short).await);
    // Other calldata than proposed.
    p.gov.wait_for(eta).await;
    let other = upgrade_call(p.factory.implementation, Vec::new());
    refusal::<_, G::DataMismatch>(p.gov.execute(0, early, &other).await);

    // After the grace period: expired, never executable.
    advance(&p.deployer, GRACE_PERIOD + 1).await;
    let err = refusal::<_, G::ProposalNotPending>(p.gov.execute(0, early, &data).await);
    assert_eq!(
        err,
        G::ProposalNotPending {
            id: early,
            state: proposal_state::EXPIRED
        }
    );
    assert_eq!(
        p.deployer
            .view(f, P::proxyImplementationCall {})
            .await
            .unwrap(),
        p.factory.implementation,
        "nothing above upgraded"
    );

    // Replayed: executed once, refused the second time.
    let (done, result) = p.gov.pass(f, &data).await;
    result.expect("the governed path upgrades");
    assert_eq!(
        p.deployer
            .view(f, P::proxyImplementationCall {})
            .await
            .unwrap(),
        v2
    );
    let err = refusal::<_, G::ProposalNotPending>(p.gov.execute(1, done, &data).await);
    assert_eq!(
        err,
        G::ProposalNotPending {
            id: done,
            state: proposal_state::EXECUTED
        }
    );

    // An implementation without code is refused by the proxy, inside the proposal.
    let bad = upgrade_call(p.attacker.from(), Vec::new());
    let failed = refusal::<_, G::ExecutionFailed>(p.gov.pass(f, &bad).await.1);
    assert_eq!(
        P::ProxyInvalidImplementation::abi_decode(&failed.reason).unwrap(),
        P::ProxyInvalidImplementation {
            implementation: p.attacker.from()
        }
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reinitialisation_is_refused_everywhere() {
    let p = GovernedFactory::deploy().await;
    let f = p.factory.proxy;
    let takeover = F::initializeCall {
        admin: p.attacker.from(),
        implementation: p.attacker.from(),
        escrow: p.attacker.from(),
    };
    // Through the proxy: initialised once already.
    let err = refusal::<_, InvalidInitialization>(send(&p.attacker, f, takeover.clone()).await);
    assert_eq!(
        err,
        InvalidInitialization {
            current: 1,
            requested: 1
        }
    );
    // The bare v1 implementation: locked by its constructor.
    let err = refusal::<_, InvalidInitialization>(
        send(&p.attacker, p.factory.implementation, takeover.clone()).await,
    );
    assert_eq!(
        err,
        InvalidInitialization {
            current: u64::MAX,
            requested: 1
        }
    );

    // An upgrade whose init call re-runs v1's initialiser (a governance mistake or a malicious
    // proposal): the guard refuses it inside the proxy, the whole upgrade reverts.
    let v2 = deploy_v2(&p).await;
    let data = upgrade_call(v2, takeover.abi_encode());
    let failed = refusal::<_, G::ExecutionFailed>(p.gov.pass(f, &data).await.1);
    assert_eq!(
        InvalidInitialization::abi_decode(&failed.reason).unwrap(),
        InvalidInitialization {
            current: 1,
            requested: 1
        }
    );
    assert_eq!(
        p.deployer
            .view(f, P::proxyImplementationCall {})
            .await
            .unwrap(),
        p.factory.implementation
    );
    assert_eq!(
        p.deployer.view(f, F::adminCall {}).await.unwrap(),
        p.gov.address
    );

    // initializeV2 is admin-only: after a plain upgrade an outsider cannot run it first.
    p.gov.enact(f, &upgrade_call(v2, Vec::new())).await;
    let err = refusal::<_, F::NotAdmin>(send(&p.attacker, f, V2::initializeV2Call {}).await);
    assert_eq!(
        err,
        F::NotAdmin {
            caller: p.attacker.from(),
            admin: p.gov.address
        }
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_callback_into_the_proxy_during_a_forwarded_call_is_refused_as_reentrant() {
    let p = GovernedFactory::deploy().await;
    let f = p.factory.proxy;
    // An asset whose symbol() calls the factory's `admin()` through the proxy.
    let probe = F::adminCall {}.abi_encode();
    let asset = deploy_evm(
        &p.deployer,
        REENTRANT_SYMBOL_BIN,
        &(f, probe).abi_encode_params(),
    )
    .await
    .expect("probe asset");
    // Called on its own, the callback reaches the factory: one frame at the proxy's address.
    let alone = p
        .deployer
        .view(asset, IReentrantSymbol::symbolCall {})
        .await
        .unwrap();
    assert_eq!(alone, "INOK");

    // governance (Stylus) → proxy (Stylus, CALL) → v1 (Stylus, DELEGATECALL) → asset (EVM,
    // STATICCALL) → proxy again (STATICCALL): the outer path runs, the inner call is refused.
    let allow = F::allowProductCall {
        underlying: asset,
        strikeAsset: p.usdc,
        collateral: p.usdc,
        isPut: true,
    };
    let receipt = p.gov.enact(f, &allow.abi_encode()).await;
    let updated: Vec<_> = receipt
        .inner
        .logs()
        .iter()
        .filter_map(|l| F::ProductUpdated::decode_log_data(l.data()).ok())
        .collect();
    assert_eq!(updated.len(), 1);
    assert_eq!(
        updated[0].underlyingSymbol, "INREV",
        "the proxy's entrypoint saw msg_reentrant and reverted the callback"
    );
    assert_eq!(updated[0].strikeSymbol, "USDC");
}
