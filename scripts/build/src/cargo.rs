//! Talking to cargo: which crates are contracts, compiling them, hashing their sources.

use alloy_primitives::keccak256;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum CargoError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot parse {path}: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error("no crate named `{0}` under contracts/ or among the workspace members")]
    UnknownPackage(String),
    #[error(
        "cargo failed to compile `{package}` for wasm32-unknown-unknown (see its output above)"
    )]
    Compile { package: String },
    #[error("cannot run cargo: {0}")]
    Spawn(std::io::Error),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CargoError + '_ {
    move |source| CargoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The workspace root: the nearest ancestor of `start` whose `Cargo.toml` has `[workspace]`.
pub fn workspace_root(start: &Path) -> Option<PathBuf> {
    start.ancestors().find_map(|dir| {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
        manifest
            .parse::<toml::Table>()
            .ok()?
            .contains_key("workspace")
            .then(|| dir.to_path_buf())
    })
}

/// Workspace members that are contracts: crates under `contracts/` whose library is a `cdylib`.
pub fn contract_crates(root: &Path) -> Result<Vec<String>, CargoError> {
    let mut names = Vec::new();
    for dir in members(root)? {
        if !dir.starts_with(root.join("contracts")) {
            continue;
        }
        let (name, cdylib) = package_info(&dir)?;
        if cdylib {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn members(root: &Path) -> Result<Vec<PathBuf>, CargoError> {
    let path = root.join("Cargo.toml");
    let manifest = read_manifest(&path)?;
    let members = manifest
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .cloned()
        .unwrap_or_default();
    Ok(members
        .iter()
        .filter_map(|m| m.as_str())
        .map(|m| root.join(m))
        .collect())
}

fn read_manifest(path: &Path) -> Result<toml::Table, CargoError> {
    std::fs::read_to_string(path)
        .map_err(io(path))?
        .parse::<toml::Table>()
        .map_err(|e| CargoError::Manifest {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// (package name, whether its library is a cdylib).
fn package_info(dir: &Path) -> Result<(String, bool), CargoError> {
    let path = dir.join("Cargo.toml");
    let manifest = read_manifest(&path)?;
    let name = manifest
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .ok_or_else(|| CargoError::Manifest {
            path: path.clone(),
            message: "no package name".into(),
        })?
        .to_string();
    let cdylib = manifest
        .get("lib")
        .and_then(|l| l.get("crate-type"))
        .and_then(|t| t.as_array())
        .is_some_and(|types| types.iter().any(|t| t.as_str() == Some("cdylib")));
    Ok((name, cdylib))
}

fn package_dir(root: &Path, package: &str) -> Result<PathBuf, CargoError> {
    for dir in members(root)? {
        if package_info(&dir).is_ok_and(|(name, _)| name == package) {
            return Ok(dir);
        }
    }
    Err(CargoError::UnknownPackage(package.to_string()))
}

/// The cargo that runs us, started in the workspace root. A parent cargo (tests, `cargo run`)
/// exports variables for its own target; they must not leak into the builds we start.
fn cargo(root: &Path) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root);
    for var in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_TARGET"] {
        cmd.env_remove(var);
    }
    cmd
}

/// Compiles one crate's library to WASM with the release profile; returns the module's path.
pub fn compile_wasm(
    root: &Path,
    package: &str,
    verbose: bool,
    opt_level: Option<&str>,
) -> Result<PathBuf, CargoError> {
    package_dir(root, package)?;
    let mut cmd = cargo(root);
    cmd.args([
        "build",
        "--release",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        package,
    ]);
    if !verbose {
        cmd.arg("--quiet");
    }
    let target_dir = match opt_level {
        Some(level) => {
            cmd.env("CARGO_PROFILE_RELEASE_OPT_LEVEL", level);
            root.join("target").join(format!("opt-{level}"))
        }
        None => root.join("target"),
    };
    cmd.arg("--target-dir").arg(&target_dir);
    let status = cmd.status().map_err(CargoError::Spawn)?;
    if !status.success() {
        return Err(CargoError::Compile {
            package: package.to_string(),
        });
    }
    Ok(target_dir
        .join("wasm32-unknown-unknown/release")
        .join(format!("{}.wasm", package.replace('-', "_"))))
}

/// A hash of what determines a contract's code: the toolchain pin, the lockfile, the wasm build
/// flags and the crate's own sources. It goes into the `project_hash` section, as cargo-stylus
/// does, so that on-chain code can be traced back to a source tree.
pub fn project_hash(root: &Path, package: &str) -> Result<[u8; 32], CargoError> {
    let dir = package_dir(root, package)?;
    let mut files = vec![
        root.join("rust-toolchain.toml"),
        root.join("Cargo.lock"),
        root.join(".cargo/config.toml"),
        dir.join("Cargo.toml"),
    ];
    let mut sources = Vec::new();
    collect_rs(&dir.join("src"), &mut sources)?;
    sources.sort();
    files.extend(sources);
    let mut preimage = Vec::new();
    for file in files {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        let rel = file.strip_prefix(root).unwrap_or(&file);
        preimage.extend_from_slice(rel.to_string_lossy().as_bytes());
        preimage.push(0);
        preimage.extend_from_slice(keccak256(&bytes).as_slice());
    }
    Ok(keccak256(&preimage).0)
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CargoError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry.map_err(io(dir))?.path();
        if path.is_dir() {
            collect_rs(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// The Solidity interface a contract exports (its `export-abi` binary's output).
pub fn export_abi(root: &Path, package: &str) -> Result<String, CargoError> {
    package_dir(root, package)?;
    let mut cmd = cargo(root);
    cmd.args(["run", "--quiet", "-p", package, "--features", "export-abi"]);
    let output = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(CargoError::Spawn)?;
    if !output.status.success() {
        return Err(CargoError::Compile {
            package: package.to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The committed Solidity interface of a contract: the one `I*.sol` file in its crate directory.
pub fn committed_interface(root: &Path, package: &str) -> Result<Option<PathBuf>, CargoError> {
    let dir = package_dir(root, package)?;
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
        let path = entry.map_err(io(&dir))?.path();
        let is_interface = path.extension().is_some_and(|e| e == "sol")
            && path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('I'));
        if is_interface {
            found.push(path);
        }
    }
    found.sort();
    Ok(found.into_iter().next())
}
