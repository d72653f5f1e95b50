//! Operations on a deployed protocol, through the `abi` crate's bindings (so they follow the
//! interfaces as they change): series, vaults, redemption, settlement, liquidation with a price
//! preview, expiry prices. Amounts are read and printed in human units (the token's decimals;
//! options have 18); refusals come back as the contracts' custom errors, decoded.

use abi::erc20::IERC20;
use abi::escrow::{
    Action, ICollateralEscrow, IMarginEngine, ACTION_BURN_SHORT, ACTION_DEPOSIT_COLLATERAL,
    ACTION_MINT_SHORT, ACTION_OPEN, ACTION_WITHDRAW_COLLATERAL, VAULT_FULL, VAULT_NAKED,
};
use abi::option_factory::IOptionFactory;
use abi::option_token::IOptionToken;
use abi::oracle::IExpiryOracle;
use alloy::network::TransactionBuilder;
use alloy::primitives::utils::{format_units, parse_units};
use alloy::primitives::{aliases::U80, Address, Bytes, U256};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::sol_types::SolCall;
use deploy::{Deployer, Record};
use std::fmt::Write;

/// Decimals of option tokens.
pub const OPTION_DECIMALS: u8 = 18;

/// The protocol as recorded, and an account to act with.
pub struct Protocol<'a> {
    pub deployer: &'a Deployer,
    pub record: &'a Record,
}

/// A series as `series list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Series {
    pub token: Address,
    pub symbol: String,
    pub underlying: Address,
    pub strike_asset: Address,
    pub collateral: Address,
    pub is_put: bool,
    /// Strike in human units (the protocol's 1e18 fixed point).
    pub strike: String,
    pub expiry: u64,
    pub total_supply: String,
}

/// A vault as `vault show` shows it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Vault {
    pub owner: Address,
    pub id: U256,
    pub naked: bool,
    pub collateral_asset: Address,
    pub collateral: String,
    pub short_option: Address,
    pub short_amount: String,
    pub long_option: Address,
    pub long_amount: String,
    pub requirement: String,
    pub excess: String,
    pub shortfall: String,
    pub auction_start: u64,
}

type Result<T> = std::result::Result<T, String>;

/// Parses a human amount (`1.5`) into base units of a token with `decimals`.
pub fn amount(human: &str, decimals: u8) -> Result<U256> {
    let fraction = human.split_once('.').map_or(0, |(_, f)| f.len());
    if human.starts_with('-') || fraction > usize::from(decimals) {
        return Err(format!(
            "`{human}` is not a non-negative amount with at most {decimals} decimals"
        ));
    }
    parse_units(human, decimals)
        .map(|u| u.get_absolute())
        .map_err(|e| format!("`{human}` is not an amount with {decimals} decimals: {e}"))
}

/// Base units as a human amount.
pub fn human(units: U256, decimals: u8) -> String {
    let text = format_units(units, decimals).unwrap_or_else(|_| units.to_string());
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.to_string()
    }
}

impl Protocol<'_> {
    fn addr(&self, name: &str) -> Result<Address> {
        self.record
            .address(name)
            .ok_or_else(|| format!("the deployment has no `{name}` (deploy it first)"))
    }

    async fn view<C: SolCall>(&self, to: Address, call: C) -> Result<C::Return> {
        self.deployer
            .view(to, call)
            .await
            .map_err(|e| e.to_string())
    }

    async fn send<C: SolCall>(&self, to: Address, call: C) -> Result<TransactionReceipt> {
        let tx = TransactionRequest::default()
            .with_from(self.deployer.from())
            .with_to(to)
            .with_input(Bytes::from(call.abi_encode()));
        self.deployer.send(tx).await.map_err(|e| e.to_string())
    }

    /// Decimals of an ERC-20.
    pub async fn decimals(&self, token: Address) -> Result<u8> {
        self.view(token, IERC20::decimalsCall {}).await
    }

    /// Every series of the factory.
    pub async fn series_list(&self) -> Result<Vec<Series>> {
        let factory = self.addr("factory")?;
        let count: U256 = self
            .view(factory, IOptionFactory::seriesCountCall {})
            .await?;
        let mut out = Vec::new();
        for i in 0..count.saturating_to::<u64>() {
            let token = self
                .view(
                    factory,
                    IOptionFactory::seriesAtCall {
                        index: U256::from(i),
                    },
                )
                .await?;
            let info = self.view(token, IOptionToken::seriesInfoCall {}).await?;
            let symbol = self.view(token, IERC20::symbolCall {}).await?;
            let supply = self.view(token, IERC20::totalSupplyCall {}).await?;
            out.push(Series {
                token,
                symbol,
                underlying: info.underlying,
                strike_asset: info.strikeAsset,
                collateral: info.collateral,
                is_put: info.isPut,
                strike: human(info.strikePrice, 18),
                expiry: info.expiry,
                total_supply: human(supply, OPTION_DECIMALS),
            });
        }
        Ok(out)
    }

    /// Creates a series (anyone may, for an allowed product); returns its token.
    #[allow(clippy::too_many_arguments)]
    pub async fn series_create(
        &self,
        underlying: Address,
        strike_asset: Address,
        collateral: Address,
        is_put: bool,
        strike: &str,
        expiry: u64,
    ) -> Result<(Address, u64)> {
        let factory = self.addr("factory")?;
        let call = IOptionFactory::createSeriesCall {
            underlying,
            strikeAsset: strike_asset,
            collateral,
            isPut: is_put,
            strikePrice: amount(strike, 18)?,
            expiry,
        };
        let token = self
            .view(
                factory,
                IOptionFactory::predictSeriesAddressCall {
                    underlying,
                    strikeAsset: strike_asset,
                    collateral,
                    isPut: is_put,
                    strikePrice: call.strikePrice,
                    expiry,
                },
            )
            .await?;
        let receipt = self.send(factory, call).await?;
        Ok((token, receipt.gas_used))
    }

    /// Runs `actions` on vault `id` of the signer.
    async fn operate(&self, id: U256, actions: Vec<Action>) -> Result<u64> {
        let escrow = self.addr("escrow")?;
        let receipt = self
            .send(
                escrow,
                ICollateralEscrow::operateCall {
                    owner: self.deployer.from(),
                    vaultId: id,
                    actions,
                },
            )
            .await?;
        Ok(receipt.gas_used)
    }

    /// Opens the signer's next vault; returns its id.
    pub async fn vault_open(&self, collateral: Address, naked: bool) -> Result<(U256, u64)> {
        let escrow = self.addr("escrow")?;
        let count: U256 = self
            .view(
                escrow,
                ICollateralEscrow::vaultCountCall {
                    owner: self.deployer.from(),
                },
            )
            .await?;
        let id = count + U256::from(1);
        let kind = if naked { VAULT_NAKED } else { VAULT_FULL };
        let gas = self
            .operate(
                id,
                vec![Action {
                    kind: ACTION_OPEN,
                    asset: collateral,
                    account: Address::ZERO,
                    amount: U256::from(kind),
                }],
            )
            .await?;
        Ok((id, gas))
    }

    /// Approves the escrow for `amount` of `token` when its allowance is short.
    async fn approve(&self, token: Address, units: U256) -> Result<()> {
        let escrow = self.addr("escrow")?;
        let allowance = self
            .view(
                token,
                IERC20::allowanceCall {
                    owner: self.deployer.from(),
                    spender: escrow,
                },
            )
            .await?;
        if allowance < units {
            self.send(
                token,
                IERC20::approveCall {
                    spender: escrow,
                    value: units,
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Deposits `human` of the vault's collateral `asset`.
    pub async fn vault_deposit(&self, id: U256, asset: Address, human: &str) -> Result<u64> {
        let units = amount(human, self.decimals(asset).await?)?;
        self.approve(asset, units).await?;
        self.operate(
            id,
            vec![action(
                ACTION_DEPOSIT_COLLATERAL,
                asset,
                Address::ZERO,
                units,
            )],
        )
        .await
    }

    /// Withdraws `human` of collateral `asset` to `to`.
    pub async fn vault_withdraw(
        &self,
        id: U256,
        asset: Address,
        human: &str,
        to: Address,
    ) -> Result<u64> {
        let units = amount(human, self.decimals(asset).await?)?;
        self.operate(
            id,
            vec![action(ACTION_WITHDRAW_COLLATERAL, asset, to, units)],
        )
        .await
    }

    /// Mints `human` options of `option` to `to` against the vault.
    pub async fn vault_mint(
        &self,
        id: U256,
        option: Address,
        human: &str,
        to: Address,
    ) -> Result<u64> {
        let units = amount(human, OPTION_DECIMALS)?;
        self.operate(id, vec![action(ACTION_MINT_SHORT, option, to, units)])
            .await
    }

    /// Burns `human` options of `option` held by the signer, reducing the vault's short.
    pub async fn vault_burn(&self, id: U256, option: Address, human: &str) -> Result<u64> {
        let units = amount(human, OPTION_DECIMALS)?;
        self.operate(
            id,
            vec![action(ACTION_BURN_SHORT, option, Address::ZERO, units)],
        )
        .await
    }

    /// A vault and its health.
    pub async fn vault_show(&self, owner: Address, id: U256) -> Result<Vault> {
        let escrow = self.addr("escrow")?;
        let engine = self.addr("engine")?;
        let v = self
            .view(
                escrow,
                ICollateralEscrow::getVaultCall { owner, vaultId: id },
            )
            .await?;
        let decimals = if v.collateralAsset.is_zero() {
            18
        } else {
            self.decimals(v.collateralAsset).await?
        };
        let health = self
            .view(
                engine,
                IMarginEngine::getVaultHealthCall { owner, vaultId: id },
            )
            .await?;
        Ok(Vault {
            owner,
            id,
            naked: v.vaultType == VAULT_NAKED,
            collateral_asset: v.collateralAsset,
            collateral: human(v.collateral, decimals),
            short_option: v.shortOption,
            short_amount: human(v.shortAmount, OPTION_DECIMALS),
            long_option: v.longOption,
            long_amount: human(v.longAmount, OPTION_DECIMALS),
            requirement: human(health.requirement, decimals),
            excess: human(health.excess, decimals),
            shortfall: human(health.shortfall, decimals),
            auction_start: v.auctionStart,
        })
    }

    /// Settles an expired vault, paying what is left to `to`; returns the payout.
    pub async fn vault_settle(&self, owner: Address, id: U256, to: Address) -> Result<(U256, u64)> {
        let engine = self.addr("engine")?;
        let call = IMarginEngine::settleVaultCall {
            owner,
            vaultId: id,
            to,
        };
        let payout = self.view(engine, call.clone()).await?;
        let receipt = self.send(engine, call).await?;
        Ok((payout, receipt.gas_used))
    }

    /// Redeems `human` expired options for their payout to `to`.
    pub async fn redeem(&self, option: Address, human: &str, to: Address) -> Result<(U256, u64)> {
        let engine = self.addr("engine")?;
        let call = IMarginEngine::redeemCall {
            option,
            amount: amount(human, OPTION_DECIMALS)?,
            to,
        };
        let payout = self.view(engine, call.clone()).await?;
        let receipt = self.send(engine, call).await?;
        Ok((payout, receipt.gas_used))
    }

    /// The collateral `liquidate` would pay now for `human` options (a static call: the
    /// auction's current price, nothing sent).
    pub async fn liquidation_preview(&self, owner: Address, id: U256, human: &str) -> Result<U256> {
        let engine = self.addr("engine")?;
        self.view(
            engine,
            IMarginEngine::liquidateCall {
                owner,
                vaultId: id,
                amount: amount(human, OPTION_DECIMALS)?,
                to: self.deployer.from(),
            },
        )
        .await
    }

    /// Liquidates: repays `human` of the vault's short with the signer's options, for collateral.
    pub async fn liquidate(&self, owner: Address, id: U256, human: &str) -> Result<(U256, u64)> {
        let paid = self.liquidation_preview(owner, id, human).await?;
        let engine = self.addr("engine")?;
        let receipt = self
            .send(
                engine,
                IMarginEngine::liquidateCall {
                    owner,
                    vaultId: id,
                    amount: amount(human, OPTION_DECIMALS)?,
                    to: self.deployer.from(),
                },
            )
            .await?;
        Ok((paid, receipt.gas_used))
    }

    /// Proposes the expiry price of `asset` at `expiry` from Chainlink round `round`.
    pub async fn set_expiry_price(&self, asset: Address, expiry: u64, round: u128) -> Result<u64> {
        let oracle = self.addr("expiry-oracle")?;
        let receipt = self
            .send(
                oracle,
                IExpiryOracle::setExpiryPriceCall {
                    asset,
                    expiry: U256::from(expiry),
                    roundId: U80::from(round),
                },
            )
            .await?;
        Ok(receipt.gas_used)
    }
}

fn action(kind: u8, asset: Address, account: Address, amount: U256) -> Action {
    Action {
        kind,
        asset,
        account,
        amount,
    }
}

/// `series list` as a table.
pub fn series_table(series: &[Series]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<42} {:<10} {:<5} {:>14} {:>12} {:>16}",
        "token", "symbol", "type", "strike", "expiry", "supply"
    );
    for s in series {
        let _ = writeln!(
            out,
            "{:<42} {:<10} {:<5} {:>14} {:>12} {:>16}",
            s.token.to_string(),
            s.symbol,
            if s.is_put { "put" } else { "call" },
            s.strike,
            s.expiry,
            s.total_supply
        );
    }
    out
}

/// `vault show` as lines.
pub fn vault_text(v: &Vault) -> String {
    format!(
        "vault {} of {} ({})\n  collateral  {} of {}\n  short       {} of {}\n  long        {} of {}\n  \
         requirement {}  excess {}  shortfall {}{}\n",
        v.id,
        v.owner,
        if v.naked { "naked" } else { "fully collateralised" },
        v.collateral,
        v.collateral_asset,
        v.short_amount,
        v.short_option,
        v.long_amount,
        v.long_option,
        v.requirement,
        v.excess,
        v.shortfall,
        if v.auction_start > 0 {
            format!("\n  in auction since {}", v.auction_start)
        } else {
            String::new()
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_amounts_round_trip() {
        assert_eq!(amount("1.5", 6).unwrap(), U256::from(1_500_000));
        assert_eq!(human(U256::from(1_500_000), 6), "1.5");
        assert_eq!(human(U256::ZERO, 18), "0");
        assert_eq!(
            amount("2000", 18).unwrap(),
            U256::from(2000u64) * U256::from(10u64).pow(U256::from(18))
        );
        assert!(amount("1.0000001", 6).is_err());
        assert!(amount("abc", 6).is_err());
        assert!(amount("-1", 6).is_err());
    }
}
