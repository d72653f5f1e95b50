//! A test host that runs the adapter against real `MockAggregator` contracts in-process.
//!
//! stylus-test 0.10.10's `TestVM` answers every call with the return data of the most recently
//! registered mock (its `static_call_contract` never sets the return buffer), so a contract that
//! reads several feeds in one call cannot be tested with `mock_static_call`. `Chain` wraps the
//! adapter's `TestVM` and routes static calls to contracts registered at an address, each with its
//! own `TestVM` (storage, sender, time), through the SDK's router: the feeds are the real
//! `MockAggregator` code, not canned bytes. Calls to unregistered addresses behave like calls to
//! an account without code (success, empty return data).

use std::{cell::RefCell, collections::HashMap, rc::Rc, slice};

use abi::chainlink::AggregatorV3Interface;
use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use mock_aggregator::MockAggregator;
use stylus_sdk::{
    host::VM,
    prelude::*,
    stylus_core::{
        AccountAccess, BlockAccess, CalldataAccess, ChainAccess, CryptographyAccess, MemoryAccess,
        MessageAccess, MeteringAccess, RawLogAccess, StorageAccess, UnsafeCallAccess,
        UnsafeDeploymentAccess,
    },
    testing::TestVM,
    ArbResult,
};

/// Owner of every mock feed deployed by [`Chain::deploy_feed`].
pub const FEED_OWNER: Address = Address::repeat_byte(0xF0);
/// Address of the adapter under test.
pub const ADAPTER: Address = Address::repeat_byte(0xAD);

type Entry = fn(Vec<u8>, VM) -> ArbResult;

struct Deployed {
    vm: TestVM,
    entry: Entry,
}

#[derive(Clone)]
pub struct Chain {
    vm: TestVM,
    contracts: Rc<RefCell<HashMap<Address, Deployed>>>,
    return_data: Rc<RefCell<Vec<u8>>>,
    /// Per feed, the first round id from which `getRoundData` in that round's phase fails with
    /// empty revert data, as a call that runs out of gas does.
    starved: Rc<RefCell<HashMap<Address, u128>>>,
}

fn mock_aggregator_entry(input: Vec<u8>, host: VM) -> ArbResult {
    stylus_sdk::abi::router_entrypoint::<MockAggregator, MockAggregator>(input, host)
}

impl Chain {
    pub fn new() -> Self {
        let vm = TestVM::new();
        vm.set_contract_address(ADAPTER);
        Self {
            vm,
            contracts: Rc::default(),
            return_data: Rc::default(),
            starved: Rc::default(),
        }
    }

    /// The adapter's own environment (sender, logs).
    pub fn vm(&self) -> &TestVM {
        &self.vm
    }

    pub fn set_time(&self, timestamp: u64) {
        self.vm.set_block_timestamp(timestamp);
        for deployed in self.contracts.borrow().values() {
            deployed.vm.set_block_timestamp(timestamp);
        }
    }

    /// Deploys and initialises a `MockAggregator` at `address`.
    pub fn deploy_feed(&self, address: Address, decimals: u8) {
        let vm = TestVM::new();
        vm.set_contract_address(address);
        vm.set_sender(FEED_OWNER);
        vm.set_block_timestamp(self.vm.block_timestamp());
        MockAggregator::from(&vm)
            .initialize(decimals, "mock feed".into())
            .expect("fresh mock initialises");
        self.contracts.borrow_mut().insert(
            address,
            Deployed {
                vm,
                entry: mock_aggregator_entry,
            },
        );
    }

    /// The feed at `address`, called by its owner.
    pub fn feed(&self, address: Address) -> MockAggregator {
        let contracts = self.contracts.borrow();
        let deployed = contracts.get(&address).expect("feed deployed");
        deployed.vm.set_sender(FEED_OWNER);
        MockAggregator::from(&deployed.vm)
    }

    /// From now on `getRoundData` on `feed` fails silently for `from` and later rounds of its
    /// phase.
    pub fn starve_rounds_from(&self, feed: Address, from: u128) {
        self.starved.borrow_mut().insert(feed, from);
    }

    fn starved(&self, to: Address, data: &[u8]) -> bool {
        let Some(from) = self.starved.borrow().get(&to).copied() else {
            return false;
        };
        let Ok(call) = AggregatorV3Interface::getRoundDataCall::abi_decode(data) else {
            return false;
        };
        let id = call._roundId.to::<u128>();
        id >> 64 == from >> 64 && id >= from
    }

    fn static_call(&self, to: Address, data: &[u8]) -> ArbResult {
        if self.starved(to, data) {
            return Err(Vec::new());
        }
        let contracts = self.contracts.borrow();
        let Some(deployed) = contracts.get(&to) else {
            return Ok(Vec::new());
        };
        deployed.vm.set_sender(self.vm.contract_address());
        let host = VM {
            host: Box::new(deployed.vm.clone()),
        };
        (deployed.entry)(data.to_vec(), host)
    }
}

impl Host for Chain {}

impl CryptographyAccess for Chain {
    fn native_keccak256(&self, input: &[u8]) -> B256 {
        self.vm.native_keccak256(input)
    }
}

impl CalldataAccess for Chain {
    fn read_args(&self, len: usize) -> Vec<u8> {
        self.vm.read_args(len)
    }

    fn read_return_data(&self, offset: usize, size: Option<usize>) -> Vec<u8> {
        let data = self.return_data.borrow();
        let start = offset.min(data.len());
        let end = size.map_or(data.len(), |s| start.saturating_add(s).min(data.len()));
        data[start..end].to_vec()
    }

    fn return_data_size(&self) -> usize {
        self.return_data.borrow().len()
    }

    fn write_result(&self, data: &[u8]) {
        self.vm.write_result(data)
    }
}

unsafe impl UnsafeDeploymentAccess for Chain {
    unsafe fn create1(
        &self,
        code: *const u8,
        code_len: usize,
        endowment: *const u8,
        contract: *mut u8,
        revert_data_len: *mut usize,
    ) {
        self.vm
            .create1(code, code_len, endowment, contract, revert_data_len)
    }

    unsafe fn create2(
        &self,
        code: *const u8,
        code_len: usize,
        endowment: *const u8,
        salt: *const u8,
        contract: *mut u8,
        revert_data_len: *mut usize,
    ) {
        self.vm
            .create2(code, code_len, endowment, salt, contract, revert_data_len)
    }
}

impl StorageAccess for Chain {
    fn storage_load_bytes32(&self, key: U256) -> B256 {
        self.vm.storage_load_bytes32(key)
    }

    unsafe fn storage_cache_bytes32(&self, key: U256, value: B256) {
        self.vm.storage_cache_bytes32(key, value)
    }

    fn flush_cache(&self, clear: bool) {
        self.vm.flush_cache(clear)
    }
}

unsafe impl UnsafeCallAccess for Chain {
    unsafe fn call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        value: *const u8,
        gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        self.vm
            .call_contract(to, data, data_len, value, gas, outs_len)
    }

    unsafe fn static_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let to = Address::from_slice(slice::from_raw_parts(to, 20));
        let data = slice::from_raw_parts(data, data_len);
        let (status, output) = match self.static_call(to, data) {
            Ok(output) => (0, output),
            Err(output) => (1, output),
        };
        *outs_len = output.len();
        *self.return_data.borrow_mut() = output;
        status
    }

    unsafe fn delegate_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        self.vm
            .delegate_call_contract(to, data, data_len, gas, outs_len)
    }
}

impl BlockAccess for Chain {
    fn block_basefee(&self) -> U256 {
        self.vm.block_basefee()
    }

    fn block_coinbase(&self) -> Address {
        self.vm.block_coinbase()
    }

    fn block_number(&self) -> u64 {
        self.vm.block_number()
    }

    fn block_timestamp(&self) -> u64 {
        self.vm.block_timestamp()
    }

    fn block_gas_limit(&self) -> u64 {
        self.vm.block_gas_limit()
    }
}

impl ChainAccess for Chain {
    fn chain_id(&self) -> u64 {
        self.vm.chain_id()
    }
}

impl AccountAccess for Chain {
    fn balance(&self, account: Address) -> U256 {
        self.vm.balance(account)
    }

    fn contract_address(&self) -> Address {
        self.vm.contract_address()
    }

    fn code(&self, account: Address) -> Vec<u8> {
        self.vm.code(account)
    }

    fn code_size(&self, account: Address) -> usize {
        self.vm.code_size(account)
    }

    fn code_hash(&self, account: Address) -> B256 {
        self.vm.code_hash(account)
    }
}

impl MemoryAccess for Chain {
    fn pay_for_memory_grow(&self, pages: u16) {
        self.vm.pay_for_memory_grow(pages)
    }
}

impl MessageAccess for Chain {
    fn msg_sender(&self) -> Address {
        self.vm.msg_sender()
    }

    fn msg_reentrant(&self) -> bool {
        self.vm.msg_reentrant()
    }

    fn msg_value(&self) -> U256 {
        self.vm.msg_value()
    }

    fn tx_origin(&self) -> Address {
        self.vm.tx_origin()
    }
}

impl MeteringAccess for Chain {
    fn evm_gas_left(&self) -> u64 {
        self.vm.evm_gas_left()
    }

    fn evm_ink_left(&self) -> u64 {
        self.vm.evm_ink_left()
    }

    fn tx_gas_price(&self) -> U256 {
        self.vm.tx_gas_price()
    }

    fn tx_ink_price(&self) -> u32 {
        self.vm.tx_ink_price()
    }
}

impl RawLogAccess for Chain {
    fn emit_log(&self, input: &[u8], num_topics: usize) {
        self.vm.emit_log(input, num_topics)
    }

    fn raw_log(&self, topics: &[B256], data: &[u8]) -> Result<(), &'static str> {
        self.vm.raw_log(topics, data)
    }
}
