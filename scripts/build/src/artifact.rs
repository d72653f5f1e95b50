//! One contract, built and checked.

use alloy_primitives::{keccak256, B256};
use std::path::Path;
use stylus_program::{code, initcode, process, validate, ActivationError, Limits, ModuleInfo};

/// A contract ready to deploy.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub package: String,
    /// The module as rustc wrote it.
    pub raw_wasm_len: usize,
    /// The processed module (what nitro decompresses and activates).
    pub wasm: Vec<u8>,
    /// On-chain code: `EF F0 00 00` ‖ brotli-11(wasm).
    pub code: Vec<u8>,
    /// Init code: the 43-byte prelude ‖ code.
    pub init_code: Vec<u8>,
    /// keccak256 of `code`: the key under which ArbWasm activates the program.
    pub code_hash: B256,
    /// What activation learns about the module.
    pub info: ModuleInfo,
    /// The limit the code was checked against.
    pub max_code_size: usize,
}

/// Why a contract cannot be deployed as built.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write artefacts: {0}")]
    Write(#[source] std::io::Error),
    #[error("cannot process the module: {0}")]
    Process(#[from] process::ProcessError),
    #[error("nitro would refuse to activate it: {0}")]
    Activation(#[from] ActivationError),
    #[error(
        "compressed code is {size} bytes, over the {limit}-byte limit by {} bytes: \
         shrink the contract or split it",
        size - limit
    )]
    TooLarge { size: usize, limit: usize },
    #[error("decompressed module is {size} bytes, over nitro's {limit}-byte limit")]
    WasmTooLarge { size: usize, limit: usize },
}

impl Artifact {
    pub fn from_wasm_file(
        package: &str,
        path: &Path,
        project_hash: [u8; 32],
        max_code_size: usize,
    ) -> Result<Self, ContractError> {
        let raw = std::fs::read(path).map_err(|source| ContractError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_wasm(package, &raw, project_hash, max_code_size)
    }

    /// Processes, validates and compresses a compiled module.
    pub fn from_wasm(
        package: &str,
        raw: &[u8],
        project_hash: [u8; 32],
        max_code_size: usize,
    ) -> Result<Self, ContractError> {
        let wasm = process::process(raw, project_hash)?;
        let info = validate(&wasm, &Limits::default())?;
        if wasm.len() > code::MAX_WASM_SIZE {
            return Err(ContractError::WasmTooLarge {
                size: wasm.len(),
                limit: code::MAX_WASM_SIZE,
            });
        }
        let onchain = code::encode(&wasm);
        if onchain.len() > max_code_size {
            return Err(ContractError::TooLarge {
                size: onchain.len(),
                limit: max_code_size,
            });
        }
        Ok(Self {
            package: package.to_string(),
            raw_wasm_len: raw.len(),
            init_code: initcode::init_code(&onchain),
            code_hash: keccak256(&onchain),
            code: onchain,
            wasm,
            info,
            max_code_size,
        })
    }

    /// Share of the code-size limit used, in percent.
    pub fn percent_of_limit(&self) -> f64 {
        self.code.len() as f64 * 100.0 / self.max_code_size as f64
    }

    /// Writes `<package>.wasm`, `code.bin` and `initcode.bin` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), ContractError> {
        std::fs::create_dir_all(dir).map_err(ContractError::Write)?;
        let files: [(String, &[u8]); 3] = [
            (format!("{}.wasm", self.package), &self.wasm),
            ("code.bin".into(), &self.code),
            ("initcode.bin".into(), &self.init_code),
        ];
        for (name, bytes) in files {
            std::fs::write(dir.join(name), bytes).map_err(ContractError::Write)?;
        }
        Ok(())
    }
}
