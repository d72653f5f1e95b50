//! `options`: build, deploy and operate the protocol.

use clap::{Parser, Subcommand};
use contract_build::workspace_root;
use scripts::deploy::DeployArgs;
use scripts::ops_cli::OpsCommand;
use scripts::target::{Conn, Target};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

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
    /// The whole story on an embedded devnet: deploy, write a covered call and a naked put, crash
    /// the price, liquidate by auction, expire, prove the expiry price, settle and redeem; then
    /// the balances and the gas of every step.
    Demo {
        /// Machine-readable output on stdout.
        #[arg(long)]
        json: bool,
    },
    #[command(flatten)]
    Ops(OpsCommand),
    /// Build, deploy, activate, initialise and wire the protocol (resuming a recorded
    /// deployment); with no --network, on an embedded devnet started for the run.
    Deploy {
        #[command(flatten)]
        conn: Conn,
        /// Stop after this many steps (the record keeps them; run again to resume).
        #[arg(long)]
        stop_after: Option<usize>,
        /// With the embedded devnet: keep serving it after the deployment, until Ctrl-C.
        #[arg(long)]
        serve: bool,
    },
    /// Compare the code on chain with the record and with a local build.
    Verify {
        #[command(flatten)]
        conn: Conn,
    },
    /// The deployment's series (expiry, strike, type, open interest, expiry price) and vaults
    /// (owner, collateral, short, requirement, excess or shortfall, health), as tables.
    Status {
        #[command(flatten)]
        conn: Conn,
    },
    /// Replace the implementation behind a proxy through governance (propose, confirm,
    /// execute; on local networks the dev signers sign and the clock is advanced).
    Upgrade {
        /// The proxy: factory, registry, oracle, expiry-oracle, escrow, engine.
        proxy: String,
        #[command(flatten)]
        conn: Conn,
    },
    /// Run the keeper on a deployment: follow the chain, report vault health, liquidate unsafe
    /// vaults, submit expiry prices and settle, until Ctrl-C, SIGTERM or its --kill-file.
    Keeper {
        #[command(flatten)]
        conn: Conn,
        #[command(flatten)]
        args: Box<keeper::cli::KeeperArgs>,
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
        Command::Demo { json } => {
            let conn = Conn {
                json,
                ..Conn::default()
            };
            chain(&root, &conn, |root, target| Box::pin(demo(root, target)))
        }
        Command::Ops(op) => chain(&root, &op.conn().clone(), move |_, target| {
            Box::pin(async move { scripts::ops_cli::run(target, &op).await })
        }),
        Command::Deploy {
            conn,
            stop_after,
            serve,
        } => chain(&root, &conn, |root, target| {
            Box::pin(deploy(root, target, stop_after, serve))
        }),
        Command::Verify { conn } => {
            chain(&root, &conn, |root, target| Box::pin(verify(root, target)))
        }
        Command::Status { conn } => chain(&root, &conn, |_, target| Box::pin(status(target))),
        Command::Upgrade { proxy, conn } => chain(&root, &conn, move |root, target| {
            Box::pin(async move {
                let line = scripts::deploy::upgrade_proxy(root, target, &proxy).await?;
                println!("{line}");
                Ok(())
            })
        }),
        Command::Keeper { conn, args } => chain(&root, &conn, move |_, target| {
            Box::pin(async move {
                keeper::cli::run(
                    &target.url,
                    target.signer.clone(),
                    &target.record_path,
                    &args,
                )
                .await
            })
        }),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

type Job<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + 'a>>;

/// Resolves the target (network, key, or an embedded devnet) and runs `job` on a runtime.
fn chain(
    root: &Path,
    conn: &Conn,
    job: impl for<'a> FnOnce(&'a Path, &'a Target) -> Job<'a>,
) -> Result<(), String> {
    let target = Target::resolve(root, conn).map_err(|e| e.to_string())?;
    if let Some(node) = &target.node {
        eprintln!(
            "embedded devnet at {} (chain {})",
            node.url, target.network.chain_id
        );
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(job(root, &target))
}

async fn deploy(
    root: &Path,
    target: &Target,
    stop_after: Option<usize>,
    serve: bool,
) -> Result<(), String> {
    let start = Instant::now();
    let args = DeployArgs { stop_after };
    let record = scripts::deploy::deploy(root, target, &args).await?;
    let seconds = start.elapsed().as_secs_f64();
    eprintln!("record: {}", target.record_path.display());
    if target.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&record).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", scripts::deploy::table(&record, Some(seconds)));
    }
    if serve {
        if let Some(node) = &target.node {
            eprintln!("serving the devnet at {} until Ctrl-C", node.url);
            tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

async fn demo(root: &Path, target: &Target) -> Result<(), String> {
    let start = Instant::now();
    let record = scripts::deploy::deploy(root, target, &DeployArgs { stop_after: None }).await?;
    eprint!(
        "{}",
        scripts::deploy::table(&record, Some(start.elapsed().as_secs_f64()))
    );
    let story = scripts::demo::story(target, &record).await;
    if target.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&story).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", scripts::demo::text(&story));
    }
    match &story.stopped {
        None => Ok(()),
        Some(reason) => Err(format!("the demo stopped: {reason}")),
    }
}

async fn verify(root: &Path, target: &Target) -> Result<(), String> {
    let checks = scripts::deploy::verify(root, target).await?;
    if target.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&checks).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", scripts::deploy::verify_table(&checks));
    }
    match checks.iter().filter(|c| !c.ok).count() {
        0 => Ok(()),
        n => Err(format!("{n} contract(s) differ")),
    }
}

async fn status(target: &Target) -> Result<(), String> {
    let status = scripts::ops_cli::status(target).await?;
    if target.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&status).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", scripts::ops::status_text(&status));
    }
    Ok(())
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
