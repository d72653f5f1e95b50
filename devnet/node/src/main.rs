//! `devnet`: a local Arbitrum-like chain (EVM and Stylus) behind JSON-RPC, like anvil or
//! nitro's dev node, without Docker.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use alloy_primitives::U256;
use clap::Parser;
use devnet::{Node, NodeConfig, DEFAULT_CHAIN_ID, DEFAULT_PORT};

#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Port to listen on.
    #[arg(long, short, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    #[arg(long, default_value_t = DEFAULT_CHAIN_ID)]
    chain_id: u64,
    /// Number of dev accounts from the standard mnemonic.
    #[arg(long, short, default_value_t = 10)]
    accounts: u32,
    /// Balance of each dev account, in ETH.
    #[arg(long, default_value_t = 10_000)]
    balance: u64,
    /// Timestamp of the genesis block (default: now).
    #[arg(long)]
    timestamp: Option<u64>,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    max_body_bytes: usize,
    /// Keep the chain in FILE: load it at start when it exists, save it every
    /// `--state-interval` seconds while it changes and on exit (Ctrl-C, SIGTERM).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Seconds between saves of the state file.
    #[arg(long, default_value_t = 5, value_name = "SECONDS")]
    state_interval: u64,
    /// Blocks before the head whose state `eth_call`, `eth_getBalance` etc. can read at an
    /// older block tag (0: the head only).
    #[arg(long, default_value_t = devnet_chain::chain::DEFAULT_HISTORY_DEPTH, value_name = "BLOCKS")]
    history: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = NodeConfig {
        host: args.host,
        port: args.port,
        chain_id: args.chain_id,
        accounts: args.accounts,
        balance: U256::from(args.balance) * U256::from(10u64).pow(U256::from(18u64)),
        genesis_timestamp: args.timestamp,
        max_body_bytes: args.max_body_bytes,
        state_file: args.state.clone(),
        state_interval: Duration::from_secs(args.state_interval.max(1)),
        history_depth: args.history,
        ..NodeConfig::default()
    };
    let node = match Node::spawn(config.clone()) {
        Ok(node) => node,
        Err(e) => {
            eprintln!("devnet: cannot start on {}:{}: {e}", args.host, args.port);
            return ExitCode::FAILURE;
        }
    };
    println!("devnet {}", env!("CARGO_PKG_VERSION"));
    println!("\nAvailable Accounts\n==================");
    for (i, key) in node.keys.iter().enumerate() {
        println!("({i}) {} ({} ETH)", key.address, args.balance);
    }
    println!("\nPrivate Keys\n==================");
    for (i, key) in node.keys.iter().enumerate() {
        println!("({i}) {}", key.private_key);
    }
    println!("\nWallet\n==================");
    println!("Mnemonic:          {}", devnet::keys::DEV_MNEMONIC);
    println!("Derivation path:   m/44'/60'/0'/0/");
    println!("(the last key is nitro's dev node key, not derived from the mnemonic)");
    println!("\nChain ID\n==================\n{}", config.chain_id);
    if let Some(path) = &args.state {
        let height = node.chain.block_number().unwrap_or_default();
        println!(
            "\nState\n==================\n{} (block {height})",
            path.display()
        );
    }
    println!("\nListening on {}", node.addr);

    let waited = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(|runtime| runtime.block_on(stop_signal()));
    if let Err(e) = waited {
        eprintln!("devnet: cannot wait for signals: {e}");
    }
    println!("\nShutting down");
    node.shutdown();
    ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM from a process manager.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
