//! `CollateralEscrow`: custody. It holds every unit of collateral, decides what each writer must
//! post (`margin`, through the shared `escrow_rules`), mints and burns option tokens and performs
//! every token movement of the protocol.
//!
//! Split in three to fit the 24 KiB code limit: governed parameters and the pause flags live in
//! the `EscrowRegistry`; redemption, vault settlement and liquidation are computed by the
//! `EscrowSettlement` contract with the same rules and applied here through the `apply*` entry
//! points, which only that registered contract may call. Custody stays in one account.
//!
//! `operate` loads a vault, runs the rules over a [`Chain`] (storage and static calls), stores the
//! result and only then moves tokens. Collateral is credited only if the escrow's balance grew by
//! the full amount (fee-on-transfer tokens are refused). Events, errors and call data are written
//! word by word (`abi::words`), for size; the unit tests decode them with the `abi` types.
//! Interface, events and errors: `abi::escrow::ICollateralEscrow`.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
extern crate alloc;

use abi::erc20::IERC20;
use abi::escrow::IMarginEngine;
use abi::escrow::{
    ICollateralEscrow as I, ACTION_MINT_SHORT, ACTION_OPEN, APPLY_AUCTION, APPLY_BURN, APPLY_CLOSE,
    APPLY_PAY, APPLY_REPAY, APPLY_SEIZE, VAULT_FULL, VAULT_NAKED,
};
use abi::option_token::IOptionToken;
use abi::proxy::IInitializable::InvalidInitialization;
use abi::words::{self, Word};
use alloc::vec::Vec;
use alloy_primitives::{aliases::U64, Address, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use escrow_rules::chain::{view, Chain, Sources, KNOWN_WORDS};
use escrow_rules::rules::{self, Effect, Vault};
use escrow_rules::{reverted, EscrowError};
use stylus_sdk::{
    call::{call, static_call},
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageMap, StorageU256, StorageU64},
};
use upgradeable_proxy::initializable;

/// A rejection of the escrow: one custom error of `ICollateralEscrow`, already ABI-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscrowRevert(Vec<u8>);

impl From<EscrowError> for EscrowRevert {
    fn from(e: EscrowError) -> Self {
        EscrowRevert(e.0)
    }
}

impl From<InvalidInitialization> for EscrowRevert {
    fn from(e: InvalidInitialization) -> Self {
        EscrowRevert(words::error(
            InvalidInitialization::SELECTOR,
            &[e.current.word(), e.requested.word()],
        ))
    }
}

impl From<EscrowRevert> for Vec<u8> {
    fn from(e: EscrowRevert) -> Vec<u8> {
        e.0
    }
}

escrow_rules::export_errors!(
    EscrowRevert,
    [
        I::InvalidInitialization,
        I::Unauthorized,
        I::ZeroAddress,
        I::ZeroAmount,
        I::Reentrancy,
        I::SystemPaused,
        I::InvalidAction,
        I::InvalidVaultId,
        I::InvalidVaultType,
        I::CollateralNotAllowed,
        I::CollateralMismatch,
        I::SeriesMismatch,
        I::LongNotMarginable,
        I::NakedVaultHoldsLong,
        I::InsufficientCollateral,
        I::InsufficientVaultBalance,
        I::NakedCapExceeded,
        I::BelowDustFloor,
        I::SeriesExpired,
        I::UnknownSeries,
        I::FeeOnTransferRefused,
        I::TokenCallFailed,
        I::ExternalCallReverted,
        I::MarginMath,
    ]
);

type EscrowResult<T> = Result<T, EscrowRevert>;

fn fail<E>(e: E) -> EscrowRevert
where
    EscrowError: From<E>,
{
    EscrowRevert::from(EscrowError::from(e))
}

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

/// Storage of the escrow (behind an ERC-1967 proxy: fields may only be appended; the
/// initialised version lives in the `initializable` guard's own slot). The first slot packs the
/// registry with the lock, so the reentrancy lock toggles a warm non-zero slot.
#[storage]
#[entrypoint]
pub struct CollateralEscrow {
    registry: StorageAddress,
    locked: StorageBool,
    oracle: StorageAddress,
    factory: StorageAddress,
    engine: StorageAddress,
    operators: StorageMap<Address, StorageMap<Address, StorageBool>>,
    vault_counts: StorageMap<Address, StorageU256>,
    vaults: StorageMap<Address, StorageMap<U256, StoredVault>>,
    naked_exposure: StorageMap<Address, StorageU256>,
}

/// `true` if `ret` is empty (tokens that return nothing) or an ABI-encoded `true`.
fn returned_true(ret: &[u8]) -> bool {
    ret.is_empty() || (ret.len() == 32 && U256::from_be_slice(ret) == U256::from(1))
}

#[public]
impl CollateralEscrow {
    /// Locks the implementation's own account: only proxies can be initialised.
    #[constructor]
    pub fn constructor(&mut self) {
        initializable::disable_initializers(self.vm());
    }

    pub fn initialize(
        &mut self,
        registry: Address,
        oracle: Address,
        factory: Address,
        engine: Address,
    ) -> EscrowResult<()> {
        if registry.is_zero() || oracle.is_zero() || factory.is_zero() || engine.is_zero() {
            return Err(fail(I::ZeroAddress {}));
        }
        initializable::initializer(self.vm(), 1)?;
        self.registry.set(registry);
        self.oracle.set(oracle);
        self.factory.set(factory);
        self.engine.set(engine);
        emit(
            self,
            I::EscrowInitialized::SIGNATURE_HASH,
            &[registry.word(), oracle.word(), factory.word()],
            &[engine.word()],
        );
        Ok(())
    }

    pub fn set_operator(&mut self, operator: Address, approved: bool) -> EscrowResult<()> {
        let owner = self.vm().msg_sender();
        self.operators.setter(owner).setter(operator).set(approved);
        emit(
            self,
            I::OperatorSet::SIGNATURE_HASH,
            &[owner.word(), operator.word()],
            &[approved.word()],
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
            return Err(fail(I::InvalidVaultId {
                owner,
                vaultId: vault_id,
                vaultCount: count,
            }));
        }
        let mut vault = if opens {
            let vault_type = actions[0].3;
            if vault_type > U256::from(VAULT_NAKED) {
                return Err(fail(I::InvalidVaultType {
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
        let exposure = |asset| self.naked_exposure.get(asset);
        let mut env = Chain::new(self.vm(), self.sources(), &exposure);
        let asset = vault.collateral_asset;
        // The pause flags are global: an empty vault's check waits for the end of the batch,
        // on the asset its deposit names, so one registry answer serves both.
        if !asset.is_zero() {
            env.not_paused(asset, false)?;
        }
        let mut effects = Vec::with_capacity(actions.len());
        // Adding collateral or burning shorts only makes a vault safer: such batches need no
        // price, so owners can top up while the oracle refuses to quote.
        let mut needs_check = false;
        for (i, &action) in actions.iter().enumerate().skip(usize::from(opens)) {
            let effect = rules::apply(&mut env, &mut vault, i, action, caller)?;
            needs_check |= !matches!(effect, Effect::Pull(a, ..) if a == vault.collateral_asset)
                && !matches!(effect, Effect::Burn(..));
            effects.push(effect);
        }
        // A partial pause stops new risk only. Batches that only add collateral or burn shorts
        // go through, because liquidation goes on under a partial pause (it is what keeps the
        // escrow solvent in an incident) and owners must be able to defend their vaults from it.
        if needs_check || opens || asset.is_zero() {
            env.not_paused(vault.collateral_asset, needs_check || opens)?;
        }
        let minted = actions.iter().any(|a| a.0 == ACTION_MINT_SHORT);
        rules::within_naked_cap(&mut env, &vault, minted)?;
        let known = env.known();
        let exposures = env.exposures;
        if needs_check {
            // Every batch that needs a price adds risk (mints, withdrawals of collateral or
            // longs), so all are priced with the oracle's circuit breaker (`getMintPrice`):
            // while it trips they stop, and top-ups, burns and settlement carry on.
            self.check_vault(&vault, true, known)?;
            if vault.auction_start != 0 {
                emit(
                    self,
                    I::AuctionEnded::SIGNATURE_HASH,
                    &[owner.word(), vault_id.word()],
                    &[vault.collateral.word(), vault.short_amount.word()],
                );
            }
        }
        if needs_check || opens {
            // Only a batch that passed the margin check at a price proves the vault safe at that
            // price (a new vault is empty). A top-up or burn without a check, or an empty batch,
            // must not refresh these, otherwise an owner could call `operate` after every round to keep an unsafe vault
            // unliquidatable and its auction forever at the start.
            vault.last_change = self.vm().block_timestamp();
            vault.auction_start = 0;
        }
        if opens {
            self.vault_counts.setter(owner).set(expected);
            let vault_type = if vault.naked { VAULT_NAKED } else { VAULT_FULL };
            emit(
                self,
                I::VaultOpened::SIGNATURE_HASH,
                &[owner.word(), vault_id.word()],
                &[vault_type.word()],
            );
        }
        self.store_vault(owner, vault_id, &vault);
        self.write_exposures(exposures);
        for &(kind, asset, account, amount) in actions.iter().skip(usize::from(opens)) {
            let (sig, counterparty) = action_event(kind, account, caller);
            emit(
                self,
                sig,
                &[owner.word(), vault_id.word(), asset.word()],
                &[counterparty.word(), amount.word()],
            );
        }
        self.perform_all(&effects)
    }

    /// Applies what the settlement contract computed. The escrow still refuses to take more
    /// from a vault than it holds (`InsufficientVaultBalance`).
    pub fn apply_outcome(
        &mut self,
        owner: Address,
        vault_id: U256,
        actions: Vec<(u8, Address, Address, U256)>,
    ) -> EscrowResult<()> {
        let caller = self.vm().msg_sender();
        if caller != self.engine.get() {
            return Err(fail(I::Unauthorized { caller }));
        }
        let bound = !vault_id.is_zero();
        let mut v = self.load_vault(owner, vault_id);
        let mut exposure_cut = U256::ZERO;
        let mut effects = Vec::with_capacity(actions.len());
        for (i, &(kind, asset, account, amount)) in actions.iter().enumerate() {
            let effect = match kind {
                APPLY_BURN => Effect::Burn(asset, account, amount),
                APPLY_PAY => Effect::Push(asset, account, amount),
                APPLY_REPAY if bound && asset == v.short => {
                    v.short_amount = take(v.short_amount, amount, asset)?;
                    if v.short_amount.is_zero() {
                        v.short = Address::ZERO;
                        v.auction_start = 0;
                    }
                    Effect::Burn(asset, account, amount)
                }
                APPLY_SEIZE if bound && asset == v.collateral_asset => {
                    v.collateral = take(v.collateral, amount, asset)?;
                    exposure_cut += amount;
                    Effect::Push(asset, account, amount)
                }
                APPLY_AUCTION if bound => {
                    if !v.short.is_zero() {
                        v.auction_start = amount.saturating_to();
                    }
                    continue;
                }
                APPLY_CLOSE if bound => {
                    // `account` settles the vault: its owner or an operator it approved.
                    self.only_owner_or_operator(owner, account)?;
                    exposure_cut += v.collateral;
                    let long = Effect::Burn(v.long, self.vm().contract_address(), v.long_amount);
                    v = Vault {
                        naked: v.naked,
                        collateral_asset: v.collateral_asset,
                        last_change: self.vm().block_timestamp(),
                        ..Vault::default()
                    };
                    long
                }
                _ => {
                    return Err(fail(I::InvalidAction {
                        index: U256::from(i),
                        kind,
                    }))
                }
            };
            effects.push(effect);
        }
        if bound {
            if v.naked && !exposure_cut.is_zero() {
                let asset = v.collateral_asset;
                let exposure = self.naked_exposure.get(asset);
                self.set_exposure(asset, exposure.saturating_sub(exposure_cut));
            }
            self.store_vault(owner, vault_id, &v);
        }
        self.perform_all(&effects)
    }

    pub fn registry(&self) -> Address {
        self.registry.get()
    }

    pub fn oracle(&self) -> Address {
        self.oracle.get()
    }

    pub fn factory(&self) -> Address {
        self.factory.get()
    }

    pub fn engine(&self) -> Address {
        self.engine.get()
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

fn take(have: U256, want: U256, asset: Address) -> EscrowResult<U256> {
    have.checked_sub(want).ok_or_else(|| {
        fail(I::InsufficientVaultBalance {
            asset,
            requested: want,
            available: have,
        })
    })
}

/// Emits an event whose non-indexed fields are all static words.
fn emit(c: &CollateralEscrow, signature: B256, indexed: &[B256], data: &[B256]) {
    let mut topics = Vec::with_capacity(1 + indexed.len());
    topics.push(signature);
    topics.extend_from_slice(indexed);
    // At most four topics by construction: raw_log cannot fail.
    let _ = c.vm().raw_log(&topics, &words::data(data));
}

impl CollateralEscrow {
    fn sources(&self) -> Sources {
        Sources {
            registry: self.registry.get(),
            oracle: self.oracle.get(),
            // The escrow never reads expiry prices; the settlement contract does.
            expiry_oracle: Address::ZERO,
            factory: self.factory.get(),
        }
    }

    fn only_owner_or_operator(&self, owner: Address, caller: Address) -> EscrowResult<()> {
        if caller != owner && !self.operators.getter(owner).get(caller) {
            return Err(fail(I::Unauthorized { caller }));
        }
        Ok(())
    }

    /// The margin engine's verdict on `v`; its rejection is returned as it is (the engine
    /// declares the same errors).
    fn check_vault(
        &self,
        v: &Vault,
        mint_price: bool,
        known: [B256; KNOWN_WORDS],
    ) -> EscrowResult<()> {
        let mut args = alloc::vec![
            v.naked.word(),
            v.collateral_asset.word(),
            v.collateral.word(),
            v.short.word(),
            v.short_amount.word(),
            v.long.word(),
            v.long_amount.word(),
            mint_price.word(),
        ];
        args.extend(known);
        let call_data = words::error(IMarginEngine::checkVaultCall::SELECTOR, &args);
        static_call(self.vm(), Call::new(), self.engine.get(), &call_data)
            .map_err(|e| EscrowRevert(e.into()))?;
        Ok(())
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
            last_change: s.last_change.get().saturating_to(),
            auction_start: s.auction_start.get().saturating_to(),
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

    /// Stores the last exposure of each asset a batch moved, with an event.
    fn write_exposures(&mut self, exposures: Vec<(Address, U256)>) {
        for (i, &(asset, exposure)) in exposures.iter().enumerate() {
            if exposures[i + 1..].iter().all(|e| e.0 != asset) {
                self.set_exposure(asset, exposure);
            }
        }
    }

    fn set_exposure(&mut self, asset: Address, exposure: U256) {
        self.naked_exposure.setter(asset).set(exposure);
        emit(
            self,
            I::NakedExposureChanged::SIGNATURE_HASH,
            &[asset.word()],
            &[exposure.word()],
        );
    }

    fn balance_of_self(&self, token: Address) -> EscrowResult<U256> {
        let me = self.vm().contract_address();
        let selector = IERC20::balanceOfCall::SELECTOR;
        Ok(view(self.vm(), token, selector, &[me.word()], 1)?[0])
    }

    fn mutate(
        &mut self,
        target: Address,
        selector: [u8; 4],
        args: &[B256],
    ) -> EscrowResult<Vec<u8>> {
        let ctx = Call::new_mutating(self);
        call(self.vm(), ctx, target, &words::error(selector, args))
            .map_err(|e| EscrowRevert::from(reverted(target, &Vec::<u8>::from(e))))
    }

    /// Performs `effects` under the reentrancy lock (every token movement goes through here);
    /// zero amounts are skipped.
    fn perform_all(&mut self, effects: &[Effect]) -> EscrowResult<()> {
        if self.locked.get() {
            return Err(fail(I::Reentrancy {}));
        }
        self.locked.set(true);
        for &effect in effects {
            self.perform(effect)?;
        }
        self.locked.set(false);
        Ok(())
    }

    fn perform(&mut self, effect: Effect) -> EscrowResult<()> {
        let (Effect::Pull(token, account, amount)
        | Effect::Push(token, account, amount)
        | Effect::Mint(token, account, amount)
        | Effect::Burn(token, account, amount)) = effect;
        if amount.is_zero() {
            return Ok(());
        }
        match effect {
            Effect::Pull(..) => {
                let before = self.balance_of_self(token)?;
                let me = self.vm().contract_address();
                let ret = self.mutate(
                    token,
                    IERC20::transferFromCall::SELECTOR,
                    &[account.word(), me.word(), amount.word()],
                )?;
                if !returned_true(&ret) {
                    return Err(fail(I::TokenCallFailed { token }));
                }
                let received = self.balance_of_self(token)?.saturating_sub(before);
                if received < amount {
                    return Err(fail(I::FeeOnTransferRefused {
                        asset: token,
                        expected: amount,
                        received,
                    }));
                }
            }
            Effect::Push(..) => {
                let ret = self.mutate(
                    token,
                    IERC20::transferCall::SELECTOR,
                    &[account.word(), amount.word()],
                )?;
                if !returned_true(&ret) {
                    return Err(fail(I::TokenCallFailed { token }));
                }
            }
            Effect::Mint(..) => {
                self.mutate(
                    token,
                    IOptionToken::mintOptionsCall::SELECTOR,
                    &[account.word(), amount.word()],
                )?;
            }
            Effect::Burn(..) => {
                self.mutate(
                    token,
                    IOptionToken::burnOptionsCall::SELECTOR,
                    &[account.word(), amount.word()],
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
