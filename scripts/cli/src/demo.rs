//! `options demo`: the whole story on an embedded devnet, in one command. Deploys everything,
//! then two writers and a buyer: a covered call (fully collateralised in WETH) and a naked put
//! (USDC, partially collateralised), a price crash, the put vault liquidated by auction, expiry,
//! the expiry price from the first Chainlink round after expiry, settlement and redemption.
//! Ends with the balances of every actor and the gas of every step.

use crate::ops::{human, Protocol};
use crate::target::{dev_signers, Target};
use abi::erc20::IERC20;
use abi::oracle::IMockAggregator;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, I256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use deploy::plan::{MOCK_ETH_USD, MOCK_USDC, MOCK_WETH};
use deploy::{Deployer, Record};
use std::fmt::Write;

/// One step of the story and what it cost.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StepGas {
    pub step: String,
    pub actor: String,
    pub gas: u64,
}

/// The story's outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Story {
    pub steps: Vec<StepGas>,
    /// (actor, WETH, USDC, calls, puts) at the end.
    pub balances: Vec<(String, String, String, String, String)>,
    /// The step that failed, with the decoded reason, if the story stopped.
    pub stopped: Option<String>,
}

struct Actor {
    name: &'static str,
    d: Deployer,
}

const DAY: u64 = 86_400;
const GRID: u64 = 8 * 3_600;

async fn now(d: &Deployer) -> Result<u64, String> {
    d.provider()
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .map_err(|e| e.to_string())?
        .map(|b| b.header.timestamp)
        .ok_or_else(|| "no latest block".to_string())
}

async fn advance(d: &Deployer, seconds: u64) -> Result<(), String> {
    d.provider()
        .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (seconds,))
        .await
        .map_err(|e| e.to_string())?;
    d.provider()
        .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

async fn send(d: &Deployer, to: Address, call: impl SolCall) -> Result<u64, String> {
    let tx = TransactionRequest::default()
        .with_from(d.from())
        .with_to(to)
        .with_input(Bytes::from(call.abi_encode()));
    d.send(tx)
        .await
        .map(|r| r.gas_used)
        .map_err(|e| e.to_string())
}

/// Runs the story against a fresh deployment in `record`; stops at the first refusal, which it
/// reports with the contract's decoded error.
pub async fn story(target: &Target, record: &Record) -> Story {
    let mut out = Story {
        steps: Vec::new(),
        balances: Vec::new(),
        stopped: None,
    };
    let keys = dev_signers();
    let actor = |name, i: usize| Actor {
        name,
        d: Deployer::connect(&target.url, keys[i].clone()).expect("valid URL"),
    };
    let admin = actor("deployer", 0);
    let alice = actor("alice (call writer)", 1);
    let bob = actor("bob (put writer)", 2);
    let carol = actor("carol (buyer)", 5);
    let at = |n: &str| record.address(n).unwrap_or_default();
    let (weth, usdc, feed) = (at(MOCK_WETH), at(MOCK_USDC), at(MOCK_ETH_USD));
    let result = run_story(
        &mut out,
        record,
        [&admin, &alice, &bob, &carol],
        weth,
        usdc,
        feed,
    )
    .await;
    if let Err(e) = result {
        out.stopped = Some(e);
    }
    let series = Protocol {
        deployer: &admin.d,
        record,
    }
    .series_list()
    .await
    .unwrap_or_default();
    let option = |put: bool| series.iter().find(|s| s.is_put == put).map(|s| s.token);
    for a in [&alice, &bob, &carol] {
        let bal = |token: Option<Address>, decimals: u8| {
            let d = a.d.clone();
            async move {
                match token {
                    Some(t) => d
                        .view(t, IERC20::balanceOfCall { account: d.from() })
                        .await
                        .map_or("?".into(), |b| human(b, decimals)),
                    None => "-".into(),
                }
            }
        };
        out.balances.push((
            a.name.to_string(),
            bal(Some(weth), 18).await,
            bal(Some(usdc), 6).await,
            bal(option(false), 18).await,
            bal(option(true), 18).await,
        ));
    }
    out
}

async fn run_story(
    out: &mut Story,
    record: &Record,
    [admin, alice, bob, carol]: [&Actor; 4],
    weth: Address,
    usdc: Address,
    feed: Address,
) -> Result<(), String> {
    let mut log = |step: &str, who: &Actor, gas: u64| {
        eprintln!("[demo]     {step} ({}): {gas} gas", who.name);
        out.steps.push(StepGas {
            step: step.to_string(),
            actor: who.name.to_string(),
            gas,
        });
    };
    fn p<'a>(a: &'a Actor, record: &'a Record) -> Protocol<'a> {
        Protocol {
            deployer: &a.d,
            record,
        }
    }
    let e18 = U256::from(10u64).pow(U256::from(18));
    let mint = |to: Address, amount: U256| abi_mint(to, amount);
    // Faucet: alice gets WETH, bob USDC.
    log(
        "faucet 10 WETH",
        alice,
        send(&alice.d, weth, mint(alice.d.from(), e18 * U256::from(10))).await?,
    );
    log(
        "faucet 10,000 USDC",
        bob,
        send(
            &bob.d,
            usdc,
            mint(bob.d.from(), U256::from(10_000_000_000u64)),
        )
        .await?,
    );

    // The next 08:00 UTC at least two days ahead.
    let t = now(&admin.d).await?;
    let expiry = (t + 2 * DAY) / DAY * DAY + GRID;
    let (call, gas) = p(alice, record)
        .series_create(weth, usdc, weth, false, "2200", expiry)
        .await?;
    log("create WETH 2200 call", alice, gas);
    let (put, gas) = p(bob, record)
        .series_create(weth, usdc, usdc, true, "1800", expiry)
        .await?;
    log("create WETH 1800 put", bob, gas);

    let (vault_a, gas) = p(alice, record).vault_open(weth, false).await?;
    log("open covered-call vault", alice, gas);
    log(
        "deposit 1 WETH",
        alice,
        p(alice, record).vault_deposit(vault_a, weth, "1").await?,
    );
    log(
        "mint 1 call to carol",
        alice,
        p(alice, record)
            .vault_mint(vault_a, call, "1", carol.d.from())
            .await?,
    );

    let (vault_b, gas) = p(bob, record).vault_open(usdc, true).await?;
    log("open naked-put vault", bob, gas);
    log(
        "deposit 1,100 USDC (margin: 540 per put at spot 2000)",
        bob,
        p(bob, record).vault_deposit(vault_b, usdc, "1100").await?,
    );
    log(
        "mint 2 puts to carol",
        bob,
        p(bob, record)
            .vault_mint(vault_b, put, "2", carol.d.from())
            .await?,
    );

    // A minute later ETH falls 30%: the naked put vault is under water. (Liquidation needs a
    // price newer than the vault's last change: same-second blocks would not do.)
    advance(&admin.d, 60).await?;
    let crash = IMockAggregator::updateAnswerCall {
        answer: I256::try_from(1_400 * 100_000_000i64).map_err(|e| e.to_string())?,
    };
    log(
        "ETH/USD 2000 -> 1400",
        admin,
        send(&admin.d, feed, crash).await?,
    );
    let v = p(bob, record).vault_show(bob.d.from(), vault_b).await?;
    eprintln!(
        "[demo]     bob's vault: requirement {} USDC, collateral {}, shortfall {}",
        v.requirement, v.collateral, v.shortfall
    );
    // The first call starts the Dutch auction; the price falls as it runs.
    // The first liquidation starts the Dutch auction; its price falls as the auction runs.
    let (paid, gas) = p(carol, record)
        .liquidate(bob.d.from(), vault_b, "1")
        .await?;
    log("liquidate 1 put (auction starts)", carol, gas);
    eprintln!("[demo]     carol received {} USDC", human(paid, 6));
    advance(&admin.d, 600).await?;
    let preview = p(carol, record)
        .liquidation_preview(bob.d.from(), vault_b, "0.5")
        .await?;
    eprintln!(
        "[demo]     10 min later the auction pays {} USDC for 0.5 put",
        human(preview, 6)
    );
    let (_, gas) = p(carol, record)
        .liquidate(bob.d.from(), vault_b, "0.5")
        .await?;
    log("liquidate 0.5 put later in the auction", carol, gas);

    // Expiry, then the first round after it, then the dispute period.
    let t = now(&admin.d).await?;
    advance(&admin.d, expiry.saturating_sub(t) + 60).await?;
    let receipt_gas = send(
        &admin.d,
        feed,
        IMockAggregator::updateAnswerCall {
            answer: I256::try_from(1_500 * 100_000_000i64).map_err(|e| e.to_string())?,
        },
    )
    .await?;
    log("ETH/USD round after expiry: 1500", admin, receipt_gas);
    let round = latest_round(&admin.d, feed).await?;
    log(
        "expiry price proof",
        admin,
        p(admin, record)
            .set_expiry_price(weth, expiry, round)
            .await?,
    );
    advance(&admin.d, abi::oracle::DEFAULT_DISPUTE_PERIOD + 60).await?;

    let (_, gas) = p(alice, record)
        .vault_settle(alice.d.from(), vault_a, alice.d.from())
        .await?;
    log("settle covered-call vault", alice, gas);
    let (_, gas) = p(bob, record)
        .vault_settle(bob.d.from(), vault_b, bob.d.from())
        .await?;
    log("settle naked-put vault", bob, gas);
    let (_, gas) = p(carol, record).redeem(call, "1", carol.d.from()).await?;
    log("redeem 1 call (out of the money)", carol, gas);
    let (_, gas) = p(carol, record).redeem(put, "0.5", carol.d.from()).await?;
    log("redeem 0.5 put", carol, gas);
    Ok(())
}

fn abi_mint(to: Address, amount: U256) -> MockMint {
    MockMint { to, value: amount }
}

alloy::sol! {
    /// The local mock tokens' faucet (scripts/deploy/fixtures/MockERC20.sol).
    function mint(address to, uint256 value) external;
}
type MockMint = mintCall;

async fn latest_round(d: &Deployer, feed: Address) -> Result<u128, String> {
    let r = d
        .view(
            feed,
            abi::chainlink::AggregatorV3Interface::latestRoundDataCall {},
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(r.roundId.to::<u128>())
}

/// The final tables.
pub fn text(story: &Story) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<54} {:<20} {:>10}", "step", "actor", "gas");
    for s in &story.steps {
        let _ = writeln!(out, "{:<54} {:<20} {:>10}", s.step, s.actor, s.gas);
    }
    let total: u64 = story.steps.iter().map(|s| s.gas).sum();
    let _ = writeln!(out, "{:<54} {:<20} {:>10}\n", "total", "", total);
    let _ = writeln!(
        out,
        "{:<22} {:>12} {:>14} {:>8} {:>8}",
        "balances", "WETH", "USDC", "calls", "puts"
    );
    for (who, w, u, c, p) in &story.balances {
        let _ = writeln!(out, "{who:<22} {w:>12} {u:>14} {c:>8} {p:>8}");
    }
    if let Some(stopped) = &story.stopped {
        let _ = writeln!(out, "\nthe story stopped: {stopped}");
    }
    out
}
