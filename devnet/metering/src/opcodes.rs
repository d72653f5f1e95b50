//! What each WASM operator costs (`pricing_v1`) and how it moves the value stack (depth model).
//!
//! Both tables follow nitro (`crates/prover/src/programs/meter.rs`, `depth.rs`) value for value:
//! the ink numbers decide gas used, the stack numbers decide when a program overflows its stack,
//! and both are consensus on Arbitrum.

use wasmparser::Operator;

/// Nitro's price for operators it does not support (floats, SIMD, atomics, references...).
pub const UNSUPPORTED_INK: u64 = u64::MAX;

/// The bulk-memory operators nitro refuses (it supports only `memory.fill` and `memory.copy`).
pub const BULK_SEGMENTS: &str = "the bulk-memory segment and table operations";

/// How nitro treats an operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpClass {
    /// Supported, with its ink cost. `call_indirect` and `br_table` costs depend on the operand,
    /// see [`ink_cost`].
    Priced(u64),
    /// A floating-point operator: valid at activation, priced at [`UNSUPPORTED_INK`].
    Float,
    /// An operator of a proposal nitro does not support; the reason names it.
    Unsupported(&'static str),
}

/// Whether the operator is one of the floating-point ones (loads, stores, constants, arithmetic,
/// comparisons and conversions touching `f32`/`f64`).
pub fn is_float(op: &Operator) -> bool {
    use Operator::*;
    matches!(
        op,
        F32Load { .. }
            | F64Load { .. }
            | F32Store { .. }
            | F64Store { .. }
            | F32Const { .. }
            | F64Const { .. }
            | F32Eq
            | F32Ne
            | F32Lt
            | F32Gt
            | F32Le
            | F32Ge
            | F64Eq
            | F64Ne
            | F64Lt
            | F64Gt
            | F64Le
            | F64Ge
            | F32Abs
            | F32Neg
            | F32Ceil
            | F32Floor
            | F32Trunc
            | F32Nearest
            | F32Sqrt
            | F32Add
            | F32Sub
            | F32Mul
            | F32Div
            | F32Min
            | F32Max
            | F32Copysign
            | F64Abs
            | F64Neg
            | F64Ceil
            | F64Floor
            | F64Trunc
            | F64Nearest
            | F64Sqrt
            | F64Add
            | F64Sub
            | F64Mul
            | F64Div
            | F64Min
            | F64Max
            | F64Copysign
            | I32TruncF32S
            | I32TruncF32U
            | I32TruncF64S
            | I32TruncF64U
            | I64TruncF32S
            | I64TruncF32U
            | I64TruncF64S
            | I64TruncF64U
            | F32ConvertI32S
            | F32ConvertI32U
            | F32ConvertI64S
            | F32ConvertI64U
            | F32DemoteF64
            | F64ConvertI32S
            | F64ConvertI32U
            | F64ConvertI64S
            | F64ConvertI64U
            | F64PromoteF32
            | I32ReinterpretF32
            | I64ReinterpretF64
            | F32ReinterpretI32
            | F64ReinterpretI64
            | I32TruncSatF32S
            | I32TruncSatF32U
            | I32TruncSatF64S
            | I32TruncSatF64U
            | I64TruncSatF32S
            | I64TruncSatF32U
            | I64TruncSatF64S
            | I64TruncSatF64U
    )
}

/// Classifies an operator under `pricing_v1`. Operand-dependent costs (`br_table`,
/// `call_indirect`) are given for zero targets / zero parameters; use [`ink_cost`] for the
/// full price.
pub fn classify(op: &Operator) -> OpClass {
    use Operator::*;
    if is_float(op) {
        return OpClass::Float;
    }
    let ink = match op {
        Unreachable | Return | Nop | I32Const { .. } | I64Const { .. } => 1,
        Block { .. } | Loop { .. } | Else | End => 1,
        // Nitro charges more than the work to bound the op count in fraud proofs.
        Drop => 9,
        Br { .. } | BrIf { .. } | If { .. } => 765,
        Select => 1250,
        Call { .. } => 3800,
        LocalGet { .. } | LocalTee { .. } => 75,
        LocalSet { .. } => 210,
        GlobalGet { .. } => 225,
        GlobalSet { .. } => 575,
        I32Load { .. }
        | I32Load8S { .. }
        | I32Load8U { .. }
        | I32Load16S { .. }
        | I32Load16U { .. } => 670,
        I64Load { .. }
        | I64Load8S { .. }
        | I64Load8U { .. }
        | I64Load16S { .. }
        | I64Load16U { .. }
        | I64Load32S { .. }
        | I64Load32U { .. } => 680,
        I32Store { .. } | I32Store8 { .. } | I32Store16 { .. } => 825,
        I64Store { .. } | I64Store8 { .. } | I64Store16 { .. } | I64Store32 { .. } => 950,
        MemorySize { .. } => 3000,
        // The pages themselves are paid through `pay_for_memory_grow`.
        MemoryGrow { .. } => 8050,
        I32Eqz | I32Eq | I32Ne | I32LtS | I32LtU | I32GtS | I32GtU | I32LeS | I32LeU | I32GeS
        | I32GeU => 170,
        I64Eqz | I64Eq | I64Ne | I64LtS | I64LtU | I64GtS | I64GtU | I64LeS | I64LeU | I64GeS
        | I64GeU => 225,
        I32Clz | I32Ctz => 210,
        I32Add | I32Sub => 70,
        I32Mul => 160,
        I32DivS | I32DivU | I32RemS | I32RemU => 1120,
        I32And | I32Or | I32Xor | I32Shl | I32ShrS | I32ShrU | I32Rotl | I32Rotr => 70,
        I64Clz | I64Ctz => 210,
        I64Add | I64Sub => 100,
        I64Mul => 160,
        I64DivS | I64DivU | I64RemS | I64RemU => 1270,
        I64And | I64Or | I64Xor | I64Shl | I64ShrS | I64ShrU | I64Rotl | I64Rotr => 100,
        I32Popcnt => 2650,
        I64Popcnt => 6000,
        I32WrapI64 | I64ExtendI32S | I64ExtendI32U => 100,
        I32Extend8S | I32Extend16S | I64Extend8S | I64Extend16S | I64Extend32S => 100,
        // Plus a per-byte charge inserted by the dynamic meter.
        MemoryCopy { .. } | MemoryFill { .. } => 950,
        BrTable { .. } => 2400,
        CallIndirect { .. } => 13610,
        MemoryInit { .. }
        | DataDrop { .. }
        | TableInit { .. }
        | ElemDrop { .. }
        | TableCopy { .. } => return OpClass::Unsupported(BULK_SEGMENTS),
        TableFill { .. }
        | TableGet { .. }
        | TableSet { .. }
        | TableGrow { .. }
        | TableSize { .. } => return OpClass::Unsupported("reference types"),
        RefNull { .. } | RefIsNull | RefFunc { .. } | TypedSelect { .. } => {
            return OpClass::Unsupported("reference types")
        }
        ReturnCall { .. } | ReturnCallIndirect { .. } => return OpClass::Unsupported("tail calls"),
        _ => return OpClass::Unsupported("a WASM proposal nitro does not support"),
    };
    OpClass::Priced(ink)
}

/// The full `pricing_v1` ink of an operator; `params_of_type` gives the parameter count of a
/// type index (for `call_indirect`). Floats and unsupported operators cost [`UNSUPPORTED_INK`].
pub fn ink_cost(op: &Operator, params_of_type: impl Fn(u32) -> usize) -> u64 {
    match (classify(op), op) {
        (OpClass::Priced(base), Operator::BrTable { targets }) => {
            base + 325 * u64::from(targets.len())
        }
        (OpClass::Priced(base), Operator::CallIndirect { type_index, .. }) => {
            base + 650 * params_of_type(*type_index) as u64
        }
        (OpClass::Priced(ink), _) => ink,
        (OpClass::Float | OpClass::Unsupported(_), _) => UNSUPPORTED_INK,
    }
}

/// Whether an operator closes a basic block for the meter: every branch, call, block boundary
/// other than `block` itself, and `return`.
pub fn ends_basic_block(op: &Operator) -> bool {
    use Operator::*;
    matches!(
        op,
        End | Else
            | Return
            | Loop { .. }
            | Br { .. }
            | BrTable { .. }
            | BrIf { .. }
            | If { .. }
            | Call { .. }
            | CallIndirect { .. }
    )
}

/// How an operator changes nitro's model of the value stack: `push` slots are added (and
/// counted towards the worst case) before `pop` slots are removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StackEffect {
    pub push: u32,
    pub pop: u32,
}

impl StackEffect {
    const fn new(push: u32, pop: u32) -> Self {
        Self { push, pop }
    }
}

/// The stack effect of a non-control operator in nitro's depth model. Control operators
/// (`block`, `loop`, `if`, `else`, `end`) and calls are handled by the caller, which knows the
/// types; `None` means the operator is unsupported.
pub fn simple_stack_effect(op: &Operator) -> Option<StackEffect> {
    use Operator::*;
    let effect = match op {
        Nop | Unreachable | Br { .. } | Return | LocalTee { .. } | MemoryGrow { .. } => {
            StackEffect::new(0, 0)
        }
        I32Eqz | I64Eqz | I32Clz | I32Ctz | I32Popcnt | I64Clz | I64Ctz | I64Popcnt => {
            StackEffect::new(0, 0)
        }
        I32Load { .. }
        | I64Load { .. }
        | F32Load { .. }
        | F64Load { .. }
        | I32Load8S { .. }
        | I32Load8U { .. }
        | I32Load16S { .. }
        | I32Load16U { .. }
        | I64Load8S { .. }
        | I64Load8U { .. }
        | I64Load16S { .. }
        | I64Load16U { .. }
        | I64Load32S { .. }
        | I64Load32U { .. } => StackEffect::new(0, 0),
        I32WrapI64 | I64ExtendI32S | I64ExtendI32U | I32Extend8S | I32Extend16S | I64Extend8S
        | I64Extend16S | I64Extend32S => StackEffect::new(0, 0),
        F32Abs | F32Neg | F32Ceil | F32Floor | F32Trunc | F32Nearest | F32Sqrt | F64Abs
        | F64Neg | F64Ceil | F64Floor | F64Trunc | F64Nearest | F64Sqrt => StackEffect::new(0, 0),
        I32TruncF32S | I32TruncF32U | I32TruncF64S | I32TruncF64U | I64TruncF32S | I64TruncF32U
        | I64TruncF64S | I64TruncF64U | F32ConvertI32S | F32ConvertI32U | F32ConvertI64S
        | F32ConvertI64U | F32DemoteF64 | F64ConvertI32S | F64ConvertI32U | F64ConvertI64S
        | F64ConvertI64U | F64PromoteF32 | I32ReinterpretF32 | I64ReinterpretF64
        | F32ReinterpretI32 | F64ReinterpretI64 | I32TruncSatF32S | I32TruncSatF32U
        | I32TruncSatF64S | I32TruncSatF64U | I64TruncSatF32S | I64TruncSatF32U
        | I64TruncSatF64S | I64TruncSatF64U => StackEffect::new(0, 0),

        LocalGet { .. }
        | GlobalGet { .. }
        | MemorySize { .. }
        | I32Const { .. }
        | I64Const { .. }
        | F32Const { .. }
        | F64Const { .. } => StackEffect::new(1, 0),

        Drop | BrIf { .. } | BrTable { .. } | LocalSet { .. } | GlobalSet { .. } => {
            StackEffect::new(0, 1)
        }
        I32Eq | I32Ne | I32LtS | I32LtU | I32GtS | I32GtU | I32LeS | I32LeU | I32GeS | I32GeU
        | I64Eq | I64Ne | I64LtS | I64LtU | I64GtS | I64GtU | I64LeS | I64LeU | I64GeS | I64GeU
        | F32Eq | F32Ne | F32Lt | F32Gt | F32Le | F32Ge | F64Eq | F64Ne | F64Lt | F64Gt | F64Le
        | F64Ge => StackEffect::new(0, 1),
        I32Add | I32Sub | I32Mul | I32DivS | I32DivU | I32RemS | I32RemU | I64Add | I64Sub
        | I64Mul | I64DivS | I64DivU | I64RemS | I64RemU | I32And | I32Or | I32Xor | I32Shl
        | I32ShrS | I32ShrU | I32Rotl | I32Rotr | I64And | I64Or | I64Xor | I64Shl | I64ShrS
        | I64ShrU | I64Rotl | I64Rotr => StackEffect::new(0, 1),
        F32Add | F32Sub | F32Mul | F32Div | F32Min | F32Max | F32Copysign | F64Add | F64Sub
        | F64Mul | F64Div | F64Min | F64Max | F64Copysign => StackEffect::new(0, 1),

        Select
        | I32Store { .. }
        | I64Store { .. }
        | F32Store { .. }
        | F64Store { .. }
        | I32Store8 { .. }
        | I32Store16 { .. }
        | I64Store8 { .. }
        | I64Store16 { .. }
        | I64Store32 { .. } => StackEffect::new(0, 2),

        // Nitro models both as calls to internal (i32, i32, i32) -> () functions.
        MemoryFill { .. } | MemoryCopy { .. } => StackEffect::new(0, 3),
        _ => return None,
    };
    Some(effect)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmparser::{BlockType, MemArg, MemArgTarget};

    fn memarg() -> MemArg {
        MemArg {
            align: 2,
            max_align: 2,
            offset: 0,
            target: MemArgTarget::Memory(0),
            ordering: None,
        }
    }

    #[test]
    fn reference_prices_from_the_runtime_notes() {
        let cases: Vec<(Operator, u64)> = vec![
            (Operator::I32Add, 70),
            (Operator::I64Add, 100),
            (Operator::I64Mul, 160),
            (Operator::I32DivU, 1120),
            (Operator::I64RemS, 1270),
            (Operator::I32Load { memarg: memarg() }, 670),
            (Operator::I64Load32U { memarg: memarg() }, 680),
            (Operator::I32Store8 { memarg: memarg() }, 825),
            (Operator::I64Store { memarg: memarg() }, 950),
            (Operator::LocalGet { local_index: 0 }, 75),
            (Operator::Call { function_index: 0 }, 3800),
            (Operator::Br { relative_depth: 0 }, 765),
            (
                Operator::If {
                    blockty: BlockType::Empty,
                },
                765,
            ),
            (Operator::Select, 1250),
            (Operator::MemoryGrow { mem: 0 }, 8050),
            (Operator::Drop, 9),
            (Operator::End, 1),
        ];
        for (op, ink) in cases {
            assert_eq!(ink_cost(&op, |_| 0), ink, "{op:?}");
        }
    }

    #[test]
    fn call_indirect_pays_per_parameter() {
        let op = Operator::CallIndirect {
            type_index: 3,
            table_index: 0,
        };
        assert_eq!(
            ink_cost(&op, |ty| if ty == 3 { 2 } else { 9 }),
            13610 + 1300
        );
    }

    #[test]
    fn floats_and_unknown_proposals_cost_the_maximum() {
        assert_eq!(ink_cost(&Operator::F64Add, |_| 0), UNSUPPORTED_INK);
        assert_eq!(classify(&Operator::I32TruncSatF32S), OpClass::Float);
        assert!(matches!(
            classify(&Operator::RefIsNull),
            OpClass::Unsupported(_)
        ));
        assert_eq!(
            ink_cost(&Operator::ReturnCall { function_index: 0 }, |_| 0),
            UNSUPPORTED_INK
        );
    }

    #[test]
    fn block_boundaries() {
        assert!(ends_basic_block(&Operator::Loop {
            blockty: BlockType::Empty
        }));
        assert!(!ends_basic_block(&Operator::Block {
            blockty: BlockType::Empty
        }));
        assert!(!ends_basic_block(&Operator::Unreachable));
        assert!(ends_basic_block(&Operator::Call { function_index: 1 }));
    }
}

/// Every operator `pricing_v1` prices, written as WAT, against its ink: a second, independent
/// transcription of nitro's table that the classifier must agree with.
#[cfg(test)]
mod table {
    use super::*;
    use wasmparser::{Parser, Payload};

    #[rustfmt::skip]
    const TABLE: &[(&str, u64)] = &[
        ("unreachable", 1), ("return", 1), ("nop", 1), ("i32.const 0", 1), ("i64.const 0", 1),
        ("drop", 9),
        ("block end", 1 + 1), ("loop end", 1 + 1), ("if else end", 765 + 1 + 1),
        ("br 0", 765), ("br_if 0", 765), ("select", 1250), ("call 0", 3800),
        ("local.get 0", 75), ("local.tee 0", 75), ("local.set 0", 210),
        ("global.get 0", 225), ("global.set 0", 575),
        ("i32.load", 670), ("i32.load8_s", 670), ("i32.load8_u", 670), ("i32.load16_s", 670),
        ("i32.load16_u", 670),
        ("i64.load", 680), ("i64.load8_s", 680), ("i64.load8_u", 680), ("i64.load16_s", 680),
        ("i64.load16_u", 680), ("i64.load32_s", 680), ("i64.load32_u", 680),
        ("i32.store", 825), ("i32.store8", 825), ("i32.store16", 825),
        ("i64.store", 950), ("i64.store8", 950), ("i64.store16", 950), ("i64.store32", 950),
        ("memory.size", 3000), ("memory.grow", 8050),
        ("i32.eqz", 170), ("i32.eq", 170), ("i32.ne", 170), ("i32.lt_s", 170), ("i32.lt_u", 170),
        ("i32.gt_s", 170), ("i32.gt_u", 170), ("i32.le_s", 170), ("i32.le_u", 170),
        ("i32.ge_s", 170), ("i32.ge_u", 170),
        ("i64.eqz", 225), ("i64.eq", 225), ("i64.ne", 225), ("i64.lt_s", 225), ("i64.lt_u", 225),
        ("i64.gt_s", 225), ("i64.gt_u", 225), ("i64.le_s", 225), ("i64.le_u", 225),
        ("i64.ge_s", 225), ("i64.ge_u", 225),
        ("i32.clz", 210), ("i32.ctz", 210), ("i32.add", 70), ("i32.sub", 70), ("i32.mul", 160),
        ("i32.div_s", 1120), ("i32.div_u", 1120), ("i32.rem_s", 1120), ("i32.rem_u", 1120),
        ("i32.and", 70), ("i32.or", 70), ("i32.xor", 70), ("i32.shl", 70), ("i32.shr_s", 70),
        ("i32.shr_u", 70), ("i32.rotl", 70), ("i32.rotr", 70),
        ("i64.clz", 210), ("i64.ctz", 210), ("i64.add", 100), ("i64.sub", 100), ("i64.mul", 160),
        ("i64.div_s", 1270), ("i64.div_u", 1270), ("i64.rem_s", 1270), ("i64.rem_u", 1270),
        ("i64.and", 100), ("i64.or", 100), ("i64.xor", 100), ("i64.shl", 100),
        ("i64.shr_s", 100), ("i64.shr_u", 100), ("i64.rotl", 100), ("i64.rotr", 100),
        ("i32.popcnt", 2650), ("i64.popcnt", 6000),
        ("i32.wrap_i64", 100), ("i64.extend_i32_s", 100), ("i64.extend_i32_u", 100),
        ("i32.extend8_s", 100), ("i32.extend16_s", 100), ("i64.extend8_s", 100),
        ("i64.extend16_s", 100), ("i64.extend32_s", 100),
        ("memory.copy", 950), ("memory.fill", 950),
        ("br_table 0 0 0", 2400 + 325 * 2), ("call_indirect (type 1)", 13610 + 650 * 3),
        ("f32.add", UNSUPPORTED_INK), ("f64.const 1", UNSUPPORTED_INK),
        ("i64.trunc_sat_f64_u", UNSUPPORTED_INK), ("i32.reinterpret_f32", UNSUPPORTED_INK),
    ];

    fn ops_of(instructions: &str) -> Vec<Operator<'static>> {
        let text = format!(
            "(module (type (func)) (type (func (param i32 i64 i32))) (memory 1) (table 1 funcref)
               (global (mut i32) (i32.const 0))
               (func (local i32) {instructions}))"
        );
        let wasm: &'static [u8] = Box::leak(wat::parse_str(text).unwrap().into_boxed_slice());
        let mut ops = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            if let Payload::CodeSectionEntry(body) = payload.unwrap() {
                let mut reader = body.get_operators_reader().unwrap();
                while !reader.eof() {
                    ops.push(reader.read().unwrap());
                }
            }
        }
        ops.pop(); // the function's own `end`
        ops
    }

    #[test]
    fn every_priced_operator_matches_nitros_table() {
        let params = |ty: u32| if ty == 1 { 3 } else { 0 };
        for (instructions, ink) in TABLE {
            let total: u64 = ops_of(instructions)
                .iter()
                .map(|op| ink_cost(op, params))
                .fold(0, u64::saturating_add);
            assert_eq!(total, *ink, "{instructions}");
        }
    }
}
