//! Shared helpers of the devnet tests: fixture builds, deployment, calls.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::SystemTime;

use alloy_primitives::{hex, Address, Bytes, U256};
use alloy_sol_types::{sol, SolCall};
use devnet_chain::{Chain, ChainConfig, Receipt, TxRequest};

sol! {
    interface ArbWasm {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
        function stylusVersion() external view returns (uint16 version);
        function codehashVersion(bytes32 codehash) external view returns (uint16 version);
        function programVersion(address program) external view returns (uint16 version);
        function programInitGas(address program) external view returns (uint64 gas, uint64 gasWhenCached);
        function programMemoryFootprint(address program) external view returns (uint16 footprint);
        function programTimeLeft(address program) external view returns (uint64 secs);
        function inkPrice() external view returns (uint32 price);
        function codehashKeepalive(bytes32 codehash) external payable returns (uint256 dataFee);
        error ProgramNotActivated();
        error ProgramExpired(uint64 ageInSeconds);
        error ProgramKeepaliveTooSoon(uint64 ageInSeconds);
        error ProgramUpToDate();
        error ProgramNotWasm();
        error ProgramInsufficientValue(uint256 have, uint256 want);
    }

    interface ArbSys {
        function arbBlockNumber() external view returns (uint256);
        function arbChainID() external view returns (uint256);
        function arbOSVersion() external view returns (uint256);
    }

    interface ICounter {
        function number() external view returns (uint256);
        function increment() external;
        function setNumber(uint256 value) external;
    }

    interface ICaller {
        function forward(address target, bytes data) external payable returns (bytes);
        function forwardStatic(address target, bytes data) external view returns (bytes);
        function forwardDelegate(address target, bytes data) external payable returns (bytes);
        function tryForward(address target, bytes data) external payable returns (bool ok, bytes ret);
        function forwardThenRevert(address target, bytes data) external;
        function touch() external;
        function touched() external view returns (uint256);
    }

    interface IProbe {
        event Ping(address indexed from, uint256 value, bytes data);
        function forward(address target, bytes data) external payable returns (bytes);
        function forwardStatic(address target, bytes data) external view returns (bytes);
        function forwardDelegate(address target, bytes data) external payable returns (bytes);
        function tryForward(address target, bytes data, uint64 gas) external returns (bool, bytes);
        function deploy(bytes code, bytes32 salt, uint256 endowment) external payable returns (address);
        function ping(uint256 value, bytes data) external;
        function env() external view returns (address, address, uint256, uint64, uint64, uint64, uint256, uint256, address, address, uint64, uint32);
        function account(address who) external view returns (uint256, bytes32, uint256, bytes);
        function hash(bytes data) external view returns (bytes32);
        function gasLeft() external view returns (uint64, uint64);
        function load(uint256 key) external view returns (bytes32);
        function store(uint256 key, bytes32 value) external;
        function storeUnflushed(uint256 key, bytes32 value) external;
        function calls() external view returns (uint256);
        function fail(bytes message) external;
    }
}

pub const ARB_WASM: Address = devnet_chain::params::ARB_WASM;
pub const ARB_SYS: Address = devnet_chain::params::ARB_SYS;
pub const GENESIS_TIME: u64 = 1_767_254_400; // 2026-01-01T08:00:00Z

/// A chain with a fixed genesis time.
pub fn chain() -> Chain {
    Chain::new(ChainConfig {
        genesis_timestamp: Some(GENESIS_TIME),
        ..ChainConfig::default()
    })
}

/// The first dev account.
pub fn alice(chain: &Chain) -> Address {
    chain.dev_accounts()[0].address
}

/// The second dev account.
pub fn bob(chain: &Chain) -> Address {
    chain.dev_accounts()[1].address
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn newest_mtime(dir: &Path) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            newest_mtime(&path)
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(newest)
        };
        newest = newest.max(time);
    }
    newest
}

static BUILD: Mutex<()> = Mutex::new(());

/// The WASM of SDK fixture `name` (crate `devnet-fixture-<name>`), rebuilt when its sources are newer.
pub fn fixture_wasm(name: &str) -> Vec<u8> {
    let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let wasm = target
        .join("wasm32-unknown-unknown/release")
        .join(format!("devnet_fixture_{name}.wasm"));
    let sources = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    let built = std::fs::metadata(&wasm).and_then(|m| m.modified()).ok();
    if built.is_none_or(|t| t < newest_mtime(&sources)) {
        let status = Command::new(env!("CARGO"))
            .current_dir(&root)
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-unknown-unknown",
                "--lib",
            ])
            .args(["-p", &format!("devnet-fixture-{name}")])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "fixture {name} builds");
    }
    std::fs::read(&wasm).expect("fixture WASM exists")
}

/// WASM from text.
pub fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("valid WAT")
}

/// On-chain Stylus code for `wasm`, processed as cargo-stylus does.
pub fn stylus_code(wasm: &[u8]) -> Vec<u8> {
    let processed = stylus_program::process::process(wasm, [7u8; 32]).expect("processable WASM");
    stylus_program::encode(&processed)
}

/// Sends `tx` and returns its receipt, which must succeed.
pub fn send_ok(chain: &Chain, tx: TxRequest) -> Receipt {
    let receipt = chain.send_transaction(tx).expect("transaction is valid");
    assert!(
        receipt.status,
        "transaction failed: halt {:?}, output 0x{}",
        receipt.halt,
        hex::encode(&receipt.output)
    );
    receipt
}

/// Deploys `code` with the 43-byte prelude (plain CREATE) without activating it.
pub fn deploy_code(chain: &Chain, from: Address, code: &[u8]) -> Address {
    let init = stylus_program::init_code(code);
    let receipt = send_ok(chain, TxRequest::create(from, init));
    receipt.contract_address.expect("created")
}

/// Activates the program at `program`, paying a generous fee (the rest is refunded).
pub fn activate(chain: &Chain, from: Address, program: Address) -> Receipt {
    let data = ArbWasm::activateProgramCall { program }.abi_encode();
    chain
        .send_transaction(
            TxRequest::call(from, ARB_WASM, data)
                .with_value(U256::from(10u64).pow(U256::from(17u64))),
        )
        .expect("valid transaction")
}

/// Deploys and activates a Stylus program.
pub fn deploy_stylus(chain: &Chain, from: Address, wasm: &[u8]) -> Address {
    let program = deploy_code(chain, from, &stylus_code(wasm));
    let receipt = activate(chain, from, program);
    assert!(
        receipt.status,
        "activation failed: 0x{}",
        hex::encode(&receipt.output)
    );
    program
}

/// Deploys EVM creation code given as hex.
pub fn deploy_evm(chain: &Chain, from: Address, creation_hex: &str) -> Address {
    let code = hex::decode(creation_hex.trim()).expect("hex");
    send_ok(chain, TxRequest::create(from, code))
        .contract_address
        .expect("created")
}

/// The Solidity fixtures' creation code.
pub const COUNTER_SOL: &str = include_str!("../../fixtures/sol/Counter.bin");
pub const CALLER_SOL: &str = include_str!("../../fixtures/sol/Caller.bin");

/// Calls `to` read-only and decodes the return value of `C`.
pub fn view<C: SolCall>(chain: &Chain, to: Address, call: C) -> C::Return {
    let out = chain
        .call(TxRequest::call(Address::ZERO, to, call.abi_encode()))
        .expect("valid call");
    assert!(out.success, "view reverted: 0x{}", hex::encode(&out.output));
    C::abi_decode_returns(&out.output).expect("decodable return")
}

/// Sends `call` to `to` from `from`; returns the receipt (which may have failed).
pub fn send<C: SolCall>(chain: &Chain, from: Address, to: Address, call: C) -> Receipt {
    chain
        .send_transaction(TxRequest::call(from, to, call.abi_encode()))
        .expect("valid transaction")
}

/// Bytes helper.
pub fn bytes(data: impl Into<Vec<u8>>) -> Bytes {
    Bytes::from(data.into())
}
