//! `options abi`: each contract's exported Solidity interface against the committed `I*.sol` file
//! and against the interface declared for it in the `abi` crate.

use contract_build::{committed_interface, contract_crates, drift, export_abi, CargoError, Drift};
use std::path::{Path, PathBuf};

/// What was found for one contract.
#[derive(Debug)]
pub struct AbiStatus {
    pub package: String,
    /// The committed interface file, if there is one.
    pub file: Option<PathBuf>,
    /// Whether the committed file equals the export.
    pub file_current: bool,
    /// Difference between the export and the `abi` crate's declaration (`None`: no declaration).
    pub drift: Option<Drift>,
    /// The exported text.
    pub exported: String,
}

impl AbiStatus {
    pub fn ok(&self) -> bool {
        self.file_current && self.drift.as_ref().is_some_and(Drift::is_empty)
    }

    pub fn describe(&self) -> String {
        let mut problems = Vec::new();
        match &self.file {
            None => problems.push("no committed I*.sol interface in its directory".to_string()),
            Some(f) if !self.file_current => problems.push(format!(
                "{} differs from the exported ABI (run `cargo run -p scripts -- abi --write`)",
                f.display()
            )),
            Some(_) => {}
        }
        match &self.drift {
            None => problems.push("no interface declared for it in abi::CONTRACTS".to_string()),
            Some(d) => {
                for m in &d.missing {
                    problems.push(format!("declared in abi but not implemented: {m}"));
                }
                for u in &d.undeclared {
                    problems.push(format!("implemented but not declared in abi: {u}"));
                }
            }
        }
        if problems.is_empty() {
            format!(
                "{}: ABI matches its declaration and its committed file",
                self.package
            )
        } else {
            format!("{}: {}", self.package, problems.join("; "))
        }
    }
}

/// Declared signatures of a contract crate, from `abi::CONTRACTS`.
pub fn declared(package: &str) -> Option<Vec<&'static str>> {
    abi::CONTRACTS
        .iter()
        .find(|(name, _)| *name == package)
        .map(|(_, interfaces)| interfaces.iter().flat_map(|i| i.iter().copied()).collect())
}

/// Checks every contract crate.
pub fn check(root: &Path) -> Result<Vec<AbiStatus>, CargoError> {
    contract_crates(root)?
        .into_iter()
        .map(|package| status(root, &package))
        .collect()
}

fn status(root: &Path, package: &str) -> Result<AbiStatus, CargoError> {
    let exported = export_abi(root, package)?;
    let file = committed_interface(root, package)?;
    let file_current = file
        .as_ref()
        .and_then(|f| std::fs::read_to_string(f).ok())
        .is_some_and(|committed| committed == exported);
    let drift = declared(package).map(|d| drift(&exported, &d));
    Ok(AbiStatus {
        package: package.to_string(),
        file,
        file_current,
        drift,
        exported,
    })
}
