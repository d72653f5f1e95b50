//! Every contract's exported ABI equals its committed `I*.sol` file and the interface the `abi`
//! crate declares for it; every contract has a declaration.

use contract_build::workspace_root;

#[test]
fn exported_abis_match_declarations_and_committed_files() {
    let root = workspace_root(env!("CARGO_MANIFEST_DIR").as_ref()).expect("workspace root");
    let statuses = scripts::abi::check(&root).expect("export every contract's ABI");
    let problems: Vec<String> = statuses
        .iter()
        .filter(|s| !s.ok())
        .map(|s| s.describe())
        .collect();
    assert!(problems.is_empty(), "ABI drift:\n{}", problems.join("\n"));
}

#[test]
fn every_declaration_names_a_contract() {
    let root = workspace_root(env!("CARGO_MANIFEST_DIR").as_ref()).expect("workspace root");
    let crates = contract_build::contract_crates(&root).unwrap();
    for (name, _) in abi::CONTRACTS {
        assert!(
            crates.iter().any(|c| c == name),
            "abi::CONTRACTS names unknown crate {name}"
        );
    }
}
