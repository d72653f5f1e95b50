//! Vault health with the escrow's own math (`margin`): a naked vault's requirement at the current
//! spot and time to expiry, how close its collateral is to it, and whether the escrow would let
//! it be liquidated now.

use crate::view::{Series, Vault};
use alloy::primitives::U256;
use margin::{AuctionParams, MarginError, NakedParams};

/// The escrow's parameters for one underlying, as `IEscrowRegistry.riskParameters` returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    pub shock: U256,
    pub buckets: Vec<(u64, U256)>,
    pub auction: AuctionParams,
}

impl Risk {
    /// From `riskParameters(underlying)`: packed buckets, unused ones zero.
    pub fn from_packed(shock: U256, packed: &[U256], duration: u64, discount: U256) -> Self {
        Self {
            shock,
            buckets: packed
                .iter()
                .filter_map(|w| abi::escrow::unpack_bucket(*w))
                .collect(),
            auction: AuctionParams { duration, discount },
        }
    }
}

/// A price the oracle reported, with the time of its round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spot {
    pub price: U256,
    pub updated_at: u64,
}

/// Where a vault stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Collateral above the warning band.
    Safe,
    /// Collateral within the warning band above the requirement.
    Approaching,
    /// Under-collateralised and the price is newer than the vault's last change: the escrow
    /// accepts a liquidation.
    Liquidatable,
    /// Under-collateralised, but the escrow waits for a price newer than the last change.
    AwaitingPrice,
    /// The series has expired: the vault can only be settled.
    Expired,
}

/// A naked vault's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    pub requirement: U256,
    pub collateral: U256,
    /// Collateral over requirement in basis points (`u64::MAX` for a zero requirement).
    pub ratio_bps: u64,
    pub status: Status,
}

/// Health of a naked vault short `series` at `spot`, at time `now`. `warn_bps` is the width of
/// the warning band above the requirement (500 = warn below 105%).
pub fn assess(
    vault: &Vault,
    series: &Series,
    spot: Spot,
    now: u64,
    risk: &Risk,
    scale: U256,
    warn_bps: u64,
) -> Result<Health, MarginError> {
    if now >= series.expiry {
        return Ok(Health {
            requirement: U256::ZERO,
            collateral: vault.collateral,
            ratio_bps: u64::MAX,
            status: Status::Expired,
        });
    }
    let params = NakedParams {
        shock: risk.shock,
        buckets: &risk.buckets,
    };
    let requirement = margin::naked_requirement(
        series.terms(),
        vault.short_amount,
        spot.price,
        series.expiry - now,
        &params,
        scale,
    )?;
    let ratio_bps = if requirement.is_zero() {
        u64::MAX
    } else {
        margin::mul_div(
            vault.collateral,
            U256::from(10_000),
            requirement,
            margin::Rounding::Down,
        )?
        .saturating_to()
    };
    let status = if vault.collateral < requirement {
        if spot.updated_at > vault.last_change {
            Status::Liquidatable
        } else {
            Status::AwaitingPrice
        }
    } else if ratio_bps < 10_000u64.saturating_add(warn_bps) {
        Status::Approaching
    } else {
        Status::Safe
    };
    Ok(Health {
        requirement,
        collateral: vault.collateral,
        ratio_bps,
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::Address;
    use margin::WAD;

    fn wad(v: u64) -> U256 {
        U256::from(v) * WAD
    }

    fn setup() -> (Vault, Series, Risk) {
        let series = Series {
            underlying: Address::repeat_byte(1),
            strike_asset: Address::repeat_byte(2),
            collateral: Address::repeat_byte(2),
            is_put: true,
            strike: wad(2_000),
            expiry: 1_000_000,
        };
        let vault = Vault {
            naked: true,
            collateral: U256::from(1_000_000_000u64), // 1,000 USDC (6 decimals)
            short_amount: wad(1),
            last_change: 100,
            ..Vault::default()
        };
        let risk = Risk::from_packed(
            wad(1) / U256::from(2),
            &[abi::escrow::pack_bucket(2_000_000, WAD / U256::from(10))],
            3_600,
            WAD / U256::from(20),
        );
        (vault, series, risk)
    }

    #[test]
    fn a_price_crash_makes_the_vault_liquidatable() {
        let (vault, series, risk) = setup();
        let scale = U256::from(1_000_000_000_000u64);
        let at = |price: u64, t: u64| Spot {
            price: wad(price),
            updated_at: t,
        };
        // Put K=2000, shock 0.5, UB 10%: at S=4000, shocked 2000 -> 0.1*2000 + 0 = 200.
        let h = assess(&vault, &series, at(4_000, 200), 500, &risk, scale, 500).unwrap();
        assert_eq!(h.requirement, U256::from(200_000_000u64));
        assert_eq!(h.status, Status::Safe);
        // At S=1000: shocked 500 -> 0.1*500 + 1500 = 1550 > 1000.
        let h = assess(&vault, &series, at(1_000, 200), 500, &risk, scale, 500).unwrap();
        assert_eq!(h.requirement, U256::from(1_550_000_000u64));
        assert_eq!(h.status, Status::Liquidatable);
        assert_eq!(h.ratio_bps, 6_451);
        // The same crash priced before the vault's last change does not count yet.
        let h = assess(&vault, &series, at(1_000, 100), 500, &risk, scale, 500).unwrap();
        assert_eq!(h.status, Status::AwaitingPrice);
        // S=2300: shocked 1150 -> 115 + 850 = 965: 1000/965 = 103.6% -> approaching.
        let h = assess(&vault, &series, at(2_300, 200), 500, &risk, scale, 500).unwrap();
        assert_eq!(h.status, Status::Approaching);
        let h = assess(
            &vault,
            &series,
            at(1_000, 200),
            1_000_000,
            &risk,
            scale,
            500,
        )
        .unwrap();
        assert_eq!(h.status, Status::Expired);
    }

    #[test]
    fn no_bucket_is_an_error() {
        let (vault, mut series, risk) = setup();
        series.expiry = 10_000_000;
        let spot = Spot {
            price: wad(1_000),
            updated_at: 200,
        };
        let scale = U256::from(1_000_000_000_000u64);
        assert_eq!(
            assess(&vault, &series, spot, 500, &risk, scale, 500),
            Err(MarginError::NoTimeBucket)
        );
    }
}
