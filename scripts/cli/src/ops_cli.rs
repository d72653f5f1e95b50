//! The operation subcommands (`series`, `vault`, `redeem`, `liquidate`, `oracle`), flattened into
//! the `options` command; each runs against the network's recorded deployment.

use crate::ops::{human, series_table, vault_text, Protocol};
use crate::target::{Conn, Target};
use alloy::primitives::{Address, U256};
use clap::{Args, Subcommand};
use deploy::Record;

#[derive(Subcommand, Debug, Clone)]
pub enum OpsCommand {
    /// Option series: list them, or create one of an allowed product.
    Series {
        #[command(subcommand)]
        cmd: SeriesCmd,
        #[command(flatten)]
        conn: Conn,
    },
    /// The signer's vaults.
    Vault {
        #[command(subcommand)]
        cmd: VaultCmd,
        #[command(flatten)]
        conn: Conn,
    },
    /// Redeem expired options for their payout.
    Redeem {
        option: Address,
        /// Options, in whole units (18 decimals).
        amount: String,
        /// Recipient (default: the signer).
        #[arg(long)]
        to: Option<Address>,
        #[command(flatten)]
        conn: Conn,
    },
    /// Buy an unsafe vault's collateral at the auction's price by repaying its short.
    Liquidate {
        owner: Address,
        vault: U256,
        /// Options to repay, in whole units.
        amount: String,
        /// Only print what the auction would pay now.
        #[arg(long)]
        preview: bool,
        #[command(flatten)]
        conn: Conn,
    },
    /// Expiry prices.
    Oracle {
        #[command(subcommand)]
        cmd: OracleCmd,
        #[command(flatten)]
        conn: Conn,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum SeriesCmd {
    List,
    Create(CreateSeries),
}

#[derive(Args, Debug, Clone)]
pub struct CreateSeries {
    #[arg(long)]
    pub underlying: Address,
    #[arg(long)]
    pub strike_asset: Address,
    #[arg(long)]
    pub collateral: Address,
    #[arg(long)]
    pub put: bool,
    /// Strike in the strike asset's units per underlying (`2000`, `1999.5`).
    #[arg(long)]
    pub strike: String,
    /// Expiry, unix seconds at 08:00 UTC.
    #[arg(long)]
    pub expiry: u64,
}

#[derive(Subcommand, Debug, Clone)]
pub enum VaultCmd {
    /// Open the next vault with collateral `asset`.
    Open {
        collateral: Address,
        #[arg(long)]
        naked: bool,
    },
    Deposit {
        vault: U256,
        asset: Address,
        amount: String,
    },
    Withdraw {
        vault: U256,
        asset: Address,
        amount: String,
        #[arg(long)]
        to: Option<Address>,
    },
    Mint {
        vault: U256,
        option: Address,
        amount: String,
        #[arg(long)]
        to: Option<Address>,
    },
    Burn {
        vault: U256,
        option: Address,
        amount: String,
    },
    Settle {
        vault: U256,
        /// Vault owner (default: the signer).
        #[arg(long)]
        owner: Option<Address>,
        #[arg(long)]
        to: Option<Address>,
    },
    Show {
        vault: U256,
        #[arg(long)]
        owner: Option<Address>,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum OracleCmd {
    /// Propose `asset`'s expiry price from the first Chainlink round after `expiry`.
    SetExpiryPrice {
        asset: Address,
        expiry: u64,
        round: u128,
    },
}

impl OpsCommand {
    pub fn conn(&self) -> &Conn {
        match self {
            Self::Series { conn, .. }
            | Self::Vault { conn, .. }
            | Self::Redeem { conn, .. }
            | Self::Liquidate { conn, .. }
            | Self::Oracle { conn, .. } => conn,
        }
    }
}

/// The recorded deployment, or a message saying how to make one.
fn recorded(target: &Target) -> Result<Record, String> {
    Record::load(&target.record_path)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| {
            format!(
                "no deployment recorded in {}: run `options deploy --network {}` first",
                target.record_path.display(),
                target.network.name
            )
        })
}

/// `status`: the series and vaults of the recorded deployment.
pub async fn status(target: &Target) -> Result<crate::ops::Status, String> {
    let record = recorded(target)?;
    let deployer = target.deployer().map_err(|e| e.to_string())?;
    Protocol {
        deployer: &deployer,
        record: &record,
    }
    .status()
    .await
}

/// Runs an operation; prints its outcome (JSON with `--json`).
pub async fn run(target: &Target, cmd: &OpsCommand) -> Result<(), String> {
    let record = recorded(target)?;
    let deployer = target.deployer().map_err(|e| e.to_string())?;
    let p = Protocol {
        deployer: &deployer,
        record: &record,
    };
    let me = deployer.from();
    let json = target.json;
    let emit = |value: serde_json::Value, text: String| {
        if json {
            println!("{value}");
        } else {
            print!("{text}");
        }
    };
    match cmd {
        OpsCommand::Series { cmd, .. } => match cmd {
            SeriesCmd::List => {
                let series = p.series_list().await?;
                emit(serde_json::json!(series), series_table(&series));
            }
            SeriesCmd::Create(c) => {
                let (token, gas) = p
                    .series_create(
                        c.underlying,
                        c.strike_asset,
                        c.collateral,
                        c.put,
                        &c.strike,
                        c.expiry,
                    )
                    .await?;
                emit(
                    serde_json::json!({ "token": token, "gas": gas }),
                    format!("series {token} ({gas} gas)\n"),
                );
            }
        },
        OpsCommand::Vault { cmd, .. } => {
            let done = |what: &str, gas: u64| {
                emit(
                    serde_json::json!({ "done": what, "gas": gas }),
                    format!("{what} ({gas} gas)\n"),
                )
            };
            match cmd {
                VaultCmd::Open { collateral, naked } => {
                    let (id, gas) = p.vault_open(*collateral, *naked).await?;
                    emit(
                        serde_json::json!({ "vault": id, "gas": gas }),
                        format!("opened vault {id} ({gas} gas)\n"),
                    );
                }
                VaultCmd::Deposit {
                    vault,
                    asset,
                    amount,
                } => done("deposited", p.vault_deposit(*vault, *asset, amount).await?),
                VaultCmd::Withdraw {
                    vault,
                    asset,
                    amount,
                    to,
                } => done(
                    "withdrew",
                    p.vault_withdraw(*vault, *asset, amount, to.unwrap_or(me))
                        .await?,
                ),
                VaultCmd::Mint {
                    vault,
                    option,
                    amount,
                    to,
                } => done(
                    "minted",
                    p.vault_mint(*vault, *option, amount, to.unwrap_or(me))
                        .await?,
                ),
                VaultCmd::Burn {
                    vault,
                    option,
                    amount,
                } => done("burnt", p.vault_burn(*vault, *option, amount).await?),
                VaultCmd::Settle { vault, owner, to } => {
                    let (payout, gas) = p
                        .vault_settle(owner.unwrap_or(me), *vault, to.unwrap_or(me))
                        .await?;
                    emit(
                        serde_json::json!({ "payout": payout, "gas": gas }),
                        format!("settled: paid out {payout} base units ({gas} gas)\n"),
                    );
                }
                VaultCmd::Show { vault, owner } => {
                    let v = p.vault_show(owner.unwrap_or(me), *vault).await?;
                    emit(serde_json::json!(v), vault_text(&v));
                }
            }
        }
        OpsCommand::Redeem {
            option, amount, to, ..
        } => {
            let (payout, gas) = p.redeem(*option, amount, to.unwrap_or(me)).await?;
            emit(
                serde_json::json!({ "payout": payout, "gas": gas }),
                format!("redeemed: paid out {payout} base units ({gas} gas)\n"),
            );
        }
        OpsCommand::Liquidate {
            owner,
            vault,
            amount,
            preview,
            ..
        } => {
            let v = p.vault_show(*owner, *vault).await?;
            let decimals = p.decimals(v.collateral_asset).await?;
            if *preview {
                let paid = p.liquidation_preview(*owner, *vault, amount).await?;
                emit(
                    serde_json::json!({ "collateralPaid": paid }),
                    format!(
                        "repaying {amount} options now pays {} of {}\n",
                        human(paid, decimals),
                        v.collateral_asset
                    ),
                );
            } else {
                let (paid, gas) = p.liquidate(*owner, *vault, amount).await?;
                emit(
                    serde_json::json!({ "collateralPaid": paid, "gas": gas }),
                    format!(
                        "liquidated: received {} of {} ({gas} gas)\n",
                        human(paid, decimals),
                        v.collateral_asset
                    ),
                );
            }
        }
        OpsCommand::Oracle { cmd, .. } => match cmd {
            OracleCmd::SetExpiryPrice {
                asset,
                expiry,
                round,
            } => {
                let gas = p.set_expiry_price(*asset, *expiry, *round).await?;
                emit(
                    serde_json::json!({ "gas": gas }),
                    format!("expiry price proposed ({gas} gas)\n"),
                );
            }
        },
    }
    Ok(())
}
