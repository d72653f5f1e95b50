//! The contract build pipeline.
//!
//! For each contract crate (a `cdylib` under `contracts/`): compile it to `wasm32-unknown-unknown`
//! with the workspace's size-tuned release profile, process the module as cargo-stylus does,
//! compress it into on-chain code, wrap it in init code, and check it against nitro's activation
//! rules and the 24 KiB code limit. Every contract builds in its own cargo invocation so that one
//! crate's features (say stylus-sdk's `reentrant`) never leak into another's code.
//!
//! The artefacts land in `target/stylus/<crate>/` (`<crate>.wasm`, `code.bin`, `initcode.bin`)
//! where the deployer and the tests pick them up.

mod abi_check;
mod artifact;
mod cargo;
mod report;

pub use abi_check::{drift, exported_functions, Drift};
pub use artifact::{Artifact, ContractError};
pub use cargo::{committed_interface, contract_crates, export_abi, workspace_root, CargoError};
pub use report::table;

use std::path::{Path, PathBuf};

/// Options for a build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Workspace root (where `Cargo.toml` and `Cargo.lock` live).
    pub root: PathBuf,
    /// Limit on compressed on-chain code, in bytes (EIP-170: 24,576).
    pub max_code_size: usize,
    /// Print cargo's own progress.
    pub verbose: bool,
    /// Override the release profile's `opt-level` (`"3"`, `"s"`, `"z"`), building into its own
    /// target directory; used to measure which level compresses smallest.
    pub opt_level: Option<String>,
}

impl BuildOptions {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            max_code_size: stylus_program::code::MAX_CODE_SIZE,
            verbose: false,
            opt_level: None,
        }
    }
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Cargo(#[from] CargoError),
    #[error("{package}: {source}")]
    Contract {
        package: String,
        #[source]
        source: ContractError,
    },
}

/// Compiles and checks one contract crate.
pub fn build_contract(package: &str, opts: &BuildOptions) -> Result<Artifact, BuildError> {
    let wasm_path =
        cargo::compile_wasm(&opts.root, package, opts.verbose, opts.opt_level.as_deref())?;
    let hash = cargo::project_hash(&opts.root, package)?;
    artifact::Artifact::from_wasm_file(package, &wasm_path, hash, opts.max_code_size)
        .and_then(|a| match opts.opt_level {
            // Measurements must not overwrite the artefacts deployers use.
            Some(_) => Ok(a),
            None => a.write(&artifact_dir(&opts.root, package)).map(|_| a),
        })
        .map_err(|source| BuildError::Contract {
            package: package.to_string(),
            source,
        })
}

/// Compiles and checks every contract crate in the workspace; returns each one's outcome so a
/// caller can print the whole table before failing.
pub fn build_all(opts: &BuildOptions) -> Result<Vec<Result<Artifact, BuildError>>, BuildError> {
    let crates = contract_crates(&opts.root)?;
    Ok(crates.iter().map(|c| build_contract(c, opts)).collect())
}

/// Where a contract's artefacts are written.
pub fn artifact_dir(root: &Path, package: &str) -> PathBuf {
    root.join("target").join("stylus").join(package)
}
