//! Gas of every clearinghouse action on the devnet, against Opyn Gamma's figures
//! (`../shared/reference/options-protocols.md`): open + deposit + mint 481k, redeem 163–181k,
//! settle 174–179k, partial liquidation 239k. Aim: half or less.
//!
//! Each action is measured twice: with every program uncached (each call into a Stylus program
//! pays its full init gas, as the first call of a program in a while does on Arbitrum), and with
//! every program the action runs pinned in Arbitrum's program cache (`ArbWasmCache`; the devnet
//! models nitro's cache), the figure a busy protocol runs at. Each row is a fresh state (new
//! vault, new holder) so storage is cold as in a user's first transaction of the kind.
//!
//! `cargo run -p e2e --example escrow_bench --release`

use abi::escrow::{IMarginEngine as M, VAULT_FULL, VAULT_NAKED};
use alloy::primitives::U256;
use e2e::escrow::{e18, expiry_after, usdc, Clearinghouse};
use e2e::governance::{advance, now, send};
use e2e::{program_cache, Harness};

#[derive(Default, Debug, Clone, Copy)]
struct Row {
    write_full: u64,
    write_naked: u64,
    redeem: u64,
    settle: u64,
    liquidate: u64,
}

/// Separates the actions in the devnet's per-frame gas trace (`DEVNET_GAS_TRACE=1`, on stderr).
fn mark(action: &str, cached: bool) {
    if std::env::var_os("DEVNET_GAS_TRACE").is_some() {
        let mode = if cached { "pinned" } else { "uncached" };
        eprintln!("== {action} {mode}");
    }
}

async fn measure(h: &Harness, cached: bool) -> Row {
    let c = Clearinghouse::deploy(h, 2000).await;
    if cached {
        for &p in &c.programs {
            program_cache::pin(h, p).await;
        }
    }
    let (alice, bob, carol) = (h.deployer(1), h.deployer(2), h.deployer(3));
    let expiry = expiry_after(now(&c.admin).await, 30);
    let put = c.series(true, 1800, expiry).await;
    c.fund(&alice, c.usdc, usdc(100_000)).await;
    if std::env::var_os("DEVNET_GAS_TRACE").is_some() {
        eprintln!(
            "== names escrow={} engine={} registry={} oracle={} expiry-oracle={} factory={} \
             feed={} usdc={} put={put}",
            c.escrow,
            c.engine,
            c.registry,
            c.oracle,
            c.expiry_oracle,
            c.factory.proxy,
            c.feed,
            c.usdc
        );
    }
    let mut row = Row::default();
    // Warm the series token once (its first mint writes its total supply slot from zero).
    c.write(
        &alice,
        1,
        VAULT_FULL,
        c.usdc,
        usdc(1800),
        put,
        e18(1),
        carol.from(),
    )
    .await
    .expect("first write");
    mark("write_full", cached);
    row.write_full = c
        .write(
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
        .expect("cash-secured put")
        .gas_used;
    mark("write_naked", cached);
    row.write_naked = c
        .write(
            &alice,
            3,
            VAULT_NAKED,
            c.usdc,
            usdc(1300),
            put,
            e18(2),
            carol.from(),
        )
        .await
        .expect("naked put")
        .gas_used;
    advance(&c.admin, 30).await;
    c.set_spot(1000).await;
    mark("liquidate", cached);
    row.liquidate = send(
        &carol,
        c.engine,
        M::liquidateCall {
            owner: alice.from(),
            vaultId: U256::from(3),
            amount: e18(1) / U256::from(2),
            to: carol.from(),
        },
    )
    .await
    .expect("partial liquidation")
    .gas_used;
    c.settle_price(expiry, 1700).await;
    mark("redeem", cached);
    row.redeem = send(
        &bob,
        c.engine,
        M::redeemCall {
            option: put,
            amount: e18(1),
            to: bob.from(),
        },
    )
    .await
    .expect("redeem")
    .gas_used;
    mark("settle", cached);
    row.settle = send(
        &alice,
        c.engine,
        M::settleVaultCall {
            owner: alice.from(),
            vaultId: U256::from(2),
            to: alice.from(),
        },
    )
    .await
    .expect("settle")
    .gas_used;
    row
}

#[tokio::main]
async fn main() {
    let h = Harness::start();
    let uncached = measure(&h, false).await;
    let h2 = Harness::start();
    let cached = measure(&h2, true).await;
    println!("| action | pinned in the program cache | uncached | Opyn Gamma | aim (half) |");
    println!("|---|---:|---:|---:|---:|");
    let rows = [
        (
            "open + deposit + mint (cash-secured put)",
            cached.write_full,
            uncached.write_full,
            "481,000",
            240_500,
        ),
        (
            "open + deposit + mint (naked put)",
            cached.write_naked,
            uncached.write_naked,
            "481,000",
            240_500,
        ),
        (
            "redeem",
            cached.redeem,
            uncached.redeem,
            "163,000–181,000",
            81_500,
        ),
        (
            "settle vault",
            cached.settle,
            uncached.settle,
            "174,000–179,000",
            87_000,
        ),
        (
            "partial liquidation",
            cached.liquidate,
            uncached.liquidate,
            "239,000",
            119_500,
        ),
    ];
    for (name, pinned, cold, gamma, aim) in rows {
        let verdict = if pinned <= aim { "met" } else { "missed" };
        println!("| {name} | {pinned} | {cold} | {gamma} | {aim} ({verdict}) |");
    }
}
