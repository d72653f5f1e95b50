//! The chain API: signed and unsigned transactions, receipts and logs, blocks and the clock,
//! snapshots, state edits, gas estimation and ArbSys.

mod common;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, Signature, TxKind, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use common::*;
use devnet_chain::{ChainError, LogFilter, TxRequest};
use k256::ecdsa::SigningKey;

fn sign(tx: TxEip1559, key: &B256) -> Bytes {
    let signer = SigningKey::from_slice(key.as_slice()).unwrap();
    let (sig, recid) = signer
        .sign_prehash_recoverable(tx.signature_hash().as_slice())
        .unwrap();
    let signature = Signature::from_signature_and_parity(sig, recid.is_y_odd());
    TxEnvelope::from(tx.into_signed(signature))
        .encoded_2718()
        .into()
}

#[test]
fn signed_transactions_are_recovered_and_mined() {
    let chain = chain();
    let account = chain.dev_accounts()[2].clone();
    let counter = deploy_evm(&chain, alice(&chain), COUNTER_SOL);
    let tx = TxEip1559 {
        chain_id: chain.chain_id(),
        nonce: 0,
        gas_limit: 100_000,
        max_fee_per_gas: 1_000_000_000,
        max_priority_fee_per_gas: 0,
        to: TxKind::Call(counter),
        value: U256::ZERO,
        access_list: Default::default(),
        input: ICounter::incrementCall {}.abi_encode().into(),
    };
    let raw = sign(tx.clone(), &account.private_key);
    let receipt = chain.send_raw_transaction(raw.clone()).unwrap();
    assert!(receipt.status);
    assert_eq!(receipt.from, account.address);
    assert_eq!(
        view(&chain, counter, ICounter::numberCall {}),
        U256::from(1)
    );
    let info = chain.transaction(receipt.tx_hash).unwrap().unwrap();
    assert_eq!(info.raw, Some(raw.clone()));
    assert_eq!(chain.nonce(account.address).unwrap(), 1);

    // Replaying the same nonce, a wrong chain id, or garbage are refused without mining.
    let height = chain.block_number().unwrap();
    assert!(matches!(
        chain.send_raw_transaction(raw),
        Err(ChainError::InvalidTransaction(_))
    ));
    let wrong_chain = sign(
        TxEip1559 {
            chain_id: 1,
            nonce: 1,
            ..tx
        },
        &account.private_key,
    );
    assert!(matches!(
        chain.send_raw_transaction(wrong_chain),
        Err(ChainError::InvalidTransaction(_))
    ));
    assert!(matches!(
        chain.send_raw_transaction(Bytes::from_static(b"\x02junk")),
        Err(ChainError::Malformed(_))
    ));
    assert_eq!(chain.block_number().unwrap(), height);
}

#[test]
fn blocks_clock_and_snapshots() {
    let chain = chain();
    let alice = alice(&chain);
    let genesis = chain.latest_block().unwrap();
    assert_eq!((genesis.number, genesis.timestamp), (0, GENESIS_TIME));

    chain.advance_time(3600).unwrap();
    let block = chain.mine().unwrap();
    assert_eq!(block.number, 1);
    assert_eq!(block.timestamp, GENESIS_TIME + 3600);
    assert_eq!(block.parent_hash, genesis.hash);
    chain.set_next_timestamp(GENESIS_TIME + 86_400).unwrap();
    assert_eq!(chain.mine().unwrap().timestamp, GENESIS_TIME + 86_400);
    assert!(
        chain.set_next_timestamp(GENESIS_TIME).is_err(),
        "no going back"
    );
    assert_eq!(
        chain.mine().unwrap().timestamp,
        GENESIS_TIME + 86_400,
        "time stands still"
    );

    let counter = deploy_evm(&chain, alice, COUNTER_SOL);
    let id = chain.snapshot().unwrap();
    let receipt = send(&chain, alice, counter, ICounter::incrementCall {});
    let height = chain.block_number().unwrap();
    chain.set_balance(alice, U256::from(1)).unwrap();
    assert!(chain.revert(id).unwrap());
    assert_eq!(view(&chain, counter, ICounter::numberCall {}), U256::ZERO);
    assert_eq!(chain.block_number().unwrap(), height - 1);
    assert!(chain.receipt(receipt.tx_hash).unwrap().is_none());
    assert!(chain.balance(alice).unwrap() > U256::from(1));
    assert!(!chain.revert(id).unwrap(), "a snapshot is used once");

    // ArbSys sees the chain.
    let number = view(&chain, ARB_SYS, ArbSys::arbBlockNumberCall {});
    assert_eq!(number, U256::from(chain.block_number().unwrap() + 1));
    assert_eq!(
        view(&chain, ARB_SYS, ArbSys::arbChainIDCall {}),
        U256::from(412_346)
    );
    assert_eq!(
        view(&chain, ARB_SYS, ArbSys::arbOSVersionCall {}),
        U256::from(55 + 50)
    );
}

#[test]
fn state_edits_logs_and_estimates() {
    let chain = chain();
    let alice = alice(&chain);
    let who = Address::repeat_byte(0x42);
    chain.set_balance(who, U256::from(123)).unwrap();
    chain.set_nonce(who, 7).unwrap();
    chain
        .set_storage(who, U256::from(1), U256::from(2))
        .unwrap();
    chain.set_code(who, Bytes::from_static(&[0x00])).unwrap();
    assert_eq!(chain.balance(who).unwrap(), U256::from(123));
    assert_eq!(chain.nonce(who).unwrap(), 7);
    assert_eq!(chain.storage(who, U256::from(1)).unwrap(), U256::from(2));
    assert_eq!(&chain.code(who).unwrap()[..], &[0x00]);

    let probe = deploy_stylus(&chain, alice, &fixture_wasm("probe"));
    let from_block = chain.block_number().unwrap() + 1;
    for value in 1..=3u64 {
        let ping = IProbe::pingCall {
            value: U256::from(value),
            data: Bytes::new(),
        };
        assert!(send(&chain, alice, probe, ping).status);
    }
    let all = chain
        .logs(LogFilter {
            from_block: Some(from_block),
            addresses: vec![probe],
            ..LogFilter::default()
        })
        .unwrap();
    assert_eq!(all.len(), 3);
    let topic = vec![vec![IProbe::Ping::SIGNATURE_HASH], vec![alice.into_word()]];
    let filtered = chain
        .logs(LogFilter {
            from_block: Some(from_block + 1),
            topics: topic,
            ..LogFilter::default()
        })
        .unwrap();
    assert_eq!(filtered.len(), 2);
    assert_eq!(filtered[0].block_number, from_block + 1);

    let increment = TxRequest::call(
        alice,
        deploy_evm(&chain, alice, COUNTER_SOL),
        ICounter::incrementCall {}.abi_encode(),
    );
    let estimate = chain.estimate_gas(increment.clone()).unwrap();
    assert!(send_ok(&chain, increment.clone().with_gas(estimate)).status);
    let stylus = deploy_stylus(&chain, alice, &fixture_wasm("counter"));
    let stylus_increment = TxRequest::call(alice, stylus, ICounter::incrementCall {}.abi_encode());
    let estimate = chain.estimate_gas(stylus_increment.clone()).unwrap();
    let receipt = send_ok(&chain, stylus_increment.clone().with_gas(estimate));
    assert!(receipt.gas_used <= estimate);
    // First write of a slot: 20,000 for SSTORE, 21,000 intrinsic, init costs on top.
    assert!(
        receipt.gas_used > 41_000 && receipt.gas_used < 80_000,
        "{}",
        receipt.gas_used
    );
    let failing = chain
        .send_transaction(stylus_increment.with_gas(estimate / 2))
        .unwrap();
    assert!(!failing.status, "too little gas fails");
}
