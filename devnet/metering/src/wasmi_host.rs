//! The meter globals of a wasmi instance, for the host (feature `wasmi`, on by default).
//!
//! Look the globals up once after instantiation ([`WasmiMeter::new`]), keep the handle in the
//! store's data, [`WasmiMeter::start`] before calling `user_entrypoint`, charge host functions
//! with [`WasmiMeter::buy_ink`] / [`WasmiMeter::buy_gas`] (they take a `Caller`), and read the
//! outcome with [`WasmiMeter::state`].

use crate::instrument::{INK_LEFT, INK_STATUS, STACK_LEFT};
use crate::pricing::InkPrice;
use crate::MeterState;
use std::fmt;
use wasmi::{AsContext, AsContextMut, Global, Instance, Mutability, Val, ValType};

/// A host function found too little ink; the status global has been set. Return it from the
/// host function (it converts into a `wasmi::Error`) so that the call traps as out of ink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfInk;

impl fmt::Display for OutOfInk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("out of ink")
    }
}

impl std::error::Error for OutOfInk {}
impl wasmi::errors::HostError for OutOfInk {}

impl From<OutOfInk> for wasmi::Error {
    fn from(error: OutOfInk) -> Self {
        wasmi::Error::host(error)
    }
}

/// The instance lacks a meter global, or has one of the wrong type: it was not instrumented.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an instrumented instance: global {0} missing or of the wrong type")]
pub struct NotInstrumented(pub &'static str);

/// Handles to one instance's meter globals.
#[derive(Clone, Copy, Debug)]
pub struct WasmiMeter {
    ink: Global,
    status: Global,
    stack: Global,
}

impl WasmiMeter {
    pub fn new(store: impl AsContext, instance: &Instance) -> Result<Self, NotInstrumented> {
        let store = store.as_context();
        let global = |name: &'static str, ty: ValType| {
            instance
                .get_global(store, name)
                .filter(|global| {
                    let global_ty = global.ty(store);
                    global_ty.content() == ty && global_ty.mutability() == Mutability::Var
                })
                .ok_or(NotInstrumented(name))
        };
        Ok(Self {
            ink: global(INK_LEFT, ValType::I64)?,
            status: global(INK_STATUS, ValType::I32)?,
            stack: global(STACK_LEFT, ValType::I32)?,
        })
    }

    /// Before a call: `ink` to spend, a clear status, and the stack budget (nitro's
    /// `max_stack_depth`).
    pub fn start(&self, mut store: impl AsContextMut, ink: u64, stack: u32) {
        self.set_ink(&mut store, ink);
        set(&self.status, &mut store, Val::I32(0));
        set(&self.stack, &mut store, Val::I32(stack as i32));
    }

    /// The globals as they are now (after a call, or inside a host function).
    pub fn state(&self, store: impl AsContext) -> MeterState {
        let store = store.as_context();
        let (Val::I64(ink), Val::I32(status), Val::I32(stack)) = (
            self.ink.get(store),
            self.status.get(store),
            self.stack.get(store),
        ) else {
            unreachable!("types checked in WasmiMeter::new")
        };
        MeterState::read(ink, status, stack)
    }

    /// Ink left; 0 once exhausted.
    pub fn ink_left(&self, store: impl AsContext) -> u64 {
        self.state(store).ink_left()
    }

    /// Spends `ink`, or marks the program out of ink (ink 0, status 1) as nitro's `buy_ink`.
    pub fn buy_ink(&self, mut store: impl AsContextMut, ink: u64) -> Result<(), OutOfInk> {
        self.require_ink(&mut store, ink)?;
        let left = self.ink_left(&store);
        self.set_ink(&mut store, left - ink);
        Ok(())
    }

    /// Spends the ink `gas` buys at `price`.
    pub fn buy_gas(
        &self,
        store: impl AsContextMut,
        gas: u64,
        price: InkPrice,
    ) -> Result<(), OutOfInk> {
        self.buy_ink(store, price.gas_to_ink(gas))
    }

    /// Checks that `ink` is available without spending it (nitro's `require_ink`, used for
    /// the `SSTORE` sentry), marking the program out of ink if not.
    pub fn require_ink(&self, mut store: impl AsContextMut, ink: u64) -> Result<(), OutOfInk> {
        let state = self.state(&store);
        if state.exhausted() || state.ink_left() < ink {
            self.set_ink(&mut store, 0);
            set(&self.status, &mut store, Val::I32(1));
            return Err(OutOfInk);
        }
        Ok(())
    }

    fn set_ink(&self, store: impl AsContextMut, ink: u64) {
        set(&self.ink, store, Val::I64(ink as i64));
    }
}

fn set(global: &Global, store: impl AsContextMut, value: Val) {
    global
        .set(store, value)
        .expect("meter globals are mutable and typed, checked in WasmiMeter::new");
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmi::{Engine, Linker, Module, Store};

    fn instance(wasm: &[u8]) -> (Store<()>, Instance) {
        let engine = Engine::default();
        let module = Module::new(&engine, wasm).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate_and_start(&mut store, &module)
            .unwrap();
        (store, instance)
    }

    const PROGRAM: &str = r#"(module (memory (export "memory") 1 1)
        (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#;

    #[test]
    fn refuses_uninstrumented_instances() {
        let (store, instance) = instance(&wat::parse_str(PROGRAM).unwrap());
        assert_eq!(
            WasmiMeter::new(&store, &instance).unwrap_err(),
            NotInstrumented(INK_LEFT)
        );
    }

    #[test]
    fn buying_and_running_out() {
        let wasm = wat::parse_str(PROGRAM).unwrap();
        let out = crate::instrument(&wasm, &crate::MeterConfig::default()).unwrap();
        let (mut store, instance) = instance(&out.wasm);
        let meter = WasmiMeter::new(&store, &instance).unwrap();
        meter.start(&mut store, 25_000, 100);
        assert_eq!(meter.buy_gas(&mut store, 2, InkPrice::default()), Ok(()));
        assert_eq!(meter.ink_left(&store), 5_000);
        assert_eq!(meter.require_ink(&mut store, 5_000), Ok(()));
        assert_eq!(meter.buy_ink(&mut store, 5_001), Err(OutOfInk));
        let state = meter.state(&store);
        assert!(state.exhausted());
        assert_eq!((state.ink_left(), state.stack_left()), (0, 100));
        assert_eq!(
            meter.buy_ink(&mut store, 0),
            Err(OutOfInk),
            "stays exhausted"
        );
    }
}
