//! The instrumentation run for real in wasmi: charges, traps and refusals.

mod common;

use common::*;
use stylus_metering::{instrument, FloatPolicy, MeterConfig, MeterError, TrapCause};

const HEADER: u64 = 2450;

#[test]
fn straight_line_code_charges_exactly_the_table_sum() {
    let out = meter(
        r#"(module
            (memory (export "memory") 1 1)
            (func (export "user_entrypoint") (param i32) (result i32)
                i32.const 7     ;; 1
                local.get 0     ;; 75
                i32.add         ;; 70
                i32.const 3     ;; 1
                i32.mul         ;; 160
                i64.const 5     ;; 1
                i64.const 6     ;; 1
                i64.div_u       ;; 1270
                drop            ;; 9
            ))"#, //               end: 1
    );
    let expected = 1 + 75 + 70 + 1 + 160 + 1 + 1 + 1270 + 9 + 1 + HEADER;
    assert_eq!(ink_used(&out, 4), expected);
    assert_eq!(run(&out, 4, INK, STACK).ok(), 33);
}

#[test]
fn each_call_is_a_block_boundary() {
    let out = meter(
        r#"(module
            (memory (export "memory") 1 1)
            (func $id (param i32) (result i32) local.get 0)
            (func (export "user_entrypoint") (param i32) (result i32)
                local.get 0     ;; 75
                call $id        ;; 3800, ends the block
                i32.const 1     ;; 1
                i32.add         ;; 70
            ))"#, //               end: 1
    );
    let callee = 75 + 1 + HEADER;
    let caller = (75 + 3800 + HEADER) + (1 + 70 + 1 + HEADER);
    assert_eq!(ink_used(&out, 1), callee + caller);
}

const COUNTING_LOOP: &str = r#"(module
    (memory (export "memory") 1 1)
    (func (export "user_entrypoint") (param $n i32) (result i32)
        (local $i i32)
        block           ;; A: block 1, loop 1
          loop
            local.get $i    ;; B: 75
            local.get $n    ;; 75
            i32.ge_u        ;; 170
            br_if 1         ;; 765
            local.get $i    ;; C: 75
            i32.const 1     ;; 1
            i32.add         ;; 70
            local.set $i    ;; 210
            br 0            ;; 765
          end
        end
        local.get $i    ;; F: 75, end 1
    ))"#;

fn counting_loop_cost(n: u64) -> u64 {
    let a = 2 + HEADER;
    let b = 75 + 75 + 170 + 765 + HEADER;
    let c = 75 + 1 + 70 + 210 + 765 + HEADER;
    let f = 75 + 1 + HEADER;
    a + (n + 1) * b + n * c + f
}

#[test]
fn loops_charge_every_iteration() {
    let out = meter(COUNTING_LOOP);
    for n in [0u64, 1, 2, 10, 1000] {
        assert_eq!(ink_used(&out, n as i32), counting_loop_cost(n), "n = {n}");
    }
    assert_eq!(run(&out, 10, INK, STACK).ok(), 10);
}

#[test]
fn exact_ink_suffices_and_one_less_traps_with_the_status_set() {
    let out = meter(COUNTING_LOOP);
    let cost = counting_loop_cost(3);
    let exact = run(&out, 3, cost, STACK);
    assert_eq!(exact.ok(), 3);
    assert_eq!(exact.meter.ink_left(), 0);
    assert!(!exact.meter.exhausted());

    let short = run(&out, 3, cost - 1, STACK);
    assert!(short.result.is_err());
    assert!(short.meter.exhausted());
    assert_eq!(short.meter.classify_trap(), TrapCause::OutOfInk);
}

#[test]
fn an_endless_loop_runs_out_of_ink() {
    let out = meter(
        r#"(module
            (memory (export "memory") 1 1)
            (func (export "user_entrypoint") (param i32) (result i32)
                (loop $forever br $forever)
                i32.const 0))"#,
    );
    let run = run(&out, 0, 10_000_000, STACK);
    assert!(run.result.is_err());
    assert_eq!(run.meter.classify_trap(), TrapCause::OutOfInk);
    assert_eq!(run.meter.ink_left(), 0);
}

const FILL_AND_COPY: &str = r#"(module
    (memory (export "memory") 2 2)
    (func (export "user_entrypoint") (param $n i32) (result i32)
        i32.const 0     ;; 1
        i32.const 7     ;; 1
        local.get $n    ;; 75
        memory.fill     ;; 950 + 100/byte
        i32.const 65536 ;; 1
        i32.const 0     ;; 1
        local.get $n    ;; 75
        memory.copy     ;; 950 + 100/byte
        i32.const 65536 ;; 1
        i32.load8_u     ;; 670
    ))"#; //               end: 1

fn fill_and_copy_cost(n: u64) -> u64 {
    let fixed = 1 + 1 + 75 + 950 + 1 + 1 + 75 + 950 + 1 + 670 + 1 + HEADER;
    fixed + 2 * 100 * n
}

#[test]
fn memory_fill_and_copy_charge_per_byte() {
    let out = meter(FILL_AND_COPY);
    for n in [0u64, 1, 100, 65536] {
        assert_eq!(ink_used(&out, n as i32), fill_and_copy_cost(n), "n = {n}");
    }
    assert_eq!(run(&out, 1, INK, STACK).ok(), 7);
}

#[test]
fn per_byte_charges_trap_before_the_work() {
    let out = meter(FILL_AND_COPY);
    let n = 5000;
    let short = run(&out, n as i32, fill_and_copy_cost(n) - 1, STACK);
    assert!(short.result.is_err());
    assert_eq!(short.meter.classify_trap(), TrapCause::OutOfInk);
}

const SMALLEST: &str = r#"(module
    (memory (export "memory") 1 1)
    (func (export "user_entrypoint") (param i32) (result i32)
        i32.const 0))"#;

#[test]
fn frame_size_is_nitros_worst_case_plus_locals_plus_four() {
    // After the meter: global.get, i64.const reach 2 values; no locals; so 2 + 0 + 4 = 6, and
    // a frame needs strictly more budget than its size.
    let out = meter(SMALLEST);
    let tight = run(&out, 0, INK, 6);
    assert!(tight.result.is_err());
    assert_eq!(tight.meter.classify_trap(), TrapCause::OutOfStack);
    assert_eq!(tight.meter.stack_left(), 0);

    let enough = run(&out, 0, INK, 7);
    assert_eq!(enough.ok(), 0);
    assert_eq!(
        enough.meter.stack_left(),
        7,
        "the frame is given back on return"
    );
}

#[test]
fn branching_out_of_a_function_keeps_its_frame() {
    // Nitro gives a frame back only before `return` (explicit or the one it adds at the end of
    // the body); `br` to the function's own label skips it. Mirrored for equal outcomes.
    let out = meter(
        r#"(module
            (memory (export "memory") 1 1)
            (func (export "user_entrypoint") (param i32) (result i32)
                i32.const 1
                br 0))"#,
    );
    let run = run(&out, 0, INK, 100);
    assert_eq!(run.ok(), 1);
    // The model keeps the constant on the stack across `br` (it never pops), so the check of
    // the block holding the final `end` peaks at 1 + 2 values: frame 3 + 0 locals + 4.
    assert_eq!(run.meter.stack_left(), 100 - 7);
}

const RECURSION: &str = r#"(module
    (memory (export "memory") 1 1)
    (func $down (param i32) (result i32)
        local.get 0
        i32.eqz
        if (result i32)
            i32.const 0
        else
            local.get 0
            i32.const 1
            i32.sub
            call $down
            i32.const 1
            i32.add
        end)
    (func (export "user_entrypoint") (param i32) (result i32)
        local.get 0
        call $down))"#;

#[test]
fn deep_recursion_overflows_the_stack_budget() {
    let out = meter(RECURSION);
    let shallow = run(&out, 50, INK, STACK);
    assert_eq!(shallow.ok(), 50);
    assert_eq!(shallow.meter.stack_left(), STACK);

    let deep = run(&out, 100_000, INK, STACK);
    assert!(deep.result.is_err());
    assert_eq!(deep.meter.classify_trap(), TrapCause::OutOfStack);
}

#[test]
fn memory_grow_pays_through_the_host() {
    let out = meter(
        r#"(module
            (import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
            (memory (export "memory") 1)
            (func (export "user_entrypoint") (param i32) (result i32)
                local.get 0
                memory.grow))"#,
    );
    // Block: local.get 75, memory.grow 8050, end 1; then the host's charge.
    let opcodes = 75 + 8050 + 1 + HEADER;
    let zero = run(&out, 0, INK, STACK);
    assert_eq!(zero.ok(), 1);
    assert_eq!(zero.host.grows, vec![0]);
    assert_eq!(INK - zero.meter.ink_left(), opcodes + 8400);

    // This host does not open the footprint at call entry, so the ten pages start from zero:
    // eight beyond the two free ones at 1000 gas, plus exp[10] - exp[0] = 2.
    let ten = run(&out, 10, INK, STACK);
    assert_eq!(ten.ok(), 1);
    assert_eq!(ten.host.grows, vec![10]);
    assert_eq!(INK - ten.meter.ink_left(), opcodes + 10_000 * (8000 + 2));

    let broke = run(&out, 100, 1_000_000, STACK);
    assert!(broke.result.is_err());
    assert_eq!(broke.meter.classify_trap(), TrapCause::OutOfInk);
}

#[test]
fn growable_memory_needs_the_pay_import() {
    let wasm = wat_module(
        r#"(module
            (memory (export "memory") 1)
            (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
    );
    assert_eq!(
        instrument(&wasm, &MeterConfig::default()).unwrap_err(),
        MeterError::MissingPayForMemoryGrow
    );
}

#[test]
fn floats_are_refused_by_default() {
    let wasm = wat_module(
        r#"(module
            (memory (export "memory") 1 1)
            (func (export "user_entrypoint") (param i32) (result i32)
                f32.const 1
                f32.const 2
                f32.add
                i32.trunc_f32_s))"#,
    );
    assert_eq!(
        MeterConfig::for_version(0),
        Err(MeterError::UnknownVersion(0))
    );
    let error = instrument(&wasm, &MeterConfig::default()).unwrap_err();
    assert_eq!(
        error,
        MeterError::FloatOperator {
            func: 0,
            op: "F32Const".into()
        }
    );
    assert!(error.to_string().contains("u64::MAX"));
}

#[test]
fn nitro_float_policy_traps_only_where_floats_run() {
    let config = MeterConfig::nitro(2).unwrap();
    assert_eq!(config.floats, FloatPolicy::ChargeMax);
    let out = meter_with(
        r#"(module
            (memory (export "memory") 1 1)
            (func (export "user_entrypoint") (param i32) (result i32)
                local.get 0
                if
                    f32.const 1
                    drop
                end
                i32.const 5))"#,
        &config,
    );
    assert_eq!(run(&out, 0, INK, STACK).ok(), 5);
    let float = run(&out, 1, u64::MAX - 1, STACK);
    assert!(float.result.is_err());
    assert_eq!(float.meter.classify_trap(), TrapCause::OutOfInk);
}

#[test]
fn refusals_name_their_reason() {
    let cases = [
        (
            r#"(module (memory (export "memory") 1 1)
                (func $s) (start $s)
                (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
            MeterError::StartFunction,
        ),
        (
            r#"(module (memory (export "memory") 1 1)
                (func (export "main") (param i32) (result i32) i32.const 0))"#,
            MeterError::MissingEntrypoint,
        ),
        (
            r#"(module (memory (export "memory") 1 1)
                (func (export "user_entrypoint") (result i32) i32.const 0))"#,
            MeterError::EntrypointType,
        ),
        (
            r#"(module (memory 1 1)
                (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
            MeterError::MissingMemory,
        ),
        (
            r#"(module (memory (export "memory") 129 129)
                (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
            MeterError::MemoryTooLarge {
                pages: 129,
                bound: 128,
            },
        ),
        (
            r#"(module (memory (export "memory") 1 1)
                (global (export "stylus_ink_left") (mut i64) (i64.const 0))
                (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
            MeterError::ReservedExport("stylus_ink_left".into()),
        ),
        (
            r#"(module (memory (export "memory") 1 1)
                (data $d "abc")
                (func (export "user_entrypoint") (param i32) (result i32)
                    i32.const 0 i32.const 0 i32.const 1 memory.init $d
                    i32.const 0))"#,
            MeterError::UnsupportedOperator {
                func: 0,
                op: "MemoryInit".into(),
                feature: stylus_metering::opcodes::BULK_SEGMENTS,
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(
            instrument(&wat_module(text), &MeterConfig::default()).unwrap_err(),
            expected
        );
    }
    let simd = wat_module(
        r#"(module (memory (export "memory") 1 1)
            (func (export "user_entrypoint") (param i32) (result i32)
                v128.const i64x2 0 0 drop i32.const 0))"#,
    );
    assert!(matches!(
        instrument(&simd, &MeterConfig::default()),
        Err(MeterError::Invalid(_))
    ));
}

#[test]
fn oversized_frames_are_refused() {
    let locals = "(local i64) ".repeat(10 * 1024);
    let text = format!(
        r#"(module (memory (export "memory") 1 1)
            (func (export "user_entrypoint") (param i32) (result i32) {locals} i32.const 0))"#
    );
    assert!(matches!(
        instrument(&wat_module(&text), &MeterConfig::default()),
        Err(MeterError::FrameTooLarge { func: 0, .. })
    ));
}

#[test]
fn debug_mode_keeps_exports_and_moves_the_start_function() {
    let text = r#"(module (memory (export "memory") 1 1)
        (global $g (mut i32) (i32.const 0))
        (func $s i32.const 9 global.set $g) (start $s)
        (func (export "helper") (result i32) global.get $g)
        (func (export "user_entrypoint") (param i32) (result i32) global.get $g))"#;
    let config = MeterConfig {
        debug: true,
        ..MeterConfig::default()
    };
    let out = meter_with(text, &config);
    let exports = export_names(&out.wasm);
    assert!(exports.contains(&"helper".to_owned()));
    assert!(exports.contains(&"stylus_start".to_owned()));
    // The start function no longer runs on instantiation.
    assert_eq!(run(&out, 0, INK, STACK).ok(), 0);

    let plain = meter(
        r#"(module (memory (export "memory") 1 1)
            (func (export "helper") (result i32) i32.const 1)
            (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
    );
    assert_eq!(
        export_names(&plain.wasm),
        [
            "memory",
            "user_entrypoint",
            "stylus_ink_left",
            "stylus_ink_status",
            "stylus_scratch_global",
            "stylus_stack_left"
        ]
    );
}

#[test]
fn globals_are_appended_after_the_modules_own() {
    let out = meter(
        r#"(module (memory (export "memory") 1 1)
            (global $a (mut i32) (i32.const 3))
            (global $b i64 (i64.const 4))
            (func (export "user_entrypoint") (param i32) (result i32) global.get $a))"#,
    );
    assert_eq!(
        (
            out.globals.ink_left,
            out.globals.ink_status,
            out.globals.scratch,
            out.globals.stack_left
        ),
        (2, 3, 4, 5)
    );
    assert_eq!(run(&out, 0, INK, STACK).ok(), 3);
    assert_eq!(out.stats.globals, 6);
}

fn export_names(wasm: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::ExportSection(reader) = payload.unwrap() {
            for export in reader {
                names.push(export.unwrap().name.to_owned());
            }
        }
    }
    names
}
