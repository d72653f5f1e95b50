//! The keeper's picture of the protocol, built only from events: every series the factory created,
//! every vault the escrow holds (owner actions from the escrow, settlement and liquidation from
//! its margin engine) and every expiry price the expiry oracle recorded.
//!
//! Events are applied strictly in chain order and each carries its `(block, log index)`
//! position; an event at or before the last applied position is ignored, so re-reading a range
//! (after a crash between fetching and checkpointing) never counts anything twice.

use abi::escrow::ICollateralEscrow as Escrow;
use abi::escrow::IMarginEngine as Settlement;
use abi::option_factory::IOptionFactory as Factory;
use abi::oracle::IExpiryOracle as Oracle;
use alloy::primitives::{Address, U256};
use alloy::rpc::types::Log;
use alloy::sol_types::SolEvent;
use margin::{Kind, Terms};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A series as `SeriesCreated` announced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    pub underlying: Address,
    pub strike_asset: Address,
    pub collateral: Address,
    pub is_put: bool,
    pub strike: U256,
    pub expiry: u64,
}

impl Series {
    /// What the margin math needs of the series.
    pub fn terms(&self) -> Terms {
        Terms {
            kind: if self.is_put { Kind::Put } else { Kind::Call },
            strike: self.strike,
        }
    }
}

/// A vault as its events describe it (amounts in the escrow's units).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vault {
    pub naked: bool,
    pub collateral_asset: Address,
    pub collateral: U256,
    pub short: Address,
    pub short_amount: U256,
    pub long: Address,
    pub long_amount: U256,
    /// Block of the last owner action (`operate`): its timestamp is the escrow's `lastChange`.
    pub last_change_block: u64,
    /// Timestamp of the last owner action, once the follower has read the block.
    pub last_change: u64,
    /// Start of a running auction (`AuctionStarted`), 0 when none is known.
    pub auction_start: u64,
    pub settled: bool,
}

/// A vault's key: owner and per-owner id.
pub type VaultKey = (Address, U256);

/// Position of an event in the chain.
pub type Position = (u64, u64);

/// Every series and vault, and the position of the last event applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub series: BTreeMap<Address, Series>,
    #[serde(with = "pairs")]
    pub vaults: BTreeMap<VaultKey, Vault>,
    /// Expiry prices recorded by the oracle: `(asset, expiry)` to (price, finalizes at).
    #[serde(with = "pairs")]
    pub expiry_prices: BTreeMap<(Address, u64), (U256, u64)>,
    pub last_applied: Option<Position>,
}

/// What one event changed, for the caller to react to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Series(Address),
    Vault(VaultKey),
    ExpiryPrice(Address, u64),
    /// An event of a watched contract that the view does not track.
    Other,
    /// Already applied (or out of order): ignored.
    Skipped,
}

impl View {
    /// Applies one log. Logs without a block number or index (pending) are refused.
    pub fn apply(&mut self, log: &Log) -> Result<Change, ViewError> {
        let position = (
            log.block_number.ok_or(ViewError::Pending)?,
            log.log_index.ok_or(ViewError::Pending)?,
        );
        if self.last_applied.is_some_and(|last| position <= last) {
            return Ok(Change::Skipped);
        }
        // The position advances even when the event is refused, so one bad event cannot stall
        // the follower; the caller logs the error.
        let change = self.apply_event(log, position.0);
        self.last_applied = Some(position);
        change
    }

    fn apply_event(&mut self, log: &Log, block: u64) -> Result<Change, ViewError> {
        let Some(topic0) = log.topic0().copied() else {
            return Ok(Change::Other);
        };
        let inner = &log.inner;
        let bad = |e: alloy::sol_types::Error| ViewError::Decode(e.to_string());
        macro_rules! decode {
            ($ev:ty) => {
                <$ev>::decode_log(inner).map_err(bad)?.data
            };
        }
        match topic0 {
            Factory::SeriesCreated::SIGNATURE_HASH => {
                let e = decode!(Factory::SeriesCreated);
                self.series.insert(
                    e.token,
                    Series {
                        underlying: e.underlying,
                        strike_asset: e.strikeAsset,
                        collateral: e.collateral,
                        is_put: e.isPut,
                        strike: e.strikePrice,
                        expiry: e.expiry,
                    },
                );
                Ok(Change::Series(e.token))
            }
            Escrow::VaultOpened::SIGNATURE_HASH => {
                let e = decode!(Escrow::VaultOpened);
                let v = self.touch((e.owner, e.vaultId), block);
                v.naked = e.vaultType == abi::escrow::VAULT_NAKED;
                Ok(Change::Vault((e.owner, e.vaultId)))
            }
            Escrow::CollateralDeposited::SIGNATURE_HASH => {
                let e = decode!(Escrow::CollateralDeposited);
                let v = self.touch((e.owner, e.vaultId), block);
                v.collateral_asset = e.asset;
                v.collateral = add(v.collateral, e.amount)?;
                Ok(Change::Vault((e.owner, e.vaultId)))
            }
            Escrow::CollateralWithdrawn::SIGNATURE_HASH => {
                let e = decode!(Escrow::CollateralWithdrawn);
                let v = self.touch((e.owner, e.vaultId), block);
                v.collateral = sub(v.collateral, e.amount)?;
                Ok(Change::Vault((e.owner, e.vaultId)))
            }
            Escrow::ShortMinted::SIGNATURE_HASH => {
                let e = decode!(Escrow::ShortMinted);
                let v = self.touch((e.owner, e.vaultId), block);
                v.short = e.option;
                v.short_amount = add(v.short_amount, e.amount)?;
                Ok(Change::Vault((e.owner, e.vaultId)))
            }
            Escrow::ShortBurned::SIGNATURE_HASH => {
                let e = decode!(Escrow::ShortBurned);
                let v = self.touch((e.owner, e.vaultId), block);
                v.short_amount = sub(v.short_amount, e.amount)?;
                if v.short_amount.is_zero() {
                    v.short = Address::ZERO;
                }
                Ok(Change::Vault((e.owner, e.vaultId)))
            }
            Escrow::LongDeposited::SIGNATURE_HASH => {
                let e = decode!(Escrow::LongDeposited);
                let v = self.touch((e.owner, e.vaultId), block);
                v.long = e.option;
                v.long_amount = add(v.long_amount, e.amount)?;
                Ok(Change::Vault((e.owner, e.vaultId)))
            }
            Escrow::LongWithdrawn::SIGNATURE_HASH => {
                let e = decode!(Escrow::LongWithdrawn);
                let v = self.touch((e.owner, e.vaultId), block);
                v.long_amount = sub(v.long_amount, e.amount)?;
                if v.long_amount.is_zero() {
                    v.long = Address::ZERO;
                }
                Ok(Change::Vault((e.owner, e.vaultId)))
            }
            Settlement::VaultSettled::SIGNATURE_HASH => {
                let e = decode!(Settlement::VaultSettled);
                let v = self.vaults.entry((e.owner, e.vaultId)).or_default();
                *v = Vault {
                    naked: v.naked,
                    collateral_asset: v.collateral_asset,
                    settled: true,
                    ..Vault::default()
                };
                Ok(Change::Vault((e.owner, e.vaultId)))
            }
            Settlement::AuctionStarted::SIGNATURE_HASH => {
                let e = decode!(Settlement::AuctionStarted);
                let v = self.vaults.entry((e.owner, e.vaultId)).or_default();
                v.auction_start = e.startedAt.saturating_to();
                Ok(Change::Vault((e.owner, e.vaultId)))
            }
            Settlement::AuctionRestarted::SIGNATURE_HASH => {
                let e = decode!(Settlement::AuctionRestarted);
                let v = self.vaults.entry((e.owner, e.vaultId)).or_default();
                v.auction_start = e.startedAt.saturating_to();
                Ok(Change::Vault((e.owner, e.vaultId)))
            }
            // The escrow (a batch made the vault safe) and the margin engine (a liquidation did)
            // declare the same event.
            Settlement::AuctionEnded::SIGNATURE_HASH => {
                let e = decode!(Settlement::AuctionEnded);
                let v = self.vaults.entry((e.owner, e.vaultId)).or_default();
                v.auction_start = 0;
                Ok(Change::Vault((e.owner, e.vaultId)))
            }
            Settlement::VaultLiquidated::SIGNATURE_HASH => {
                let e = decode!(Settlement::VaultLiquidated);
                let v = self.vaults.entry((e.owner, e.vaultId)).or_default();
                v.short_amount = sub(v.short_amount, e.debtRepaid)?;
                v.collateral = sub(v.collateral, e.collateralPaid)?;
                if v.short_amount.is_zero() {
                    v.short = Address::ZERO;
                    v.auction_start = 0;
                }
                Ok(Change::Vault((e.owner, e.vaultId)))
            }
            Oracle::ExpiryPriceSet::SIGNATURE_HASH => {
                let e = decode!(Oracle::ExpiryPriceSet);
                Ok(self.expiry_price(e.asset, e.expiry, e.price, e.finalizesAt))
            }
            Oracle::FallbackExpiryPriceSet::SIGNATURE_HASH => {
                let e = decode!(Oracle::FallbackExpiryPriceSet);
                Ok(self.expiry_price(e.asset, e.expiry, e.price, e.finalizesAt))
            }
            Oracle::ExpiryPriceDisputed::SIGNATURE_HASH => {
                let e = decode!(Oracle::ExpiryPriceDisputed);
                let key = (e.asset, e.expiry.saturating_to::<u64>());
                // A dispute moves finalisation (the first one by a whole dispute period).
                let finalizes = e.finalizesAt.saturating_to::<u64>();
                self.expiry_prices.insert(key, (e.newPrice, finalizes));
                Ok(Change::ExpiryPrice(key.0, key.1))
            }
            _ => Ok(Change::Other),
        }
    }

    fn expiry_price(&mut self, asset: Address, expiry: U256, price: U256, at: U256) -> Change {
        let expiry = expiry.saturating_to::<u64>();
        self.expiry_prices
            .insert((asset, expiry), (price, at.saturating_to()));
        Change::ExpiryPrice(asset, expiry)
    }

    /// An owner action on a vault: the escrow stamps `lastChange` (taken as this block: a top-up
    /// that needs no margin check does not move it, so the view may only be later than the
    /// escrow, never earlier). An auction ends only with `AuctionEnded`.
    fn touch(&mut self, key: VaultKey, block: u64) -> &mut Vault {
        let v = self.vaults.entry(key).or_default();
        if v.last_change_block != block {
            v.last_change_block = block;
            v.last_change = 0;
        }
        v
    }

    /// Vaults whose last change has no timestamp yet, by block.
    pub fn blocks_missing_time(&self) -> Vec<u64> {
        let mut blocks: Vec<u64> = self
            .vaults
            .values()
            .filter(|v| v.last_change == 0 && v.last_change_block != 0)
            .map(|v| v.last_change_block)
            .collect();
        blocks.sort_unstable();
        blocks.dedup();
        blocks
    }

    /// Records block timestamps (`block -> timestamp`) on the vaults changed in those blocks,
    /// in one pass over the vaults.
    pub fn set_block_times(&mut self, times: &BTreeMap<u64, u64>) {
        for v in self.vaults.values_mut() {
            if v.last_change == 0 {
                if let Some(t) = times.get(&v.last_change_block) {
                    v.last_change = *t;
                }
            }
        }
    }

    /// Naked vaults with an open short.
    pub fn naked_shorts(&self) -> impl Iterator<Item = (&VaultKey, &Vault)> {
        self.vaults
            .iter()
            .filter(|(_, v)| v.naked && !v.settled && !v.short_amount.is_zero())
    }
}

/// Maps with composite keys as JSON lists of `[key, value]` pairs (JSON keys are strings).
mod pairs {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub fn deserialize<'de, K, V, D>(d: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
    }
}

fn add(a: U256, b: U256) -> Result<U256, ViewError> {
    a.checked_add(b).ok_or(ViewError::Inconsistent)
}

fn sub(a: U256, b: U256) -> Result<U256, ViewError> {
    a.checked_sub(b).ok_or(ViewError::Inconsistent)
}

/// Why an event could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    #[error("log without block number or index (pending)")]
    Pending,
    #[error("undecodable event: {0}")]
    Decode(String),
    /// An amount went below zero or past 2^256: an event was missed or counted twice.
    #[error("vault amounts inconsistent with the events seen")]
    Inconsistent,
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, LogData};

    const ESCROW: Address = address!("00000000000000000000000000000000000e5c20");
    const OWNER: Address = address!("0000000000000000000000000000000000000a11");
    const OPTION: Address = address!("00000000000000000000000000000000000000f1");
    const USDC: Address = address!("0000000000000000000000000000000000000c0c");

    fn log<E: SolEvent>(event: &E, block: u64, index: u64) -> Log {
        Log {
            inner: alloy::primitives::Log {
                address: ESCROW,
                data: LogData::new_unchecked(
                    event.encode_topics().into_iter().map(|t| t.0).collect(),
                    event.encode_data().into(),
                ),
            },
            block_number: Some(block),
            log_index: Some(index),
            ..Log::default()
        }
    }

    fn history() -> Vec<Log> {
        let id = U256::from(1);
        vec![
            log(
                &Escrow::VaultOpened {
                    owner: OWNER,
                    vaultId: id,
                    vaultType: abi::escrow::VAULT_NAKED,
                },
                10,
                0,
            ),
            log(
                &Escrow::CollateralDeposited {
                    owner: OWNER,
                    vaultId: id,
                    asset: USDC,
                    from: OWNER,
                    amount: U256::from(5_000),
                },
                10,
                1,
            ),
            log(
                &Escrow::ShortMinted {
                    owner: OWNER,
                    vaultId: id,
                    option: OPTION,
                    to: OWNER,
                    amount: U256::from(10),
                },
                10,
                2,
            ),
            log(
                &Settlement::AuctionStarted {
                    owner: OWNER,
                    vaultId: id,
                    requirement: U256::from(6_000),
                    collateral: U256::from(5_000),
                    spot: U256::from(1),
                    startedAt: U256::from(1_000),
                },
                12,
                0,
            ),
            log(
                &Settlement::VaultLiquidated {
                    owner: OWNER,
                    vaultId: id,
                    liquidator: ESCROW,
                    debtRepaid: U256::from(4),
                    collateralPaid: U256::from(1_900),
                    pricePerOption: U256::from(475),
                },
                12,
                1,
            ),
        ]
    }

    #[test]
    fn events_build_the_vault() {
        let mut view = View::default();
        for l in history() {
            view.apply(&l).unwrap();
        }
        let v = &view.vaults[&(OWNER, U256::from(1))];
        assert!(v.naked);
        assert_eq!(v.collateral, U256::from(3_100));
        assert_eq!(v.short, OPTION);
        assert_eq!(v.short_amount, U256::from(6));
        assert_eq!(v.auction_start, 1_000);
        assert_eq!(v.last_change_block, 10);
        assert_eq!(view.blocks_missing_time(), vec![10]);
        view.set_block_times(&BTreeMap::from([(10, 777)]));
        assert_eq!(view.vaults[&(OWNER, U256::from(1))].last_change, 777);
        assert_eq!(view.last_applied, Some((12, 1)));
    }

    #[test]
    fn replayed_ranges_are_not_counted_twice() {
        let logs = history();
        let mut once = View::default();
        for l in &logs {
            once.apply(l).unwrap();
        }
        // A crash after applying a prefix, then the whole range read again.
        let mut replayed = View::default();
        for l in &logs[..3] {
            replayed.apply(l).unwrap();
        }
        let changes: Vec<Change> = logs.iter().map(|l| replayed.apply(l).unwrap()).collect();
        assert_eq!(
            changes[..3],
            [Change::Skipped, Change::Skipped, Change::Skipped]
        );
        assert_eq!(replayed, once);
    }

    #[test]
    fn a_missed_event_shows_as_inconsistency() {
        let mut logs = history();
        // Without the deposit, the liquidation pays out collateral the view never saw.
        logs.remove(1);
        let mut view = View::default();
        for l in &logs[..3] {
            view.apply(l).unwrap();
        }
        assert_eq!(view.apply(&logs[3]), Err(ViewError::Inconsistent));
        assert_eq!(view.last_applied, Some((12, 1)));
    }

    #[test]
    fn a_view_survives_a_json_round_trip() {
        let mut view = View::default();
        for l in history() {
            view.apply(&l).unwrap();
        }
        view.expiry_prices
            .insert((USDC, 1_800_000_000), (U256::from(7), 1_800_007_200));
        let json = serde_json::to_string(&view).unwrap();
        assert_eq!(serde_json::from_str::<View>(&json).unwrap(), view);
    }

    #[test]
    fn a_dispute_moves_finalisation() {
        let (asset, expiry) = (USDC, U256::from(1_700_035_200u64));
        let mut view = View::default();
        let set = Oracle::ExpiryPriceSet {
            asset,
            expiry,
            price: U256::from(2_000),
            roundId: alloy::primitives::aliases::U80::from(7),
            roundTimestamp: expiry,
            finalizesAt: U256::from(1_700_038_800u64),
            reporter: OWNER,
        };
        let disputed = Oracle::ExpiryPriceDisputed {
            asset,
            expiry,
            previousPrice: U256::from(2_000),
            newPrice: U256::from(1_990),
            finalizesAt: U256::from(1_700_040_000u64),
            disputer: OWNER,
        };
        view.apply(&log(&set, 20, 0)).unwrap();
        view.apply(&log(&disputed, 21, 0)).unwrap();
        let key = (asset, 1_700_035_200u64);
        assert_eq!(
            view.expiry_prices[&key],
            (U256::from(1_990), 1_700_040_000u64)
        );
    }

    #[test]
    fn pending_logs_are_refused() {
        let mut l = history().remove(0);
        l.block_number = None;
        assert_eq!(View::default().apply(&l), Err(ViewError::Pending));
    }
}
