//! The instrumentation pass: nitro's five middlewares (start mover, ink meter, dynamic meter,
//! depth checker, heap bound), applied in nitro's order to every function body.
//!
//! Order matters for equivalence: the depth checker measures the code *after* the meters have
//! added their checks, exactly as nitro's pipeline does, so frame sizes (and therefore when a
//! recursion runs out of stack) agree with Arbitrum.

use crate::config::{FloatPolicy, MeterConfig};
use crate::opcodes::{self, OpClass};
use crate::program::ModuleStats;
use crate::MeterError;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    CodeSection, ConstExpr, ExportKind, ExportSection, Function, GlobalSection, GlobalType, Module,
    RawSection, ValType,
};
use wasmparser::{
    BlockType, ExternalKind, FunctionBody, Operator, Parser, Payload, TypeRef, Validator,
    WasmFeatures,
};

/// Exported i64 global: ink left, as an unsigned 64-bit number in the i64's bits.
pub const INK_LEFT: &str = "stylus_ink_left";
/// Exported i32 global: 0 while ink lasts, 1 once the program ran out.
pub const INK_STATUS: &str = "stylus_ink_status";
/// Exported i32 global the meters use as a temporary.
pub const SCRATCH: &str = "stylus_scratch_global";
/// Exported i32 global: stack space left, in depth-model words; 0 after a stack overflow.
pub const STACK_LEFT: &str = "stylus_stack_left";
/// Where a debug-mode start function is moved (nitro's `StartMover`).
pub const START_EXPORT: &str = "stylus_start";
/// The program entry point every Stylus module exports.
pub const ENTRY_POINT: &str = "user_entrypoint";
/// The host module of the Stylus imports.
pub const HOST_MODULE: &str = "vm_hooks";
/// The host function called before every `memory.grow`.
pub const PAY_FOR_MEMORY_GROW: &str = "pay_for_memory_grow";

/// Nitro's bound on the operators of one function body, counted after instrumentation.
pub const MAX_FUNC_OPS: usize = 65536;

/// The nitro feature set: WASM 1.0 plus mutable globals, sign extension, saturating
/// float-to-int, multi-value and bulk memory. No reference types, SIMD, threads, tail calls,
/// exceptions, memory64 or GC.
pub fn stylus_features() -> WasmFeatures {
    WasmFeatures::WASM1
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::BULK_MEMORY
}

/// Indices of the globals the instrumentation adds (all exported under the names above).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeterGlobals {
    pub ink_left: u32,
    pub ink_status: u32,
    pub scratch: u32,
    pub stack_left: u32,
}

/// An instrumented module and what activation learns about it.
#[derive(Clone, Debug)]
pub struct Instrumented {
    /// The rewritten module, valid under [`stylus_features`].
    pub wasm: Vec<u8>,
    pub globals: MeterGlobals,
    /// Initial memory in pages (nitro's "footprint", paid on every call).
    pub footprint: u16,
    /// Sizes nitro's cost estimates are computed from; see [`crate::program`].
    pub stats: ModuleStats,
}

#[derive(Clone, Copy)]
struct Signature {
    params: u32,
    results: u32,
    /// `(i32) -> ()`, the type of `pay_for_memory_grow`.
    is_i32_to_unit: bool,
    /// `(i32) -> i32`, the type of `user_entrypoint`.
    is_i32_to_i32: bool,
}

struct ModuleInfo {
    types: Vec<Signature>,
    /// Type index of every function, imports first.
    funcs: Vec<u32>,
    globals: u32,
    memories: Vec<(u64, Option<u64>)>,
    /// Function index of `vm_hooks.pay_for_memory_grow`, if imported as a function.
    pay_func: Option<u32>,
    /// `vm_hooks.pay_for_memory_grow` is imported as something other than a function.
    pay_import_not_func: bool,
    /// Nitro's "footprint" and the estimate inputs.
    stats: ModuleStats,
}

impl ModuleInfo {
    fn func_signature(&self, func: u32) -> Option<Signature> {
        let ty = *self.funcs.get(func as usize)?;
        self.types.get(ty as usize).copied()
    }
}

struct FuncCtx<'c> {
    config: &'c MeterConfig,
    info: &'c ModuleInfo,
    globals: MeterGlobals,
    pay_func: Option<u32>,
}

/// Rewrites `wasm` so that it meters its own ink and stack like a Stylus program on nitro.
///
/// The input must be a valid module under [`stylus_features`] with one memory exported as
/// `memory` and an exported `user_entrypoint: (i32) -> i32`; if its memory can grow it must
/// import `vm_hooks.pay_for_memory_grow: (i32) -> ()`.
pub fn instrument(wasm: &[u8], config: &MeterConfig) -> Result<Instrumented, MeterError> {
    Validator::new_with_features(stylus_features())
        .validate_all(wasm)
        .map_err(|e| MeterError::Invalid(e.to_string()))?;

    let payloads = Parser::new(0)
        .parse_all(wasm)
        .collect::<Result<Vec<_>, _>>()?;
    let mut info = survey(&payloads, wasm.len())?;
    check_exports(&payloads, &info, config)?;
    let (footprint, pay_func) = heap_bound(&info, config)?;
    info.stats.footprint = footprint;

    let globals = MeterGlobals {
        ink_left: info.globals,
        ink_status: info.globals + 1,
        scratch: info.globals + 2,
        stack_left: info.globals + 3,
    };
    let ctx = FuncCtx {
        config,
        info: &info,
        globals,
        pay_func,
    };
    let (wasm, code_ops) = rewrite(&payloads, wasm, &ctx)?;
    let mut stats = info.stats;
    stats.instrumented_ops = code_ops;
    Ok(Instrumented {
        wasm,
        globals,
        footprint,
        stats,
    })
}

/// Collects types, functions, globals, memories and the sizes cost estimates need.
fn survey(payloads: &[Payload], wasm_len: usize) -> Result<ModuleInfo, MeterError> {
    let mut info = ModuleInfo {
        types: Vec::new(),
        funcs: Vec::new(),
        globals: 0,
        memories: Vec::new(),
        pay_func: None,
        pay_import_not_func: false,
        stats: ModuleStats {
            wasm_len: wasm_len as u64,
            ..ModuleStats::default()
        },
    };
    for payload in payloads {
        match payload {
            Payload::TypeSection(reader) => {
                for ty in reader.clone().into_iter_err_on_gc_types() {
                    let ty = ty?;
                    let i32_param = ty.params() == [wasmparser::ValType::I32];
                    info.types.push(Signature {
                        params: ty.params().len() as u32,
                        results: ty.results().len() as u32,
                        is_i32_to_unit: i32_param && ty.results().is_empty(),
                        is_i32_to_i32: i32_param && ty.results() == [wasmparser::ValType::I32],
                    });
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.clone().into_imports() {
                    let import = import?;
                    let pay = import.module == HOST_MODULE && import.name == PAY_FOR_MEMORY_GROW;
                    match import.ty {
                        TypeRef::Func(ty) => {
                            if pay && info.pay_func.is_none() {
                                info.pay_func = Some(info.funcs.len() as u32);
                            }
                            info.funcs.push(ty);
                        }
                        TypeRef::Global(_) => info.globals += 1,
                        TypeRef::Memory(ty) => info.memories.push((ty.initial, ty.maximum)),
                        _ => {}
                    }
                    if pay && !matches!(import.ty, TypeRef::Func(_)) {
                        info.pay_import_not_func = true;
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader.clone() {
                    let ty = ty?;
                    info.funcs.push(ty);
                    let sig = info.types[ty as usize];
                    info.stats.type_len += u64::from(sig.params + sig.results);
                }
            }
            Payload::GlobalSection(reader) => info.globals += reader.count(),
            Payload::MemorySection(reader) => {
                for memory in reader.clone() {
                    let memory = memory?;
                    info.memories.push((memory.initial, memory.maximum));
                }
            }
            Payload::DataSection(reader) => {
                for data in reader.clone() {
                    let data = data?;
                    info.stats.data_segment_bytes += data.range.end - data.range.start;
                    info.stats.data_bytes += data.data.len() as u64;
                }
            }
            Payload::ElementSection(reader) => {
                for element in reader.clone() {
                    let element = element?;
                    info.stats.element_segment_bytes += element.range.end - element.range.start;
                }
            }
            Payload::CodeSectionStart { count, .. } => info.stats.funcs = u64::from(*count),
            _ => {}
        }
    }
    // Instrumentation adds four globals, and nitro's estimates count them.
    info.stats.globals = u64::from(info.globals) + 4;
    Ok(info)
}

/// The entry point must exist with the right type; names starting with `stylus` are reserved.
fn check_exports(
    payloads: &[Payload],
    info: &ModuleInfo,
    config: &MeterConfig,
) -> Result<(), MeterError> {
    let mut entry = None;
    let mut memory_exported = false;
    let mut has_start = false;
    for payload in payloads {
        match payload {
            Payload::ExportSection(reader) => {
                for export in reader.clone() {
                    let export = export?;
                    if export.name.starts_with("stylus") {
                        return Err(MeterError::ReservedExport(export.name.to_owned()));
                    }
                    match (export.name, export.kind) {
                        (ENTRY_POINT, ExternalKind::Func) => entry = Some(export.index),
                        (ENTRY_POINT, _) => return Err(MeterError::EntrypointType),
                        ("memory", ExternalKind::Memory) => memory_exported = export.index == 0,
                        _ => {}
                    }
                }
            }
            Payload::StartSection { .. } => has_start = true,
            _ => {}
        }
    }
    if has_start && !config.debug {
        return Err(MeterError::StartFunction);
    }
    if info.memories.len() > 1 {
        return Err(MeterError::TooManyMemories);
    }
    if !memory_exported {
        return Err(MeterError::MissingMemory);
    }
    let entry = entry.ok_or(MeterError::MissingEntrypoint)?;
    match info.func_signature(entry) {
        Some(sig) if sig.is_i32_to_i32 => Ok(()),
        _ => Err(MeterError::EntrypointType),
    }
}

/// Nitro's `HeapBound`: bounds the initial memory and finds the import that pays for growth.
fn heap_bound(info: &ModuleInfo, config: &MeterConfig) -> Result<(u16, Option<u32>), MeterError> {
    let (initial, maximum) = match info.memories.as_slice() {
        [] => return Err(MeterError::MissingMemory),
        [memory] => *memory,
        _ => return Err(MeterError::TooManyMemories),
    };
    if initial > u64::from(config.heap_bound) {
        return Err(MeterError::MemoryTooLarge {
            pages: initial,
            bound: config.heap_bound,
        });
    }
    // A 32-bit memory has at most 65536 pages; only that exact size does not fit a u16.
    let footprint = u16::try_from(initial).unwrap_or(u16::MAX);
    if maximum == Some(initial) {
        return Ok((footprint, None));
    }
    if info.pay_import_not_func {
        return Err(MeterError::PayForMemoryGrowType);
    }
    let pay = info.pay_func.ok_or(MeterError::MissingPayForMemoryGrow)?;
    match info.func_signature(pay) {
        Some(sig) if sig.is_i32_to_unit => Ok((footprint, Some(pay))),
        _ => Err(MeterError::PayForMemoryGrowType),
    }
}

/// Canonical position of a non-custom section, to know where new sections go.
fn section_rank(id: u8) -> u8 {
    match id {
        1 => 1,   // type
        2 => 2,   // import
        3 => 3,   // function
        4 => 4,   // table
        5 => 5,   // memory
        13 => 6,  // tag
        6 => 7,   // global
        7 => 8,   // export
        8 => 9,   // start
        9 => 10,  // element
        12 => 11, // data count
        10 => 12, // code
        11 => 13, // data
        _ => 0,
    }
}

const GLOBAL_RANK: u8 = 7;
const EXPORT_RANK: u8 = 8;

struct Emitter<'c> {
    module: Module,
    ctx: &'c FuncCtx<'c>,
    globals_done: bool,
    exports_done: bool,
    start: Option<u32>,
}

impl Emitter<'_> {
    /// Adds the new global and export sections if the next section comes after them.
    fn before_section(&mut self, rank: u8) -> Result<(), MeterError> {
        if rank > GLOBAL_RANK && !self.globals_done {
            self.emit_globals(None)?;
        }
        if rank > EXPORT_RANK && !self.exports_done {
            self.emit_exports(None)?;
        }
        Ok(())
    }

    fn emit_globals(
        &mut self,
        existing: Option<wasmparser::GlobalSectionReader>,
    ) -> Result<(), MeterError> {
        let mut section = GlobalSection::new();
        if let Some(reader) = existing {
            RoundtripReencoder
                .parse_global_section(&mut section, reader)
                .map_err(reencode_error)?;
        }
        let mutable = |val_type| GlobalType {
            val_type,
            mutable: true,
            shared: false,
        };
        section.global(mutable(ValType::I64), &ConstExpr::i64_const(0));
        section.global(mutable(ValType::I32), &ConstExpr::i32_const(0));
        section.global(mutable(ValType::I32), &ConstExpr::i32_const(0));
        section.global(mutable(ValType::I32), &ConstExpr::i32_const(0));
        self.module.section(&section);
        self.globals_done = true;
        Ok(())
    }

    fn emit_exports(
        &mut self,
        existing: Option<wasmparser::ExportSectionReader>,
    ) -> Result<(), MeterError> {
        let mut section = ExportSection::new();
        if let Some(reader) = existing {
            for export in reader {
                let export = export?;
                // Outside debug chains nitro hides everything but the entry point and memory.
                let keep = self.ctx.config.debug
                    || matches!(
                        (export.name, export.kind),
                        (ENTRY_POINT, ExternalKind::Func) | ("memory", ExternalKind::Memory)
                    );
                if keep {
                    let kind = RoundtripReencoder
                        .export_kind(export.kind)
                        .map_err(reencode_error)?;
                    section.export(export.name, kind, export.index);
                }
            }
        }
        if let Some(start) = self.start {
            section.export(START_EXPORT, ExportKind::Func, start);
        }
        let g = self.ctx.globals;
        section.export(INK_LEFT, ExportKind::Global, g.ink_left);
        section.export(INK_STATUS, ExportKind::Global, g.ink_status);
        section.export(SCRATCH, ExportKind::Global, g.scratch);
        section.export(STACK_LEFT, ExportKind::Global, g.stack_left);
        self.module.section(&section);
        self.exports_done = true;
        Ok(())
    }
}

fn reencode_error<E: std::fmt::Display>(error: wasm_encoder::reencode::Error<E>) -> MeterError {
    MeterError::Invalid(format!("cannot re-encode: {error}"))
}

fn raw_copy(module: &mut Module, wasm: &[u8], payload: &Payload) -> Result<(), MeterError> {
    if let Some((id, range)) = payload.as_section() {
        let start = usize::try_from(range.start).map_err(|e| MeterError::Invalid(e.to_string()))?;
        let end = usize::try_from(range.end).map_err(|e| MeterError::Invalid(e.to_string()))?;
        module.section(&RawSection {
            id,
            data: &wasm[start..end],
        });
    }
    Ok(())
}

/// Re-emits the module with instrumented code, the new globals and the adjusted exports.
/// Returns the module and the total operator count of the instrumented code.
fn rewrite(payloads: &[Payload], wasm: &[u8], ctx: &FuncCtx) -> Result<(Vec<u8>, u64), MeterError> {
    let start = payloads.iter().find_map(|p| match p {
        Payload::StartSection { func, .. } => Some(*func),
        _ => None,
    });
    let mut out = Emitter {
        module: Module::new(),
        ctx,
        globals_done: false,
        exports_done: false,
        start,
    };
    let mut code = CodeSection::new();
    let mut code_left = 0u32;
    let mut code_ops = 0u64;
    let mut func_index = ctx.info.funcs.len() as u32 - ctx.info.stats.funcs as u32;

    for payload in payloads {
        if let Some((id, _)) = payload.as_section() {
            let rank = section_rank(id);
            if rank != 0 {
                out.before_section(rank)?;
            }
        }
        match payload {
            Payload::Version { .. } | Payload::End(_) => {}
            Payload::GlobalSection(reader) => out.emit_globals(Some(reader.clone()))?,
            Payload::ExportSection(reader) => out.emit_exports(Some(reader.clone()))?,
            // The start function is refused (checked earlier) or exported as `stylus_start`.
            Payload::StartSection { .. } => {}
            Payload::CodeSectionStart { count, .. } => {
                code_left = *count;
                if code_left == 0 {
                    out.module.section(&code);
                }
            }
            Payload::CodeSectionEntry(body) => {
                let (function, ops) = instrument_function(body, func_index, ctx)?;
                code.function(&function);
                code_ops += ops as u64;
                func_index += 1;
                code_left -= 1;
                if code_left == 0 {
                    out.module.section(&code);
                }
            }
            other => raw_copy(&mut out.module, wasm, other)?,
        }
    }
    out.before_section(u8::MAX)?;
    Ok((out.module.finish(), code_ops))
}

/// Runs the four per-function middlewares and encodes the result.
fn instrument_function(
    body: &FunctionBody,
    func: u32,
    ctx: &FuncCtx,
) -> Result<(Function, usize), MeterError> {
    let mut locals = Vec::new();
    let mut local_count: u32 = 0;
    for pair in body.get_locals_reader()? {
        let (count, ty) = pair?;
        local_count = local_count.saturating_add(count);
        let ty = RoundtripReencoder.val_type(ty).map_err(reencode_error)?;
        locals.push((count, ty));
    }
    let mut reader = body.get_operators_reader()?;
    let mut ops = Vec::new();
    while !reader.eof() {
        ops.push(reader.read()?);
    }

    let ops = meter_ink(ops, func, ctx)?;
    let ops = meter_dynamic(ops, ctx);
    let ops = check_depth(ops, func, local_count, ctx)?;
    let ops = bound_heap(ops, ctx);
    if ops.len() > MAX_FUNC_OPS {
        return Err(MeterError::FunctionTooLong {
            func,
            ops: ops.len(),
            limit: MAX_FUNC_OPS,
        });
    }

    let mut function = Function::new(locals);
    let count = ops.len();
    for op in ops {
        let instruction = RoundtripReencoder.instruction(op).map_err(reencode_error)?;
        function.instruction(&instruction);
    }
    Ok((function, count))
}

fn operator_name(op: &Operator) -> String {
    let debug = format!("{op:?}");
    debug
        .split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The ink meter: before each basic block, charge the block's whole cost plus the header cost,
/// trapping with the status set if the ink left is smaller.
fn meter_ink<'a>(
    ops: Vec<Operator<'a>>,
    func: u32,
    ctx: &FuncCtx,
) -> Result<Vec<Operator<'a>>, MeterError> {
    let params_of_type = |ty: u32| {
        ctx.info
            .types
            .get(ty as usize)
            .map_or(0, |sig| sig.params as usize)
    };
    let mut out = Vec::with_capacity(ops.len() * 2);
    let mut block = Vec::new();
    let mut block_cost: u64 = 0;
    for op in ops {
        match opcodes::classify(&op) {
            OpClass::Priced(_) => {}
            OpClass::Float => {
                if ctx.config.floats == FloatPolicy::Refuse {
                    return Err(MeterError::FloatOperator {
                        func,
                        op: operator_name(&op),
                    });
                }
            }
            OpClass::Unsupported(feature) => {
                return Err(MeterError::UnsupportedOperator {
                    func,
                    op: operator_name(&op),
                    feature,
                })
            }
        }
        block_cost = block_cost.saturating_add(opcodes::ink_cost(&op, params_of_type));
        let ends = opcodes::ends_basic_block(&op);
        block.push(op);
        if ends {
            let cost = block_cost.saturating_add(ctx.config.ink_header_cost);
            // The cost is compared unsigned; u64::MAX (floats) becomes -1 and always traps.
            let cost = cost as i64;
            let ink = ctx.globals.ink_left;
            out.extend([
                Operator::GlobalGet { global_index: ink },
                Operator::I64Const { value: cost },
                Operator::I64LtU,
            ]);
            out.extend(trap_setting(ctx.globals.ink_status, 1));
            out.extend([
                Operator::GlobalGet { global_index: ink },
                Operator::I64Const { value: cost },
                Operator::I64Sub,
                Operator::GlobalSet { global_index: ink },
            ]);
            out.append(&mut block);
            block_cost = 0;
        }
    }
    // A valid body ends with `end`, which closes the last block.
    out.append(&mut block);
    Ok(out)
}

/// `if (cond) { global[index] = value; unreachable }`, consuming the condition on the stack.
fn trap_setting<'a>(global_index: u32, value: i32) -> [Operator<'a>; 5] {
    [
        Operator::If {
            blockty: BlockType::Empty,
        },
        Operator::I32Const { value },
        Operator::GlobalSet { global_index },
        Operator::Unreachable,
        Operator::End,
    ]
}

/// The dynamic meter: `memory.fill` and `memory.copy` pay per byte of their size operand
/// before running, trapping with the status set if the ink left would underflow.
fn meter_dynamic<'a>(ops: Vec<Operator<'a>>, ctx: &FuncCtx) -> Vec<Operator<'a>> {
    let g = ctx.globals;
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        let per_byte = match op {
            Operator::MemoryFill { .. } => Some(ctx.config.memory_fill_ink),
            Operator::MemoryCopy { .. } => Some(ctx.config.memory_copy_ink),
            _ => None,
        };
        if let Some(per_byte) = per_byte {
            out.extend([
                // Park the byte count, keeping the old ink below the new for the check.
                Operator::GlobalSet {
                    global_index: g.scratch,
                },
                Operator::GlobalGet {
                    global_index: g.ink_left,
                },
                Operator::GlobalGet {
                    global_index: g.ink_left,
                },
                Operator::GlobalGet {
                    global_index: g.scratch,
                },
                // A u32 count times a small price cannot overflow 64 bits.
                Operator::I64ExtendI32U,
                Operator::I64Const {
                    value: per_byte as i64,
                },
                Operator::I64Mul,
                Operator::I64Sub,
                Operator::GlobalSet {
                    global_index: g.ink_left,
                },
                Operator::GlobalGet {
                    global_index: g.ink_left,
                },
                // Wrapped around: the old ink is smaller than the new.
                Operator::I64LtU,
            ]);
            out.extend(trap_setting(g.ink_status, 1));
            out.push(Operator::GlobalGet {
                global_index: g.scratch,
            });
        }
        out.push(op);
    }
    out
}

/// Nitro's worst-case operand stack height of a function body, in values.
fn worst_case_stack(ops: &[Operator], func: u32, ctx: &FuncCtx) -> Result<u32, MeterError> {
    let info = ctx.info;
    let mut worst: u32 = 0;
    let mut stack: u32 = 0;
    let mut scopes = vec![0u32];
    let malformed = || MeterError::Invalid(format!("malformed scoping in function {func}"));
    let apply = |stack: &mut u32, worst: &mut u32, push: u32, pop: u32| {
        *stack = stack.saturating_add(push);
        *worst = (*worst).max(*stack);
        *stack = stack.saturating_sub(pop);
    };
    let block_arity = |blockty: &BlockType| -> Result<(u32, u32), MeterError> {
        Ok(match blockty {
            BlockType::Empty => (0, 0),
            BlockType::Type(_) => (1, 0),
            BlockType::FuncType(index) => {
                let sig = info
                    .types
                    .get(*index as usize)
                    .ok_or_else(|| MeterError::Invalid(format!("missing type {index}")))?;
                (sig.results, sig.params)
            }
        })
    };
    for op in ops {
        match op {
            Operator::Block { blockty } | Operator::Loop { blockty } => {
                let (push, pop) = block_arity(blockty)?;
                apply(&mut stack, &mut worst, push, pop);
                scopes.push(stack);
            }
            Operator::If { blockty } => {
                stack = stack.saturating_sub(1);
                let (push, pop) = block_arity(blockty)?;
                apply(&mut stack, &mut worst, push, pop);
                scopes.push(stack);
            }
            Operator::Else => stack = *scopes.last().ok_or_else(malformed)?,
            Operator::End => stack = scopes.pop().ok_or_else(malformed)?,
            Operator::Call { function_index } => {
                let sig = info.func_signature(*function_index).ok_or_else(|| {
                    MeterError::Invalid(format!("missing type for func {function_index}"))
                })?;
                apply(&mut stack, &mut worst, sig.results, sig.params);
            }
            Operator::CallIndirect { type_index, .. } => {
                let sig = info
                    .types
                    .get(*type_index as usize)
                    .ok_or_else(|| MeterError::Invalid(format!("missing type {type_index}")))?;
                apply(&mut stack, &mut worst, sig.results, sig.params);
                stack = stack.saturating_sub(1);
            }
            other => {
                let effect = opcodes::simple_stack_effect(other).ok_or_else(|| {
                    MeterError::UnsupportedOperator {
                        func,
                        op: operator_name(other),
                        feature: "a WASM proposal nitro does not support",
                    }
                })?;
                apply(&mut stack, &mut worst, effect.push, effect.pop);
            }
        }
    }
    Ok(worst)
}

/// The depth checker: on entry, reserve the function's frame size from the stack budget
/// (trapping with the budget zeroed if it does not fit); give it back before every return.
fn check_depth<'a>(
    mut ops: Vec<Operator<'a>>,
    func: u32,
    locals: u32,
    ctx: &FuncCtx,
) -> Result<Vec<Operator<'a>>, MeterError> {
    let worst = worst_case_stack(&ops, func, ctx)?;
    let limit = ctx.config.max_frame_contention;
    if worst > u32::from(limit) {
        return Err(MeterError::TooManyValues {
            func,
            values: worst,
            limit,
        });
    }
    let size = worst.saturating_add(locals).saturating_add(4);
    if size > ctx.config.max_frame_size {
        return Err(MeterError::FrameTooLarge {
            func,
            size,
            limit: ctx.config.max_frame_size,
        });
    }

    let global_index = ctx.globals.stack_left;
    let size = size as i32;
    let mut out = Vec::with_capacity(ops.len() + 16);
    out.extend([
        Operator::GlobalGet { global_index },
        Operator::I32Const { value: size },
        Operator::I32LeU,
    ]);
    out.extend(trap_setting(global_index, 0));
    out.extend([
        Operator::GlobalGet { global_index },
        Operator::I32Const { value: size },
        Operator::I32Sub,
        Operator::GlobalSet { global_index },
    ]);

    // Falling off the end returns too: make that explicit so it also gives the frame back.
    let last = ops
        .pop()
        .ok_or_else(|| MeterError::Invalid("empty body".into()))?;
    ops.push(Operator::Return);
    ops.push(last);
    for op in ops {
        if matches!(op, Operator::Return) {
            out.extend([
                Operator::GlobalGet { global_index },
                Operator::I32Const { value: size },
                Operator::I32Add,
                Operator::GlobalSet { global_index },
            ]);
        }
        out.push(op);
    }
    Ok(out)
}

/// The heap bound: call `pay_for_memory_grow(pages)` before every `memory.grow`.
fn bound_heap<'a>(ops: Vec<Operator<'a>>, ctx: &FuncCtx) -> Vec<Operator<'a>> {
    let Some(function_index) = ctx.pay_func else {
        return ops;
    };
    let global_index = ctx.globals.scratch;
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        if matches!(op, Operator::MemoryGrow { .. }) {
            out.extend([
                Operator::GlobalSet { global_index },
                Operator::GlobalGet { global_index },
                Operator::GlobalGet { global_index },
                Operator::Call { function_index },
            ]);
        }
        out.push(op);
    }
    out
}
