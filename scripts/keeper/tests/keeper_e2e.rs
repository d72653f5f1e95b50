//! The keeper against the whole protocol on the devnet, over JSON-RPC: deployed by the deployment
//! plan (`deploy::plan::protocol`, without handing the admin roles to governance so the test can
//! configure it), a naked put vault, a price crash on the mock Chainlink feed.
//!
//! - the crash makes the vault liquidatable; the keeper waits while the Dutch auction pays less
//!   than the options it gives up, then liquidates within one tick of profitability, using
//!   option tokens it writes itself, in the same tick, in its own fully collateralised vault;
//! - a restarted keeper resumes from its checkpoint with the same view as one built from scratch,
//!   and that view agrees with the escrow's own records;
//! - two keepers racing for one vault: one liquidates, the other sends nothing that reverts;
//! - after expiry it finds the first round after it and the expiry oracle accepts it; after the
//!   dispute period it settles the vault it looks after.
//!
//! Prints the time and gas from the price update to the liquidation.

mod common;

use abi::oracle::IExpiryOracle;
use alloy::primitives::U256;
use alloy::providers::Provider;
use common::*;
use deploy::Deployer;
use e2e::Harness;
use keeper::agent::{Keeper, Tick};
use keeper::follower::{FollowConfig, Follower};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn crash_liquidation_restart_race_expiry_and_settlement() {
    let w = world(Harness::start()).await;
    let writer = w.harness.deployer(3);
    let (key_a, key_b) = (w.harness.keys[4].clone(), w.harness.keys[5].clone());
    let (keeper_a, keeper_b) = (w.harness.deployer(4), w.harness.deployer(5));
    w.set_price(2_000).await;
    // Naked put K=2000 at S=2000: shock 0.5, UB 10% -> 0.1*1000 + 1000 = 1100 USDC required.
    w.open(&writer, true, usdc(1_200), 1).await;
    // Keeper A holds no options, only USDC: it writes the options it liquidates with in its
    // own full vault (2000 USDC per put). Keeper B holds one, minted beforehand.
    send(
        &keeper_a,
        w.usdc,
        IMockERC20::mintCall {
            to: keeper_a.from(),
            value: usdc(4_000),
        },
    )
    .await;
    w.open(&keeper_b, false, usdc(2_000), 1).await;

    let state_a = temp("a");
    let mut a = w.keeper(&key_a, state_a.clone()).await;
    let t: Tick = a.tick().await.unwrap();
    assert_eq!((t.liquidatable, t.liquidations.len()), (0, 0));

    // The crash: S=1000 -> 0.1*500 + 1500 = 1550 > 1200.
    advance(&w.provider, 60).await;
    let crash_started = Instant::now();
    let crash = w.set_price(1_000).await;
    let t = a.tick().await.unwrap();
    assert_eq!(t.liquidatable, 1);
    // The auction starts at cash (1000) less 5% of spot (50) = 950 per option: less than the
    // option is worth, so the keeper waits.
    assert!(t.liquidations.is_empty());
    assert_eq!(w.short_of(writer.from(), 1).await.1, e18(1));

    // Restart in the middle: the new keeper resumes from the checkpoint and nonce file.
    drop(a);
    let mut a = w.keeper(&key_a, state_a.clone()).await;

    // 15 minutes on: 950 + 250 * 900 / 3600 = 1012.5 per option, above 1000 + gas + 1.
    advance(&w.provider, 900).await;
    // A dry-run keeper (B's key and inventory) logs the liquidation and sends nothing.
    {
        let mut config = w.config(temp("dry"));
        config.dry_run = true;
        let provider = keeper::cli::connect(&w.harness.url, Duration::from_secs(10)).unwrap();
        let mut dry = Keeper::open(provider, key_b.clone(), config).await.unwrap();
        let before = w
            .provider
            .get_transaction_count(keeper_b.from())
            .await
            .unwrap();
        let t = dry.tick().await.unwrap();
        assert_eq!((t.liquidatable, t.liquidations.len()), (1, 0));
        assert_eq!(
            w.provider
                .get_transaction_count(keeper_b.from())
                .await
                .unwrap(),
            before
        );
        assert_eq!(w.short_of(writer.from(), 1).await.1, e18(1));
    }
    let react = Instant::now();
    let t = a.tick().await.unwrap();
    let reaction = react.elapsed();
    assert_eq!(t.liquidations.len(), 1, "{t:?}");
    let l = &t.liquidations[0];
    assert_eq!(l.vault, (writer.from(), U256::from(1)));
    assert_eq!(l.amount, e18(1));
    assert!(l.collateral_paid >= usdc(1_012) && l.collateral_paid <= usdc(1_013));
    assert_eq!(w.short_of(writer.from(), 1).await.1, U256::ZERO);
    // The option repaid was written in the same tick, in A's own fully collateralised vault.
    assert_eq!(t.written, e18(1));
    assert_eq!(w.short_of(keeper_a.from(), 1).await, (usdc(2_000), e18(1)));
    let blocks = l.block - crash.block_number.unwrap();
    println!(
        "keeper: price update -> liquidation: {blocks} blocks, {} keeper ticks, {:.0} ms wall \
         (of which the liquidating tick {:.0} ms), liquidation gas {}",
        2,
        crash_started.elapsed().as_secs_f64() * 1e3,
        reaction.as_secs_f64() * 1e3,
        l.gas_used
    );
    // The crash, the clock moved on, then approve, write and liquidate in the keeper's tick.
    assert!(blocks <= 6, "{blocks} blocks");

    // The view after a restart equals one read from scratch, and agrees with the escrow.
    let tick_again = a.tick().await.unwrap();
    assert!(tick_again.liquidations.is_empty());
    let provider = keeper::cli::connect(&w.harness.url, Duration::from_secs(10)).unwrap();
    let mut scratch = Follower::open(
        provider,
        FollowConfig {
            addresses: a.follower().config().addresses.clone(),
            start_block: 0,
            confirmations: 0,
            max_range: 5,
            checkpoint: None,
            backoff: Default::default(),
        },
    )
    .unwrap();
    scratch.catch_up().await.unwrap();
    let mut resumed = a.follower().state.view.clone();
    resumed.last_applied = scratch.state.view.last_applied;
    assert_eq!(scratch.state.view.vaults, resumed.vaults);
    assert_eq!(scratch.state.view.series, resumed.series);
    for ((owner, id), v) in &scratch.state.view.vaults {
        let (collateral, short) = w.short_of(*owner, id.to()).await;
        assert_eq!(
            (v.collateral, v.short_amount),
            (collateral, short),
            "{owner} #{id}"
        );
    }

    // Two keepers racing for a second vault.
    let mut b = w.keeper(&key_b, temp("b")).await;
    advance(&w.provider, 60).await;
    // At S=1000: 1550 required; 1600 deposited.
    w.open(&writer, true, usdc(1_600), 1).await;
    advance(&w.provider, 60).await;
    // S=800: 0.1*400 + 1600 = 1640 > 1600; the auction starts at 1200 - 40 = 1160.
    w.set_price(800).await;
    advance(&w.provider, 600).await;
    let nonce = |d: &Deployer| {
        let p = d.provider().clone();
        let from = d.from();
        async move { p.get_transaction_count(from).await.unwrap() }
    };
    let (na, nb) = (nonce(&keeper_a).await, nonce(&keeper_b).await);
    let (ta, tb) = tokio::join!(a.tick(), b.tick());
    let (ta, tb) = (ta.unwrap(), tb.unwrap());
    assert_eq!(ta.liquidations.len() + tb.liquidations.len(), 1);
    assert!(
        ta.reverted + tb.reverted <= 1,
        "both lost gas: {ta:?} {tb:?}"
    );
    let sent = (nonce(&keeper_a).await - na) + (nonce(&keeper_b).await - nb);
    println!(
        "race: transactions sent {sent}, reverted {}, skipped after simulation {}",
        ta.reverted + tb.reverted,
        ta.skipped_reverts + tb.skipped_reverts
    );
    assert_eq!(w.short_of(writer.from(), 2).await.1, U256::ZERO);

    // Expiry: the first round after it, accepted by the expiry oracle; then settlement of the
    // keeper's own vault once the dispute period is over.
    let t = now(&w.provider).await;
    advance(&w.provider, w.expiry - t + 120).await;
    w.set_price(1_500).await;
    drop(a);
    let mut config = w.config(state_a.clone());
    config.settle_for = vec![keeper_a.from()];
    let provider = keeper::cli::connect(&w.harness.url, Duration::from_secs(10)).unwrap();
    let mut a = Keeper::open(provider, key_a.clone(), config).await.unwrap();
    let t = a.tick().await.unwrap();
    assert_eq!(t.expiry_prices.len(), 1, "{t:?}");
    assert_eq!(t.expiry_prices[0].0, w.weth);
    assert_eq!(t.expiry_prices[0].1, w.expiry);
    let details = w
        .admin
        .view(
            w.addresses.expiry_oracle,
            IExpiryOracle::getExpiryPriceDetailsCall {
                asset: w.weth,
                expiry: U256::from(w.expiry),
            },
        )
        .await
        .unwrap();
    assert_eq!(details.price, e18(1_500));
    assert_eq!(details.source, abi::oracle::SOURCE_ROUND);
    assert!(t.settled.is_empty(), "not final yet");
    let dispute: u64 = w
        .admin
        .view(
            w.addresses.expiry_oracle,
            IExpiryOracle::disputePeriodCall {},
        )
        .await
        .unwrap()
        .to();
    advance(&w.provider, dispute + 1).await;
    let t = a.tick().await.unwrap();
    assert_eq!(t.settled, vec![(keeper_a.from(), U256::from(1))], "{t:?}");
    // Put K=2000 settled at 1500: 500 owed per option; the rest back to the keeper.
    assert_eq!(
        w.short_of(keeper_a.from(), 1).await,
        (U256::ZERO, U256::ZERO)
    );

    // The kill switch: the running keeper stops at its next tick once the file exists.
    let kill = state_a.join("STOP");
    let mut config = w.config(state_a.clone());
    config.kill_file = Some(kill.clone());
    config.poll_interval = Duration::from_millis(200);
    let provider = keeper::cli::connect(&w.harness.url, Duration::from_secs(10)).unwrap();
    let mut running = Keeper::open(provider, key_a.clone(), config).await.unwrap();
    let handle = tokio::spawn(async move { running.run().await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!handle.is_finished());
    std::fs::write(&kill, b"").unwrap();
    tokio::time::timeout(Duration::from_secs(30), handle)
        .await
        .expect("stops after the kill file appears")
        .unwrap()
        .unwrap();
}
