//! Why a module cannot be instrumented (each one a reason nitro refuses activation too, except
//! where noted).

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MeterError {
    #[error("invalid wasm: {0}")]
    Invalid(String),
    #[error("no Stylus configuration for version {0}")]
    UnknownVersion(u16),
    #[error(
        "function {func} uses the float operator {op}: nitro prices floats at u64::MAX ink, \
         so no Stylus program can execute it"
    )]
    FloatOperator { func: u32, op: String },
    #[error("function {func} uses {op}, part of {feature}, which Stylus does not support")]
    UnsupportedOperator {
        func: u32,
        op: String,
        feature: &'static str,
    },
    #[error("start functions not allowed")]
    StartFunction,
    #[error("missing memory with export name \"memory\"")]
    MissingMemory,
    #[error("only one memory is allowed")]
    TooManyMemories,
    #[error("memory size {pages} exceeds bound {bound}")]
    MemoryTooLarge { pages: u64, bound: u32 },
    #[error("memory can grow but vm_hooks.pay_for_memory_grow is not imported")]
    MissingPayForMemoryGrow,
    #[error("wrong type for pay_for_memory_grow: must be (i32) -> ()")]
    PayForMemoryGrowType,
    #[error("missing export with name user_entrypoint")]
    MissingEntrypoint,
    #[error("user_entrypoint must be a function of type (i32) -> i32")]
    EntrypointType,
    #[error("binary exports reserved symbol {0}")]
    ReservedExport(String),
    #[error("function {func}: frame too large: {size} > {limit}-word limit")]
    FrameTooLarge { func: u32, size: u32, limit: u32 },
    #[error("function {func}: too many values on the stack at once: {values} > {limit}")]
    TooManyValues { func: u32, values: u32, limit: u16 },
    #[error(
        "function {func}: too many opcodes in func body after instrumentation: {ops} > {limit}"
    )]
    FunctionTooLong { func: u32, ops: usize, limit: usize },
}

impl From<wasmparser::BinaryReaderError> for MeterError {
    fn from(error: wasmparser::BinaryReaderError) -> Self {
        Self::Invalid(error.to_string())
    }
}
