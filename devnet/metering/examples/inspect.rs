//! Instruments WASM files and prints what activation would learn about them. Raw `cargo build`
//! output is first processed as cargo-stylus does (`stylus_program::process`), since that is
//! the form deployed on chain.
//!
//! `cargo run -p stylus-metering --example inspect -- path/to/program.wasm...`

use std::time::Instant;
use stylus_metering::{instrument, FloatPolicy, MeterConfig, MeterError};

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: inspect <program.wasm>...");
        std::process::exit(2);
    }
    let nitro = MeterConfig {
        floats: FloatPolicy::ChargeMax,
        ..MeterConfig::default()
    };
    for path in paths {
        let wasm = match std::fs::read(&path) {
            Ok(wasm) => wasm,
            Err(error) => {
                println!("{path}: cannot read: {error}");
                continue;
            }
        };
        let wasm = match stylus_program::process::process(&wasm, [0; 32]) {
            Ok(processed) => processed,
            Err(error) => {
                println!("{path}: cannot process: {error}");
                continue;
            }
        };
        let started = Instant::now();
        let result = instrument(&wasm, &MeterConfig::default());
        let elapsed = started.elapsed();
        let out = match result {
            Ok(out) => out,
            Err(error @ MeterError::FloatOperator { .. }) => {
                let accepted = instrument(&wasm, &nitro).is_ok();
                println!("{path}: refused: {error} (nitro's float policy accepts it: {accepted})");
                continue;
            }
            Err(error) => {
                println!("{path}: refused: {error}");
                continue;
            }
        };
        let stats = out.stats;
        let costs = stats.activation_costs(2);
        println!(
            "{path}: {} -> {} bytes in {:.2} ms; {} funcs, {} ops after instrumentation, \
             footprint {} pages; {costs:?}; activation gas {}",
            wasm.len(),
            out.wasm.len(),
            elapsed.as_secs_f64() * 1000.0,
            stats.funcs,
            stats.instrumented_ops,
            out.footprint,
            stats.activation_gas(50),
        );
    }
}
