//! The chain API the JSON-RPC node and the tests build on.
//!
//! Every transaction is mined in a block of its own (automine). Execution runs on one worker
//! thread with a large stack, because each nested Stylus call re-enters the EVM loop natively;
//! [`Chain`] is a cheap, thread-safe handle that sends work to it.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{SystemTime, UNIX_EPOCH};

use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::{Transaction as _, TxEnvelope};
use alloy_eips::eip2718::{Decodable2718, Typed2718};
use alloy_primitives::{keccak256, Address, Bytes, Log, TxKind, B256, U256};
use revm::context::{BlockEnv, CfgEnv, ContextTr, TxEnv};
use revm::context_interface::result::{ExecutionResult, Output};
use revm::context_interface::JournalTr;
use revm::database::{CacheDB, EmptyDB};
use revm::state::{AccountInfo, Bytecode};
use revm::{Database, DatabaseCommit};

use crate::evm::{DevDb, DevEvm, SPEC};
use crate::params::{self, ARBOS_STATE};
use crate::programs::ProgramCache;
use crate::{deployer, dev_accounts};

mod history;
mod persist;

use history::{BlockUndo, History};
pub use history::{StateAt, DEFAULT_HISTORY_DEPTH};
pub use persist::{write_atomic, STATE_FORMAT_VERSION};

/// Stack of the execution thread: 1024 nested Stylus frames need far more than 8 MiB.
const EXECUTION_STACK: usize = 512 * 1024 * 1024;

/// Chain settings.
#[derive(Debug, Clone)]
pub struct ChainConfig {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Gas limit of each block.
    pub block_gas_limit: u64,
    /// Base fee, fixed (Arbitrum's minimum, 0.01 gwei on a dev chain).
    pub base_fee: u64,
    /// Timestamp of the genesis block; `None` for the wall clock.
    pub genesis_timestamp: Option<u64>,
    /// Balance given to each dev account.
    pub dev_balance: U256,
    /// Number of funded dev accounts.
    pub dev_accounts: usize,
    /// Blocks whose state stays available to queries at older block tags.
    pub history_depth: usize,
    /// ArbOS version the chain runs (from 60 on, recently called programs count as cached).
    pub arbos_version: u64,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            chain_id: params::DEFAULT_CHAIN_ID,
            block_gas_limit: 1 << 50,
            base_fee: 10_000_000,
            genesis_timestamp: None,
            dev_balance: U256::from(10u64).pow(U256::from(24u64)),
            dev_accounts: 10,
            history_depth: DEFAULT_HISTORY_DEPTH,
            arbos_version: params::ARBOS_VERSION,
        }
    }
}

/// A transaction as a dev tool sends it: unsigned, from any account (the node decides which
/// senders it accepts); unset fields are filled in.
#[derive(Debug, Clone, Default)]
pub struct TxRequest {
    pub from: Address,
    /// `None` creates a contract.
    pub to: Option<Address>,
    pub value: U256,
    pub data: Bytes,
    pub gas_limit: Option<u64>,
    pub gas_price: Option<u128>,
    pub nonce: Option<u64>,
}

impl TxRequest {
    /// A call from `from` to `to` with `data`.
    pub fn call(from: Address, to: Address, data: impl Into<Bytes>) -> Self {
        Self {
            from,
            to: Some(to),
            data: data.into(),
            ..Self::default()
        }
    }

    /// A contract creation from `from` with init code `code`.
    pub fn create(from: Address, code: impl Into<Bytes>) -> Self {
        Self {
            from,
            to: None,
            data: code.into(),
            ..Self::default()
        }
    }

    /// The same request carrying `value`.
    pub fn with_value(mut self, value: U256) -> Self {
        self.value = value;
        self
    }

    /// The same request with a gas limit.
    pub fn with_gas(mut self, gas: u64) -> Self {
        self.gas_limit = Some(gas);
        self
    }
}

/// A log in a receipt, with its position.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogEntry {
    pub log: Log,
    pub block_number: u64,
    pub block_hash: B256,
    pub tx_hash: B256,
    pub tx_index: u64,
    /// Index within the block.
    pub log_index: u64,
}

/// The outcome of a mined transaction.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Receipt {
    pub tx_hash: B256,
    pub block_number: u64,
    pub block_hash: B256,
    pub tx_index: u64,
    pub from: Address,
    pub to: Option<Address>,
    pub contract_address: Option<Address>,
    pub status: bool,
    pub gas_used: u64,
    pub cumulative_gas_used: u64,
    pub effective_gas_price: u128,
    pub logs: Vec<LogEntry>,
    /// Return data, or revert data when `status` is false (not part of an Ethereum receipt,
    /// kept for `eth_call`-like diagnostics).
    pub output: Bytes,
    /// Why the EVM halted, when it did.
    pub halt: Option<String>,
}

/// A mined transaction, as the node reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TxInfo {
    pub hash: B256,
    pub from: Address,
    pub to: Option<Address>,
    pub value: U256,
    pub input: Bytes,
    pub nonce: u64,
    pub gas_limit: u64,
    pub gas_price: u128,
    pub block_number: u64,
    pub block_hash: B256,
    pub tx_index: u64,
    /// The signed bytes, for transactions that came signed.
    pub raw: Option<Bytes>,
}

/// A block header and its transactions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Block {
    pub number: u64,
    pub hash: B256,
    pub parent_hash: B256,
    pub timestamp: u64,
    pub gas_limit: u64,
    pub gas_used: u64,
    pub base_fee: u64,
    pub coinbase: Address,
    pub transactions: Vec<B256>,
}

/// The result of a call that is not mined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutput {
    pub success: bool,
    pub output: Bytes,
    pub gas_used: u64,
    pub logs: Vec<Log>,
    pub halt: Option<String>,
}

/// Which logs to return.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub from_block: Option<u64>,
    pub to_block: Option<u64>,
    /// Any of these emitters (all when empty).
    pub addresses: Vec<Address>,
    /// Per position, any of these topics (any topic when empty).
    pub topics: Vec<Vec<B256>>,
}

/// Errors of the chain API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The transaction cannot be included (nonce, funds, gas limit, chain id...).
    #[error("invalid transaction: {0}")]
    InvalidTransaction(String),
    /// The signed transaction does not decode or its signature does not recover.
    #[error("malformed transaction: {0}")]
    Malformed(String),
    /// Execution hit a fault of the chain itself.
    #[error("internal error: {0}")]
    Internal(String),
    /// The state at the block asked for is not kept (beyond the history depth, or ahead).
    #[error("{0}")]
    StateUnavailable(String),
    /// A state file cannot be read, written or used.
    #[error("state file: {0}")]
    StateFile(String),
}

/// A funded development account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevAccount {
    pub address: Address,
    pub private_key: B256,
}

type Job = Box<dyn FnOnce(&mut ChainState) + Send>;

/// Handle on a running chain; clones share the same chain.
#[derive(Debug, Clone)]
pub struct Chain {
    jobs: mpsc::Sender<Job>,
    chain_id: u64,
    dev_accounts: Arc<Vec<DevAccount>>,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new(ChainConfig::default())
    }
}

impl Chain {
    /// Starts a chain at genesis: funded dev accounts and the StylusDeployer in place.
    pub fn new(config: ChainConfig) -> Self {
        let accounts = dev_accounts::accounts(config.dev_accounts);
        let (jobs, queue) = mpsc::channel::<Job>();
        let chain_id = config.chain_id;
        let genesis_accounts = accounts.clone();
        let spawned = thread::Builder::new()
            .name("devnet-chain".into())
            .stack_size(EXECUTION_STACK)
            .spawn(move || {
                let mut state = ChainState::new(config, &genesis_accounts);
                while let Ok(job) = queue.recv() {
                    // A panic inside one request must not stop the chain; its caller sees an
                    // internal error because the reply channel closes.
                    let _ = catch_unwind(AssertUnwindSafe(|| job(&mut state)));
                }
            });
        if let Err(e) = spawned {
            panic!("cannot start the chain's execution thread: {e}");
        }
        Self {
            jobs,
            chain_id,
            dev_accounts: Arc::new(accounts),
        }
    }

    /// Runs `f` on the chain's thread and returns its result.
    fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut ChainState) -> R + Send + 'static,
    ) -> Result<R, ChainError> {
        let (reply, answer) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |state| {
            let _ = reply.send(f(state));
        });
        self.jobs
            .send(job)
            .map_err(|_| ChainError::Internal("chain stopped".into()))?;
        answer
            .recv()
            .map_err(|_| ChainError::Internal("execution panicked".into()))
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The funded development accounts.
    pub fn dev_accounts(&self) -> &[DevAccount] {
        &self.dev_accounts
    }

    /// Sends an unsigned transaction and mines it.
    pub fn send_transaction(&self, tx: TxRequest) -> Result<Receipt, ChainError> {
        self.with(move |s| s.send_request(tx))?
    }

    /// Sends a signed EIP-2718 transaction and mines it.
    pub fn send_raw_transaction(&self, raw: Bytes) -> Result<Receipt, ChainError> {
        self.with(move |s| s.send_raw(raw))?
    }

    /// Runs a transaction on the latest state without mining it.
    pub fn call(&self, tx: TxRequest) -> Result<CallOutput, ChainError> {
        self.with(move |s| s.call(tx))?
    }

    /// The smallest gas limit with which the transaction does what it does with all the gas.
    pub fn estimate_gas(&self, tx: TxRequest) -> Result<u64, ChainError> {
        self.with(move |s| s.estimate_gas(tx))?
    }

    /// The receipt of a mined transaction.
    pub fn receipt(&self, hash: B256) -> Result<Option<Receipt>, ChainError> {
        self.with(move |s| s.receipts.get(&hash).cloned())
    }

    /// A mined transaction.
    pub fn transaction(&self, hash: B256) -> Result<Option<TxInfo>, ChainError> {
        self.with(move |s| s.txs.get(&hash).cloned())
    }

    /// The latest block number.
    pub fn block_number(&self) -> Result<u64, ChainError> {
        self.with(|s| s.latest().number)
    }

    /// A block by number.
    pub fn block(&self, number: u64) -> Result<Option<Block>, ChainError> {
        self.with(move |s| s.blocks.get(number as usize).cloned())
    }

    /// A block by hash.
    pub fn block_by_hash(&self, hash: B256) -> Result<Option<Block>, ChainError> {
        self.with(move |s| s.blocks.iter().find(|b| b.hash == hash).cloned())
    }

    /// The latest block.
    pub fn latest_block(&self) -> Result<Block, ChainError> {
        self.with(|s| s.latest().clone())
    }

    /// Logs matching `filter`.
    pub fn logs(&self, filter: LogFilter) -> Result<Vec<LogEntry>, ChainError> {
        self.with(move |s| s.logs(&filter))
    }

    /// Balance of `address`.
    pub fn balance(&self, address: Address) -> Result<U256, ChainError> {
        self.with(move |s| s.account(address).balance)
    }

    /// Nonce of `address`.
    pub fn nonce(&self, address: Address) -> Result<u64, ChainError> {
        self.with(move |s| s.account(address).nonce)
    }

    /// Code of `address`.
    pub fn code(&self, address: Address) -> Result<Bytes, ChainError> {
        self.with(move |s| s.code(address))
    }

    /// Storage word of `address` at `slot`.
    pub fn storage(&self, address: Address, slot: U256) -> Result<U256, ChainError> {
        self.with(move |s| s.storage(address, slot))
    }

    /// Sets the balance of `address` (a test helper, like `anvil_setBalance`).
    pub fn set_balance(&self, address: Address, balance: U256) -> Result<(), ChainError> {
        self.with(move |s| s.edit_account(address, |info| info.balance = balance))
    }

    /// Sets the nonce of `address`.
    pub fn set_nonce(&self, address: Address, nonce: u64) -> Result<(), ChainError> {
        self.with(move |s| s.edit_account(address, |info| info.nonce = nonce))
    }

    /// Sets the code of `address`.
    pub fn set_code(&self, address: Address, code: Bytes) -> Result<(), ChainError> {
        self.with(move |s| s.set_code(address, code))
    }

    /// Sets a storage word of `address`.
    pub fn set_storage(&self, address: Address, slot: U256, value: U256) -> Result<(), ChainError> {
        self.with(move |s| s.set_storage(address, slot, value))
    }

    /// Moves the clock: the next block is at least `seconds` later than it would have been.
    pub fn advance_time(&self, seconds: u64) -> Result<(), ChainError> {
        self.with(move |s| s.time_offset = s.time_offset.saturating_add(seconds))
    }

    /// Sets the timestamp of the next block (it must not go back in time).
    pub fn set_next_timestamp(&self, timestamp: u64) -> Result<(), ChainError> {
        self.with(move |s| {
            if timestamp < s.latest().timestamp {
                return Err(ChainError::InvalidTransaction(format!(
                    "timestamp {timestamp} is before the latest block's {}",
                    s.latest().timestamp
                )));
            }
            s.next_timestamp = Some(timestamp);
            Ok(())
        })?
    }

    /// Mines an empty block.
    pub fn mine(&self) -> Result<Block, ChainError> {
        self.with(|s| {
            s.open_block();
            s.seal_block(Vec::new(), 0);
            s.latest().clone()
        })
    }

    /// Records the whole state; [`Chain::revert`] goes back to it.
    pub fn snapshot(&self) -> Result<u64, ChainError> {
        self.with(|s| s.snapshot())
    }

    /// Goes back to snapshot `id` (dropping it and every later one); false if it is unknown.
    pub fn revert(&self, id: u64) -> Result<bool, ChainError> {
        self.with(move |s| s.revert(id))
    }

    /// Drops every compiled module; programs are compiled again on their next call.
    pub fn clear_program_cache(&self) -> Result<(), ChainError> {
        self.with(|s| s.evm.programs().clear())
    }

    /// Number of compiled Stylus modules in the cache.
    pub fn cached_programs(&self) -> Result<usize, ChainError> {
        self.with(|s| s.evm.programs().len())
    }
}

/// Everything a snapshot restores.
struct Snapshot {
    id: u64,
    db: DevDb,
    blocks: usize,
    time_offset: u64,
    next_timestamp: Option<u64>,
    history: BlockUndo,
}

/// The chain itself, owned by the execution thread.
struct ChainState {
    config: ChainConfig,
    evm: DevEvm,
    blocks: Vec<Block>,
    receipts: HashMap<B256, Receipt>,
    txs: HashMap<B256, TxInfo>,
    time_offset: u64,
    next_timestamp: Option<u64>,
    snapshots: Vec<Snapshot>,
    next_snapshot: u64,
    history: History,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl ChainState {
    fn new(config: ChainConfig, accounts: &[DevAccount]) -> Self {
        let mut db = CacheDB::new(EmptyDB::default());
        for account in accounts {
            db.insert_account_info(
                account.address,
                AccountInfo {
                    balance: config.dev_balance,
                    ..AccountInfo::default()
                },
            );
        }
        // ArbOS state holds activation records; a nonce keeps it from ever counting as empty.
        db.insert_account_info(
            ARBOS_STATE,
            AccountInfo {
                nonce: 1,
                ..AccountInfo::default()
            },
        );
        crate::wasm_cache::init_genesis(
            &mut db,
            config.arbos_version,
            crate::wasm_cache::genesis_owner(),
        );
        for precompile in [
            params::ARB_WASM,
            params::ARB_SYS,
            crate::wasm_cache::ARB_WASM_CACHE,
            crate::wasm_cache::ARB_OWNER,
        ] {
            // Precompiles answer `EXTCODESIZE` with a byte of code on Arbitrum (`INVALID`).
            db.insert_account_info(
                precompile,
                AccountInfo {
                    nonce: 1,
                    code_hash: keccak256([0xfe]),
                    code: Some(Bytecode::new_legacy(Bytes::from_static(&[0xfe]))),
                    ..AccountInfo::default()
                },
            );
        }
        let deployer_code = Bytecode::new_legacy(deployer::runtime_code());
        db.insert_account_info(
            deployer::ADDRESS,
            AccountInfo {
                nonce: 1,
                code_hash: deployer_code.hash_slow(),
                code: Some(deployer_code),
                ..AccountInfo::default()
            },
        );

        let timestamp = config.genesis_timestamp.unwrap_or_else(now);
        let genesis = Block {
            number: 0,
            hash: B256::ZERO,
            parent_hash: B256::ZERO,
            timestamp,
            gas_limit: config.block_gas_limit,
            gas_used: 0,
            base_fee: config.base_fee,
            coinbase: crate::precompiles::arb_wasm::NETWORK_FEE_ACCOUNT,
            transactions: Vec::new(),
        };
        let genesis = Block {
            hash: block_hash(&genesis),
            ..genesis
        };
        db.cache.block_hashes.insert(U256::ZERO, genesis.hash);

        let mut cfg = CfgEnv::new_with_spec(SPEC);
        cfg.chain_id = config.chain_id;
        cfg.disable_eip3541 = true;
        let evm = DevEvm::new(db, cfg, BlockEnv::default(), Arc::new(ProgramCache::new()));
        let history = History::new(config.history_depth);
        let mut state = Self {
            config,
            evm,
            blocks: vec![genesis],
            receipts: HashMap::new(),
            txs: HashMap::new(),
            time_offset: 0,
            next_timestamp: None,
            snapshots: Vec::new(),
            next_snapshot: 1,
            history,
        };
        state.set_block_env(state.pending_header());
        state
    }

    fn latest(&self) -> &Block {
        // Genesis is always there.
        &self.blocks[self.blocks.len() - 1]
    }

    fn db(&mut self) -> &mut DevDb {
        self.evm.ctx_mut().journal_mut().db_mut()
    }

    /// Header fields of the block that would be mined next.
    fn pending_header(&self) -> BlockEnv {
        let latest = self.latest();
        let timestamp = match self.next_timestamp {
            Some(ts) => ts,
            None => {
                let clock = self
                    .config
                    .genesis_timestamp
                    .map_or_else(now, |_| latest.timestamp)
                    .saturating_add(self.time_offset);
                clock.max(latest.timestamp)
            }
        };
        BlockEnv {
            number: U256::from(latest.number + 1),
            beneficiary: latest.coinbase,
            timestamp: U256::from(timestamp),
            gas_limit: self.config.block_gas_limit,
            basefee: self.config.base_fee,
            difficulty: U256::from(1u8),
            prevrandao: Some(B256::with_last_byte(1)),
            ..BlockEnv::default()
        }
    }

    fn set_block_env(&mut self, block: BlockEnv) {
        self.evm.ctx_mut().block = block;
    }

    /// Fixes the next block's header before running its transaction.
    fn open_block(&mut self) {
        let header = self.pending_header();
        self.set_block_env(header);
    }

    fn seal_block(&mut self, transactions: Vec<B256>, gas_used: u64) -> B256 {
        let env = self.evm.ctx().block.clone();
        let parent = self.latest().hash;
        let block = Block {
            number: env.number.saturating_to(),
            hash: B256::ZERO,
            parent_hash: parent,
            timestamp: env.timestamp.saturating_to(),
            gas_limit: env.gas_limit,
            gas_used,
            base_fee: env.basefee,
            coinbase: env.beneficiary,
            transactions,
        };
        let block = Block {
            hash: block_hash(&block),
            ..block
        };
        let hash = block.hash;
        self.db().cache.block_hashes.insert(env.number, hash);
        // Time offsets apply once: with a fixed genesis clock they accumulate into timestamps.
        if self.config.genesis_timestamp.is_some() {
            self.time_offset = 0;
        }
        self.next_timestamp = None;
        self.history.seal(block.number);
        self.blocks.push(block);
        hash
    }

    fn account(&mut self, address: Address) -> AccountInfo {
        self.db().basic(address).ok().flatten().unwrap_or_default()
    }

    fn code(&mut self, address: Address) -> Bytes {
        let info = self.account(address);
        match info.code {
            Some(code) => code.original_bytes(),
            None => self
                .db()
                .code_by_hash(info.code_hash)
                .map(|c| c.original_bytes())
                .unwrap_or_default(),
        }
    }

    fn storage(&mut self, address: Address, slot: U256) -> U256 {
        self.db().storage(address, slot).unwrap_or_default()
    }

    fn edit_account(&mut self, address: Address, edit: impl FnOnce(&mut AccountInfo)) {
        let mut info = self.account(address);
        if info.code.is_none() && info.code_hash != revm::primitives::KECCAK_EMPTY {
            info.code = self.db().code_by_hash(info.code_hash).ok();
        }
        edit(&mut info);
        self.history.note_account(self.evm.ctx().db(), address);
        self.db().insert_account_info(address, info);
    }

    fn set_code(&mut self, address: Address, code: Bytes) {
        let bytecode = Bytecode::new_legacy(code);
        self.edit_account(address, |info| {
            info.code_hash = bytecode.hash_slow();
            info.code = Some(bytecode);
        });
    }

    fn set_storage(&mut self, address: Address, slot: U256, value: U256) {
        self.edit_account(address, |_| {});
        self.history.note_slot(self.evm.ctx().db(), address, slot);
        // The account exists now, so inserting storage cannot fail.
        let _ = self.db().insert_account_storage(address, slot, value);
    }

    /// Fills the unset fields of an unsigned request.
    fn tx_env(&mut self, tx: &TxRequest) -> TxEnv {
        let nonce = match tx.nonce {
            Some(nonce) => nonce,
            None => self.account(tx.from).nonce,
        };
        TxEnv {
            tx_type: 0,
            caller: tx.from,
            gas_limit: tx.gas_limit.unwrap_or(DEFAULT_TX_GAS),
            gas_price: tx.gas_price.unwrap_or(u128::from(self.config.base_fee)),
            kind: match tx.to {
                Some(to) => TxKind::Call(to),
                None => TxKind::Create,
            },
            value: tx.value,
            data: tx.data.clone(),
            nonce,
            chain_id: Some(self.config.chain_id),
            ..TxEnv::default()
        }
    }

    fn send_request(&mut self, tx: TxRequest) -> Result<Receipt, ChainError> {
        let env = self.tx_env(&tx);
        let hash = keccak256(
            [
                tx.from.as_slice(),
                &env.nonce.to_be_bytes(),
                &self.config.chain_id.to_be_bytes(),
                tx.to.unwrap_or_default().as_slice(),
                &tx.value.to_be_bytes::<32>(),
                &tx.data,
            ]
            .concat(),
        );
        self.mine_tx(env, hash, None)
    }

    fn send_raw(&mut self, raw: Bytes) -> Result<Receipt, ChainError> {
        let envelope = TxEnvelope::decode_2718(&mut raw.as_ref())
            .map_err(|e| ChainError::Malformed(e.to_string()))?;
        let from = envelope
            .recover_signer()
            .map_err(|e| ChainError::Malformed(e.to_string()))?;
        if let Some(id) = envelope.chain_id() {
            if id != self.config.chain_id {
                return Err(ChainError::InvalidTransaction(format!(
                    "chain id {id}, expected {}",
                    self.config.chain_id
                )));
            }
        }
        let env = TxEnv {
            tx_type: envelope.ty(),
            caller: from,
            gas_limit: envelope.gas_limit(),
            gas_price: envelope.max_fee_per_gas(),
            kind: envelope.kind(),
            value: envelope.value(),
            data: envelope.input().clone(),
            nonce: envelope.nonce(),
            chain_id: envelope.chain_id(),
            access_list: envelope.access_list().cloned().unwrap_or_default(),
            gas_priority_fee: envelope.max_priority_fee_per_gas(),
            ..TxEnv::default()
        };
        let hash = *envelope.tx_hash();
        self.mine_tx(env, hash, Some(raw))
    }

    /// Runs `env` in a new block and keeps its receipt; invalid transactions mine nothing.
    fn mine_tx(
        &mut self,
        env: TxEnv,
        hash: B256,
        raw: Option<Bytes>,
    ) -> Result<Receipt, ChainError> {
        self.open_block();
        let from = env.caller;
        let to = env.kind.to().copied();
        let (nonce, gas_limit, value, input) =
            (env.nonce, env.gas_limit, env.value, env.data.clone());
        let gas_price = env.gas_price;
        let effective_gas_price = revm::context_interface::Transaction::effective_gas_price(
            &env,
            u128::from(self.config.base_fee),
        );
        let (result, state) = self.evm.transact(env).map_err(|e| match e {
            revm::context_interface::result::EVMError::Transaction(e) => {
                ChainError::InvalidTransaction(e.to_string())
            }
            other => ChainError::Internal(other.to_string()),
        })?;
        let db = self.evm.ctx_mut().journal_mut().db_mut();
        self.history.note_commit(db, &state);
        db.commit(state);
        // Logs live in receipts; the database keeping its own copy would only grow.
        db.cache.logs.clear();

        let gas_used = result.tx_gas_used();
        let block_hash = self.seal_block(vec![hash], gas_used);
        let block_number = self.latest().number;
        let (status, output, halt) = outcome(&result);
        let logs = result
            .logs()
            .iter()
            .enumerate()
            .map(|(i, log)| LogEntry {
                log: log.clone(),
                block_number,
                block_hash,
                tx_hash: hash,
                tx_index: 0,
                log_index: i as u64,
            })
            .collect();
        let receipt = Receipt {
            tx_hash: hash,
            block_number,
            block_hash,
            tx_index: 0,
            from,
            to,
            contract_address: result.created_address(),
            status,
            gas_used,
            cumulative_gas_used: gas_used,
            effective_gas_price,
            logs,
            output,
            halt,
        };
        self.receipts.insert(hash, receipt.clone());
        self.txs.insert(
            hash,
            TxInfo {
                hash,
                from,
                to,
                value,
                input,
                nonce,
                gas_limit,
                gas_price,
                block_number,
                block_hash,
                tx_index: 0,
                raw,
            },
        );
        Ok(receipt)
    }

    fn call(&mut self, tx: TxRequest) -> Result<CallOutput, ChainError> {
        self.open_block();
        self.run_call(tx)
    }

    /// Runs a call in the current block environment without committing it.
    fn run_call(&mut self, tx: TxRequest) -> Result<CallOutput, ChainError> {
        let mut env = self.tx_env(&tx);
        // Calls may come from accounts without funds, as `eth_call` allows.
        if tx.gas_price.is_none() {
            env.gas_price = 0;
        }
        let cfg = &mut self.evm.ctx_mut().cfg;
        let (balance_check, base_fee_check) = (cfg.disable_balance_check, cfg.disable_base_fee);
        cfg.disable_balance_check = true;
        cfg.disable_base_fee = true;
        let result = self.evm.transact(env);
        let cfg = &mut self.evm.ctx_mut().cfg;
        cfg.disable_balance_check = balance_check;
        cfg.disable_base_fee = base_fee_check;
        let (result, _) = result.map_err(|e| ChainError::InvalidTransaction(e.to_string()))?;
        let (success, output, halt) = outcome(&result);
        Ok(CallOutput {
            success,
            output,
            gas_used: result.tx_gas_used(),
            logs: result.logs().to_vec(),
            halt,
        })
    }

    fn estimate_gas(&mut self, tx: TxRequest) -> Result<u64, ChainError> {
        let cap = tx.gas_limit.unwrap_or(DEFAULT_TX_GAS);
        let run = |s: &mut Self, gas: u64| {
            s.call(TxRequest {
                gas_limit: Some(gas),
                ..tx.clone()
            })
        };
        let full = run(self, cap)?;
        if !full.success {
            return Err(ChainError::InvalidTransaction(match full.halt {
                Some(halt) => format!("execution halts: {halt}"),
                None => format!(
                    "execution reverts: 0x{}",
                    alloy_primitives::hex::encode(&full.output)
                ),
            }));
        }
        // The 63/64 rule means the gas used may not be enough as a limit: search upwards.
        let (mut low, mut high) = (full.gas_used.saturating_sub(1), cap);
        while low + 1 < high {
            let mid = low + (high - low) / 2;
            if run(self, mid)?.success {
                high = mid;
            } else {
                low = mid;
            }
        }
        Ok(high)
    }

    fn logs(&self, filter: &LogFilter) -> Vec<LogEntry> {
        let from = filter.from_block.unwrap_or(0);
        let to = filter.to_block.unwrap_or(self.latest().number);
        let mut out = Vec::new();
        for block in self
            .blocks
            .iter()
            .filter(|b| b.number >= from && b.number <= to)
        {
            for hash in &block.transactions {
                let Some(receipt) = self.receipts.get(hash) else {
                    continue;
                };
                for entry in &receipt.logs {
                    let log = &entry.log;
                    if !filter.addresses.is_empty() && !filter.addresses.contains(&log.address) {
                        continue;
                    }
                    let topics = log.data.topics();
                    let matches = filter.topics.iter().enumerate().all(|(i, wanted)| {
                        wanted.is_empty() || topics.get(i).is_some_and(|t| wanted.contains(t))
                    });
                    if matches {
                        out.push(entry.clone());
                    }
                }
            }
        }
        out
    }

    fn snapshot(&mut self) -> u64 {
        let id = self.next_snapshot;
        self.next_snapshot += 1;
        let db = self.db().clone();
        self.snapshots.push(Snapshot {
            id,
            db,
            blocks: self.blocks.len(),
            time_offset: self.time_offset,
            next_timestamp: self.next_timestamp,
            history: self.history.mark(),
        });
        id
    }

    fn revert(&mut self, id: u64) -> bool {
        let Some(index) = self.snapshots.iter().position(|s| s.id == id) else {
            return false;
        };
        let snapshot = self.snapshots.swap_remove(index);
        self.snapshots.truncate(index);
        *self.db() = snapshot.db;
        for block in self.blocks.drain(snapshot.blocks..) {
            for hash in block.transactions {
                self.receipts.remove(&hash);
                self.txs.remove(&hash);
            }
        }
        self.time_offset = snapshot.time_offset;
        self.next_timestamp = snapshot.next_timestamp;
        let latest = self.latest().number;
        self.history.rewind(latest, snapshot.history);
        true
    }
}

/// Gas limit of requests that set none.
const DEFAULT_TX_GAS: u64 = 30_000_000;

/// Status, output and halt reason of an execution result.
fn outcome(result: &ExecutionResult) -> (bool, Bytes, Option<String>) {
    match result {
        ExecutionResult::Success { output, .. } => {
            let data = match output {
                Output::Call(data) => data.clone(),
                Output::Create(data, _) => data.clone(),
            };
            (true, data, None)
        }
        ExecutionResult::Revert { output, .. } => (false, output.clone(), None),
        ExecutionResult::Halt { reason, .. } => (false, Bytes::new(), Some(format!("{reason:?}"))),
    }
}

fn block_hash(block: &Block) -> B256 {
    let mut preimage = Vec::new();
    preimage.extend_from_slice(&block.number.to_be_bytes());
    preimage.extend_from_slice(block.parent_hash.as_slice());
    preimage.extend_from_slice(&block.timestamp.to_be_bytes());
    for tx in &block.transactions {
        preimage.extend_from_slice(tx.as_slice());
    }
    keccak256(preimage)
}
