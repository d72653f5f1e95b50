//! A minimal wasmi host for instrumented modules: sets the meter globals, calls
//! `user_entrypoint`, reads the globals back. `pay_for_memory_grow` charges like nitro.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use stylus_metering::memory::{MemoryModel, PageTracker};
use stylus_metering::pricing::{self, InkPrice};
use stylus_metering::{
    instrument, stylus_features, Instrumented, MeterConfig, MeterState, WasmiMeter, ENTRY_POINT,
};
use wasmi::{Caller, Engine, Linker, Module, Store};

#[derive(Default)]
pub struct Host {
    pub meter: Option<WasmiMeter>,
    pub grows: Vec<i32>,
    pub pages: PageTracker,
}

/// Buys `ink` from inside a host function, marking the program out of ink if it cannot pay.
fn host_buy_ink(caller: &mut Caller<'_, Host>, ink: u64) -> Result<(), wasmi::Error> {
    let meter = caller.data().meter.expect("meter set before the call");
    Ok(meter.buy_ink(caller, ink)?)
}

pub struct Run {
    pub result: Result<i32, wasmi::Error>,
    pub meter: MeterState,
    pub host: Host,
}

impl Run {
    pub fn ok(&self) -> i32 {
        match &self.result {
            Ok(value) => *value,
            Err(error) => panic!("call trapped: {error}"),
        }
    }
}

pub fn wat_module(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("test WAT parses")
}

/// Instruments with the default (Stylus v2) configuration and checks the output is valid.
pub fn meter(text: &str) -> Instrumented {
    meter_with(text, &MeterConfig::default())
}

pub fn meter_with(text: &str, config: &MeterConfig) -> Instrumented {
    let out = instrument(&wat_module(text), config).expect("instrumentation succeeds");
    assert_valid(&out.wasm);
    out
}

pub fn assert_valid(wasm: &[u8]) {
    wasmparser::Validator::new_with_features(stylus_features())
        .validate_all(wasm)
        .expect("instrumented module is valid");
}

pub fn run(out: &Instrumented, arg: i32, ink: u64, stack: u32) -> Run {
    try_run(out, arg, ink, stack).expect("instantiates")
}

/// Like [`run`], but `None` when instantiation itself fails (e.g. a data segment out of
/// bounds in a generated module).
pub fn try_run(out: &Instrumented, arg: i32, ink: u64, stack: u32) -> Option<Run> {
    // Let nitro's depth checker, not wasmi's own frame limit, decide when recursion stops.
    let mut config = wasmi::Config::default();
    config.set_max_recursion_depth(stylus_metering::max_call_depth(stack));
    let engine = Engine::new(&config);
    let module = Module::new(&engine, &out.wasm[..]).expect("wasmi accepts the module");
    let mut store = Store::new(&engine, Host::default());
    let mut linker = <Linker<Host>>::new(&engine);
    linker
        .func_wrap(
            "vm_hooks",
            "pay_for_memory_grow",
            |mut caller: Caller<'_, Host>, pages: i32| -> Result<(), wasmi::Error> {
                caller.data_mut().grows.push(pages);
                if pages == 0 {
                    return host_buy_ink(&mut caller, pricing::hostio::PAY_FOR_MEMORY_GROW);
                }
                let pages = u16::try_from(pages).unwrap_or(u16::MAX);
                let gas = caller
                    .data_mut()
                    .pages
                    .add_pages(&MemoryModel::default(), pages);
                host_buy_ink(&mut caller, InkPrice::default().gas_to_ink(gas))
            },
        )
        .expect("host function defined");
    let instance = linker.instantiate_and_start(&mut store, &module).ok()?;
    let meter = WasmiMeter::new(&store, &instance).expect("instrumented");
    store.data_mut().meter = Some(meter);
    meter.start(&mut store, ink, stack);

    let entry = instance
        .get_typed_func::<i32, i32>(&store, ENTRY_POINT)
        .expect("entry point");
    let result = entry.call(&mut store, arg);

    Some(Run {
        result,
        meter: meter.state(&store),
        host: store.into_data(),
    })
}

/// Plenty of ink and Arbitrum's stack budget.
pub const INK: u64 = 1_000_000_000;
pub const STACK: u32 = 22_000;

/// Ink a successful call used.
pub fn ink_used(out: &Instrumented, arg: i32) -> u64 {
    let run = run(out, arg, INK, STACK);
    run.ok();
    INK - run.meter.ink_left()
}
