//! `options keeper`: the keeper's command-line options and its start from a deployment record
//! (`deployments/<network>.json`) or from addresses given as flags.

use crate::agent::{Addresses, Config, Keeper};
use crate::auction::Economics;
use crate::kv;
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::client::RpcClient;
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::http::{reqwest, Http};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// Options of `options keeper` (the network, RPC URL and key come from the CLI's own options).
#[derive(Args, Debug, Clone)]
pub struct KeeperArgs {
    /// The option factory (addresses given as flags override the deployment record's).
    #[arg(long)]
    pub factory: Option<Address>,
    /// The collateral escrow.
    #[arg(long)]
    pub escrow: Option<Address>,
    /// The margin engine (liquidation and settlement).
    #[arg(long)]
    pub engine: Option<Address>,
    /// The oracle adapter (live prices, primary feeds).
    #[arg(long)]
    pub oracle: Option<Address>,
    /// The expiry oracle (settlement prices).
    #[arg(long)]
    pub expiry_oracle: Option<Address>,
    /// The escrow registry (risk and auction parameters).
    #[arg(long)]
    pub registry: Option<Address>,
    /// First block to read without a checkpoint (default: the record's first block, else 0).
    #[arg(long)]
    pub start_block: Option<u64>,
    /// Blocks a block must be buried under before its events count.
    #[arg(long, default_value_t = 2)]
    pub confirmations: u64,
    /// Most blocks per eth_getLogs request.
    #[arg(long, default_value_t = 2_000)]
    pub max_range: u64,
    /// Milliseconds between ticks.
    #[arg(long, default_value_t = 1_000)]
    pub poll_ms: u64,
    /// Seconds before an RPC request times out (and is retried).
    #[arg(long, default_value_t = 10)]
    pub rpc_timeout: u64,
    /// Checkpoint and nonce files (default: `deployments/<network>.keeper/`).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Warn when collateral is less than this many basis points above the requirement.
    #[arg(long, default_value_t = 1_000)]
    pub warn_bps: u64,
    /// Least profit of a liquidation, in the strike asset with 18 decimals.
    #[arg(long, default_value = "0")]
    pub min_profit: U256,
    /// Price of the gas token in the strike asset, 18 decimals (values the gas of a liquidation).
    #[arg(long, default_value = "0")]
    pub native_price: U256,
    /// Watch and report only: no liquidations.
    #[arg(long)]
    pub no_liquidate: bool,
    /// Do not submit expiry prices.
    #[arg(long)]
    pub no_expiry: bool,
    /// Settle the expired vaults of these owners (the keeper must be their operator).
    #[arg(long, value_delimiter = ',')]
    pub settle_for: Vec<Address>,
    /// Log every transaction it would send; send none.
    #[arg(long)]
    pub dry_run: bool,
    /// Stop at the next tick once this file exists (SIGINT and SIGTERM stop it too).
    #[arg(long)]
    pub kill_file: Option<PathBuf>,
    /// Seconds before an unmined transaction is replaced with higher fees.
    #[arg(long, default_value_t = 30)]
    pub replace_after: u64,
    /// Do not write options in the keeper's own vault when its inventory is short.
    #[arg(long)]
    pub no_mint: bool,
}

/// A provider whose requests time out after `timeout` (the keeper retries them).
pub fn connect(url: &str, timeout: Duration) -> Result<DynProvider, String> {
    let url: reqwest::Url = url.parse().map_err(|e| format!("RPC URL {url}: {e}"))?;
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| e.to_string())?;
    let local = url
        .host_str()
        .is_some_and(|h| h == "127.0.0.1" || h == "localhost");
    let rpc = RpcClient::new(Http::with_client(client, url), local);
    Ok(ProviderBuilder::new()
        .disable_recommended_fillers()
        .connect_client(rpc)
        .erased())
}

/// What the keeper needs of a deployment record (`deployments/<network>.json`, written by
/// `options deploy`): each step's name, address and block.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Deployment {
    pub steps: Vec<DeployedStep>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct DeployedStep {
    pub name: String,
    pub address: Address,
    #[serde(default)]
    pub block: u64,
}

impl Deployment {
    /// Reads the record; `None` when there is none.
    pub fn load(path: &std::path::Path) -> Result<Option<Self>, String> {
        crate::checkpoint::load(path).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn address(&self, name: &str) -> Option<Address> {
        self.steps
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.address)
    }

    /// The first block of the deployment: nothing of the protocol happened before it.
    pub fn first_block(&self) -> Option<u64> {
        self.steps.iter().map(|s| s.block).filter(|b| *b > 0).min()
    }
}

/// The keeper's configuration from the record (if any) and the flags.
pub fn config(
    args: &KeeperArgs,
    record: Option<&Deployment>,
    default_state_dir: PathBuf,
) -> Result<Config, String> {
    let pick = |flag: Option<Address>, name: &str| -> Result<Address, String> {
        flag.or_else(|| record.and_then(|r| r.address(name)))
            .ok_or_else(|| {
                format!("no address for `{name}`: no deployment record has it; pass --{name}")
            })
    };
    let addresses = Addresses {
        factory: pick(args.factory, "factory")?,
        escrow: pick(args.escrow, "escrow")?,
        engine: pick(args.engine, "engine")?,
        oracle: pick(args.oracle, "oracle")?,
        expiry_oracle: pick(args.expiry_oracle, "expiry-oracle")?,
        registry: pick(args.registry, "registry")?,
    };
    let mut c = Config::new(addresses);
    c.start_block = args
        .start_block
        .or_else(|| record.and_then(Deployment::first_block))
        .unwrap_or(0);
    c.confirmations = args.confirmations;
    c.max_range = args.max_range;
    c.poll_interval = Duration::from_millis(args.poll_ms);
    c.state_dir = Some(args.state_dir.clone().unwrap_or(default_state_dir));
    c.warn_bps = args.warn_bps;
    c.economics = Economics {
        native_price: args.native_price,
        min_profit: args.min_profit,
    };
    c.liquidate = !args.no_liquidate;
    c.mint_inventory = !args.no_mint;
    c.submit_expiry_prices = !args.no_expiry;
    c.settle_for = args.settle_for.clone();
    c.dry_run = args.dry_run;
    c.kill_file = args.kill_file.clone();
    c.send.replace_after = Duration::from_secs(args.replace_after);
    Ok(c)
}

/// Runs the keeper until its kill switch. `record` is the deployment record's path.
pub async fn run(
    url: &str,
    signer: PrivateKeySigner,
    record: &std::path::Path,
    args: &KeeperArgs,
) -> Result<(), String> {
    let loaded = Deployment::load(record)?;
    let state_dir = record.with_extension("keeper");
    let config = config(args, loaded.as_ref(), state_dir)?;
    let provider = connect(url, Duration::from_secs(args.rpc_timeout))?;
    kv!(
        info,
        "keeper_config",
        rpc = url,
        record = record.display(),
        state_dir = config
            .state_dir
            .as_ref()
            .map_or(String::new(), |d| d.display().to_string()),
        start_block = config.start_block
    );
    let mut keeper = Keeper::open(provider, signer, config)
        .await
        .map_err(|e| e.to_string())?;
    keeper.run().await.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: KeeperArgs,
    }

    fn args(flags: &[&str]) -> KeeperArgs {
        Cli::parse_from(std::iter::once("keeper").chain(flags.iter().copied())).args
    }

    /// Steps shaped as `options deploy` records them (fields the keeper ignores included).
    const RECORD: &str = r#"{
        "network": "local", "chain_id": 412346,
        "deployer": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "steps": [
            {"name": "governance", "kind": "constructor", "address": "0x0000000000000000000000000000000000000009", "args": "0x", "tx": "0x0000000000000000000000000000000000000000000000000000000000000001", "block": 3, "gas_used": 1},
            {"name": "factory", "kind": "proxy", "address": "0x0000000000000000000000000000000000000001", "block": 12},
            {"name": "escrow", "kind": "proxy", "address": "0x0000000000000000000000000000000000000002", "block": 10},
            {"name": "engine", "kind": "proxy", "address": "0x0000000000000000000000000000000000000003", "block": 11},
            {"name": "oracle", "kind": "proxy", "address": "0x0000000000000000000000000000000000000004", "block": 8},
            {"name": "expiry-oracle", "kind": "proxy", "address": "0x0000000000000000000000000000000000000005", "block": 9},
            {"name": "registry", "kind": "proxy", "address": "0x0000000000000000000000000000000000000006", "block": 7}
        ]
    }"#;

    #[test]
    fn addresses_from_the_record_and_flags_over_it() {
        let record: Deployment = serde_json::from_str(RECORD).unwrap();
        let c = config(&args(&[]), Some(&record), "state".into()).unwrap();
        assert_eq!(c.addresses.factory, Address::with_last_byte(1));
        assert_eq!(c.addresses.engine, Address::with_last_byte(3));
        assert_eq!(c.addresses.registry, Address::with_last_byte(6));
        assert_eq!(c.start_block, 3);
        assert_eq!(c.state_dir, Some(PathBuf::from("state")));
        let flags = args(&[
            "--escrow",
            "0x00000000000000000000000000000000000000ee",
            "--start-block",
            "100",
            "--min-profit",
            "1000000000000000000",
            "--dry-run",
            "--no-mint",
            "--settle-for",
            "0x00000000000000000000000000000000000000a1,0x00000000000000000000000000000000000000a2",
        ]);
        let c = config(&flags, Some(&record), "state".into()).unwrap();
        assert_eq!(c.addresses.escrow, Address::with_last_byte(0xee));
        assert_eq!(c.start_block, 100);
        assert_eq!(
            c.economics.min_profit,
            U256::from(10u64).pow(U256::from(18))
        );
        assert!(c.dry_run);
        assert!(!c.mint_inventory);
        assert_eq!(c.settle_for.len(), 2);
    }

    #[test]
    fn a_missing_address_is_named() {
        let err = config(
            &args(&["--factory", "0x0000000000000000000000000000000000000001"]),
            None,
            "s".into(),
        )
        .unwrap_err();
        assert!(err.contains("`escrow`"), "{err}");
    }
}
