//! The committed network configuration (`deployments/networks.toml`), with Chainlink feeds from
//! `deployments/feeds.json`.

use alloy::primitives::Address;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// One network as the plan needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    pub name: String,
    pub chain_id: u64,
    pub rpc_url: String,
    pub stylus_deployer: Address,
    /// Deploy mock aggregators instead of reading Chainlink (local chains).
    pub mock_feeds: bool,
    pub explorer: String,
    pub governance: GovernanceConfig,
    /// Chainlink price feeds by pair (`ETH/USD`), from `feeds.json`.
    pub feeds: BTreeMap<String, Feed>,
    /// Chainlink's L2 sequencer uptime feed, when there is one.
    pub sequencer_feed: Option<Address>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GovernanceConfig {
    pub signers: Vec<Address>,
    pub threshold: u64,
    pub delay: u64,
    pub guardian: Address,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Feed {
    pub proxy: Address,
    pub decimals: u8,
}

#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("unknown network `{0}` (known: {1})")]
    Unknown(String, String),
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct NetworkToml {
    chain_id: u64,
    rpc_url: String,
    stylus_deployer: Address,
    #[serde(default)]
    mock_feeds: bool,
    #[serde(default)]
    explorer: String,
    governance: GovernanceConfig,
}

#[derive(Deserialize)]
struct FeedsJson {
    networks: BTreeMap<String, FeedsNetwork>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FeedsNetwork {
    sequencer_uptime_feed: Option<Address>,
    #[serde(default)]
    feeds: BTreeMap<String, Feed>,
}

/// Every network of `deployments/networks.toml` (under `root`), by name.
pub fn networks(root: &Path) -> Result<BTreeMap<String, Network>, NetworkError> {
    let dir = root.join("deployments");
    let toml_path = dir.join("networks.toml");
    let text = read(&toml_path)?;
    let parsed: BTreeMap<String, NetworkToml> =
        toml::from_str(&text).map_err(|e| NetworkError::Read {
            path: toml_path.display().to_string(),
            reason: e.to_string(),
        })?;
    let feeds_path = dir.join("feeds.json");
    let feeds: FeedsJson = match std::fs::read_to_string(&feeds_path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| NetworkError::Read {
            path: feeds_path.display().to_string(),
            reason: e.to_string(),
        })?,
        Err(_) => FeedsJson {
            networks: BTreeMap::new(),
        },
    };
    Ok(parsed
        .into_iter()
        .map(|(name, n)| {
            let chainlink = feeds.networks.get(&name);
            let network = Network {
                rpc_url: std::env::var(rpc_env_var(&name)).unwrap_or(n.rpc_url),
                chain_id: n.chain_id,
                stylus_deployer: n.stylus_deployer,
                mock_feeds: n.mock_feeds,
                explorer: n.explorer,
                governance: n.governance,
                feeds: chainlink.map(|c| c.feeds.clone()).unwrap_or_default(),
                sequencer_feed: chainlink.and_then(|c| c.sequencer_uptime_feed),
                name: name.clone(),
            };
            (name, network)
        })
        .collect())
}

/// The network called `name`.
pub fn network(root: &Path, name: &str) -> Result<Network, NetworkError> {
    let mut all = networks(root)?;
    let known = all.keys().cloned().collect::<Vec<_>>().join(", ");
    all.remove(name)
        .ok_or_else(|| NetworkError::Unknown(name.to_string(), known))
}

/// The environment variable that overrides a network's RPC URL.
pub fn rpc_env_var(name: &str) -> String {
    format!(
        "OPTIONS_RPC_URL_{}",
        name.to_ascii_uppercase().replace('-', "_")
    )
}

fn read(path: &Path) -> Result<String, NetworkError> {
    std::fs::read_to_string(path).map_err(|e| NetworkError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}
