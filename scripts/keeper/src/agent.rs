//! The keeper's loop: each tick follows the chain, reads prices, recomputes the health of the
//! naked vaults that a price move, a vault change or the passing of time concerns, liquidates
//! those whose auction pays enough, submits expiry prices and settles the vaults it looks after,
//! then logs one summary line.

use crate::auction::{self, Economics};
use crate::expiry::{self, Found, Round, Rounds};
use crate::follower::{FollowConfig, FollowError, Follower};
use crate::health::{self, Risk, Spot, Status};
use crate::kv;
use crate::plan;
use crate::retry::{retry, Backoff};
use crate::sender::{Outcome, SendConfig, SendError, Sender};
use crate::view::{Change, Series, Vault, VaultKey};
use abi::chainlink::AggregatorV3Interface as Feed;
use abi::erc20::IERC20;
use abi::escrow::{
    Action, ICollateralEscrow as Escrow, IEscrowRegistry as Registry, IMarginEngine as Settlement,
};
use abi::oracle::{IExpiryOracle as ExpiryOracle, IOracleAdapter as Oracle};
use alloy::eips::BlockNumberOrTag;
use alloy::network::TransactionBuilder;
use alloy::primitives::{aliases::U80, Address, Bytes, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use alloy::transports::{RpcError, TransportErrorKind};
use std::collections::{BTreeMap, BTreeSet};
use std::future::IntoFuture;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The protocol's contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addresses {
    pub factory: Address,
    pub escrow: Address,
    /// Liquidation and settlement (`IMarginEngine`).
    pub engine: Address,
    /// Live prices (`IOracleAdapter`).
    pub oracle: Address,
    /// Settlement prices (`IExpiryOracle`).
    pub expiry_oracle: Address,
    pub registry: Address,
}

/// Everything the keeper is told.
#[derive(Debug, Clone)]
pub struct Config {
    pub addresses: Addresses,
    /// First block to read without a checkpoint (the deployment block).
    pub start_block: u64,
    pub confirmations: u64,
    pub max_range: u64,
    pub poll_interval: Duration,
    /// Directory of the checkpoint and nonce files; `None`: memory only.
    pub state_dir: Option<PathBuf>,
    /// Warning band above the requirement, basis points.
    pub warn_bps: u64,
    pub economics: Economics,
    pub liquidate: bool,
    /// Write the options a liquidation needs in the keeper's own full vault when its inventory
    /// is short (its collateral balance permitting).
    pub mint_inventory: bool,
    pub submit_expiry_prices: bool,
    /// Owners whose expired vaults the keeper settles (it must be their operator).
    pub settle_for: Vec<Address>,
    pub dry_run: bool,
    /// The keeper stops at the next tick when this file exists.
    pub kill_file: Option<PathBuf>,
    pub send: SendConfig,
    pub backoff: Backoff,
}

impl Config {
    /// Defaults for `addresses`: two confirmations, 2,000-block ranges, 1 s polling, warn at 110%.
    pub fn new(addresses: Addresses) -> Self {
        Self {
            addresses,
            start_block: 0,
            confirmations: 2,
            max_range: 2_000,
            poll_interval: Duration::from_secs(1),
            state_dir: None,
            warn_bps: 1_000,
            economics: Economics {
                native_price: U256::ZERO,
                min_profit: U256::ZERO,
            },
            liquidate: true,
            mint_inventory: true,
            submit_expiry_prices: true,
            settle_for: Vec::new(),
            dry_run: false,
            kill_file: None,
            send: SendConfig::default(),
            backoff: Backoff::default(),
        }
    }
}

/// Why the keeper stopped.
#[derive(Debug, thiserror::Error)]
pub enum KeeperError {
    #[error(transparent)]
    Follow(#[from] FollowError),
    #[error(transparent)]
    Send(#[from] SendError),
    #[error("RPC: {0}")]
    Rpc(#[from] RpcError<TransportErrorKind>),
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tick {
    pub block: u64,
    pub timestamp: u64,
    pub vaults: usize,
    pub naked: usize,
    pub assessed: usize,
    pub approaching: usize,
    pub liquidatable: usize,
    pub liquidations: Vec<Liquidation>,
    /// Options the keeper wrote in its own vault to liquidate with.
    pub written: U256,
    pub expiry_prices: Vec<(Address, u64, u128)>,
    pub settled: Vec<VaultKey>,
    /// Simulations that said a transaction would revert (nothing sent).
    pub skipped_reverts: usize,
    /// Transactions mined reverted (a race lost between simulation and inclusion).
    pub reverted: usize,
    pub gas_used: u64,
}

/// A liquidation the keeper landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Liquidation {
    pub vault: VaultKey,
    pub amount: U256,
    pub collateral_paid: U256,
    pub gas_used: u64,
    pub block: u64,
}

/// The keeper's own full vault for one series.
#[derive(Debug, Clone, Copy)]
struct OwnVault {
    id: U256,
    /// Whether it exists yet.
    open: bool,
    held: U256,
    collateral: U256,
}

/// Cached per-asset parameters.
#[derive(Debug, Clone)]
struct Params {
    risk: Risk,
}

/// The keeper.
pub struct Keeper {
    provider: DynProvider,
    config: Config,
    follower: Follower,
    sender: Sender,
    stop: Arc<AtomicBool>,
    spots: BTreeMap<Address, Spot>,
    params: BTreeMap<Address, Params>,
    scales: BTreeMap<Address, U256>,
    /// Vaults to reassess: changed, their price moved, or not safe last time.
    dirty: BTreeSet<VaultKey>,
    watch: BTreeSet<VaultKey>,
    /// `(asset, expiry)` whose expiry price cannot be proved from rounds (fallback only).
    unprovable: BTreeSet<(Address, u64)>,
}

impl Keeper {
    /// Opens the checkpoint and nonce files (in `state_dir`) and connects.
    pub async fn open(
        provider: DynProvider,
        signer: PrivateKeySigner,
        config: Config,
    ) -> Result<Self, KeeperError> {
        let a = config.addresses;
        let follow = FollowConfig {
            addresses: [a.factory, a.escrow, a.engine, a.expiry_oracle]
                .into_iter()
                .filter(|x| !x.is_zero())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            start_block: config.start_block,
            confirmations: config.confirmations,
            max_range: config.max_range,
            checkpoint: config.state_dir.as_ref().map(|d| d.join("checkpoint.bin")),
            backoff: config.backoff,
        };
        let follower = Follower::open(provider.clone(), follow)?;
        let mut send = config.send.clone();
        send.dry_run = config.dry_run;
        send.state = config.state_dir.as_ref().map(|d| d.join("nonce.json"));
        let sender = Sender::open(provider.clone(), signer, send).await?;
        // Everything known is reassessed after a restart.
        let dirty = follower.view().vaults.keys().copied().collect();
        Ok(Self {
            provider,
            config,
            follower,
            sender,
            stop: Arc::new(AtomicBool::new(false)),
            spots: BTreeMap::new(),
            params: BTreeMap::new(),
            scales: BTreeMap::new(),
            dirty,
            watch: BTreeSet::new(),
            unprovable: BTreeSet::new(),
        })
    }

    /// Raising this flag stops the keeper after the current tick (signals set it).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    pub fn address(&self) -> Address {
        self.sender.address()
    }

    pub fn follower(&self) -> &Follower {
        &self.follower
    }

    fn should_stop(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
            || self.config.kill_file.as_ref().is_some_and(|f| f.exists())
    }

    /// Runs until the kill switch (file, SIGINT/SIGTERM or the stop flag). RPC faults inside a
    /// tick are logged and the tick is tried again at the next interval.
    pub async fn run(&mut self) -> Result<(), KeeperError> {
        let stop = self.stop.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            kv!(warn, "signal", action = "stopping after this tick");
            stop.store(true, Ordering::SeqCst);
        });
        kv!(
            info,
            "keeper_start",
            address = self.address(),
            dry_run = self.config.dry_run
        );
        while !self.should_stop() {
            match self.tick().await {
                Ok(_) => {}
                Err(e) => kv!(error, "tick_failed", error = e),
            }
            let deadline = Instant::now() + self.config.poll_interval;
            while Instant::now() < deadline && !self.should_stop() {
                tokio::time::sleep(Duration::from_millis(50).min(self.config.poll_interval)).await;
            }
        }
        kv!(info, "keeper_stop", reason = "kill switch");
        Ok(())
    }

    async fn view_call<C: SolCall>(
        &self,
        to: Address,
        call: C,
    ) -> Result<C::Return, RpcError<TransportErrorKind>> {
        let tx = TransactionRequest::default()
            .with_to(to)
            .with_input(call.abi_encode());
        let p = &self.provider;
        let out = retry(&self.config.backoff, C::SIGNATURE, || {
            p.call(tx.clone()).into_future()
        })
        .await?;
        C::abi_decode_returns(&out).map_err(|e| RpcError::local_usage_str(&e.to_string()))
    }

    /// One pass: follow, assess, act, summarise.
    pub async fn tick(&mut self) -> Result<Tick, KeeperError> {
        let progress = self.follower.catch_up().await?;
        for p in &progress {
            for c in &p.changes {
                if let Change::Vault(k) = c {
                    self.dirty.insert(*k);
                }
            }
        }
        let p = &self.provider;
        let head = retry(&self.config.backoff, "eth_getBlockByNumber", || {
            p.get_block_by_number(BlockNumberOrTag::Latest)
                .into_future()
        })
        .await?
        .ok_or(FollowError::MissingBlock(0))?;
        let mut tick = Tick {
            block: head.header.number,
            timestamp: head.header.timestamp,
            ..Tick::default()
        };
        let now = tick.timestamp;
        let view = self.follower.view().clone();
        tick.vaults = view.vaults.len();

        // Prices of every underlying with an open naked short.
        let mut underlyings = BTreeSet::new();
        for (_, v) in view.naked_shorts() {
            if let Some(s) = view.series.get(&v.short) {
                underlyings.insert(s.underlying);
            }
        }
        for u in underlyings {
            match self
                .view_call(
                    self.config.addresses.oracle,
                    Oracle::getPriceCall { asset: u },
                )
                .await
            {
                Ok(r) => {
                    let spot = Spot {
                        price: r.price,
                        updated_at: r.updatedAt.saturating_to(),
                    };
                    if self.spots.insert(u, spot) != Some(spot) {
                        kv!(
                            info,
                            "price",
                            asset = u,
                            price = r.price,
                            updated_at = spot.updated_at
                        );
                        for (k, v) in view.naked_shorts() {
                            if view.series.get(&v.short).is_some_and(|s| s.underlying == u) {
                                self.dirty.insert(*k);
                            }
                        }
                    }
                }
                Err(e) => kv!(warn, "price_unavailable", asset = u, error = e),
            }
        }

        // Health of the vaults concerned.
        let concerned: Vec<VaultKey> = self.dirty.union(&self.watch).copied().collect();
        self.dirty.clear();
        let mut liquidatable = Vec::new();
        for key in concerned {
            let Some(v) = view.vaults.get(&key) else {
                continue;
            };
            tick.naked += usize::from(v.naked && !v.short_amount.is_zero());
            if !v.naked || v.settled || v.short_amount.is_zero() {
                self.watch.remove(&key);
                continue;
            }
            let Some(series) = view.series.get(&v.short).cloned() else {
                continue;
            };
            let Some(spot) = self.spots.get(&series.underlying).copied() else {
                continue;
            };
            let (risk, scale) = match self.params_for(&series, v.collateral_asset).await {
                Ok(x) => x,
                Err(e) => {
                    kv!(
                        warn,
                        "params_unavailable",
                        underlying = series.underlying,
                        error = e
                    );
                    self.dirty.insert(key);
                    continue;
                }
            };
            tick.assessed += 1;
            match health::assess(v, &series, spot, now, &risk, scale, self.config.warn_bps) {
                Ok(h) => match h.status {
                    Status::Safe | Status::Expired => {
                        self.watch.remove(&key);
                    }
                    Status::Approaching => {
                        tick.approaching += 1;
                        self.watch.insert(key);
                        kv!(
                            info,
                            "vault_approaching",
                            owner = key.0,
                            vault = key.1,
                            requirement = h.requirement,
                            collateral = h.collateral,
                            ratio_bps = h.ratio_bps
                        );
                    }
                    Status::AwaitingPrice | Status::Liquidatable => {
                        self.watch.insert(key);
                        kv!(
                            warn,
                            "vault_unsafe",
                            owner = key.0,
                            vault = key.1,
                            requirement = h.requirement,
                            collateral = h.collateral,
                            ratio_bps = h.ratio_bps,
                            status = format!("{:?}", h.status)
                        );
                        if h.status == Status::Liquidatable {
                            tick.liquidatable += 1;
                            liquidatable.push((key, series, spot, risk, scale));
                        }
                    }
                },
                Err(e) => kv!(
                    warn,
                    "margin_math",
                    owner = key.0,
                    vault = key.1,
                    error = format!("{e:?}")
                ),
            }
        }
        if self.config.liquidate {
            for (key, series, spot, risk, scale) in liquidatable {
                self.try_liquidate(&mut tick, key, &series, spot, &risk, scale, now)
                    .await?;
            }
        }
        if self.config.submit_expiry_prices {
            self.submit_expiry_prices(&mut tick, &view.series, &view.expiry_prices, now)
                .await?;
        }
        if !self.config.settle_for.is_empty() {
            self.settle(&mut tick, now).await?;
        }
        kv!(
            info,
            "block",
            block = tick.block,
            time = tick.timestamp,
            followed_to = self.follower.state.next_block.saturating_sub(1),
            series = view.series.len(),
            vaults = tick.vaults,
            assessed = tick.assessed,
            approaching = tick.approaching,
            liquidatable = tick.liquidatable,
            liquidated = tick.liquidations.len(),
            written = tick.written,
            expiry_prices = tick.expiry_prices.len(),
            settled = tick.settled.len(),
            skipped = tick.skipped_reverts,
            reverted = tick.reverted,
            gas = tick.gas_used
        );
        Ok(tick)
    }

    async fn params_for(
        &mut self,
        series: &Series,
        collateral: Address,
    ) -> Result<(Risk, U256), RpcError<TransportErrorKind>> {
        let registry = self.config.addresses.registry;
        if !self.params.contains_key(&series.underlying) {
            let r = self
                .view_call(
                    registry,
                    Registry::riskParametersCall {
                        underlying: series.underlying,
                    },
                )
                .await?;
            let risk = Risk::from_packed(r.shock, &r.buckets, r.auctionDuration, r.auctionDiscount);
            self.params.insert(series.underlying, Params { risk });
        }
        if !self.scales.contains_key(&collateral) {
            let c = self
                .view_call(
                    registry,
                    Registry::collateralParametersCall { asset: collateral },
                )
                .await?;
            self.scales.insert(collateral, c.scale);
        }
        Ok((
            self.params[&series.underlying].risk.clone(),
            self.scales[&collateral],
        ))
    }

    /// Liquidates as much of the vault's debt as the rules accept and the keeper can repay: its
    /// option inventory, topped up by options it writes in its own full vault when it is short
    /// and minting is on. Acts once the auction pays the minimum profit after gas (the mint's
    /// included); everything is simulated first, so a lost race costs nothing.
    #[allow(clippy::too_many_arguments)]
    async fn try_liquidate(
        &mut self,
        tick: &mut Tick,
        key: VaultKey,
        series: &Series,
        spot: Spot,
        risk: &Risk,
        scale: U256,
        now: u64,
    ) -> Result<(), KeeperError> {
        let a = self.config.addresses;
        // The escrow's own record: collateral, debt and auction start as they are now.
        let g = self
            .view_call(
                a.escrow,
                Escrow::getVaultCall {
                    owner: key.0,
                    vaultId: key.1,
                },
            )
            .await?;
        let vault = Vault {
            naked: true,
            collateral_asset: g.collateralAsset,
            collateral: g.collateral,
            short: g.shortOption,
            short_amount: g.shortAmount,
            last_change: g.lastChange,
            auction_start: g.auctionStart,
            ..Vault::default()
        };
        if vault.short_amount.is_zero() {
            return Ok(());
        }
        let cp = self
            .view_call(
                a.registry,
                Registry::collateralParametersCall {
                    asset: series.collateral,
                },
            )
            .await?;
        let known = plan::Known {
            now,
            option: vault.short,
            series: series.clone(),
            spot: (spot.price, spot.updated_at),
            scale,
            dust: cp.dustFloor,
            resumed_at: cp.resumedAt,
            risk: risk.clone(),
        };
        let me = self.address();
        let inventory = self
            .view_call(vault.short, IERC20::balanceOfCall { account: me })
            .await?;
        let own = if self.config.mint_inventory && inventory < vault.short_amount {
            Some(self.own_vault(vault.short).await?)
        } else {
            None
        };
        let mintable = match &own {
            Some(o) => {
                let balance = self
                    .view_call(series.collateral, IERC20::balanceOfCall { account: me })
                    .await?;
                plan::writable(&known, o.held, o.collateral, balance)
            }
            None => U256::ZERO,
        };
        let choice = match plan::choose(&known, &vault, inventory, mintable) {
            Ok(c) => c,
            Err(e) => {
                kv!(
                    warn,
                    "liquidation_refused",
                    owner = key.0,
                    vault = key.1,
                    inventory = inventory,
                    mintable = mintable,
                    reason = abi::revert::describe(&e.0)
                );
                return Ok(());
            }
        };
        let gas_price = U256::from(self.sender.gas_price().await?);
        // Gas figures for the projection before asking the node: a liquidation is a few hundred
        // thousand gas on Stylus, writing options (approve + operate) about as much again; the
        // node's estimate replaces the liquidation's below.
        let projected = if choice.mint.is_zero() {
            500_000u64
        } else {
            1_300_000
        };
        let projected_gas = U256::from(projected) * gas_price;
        let eco = self.config.economics;
        let value = |paid: U256, gas_wei: U256| -> Result<auction::Quote, margin::MarginError> {
            Ok(auction::Quote {
                price: choice.price,
                payout: paid,
                payout_value: auction::collateral_value(series, paid, spot.price, scale)?,
                options_value: auction::options_value(series, choice.amount, spot.price)?,
                gas_value: margin::mul_div(
                    gas_wei,
                    eco.native_price,
                    margin::WAD,
                    margin::Rounding::Up,
                )?,
            })
        };
        let q = match value(choice.paid, projected_gas) {
            Ok(q) => q,
            Err(e) => {
                kv!(
                    warn,
                    "auction_math",
                    owner = key.0,
                    vault = key.1,
                    error = format!("{e:?}")
                );
                return Ok(());
            }
        };
        let started = if vault.auction_start == 0 {
            spot.updated_at
        } else {
            vault.auction_start
        };
        let elapsed = now.saturating_sub(started);
        if !q.worth(eco.min_profit) {
            let eta = auction::first_profitable(
                series,
                &vault,
                spot.price,
                choice.amount,
                risk,
                scale,
                projected_gas,
                &eco,
            )
            .ok()
            .flatten()
            .map(|t| t.saturating_sub(elapsed));
            kv!(
                info,
                "auction_wait",
                owner = key.0,
                vault = key.1,
                elapsed = elapsed,
                amount = choice.amount,
                mint = choice.mint,
                price = q.price,
                eta_s = eta.map_or("never".to_string(), |t| t.to_string())
            );
            return Ok(());
        }
        if !choice.mint.is_zero() {
            let own = own.expect("mintable is zero without an own vault");
            if !self.write_options(tick, &known, own, choice.mint).await? {
                return Ok(());
            }
        }
        let input: Bytes = Settlement::liquidateCall {
            owner: key.0,
            vaultId: key.1,
            amount: choice.amount,
            to: me,
        }
        .abi_encode()
        .into();
        // Exact payout and gas from the node, then the decision again with them.
        let paid = match self.sender.simulate(a.engine, &input).await? {
            Ok(out) => Settlement::liquidateCall::abi_decode_returns(&out).unwrap_or_default(),
            Err((_, reason)) => {
                tick.skipped_reverts += 1;
                kv!(
                    info,
                    "liquidation_skipped",
                    owner = key.0,
                    vault = key.1,
                    reason = reason
                );
                return Ok(());
            }
        };
        let gas = match self.sender.estimate(a.engine, &input).await? {
            Ok(gas) => gas,
            Err((_, reason)) => {
                tick.skipped_reverts += 1;
                kv!(
                    info,
                    "liquidation_skipped",
                    owner = key.0,
                    vault = key.1,
                    reason = reason
                );
                return Ok(());
            }
        };
        // Options already written are the keeper's either way: only this transaction's gas
        // decides now.
        let exact = value(paid, U256::from(gas) * gas_price).unwrap_or(auction::Quote {
            gas_value: U256::MAX,
            ..q
        });
        if !exact.worth(eco.min_profit) {
            kv!(
                info,
                "auction_wait",
                owner = key.0,
                vault = key.1,
                elapsed = elapsed,
                payout = paid,
                reason = "not profitable at the node's figures"
            );
            return Ok(());
        }
        kv!(
            info,
            "liquidating",
            owner = key.0,
            vault = key.1,
            amount = choice.amount,
            minted = choice.mint,
            payout = paid,
            profit = exact.profit().unwrap_or_default(),
            elapsed = elapsed
        );
        match self
            .sender
            .send_simulated("liquidate", a.engine, input, gas)
            .await?
        {
            Outcome::Mined(r) if r.status() => {
                tick.gas_used += r.gas_used;
                tick.liquidations.push(Liquidation {
                    vault: key,
                    amount: choice.amount,
                    collateral_paid: paid,
                    gas_used: r.gas_used,
                    block: r.block_number.unwrap_or_default(),
                });
            }
            Outcome::Mined(r) => {
                tick.gas_used += r.gas_used;
                tick.reverted += 1;
                kv!(
                    warn,
                    "liquidation_reverted",
                    owner = key.0,
                    vault = key.1,
                    hash = r.transaction_hash
                );
            }
            Outcome::WouldRevert { .. } => tick.skipped_reverts += 1,
            Outcome::DryRun { .. } | Outcome::Stuck { .. } => {}
        }
        Ok(())
    }

    /// The keeper's own full vault for `option`: the one it wrote the series in before (from the
    /// view, or its newest vault if the view has not caught up with it), else a new one.
    async fn own_vault(&self, option: Address) -> Result<OwnVault, KeeperError> {
        let me = self.address();
        let view = self.follower.view();
        let known = view
            .vaults
            .range((me, U256::ZERO)..=(me, U256::MAX))
            .filter(|(_, v)| !v.naked && !v.settled && v.short == option && v.long.is_zero())
            .map(|(k, _)| k.1)
            .next_back();
        let count = self
            .view_call(
                self.config.addresses.escrow,
                Escrow::vaultCountCall { owner: me },
            )
            .await?;
        for id in known.into_iter().chain((!count.is_zero()).then_some(count)) {
            let g = self
                .view_call(
                    self.config.addresses.escrow,
                    Escrow::getVaultCall {
                        owner: me,
                        vaultId: id,
                    },
                )
                .await?;
            if g.vaultType == abi::escrow::VAULT_FULL
                && g.shortOption == option
                && g.longOption.is_zero()
            {
                return Ok(OwnVault {
                    id,
                    open: true,
                    held: g.shortAmount,
                    collateral: g.collateral,
                });
            }
        }
        Ok(OwnVault {
            id: count + U256::from(1),
            open: false,
            held: U256::ZERO,
            collateral: U256::ZERO,
        })
    }

    /// Writes `amount` options of `known`'s series in the keeper's own full vault (opening it if
    /// needed), approving the escrow for the collateral first. `false` when it did not happen
    /// (dry run, a simulation that would revert, a transaction that did not land).
    async fn write_options(
        &mut self,
        tick: &mut Tick,
        known: &plan::Known,
        own: OwnVault,
        amount: U256,
    ) -> Result<bool, KeeperError> {
        let a = self.config.addresses;
        let me = self.address();
        let collateral = known.series.collateral;
        let Some(deposit) = plan::full_vault_deposit(known, own.held, own.collateral, amount)
        else {
            return Ok(false);
        };
        let allowance = self
            .view_call(
                collateral,
                IERC20::allowanceCall {
                    owner: me,
                    spender: a.escrow,
                },
            )
            .await?;
        if allowance < deposit {
            let input: Bytes = IERC20::approveCall {
                spender: a.escrow,
                value: U256::MAX,
            }
            .abi_encode()
            .into();
            if !self.landed(tick, "approve", collateral, input).await? {
                return Ok(false);
            }
        }
        let action = |kind: u8, asset: Address, amount: U256| Action {
            kind,
            asset,
            account: me,
            amount,
        };
        let mut actions = Vec::with_capacity(3);
        if !own.open {
            actions.push(action(
                abi::escrow::ACTION_OPEN,
                Address::ZERO,
                U256::from(abi::escrow::VAULT_FULL),
            ));
        }
        if !deposit.is_zero() {
            actions.push(action(
                abi::escrow::ACTION_DEPOSIT_COLLATERAL,
                collateral,
                deposit,
            ));
        }
        actions.push(action(abi::escrow::ACTION_MINT_SHORT, known.option, amount));
        kv!(
            info,
            "writing_options",
            option = known.option,
            vault = own.id,
            amount = amount,
            deposit = deposit
        );
        let input: Bytes = Escrow::operateCall {
            owner: me,
            vaultId: own.id,
            actions,
        }
        .abi_encode()
        .into();
        let ok = self.landed(tick, "write options", a.escrow, input).await?;
        if ok {
            tick.written = tick.written.saturating_add(amount);
        }
        Ok(ok)
    }

    /// Submits a transaction; whether it was mined and succeeded.
    async fn landed(
        &mut self,
        tick: &mut Tick,
        label: &str,
        to: Address,
        input: Bytes,
    ) -> Result<bool, KeeperError> {
        Ok(match self.sender.submit(label, to, input).await? {
            Outcome::Mined(r) => {
                tick.gas_used += r.gas_used;
                if !r.status() {
                    tick.reverted += 1;
                }
                r.status()
            }
            Outcome::WouldRevert { .. } => {
                tick.skipped_reverts += 1;
                false
            }
            Outcome::DryRun { .. } | Outcome::Stuck { .. } => false,
        })
    }

    /// After each expiry of a known series: the first round at or after it, for its underlying,
    /// submitted to the expiry oracle.
    async fn submit_expiry_prices(
        &mut self,
        tick: &mut Tick,
        series: &BTreeMap<Address, Series>,
        recorded: &BTreeMap<(Address, u64), (U256, u64)>,
        now: u64,
    ) -> Result<(), KeeperError> {
        let due: BTreeSet<(Address, u64)> = series
            .values()
            .map(|s| (s.underlying, s.expiry))
            .filter(|k| k.1 <= now && !recorded.contains_key(k) && !self.unprovable.contains(k))
            .collect();
        for (asset, expiry) in due {
            // Recorded but not yet followed (the event is within the confirmation depth).
            let set = self
                .view_call(
                    self.config.addresses.expiry_oracle,
                    ExpiryOracle::getExpiryPriceCall {
                        asset,
                        expiry: U256::from(expiry),
                    },
                )
                .await;
            if set.is_ok_and(|r| !r.price.is_zero()) {
                continue;
            }
            let feed = match self
                .view_call(
                    self.config.addresses.oracle,
                    Oracle::primaryFeedCall { asset },
                )
                .await
            {
                Ok(f) => f.feed,
                Err(e) => {
                    kv!(warn, "feed_unavailable", asset = asset, error = e);
                    continue;
                }
            };
            let rounds = ChainRounds {
                provider: &self.provider,
                feed,
                backoff: self.config.backoff,
            };
            let round = match expiry::first_round_after(&rounds, expiry).await? {
                Found::Round(r) => r,
                Found::NotYet => continue,
                Found::Unprovable(r) => {
                    kv!(
                        error,
                        "expiry_unprovable",
                        asset = asset,
                        expiry = expiry,
                        first_round = r.id,
                        action = "needs the disputer's fallback price"
                    );
                    self.unprovable.insert((asset, expiry));
                    continue;
                }
            };
            let input: Bytes = ExpiryOracle::setExpiryPriceCall {
                asset,
                expiry: U256::from(expiry),
                roundId: U80::from(round.id),
            }
            .abi_encode()
            .into();
            kv!(
                info,
                "expiry_round",
                asset = asset,
                expiry = expiry,
                round = round.id,
                updated_at = round.updated_at
            );
            match self
                .sender
                .submit("setExpiryPrice", self.config.addresses.expiry_oracle, input)
                .await?
            {
                Outcome::Mined(r) => {
                    tick.gas_used += r.gas_used;
                    if r.status() {
                        tick.expiry_prices.push((asset, expiry, round.id));
                    } else {
                        tick.reverted += 1;
                    }
                }
                Outcome::WouldRevert { .. } => tick.skipped_reverts += 1,
                Outcome::DryRun { .. } | Outcome::Stuck { .. } => {}
            }
        }
        Ok(())
    }

    /// Settles the expired vaults of the owners it looks after, once their expiry price is final.
    async fn settle(&mut self, tick: &mut Tick, now: u64) -> Result<(), KeeperError> {
        let view = self.follower.view().clone();
        for (key, v) in &view.vaults {
            if v.settled || !self.config.settle_for.contains(&key.0) {
                continue;
            }
            let option = if v.short.is_zero() { v.long } else { v.short };
            let Some(s) = view.series.get(&option) else {
                continue;
            };
            if s.expiry > now {
                continue;
            }
            let fin = self
                .view_call(
                    self.config.addresses.expiry_oracle,
                    ExpiryOracle::getExpiryPriceCall {
                        asset: s.underlying,
                        expiry: U256::from(s.expiry),
                    },
                )
                .await;
            if !fin.is_ok_and(|r| r.finalized) {
                continue;
            }
            let input: Bytes = Settlement::settleVaultCall {
                owner: key.0,
                vaultId: key.1,
                to: key.0,
            }
            .abi_encode()
            .into();
            match self
                .sender
                .submit("settleVault", self.config.addresses.engine, input)
                .await?
            {
                Outcome::Mined(r) => {
                    tick.gas_used += r.gas_used;
                    if r.status() {
                        tick.settled.push(*key);
                    } else {
                        tick.reverted += 1;
                    }
                }
                Outcome::WouldRevert { .. } => tick.skipped_reverts += 1,
                Outcome::DryRun { .. } | Outcome::Stuck { .. } => {}
            }
        }
        Ok(())
    }
}

/// A Chainlink feed's rounds over JSON-RPC; a reverting read is a missing round.
pub struct ChainRounds<'a> {
    pub provider: &'a DynProvider,
    pub feed: Address,
    pub backoff: Backoff,
}

impl ChainRounds<'_> {
    async fn read(&self, input: Vec<u8>) -> Result<Option<Round>, RpcError<TransportErrorKind>> {
        let tx = TransactionRequest::default()
            .with_to(self.feed)
            .with_input(input);
        let p = self.provider;
        match retry(&self.backoff, "feed round", || {
            p.call(tx.clone()).into_future()
        })
        .await
        {
            Ok(out) => {
                let r = Feed::getRoundDataCall::abi_decode_returns(&out)
                    .map_err(|e| RpcError::local_usage_str(&e.to_string()))?;
                Ok((!r.updatedAt.is_zero()).then(|| Round {
                    id: r.roundId.to::<u128>(),
                    updated_at: r.updatedAt.saturating_to(),
                }))
            }
            Err(RpcError::ErrorResp(e)) if e.as_revert_data().is_some() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Rounds for ChainRounds<'_> {
    type Error = RpcError<TransportErrorKind>;
    async fn latest(&self) -> Result<Option<Round>, Self::Error> {
        self.read(Feed::latestRoundDataCall {}.abi_encode()).await
    }
    async fn round(&self, id: u128) -> Result<Option<Round>, Self::Error> {
        self.read(
            Feed::getRoundDataCall {
                _roundId: U80::from(id),
            }
            .abi_encode(),
        )
        .await
    }
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
