//! Instrumentation parameters (nitro's `CompileConfig` for Stylus versions 1 to 3).

use crate::MeterError;

/// What to do with floating-point operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatPolicy {
    /// Refuse the module with [`MeterError::FloatOperator`]. Nitro itself activates such
    /// modules; use this where a clear early error is worth more than exact equivalence.
    Refuse,
    /// Nitro's behaviour: price every float operator at `u64::MAX` ink, so any basic block that
    /// contains one runs out of ink as soon as it is entered, while dead float code is harmless.
    ChargeMax,
}

/// Parameters of the instrumentation pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeterConfig {
    /// Ink charged on top of the opcodes of every basic block, for the check itself.
    pub ink_header_cost: u64,
    /// Ink per byte filled by `memory.fill`.
    pub memory_fill_ink: u64,
    /// Ink per byte copied by `memory.copy`.
    pub memory_copy_ink: u64,
    /// Largest stack frame a function may have, in words (depth model units).
    pub max_frame_size: u32,
    /// Largest number of values a function may have on its operand stack at once.
    pub max_frame_contention: u16,
    /// Largest initial memory, in 64 KiB pages.
    pub heap_bound: u32,
    /// Nitro's debug chains: keep every export and move a start function to `stylus_start`
    /// instead of refusing it.
    pub debug: bool,
    /// How to treat floating-point operators.
    pub floats: FloatPolicy,
}

impl MeterConfig {
    /// The configuration nitro uses for a Stylus version (1, 2 and 3 share their pricing).
    /// Floats are refused; set [`MeterConfig::floats`] to [`FloatPolicy::ChargeMax`] for
    /// nitro's exact behaviour.
    pub fn for_version(version: u16) -> Result<Self, MeterError> {
        match version {
            1..=3 => Ok(Self::STYLUS_V1_TO_V3),
            _ => Err(MeterError::UnknownVersion(version)),
        }
    }

    /// Nitro's exact behaviour for a Stylus version: as [`MeterConfig::for_version`], with
    /// floats accepted and priced at `u64::MAX` ([`FloatPolicy::ChargeMax`]), so that every
    /// program nitro activates is activated here too.
    pub fn nitro(version: u16) -> Result<Self, MeterError> {
        Ok(Self {
            floats: FloatPolicy::ChargeMax,
            ..Self::for_version(version)?
        })
    }

    const STYLUS_V1_TO_V3: Self = Self {
        ink_header_cost: 2450,
        memory_fill_ink: 800 / 8,
        memory_copy_ink: 800 / 8,
        max_frame_size: 10 * 1024,
        max_frame_contention: 4096,
        heap_bound: 128,
        debug: false,
        floats: FloatPolicy::Refuse,
    };
}

impl Default for MeterConfig {
    /// Stylus version 2, the version live on Arbitrum chains since ArbOS 40.
    fn default() -> Self {
        Self::STYLUS_V1_TO_V3
    }
}
