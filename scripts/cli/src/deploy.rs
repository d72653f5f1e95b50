//! `options deploy`, `verify`, `status`, `upgrade`: the plan of `deploy::plan` run against a
//! target, with progress on stderr and a table (or JSON) on stdout.

use crate::target::Target;
use alloy::primitives::{keccak256, utils::format_ether, B256};
use alloy::providers::Provider;
use contract_build::{build_contract, BuildOptions};
use deploy::plan::protocol;
use deploy::record::{Record, StepKind};
use deploy::run::{run, Progress, RunOptions};
use deploy::upgrade::{upgrade, UpgradeState};
use std::fmt::Write;
use std::path::Path;

/// One progress line on stderr.
pub fn print_progress(p: &Progress) {
    match p {
        Progress::Building { package } => eprintln!("[build]    {package} ..."),
        Progress::Built {
            package,
            compressed,
        } => eprintln!("[build]    {package}: {compressed} bytes compressed"),
        Progress::Kept { step, address } => eprintln!("[kept]     {step} at {address}"),
        Progress::Sending { step } => eprintln!("[send]     {step} ..."),
        Progress::Done {
            step,
            address,
            gas,
            activation,
        } => {
            let activated = activation.map_or(String::new(), |a| {
                let gas = match a.gas_used {
                    0 => "in the same transaction".to_string(),
                    gas => format!("{gas} gas"),
                };
                format!(
                    ", activated (Stylus v{}, data fee {} ETH, {gas})",
                    a.version,
                    format_ether(a.data_fee),
                )
            });
            eprintln!("[done]     {step} at {address}: {gas} gas{activated}");
        }
        Progress::AlreadyDone { step } => eprintln!("[on chain] {step} already took effect"),
        Progress::Estimate(estimate) => eprintln!("[funds]    {estimate}"),
    }
}

/// Options of `deploy`.
#[derive(Debug, Clone, Default)]
pub struct DeployArgs {
    /// Stop after this many steps (testing resumption).
    pub stop_after: Option<usize>,
}

/// Deploys (or resumes) the protocol; returns the record.
pub async fn deploy(root: &Path, target: &Target, args: &DeployArgs) -> Result<Record, String> {
    let deployer = target.deployer().map_err(|e| e.to_string())?;
    if target.node.is_some() {
        // The embedded devnet is a new chain on every run: its record starts afresh.
        let _ = std::fs::remove_file(&target.record_path);
    }
    let plan = protocol(&target.network);
    let opts = RunOptions {
        root: root.to_path_buf(),
        record_path: target.record_path.clone(),
        max_steps: args.stop_after,
    };
    run(&deployer, &target.network, &plan, &opts, &print_progress)
        .await
        .map_err(|e| e.to_string())
}

/// The record as a table.
pub fn table(record: &Record, seconds: Option<f64>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} (chain {}), deployer {}, commit {}, toolchain {}",
        record.network, record.chain_id, record.deployer, record.git_commit, record.toolchain
    );
    let _ = writeln!(
        out,
        "{:<32} {:<11} {:<42} {:>10} {:>10} {:>12}",
        "step", "kind", "address", "bytes", "gas", "activation"
    );
    for s in &record.steps {
        let kind = match s.kind {
            StepKind::Program => "program",
            StepKind::Constructor => "constructor",
            StepKind::Proxy => "proxy",
            StepKind::Evm => "evm",
            StepKind::Call => "call",
        };
        let _ = writeln!(
            out,
            "{:<32} {:<11} {:<42} {:>10} {:>10} {:>12}",
            s.name,
            kind,
            s.address.to_string(),
            s.compressed_size.map_or("-".into(), |b| b.to_string()),
            s.gas_used,
            s.activation.map_or("-".into(), |a| match a.gas_used {
                0 => "in deploy tx".to_string(),
                gas => gas.to_string(),
            }),
        );
    }
    let fees: alloy::primitives::U256 = record
        .steps
        .iter()
        .filter_map(|s| s.activation.map(|a| a.data_fee))
        .sum();
    let _ = write!(
        out,
        "{} steps, {} gas in all, activation data fees {} ETH",
        record.steps.len(),
        record.total_gas(),
        format_ether(fees)
    );
    if let Some(s) = seconds {
        let _ = write!(out, ", {s:.1} s");
    }
    out.push('\n');
    out
}

/// One row of `verify`.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub step: String,
    pub package: String,
    pub address: alloy::primitives::Address,
    pub recorded: Option<B256>,
    pub onchain: B256,
    pub local: Option<B256>,
    /// What differs, in words (empty: nothing).
    pub problems: Vec<String>,
    pub ok: bool,
}

/// Compares every recorded program with the chain and with a local build: the code's hash, and
/// for a proxy the ERC-1967 implementation and admin slots against the record (the
/// implementation step, as upgrades leave it; governance).
pub async fn verify(root: &Path, target: &Target) -> Result<Vec<Check>, String> {
    let record = Record::load(&target.record_path)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no deployment recorded in {}", target.record_path.display()))?;
    let deployer = target.deployer().map_err(|e| e.to_string())?;
    let rpc = |e| deploy::DeployError::from(e).to_string();
    let mut checks = Vec::new();
    let mut built = std::collections::HashMap::new();
    for step in record.steps.iter().filter(|s| s.package.is_some()) {
        let package = step.package.clone().unwrap_or_default();
        if !built.contains_key(&package) {
            eprintln!("[build]    {package} ...");
            let hash = build_contract(&package, &BuildOptions::new(root))
                .ok()
                .map(|a| a.code_hash);
            built.insert(package.clone(), hash);
        }
        let code = deployer
            .provider()
            .get_code_at(step.address)
            .await
            .map_err(rpc)?;
        let onchain = keccak256(&code);
        let local = built[&package];
        let mut problems = Vec::new();
        if step.code_hash != Some(onchain) {
            problems.push("on-chain code is not the recorded code".to_string());
        }
        if local != Some(onchain) {
            problems.push(match local {
                Some(_) => "on-chain code is not the local build".to_string(),
                None => "the local build failed".to_string(),
            });
        }
        if step.kind == StepKind::Proxy {
            let slot = |slot: B256| {
                let provider = deployer.provider().clone();
                async move {
                    provider
                        .get_storage_at(step.address, slot.into())
                        .await
                        .map(|w| alloy::primitives::Address::from_word(w.into()))
                }
            };
            let implementation = slot(abi::proxy::IMPLEMENTATION_SLOT).await.map_err(rpc)?;
            let expected = deploy::plan::implementation_of(&step.name)
                .and_then(|i| record.address(i))
                .or(step.implementation);
            if expected != Some(implementation) {
                problems.push(format!(
                    "runs implementation {implementation}, the record says {}",
                    expected.map_or("none".to_string(), |a| a.to_string())
                ));
            }
            let admin = slot(abi::proxy::ADMIN_SLOT).await.map_err(rpc)?;
            if Some(admin) != record.address(deploy::plan::GOVERNANCE) {
                problems.push(format!("proxy admin is {admin}, not governance"));
            }
        }
        checks.push(Check {
            step: step.name.clone(),
            package,
            address: step.address,
            recorded: step.code_hash,
            onchain,
            local,
            ok: problems.is_empty(),
            problems,
        });
    }
    Ok(checks)
}

pub fn verify_table(checks: &[Check]) -> String {
    let mut out = String::new();
    let short =
        |h: Option<B256>| h.map_or("(none)".to_string(), |h| h.to_string()[..14].to_string());
    let _ = writeln!(
        out,
        "{:<28} {:<42} {:<16} {:<16} {:<16} verdict",
        "step", "address", "recorded", "on chain", "local build"
    );
    for c in checks {
        let _ = writeln!(
            out,
            "{:<28} {:<42} {:<16} {:<16} {:<16} {}",
            c.step,
            c.address.to_string(),
            short(c.recorded),
            short(Some(c.onchain)),
            short(c.local),
            if c.ok {
                "same".to_string()
            } else {
                format!("DIFFERS: {}", c.problems.join("; "))
            }
        );
    }
    out
}

/// Advances the upgrade of `proxy`; a human line describing where it stands.
pub async fn upgrade_proxy(root: &Path, target: &Target, proxy: &str) -> Result<String, String> {
    let signers = target.governance_signers().map_err(|e| e.to_string())?;
    let plan = protocol(&target.network);
    let state = upgrade(
        &signers,
        &target.network,
        &plan,
        root,
        &target.record_path,
        proxy,
        target.network.mock_feeds,
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(match state {
        UpgradeState::UpToDate { implementation } => {
            format!("{proxy}: already runs the current build ({implementation}); nothing to do")
        }
        UpgradeState::Executed { implementation, tx } => {
            format!("{proxy}: upgraded to {implementation} (governance execute tx {tx})")
        }
        UpgradeState::Pending {
            proposal,
            confirmations,
            threshold,
            eta,
            now,
        } => {
            let mut left = Vec::new();
            if confirmations < threshold {
                left.push(format!(
                    "{} more signer confirmation(s) (run `options upgrade {proxy} --network {}` \
                     with another signer's key)",
                    threshold - confirmations,
                    target.network.name
                ));
            }
            if now < eta {
                left.push(format!(
                    "the timelock: executable at unix time {eta} (in {} s)",
                    eta - now
                ));
            }
            format!(
                "{proxy}: proposal {proposal} has {confirmations}/{threshold} confirmations; left: {}; \
                 then run this command again to execute",
                left.join("; ")
            )
        }
    })
}
