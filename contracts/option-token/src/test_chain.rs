//! A `TestVM` wrapper for unit tests whose calls behave like a chain's: each call's return data
//! is that call's own (`TestVM` hands back whatever was mocked last), ecrecover (0x01) really
//! recovers (k256), CREATE2 lands at the EIP-1014 address and runs EIP-1167 init code, and calls
//! to other accounts are answered by registered handlers (the outside world: ERC-20 tokens, or a
//! real contract instance driven by the test).

use alloc::{boxed::Box, rc::Rc, vec::Vec};
use alloy_primitives::{keccak256, Address, B256, U256};
use core::cell::RefCell;
use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
use std::collections::HashMap;
use stylus_sdk::stylus_core::{
    host::{
        AccountAccess, BlockAccess, CalldataAccess, ChainAccess, CryptographyAccess, MemoryAccess,
        MessageAccess, MeteringAccess, RawLogAccess, StorageAccess, UnsafeCallAccess,
        UnsafeDeploymentAccess,
    },
    Host,
};
use stylus_sdk::testing::TestVM;

/// Answers a call: (caller, callee, calldata) -> Ok(return data) / Err(revert data).
pub type Handler = Box<dyn Fn(Address, Address, &[u8]) -> Result<Vec<u8>, Vec<u8>>>;

#[derive(Default)]
struct Calls {
    handlers: HashMap<Address, Handler>,
    return_data: Vec<u8>,
    log: Vec<(Address, Vec<u8>)>,
}

#[derive(Clone)]
pub struct TestChain {
    pub vm: TestVM,
    calls: Rc<RefCell<Calls>>,
}

impl TestChain {
    pub fn new(vm: TestVM) -> Self {
        Self {
            vm,
            calls: Rc::default(),
        }
    }

    /// Calls to `account` are answered by `handler`; accounts without one revert with no data.
    // The token's own tests only need ecrecover; option-factory's tests include this file too.
    #[allow(dead_code)]
    pub fn on_call(&self, account: Address, handler: Handler) {
        self.calls.borrow_mut().handlers.insert(account, handler);
    }

    /// Every call made so far (callee, calldata), ecrecover excluded.
    #[allow(dead_code)]
    pub fn calls(&self) -> Vec<(Address, Vec<u8>)> {
        self.calls.borrow().log.clone()
    }

    fn answer(&self, to: Address, data: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
        if to == Address::with_last_byte(1) {
            return Ok(ecrecover(data));
        }
        self.calls.borrow_mut().log.push((to, data.to_vec()));
        let caller = self.vm.contract_address();
        let calls = self.calls.borrow();
        match calls.handlers.get(&to) {
            Some(handler) => handler(caller, to, data),
            None => Err(Vec::new()),
        }
    }

    fn finish(&self, result: Result<Vec<u8>, Vec<u8>>, outs_len: &mut usize) -> u8 {
        let (status, data) = match result {
            Ok(data) => (0, data),
            Err(data) => (1, data),
        };
        *outs_len = data.len();
        self.calls.borrow_mut().return_data = data;
        status
    }
}

/// The ecrecover precompile: 32 bytes (left-padded signer) or nothing if recovery fails.
pub fn ecrecover(input: &[u8]) -> Vec<u8> {
    let mut padded = [0u8; 128];
    padded[..input.len().min(128)].copy_from_slice(&input[..input.len().min(128)]);
    let v = U256::from_be_slice(&padded[32..64]);
    let recovery = match v
        .checked_sub(U256::from(27))
        .filter(|id| *id <= U256::from(1))
    {
        Some(id) => RecoveryId::from_byte(id.to::<u8>()),
        None => None,
    };
    let (Some(recovery), Ok(signature)) = (recovery, Signature::from_slice(&padded[64..128]))
    else {
        return Vec::new();
    };
    match VerifyingKey::recover_from_prehash(&padded[..32], &signature, recovery) {
        Ok(key) => {
            let point = key.to_encoded_point(false);
            let mut out = vec![0u8; 12];
            out.extend_from_slice(&keccak256(&point.as_bytes()[1..])[12..]);
            out
        }
        Err(_) => Vec::new(),
    }
}

impl Host for TestChain {}

impl CryptographyAccess for TestChain {
    fn native_keccak256(&self, input: &[u8]) -> B256 {
        self.vm.native_keccak256(input)
    }
}

impl CalldataAccess for TestChain {
    fn read_args(&self, len: usize) -> Vec<u8> {
        self.vm.read_args(len)
    }
    fn read_return_data(&self, offset: usize, size: Option<usize>) -> Vec<u8> {
        let calls = self.calls.borrow();
        let data = &calls.return_data;
        let start = offset.min(data.len());
        let end = size.map_or(data.len(), |s| (start + s).min(data.len()));
        data[start..end].to_vec()
    }
    fn return_data_size(&self) -> usize {
        self.calls.borrow().return_data.len()
    }
    fn write_result(&self, data: &[u8]) {
        self.vm.write_result(data)
    }
}

unsafe impl UnsafeDeploymentAccess for TestChain {
    unsafe fn create1(
        &self,
        _: *const u8,
        _: usize,
        _: *const u8,
        contract: *mut u8,
        revert_data_len: *mut usize,
    ) {
        // Not used by these contracts: fail like a reverted deployment.
        core::slice::from_raw_parts_mut(contract, 20).fill(0);
        *revert_data_len = 0;
    }

    unsafe fn create2(
        &self,
        code: *const u8,
        code_len: usize,
        _endowment: *const u8,
        salt: *const u8,
        contract: *mut u8,
        revert_data_len: *mut usize,
    ) {
        let code = core::slice::from_raw_parts(code, code_len);
        let salt = B256::from_slice(core::slice::from_raw_parts(salt, 32));
        let address = self.vm.contract_address().create2(salt, keccak256(code));
        // The only init code these tests deploy is a series token's: a 10-byte constructor
        // returning the rest. An occupied address makes CREATE2 fail, as on chain.
        let runtime = code
            .get(10..)
            .filter(|_| code.starts_with(&abi::option_factory::CLONE_CONSTRUCTOR));
        let out = core::slice::from_raw_parts_mut(contract, 20);
        *revert_data_len = 0;
        self.calls.borrow_mut().return_data.clear();
        match runtime {
            Some(runtime) if self.vm.code_size(address) == 0 => {
                self.vm.set_code(address, runtime.to_vec());
                out.copy_from_slice(address.as_slice());
            }
            _ => out.fill(0),
        }
    }
}

impl StorageAccess for TestChain {
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

unsafe impl UnsafeCallAccess for TestChain {
    unsafe fn call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        _value: *const u8,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let to = Address::from_slice(core::slice::from_raw_parts(to, 20));
        let result = self.answer(to, core::slice::from_raw_parts(data, data_len));
        self.finish(result, outs_len)
    }

    unsafe fn static_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let to = Address::from_slice(core::slice::from_raw_parts(to, 20));
        let result = self.answer(to, core::slice::from_raw_parts(data, data_len));
        self.finish(result, outs_len)
    }

    unsafe fn delegate_call_contract(
        &self,
        _to: *const u8,
        _data: *const u8,
        _data_len: usize,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        // Not used by these contracts.
        self.finish(Err(Vec::new()), outs_len)
    }
}

impl BlockAccess for TestChain {
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

impl ChainAccess for TestChain {
    fn chain_id(&self) -> u64 {
        self.vm.chain_id()
    }
}

impl AccountAccess for TestChain {
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

impl MemoryAccess for TestChain {
    fn pay_for_memory_grow(&self, pages: u16) {
        self.vm.pay_for_memory_grow(pages)
    }
}

impl MessageAccess for TestChain {
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

impl MeteringAccess for TestChain {
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

impl RawLogAccess for TestChain {
    fn emit_log(&self, input: &[u8], num_topics: usize) {
        self.vm.emit_log(input, num_topics)
    }
    fn raw_log(&self, topics: &[B256], data: &[u8]) -> Result<(), &'static str> {
        self.vm.raw_log(topics, data)
    }
}
