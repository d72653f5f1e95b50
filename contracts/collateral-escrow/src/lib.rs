//! `CollateralEscrow`: the clearinghouse. It holds every unit of collateral, decides what each
//! writer must post ([`margin`]), mints and burns option tokens, pays holders at expiry and sells
//! unsafe naked vaults in a Dutch auction.
//!
//! The rules live in [`rules`], free of storage and calls; this file loads a vault, runs the
//! rules through an [`Env`] backed by storage and static calls, stores the result and only then
//! moves tokens. Collateral is credited only if the escrow's balance grew by the full amount
//! (fee-on-transfer tokens are refused). Governed parameters and the pause flags live in the
//! `EscrowRegistry` (split off to stay under 24 KiB). Events are written word by word and call
//! results decoded by hand, for size; the unit tests decode both with the `abi` types.
//! Interface, events and errors: `abi::escrow`.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
extern crate alloc;

pub mod rules;

use crate::rules::{CollateralConfig, Effect, Env, Series, Vault};
use abi::erc20::IERC20;
use abi::escrow::{
    unpack_bucket, ICollateralEscrow as I, IEscrowRegistry, ACTION_OPEN, VAULT_FULL, VAULT_NAKED,
};
use abi::option_factory::IOptionFactory;
use abi::option_token::IOptionToken;
use abi::oracle::IOracleAdapter;
use alloc::vec::Vec;
use alloy_primitives::{aliases::U64, Address, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use margin::AuctionParams;
use stylus_sdk::{
    call::{call, static_call},
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageMap, StorageU256, StorageU64},
};

/// A rejection of the escrow: one custom error of `ICollateralEscrow`, ABI-encoded where it is
/// raised. Encoding by hand (selector and static words) instead of a derived enum keeps tens of
/// kilobytes of generic encoders out of the contract; a unit test checks every error against
/// its `abi` encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscrowError(Vec<u8>);

impl From<EscrowError> for Vec<u8> {
    fn from(e: EscrowError) -> Vec<u8> {
        e.0
    }
}

impl EscrowError {
    fn encode(selector: [u8; 4], words: &[U256]) -> Self {
        let mut out = Vec::with_capacity(4 + 32 * words.len());
        out.extend_from_slice(&selector);
        for w in words {
            out.extend_from_slice(&w.to_be_bytes::<32>());
        }
        EscrowError(out)
    }
}

/// One static ABI word.
trait Word {
    fn word(&self) -> U256;
}

impl Word for U256 {
    fn word(&self) -> U256 {
        *self
    }
}

impl Word for Address {
    fn word(&self) -> U256 {
        U256::from_be_slice(self.as_slice())
    }
}

impl Word for bool {
    fn word(&self) -> U256 {
        U256::from(u8::from(*self))
    }
}

impl Word for u8 {
    fn word(&self) -> U256 {
        U256::from(*self)
    }
}

macro_rules! static_errors {
    ($($name:ident { $($field:ident),* })*) => {
        $(
            impl From<I::$name> for EscrowError {
                #[allow(unused_variables)]
                fn from(e: I::$name) -> Self {
                    EscrowError::encode(<I::$name as SolError>::SELECTOR, &[$(e.$field.word()),*])
                }
            }
        )*

        /// Lists every error in the exported interface, as a derived error enum would.
        #[cfg(feature = "export-abi")]
        impl stylus_sdk::abi::export::internal::InnerTypes for EscrowError {
            fn inner_types() -> Vec<stylus_sdk::abi::export::internal::InnerType> {
                use alloc::format;
                use stylus_sdk::abi::export::internal::InnerType;
                let error = |signature: &str, id| InnerType { name: format!("error {};", signature.replace(',', ", ")), id };
                alloc::vec![
                    $(error(<I::$name as SolError>::SIGNATURE, core::any::TypeId::of::<I::$name>()),)*
                    error(<I::ExternalCallReverted as SolError>::SIGNATURE, core::any::TypeId::of::<I::ExternalCallReverted>()),
                ]
            }
        }
    };
}

static_errors! {
    AlreadyInitialized {}
    Unauthorized { caller }
    ZeroAddress {}
    ZeroAmount {}
    Reentrancy {}
    SystemPaused { partiallyPaused, fullyPaused }
    InvalidAction { index, kind }
    InvalidVaultId { owner, vaultId, vaultCount }
    InvalidVaultType { vaultType }
    CollateralNotAllowed { asset }
    CollateralMismatch { expected, given }
    SeriesMismatch { expected, given }
    LongNotMarginable { shortOption, longOption }
    NakedVaultHoldsLong { option }
    InsufficientCollateral { required, available }
    InsufficientVaultBalance { asset, requested, available }
    NakedCapExceeded { asset, exposure, cap }
    BelowDustFloor { collateral, dustFloor }
    SeriesExpired { option, expiry }
    SeriesNotExpired { option, expiry }
    ExpiryPriceNotFinal { asset, expiry }
    VaultNotLiquidatable { requirement, collateral }
    PriceNotNewer { priceUpdatedAt, lastChange }
    FeeOnTransferRefused { asset, expected, received }
    UnknownSeries { option }
    TokenCallFailed { token }
    MarginMath { code }
}

type EscrowResult<T> = Result<T, EscrowError>;

/// One vault in six slots; the first two pack the fields an owner action rewrites together.
#[storage]
pub struct StoredVault {
    collateral_asset: StorageAddress,
    last_change: StorageU64,
    naked: StorageBool,
    short: StorageAddress,
    auction_start: StorageU64,
    long: StorageAddress,
    collateral: StorageU256,
    short_amount: StorageU256,
    long_amount: StorageU256,
}

/// Storage of the escrow (behind an ERC-1967 proxy: fields may only be appended). The first
/// slot packs the registry with the flags, so the reentrancy lock toggles a warm non-zero slot.
#[storage]
#[entrypoint]
pub struct CollateralEscrow {
    registry: StorageAddress,
    initialized: StorageBool,
    locked: StorageBool,
    oracle: StorageAddress,
    factory: StorageAddress,
    operators: StorageMap<Address, StorageMap<Address, StorageBool>>,
    vault_counts: StorageMap<Address, StorageU256>,
    vaults: StorageMap<Address, StorageMap<U256, StoredVault>>,
    naked_exposure: StorageMap<Address, StorageU256>,
}

/// Registry answer for one underlying: naked-margin and auction parameters.
#[derive(Clone)]
struct Risk {
    underlying: Address,
    shock: U256,
    buckets: Vec<(u64, U256)>,
    auction: AuctionParams,
}

/// Registry answer for one collateral asset: pause flags and its configuration.
#[derive(Clone, Copy)]
struct Params {
    asset: Address,
    partially_paused: bool,
    fully_paused: bool,
    config: CollateralConfig,
}

/// The escrow seen by [`rules`]: storage reads and static calls, with a per-call cache of series
/// and registry answers, and exposure changes the contract writes back after the rules ran.
struct Ctx<'a> {
    c: &'a CollateralEscrow,
    series: Vec<(Address, Series)>,
    params: Vec<Params>,
    risk: Option<Risk>,
    exposures: Vec<(Address, U256)>,
}

impl<'a> Ctx<'a> {
    fn new(c: &'a CollateralEscrow) -> Self {
        Self {
            c,
            series: Vec::new(),
            params: Vec::new(),
            risk: None,
            exposures: Vec::new(),
        }
    }

    fn params(&mut self, asset: Address) -> EscrowResult<Params> {
        if let Some(p) = self.params.iter().find(|p| p.asset == asset) {
            return Ok(*p);
        }
        let registry = self.c.registry.get();
        let w = view(
            self.c,
            registry,
            IEscrowRegistry::collateralParametersCall { asset },
            5,
        )?;
        let p = Params {
            asset,
            partially_paused: !w[0].is_zero(),
            fully_paused: !w[1].is_zero(),
            config: CollateralConfig {
                scale: w[2],
                naked_cap: w[3],
                naked_exposure: self.c.naked_exposure.get(asset),
                dust: w[4],
            },
        };
        self.params.push(p);
        Ok(p)
    }

    /// A partial pause stops everything but redeeming and settling; a full pause everything.
    fn not_paused(&mut self, asset: Address, stopped_by_partial: bool) -> EscrowResult<()> {
        let p = self.params(asset)?;
        if p.fully_paused || (p.partially_paused && stopped_by_partial) {
            return Err(EscrowError::from(I::SystemPaused {
                partiallyPaused: p.partially_paused,
                fullyPaused: p.fully_paused,
            }));
        }
        Ok(())
    }

    fn risk_params(&mut self, underlying: Address) -> EscrowResult<Risk> {
        if let Some(r) = self.risk.as_ref().filter(|r| r.underlying == underlying) {
            return Ok(r.clone());
        }
        let registry = self.c.registry.get();
        let call_data = IEscrowRegistry::riskParametersCall { underlying };
        let w = view(self.c, registry, call_data, 19)?;
        let r = Risk {
            underlying,
            shock: w[0],
            buckets: w[1..17].iter().map_while(|b| unpack_bucket(*b)).collect(),
            auction: AuctionParams {
                duration: w[17].saturating_to(),
                discount: w[18],
            },
        };
        self.risk = Some(r.clone());
        Ok(r)
    }
}

fn reverted(target: Address, reason: Vec<u8>) -> EscrowError {
    let mut e = EscrowError::encode(
        <I::ExternalCallReverted as SolError>::SELECTOR,
        &[target.word(), U256::from(64), U256::from(reason.len())],
    );
    e.0.extend_from_slice(&reason);
    e.0.resize(e.0.len() + (32 - reason.len() % 32) % 32, 0);
    e
}

/// A static call whose answer is `n` static words (decoded by hand: every answer the escrow
/// reads is a tuple of addresses, integers and booleans).
fn view<C: SolCall>(
    c: &CollateralEscrow,
    target: Address,
    call_data: C,
    n: usize,
) -> EscrowResult<Vec<U256>> {
    let out = static_call(c.vm(), Call::new(), target, &call_data.abi_encode())
        .map_err(|e| reverted(target, e.into()))?;
    if out.len() < 32 * n {
        return Err(reverted(target, out));
    }
    Ok(out
        .chunks_exact(32)
        .take(n)
        .map(U256::from_be_slice)
        .collect())
}

fn address_of(word: U256) -> Address {
    Address::from_word(B256::from(word))
}

impl Env for Ctx<'_> {
    fn now(&self) -> u64 {
        self.c.vm().block_timestamp()
    }

    fn series(&mut self, option: Address) -> EscrowResult<Series> {
        if let Some((_, s)) = self.series.iter().find(|(a, _)| *a == option) {
            return Ok(*s);
        }
        let factory = self.c.factory.get();
        if view(
            self.c,
            factory,
            IOptionFactory::isSeriesCall { token: option },
            1,
        )?[0]
            .is_zero()
        {
            return Err(EscrowError::from(I::UnknownSeries { option }));
        }
        let w = view(self.c, option, IOptionToken::seriesInfoCall {}, 6)?;
        let s = Series {
            underlying: address_of(w[0]),
            strike_asset: address_of(w[1]),
            collateral: address_of(w[2]),
            is_put: !w[3].is_zero(),
            strike: w[4],
            expiry: w[5].saturating_to(),
        };
        self.series.push((option, s));
        Ok(s)
    }

    fn spot(&mut self, underlying: Address) -> EscrowResult<(U256, u64)> {
        let oracle = self.c.oracle.get();
        let w = view(
            self.c,
            oracle,
            IOracleAdapter::getPriceCall { asset: underlying },
            2,
        )?;
        Ok((w[0], w[1].saturating_to()))
    }

    fn expiry_price(&mut self, underlying: Address, expiry: u64) -> EscrowResult<U256> {
        let oracle = self.c.oracle.get();
        let call_data = IOracleAdapter::getExpiryPriceCall {
            asset: underlying,
            expiry: U256::from(expiry),
        };
        let w = view(self.c, oracle, call_data, 2)?;
        if w[1].is_zero() {
            return Err(EscrowError::from(I::ExpiryPriceNotFinal {
                asset: underlying,
                expiry: U256::from(expiry),
            }));
        }
        Ok(w[0])
    }

    fn collateral_config(&mut self, asset: Address) -> EscrowResult<CollateralConfig> {
        let mut config = self.params(asset)?.config;
        if let Some((_, e)) = self.exposures.iter().rev().find(|(a, _)| *a == asset) {
            config.naked_exposure = *e;
        }
        Ok(config)
    }

    fn set_naked_exposure(&mut self, asset: Address, exposure: U256) {
        self.exposures.push((asset, exposure));
    }

    fn risk(&mut self, underlying: Address) -> EscrowResult<(U256, Vec<(u64, U256)>)> {
        let r = self.risk_params(underlying)?;
        Ok((r.shock, r.buckets))
    }

    fn auction(&mut self, underlying: Address) -> EscrowResult<AuctionParams> {
        Ok(self.risk_params(underlying)?.auction)
    }
}

/// `true` if `ret` is empty (tokens that return nothing) or an ABI-encoded `true`.
fn returned_true(ret: &[u8]) -> bool {
    ret.is_empty() || (ret.len() == 32 && U256::from_be_slice(ret) == U256::from(1))
}

#[public]
impl CollateralEscrow {
    pub fn initialize(
        &mut self,
        registry: Address,
        oracle: Address,
        factory: Address,
    ) -> EscrowResult<()> {
        if self.initialized.get() {
            return Err(EscrowError::from(I::AlreadyInitialized {}));
        }
        if registry.is_zero() || oracle.is_zero() || factory.is_zero() {
            return Err(EscrowError::from(I::ZeroAddress {}));
        }
        self.initialized.set(true);
        self.registry.set(registry);
        self.oracle.set(oracle);
        self.factory.set(factory);
        emit(
            self,
            I::Initialized::SIGNATURE_HASH,
            &[word(registry), word(oracle), word(factory)],
            &[],
        );
        Ok(())
    }

    pub fn set_operator(&mut self, operator: Address, approved: bool) -> EscrowResult<()> {
        let owner = self.vm().msg_sender();
        self.operators.setter(owner).setter(operator).set(approved);
        emit(
            self,
            I::OperatorSet::SIGNATURE_HASH,
            &[word(owner), word(operator)],
            &[flag(approved)],
        );
        Ok(())
    }

    /// Runs `actions` on vault `vault_id` of `owner` (opening it if the first action is
    /// `ACTION_OPEN`), then checks its margin once, stores it, then moves the tokens.
    pub fn operate(
        &mut self,
        owner: Address,
        vault_id: U256,
        actions: Vec<(u8, Address, Address, U256)>,
    ) -> EscrowResult<()> {
        let caller = self.vm().msg_sender();
        self.only_owner_or_operator(owner, caller)?;
        let count = self.vault_counts.get(owner);
        let opens = actions.first().is_some_and(|a| a.0 == ACTION_OPEN);
        let expected = if opens { count + U256::from(1) } else { count };
        if vault_id.is_zero() || vault_id > expected || (opens && vault_id != expected) {
            return Err(EscrowError::from(I::InvalidVaultId {
                owner,
                vaultId: vault_id,
                vaultCount: count,
            }));
        }
        let mut vault = if opens {
            let vault_type = actions[0].3;
            if vault_type > U256::from(VAULT_NAKED) {
                return Err(EscrowError::from(I::InvalidVaultType {
                    vaultType: vault_type,
                }));
            }
            Vault {
                naked: vault_type == U256::from(VAULT_NAKED),
                ..Vault::default()
            }
        } else {
            self.load_vault(owner, vault_id)
        };
        let mut ctx = Ctx::new(self);
        ctx.not_paused(vault.collateral_asset, true)?;
        let mut effects = Vec::with_capacity(actions.len());
        // Adding collateral or burning shorts only makes a vault safer: such batches need no
        // price, so owners can top up while the oracle refuses to quote.
        let mut needs_check = false;
        for (i, &action) in actions.iter().enumerate().skip(usize::from(opens)) {
            let effect = rules::apply(&mut ctx, &mut vault, i, action, caller)?;
            needs_check |= !matches!(effect, Effect::Pull(a, ..) if a == vault.collateral_asset)
                && !matches!(effect, Effect::Burn(..));
            effects.push(effect);
        }
        if needs_check {
            rules::check(&mut ctx, &vault)?;
        }
        let exposures = ctx.exposures;
        vault.last_change = self.vm().block_timestamp();
        vault.auction_start = 0;
        if opens {
            self.vault_counts.setter(owner).set(expected);
            let vault_type = if vault.naked { VAULT_NAKED } else { VAULT_FULL };
            emit(
                self,
                I::VaultOpened::SIGNATURE_HASH,
                &[word(owner), num(vault_id)],
                &[num(U256::from(vault_type))],
            );
        }
        self.store_vault(owner, vault_id, &vault);
        self.write_exposures(exposures);
        for &(kind, asset, account, amount) in actions.iter().skip(usize::from(opens)) {
            let (sig, counterparty) = action_event(kind, account, caller);
            emit(
                self,
                sig,
                &[word(owner), num(vault_id), word(asset)],
                &[word(counterparty), num(amount)],
            );
        }
        self.enter()?;
        for effect in effects {
            self.perform(effect)?;
        }
        self.leave();
        Ok(())
    }

    /// Burns `amount` of the caller's expired `option` and pays its cash value to `to`.
    pub fn redeem(&mut self, option: Address, amount: U256, to: Address) -> EscrowResult<U256> {
        let holder = self.vm().msg_sender();
        let mut ctx = Ctx::new(self);
        let (series, payout) = rules::redeem(&mut ctx, option, amount)?;
        ctx.not_paused(series.collateral, false)?;
        emit(
            self,
            I::Redeemed::SIGNATURE_HASH,
            &[word(option), word(holder)],
            &[word(to), num(amount), num(payout)],
        );
        self.enter()?;
        self.perform(Effect::Burn(option, holder, amount))?;
        if !payout.is_zero() {
            self.perform(Effect::Push(series.collateral, to, payout))?;
        }
        self.leave();
        Ok(payout)
    }

    /// Settles an expired vault and sends what is left to `to`.
    pub fn settle_vault(
        &mut self,
        owner: Address,
        vault_id: U256,
        to: Address,
    ) -> EscrowResult<U256> {
        let caller = self.vm().msg_sender();
        self.only_owner_or_operator(owner, caller)?;
        let mut vault = self.load_vault(owner, vault_id);
        let (long, long_amount, asset) = (vault.long, vault.long_amount, vault.collateral_asset);
        let mut ctx = Ctx::new(self);
        ctx.not_paused(asset, false)?;
        let s = rules::settle(&mut ctx, &mut vault)?;
        let exposures = ctx.exposures;
        vault.last_change = self.vm().block_timestamp();
        self.store_vault(owner, vault_id, &vault);
        self.write_exposures(exposures);
        emit(
            self,
            I::VaultSettled::SIGNATURE_HASH,
            &[word(owner), num(vault_id)],
            &[
                word(to),
                num(s.payout),
                num(s.liability),
                num(s.long_payout),
            ],
        );
        self.enter()?;
        if !long_amount.is_zero() {
            let me = self.vm().contract_address();
            self.perform(Effect::Burn(long, me, long_amount))?;
        }
        if !s.payout.is_zero() {
            self.perform(Effect::Push(asset, to, s.payout))?;
        }
        self.leave();
        Ok(s.payout)
    }

    /// Repays `amount` of an unsafe naked vault's debt with the caller's options and sends the
    /// auction price's worth of its collateral to `to`.
    pub fn liquidate(
        &mut self,
        owner: Address,
        vault_id: U256,
        amount: U256,
        to: Address,
    ) -> EscrowResult<U256> {
        let liquidator = self.vm().msg_sender();
        let mut vault = self.load_vault(owner, vault_id);
        let (option, asset, collateral) = (vault.short, vault.collateral_asset, vault.collateral);
        let mut ctx = Ctx::new(self);
        ctx.not_paused(asset, true)?;
        let l = rules::liquidate(&mut ctx, &mut vault, amount)?;
        let exposures = ctx.exposures;
        self.store_vault(owner, vault_id, &vault);
        self.write_exposures(exposures);
        if let Some((requirement, spot, started_at)) = l.started {
            emit(
                self,
                I::AuctionStarted::SIGNATURE_HASH,
                &[word(owner), num(vault_id)],
                &[
                    num(requirement),
                    num(collateral),
                    num(spot),
                    num(U256::from(started_at)),
                ],
            );
        }
        emit(
            self,
            I::VaultLiquidated::SIGNATURE_HASH,
            &[word(owner), num(vault_id), word(liquidator)],
            &[num(amount), num(l.paid), num(l.price)],
        );
        self.enter()?;
        self.perform(Effect::Burn(option, liquidator, amount))?;
        if !l.paid.is_zero() {
            self.perform(Effect::Push(asset, to, l.paid))?;
        }
        self.leave();
        Ok(l.paid)
    }

    pub fn registry(&self) -> Address {
        self.registry.get()
    }

    pub fn is_operator(&self, owner: Address, operator: Address) -> bool {
        self.operators.getter(owner).get(operator)
    }

    pub fn vault_count(&self, owner: Address) -> U256 {
        self.vault_counts.get(owner)
    }

    pub fn naked_exposure(&self, asset: Address) -> U256 {
        self.naked_exposure.get(asset)
    }

    #[allow(clippy::type_complexity)]
    pub fn get_vault(
        &self,
        owner: Address,
        vault_id: U256,
    ) -> (u8, Address, U256, Address, U256, Address, U256, u64, u64) {
        let v = self.load_vault(owner, vault_id);
        (
            if v.naked { VAULT_NAKED } else { VAULT_FULL },
            v.collateral_asset,
            v.collateral,
            v.short,
            v.short_amount,
            v.long,
            v.long_amount,
            v.last_change,
            v.auction_start,
        )
    }

    pub fn get_vault_health(
        &self,
        owner: Address,
        vault_id: U256,
    ) -> EscrowResult<(U256, U256, U256)> {
        let v = self.load_vault(owner, vault_id);
        let (required, _) = rules::requirement(&mut Ctx::new(self), &v)?;
        Ok((
            required,
            v.collateral.saturating_sub(required),
            required.saturating_sub(v.collateral),
        ))
    }
}

/// Event signature and counterparty (`from` for pulls and burns, `to` otherwise) of an action.
fn action_event(kind: u8, account: Address, caller: Address) -> (B256, Address) {
    use abi::escrow::*;
    match kind {
        ACTION_DEPOSIT_COLLATERAL => (I::CollateralDeposited::SIGNATURE_HASH, caller),
        ACTION_WITHDRAW_COLLATERAL => (I::CollateralWithdrawn::SIGNATURE_HASH, account),
        ACTION_MINT_SHORT => (I::ShortMinted::SIGNATURE_HASH, account),
        ACTION_BURN_SHORT => (I::ShortBurned::SIGNATURE_HASH, caller),
        ACTION_DEPOSIT_LONG => (I::LongDeposited::SIGNATURE_HASH, caller),
        _ => (I::LongWithdrawn::SIGNATURE_HASH, account),
    }
}

fn word(a: Address) -> B256 {
    a.into_word()
}

fn num(x: U256) -> B256 {
    B256::from(x)
}

fn flag(b: bool) -> B256 {
    num(U256::from(u8::from(b)))
}

/// Emits an event whose non-indexed fields are all static words.
fn emit(c: &CollateralEscrow, signature: B256, indexed: &[B256], data: &[B256]) {
    let mut topics = Vec::with_capacity(1 + indexed.len());
    topics.push(signature);
    topics.extend_from_slice(indexed);
    let bytes: Vec<u8> = data.iter().flat_map(|w| w.0).collect();
    // At most four topics by construction: raw_log cannot fail.
    let _ = c.vm().raw_log(&topics, &bytes);
}

impl CollateralEscrow {
    fn only_owner_or_operator(&self, owner: Address, caller: Address) -> EscrowResult<()> {
        if caller != owner && !self.operators.getter(owner).get(caller) {
            return Err(EscrowError::from(I::Unauthorized { caller }));
        }
        Ok(())
    }

    /// Reentrancy guard around every token movement.
    fn enter(&mut self) -> EscrowResult<()> {
        if self.locked.get() {
            return Err(EscrowError::from(I::Reentrancy {}));
        }
        self.locked.set(true);
        Ok(())
    }

    fn leave(&mut self) {
        self.locked.set(false);
    }

    fn load_vault(&self, owner: Address, vault_id: U256) -> Vault {
        let owner_vaults = self.vaults.getter(owner);
        let s = owner_vaults.getter(vault_id);
        Vault {
            naked: s.naked.get(),
            collateral_asset: s.collateral_asset.get(),
            collateral: s.collateral.get(),
            short: s.short.get(),
            short_amount: s.short_amount.get(),
            long: s.long.get(),
            long_amount: s.long_amount.get(),
            last_change: s.last_change.get().to::<u64>(),
            auction_start: s.auction_start.get().to::<u64>(),
        }
    }

    fn store_vault(&mut self, owner: Address, vault_id: U256, v: &Vault) {
        let mut owner_vaults = self.vaults.setter(owner);
        let mut s = owner_vaults.setter(vault_id);
        s.naked.set(v.naked);
        s.collateral_asset.set(v.collateral_asset);
        s.collateral.set(v.collateral);
        s.short.set(v.short);
        s.short_amount.set(v.short_amount);
        s.long.set(v.long);
        s.long_amount.set(v.long_amount);
        s.last_change.set(U64::from(v.last_change));
        s.auction_start.set(U64::from(v.auction_start));
    }

    fn write_exposures(&mut self, exposures: Vec<(Address, U256)>) {
        for (asset, exposure) in exposures {
            self.naked_exposure.setter(asset).set(exposure);
        }
    }

    fn balance_of_self(&self, token: Address) -> EscrowResult<U256> {
        let me = self.vm().contract_address();
        Ok(view(self, token, IERC20::balanceOfCall { account: me }, 1)?[0])
    }

    fn mutate<C: SolCall>(&mut self, target: Address, call_data: C) -> EscrowResult<Vec<u8>> {
        let ctx = Call::new_mutating(self);
        call(self.vm(), ctx, target, &call_data.abi_encode())
            .map_err(|e| reverted(target, e.into()))
    }

    fn perform(&mut self, effect: Effect) -> EscrowResult<()> {
        match effect {
            Effect::Pull(token, from, amount) => {
                let before = self.balance_of_self(token)?;
                let to = self.vm().contract_address();
                let ret = self.mutate(
                    token,
                    IERC20::transferFromCall {
                        from,
                        to,
                        value: amount,
                    },
                )?;
                if !returned_true(&ret) {
                    return Err(EscrowError::from(I::TokenCallFailed { token }));
                }
                let received = self.balance_of_self(token)?.saturating_sub(before);
                if received < amount {
                    return Err(EscrowError::from(I::FeeOnTransferRefused {
                        asset: token,
                        expected: amount,
                        received,
                    }));
                }
            }
            Effect::Push(token, to, amount) => {
                let ret = self.mutate(token, IERC20::transferCall { to, value: amount })?;
                if !returned_true(&ret) {
                    return Err(EscrowError::from(I::TokenCallFailed { token }));
                }
            }
            Effect::Mint(option, to, amount) => {
                self.mutate(option, IOptionToken::mintOptionsCall { to, amount })?;
            }
            Effect::Burn(option, from, amount) => {
                self.mutate(option, IOptionToken::burnOptionsCall { from, amount })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
