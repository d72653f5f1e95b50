//! `MarginEngine`: the collateral escrow's math, split from it to fit the 24 KiB limit.
//!
//! It holds no tokens. For the escrow it answers `checkVault` (the end-of-batch margin check, a
//! static call); for everyone it redeems expired options, settles expired vaults and liquidates
//! unsafe naked vaults in a Dutch auction, each computed with the shared `escrow_rules` over the
//! vault the escrow reports, then applied through the escrow's `applyOutcome` (which only this
//! contract may call, and which still refuses to take more from a vault than it holds).
//!
//! Redemption and settlement never stop: no pause flag and no oracle circuit breaker applies to
//! them (a holder's payout must not depend on governance). Liquidation stops only under a full
//! pause: a partial pause stops new risk, and liquidation is how risk comes down (owners may top
//! up and burn under a partial pause too). Auctions do not count a full pause: one that ran
//! through it restarts when it ends. Interface, events and errors: `abi::escrow::IMarginEngine`.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
extern crate alloc;

use abi::escrow::{
    ICollateralEscrow, IMarginEngine as I, APPLY_AUCTION, APPLY_BURN, APPLY_CLOSE, APPLY_PAY,
    APPLY_REPAY, APPLY_SEIZE, VAULT_NAKED,
};
use abi::proxy::IInitializable::InvalidInitialization;
use abi::words::{self, Word};
use alloc::vec::Vec;
use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use escrow_rules::chain::{view, Chain, Sources, KNOWN_WORDS};
use escrow_rules::rules::{self, Vault};
use escrow_rules::EscrowError;
use stylus_sdk::{call::call, prelude::*, storage::StorageAddress};
use upgradeable_proxy::initializable;

/// A rejection of the engine: one custom error of `IMarginEngine` (or one the escrow raised
/// while applying an outcome), already ABI-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineRevert(Vec<u8>);

impl From<EscrowError> for EngineRevert {
    fn from(e: EscrowError) -> Self {
        EngineRevert(e.0)
    }
}

impl From<InvalidInitialization> for EngineRevert {
    fn from(e: InvalidInitialization) -> Self {
        EngineRevert(words::error(
            InvalidInitialization::SELECTOR,
            &[e.current.word(), e.requested.word()],
        ))
    }
}

impl From<EngineRevert> for Vec<u8> {
    fn from(e: EngineRevert) -> Vec<u8> {
        e.0
    }
}

escrow_rules::export_errors!(
    EngineRevert,
    [
        I::InvalidInitialization,
        I::Unauthorized,
        I::ZeroAddress,
        I::ZeroAmount,
        I::SystemPaused,
        I::CollateralNotAllowed,
        I::LongNotMarginable,
        I::InsufficientCollateral,
        I::InsufficientVaultBalance,
        I::NakedCapExceeded,
        I::BelowDustFloor,
        I::SeriesExpired,
        I::SeriesNotExpired,
        I::ExpiryPriceNotFinal,
        I::VaultNotLiquidatable,
        I::PriceNotNewer,
        I::UnknownSeries,
        I::Reentrancy,
        I::TokenCallFailed,
        I::ExternalCallReverted,
        I::MarginMath,
    ]
);

type EngineResult<T> = Result<T, EngineRevert>;

/// Storage of the engine (behind an ERC-1967 proxy: fields may only be appended). The
/// registry, oracle and factory are the escrow's, copied once by `initialize`.
#[storage]
#[entrypoint]
pub struct MarginEngine {
    escrow: StorageAddress,
    registry: StorageAddress,
    oracle: StorageAddress,
    expiry_oracle: StorageAddress,
    factory: StorageAddress,
}

fn no_exposure(_: Address) -> U256 {
    U256::ZERO
}

#[public]
impl MarginEngine {
    /// Locks the implementation's own account: only proxies can be initialised.
    #[constructor]
    pub fn constructor(&mut self) {
        initializable::disable_initializers(self.vm());
    }

    /// Binds the engine to an initialised `escrow` (whose registry, oracle and factory it uses)
    /// and to the oracle that answers `getExpiryPrice`.
    pub fn initialize(&mut self, escrow: Address, expiry_oracle: Address) -> EngineResult<()> {
        if escrow.is_zero() || expiry_oracle.is_zero() {
            return Err(EngineRevert::from(EscrowError::from(
                ICollateralEscrow::ZeroAddress {},
            )));
        }
        let registry = self.escrow_address(escrow, ICollateralEscrow::registryCall::SELECTOR)?;
        let oracle = self.escrow_address(escrow, ICollateralEscrow::oracleCall::SELECTOR)?;
        let factory = self.escrow_address(escrow, ICollateralEscrow::factoryCall::SELECTOR)?;
        if registry.is_zero() || oracle.is_zero() || factory.is_zero() {
            return Err(EngineRevert::from(EscrowError::from(
                ICollateralEscrow::ZeroAddress {},
            )));
        }
        initializable::initializer(self.vm(), 1)?;
        self.escrow.set(escrow);
        self.registry.set(registry);
        self.oracle.set(oracle);
        self.expiry_oracle.set(expiry_oracle);
        self.factory.set(factory);
        emit(
            self,
            I::MarginEngineInitialized::SIGNATURE_HASH,
            &[escrow.word(), expiry_oracle.word()],
            &[],
        );
        Ok(())
    }

    pub fn check_vault(&self, vault: [U256; 8], known: [U256; KNOWN_WORDS]) -> EngineResult<U256> {
        let address = |w: U256| Address::from_word(B256::from(w));
        let v = Vault {
            naked: !vault[0].is_zero(),
            collateral_asset: address(vault[1]),
            collateral: vault[2],
            short: address(vault[3]),
            short_amount: vault[4],
            long: address(vault[5]),
            long_amount: vault[6],
            last_change: 0,
            auction_start: 0,
        };
        let mut env = Chain::new(self.vm(), self.sources(), &no_exposure);
        env.mint_price = !vault[7].is_zero();
        env.preload(&known);
        Ok(rules::check(&mut env, &v)?)
    }

    /// Burns `amount` of the caller's expired `option` and pays its cash value to `to`.
    pub fn redeem(&mut self, option: Address, amount: U256, to: Address) -> EngineResult<U256> {
        let holder = self.vm().msg_sender();
        let mut env = Chain::new(self.vm(), self.sources(), &no_exposure);
        let (series, payout) = rules::redeem(&mut env, option, amount)?;
        emit(
            self,
            I::Redeemed::SIGNATURE_HASH,
            &[option.word(), holder.word()],
            &[to.word(), amount.word(), payout.word()],
        );
        self.apply(
            Address::ZERO,
            U256::ZERO,
            &[
                (APPLY_BURN, option, holder, amount),
                (APPLY_PAY, series.collateral, to, payout),
            ],
        )?;
        Ok(payout)
    }

    /// Settles an expired vault and sends what is left to `to`. The caller must be the owner or
    /// an operator it approved (the escrow checks, as it applies the outcome).
    pub fn settle_vault(
        &mut self,
        owner: Address,
        vault_id: U256,
        to: Address,
    ) -> EngineResult<U256> {
        let caller = self.vm().msg_sender();
        let mut vault = self.load_vault(owner, vault_id)?;
        let asset = vault.collateral_asset;
        let mut env = Chain::new(self.vm(), self.sources(), &no_exposure);
        let s = rules::settle(&mut env, &mut vault)?;
        emit(
            self,
            I::VaultSettled::SIGNATURE_HASH,
            &[owner.word(), vault_id.word()],
            &[
                to.word(),
                s.payout.word(),
                s.liability.word(),
                s.long_payout.word(),
            ],
        );
        self.apply(
            owner,
            vault_id,
            &[
                (APPLY_CLOSE, Address::ZERO, caller, U256::ZERO),
                (APPLY_PAY, asset, to, s.payout),
            ],
        )?;
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
    ) -> EngineResult<U256> {
        let liquidator = self.vm().msg_sender();
        let mut vault = self.load_vault(owner, vault_id)?;
        let (option, asset, collateral) = (vault.short, vault.collateral_asset, vault.collateral);
        let mut env = Chain::new(self.vm(), self.sources(), &no_exposure);
        env.not_paused(asset, false)?;
        let l = rules::liquidate(&mut env, &mut vault, amount)?;
        if let Some((requirement, spot, started_at)) = l.started {
            emit(
                self,
                I::AuctionStarted::SIGNATURE_HASH,
                &[owner.word(), vault_id.word()],
                &[
                    requirement.word(),
                    collateral.word(),
                    spot.word(),
                    started_at.word(),
                ],
            );
        }
        if let Some(previous) = l.restarted {
            emit(
                self,
                I::AuctionRestarted::SIGNATURE_HASH,
                &[owner.word(), vault_id.word()],
                &[previous.word(), vault.auction_start.word()],
            );
        }
        emit(
            self,
            I::VaultLiquidated::SIGNATURE_HASH,
            &[owner.word(), vault_id.word(), liquidator.word()],
            &[amount.word(), l.paid.word(), l.price.word()],
        );
        if l.ended {
            emit(
                self,
                I::AuctionEnded::SIGNATURE_HASH,
                &[owner.word(), vault_id.word()],
                &[vault.collateral.word(), vault.short_amount.word()],
            );
        }
        self.apply(
            owner,
            vault_id,
            &[
                (APPLY_REPAY, option, liquidator, amount),
                (APPLY_SEIZE, asset, to, l.paid),
                (
                    APPLY_AUCTION,
                    Address::ZERO,
                    Address::ZERO,
                    U256::from(vault.auction_start),
                ),
            ],
        )?;
        Ok(l.paid)
    }

    pub fn escrow(&self) -> Address {
        self.escrow.get()
    }

    pub fn expiry_oracle(&self) -> Address {
        self.expiry_oracle.get()
    }

    pub fn get_vault_health(
        &self,
        owner: Address,
        vault_id: U256,
    ) -> EngineResult<(U256, U256, U256)> {
        let v = self.load_vault(owner, vault_id)?;
        let mut env = Chain::new(self.vm(), self.sources(), &no_exposure);
        let (required, _) = rules::requirement(&mut env, &v)?;
        Ok((
            required,
            v.collateral.saturating_sub(required),
            required.saturating_sub(v.collateral),
        ))
    }
}

/// Emits an event whose non-indexed fields are all static words.
fn emit(c: &MarginEngine, signature: B256, indexed: &[B256], data: &[B256]) {
    let mut topics = Vec::with_capacity(1 + indexed.len());
    topics.push(signature);
    topics.extend_from_slice(indexed);
    // At most four topics by construction: raw_log cannot fail.
    let _ = c.vm().raw_log(&topics, &words::data(data));
}

/// `applyOutcome(owner, vaultId, actions)` call data: the actions are static tuples, encoded in
/// place after the array's offset and length.
fn apply_call(owner: Address, vault_id: U256, actions: &[(u8, Address, Address, U256)]) -> Vec<u8> {
    let mut args = Vec::with_capacity(4 + 4 * actions.len());
    args.extend([
        owner.word(),
        vault_id.word(),
        U256::from(96).word(),
        U256::from(actions.len()).word(),
    ]);
    for (kind, asset, account, amount) in actions {
        args.extend([kind.word(), asset.word(), account.word(), amount.word()]);
    }
    words::error(ICollateralEscrow::applyOutcomeCall::SELECTOR, &args)
}

impl MarginEngine {
    fn sources(&self) -> Sources {
        Sources {
            registry: self.registry.get(),
            oracle: self.oracle.get(),
            expiry_oracle: self.expiry_oracle.get(),
            factory: self.factory.get(),
        }
    }

    fn escrow_address(&self, escrow: Address, selector: [u8; 4]) -> EngineResult<Address> {
        let w = view(self.vm(), escrow, selector, &[], 1)?;
        Ok(Address::from_word(B256::from(w[0])))
    }

    /// The vault as the escrow stores it.
    fn load_vault(&self, owner: Address, vault_id: U256) -> EngineResult<Vault> {
        let selector = ICollateralEscrow::getVaultCall::SELECTOR;
        let w = view(
            self.vm(),
            self.escrow.get(),
            selector,
            &[owner.word(), vault_id.word()],
            9,
        )?;
        let address = |i: usize| Address::from_word(B256::from(w[i]));
        Ok(Vault {
            naked: w[0] == U256::from(VAULT_NAKED),
            collateral_asset: address(1),
            collateral: w[2],
            short: address(3),
            short_amount: w[4],
            long: address(5),
            long_amount: w[6],
            last_change: w[7].saturating_to(),
            auction_start: w[8].saturating_to(),
        })
    }

    /// Has the escrow apply an outcome; its rejection is returned as it is.
    fn apply(
        &mut self,
        owner: Address,
        vault_id: U256,
        actions: &[(u8, Address, Address, U256)],
    ) -> EngineResult<()> {
        let escrow = self.escrow.get();
        let ctx = Call::new_mutating(self);
        call(
            self.vm(),
            ctx,
            escrow,
            &apply_call(owner, vault_id, actions),
        )
        .map_err(|e| EngineRevert(e.into()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
