//! The WASM clean-up cargo-stylus applies before compression.
//!
//! 1. Print to text and parse back: rustc can leave encodings that mention reference types
//!    (e.g. table types in the new form) even with `-reference-types`, and nitro refuses them.
//! 2. Drop every custom and unknown section (names, producers, target features): they cost
//!    bytes on chain and leak build metadata.
//! 3. Append a `project_hash` custom section, which `cargo stylus verify` uses to tie the code
//!    to its sources.

use wasm_encoder::{CustomSection, Module, RawSection};
use wasmparser::{Parser, Payload};

/// Name of the custom section holding the project hash.
pub const PROJECT_HASH_SECTION: &str = "project_hash";

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("invalid WASM: {0}")]
    Parse(#[from] wasmparser::BinaryReaderError),
    #[error("cannot print WASM as text: {0}")]
    Print(String),
    #[error("cannot parse WASM text: {0}")]
    Text(#[from] wat::Error),
}

/// Processes a compiled module the way cargo-stylus does.
pub fn process(wasm: &[u8], project_hash: [u8; 32]) -> Result<Vec<u8>, ProcessError> {
    let text = wasmprinter::print_bytes(wasm).map_err(|e| ProcessError::Print(e.to_string()))?;
    let reencoded = wat::parse_str(text)?;
    let mut module = strip_custom_sections(&reencoded)?;
    module.section(&CustomSection {
        name: PROJECT_HASH_SECTION.into(),
        data: project_hash.as_slice().into(),
    });
    Ok(module.finish())
}

fn strip_custom_sections(wasm: &[u8]) -> Result<Module, ProcessError> {
    let mut module = Module::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::CustomSection(_) | Payload::UnknownSection { .. } => {}
            other => {
                if let Some((id, range)) = other.as_section() {
                    module.section(&RawSection {
                        id,
                        data: &wasm[range.start as usize..range.end as usize],
                    });
                }
            }
        }
    }
    Ok(module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_custom_sections_and_adds_project_hash() {
        let wasm = wat::parse_str(
            r#"(module (@custom "producers" "rustc") (memory (export "memory") 1)
                (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
        )
        .unwrap();
        let out = process(&wasm, [7; 32]).unwrap();
        let customs: Vec<(String, Vec<u8>)> = Parser::new(0)
            .parse_all(&out)
            .filter_map(|p| match p.unwrap() {
                Payload::CustomSection(r) => Some((r.name().to_string(), r.data().to_vec())),
                _ => None,
            })
            .collect();
        assert_eq!(
            customs,
            vec![(PROJECT_HASH_SECTION.to_string(), vec![7; 32])]
        );
        wasmparser::validate(&out).unwrap();
    }
}
