//! A `TestVM` host whose calls behave like a chain's, for unit tests of contracts that call others.
//!
//! stylus-test 0.10.10's `TestVM` answers every call with the return data of the most recently
//! registered mock (its call hooks never set the return buffer per call), so a contract that reads
//! several contracts in one call cannot be tested with `mock_static_call`. A [`Chain`] wraps a
//! contract's `TestVM` and answers each call (`call` and `staticcall`; value is not moved) with
//! that call's own return or revert data:
//! 1. a handler registered for the callee with [`Chain::on_call`] (the outside world, or a fault
//!    injected in front of a real contract), when it answers;
//! 2. else a real contract deployed in-process with [`Chain::deploy`], run through the SDK's
//!    router with its own `TestVM` (storage, time) and `msg.sender` = the caller; its own calls
//!    go through the same world, so contracts can call contracts;
//! 3. else the ecrecover precompile at `0x01`, which really recovers the signer (k256);
//! 4. else success with empty return data, as a call to an account without code.
//!
//! CREATE2 of a clone's init code (a constructor returning the code that follows it, as
//! EIP-1167 factories deploy) lands at the EIP-1014 address with that code, in the deploying
//! contract's `TestVM`; any other init code is left to the `TestVM`'s mocked deployments.
//!
//! ```ignore
//! fn feed_entry(input: Vec<u8>, host: VM) -> ArbResult {
//!     stylus_sdk::abi::router_entrypoint::<MockAggregator, MockAggregator>(input, host)
//! }
//! let chain = Chain::new(Address::repeat_byte(0xAD));
//! let feed = chain.deploy(FEED, feed_entry);
//! MockAggregator::from(&feed).initialize(8, "ETH / USD".into())?;
//! let adapter = OracleAdapter::from(&chain); // its static calls to FEED run the mock
//! ```

use std::{cell::RefCell, collections::HashMap, rc::Rc, slice};

use alloy_primitives::{keccak256, Address, B256, U256};
use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
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

/// A contract's router: `stylus_sdk::abi::router_entrypoint::<C, C>` for a contract `C`.
pub type Entry = fn(Vec<u8>, VM) -> ArbResult;

/// Answers a call `(caller, calldata)`, or `None` to let the deployed contract (if any) answer.
pub type Handler = Box<dyn Fn(Address, &[u8]) -> Option<ArbResult>>;

#[derive(Default)]
struct World {
    contracts: HashMap<Address, (Chain, Entry)>,
    handlers: HashMap<Address, Rc<Handler>>,
    log: Vec<(Address, Vec<u8>)>,
}

/// The ecrecover precompile's address.
pub const ECRECOVER: Address = Address::with_last_byte(1);

/// One contract's host in a shared in-process world of contracts.
#[derive(Clone)]
pub struct Chain {
    vm: TestVM,
    world: Rc<RefCell<World>>,
    return_data: Rc<RefCell<Vec<u8>>>,
}

impl Chain {
    /// A new world, and the host of the contract under test at `address`.
    pub fn new(address: Address) -> Self {
        let vm = TestVM::new();
        vm.set_contract_address(address);
        Self::with_vm(vm)
    }

    /// A new world around a `TestVM` already set up (its contract address, code, time).
    pub fn with_vm(vm: TestVM) -> Self {
        Self {
            vm,
            world: Rc::default(),
            return_data: Rc::default(),
        }
    }

    /// This contract's own environment (sender, time, storage, logs).
    pub fn vm(&self) -> &TestVM {
        &self.vm
    }

    /// Deploys a contract at `address` in this world, with the current block time; returns its
    /// host (build the contract with `C::from(&host)` to set it up).
    pub fn deploy(&self, address: Address, entry: Entry) -> Chain {
        let vm = TestVM::new();
        vm.set_contract_address(address);
        vm.set_block_timestamp(self.vm.block_timestamp());
        let host = Chain {
            vm,
            world: self.world.clone(),
            return_data: Rc::default(),
        };
        self.world
            .borrow_mut()
            .contracts
            .insert(address, (host.clone(), entry));
        host
    }

    /// The host of the contract deployed at `address`.
    pub fn contract(&self, address: Address) -> Option<Chain> {
        let world = self.world.borrow();
        world.contracts.get(&address).map(|(host, _)| host.clone())
    }

    /// Calls to `account` go to `handler` first.
    pub fn on_call(&self, account: Address, handler: Handler) {
        self.world
            .borrow_mut()
            .handlers
            .insert(account, Rc::new(handler));
    }

    /// Sets the block time of every contract in the world.
    pub fn set_time(&self, timestamp: u64) {
        self.vm.set_block_timestamp(timestamp);
        for (host, _) in self.world.borrow().contracts.values() {
            host.vm.set_block_timestamp(timestamp);
        }
    }

    /// Every call made in the world so far: (callee, calldata).
    pub fn calls(&self) -> Vec<(Address, Vec<u8>)> {
        self.world.borrow().log.clone()
    }

    fn route(&self, to: Address, data: &[u8]) -> ArbResult {
        let caller = self.vm.contract_address();
        let (handler, contract) = {
            let mut world = self.world.borrow_mut();
            world.log.push((to, data.to_vec()));
            (
                world.handlers.get(&to).cloned(),
                world.contracts.get(&to).cloned(),
            )
        };
        if let Some(answer) = handler.and_then(|h| h(caller, data)) {
            return answer;
        }
        let Some((host, entry)) = contract else {
            return Ok(if to == ECRECOVER {
                ecrecover(data)
            } else {
                Vec::new()
            });
        };
        host.vm.set_sender(caller);
        entry(
            data.to_vec(),
            VM {
                host: Box::new(host),
            },
        )
    }

    /// # Safety
    /// `to` points to 20 bytes and `data` to `data_len` bytes, as the SDK passes them.
    unsafe fn answer(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        outs_len: &mut usize,
    ) -> u8 {
        let to = Address::from_slice(slice::from_raw_parts(to, 20));
        let data = slice::from_raw_parts(data, data_len);
        let (status, output) = match self.route(to, data) {
            Ok(output) => (0, output),
            Err(output) => (1, output),
        };
        *outs_len = output.len();
        *self.return_data.borrow_mut() = output;
        status
    }
}

/// The ecrecover precompile: the signer left-padded to 32 bytes, or nothing if recovery fails.
pub fn ecrecover(input: &[u8]) -> Vec<u8> {
    let mut padded = [0u8; 128];
    let len = input.len().min(128);
    padded[..len].copy_from_slice(&input[..len]);
    let v = U256::from_be_slice(&padded[32..64]);
    let recovery = v
        .checked_sub(U256::from(27))
        .filter(|id| *id <= U256::from(1))
        .and_then(|id| RecoveryId::from_byte(id.to::<u8>()));
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

/// The code a clone's init code deploys: the 10-byte constructor
/// `RETURNDATASIZE PUSH1 n DUP1 PUSH1 10 RETURNDATASIZE CODECOPY DUP2 RETURN` returns the `n`
/// bytes after it. `None` for any other init code.
pub fn clone_runtime(init_code: &[u8]) -> Option<&[u8]> {
    match init_code {
        [0x3d, 0x60, n, 0x80, 0x60, 0x0a, 0x3d, 0x39, 0x81, 0xf3, runtime @ ..]
            if runtime.len() == usize::from(*n) =>
        {
            Some(runtime)
        }
        _ => None,
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
        let init_code = slice::from_raw_parts(code, code_len);
        let Some(runtime) = clone_runtime(init_code) else {
            return self
                .vm
                .create2(code, code_len, endowment, salt, contract, revert_data_len);
        };
        let salt = B256::from_slice(slice::from_raw_parts(salt, 32));
        let address = self
            .vm
            .contract_address()
            .create2(salt, keccak256(init_code));
        let out = slice::from_raw_parts_mut(contract, 20);
        *revert_data_len = 0;
        self.return_data.borrow_mut().clear();
        // An occupied address makes CREATE2 fail, as on chain.
        if self.vm.code_size(address) == 0 {
            self.vm.set_code(address, runtime.to_vec());
            out.copy_from_slice(address.as_slice());
        } else {
            out.fill(0);
        }
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
        _value: *const u8,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        self.answer(to, data, data_len, outs_len)
    }

    unsafe fn static_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        self.answer(to, data, data_len, outs_len)
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

#[cfg(test)]
mod tests {
    use super::*;
    use stylus_sdk::{
        call::static_call, stylus_core::calls::errors::Error, stylus_core::calls::Call,
    };

    const ME: Address = Address::repeat_byte(0x01);
    const ECHO: Address = Address::repeat_byte(0xEC);

    /// Answers with its caller, its block time and the calldata.
    fn echo(input: Vec<u8>, host: VM) -> ArbResult {
        let mut out = host.msg_sender().to_vec();
        out.extend_from_slice(&host.block_timestamp().to_be_bytes());
        out.extend_from_slice(&input);
        Ok(out)
    }

    fn call(chain: &Chain, to: Address, data: &[u8]) -> Result<Vec<u8>, Error> {
        static_call(chain, Call::new(), to, data)
    }

    #[test]
    fn each_call_gets_its_own_answer_from_the_deployed_contract() {
        let chain = Chain::new(ME);
        chain.set_time(7);
        chain.deploy(ECHO, echo);
        chain.set_time(9);
        let answer = call(&chain, ECHO, &[1, 2]).unwrap();
        assert_eq!(&answer[..20], ME.as_slice(), "msg.sender is the caller");
        assert_eq!(
            answer[20..28],
            9u64.to_be_bytes(),
            "time reaches every contract"
        );
        assert_eq!(&answer[28..], &[1, 2]);
        assert_eq!(&call(&chain, ECHO, &[3]).unwrap()[28..], &[3]);
        assert_eq!(chain.calls(), vec![(ECHO, vec![1, 2]), (ECHO, vec![3])]);
        assert!(chain.contract(ECHO).is_some() && chain.contract(ME).is_none());
    }

    #[test]
    fn handlers_answer_first_and_may_let_the_contract_answer() {
        let chain = Chain::new(ME);
        chain.deploy(ECHO, echo);
        chain.on_call(
            ECHO,
            Box::new(|caller, data| {
                assert_eq!(caller, ME);
                (data == [0xFF]).then(|| Err(vec![0xBA, 0xD0]))
            }),
        );
        match call(&chain, ECHO, &[0xFF]) {
            Err(Error::Revert(data)) => assert_eq!(data, vec![0xBA, 0xD0]),
            other => panic!("expected a revert, got {other:?}"),
        }
        assert_eq!(&call(&chain, ECHO, &[5]).unwrap()[28..], &[5]);
    }

    #[test]
    fn ecrecover_recovers_the_signer_and_nothing_for_a_bad_signature() {
        let key = k256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let point = key.verifying_key().to_encoded_point(false);
        let signer = Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..]);
        let digest = keccak256(b"message");
        let (signature, recovery) = key.sign_prehash_recoverable(digest.as_slice()).unwrap();
        let mut input = digest.to_vec();
        input.extend_from_slice(&U256::from(27 + recovery.to_byte()).to_be_bytes::<32>());
        input.extend_from_slice(&signature.to_bytes());
        let chain = Chain::new(ME);
        let answer = call(&chain, ECRECOVER, &input).unwrap();
        assert_eq!(answer[..12], [0u8; 12]);
        assert_eq!(Address::from_slice(&answer[12..]), signer);
        input[63] = 29;
        assert!(call(&chain, ECRECOVER, &input).unwrap().is_empty());
    }

    #[test]
    fn create2_of_a_clone_lands_at_the_eip1014_address_once() {
        let runtime = [0xAAu8; 3];
        let mut init_code = vec![0x3d, 0x60, 3, 0x80, 0x60, 0x0a, 0x3d, 0x39, 0x81, 0xf3];
        init_code.extend_from_slice(&runtime);
        assert_eq!(clone_runtime(&init_code), Some(&runtime[..]));
        assert_eq!(clone_runtime(&init_code[..12]), None, "length must match");
        let chain = Chain::new(ME);
        let salt = B256::repeat_byte(5);
        let create2 = |chain: &Chain| {
            let mut contract = [0xFFu8; 20];
            let mut revert_len = 1;
            // SAFETY: every pointer is to a live buffer of the length the host reads or writes.
            unsafe {
                chain.create2(
                    init_code.as_ptr(),
                    init_code.len(),
                    [0u8; 32].as_ptr(),
                    salt.as_ptr(),
                    contract.as_mut_ptr(),
                    &mut revert_len,
                )
            };
            assert_eq!(revert_len, 0);
            Address::from(contract)
        };
        let expected = ME.create2(salt, keccak256(&init_code));
        assert_eq!(create2(&chain), expected);
        assert_eq!(chain.vm().code(expected), runtime.to_vec());
        assert_eq!(create2(&chain), Address::ZERO, "the address is taken");
    }

    #[test]
    fn accounts_without_code_succeed_with_nothing() {
        let chain = Chain::new(ME);
        assert_eq!(
            call(&chain, Address::repeat_byte(0x42), &[1]).unwrap(),
            Vec::<u8>::new()
        );
    }
}
