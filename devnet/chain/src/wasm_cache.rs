//! Nitro's program cache: which programs start at the cheaper *cached* init gas
//! (nitro `arbos/programs/programs.go` `CallProgram`, `precompiles/ArbWasmCache.go`).
//!
//! A call into a program pays the cached init gas instead of the full init gas when either
//! - the program is pinned: its record's `cached` flag, set by a cache manager or a chain owner
//!   through `ArbWasmCache` (on Arbitrum One the manager is the bid-based `CacheManager`
//!   contract; a protocol pays a one-off bid to keep its programs there), or
//! - it ran recently: nitro keeps an LRU of the last `blockCacheSize` code hashes called in the
//!   current block and discards it when the block ends. ArbOS 60 made that list take effect
//!   (before, `RecentWasms.Insert` had a value receiver and never retained an entry), so it
//!   applies only when the chain runs ArbOS 60 or later.
//!
//! Chain owners, cache managers and the ArbOS version live in the storage of the ArbOS state
//! account, written through revm's journal like activation records: reverts and snapshots
//! treat them as any other state, and persisting the database persists them.

use std::collections::VecDeque;

use alloy_primitives::{keccak256, Address, B256, U256};
use revm::context_interface::JournalTr;
use revm::database::CacheDB;
use revm::database_interface::DatabaseRef;

use crate::params::{self, ARBOS_STATE};

pub use stylus_program::arbitrum::{ArbOwner, ArbWasmCache, ARB_OWNER, ARB_WASM_CACHE};

/// First ArbOS version in which recently called programs count as cached.
pub const ARBOS_VERSION_RECENT_WASMS: u64 = 60;

/// The chain owner at genesis: the account nitro's dev node makes its owner (the well-known
/// dev key), so tools that cache programs on a nitro dev node work here unchanged.
pub fn genesis_owner() -> Address {
    crate::dev_accounts::accounts(1)[0].address
}

/// Code hashes called recently in the current block (nitro's `RecentWasms`): an LRU of at
/// most `capacity` entries.
#[derive(Debug, Clone)]
pub struct RecentWasms {
    capacity: usize,
    /// Least recently used first.
    entries: VecDeque<B256>,
}

impl Default for RecentWasms {
    fn default() -> Self {
        Self::new(usize::from(params::stylus::BLOCK_CACHE_SIZE))
    }
}

impl RecentWasms {
    /// An empty list keeping `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: VecDeque::with_capacity(capacity),
        }
    }

    /// Records a call to `code_hash`; true when it was already among the recent ones.
    pub fn insert(&mut self, code_hash: B256) -> bool {
        if let Some(at) = self.entries.iter().position(|h| *h == code_hash) {
            self.entries.remove(at);
            self.entries.push_back(code_hash);
            return true;
        }
        if self.capacity == 0 {
            return false;
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(code_hash);
        false
    }

    /// Forgets every entry (a new block starts).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// A set of addresses in ArbOS storage (nitro's `addressSet`): its size, the members by
/// position, and each member's position + 1 by address.
#[derive(Debug, Clone, Copy)]
pub struct AddressSet(&'static str);

/// Chain owners: may call `ArbOwner` and manage the Stylus cache.
pub const CHAIN_OWNERS: AddressSet = AddressSet("arbos.chainOwners");
/// Cache managers: may pin and evict programs through `ArbWasmCache`.
pub const CACHE_MANAGERS: AddressSet = AddressSet("stylus.cacheManagers");

type DbResult<T, J> = Result<T, <<J as JournalTr>::Database as revm::Database>::Error>;

impl AddressSet {
    fn base(self) -> U256 {
        U256::from_be_bytes(keccak256(self.0.as_bytes()).0)
    }

    fn position_slot(self, member: Address) -> U256 {
        let mut preimage = Vec::with_capacity(self.0.len() + 20);
        preimage.extend_from_slice(self.0.as_bytes());
        preimage.extend_from_slice(member.as_slice());
        U256::from_be_bytes(keccak256(preimage).0)
    }

    fn member_slot(self, index: u64) -> U256 {
        self.base().wrapping_add(U256::from(index) + U256::from(1))
    }

    fn load<J: JournalTr>(journal: &mut J, slot: U256) -> DbResult<U256, J> {
        journal.load_account(ARBOS_STATE)?;
        Ok(journal.sload(ARBOS_STATE, slot)?.data)
    }

    fn store<J: JournalTr>(journal: &mut J, slot: U256, value: U256) -> DbResult<(), J> {
        journal.load_account(ARBOS_STATE)?;
        journal.sstore(ARBOS_STATE, slot, value)?;
        Ok(())
    }

    /// Number of members.
    pub fn size<J: JournalTr>(self, journal: &mut J) -> DbResult<u64, J> {
        Ok(Self::load(journal, self.base())?.saturating_to())
    }

    /// Whether `member` belongs to the set.
    pub fn contains<J: JournalTr>(self, journal: &mut J, member: Address) -> DbResult<bool, J> {
        Ok(!Self::load(journal, self.position_slot(member))?.is_zero())
    }

    /// Every member, in insertion order (removals move the last member into the gap).
    pub fn members<J: JournalTr>(self, journal: &mut J) -> DbResult<Vec<Address>, J> {
        let size = self.size(journal)?;
        (0..size)
            .map(|i| {
                let word = Self::load(journal, self.member_slot(i))?;
                Ok(Address::from_word(B256::from(word)))
            })
            .collect()
    }

    /// Adds `member`; false when it was already there.
    pub fn add<J: JournalTr>(self, journal: &mut J, member: Address) -> DbResult<bool, J> {
        if self.contains(journal, member)? {
            return Ok(false);
        }
        let size = self.size(journal)?;
        Self::store(journal, self.member_slot(size), member.into_word().into())?;
        Self::store(journal, self.position_slot(member), U256::from(size + 1))?;
        Self::store(journal, self.base(), U256::from(size + 1))?;
        Ok(true)
    }

    /// Removes `member`; false when it was not there.
    pub fn remove<J: JournalTr>(self, journal: &mut J, member: Address) -> DbResult<bool, J> {
        let position: u64 = Self::load(journal, self.position_slot(member))?.saturating_to();
        if position == 0 {
            return Ok(false);
        }
        let last_index = self.size(journal)? - 1;
        if position - 1 != last_index {
            let last = Self::load(journal, self.member_slot(last_index))?;
            Self::store(journal, self.member_slot(position - 1), last)?;
            let last = Address::from_word(B256::from(last));
            Self::store(journal, self.position_slot(last), U256::from(position))?;
        }
        Self::store(journal, self.member_slot(last_index), U256::ZERO)?;
        Self::store(journal, self.position_slot(member), U256::ZERO)?;
        Self::store(journal, self.base(), U256::from(last_index))?;
        Ok(true)
    }

    /// Writes a set with `members` straight into a database (genesis).
    pub fn init<D: DatabaseRef>(self, db: &mut CacheDB<D>, members: &[Address]) {
        let mut put = |slot: U256, value: U256| {
            // The ArbOS state account exists at genesis, so the insert cannot fail.
            let _ = db.insert_account_storage(ARBOS_STATE, slot, value);
        };
        for (i, member) in members.iter().enumerate() {
            put(self.member_slot(i as u64), member.into_word().into());
            put(self.position_slot(*member), U256::from(i + 1));
        }
        put(self.base(), U256::from(members.len()));
    }
}

fn version_slot() -> U256 {
    U256::from_be_bytes(keccak256(b"arbos.version").0)
}

/// Writes the ArbOS version and the first chain owner into a genesis database (the ArbOS
/// state account must be in it).
pub fn init_genesis<D: DatabaseRef>(db: &mut CacheDB<D>, arbos_version: u64, owner: Address) {
    let _ = db.insert_account_storage(ARBOS_STATE, version_slot(), U256::from(arbos_version));
    CHAIN_OWNERS.init(db, &[owner]);
}

/// The ArbOS version the chain runs (the parameters' default when genesis wrote none).
pub fn arbos_version<J: JournalTr>(journal: &mut J) -> DbResult<u64, J> {
    let stored: u64 = AddressSet::load(journal, version_slot())?.saturating_to();
    Ok(if stored == 0 {
        params::ARBOS_VERSION
    } else {
        stored
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(x: u8) -> B256 {
        B256::with_last_byte(x)
    }

    #[test]
    fn recent_wasms_is_an_lru_of_its_capacity() {
        let mut recent = RecentWasms::new(2);
        assert!(!recent.insert(h(1)));
        assert!(recent.insert(h(1)));
        assert!(!recent.insert(h(2)));
        // 1 was used before 2, so 3 pushes 1 out...
        assert!(!recent.insert(h(3)));
        assert!(!recent.insert(h(1)));
        // ...and 1 pushed out 2, the least recent then.
        assert!(recent.insert(h(3)));
        assert!(!recent.insert(h(2)));
        recent.clear();
        assert!(!recent.insert(h(2)));
        assert!(!RecentWasms::new(0).insert(h(1)));
    }

    #[test]
    fn recent_wasms_keeps_the_block_cache_size() {
        let mut recent = RecentWasms::default();
        let size = params::stylus::BLOCK_CACHE_SIZE;
        assert_eq!(size, 32);
        for i in 0..size {
            assert!(!recent.insert(h(i as u8)));
        }
        assert!(recent.insert(h(0)));
        assert!(!recent.insert(h(200)));
        // 1 was the least recent after 0 was touched again.
        assert!(!recent.insert(h(1)));
        assert!(recent.insert(h(0)));
    }
}
