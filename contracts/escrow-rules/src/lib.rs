//! What the collateral escrow and its settlement contract share: the vault state machine
//! ([`rules`]), the escrow's custom errors encoded by hand ([`EscrowError`]), and the world as
//! static calls see it ([`chain::Chain`], an [`rules::Env`]).
//!
//! The escrow was split to fit the 24 KiB code limit: it keeps custody (`operate`, the margin
//! check, every token movement); `escrow-settlement` computes redemptions, settlements and
//! liquidations with the same rules and asks the escrow to apply them. Both link this crate, so
//! the rules cannot drift apart.
#![cfg_attr(not(test), no_std)]
extern crate alloc;

pub mod chain;
pub mod rules;

use abi::escrow::ICollateralEscrow as I;
use abi::words::{self, Word};
use alloc::vec::Vec;
use alloy_primitives::Address;
use alloy_sol_types::SolError;

/// A rejection: one custom error of `ICollateralEscrow` (or of `IEscrowSettlement`, which
/// declares the same errors, hence the same selectors), ABI-encoded where it is raised. Encoding
/// by hand keeps the per-type encoders of tens of errors out of both contracts; the unit tests
/// check every error against its `abi` encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscrowError(pub Vec<u8>);

impl From<EscrowError> for Vec<u8> {
    fn from(e: EscrowError) -> Vec<u8> {
        e.0
    }
}

macro_rules! static_errors {
    ($($name:ident { $($field:ident),* })*) => {
        $(
            impl From<I::$name> for EscrowError {
                #[allow(unused_variables)]
                fn from(e: I::$name) -> Self {
                    EscrowError(words::error(<I::$name as SolError>::SELECTOR, &[$(e.$field.word()),*]))
                }
            }
        )*
    };
}

static_errors! {
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

/// `ExternalCallReverted(target, reason)`: a call to another contract reverted.
pub fn reverted(target: Address, reason: &[u8]) -> EscrowError {
    EscrowError(words::error_with_bytes(
        <I::ExternalCallReverted as SolError>::SELECTOR,
        &[target.word()],
        reason,
    ))
}

/// Lists `$errors` in the exported interface of the contract whose error type is `$ty`, as a
/// derived error enum would (`export-abi` builds only).
#[macro_export]
macro_rules! export_errors {
    ($ty:ty, [$($error:ty),* $(,)?]) => {
        #[cfg(feature = "export-abi")]
        impl stylus_sdk::abi::export::internal::InnerTypes for $ty {
            fn inner_types() -> alloc::vec::Vec<stylus_sdk::abi::export::internal::InnerType> {
                use alloy_sol_types::SolError;
                alloc::vec![$(stylus_sdk::abi::export::internal::InnerType {
                    name: alloc::format!("error {};", <$error as SolError>::SIGNATURE.replace(',', ", ")),
                    id: core::any::TypeId::of::<$error>(),
                }),*]
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, U256};

    const ALICE: Address = address!("0000000000000000000000000000000000000001");
    const BOB: Address = address!("0000000000000000000000000000000000000002");

    #[test]
    fn every_hand_encoded_error_matches_the_abi() {
        let a = ALICE;
        let (x, y, z) = (U256::from(1), U256::from(2), U256::from(3));
        let cases: Vec<(EscrowError, Vec<u8>)> = vec![
            (
                I::Unauthorized { caller: a }.into(),
                I::Unauthorized { caller: a }.abi_encode(),
            ),
            (I::ZeroAddress {}.into(), I::ZeroAddress {}.abi_encode()),
            (I::ZeroAmount {}.into(), I::ZeroAmount {}.abi_encode()),
            (I::Reentrancy {}.into(), I::Reentrancy {}.abi_encode()),
            (
                I::SystemPaused {
                    partiallyPaused: true,
                    fullyPaused: false,
                }
                .into(),
                I::SystemPaused {
                    partiallyPaused: true,
                    fullyPaused: false,
                }
                .abi_encode(),
            ),
            (
                I::InvalidAction { index: x, kind: 7 }.into(),
                I::InvalidAction { index: x, kind: 7 }.abi_encode(),
            ),
            (
                I::InvalidVaultId {
                    owner: a,
                    vaultId: x,
                    vaultCount: y,
                }
                .into(),
                I::InvalidVaultId {
                    owner: a,
                    vaultId: x,
                    vaultCount: y,
                }
                .abi_encode(),
            ),
            (
                I::InvalidVaultType { vaultType: z }.into(),
                I::InvalidVaultType { vaultType: z }.abi_encode(),
            ),
            (
                I::CollateralNotAllowed { asset: a }.into(),
                I::CollateralNotAllowed { asset: a }.abi_encode(),
            ),
            (
                I::CollateralMismatch {
                    expected: a,
                    given: BOB,
                }
                .into(),
                I::CollateralMismatch {
                    expected: a,
                    given: BOB,
                }
                .abi_encode(),
            ),
            (
                I::SeriesMismatch {
                    expected: a,
                    given: BOB,
                }
                .into(),
                I::SeriesMismatch {
                    expected: a,
                    given: BOB,
                }
                .abi_encode(),
            ),
            (
                I::LongNotMarginable {
                    shortOption: a,
                    longOption: BOB,
                }
                .into(),
                I::LongNotMarginable {
                    shortOption: a,
                    longOption: BOB,
                }
                .abi_encode(),
            ),
            (
                I::NakedVaultHoldsLong { option: a }.into(),
                I::NakedVaultHoldsLong { option: a }.abi_encode(),
            ),
            (
                I::InsufficientCollateral {
                    required: x,
                    available: y,
                }
                .into(),
                I::InsufficientCollateral {
                    required: x,
                    available: y,
                }
                .abi_encode(),
            ),
            (
                I::InsufficientVaultBalance {
                    asset: a,
                    requested: x,
                    available: y,
                }
                .into(),
                I::InsufficientVaultBalance {
                    asset: a,
                    requested: x,
                    available: y,
                }
                .abi_encode(),
            ),
            (
                I::NakedCapExceeded {
                    asset: a,
                    exposure: x,
                    cap: y,
                }
                .into(),
                I::NakedCapExceeded {
                    asset: a,
                    exposure: x,
                    cap: y,
                }
                .abi_encode(),
            ),
            (
                I::BelowDustFloor {
                    collateral: x,
                    dustFloor: y,
                }
                .into(),
                I::BelowDustFloor {
                    collateral: x,
                    dustFloor: y,
                }
                .abi_encode(),
            ),
            (
                I::SeriesExpired {
                    option: a,
                    expiry: x,
                }
                .into(),
                I::SeriesExpired {
                    option: a,
                    expiry: x,
                }
                .abi_encode(),
            ),
            (
                I::SeriesNotExpired {
                    option: a,
                    expiry: x,
                }
                .into(),
                I::SeriesNotExpired {
                    option: a,
                    expiry: x,
                }
                .abi_encode(),
            ),
            (
                I::ExpiryPriceNotFinal {
                    asset: a,
                    expiry: x,
                }
                .into(),
                I::ExpiryPriceNotFinal {
                    asset: a,
                    expiry: x,
                }
                .abi_encode(),
            ),
            (
                I::VaultNotLiquidatable {
                    requirement: x,
                    collateral: y,
                }
                .into(),
                I::VaultNotLiquidatable {
                    requirement: x,
                    collateral: y,
                }
                .abi_encode(),
            ),
            (
                I::PriceNotNewer {
                    priceUpdatedAt: x,
                    lastChange: y,
                }
                .into(),
                I::PriceNotNewer {
                    priceUpdatedAt: x,
                    lastChange: y,
                }
                .abi_encode(),
            ),
            (
                I::FeeOnTransferRefused {
                    asset: a,
                    expected: x,
                    received: y,
                }
                .into(),
                I::FeeOnTransferRefused {
                    asset: a,
                    expected: x,
                    received: y,
                }
                .abi_encode(),
            ),
            (
                I::UnknownSeries { option: a }.into(),
                I::UnknownSeries { option: a }.abi_encode(),
            ),
            (
                I::TokenCallFailed { token: a }.into(),
                I::TokenCallFailed { token: a }.abi_encode(),
            ),
            (
                I::MarginMath { code: 2 }.into(),
                I::MarginMath { code: 2 }.abi_encode(),
            ),
        ];
        for (mine, theirs) in cases {
            assert_eq!(mine.0, theirs);
        }
        for reason in [vec![], vec![7u8; 5], vec![9u8; 32], vec![1u8; 33]] {
            let expected = I::ExternalCallReverted {
                target: a,
                reason: reason.clone().into(),
            }
            .abi_encode();
            assert_eq!(reverted(a, &reason).0, expected);
        }
    }
}
