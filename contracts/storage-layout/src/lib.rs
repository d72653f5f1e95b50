//! Storage-slot regression check for the protocol's Stylus contracts.
//!
//! An upgrade keeps every vault, series and balance only if the new implementation reads each
//! existing field from the same slot and byte offset. This crate computes, from a contract's
//! sources, where the SDK's `#[storage]` macro puts every field (the same algorithm as
//! `stylus-proc`'s `storage.rs`: fields packed right to left in 32-byte words by
//! `StorageType::SLOT_BYTES`, a field needing `REQUIRED_SLOTS > 0` words starting and ending a
//! word), and compares it with a committed snapshot under `snapshots/`.
//!
//! Every `#[storage]` struct reachable from the contract's root struct is laid out, including
//! structs only stored inside a `StorageMap` or `StorageVec` (their fields are relative to the
//! element's base slot: reordering them moves data just as much).
//!
//! Adding a contract: one entry in [`CONTRACTS`] (and in [`CONSTANTS`] for a named const generic
//! size), then `STORAGE_LAYOUT_BLESS=1 cargo test -p storage-layout` writes its snapshot; commit
//! it. From then on `cargo test -p storage-layout` fails when a field moves, changes type or disappears, and also when a new field is not yet in
//! the snapshot (bless again after appending, so the appended field is protected too).
//!
//! The table of SDK storage types ([`primitive_size`]) is checked against the SDK's own constants
//! by this crate's tests, and each registered contract's computed root size against its real
//! `StorageType::REQUIRED_SLOTS`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A contract whose layout is protected.
#[derive(Debug, Clone, Copy)]
pub struct Contract {
    /// Cargo package name (also the snapshot's file name).
    pub package: &'static str,
    /// Crate directory, relative to the workspace root.
    pub dir: &'static str,
    /// The `#[entrypoint]` storage struct.
    pub root: &'static str,
}

/// The protected contracts. Add yours here (and bless its snapshot).
pub const CONTRACTS: &[Contract] = &[
    Contract {
        package: "upgradeable-proxy",
        dir: "contracts/upgradeable-proxy",
        root: "UpgradeableProxy",
    },
    Contract {
        package: "governance",
        dir: "contracts/governance",
        root: "Governance",
    },
    Contract {
        package: "option-factory",
        dir: "contracts/option-factory",
        root: "OptionFactory",
    },
    Contract {
        package: "collateral-escrow",
        dir: "contracts/collateral-escrow",
        root: "CollateralEscrow",
    },
    Contract {
        package: "margin-engine",
        dir: "contracts/margin-engine",
        root: "MarginEngine",
    },
    Contract {
        package: "escrow-registry",
        dir: "contracts/escrow-registry",
        root: "EscrowRegistry",
    },
    Contract {
        package: "oracle-adapter",
        dir: "contracts/oracle-adapter",
        root: "OracleAdapter",
    },
    Contract {
        package: "expiry-oracle",
        dir: "contracts/expiry-oracle",
        root: "ExpiryOracle",
    },
];

/// Named constants used as const generic arguments of storage types (`StorageFixedBytes<N>`), by
/// name, with their value; the tests check each against the real constant. A name missing here
/// fails the layout with [`LayoutError::UnknownType`].
pub const CONSTANTS: &[(&str, usize)] = &[("MAX_ASSET_SYMBOL_BYTES", 6)];

/// Where one field lives, relative to its struct's base slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// `Struct.field`.
    pub path: String,
    /// The field's type as written (whitespace removed).
    pub ty: String,
    /// Word index from the struct's base slot.
    pub slot: usize,
    /// Byte offset inside the word, as the SDK passes it to `StorageType::new` (bytes to the left
    /// of the value in the big-endian word; a 32-byte value has offset 0).
    pub offset: usize,
    /// `StorageType::SLOT_BYTES`.
    pub bytes: usize,
    /// `StorageType::REQUIRED_SLOTS`.
    pub words: usize,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} slot={} offset={} bytes={} words={} type={}",
            self.path, self.slot, self.offset, self.bytes, self.words, self.ty
        )
    }
}

/// The layout of every `#[storage]` struct reachable from a root, root first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// `(struct name, required slots, fields)`.
    pub structs: Vec<(String, usize, Vec<Field>)>,
}

impl Layout {
    /// Every field of every struct, in order.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.structs.iter().flat_map(|(_, _, fields)| fields)
    }

    /// `REQUIRED_SLOTS` of the root struct.
    pub fn root_slots(&self) -> usize {
        self.structs.first().map_or(0, |(_, slots, _)| *slots)
    }

    /// The snapshot text: one line per field.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, slots, fields) in &self.structs {
            out.push_str(&format!("struct {name} required_slots={slots}\n"));
            for field in fields {
                out.push_str(&format!("{field}\n"));
            }
        }
        out
    }

    /// Parses [`Layout::render`]'s output back into fields.
    pub fn parse_fields(snapshot: &str) -> Result<Vec<Field>, LayoutError> {
        snapshot
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with("struct "))
            .map(parse_field_line)
            .collect()
    }
}

fn parse_field_line(line: &str) -> Result<Field, LayoutError> {
    let bad = || LayoutError::Snapshot(line.to_string());
    let (path, rest) = line.split_once(' ').ok_or_else(bad)?;
    let mut values = BTreeMap::new();
    let (numbers, ty) = rest.split_once(" type=").ok_or_else(bad)?;
    for pair in numbers.split(' ') {
        let (key, value) = pair.split_once('=').ok_or_else(bad)?;
        values.insert(key, value.parse::<usize>().map_err(|_| bad())?);
    }
    let get = |key: &str| values.get(key).copied().ok_or_else(bad);
    Ok(Field {
        path: path.to_string(),
        ty: ty.to_string(),
        slot: get("slot")?,
        offset: get("offset")?,
        bytes: get("bytes")?,
        words: get("words")?,
    })
}

/// Why a layout could not be computed or compared.
#[derive(Debug)]
pub enum LayoutError {
    Io(PathBuf, std::io::Error),
    Parse(PathBuf, String),
    /// The root struct was not found among the crate's `#[storage]` structs.
    MissingStruct(String),
    /// A field type the table does not know; add it to [`primitive_size`].
    UnknownType(String),
    /// A snapshot line that does not parse.
    Snapshot(String),
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(path, err) => write!(f, "{}: {err}", path.display()),
            Self::Parse(path, err) => write!(f, "{}: {err}", path.display()),
            Self::MissingStruct(name) => write!(f, "no #[storage] struct named {name}"),
            Self::UnknownType(ty) => write!(
                f,
                "unknown storage type `{ty}`: add its SLOT_BYTES/REQUIRED_SLOTS to primitive_size"
            ),
            Self::Snapshot(line) => write!(f, "malformed snapshot line: {line}"),
        }
    }
}

impl std::error::Error for LayoutError {}

/// `(SLOT_BYTES, REQUIRED_SLOTS)` of an SDK storage type, by its last path segment and generic
/// arguments; `None` for anything else (a local `#[storage]` struct, or unknown).
pub fn primitive_size(ty: &syn::TypePath) -> Option<(usize, usize)> {
    let segment = ty.path.segments.last()?;
    let name = segment.ident.to_string();
    let sized = |bits: usize| Some((bits / 8, 0));
    match name.as_str() {
        "StorageBool" => Some((1, 0)),
        "StorageAddress" => Some((20, 0)),
        "StorageBlockNumber" => Some((8, 0)),
        "StorageBlockHash" => Some((32, 0)),
        "StorageMap" | "StorageVec" | "StorageBytes" | "StorageString" => Some((32, 0)),
        "StorageUint" | "StorageSigned" => sized(const_value(segment, 0)?),
        "StorageFixedBytes" => const_value(segment, 0).map(|n| (n, 0)),
        _ => {
            let bits = name
                .strip_prefix("StorageU")
                .or_else(|| name.strip_prefix("StorageI"))
                .or_else(|| name.strip_prefix("StorageB"))?;
            sized(bits.parse().ok()?)
        }
    }
}

/// A const generic argument as a number: a literal, or a name from [`CONSTANTS`].
fn const_value(segment: &syn::PathSegment, index: usize) -> Option<usize> {
    let arg = const_arg(segment, index)?;
    arg.parse().ok().or_else(|| {
        let name = arg.rsplit("::").next()?;
        CONSTANTS
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, value)| *value)
    })
}

fn const_arg(segment: &syn::PathSegment, index: usize) -> Option<String> {
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.iter().nth(index)? {
        syn::GenericArgument::Const(expr) => Some(quote_tokens(expr)),
        syn::GenericArgument::Type(syn::Type::Path(p)) => Some(quote_tokens(p)),
        _ => None,
    }
}

fn type_arg(segment: &syn::PathSegment, index: usize) -> Option<&syn::Type> {
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    args.args
        .iter()
        .filter_map(|arg| match arg {
            syn::GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .nth(index)
}

fn quote_tokens(tokens: &impl quote::ToTokens) -> String {
    tokens
        .to_token_stream()
        .to_string()
        .split_whitespace()
        .collect()
}

/// All `#[storage]` structs in a crate's `src/`, by name.
pub fn storage_structs(crate_dir: &Path) -> Result<BTreeMap<String, syn::ItemStruct>, LayoutError> {
    let mut found = BTreeMap::new();
    let mut pending = vec![crate_dir.join("src")];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| LayoutError::Io(dir.clone(), e))?;
        for entry in entries {
            let path = entry.map_err(|e| LayoutError::Io(dir.clone(), e))?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text =
                    std::fs::read_to_string(&path).map_err(|e| LayoutError::Io(path.clone(), e))?;
                let structs = storage_structs_in(&text)
                    .map_err(|e| LayoutError::Parse(path.clone(), e.to_string()))?;
                found.extend(structs);
            }
        }
    }
    Ok(found)
}

fn collect_structs(items: &[syn::Item], found: &mut BTreeMap<String, syn::ItemStruct>) {
    for item in items {
        match item {
            syn::Item::Struct(s) if s.attrs.iter().any(|a| a.path().is_ident("storage")) => {
                found.insert(s.ident.to_string(), s.clone());
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    collect_structs(items, found);
                }
            }
            _ => {}
        }
    }
}

/// The layout of `root` and every local storage struct it reaches, from a crate's sources.
pub fn layout(crate_dir: &Path, root: &str) -> Result<Layout, LayoutError> {
    layout_of(&storage_structs(crate_dir)?, root)
}

/// All `#[storage]` structs in one source text, by name.
pub fn storage_structs_in(source: &str) -> Result<BTreeMap<String, syn::ItemStruct>, syn::Error> {
    let file = syn::parse_file(source)?;
    let mut found = BTreeMap::new();
    collect_structs(&file.items, &mut found);
    Ok(found)
}

/// The layout of `root` among the given structs.
pub fn layout_of(
    structs: &BTreeMap<String, syn::ItemStruct>,
    root: &str,
) -> Result<Layout, LayoutError> {
    if !structs.contains_key(root) {
        return Err(LayoutError::MissingStruct(root.to_string()));
    }
    let mut planner = Planner {
        structs,
        done: BTreeMap::new(),
        order: Vec::new(),
    };
    planner.lay_out(root)?;
    let mut done = planner.done;
    Ok(Layout {
        structs: planner
            .order
            .into_iter()
            .map(|name| {
                let (slots, fields) = done.remove(&name).unwrap_or_default();
                (name, slots, fields)
            })
            .collect(),
    })
}

struct Planner<'a> {
    structs: &'a BTreeMap<String, syn::ItemStruct>,
    done: BTreeMap<String, (usize, Vec<Field>)>,
    order: Vec<String>,
}

impl Planner<'_> {
    /// Lays out a struct (once) and returns its `REQUIRED_SLOTS`.
    fn lay_out(&mut self, name: &str) -> Result<usize, LayoutError> {
        if let Some((slots, _)) = self.done.get(name) {
            return Ok(*slots);
        }
        let item = self
            .structs
            .get(name)
            .ok_or_else(|| LayoutError::MissingStruct(name.to_string()))?;
        self.order.push(name.to_string());
        let mut fields = Vec::new();
        // The same walk as the SDK's generated `new` and `required_slots`.
        let mut space: usize = 32;
        let mut slot: usize = 0;
        let mut total: usize = 0;
        for field in item.fields.iter() {
            let Some(ident) = &field.ident else { continue };
            let syn::Type::Path(path) = &field.ty else {
                continue;
            };
            if path
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "PhantomData")
            {
                continue;
            }
            let (bytes, words) = self.size(path)?;
            if space < bytes {
                space = 32;
                slot += 1;
                total += 1;
            }
            space -= bytes;
            fields.push(Field {
                path: format!("{name}.{ident}"),
                ty: quote_tokens(&field.ty),
                slot,
                offset: space,
                bytes,
                words,
            });
            if words > 0 {
                slot += words;
                total += words;
                space = 32;
            }
        }
        if space != 32 || total == 0 {
            total += 1;
        }
        self.done.insert(name.to_string(), (total, fields));
        Ok(total)
    }

    fn size(&mut self, ty: &syn::TypePath) -> Result<(usize, usize), LayoutError> {
        let segment = ty
            .path
            .segments
            .last()
            .ok_or_else(|| LayoutError::UnknownType(quote_tokens(ty)))?;
        let name = segment.ident.to_string();
        // Element types of collections are laid out too: their fields are relative to each
        // element's slot and must not move either.
        match name.as_str() {
            "StorageMap" => self.visit_element(type_arg(segment, 1))?,
            "StorageVec" => self.visit_element(type_arg(segment, 0))?,
            "StorageArray" => {
                let element = type_arg(segment, 0)
                    .ok_or_else(|| LayoutError::UnknownType(quote_tokens(ty)))?;
                let syn::Type::Path(element) = element else {
                    return Err(LayoutError::UnknownType(quote_tokens(ty)));
                };
                let (bytes, words) = self.size(element)?;
                let n: usize = const_value(segment, 1)
                    .ok_or_else(|| LayoutError::UnknownType(quote_tokens(ty)))?;
                let density = 32 / bytes.max(1);
                return Ok((32, (n * words).max(n.div_ceil(density))));
            }
            _ => {}
        }
        if let Some(size) = primitive_size(ty) {
            return Ok(size);
        }
        if self.structs.contains_key(&name) {
            return Ok((32, self.lay_out(&name)?));
        }
        Err(LayoutError::UnknownType(quote_tokens(ty)))
    }

    fn visit_element(&mut self, element: Option<&syn::Type>) -> Result<(), LayoutError> {
        if let Some(syn::Type::Path(path)) = element {
            self.size(path)?;
        }
        Ok(())
    }
}

/// What changed between a snapshot and the current layout.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Diff {
    /// Fields whose slot, offset, size or type changed: `(was, now)`.
    pub moved: Vec<(Field, Field)>,
    /// Fields in the snapshot that no longer exist.
    pub removed: Vec<Field>,
    /// Fields not yet in the snapshot (appended; bless to protect them).
    pub added: Vec<Field>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.moved.is_empty() && self.removed.is_empty() && self.added.is_empty()
    }

    /// True when existing data would be read from a different place.
    pub fn breaks_storage(&self) -> bool {
        !self.moved.is_empty() || !self.removed.is_empty()
    }
}

/// Compares the committed snapshot's fields with the current ones.
pub fn diff(snapshot: &[Field], current: &[Field]) -> Diff {
    let now: BTreeMap<&str, &Field> = current.iter().map(|f| (f.path.as_str(), f)).collect();
    let was: BTreeMap<&str, &Field> = snapshot.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut out = Diff::default();
    for field in snapshot {
        match now.get(field.path.as_str()) {
            Some(current) if *current != field => {
                out.moved.push((field.clone(), (*current).clone()))
            }
            Some(_) => {}
            None => out.removed.push(field.clone()),
        }
    }
    out.added = current
        .iter()
        .filter(|f| !was.contains_key(f.path.as_str()))
        .cloned()
        .collect();
    out
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (was, now) in &self.moved {
            writeln!(f, "MOVED   {was}\n     -> {now}")?;
        }
        for field in &self.removed {
            writeln!(f, "REMOVED {field}")?;
        }
        for field in &self.added {
            writeln!(f, "ADDED   {field} (not in the snapshot yet)")?;
        }
        Ok(())
    }
}

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// Where a contract's snapshot lives.
pub fn snapshot_path(contract: &Contract) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots")
        .join(format!("{}.layout", contract.package))
}
