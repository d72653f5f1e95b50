//! The storage-slot regression suite.
//!
//! `cargo test -p storage-layout` fails when a registered contract's field moves, changes type,
//! disappears, or is new and not yet snapshotted. `STORAGE_LAYOUT_BLESS=1 cargo test -p
//! storage-layout` rewrites the snapshots (review the diff: only appended lines are safe).

extern crate alloc;

mod fixture;

use abi::proxy::proxy_selector_clash;
use alloy_primitives::{B256, U256};
use storage_layout::{
    diff, layout, layout_of, primitive_size, snapshot_path, storage_structs_in, workspace_root,
    Field, Layout, CONSTANTS, CONTRACTS,
};
use stylus_sdk::prelude::*;
use stylus_sdk::storage::*;
use stylus_sdk::testing::TestVM;

#[test]
fn registered_layouts_match_their_snapshots() {
    let bless = std::env::var_os("STORAGE_LAYOUT_BLESS").is_some();
    let mut failures = String::new();
    for contract in CONTRACTS {
        let current = layout(&workspace_root().join(contract.dir), contract.root)
            .unwrap_or_else(|e| panic!("{}: {e}", contract.package));
        let path = snapshot_path(contract);
        if bless {
            std::fs::write(&path, current.render()).expect("write snapshot");
            continue;
        }
        let Ok(snapshot) = std::fs::read_to_string(&path) else {
            failures.push_str(&format!(
                "{}: no snapshot at {}; run with STORAGE_LAYOUT_BLESS=1\n",
                contract.package,
                path.display()
            ));
            continue;
        };
        let was = Layout::parse_fields(&snapshot).expect("snapshot parses");
        let now: Vec<Field> = current.fields().cloned().collect();
        let change = diff(&was, &now);
        if !change.is_empty() {
            let hint = if change.breaks_storage() {
                "existing storage would move: append new fields at the end instead"
            } else {
                "fields appended: bless the snapshot to protect them"
            };
            failures.push_str(&format!("{} ({hint}):\n{change}", contract.package));
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

#[test]
fn the_proxy_keeps_no_state_in_implementation_slots() {
    let proxy = CONTRACTS
        .iter()
        .find(|c| c.package == "upgradeable-proxy")
        .expect("registered");
    let layout = layout(&workspace_root().join(proxy.dir), proxy.root).unwrap();
    assert_eq!(
        layout.fields().count(),
        0,
        "a proxy field would overlap the implementation's slot 0"
    );
}

#[test]
fn computed_root_sizes_match_the_sdk() {
    let expected = [
        (
            "upgradeable-proxy",
            <upgradeable_proxy::UpgradeableProxy as StorageType>::REQUIRED_SLOTS,
        ),
        (
            "governance",
            <governance::Governance as StorageType>::REQUIRED_SLOTS,
        ),
        (
            "option-factory",
            <option_factory::OptionFactory as StorageType>::REQUIRED_SLOTS,
        ),
        (
            "collateral-escrow",
            <collateral_escrow::CollateralEscrow as StorageType>::REQUIRED_SLOTS,
        ),
        (
            "margin-engine",
            <margin_engine::MarginEngine as StorageType>::REQUIRED_SLOTS,
        ),
        (
            "escrow-registry",
            <escrow_registry::EscrowRegistry as StorageType>::REQUIRED_SLOTS,
        ),
        (
            "oracle-adapter",
            <oracle_adapter::OracleAdapter as StorageType>::REQUIRED_SLOTS,
        ),
        (
            "expiry-oracle",
            <expiry_oracle::ExpiryOracle as StorageType>::REQUIRED_SLOTS,
        ),
    ];
    for (package, slots) in expected {
        let contract = CONTRACTS.iter().find(|c| c.package == package).unwrap();
        let computed = layout(&workspace_root().join(contract.dir), contract.root).unwrap();
        assert_eq!(computed.root_slots(), slots, "{package}");
    }
}

#[test]
fn named_constants_match_their_definitions() {
    let real = [(
        "MAX_ASSET_SYMBOL_BYTES",
        abi::option_token::MAX_ASSET_SYMBOL_BYTES,
    )];
    assert_eq!(CONSTANTS, real.as_slice());
    let path: syn::TypePath =
        syn::parse_str("StorageFixedBytes<abi::option_token::MAX_ASSET_SYMBOL_BYTES>").unwrap();
    assert_eq!(
        primitive_size(&path),
        Some((abi::option_token::MAX_ASSET_SYMBOL_BYTES, 0))
    );
    let unknown: syn::TypePath = syn::parse_str("StorageFixedBytes<UNKNOWN>").unwrap();
    assert_eq!(primitive_size(&unknown), None);
}

macro_rules! check_sizes {
    ($($ty:ty),* $(,)?) => {$(
        let path: syn::TypePath = syn::parse_str(stringify!($ty)).unwrap();
        assert_eq!(
            primitive_size(&path),
            Some((<$ty as StorageType>::SLOT_BYTES, <$ty as StorageType>::REQUIRED_SLOTS)),
            "{}",
            stringify!($ty)
        );
    )*};
}

#[test]
fn type_table_matches_sdk_constants() {
    check_sizes!(
        StorageBool,
        StorageAddress,
        StorageBlockNumber,
        StorageBlockHash,
        StorageU8,
        StorageU16,
        StorageU32,
        StorageU64,
        StorageU96,
        StorageU128,
        StorageU160,
        StorageU192,
        StorageU256,
        StorageI8,
        StorageI64,
        StorageI128,
        StorageI256,
        StorageB8,
        StorageB64,
        StorageB160,
        StorageB256,
        StorageUint<96, 2>,
        StorageSigned<128, 2>,
        StorageFixedBytes<12>,
        StorageMap<u64, StorageU8>,
        StorageVec<StorageU8>,
        StorageBytes,
        StorageString,
    );
    let unknown: syn::TypePath = syn::parse_str("Vec<u8>").unwrap();
    assert_eq!(primitive_size(&unknown), None);
}

/// The value bytes `[offset, offset + bytes)` of `slot`'s word.
fn bytes_at(vm: &TestVM, slot: usize, offset: usize, bytes: usize) -> Vec<u8> {
    vm.get_storage(U256::from(slot)).0[offset..offset + bytes].to_vec()
}

#[test]
fn algorithm_matches_where_the_sdk_writes() {
    let structs = storage_structs_in(include_str!("fixture/mod.rs")).unwrap();
    let layout = layout_of(&structs, "Packed").unwrap();
    assert_eq!(
        layout.root_slots(),
        <fixture::Packed as StorageType>::REQUIRED_SLOTS
    );
    assert_eq!(
        layout.structs[1].1,
        <fixture::Inner as StorageType>::REQUIRED_SLOTS,
        "nested struct laid out second"
    );
    let field = |name: &str| {
        layout
            .fields()
            .find(|f| f.path == format!("Packed.{name}"))
            .cloned()
            .unwrap()
    };

    let vm = TestVM::new();
    let mut packed = fixture::Packed::from(&vm);
    packed
        .a
        .set(alloy_primitives::U64::from(0x0102030405060708u64));
    packed.b.set(alloy_primitives::Address::repeat_byte(0xbb));
    packed.c.set(true);
    packed.d.set(U256::MAX);
    packed.e.set(alloy_primitives::U8::from(0xeeu8));
    packed.inner.x.set(alloy_primitives::U8::from(0x11u8));
    packed.inner.y.set(U256::from(0x22u64));
    packed.inner.z.set(true);
    packed.f.set(alloy_primitives::U16::from(0xf00fu16));
    packed
        .arr
        .setter(3)
        .unwrap()
        .set(alloy_primitives::U32::from(0xa3a3a3a3u32));
    packed
        .g
        .set(alloy_primitives::I16::try_from(-2i16).unwrap());
    packed
        .h
        .set(alloy_primitives::FixedBytes::<8>::repeat_byte(0x48));
    packed
        .i
        .set(alloy_primitives::FixedBytes::<12>::repeat_byte(0x49));
    packed
        .j
        .set(alloy_primitives::Uint::<96, 2>::from(0x4a4au64));
    packed.list.push(alloy_primitives::U128::from(7u64));
    packed.k.set(true);
    packed
        .map
        .setter(5u64)
        .x
        .set(alloy_primitives::U8::from(0x5au8));

    let a = field("a");
    assert_eq!(
        bytes_at(&vm, a.slot, a.offset, 8),
        0x0102030405060708u64.to_be_bytes()
    );
    let b = field("b");
    assert_eq!(bytes_at(&vm, b.slot, b.offset, 20), vec![0xbb; 20]);
    assert_eq!((a.slot, b.slot), (0, 0), "u64 and address share a word");
    let c = field("c");
    assert_eq!(bytes_at(&vm, c.slot, c.offset, 1), vec![1]);
    let d = field("d");
    assert_eq!(vm.get_storage(U256::from(d.slot)), B256::repeat_byte(0xff));
    let e = field("e");
    assert_eq!(bytes_at(&vm, e.slot, e.offset, 1), vec![0xee]);
    let inner = field("inner");
    assert_eq!(bytes_at(&vm, inner.slot, 31, 1), vec![0x11]);
    assert_eq!(
        vm.get_storage(U256::from(inner.slot + 1)),
        B256::from(U256::from(0x22u64))
    );
    assert_eq!(bytes_at(&vm, inner.slot + 2, 31, 1), vec![1]);
    let f = field("f");
    assert_eq!(
        f.slot,
        inner.slot + inner.words,
        "nested struct ends its words"
    );
    assert_eq!(bytes_at(&vm, f.slot, f.offset, 2), vec![0xf0, 0x0f]);
    let arr = field("arr");
    // Element 3 of a u32 array: word 0, fourth from the right.
    assert_eq!(bytes_at(&vm, arr.slot, 32 - 4 * 4, 4), vec![0xa3; 4]);
    let g = field("g");
    assert_eq!(bytes_at(&vm, g.slot, g.offset, 2), vec![0xff, 0xfe]);
    let h = field("h");
    assert_eq!(bytes_at(&vm, h.slot, h.offset, 8), vec![0x48; 8]);
    let i = field("i");
    assert_eq!(bytes_at(&vm, i.slot, i.offset, 12), vec![0x49; 12]);
    let j = field("j");
    assert_eq!(
        bytes_at(&vm, j.slot, j.offset, 12),
        U256::from(0x4a4au64).to_be_bytes::<32>()[20..].to_vec()
    );
    let list = field("list");
    assert_eq!(
        vm.get_storage(U256::from(list.slot)),
        B256::from(U256::from(1u64)),
        "vector length at its own slot"
    );
    let map = field("map");
    let mut preimage = [0u8; 64];
    preimage[24..32].copy_from_slice(&5u64.to_be_bytes());
    preimage[32..].copy_from_slice(&U256::from(map.slot).to_be_bytes::<32>());
    let entry = U256::from_be_bytes(alloy_primitives::keccak256(preimage).0);
    assert_eq!(
        vm.get_storage(entry).0[31],
        0x5a,
        "map entries at keccak(key . slot), element fields relative to it"
    );
    let k = field("k");
    assert_eq!(bytes_at(&vm, k.slot, k.offset, 1), vec![1]);
    assert_eq!(
        k.slot + 1,
        layout.root_slots(),
        "last word closes the struct"
    );
}

#[test]
fn moves_removals_and_appends_are_reported() {
    let before = "struct S required_slots=2\n\
                  S.a slot=0 offset=24 bytes=8 words=0 type=StorageU64\n\
                  S.b slot=1 offset=0 bytes=32 words=0 type=StorageU256\n";
    let was = Layout::parse_fields(before).unwrap();
    let swapped =
        storage_structs_in("#[storage] struct S { b: StorageU256, a: StorageU64 }").unwrap();
    let now: Vec<Field> = layout_of(&swapped, "S")
        .unwrap()
        .fields()
        .cloned()
        .collect();
    let change = diff(&was, &now);
    assert_eq!(change.moved.len(), 2);
    assert!(change.breaks_storage());

    let appended =
        storage_structs_in("#[storage] struct S { a: StorageU64, b: StorageU256, c: StorageBool }")
            .unwrap();
    let now: Vec<Field> = layout_of(&appended, "S")
        .unwrap()
        .fields()
        .cloned()
        .collect();
    let change = diff(&was, &now);
    assert!(!change.breaks_storage());
    assert_eq!(change.added.len(), 1);
    assert_eq!(change.added[0].path, "S.c");

    let retyped =
        storage_structs_in("#[storage] struct S { a: StorageU128, b: StorageU256 }").unwrap();
    let now: Vec<Field> = layout_of(&retyped, "S")
        .unwrap()
        .fields()
        .cloned()
        .collect();
    assert_eq!(diff(&was, &now).moved.len(), 1, "type change in place");

    let shrunk = storage_structs_in("#[storage] struct S { a: StorageU64 }").unwrap();
    let now: Vec<Field> = layout_of(&shrunk, "S").unwrap().fields().cloned().collect();
    assert_eq!(diff(&was, &now).removed.len(), 1);

    let render = layout_of(&appended, "S").unwrap().render();
    let reparsed = Layout::parse_fields(&render).unwrap();
    assert_eq!(
        reparsed,
        layout_of(&appended, "S")
            .unwrap()
            .fields()
            .cloned()
            .collect::<Vec<_>>()
    );
}

#[test]
fn unknown_field_types_fail_loudly() {
    let structs = storage_structs_in("#[storage] struct S { a: Vec<u8> }").unwrap();
    assert!(layout_of(&structs, "S").is_err());
    assert!(layout_of(&structs, "Missing").is_err());
}

#[test]
fn no_protocol_interface_is_shadowed_by_the_proxy() {
    use abi::{escrow, governance, option_factory, option_token, oracle, pricing};
    let interfaces: &[(&str, &[[u8; 4]])] = &[
        (
            "ICollateralEscrow",
            escrow::ICollateralEscrow::ICollateralEscrowCalls::SELECTORS,
        ),
        (
            "IEscrowRegistry",
            escrow::IEscrowRegistry::IEscrowRegistryCalls::SELECTORS,
        ),
        (
            "IMarginEngine",
            escrow::IMarginEngine::IMarginEngineCalls::SELECTORS,
        ),
        (
            "IOptionFactory",
            option_factory::IOptionFactory::IOptionFactoryCalls::SELECTORS,
        ),
        (
            "IOptionToken",
            option_token::IOptionToken::IOptionTokenCalls::SELECTORS,
        ),
        (
            "IOracleAdapter",
            oracle::IOracleAdapter::IOracleAdapterCalls::SELECTORS,
        ),
        (
            "IExpiryOracle",
            oracle::IExpiryOracle::IExpiryOracleCalls::SELECTORS,
        ),
        (
            "IPricingEngine",
            pricing::IPricingEngine::IPricingEngineCalls::SELECTORS,
        ),
        (
            "IPausable",
            governance::IPausable::IPausableCalls::SELECTORS,
        ),
        (
            "IGovernance",
            governance::IGovernance::IGovernanceCalls::SELECTORS,
        ),
    ];
    for (name, selectors) in interfaces {
        assert_eq!(proxy_selector_clash(selectors), None, "{name}");
    }
    assert!(
        proxy_selector_clash(abi::proxy::IUpgradeableProxy::IUpgradeableProxyCalls::SELECTORS)
            .is_some(),
        "the check does detect clashes"
    );
}
