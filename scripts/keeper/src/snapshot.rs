//! The follower's checkpoint in a compact binary form (the JSON form was 5.4 MB at 10,000
//! vaults). Every address is written once, in a table, and referred to by index; numbers are
//! LEB128 varints, amounts their minimal big-endian bytes behind a length byte.
//!
//! ```text
//! "KEEPCKPT" | version u16 LE | body | keccak256(everything before it)
//! body: next_block, last_applied, address table, series, vaults, expiry prices
//! ```
//!
//! A file is written atomically ([`checkpoint::write_atomic`]); reading refuses, with the reason,
//! a file of another format or version, a checksum mismatch, a truncated or over-long body and
//! values no writer produces (flags, indexes, duplicate keys).

use crate::checkpoint;
use crate::follower::Checkpoint;
use crate::view::{Series, Vault, View};
use alloy::primitives::{keccak256, Address, U256};
use std::collections::BTreeMap;
use std::path::Path;

/// The first bytes of every snapshot.
pub const MAGIC: &[u8; 8] = b"KEEPCKPT";
/// The format written; only this one is read.
pub const VERSION: u16 = 1;

/// Why a snapshot was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("not a keeper checkpoint (no KEEPCKPT header)")]
    Magic,
    #[error("checkpoint format version {0}, this keeper reads version {VERSION}")]
    Version(u16),
    #[error("checksum mismatch: the file is corrupt")]
    Checksum,
    #[error("truncated at byte {0}")]
    Truncated(usize),
    #[error("invalid {what} at byte {at}")]
    Invalid { what: &'static str, at: usize },
    #[error("{0} unexpected bytes after the end")]
    Trailing(usize),
}

/// Encodes a checkpoint.
pub fn encode(c: &Checkpoint) -> Vec<u8> {
    let view = &c.view;
    let mut table = Vec::new();
    let mut index = BTreeMap::new();
    let mut intern = |a: Address| -> u64 {
        *index.entry(a).or_insert_with(|| {
            table.push(a);
            table.len() as u64 - 1
        })
    };
    // Indexes are assigned before the body is written, so the table can precede it.
    let mut series = Vec::with_capacity(view.series.len());
    for (token, s) in &view.series {
        series.push([
            intern(*token),
            intern(s.underlying),
            intern(s.strike_asset),
            intern(s.collateral),
        ]);
    }
    let mut vaults = Vec::with_capacity(view.vaults.len());
    for ((owner, _), v) in &view.vaults {
        vaults.push([
            intern(*owner),
            intern(v.collateral_asset),
            intern(v.short),
            intern(v.long),
        ]);
    }
    let prices: Vec<u64> = view.expiry_prices.keys().map(|k| intern(k.0)).collect();

    let mut w = Vec::with_capacity(64 + 20 * table.len() + 40 * view.vaults.len());
    w.extend_from_slice(MAGIC);
    w.extend_from_slice(&VERSION.to_le_bytes());
    varint(&mut w, c.next_block);
    match view.last_applied {
        None => w.push(0),
        Some((block, index)) => {
            w.push(1);
            varint(&mut w, block);
            varint(&mut w, index);
        }
    }
    varint(&mut w, table.len() as u64);
    for a in &table {
        w.extend_from_slice(a.as_slice());
    }
    varint(&mut w, view.series.len() as u64);
    for (idx, s) in series.iter().zip(view.series.values()) {
        for i in idx {
            varint(&mut w, *i);
        }
        w.push(u8::from(s.is_put));
        amount(&mut w, s.strike);
        varint(&mut w, s.expiry);
    }
    varint(&mut w, view.vaults.len() as u64);
    for (idx, ((_, id), v)) in vaults.iter().zip(&view.vaults) {
        varint(&mut w, idx[0]);
        amount(&mut w, *id);
        w.push(u8::from(v.naked) | u8::from(v.settled) << 1);
        varint(&mut w, idx[1]);
        amount(&mut w, v.collateral);
        varint(&mut w, idx[2]);
        amount(&mut w, v.short_amount);
        varint(&mut w, idx[3]);
        amount(&mut w, v.long_amount);
        varint(&mut w, v.last_change_block);
        varint(&mut w, v.last_change);
        varint(&mut w, v.auction_start);
    }
    varint(&mut w, view.expiry_prices.len() as u64);
    for (i, ((_, expiry), (price, finalizes))) in prices.iter().zip(&view.expiry_prices) {
        varint(&mut w, *i);
        varint(&mut w, *expiry);
        amount(&mut w, *price);
        varint(&mut w, *finalizes);
    }
    let sum = keccak256(&w);
    w.extend_from_slice(sum.as_slice());
    w
}

/// Decodes a checkpoint, refusing anything [`encode`] would not have written.
pub fn decode(bytes: &[u8]) -> Result<Checkpoint, SnapshotError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(SnapshotError::Magic);
    }
    let mut r = Reader {
        bytes,
        at: MAGIC.len(),
    };
    let version = u16::from_le_bytes(r.take(2)?.try_into().expect("two bytes"));
    if version != VERSION {
        return Err(SnapshotError::Version(version));
    }
    if bytes.len() < r.at + 32 {
        return Err(SnapshotError::Truncated(bytes.len()));
    }
    let end = bytes.len() - 32;
    if keccak256(&bytes[..end]).as_slice() != &bytes[end..] {
        return Err(SnapshotError::Checksum);
    }
    r.bytes = &bytes[..end];

    let next_block = r.varint()?;
    let last_applied = match r.byte()? {
        0 => None,
        1 => Some((r.varint()?, r.varint()?)),
        _ => return Err(r.invalid("last-applied tag")),
    };
    let n = r.count(20)?;
    let mut table = Vec::with_capacity(n);
    for _ in 0..n {
        table.push(Address::from_slice(r.take(20)?));
    }
    let addr = |r: &mut Reader| -> Result<Address, SnapshotError> {
        let at = r.at;
        let i = r.varint()?;
        usize::try_from(i)
            .ok()
            .and_then(|i| table.get(i).copied())
            .ok_or(SnapshotError::Invalid {
                what: "address index",
                at,
            })
    };
    let mut view = View {
        last_applied,
        ..View::default()
    };
    for _ in 0..r.count(5)? {
        let token = addr(&mut r)?;
        let s = Series {
            underlying: addr(&mut r)?,
            strike_asset: addr(&mut r)?,
            collateral: addr(&mut r)?,
            is_put: match r.byte()? {
                0 => false,
                1 => true,
                _ => return Err(r.invalid("put flag")),
            },
            strike: r.amount()?,
            expiry: r.varint()?,
        };
        if view.series.insert(token, s).is_some() {
            return Err(r.invalid("duplicate series"));
        }
    }
    for _ in 0..r.count(12)? {
        let owner = addr(&mut r)?;
        let id = r.amount()?;
        let flags = r.byte()?;
        if flags > 3 {
            return Err(r.invalid("vault flags"));
        }
        let v = Vault {
            naked: flags & 1 != 0,
            settled: flags & 2 != 0,
            collateral_asset: addr(&mut r)?,
            collateral: r.amount()?,
            short: addr(&mut r)?,
            short_amount: r.amount()?,
            long: addr(&mut r)?,
            long_amount: r.amount()?,
            last_change_block: r.varint()?,
            last_change: r.varint()?,
            auction_start: r.varint()?,
        };
        if view.vaults.insert((owner, id), v).is_some() {
            return Err(r.invalid("duplicate vault"));
        }
    }
    for _ in 0..r.count(4)? {
        let key = (addr(&mut r)?, r.varint()?);
        let value = (r.amount()?, r.varint()?);
        if view.expiry_prices.insert(key, value).is_some() {
            return Err(r.invalid("duplicate expiry price"));
        }
    }
    if r.at != r.bytes.len() {
        return Err(SnapshotError::Trailing(r.bytes.len() - r.at));
    }
    Ok(Checkpoint { next_block, view })
}

/// Writes `c` to `path` atomically.
pub fn save(path: &Path, c: &Checkpoint) -> std::io::Result<()> {
    checkpoint::write_atomic(path, &encode(c))
}

/// Reads `path`; `None` when it does not exist, an `InvalidData` error naming the file and the
/// reason when it is refused.
pub fn load(path: &Path) -> std::io::Result<Option<Checkpoint>> {
    match std::fs::read(path) {
        Ok(bytes) => decode(&bytes).map(Some).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn varint(w: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        w.push(v as u8 | 0x80);
        v >>= 7;
    }
    w.push(v as u8);
}

fn amount(w: &mut Vec<u8>, v: U256) {
    let be = v.to_be_bytes::<32>();
    let skip = be.iter().take_while(|b| **b == 0).count();
    w.push((32 - skip) as u8);
    w.extend_from_slice(&be[skip..]);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or(SnapshotError::Truncated(self.bytes.len()))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, SnapshotError> {
        Ok(self.take(1)?[0])
    }

    fn invalid(&self, what: &'static str) -> SnapshotError {
        SnapshotError::Invalid { what, at: self.at }
    }

    fn varint(&mut self) -> Result<u64, SnapshotError> {
        let start = self.at;
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                break;
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                // Minimal encodings only: a trailing zero group is not one.
                if b == 0 && shift > 0 {
                    break;
                }
                return Ok(v);
            }
        }
        Err(SnapshotError::Invalid {
            what: "varint",
            at: start,
        })
    }

    /// A count of items at least `min_size` bytes each: larger than what is left is refused
    /// before anything is allocated for it.
    fn count(&mut self, min_size: usize) -> Result<usize, SnapshotError> {
        let at = self.at;
        let n = self.varint()?;
        usize::try_from(n)
            .ok()
            .filter(|n| n.saturating_mul(min_size) <= self.bytes.len() - self.at)
            .ok_or(SnapshotError::Invalid { what: "count", at })
    }

    fn amount(&mut self) -> Result<U256, SnapshotError> {
        let at = self.at;
        let len = usize::from(self.byte()?);
        if len > 32 {
            return Err(SnapshotError::Invalid {
                what: "amount length",
                at,
            });
        }
        let raw = self.take(len)?;
        if raw.first() == Some(&0) {
            return Err(SnapshotError::Invalid {
                what: "amount (leading zero)",
                at,
            });
        }
        Ok(U256::from_be_slice(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(vaults: u64) -> Checkpoint {
        let mut view = View {
            last_applied: Some((1_234, 5)),
            ..View::default()
        };
        let option = Address::repeat_byte(3);
        view.series.insert(
            option,
            Series {
                underlying: Address::repeat_byte(1),
                strike_asset: Address::repeat_byte(2),
                collateral: Address::repeat_byte(2),
                is_put: true,
                strike: U256::from(2_000u64) * U256::from(abi::PRICE_SCALE),
                expiry: 1_800_028_800,
            },
        );
        for i in 0..vaults {
            view.vaults.insert(
                (Address::with_last_byte(i as u8), U256::from(i + 1)),
                Vault {
                    naked: i % 2 == 0,
                    settled: i % 3 == 0,
                    collateral_asset: Address::repeat_byte(2),
                    collateral: U256::from(1_100_000_000u64 + i),
                    short: option,
                    short_amount: U256::from(abi::PRICE_SCALE),
                    long: Address::ZERO,
                    long_amount: U256::ZERO,
                    last_change_block: 100 + i,
                    last_change: 1_700_000_000 + i,
                    auction_start: if i == 1 { 1_700_000_500 } else { 0 },
                },
            );
        }
        view.expiry_prices.insert(
            (Address::repeat_byte(1), 1_800_028_800),
            (U256::from(1_500u64), 1_800_036_000),
        );
        Checkpoint {
            next_block: 1_240,
            view,
        }
    }

    #[test]
    fn round_trips_and_is_smaller_than_json() {
        let c = sample(50);
        let bytes = encode(&c);
        assert_eq!(decode(&bytes).unwrap(), c);
        let json = serde_json::to_vec_pretty(&c).unwrap();
        assert!(
            bytes.len() * 5 < json.len(),
            "{} vs {}",
            bytes.len(),
            json.len()
        );
        assert_eq!(
            decode(&encode(&Checkpoint::default())).unwrap(),
            Checkpoint::default()
        );
    }

    #[test]
    fn refuses_with_the_reason() {
        let bytes = encode(&sample(3));
        assert_eq!(decode(b"{\"next_block\":1}"), Err(SnapshotError::Magic));
        let mut v2 = bytes.clone();
        v2[8] = 2;
        assert_eq!(decode(&v2), Err(SnapshotError::Version(2)));
        let mut flipped = bytes.clone();
        flipped[20] ^= 1;
        assert_eq!(decode(&flipped), Err(SnapshotError::Checksum));
        assert_eq!(decode(&bytes[..9]), Err(SnapshotError::Truncated(9)));
        // A body cut short, re-sealed with a valid checksum, is refused as truncated.
        let cut = &bytes[..bytes.len() - 40];
        let mut resealed = cut.to_vec();
        resealed.extend_from_slice(keccak256(cut).as_slice());
        assert!(
            matches!(
                decode(&resealed),
                Err(SnapshotError::Truncated(_) | SnapshotError::Invalid { .. })
            ),
            "{:?}",
            decode(&resealed)
        );
        // Extra bytes inside the sealed part.
        let mut long = bytes[..bytes.len() - 32].to_vec();
        long.push(0);
        let sum = keccak256(&long);
        long.extend_from_slice(sum.as_slice());
        assert_eq!(decode(&long), Err(SnapshotError::Trailing(1)));
    }

    #[test]
    fn files_are_replaced_atomically_and_refused_when_corrupt() {
        let dir = std::env::temp_dir().join(format!("keeper-snap-{}", std::process::id()));
        let path = dir.join("checkpoint.bin");
        assert_eq!(load(&path).unwrap(), None);
        save(&path, &sample(2)).unwrap();
        save(&path, &sample(4)).unwrap();
        assert_eq!(load(&path).unwrap(), Some(sample(4)));
        let mut bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 1] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let e = load(&path).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("checksum mismatch"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    proptest! {
        #[test]
        fn any_varint_and_amount_round_trip(v in any::<u64>(), limbs in any::<[u64; 4]>(), shift in 0usize..256) {
            let a = U256::from_limbs(limbs) >> shift;
            let mut w = Vec::new();
            varint(&mut w, v);
            amount(&mut w, a);
            let mut r = Reader { bytes: &w, at: 0 };
            prop_assert_eq!(r.varint().unwrap(), v);
            prop_assert_eq!(r.amount().unwrap(), a);
            prop_assert_eq!(r.at, w.len());
        }

        #[test]
        fn no_corruption_decodes_to_something_else(i in 0usize..400, bit in 0u8..8) {
            let bytes = encode(&sample(5));
            let i = i % bytes.len();
            let mut bad = bytes.clone();
            bad[i] ^= 1 << bit;
            prop_assert!(decode(&bad).is_err());
        }
    }
}
