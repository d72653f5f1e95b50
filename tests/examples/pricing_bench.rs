//! Side-by-side benchmark on one devnet: the PricingEngine (Stylus) against Lyra's BlackScholes
//! and solstat's Gaussian (EVM, artefacts in `tests/solidity/artifacts`), in one run.
//!
//! Gas is transaction gas: `receipt.gasUsed - (21,000 + 16 per non-zero and 4 per zero calldata
//! byte)`, the same for every contract. Accuracy compares `eth_call` outputs with the committed
//! mpmath vectors (`contracts/option-math/vectors`), set `normal`.
//!
//! Our gas is measured twice: with the engine's program uncached (every call pays the full init
//! gas) and pinned in Arbitrum's program cache through `ArbWasmCache` (every call pays the
//! cached init gas). Pinned is the figure a protocol's own engine runs at on Arbitrum One: it
//! costs a one-off bid to the chain's `CacheManager`, and the engine is called on every quote.
//!
//! Run: `cargo run -p e2e --example pricing_bench` (set `STYLUS_RPC_URL` for another node).

use abi::pricing::IPricingEngine as I;
use alloy::hex;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, I256, U256};
use alloy::rpc::types::TransactionRequest;
use alloy::sol;
use alloy::sol_types::SolCall;
use deploy::Deployer;
use e2e::{artifact, program_cache, Harness};

sol! {
    interface LyraHarness {
        struct PricesDeltaStdVega {
            uint256 callPrice;
            uint256 putPrice;
            int256 callDelta;
            int256 putDelta;
            uint256 vega;
            uint256 stdVega;
        }
        function optionPrices(uint256 spot, uint256 strike, uint256 timeToExpiry, uint256 volatility, int256 rate)
            external pure returns (uint256 call, uint256 put);
        function pricesDeltaStdVega(uint256 spot, uint256 strike, uint256 timeToExpiry, uint256 volatility, int256 rate)
            external pure returns (PricesDeltaStdVega memory);
        function quoteStrikes(uint256 spot, uint256[] calldata strikes, uint256 timeToExpiry, uint256 volatility, int256 rate)
            external pure returns (uint256[] memory calls, uint256[] memory puts);
    }
    interface SolstatHarness {
        function cdf(int256 x) external pure returns (int256);
    }
}

const ARTIFACTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/solidity/artifacts");
/// Inputs whose gas is measured by transaction (every one is also checked by `eth_call`).
const GAS_SAMPLES: usize = 20;

fn bin(name: &str) -> String {
    std::fs::read_to_string(format!("{ARTIFACTS}/{name}.bin"))
        .unwrap_or_else(|e| panic!("{name}.bin: {e} (run tests/solidity/compile.js)"))
        .trim()
        .to_string()
}

fn intrinsic(input: &[u8]) -> u64 {
    21_000
        + input
            .iter()
            .map(|&b| if b == 0 { 4 } else { 16 })
            .sum::<u64>()
}

async fn deploy_evm(d: &Deployer, code_hex: &str) -> Address {
    let code = hex::decode(code_hex).expect("hex bytecode");
    let tx = TransactionRequest::default().with_deploy_code(Bytes::from(code));
    d.send(tx)
        .await
        .expect("deploys")
        .contract_address
        .expect("created")
}

/// Execution gas of one transaction carrying `call` to `to`.
async fn gas<C: SolCall>(d: &Deployer, to: Address, call: &C) -> u64 {
    let input = call.abi_encode();
    let tx = TransactionRequest::default()
        .with_to(to)
        .with_input(input.clone());
    d.send(tx).await.expect("transaction").gas_used - intrinsic(&input)
}

struct Case {
    spot: u128,
    strike: u128,
    time: u64,
    vol: u128,
    rate: i128,
    refs: Vec<i128>,
}

/// A reference value in units of 1e-27 (its 9 decimals of 1e-18 units), so that errors of
/// outputs up to 1e24 units are exact rather than f64-rounded.
fn reference(s: &str) -> i128 {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let frac = format!("{frac:0<9}");
    let v: i128 = format!("{int}{}", &frac[..9]).parse().expect("reference");
    if neg {
        -v
    } else {
        v
    }
}

fn normal_cases() -> Vec<Case> {
    include_str!("../../contracts/option-math/vectors/black_scholes.csv")
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("normal,"))
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Case {
                spot: f[1].parse().expect("spot"),
                strike: f[2].parse().expect("strike"),
                time: f[3].parse().expect("time"),
                vol: f[4].parse().expect("vol"),
                rate: f[5].parse().expect("rate"),
                refs: f[6..].iter().map(|s| reference(s)).collect(),
            }
        })
        .collect()
}

/// Worst absolute (1e-18 units) and relative error (where the reference is at least 1e-6).
#[derive(Default, Clone, Copy)]
struct Err {
    abs: f64,
    rel: f64,
}

impl Err {
    /// `ours` in 1e-18 units against `reference` in 1e-27 units.
    fn add(&mut self, ours: i128, reference: i128) {
        let abs = (ours * 1_000_000_000 - reference).unsigned_abs() as f64 / 1e9;
        let value = reference.unsigned_abs() as f64 / 1e9;
        self.abs = self.abs.max(abs);
        if value >= 1e12 {
            self.rel = self.rel.max(abs / value);
        }
    }
}

#[derive(Default)]
struct Stats {
    gas: Vec<u64>,
}

impl Stats {
    fn mean(&self) -> f64 {
        self.gas.iter().sum::<u64>() as f64 / self.gas.len().max(1) as f64
    }
    fn range(&self) -> String {
        format!(
            "{:.0} ({}–{})",
            self.mean(),
            self.gas.iter().min().copied().unwrap_or(0),
            self.gas.iter().max().copied().unwrap_or(0)
        )
    }
}

fn u(v: u128) -> U256 {
    U256::from(v)
}

fn i(v: i128) -> I256 {
    I256::try_from(v).expect("fits")
}

fn f(v: U256) -> i128 {
    i128::try_from(v).expect("output fits i128")
}

fn fi(v: I256) -> i128 {
    i128::try_from(v).expect("output fits i128")
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let harness = Harness::start();
    let d = harness.deployer(0);

    let engine = d
        .deploy_program(&artifact("pricing-engine").code)
        .await
        .expect("PricingEngine deploys")
        .address;
    let library = deploy_evm(&d, &bin("BlackScholes")).await;
    let lyra_code = bin("LyraHarness");
    let start = lyra_code.find("__$").expect("a link placeholder");
    let lyra_code = lyra_code.replace(
        &lyra_code[start..start + 40],
        &hex::encode(library.as_slice()),
    );
    let lyra = deploy_evm(&d, &lyra_code).await;
    let solstat = deploy_evm(&d, &bin("SolstatHarness")).await;

    let (init_gas, init_gas_cached) = program_cache::init_gas(&d, engine).await;

    let cases = normal_cases();
    let (mut e_ours, mut e_lyra): ([Err; 5], [Err; 5]) = Default::default();
    let mut gas_rows: [Stats; 4] = Default::default();
    for (n, c) in cases.iter().enumerate() {
        let (s, k, t, v, r) = (
            u(c.spot),
            u(c.strike),
            U256::from(c.time),
            u(c.vol),
            i(c.rate),
        );
        let price = I::priceCall::new((s, k, t, v, r, true));
        let pg = I::priceAndGreeksCall::new((s, k, t, v, r, true));
        let pg_put = I::priceAndGreeksCall::new((s, k, t, v, r, false));
        let l_price = LyraHarness::optionPricesCall::new((s, k, t, v, r));
        let l_pg = LyraHarness::pricesDeltaStdVegaCall::new((s, k, t, v, r));

        let ours_c = d.view(engine, pg.clone()).await.expect("ours");
        let ours_p = d.view(engine, pg_put).await.expect("ours put");
        // Lyra may revert on inputs outside its own bounds: report those.
        let lyra_out = d.view(lyra, l_pg.clone()).await;
        // Outputs: call, put, call delta, put delta, vega.
        let refs = [c.refs[0], c.refs[1], c.refs[2], c.refs[3], c.refs[5]];
        let ours = [
            f(ours_c.price),
            f(ours_p.price),
            fi(ours_c.delta),
            fi(ours_p.delta),
            fi(ours_c.vega),
        ];
        for j in 0..5 {
            e_ours[j].add(ours[j], refs[j]);
        }
        match lyra_out {
            Ok(l) => {
                let theirs = [
                    f(l.callPrice),
                    f(l.putPrice),
                    fi(l.callDelta),
                    fi(l.putDelta),
                    f(l.vega),
                ];
                for j in 0..5 {
                    e_lyra[j].add(theirs[j], refs[j]);
                }
            }
            Err(e) => eprintln!(
                "Lyra reverts at S={} K={} t={}: {e}",
                c.spot, c.strike, c.time
            ),
        }

        if n < GAS_SAMPLES {
            gas_rows[0].gas.push(gas(&d, engine, &price).await);
            gas_rows[1].gas.push(gas(&d, engine, &pg).await);
            gas_rows[2].gas.push(gas(&d, lyra, &l_price).await);
            gas_rows[3].gas.push(gas(&d, lyra, &l_pg).await);
        }
    }
    let (ours_price, ours_pg) = (gas_rows[0].mean(), gas_rows[1].mean());
    let (lyra_price, lyra_pg) = (gas_rows[2].mean(), gas_rows[3].mean());

    // 10 strikes of one expiry: S = 2000, 30 days, 80% vol, 5% rate, K = 1600..2500.
    let strikes: Vec<U256> = (0..10u128)
        .map(|j| u((1_600 + 100 * j) * 10u128.pow(18)))
        .collect();
    let (s, t, v, r) = (
        u(2_000 * 10u128.pow(18)),
        U256::from(30 * 86_400),
        u(8 * 10u128.pow(17)),
        i(5 * 10i128.pow(16)),
    );
    let batch_strikes = strikes.clone();
    let ours_batch = gas(
        &d,
        engine,
        &I::quoteStrikesCall::new((s, strikes.clone(), t, v, r)),
    )
    .await;
    let lyra_batch = gas(
        &d,
        lyra,
        &LyraHarness::quoteStrikesCall::new((s, strikes, t, v, r)),
    )
    .await;
    // The program's entry cost: a price at expiry does no Black-Scholes.
    let entry = gas(
        &d,
        engine,
        &I::priceCall::new((s, s, U256::ZERO, v, r, true)),
    )
    .await;

    // The same transactions with the engine pinned in the program cache.
    program_cache::pin(&harness, engine).await;
    let mut cached_rows: [Stats; 2] = Default::default();
    for c in cases.iter().take(GAS_SAMPLES) {
        let (s, k, t, v, r) = (
            u(c.spot),
            u(c.strike),
            U256::from(c.time),
            u(c.vol),
            i(c.rate),
        );
        let price = I::priceCall::new((s, k, t, v, r, true));
        let pg = I::priceAndGreeksCall::new((s, k, t, v, r, true));
        cached_rows[0].gas.push(gas(&d, engine, &price).await);
        cached_rows[1].gas.push(gas(&d, engine, &pg).await);
    }
    let (cached_price, cached_pg) = (cached_rows[0].mean(), cached_rows[1].mean());
    let cached_batch = gas(
        &d,
        engine,
        &I::quoteStrikesCall::new((s, batch_strikes.clone(), t, v, r)),
    )
    .await;
    let cached_entry = gas(
        &d,
        engine,
        &I::priceCall::new((s, s, U256::ZERO, v, r, true)),
    )
    .await;

    // solstat cdf against the reference CDF column of functions.csv.
    let mut e_cdf = Err::default();
    let mut cdf_gas = Stats::default();
    let cdf_rows: Vec<(i128, i128)> =
        include_str!("../../contracts/option-math/vectors/functions.csv")
            .lines()
            .filter(|l| l.starts_with("cdf,"))
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[1].parse().expect("x"), reference(f[2]))
            })
            .collect();
    let mut cdf_reverts = 0;
    for (n, &(x, reference)) in cdf_rows.iter().enumerate() {
        let call = SolstatHarness::cdfCall { x: i(x) };
        match d.view(solstat, call.clone()).await {
            Ok(z) => e_cdf.add(fi(z), reference),
            Err(_) => cdf_reverts += 1,
        }
        if n < GAS_SAMPLES && x.abs() < 4 * 10i128.pow(18) {
            cdf_gas.gas.push(gas(&d, solstat, &call).await);
        }
    }

    println!("PricingEngine vs Lyra BlackScholes vs solstat on one devnet ({} normal vectors, gas over the first {GAS_SAMPLES})", cases.len());
    println!("gas = receipt gasUsed - (21000 + calldata), mean (min–max)\n");
    println!("| measure | ours, pinned in the program cache | ours, uncached | Lyra BlackScholes | Lyra / ours pinned (uncached) |");
    println!("|---|---|---|---|---|");
    println!(
        "| price (ours: `price`; Lyra: `optionPrices`, call and put) | {} | {} | {} | {:.1}× ({:.1}×) |",
        cached_rows[0].range(),
        gas_rows[0].range(),
        gas_rows[2].range(),
        lyra_price / cached_price,
        lyra_price / ours_price
    );
    println!(
        "| price + Greeks (ours: `priceAndGreeks`, 5 Greeks; Lyra: `pricesDeltaStdVega`) | {} | {} | {} | {:.1}× ({:.1}×) |",
        cached_rows[1].range(),
        gas_rows[1].range(),
        gas_rows[3].range(),
        lyra_pg / cached_pg,
        lyra_pg / ours_pg
    );
    println!(
        "| 10-strike batch (ours: `quoteStrikes`; Lyra: 10 `optionPrices` in one tx) | {cached_batch} | {ours_batch} | {lyra_batch} | {:.1}× ({:.1}×) |",
        lyra_batch as f64 / cached_batch as f64,
        lyra_batch as f64 / ours_batch as f64
    );
    println!("| entry cost (a price at expiry: no Black-Scholes) | {cached_entry} | {entry} | | |");
    println!(
        "| ours minus the entry cost | price {:.0}, +Greeks {:.0}, batch {} | | | |",
        cached_price - cached_entry as f64,
        cached_pg - cached_entry as f64,
        cached_batch - cached_entry
    );
    println!(
        "\nsolstat Gaussian `cdf`: {} gas; error vs mpmath over {} points: max abs {:.3e} (1e-18 units), max rel {:.3e}, {} reverts",
        cdf_gas.range(),
        cdf_rows.len(),
        e_cdf.abs,
        e_cdf.rel,
        cdf_reverts
    );
    println!(
        "\nArbWasm.programInitGas(PricingEngine) = {init_gas} (uncached), {init_gas_cached} (cached)"
    );
    println!("\nerror vs mpmath (max abs in 1e-18 units / max rel where |ref| >= 1e-6)");
    println!("| output | PricingEngine | Lyra BlackScholes |");
    println!("|---|---|---|");
    for (j, name) in ["call", "put", "call delta", "put delta", "vega"]
        .iter()
        .enumerate()
    {
        println!(
            "| {name} | {:.3e} / {:.3e} | {:.3e} / {:.3e} |",
            e_ours[j].abs, e_ours[j].rel, e_lyra[j].abs, e_lyra[j].rel
        );
    }
}
