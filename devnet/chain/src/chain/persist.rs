//! State files: the whole chain (accounts, code, storage, ArbOS state, blocks, transactions,
//! receipts and logs, clock, state history) as one JSON document, so a node can stop and start
//! again without losing anything a user deployed.
//!
//! JSON rather than a compact binary: a dev chain's state is small, `serde_json` is already in
//! the node's build, and a readable file can be inspected with `jq` or diffed when something is
//! off. Code is stored once per code hash and checked against it on load. The document starts
//! with `format` and `version`, read before anything else, so an old or foreign file gets a
//! clear refusal instead of a parse error deep inside.
//!
//! Not kept: `evm_snapshot` snapshots (the id counter is, so ids are not reused) and compiled
//! modules (recompiled from the activated code on first call, without re-activation).

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use revm::context::ContextTr;
use revm::database::{AccountState, CacheDB, DbAccount, EmptyDB};
use revm::state::{AccountInfo, Bytecode};
use serde::{Deserialize, Serialize};

use super::history::History;
use super::{Block, Chain, ChainError, ChainState, Receipt, TxInfo};
use crate::evm::DevDb;

/// Name in the `format` field of every state file.
const FORMAT: &str = "stylus-devnet-state";
/// Version of the state file layout this build reads and writes.
pub const STATE_FORMAT_VERSION: u32 = 1;

/// The fields read first, whatever the version.
#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<u32>,
}

#[derive(Serialize, Deserialize)]
struct AccountFile {
    balance: U256,
    nonce: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code_hash: Option<B256>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    storage: BTreeMap<U256, U256>,
}

#[derive(Serialize, Deserialize)]
struct StateFile {
    format: String,
    version: u32,
    chain_id: u64,
    block_gas_limit: u64,
    base_fee: u64,
    genesis_timestamp: Option<u64>,
    time_offset: u64,
    next_timestamp: Option<u64>,
    next_snapshot: u64,
    /// Every code by hash (accounts and the state history refer to it).
    code: BTreeMap<B256, Bytes>,
    accounts: BTreeMap<Address, AccountFile>,
    blocks: Vec<Block>,
    /// In block order.
    transactions: Vec<TxInfo>,
    /// In block order.
    receipts: Vec<Receipt>,
    history: History,
}

fn corrupt(message: impl std::fmt::Display) -> ChainError {
    ChainError::StateFile(format!("corrupt state: {message}"))
}

impl Chain {
    /// The whole chain as a state file's bytes.
    pub fn dump_state(&self) -> Result<Vec<u8>, ChainError> {
        let file = self.with(|s| s.dump())?;
        serde_json::to_vec(&file).map_err(|e| ChainError::StateFile(e.to_string()))
    }

    /// Replaces the whole chain by the one in a state file's bytes (same chain id). The
    /// history depth stays this chain's; `evm_snapshot`s taken before are dropped.
    pub fn load_state(&self, bytes: &[u8]) -> Result<(), ChainError> {
        let header: Header = serde_json::from_slice(bytes)
            .map_err(|e| corrupt(format!("not a devnet state file ({e})")))?;
        if header.format.as_deref() != Some(FORMAT) {
            return Err(corrupt(format!(
                "not a devnet state file (format {:?}, expected {FORMAT:?})",
                header.format.unwrap_or_default()
            )));
        }
        match header.version {
            Some(STATE_FORMAT_VERSION) => {}
            other => {
                return Err(ChainError::StateFile(format!(
                    "state file version {}, this devnet reads version {STATE_FORMAT_VERSION}",
                    other.map_or("missing".to_string(), |v| v.to_string())
                )))
            }
        }
        let file: StateFile = serde_json::from_slice(bytes).map_err(corrupt)?;
        if file.chain_id != self.chain_id {
            return Err(ChainError::StateFile(format!(
                "the state is of chain id {}, this chain is {}",
                file.chain_id, self.chain_id
            )));
        }
        let db = database(&file)?;
        check_blocks(&file)?;
        self.with(move |s| s.restore(file, db))
    }

    /// Writes the state file to `path` atomically: a reader or a crash sees the old file or the
    /// new one, never half of one.
    pub fn save_state(&self, path: &Path) -> Result<(), ChainError> {
        let bytes = self.dump_state()?;
        write_atomic(path, &bytes)
            .map_err(|e| ChainError::StateFile(format!("cannot write {}: {e}", path.display())))
    }

    /// Loads the state file at `path`.
    pub fn load_state_file(&self, path: &Path) -> Result<(), ChainError> {
        let bytes = fs::read(path)
            .map_err(|e| ChainError::StateFile(format!("cannot read {}: {e}", path.display())))?;
        self.load_state(&bytes).map_err(|e| match e {
            ChainError::StateFile(message) => {
                ChainError::StateFile(format!("{}: {message}", path.display()))
            }
            other => other,
        })
    }
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let temporary: PathBuf = path.with_file_name(name);
    let mut file = fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temporary, path)
}

/// The state database a file describes.
fn database(file: &StateFile) -> Result<DevDb, ChainError> {
    let mut db = CacheDB::new(EmptyDB::default());
    for (hash, code) in &file.code {
        if keccak256(code) != *hash {
            return Err(corrupt(format!(
                "code under hash {hash} does not hash to it"
            )));
        }
        let bytecode = Bytecode::new_raw_checked(code.clone())
            .map_err(|e| corrupt(format!("code {hash}: {e}")))?;
        db.cache.contracts.insert(*hash, bytecode);
    }
    for (address, account) in &file.accounts {
        let (code_hash, code) = match account.code_hash {
            Some(hash) => {
                let code = db.cache.contracts.get(&hash).cloned().ok_or_else(|| {
                    corrupt(format!(
                        "account {address} has code {hash}, which is missing"
                    ))
                })?;
                (hash, Some(code))
            }
            None => (revm::primitives::KECCAK_EMPTY, None),
        };
        let storage: HashMap<U256, U256> = account.storage.iter().map(|(k, v)| (*k, *v)).collect();
        db.cache.accounts.insert(
            *address,
            DbAccount {
                info: AccountInfo {
                    balance: account.balance,
                    nonce: account.nonce,
                    code_hash,
                    code,
                    ..AccountInfo::default()
                },
                account_state: AccountState::Touched,
                storage: storage.into_iter().collect(),
            },
        );
    }
    for block in &file.blocks {
        db.cache
            .block_hashes
            .insert(U256::from(block.number), block.hash);
    }
    Ok(db)
}

/// Blocks numbered from genesis up, chained by hash, with every transaction present.
fn check_blocks(file: &StateFile) -> Result<(), ChainError> {
    if file.blocks.is_empty() {
        return Err(corrupt("no blocks"));
    }
    let txs: HashMap<B256, ()> = file.transactions.iter().map(|t| (t.hash, ())).collect();
    let receipts: HashMap<B256, ()> = file.receipts.iter().map(|r| (r.tx_hash, ())).collect();
    for (i, block) in file.blocks.iter().enumerate() {
        if block.number != i as u64 {
            return Err(corrupt(format!("block {} at position {i}", block.number)));
        }
        if i > 0 && block.parent_hash != file.blocks[i - 1].hash {
            return Err(corrupt(format!(
                "block {i} does not follow block {}",
                i - 1
            )));
        }
        for hash in &block.transactions {
            if !txs.contains_key(hash) || !receipts.contains_key(hash) {
                return Err(corrupt(format!(
                    "transaction {hash} of block {i} or its receipt is missing"
                )));
            }
        }
    }
    Ok(())
}

impl ChainState {
    fn dump(&mut self) -> StateFile {
        let db = self.evm.ctx().db();
        let mut code = BTreeMap::new();
        for (hash, bytecode) in &db.cache.contracts {
            let bytes = bytecode.original_bytes();
            if !bytes.is_empty() {
                code.insert(*hash, bytes);
            }
        }
        let mut accounts = BTreeMap::new();
        for (address, account) in &db.cache.accounts {
            if account.account_state == AccountState::NotExisting {
                continue;
            }
            let info = &account.info;
            let code_hash = code.contains_key(&info.code_hash).then_some(info.code_hash);
            let storage: BTreeMap<U256, U256> = account
                .storage
                .iter()
                .filter(|(_, v)| !v.is_zero())
                .map(|(k, v)| (*k, *v))
                .collect();
            if info.balance.is_zero()
                && info.nonce == 0
                && code_hash.is_none()
                && storage.is_empty()
            {
                continue;
            }
            accounts.insert(
                *address,
                AccountFile {
                    balance: info.balance,
                    nonce: info.nonce,
                    code_hash,
                    storage,
                },
            );
        }
        let hashes = self.blocks.iter().flat_map(|b| b.transactions.iter());
        let transactions = hashes
            .clone()
            .filter_map(|h| self.txs.get(h).cloned())
            .collect();
        let receipts = hashes
            .filter_map(|h| self.receipts.get(h).cloned())
            .collect();
        StateFile {
            format: FORMAT.to_string(),
            version: STATE_FORMAT_VERSION,
            chain_id: self.config.chain_id,
            block_gas_limit: self.config.block_gas_limit,
            base_fee: self.config.base_fee,
            genesis_timestamp: self.config.genesis_timestamp,
            time_offset: self.time_offset,
            next_timestamp: self.next_timestamp,
            next_snapshot: self.next_snapshot,
            code,
            accounts,
            blocks: self.blocks.clone(),
            transactions,
            receipts,
            history: self.history.clone(),
        }
    }

    fn restore(&mut self, file: StateFile, db: DevDb) {
        *self.db() = db;
        self.config.block_gas_limit = file.block_gas_limit;
        self.config.base_fee = file.base_fee;
        self.config.genesis_timestamp = file.genesis_timestamp;
        self.time_offset = file.time_offset;
        self.next_timestamp = file.next_timestamp;
        self.next_snapshot = file.next_snapshot;
        self.snapshots.clear();
        self.blocks = file.blocks;
        self.txs = file.transactions.into_iter().map(|t| (t.hash, t)).collect();
        self.receipts = file.receipts.into_iter().map(|r| (r.tx_hash, r)).collect();
        let depth = self.history.depth();
        self.history = file.history;
        self.history.set_depth(depth);
        self.open_block();
    }
}
