//! Finding the expiry round on a real (mock) Chainlink feed over JSON-RPC: the `mock-aggregator`
//! program on the devnet with several phases, read through `getRoundData`/`latestRoundData`
//! exactly as the keeper reads a Chainlink proxy on Arbitrum. Only the current phase proves
//! (the expiry oracle's rule); an expiry older than its first round's predecessor is left to the
//! disputer's fallback.

use abi::chainlink::join_round_id;
use abi::oracle::IMockAggregator as Mock;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, I256, U256};
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use deploy::Deployer;
use e2e::{artifact, Harness};
use keeper::agent::ChainRounds;
use keeper::expiry::{first_round_after, Found, Round};
use keeper::retry::Backoff;

async fn send<C: SolCall>(d: &Deployer, to: Address, call: C) {
    d.send(
        TransactionRequest::default()
            .with_from(d.from())
            .with_to(to)
            .with_input(call.abi_encode()),
    )
    .await
    .unwrap_or_else(|e| panic!("{}: {e}", C::SIGNATURE));
}

#[tokio::test(flavor = "multi_thread")]
async fn first_round_after_expiry_across_phases_on_the_devnet() {
    let harness = Harness::start();
    let d = harness.deployer(0);
    let feed = d
        .deploy_program(&artifact("mock-aggregator").code)
        .await
        .expect("mock aggregator deploys")
        .address;
    send(
        &d,
        feed,
        Mock::initializeCall {
            decimals: 8,
            description: "ETH / USD".into(),
        },
    )
    .await;
    let push = |t: u64| Mock::pushRoundCall {
        answer: I256::try_from(200_000_000_000_i64).unwrap(),
        startedAt: U256::from(t),
        updatedAt: U256::from(t),
    };
    // Phase 1 (the first, from initialisation): rounds at 1000..1400; phase 2: 1600, 1700;
    // phase 3: 2000..2200.
    for t in [1_000, 1_100, 1_200, 1_300, 1_400] {
        send(&d, feed, push(t)).await;
    }
    send(&d, feed, Mock::startNewPhaseCall {}).await;
    for t in [1_600, 1_700] {
        send(&d, feed, push(t)).await;
    }
    send(&d, feed, Mock::startNewPhaseCall {}).await;
    for t in [2_000, 2_100, 2_200] {
        send(&d, feed, push(t)).await;
    }
    let provider = d.provider().clone();
    let rounds = ChainRounds {
        provider: &provider,
        feed,
        backoff: Backoff::default(),
    };
    let at = |phase: u16, n: u64, t: u64| {
        Found::Round(Round {
            id: join_round_id(phase, n),
            updated_at: t,
        })
    };
    let find = |expiry: u64| first_round_after(&rounds, expiry);
    assert_eq!(find(1_800).await.unwrap(), at(3, 1, 2_000));
    assert_eq!(find(2_100).await.unwrap(), at(3, 2, 2_100));
    assert_eq!(find(2_300).await.unwrap(), Found::NotYet);
    // In earlier phases (or before the feed's first round): the current phase's first round
    // has a predecessor (phase 2's last, 1700) at or after the expiry, so nothing proves.
    for expiry in [900, 1_250, 1_500, 1_650, 1_700] {
        assert!(
            matches!(
                find(expiry).await.unwrap(),
                Found::Unprovable(r) if r.id == join_round_id(3, 1)
            ),
            "{expiry}"
        );
    }
}
