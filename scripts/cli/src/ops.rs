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
use alloy::eips::BlockNumberOrTag;
use alloy::network::TransactionBuilder;
use alloy::primitives::utils::{format_units, parse_units};
use alloy::primitives::{aliases::U80, Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, TransactionReceipt, TransactionRequest};
use alloy::sol_types::{SolCall, SolEvent};
use deploy::{DeployError, Deployer, Record};
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
    /// Open interest: options outstanding (the token's supply).
    pub total_supply: String,
    /// Where the expiry price stands: `live`, `awaiting price`, `<price> (disputable)`,
    /// `<price> (final)`.
    pub expiry_price: String,
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
    /// Symbols of the collateral and of the short option, for people.
    pub collateral_symbol: String,
    pub short_symbol: String,
    /// `empty`, `safe`, `UNSAFE` (liquidatable), `auction`, `expired` (awaiting settlement; the
    /// requirement, excess and shortfall are then `-`).
    pub health: String,
}

/// What `status` shows: the series and every vault.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub network: String,
    pub chain_id: u64,
    pub block_time: u64,
    pub series: Vec<Series>,
    pub vaults: Vec<Vault>,
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
        let now = self.now().await?;
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
            let expiry_price = self.expiry_price(info.underlying, info.expiry, now).await?;
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
                expiry_price,
            });
        }
        Ok(out)
    }

    /// The latest block's timestamp.
    pub async fn now(&self) -> Result<u64> {
        self.deployer
            .provider()
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(|e| e.to_string())?
            .map(|b| b.header.timestamp)
            .ok_or_else(|| "the node has no latest block".to_string())
    }

    /// Where the expiry price of `asset` at `expiry` stands at `now`.
    async fn expiry_price(&self, asset: Address, expiry: u64, now: u64) -> Result<String> {
        if now < expiry {
            return Ok("live".into());
        }
        let oracle = self.addr("expiry-oracle")?;
        let price = self
            .view(
                oracle,
                IExpiryOracle::getExpiryPriceCall {
                    asset,
                    expiry: U256::from(expiry),
                },
            )
            .await?;
        Ok(match (price.price.is_zero(), price.finalized) {
            (true, _) => "awaiting price".into(),
            (false, true) => format!("{} (final)", human(price.price, 18)),
            (false, false) => format!("{} (disputable)", human(price.price, 18)),
        })
    }

    /// Every vault ever opened (from the escrow's `VaultOpened` events), with its health.
    pub async fn vaults(&self) -> Result<Vec<Vault>> {
        let escrow = self.addr("escrow")?;
        let from = self.record.step("escrow").map_or(0, |s| s.block);
        let filter = Filter::new()
            .address(escrow)
            .event_signature(ICollateralEscrow::VaultOpened::SIGNATURE_HASH)
            .from_block(from);
        let logs = self
            .deployer
            .provider()
            .get_logs(&filter)
            .await
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for log in logs {
            let opened = ICollateralEscrow::VaultOpened::decode_log_data(log.data())
                .map_err(|e| e.to_string())?;
            out.push(self.vault_show(opened.owner, opened.vaultId).await?);
        }
        Ok(out)
    }

    /// The series and the vaults, as `status` shows them.
    pub async fn status(&self) -> Result<Status> {
        Ok(Status {
            network: self.record.network.clone(),
            chain_id: self.record.chain_id,
            block_time: self.now().await?,
            series: self.series_list().await?,
            vaults: self.vaults().await?,
        })
    }

    async fn symbol(&self, token: Address) -> Result<String> {
        if token.is_zero() {
            return Ok("-".into());
        }
        self.view(token, IERC20::symbolCall {}).await
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
        // The engine prices live series only: an expired one waits for settlement.
        let health = match self
            .deployer
            .view(
                engine,
                IMarginEngine::getVaultHealthCall { owner, vaultId: id },
            )
            .await
        {
            Ok(h) => Some(h),
            Err(DeployError::Reverted { reason, .. }) if reason.starts_with("SeriesExpired") => {
                None
            }
            Err(e) => return Err(e.to_string()),
        };
        let state = match &health {
            _ if v.shortAmount.is_zero() && v.collateral.is_zero() => "empty",
            None => "expired",
            _ if v.auctionStart > 0 => "auction",
            Some(h) if !h.shortfall.is_zero() => "UNSAFE",
            Some(_) => "safe",
        };
        let amount = |pick: fn(&IMarginEngine::getVaultHealthReturn) -> U256| {
            health
                .as_ref()
                .map_or("-".to_string(), |h| human(pick(h), decimals))
        };
        Ok(Vault {
            collateral_symbol: self.symbol(v.collateralAsset).await?,
            short_symbol: self.symbol(v.shortOption).await?,
            health: state.into(),
            requirement: amount(|h| h.requirement),
            excess: amount(|h| h.excess),
            shortfall: amount(|h| h.shortfall),
            owner,
            id,
            naked: v.vaultType == VAULT_NAKED,
            collateral_asset: v.collateralAsset,
            collateral: human(v.collateral, decimals),
            short_option: v.shortOption,
            short_amount: human(v.shortAmount, OPTION_DECIMALS),
            long_option: v.longOption,
            long_amount: human(v.longAmount, OPTION_DECIMALS),
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

/// `series list` as a table: expiry as a UTC date, open interest, the expiry price's state.
pub fn series_table(series: &[Series]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<42} {:<24} {:<4} {:>12} {:<16} {:>14}  expiry price",
        "token", "symbol", "type", "strike", "expiry (UTC)", "open interest"
    );
    for s in series {
        let _ = writeln!(
            out,
            "{:<42} {:<24} {:<4} {:>12} {:<16} {:>14}  {}",
            s.token.to_string(),
            s.symbol,
            if s.is_put { "put" } else { "call" },
            s.strike,
            utc(s.expiry),
            s.total_supply,
            s.expiry_price
        );
    }
    if series.is_empty() {
        out.push_str("(no series)\n");
    }
    out
}

/// Every vault as a table: owner, collateral, short, requirement, excess or shortfall, health.
pub fn vaults_table(vaults: &[Vault]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<13} {:>3} {:<5} {:>20} {:>30} {:>14} {:>14} {:>14}  health",
        "owner", "id", "type", "collateral", "short", "requirement", "excess", "shortfall"
    );
    for v in vaults {
        let owner = v.owner.to_string();
        let _ = writeln!(
            out,
            "{:<13} {:>3} {:<5} {:>20} {:>30} {:>14} {:>14} {:>14}  {}",
            format!("{}…{}", &owner[..6], &owner[owner.len() - 4..]),
            v.id,
            if v.naked { "naked" } else { "full" },
            format!("{} {}", v.collateral, v.collateral_symbol),
            format!("{} {}", v.short_amount, v.short_symbol),
            v.requirement,
            v.excess,
            v.shortfall,
            v.health
        );
    }
    if vaults.is_empty() {
        out.push_str("(no vaults)\n");
    }
    out
}

/// `status` as text: the deployment, then the series, then the vaults.
pub fn status_text(status: &Status) -> String {
    format!(
        "{} (chain {}), block time {} UTC\n\nseries\n{}\nvaults\n{}",
        status.network,
        status.chain_id,
        utc(status.block_time),
        series_table(&status.series),
        vaults_table(&status.vaults)
    )
}

/// Unix seconds as `YYYY-MM-DD HH:MM` (UTC; the proleptic Gregorian calendar).
pub fn utc(seconds: u64) -> String {
    let days = seconds / 86_400;
    let time = seconds % 86_400;
    // Howard Hinnant's days-to-civil, shifted so the era starts on 0000-03-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        time / 3_600,
        time % 3_600 / 60
    )
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
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00");
        // The protocol's expiry grid: 08:00 UTC.
        assert_eq!(utc(1_767_225_600 + 28_800), "2026-01-01 08:00");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00");
        assert_eq!(utc(4_107_542_399), "2100-02-28 23:59");
    }

    fn vault(health: &str, shortfall: &str) -> Vault {
        Vault {
            owner: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
                .parse()
                .unwrap(),
            id: U256::from(2),
            naked: true,
            collateral_asset: Address::repeat_byte(1),
            collateral: "1500.25".into(),
            short_option: Address::repeat_byte(2),
            short_amount: "1".into(),
            long_option: Address::ZERO,
            long_amount: "0".into(),
            requirement: "1700".into(),
            excess: "0".into(),
            shortfall: shortfall.into(),
            auction_start: 0,
            collateral_symbol: "USDC".into(),
            short_symbol: "oWETH-P".into(),
            health: health.into(),
        }
    }

    #[test]
    fn status_tables_name_every_column() {
        let series = Series {
            token: Address::repeat_byte(2),
            symbol: "oWETH-P".into(),
            underlying: Address::repeat_byte(3),
            strike_asset: Address::repeat_byte(1),
            collateral: Address::repeat_byte(1),
            is_put: true,
            strike: "1800".into(),
            expiry: 1_767_225_600 + 28_800,
            total_supply: "3.5".into(),
            expiry_price: "1750 (final)".into(),
        };
        let status = Status {
            network: "local".into(),
            chain_id: 412_346,
            block_time: 1_767_225_600,
            series: vec![series],
            vaults: vec![vault("UNSAFE", "199.75")],
        };
        let text = status_text(&status);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "local (chain 412346), block time 2026-01-01 00:00 UTC"
        );
        let row = lines.iter().find(|l| l.contains("oWETH-P ")).unwrap();
        for cell in ["put", "1800", "2026-01-01 08:00", "3.5", "1750 (final)"] {
            assert!(row.contains(cell), "{cell} in {row}");
        }
        let vault_row = lines.iter().find(|l| l.starts_with("0x7099…79C8")).unwrap();
        for cell in [
            "naked",
            "1500.25 USDC",
            "1 oWETH-P",
            "1700",
            "199.75",
            "UNSAFE",
        ] {
            assert!(vault_row.contains(cell), "{cell} in {vault_row}");
        }
        // Columns line up: each row as wide as its header up to the last column.
        let header = lines.iter().find(|l| l.starts_with("owner")).unwrap();
        assert_eq!(
            header.find("health").unwrap(),
            vault_row.chars().count() - "UNSAFE".len()
        );
        let empty = Status {
            series: vec![],
            vaults: vec![],
            ..status
        };
        let text = status_text(&empty);
        assert!(text.contains("(no series)") && text.contains("(no vaults)"));
    }

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
