//! Which chain a command talks to, with which key: a network of `deployments/networks.toml`
//! (RPC URL from `--rpc-url`, `OPTIONS_RPC_URL_<NAME>` or the file), or, with no network, an
//! embedded devnet started for the command.

use alloy::signers::local::PrivateKeySigner;
use clap::Args;
use deploy::keys::{signer, Env, KeyError};
use deploy::network::{network, NetworkError};
use deploy::record::record_path;
use deploy::{Deployer, Network};
use devnet::{Node, NodeConfig, NodeHandle};
use std::path::{Path, PathBuf};

/// Options every chain-facing command takes.
#[derive(Args, Debug, Clone, Default)]
pub struct Conn {
    /// Network of deployments/networks.toml (default: an embedded devnet, started for this run).
    #[arg(long, short)]
    pub network: Option<String>,
    /// Override the network's RPC URL.
    #[arg(long)]
    pub rpc_url: Option<String>,
    /// Encrypted JSON keystore holding the key (password: KEYSTORE_PASSWORD, or the file
    /// KEYSTORE_PASSWORD_FILE names).
    #[arg(long)]
    pub keystore: Option<PathBuf>,
    /// The deployment record (default: deployments/<network>.json).
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

/// A resolved target.
pub struct Target {
    pub network: Network,
    pub url: String,
    pub record_path: PathBuf,
    pub signer: PrivateKeySigner,
    /// The embedded devnet, when one was started (stops on drop).
    pub node: Option<NodeHandle>,
    /// `--json`.
    pub json: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error(transparent)]
    Network(#[from] NetworkError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("cannot start the embedded devnet: {0}")]
    Devnet(std::io::Error),
    #[error(transparent)]
    Deploy(#[from] deploy::DeployError),
}

/// The local network's dev keys (public: the standard test mnemonic), the ones the devnet funds.
pub fn dev_signers() -> Vec<PrivateKeySigner> {
    devnet::keys::dev_keys(10)
        .iter()
        .filter_map(|k| PrivateKeySigner::from_bytes(&k.private_key).ok())
        .collect()
}

impl Target {
    pub fn resolve(root: &Path, conn: &Conn) -> Result<Self, TargetError> {
        let env = Env::load(root);
        let Some(name) = &conn.network else {
            let node = Node::spawn(NodeConfig::default()).map_err(TargetError::Devnet)?;
            let mut network = network(root, "local")?;
            network.rpc_url = node.url.clone();
            network.chain_id = devnet::DEFAULT_CHAIN_ID;
            let signer = match (&conn.keystore, env.get("PRIVATE_KEY")) {
                (None, None) => dev_signers().remove(0),
                _ => signer(&env, conn.keystore.as_deref())?,
            };
            return Ok(Self {
                url: node.url.clone(),
                record_path: conn
                    .record
                    .clone()
                    .unwrap_or_else(|| record_path(root, "local")),
                network,
                signer,
                node: Some(node),
                json: conn.json,
            });
        };
        let mut network = network(root, name)?;
        if let Some(url) = &conn.rpc_url {
            network.rpc_url = url.clone();
        }
        // The local network's dev key is public; anywhere else a key must be given.
        let signer = match (&conn.keystore, env.get("PRIVATE_KEY"), network.mock_feeds) {
            (None, None, true) => dev_signers().remove(0),
            _ => signer(&env, conn.keystore.as_deref())?,
        };
        Ok(Self {
            url: network.rpc_url.clone(),
            record_path: conn
                .record
                .clone()
                .unwrap_or_else(|| record_path(root, name)),
            network,
            signer,
            node: None,
            json: conn.json,
        })
    }

    pub fn deployer(&self) -> Result<Deployer, TargetError> {
        Ok(Deployer::connect(&self.url, self.signer.clone())?)
    }

    /// Every governance signer whose key this command holds: the given key, and the public dev
    /// keys among the configured signers (local networks; the testnet's second signer).
    pub fn governance_signers(&self) -> Result<Vec<Deployer>, TargetError> {
        let mut keys = vec![self.signer.clone()];
        let configured = self
            .network
            .governance
            .signer_addresses(self.signer.address());
        keys.extend(
            dev_signers().into_iter().filter(|k| {
                k.address() != self.signer.address() && configured.contains(&k.address())
            }),
        );
        keys.into_iter()
            .map(|k| Ok(Deployer::connect(&self.url, k)?))
            .collect()
    }
}
