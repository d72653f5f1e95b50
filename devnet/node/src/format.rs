//! The JSON shapes of blocks, transactions, receipts and logs, as geth and nitro return them
//! (the fields alloy, ethers-rs and wallets require, plus nitro's Arbitrum extras).

use alloy_consensus::constants::{EMPTY_OMMER_ROOT_HASH, EMPTY_ROOT_HASH};
use alloy_consensus::{Transaction as _, TxEnvelope};
use alloy_eips::eip2718::{Decodable2718, Typed2718};
use alloy_primitives::ruint::UintTryFrom;
use alloy_primitives::{Bloom, Bytes, B256, U256};
use devnet_chain::{Block, LogEntry, Receipt, TxInfo};
use serde_json::{json, Map, Value};

fn quantity<T>(n: T) -> Value
where
    U256: UintTryFrom<T>,
{
    json!(U256::from(n))
}

/// The EIP-2718 type of a mined transaction (unsigned ones count as legacy).
pub fn tx_type(info: &TxInfo) -> u8 {
    match info.raw.as_ref().and_then(|raw| raw.first()) {
        Some(&first) if first < 0x7f => first,
        _ => 0,
    }
}

pub fn log(entry: &LogEntry) -> Value {
    json!({
        "address": entry.log.address,
        "topics": entry.log.data.topics(),
        "data": entry.log.data.data,
        "blockNumber": quantity(entry.block_number),
        "blockHash": entry.block_hash,
        "transactionHash": entry.tx_hash,
        "transactionIndex": quantity(entry.tx_index),
        "logIndex": quantity(entry.log_index),
        "removed": false,
    })
}

fn bloom_of<'a>(logs: impl IntoIterator<Item = &'a LogEntry>) -> Bloom {
    let mut bloom = Bloom::ZERO;
    for entry in logs {
        bloom.accrue_log(&entry.log);
    }
    bloom
}

pub fn receipt(receipt: &Receipt, tx_type: u8) -> Value {
    json!({
        "transactionHash": receipt.tx_hash,
        "transactionIndex": quantity(receipt.tx_index),
        "blockHash": receipt.block_hash,
        "blockNumber": quantity(receipt.block_number),
        "from": receipt.from,
        "to": receipt.to,
        "contractAddress": receipt.contract_address,
        "cumulativeGasUsed": quantity(receipt.cumulative_gas_used),
        "gasUsed": quantity(receipt.gas_used),
        "effectiveGasPrice": quantity(U256::from(receipt.effective_gas_price)),
        "status": quantity(u64::from(receipt.status)),
        "type": quantity(tx_type),
        "logs": receipt.logs.iter().map(log).collect::<Vec<_>>(),
        "logsBloom": bloom_of(&receipt.logs),
        // nitro's receipt extras: no L1 is posted to, so nothing is charged for it.
        "gasUsedForL1": quantity(0u64),
        "l1BlockNumber": quantity(0u64),
    })
}

/// A transaction as `eth_getTransactionByHash` returns it; `effective_gas_price` fills
/// `gasPrice` for EIP-1559 transactions, as geth does for mined ones.
pub fn transaction(info: &TxInfo, effective_gas_price: u128) -> Value {
    let mut tx = Map::new();
    tx.insert("hash".into(), json!(info.hash));
    tx.insert("blockHash".into(), json!(info.block_hash));
    tx.insert("blockNumber".into(), quantity(info.block_number));
    tx.insert("transactionIndex".into(), quantity(info.tx_index));
    tx.insert("from".into(), json!(info.from));
    tx.insert("to".into(), json!(info.to));
    tx.insert("value".into(), quantity(info.value));
    tx.insert("nonce".into(), quantity(info.nonce));
    tx.insert("gas".into(), quantity(info.gas_limit));
    tx.insert("input".into(), json!(info.input));
    let envelope = info
        .raw
        .as_ref()
        .and_then(|raw| TxEnvelope::decode_2718(&mut raw.as_ref()).ok());
    let Some(envelope) = envelope else {
        // Sent unsigned from an impersonated account: a legacy transaction without signature.
        tx.insert("type".into(), quantity(0u64));
        tx.insert("gasPrice".into(), quantity(U256::from(info.gas_price)));
        for field in ["v", "r", "s"] {
            tx.insert(field.into(), quantity(0u64));
        }
        return Value::Object(tx);
    };
    let signature = envelope.signature();
    let ty = envelope.ty();
    tx.insert("type".into(), quantity(ty));
    tx.insert("r".into(), quantity(signature.r()));
    tx.insert("s".into(), quantity(signature.s()));
    let parity = u64::from(signature.v());
    if ty == 0 {
        let v = match envelope.chain_id() {
            Some(id) => alloy_primitives::to_eip155_v(signature.v() as u8, id),
            None => 27 + parity,
        };
        tx.insert("v".into(), quantity(v));
    } else {
        tx.insert("v".into(), quantity(parity));
        tx.insert("yParity".into(), quantity(parity));
    }
    if let Some(id) = envelope.chain_id() {
        tx.insert("chainId".into(), quantity(id));
    }
    match envelope.gas_price() {
        Some(price) => {
            tx.insert("gasPrice".into(), quantity(U256::from(price)));
        }
        None => {
            tx.insert("gasPrice".into(), quantity(U256::from(effective_gas_price)));
            tx.insert(
                "maxFeePerGas".into(),
                quantity(U256::from(envelope.max_fee_per_gas())),
            );
            tx.insert(
                "maxPriorityFeePerGas".into(),
                quantity(U256::from(
                    envelope.max_priority_fee_per_gas().unwrap_or_default(),
                )),
            );
        }
    }
    if let Some(list) = envelope.access_list() {
        let items: Vec<Value> = list
            .iter()
            .map(|item| json!({"address": item.address, "storageKeys": item.storage_keys}))
            .collect();
        tx.insert("accessList".into(), json!(items));
    }
    Value::Object(tx)
}

/// A block header with its transactions (hashes or objects, as the caller chose).
pub fn block(block: &Block, receipts: &[Receipt], transactions: Vec<Value>) -> Value {
    let bloom = bloom_of(receipts.iter().flat_map(|r| &r.logs));
    // The chain keeps no tries, so the roots are commitments of our own (empty ones where empty).
    let root = |items: &[B256]| {
        if items.is_empty() {
            EMPTY_ROOT_HASH
        } else {
            alloy_primitives::keccak256(items.concat())
        }
    };
    let receipt_hashes: Vec<B256> = receipts.iter().map(|r| r.tx_hash).collect();
    json!({
        "number": quantity(block.number),
        "hash": block.hash,
        "parentHash": block.parent_hash,
        "timestamp": quantity(block.timestamp),
        "gasLimit": quantity(block.gas_limit),
        "gasUsed": quantity(block.gas_used),
        "baseFeePerGas": quantity(block.base_fee),
        "miner": block.coinbase,
        "difficulty": quantity(1u64),
        "totalDifficulty": quantity(block.number + 1),
        "nonce": "0x0000000000000000",
        "mixHash": B256::ZERO,
        "sha3Uncles": EMPTY_OMMER_ROOT_HASH,
        "uncles": [],
        "stateRoot": B256::ZERO,
        "transactionsRoot": root(&block.transactions),
        "receiptsRoot": root(&receipt_hashes),
        "logsBloom": bloom,
        "extraData": Bytes::new(),
        "size": quantity(0u64),
        "transactions": transactions,
        // nitro's header extras.
        "l1BlockNumber": quantity(0u64),
    })
}
