//! A real stylus-sdk 0.10 program (`devnet/chain/fixtures/counter`, built for
//! wasm32-unknown-unknown and processed like cargo-stylus, `tests/fixtures/counter.wasm`) run
//! instrumented under a small host that implements the hooks it calls and charges their ink.

use std::collections::HashMap;
use stylus_metering::pricing::{self, hostio, InkPrice};
use stylus_metering::{
    instrument, max_call_depth, stylus_features, MeterConfig, MeterState, TrapCause, WasmiMeter,
    ENTRY_POINT,
};
use wasmi::{Caller, Engine, Extern, Linker, Module, Store, Val};

const COUNTER: &[u8] = include_bytes!("fixtures/counter.wasm");
const NUMBER: [u8; 4] = [0x83, 0x81, 0xf5, 0x8a]; // number()
const INCREMENT: [u8; 4] = [0xd0, 0x9d, 0xe0, 0x8a]; // increment()
const STACK: u32 = 22_000;

#[derive(Default)]
struct Chain {
    storage: HashMap<[u8; 32], [u8; 32]>,
}

struct Env<'c> {
    meter: Option<WasmiMeter>,
    chain: &'c mut Chain,
    args: Vec<u8>,
    result: Vec<u8>,
}

struct Outcome {
    status: Result<i32, wasmi::Error>,
    result: Vec<u8>,
    meter: MeterState,
}

fn memory(caller: &Caller<'_, Env<'_>>) -> wasmi::Memory {
    caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .expect("memory exported")
}

fn read(caller: &Caller<'_, Env<'_>>, ptr: i32, len: usize) -> Result<Vec<u8>, wasmi::Error> {
    let mut bytes = vec![0; len];
    memory(caller).read(caller, ptr as u32 as usize, &mut bytes)?;
    Ok(bytes)
}

fn write(caller: &mut Caller<'_, Env<'_>>, ptr: i32, bytes: &[u8]) -> Result<(), wasmi::Error> {
    memory(caller).write(caller, ptr as u32 as usize, bytes)?;
    Ok(())
}

fn buy(caller: &mut Caller<'_, Env<'_>>, ink: u64) -> Result<(), wasmi::Error> {
    let meter = caller.data().meter.expect("meter set before the call");
    Ok(meter.buy_ink(caller, ink)?)
}

type Hook = Result<(), wasmi::Error>;

fn link(linker: &mut Linker<Env<'_>>, module: &Module) {
    let gas = |gas: u64| InkPrice::default().gas_to_ink(gas);
    linker
        .func_wrap(
            "vm_hooks",
            "read_args",
            |mut c: Caller<'_, Env<'_>>, dest: i32| -> Hook {
                let args = c.data().args.clone();
                buy(
                    &mut c,
                    hostio::READ_ARGS + pricing::write_price(args.len() as u32),
                )?;
                write(&mut c, dest, &args)
            },
        )
        .unwrap();
    linker
        .func_wrap(
            "vm_hooks",
            "write_result",
            |mut c: Caller<'_, Env<'_>>, ptr: i32, len: i32| -> Hook {
                buy(
                    &mut c,
                    hostio::WRITE_RESULT + pricing::read_price(len as u32),
                )?;
                c.data_mut().result = read(&c, ptr, len as usize)?;
                Ok(())
            },
        )
        .unwrap();
    linker
        .func_wrap(
            "vm_hooks",
            "storage_load_bytes32",
            move |mut c: Caller<'_, Env<'_>>, key: i32, dest: i32| -> Hook {
                buy(&mut c, hostio::STORAGE_LOAD_BYTES32)?;
                buy(&mut c, gas(pricing::evm::COLD_SLOAD_GAS))?;
                let key: [u8; 32] = read(&c, key, 32)?.try_into().unwrap();
                let value = c.data().chain.storage.get(&key).copied().unwrap_or([0; 32]);
                write(&mut c, dest, &value)
            },
        )
        .unwrap();
    linker
        .func_wrap(
            "vm_hooks",
            "storage_cache_bytes32",
            |mut c: Caller<'_, Env<'_>>, key: i32, value: i32| -> Hook {
                buy(&mut c, hostio::STORAGE_CACHE_BYTES32)?;
                let key: [u8; 32] = read(&c, key, 32)?.try_into().unwrap();
                let value: [u8; 32] = read(&c, value, 32)?.try_into().unwrap();
                c.data_mut().chain.storage.insert(key, value);
                Ok(())
            },
        )
        .unwrap();
    // Every other hook the program imports: charge the base price, return zeros.
    for import in module.imports() {
        let defined = ["read_args", "write_result", "storage_load_bytes32"];
        if defined.contains(&import.name()) || import.name() == "storage_cache_bytes32" {
            continue;
        }
        let wasmi::ExternType::Func(ty) = import.ty() else {
            continue;
        };
        let zeros: Vec<Val> = ty
            .results()
            .iter()
            .map(|&t| Val::default_for_ty(t))
            .collect();
        linker
            .func_new(
                import.module(),
                import.name(),
                ty.clone(),
                move |mut c: Caller<'_, Env<'_>>, _params: &[Val], results: &mut [Val]| -> Hook {
                    buy(&mut c, pricing::HOSTIO_INK)?;
                    results.clone_from_slice(&zeros);
                    Ok(())
                },
            )
            .unwrap();
    }
}

fn call(wasm: &[u8], chain: &mut Chain, args: &[u8], ink: u64) -> Outcome {
    let mut config = wasmi::Config::default();
    config.set_max_recursion_depth(max_call_depth(STACK));
    let engine = Engine::new(&config);
    let module = Module::new(&engine, wasm).expect("wasmi accepts the module");
    let env = Env {
        meter: None,
        chain,
        args: args.to_vec(),
        result: Vec::new(),
    };
    let mut store = Store::new(&engine, env);
    let mut linker = Linker::new(&engine);
    link(&mut linker, &module);
    let instance = linker
        .instantiate_and_start(&mut store, &module)
        .expect("instantiates");
    let meter = WasmiMeter::new(&store, &instance).expect("instrumented");
    store.data_mut().meter = Some(meter);
    meter.start(&mut store, ink, STACK);

    let entry = instance
        .get_typed_func::<i32, i32>(&store, ENTRY_POINT)
        .unwrap();
    let status = entry.call(&mut store, args.len() as i32);
    Outcome {
        status,
        result: std::mem::take(&mut store.data_mut().result),
        meter: meter.state(&store),
    }
}

fn instrumented() -> Vec<u8> {
    let out = instrument(COUNTER, &MeterConfig::default()).expect("the SDK program instruments");
    wasmparser::Validator::new_with_features(stylus_features())
        .validate_all(&out.wasm)
        .expect("valid output");
    out.wasm
}

const INK: u64 = 100_000_000;

#[test]
fn the_counter_counts_under_metering() {
    let wasm = instrumented();
    let mut chain = Chain::default();
    for _ in 0..3 {
        let run = call(&wasm, &mut chain, &INCREMENT, INK);
        assert_eq!(run.status.expect("no trap"), 0);
    }
    let run = call(&wasm, &mut chain, &NUMBER, INK);
    assert_eq!(run.status.expect("no trap"), 0);
    let mut three = [0u8; 32];
    three[31] = 3;
    assert_eq!(run.result, three);
}

#[test]
fn real_code_charges_deterministically_down_to_the_last_ink() {
    let wasm = instrumented();
    let mut chain = Chain::default();
    let first = call(&wasm, &mut chain, &NUMBER, INK);
    let used = INK - first.meter.ink_left();
    // At least the host calls' base prices and the cold SLOAD's 2100 gas.
    assert!(used > 21_000_000, "used {used}");
    assert_eq!(
        INK - call(&wasm, &mut chain, &NUMBER, INK).meter.ink_left(),
        used
    );

    let exact = call(&wasm, &mut chain, &NUMBER, used);
    assert_eq!(exact.status.expect("exactly enough ink"), 0);
    assert_eq!(exact.meter.ink_left(), 0);

    let short = call(&wasm, &mut chain, &NUMBER, used - 1);
    assert!(short.status.is_err());
    assert_eq!(short.meter.classify_trap(), TrapCause::OutOfInk);
}

#[test]
fn an_unknown_selector_reverts_without_trapping() {
    let wasm = instrumented();
    let run = call(&wasm, &mut Chain::default(), &[1, 2, 3, 4], INK);
    assert_ne!(run.status.expect("a revert is a normal return"), 0);
    assert!(!run.meter.exhausted());
}
