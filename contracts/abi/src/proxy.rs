//! ERC-1967 upgradeable proxy, and the initialisation pattern every proxied contract follows.
//!
//! # The proxy (`contracts/upgradeable-proxy`)
//! Implementation and admin live in the ERC-1967 slots ([`IMPLEMENTATION_SLOT`], [`ADMIN_SLOT`]),
//! so the implementation owns storage from slot 0. The proxy has its own `#[constructor]`
//! (`constructor(address implementation, address admin, bytes data) payable`), which consumes the
//! Stylus constructor selector: an implementation's constructor can never be reached through the
//! proxy's fallback. Every selector that is not one of [`IUpgradeableProxy`]'s is forwarded by
//! `delegatecall`, for every caller including the admin, with return and revert data intact.
//!
//! Upgrades are admin-only functions of the proxy (not UUPS): the admin (governance) must both
//! upgrade the proxy and administer the implementation through the same address, so the proxy
//! routes by selector, not by caller. The price is that a proxy selector shadows an implementation
//! selector: [`proxy_selector_clash`] finds such clashes, and the storage-layout test suite runs it
//! over every protocol interface. Keep implementation function names away from `upgradeToAndCall`,
//! `changeAdmin`, `proxyAdmin` and `proxyImplementation`.
//!
//! # Reentrancy (nitro's `msg_reentrant`)
//! Nitro counts, per address, the open call frames that are not `DELEGATECALL`/`CALLCODE`; a
//! program is reentrant when its acting address has more than one. The implementation runs in a
//! delegate frame of the proxy, which is not counted, so a proxy built without the SDK's
//! `reentrant` feature forwards to implementations built without it. Any call that comes back to
//! the proxy's address while a forwarded call is open is refused by the proxy's entrypoint
//! (revert, empty data) before implementation code runs: a proxied contract cannot receive
//! callbacks at its own address (A → B → A reverts). Design calls one way; do not build proxied
//! contracts with `reentrant`.
//!
//! # Initialisation pattern (all proxied contracts)
//! Storage written by a constructor lands in the implementation's own account, never in the proxy,
//! so proxied state is set by `initialize(...)`, called through the proxy's constructor `data`.
//! Use `upgradeable_proxy::initializable` (depend with `default-features = false`):
//! - `initialize(...)` starts with `initializable::initializer(self.vm(), 1)?`; a later version's
//!   `initializeV2(...)` uses `initializer(vm, 2)?`. Versions only go up ([`IInitializable`]).
//! - the implementation's own `#[constructor]` calls `initializable::disable_initializers(vm)`,
//!   which locks the implementation account for ever: nobody can initialise (and so administer)
//!   the bare implementation.
//! - the version sits in a namespaced slot ([`INITIALIZABLE_SLOT`], ERC-7201 style), outside the
//!   contract's `#[storage]` struct, so it never shifts the contract's layout.
//!
//! # Storage layout rule
//! One top-level `#[storage]` struct per contract, fields only appended. The storage-layout suite
//! (`contracts/storage-layout`) snapshots every field's slot and offset and fails when one moves.

use alloy_primitives::{b256, B256};
use alloy_sol_types::sol;

/// `bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1)`.
pub const IMPLEMENTATION_SLOT: B256 =
    b256!("360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc");

/// `bytes32(uint256(keccak256("eip1967.proxy.admin")) - 1)`.
pub const ADMIN_SLOT: B256 =
    b256!("b53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103");

/// Namespaced slot of the initialised version:
/// `keccak256(abi.encode(uint256(keccak256("stylus-options.storage.Initializable")) - 1)) & ~0xff`.
pub const INITIALIZABLE_SLOT: B256 =
    b256!("11cedf6352c4398a22161b0b3e4394e713079830e32e642274f936bb29bf6400");

/// Version stored by `disable_initializers`: no `initializer(version)` can pass it.
pub const INITIALIZERS_DISABLED: u64 = u64::MAX;

sol! {
    /// The proxy's own functions; every other selector is forwarded to the implementation.
    #[derive(Debug, PartialEq, Eq)]
    interface IUpgradeableProxy {
        /// ERC-1967: the implementation changed.
        event Upgraded(address indexed implementation);
        /// ERC-1967: the admin changed.
        event AdminChanged(address previousAdmin, address newAdmin);

        /// An admin-only proxy function was called by someone else.
        error ProxyUnauthorized(address caller, address admin);
        /// The new implementation has no code, or is the proxy itself.
        error ProxyInvalidImplementation(address implementation);
        /// The new admin is the zero address.
        error ProxyInvalidAdmin(address admin);
        /// Value sent without init data would be stuck in the proxy.
        error ProxyNonPayable(uint256 value);

        /// Points the proxy at `newImplementation`, then, if `data` is not empty, delegate-calls
        /// it with `data` (e.g. `initializeV2`). Reverts with the implementation's revert data.
        function upgradeToAndCall(address newImplementation, bytes data) external payable;
        /// Hands the proxy's admin role to `newAdmin`.
        function changeAdmin(address newAdmin) external;
        /// The admin, as stored in [`ADMIN_SLOT`].
        function proxyAdmin() external view returns (address);
        /// The implementation, as stored in [`IMPLEMENTATION_SLOT`].
        function proxyImplementation() external view returns (address);
    }

    /// Events and errors of the initialisation guard (no functions: each contract names its own
    /// `initialize`).
    #[derive(Debug, PartialEq, Eq)]
    interface IInitializable {
        /// The contract was initialised to `version` (`2^64-1`: initialisers disabled).
        event Initialized(uint64 version);
        /// `initializer(requested)` ran while the stored version was already `current`.
        error InvalidInitialization(uint64 current, uint64 requested);
    }

    /// Constructor arguments of the proxy, as `StylusDeployer.deploy` passes them
    /// (`initData` = the Stylus constructor selector ‖ this tuple, ABI-encoded).
    #[derive(Debug, PartialEq, Eq)]
    struct ProxyConstructorArgs {
        address implementation;
        address admin;
        bytes data;
    }
}

/// The first selector of `implementation_selectors` that the proxy would shadow, if any.
pub fn proxy_selector_clash(implementation_selectors: &[[u8; 4]]) -> Option<[u8; 4]> {
    implementation_selectors
        .iter()
        .copied()
        .find(|s| IUpgradeableProxy::IUpgradeableProxyCalls::SELECTORS.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{keccak256, U256};
    use alloy_sol_types::SolCall;

    fn eip1967_slot(label: &str) -> B256 {
        B256::from(U256::from_be_bytes(keccak256(label).0) - U256::from(1))
    }

    #[test]
    fn erc1967_slots_follow_the_standard() {
        assert_eq!(
            IMPLEMENTATION_SLOT,
            eip1967_slot("eip1967.proxy.implementation")
        );
        assert_eq!(ADMIN_SLOT, eip1967_slot("eip1967.proxy.admin"));
    }

    #[test]
    fn initializable_slot_is_erc7201_namespaced() {
        let inner = U256::from_be_bytes(keccak256("stylus-options.storage.Initializable").0)
            - U256::from(1);
        let outer = U256::from_be_bytes(keccak256(inner.to_be_bytes::<32>()).0);
        let expected = outer & !U256::from(0xff);
        assert_eq!(INITIALIZABLE_SLOT, B256::from(expected));
    }

    #[test]
    fn clash_detection_finds_shadowed_selectors() {
        let upgrade = IUpgradeableProxy::upgradeToAndCallCall::SELECTOR;
        assert_eq!(
            proxy_selector_clash(&[[0, 0, 0, 1], upgrade]),
            Some(upgrade)
        );
        assert_eq!(proxy_selector_clash(&[[0, 0, 0, 1]]), None);
    }
}
