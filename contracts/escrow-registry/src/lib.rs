//! `EscrowRegistry`: the governed parameters of the collateral escrow and its pause flags.
//!
//! Split from the escrow so that custody stays under the 24 KiB code limit and parameters can be
//! governed (and upgraded) without touching vault storage. Every setter is admin-only (later the
//! governance contract) and bounded by the constants of `abi::escrow`; the guardian may only
//! raise the pause flags. The escrow reads everything it needs in one static call
//! (`collateralParameters`, plus `riskParameters` for naked vaults). Interface: `abi::escrow`.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
extern crate alloc;

use abi::erc20::IERC20;
use abi::escrow::{
    pack_bucket, IEscrowRegistry as R, DEFAULT_AUCTION_DISCOUNT, DEFAULT_AUCTION_DURATION,
    MAX_AUCTION_DISCOUNT, MAX_AUCTION_DURATION, MAX_BUCKET_TIME, MAX_DUST_TOKENS, MAX_SHOCK,
    MAX_TIME_BUCKETS, MAX_UPPER_BOUND, MIN_AUCTION_DURATION, MIN_SHOCK,
};
use abi::proxy::IInitializable::InvalidInitialization;
use abi::words::{self, Word};
use alloc::vec::Vec;
use alloy_primitives::{aliases::U64, Address, B256, U256, U8};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use stylus_sdk::{
    call::static_call,
    prelude::*,
    storage::{
        StorageAddress, StorageBool, StorageMap, StorageU256, StorageU64, StorageU8, StorageVec,
    },
};
use upgradeable_proxy::initializable;

/// Every rejection of the registry, each one a custom error of `IEscrowRegistry`, encoded by
/// hand (`abi::words`: smaller than the derived encoders; the unit tests check each).
#[derive(Debug)]
#[cfg_attr(test, derive(PartialEq))]
pub enum RegistryError {
    InvalidInitialization(InvalidInitialization),
    Unauthorized(R::Unauthorized),
    ZeroAddress(R::ZeroAddress),
    ParameterOutOfBounds(R::ParameterOutOfBounds),
    ExternalCallReverted(R::ExternalCallReverted),
}

impl From<RegistryError> for Vec<u8> {
    fn from(e: RegistryError) -> Vec<u8> {
        match e {
            RegistryError::InvalidInitialization(e) => words::error(
                InvalidInitialization::SELECTOR,
                &[e.current.word(), e.requested.word()],
            ),
            RegistryError::Unauthorized(e) => {
                words::error(R::Unauthorized::SELECTOR, &[e.caller.word()])
            }
            RegistryError::ZeroAddress(_) => words::error(R::ZeroAddress::SELECTOR, &[]),
            RegistryError::ParameterOutOfBounds(e) => words::error(
                R::ParameterOutOfBounds::SELECTOR,
                &[e.value.word(), e.min.word(), e.max.word()],
            ),
            RegistryError::ExternalCallReverted(e) => words::error_with_bytes(
                R::ExternalCallReverted::SELECTOR,
                &[e.target.word()],
                &e.reason,
            ),
        }
    }
}

impl From<InvalidInitialization> for RegistryError {
    fn from(e: InvalidInitialization) -> Self {
        RegistryError::InvalidInitialization(e)
    }
}

escrow_rules::export_errors!(
    RegistryError,
    [
        R::InvalidInitialization,
        R::Unauthorized,
        R::ZeroAddress,
        R::ParameterOutOfBounds,
        R::ExternalCallReverted,
    ]
);

/// Emits an event whose non-indexed fields are encoded in `data`.
fn emit(r: &EscrowRegistry, signature: B256, indexed: &[B256], data: Vec<u8>) {
    let mut topics = Vec::with_capacity(1 + indexed.len());
    topics.push(signature);
    topics.extend_from_slice(indexed);
    // At most four topics by construction: raw_log cannot fail.
    let _ = r.vm().raw_log(&topics, &data);
}

/// `abi.encode(shock, maxTimes, upperBounds)`: the data of `RiskParametersSet`.
fn risk_event_data(shock: U256, max_times: &[u64], upper_bounds: &[U256]) -> Vec<u8> {
    let n = max_times.len() as u64;
    let mut w = Vec::with_capacity(5 + 2 * max_times.len());
    w.extend([shock.word(), 96u64.word(), (128 + 32 * n).word(), n.word()]);
    w.extend(max_times.iter().map(Word::word));
    w.push((upper_bounds.len() as u64).word());
    w.extend(upper_bounds.iter().map(Word::word));
    words::data(&w)
}

type RegistryResult<T> = Result<T, RegistryError>;

#[storage]
pub struct StoredCollateral {
    decimals: StorageU8,
    scale: StorageU256,
    naked_cap: StorageU256,
    dust: StorageU256,
}

#[storage]
pub struct StoredRisk {
    shock: StorageU256,
    max_times: StorageVec<StorageU64>,
    upper_bounds: StorageVec<StorageU256>,
}

/// Storage of the registry (behind an ERC-1967 proxy: fields may only be appended).
#[storage]
#[entrypoint]
pub struct EscrowRegistry {
    admin: StorageAddress,
    partially_paused: StorageBool,
    fully_paused: StorageBool,
    guardian: StorageAddress,
    auction_duration: StorageU64,
    auction_discount: StorageU256,
    collaterals: StorageMap<Address, StoredCollateral>,
    risks: StorageMap<Address, StoredRisk>,
    /// When the last full pause was lifted: auctions restart from it (see `collateralParameters`).
    resumed_at: StorageU64,
}

fn bounded(value: U256, min: U256, max: U256) -> RegistryResult<()> {
    if value < min || value > max {
        return Err(RegistryError::ParameterOutOfBounds(
            R::ParameterOutOfBounds { value, min, max },
        ));
    }
    Ok(())
}

fn zero_address() -> RegistryError {
    RegistryError::ZeroAddress(R::ZeroAddress {})
}

#[public]
impl EscrowRegistry {
    /// Locks the implementation's own account: only proxies can be initialised.
    #[constructor]
    pub fn constructor(&mut self) {
        initializable::disable_initializers(self.vm());
    }

    pub fn initialize(&mut self, admin: Address, guardian: Address) -> RegistryResult<()> {
        if admin.is_zero() {
            return Err(zero_address());
        }
        initializable::initializer(self.vm(), 1)?;
        self.admin.set(admin);
        self.guardian.set(guardian);
        self.auction_duration
            .set(U64::from(DEFAULT_AUCTION_DURATION));
        self.auction_discount
            .set(U256::from(DEFAULT_AUCTION_DISCOUNT));
        emit(
            self,
            R::RegistryInitialized::SIGNATURE_HASH,
            &[admin.word(), guardian.word()],
            Vec::new(),
        );
        Ok(())
    }

    pub fn set_admin(&mut self, new_admin: Address) -> RegistryResult<()> {
        self.only_admin()?;
        if new_admin.is_zero() {
            return Err(zero_address());
        }
        let previous = self.admin.get();
        self.admin.set(new_admin);
        emit(
            self,
            R::AdminChanged::SIGNATURE_HASH,
            &[previous.word(), new_admin.word()],
            Vec::new(),
        );
        Ok(())
    }

    pub fn set_guardian(&mut self, new_guardian: Address) -> RegistryResult<()> {
        self.only_admin()?;
        let previous = self.guardian.get();
        self.guardian.set(new_guardian);
        emit(
            self,
            R::GuardianChanged::SIGNATURE_HASH,
            &[previous.word(), new_guardian.word()],
            Vec::new(),
        );
        Ok(())
    }

    /// The admin sets both flags; the guardian may only raise them.
    pub fn set_pause(&mut self, partially_paused: bool, fully_paused: bool) -> RegistryResult<()> {
        let caller = self.vm().msg_sender();
        let lowers = (!partially_paused && self.partially_paused.get())
            || (!fully_paused && self.fully_paused.get());
        let allowed = caller == self.admin.get()
            || (caller == self.guardian.get() && !caller.is_zero() && !lowers);
        if !allowed {
            return Err(RegistryError::Unauthorized(R::Unauthorized { caller }));
        }
        // Liquidators could not bid during a full pause: auctions that ran through it restart
        // when it ends, rather than jumping to a price no one could take.
        if self.fully_paused.get() && !fully_paused {
            let now = self.vm().block_timestamp();
            self.resumed_at.set(U64::from(now));
        }
        self.partially_paused.set(partially_paused);
        self.fully_paused.set(fully_paused);
        emit(
            self,
            R::PauseChanged::SIGNATURE_HASH,
            &[],
            words::data(&[partially_paused.word(), fully_paused.word()]),
        );
        Ok(())
    }

    pub fn configure_collateral(
        &mut self,
        asset: Address,
        naked_cap: U256,
        dust_floor: U256,
    ) -> RegistryResult<()> {
        self.only_admin()?;
        if asset.is_zero() {
            return Err(zero_address());
        }
        let mut decimals = self.collaterals.getter(asset).decimals.get().to::<u8>();
        let mut scale = self.collaterals.getter(asset).scale.get();
        // Decimals are read once: a token that later reported others could not re-scale vaults.
        if scale.is_zero() {
            let out = static_call(
                self.vm(),
                Call::new(),
                asset,
                &IERC20::decimalsCall {}.abi_encode(),
            )
            .map_err(|e| reverted(asset, e.into()))?;
            decimals =
                IERC20::decimalsCall::abi_decode_returns(&out).map_err(|_| reverted(asset, out))?;
            bounded(U256::from(decimals), U256::ZERO, U256::from(18))?;
            scale = U256::from(10u128.pow(u32::from(18 - decimals)));
        }
        bounded(
            dust_floor,
            U256::ZERO,
            U256::from(u128::from(MAX_DUST_TOKENS) * 10u128.pow(u32::from(decimals))),
        )?;
        let mut c = self.collaterals.setter(asset);
        c.decimals.set(U8::from(decimals));
        c.scale.set(scale);
        c.naked_cap.set(naked_cap);
        c.dust.set(dust_floor);
        emit(
            self,
            R::CollateralConfigured::SIGNATURE_HASH,
            &[asset.word()],
            words::data(&[decimals.word(), naked_cap.word(), dust_floor.word()]),
        );
        Ok(())
    }

    pub fn set_risk_parameters(
        &mut self,
        underlying: Address,
        shock: U256,
        max_times: Vec<u64>,
        upper_bounds: Vec<U256>,
    ) -> RegistryResult<()> {
        self.only_admin()?;
        bounded(shock, U256::from(MIN_SHOCK), U256::from(MAX_SHOCK))?;
        let n = max_times.len();
        bounded(U256::from(n), U256::from(1), U256::from(MAX_TIME_BUCKETS))?;
        bounded(U256::from(upper_bounds.len()), U256::from(n), U256::from(n))?;
        // Times strictly ascending, bounds non-decreasing and never zero.
        let (mut min_time, mut min_bound) = (0u64, U256::from(1));
        for (&t, &ub) in max_times.iter().zip(&upper_bounds) {
            bounded(
                U256::from(t),
                U256::from(min_time),
                U256::from(MAX_BUCKET_TIME),
            )?;
            bounded(ub, min_bound, U256::from(MAX_UPPER_BOUND))?;
            (min_time, min_bound) = (t + 1, ub);
        }
        let mut r = self.risks.setter(underlying);
        r.shock.set(shock);
        r.max_times.erase();
        r.upper_bounds.erase();
        for (&t, &ub) in max_times.iter().zip(&upper_bounds) {
            r.max_times.push(U64::from(t));
            r.upper_bounds.push(ub);
        }
        emit(
            self,
            R::RiskParametersSet::SIGNATURE_HASH,
            &[underlying.word()],
            risk_event_data(shock, &max_times, &upper_bounds),
        );
        Ok(())
    }

    pub fn set_auction_parameters(&mut self, duration: u64, discount: U256) -> RegistryResult<()> {
        self.only_admin()?;
        bounded(
            U256::from(duration),
            U256::from(MIN_AUCTION_DURATION),
            U256::from(MAX_AUCTION_DURATION),
        )?;
        bounded(discount, U256::ZERO, U256::from(MAX_AUCTION_DISCOUNT))?;
        self.auction_duration.set(U64::from(duration));
        self.auction_discount.set(discount);
        emit(
            self,
            R::AuctionParametersSet::SIGNATURE_HASH,
            &[],
            words::data(&[duration.word(), discount.word()]),
        );
        Ok(())
    }

    pub fn admin(&self) -> Address {
        self.admin.get()
    }

    pub fn guardian(&self) -> Address {
        self.guardian.get()
    }

    pub fn paused(&self) -> (bool, bool) {
        (self.partially_paused.get(), self.fully_paused.get())
    }

    pub fn get_collateral_config(&self, asset: Address) -> (u8, U256, U256) {
        let c = self.collaterals.getter(asset);
        (c.decimals.get().to::<u8>(), c.naked_cap.get(), c.dust.get())
    }

    pub fn get_risk_parameters(&self, underlying: Address) -> (U256, Vec<u64>, Vec<U256>) {
        let r = self.risks.getter(underlying);
        let times = (0..r.max_times.len())
            .filter_map(|i| r.max_times.get(i))
            .map(|t| t.to::<u64>())
            .collect();
        let bounds = (0..r.upper_bounds.len())
            .filter_map(|i| r.upper_bounds.get(i))
            .collect();
        (r.shock.get(), times, bounds)
    }

    pub fn get_auction_parameters(&self) -> (u64, U256) {
        (
            self.auction_duration.get().to::<u64>(),
            self.auction_discount.get(),
        )
    }

    pub fn collateral_parameters(&self, asset: Address) -> (bool, bool, U256, U256, U256, u64) {
        let c = self.collaterals.getter(asset);
        (
            self.partially_paused.get(),
            self.fully_paused.get(),
            c.scale.get(),
            c.naked_cap.get(),
            c.dust.get(),
            self.resumed_at.get().to::<u64>(),
        )
    }

    pub fn risk_parameters(
        &self,
        underlying: Address,
    ) -> (U256, [U256; MAX_TIME_BUCKETS], u64, U256) {
        let r = self.risks.getter(underlying);
        let mut buckets = [U256::ZERO; MAX_TIME_BUCKETS];
        for (i, b) in buckets.iter_mut().enumerate().take(r.max_times.len()) {
            if let (Some(t), Some(ub)) = (r.max_times.get(i), r.upper_bounds.get(i)) {
                *b = pack_bucket(t.to::<u64>(), ub);
            }
        }
        (
            r.shock.get(),
            buckets,
            self.auction_duration.get().to::<u64>(),
            self.auction_discount.get(),
        )
    }
}

impl EscrowRegistry {
    fn only_admin(&self) -> RegistryResult<()> {
        let caller = self.vm().msg_sender();
        if caller != self.admin.get() {
            return Err(RegistryError::Unauthorized(R::Unauthorized { caller }));
        }
        Ok(())
    }
}

fn reverted(target: Address, reason: Vec<u8>) -> RegistryError {
    RegistryError::ExternalCallReverted(R::ExternalCallReverted {
        target,
        reason: reason.into(),
    })
}

#[cfg(test)]
mod tests;
