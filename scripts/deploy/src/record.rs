//! `deployments/<network>.json`: what was deployed, written atomically after every step so an
//! interrupted run resumes from it and nothing half-written is ever left behind.

use alloy::primitives::{Address, Bytes, B256, U256};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A network's deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub network: String,
    pub chain_id: u64,
    /// The account that sent the deployment transactions.
    pub deployer: Address,
    /// The Rust toolchain the contracts were built with (`rust-toolchain.toml`).
    pub toolchain: String,
    /// `git rev-parse HEAD` when the deployment (last) ran, `-dirty` when the tree had changes.
    pub git_commit: String,
    /// The plan's steps done so far, in plan order.
    pub steps: Vec<Step>,
    /// Upgrades through governance, proposed or executed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upgrades: Vec<Upgrade>,
}

/// An implementation swap behind a proxy, as governance carries it out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Upgrade {
    /// The proxy's step name (`factory`).
    pub proxy: String,
    pub previous: Address,
    /// The new implementation, deployed.
    pub implementation: Step,
    /// Governance proposal id.
    pub proposal: U256,
    /// Earliest execution time (unix seconds).
    pub eta: u64,
    /// The execution transaction, once executed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executed: Option<B256>,
}

/// One step of the plan, done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The plan's name for it (`option-factory`, `option-factory-proxy`, `wire:factory-admin`).
    pub name: String,
    pub kind: StepKind,
    /// The contract crate whose build was deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// The deployed contract, or the called one.
    pub address: Address,
    /// For a proxy: the implementation behind it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implementation: Option<Address>,
    /// keccak256 of the on-chain code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_hash: Option<B256>,
    /// Brotli-compressed code size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compressed_size: Option<usize>,
    /// Constructor arguments (ABI-encoded), the proxy's `initialize` call, or the call's data.
    pub args: Bytes,
    pub tx: B256,
    pub block: u64,
    pub gas_used: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<ActivationRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// CREATE with the Stylus prelude, then activation through ArbWasm.
    Program,
    /// Through the StylusDeployer, running the contract's `#[constructor]`.
    Constructor,
    /// An ERC-1967 proxy (through the StylusDeployer).
    Proxy,
    /// EVM code (the local network's mock tokens).
    Evm,
    /// A transaction to a deployed contract (initialisation, configuration, role wiring).
    Call,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationRecord {
    pub version: u16,
    /// Data fee charged, in wei.
    pub data_fee: U256,
    pub tx: B256,
    pub gas_used: u64,
}

impl Record {
    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// Address of a deployed step.
    pub fn address(&self, name: &str) -> Option<Address> {
        self.step(name).map(|s| s.address)
    }

    /// Gas of every transaction of the deployment (deployments, activations, calls).
    pub fn total_gas(&self) -> u64 {
        self.steps
            .iter()
            .map(|s| s.gas_used + s.activation.map_or(0, |a| a.gas_used))
            .sum()
    }

    /// Reads `path`; `None` when there is no such file.
    pub fn load(path: &Path) -> Result<Option<Self>, std::io::Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes `path` atomically: a temporary file beside it, then a rename.
    pub fn save(&self, path: &Path) -> Result<(), std::io::Error> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        text.push('\n');
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)
    }
}

/// Where a network's deployment is recorded.
pub fn record_path(root: &Path, network: &str) -> PathBuf {
    root.join("deployments").join(format!("{network}.json"))
}

/// The pinned toolchain (`channel` of `rust-toolchain.toml`).
pub fn toolchain(root: &Path) -> String {
    std::fs::read_to_string(root.join("rust-toolchain.toml"))
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.trim().strip_prefix("channel"))
                .map(|v| {
                    v.trim_start_matches([' ', '='])
                        .trim()
                        .trim_matches('"')
                        .to_string()
                })
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The commit the contracts were built from.
pub fn git_commit(root: &Path) -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "HEAD"]) {
        Some(head) => {
            let dirty =
                git(&["status", "--porcelain", "--", "contracts"]).is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{head}-dirty")
            } else {
                head
            }
        }
        None => "unknown".into(),
    }
}
