//! Does a contract's exported ABI match the interface declared for it in the `abi` crate?
//!
//! The SDK's `export-abi` prints Solidity interfaces generated from the contract's Rust code; the
//! `abi` crate declares by hand what the protocol promises. Both reduce to canonical function
//! signatures (`name(type,...)`, structs expanded to tuples), which must be the same set.

use std::collections::{BTreeMap, BTreeSet};

/// Canonical function signatures of every `function` in Solidity interface text.
pub fn exported_functions(text: &str) -> BTreeSet<String> {
    let structs = structs(text);
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("function ") {
        rest = &rest[at + "function ".len()..];
        let Some(open) = rest.find('(') else { break };
        let name = rest[..open].trim().to_string();
        let Some(close) = matching_paren(&rest[open..]) else {
            break;
        };
        let params = &rest[open + 1..open + close];
        let types: Vec<String> = split_top_level(params)
            .into_iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| canonical_type(first_token(&p), &structs))
            .collect();
        out.insert(format!("{name}({})", types.join(",")));
        rest = &rest[open + close..];
    }
    out
}

/// The difference between what a contract exports and what is declared for it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Drift {
    /// Declared in `abi` but not implemented by the contract.
    pub missing: Vec<String>,
    /// Implemented by the contract but not declared in `abi`.
    pub undeclared: Vec<String>,
}

impl Drift {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.undeclared.is_empty()
    }
}

/// Compares exported interface text with declared signatures.
pub fn drift(exported: &str, declared: &[&str]) -> Drift {
    let exported = exported_functions(exported);
    let declared: BTreeSet<String> = declared.iter().map(|s| s.to_string()).collect();
    Drift {
        missing: declared.difference(&exported).cloned().collect(),
        undeclared: exported.difference(&declared).cloned().collect(),
    }
}

fn first_token(param: &str) -> &str {
    param.split_whitespace().next().unwrap_or("")
}

fn canonical_type(ty: &str, structs: &BTreeMap<String, Vec<String>>) -> String {
    let base_end = ty.find('[').unwrap_or(ty.len());
    let (base, dims) = ty.split_at(base_end);
    let base = match base {
        "uint" => "uint256".to_string(),
        "int" => "int256".to_string(),
        name => match structs.get(name) {
            Some(fields) => {
                let inner: Vec<String> =
                    fields.iter().map(|f| canonical_type(f, structs)).collect();
                format!("({})", inner.join(","))
            }
            None => name.to_string(),
        },
    };
    format!("{base}{dims}")
}

/// `struct Name { type field; ... }` declarations, by name, as their field types.
fn structs(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut rest = text;
    while let Some(at) = rest.find("struct ") {
        rest = &rest[at + "struct ".len()..];
        let (Some(open), Some(close)) = (rest.find('{'), rest.find('}')) else {
            break;
        };
        if close < open {
            continue;
        }
        let name = rest[..open].trim().to_string();
        let fields = rest[open + 1..close]
            .split(';')
            .map(first_token)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        out.insert(name, fields);
        rest = &rest[close..];
    }
    out
}

/// Length up to the parenthesis closing the one `s` starts with.
fn matching_paren(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn split_top_level(s: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPORTED: &str = r#"
interface IVault {
    function deposit(address token, uint256 amount) external;
    function operate(Action[] memory actions) external returns (bool);
    function name() external view returns (string memory);
    struct Action {
        uint8 kind;
        address asset;
        uint256[] amounts;
    }
}
interface IIPausable {
    function pause(uint8 level) external;
}"#;

    #[test]
    fn canonicalises_functions_and_structs() {
        let fns = exported_functions(EXPORTED);
        let expected: BTreeSet<String> = [
            "deposit(address,uint256)",
            "operate((uint8,address,uint256[])[])",
            "name()",
            "pause(uint8)",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(fns, expected);
    }

    #[test]
    fn detects_drift_both_ways() {
        let declared = [
            "deposit(address,uint256)",
            "operate((uint8,address,uint256[])[])",
            "name()",
            "pause(uint8)",
        ];
        assert!(drift(EXPORTED, &declared).is_empty());
        let renamed = [
            "deposit(address,uint128)",
            "operate((uint8,address,uint256[])[])",
            "name()",
            "pause(uint8)",
        ];
        assert_eq!(
            drift(EXPORTED, &renamed),
            Drift {
                missing: vec!["deposit(address,uint128)".into()],
                undeclared: vec!["deposit(address,uint256)".into()],
            }
        );
    }
}
