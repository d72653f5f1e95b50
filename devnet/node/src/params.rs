//! Decoding of method parameters: hex quantities and data, block tags, transaction objects and
//! log filters, each failure an `invalid params` error that names the parameter.

use alloy_primitives::{hex, Address, Bytes, B256, U256};
use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::Value;

use crate::jsonrpc::RpcError;

/// Positional parameters of one call.
pub struct Params<'a> {
    values: &'a [Value],
}

impl<'a> Params<'a> {
    pub fn new(values: &'a [Value]) -> Self {
        Self { values }
    }

    /// Refuses calls with more than `n` parameters.
    pub fn at_most(&self, n: usize) -> Result<(), RpcError> {
        if self.values.len() > n {
            return Err(RpcError::invalid_params(format!(
                "expected at most {n} parameters, got {}",
                self.values.len()
            )));
        }
        Ok(())
    }

    /// Parameter `index`, which must be present and not null.
    pub fn required<T>(
        &self,
        index: usize,
        name: &str,
        parse: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Result<T, RpcError> {
        match self.values.get(index) {
            None | Some(Value::Null) => Err(RpcError::invalid_params(format!(
                "missing parameter {index} ({name})"
            ))),
            Some(value) => parse(value).map_err(|e| {
                RpcError::invalid_params(format!("invalid parameter {index} ({name}): {e}"))
            }),
        }
    }

    /// Parameter `index`, absent or null meaning `None`.
    pub fn optional<T>(
        &self,
        index: usize,
        name: &str,
        parse: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Result<Option<T>, RpcError> {
        match self.values.get(index) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.required(index, name, parse).map(Some),
        }
    }
}

fn string(value: &Value) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("expected a hex string, got {value}"))
}

/// Hex data of any length (`0x` prefix required).
pub fn bytes(value: &Value) -> Result<Bytes, String> {
    let text = string(value)?;
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("{text:?} lacks the 0x prefix"))?;
    hex::decode(digits)
        .map(Bytes::from)
        .map_err(|e| format!("{text:?} is not hex: {e}"))
}

fn fixed<const N: usize>(value: &Value) -> Result<[u8; N], String> {
    let data = bytes(value)?;
    data.as_ref()
        .try_into()
        .map_err(|_| format!("expected {N} bytes, got {}", data.len()))
}

pub fn address(value: &Value) -> Result<Address, String> {
    fixed::<20>(value).map(Address::from)
}

pub fn hash(value: &Value) -> Result<B256, String> {
    fixed::<32>(value).map(B256::from)
}

/// A quantity: `0x`-prefixed hex (leading zeros tolerated), or a JSON integer as some tools send.
pub fn quantity(value: &Value) -> Result<U256, String> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .map(U256::from)
            .ok_or_else(|| format!("{n} is not a non-negative integer")),
        Value::String(text) => {
            let digits = text
                .strip_prefix("0x")
                .ok_or_else(|| format!("{text:?} lacks the 0x prefix"))?;
            if digits.is_empty() {
                return Err("empty quantity".into());
            }
            U256::from_str_radix(digits, 16).map_err(|e| format!("{text:?}: {e}"))
        }
        other => Err(format!("expected a quantity, got {other}")),
    }
}

pub fn u64_quantity(value: &Value) -> Result<u64, String> {
    let n = quantity(value)?;
    u64::try_from(n).map_err(|_| format!("{n} does not fit in 64 bits"))
}

pub fn boolean(value: &Value) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| format!("expected a boolean, got {value}"))
}

/// A block as a parameter names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockSpec {
    /// `latest`, `pending`, `safe`, `finalized`: with automine they are all the head.
    Latest,
    Number(u64),
    Hash(B256),
}

/// A block tag, number, or EIP-1898 object (`{"blockNumber": ..}` / `{"blockHash": ..}`).
pub fn block(value: &Value) -> Result<BlockSpec, String> {
    match value {
        Value::String(tag) => match tag.as_str() {
            "latest" | "pending" | "safe" | "finalized" => Ok(BlockSpec::Latest),
            "earliest" => Ok(BlockSpec::Number(0)),
            _ => u64_quantity(value).map(BlockSpec::Number),
        },
        Value::Number(_) => u64_quantity(value).map(BlockSpec::Number),
        Value::Object(object) => {
            if let Some(hash_value) = object.get("blockHash") {
                hash(hash_value).map(BlockSpec::Hash)
            } else if let Some(number) = object.get("blockNumber") {
                block(number)
            } else {
                Err("a block object needs blockHash or blockNumber".into())
            }
        }
        other => Err(format!("expected a block tag or number, got {other}")),
    }
}

/// A quantity inside a deserialised object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(pub U256);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        quantity(&value).map(Quantity).map_err(de::Error::custom)
    }
}

impl Quantity {
    fn to_u64(self, field: &str) -> Result<u64, String> {
        u64::try_from(self.0).map_err(|_| format!("{field} does not fit in 64 bits"))
    }

    fn to_u128(self, field: &str) -> Result<u128, String> {
        u128::try_from(self.0).map_err(|_| format!("{field} does not fit in 128 bits"))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccessListItem {
    address: Address,
    #[serde(default)]
    storage_keys: Vec<B256>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTxObject {
    from: Option<Address>,
    to: Option<Address>,
    gas: Option<Quantity>,
    gas_price: Option<Quantity>,
    max_fee_per_gas: Option<Quantity>,
    max_priority_fee_per_gas: Option<Quantity>,
    value: Option<Quantity>,
    nonce: Option<Quantity>,
    chain_id: Option<Quantity>,
    data: Option<Bytes>,
    input: Option<Bytes>,
    access_list: Option<Vec<AccessListItem>>,
}

/// A transaction object of `eth_call`, `eth_estimateGas` and `eth_sendTransaction`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxObject {
    pub from: Option<Address>,
    pub to: Option<Address>,
    pub gas: Option<u64>,
    pub gas_price: Option<u128>,
    pub max_fee_per_gas: Option<u128>,
    pub max_priority_fee_per_gas: Option<u128>,
    pub value: U256,
    pub nonce: Option<u64>,
    pub chain_id: Option<u64>,
    pub input: Bytes,
    pub access_list: Vec<(Address, Vec<B256>)>,
}

pub fn tx_object(value: &Value) -> Result<TxObject, String> {
    let raw = RawTxObject::deserialize(value).map_err(|e| e.to_string())?;
    let input = match (raw.input, raw.data) {
        (Some(input), Some(data)) if input != data => {
            return Err("input and data are both set and differ".into())
        }
        (Some(input), _) => input,
        (None, data) => data.unwrap_or_default(),
    };
    Ok(TxObject {
        from: raw.from,
        to: raw.to,
        gas: raw.gas.map(|q| q.to_u64("gas")).transpose()?,
        gas_price: raw.gas_price.map(|q| q.to_u128("gasPrice")).transpose()?,
        max_fee_per_gas: raw
            .max_fee_per_gas
            .map(|q| q.to_u128("maxFeePerGas"))
            .transpose()?,
        max_priority_fee_per_gas: raw
            .max_priority_fee_per_gas
            .map(|q| q.to_u128("maxPriorityFeePerGas"))
            .transpose()?,
        value: raw.value.map(|q| q.0).unwrap_or_default(),
        nonce: raw.nonce.map(|q| q.to_u64("nonce")).transpose()?,
        chain_id: raw.chain_id.map(|q| q.to_u64("chainId")).transpose()?,
        input,
        access_list: raw
            .access_list
            .unwrap_or_default()
            .into_iter()
            .map(|item| (item.address, item.storage_keys))
            .collect(),
    })
}

/// One topic position of a log filter: any topic (`null` or empty), or any of a set.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum TopicSpec {
    One(B256),
    Any(Vec<B256>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum AddressSpec {
    One(Address),
    Any(Vec<Address>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFilter {
    from_block: Option<Value>,
    to_block: Option<Value>,
    block_hash: Option<B256>,
    address: Option<AddressSpec>,
    topics: Option<Vec<Option<TopicSpec>>>,
}

/// An `eth_getLogs` filter, blocks still unresolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterObject {
    pub from_block: Option<BlockSpec>,
    pub to_block: Option<BlockSpec>,
    pub block_hash: Option<B256>,
    pub addresses: Vec<Address>,
    pub topics: Vec<Vec<B256>>,
}

pub fn filter(value: &Value) -> Result<FilterObject, String> {
    let raw = RawFilter::deserialize(value).map_err(|e| e.to_string())?;
    let block_of = |v: Option<Value>| match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => block(&v).map(Some),
    };
    let from_block = block_of(raw.from_block)?;
    let to_block = block_of(raw.to_block)?;
    if raw.block_hash.is_some() && (from_block.is_some() || to_block.is_some()) {
        return Err("blockHash excludes fromBlock and toBlock".into());
    }
    Ok(FilterObject {
        from_block,
        to_block,
        block_hash: raw.block_hash,
        addresses: match raw.address {
            None => Vec::new(),
            Some(AddressSpec::One(a)) => vec![a],
            Some(AddressSpec::Any(list)) => list,
        },
        topics: raw
            .topics
            .unwrap_or_default()
            .into_iter()
            .map(|t| match t {
                None => Vec::new(),
                Some(TopicSpec::One(t)) => vec![t],
                Some(TopicSpec::Any(list)) => list,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities() {
        assert_eq!(quantity(&json!("0x0")), Ok(U256::ZERO));
        assert_eq!(quantity(&json!("0x01ff")), Ok(U256::from(511)));
        assert_eq!(quantity(&json!(42)), Ok(U256::from(42)));
        assert!(quantity(&json!("0x")).is_err());
        assert!(quantity(&json!("12")).is_err());
        assert!(quantity(&json!("0xzz")).is_err());
        assert!(quantity(&json!(-1)).is_err());
        assert!(quantity(&json!(format!("0x1{}", "0".repeat(64)))).is_err());
        assert!(u64_quantity(&json!("0x10000000000000000")).is_err());
    }

    #[test]
    fn blocks() {
        assert_eq!(block(&json!("latest")), Ok(BlockSpec::Latest));
        assert_eq!(block(&json!("earliest")), Ok(BlockSpec::Number(0)));
        assert_eq!(block(&json!("0x10")), Ok(BlockSpec::Number(16)));
        assert_eq!(
            block(&json!({"blockHash": format!("0x{}", "11".repeat(32))})),
            Ok(BlockSpec::Hash(B256::repeat_byte(0x11)))
        );
        assert!(block(&json!("newest")).is_err());
        assert!(block(&json!({})).is_err());
    }

    #[test]
    fn transaction_objects() {
        let tx = tx_object(&json!({
            "from": "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
            "to": null,
            "gas": "0x5208",
            "maxFeePerGas": "0x3b9aca00",
            "data": "0x6001",
            "accessList": [{"address": "0x0000000000000000000000000000000000000001", "storageKeys": []}],
            "type": "0x2"
        }))
        .unwrap();
        assert_eq!(tx.to, None);
        assert_eq!(tx.gas, Some(21_000));
        assert_eq!(tx.max_fee_per_gas, Some(1_000_000_000));
        assert_eq!(tx.input.as_ref(), &[0x60, 0x01]);
        assert_eq!(tx.access_list.len(), 1);
        assert!(tx_object(&json!({"input": "0x01", "data": "0x02"})).is_err());
        assert!(tx_object(&json!({"gas": "0x10000000000000000"})).is_err());
        assert!(tx_object(&json!({"to": "0x1234"})).is_err());
        assert!(tx_object(&json!([])).is_err());
    }

    #[test]
    fn filters() {
        let topic = format!("0x{}", "ab".repeat(32));
        let f = filter(&json!({
            "fromBlock": "0x1",
            "toBlock": "latest",
            "address": ["0x0000000000000000000000000000000000000001"],
            "topics": [topic, null, [topic, topic]]
        }))
        .unwrap();
        assert_eq!(f.from_block, Some(BlockSpec::Number(1)));
        assert_eq!(f.to_block, Some(BlockSpec::Latest));
        assert_eq!(f.addresses.len(), 1);
        assert_eq!(f.topics.len(), 3);
        assert!(f.topics[1].is_empty());
        assert!(filter(&json!({"blockHash": topic, "fromBlock": "0x1"})).is_err());
        assert!(filter(&json!({"topics": ["0x12"]})).is_err());
    }
}
