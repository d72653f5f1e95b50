//! Nitro's activation-time rules for a Stylus module.
//!
//! Mirrors what `activateProgram` checks before it compiles a program (nitro
//! `crates/prover/src/binary.rs` `parse`/`parse_user`, `programs/heap.rs`, `programs/meter.rs`,
//! and the import table it links against): a module refused here is refused on Arbitrum, with
//! a reason a developer can act on. The cost estimates follow the same formulas so that
//! `programInitGas` and the activation data fee come out as nitro's.

use crate::hostio::{self, Ty};
use std::collections::HashMap;
use wasmparser::{
    CompositeInnerType, ExternalKind, FuncType, Operator, Parser, Payload, TypeRef, ValType,
    Validator, WasmFeatures,
};

/// Limits nitro applies at activation; the defaults are Arbitrum's current parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest initial memory, in 64 KiB pages (`PageLimit`, 128).
    pub page_limit: u32,
    /// Whether the `console` debug imports are allowed (debug chains only).
    pub debug: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            page_limit: 128,
            debug: false,
        }
    }
}

/// What activation learns about a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleInfo {
    /// Initial memory in pages: the program's footprint.
    pub footprint: u16,
    /// Whether the memory may grow (then `pay_for_memory_grow` is imported).
    pub growable: bool,
    /// Imported host functions, in import order.
    pub imports: Vec<String>,
    /// Locally defined functions.
    pub functions: u32,
    /// Gas charged on every call to compile-and-instantiate the program (nitro `init_cost`).
    pub init_cost: u16,
    /// Gas charged per call when the program is cached (nitro `cached_init_cost`).
    pub cached_init_cost: u16,
    /// Size estimate of the native code, in bytes, which sets the activation data fee.
    pub asm_estimate: u32,
}

/// Why activation refuses a module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActivationError {
    #[error("invalid WASM or a feature Stylus does not allow: {0}")]
    Invalid(String),
    #[error(
        "float instruction `{op}` in function {func}: Stylus programs may not use floating point"
    )]
    Float { func: u32, op: String },
    #[error("import `{module}.{name}` is not a Stylus host function")]
    UnknownImport { module: String, name: String },
    #[error("import `{module}.{name}` has the wrong signature")]
    ImportSignature { module: String, name: String },
    #[error("only functions may be imported, `{module}.{name}` is not one")]
    ImportKind { module: String, name: String },
    #[error("reserved symbol `{0}` (names starting with `stylus` belong to the runtime)")]
    Reserved(String),
    #[error("the module exports `{0}`, which it also imports")]
    ExportsImport(String),
    #[error("missing memory: a Stylus program must define one memory exported as `memory`")]
    MissingMemory,
    #[error("initial memory of {pages} pages exceeds the limit of {limit}")]
    MemoryTooLarge { pages: u64, limit: u32 },
    #[error("memory may grow but `vm_hooks.pay_for_memory_grow` is not imported")]
    MissingPayForMemoryGrow,
    #[error("missing export `user_entrypoint` of type (i32) -> i32")]
    MissingEntrypoint,
    #[error("`user_entrypoint` must be a function of type (i32) -> i32")]
    EntrypointType,
    #[error("start functions are not allowed")]
    StartFunction,
    #[error("global initialisers must be constants")]
    NonConstGlobal,
    #[error("too many {what}: {count} > {limit}")]
    TooMany {
        what: &'static str,
        count: u64,
        limit: u64,
    },
    #[error("name too long: {len} > 512 bytes")]
    NameTooLong { len: usize },
}

const ENTRYPOINT: &str = "user_entrypoint";
const PAY_FOR_MEMORY_GROW: &str = "pay_for_memory_grow";
/// Globals nitro's instrumentation adds (ink left, ink status, stack left, scratch), which its
/// cost formulas count.
const INSTRUMENTATION_GLOBALS: u64 = 4;

/// Features nitro's validator enables: the MVP plus mutable globals, saturating float-to-int,
/// sign extension, multi-value and bulk memory. Floats pass validation and are refused by the
/// meter, as in nitro.
fn features() -> WasmFeatures {
    WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::FLOATS
}

macro_rules! limit {
    ($what:expr, $count:expr, $limit:expr) => {
        if ($count as u64) > ($limit as u64) {
            return Err(ActivationError::TooMany {
                what: $what,
                count: $count as u64,
                limit: $limit as u64,
            });
        }
    };
}

/// Checks `wasm` against nitro's activation rules and estimates its costs.
pub fn validate(wasm: &[u8], limits: &Limits) -> Result<ModuleInfo, ActivationError> {
    Validator::new_with_features(features())
        .validate_all(wasm)
        .map_err(|e| ActivationError::Invalid(e.message().to_string()))?;

    let mut types: Vec<FuncType> = Vec::new();
    let mut imports: Vec<(String, String, u32)> = Vec::new();
    let mut local_funcs: Vec<u32> = Vec::new();
    let mut memories = Vec::new();
    let mut exports: HashMap<String, (ExternalKind, u32)> = HashMap::new();
    let mut globals = 0u64;
    let mut datas = 0u64;
    let mut elements = 0u64;
    let mut data_len = 0u64;
    let mut elem_entries = 0u64;
    let mut table_entries = 0u64;
    let mut func_index = 0u32;

    let invalid = |e: wasmparser::BinaryReaderError| ActivationError::Invalid(e.message().into());
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(invalid)? {
            Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group.map_err(invalid)?.into_types() {
                        if let CompositeInnerType::Func(f) = sub.composite_type.inner {
                            types.push(f);
                        }
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(invalid)?;
                    let (module, name) = (import.module.to_string(), import.name.to_string());
                    let TypeRef::Func(ty) = import.ty else {
                        return Err(ActivationError::ImportKind { module, name });
                    };
                    imports.push((module, name, ty));
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    local_funcs.push(ty.map_err(invalid)?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    table_entries =
                        table_entries.saturating_add(table.map_err(invalid)?.ty.initial);
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    memories.push(memory.map_err(invalid)?);
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    let global = global.map_err(invalid)?;
                    let mut ops = global.init_expr.get_operators_reader();
                    let first = ops.read().map_err(invalid)?;
                    let second = ops.read().map_err(invalid)?;
                    let is_const = matches!(
                        first,
                        Operator::I32Const { .. }
                            | Operator::I64Const { .. }
                            | Operator::F32Const { .. }
                            | Operator::F64Const { .. }
                    ) && matches!(second, Operator::End)
                        && ops.eof();
                    if !is_const {
                        return Err(ActivationError::NonConstGlobal);
                    }
                    globals += 1;
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(invalid)?;
                    if export.name.len() > 512 {
                        return Err(ActivationError::NameTooLong {
                            len: export.name.len(),
                        });
                    }
                    exports.insert(export.name.to_string(), (export.kind, export.index));
                }
            }
            Payload::StartSection { .. } => return Err(ActivationError::StartFunction),
            Payload::ElementSection(reader) => {
                for element in reader {
                    let element = element.map_err(invalid)?;
                    elements += 1;
                    let len = element.range.end - element.range.start;
                    elem_entries += len;
                    data_len += len;
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data.map_err(invalid)?;
                    datas += 1;
                    data_len += data.range.end - data.range.start;
                }
            }
            Payload::CodeSectionEntry(body) => {
                let locals = body.get_locals_reader().map_err(invalid)?;
                let mut local_count = 0u64;
                for local in locals {
                    local_count += u64::from(local.map_err(invalid)?.0);
                }
                limit!("locals in a function", local_count, 348);
                let mut ops = body.get_operators_reader().map_err(invalid)?;
                let mut op_count = 0u64;
                while !ops.eof() {
                    let op = ops.read().map_err(invalid)?;
                    if is_float(&op) {
                        return Err(ActivationError::Float {
                            func: func_index,
                            op: format!("{op:?}"),
                        });
                    }
                    op_count += 1;
                }
                limit!("opcodes in a function body", op_count, 65536);
                func_index += 1;
            }
            Payload::CustomSection(section) if section.name() == "name" => {
                check_module_name(section.data())?;
            }
            _ => {}
        }
    }

    check_imports(&imports, &types, limits)?;

    let reserved = |name: &str| name.starts_with("stylus");
    if let Some((_, name, _)) = imports.iter().find(|(_, name, _)| reserved(name)) {
        return Err(ActivationError::Reserved(name.clone()));
    }
    for name in exports.keys() {
        let base = name.rsplit("__").next().unwrap_or(name);
        if reserved(base) {
            return Err(ActivationError::Reserved(base.to_string()));
        }
        if imports.iter().any(|(_, import, _)| import == base) {
            return Err(ActivationError::ExportsImport(base.to_string()));
        }
    }

    let Some(memory) = memories.first() else {
        return Err(ActivationError::MissingMemory);
    };
    if !matches!(exports.get("memory"), Some((ExternalKind::Memory, 0))) {
        return Err(ActivationError::MissingMemory);
    }
    if memory.initial > u64::from(limits.page_limit) {
        return Err(ActivationError::MemoryTooLarge {
            pages: memory.initial,
            limit: limits.page_limit,
        });
    }
    let growable = memory.maximum != Some(memory.initial);
    let pays_for_growth = imports
        .iter()
        .any(|(module, name, _)| module == hostio::MODULE && name == PAY_FOR_MEMORY_GROW);
    if growable && !pays_for_growth {
        return Err(ActivationError::MissingPayForMemoryGrow);
    }

    let import_count = imports.len() as u32;
    match exports.get(ENTRYPOINT) {
        Some((ExternalKind::Func, index)) => {
            let ty = if *index < import_count {
                imports[*index as usize].2
            } else {
                *local_funcs
                    .get((*index - import_count) as usize)
                    .ok_or(ActivationError::EntrypointType)?
            };
            let ty = &types[ty as usize];
            if ty.params() != [ValType::I32] || ty.results() != [ValType::I32] {
                return Err(ActivationError::EntrypointType);
            }
        }
        Some(_) => return Err(ActivationError::EntrypointType),
        None => return Err(ActivationError::MissingEntrypoint),
    }

    limit!("memories", memories.len(), 1);
    limit!("data segments", datas, 128);
    limit!("element segments", elements, 128);
    limit!("exports", exports.len(), 1024);
    limit!("functions", local_funcs.len(), 4096);
    limit!("globals", globals, 32768);
    limit!("imports", imports.len(), 513);
    limit!("table entries", table_entries, 4096);
    limit!("element entries", elem_entries, 4096);

    let type_len: u64 = local_funcs
        .iter()
        .map(|&t| {
            let ty = &types[t as usize];
            (ty.params().len() + ty.results().len()) as u64
        })
        .sum();
    let footprint = u16::try_from(memory.initial).unwrap_or(u16::MAX);
    let costs = Costs::estimate(
        local_funcs.len() as u64,
        type_len,
        wasm.len() as u64,
        globals + INSTRUMENTATION_GLOBALS,
        data_len,
        footprint,
    );

    Ok(ModuleInfo {
        footprint,
        growable,
        imports: imports.into_iter().map(|(_, name, _)| name).collect(),
        functions: local_funcs.len() as u32,
        init_cost: costs.init,
        cached_init_cost: costs.cached_init,
        asm_estimate: costs.asm_estimate,
    })
}

fn check_imports(
    imports: &[(String, String, u32)],
    types: &[FuncType],
    limits: &Limits,
) -> Result<(), ActivationError> {
    let mut seen: HashMap<(&str, &str), u32> = HashMap::new();
    for (module, name, ty) in imports {
        let err_sig = || ActivationError::ImportSignature {
            module: module.clone(),
            name: name.clone(),
        };
        if let Some(prior) = seen.insert((module, name), *ty) {
            if types[prior as usize] != types[*ty as usize] {
                return Err(err_sig());
            }
        }
        let ty = &types[*ty as usize];
        if module == hostio::DEBUG_MODULE && limits.debug {
            continue;
        }
        let known = (module == hostio::MODULE)
            .then(|| hostio::lookup(name))
            .flatten()
            .ok_or_else(|| ActivationError::UnknownImport {
                module: module.clone(),
                name: name.clone(),
            })?;
        let to_ty = |v: &ValType| match v {
            ValType::I32 => Some(Ty::I32),
            ValType::I64 => Some(Ty::I64),
            _ => None,
        };
        let params: Option<Vec<Ty>> = ty.params().iter().map(to_ty).collect();
        let results: Option<Vec<Ty>> = ty.results().iter().map(to_ty).collect();
        if params.as_deref() != Some(known.params) || results.as_deref() != Some(known.results) {
            return Err(err_sig());
        }
    }
    Ok(())
}

fn check_module_name(data: &[u8]) -> Result<(), ActivationError> {
    let reader = wasmparser::NameSectionReader::new(wasmparser::BinaryReader::new(data, 0));
    for name in reader.flatten() {
        if let wasmparser::Name::Module { name, .. } = name {
            if name.len() > 512 {
                return Err(ActivationError::NameTooLong { len: name.len() });
            }
        }
    }
    Ok(())
}

/// nitro's activation-time cost model (`WasmBinary::instrument`, Stylus version 2).
struct Costs {
    init: u16,
    cached_init: u16,
    asm_estimate: u32,
}

impl Costs {
    fn estimate(
        funcs: u64,
        type_len: u64,
        wasm_len: u64,
        globals: u64,
        data_len: u64,
        footprint: u16,
    ) -> Self {
        let asm_estimate = 512_000u64
            .saturating_add(funcs.saturating_mul(996_829) / 1000)
            .saturating_add(type_len.saturating_mul(11_416) / 1000)
            .saturating_add(wasm_len.saturating_mul(62_628) / 10_000);
        let cached_init = (funcs.saturating_mul(13_420) / 100_000)
            .saturating_add(type_len.saturating_mul(89) / 100_000)
            .saturating_add(wasm_len.saturating_mul(122) / 100_000)
            .saturating_add(globals.saturating_mul(1_628) / 1000)
            .saturating_add(data_len.saturating_mul(75_244) / 100_000)
            .saturating_add(u64::from(footprint) * 5);
        let init = (funcs.saturating_mul(8_252) / 1000)
            .saturating_add(type_len.saturating_mul(1_059) / 1000)
            .saturating_add(wasm_len.saturating_mul(1_286) / 10_000);
        Self {
            init: u16::try_from(init).unwrap_or(u16::MAX),
            cached_init: u16::try_from(cached_init).unwrap_or(u16::MAX),
            asm_estimate: u32::try_from(asm_estimate).unwrap_or(u32::MAX),
        }
    }
}

fn is_float(op: &Operator) -> bool {
    let name = format!("{op:?}");
    name.starts_with("F32") || name.starts_with("F64") || float_conversion(op)
}

fn float_conversion(op: &Operator) -> bool {
    use Operator::*;
    matches!(
        op,
        I32TruncF32S
            | I32TruncF32U
            | I32TruncF64S
            | I32TruncF64U
            | I64TruncF32S
            | I64TruncF32U
            | I64TruncF64S
            | I64TruncF64U
            | I32TruncSatF32S
            | I32TruncSatF32U
            | I32TruncSatF64S
            | I32TruncSatF64U
            | I64TruncSatF32S
            | I64TruncSatF32U
            | I64TruncSatF64S
            | I64TruncSatF64U
            | I32ReinterpretF32
            | I64ReinterpretF64
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ENTRY: &str = r#"(func (export "user_entrypoint") (param i32) (result i32) local.get 0)"#;

    fn module(body: &str) -> Vec<u8> {
        wat::parse_str(format!("(module {body})")).unwrap()
    }

    fn check(body: &str) -> Result<ModuleInfo, ActivationError> {
        validate(&module(body), &Limits::default())
    }

    #[test]
    fn accepts_a_minimal_program() {
        let info = check(&format!(
            r#"(import "vm_hooks" "read_args" (func (param i32)))
               (memory (export "memory") 1 1) {ENTRY}"#
        ))
        .unwrap();
        assert_eq!(info.footprint, 1);
        assert!(!info.growable);
        assert_eq!(info.imports, vec!["read_args".to_string()]);
        assert_eq!(info.functions, 1);
        assert!(info.asm_estimate >= 512_000);
    }

    #[test]
    fn refuses_floats() {
        let err = check(&format!(
            r#"(memory (export "memory") 1 1) {ENTRY}
               (func (result f32) f32.const 1 f32.const 2 f32.add)"#
        ))
        .unwrap_err();
        assert!(
            matches!(err, ActivationError::Float { func: 1, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("floating point"));
    }

    #[test]
    fn refuses_unknown_and_mistyped_imports() {
        let unknown = check(&format!(
            r#"(import "env" "abort" (func)) (memory (export "memory") 1 1) {ENTRY}"#
        ));
        assert!(matches!(
            unknown,
            Err(ActivationError::UnknownImport { .. })
        ));
        let misspelt = check(&format!(
            r#"(import "vm_hooks" "read_arg" (func (param i32))) (memory (export "memory") 1 1) {ENTRY}"#
        ));
        assert!(matches!(
            misspelt,
            Err(ActivationError::UnknownImport { .. })
        ));
        let mistyped = check(&format!(
            r#"(import "vm_hooks" "read_args" (func (param i64))) (memory (export "memory") 1 1) {ENTRY}"#
        ));
        assert!(matches!(
            mistyped,
            Err(ActivationError::ImportSignature { .. })
        ));
        let console = format!(
            r#"(import "console" "log_i32" (func (param i32))) (memory (export "memory") 1 1) {ENTRY}"#
        );
        assert!(matches!(
            check(&console),
            Err(ActivationError::UnknownImport { .. })
        ));
        let debug = Limits {
            debug: true,
            ..Limits::default()
        };
        assert!(validate(&module(&console), &debug).is_ok());
    }

    #[test]
    fn refuses_bad_memory() {
        assert_eq!(check(ENTRY), Err(ActivationError::MissingMemory));
        assert_eq!(
            check(&format!(r#"(memory 1 1) {ENTRY}"#)),
            Err(ActivationError::MissingMemory)
        );
        assert_eq!(
            check(&format!(r#"(memory (export "memory") 129) {ENTRY}"#)),
            Err(ActivationError::MemoryTooLarge {
                pages: 129,
                limit: 128
            })
        );
        assert_eq!(
            check(&format!(r#"(memory (export "memory") 1) {ENTRY}"#)),
            Err(ActivationError::MissingPayForMemoryGrow)
        );
        let pays = check(&format!(
            r#"(import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
               (memory (export "memory") 1) {ENTRY}"#
        ))
        .unwrap();
        assert!(pays.growable);
    }

    #[test]
    fn refuses_bad_entrypoints_and_start() {
        assert_eq!(
            check(r#"(memory (export "memory") 1 1)"#),
            Err(ActivationError::MissingEntrypoint)
        );
        assert_eq!(
            check(r#"(memory (export "memory") 1 1) (func (export "user_entrypoint"))"#),
            Err(ActivationError::EntrypointType)
        );
        assert_eq!(
            check(&format!(
                r#"(memory (export "memory") 1 1) {ENTRY} (func $s) (start $s)"#
            )),
            Err(ActivationError::StartFunction)
        );
    }

    #[test]
    fn refuses_disabled_features_and_reserved_names() {
        let simd = check(&format!(
            r#"(memory (export "memory") 1 1) {ENTRY}
               (func (result v128) v128.const i64x2 0 0)"#
        ));
        assert!(matches!(simd, Err(ActivationError::Invalid(_))));
        let reftypes = check(&format!(
            r#"(memory (export "memory") 1 1) {ENTRY} (table 1 externref)"#
        ));
        assert!(matches!(reftypes, Err(ActivationError::Invalid(_))));
        let reserved = check(&format!(
            r#"(memory (export "memory") 1 1) {ENTRY} (func (export "stylus_start"))"#
        ));
        assert_eq!(
            reserved,
            Err(ActivationError::Reserved("stylus_start".into()))
        );
    }

    #[test]
    fn counts_limits() {
        let many_locals = check(&format!(
            r#"(memory (export "memory") 1 1) {ENTRY} (func (local {}))"#,
            "i32 ".repeat(349)
        ));
        assert_eq!(
            many_locals,
            Err(ActivationError::TooMany {
                what: "locals in a function",
                count: 349,
                limit: 348
            })
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            let _ = validate(&bytes, &Limits::default());
            let mut with_header = b"\0asm\x01\0\0\0".to_vec();
            with_header.extend(&bytes);
            let _ = validate(&with_header, &Limits::default());
        }
    }
}
