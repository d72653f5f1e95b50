//! State that outlives the moment: state files (dump, load, atomic save) and the bounded
//! history behind queries at older block tags.

mod common;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolCall, SolEvent};
use common::*;
use devnet_chain::{Chain, ChainConfig, ChainError, LogFilter, TxRequest};

fn chain_with_history(depth: usize) -> Chain {
    Chain::new(ChainConfig {
        genesis_timestamp: Some(GENESIS_TIME),
        history_depth: depth,
        ..ChainConfig::default()
    })
}

/// A chain holding a Stylus counter (activated, incremented twice), a probe that logged, an EVM
/// counter (incremented once) and some direct state edits.
struct Deployed {
    chain: Chain,
    stylus: Address,
    probe: Address,
    evm: Address,
}

fn deployed() -> Deployed {
    let chain = chain();
    let alice = alice(&chain);
    let stylus = deploy_stylus(&chain, alice, &fixture_wasm("counter"));
    for _ in 0..2 {
        send_ok(
            &chain,
            TxRequest::call(alice, stylus, ICounter::incrementCall {}.abi_encode()),
        );
    }
    let probe = deploy_stylus(&chain, alice, &fixture_wasm("probe"));
    let ping = IProbe::pingCall {
        value: U256::from(7),
        data: Bytes::from_static(b"kept"),
    };
    assert!(send(&chain, alice, probe, ping).status);
    let evm = deploy_evm(&chain, alice, COUNTER_SOL);
    assert!(send(&chain, alice, evm, ICounter::incrementCall {}).status);
    let stranger = Address::repeat_byte(0x42);
    chain.set_balance(stranger, U256::from(12345)).unwrap();
    chain
        .set_storage(stranger, U256::from(9), U256::from(99))
        .unwrap();
    chain.advance_time(3600).unwrap();
    Deployed {
        chain,
        stylus,
        probe,
        evm,
    }
}

#[test]
fn a_loaded_state_is_the_chain_that_was_dumped() {
    let Deployed {
        chain: original,
        stylus,
        probe,
        evm,
    } = deployed();
    let alice = alice(&original);
    let snapshot = original.snapshot().unwrap();
    let dump = original.dump_state().unwrap();

    let restored = chain();
    restored.load_state(&dump).unwrap();
    assert_eq!(
        restored.dump_state().unwrap(),
        dump,
        "dump → load → dump is the identity"
    );
    assert_eq!(restored.latest_block(), original.latest_block());
    for n in 0..=original.block_number().unwrap() {
        let block = original.block(n).unwrap().unwrap();
        assert_eq!(restored.block(n).unwrap().as_ref(), Some(&block));
        for hash in &block.transactions {
            assert_eq!(
                restored.receipt(*hash).unwrap(),
                original.receipt(*hash).unwrap()
            );
            assert_eq!(
                restored.transaction(*hash).unwrap(),
                original.transaction(*hash).unwrap()
            );
        }
    }
    let pings = LogFilter {
        addresses: vec![probe],
        topics: vec![vec![IProbe::Ping::SIGNATURE_HASH]],
        ..LogFilter::default()
    };
    let logs = restored.logs(pings.clone()).unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs, original.logs(pings).unwrap());
    let stranger = Address::repeat_byte(0x42);
    for address in [alice, stylus, probe, evm, stranger] {
        assert_eq!(restored.balance(address), original.balance(address));
        assert_eq!(restored.nonce(address), original.nonce(address));
        assert_eq!(restored.code(address), original.code(address));
    }
    assert_eq!(
        restored.storage(stranger, U256::from(9)).unwrap(),
        U256::from(99)
    );
    assert_eq!(
        view(&restored, stylus, ICounter::numberCall {}),
        U256::from(2)
    );
    assert_eq!(view(&restored, evm, ICounter::numberCall {}), U256::from(1));

    // The clock carries on where it was, an hour ahead.
    let next = restored.mine().unwrap();
    assert_eq!(
        restored.latest_block().unwrap().timestamp,
        original.latest_block().unwrap().timestamp + 3600
    );
    assert_eq!(next.parent_hash, original.latest_block().unwrap().hash);

    // The program runs without a new activation, and snapshot ids are not reused.
    send_ok(
        &restored,
        TxRequest::call(alice, stylus, ICounter::incrementCall {}.abi_encode()),
    );
    assert_eq!(
        view(&restored, stylus, ICounter::numberCall {}),
        U256::from(3)
    );
    assert!(
        !restored.revert(snapshot).unwrap(),
        "snapshots are not kept"
    );
    assert!(restored.snapshot().unwrap() > snapshot);
}

#[test]
fn state_files_are_written_atomically_and_read_back() {
    let Deployed { chain, stylus, .. } = deployed();
    let dir = std::env::temp_dir().join(format!("devnet-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.json");
    chain.save_state(&path).unwrap();
    send_ok(
        &chain,
        TxRequest::call(
            alice(&chain),
            stylus,
            ICounter::incrementCall {}.abi_encode(),
        ),
    );
    chain.save_state(&path).unwrap();
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "no temporary file is left behind");

    let restored = self::chain();
    restored.load_state_file(&path).unwrap();
    assert_eq!(
        view(&restored, stylus, ICounter::numberCall {}),
        U256::from(3)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn refusal(chain: &Chain, bytes: &[u8]) -> String {
    match chain.load_state(bytes) {
        Err(ChainError::StateFile(message)) => message,
        other => panic!("expected a state file error, got {other:?}"),
    }
}

#[test]
fn bad_state_files_are_refused_with_a_reason_and_change_nothing() {
    let Deployed { chain: source, .. } = deployed();
    let dump = source.dump_state().unwrap();
    let mut json: serde_json::Value = serde_json::from_slice(&dump).unwrap();
    let target = chain();
    let height = target.block_number().unwrap();

    assert!(refusal(&target, b"").contains("not a devnet state file"));
    assert!(refusal(&target, b"{\"blocks\": []}").contains("not a devnet state file"));
    assert!(refusal(&target, &dump[..dump.len() / 2]).contains("not a devnet state file"));

    let mut future = json.clone();
    future["version"] = 2.into();
    let message = refusal(&target, &serde_json::to_vec(&future).unwrap());
    assert!(
        message.contains("version 2") && message.contains("reads version 1"),
        "{message}"
    );

    let mut other_chain = json.clone();
    other_chain["chain_id"] = 1.into();
    assert!(refusal(&target, &serde_json::to_vec(&other_chain).unwrap()).contains("chain id 1"));

    let code = json["code"].as_object_mut().unwrap();
    let (hash, _) = code
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap();
    code.insert(hash, "0x6001".into());
    let message = refusal(&target, &serde_json::to_vec(&json).unwrap());
    assert!(message.contains("does not hash to it"), "{message}");

    let mut broken = serde_json::from_slice::<serde_json::Value>(&dump).unwrap();
    broken["blocks"].as_array_mut().unwrap().remove(1);
    assert!(refusal(&target, &serde_json::to_vec(&broken).unwrap()).contains("corrupt state"));

    assert_eq!(target.block_number().unwrap(), height, "nothing was loaded");
    assert!(matches!(
        target.load_state_file(std::path::Path::new("/nonexistent/devnet/state.json")),
        Err(ChainError::StateFile(m)) if m.contains("cannot read")
    ));
}

/// What the head looked like at one block, for comparing with the history later.
struct Seen {
    block: u64,
    balances: Vec<U256>,
    nonces: Vec<u64>,
    codes: Vec<Bytes>,
    words: Vec<U256>,
    counters: Vec<Option<U256>>,
}

fn see(
    chain: &Chain,
    accounts: &[Address],
    words: &[(Address, U256)],
    counters: &[Address],
) -> Seen {
    let block = chain.block_number().unwrap();
    let number = |to: Address| {
        (!chain.code(to).unwrap().is_empty()).then(|| view(chain, to, ICounter::numberCall {}))
    };
    Seen {
        block,
        balances: accounts
            .iter()
            .map(|a| chain.balance(*a).unwrap())
            .collect(),
        nonces: accounts.iter().map(|a| chain.nonce(*a).unwrap()).collect(),
        codes: accounts.iter().map(|a| chain.code(*a).unwrap()).collect(),
        words: words
            .iter()
            .map(|(a, s)| chain.storage(*a, *s).unwrap())
            .collect(),
        counters: counters.iter().map(|c| number(*c)).collect(),
    }
}

fn check_history(
    chain: &Chain,
    seen: &[Seen],
    accounts: &[Address],
    words: &[(Address, U256)],
    counters: &[Address],
) {
    for expected in seen {
        let state = chain.state_at(expected.block).unwrap();
        let at = expected.block;
        let balances: Vec<_> = accounts.iter().map(|a| state.balance(*a)).collect();
        assert_eq!(balances, expected.balances, "balances at block {at}");
        let nonces: Vec<_> = accounts.iter().map(|a| state.nonce(*a)).collect();
        assert_eq!(nonces, expected.nonces, "nonces at block {at}");
        let codes: Vec<_> = accounts.iter().map(|a| state.code(*a)).collect();
        assert_eq!(codes, expected.codes, "code at block {at}");
        let values: Vec<_> = words.iter().map(|(a, s)| state.storage(*a, *s)).collect();
        assert_eq!(values, expected.words, "storage at block {at}");
        for (counter, value) in counters.iter().zip(&expected.counters) {
            let call = TxRequest::call(
                Address::ZERO,
                *counter,
                ICounter::numberCall {}.abi_encode(),
            );
            let output = chain.call_at(call, at).unwrap();
            match value {
                Some(value) => {
                    assert!(output.success, "call at block {at}");
                    let got = ICounter::numberCall::abi_decode_returns(&output.output).unwrap();
                    assert_eq!(got, *value, "counter {counter} at block {at}");
                }
                None => assert!(output.output.is_empty(), "no code at block {at}"),
            }
        }
    }
}

#[test]
fn old_blocks_answer_with_their_own_state() {
    let chain = chain_with_history(64);
    let alice = alice(&chain);
    let bob = bob(&chain);
    let stranger = Address::repeat_byte(0x42);
    // Addresses the deployments below will get (alice's nonces 0, 1 and 3).
    let stylus = alice.create(0);
    let evm = alice.create(3);
    let accounts = [alice, bob, stranger, stylus, evm];
    let words = [
        (stylus, U256::ZERO),
        (evm, U256::ZERO),
        (stranger, U256::from(5)),
    ];
    let counters = [stylus, evm];
    let mut seen = vec![see(&chain, &accounts, &words, &counters)];
    let mut step = |chain: &Chain| seen.push(see(chain, &accounts, &words, &counters));

    assert_eq!(
        deploy_stylus(&chain, alice, &fixture_wasm("counter")),
        stylus
    );
    step(&chain);
    send_ok(
        &chain,
        TxRequest::call(alice, stylus, ICounter::incrementCall {}.abi_encode()),
    );
    step(&chain);
    assert_eq!(deploy_evm(&chain, alice, COUNTER_SOL), evm);
    step(&chain);
    // Edits between blocks belong to the next block.
    chain.set_balance(stranger, U256::from(5)).unwrap();
    chain
        .set_storage(stranger, U256::from(5), U256::from(55))
        .unwrap();
    send_ok(
        &chain,
        TxRequest::call(
            bob,
            evm,
            ICounter::setNumberCall {
                value: U256::from(40),
            }
            .abi_encode(),
        ),
    );
    step(&chain);
    send_ok(
        &chain,
        TxRequest::call(bob, stranger, Vec::new()).with_value(U256::from(1000)),
    );
    step(&chain);
    chain.mine().unwrap();
    step(&chain);
    for _ in 0..2 {
        send_ok(
            &chain,
            TxRequest::call(alice, stylus, ICounter::incrementCall {}.abi_encode()),
        );
        send_ok(
            &chain,
            TxRequest::call(alice, evm, ICounter::incrementCall {}.abi_encode()),
        );
        step(&chain);
    }
    // A reverted stretch leaves no trace in the history.
    let id = chain.snapshot().unwrap();
    chain
        .set_storage(stranger, U256::from(5), U256::from(1))
        .unwrap();
    send_ok(
        &chain,
        TxRequest::call(
            alice,
            evm,
            ICounter::setNumberCall {
                value: U256::from(7),
            }
            .abi_encode(),
        ),
    );
    chain.mine().unwrap();
    assert!(chain.revert(id).unwrap());
    send_ok(
        &chain,
        TxRequest::call(alice, evm, ICounter::incrementCall {}.abi_encode()),
    );
    step(&chain);

    // Edits not yet in a block are part of the head's state only.
    chain.set_balance(alice, U256::from(1)).unwrap();
    chain
        .set_storage(stylus, U256::ZERO, U256::from(77))
        .unwrap();
    let head = chain.state_at(chain.block_number().unwrap()).unwrap();
    assert_eq!(head.balance(alice), U256::from(1));
    assert_eq!(head.storage(stylus, U256::ZERO), U256::from(77));
    seen.pop();
    check_history(&chain, &seen, &accounts, &words, &counters);
    assert_eq!(seen[0].codes[3], Bytes::new(), "no program at genesis");

    // The history travels with the state file.
    let restored = chain_with_history(64);
    restored.load_state(&chain.dump_state().unwrap()).unwrap();
    check_history(&restored, &seen, &accounts, &words, &counters);
}

#[test]
fn history_is_bounded_and_says_so() {
    let chain = chain_with_history(3);
    let alice = alice(&chain);
    let evm = deploy_evm(&chain, alice, COUNTER_SOL);
    for _ in 0..9 {
        send(&chain, alice, evm, ICounter::incrementCall {});
    }
    let latest = chain.block_number().unwrap();
    assert_eq!(latest, 10);
    for n in latest - 3..=latest {
        let state = chain.state_at(n).unwrap();
        assert_eq!(state.storage(evm, U256::ZERO), U256::from(n - 1));
    }
    match chain.state_at(latest - 4) {
        Err(ChainError::StateUnavailable(message)) => assert!(
            message.contains("block 6")
                && message.contains("block 7")
                && message.contains("3 blocks"),
            "{message}"
        ),
        other => panic!("expected StateUnavailable, got {other:?}"),
    }
    assert!(
        matches!(chain.state_at(latest + 1), Err(ChainError::StateUnavailable(m)) if m.contains("beyond"))
    );
    let call = TxRequest::call(Address::ZERO, evm, ICounter::numberCall {}.abi_encode());
    assert!(matches!(
        chain.call_at(call, 0),
        Err(ChainError::StateUnavailable(_))
    ));

    // Without history only the head answers.
    let none = chain_with_history(0);
    none.mine().unwrap();
    assert!(none.state_at(1).is_ok());
    assert!(matches!(
        none.state_at(0),
        Err(ChainError::StateUnavailable(_))
    ));
}

#[test]
fn pinned_programs_stay_pinned_across_a_restart_and_in_the_history() {
    use devnet_chain::wasm_cache::{ArbWasmCache, ARB_WASM_CACHE};
    let chain = chain();
    let alice = alice(&chain);
    let counter = deploy_stylus(&chain, alice, &fixture_wasm("counter"));
    let read = |chain: &Chain| send(chain, alice, counter, ICounter::numberCall {}).gas_used;
    let uncached = read(&chain);
    let before_pin = chain.block_number().unwrap();
    // Alice is the genesis chain owner, who may pin programs.
    let pin = ArbWasmCache::cacheProgramCall { addr: counter };
    assert!(send(&chain, alice, ARB_WASM_CACHE, pin).status);
    let cached = read(&chain);
    assert!(cached < uncached);
    let codehash = alloy_primitives::keccak256(chain.code(counter).unwrap());
    let is_cached = ArbWasmCache::codehashIsCachedCall { codehash }.abi_encode();
    let query = TxRequest::call(Address::ZERO, ARB_WASM_CACHE, is_cached);

    let restored = self::chain();
    restored.load_state(&chain.dump_state().unwrap()).unwrap();
    assert_eq!(read(&restored), cached, "still pinned after the restart");
    let pinned = |output: devnet_chain::CallOutput| {
        ArbWasmCache::codehashIsCachedCall::abi_decode_returns(&output.output).unwrap()
    };
    assert!(pinned(restored.call(query.clone()).unwrap()));
    assert!(!pinned(restored.call_at(query, before_pin).unwrap()));
}
