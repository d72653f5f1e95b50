//! The keeper against the whole protocol on the devnet, over JSON-RPC: deployed by the deployment
//! plan (`deploy::plan::protocol`, without handing the admin roles to governance so the test can
//! configure it), a naked put vault, a price crash on the mock Chainlink feed.
//!
//! - the crash makes the vault liquidatable; the keeper waits while the Dutch auction pays less
//!   than the options it gives up, then liquidates within one tick of profitability, using
//!   option tokens it minted in its own fully collateralised vault;
//! - a restarted keeper resumes from its checkpoint with the same view as one built from scratch,
//!   and that view agrees with the escrow's own records;
//! - two keepers racing for one vault: one liquidates, the other sends nothing that reverts;
//! - after expiry it finds the first round after it and the expiry oracle accepts it; after the
//!   dispute period it settles the vault it looks after.
//!
//! Prints the time and gas from the price update to the liquidation.

use abi::escrow::{self as esc, Action, ICollateralEscrow as Escrow, IEscrowRegistry as Registry};
use abi::option_factory::{self as of, IOptionFactory as Factory};
use abi::oracle::{IExpiryOracle, IMockAggregator as Mock, IOracleAdapter as Oracle};
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, I256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use alloy::sol_types::{SolCall, SolValue};
use deploy::run::{run, RunOptions};
use deploy::Deployer;
use e2e::protocol::deploy_evm;
use e2e::Harness;
use keeper::agent::{Addresses, Config, Keeper, Tick};
use keeper::auction::Economics;
use keeper::follower::{FollowConfig, Follower};
use std::path::PathBuf;
use std::time::{Duration, Instant};

sol! {
    interface IMockERC20 {
        function mint(address to, uint256 value) external;
        function approve(address spender, uint256 value) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
    }
}

/// `options keeper`'s flags, parsed as the CLI parses them.
#[derive(clap::Parser)]
struct KeeperCli {
    #[command(flatten)]
    args: keeper::cli::KeeperArgs,
}

const ERC20_BIN: &str =
    include_str!("../../../tests/fixtures/option-holder/artifacts/MockERC20.bin");

fn e18(v: u64) -> U256 {
    U256::from(v) * U256::from(abi::PRICE_SCALE)
}

fn usdc(v: u64) -> U256 {
    U256::from(v) * U256::from(1_000_000u64)
}

async fn send<C: SolCall>(d: &Deployer, to: Address, call: C) -> TransactionReceipt {
    let r = d
        .send(
            TransactionRequest::default()
                .with_from(d.from())
                .with_to(to)
                .with_input(call.abi_encode()),
        )
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", C::SIGNATURE));
    assert!(r.status(), "{} reverted", C::SIGNATURE);
    r
}

async fn advance(p: &DynProvider, seconds: u64) {
    p.raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (seconds,))
        .await
        .unwrap();
    p.raw_request::<_, serde_json::Value>("evm_mine".into(), ())
        .await
        .unwrap();
}

async fn now(p: &DynProvider) -> u64 {
    p.get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp
}

struct World {
    harness: Harness,
    admin: Deployer,
    addresses: Addresses,
    feed: Address,
    weth: Address,
    usdc: Address,
    option: Address,
    expiry: u64,
    provider: DynProvider,
}

/// Deploys and configures the protocol; creates one put series (K = 2000, 7 days).
async fn world() -> World {
    let harness = Harness::start();
    let admin = harness.deployer(0);
    let root = contract_build::workspace_root(env!("CARGO_MANIFEST_DIR").as_ref()).unwrap();
    let network = deploy::network::network(&root, "local").unwrap();
    // The admin roles stay with the deployer: the test sets parameters without governance.
    let plan: Vec<_> = deploy::plan::protocol(&network)
        .into_iter()
        .filter(|e| !e.name.starts_with("wire:"))
        .collect();
    let dir = temp("record");
    let record = run(
        &admin,
        &network,
        &plan,
        &RunOptions {
            root: root.clone(),
            record_path: dir.join("local.json"),
            max_steps: None,
        },
        &|_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("the protocol deploys: {e}"));
    let at = |name: &str| record.address(name).unwrap_or_else(|| panic!("{name}"));
    let addresses = Addresses {
        factory: at("factory"),
        escrow: at("escrow"),
        engine: at("engine"),
        oracle: at("oracle"),
        expiry_oracle: at("expiry-oracle"),
        registry: at("registry"),
    };
    // The keeper's own reading of the record (`options keeper` starts from it) agrees.
    let parsed = keeper::cli::Deployment::load(&dir.join("local.json"))
        .unwrap()
        .expect("the record exists");
    let args = <KeeperCli as clap::Parser>::parse_from(["keeper"]).args;
    let from_record = keeper::cli::config(&args, Some(&parsed), dir.join("state")).unwrap();
    assert_eq!(from_record.addresses, addresses);
    assert!(from_record.start_block > 0);
    let feed = at(deploy::plan::MOCK_ETH_USD);
    let weth = deploy_evm(
        &admin,
        ERC20_BIN,
        &("Wrapped Ether", "WETH", U256::from(18)).abi_encode_params(),
    )
    .await
    .unwrap();
    let usdc_token = deploy_evm(
        &admin,
        ERC20_BIN,
        &("USD Coin", "USDC", U256::from(6)).abi_encode_params(),
    )
    .await
    .unwrap();
    let a = addresses;
    send(
        &admin,
        a.oracle,
        Oracle::setFeedCall {
            asset: weth,
            index: U256::ZERO,
            feed,
            decimals: 8,
            maxAge: U256::from(3_600),
            minAnswer: I256::ONE,
            maxAnswer: I256::try_from(10_000_000_000_000_000i64).unwrap(),
        },
    )
    .await;
    send(
        &admin,
        a.oracle,
        Oracle::configureAssetCall {
            asset: weth,
            feedCount: U256::from(1),
            quorum: U256::from(1),
            maxDeviation: e18(1) / U256::from(10),
            maxRoundMove: e18(1) / U256::from(2),
        },
    )
    .await;
    send(
        &admin,
        a.registry,
        Registry::configureCollateralCall {
            asset: usdc_token,
            nakedCap: usdc(1_000_000),
            dustFloor: usdc(1),
        },
    )
    .await;
    send(
        &admin,
        a.registry,
        Registry::setRiskParametersCall {
            underlying: weth,
            shock: e18(1) / U256::from(2),
            maxTimes: vec![30 * 86_400],
            upperBounds: vec![e18(1) / U256::from(10)],
        },
    )
    .await;
    send(
        &admin,
        a.factory,
        Factory::allowProductCall {
            underlying: weth,
            strikeAsset: usdc_token,
            collateral: usdc_token,
            isPut: true,
        },
    )
    .await;
    let provider = admin.provider().clone();
    let t = now(&provider).await;
    let expiry = t - t % of::SECONDS_PER_DAY + of::EXPIRY_TIME_OF_DAY + 7 * of::SECONDS_PER_DAY;
    let create = Factory::createSeriesCall {
        underlying: weth,
        strikeAsset: usdc_token,
        collateral: usdc_token,
        isPut: true,
        strikePrice: e18(2_000),
        expiry,
    };
    send(&admin, a.factory, create.clone()).await;
    let option = admin
        .view(
            a.factory,
            Factory::getSeriesCall {
                underlying: weth,
                strikeAsset: usdc_token,
                collateral: usdc_token,
                isPut: true,
                strikePrice: e18(2_000),
                expiry,
            },
        )
        .await
        .unwrap();
    World {
        harness,
        admin,
        addresses,
        feed,
        weth,
        usdc: usdc_token,
        option,
        expiry,
        provider,
    }
}

impl World {
    /// Opens vault `id` of `owner` with `collateral` USDC and a short of `options` (whole
    /// options) minted to the owner.
    async fn open(&self, owner: &Deployer, naked: bool, collateral: U256, options: u64) {
        send(
            owner,
            self.usdc,
            IMockERC20::mintCall {
                to: owner.from(),
                value: collateral,
            },
        )
        .await;
        send(
            owner,
            self.usdc,
            IMockERC20::approveCall {
                spender: self.addresses.escrow,
                value: collateral,
            },
        )
        .await;
        let id = owner
            .view(
                self.addresses.escrow,
                Escrow::vaultCountCall {
                    owner: owner.from(),
                },
            )
            .await
            .unwrap()
            + U256::from(1);
        let vault_type = if naked {
            esc::VAULT_NAKED
        } else {
            esc::VAULT_FULL
        };
        let action = |kind: u8, asset: Address, amount: U256| Action {
            kind,
            asset,
            account: owner.from(),
            amount,
        };
        send(
            owner,
            self.addresses.escrow,
            Escrow::operateCall {
                owner: owner.from(),
                vaultId: id,
                actions: vec![
                    action(esc::ACTION_OPEN, Address::ZERO, U256::from(vault_type)),
                    action(esc::ACTION_DEPOSIT_COLLATERAL, self.usdc, collateral),
                    action(esc::ACTION_MINT_SHORT, self.option, e18(options)),
                ],
            },
        )
        .await;
    }

    async fn set_price(&self, dollars: u64) -> TransactionReceipt {
        send(
            &self.admin,
            self.feed,
            Mock::updateAnswerCall {
                answer: I256::try_from(dollars * 100_000_000).unwrap(),
            },
        )
        .await
    }

    fn config(&self, state: PathBuf) -> Config {
        let mut c = Config::new(self.addresses);
        c.confirmations = 0;
        c.state_dir = Some(state);
        c.economics = Economics {
            // Gas valued at 3000 USDC per ETH; a liquidation must earn 1 USDC after it.
            native_price: e18(3_000),
            min_profit: e18(1),
        };
        c.send.replace_after = Duration::from_secs(10);
        c
    }

    async fn keeper(&self, key: &PrivateKeySigner, state: PathBuf) -> Keeper {
        let provider = keeper::cli::connect(&self.harness.url, Duration::from_secs(10)).unwrap();
        Keeper::open(provider, key.clone(), self.config(state))
            .await
            .unwrap()
    }

    async fn short_of(&self, owner: Address, id: u64) -> (U256, U256) {
        let v = self
            .admin
            .view(
                self.addresses.escrow,
                Escrow::getVaultCall {
                    owner,
                    vaultId: U256::from(id),
                },
            )
            .await
            .unwrap();
        (v.collateral, v.shortAmount)
    }
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("keeper-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn crash_liquidation_restart_race_expiry_and_settlement() {
    let w = world().await;
    let writer = w.harness.deployer(3);
    let (key_a, key_b) = (w.harness.keys[4].clone(), w.harness.keys[5].clone());
    let (keeper_a, keeper_b) = (w.harness.deployer(4), w.harness.deployer(5));
    w.set_price(2_000).await;
    // Naked put K=2000 at S=2000: shock 0.5, UB 10% -> 0.1*1000 + 1000 = 1100 USDC required.
    w.open(&writer, true, usdc(1_200), 1).await;
    // The keepers hold options minted in their own full vaults (2000 USDC per put): A two (one
    // per liquidation it races for), B one.
    w.open(&keeper_a, false, usdc(4_000), 2).await;
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
    let blocks = l.block - crash.block_number.unwrap();
    println!(
        "keeper: price update -> liquidation: {blocks} blocks, {} keeper ticks, {:.0} ms wall \
         (of which the liquidating tick {:.0} ms), liquidation gas {}",
        2,
        crash_started.elapsed().as_secs_f64() * 1e3,
        reaction.as_secs_f64() * 1e3,
        l.gas_used
    );
    assert!(blocks <= 4, "{blocks} blocks");

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
