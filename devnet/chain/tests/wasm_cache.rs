//! Nitro's program cache on the devnet: programs pinned through `ArbWasmCache` start at the
//! cached init gas, eviction restores the full init gas, only cache managers and chain owners
//! may change the cache, and from ArbOS 60 on a program called again in the same block counts
//! as cached.

mod common;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use common::*;
use devnet_chain::wasm_cache::{ArbOwner, ArbWasmCache, ARB_OWNER, ARB_WASM_CACHE};
use devnet_chain::{Chain, ChainConfig, Receipt, TxRequest};

fn init_gas(chain: &Chain, program: Address) -> (u64, u64) {
    let gas = view(chain, ARB_WASM, ArbWasm::programInitGasCall { program });
    (gas.gas, gas.gasWhenCached)
}

/// Gas of a transaction reading the Stylus counter.
fn counter_read_gas(chain: &Chain, from: Address, counter: Address) -> u64 {
    send(chain, from, counter, ICounter::numberCall {}).gas_used
}

fn code_hash(chain: &Chain, program: Address) -> B256 {
    keccak256(chain.code(program).expect("code"))
}

fn is_cached(chain: &Chain, program: Address) -> bool {
    let codehash = code_hash(chain, program);
    view(
        chain,
        ARB_WASM_CACHE,
        ArbWasmCache::codehashIsCachedCall { codehash },
    )
}

fn cache_event(receipt: &Receipt) -> ArbWasmCache::UpdateProgramCache {
    let [entry] = &receipt.logs[..] else {
        panic!("one log expected, got {:?}", receipt.logs);
    };
    assert_eq!(entry.log.address, ARB_WASM_CACHE);
    ArbWasmCache::UpdateProgramCache::decode_log_data(&entry.log.data).expect("UpdateProgramCache")
}

#[test]
fn pinned_programs_pay_the_cached_init_gas_until_evicted() {
    let chain = chain();
    let alice = alice(&chain);
    let counter = deploy_stylus(&chain, alice, &fixture_wasm("counter"));
    let (gas, when_cached) = init_gas(&chain, counter);
    assert!(gas > when_cached);

    let uncached = counter_read_gas(&chain, alice, counter);
    assert_eq!(counter_read_gas(&chain, alice, counter), uncached);
    assert!(!is_cached(&chain, counter));

    // The genesis chain owner (nitro's dev account) may pin programs.
    let pin = send(
        &chain,
        alice,
        ARB_WASM_CACHE,
        ArbWasmCache::cacheProgramCall { addr: counter },
    );
    assert!(pin.status);
    let event = cache_event(&pin);
    assert_eq!(
        (event.manager, event.codehash, event.cached),
        (alice, code_hash(&chain, counter), true)
    );
    assert!(is_cached(&chain, counter));
    let cached = counter_read_gas(&chain, alice, counter);
    assert_eq!(uncached - cached, gas - when_cached);

    // Pinning again changes nothing and logs nothing.
    let again = send(
        &chain,
        alice,
        ARB_WASM_CACHE,
        ArbWasmCache::cacheProgramCall { addr: counter },
    );
    assert!(again.status && again.logs.is_empty());

    let evict = send(
        &chain,
        alice,
        ARB_WASM_CACHE,
        ArbWasmCache::evictCodehashCall {
            codehash: code_hash(&chain, counter),
        },
    );
    assert!(evict.status);
    assert!(!cache_event(&evict).cached);
    assert!(!is_cached(&chain, counter));
    assert_eq!(counter_read_gas(&chain, alice, counter), uncached);
}

#[test]
fn only_cache_managers_and_chain_owners_change_the_cache() {
    let chain = chain();
    let (alice, bob) = (alice(&chain), bob(&chain));
    let counter = deploy_stylus(&chain, alice, &fixture_wasm("counter"));
    let pin = ArbWasmCache::cacheProgramCall { addr: counter }.abi_encode();

    // An outsider loses all the gas it sent, as on nitro.
    let refused = chain
        .send_transaction(TxRequest::call(bob, ARB_WASM_CACHE, pin.clone()).with_gas(200_000))
        .expect("valid transaction");
    assert!(!refused.status);
    assert_eq!(refused.gas_used, 200_000);
    assert!(!is_cached(&chain, counter));

    // Nor may it name cache managers.
    let add_bob = ArbOwner::addWasmCacheManagerCall { manager: bob }.abi_encode();
    let refused = chain
        .send_transaction(TxRequest::call(bob, ARB_OWNER, add_bob.clone()))
        .expect("valid transaction");
    assert!(!refused.status);

    let added = send_ok(&chain, TxRequest::call(alice, ARB_OWNER, add_bob.clone()));
    let [entry] = &added.logs[..] else {
        panic!("OwnerActs expected");
    };
    let acts = ArbOwner::OwnerActs::decode_log_data(&entry.log.data).expect("OwnerActs");
    assert_eq!((acts.owner, &acts.data[..]), (alice, &add_bob[..]));
    assert!(view(
        &chain,
        ARB_WASM_CACHE,
        ArbWasmCache::isCacheManagerCall { manager: bob }
    ));
    assert_eq!(
        view(
            &chain,
            ARB_WASM_CACHE,
            ArbWasmCache::allCacheManagersCall {}
        ),
        vec![bob]
    );
    // Every `ArbOwner` method is for chain owners only, views included.
    let owner_query = ArbOwner::isChainOwnerCall { addr: alice }.abi_encode();
    let answer = chain
        .call(TxRequest::call(alice, ARB_OWNER, owner_query.clone()))
        .expect("call");
    assert!(answer.success && answer.output[31] == 1);
    let answer = chain
        .call(TxRequest::call(bob, ARB_OWNER, owner_query))
        .expect("call");
    assert!(!answer.success);

    let pinned = send_ok(&chain, TxRequest::call(bob, ARB_WASM_CACHE, pin.clone()));
    assert_eq!(cache_event(&pinned).manager, bob);
    assert!(is_cached(&chain, counter));

    let remove = ArbOwner::removeWasmCacheManagerCall { manager: bob }.abi_encode();
    send_ok(&chain, TxRequest::call(alice, ARB_OWNER, remove.clone()));
    assert!(view(
        &chain,
        ARB_WASM_CACHE,
        ArbWasmCache::allCacheManagersCall {}
    )
    .is_empty());
    // Removing someone who is not a manager is refused.
    let again = chain
        .send_transaction(TxRequest::call(alice, ARB_OWNER, remove))
        .expect("valid transaction");
    assert!(!again.status);
    let evict = ArbWasmCache::evictCodehashCall {
        codehash: code_hash(&chain, counter),
    }
    .abi_encode();
    let refused = chain
        .send_transaction(TxRequest::call(bob, ARB_WASM_CACHE, evict).with_gas(100_000))
        .expect("valid transaction");
    assert!(!refused.status);
    assert!(is_cached(&chain, counter));
}

#[test]
fn programs_that_cannot_run_cannot_be_pinned_and_pins_follow_reverts() {
    let chain = chain();
    let alice = alice(&chain);
    let inactive = deploy_code(&chain, alice, &stylus_code(&fixture_wasm("counter")));
    let refused = chain
        .send_transaction(TxRequest::call(
            alice,
            ARB_WASM_CACHE,
            ArbWasmCache::cacheProgramCall { addr: inactive }.abi_encode(),
        ))
        .expect("valid transaction");
    assert!(!refused.status);
    assert_eq!(
        refused.output,
        Bytes::from(
            ArbWasmCache::ProgramNeedsUpgrade {
                version: 0,
                stylusVersion: 2
            }
            .abi_encode()
        )
    );

    let counter = deploy_stylus(&chain, alice, &fixture_wasm("counter"));
    let snapshot = chain.snapshot().expect("snapshot");
    send(
        &chain,
        alice,
        ARB_WASM_CACHE,
        ArbWasmCache::cacheProgramCall { addr: counter },
    );
    assert!(is_cached(&chain, counter));
    assert!(chain.revert(snapshot).expect("revert"));
    assert!(!is_cached(&chain, counter));
}

/// Two programs with the probe's code (one code hash) and a counter.
fn probes(chain: &Chain) -> (Address, Address, Address) {
    let alice = alice(chain);
    let probe = deploy_stylus(chain, alice, &fixture_wasm("probe"));
    let twin = deploy_code(chain, alice, &stylus_code(&fixture_wasm("probe")));
    let counter = deploy_stylus(chain, alice, &fixture_wasm("counter"));
    (probe, twin, counter)
}

/// Gas of probe -> twin -> counter (the probe's code runs twice in one transaction).
fn probe_twice_gas(chain: &Chain, probe: Address, twin: Address, counter: Address) -> u64 {
    let inner = IProbe::forwardCall {
        target: counter,
        data: ICounter::numberCall {}.abi_encode().into(),
    }
    .abi_encode();
    let outer = IProbe::forwardCall {
        target: twin,
        data: inner.into(),
    };
    let receipt = send(chain, alice(chain), probe, outer);
    assert!(receipt.status, "probe -> twin -> counter succeeds");
    receipt.gas_used
}

#[test]
fn from_arbos_60_a_program_called_again_in_the_block_pays_the_cached_init_gas() {
    let arbos_50 = chain();
    let arbos_60 = Chain::new(ChainConfig {
        genesis_timestamp: Some(GENESIS_TIME),
        arbos_version: 60,
        ..ChainConfig::default()
    });
    assert_eq!(
        view(&arbos_60, ARB_SYS, ArbSys::arbOSVersionCall {}),
        U256::from(60 + 55)
    );
    let (p50, t50, c50) = probes(&arbos_50);
    let (p60, t60, c60) = probes(&arbos_60);
    let (gas, when_cached) = init_gas(&arbos_60, p60);
    // The probe counts its calls in storage: a first run pays for new slots.
    probe_twice_gas(&arbos_50, p50, t50, c50);
    probe_twice_gas(&arbos_60, p60, t60, c60);
    let twice_50 = probe_twice_gas(&arbos_50, p50, t50, c50);
    let twice_60 = probe_twice_gas(&arbos_60, p60, t60, c60);
    assert_eq!(twice_50 - twice_60, gas - when_cached);
    // The list is per block: the next transaction starts with an empty one.
    assert_eq!(probe_twice_gas(&arbos_60, p60, t60, c60), twice_60);
    // A single call is never a repeat.
    let once = |chain: &Chain, counter: Address| counter_read_gas(chain, alice(chain), counter);
    assert_eq!(once(&arbos_50, c50), once(&arbos_60, c60));
}
