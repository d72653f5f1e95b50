//! Bounded state history, so that queries at an older block tag get that block's state.
//!
//! For each of the last `depth` blocks the chain keeps what the block's changes overwrote:
//! every account's prior balance, nonce and code hash and the prior value of every storage word
//! written (or the whole prior storage when the block cleared it). The state at block `n` is the
//! current state with those undone, newest first, down to block `n + 1`. Edits between blocks
//! (`anvil_setBalance` and friends) count towards the next block. This costs memory in
//! proportion to what blocks change, not to the size of the state, and nothing on reads at the
//! head; an old-state query pays one copy of the state database.

use std::collections::{BTreeMap, VecDeque};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use alloy_primitives::{Address, Bytes, B256, U256};
use revm::context::{BlockEnv, ContextTr};
use revm::database::AccountState;
use revm::state::{AccountInfo, EvmState};
use revm::DatabaseRef;
use serde::{Deserialize, Serialize};

use super::{CallOutput, Chain, ChainError, ChainState, TxRequest};
use crate::evm::DevDb;

/// Blocks whose state stays available by default.
pub const DEFAULT_HISTORY_DEPTH: usize = 1024;

/// An account's fields before a block changed them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PriorInfo {
    balance: U256,
    nonce: u64,
    code_hash: B256,
    /// Whether storage had been cleared (reads of unknown words give zero).
    storage_cleared: bool,
}

/// What one block overwrote in one account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct PriorAccount {
    /// `None`: the account did not exist.
    info: Option<PriorInfo>,
    /// Words the block wrote, with their values before it (`None`: never written).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    storage: BTreeMap<U256, Option<U256>>,
    /// The whole storage before the block cleared it (creation or self-destruct); words
    /// written before the clearing are in `storage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cleared: Option<BTreeMap<U256, U256>>,
}

/// What one block overwrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BlockUndo {
    accounts: BTreeMap<Address, PriorAccount>,
}

impl BlockUndo {
    /// Puts back in `db` what the block overwrote.
    fn apply(&self, db: &mut DevDb) {
        for (address, prior) in &self.accounts {
            let Some(info) = &prior.info else {
                db.cache.accounts.remove(address);
                continue;
            };
            let code = db.cache.contracts.get(&info.code_hash).cloned();
            let account = db.cache.accounts.entry(*address).or_default();
            account.info = AccountInfo {
                balance: info.balance,
                nonce: info.nonce,
                code_hash: info.code_hash,
                code,
                ..AccountInfo::default()
            };
            account.account_state = if info.storage_cleared {
                AccountState::StorageCleared
            } else {
                AccountState::Touched
            };
            if let Some(storage) = &prior.cleared {
                account.storage = storage.iter().map(|(k, v)| (*k, *v)).collect();
            }
            for (slot, value) in &prior.storage {
                match value {
                    Some(value) => {
                        account.storage.insert(*slot, *value);
                    }
                    None => {
                        account.storage.remove(slot);
                    }
                }
            }
        }
    }
}

/// Why the state at a block cannot be given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unavailable {
    /// The block is past the head.
    Future { latest: u64 },
    /// The block is older than the history kept.
    Pruned { oldest: u64, depth: usize },
}

/// The undo records of the last blocks and of the block being built.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct History {
    depth: usize,
    /// `(block number, what it overwrote)`, oldest first.
    blocks: VecDeque<(u64, BlockUndo)>,
    /// What has been overwritten since the last block was sealed.
    pending: BlockUndo,
}

impl History {
    pub(crate) fn new(depth: usize) -> Self {
        Self {
            depth,
            ..Self::default()
        }
    }

    /// How many blocks of state are kept.
    pub(crate) fn depth(&self) -> usize {
        self.depth
    }

    /// Keeps the state of the last `depth` blocks from now on.
    pub(crate) fn set_depth(&mut self, depth: usize) {
        self.depth = depth;
        self.prune();
    }

    fn prune(&mut self) {
        while self.blocks.len() > self.depth {
            self.blocks.pop_front();
        }
    }

    fn prior(&mut self, db: &DevDb, address: Address) -> &mut PriorAccount {
        self.pending.accounts.entry(address).or_insert_with(|| {
            let info = db
                .cache
                .accounts
                .get(&address)
                .filter(|a| a.account_state != AccountState::NotExisting)
                .map(|a| PriorInfo {
                    balance: a.info.balance,
                    nonce: a.info.nonce,
                    code_hash: a.info.code_hash,
                    storage_cleared: a.account_state == AccountState::StorageCleared,
                });
            PriorAccount {
                info,
                ..PriorAccount::default()
            }
        })
    }

    /// Remembers `address`'s fields before they change.
    pub(crate) fn note_account(&mut self, db: &DevDb, address: Address) {
        self.prior(db, address);
    }

    /// Remembers a storage word before it changes.
    pub(crate) fn note_slot(&mut self, db: &DevDb, address: Address, slot: U256) {
        let value = db
            .cache
            .accounts
            .get(&address)
            .and_then(|a| a.storage.get(&slot).copied());
        let prior = self.prior(db, address);
        // After a clearing, the clearing's copy already holds the word's prior value.
        if prior.cleared.is_none() {
            prior.storage.entry(slot).or_insert(value);
        }
    }

    fn note_clear(&mut self, db: &DevDb, address: Address) {
        let storage: BTreeMap<U256, U256> = db
            .cache
            .accounts
            .get(&address)
            .map(|a| a.storage.iter().map(|(k, v)| (*k, *v)).collect())
            .unwrap_or_default();
        self.prior(db, address).cleared.get_or_insert(storage);
    }

    /// Remembers what committing `state` to `db` will overwrite; call before the commit.
    pub(crate) fn note_commit(&mut self, db: &DevDb, state: &EvmState) {
        if self.depth == 0 {
            return;
        }
        for (address, account) in state {
            if !account.is_touched() {
                continue;
            }
            self.note_account(db, *address);
            if account.is_selfdestructed() || account.is_created() {
                self.note_clear(db, *address);
            }
            for (slot, value) in &account.storage {
                if value.is_changed() {
                    self.note_slot(db, *address, *slot);
                }
            }
        }
    }

    /// Closes the record of block `number`.
    pub(crate) fn seal(&mut self, number: u64) {
        let undo = std::mem::take(&mut self.pending);
        if self.depth == 0 {
            return;
        }
        self.blocks.push_back((number, undo));
        self.prune();
    }

    /// What a snapshot must keep to rewind the history with the state.
    pub(crate) fn mark(&self) -> BlockUndo {
        self.pending.clone()
    }

    /// Forgets the blocks after `latest` and restores the pending record of a snapshot.
    pub(crate) fn rewind(&mut self, latest: u64, pending: BlockUndo) {
        while self.blocks.back().is_some_and(|(n, _)| *n > latest) {
            self.blocks.pop_back();
        }
        self.pending = pending;
    }

    /// The state database at the end of block `number`, given the current one at `latest`.
    pub(crate) fn state_at(
        &self,
        current: &DevDb,
        latest: u64,
        number: u64,
    ) -> Result<DevDb, Unavailable> {
        if number > latest {
            return Err(Unavailable::Future { latest });
        }
        let oldest = self
            .blocks
            .front()
            .map_or(latest, |(n, _)| n.saturating_sub(1));
        if number < oldest {
            return Err(Unavailable::Pruned {
                oldest,
                depth: self.depth,
            });
        }
        let mut db = current.clone();
        if number == latest {
            // The head's state includes edits made since it was sealed.
            return Ok(db);
        }
        self.pending.apply(&mut db);
        for (_, undo) in self.blocks.iter().rev().take_while(|(n, _)| *n > number) {
            undo.apply(&mut db);
        }
        Ok(db)
    }
}

impl Unavailable {
    fn into_error(self, number: u64) -> ChainError {
        ChainError::StateUnavailable(match self {
            Self::Future { latest } => {
                format!("header not found: block {number} is beyond the latest block {latest}")
            }
            Self::Pruned { oldest, depth } => format!(
                "historical state is not available: block {number} is older than block \
                 {oldest} (the node keeps the state of the {depth} blocks before the latest)"
            ),
        })
    }
}

/// The state at the end of an older block, read-only.
#[derive(Debug, Clone)]
pub struct StateAt {
    db: DevDb,
    block: u64,
}

impl StateAt {
    /// The block whose state this is.
    pub fn block(&self) -> u64 {
        self.block
    }

    fn info(&self, address: Address) -> AccountInfo {
        self.db
            .basic_ref(address)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Balance of `address`.
    pub fn balance(&self, address: Address) -> U256 {
        self.info(address).balance
    }

    /// Nonce of `address`.
    pub fn nonce(&self, address: Address) -> u64 {
        self.info(address).nonce
    }

    /// Code of `address`.
    pub fn code(&self, address: Address) -> Bytes {
        let info = self.info(address);
        match info.code {
            Some(code) => code.original_bytes(),
            None => self
                .db
                .code_by_hash_ref(info.code_hash)
                .map(|c| c.original_bytes())
                .unwrap_or_default(),
        }
    }

    /// Storage word of `address` at `slot`.
    pub fn storage(&self, address: Address, slot: U256) -> U256 {
        self.db.storage_ref(address, slot).unwrap_or_default()
    }
}

impl Chain {
    /// The state at the end of block `number`: the latest state, or an older one within the
    /// history depth ([`ChainConfig::history_depth`](super::ChainConfig)).
    pub fn state_at(&self, number: u64) -> Result<StateAt, ChainError> {
        self.with(move |s| s.state_at(number).map(|db| StateAt { db, block: number }))?
    }

    /// Runs a call on the state at the end of block `number`, in the environment of the block
    /// that followed it (at the head: of the next block, as [`Chain::call`]).
    pub fn call_at(&self, tx: TxRequest, number: u64) -> Result<CallOutput, ChainError> {
        self.with(move |s| s.call_at(tx, number))?
    }

    /// How many blocks of state are kept for old block tags.
    pub fn history_depth(&self) -> Result<usize, ChainError> {
        self.with(|s| s.history.depth())
    }
}

impl ChainState {
    fn state_at(&self, number: u64) -> Result<DevDb, ChainError> {
        let latest = self.latest().number;
        self.history
            .state_at(self.evm.ctx().db(), latest, number)
            .map_err(|e| e.into_error(number))
    }

    fn call_at(&mut self, tx: TxRequest, number: u64) -> Result<CallOutput, ChainError> {
        let latest = self.latest().number;
        if number == latest {
            return self.call(tx);
        }
        let old = self.state_at(number)?;
        // Older than the head, so the block that followed exists.
        let next = &self.blocks[number as usize + 1];
        let env = BlockEnv {
            number: U256::from(next.number),
            beneficiary: next.coinbase,
            timestamp: U256::from(next.timestamp),
            gas_limit: next.gas_limit,
            basefee: next.base_fee,
            ..self.evm.ctx().block.clone()
        };
        let current = std::mem::replace(self.db(), old);
        self.set_block_env(env);
        let result = catch_unwind(AssertUnwindSafe(|| self.run_call(tx)));
        // The head's state comes back even if the call panicked.
        *self.db() = current;
        self.open_block();
        result.unwrap_or_else(|panic| resume_unwind(panic))
    }
}
