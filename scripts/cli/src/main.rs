//! `options`: build, deploy and operate the protocol.

use clap::{Parser, Subcommand};
use contract_build::{
    build_all, build_contract, committed_interface, contract_crates, export_abi, table,
    workspace_root, BuildOptions,
};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "options", version, about = "Stylus options clearing: build, deploy, operate")]
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
    },
    /// Export each contract's Solidity interface and compare it with the committed `I*.sol`.
    Abi {
        /// Rewrite the committed files instead of checking them.
        #[arg(long)]
        write: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(root) = std::env::current_dir().ok().and_then(|d| workspace_root(&d)) else {
        eprintln!("error: run this inside the workspace (no Cargo.toml with [workspace] found)");
        return ExitCode::FAILURE;
    };
    match cli.command {
        Command::Build { contracts, verbose } => {
            let mut opts = BuildOptions::new(root);
            opts.verbose = verbose;
            let results = if contracts.is_empty() {
                match build_all(&opts) {
                    Ok(results) => results,
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            } else {
                contracts
                    .iter()
                    .map(|c| build_contract(c, &opts))
                    .collect()
            };
            print!("{}", table(&results));
            let failed = results.iter().filter(|r| r.is_err()).count();
            if failed > 0 {
                eprintln!("error: {failed} contract(s) cannot be deployed as built");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Command::Abi { write } => check_abi(&root, write),
    }
}

fn check_abi(root: &std::path::Path, write: bool) -> ExitCode {
    let crates = match contract_crates(root) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stale = 0;
    for package in crates {
        let exported = match export_abi(root, &package) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let path = match committed_interface(root, &package) {
            Ok(Some(path)) => path,
            Ok(None) => {
                eprintln!("{package}: no committed I*.sol interface in its directory");
                stale += 1;
                continue;
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed == exported {
            println!("{package}: {} up to date", path.display());
        } else if write {
            if let Err(e) = std::fs::write(&path, &exported) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            println!("{package}: wrote {}", path.display());
        } else {
            eprintln!(
                "{package}: {} differs from the exported ABI (run `cargo run -p scripts -- abi --write`)",
                path.display()
            );
            stale += 1;
        }
    }
    if stale > 0 {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
