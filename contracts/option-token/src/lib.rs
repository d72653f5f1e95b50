//! `OptionToken`: one option series as an ERC-20 with EIP-2612 permit.
//!
//! One implementation is deployed; every series is an EIP-1167 clone of it whose code carries
//! the series after the 45-byte runtime ("clone with immutable args", layout:
//! `abi::option_factory::SeriesArgs`), created by the `OptionFactory` with CREATE2. The token reads
//! its series from its own code, so a creation writes no series storage and needs no
//! initialisation; the clone's address commits to that code, which binds the series to it.
//! Clones have their own storage, so the implementation tells itself apart by its code: only an
//! account whose code is a series token's accepts state changes (the implementation answers
//! `ImplementationLocked`). The EIP-712 domain uses the clone's own address and the current chain
//! id, computed on every use (no cache to go stale after a fork). Interface, events and errors:
//! `abi::option_token`.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
extern crate alloc;

mod format;

use abi::option_factory::{SeriesArgs, SERIES_CODE_LEN};
use abi::option_token::{IOptionToken, PERMIT_VERSION};
use alloc::{string::String, vec, vec::Vec};
use alloy_primitives::{Address, FixedBytes, B256, U256};
use stylus_sdk::{
    keccak_const::Keccak256,
    prelude::*,
    storage::{StorageMap, StorageU256},
};

/// `keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")`.
const DOMAIN_TYPEHASH: [u8; 32] = Keccak256::new()
    .update(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    .finalize();
/// `keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)")`.
const PERMIT_TYPEHASH: [u8; 32] = Keccak256::new()
    .update(b"Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)")
    .finalize();
/// `keccak256(PERMIT_VERSION)`.
const VERSION_HASH: [u8; 32] = Keccak256::new()
    .update(PERMIT_VERSION.as_bytes())
    .finalize();
/// The ecrecover precompile.
const ECRECOVER: Address = Address::with_last_byte(1);
/// secp256k1 group order / 2: larger `s` values are the malleable twin of a valid signature.
const HALF_ORDER: U256 = U256::from_be_bytes([
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
]);

/// Every rejection of the token, each one a custom error of `IOptionToken`.
#[derive(SolidityError, Debug)]
pub enum OptionTokenError {
    InsufficientBalance(IOptionToken::ERC20InsufficientBalance),
    InsufficientAllowance(IOptionToken::ERC20InsufficientAllowance),
    InvalidReceiver(IOptionToken::ERC20InvalidReceiver),
    InvalidSpender(IOptionToken::ERC20InvalidSpender),
    ExpiredSignature(IOptionToken::ERC2612ExpiredSignature),
    InvalidSigner(IOptionToken::ERC2612InvalidSigner),
    NotEscrow(IOptionToken::NotEscrow),
    SupplyOverflow(IOptionToken::SupplyOverflow),
    ImplementationLocked(IOptionToken::ImplementationLocked),
}

type TokenResult<T> = Result<T, OptionTokenError>;

/// Storage of one series token: the ERC-20 and permit state only (the series is in the code);
/// fields may only be appended.
#[storage]
#[entrypoint]
pub struct OptionToken {
    balances: StorageMap<Address, StorageU256>,
    allowances: StorageMap<Address, StorageMap<Address, StorageU256>>,
    total_supply: StorageU256,
    nonces: StorageMap<Address, StorageU256>,
}

#[public]
impl OptionToken {
    // --- ERC-20 ---

    /// `WETH-USDC 27NOV26 3000 Call`.
    pub fn name(&self) -> String {
        self.label(true)
    }

    /// `WETH-USDC 27NOV26 3000 C`.
    pub fn symbol(&self) -> String {
        self.label(false)
    }

    /// Always 18: one token is one option on one unit of the underlying.
    pub fn decimals(&self) -> u8 {
        abi::OPTION_DECIMALS
    }

    pub fn total_supply(&self) -> U256 {
        self.total_supply.get()
    }

    pub fn balance_of(&self, account: Address) -> U256 {
        self.balances.get(account)
    }

    pub fn transfer(&mut self, to: Address, value: U256) -> TokenResult<bool> {
        self.require_clone()?;
        let from = self.vm().msg_sender();
        self.move_tokens(from, to, value)?;
        Ok(true)
    }

    pub fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.allowances.getter(owner).get(spender)
    }

    pub fn approve(&mut self, spender: Address, value: U256) -> TokenResult<bool> {
        self.require_clone()?;
        let owner = self.vm().msg_sender();
        self.set_allowance(owner, spender, value)?;
        Ok(true)
    }

    pub fn transfer_from(&mut self, from: Address, to: Address, value: U256) -> TokenResult<bool> {
        self.require_clone()?;
        let spender = self.vm().msg_sender();
        let allowed = self.allowances.getter(from).get(spender);
        // An infinite allowance is never spent, so it costs no storage write.
        if allowed != U256::MAX {
            let left =
                allowed
                    .checked_sub(value)
                    .ok_or(OptionTokenError::InsufficientAllowance(
                        IOptionToken::ERC20InsufficientAllowance {
                            spender,
                            allowance: allowed,
                            needed: value,
                        },
                    ))?;
            self.allowances.setter(from).setter(spender).set(left);
        }
        self.move_tokens(from, to, value)?;
        Ok(true)
    }

    // --- EIP-2612 ---

    #[allow(clippy::too_many_arguments)]
    pub fn permit(
        &mut self,
        owner: Address,
        spender: Address,
        value: U256,
        deadline: U256,
        v: u8,
        r: B256,
        s: B256,
    ) -> TokenResult<()> {
        self.require_clone()?;
        if U256::from(self.vm().block_timestamp()) > deadline {
            return Err(OptionTokenError::ExpiredSignature(
                IOptionToken::ERC2612ExpiredSignature { deadline },
            ));
        }
        let nonce = self.nonces.get(owner);
        let digest = self.permit_digest(owner, spender, value, nonce, deadline);
        let signer = self.recover(digest, v, r, s);
        if signer != owner || signer.is_zero() {
            return Err(OptionTokenError::InvalidSigner(
                IOptionToken::ERC2612InvalidSigner { signer, owner },
            ));
        }
        // The nonce cannot realistically reach 2^256 - 1; wrapping would need that many permits.
        self.nonces
            .setter(owner)
            .set(nonce.wrapping_add(U256::from(1)));
        self.set_allowance(owner, spender, value)
    }

    pub fn nonces(&self, owner: Address) -> U256 {
        self.nonces.get(owner)
    }

    #[selector(name = "DOMAIN_SEPARATOR")]
    pub fn domain_separator(&self) -> B256 {
        self.compute_domain_separator()
    }

    /// EIP-5267: name, version, chain id and verifying contract are used (`fields` = 0x0f).
    #[allow(clippy::type_complexity)]
    pub fn eip712_domain(
        &self,
    ) -> (
        FixedBytes<1>,
        String,
        String,
        U256,
        Address,
        B256,
        Vec<U256>,
    ) {
        (
            FixedBytes([0x0f]),
            self.name(),
            String::from(PERMIT_VERSION),
            U256::from(self.vm().chain_id()),
            self.vm().contract_address(),
            B256::ZERO,
            Vec::new(),
        )
    }

    // --- series metadata ---

    pub fn underlying(&self) -> Address {
        self.series().underlying
    }

    pub fn strike_asset(&self) -> Address {
        self.series().strike_asset
    }

    pub fn collateral(&self) -> Address {
        self.series().collateral()
    }

    pub fn is_put(&self) -> bool {
        self.series().is_put
    }

    pub fn strike_price(&self) -> U256 {
        self.series().strike_price
    }

    pub fn expiry(&self) -> u64 {
        self.series().expiry
    }

    pub fn escrow(&self) -> Address {
        self.series().escrow
    }

    #[allow(clippy::type_complexity)]
    pub fn series_info(&self) -> (Address, Address, Address, bool, U256, u64, Address) {
        let series = self.series();
        (
            series.underlying,
            series.strike_asset,
            series.collateral(),
            series.is_put,
            series.strike_price,
            series.expiry,
            series.escrow,
        )
    }

    // --- supply (escrow) ---

    pub fn mint_options(&mut self, to: Address, amount: U256) -> TokenResult<()> {
        self.require_escrow()?;
        if to.is_zero() {
            return Err(OptionTokenError::InvalidReceiver(
                IOptionToken::ERC20InvalidReceiver { receiver: to },
            ));
        }
        let supply = self.total_supply.get();
        let new_supply = supply
            .checked_add(amount)
            .ok_or(OptionTokenError::SupplyOverflow(
                IOptionToken::SupplyOverflow {
                    totalSupply: supply,
                    amount,
                },
            ))?;
        self.total_supply.set(new_supply);
        // No balance exceeds the supply, which did not overflow.
        let balance = self.balances.get(to);
        self.balances.setter(to).set(balance + amount);
        self.vm().log(IOptionToken::Transfer {
            from: Address::ZERO,
            to,
            value: amount,
        });
        Ok(())
    }

    pub fn burn_options(&mut self, from: Address, amount: U256) -> TokenResult<()> {
        self.require_escrow()?;
        let balance = self.balances.get(from);
        let left = balance
            .checked_sub(amount)
            .ok_or(OptionTokenError::InsufficientBalance(
                IOptionToken::ERC20InsufficientBalance {
                    sender: from,
                    balance,
                    needed: amount,
                },
            ))?;
        self.balances.setter(from).set(left);
        // The supply is the sum of all balances, so it holds at least `amount`.
        let supply = self.total_supply.get();
        self.total_supply.set(supply - amount);
        self.vm().log(IOptionToken::Transfer {
            from,
            to: Address::ZERO,
            value: amount,
        });
        Ok(())
    }
}

impl OptionToken {
    /// Only a clone (code = a series token's) may change state; the implementation may not.
    /// The size is enough to tell them apart (the implementation is a Stylus program, far
    /// larger) and cheaper than reading the code.
    fn require_clone(&self) -> TokenResult<()> {
        let me = self.vm().contract_address();
        if self.vm().code_size(me) == SERIES_CODE_LEN {
            Ok(())
        } else {
            Err(OptionTokenError::ImplementationLocked(
                IOptionToken::ImplementationLocked {},
            ))
        }
    }

    /// The series in this token's code, if it is a clone.
    fn clone_series(&self) -> Option<SeriesArgs> {
        let me = self.vm().contract_address();
        SeriesArgs::from_code(&self.vm().code(me))
    }

    /// The series in this token's code; all zero on the implementation.
    fn series(&self) -> SeriesArgs {
        self.clone_series().unwrap_or_default()
    }

    /// Only a clone, and there only its escrow (never zero in a series the factory created).
    fn require_escrow(&self) -> TokenResult<()> {
        let series = self
            .clone_series()
            .ok_or(OptionTokenError::ImplementationLocked(
                IOptionToken::ImplementationLocked {},
            ))?;
        let caller = self.vm().msg_sender();
        let escrow = series.escrow;
        if caller != escrow || escrow.is_zero() {
            return Err(OptionTokenError::NotEscrow(IOptionToken::NotEscrow {
                caller,
                escrow,
            }));
        }
        Ok(())
    }

    /// `from` is never zero here: it is the caller, or an owner whose allowance was checked (the
    /// zero address can neither approve nor sign a permit).
    fn move_tokens(&mut self, from: Address, to: Address, value: U256) -> TokenResult<()> {
        if to.is_zero() {
            return Err(OptionTokenError::InvalidReceiver(
                IOptionToken::ERC20InvalidReceiver { receiver: to },
            ));
        }
        let from_balance = self.balances.get(from);
        let left = from_balance
            .checked_sub(value)
            .ok_or(OptionTokenError::InsufficientBalance(
                IOptionToken::ERC20InsufficientBalance {
                    sender: from,
                    balance: from_balance,
                    needed: value,
                },
            ))?;
        self.balances.setter(from).set(left);
        // Balances sum to the supply, so the receiver's cannot overflow.
        let to_balance = self.balances.get(to);
        self.balances.setter(to).set(to_balance + value);
        self.vm().log(IOptionToken::Transfer { from, to, value });
        Ok(())
    }

    /// `owner` is the caller or a permit's verified (non-zero) signer.
    fn set_allowance(&mut self, owner: Address, spender: Address, value: U256) -> TokenResult<()> {
        if spender.is_zero() {
            return Err(OptionTokenError::InvalidSpender(
                IOptionToken::ERC20InvalidSpender { spender },
            ));
        }
        self.allowances.setter(owner).setter(spender).set(value);
        self.vm().log(IOptionToken::Approval {
            owner,
            spender,
            value,
        });
        Ok(())
    }

    fn label(&self, long: bool) -> String {
        let series = self.series();
        format::label(&format::Series {
            underlying_symbol: series.underlying_symbol,
            strike_symbol: series.strike_symbol,
            expiry: series.expiry,
            strike_price: series.strike_price.saturating_to::<u128>(),
            is_put: series.is_put,
            long,
        })
    }

    fn compute_domain_separator(&self) -> B256 {
        let name_hash = self.vm().native_keccak256(self.name().as_bytes());
        let mut encoded = [0u8; 160];
        encoded[..32].copy_from_slice(&DOMAIN_TYPEHASH);
        encoded[32..64].copy_from_slice(name_hash.as_slice());
        encoded[64..96].copy_from_slice(&VERSION_HASH);
        encoded[96..128].copy_from_slice(&U256::from(self.vm().chain_id()).to_be_bytes::<32>());
        encoded[140..160].copy_from_slice(self.vm().contract_address().as_slice());
        self.vm().native_keccak256(&encoded)
    }

    fn permit_digest(
        &self,
        owner: Address,
        spender: Address,
        value: U256,
        nonce: U256,
        deadline: U256,
    ) -> B256 {
        let mut encoded = [0u8; 192];
        encoded[..32].copy_from_slice(&PERMIT_TYPEHASH);
        encoded[44..64].copy_from_slice(owner.as_slice());
        encoded[76..96].copy_from_slice(spender.as_slice());
        encoded[96..128].copy_from_slice(&value.to_be_bytes::<32>());
        encoded[128..160].copy_from_slice(&nonce.to_be_bytes::<32>());
        encoded[160..192].copy_from_slice(&deadline.to_be_bytes::<32>());
        let struct_hash = self.vm().native_keccak256(&encoded);
        let mut message = [0u8; 66];
        message[..2].copy_from_slice(&[0x19, 0x01]);
        message[2..34].copy_from_slice(self.compute_domain_separator().as_slice());
        message[34..].copy_from_slice(struct_hash.as_slice());
        self.vm().native_keccak256(&message)
    }

    /// The signer of `digest`, or zero for a malformed or malleable signature.
    fn recover(&self, digest: B256, v: u8, r: B256, s: B256) -> Address {
        if (v != 27 && v != 28) || U256::from_be_bytes(s.0) > HALF_ORDER {
            return Address::ZERO;
        }
        let mut input = vec![0u8; 128];
        input[..32].copy_from_slice(digest.as_slice());
        input[63] = v;
        input[64..96].copy_from_slice(r.as_slice());
        input[96..].copy_from_slice(s.as_slice());
        match stylus_sdk::call::static_call(self.vm(), Call::new(), ECRECOVER, &input) {
            Ok(out) if out.len() == 32 => Address::from_slice(&out[12..]),
            _ => Address::ZERO,
        }
    }
}

#[cfg(test)]
mod tests;
