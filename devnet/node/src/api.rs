//! The methods: Ethereum's `eth_`/`net_`/`web3_` namespace over the chain, and anvil's test
//! controls. Everything here is synchronous; the server runs it off the async threads.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::{SignableTransaction, Transaction as _, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::{Decodable2718, Encodable2718, Typed2718};
use alloy_eips::eip2930::{AccessList, AccessListItem};
use alloy_primitives::ruint::UintTryFrom;
use alloy_primitives::{keccak256, Address, Bytes, Signature, TxKind, B256, U256};
use devnet_chain::{Block, CallOutput, Chain, ChainError, LogFilter, Receipt, TxRequest};
use serde_json::{json, Value};

use crate::format;
use crate::jsonrpc::{RpcError, EXECUTION_REVERTED, METHOD_NOT_FOUND};
use crate::keys::DevKey;
use crate::params::{self, BlockSpec, Params, TxObject};

/// Most blocks `eth_feeHistory` reports at once.
const MAX_FEE_HISTORY: u64 = 1024;

/// What the methods work on.
pub struct Api {
    chain: Chain,
    chain_id: u64,
    keys: Vec<DevKey>,
    key_index: HashMap<Address, usize>,
    impersonated: Mutex<HashSet<Address>>,
    /// Held from reading an account's nonce to sending with it, so that concurrent
    /// `eth_sendTransaction`s from one account get consecutive nonces.
    send_lock: Mutex<()>,
    client_version: String,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded data stays consistent even if a holder panicked.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn chain_error(error: ChainError) -> RpcError {
    match error {
        ChainError::InvalidTransaction(message) => RpcError::server(message),
        ChainError::Malformed(message) => {
            RpcError::invalid_params(format!("malformed transaction: {message}"))
        }
        ChainError::Internal(message) => RpcError::internal(message),
        ChainError::StateUnavailable(message) | ChainError::StateFile(message) => {
            RpcError::server(message)
        }
    }
}

/// A failed execution as clients expect it: code 3 with the revert bytes, or the halt reason.
pub fn execution_error(output: &CallOutput) -> RpcError {
    if let Some(halt) = &output.halt {
        return RpcError::server(format!("execution halted: {halt}"));
    }
    let message = match alloy_sol_types::decode_revert_reason(&output.output) {
        Some(reason) => format!("execution reverted: {reason}"),
        None => "execution reverted".to_string(),
    };
    RpcError::new(EXECUTION_REVERTED, message).with_data(json!(output.output))
}

fn quantity<T>(n: T) -> Value
where
    U256: UintTryFrom<T>,
{
    json!(U256::from(n))
}

impl Api {
    pub fn new(chain: Chain, keys: Vec<DevKey>, client_version: String) -> Self {
        let key_index = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.address, i))
            .collect();
        Self {
            chain_id: chain.chain_id(),
            chain,
            keys,
            key_index,
            impersonated: Mutex::new(HashSet::new()),
            send_lock: Mutex::new(()),
            client_version,
        }
    }

    /// The chain the methods work on.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// Runs one method.
    pub fn call(&self, method: &str, values: &[Value]) -> Result<Value, RpcError> {
        let p = Params::new(values);
        match method {
            "web3_clientVersion" => Ok(json!(self.client_version)),
            "web3_sha3" => {
                p.at_most(1)?;
                Ok(json!(keccak256(p.required(0, "data", params::bytes)?)))
            }
            "net_version" => Ok(json!(self.chain_id.to_string())),
            "net_listening" => Ok(json!(true)),
            "net_peerCount" => Ok(quantity(0u64)),
            "eth_chainId" => Ok(quantity(self.chain_id)),
            "eth_syncing" => Ok(json!(false)),
            "eth_accounts" => Ok(json!(self
                .keys
                .iter()
                .map(|k| k.address)
                .collect::<Vec<_>>())),
            "eth_blockNumber" => Ok(quantity(self.chain.block_number().map_err(chain_error)?)),
            "eth_gasPrice" => Ok(quantity(self.base_fee()?)),
            // The sequencer orders by arrival: tips buy nothing on Arbitrum.
            "eth_maxPriorityFeePerGas" => Ok(quantity(0u64)),
            "eth_feeHistory" => self.fee_history(&p),
            "eth_getBalance" => {
                let (address, block) = self.state_query(&p, "address")?;
                let balance = match block {
                    None => self.chain.balance(address),
                    Some(n) => self.chain.state_at(n).map(|s| s.balance(address)),
                };
                Ok(quantity(balance.map_err(chain_error)?))
            }
            "eth_getTransactionCount" => {
                let (address, block) = self.state_query(&p, "address")?;
                let nonce = match block {
                    None => self.chain.nonce(address),
                    Some(n) => self.chain.state_at(n).map(|s| s.nonce(address)),
                };
                Ok(quantity(nonce.map_err(chain_error)?))
            }
            "eth_getCode" => {
                let (address, block) = self.state_query(&p, "address")?;
                let code = match block {
                    None => self.chain.code(address),
                    Some(n) => self.chain.state_at(n).map(|s| s.code(address)),
                };
                Ok(json!(code.map_err(chain_error)?))
            }
            "eth_getStorageAt" => {
                p.at_most(3)?;
                let address = p.required(0, "address", params::address)?;
                let slot = p.required(1, "slot", params::quantity)?;
                let word = match self.state_block(p.optional(2, "block", params::block)?)? {
                    None => self.chain.storage(address, slot),
                    Some(n) => self.chain.state_at(n).map(|s| s.storage(address, slot)),
                };
                Ok(json!(B256::from(word.map_err(chain_error)?)))
            }
            "eth_call" => {
                p.at_most(3)?;
                let tx = p.required(0, "transaction", params::tx_object)?;
                let block = self.state_block(p.optional(1, "block", params::block)?)?;
                if p.optional(2, "state overrides", |v| Ok(v.clone()))?
                    .is_some()
                {
                    return Err(RpcError::invalid_params(
                        "state overrides are not supported",
                    ));
                }
                let output = match block {
                    None => self.chain.call(call_request(&tx)),
                    Some(n) => self.chain.call_at(call_request(&tx), n),
                }
                .map_err(chain_error)?;
                if output.success {
                    Ok(json!(output.output))
                } else {
                    Err(execution_error(&output))
                }
            }
            "eth_estimateGas" => {
                p.at_most(2)?;
                let tx = p.required(0, "transaction", params::tx_object)?;
                self.require_latest(p.optional(1, "block", params::block)?)?;
                Ok(quantity(self.estimate_gas(&tx)?))
            }
            "eth_sendTransaction" => {
                p.at_most(1)?;
                let tx = p.required(0, "transaction", params::tx_object)?;
                Ok(json!(self.send_transaction(tx)?))
            }
            "eth_sendRawTransaction" => {
                p.at_most(1)?;
                let raw = p.required(0, "signed transaction", params::bytes)?;
                Ok(json!(self.send_raw_transaction(raw)?))
            }
            "eth_getTransactionByHash" => {
                p.at_most(1)?;
                let hash = p.required(0, "hash", params::hash)?;
                match self.chain.transaction(hash).map_err(chain_error)? {
                    Some(info) => self.transaction_json(&info),
                    None => Ok(Value::Null),
                }
            }
            "eth_getTransactionReceipt" => {
                p.at_most(1)?;
                let hash = p.required(0, "hash", params::hash)?;
                let Some(receipt) = self.chain.receipt(hash).map_err(chain_error)? else {
                    return Ok(Value::Null);
                };
                let info = self.chain.transaction(hash).map_err(chain_error)?;
                let tx_type = info.as_ref().map_or(0, format::tx_type);
                Ok(format::receipt(&receipt, tx_type))
            }
            "eth_getBlockByNumber" | "eth_getBlockByHash" => {
                p.at_most(2)?;
                let spec = if method == "eth_getBlockByHash" {
                    BlockSpec::Hash(p.required(0, "hash", params::hash)?)
                } else {
                    p.required(0, "block", params::block)?
                };
                let full = p.optional(1, "full transactions", params::boolean)?;
                match self.block(spec)? {
                    Some(block) => self.block_json(&block, full.unwrap_or(false)),
                    None => Ok(Value::Null),
                }
            }
            "eth_getLogs" => {
                p.at_most(1)?;
                let filter = p.required(0, "filter", params::filter)?;
                self.logs(filter)
            }
            "eth_subscribe" | "eth_unsubscribe" => Err(RpcError::new(
                METHOD_NOT_FOUND,
                format!("{method} needs a WebSocket connection (ws:// on this same port)"),
            )),
            _ => self.test_control(method, &p),
        }
    }

    /// anvil's (and Hardhat's) test controls.
    fn test_control(&self, method: &str, p: &Params) -> Result<Value, RpcError> {
        let method = method
            .strip_prefix("hardhat_")
            .map_or(method.to_string(), |rest| format!("anvil_{rest}"));
        match method.as_str() {
            "evm_mine" => {
                p.at_most(1)?;
                // anvil takes a timestamp, or `{timestamp, blocks}`.
                let (timestamp, blocks) = p
                    .optional(0, "options", |v| match v {
                        Value::Object(o) => Ok((
                            o.get("timestamp")
                                .filter(|t| !t.is_null())
                                .map(params::u64_quantity)
                                .transpose()?,
                            o.get("blocks")
                                .filter(|b| !b.is_null())
                                .map(params::u64_quantity)
                                .transpose()?,
                        )),
                        other => params::u64_quantity(other).map(|t| (Some(t), None)),
                    })?
                    .unwrap_or((None, None));
                if let Some(timestamp) = timestamp {
                    self.chain
                        .set_next_timestamp(timestamp)
                        .map_err(chain_error)?;
                }
                self.mine(blocks.unwrap_or(1))?;
                Ok(json!("0x0"))
            }
            "anvil_mine" => {
                p.at_most(2)?;
                let blocks = p.optional(0, "blocks", params::u64_quantity)?.unwrap_or(1);
                let interval = p.optional(1, "interval", params::u64_quantity)?;
                for _ in 0..blocks {
                    if let Some(seconds) = interval {
                        self.chain.advance_time(seconds).map_err(chain_error)?;
                    }
                    self.mine(1)?;
                }
                Ok(Value::Null)
            }
            "evm_increaseTime" => {
                p.at_most(1)?;
                let seconds = p.required(0, "seconds", params::u64_quantity)?;
                self.chain.advance_time(seconds).map_err(chain_error)?;
                Ok(quantity(seconds))
            }
            "evm_setNextBlockTimestamp" => {
                p.at_most(1)?;
                let timestamp = p.required(0, "timestamp", params::u64_quantity)?;
                self.chain
                    .set_next_timestamp(timestamp)
                    .map_err(|e| RpcError::invalid_params(e.to_string()))?;
                Ok(Value::Null)
            }
            "evm_snapshot" => {
                p.at_most(0)?;
                Ok(quantity(self.chain.snapshot().map_err(chain_error)?))
            }
            "evm_revert" => {
                p.at_most(1)?;
                let id = p.required(0, "snapshot id", params::u64_quantity)?;
                Ok(json!(self.chain.revert(id).map_err(chain_error)?))
            }
            "anvil_setBalance" => {
                p.at_most(2)?;
                let address = p.required(0, "address", params::address)?;
                let balance = p.required(1, "balance", params::quantity)?;
                self.chain
                    .set_balance(address, balance)
                    .map_err(chain_error)?;
                Ok(Value::Null)
            }
            "anvil_setNonce" => {
                p.at_most(2)?;
                let address = p.required(0, "address", params::address)?;
                let nonce = p.required(1, "nonce", params::u64_quantity)?;
                self.chain.set_nonce(address, nonce).map_err(chain_error)?;
                Ok(Value::Null)
            }
            "anvil_setCode" => {
                p.at_most(2)?;
                let address = p.required(0, "address", params::address)?;
                let code = p.required(1, "code", params::bytes)?;
                self.chain.set_code(address, code).map_err(chain_error)?;
                Ok(Value::Null)
            }
            "anvil_setStorageAt" => {
                p.at_most(3)?;
                let address = p.required(0, "address", params::address)?;
                let slot = p.required(1, "slot", params::quantity)?;
                let value = p.required(2, "value", params::quantity)?;
                self.chain
                    .set_storage(address, slot, value)
                    .map_err(chain_error)?;
                Ok(json!(true))
            }
            // The state file's bytes (our JSON, not anvil's gzip): opaque to clients, which only
            // hand them back to `anvil_loadState`.
            "anvil_dumpState" => {
                p.at_most(0)?;
                let bytes = self.chain.dump_state().map_err(chain_error)?;
                Ok(json!(Bytes::from(bytes)))
            }
            "anvil_loadState" => {
                p.at_most(1)?;
                let bytes = p.required(0, "state", params::bytes)?;
                self.chain.load_state(&bytes).map_err(chain_error)?;
                Ok(json!(true))
            }
            "anvil_impersonateAccount" | "anvil_stopImpersonatingAccount" => {
                p.at_most(1)?;
                let address = p.required(0, "address", params::address)?;
                let mut impersonated = lock(&self.impersonated);
                if method == "anvil_impersonateAccount" {
                    impersonated.insert(address);
                } else {
                    impersonated.remove(&address);
                }
                Ok(Value::Null)
            }
            _ => Err(RpcError::new(
                METHOD_NOT_FOUND,
                format!("the method {method} does not exist/is not available"),
            )),
        }
    }

    fn mine(&self, blocks: u64) -> Result<(), RpcError> {
        for _ in 0..blocks {
            self.chain.mine().map_err(chain_error)?;
        }
        Ok(())
    }

    fn base_fee(&self) -> Result<u64, RpcError> {
        Ok(self.chain.latest_block().map_err(chain_error)?.base_fee)
    }

    /// The address and block of a state query (`None`: the head).
    fn state_query(&self, p: &Params, name: &str) -> Result<(Address, Option<u64>), RpcError> {
        p.at_most(2)?;
        let address = p.required(0, name, params::address)?;
        let block = self.state_block(p.optional(1, "block", params::block)?)?;
        Ok((address, block))
    }

    /// The older block a state query reads, or `None` for the head; a block past the head or
    /// unknown is refused. How far back the state goes is the chain's history depth.
    fn state_block(&self, spec: Option<BlockSpec>) -> Result<Option<u64>, RpcError> {
        let latest = self.chain.block_number().map_err(chain_error)?;
        let number = match spec {
            None | Some(BlockSpec::Latest) => return Ok(None),
            Some(BlockSpec::Number(n)) if n > latest => {
                return Err(RpcError::server(format!(
                    "header not found: block {n} is beyond the latest block {latest}"
                )))
            }
            Some(BlockSpec::Number(n)) => n,
            Some(BlockSpec::Hash(h)) => match self.chain.block_by_hash(h).map_err(chain_error)? {
                None => return Err(RpcError::server(format!("header not found: block {h}"))),
                Some(b) => b.number,
            },
        };
        Ok((number != latest).then_some(number))
    }

    /// Gas estimates run on the head only: they price what a transaction would do now.
    fn require_latest(&self, spec: Option<BlockSpec>) -> Result<(), RpcError> {
        let Some(spec) = spec else { return Ok(()) };
        let latest = self.chain.latest_block().map_err(chain_error)?;
        match spec {
            BlockSpec::Latest => Ok(()),
            BlockSpec::Number(n) if n == latest.number => Ok(()),
            BlockSpec::Hash(h) if h == latest.hash => Ok(()),
            BlockSpec::Number(n) if n > latest.number => Err(RpcError::server(format!(
                "header not found: block {n} is beyond the latest block {}",
                latest.number
            ))),
            BlockSpec::Number(n) => Err(RpcError::server(format!(
                "historical state is not available: block {n} is older than the latest block {}",
                latest.number
            ))),
            BlockSpec::Hash(h) => match self.chain.block_by_hash(h).map_err(chain_error)? {
                None => Err(RpcError::server(format!("header not found: block {h}"))),
                Some(b) => Err(RpcError::server(format!(
                    "historical state is not available: block {} is older than the latest block {}",
                    b.number, latest.number
                ))),
            },
        }
    }

    fn block(&self, spec: BlockSpec) -> Result<Option<Block>, RpcError> {
        match spec {
            BlockSpec::Latest => self.chain.latest_block().map(Some),
            BlockSpec::Number(n) => self.chain.block(n),
            BlockSpec::Hash(h) => self.chain.block_by_hash(h),
        }
        .map_err(chain_error)
    }

    fn block_number(&self, spec: BlockSpec) -> Result<u64, RpcError> {
        match spec {
            BlockSpec::Latest => self.chain.block_number().map_err(chain_error),
            BlockSpec::Number(n) => Ok(n),
            BlockSpec::Hash(h) => self
                .chain
                .block_by_hash(h)
                .map_err(chain_error)?
                .map(|b| b.number)
                .ok_or_else(|| RpcError::server(format!("header not found: block {h}"))),
        }
    }

    fn receipts_of(&self, block: &Block) -> Result<Vec<Receipt>, RpcError> {
        let mut receipts = Vec::with_capacity(block.transactions.len());
        for hash in &block.transactions {
            receipts.extend(self.chain.receipt(*hash).map_err(chain_error)?);
        }
        Ok(receipts)
    }

    fn block_json(&self, block: &Block, full: bool) -> Result<Value, RpcError> {
        let receipts = self.receipts_of(block)?;
        let transactions = if full {
            let mut txs = Vec::with_capacity(block.transactions.len());
            for hash in &block.transactions {
                if let Some(info) = self.chain.transaction(*hash).map_err(chain_error)? {
                    txs.push(self.transaction_json(&info)?);
                }
            }
            txs
        } else {
            block.transactions.iter().map(|h| json!(h)).collect()
        };
        Ok(format::block(block, &receipts, transactions))
    }

    fn transaction_json(&self, info: &devnet_chain::TxInfo) -> Result<Value, RpcError> {
        let receipt = self.chain.receipt(info.hash).map_err(chain_error)?;
        let effective = receipt.map_or(info.gas_price, |r| r.effective_gas_price);
        Ok(format::transaction(info, effective))
    }

    fn fee_history(&self, p: &Params) -> Result<Value, RpcError> {
        p.at_most(3)?;
        let count = p.required(0, "block count", params::u64_quantity)?;
        let newest = self.block_number(p.required(1, "newest block", params::block)?)?;
        let percentiles = p.optional(2, "reward percentiles", |v| {
            serde_json::from_value::<Vec<f64>>(v.clone()).map_err(|e| e.to_string())
        })?;
        if let Some(ps) = &percentiles {
            let ordered = ps.windows(2).all(|w| w[0] <= w[1]);
            if !ordered || ps.iter().any(|p| !(0.0..=100.0).contains(p)) {
                return Err(RpcError::invalid_params(
                    "reward percentiles must be increasing and within [0, 100]",
                ));
            }
        }
        let latest = self.chain.block_number().map_err(chain_error)?;
        if newest > latest {
            return Err(RpcError::server(format!(
                "header not found: block {newest} is beyond the latest block {latest}"
            )));
        }
        let count = count.min(MAX_FEE_HISTORY).min(newest + 1);
        let oldest = newest + 1 - count;
        let mut base_fees = Vec::new();
        let mut ratios = Vec::new();
        let mut rewards = Vec::new();
        for number in oldest..=newest {
            let Some(block) = self.chain.block(number).map_err(chain_error)? else {
                continue;
            };
            base_fees.push(quantity(block.base_fee));
            ratios.push(json!(block.gas_used as f64 / block.gas_limit.max(1) as f64));
            if let Some(ps) = &percentiles {
                let mut tips: Vec<u128> = self
                    .receipts_of(&block)?
                    .iter()
                    .map(|r| {
                        r.effective_gas_price
                            .saturating_sub(u128::from(block.base_fee))
                    })
                    .collect();
                tips.sort_unstable();
                rewards.push(json!(ps
                    .iter()
                    .map(|p| {
                        let tip = if tips.is_empty() {
                            0
                        } else {
                            let i = ((p / 100.0) * (tips.len() - 1) as f64).round() as usize;
                            tips[i.min(tips.len() - 1)]
                        };
                        quantity(U256::from(tip))
                    })
                    .collect::<Vec<_>>()));
            }
        }
        // The fee of the block after the newest: fixed on this chain.
        base_fees.push(quantity(self.base_fee()?));
        let mut history = json!({
            "oldestBlock": quantity(oldest),
            "baseFeePerGas": base_fees,
            "gasUsedRatio": ratios,
        });
        if percentiles.is_some() {
            history["reward"] = json!(rewards);
        }
        Ok(history)
    }

    fn logs(&self, filter: params::FilterObject) -> Result<Value, RpcError> {
        let (from, to) = match filter.block_hash {
            Some(hash) => {
                let n = self.block_number(BlockSpec::Hash(hash))?;
                (n, n)
            }
            None => {
                let latest = self.chain.block_number().map_err(chain_error)?;
                let resolve = |spec: Option<BlockSpec>| match spec {
                    None => Ok(latest),
                    Some(spec) => self.block_number(spec),
                };
                (resolve(filter.from_block)?, resolve(filter.to_block)?)
            }
        };
        if from > to {
            return Err(RpcError::invalid_params(format!(
                "fromBlock {from} is after toBlock {to}"
            )));
        }
        let entries = self
            .chain
            .logs(LogFilter {
                from_block: Some(from),
                to_block: Some(to),
                addresses: filter.addresses,
                topics: filter.topics,
            })
            .map_err(chain_error)?;
        Ok(json!(entries.iter().map(format::log).collect::<Vec<_>>()))
    }

    fn estimate_gas(&self, tx: &TxObject) -> Result<u64, RpcError> {
        let request = call_request(tx);
        let output = self.chain.call(request.clone()).map_err(chain_error)?;
        if !output.success {
            return Err(execution_error(&output));
        }
        self.chain.estimate_gas(request).map_err(chain_error)
    }

    /// Signs with the dev key of `from`, or sends unsigned from an impersonated account.
    fn send_transaction(&self, tx: TxObject) -> Result<B256, RpcError> {
        let from = tx
            .from
            .ok_or_else(|| RpcError::invalid_params("the transaction needs a from address"))?;
        if let Some(id) = tx.chain_id.filter(|id| *id != self.chain_id) {
            return Err(RpcError::server(format!(
                "invalid chain id: the transaction is for chain {id}, this is chain {}",
                self.chain_id
            )));
        }
        let key = self.key_index.get(&from).map(|&i| &self.keys[i]);
        if key.is_none() && !lock(&self.impersonated).contains(&from) {
            return Err(RpcError::server(format!(
                "no key for {from}: not a dev account and not impersonated"
            )));
        }
        let gas = match tx.gas {
            Some(gas) => gas,
            None => self.estimate_gas(&tx)?,
        };
        let _sending = lock(&self.send_lock);
        let nonce = match tx.nonce {
            Some(nonce) => nonce,
            None => self.chain.nonce(from).map_err(chain_error)?,
        };
        let receipt = match key {
            Some(key) => {
                let raw = self.sign(key, &tx, nonce, gas)?;
                self.chain.send_raw_transaction(raw)
            }
            None => self.chain.send_transaction(TxRequest {
                from,
                to: tx.to,
                value: tx.value,
                data: tx.input.clone(),
                gas_limit: Some(gas),
                gas_price: tx.gas_price.or(tx.max_fee_per_gas),
                nonce: Some(nonce),
            }),
        }
        .map_err(chain_error)?;
        Ok(receipt.tx_hash)
    }

    /// A signed legacy transaction when the request sets `gasPrice` alone, EIP-1559 otherwise.
    fn sign(&self, key: &DevKey, tx: &TxObject, nonce: u64, gas: u64) -> Result<Bytes, RpcError> {
        let to = tx.to.map_or(TxKind::Create, TxKind::Call);
        let envelope: TxEnvelope = match (tx.gas_price, tx.max_fee_per_gas) {
            (Some(gas_price), None) => {
                let legacy = TxLegacy {
                    chain_id: Some(self.chain_id),
                    nonce,
                    gas_price,
                    gas_limit: gas,
                    to,
                    value: tx.value,
                    input: tx.input.clone(),
                };
                let signature = sign_hash(key, legacy.signature_hash())?;
                legacy.into_signed(signature).into()
            }
            (_, max_fee) => {
                let max_fee_per_gas = match max_fee {
                    Some(fee) => fee,
                    None => u128::from(self.base_fee()?) * 2,
                };
                let eip1559 = TxEip1559 {
                    chain_id: self.chain_id,
                    nonce,
                    gas_limit: gas,
                    max_fee_per_gas,
                    max_priority_fee_per_gas: tx.max_priority_fee_per_gas.unwrap_or(0),
                    to,
                    value: tx.value,
                    access_list: AccessList(
                        tx.access_list
                            .iter()
                            .map(|(address, storage_keys)| AccessListItem {
                                address: *address,
                                storage_keys: storage_keys.clone(),
                            })
                            .collect(),
                    ),
                    input: tx.input.clone(),
                };
                let signature = sign_hash(key, eip1559.signature_hash())?;
                eip1559.into_signed(signature).into()
            }
        };
        Ok(envelope.encoded_2718().into())
    }

    /// Checks what the node can tell before execution, then mines the transaction.
    fn send_raw_transaction(&self, raw: Bytes) -> Result<B256, RpcError> {
        let envelope = TxEnvelope::decode_2718(&mut raw.as_ref())
            .map_err(|e| RpcError::invalid_params(format!("invalid signed transaction: {e}")))?;
        match envelope.ty() {
            0..=2 => {}
            3 => return Err(RpcError::server("blob transactions are not supported")),
            ty => {
                return Err(RpcError::server(format!(
                    "transaction type {ty} is not supported"
                )))
            }
        }
        envelope
            .recover_signer()
            .map_err(|e| RpcError::server(format!("invalid signature: {e}")))?;
        if let Some(id) = envelope.chain_id().filter(|id| *id != self.chain_id) {
            return Err(RpcError::server(format!(
                "invalid chain id: the transaction is signed for chain {id}, this is chain {}",
                self.chain_id
            )));
        }
        let receipt = self.chain.send_raw_transaction(raw).map_err(chain_error)?;
        Ok(receipt.tx_hash)
    }
}

fn sign_hash(key: &DevKey, hash: B256) -> Result<Signature, RpcError> {
    let (signature, recovery) = key
        .signing_key()
        .sign_prehash_recoverable(hash.as_slice())
        .map_err(|e| RpcError::internal(format!("signing failed: {e}")))?;
    Ok(Signature::from_signature_and_parity(
        signature,
        recovery.is_y_odd(),
    ))
}

/// The chain request of an `eth_call`/`eth_estimateGas` object. Calls from no one come from
/// the zero address, and the nonce is the sender's current one whatever the object says (a
/// client estimating a transaction it will send after others still gets an estimate), as on
/// geth.
fn call_request(tx: &TxObject) -> TxRequest {
    TxRequest {
        from: tx.from.unwrap_or_default(),
        to: tx.to,
        value: tx.value,
        data: tx.input.clone(),
        gas_limit: tx.gas,
        gas_price: tx.gas_price.or(tx.max_fee_per_gas),
        nonce: None,
    }
}
