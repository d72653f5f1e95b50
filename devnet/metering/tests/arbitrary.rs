//! Properties over generated modules: instrumentation of a valid Stylus-shaped module either
//! succeeds with a valid module that runs to an end under any ink budget, or is refused for
//! one of nitro's reasons; it never produces an invalid module.

mod common;

use arbitrary::Unstructured;
use common::{assert_valid, try_run, wat_module, STACK};
use proptest::prelude::*;
use stylus_metering::{instrument, stylus_features, FloatPolicy, MeterConfig, MeterError};

/// `growable`: memory without a maximum, which needs `pay_for_memory_grow` (offered as the
/// only import); otherwise a fixed-size memory.
/// `bulk_memory` brings `memory.fill`/`memory.copy`, and also `data.drop`/`elem.drop`, which
/// nitro refuses: each property keeps one side.
fn smith_config(floats: bool, growable: bool, bulk_memory: bool) -> wasm_smith::Config {
    let memory = if growable { "1" } else { "1 1" };
    wasm_smith::Config {
        available_imports: Some(wat_module(
            r#"(module (import "vm_hooks" "pay_for_memory_grow" (func (param i32))))"#,
        )),
        exports: Some(wat_module(&format!(
            r#"(module
                (memory (export "memory") {memory})
                (func (export "user_entrypoint") (param i32) (result i32) unreachable))"#
        ))),
        min_imports: 1,
        max_imports: 1,
        // The exported memory is generated regardless; allow no other.
        max_memories: 0,
        max_tables: 1,
        max_funcs: 12,
        max_instructions: 150,
        allow_start_export: false,
        allow_floats: floats,
        saturating_float_to_int_enabled: floats,
        bulk_memory_enabled: bulk_memory,
        multi_value_enabled: true,
        sign_extension_ops_enabled: true,
        reference_types_enabled: false,
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        tail_call_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        memory64_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: false,
        custom_page_sizes_enabled: false,
        compact_imports_enabled: false,
        ..wasm_smith::Config::default()
    }
}

/// Refusals nitro makes too; anything else (notably `Invalid`) would be a bug here.
fn is_nitro_refusal(error: &MeterError) -> bool {
    matches!(
        error,
        MeterError::UnsupportedOperator { .. }
            | MeterError::FloatOperator { .. }
            | MeterError::FrameTooLarge { .. }
            | MeterError::TooManyValues { .. }
            | MeterError::FunctionTooLong { .. }
            | MeterError::MemoryTooLarge { .. }
    )
}

fn check(
    bytes: &[u8],
    floats: bool,
    bulk_memory: bool,
    config: &MeterConfig,
) -> Result<(), TestCaseError> {
    let growable = bytes[0] & 1 == 1;
    let mut input = Unstructured::new(&bytes[1..]);
    let Ok(module) =
        wasm_smith::Module::new(smith_config(floats, growable, bulk_memory), &mut input)
    else {
        return Err(TestCaseError::reject("not enough entropy"));
    };
    let wasm = module.to_bytes();
    let valid = wasmparser::Validator::new_with_features(stylus_features()).validate_all(&wasm);
    prop_assume!(valid.is_ok());

    let out = match instrument(&wasm, config) {
        Ok(out) => out,
        // wasm-smith may leave the offered import out; nitro refuses that module too.
        Err(MeterError::MissingPayForMemoryGrow) => {
            return Err(TestCaseError::reject(
                "growable memory without the pay import",
            ))
        }
        Err(error) => {
            prop_assert!(is_nitro_refusal(&error), "unexpected refusal: {error}");
            return Ok(());
        }
    };
    assert_valid(&out.wasm);
    prop_assert_eq!(&instrument(&wasm, config).unwrap().wasm, &out.wasm);

    let ink = 5_000_000;
    if let Some(run) = try_run(&out, 3, ink, STACK) {
        prop_assert!(
            run.meter.ink_left() < ink,
            "every call pays at least one block"
        );
        if run.result.is_ok() {
            prop_assert!(!run.meter.exhausted());
            // Not always all of it: a branch out of a function body skips the give-back, as
            // in nitro (see `branching_out_of_a_function_keeps_its_frame`).
            prop_assert!(run.meter.stack_left() > 0 && run.meter.stack_left() <= STACK);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn integer_modules_instrument_to_valid_terminating_modules(
        bytes in proptest::collection::vec(any::<u8>(), 64..4096)
    ) {
        check(&bytes, false, true, &MeterConfig::default())?;
    }

    #[test]
    fn float_modules_instrument_under_nitros_policy(
        bytes in proptest::collection::vec(any::<u8>(), 64..4096)
    ) {
        let config = MeterConfig { floats: FloatPolicy::ChargeMax, ..MeterConfig::default() };
        check(&bytes, true, false, &config)?;
    }
}
