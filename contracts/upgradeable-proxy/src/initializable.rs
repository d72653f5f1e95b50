//! Run-once initialisation for contracts behind the proxy.
//!
//! The initialised version lives in the namespaced slot [`abi::proxy::INITIALIZABLE_SLOT`], outside
//! the contract's `#[storage]` struct, so adopting the guard moves no field.
//!
//! ```ignore
//! use upgradeable_proxy::initializable;
//!
//! #[public]
//! impl Oracle {
//!     #[constructor]
//!     pub fn constructor(&mut self) {
//!         // Locks the implementation's own account: only proxies can be initialised.
//!         initializable::disable_initializers(self.vm());
//!     }
//!
//!     pub fn initialize(&mut self, admin: Address) -> Result<(), OracleError> {
//!         initializable::initializer(self.vm(), 1)?; // OracleError: From<InvalidInitialization>
//!         self.admin.set(admin);
//!         Ok(())
//!     }
//! }
//! ```

use abi::proxy::{
    IInitializable::{Initialized, InvalidInitialization},
    INITIALIZABLE_SLOT, INITIALIZERS_DISABLED,
};
use alloy_primitives::{B256, U256};
use stylus_sdk::prelude::*;

fn slot() -> U256 {
    U256::from_be_bytes(INITIALIZABLE_SLOT.0)
}

/// The version this account was initialised to (0: never, `u64::MAX`: locked).
pub fn initialized_version<H: Host>(host: &H) -> u64 {
    let word = U256::from_be_bytes(host.storage_load_bytes32(slot()).0);
    // Only this module writes the slot; anything wider than u64 reads as locked.
    u64::try_from(word).unwrap_or(INITIALIZERS_DISABLED)
}

/// Records initialisation to `version`; fails unless `version` is above the stored one.
///
/// `initialize` uses version 1, `initializeV2` version 2, and so on. Calling it a second time with
/// the same version, or on a locked implementation, returns [`InvalidInitialization`].
pub fn initializer<H: Host>(host: &H, version: u64) -> Result<(), InvalidInitialization> {
    let current = initialized_version(host);
    if version == 0 || version == INITIALIZERS_DISABLED || version <= current {
        return Err(InvalidInitialization {
            current,
            requested: version,
        });
    }
    store(host, version);
    host.log(Initialized { version });
    Ok(())
}

/// Locks this account against every initialiser (use in the implementation's constructor).
pub fn disable_initializers<H: Host>(host: &H) {
    if initialized_version(host) != INITIALIZERS_DISABLED {
        store(host, INITIALIZERS_DISABLED);
        host.log(Initialized {
            version: INITIALIZERS_DISABLED,
        });
    }
}

fn store<H: Host>(host: &H, version: u64) {
    let word = B256::from(U256::from(version));
    // SAFETY: the slot is namespaced to this guard; no storage accessor aliases it.
    unsafe { host.storage_cache_bytes32(slot(), word) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_sol_types::SolEvent;
    use stylus_sdk::testing::TestVM;

    #[test]
    fn initialises_once_per_version() {
        let vm = TestVM::new();
        assert_eq!(initialized_version(&vm), 0);
        initializer(&vm, 1).unwrap();
        assert_eq!(initialized_version(&vm), 1);
        assert_eq!(
            vm.get_storage(slot()),
            B256::from(U256::from(1u64)),
            "version sits in the namespaced slot"
        );
        assert_eq!(
            initializer(&vm, 1),
            Err(InvalidInitialization {
                current: 1,
                requested: 1
            })
        );
        initializer(&vm, 2).unwrap();
        assert_eq!(
            initializer(&vm, 1),
            Err(InvalidInitialization {
                current: 2,
                requested: 1
            })
        );
        let logs = vm.get_emitted_logs();
        assert_eq!(logs.len(), 2);
        assert_eq!(logs[0].0[0], Initialized::SIGNATURE_HASH);
        assert_eq!(
            Initialized::decode_raw_log(logs[1].0.iter().copied(), &logs[1].1).unwrap(),
            Initialized { version: 2 }
        );
    }

    #[test]
    fn version_zero_and_max_are_never_accepted() {
        let vm = TestVM::new();
        assert!(initializer(&vm, 0).is_err());
        assert!(initializer(&vm, INITIALIZERS_DISABLED).is_err());
        assert_eq!(initialized_version(&vm), 0);
    }

    #[test]
    fn disabled_initializers_lock_every_version() {
        let vm = TestVM::new();
        disable_initializers(&vm);
        disable_initializers(&vm);
        assert_eq!(vm.get_emitted_logs().len(), 1, "locking twice emits once");
        assert_eq!(
            initializer(&vm, 1),
            Err(InvalidInitialization {
                current: INITIALIZERS_DISABLED,
                requested: 1
            })
        );
        assert_eq!(initializer(&vm, 7).unwrap_err().current, u64::MAX);
    }

    #[test]
    fn initialised_contract_can_still_be_locked() {
        let vm = TestVM::new();
        initializer(&vm, 3).unwrap();
        disable_initializers(&vm);
        assert_eq!(initialized_version(&vm), INITIALIZERS_DISABLED);
    }

    #[test]
    fn oversized_slot_contents_read_as_locked() {
        let vm = TestVM::new();
        vm.set_storage(slot(), B256::repeat_byte(0xab));
        assert_eq!(initialized_version(&vm), INITIALIZERS_DISABLED);
        assert!(initializer(&vm, 1).is_err());
    }
}
