//! The build table.

use crate::{Artifact, BuildError};
use std::fmt::Write;

/// One row per contract: sizes, share of the 24 KiB limit, host functions imported; failures
/// are listed with their reason.
pub fn table(results: &[Result<Artifact, BuildError>]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<22} {:>9} {:>9} {:>10} {:>7} {:>6} {:>5}  host functions",
        "contract", "raw wasm", "processed", "compressed", "limit", "pages", "init"
    );
    for result in results {
        match result {
            Ok(a) => {
                let _ = writeln!(
                    out,
                    "{:<22} {:>9} {:>9} {:>10} {:>6.1}% {:>6} {:>5}  {} ({})",
                    a.package,
                    a.raw_wasm_len,
                    a.wasm.len(),
                    a.code.len(),
                    a.percent_of_limit(),
                    a.info.footprint,
                    a.info.init_cost,
                    a.info.imports.len(),
                    a.info.imports.join(", ")
                );
            }
            Err(e) => {
                let _ = writeln!(out, "FAILED {e}");
            }
        }
    }
    out
}
