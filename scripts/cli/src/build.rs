//! `options build`: the size table, and the opt-level comparison behind the profile choice.

use contract_build::{build_all, build_contract, table, Artifact, BuildError, BuildOptions};
use std::fmt::Write;
use std::path::Path;

/// Builds the named contracts (all when empty).
pub fn build(
    root: &Path,
    contracts: &[String],
    verbose: bool,
    opt_level: Option<String>,
) -> Result<Vec<Result<Artifact, BuildError>>, BuildError> {
    let mut opts = BuildOptions::new(root);
    opts.verbose = verbose;
    opts.opt_level = opt_level;
    if contracts.is_empty() {
        build_all(&opts)
    } else {
        Ok(contracts.iter().map(|c| build_contract(c, &opts)).collect())
    }
}

/// Compressed size of each contract at opt-level 3, "s" and "z", side by side.
pub fn compare_opt_levels(root: &Path, contracts: &[String]) -> Result<String, BuildError> {
    const LEVELS: [&str; 3] = ["3", "s", "z"];
    let mut columns = Vec::new();
    for level in LEVELS {
        columns.push(build(root, contracts, false, Some(level.to_string()))?);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<22} {:>10} {:>10} {:>10}  smallest",
        "compressed bytes", "opt 3", "opt s", "opt z"
    );
    for row in 0..columns[0].len() {
        let cells: Vec<Option<&Artifact>> = columns.iter().map(|c| c[row].as_ref().ok()).collect();
        let name = cells
            .iter()
            .flatten()
            .map(|a| a.package.clone())
            .next()
            .unwrap_or_else(|| "(failed)".into());
        let size = |i: usize| cells[i].map(|a| a.code.len());
        let fmt = |s: Option<usize>| s.map_or("failed".to_string(), |s| s.to_string());
        let best = (0..LEVELS.len())
            .filter_map(|i| size(i).map(|s| (s, LEVELS[i])))
            .min()
            .map_or("-", |(_, level)| level);
        let _ = writeln!(
            out,
            "{:<22} {:>10} {:>10} {:>10}  {}",
            name,
            fmt(size(0)),
            fmt(size(1)),
            fmt(size(2)),
            best
        );
    }
    Ok(out)
}

/// The table and the number of contracts that failed.
pub fn report(results: &[Result<Artifact, BuildError>]) -> (String, usize) {
    (
        table(results),
        results.iter().filter(|r| r.is_err()).count(),
    )
}
