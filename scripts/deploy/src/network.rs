//! The committed network configuration (`deployments/networks.toml`), with Chainlink feeds from
//! `deployments/feeds.json`.

use alloy::primitives::utils::parse_units;
use alloy::primitives::{Address, I256, U256};
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
    /// Collateral and strike tokens, in the file's order.
    pub tokens: Vec<Token>,
    /// Underlyings: their price feed and risk parameters, in the file's order.
    pub underlyings: Vec<Underlying>,
    /// Allowed products.
    pub products: Vec<Product>,
}

/// An account in the configuration: an address, or `"deployer"`, the account that deploys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    Deployer,
    At(Address),
}

impl Account {
    pub fn resolve(self, deployer: Address) -> Address {
        match self {
            Self::Deployer => deployer,
            Self::At(a) => a,
        }
    }
}

impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text == "deployer" {
            return Ok(Self::Deployer);
        }
        text.parse().map(Self::At).map_err(|_| {
            serde::de::Error::custom(format!("`{text}` is neither an address nor \"deployer\""))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GovernanceConfig {
    pub signers: Vec<Account>,
    pub threshold: u64,
    pub delay: u64,
    pub guardian: Account,
}

impl GovernanceConfig {
    /// The signers' addresses when `deployer` deploys.
    pub fn signer_addresses(&self, deployer: Address) -> Vec<Address> {
        self.signers.iter().map(|s| s.resolve(deployer)).collect()
    }
}

/// A token the protocol accepts as collateral or strike asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub symbol: String,
    pub name: String,
    /// `None`: a mock ERC-20 deployed by the plan (step `mock-token:<symbol>`).
    pub address: Option<Address>,
    pub decimals: u8,
    /// Largest naked exposure, in base units.
    pub naked_cap: U256,
    /// Smallest collateral a vault may keep, in base units.
    pub dust_floor: U256,
}

/// An underlying: its Chainlink feed and the escrow's risk table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Underlying {
    pub symbol: String,
    /// The feed's pair in `feeds.json` (`ETH/USD`), or the mock feed's on mock networks.
    pub feed: String,
    /// Oldest answer accepted, seconds (heartbeat plus a margin).
    pub max_age: u64,
    /// Answers at or beyond these are refused, in the feed's decimals.
    pub min_answer: I256,
    pub max_answer: I256,
    /// Largest move between two rounds for which positions may open (1e18 fraction).
    pub max_round_move: U256,
    /// Quorum deviation between feeds (1e18 fraction; one feed: unused but bounded).
    pub max_deviation: U256,
    /// Spot shock of the naked margin (1e18 fraction).
    pub shock: U256,
    /// Time to expiry buckets (seconds) and the vol upper bound of each (1e18 fraction).
    pub max_times: Vec<u64>,
    pub upper_bounds: Vec<U256>,
}

/// An allowed product.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Product {
    pub underlying: String,
    pub strike: String,
    pub collateral: String,
    pub put: bool,
}

impl Product {
    /// The plan's step name for allowing it.
    pub fn step(&self) -> String {
        format!(
            "factory:product:{}-{}",
            self.underlying,
            if self.put { "put" } else { "call" }
        )
    }
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
    #[error("deployments/networks.toml, network `{network}`: {reason}")]
    Invalid { network: String, reason: String },
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
    #[serde(default)]
    tokens: Vec<TokenToml>,
    #[serde(default)]
    underlyings: Vec<UnderlyingToml>,
    #[serde(default)]
    products: Vec<Product>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct TokenToml {
    symbol: String,
    name: String,
    /// Absent: a mock token (networks with `mock-feeds`).
    address: Option<Address>,
    decimals: u8,
    /// Human units of the token.
    naked_cap: String,
    dust_floor: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct UnderlyingToml {
    symbol: String,
    feed: String,
    max_age: u64,
    /// Human prices in the feed's quote (`1`, `1000000`).
    min_price: String,
    max_price: String,
    /// Fractions (`0.1` = 10 %).
    max_round_move: String,
    max_deviation: String,
    shock: String,
    risk_times: Vec<u64>,
    risk_bounds: Vec<String>,
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
    parsed
        .into_iter()
        .map(|(name, n)| {
            let chainlink = feeds.networks.get(&name);
            let feeds = chainlink.map(|c| c.feeds.clone()).unwrap_or_default();
            let invalid = |reason: String| NetworkError::Invalid {
                network: name.clone(),
                reason,
            };
            let (tokens, underlyings) = markets(&n, &feeds).map_err(invalid)?;
            let network = Network {
                rpc_url: std::env::var(rpc_env_var(&name)).unwrap_or(n.rpc_url),
                chain_id: n.chain_id,
                stylus_deployer: n.stylus_deployer,
                mock_feeds: n.mock_feeds,
                explorer: n.explorer,
                governance: n.governance,
                feeds,
                sequencer_feed: chainlink.and_then(|c| c.sequencer_uptime_feed),
                tokens,
                underlyings,
                products: n.products,
                name: name.clone(),
            };
            Ok((name, network))
        })
        .collect()
}

type Markets = (Vec<Token>, Vec<Underlying>);

impl Network {
    pub fn token(&self, symbol: &str) -> Option<&Token> {
        self.tokens.iter().find(|t| t.symbol == symbol)
    }

    pub fn underlying(&self, symbol: &str) -> Option<&Underlying> {
        self.underlyings.iter().find(|u| u.symbol == symbol)
    }
}

/// The tokens and underlyings of a network, amounts parsed, every reference checked.
fn markets(n: &NetworkToml, feeds: &BTreeMap<String, Feed>) -> Result<Markets, String> {
    let mut tokens: Vec<Token> = Vec::new();
    for t in &n.tokens {
        if t.address.is_none() && !n.mock_feeds {
            return Err(format!("token {} has no address", t.symbol));
        }
        let token = Token {
            symbol: t.symbol.clone(),
            name: t.name.clone(),
            address: t.address,
            decimals: t.decimals,
            naked_cap: units(&t.naked_cap, t.decimals)?,
            dust_floor: units(&t.dust_floor, t.decimals)?,
        };
        if tokens.iter().any(|x| x.symbol == t.symbol) {
            return Err(format!("token {} listed twice", t.symbol));
        }
        tokens.push(token);
    }
    let listed = |symbol: &str| tokens.iter().any(|t| t.symbol == symbol);
    let mut underlyings: Vec<Underlying> = Vec::new();
    for u in &n.underlyings {
        if !listed(&u.symbol) || underlyings.iter().any(|x| x.symbol == u.symbol) {
            return Err(format!(
                "underlying {} is not a listed token, or is listed twice",
                u.symbol
            ));
        }
        let decimals = match feeds.get(&u.feed) {
            Some(feed) => feed.decimals,
            None if n.mock_feeds => crate::plan::MOCK_FEED_DECIMALS,
            None => return Err(format!("feed {} is not in feeds.json", u.feed)),
        };
        if u.risk_times.len() != u.risk_bounds.len() {
            return Err(format!(
                "underlying {}: {} risk-times but {} risk-bounds",
                u.symbol,
                u.risk_times.len(),
                u.risk_bounds.len()
            ));
        }
        let price =
            |p: &str| I256::try_from(units(p, decimals)?).map_err(|e| format!("price {p}: {e}"));
        let underlying = Underlying {
            symbol: u.symbol.clone(),
            feed: u.feed.clone(),
            max_age: u.max_age,
            min_answer: price(&u.min_price)?,
            max_answer: price(&u.max_price)?,
            max_round_move: units(&u.max_round_move, 18)?,
            max_deviation: units(&u.max_deviation, 18)?,
            shock: units(&u.shock, 18)?,
            max_times: u.risk_times.clone(),
            upper_bounds: u
                .risk_bounds
                .iter()
                .map(|b| units(b, 18))
                .collect::<Result<_, _>>()?,
        };
        underlyings.push(underlying);
    }
    let mut steps = std::collections::BTreeSet::new();
    for p in &n.products {
        for symbol in [&p.strike, &p.collateral] {
            if !listed(symbol) {
                return Err(format!(
                    "product {}: {symbol} is not a listed token",
                    p.step()
                ));
            }
        }
        if !underlyings.iter().any(|u| u.symbol == p.underlying) {
            return Err(format!(
                "product {}: {} is not a listed underlying",
                p.step(),
                p.underlying
            ));
        }
        if !steps.insert(p.step()) {
            return Err(format!(
                "product {} listed twice (one collateral per underlying and type)",
                p.step()
            ));
        }
    }
    Ok((tokens, underlyings))
}

/// A human amount (`0.01`) in base units of `decimals`.
fn units(human: &str, decimals: u8) -> Result<U256, String> {
    let fraction = human.split_once('.').map_or(0, |(_, f)| f.len());
    if human.starts_with('-') || fraction > usize::from(decimals) {
        return Err(format!(
            "`{human}` is not a non-negative amount with at most {decimals} decimals"
        ));
    }
    parse_units(human, decimals)
        .map(|u| u.get_absolute())
        .map_err(|e| format!("`{human}`: {e}"))
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
