//! The host functions, one behaviour at a time: hand-written WAT for the edge cases
//! (`fixtures/wat/ops.wat`) and the SDK probe for what real programs do.

mod common;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolEvent, SolValue};
use common::*;
use devnet_chain::{Chain, Receipt, TxRequest};

const OPS: &str = include_str!("../fixtures/wat/ops.wat");

fn word(x: U256) -> [u8; 32] {
    x.to_be_bytes()
}

fn ops(chain: &Chain) -> Address {
    deploy_stylus(chain, alice(chain), &wat(OPS))
}

fn run(chain: &Chain, program: Address, op: u8, operands: &[u8]) -> Receipt {
    let mut data = vec![op];
    data.extend_from_slice(operands);
    chain
        .send_transaction(TxRequest::call(alice(chain), program, data))
        .expect("valid transaction")
}

fn math(chain: &Chain, program: Address, op: u8, args: [U256; 3]) -> U256 {
    let operands: Vec<u8> = args.iter().flat_map(|a| word(*a)).collect();
    let receipt = run(chain, program, op, &operands);
    assert!(receipt.status);
    U256::from_be_slice(&receipt.output)
}

#[test]
fn math_hostios_follow_evm_semantics() {
    let chain = chain();
    let p = ops(&chain);
    let u = U256::from;
    assert_eq!(math(&chain, p, 1, [u(10), u(3), u(0)]), u(3));
    assert_eq!(
        math(&chain, p, 1, [u(10), u(0), u(0)]),
        u(0),
        "div by zero is 0"
    );
    assert_eq!(math(&chain, p, 2, [u(10), u(3), u(0)]), u(1));
    assert_eq!(
        math(&chain, p, 2, [u(10), u(0), u(0)]),
        u(0),
        "mod by zero is 0"
    );
    assert_eq!(math(&chain, p, 3, [u(2), u(10), u(0)]), u(1024));
    assert_eq!(math(&chain, p, 3, [u(2), u(256), u(0)]), u(0), "pow wraps");
    assert_eq!(
        math(&chain, p, 4, [U256::MAX, u(2), u(7)]),
        U256::MAX.add_mod(u(2), u(7))
    );
    assert_eq!(math(&chain, p, 4, [u(5), u(2), u(0)]), u(0));
    assert_eq!(
        math(&chain, p, 5, [U256::MAX, U256::MAX, u(12345)]),
        U256::MAX.mul_mod(U256::MAX, u(12345))
    );
    assert_eq!(math(&chain, p, 5, [u(5), u(2), u(0)]), u(0));
}

#[test]
fn transient_storage_lasts_one_transaction() {
    let chain = chain();
    let p = ops(&chain);
    let key = word(U256::from(7));
    let value = word(U256::from(0xBEEF));
    let stored = run(&chain, p, 6, &[key, value].concat());
    assert!(stored.status);
    assert_eq!(&stored.output[..], &value);
    let later = run(&chain, p, 7, &key);
    assert!(later.status);
    assert_eq!(
        &later.output[..],
        &[0u8; 32],
        "gone in the next transaction"
    );
}

#[test]
fn exit_early_returns_or_reverts_with_the_written_result() {
    let chain = chain();
    let p = ops(&chain);
    let ok = run(&chain, p, 8, &[0]);
    assert!(ok.status);
    assert_eq!(&ok.output[..], b"early");
    let reverted = run(&chain, p, 8, &[3]);
    assert!(!reverted.status);
    assert!(reverted.halt.is_none(), "a revert, not a halt");
    assert_eq!(&reverted.output[..], b"early");
}

#[test]
fn traps_revert_and_the_chain_keeps_serving() {
    let chain = chain();
    let p = ops(&chain);
    for op in [9u8, 12, 21] {
        let receipt = run(&chain, p, op, &[]);
        assert!(!receipt.status, "op {op} fails");
        assert!(receipt.output.is_empty());
    }
    let deep = run(&chain, p, 14, &[]);
    assert!(!deep.status, "unbounded recursion fails");
    assert!(deep.halt.is_some(), "out of stack halts like ErrDepth");
    // Still serving.
    assert_eq!(
        math(&chain, p, 1, [U256::from(9), U256::from(3), U256::ZERO]),
        U256::from(3)
    );
}

#[test]
fn an_endless_loop_runs_out_of_ink_like_out_of_gas() {
    let chain = chain();
    let p = ops(&chain);
    let gas = 2_000_000;
    let receipt = chain
        .send_transaction(TxRequest::call(alice(&chain), p, vec![10u8]).with_gas(gas))
        .unwrap();
    assert!(!receipt.status);
    assert!(
        receipt
            .halt
            .as_deref()
            .is_some_and(|h| h.contains("OutOfGas")),
        "{:?}",
        receipt.halt
    );
    assert_eq!(receipt.gas_used, gas, "all gas is consumed");
}

#[test]
fn memory_growth_is_paid_and_bounded() {
    let chain = chain();
    let p = ops(&chain);
    let small = run(&chain, p, 11, &[1]);
    assert!(small.status);
    assert_eq!(
        U256::from_be_slice(&small.output),
        U256::from(1),
        "old size returned"
    );
    let big = run(&chain, p, 11, &[8]);
    assert!(big.status);
    assert!(big.gas_used > small.gas_used, "more pages cost more gas");
    let too_big = run(&chain, p, 11, &[100]);
    assert!(too_big.status);
    assert_eq!(
        U256::from_be_slice(&too_big.output),
        U256::from(u32::MAX),
        "beyond the maximum: -1"
    );
}

#[test]
fn return_data_is_read_partially() {
    let chain = chain();
    let alice = alice(&chain);
    let p = ops(&chain);
    let counter = deploy_evm(&chain, alice, COUNTER_SOL);
    send_ok(
        &chain,
        TxRequest::call(
            alice,
            counter,
            ICounter::setNumberCall {
                value: U256::from(0x1234),
            }
            .abi_encode(),
        ),
    );
    let mut operands = counter.to_vec();
    operands.extend([16u8, 32u8]); // offset 16, size 32: only 16 bytes exist there
    operands.extend(ICounter::numberCall {}.abi_encode());
    let receipt = run(&chain, p, 13, &operands);
    assert!(receipt.status);
    let out = &receipt.output;
    let field = |i: usize| U256::from_be_slice(&out[i * 32..(i + 1) * 32]);
    assert_eq!(field(0), U256::ZERO, "call status ok");
    assert_eq!(field(1), U256::from(32), "return_data_size");
    assert_eq!(field(2), U256::from(16), "bytes copied stop at the end");
    assert_eq!(field(3), U256::from(32), "length reported by the call");
    assert_eq!(&out[0x80..0x90], &word(U256::from(0x1234))[16..]);
}

#[test]
fn logs_carry_topics_and_data_and_refuse_five_topics() {
    let chain = chain();
    let p = ops(&chain);
    let topics = [B256::repeat_byte(1), B256::repeat_byte(2)];
    let mut operands = vec![2u8];
    operands.extend(topics.iter().flat_map(|t| t.0));
    operands.extend(b"payload");
    let receipt = run(&chain, p, 15, &operands);
    assert!(receipt.status);
    let log = &receipt.logs[0].log;
    assert_eq!(log.address, p);
    assert_eq!(log.data.topics(), &topics);
    assert_eq!(&log.data.data[..], b"payload");

    let mut five = vec![5u8];
    five.extend([0u8; 32 * 5]);
    assert!(!run(&chain, p, 15, &five).status);
}

#[test]
fn storage_cache_persists_only_when_flushed() {
    let chain = chain();
    let p = ops(&chain);
    let key = word(U256::from(3));
    let value = word(U256::from(99));
    assert!(run(&chain, p, 16, &[&key[..], &value[..], &[0]].concat()).status);
    assert_eq!(
        chain.storage(p, U256::from(3)).unwrap(),
        U256::ZERO,
        "unflushed write lost"
    );
    assert!(run(&chain, p, 16, &[&key[..], &value[..], &[1]].concat()).status);
    assert_eq!(chain.storage(p, U256::from(3)).unwrap(), U256::from(99));
    let loaded = run(&chain, p, 17, &key);
    assert_eq!(&loaded.output[..], &value);
}

#[test]
fn writes_in_a_static_context_fail() {
    let chain = chain();
    let alice = alice(&chain);
    let p = ops(&chain);
    let caller = deploy_evm(&chain, alice, CALLER_SOL);
    let mut data = vec![16u8];
    data.extend(word(U256::from(1)));
    data.extend(word(U256::from(2)));
    data.push(1);
    let call = ICaller::forwardStaticCall {
        target: p,
        data: data.into(),
    };
    let receipt = send(&chain, alice, caller, call);
    assert!(!receipt.status);
    assert_eq!(chain.storage(p, U256::from(1)).unwrap(), U256::ZERO);
}

#[test]
fn gas_ink_keccak_and_reentrancy_flag() {
    let chain = chain();
    let p = ops(&chain);
    let receipt = chain
        .send_transaction(TxRequest::call(alice(&chain), p, vec![19u8]).with_gas(1_000_000))
        .unwrap();
    assert!(receipt.status);
    let gas = U256::from_be_slice(&receipt.output[..32]);
    let ink_as_gas = U256::from_be_slice(&receipt.output[32..64]);
    assert!(
        gas > U256::from(900_000) && gas < U256::from(1_000_000),
        "{gas}"
    );
    assert!(
        ink_as_gas <= gas && gas - ink_as_gas < U256::from(10),
        "ink tracks gas"
    );

    let hashed = run(&chain, p, 20, b"hello stylus");
    assert_eq!(&hashed.output[..], keccak256(b"hello stylus").as_slice());

    let direct = run(&chain, p, 18, &[]);
    assert_eq!(U256::from_be_slice(&direct.output), U256::ZERO);
}

#[test]
fn msg_reentrant_is_set_when_the_program_is_reentered() {
    let chain = chain();
    let alice = alice(&chain);
    let p = ops(&chain);
    let caller = deploy_evm(&chain, alice, CALLER_SOL);
    // ops -> Caller.forward(ops, [18]) -> ops: the inner frame is reentrant.
    let inner = ICaller::forwardCall {
        target: p,
        data: vec![18u8].into(),
    }
    .abi_encode();
    let mut operands = caller.to_vec();
    operands.extend([0u8, 255u8]);
    operands.extend(inner);
    let receipt = run(&chain, p, 13, &operands);
    assert!(receipt.status);
    let copied = &receipt.output[0x80..];
    let returned = Bytes::abi_decode(&copied[..96]).unwrap();
    assert_eq!(U256::from_be_slice(&returned), U256::from(1));
}

#[test]
fn sdk_probe_sees_block_tx_and_account_data() {
    let chain = chain();
    let alice = alice(&chain);
    let bob = bob(&chain);
    let probe = deploy_stylus(&chain, alice, &fixture_wasm("probe"));
    chain.set_next_timestamp(GENESIS_TIME + 1000).unwrap();
    let receipt = send(&chain, alice, probe, IProbe::envCall {});
    assert!(receipt.status);
    let env = IProbe::envCall::abi_decode_returns(&receipt.output).unwrap();
    assert_eq!(env._0, alice, "msg.sender");
    assert_eq!(env._1, alice, "tx.origin");
    assert_eq!(env._2, U256::ZERO);
    assert_eq!(env._3, receipt.block_number);
    assert_eq!(env._4, GENESIS_TIME + 1000);
    assert_eq!(env._5, chain.chain_id());
    let block = chain.block(receipt.block_number).unwrap().unwrap();
    assert_eq!(env._6, U256::from(block.base_fee));
    assert_eq!(env._7, U256::from(receipt.effective_gas_price));
    assert_eq!(env._8, block.coinbase);
    assert_eq!(env._9, probe);
    assert_eq!(env._10, block.gas_limit);
    assert_eq!(env._11, 10_000);

    let caller = deploy_evm(&chain, alice, CALLER_SOL);
    let account = view(&chain, probe, IProbe::accountCall { who: caller });
    let code = chain.code(caller).unwrap();
    assert_eq!(account._0, U256::ZERO);
    assert_eq!(account._1, keccak256(&code));
    assert_eq!(account._2, U256::from(code.len()));
    assert_eq!(account._3, code);
    let eoa = view(&chain, probe, IProbe::accountCall { who: bob });
    assert_eq!(eoa._0, chain.balance(bob).unwrap());
    assert_eq!(eoa._1, keccak256([]));
    let nobody = view(
        &chain,
        probe,
        IProbe::accountCall {
            who: Address::repeat_byte(0x77),
        },
    );
    assert_eq!(nobody._1, B256::ZERO, "no account: zero code hash");

    assert_eq!(
        view(
            &chain,
            probe,
            IProbe::hashCall {
                data: Bytes::from_static(b"abc")
            }
        ),
        keccak256(b"abc")
    );
    let (gas, ink) = {
        let r = view(&chain, probe, IProbe::gasLeftCall {});
        (r._0, r._1)
    };
    assert!(
        gas > 0 && ink / 10_000 <= gas && gas - ink / 10_000 < 10,
        "{gas} {ink}"
    );
}

#[test]
fn sdk_probe_logs_and_raw_storage() {
    let chain = chain();
    let alice = alice(&chain);
    let probe = deploy_stylus(&chain, alice, &fixture_wasm("probe"));
    let receipt = send(
        &chain,
        alice,
        probe,
        IProbe::pingCall {
            value: U256::from(5),
            data: Bytes::from_static(b"x"),
        },
    );
    assert!(receipt.status);
    let ping = IProbe::Ping::decode_log(&receipt.logs[0].log).unwrap().data;
    assert_eq!(
        (ping.from, ping.value, &ping.data[..]),
        (alice, U256::from(5), &b"x"[..])
    );

    let key = U256::from(0xABCDu64);
    let value = B256::repeat_byte(0x42);
    assert!(send(&chain, alice, probe, IProbe::storeCall { key, value }).status);
    assert_eq!(view(&chain, probe, IProbe::loadCall { key }), value);
    assert_eq!(
        chain.storage(probe, key).unwrap(),
        U256::from_be_bytes(value.0)
    );
    let other = U256::from(1);
    assert!(
        send(
            &chain,
            alice,
            probe,
            IProbe::storeUnflushedCall { key: other, value }
        )
        .status
    );
    // The SDK flushes after every call, so even "unflushed" writes persist through it.
    assert_eq!(
        chain.storage(probe, other).unwrap(),
        U256::from_be_bytes(value.0)
    );

    let failed = send(
        &chain,
        alice,
        probe,
        IProbe::failCall {
            message: Bytes::from_static(b"nope"),
        },
    );
    assert!(!failed.status);
    assert_eq!(&failed.output[..], b"nope");
}
