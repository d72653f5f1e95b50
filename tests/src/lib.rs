//! The end-to-end harness: a node, funded accounts and the contracts as the build pipeline
//! makes them, deployed the way a user deploys (the `deploy` library over JSON-RPC).
//!
//! With `STYLUS_RPC_URL` set, tests run against that node (a nitro dev node, say), with keys from
//! `STYLUS_PRIVATE_KEYS` (comma-separated hex) or, by default, the nitro dev node's funded key.
//! Without it, each harness starts an in-process devnet node on a loopback port.

pub mod escrow;
pub mod governance;
pub mod oracle;
pub mod program_cache;
pub mod protocol;

use alloy::signers::local::PrivateKeySigner;
use contract_build::{build_contract, workspace_root, Artifact, BuildOptions};
use deploy::Deployer;
use devnet::{Node, NodeConfig, NodeHandle};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The nitro dev node's prefunded key (public knowledge: a dev chain's key).
pub const NITRO_DEV_KEY: &str =
    "0xb6b15c8cb491557369f3c7d2c287b053eb229daa9c22138887752191c9520659";

/// A node to test against and the accounts funded on it.
pub struct Harness {
    pub url: String,
    pub keys: Vec<PrivateKeySigner>,
    /// The in-process node, when there is no external one (stopped on drop).
    pub node: Option<NodeHandle>,
}

impl Harness {
    /// Connects to `STYLUS_RPC_URL`, or starts an in-process devnet node.
    pub fn start() -> Self {
        if let Ok(url) = std::env::var("STYLUS_RPC_URL") {
            let keys = std::env::var("STYLUS_PRIVATE_KEYS")
                .unwrap_or_else(|_| NITRO_DEV_KEY.to_string())
                .split(',')
                .map(|k| {
                    k.trim()
                        .parse()
                        .expect("STYLUS_PRIVATE_KEYS holds hex private keys")
                })
                .collect();
            return Self {
                url,
                keys,
                node: None,
            };
        }
        let node = Node::spawn(NodeConfig::default()).expect("the devnet node starts");
        let keys = node
            .keys
            .iter()
            .map(|k| PrivateKeySigner::from_bytes(&k.private_key).expect("dev key"))
            .collect();
        Self {
            url: node.url.clone(),
            keys,
            node: Some(node),
        }
    }

    /// A deployer signing with funded account `index`.
    pub fn deployer(&self, index: usize) -> Deployer {
        let key = self
            .keys
            .get(index)
            .unwrap_or_else(|| panic!("only {} funded accounts", self.keys.len()))
            .clone();
        Deployer::connect(&self.url, key).expect("valid RPC URL")
    }
}

/// A contract as the build pipeline makes it, built once per test process.
pub fn artifact(package: &str) -> Artifact {
    static BUILT: OnceLock<Mutex<HashMap<String, Artifact>>> = OnceLock::new();
    let cache = BUILT.get_or_init(Default::default);
    // Holding the lock while building keeps two tests from compiling the same crate at once.
    let mut built = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(a) = built.get(package) {
        return a.clone();
    }
    let root = workspace_root(env!("CARGO_MANIFEST_DIR").as_ref()).expect("workspace root");
    let a = build_contract(package, &BuildOptions::new(root))
        .unwrap_or_else(|e| panic!("building {package}: {e}"));
    built.insert(package.to_string(), a.clone());
    a
}
