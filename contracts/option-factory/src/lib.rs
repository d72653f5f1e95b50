//! `OptionFactory`: allowed products, series creation and the series registry.
//!
//! The admin (later governance) allows products `(underlying, strikeAsset, collateral, isPut)`;
//! the factory reads the two assets' `symbol()` on the first allowance and keeps them (they are
//! part of every series token's code, hence of its address), so creating a series costs no
//! external token call. Anyone creates a series of an allowed product: the factory checks expiry
//! and strike and deploys, with CREATE2 (salt = hash of the series), an EIP-1167 clone of the
//! `OptionToken` implementation whose code carries the series after the 45-byte runtime
//! (`abi::option_factory::SeriesArgs`); the token reads it from there, so no call and no series
//! storage in the token follow. The escrow in the code is the factory's, set once. A series exists
//! exactly when code exists at its predicted address, so duplicates, lookups and `isSeries` need
//! no mapping; the registry keeps one slot per series for enumeration. Interface, events and
//! errors: `abi::option_factory`. The factory runs behind the ERC-1967 proxy
//! (`upgradeable-proxy`); its implementation account is locked by its constructor.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
extern crate alloc;

use abi::erc20::IERC20;
use abi::option_factory::{
    clone_init_code, create2_preimage, product_id_preimage, series_salt_preimage, verified_series,
    IOptionFactory, SeriesArgs, EXPIRY_TIME_OF_DAY, MAX_EXPIRY_HORIZON, MAX_STRIKE,
    SECONDS_PER_DAY, SERIES_CODE_LEN,
};
use abi::option_token::{symbol_bytes, MAX_ASSET_SYMBOL_BYTES};
use abi::proxy::IInitializable::InvalidInitialization;
use alloc::string::String;
use alloy_primitives::{Address, FixedBytes, B256, U256};
use alloy_sol_types::SolCall;
use stylus_sdk::{
    deploy::RawDeploy,
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageFixedBytes, StorageMap, StorageVec},
};
use upgradeable_proxy::initializable;

type Symbol = FixedBytes<MAX_ASSET_SYMBOL_BYTES>;

/// Every rejection of the factory, each one a custom error of `IOptionFactory` (or of the
/// shared initialisation guard).
#[derive(SolidityError, Debug)]
pub enum OptionFactoryError {
    InvalidInitialization(InvalidInitialization),
    NotInitialized(IOptionFactory::NotInitialized),
    NotAdmin(IOptionFactory::NotAdmin),
    ZeroAddress(IOptionFactory::ZeroAddress),
    InvalidProduct(IOptionFactory::InvalidProduct),
    SymbolUnavailable(IOptionFactory::SymbolUnavailable),
    ProductNotAllowed(IOptionFactory::ProductNotAllowed),
    ExpiryInPast(IOptionFactory::ExpiryInPast),
    ExpiryOffGrid(IOptionFactory::ExpiryOffGrid),
    ExpiryTooFar(IOptionFactory::ExpiryTooFar),
    ZeroStrike(IOptionFactory::ZeroStrike),
    StrikeTooHigh(IOptionFactory::StrikeTooHigh),
    SeriesAlreadyExists(IOptionFactory::SeriesAlreadyExists),
    CloneDeploymentFailed(IOptionFactory::CloneDeploymentFailed),
    IndexOutOfRange(IOptionFactory::IndexOutOfRange),
}

type FactoryResult<T> = Result<T, OptionFactoryError>;

/// One product: whether new series may be created, and the labels its tokens carry (one slot;
/// the labels are set on the first allowance and never change: every series' address depends on
/// them).
#[storage]
pub struct Product {
    allowed: StorageBool,
    underlying_symbol: StorageFixedBytes<MAX_ASSET_SYMBOL_BYTES>,
    strike_symbol: StorageFixedBytes<MAX_ASSET_SYMBOL_BYTES>,
}

/// Factory state (behind the proxy); fields may only be appended.
#[storage]
#[entrypoint]
pub struct OptionFactory {
    admin: StorageAddress,
    implementation: StorageAddress,
    escrow: StorageAddress,
    products: StorageMap<B256, Product>,
    series: StorageVec<StorageAddress>,
}

#[public]
impl OptionFactory {
    /// Locks the implementation's own account: only the proxy can be initialised.
    #[constructor]
    pub fn constructor(&mut self) {
        initializable::disable_initializers(self.vm());
    }

    pub fn initialize(
        &mut self,
        admin: Address,
        implementation: Address,
        escrow: Address,
    ) -> FactoryResult<()> {
        if admin.is_zero() || implementation.is_zero() || escrow.is_zero() {
            return Err(OptionFactoryError::ZeroAddress(
                IOptionFactory::ZeroAddress {},
            ));
        }
        initializable::initializer(self.vm(), 1)?;
        self.admin.set(admin);
        self.implementation.set(implementation);
        self.escrow.set(escrow);
        self.vm().log(IOptionFactory::FactoryInitialized {
            admin,
            implementation,
            escrow,
        });
        Ok(())
    }

    pub fn admin(&self) -> Address {
        self.admin.get()
    }

    pub fn implementation(&self) -> Address {
        self.implementation.get()
    }

    pub fn escrow(&self) -> Address {
        self.escrow.get()
    }

    pub fn set_admin(&mut self, new_admin: Address) -> FactoryResult<()> {
        let previous = self.only_admin()?;
        if new_admin.is_zero() {
            return Err(OptionFactoryError::ZeroAddress(
                IOptionFactory::ZeroAddress {},
            ));
        }
        self.admin.set(new_admin);
        self.vm().log(IOptionFactory::AdminChanged {
            previousAdmin: previous,
            newAdmin: new_admin,
        });
        Ok(())
    }

    // --- products ---

    pub fn allow_product(
        &mut self,
        underlying: Address,
        strike_asset: Address,
        collateral: Address,
        is_put: bool,
    ) -> FactoryResult<B256> {
        self.only_admin()?;
        if underlying.is_zero() || strike_asset.is_zero() || collateral.is_zero() {
            return Err(OptionFactoryError::ZeroAddress(
                IOptionFactory::ZeroAddress {},
            ));
        }
        if underlying == strike_asset || (collateral != underlying && collateral != strike_asset) {
            return Err(OptionFactoryError::InvalidProduct(
                IOptionFactory::InvalidProduct {
                    underlying,
                    strikeAsset: strike_asset,
                    collateral,
                },
            ));
        }
        let id = self.product_key(underlying, strike_asset, collateral, is_put);
        let (stored_underlying, stored_strike) = {
            let product = self.products.getter(id);
            (product.underlying_symbol.get(), product.strike_symbol.get())
        };
        // Symbols are never empty once read, so an empty one means a first allowance.
        let (underlying_symbol, strike_symbol) = if stored_underlying.is_zero() {
            (
                self.read_symbol(underlying)?,
                self.read_symbol(strike_asset)?,
            )
        } else {
            (stored_underlying, stored_strike)
        };
        let mut product = self.products.setter(id);
        product.allowed.set(true);
        if stored_underlying.is_zero() {
            product.underlying_symbol.set(underlying_symbol);
            product.strike_symbol.set(strike_symbol);
        }
        self.emit_product(
            id,
            underlying,
            strike_asset,
            collateral,
            is_put,
            true,
            underlying_symbol,
            strike_symbol,
        );
        Ok(id)
    }

    pub fn disallow_product(
        &mut self,
        underlying: Address,
        strike_asset: Address,
        collateral: Address,
        is_put: bool,
    ) -> FactoryResult<B256> {
        self.only_admin()?;
        let id = self.product_key(underlying, strike_asset, collateral, is_put);
        let mut product = self.products.setter(id);
        product.allowed.set(false);
        let (underlying_symbol, strike_symbol) =
            (product.underlying_symbol.get(), product.strike_symbol.get());
        self.emit_product(
            id,
            underlying,
            strike_asset,
            collateral,
            is_put,
            false,
            underlying_symbol,
            strike_symbol,
        );
        Ok(id)
    }

    pub fn is_product_allowed(
        &self,
        underlying: Address,
        strike_asset: Address,
        collateral: Address,
        is_put: bool,
    ) -> bool {
        let id = self.product_key(underlying, strike_asset, collateral, is_put);
        self.products.getter(id).allowed.get()
    }

    pub fn product_id(
        &self,
        underlying: Address,
        strike_asset: Address,
        collateral: Address,
        is_put: bool,
    ) -> B256 {
        self.product_key(underlying, strike_asset, collateral, is_put)
    }

    // --- series ---

    pub fn create_series(
        &mut self,
        underlying: Address,
        strike_asset: Address,
        collateral: Address,
        is_put: bool,
        strike_price: U256,
        expiry: u64,
    ) -> FactoryResult<Address> {
        let implementation = self.implementation.get();
        if implementation.is_zero() {
            return Err(OptionFactoryError::NotInitialized(
                IOptionFactory::NotInitialized {},
            ));
        }
        let product_id = self.product_key(underlying, strike_asset, collateral, is_put);
        let product = self.products.getter(product_id);
        if !product.allowed.get() {
            return Err(OptionFactoryError::ProductNotAllowed(
                IOptionFactory::ProductNotAllowed {
                    productId: product_id,
                },
            ));
        }
        let (underlying_symbol, strike_symbol) =
            (product.underlying_symbol.get(), product.strike_symbol.get());
        self.check_terms(strike_price, expiry)?;

        let salt = self.salt(
            underlying,
            strike_asset,
            collateral,
            is_put,
            strike_price,
            expiry,
        );
        // An allowed product's collateral is its underlying or its strike asset.
        let args = SeriesArgs {
            underlying,
            strike_asset,
            escrow: self.escrow.get(),
            strike_price,
            expiry,
            is_put,
            collateral_is_strike: collateral == strike_asset,
            underlying_symbol: underlying_symbol.0,
            strike_symbol: strike_symbol.0,
        };
        let init_code = clone_init_code(implementation, &args);
        let token = self.clone_address(salt, &init_code);
        if self.vm().code_size(token) != 0 {
            return Err(OptionFactoryError::SeriesAlreadyExists(
                IOptionFactory::SeriesAlreadyExists { token },
            ));
        }

        // Effects before the one interaction (CREATE2 of code this factory wrote).
        let index = U256::from(self.series.len());
        self.series.push(token);
        self.vm().log(IOptionFactory::SeriesCreated {
            token,
            productId: product_id,
            expiry,
            underlying,
            strikeAsset: strike_asset,
            collateral,
            isPut: is_put,
            strikePrice: strike_price,
            index,
            creator: self.vm().msg_sender(),
        });

        // SAFETY: the init code only returns the token's code; it calls nothing, so no storage
        // of this factory can change under the cache.
        let deployed = unsafe {
            RawDeploy::new()
                .salt(salt)
                .deploy(self.vm(), &init_code, U256::ZERO)
        };
        if deployed.ok() != Some(token) {
            return Err(OptionFactoryError::CloneDeploymentFailed(
                IOptionFactory::CloneDeploymentFailed { predicted: token },
            ));
        }
        Ok(token)
    }

    /// The address is a function of the series alone: the implementation and the escrow are
    /// set once, and a product's symbols never change after its first allowance (a product never
    /// allowed has no series, so its prediction is of no use).
    pub fn predict_series_address(
        &self,
        underlying: Address,
        strike_asset: Address,
        collateral: Address,
        is_put: bool,
        strike_price: U256,
        expiry: u64,
    ) -> Address {
        let salt = self.salt(
            underlying,
            strike_asset,
            collateral,
            is_put,
            strike_price,
            expiry,
        );
        let product =
            self.products
                .getter(self.product_key(underlying, strike_asset, collateral, is_put));
        let args = SeriesArgs {
            underlying,
            strike_asset,
            escrow: self.escrow.get(),
            strike_price,
            expiry,
            is_put,
            collateral_is_strike: collateral == strike_asset,
            underlying_symbol: product.underlying_symbol.get().0,
            strike_symbol: product.strike_symbol.get().0,
        };
        self.clone_address(salt, &clone_init_code(self.implementation.get(), &args))
    }

    pub fn get_series(
        &self,
        underlying: Address,
        strike_asset: Address,
        collateral: Address,
        is_put: bool,
        strike_price: U256,
        expiry: u64,
    ) -> Address {
        let token = self.predict_series_address(
            underlying,
            strike_asset,
            collateral,
            is_put,
            strike_price,
            expiry,
        );
        if self.vm().code_size(token) == 0 {
            Address::ZERO
        } else {
            token
        }
    }

    /// A token is a series of this factory when CREATE2 by this factory, with the salt of the
    /// series in its code and that code, gives its address (nobody else can put code there).
    pub fn is_series(&self, token: Address) -> bool {
        if self.vm().code_size(token) != SERIES_CODE_LEN {
            return false;
        }
        let vm = self.vm();
        verified_series(vm.contract_address(), token, &vm.code(token), |b| {
            vm.native_keccak256(b)
        })
        .is_some()
    }

    pub fn series_count(&self) -> U256 {
        U256::from(self.series.len())
    }

    pub fn series_at(&self, index: U256) -> FactoryResult<Address> {
        let count = U256::from(self.series.len());
        let found = usize::try_from(index).ok().and_then(|i| self.series.get(i));
        found.ok_or(OptionFactoryError::IndexOutOfRange(
            IOptionFactory::IndexOutOfRange { index, count },
        ))
    }
}

impl OptionFactory {
    fn only_admin(&self) -> FactoryResult<Address> {
        let admin = self.admin.get();
        let caller = self.vm().msg_sender();
        if caller != admin || admin.is_zero() {
            return Err(OptionFactoryError::NotAdmin(IOptionFactory::NotAdmin {
                caller,
                admin,
            }));
        }
        Ok(admin)
    }

    fn check_terms(&self, strike_price: U256, expiry: u64) -> FactoryResult<()> {
        let now = self.vm().block_timestamp();
        if expiry <= now {
            return Err(OptionFactoryError::ExpiryInPast(
                IOptionFactory::ExpiryInPast {
                    expiry,
                    timestamp: now,
                },
            ));
        }
        if expiry % SECONDS_PER_DAY != EXPIRY_TIME_OF_DAY {
            return Err(OptionFactoryError::ExpiryOffGrid(
                IOptionFactory::ExpiryOffGrid { expiry },
            ));
        }
        let max_expiry = now.saturating_add(MAX_EXPIRY_HORIZON);
        if expiry > max_expiry {
            return Err(OptionFactoryError::ExpiryTooFar(
                IOptionFactory::ExpiryTooFar {
                    expiry,
                    maxExpiry: max_expiry,
                },
            ));
        }
        if strike_price.is_zero() {
            return Err(OptionFactoryError::ZeroStrike(
                IOptionFactory::ZeroStrike {},
            ));
        }
        if strike_price > U256::from(MAX_STRIKE) {
            return Err(OptionFactoryError::StrikeTooHigh(
                IOptionFactory::StrikeTooHigh {
                    strikePrice: strike_price,
                    maxStrike: U256::from(MAX_STRIKE),
                },
            ));
        }
        Ok(())
    }

    fn product_key(
        &self,
        underlying: Address,
        strike_asset: Address,
        collateral: Address,
        is_put: bool,
    ) -> B256 {
        self.vm().native_keccak256(&product_id_preimage(
            underlying,
            strike_asset,
            collateral,
            is_put,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn salt(
        &self,
        underlying: Address,
        strike_asset: Address,
        collateral: Address,
        is_put: bool,
        strike_price: U256,
        expiry: u64,
    ) -> B256 {
        let preimage = series_salt_preimage(
            underlying,
            strike_asset,
            collateral,
            is_put,
            strike_price,
            expiry,
        );
        self.vm().native_keccak256(&preimage)
    }

    fn clone_address(&self, salt: B256, init_code: &[u8]) -> Address {
        let init_code_hash = self.vm().native_keccak256(init_code);
        let me = self.vm().contract_address();
        Address::from_slice(
            &self
                .vm()
                .native_keccak256(&create2_preimage(me, salt, init_code_hash))[12..],
        )
    }

    /// `symbol()` of an ERC-20, as a string or (older tokens) a zero-padded bytes32.
    fn read_symbol(&self, asset: Address) -> FactoryResult<Symbol> {
        let unavailable =
            OptionFactoryError::SymbolUnavailable(IOptionFactory::SymbolUnavailable { asset });
        let answer = static_call(
            self.vm(),
            Call::new(),
            asset,
            &IERC20::symbolCall {}.abi_encode(),
        )
        .map_err(|_| {
            OptionFactoryError::SymbolUnavailable(IOptionFactory::SymbolUnavailable { asset })
        })?;
        let text = match IERC20::symbolCall::abi_decode_returns(&answer) {
            Ok(text) => text,
            Err(_) if answer.len() == 32 => {
                let len = answer.iter().position(|&b| b == 0).unwrap_or(32);
                String::from_utf8(answer[..len].to_vec()).map_err(|_| unavailable)?
            }
            Err(_) => return Err(unavailable),
        };
        let symbol = symbol_bytes(&text);
        if symbol.is_zero() {
            return Err(OptionFactoryError::SymbolUnavailable(
                IOptionFactory::SymbolUnavailable { asset },
            ));
        }
        Ok(symbol)
    }

    #[allow(clippy::too_many_arguments)]
    fn emit_product(
        &self,
        id: B256,
        underlying: Address,
        strike_asset: Address,
        collateral: Address,
        is_put: bool,
        allowed: bool,
        underlying_symbol: Symbol,
        strike_symbol: Symbol,
    ) {
        self.vm().log(IOptionFactory::ProductUpdated {
            productId: id,
            underlying,
            strikeAsset: strike_asset,
            collateral,
            isPut: is_put,
            allowed,
            underlyingSymbol: trimmed(underlying_symbol),
            strikeSymbol: trimmed(strike_symbol),
        });
    }
}

/// A stored symbol as text (it was cut at a character boundary, so it is valid UTF-8).
fn trimmed(symbol: Symbol) -> String {
    let len = symbol.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    String::from_utf8(symbol[..len].to_vec()).unwrap_or_default()
}

#[cfg(test)]
mod tests;
