//! The pipeline on real contracts: a counter that must build, and two that must not.

use contract_build::{build_contract, workspace_root, BuildError, BuildOptions, ContractError};
use stylus_program::{validate::ActivationError, Limits};

fn opts() -> BuildOptions {
    let root = workspace_root(env!("CARGO_MANIFEST_DIR").as_ref()).expect("workspace root");
    BuildOptions::new(root)
}

#[test]
fn counter_builds_into_deployable_code() {
    let a = build_contract("fixture-counter", &opts()).expect("counter builds");
    assert_eq!(&a.code[..4], &[0xEF, 0xF0, 0x00, 0x00]);
    assert_eq!(a.init_code.len(), 43 + a.code.len());
    assert_eq!(&a.init_code[43..], &a.code[..]);
    assert_eq!(
        stylus_program::decode(&a.code, 128 * 1024).unwrap(),
        a.wasm,
        "code decompresses to the processed module"
    );
    // What we deploy is what nitro's rules accept.
    stylus_program::validate(&a.wasm, &Limits::default()).unwrap();
    for hook in ["read_args", "write_result", "storage_load_bytes32"] {
        assert!(a.info.imports.iter().any(|i| i == hook), "imports {hook}");
    }
    assert!(
        a.code.len() < 24 * 1024 / 2,
        "a counter is small: {}",
        a.code.len()
    );
    let table = contract_build::table(&[Ok(a.clone())]);
    assert!(table.contains("fixture-counter"), "{table}");
    assert!(table.contains('%'), "{table}");
    // Artefacts are written where deployers look.
    let dir = contract_build::artifact_dir(&opts().root, "fixture-counter");
    assert_eq!(std::fs::read(dir.join("code.bin")).unwrap(), a.code);
}

#[test]
fn float_instructions_fail_the_build_with_the_reason() {
    let err = build_contract("fixture-float-math", &opts()).unwrap_err();
    match &err {
        BuildError::Contract {
            package,
            source: ContractError::Activation(ActivationError::Float { op, .. }),
        } => {
            assert_eq!(package, "fixture-float-math");
            assert!(op.starts_with('F'), "names the float instruction: {op}");
        }
        other => panic!("expected a float refusal, got {other}"),
    }
    let message = err.to_string();
    assert!(message.contains("fixture-float-math"), "{message}");
    assert!(message.contains("floating point"), "{message}");
}

#[test]
fn oversized_code_fails_the_build_with_its_size() {
    let err = build_contract("fixture-oversized", &opts()).unwrap_err();
    match &err {
        BuildError::Contract {
            source: ContractError::TooLarge { size, limit },
            ..
        } => {
            assert_eq!(*limit, 24 * 1024);
            assert!(*size > *limit);
        }
        other => panic!("expected a size refusal, got {other}"),
    }
    assert!(
        err.to_string().contains("over the 24576-byte limit"),
        "{err}"
    );
}

#[test]
fn unknown_packages_are_named() {
    let err = build_contract("no-such-contract", &opts()).unwrap_err();
    assert!(err.to_string().contains("no-such-contract"), "{err}");
}
