//! Stylus programs: activation records and the cache of compiled modules.
//!
//! Records live in the storage of the ArbOS state account, one word per code hash in nitro's
//! layout, so they are written through revm's journal: a reverted activation or a reverted
//! snapshot forgets them like any other state. Compiled modules are pure functions of the code,
//! so they are cached outside state by code hash and shared by every EVM instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use alloy_primitives::{keccak256, B256, U256};
use revm::context_interface::JournalTr;
use stylus_program::{ActivationError, Limits, ModuleInfo};

use crate::params::{self, stylus};

/// A program's activation record (nitro's `Program`, packed into one storage word).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProgramRecord {
    /// Stylus version it was activated under; 0 means never activated.
    pub version: u16,
    /// Init cost estimate from activation.
    pub init_cost: u16,
    /// Init cost estimate when cached.
    pub cached_cost: u16,
    /// Pages the module needs at start.
    pub footprint: u16,
    /// Hours since Arbitrum began, at activation.
    pub activated_at: u32,
    /// Estimated size of the compiled module, in KiB.
    pub asm_estimate_kb: u32,
    /// Whether the program is pinned in the cache (`ArbWasmCache`).
    pub cached: bool,
}

/// Why an activated program cannot run (nitro's errors from `getActiveProgram`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InactiveReason {
    /// No record for this code hash.
    NotActivated,
    /// Activated under an older Stylus version.
    NeedsUpgrade {
        /// Version of the record.
        version: u16,
        /// Current Stylus version.
        stylus_version: u16,
    },
    /// Past the expiry.
    Expired {
        /// Seconds since activation.
        age: u64,
    },
}

impl ProgramRecord {
    /// Decodes nitro's word layout.
    pub fn from_word(word: &[u8; 32]) -> Self {
        let u16_at = |i: usize| u16::from_be_bytes([word[i], word[i + 1]]);
        let u24_at = |i: usize| u32::from_be_bytes([0, word[i], word[i + 1], word[i + 2]]);
        Self {
            version: u16_at(0),
            init_cost: u16_at(2),
            cached_cost: u16_at(4),
            footprint: u16_at(6),
            activated_at: u24_at(8),
            asm_estimate_kb: u24_at(11),
            cached: word[14] != 0,
        }
    }

    /// Encodes nitro's word layout.
    pub fn to_word(&self) -> [u8; 32] {
        let mut word = [0u8; 32];
        word[0..2].copy_from_slice(&self.version.to_be_bytes());
        word[2..4].copy_from_slice(&self.init_cost.to_be_bytes());
        word[4..6].copy_from_slice(&self.cached_cost.to_be_bytes());
        word[6..8].copy_from_slice(&self.footprint.to_be_bytes());
        word[8..11].copy_from_slice(&self.activated_at.to_be_bytes()[1..]);
        word[11..14].copy_from_slice(&self.asm_estimate_kb.to_be_bytes()[1..]);
        word[14] = u8::from(self.cached);
        word
    }

    /// Seconds since activation at `time`.
    pub fn age_seconds(&self, time: u64) -> u64 {
        let activated = u64::from(self.activated_at) * 3600 + params::ARBITRUM_START_TIME;
        time.saturating_sub(activated)
    }

    /// Gas to start the program when it is not cached (without the cached part).
    pub fn init_gas(&self) -> u64 {
        stylus::PARAMS.init_gas(self.init_cost)
    }

    /// Gas to start the program when it is cached; charged on every call from version 2 on.
    pub fn cached_gas(&self) -> u64 {
        stylus::PARAMS.cached_gas(self.cached_cost)
    }

    /// What the metering crate needs to price a call.
    pub fn info(&self) -> stylus_metering::ProgramInfo {
        stylus_metering::ProgramInfo {
            version: self.version,
            init_cost: self.init_cost,
            cached_init_cost: self.cached_cost,
            footprint: self.footprint,
        }
    }

    /// The record if the program may run at `time`.
    pub fn check_active(self, time: u64) -> Result<Self, InactiveReason> {
        if self.version == 0 {
            return Err(InactiveReason::NotActivated);
        }
        if self.version != stylus::VERSION {
            return Err(InactiveReason::NeedsUpgrade {
                version: self.version,
                stylus_version: stylus::VERSION,
            });
        }
        let age = self.age_seconds(time);
        if age > expiry_seconds() {
            return Err(InactiveReason::Expired { age });
        }
        Ok(self)
    }

    /// Whether the record is missing or past its expiry (so activation may run again).
    pub fn is_expired(&self, time: u64) -> bool {
        self.activated_at == 0 || self.age_seconds(time) > expiry_seconds()
    }
}

/// Seconds a program stays active after activation.
pub fn expiry_seconds() -> u64 {
    u64::from(stylus::EXPIRY_DAYS) * 86_400
}

/// Hours since Arbitrum began, as stored in records.
pub fn hours_since_arbitrum(time: u64) -> u32 {
    let hours = time.saturating_sub(params::ARBITRUM_START_TIME) / 3600;
    u32::try_from(hours).unwrap_or(u32::MAX).min(0x00FF_FFFF)
}

/// Storage slot of a code hash's record in the ArbOS state account.
pub fn record_slot(code_hash: B256) -> U256 {
    let mut preimage = Vec::with_capacity(48);
    preimage.extend_from_slice(b"stylus.programs.");
    preimage.extend_from_slice(code_hash.as_slice());
    U256::from_be_bytes(keccak256(preimage).0)
}

/// Reads the record of `code_hash` through the journal.
pub fn load_record<J: JournalTr>(
    journal: &mut J,
    code_hash: B256,
) -> Result<ProgramRecord, <J::Database as revm::Database>::Error> {
    journal.load_account(params::ARBOS_STATE)?;
    let word = journal.sload(params::ARBOS_STATE, record_slot(code_hash))?;
    Ok(ProgramRecord::from_word(&word.data.to_be_bytes()))
}

/// Writes the record of `code_hash` through the journal.
pub fn store_record<J: JournalTr>(
    journal: &mut J,
    code_hash: B256,
    record: &ProgramRecord,
) -> Result<(), <J::Database as revm::Database>::Error> {
    journal.load_account(params::ARBOS_STATE)?;
    let value = U256::from_be_bytes(record.to_word());
    journal.sstore(params::ARBOS_STATE, record_slot(code_hash), value)?;
    Ok(())
}

/// A module ready to instantiate, with what activation learnt about it.
#[derive(Debug)]
pub struct CompiledProgram {
    /// The wasmi module, instrumented for ink and stack depth.
    pub module: wasmi::Module,
    /// Validation results: footprint, init costs, imports.
    pub info: ModuleInfo,
    /// Hash of the decompressed WASM (nitro's module hash names the compiled form).
    pub module_hash: B256,
}

/// Why code cannot become a program.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The code is not Stylus code or does not decompress.
    #[error("program not wasm: {0}")]
    NotWasm(String),
    /// Nitro's activation rules refuse the module.
    #[error("activation refused: {0}")]
    Refused(#[from] ActivationError),
    /// Ink instrumentation refuses the module.
    #[error("instrumentation refused: {0}")]
    Meter(#[from] stylus_metering::MeterError),
    /// The WASM engine refuses the module.
    #[error("module does not compile: {0}")]
    Engine(String),
}

/// Compiled modules by code hash, shared by all EVM instances of a chain.
#[derive(Debug)]
pub struct ProgramCache {
    engine: wasmi::Engine,
    modules: Mutex<HashMap<B256, Arc<CompiledProgram>>>,
}

impl Default for ProgramCache {
    fn default() -> Self {
        Self::new()
    }
}

impl ProgramCache {
    /// An empty cache with its own engine.
    pub fn new() -> Self {
        let mut config = wasmi::Config::default();
        // The depth checker, not the engine, must decide when recursion stops.
        config.set_max_recursion_depth(stylus_metering::max_call_depth(stylus::MAX_STACK_DEPTH));
        Self {
            engine: wasmi::Engine::new(&config),
            modules: Mutex::new(HashMap::new()),
        }
    }

    /// The engine modules are compiled for.
    pub fn engine(&self) -> &wasmi::Engine {
        &self.engine
    }

    /// Decodes, validates with nitro's rules (given the pages still available) and compiles.
    pub fn compile(&self, code: &[u8], page_limit: u16) -> Result<CompiledProgram, CompileError> {
        let wasm = stylus_program::decode(code, stylus::MAX_WASM_SIZE as usize)
            .map_err(|e| CompileError::NotWasm(e.to_string()))?;
        let limits = Limits {
            page_limit: u32::from(page_limit),
            debug: false,
        };
        let info = stylus_program::validate(&wasm, &limits)?;
        let config = stylus_metering::MeterConfig::for_version(stylus::VERSION)?;
        let metered = stylus_metering::instrument(&wasm, &config)?;
        let module = wasmi::Module::new(&self.engine, &metered.wasm[..])
            .map_err(|e| CompileError::Engine(e.to_string()))?;
        Ok(CompiledProgram {
            module,
            info,
            module_hash: keccak256(&wasm),
        })
    }

    /// The cached module for `code_hash`.
    pub fn get(&self, code_hash: &B256) -> Option<Arc<CompiledProgram>> {
        self.lock().get(code_hash).cloned()
    }

    /// Caches a module.
    pub fn insert(&self, code_hash: B256, program: CompiledProgram) -> Arc<CompiledProgram> {
        let program = Arc::new(program);
        self.lock().insert(code_hash, program.clone());
        program
    }

    /// The module for `code_hash`, compiling `code` if it is not cached (after a restart or
    /// when a snapshot brought back an activation this cache never saw).
    pub fn get_or_compile(
        &self,
        code_hash: B256,
        code: &[u8],
    ) -> Result<Arc<CompiledProgram>, CompileError> {
        if let Some(program) = self.get(&code_hash) {
            return Ok(program);
        }
        let program = self.compile(code, stylus::PAGE_LIMIT)?;
        Ok(self.insert(code_hash, program))
    }

    /// Drops every cached module.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Number of cached modules.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no module is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<B256, Arc<CompiledProgram>>> {
        // A panic while holding the lock cannot leave the map half-updated (single inserts).
        self.modules.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_word_round_trips() {
        let record = ProgramRecord {
            version: 2,
            init_cost: 0x1234,
            cached_cost: 0x0456,
            footprint: 3,
            activated_at: 0x00AB_CDEF,
            asm_estimate_kb: 0x0001_0203,
            cached: true,
        };
        assert_eq!(ProgramRecord::from_word(&record.to_word()), record);
    }

    #[test]
    fn init_gas_follows_nitro_formula() {
        let record = ProgramRecord {
            version: 2,
            init_cost: 101,
            cached_cost: 7,
            ..Default::default()
        };
        // 69 * 128 + ceil(101 * 100 / 100); 11 * 32 + ceil(7 * 100 / 100)
        assert_eq!(record.init_gas(), 8832 + 101);
        assert_eq!(record.cached_gas(), 352 + 7);
    }

    #[test]
    fn expiry_and_versions() {
        let now = params::ARBITRUM_START_TIME + 10 * 86_400;
        let record = ProgramRecord {
            version: stylus::VERSION,
            activated_at: hours_since_arbitrum(now),
            ..Default::default()
        };
        assert!(record.check_active(now).is_ok());
        let late = now + expiry_seconds() + 3600;
        assert!(matches!(
            record.check_active(late),
            Err(InactiveReason::Expired { .. })
        ));
        let old = ProgramRecord {
            version: 1,
            ..record
        };
        assert!(matches!(
            old.check_active(now),
            Err(InactiveReason::NeedsUpgrade { version: 1, .. })
        ));
        assert_eq!(
            ProgramRecord::default().check_active(now),
            Err(InactiveReason::NotActivated)
        );
    }
}
