//! `options`: build, deploy and operate the protocol.

use clap::{Parser, Subcommand};
use contract_build::workspace_root;
use std::path::Path;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "options",
    version,
    about = "Stylus options clearing: build, deploy, operate"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile every contract (or the named ones) to Stylus code, check nitro's activation rules
    /// and the 24 KiB limit, and print the size table.
    Build {
        /// Contract crates to build (default: every contract under contracts/).
        contracts: Vec<String>,
        /// Show cargo's output.
        #[arg(long)]
        verbose: bool,
        /// Build at opt-level 3, "s" and "z" and print the compressed sizes side by side.
        #[arg(long)]
        compare_opt_levels: bool,
    },
    /// Check each contract's exported Solidity interface against its committed `I*.sol` file and
    /// against its declaration in the `abi` crate.
    Abi {
        /// Rewrite the committed `I*.sol` files from the export.
        #[arg(long)]
        write: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(root) = std::env::current_dir()
        .ok()
        .and_then(|d| workspace_root(&d))
    else {
        eprintln!("error: run this inside the workspace (no Cargo.toml with [workspace] found)");
        return ExitCode::FAILURE;
    };
    let outcome = match cli.command {
        Command::Build {
            contracts,
            verbose,
            compare_opt_levels,
        } => build(&root, &contracts, verbose, compare_opt_levels),
        Command::Abi { write } => abi(&root, write),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn build(root: &Path, contracts: &[String], verbose: bool, compare: bool) -> Result<(), String> {
    if compare {
        let table =
            scripts::build::compare_opt_levels(root, contracts).map_err(|e| e.to_string())?;
        print!("{table}");
        return Ok(());
    }
    let results =
        scripts::build::build(root, contracts, verbose, None).map_err(|e| e.to_string())?;
    let (table, failed) = scripts::build::report(&results);
    print!("{table}");
    match failed {
        0 => Ok(()),
        n => Err(format!("{n} contract(s) cannot be deployed as built")),
    }
}

fn abi(root: &Path, write: bool) -> Result<(), String> {
    let statuses = scripts::abi::check(root).map_err(|e| e.to_string())?;
    let mut failed = 0;
    for status in &statuses {
        if write && !status.file_current {
            let path = status.file.clone().unwrap_or_else(|| {
                root.join("contracts")
                    .join(&status.package)
                    .join("IContract.sol")
            });
            std::fs::write(&path, &status.exported)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("{}: wrote {}", status.package, path.display());
        }
        let current = write || status.file_current;
        let drift_ok = status.drift.as_ref().is_some_and(|d| d.is_empty());
        if current && drift_ok {
            println!("{}", status.describe());
        } else {
            eprintln!("{}", status.describe());
            failed += 1;
        }
    }
    match failed {
        0 => Ok(()),
        n => Err(format!("{n} contract(s) with ABI problems")),
    }
}
